//! The TLS layer over real loopback sockets: rcgen certificates, real rustls
//! handshakes on both sides, and the rules of `docs/tls.md` (verification,
//! SNI, mutual TLS, ALPN, versions, truncation, flushing).

use std::future::Future;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{CertificateError, ProtocolVersion};
use tickwire::tls::{MaybeTls, ServerTlsConfig, TlsConfig, TlsError};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufStream};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

// ---------------------------------------------------------------- fixtures

/// A certificate chain (leaf first) and its PKCS#8 key, in DER.
#[derive(Clone)]
struct Identity {
    chain: Vec<Vec<u8>>,
    key: Vec<u8>,
}

struct Pki {
    /// The CA the tests trust.
    ca_der: Vec<u8>,
    ca_pem: String,
    /// Signed by `ca`: DNS localhost, IP 127.0.0.1 and ::1.
    server: Identity,
    /// Signed by `ca`, for client authentication.
    client: Identity,
    /// Same names as `server`, signed by a CA nobody trusts.
    untrusted_server: Identity,
}

static PKI: LazyLock<Pki> = LazyLock::new(|| {
    let (ca_der, ca_pem, ca) = new_ca("tickwire test CA");
    let (_, _, other_ca) = new_ca("untrusted CA");
    let server_names = ["localhost", "127.0.0.1", "::1"];
    Pki {
        ca_der,
        ca_pem,
        server: new_leaf(&ca, &server_names, ExtendedKeyUsagePurpose::ServerAuth),
        client: new_leaf(
            &ca,
            &["client.tickwire.test"],
            ExtendedKeyUsagePurpose::ClientAuth,
        ),
        untrusted_server: new_leaf(
            &other_ca,
            &server_names,
            ExtendedKeyUsagePurpose::ServerAuth,
        ),
    }
});

fn new_ca(name: &str) -> (Vec<u8>, String, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::CrlSign,
    ];
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.der().to_vec(), cert.pem(), Issuer::new(params, key))
}

fn new_leaf(
    ca: &Issuer<'static, KeyPair>,
    names: &[&str],
    usage: ExtendedKeyUsagePurpose,
) -> Identity {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = CertificateParams::new(names.clone()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, names[0].as_str());
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![usage];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, ca).unwrap();
    Identity {
        chain: vec![cert.der().to_vec()],
        key: key.serialize_der(),
    }
}

/// A client that trusts only the test CA.
fn client_config() -> tickwire::tls::TlsConfigBuilder {
    TlsConfig::builder()
        .skip_system_certs()
        .add_root_cert(&PKI.ca_der)
        .unwrap()
}

fn server_config(id: &Identity) -> ServerTlsConfig {
    ServerTlsConfig::new(id.chain.clone(), id.key.clone()).unwrap()
}

/// Every step of every test is bounded: a hang is a failure, not a stall.
async fn within<F: Future>(fut: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(5), fut)
        .await
        .expect("timed out")
}

async fn listen(addr: &str) -> io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// Accepts one TCP connection and runs `server`'s handshake on it.
fn serve_once(
    listener: TcpListener,
    server: ServerTlsConfig,
) -> JoinHandle<Result<MaybeTls<TcpStream>, TlsError>> {
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.map_err(TlsError::Io)?;
        server.accept(tcp).await
    })
}

/// Connects `config` to a fresh one-shot server; both handshake results.
async fn handshake(
    config: &TlsConfig,
    host: &str,
    server: ServerTlsConfig,
) -> (
    Result<MaybeTls<TcpStream>, TlsError>,
    Result<MaybeTls<TcpStream>, TlsError>,
) {
    let (listener, addr) = listen("127.0.0.1:0").await.unwrap();
    let accepted = serve_once(listener, server);
    let tcp = TcpStream::connect(addr).await.unwrap();
    let client = within(config.connect(host, tcp)).await;
    let server = within(accepted).await.unwrap();
    (client, server)
}

fn assert_name_mismatch(err: &TlsError) {
    assert!(
        matches!(
            err,
            TlsError::Handshake(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
            ))
        ),
        "expected a name mismatch, got {err:?}"
    );
    assert!(err.is_certificate_error());
}

// ------------------------------------------------------ handshake and data

