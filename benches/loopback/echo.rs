//! The fixed side of every row: the precomputed frames, the certificates,
//! and the raw echo server that answers every client the same way.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::CertificateDer;
use tickwire::buf::WriteBuf;
use tickwire::rng::SeededRng;
use tickwire::tls::{ServerTlsConfig, TlsConfig};
use tickwire::ws::handshake::{self, HandshakeLimits};
use tickwire::ws::{FrameWriter, Role};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

use super::READ_BUFFER;

/// The bytes of one row's exchange, precomputed.
#[derive(Debug, Clone)]
pub(crate) struct Frames {
    pub(crate) payload: Vec<u8>,
    /// What a WebSocket client sends: masked binary frame.
    pub(crate) client: Vec<u8>,
    /// The server's unmasked binary frame of the same payload.
    pub(crate) server: Vec<u8>,
    /// The client frame's header before the mask key (checked by the server).
    pub(crate) client_prefix: Vec<u8>,
}

impl Frames {
    pub(crate) fn new(size: usize) -> Self {
        let mut x: u32 = 0x9E37_79B9;
        let payload: Vec<u8> = (0..size)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        let encode = |role| {
            let mut writer = FrameWriter::with_rng(role, SeededRng::from_seed(11));
            let mut out = WriteBuf::new(14, size + 14);
            writer.binary(&mut out, &payload).expect("encode");
            out.data().to_vec()
        };
        let client = encode(Role::Client);
        let server = encode(Role::Server);
        // Masked: the header is the unmasked one plus 4 key bytes.
        let header = server.len() - size;
        assert_eq!(client.len(), server.len() + 4);
        let mut client_prefix = server[..header].to_vec();
        client_prefix[1] |= 0x80;
        assert_eq!(client[..header], client_prefix[..]);
        Self {
            payload,
            client,
            server,
            client_prefix,
        }
    }
}

/// A CA the clients trust and a leaf for 127.0.0.1 signed by it.
pub(crate) struct Pki {
    pub(crate) ca_der: Vec<u8>,
    pub(crate) server: ServerTlsConfig,
}

impl Pki {
    pub(crate) fn new() -> Self {
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "ws_loopback CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().expect("CA key");
        let ca_cert = ca.self_signed(&ca_key).expect("CA cert");
        let issuer = Issuer::new(ca, ca_key);

        let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_string()]).expect("leaf");
        leaf.distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        leaf.use_authority_key_identifier_extension = true;
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf_key = KeyPair::generate().expect("leaf key");
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).expect("leaf cert");
        let server = ServerTlsConfig::new(vec![leaf_cert.der().to_vec()], leaf_key.serialize_der())
            .expect("server TLS config");
        Self {
            ca_der: ca_cert.der().to_vec(),
            server,
        }
    }

    /// tickwire's client configuration: this CA only.
    pub(crate) fn tickwire_client(&self) -> TlsConfig {
        TlsConfig::builder()
            .skip_system_certs()
            .add_root_cert(&self.ca_der)
            .expect("root")
            .build()
            .expect("client TLS config")
    }

    /// The floor's: plain rustls, ring provider, default versions, this CA.
    pub(crate) fn rustls_client(&self) -> tokio_rustls::TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from(self.ca_der.clone()))
            .expect("root");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(rustls::DEFAULT_VERSIONS)
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        tokio_rustls::TlsConnector::from(Arc::new(config))
    }
}

// ---------------------------------------------------------------------------
// The fixed server
// ---------------------------------------------------------------------------

/// Accepts one connection on a fresh loopback port and serves it; returns
/// the port.
pub(crate) async fn spawn_server(
    frames: &Frames,
    tls: Option<ServerTlsConfig>,
    handshake: bool,
) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let frames = frames.clone();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accept");
        tcp.set_nodelay(true).expect("nodelay");
        match tls {
            Some(tls) => {
                let io = tls.accept(tcp).await.expect("TLS accept");
                serve(io, &frames, handshake).await;
            }
            None => serve(tcp, &frames, handshake).await,
        }
    });
    port
}

/// The raw echo: answers the handshake if asked, then for every whole
/// client frame writes the precomputed server frame. Ends at EOF.
pub(crate) async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut io: S,
    frames: &Frames,
    handshake: bool,
) {
    let mut buf = vec![0u8; READ_BUFFER];
    let mut have = 0;
    if handshake {
        loop {
            match io.read(&mut buf[have..]).await {
                Ok(0) | Err(_) => return,
                Ok(n) => have += n,
            }
            let parsed = handshake::parse_request(&buf[..have], &HandshakeLimits::default())
                .expect("client handshake");
            if let Some(request) = parsed {
                let mut answer = Vec::new();
                request
                    .write_accept(None, &[], &mut answer)
                    .expect("accept");
                let consumed = request.consumed();
                io.write_all(&answer).await.expect("write 101");
                io.flush().await.expect("flush 101");
                buf.copy_within(consumed..have, 0);
                have -= consumed;
                break;
            }
        }
    }
    let want = frames.client.len();
    let prefix = &frames.client_prefix[..];
    loop {
        while have >= want {
            assert_eq!(&buf[..prefix.len()], prefix, "unexpected client frame");
            if io.write_all(&frames.server).await.is_err() || io.flush().await.is_err() {
                return;
            }
            buf.copy_within(want..have, 0);
            have -= want;
        }
        match io.read(&mut buf[have..]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => have += n,
        }
    }
}
