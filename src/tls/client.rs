//! The connecting side: [`TlsConfig`], its [`TlsConfigBuilder`], and the
//! host-to-server-name rule.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsConnector;

use super::{AlpnList, MaybeTls, TlsError, certified_key, protocol_versions, ring_provider};

/// A client TLS configuration: trusted roots, protocol versions, ALPN and
/// an optional client certificate, ready to [`connect`](Self::connect).
///
/// Built once, shared everywhere: the rustls configuration sits behind an
/// `Arc`, so `clone` is one reference-count increment, and the same value
/// serves every connection (and its session-resumption cache).
///
/// The defaults: the platform's root certificates, TLS 1.3 and 1.2, the
/// `ring` provider, no ALPN, no client certificate, and the server's
/// certificate always checked against the host name given to `connect`.
///
/// # Examples
///
/// ```
/// use tickwire::tls::TlsConfig;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let ca_der = rcgen::generate_simple_self_signed(vec!["localhost".into()])?.cert.der().to_vec();
/// // A private CA only (no platform roots), HTTP/1.1 over TLS 1.3.
/// let config = TlsConfig::builder()
///     .skip_system_certs()
///     .add_root_cert(&ca_der)?
///     .tls13_only()
///     .alpn(&[b"http/1.1"])
///     .build()?;
/// assert_eq!(config.alpn_protocols(), [b"http/1.1".to_vec()]);
///
/// let shared = config.clone(); // cheap: one Arc
/// # drop(shared);
/// # Ok(())
/// # }
/// ```
///
/// Connecting wraps any connected stream (here a TCP socket):
///
/// ```no_run
/// use tickwire::tls::TlsConfig;
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let config = TlsConfig::new()?; // platform roots
/// let tcp = tokio::net::TcpStream::connect(("example.com", 443)).await?;
/// let mut tls = config.connect("example.com", tcp).await?;
/// tls.write_all(b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n").await?;
/// tls.flush().await?;
/// let mut head = [0u8; 12];
/// tls.read_exact(&mut head).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct TlsConfig {
    config: Arc<ClientConfig>,
    roots: usize,
    tls13_only: bool,
    client_auth: bool,
    danger_no_verify: bool,
}

impl TlsConfig {
    /// A configuration that trusts the platform's root certificates (loaded
    /// with `rustls-native-certs`), with every other setting at its default.
    ///
    /// Fails with [`TlsError::NoRootCertificates`] when not a single root
    /// could be loaded. Same as `TlsConfig::builder().build()`.
    pub fn new() -> Result<Self, TlsError> {
        Self::builder().build()
    }

    /// A builder with the defaults of [`new`](Self::new); call
    /// [`skip_system_certs`](TlsConfigBuilder::skip_system_certs) to trust
    /// only the roots you add (private CAs, tests).
    pub fn builder() -> TlsConfigBuilder {
        TlsConfigBuilder {
            system_certs: true,
            roots: RootCertStore::empty(),
            tls13_only: false,
            client_cert: None,
            alpn: Vec::new(),
            danger_no_verify: false,
        }
    }

    /// Runs the client handshake over `stream`, an already connected
    /// transport, for `host`.
    ///
    /// `host` is a DNS name, an IPv4 literal, or an IPv6 literal with or
    /// without brackets (`::1`, `[::1]`), never with a port. A DNS name is
    /// sent as SNI; an IP address never is. The server's certificate must
    /// name `host` (a DNS or IP subject alternative name) and chain to a
    /// trusted root, unless the configuration was built with
    /// [`danger_no_verify`](TlsConfigBuilder::danger_no_verify).
    ///
    /// There is no timeout here: wrap the call in `tokio::time::timeout`.
    pub async fn connect<S>(&self, host: &str, stream: S) -> Result<MaybeTls<S>, TlsError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let name = server_name(host)?;
        let tls = TlsConnector::from(Arc::clone(&self.config))
            .connect(name, stream)
            .await
            .map_err(TlsError::from_handshake)?;
        Ok(MaybeTls::Client(Box::new(tls)))
    }

    /// The ALPN protocols offered, most preferred first (empty: none).
    pub fn alpn_protocols(&self) -> &[Vec<u8>] {
        &self.config.alpn_protocols
    }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("roots", &self.roots)
            .field("tls13_only", &self.tls13_only)
            .field("alpn", &AlpnList(&self.config.alpn_protocols))
            .field("client_auth", &self.client_auth)
            .field("danger_no_verify", &self.danger_no_verify)
            .finish()
    }
}