#[tokio::test]
async fn handshake_and_echo_both_ways() {
    let config = client_config().build().unwrap();
    let (client, server) = handshake(&config, "localhost", server_config(&PKI.server)).await;
    let (mut client, mut server) = (client.unwrap(), server.unwrap());
    assert!(client.is_tls() && server.is_tls());
    assert!(matches!(client, MaybeTls::Client(_)) && matches!(server, MaybeTls::Server(_)));
    // get_ref is the transport: the two ends of one TCP connection.
    assert_eq!(
        client.get_ref().local_addr().unwrap(),
        server.get_ref().peer_addr().unwrap()
    );
    assert!(format!("{client:?}").starts_with("Client"), "{client:?}");

    client.write_all(b"hello from the client").await.unwrap();
    client.flush().await.unwrap();
    let mut buf = [0u8; 21];
    within(server.read_exact(&mut buf)).await.unwrap();
    assert_eq!(&buf, b"hello from the client");

    server.write_all(b"hello from the server").await.unwrap();
    server.flush().await.unwrap();
    within(client.read_exact(&mut buf)).await.unwrap();
    assert_eq!(&buf, b"hello from the server");

    // Larger than one TLS record (16 KiB) each way.
    let big: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let echo = tokio::spawn(async move {
        let mut got = vec![0u8; 100_000];
        server.read_exact(&mut got).await.unwrap();
        server.write_all(&got).await.unwrap();
        server.flush().await.unwrap();
        server
    });
    client.write_all(&big).await.unwrap();
    client.flush().await.unwrap();
    let mut back = vec![0u8; big.len()];
    within(client.read_exact(&mut back)).await.unwrap();
    assert_eq!(back, big);
    within(echo).await.unwrap();
}

#[tokio::test]
async fn plain_streams_pass_bytes_through() {
    let (listener, addr) = listen("127.0.0.1:0").await.unwrap();
    let accepted = tokio::spawn(async move { listener.accept().await.unwrap().0 });
    let mut client = MaybeTls::Plain(TcpStream::connect(addr).await.unwrap());
    let mut server = MaybeTls::Plain(within(accepted).await.unwrap());
    assert!(!client.is_tls());
    assert_eq!(client.alpn_protocol(), None);
    client.write_all(b"plain").await.unwrap();
    client.flush().await.unwrap();
    let mut buf = [0u8; 5];
    within(server.read_exact(&mut buf)).await.unwrap();
    assert_eq!(&buf, b"plain");
    client.shutdown().await.unwrap();
    assert_eq!(within(server.read(&mut buf)).await.unwrap(), 0);
}

/// The client's transport buffers writes until flushed (`BufStream`), so a
/// flush that is not forwarded through `MaybeTls` and TLS leaves the bytes
/// in the buffer and the server's read times out.
#[tokio::test]
async fn flush_and_vectored_writes_reach_the_wire() {
    let config = client_config().build().unwrap();
    let (listener, addr) = listen("127.0.0.1:0").await.unwrap();
    let accepted = serve_once(listener, server_config(&PKI.server));
    let tcp = BufStream::new(TcpStream::connect(addr).await.unwrap());
    let mut client = within(config.connect("localhost", tcp)).await.unwrap();
    let mut server = within(accepted).await.unwrap().unwrap();

    assert!(tokio::io::AsyncWrite::is_write_vectored(&client));
    let parts = [
        IoSlice::new(b"one,"),
        IoSlice::new(b"two,"),
        IoSlice::new(b"three"),
    ];
    let n = client.write_vectored(&parts).await.unwrap();
    assert_eq!(n, 13, "TLS takes all slices in one call");
    client.flush().await.unwrap();
    let mut buf = [0u8; 13];
    tokio::time::timeout(Duration::from_secs(2), server.read_exact(&mut buf))
        .await
        .expect("flushed bytes never reached the server")
        .unwrap();
    assert_eq!(&buf, b"one,two,three");

    client.write_all(b"ping").await.unwrap();
    client.flush().await.unwrap();
    let mut ping = [0u8; 4];
    tokio::time::timeout(Duration::from_secs(2), server.read_exact(&mut ping))
        .await
        .expect("flushed bytes never reached the server")
        .unwrap();
    assert_eq!(&ping, b"ping");
}

// ------------------------------------------------------------ verification

