//! The accepting side: [`ServerTlsConfig`], for servers and for tests that
//! need a real TLS peer.

use std::fmt;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::server::danger::ClientCertVerifier;
use rustls::server::{VerifierBuilderError, WantsServerCert, WebPkiClientVerifier};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{ConfigBuilder, RootCertStore, ServerConfig, WantsVerifier};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsAcceptor;

use super::{AlpnList, MaybeTls, TlsError, certified_key, protocol_versions, ring_provider};

/// A server TLS configuration: one certificate chain and key, optional
/// ALPN, optional client-certificate requirement.
///
/// The rustls configuration sits behind an `Arc`: `clone` is cheap. The
/// defaults: TLS 1.3 and 1.2, the `ring` provider, no ALPN, no client
/// certificate asked for.
///
/// # Examples
///
/// ```
/// use tickwire::tls::ServerTlsConfig;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()])?;
/// let server = ServerTlsConfig::new(
///     vec![cert.cert.der().to_vec()],
///     cert.signing_key.serialize_der(), // PKCS#8
/// )?
/// .alpn(&[b"http/1.1"]);
/// # drop(server);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ServerTlsConfig {
    config: Arc<ServerConfig>,
    /// What the configuration is rebuilt from when a setting changes.
    parts: ServerParts,
}

#[derive(Clone)]
struct ServerParts {
    /// Both version sets, checked against the provider once in `new`, so
    /// that switching between them later cannot fail.
    default_versions: ConfigBuilder<ServerConfig, WantsVerifier>,
    tls13_versions: ConfigBuilder<ServerConfig, WantsVerifier>,
    provider: Arc<CryptoProvider>,
    key: Arc<CertifiedKey>,
    tls13_only: bool,
    client_verifier: Option<Arc<dyn ClientCertVerifier>>,
    alpn: Vec<Vec<u8>>,
}

impl ServerTlsConfig {
    /// A configuration that presents `chain_der` (leaf first, in DER) and
    /// signs with `key_der` (PKCS#8, PKCS#1 or SEC1, in DER).
    ///
    /// Fails with [`TlsError::InvalidPrivateKey`] if the key cannot be
    /// parsed or does not match the leaf, and
    /// [`TlsError::InvalidCertificate`] if the chain is empty or the leaf
    /// cannot be parsed.
    pub fn new(chain_der: Vec<Vec<u8>>, key_der: Vec<u8>) -> Result<Self, TlsError> {
        let provider = ring_provider();
        let key = certified_key(&provider, chain_der, key_der)?;
        let versions = |tls13_only| {
            ServerConfig::builder_with_provider(Arc::clone(&provider))
                .with_protocol_versions(protocol_versions(tls13_only))
                .map_err(TlsError::Rustls)
        };
        let parts = ServerParts {
            default_versions: versions(false)?,
            tls13_versions: versions(true)?,
            provider: Arc::clone(&provider),
            key,
            tls13_only: false,
            client_verifier: None,
            alpn: Vec::new(),
        };
        Ok(Self {
            config: parts.build(),
            parts,
        })
    }

    /// Selects among these ALPN protocols, most preferred first; a client
    /// that offers none of them is refused (`no_application_protocol`). A
    /// client that offers no ALPN at all is accepted without one.
    pub fn alpn(mut self, protocols: &[&[u8]]) -> Self {
        self.parts.alpn = protocols.iter().map(|p| p.to_vec()).collect();
        self.config = self.parts.build();
        self
    }

    /// Accepts TLS 1.3 only (the default accepts 1.3 and 1.2).
    pub fn tls13_only(mut self) -> Self {
        self.parts.tls13_only = true;
        self.config = self.parts.build();
        self
    }

    /// Requires every client to present a certificate that chains to one of
    /// `ca_der` (DER); a client without one fails the handshake.
    ///
    /// Fails with [`TlsError::NoRootCertificates`] for an empty list and
    /// [`TlsError::InvalidCertificate`] for a root that cannot be parsed.
    pub fn client_auth_roots(mut self, ca_der: &[&[u8]]) -> Result<Self, TlsError> {
        let mut roots = RootCertStore::empty();
        for der in ca_der {
            roots
                .add(CertificateDer::from(*der))
                .map_err(TlsError::InvalidCertificate)?;
        }
        let verifier = WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            Arc::clone(&self.parts.provider),
        )
        .build()
        .map_err(|err| match err {
            VerifierBuilderError::NoRootAnchors => TlsError::NoRootCertificates,
            other => TlsError::Rustls(rustls::Error::General(other.to_string())),
        })?;
        self.parts.client_verifier = Some(verifier);
        self.config = self.parts.build();
        Ok(self)
    }

    /// Runs the server handshake over `stream`, an accepted transport.
    ///
    /// There is no timeout here: wrap the call in `tokio::time::timeout`.
    pub async fn accept<S>(&self, stream: S) -> Result<MaybeTls<S>, TlsError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let tls = TlsAcceptor::from(Arc::clone(&self.config))
            .accept(stream)
            .await
            .map_err(TlsError::from_handshake)?;
        Ok(MaybeTls::Server(Box::new(tls)))
    }
}

impl ServerParts {
    /// Cannot fail: the only fallible step, choosing protocol versions, was
    /// done in [`ServerTlsConfig::new`].
    fn build(&self) -> Arc<ServerConfig> {
        let versions = if self.tls13_only {
            self.tls13_versions.clone()
        } else {
            self.default_versions.clone()
        };
        let verified: ConfigBuilder<ServerConfig, WantsServerCert> = match &self.client_verifier {
            Some(verifier) => versions.with_client_cert_verifier(Arc::clone(verifier)),
            None => versions.with_no_client_auth(),
        };
        let mut config =
            verified.with_cert_resolver(Arc::new(SingleCertAndKey::from(Arc::clone(&self.key))));
        config.alpn_protocols = self.alpn.clone();
        Arc::new(config)
    }
}

impl fmt::Debug for ServerTlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTlsConfig")
            .field("chain_len", &self.parts.key.cert.len())
            .field("tls13_only", &self.parts.tls13_only)
            .field("alpn", &AlpnList(&self.parts.alpn))
            .field("client_auth", &self.parts.client_verifier.is_some())
            .finish()
    }
}