/// Builds a [`TlsConfig`]; from [`TlsConfig::builder`].
///
/// Every method takes and returns the builder; those that parse their
/// argument return a `Result` and fail at once, so a bad certificate is
/// reported where it was given.
pub struct TlsConfigBuilder {
    system_certs: bool,
    roots: RootCertStore,
    tls13_only: bool,
    client_cert: Option<Arc<CertifiedKey>>,
    alpn: Vec<Vec<u8>>,
    danger_no_verify: bool,
}

impl TlsConfigBuilder {
    /// Does not load the platform's root certificates: only the roots added
    /// with [`add_root_cert`](Self::add_root_cert) or
    /// [`add_root_certs_pem`](Self::add_root_certs_pem) are trusted.
    pub fn skip_system_certs(mut self) -> Self {
        self.system_certs = false;
        self
    }

    /// Trusts one more root certificate, given in DER.
    ///
    /// Fails with [`TlsError::InvalidCertificate`] if it cannot be parsed
    /// into a trust anchor.
    pub fn add_root_cert(mut self, der: &[u8]) -> Result<Self, TlsError> {
        self.roots
            .add(CertificateDer::from(der))
            .map_err(TlsError::InvalidCertificate)?;
        Ok(self)
    }

    /// Trusts every certificate of a PEM bundle (`-----BEGIN CERTIFICATE-----`
    /// sections; other sections are skipped).
    ///
    /// Fails with [`TlsError::InvalidPem`] on a malformed bundle or one with
    /// no certificate, and [`TlsError::InvalidCertificate`] if one of them
    /// cannot be parsed into a trust anchor.
    pub fn add_root_certs_pem(mut self, pem: &[u8]) -> Result<Self, TlsError> {
        let mut added = 0usize;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(TlsError::InvalidPem)?;
            self.roots.add(cert).map_err(TlsError::InvalidCertificate)?;
            added += 1;
        }
        if added == 0 {
            return Err(TlsError::InvalidPem(
                rustls::pki_types::pem::Error::NoItemsFound,
            ));
        }
        Ok(self)
    }

    /// Offers TLS 1.3 only (the default offers 1.3 and 1.2).
    pub fn tls13_only(mut self) -> Self {
        self.tls13_only = true;
        self
    }

    /// Presents a client certificate when the server asks for one (mutual
    /// TLS).
    ///
    /// `chain_der` is the leaf first, then any intermediates, in DER.
    /// `key_der` is the leaf's private key in DER: PKCS#8, PKCS#1 (RSA) or
    /// SEC1 (EC). Fails with [`TlsError::InvalidPrivateKey`] if the key
    /// cannot be parsed or does not match the leaf, and
    /// [`TlsError::InvalidCertificate`] if the chain is empty or the leaf
    /// cannot be parsed.
    pub fn client_cert(
        mut self,
        chain_der: Vec<Vec<u8>>,
        key_der: Vec<u8>,
    ) -> Result<Self, TlsError> {
        let provider = ring_provider();
        self.client_cert = Some(certified_key(&provider, chain_der, key_der)?);
        Ok(self)
    }

    /// Offers these ALPN protocols, most preferred first (e.g. `b"http/1.1"`).
    /// Replaces any list given before; an empty list offers none.
    pub fn alpn(mut self, protocols: &[&[u8]]) -> Self {
        self.alpn = protocols.iter().map(|p| p.to_vec()).collect();
        self
    }

    /// **Dangerous**: accepts any server certificate for any name.
    ///
    /// The connection is still encrypted, and the server still has to prove
    /// it holds the key of the certificate it sent, but nothing says that
    /// certificate is the host's: anyone on the path can impersonate it.
    /// For tests against throw-away certificates only; never in production.
    /// The trusted roots are then not used (nor loaded).
    pub fn danger_no_verify(mut self) -> Self {
        self.danger_no_verify = true;
        self
    }

    /// Builds the configuration.
    ///
    /// Loads the platform's roots here unless skipped. Fails with
    /// [`TlsError::NoRootCertificates`] when, verification being on, no root
    /// at all is trusted; a platform store that fails to load is not an
    /// error as long as some root was added by hand.
    pub fn build(self) -> Result<TlsConfig, TlsError> {
        let provider = ring_provider();
        let mut roots = self.roots;
        if self.system_certs && !self.danger_no_verify {
            let native = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(native.certs);
        }
        if roots.is_empty() && !self.danger_no_verify {
            return Err(TlsError::NoRootCertificates);
        }
        let root_count = roots.len();
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(protocol_versions(self.tls13_only))
            .map_err(TlsError::Rustls)?;
        let builder = if self.danger_no_verify {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyServerCert {
                    algorithms: provider.signature_verification_algorithms,
                }))
        } else {
            builder.with_root_certificates(roots)
        };
        let client_auth = self.client_cert.is_some();
        let mut config = match self.client_cert {
            Some(key) => builder.with_client_cert_resolver(Arc::new(SingleCertAndKey::from(key))),
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = self.alpn;
        Ok(TlsConfig {
            config: Arc::new(config),
            roots: if self.danger_no_verify { 0 } else { root_count },
            tls13_only: self.tls13_only,
            client_auth,
            danger_no_verify: self.danger_no_verify,
        })
    }
}