#[tokio::test]
async fn name_not_in_the_certificate_is_refused() {
    let config = client_config().build().unwrap();
    let (client, server) = handshake(&config, "wrong.example", server_config(&PKI.server)).await;
    let err = client.unwrap_err();
    assert_name_mismatch(&err);
    assert_eq!(io::Error::from(err).kind(), io::ErrorKind::InvalidData);
    // The client told the server why (bad_certificate alert).
    assert!(server.unwrap_err().is_certificate_error());
}

#[tokio::test]
async fn untrusted_ca_is_refused() {
    let config = client_config().build().unwrap();
    let (client, _server) =
        handshake(&config, "localhost", server_config(&PKI.untrusted_server)).await;
    let err = client.unwrap_err();
    assert!(
        matches!(
            err,
            TlsError::Handshake(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer
            ))
        ),
        "{err:?}"
    );
    assert!(err.is_certificate_error());
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test]
async fn pem_roots_are_trusted_too() {
    let config = TlsConfig::builder()
        .skip_system_certs()
        .add_root_certs_pem(PKI.ca_pem.as_bytes())
        .unwrap()
        .build()
        .unwrap();
    let (client, server) = handshake(&config, "localhost", server_config(&PKI.server)).await;
    assert!(client.unwrap().is_tls());
    assert!(server.unwrap().is_tls());
}

#[tokio::test]
async fn danger_no_verify_accepts_an_untrusted_certificate_and_any_name() {
    let config = TlsConfig::builder()
        .skip_system_certs()
        .danger_no_verify()
        .build()
        .unwrap();
    for host in ["localhost", "wrong.example"] {
        let (client, server) = handshake(&config, host, server_config(&PKI.untrusted_server)).await;
        let (mut client, mut server) = (client.unwrap(), server.unwrap());
        client.write_all(b"still encrypted").await.unwrap();
        client.flush().await.unwrap();
        let mut buf = [0u8; 15];
        within(server.read_exact(&mut buf)).await.unwrap();
        assert_eq!(&buf, b"still encrypted");
    }
}

// --------------------------------------------------------------------- SNI

/// A server certificate resolver that records the server_name of every
/// ClientHello: the SNI the client actually sent, seen by the server.
#[derive(Debug)]
struct RecordSni {
    key: Arc<CertifiedKey>,
    seen: Mutex<Vec<Option<String>>>,
}

impl ResolvesServerCert for RecordSni {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.seen
            .lock()
            .unwrap()
            .push(hello.server_name().map(str::to_owned));
        Some(Arc::clone(&self.key))
    }
}

/// Handshakes `host` against a recording rustls server bound on `bind`;
/// the client's result and the SNI the server saw.
async fn sni_seen(
    bind: &str,
    host: &str,
) -> io::Result<(Result<MaybeTls<TcpStream>, TlsError>, Option<String>)> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = CertifiedKey::from_der(
        PKI.server.chain.iter().cloned().map(Into::into).collect(),
        rustls::pki_types::PrivateKeyDer::try_from(PKI.server.key.clone()).unwrap(),
        &provider,
    )
    .unwrap();
    let recorder = Arc::new(RecordSni {
        key: Arc::new(key),
        seen: Mutex::new(Vec::new()),
    });
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::DEFAULT_VERSIONS)
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(recorder.clone());
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));

    let (listener, addr) = listen(bind).await?;
    let accepted = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        acceptor.accept(tcp).await
    });
    let config = client_config().build().unwrap();
    let client = within(config.connect(host, TcpStream::connect(addr).await?)).await;
    let _ = within(accepted).await.unwrap();
    let seen = recorder.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "one ClientHello");
    Ok((client, seen.into_iter().next().flatten()))
}

#[tokio::test]
async fn dns_name_is_sent_as_sni() {
    let (client, sni) = sni_seen("127.0.0.1:0", "localhost").await.unwrap();
    assert!(client.unwrap().is_tls());
    assert_eq!(sni.as_deref(), Some("localhost"));
}

#[tokio::test]
async fn ipv4_literal_verifies_against_the_ip_san_and_sends_no_sni() {
    let (client, sni) = sni_seen("127.0.0.1:0", "127.0.0.1").await.unwrap();
    assert!(client.unwrap().is_tls());
    assert_eq!(sni, None);

    // The IP is verified, not skipped: another address is refused.
    let config = client_config().build().unwrap();
    let (client, _) = handshake(&config, "127.0.0.2", server_config(&PKI.server)).await;
    assert_name_mismatch(&client.unwrap_err());
}

