//! TLS for the client's connections: a client configuration that verifies
//! servers against trusted roots ([`TlsConfig`]), an accepting side for
//! servers and tests ([`ServerTlsConfig`]), and one stream type for plain
//! and TLS transports ([`MaybeTls`]). The guide is `docs/tls.md`.
//!
//! This module owns the rustls configuration: the `ring` provider (never
//! the process-wide default provider, never aws-lc-rs), the protocol
//! versions, root loading, the SNI rule (DNS names are sent, IP addresses
//! never), certificate and name verification, client certificates and
//! ALPN. It takes an already connected stream and hands back a stream.
//!
//! It must never open sockets, resolve names, set socket options, read a
//! clock for timeouts or spawn tasks (the connector above does that), and
//! never hide a truncation: EOF without `close_notify` stays an
//! `UnexpectedEof` error for the WebSocket layer to judge.

#![forbid(unsafe_code)]

mod client;
mod error;
mod server;
mod stream;

use std::fmt;
use std::sync::Arc;

use rustls::SupportedProtocolVersion;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

pub use client::{TlsConfig, TlsConfigBuilder};
pub use error::TlsError;
pub use server::ServerTlsConfig;
pub use stream::MaybeTls;

static TLS13_ONLY: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13];

/// The crypto provider of every configuration built here. Explicit, so
/// that nothing depends on (or installs) the process-wide default.
fn ring_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// TLS 1.3 alone, or TLS 1.3 and 1.2 (rustls's defaults).
fn protocol_versions(tls13_only: bool) -> &'static [&'static SupportedProtocolVersion] {
    if tls13_only {
        TLS13_ONLY
    } else {
        rustls::DEFAULT_VERSIONS
    }
}

/// Parses a chain and its key, and checks that the key is the leaf's.
fn certified_key(
    provider: &CryptoProvider,
    chain_der: Vec<Vec<u8>>,
    key_der: Vec<u8>,
) -> Result<Arc<CertifiedKey>, TlsError> {
    if chain_der.is_empty() {
        return Err(TlsError::InvalidCertificate(
            rustls::Error::NoCertificatesPresented,
        ));
    }
    let chain = chain_der.into_iter().map(CertificateDer::from).collect();
    let key = PrivateKeyDer::try_from(key_der)
        .map_err(|why| TlsError::InvalidPrivateKey(rustls::Error::General(why.to_owned())))?;
    CertifiedKey::from_der(chain, key, provider)
        .map(Arc::new)
        .map_err(|err| match err {
            rustls::Error::InvalidCertificate(_) => TlsError::InvalidCertificate(err),
            other => TlsError::InvalidPrivateKey(other),
        })
}

/// Shows ALPN protocol ids as text where they are (`"http/1.1"`), bytes
/// where they are not.
struct AlpnList<'a, T>(&'a [T]);

impl<T: AsRef<[u8]>> fmt::Debug for AlpnList<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for id in self.0 {
            let id = id.as_ref();
            match std::str::from_utf8(id) {
                Ok(text) => list.entry(&text),
                Err(_) => list.entry(&id),
            };
        }
        list.finish()
    }
}