impl fmt::Debug for TlsConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfigBuilder")
            .field("system_certs", &self.system_certs)
            .field("added_roots", &self.roots.len())
            .field("tls13_only", &self.tls13_only)
            .field("alpn", &AlpnList(&self.alpn))
            .field("client_auth", &self.client_cert.is_some())
            .field("danger_no_verify", &self.danger_no_verify)
            .finish()
    }
}

/// The name to verify and (for a DNS name) to send as SNI. Brackets around
/// an IPv6 literal are stripped; what is inside them must be one.
fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
    let invalid = || TlsError::InvalidServerName(host.to_owned());
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        let ip: Ipv6Addr = inner.parse().map_err(|_| invalid())?;
        return Ok(ServerName::from(IpAddr::V6(ip)));
    }
    ServerName::try_from(host)
        .map(|name| name.to_owned())
        .map_err(|_| invalid())
}

/// The verifier behind [`TlsConfigBuilder::danger_no_verify`]: any chain,
/// any name, but handshake signatures are still checked, so the server must
/// hold the key of the certificate it presents.
#[derive(Debug)]
struct AcceptAnyServerCert {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AcceptAnyServerCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_name_rule() {
        let dns = server_name("example.com").unwrap();
        assert!(matches!(dns, ServerName::DnsName(ref n) if n.as_ref() == "example.com"));
        for ip in ["127.0.0.1", "::1", "[::1]"] {
            assert!(
                matches!(server_name(ip).unwrap(), ServerName::IpAddress(_)),
                "{ip}"
            );
        }
        for bad in [
            "",
            "[example.com]",
            "[127.0.0.1]",
            "example.com:443",
            "a b",
            "[::1",
        ] {
            assert!(
                matches!(server_name(bad), Err(TlsError::InvalidServerName(ref h)) if h == bad),
                "{bad:?}"
            );
        }
    }
}