#[tokio::test]
async fn ipv6_literal_with_or_without_brackets_sends_no_sni() {
    if TcpListener::bind("[::1]:0").await.is_err() {
        eprintln!("skipped: no IPv6 loopback here");
        return;
    }
    for host in ["::1", "[::1]"] {
        let (client, sni) = sni_seen("[::1]:0", host).await.unwrap();
        assert!(client.unwrap().is_tls(), "{host}");
        assert_eq!(sni, None, "{host}");
    }
    let (client, _) = sni_seen("[::1]:0", "[::2]").await.unwrap();
    assert_name_mismatch(&client.unwrap_err());
}

#[tokio::test]
async fn host_that_is_no_name_is_refused_before_any_io() {
    let config = client_config().build().unwrap();
    for host in ["", "a b", "example.com:443", "[example.com]", "[::1"] {
        // A stream that fails if touched: the error must come first.
        let (near, far) = tokio::io::duplex(16);
        drop(far);
        let err = config.connect(host, near).await.unwrap_err();
        assert!(
            matches!(err, TlsError::InvalidServerName(ref h) if h == host),
            "{err:?}"
        );
        assert_eq!(io::Error::from(err).kind(), io::ErrorKind::InvalidInput);
    }
}

// -------------------------------------------------------------- mutual TLS

fn mtls_server() -> ServerTlsConfig {
    server_config(&PKI.server)
        .client_auth_roots(&[&PKI.ca_der])
        .unwrap()
}

#[tokio::test]
async fn mutual_tls_refuses_a_client_without_a_certificate() {
    let config = client_config().build().unwrap();
    let (client, server) = handshake(&config, "localhost", mtls_server()).await;
    let server_err = server.unwrap_err();
    assert!(
        matches!(
            server_err,
            TlsError::Handshake(rustls::Error::NoCertificatesPresented)
        ),
        "{server_err:?}"
    );
    assert!(server_err.is_certificate_error());
    // TLS 1.3: the client finishes its side before the server checks, so
    // the refusal (certificate_required alert) may arrive on the first read.
    match client {
        Err(err) => assert!(err.is_certificate_error(), "{err:?}"),
        Ok(mut stream) => {
            let mut buf = [0u8; 1];
            let err = within(stream.read(&mut buf)).await.unwrap_err();
            let alert = err
                .get_ref()
                .and_then(|e| e.downcast_ref::<rustls::Error>());
            assert_eq!(
                alert,
                Some(&rustls::Error::AlertReceived(
                    rustls::AlertDescription::CertificateRequired
                )),
                "{err:?}"
            );
        }
    }
}

#[tokio::test]
async fn mutual_tls_accepts_a_client_with_a_certificate() {
    let config = client_config()
        .client_cert(PKI.client.chain.clone(), PKI.client.key.clone())
        .unwrap()
        .build()
        .unwrap();
    let (client, server) = handshake(&config, "localhost", mtls_server()).await;
    let (mut client, mut server) = (client.unwrap(), server.unwrap());
    let MaybeTls::Server(tls) = &server else {
        panic!("server side")
    };
    let presented = tls.get_ref().1.peer_certificates().unwrap();
    assert_eq!(presented[0].as_ref(), PKI.client.chain[0].as_slice());

    client.write_all(b"authenticated").await.unwrap();
    client.flush().await.unwrap();
    let mut buf = [0u8; 13];
    within(server.read_exact(&mut buf)).await.unwrap();
    assert_eq!(&buf, b"authenticated");
}

#[tokio::test]
async fn mutual_tls_refuses_a_client_certificate_from_another_ca() {
    // The untrusted server identity has the right key usage for nothing
    // client-side and an unknown issuer: the server refuses it.
    let config = client_config()
        .client_cert(
            PKI.untrusted_server.chain.clone(),
            PKI.untrusted_server.key.clone(),
        )
        .unwrap()
        .build()
        .unwrap();
    let (_client, server) = handshake(&config, "localhost", mtls_server()).await;
    let err = server.unwrap_err();
    assert!(err.is_certificate_error(), "{err:?}");
}

// -------------------------------------------------------------------- ALPN

#[tokio::test]
async fn alpn_is_negotiated_and_visible_on_both_sides() {
    let config = client_config().alpn(&[b"h2", b"http/1.1"]).build().unwrap();
    assert_eq!(
        config.alpn_protocols(),
        [b"h2".to_vec(), b"http/1.1".to_vec()]
    );
    let server = server_config(&PKI.server).alpn(&[b"http/1.1"]);
    let (client, accepted) = handshake(&config, "localhost", server.clone()).await;
    assert_eq!(client.unwrap().alpn_protocol(), Some(&b"http/1.1"[..]));
    assert_eq!(accepted.unwrap().alpn_protocol(), Some(&b"http/1.1"[..]));

    // No protocol in common: refused, not silently downgraded.
    let h2_only = client_config().alpn(&[b"h2"]).build().unwrap();
    let (client, _) = handshake(&h2_only, "localhost", server).await;
    let err = client.unwrap_err();
    assert!(
        matches!(
            err,
            TlsError::Handshake(rustls::Error::AlertReceived(
                rustls::AlertDescription::NoApplicationProtocol
            ))
        ),
        "{err:?}"
    );

    // Nothing offered: nothing chosen.
    let none = client_config().build().unwrap();
    let (client, _) = handshake(&none, "localhost", server_config(&PKI.server)).await;
    assert_eq!(client.unwrap().alpn_protocol(), None);
}

// ---------------------------------------------------------------- versions

fn version(stream: &MaybeTls<TcpStream>) -> Option<ProtocolVersion> {
    match stream {
        MaybeTls::Plain(_) => None,
        MaybeTls::Client(tls) => tls.get_ref().1.protocol_version(),
        MaybeTls::Server(tls) => tls.get_ref().1.protocol_version(),
    }
}

#[tokio::test]
async fn tls13_only_client_refuses_a_tls12_only_server() {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls12_server = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            PKI.server.chain.iter().cloned().map(Into::into).collect(),
            rustls::pki_types::PrivateKeyDer::try_from(PKI.server.key.clone()).unwrap(),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls12_server));
    let connect = |config: TlsConfig| {
        let acceptor = acceptor.clone();
        async move {
            let (listener, addr) = listen("127.0.0.1:0").await.unwrap();
            let accepted = tokio::spawn(async move {
                let (tcp, _) = listener.accept().await.unwrap();
                acceptor.accept(tcp).await
            });
            let client =
                within(config.connect("localhost", TcpStream::connect(addr).await.unwrap())).await;
            let _ = within(accepted).await.unwrap();
            client
        }
    };

    // Control: the default client speaks TLS 1.2 to it.
    let default = connect(client_config().build().unwrap()).await.unwrap();
    assert_eq!(version(&default), Some(ProtocolVersion::TLSv1_2));

    let err = connect(client_config().tls13_only().build().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, TlsError::Handshake(_)), "{err:?}");
    assert!(!err.is_io());
}

#[tokio::test]
async fn tls13_only_server_refuses_a_tls12_only_client() {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(PKI.ca_der.clone().into()).unwrap();
    let tls12_client = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS12])
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(tls12_client));
    let connect = |server: ServerTlsConfig| {
        let connector = connector.clone();
        async move {
            let (listener, addr) = listen("127.0.0.1:0").await.unwrap();
            let accepted = serve_once(listener, server);
            let tcp = TcpStream::connect(addr).await.unwrap();
            let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
            let _ = within(connector.connect(name, tcp)).await;
            within(accepted).await.unwrap()
        }
    };

    let default = connect(server_config(&PKI.server)).await.unwrap();
    assert_eq!(version(&default), Some(ProtocolVersion::TLSv1_2));

    let err = connect(server_config(&PKI.server).tls13_only())
        .await
        .unwrap_err();
    assert!(matches!(err, TlsError::Handshake(_)), "{err:?}");
}

// -------------------------------------------------------------- truncation

/// The server writes, then ends TCP with or without close_notify; the
/// client reads everything it can and reports how the stream ended.
async fn read_until_end(clean: bool) -> (Vec<u8>, io::Result<()>) {
    let config = client_config().build().unwrap();
    let (client, server) = handshake(&config, "localhost", server_config(&PKI.server)).await;
    let (mut client, mut server) = (client.unwrap(), server.unwrap());
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let writer = tokio::spawn(async move {
        server.write_all(b"last words").await.unwrap();
        server.flush().await.unwrap();
        if clean {
            server.shutdown().await.unwrap(); // close_notify, then FIN
        } else {
            server.get_mut().shutdown().await.unwrap(); // FIN only
        }
        // Keep the socket until the client is done (no RST).
        let _ = done_rx.await;
    });
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    let end = loop {
        match within(client.read(&mut buf)).await {
            Ok(0) => break Ok(()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(err) => break Err(err),
        }
    };
    let _ = done_tx.send(());
    within(writer).await.unwrap();
    (got, end)
}

#[tokio::test]
async fn eof_without_close_notify_is_an_unexpected_eof_after_the_data() {
    let (got, end) = read_until_end(false).await;
    assert_eq!(got, b"last words");
    assert_eq!(end.unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
}

#[tokio::test]
async fn close_notify_is_a_clean_eof() {
    let (got, end) = read_until_end(true).await;
    assert_eq!(got, b"last words");
    end.unwrap();
}

// ------------------------------------------------- configuration and errors

#[test]
fn platform_roots_load_or_fail_clearly() {
    match TlsConfig::new() {
        Ok(config) => {
            assert!(config.alpn_protocols().is_empty());
            let debug = format!("{config:?}");
            assert!(!debug.contains("roots: 0"), "{debug}");
        }
        Err(err) => {
            assert!(matches!(err, TlsError::NoRootCertificates), "{err:?}");
            assert!(err.to_string().contains("no trusted root certificates"));
        }
    }
    // builder().build() is new().
    assert_eq!(
        TlsConfig::builder().build().is_ok(),
        TlsConfig::new().is_ok()
    );
    // Nothing trusted at all is refused up front.
    assert!(matches!(
        TlsConfig::builder().skip_system_certs().build(),
        Err(TlsError::NoRootCertificates)
    ));
}

#[test]
fn bad_certificates_and_keys_are_refused_where_given() {
    let err = TlsConfig::builder()
        .add_root_cert(b"not a certificate")
        .unwrap_err();
    assert!(matches!(err, TlsError::InvalidCertificate(_)), "{err:?}");

    let err = TlsConfig::builder()
        .add_root_certs_pem(b"no pem here")
        .unwrap_err();
    assert!(matches!(err, TlsError::InvalidPem(_)), "{err:?}");

    let err = TlsConfig::builder()
        .client_cert(PKI.client.chain.clone(), b"not a key".to_vec())
        .unwrap_err();
    assert!(matches!(err, TlsError::InvalidPrivateKey(_)), "{err:?}");

    // A real key, but not the leaf's.
    let err = TlsConfig::builder()
        .client_cert(PKI.client.chain.clone(), PKI.server.key.clone())
        .unwrap_err();
    assert!(matches!(err, TlsError::InvalidPrivateKey(_)), "{err:?}");

    let err = TlsConfig::builder()
        .client_cert(Vec::new(), PKI.client.key.clone())
        .unwrap_err();
    assert!(matches!(err, TlsError::InvalidCertificate(_)), "{err:?}");

    let err = ServerTlsConfig::new(PKI.server.chain.clone(), PKI.client.key.clone()).unwrap_err();
    assert!(matches!(err, TlsError::InvalidPrivateKey(_)), "{err:?}");

    let err = server_config(&PKI.server)
        .client_auth_roots(&[])
        .unwrap_err();
    assert!(matches!(err, TlsError::NoRootCertificates), "{err:?}");
    let err = server_config(&PKI.server)
        .client_auth_roots(&[b"junk"])
        .unwrap_err();
    assert!(matches!(err, TlsError::InvalidCertificate(_)), "{err:?}");
}

#[test]
fn error_and_config_types_are_shareable() {
    fn assert_traits<T: std::error::Error + Send + Sync + 'static>() {}
    fn assert_shared<T: Clone + Send + Sync + std::fmt::Debug>() {}
    assert_traits::<TlsError>();
    assert_shared::<TlsConfig>();
    assert_shared::<ServerTlsConfig>();
    fn assert_unpin<T: Unpin + Send>() {}
    assert_unpin::<MaybeTls<TcpStream>>();

    // The handshake futures can be spawned on a multi-threaded runtime.
    fn assert_send<T: Send>(_: &T) {}
    let config = client_config().build().unwrap();
    let server = server_config(&PKI.server);
    let (near, far) = tokio::io::duplex(16);
    assert_send(&config.connect("localhost", near));
    assert_send(&server.accept(far));

    let io_err = io::Error::from(TlsError::Io(io::Error::from(
        io::ErrorKind::ConnectionReset,
    )));
    assert_eq!(io_err.kind(), io::ErrorKind::ConnectionReset);
}
