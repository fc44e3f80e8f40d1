//! The one error type of the TLS layer, [`TlsError`], and its mapping onto
//! [`std::io::Error`] for callers that speak only io.

use std::{fmt, io};

use rustls::AlertDescription;
use rustls::pki_types::pem;

/// Why a TLS configuration could not be built or a TLS session not set up.
///
/// Configuration errors ([`NoRootCertificates`](Self::NoRootCertificates),
/// [`InvalidCertificate`](Self::InvalidCertificate), ...) come from the
/// builders; [`Handshake`](Self::Handshake) and [`Io`](Self::Io) from
/// [`TlsConfig::connect`](super::TlsConfig::connect) and
/// [`ServerTlsConfig::accept`](super::ServerTlsConfig::accept). Errors after
/// the handshake are ordinary [`std::io::Error`]s from the stream (see
/// [`MaybeTls`](super::MaybeTls)).
///
/// # Examples
///
/// ```
/// use tickwire::tls::{TlsConfig, TlsError};
///
/// // Nothing could ever be verified: refused when the config is built.
/// let err = TlsConfig::builder().skip_system_certs().build().unwrap_err();
/// assert!(matches!(err, TlsError::NoRootCertificates));
///
/// // Callers that only handle io errors still get a meaningful kind.
/// let io: std::io::Error = err.into();
/// assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum TlsError {
    /// No trust anchor at all: the platform store had no usable certificate
    /// and none was added, or an empty list of client-auth roots was given.
    NoRootCertificates,
    /// A certificate given to a builder could not be parsed or used (a root,
    /// a chain that is empty or malformed).
    InvalidCertificate(rustls::Error),
    /// A PEM bundle could not be read, or held no certificate.
    InvalidPem(pem::Error),
    /// A private key could not be parsed, is of an unsupported type, or does
    /// not match the certificate it came with.
    InvalidPrivateKey(rustls::Error),
    /// The host given to [`connect`](super::TlsConfig::connect) is neither a
    /// DNS name nor an IP address literal.
    InvalidServerName(String),
    /// The TLS handshake failed: the peer's certificate was refused, the peer
    /// refused ours or sent a fatal alert, or no common protocol version,
    /// cipher suite or ALPN protocol was found.
    Handshake(rustls::Error),
    /// The transport failed during the handshake (reset, or closed before the
    /// handshake finished: kind `UnexpectedEof`).
    Io(io::Error),
    /// rustls refused the configuration itself.
    Rustls(rustls::Error),
}

impl TlsError {
    /// Whether a certificate was the cause: ours or the peer's was refused,
    /// or a peer that had to present one presented none.
    ///
    /// True for local verification failures (unknown issuer, name mismatch,
    /// expired, ...) and for the alerts a peer sends when it refuses our
    /// certificate.
    pub fn is_certificate_error(&self) -> bool {
        match self {
            Self::InvalidCertificate(_) => true,
            Self::Handshake(err) => is_certificate_failure(err),
            _ => false,
        }
    }

    /// Whether the transport failed, as opposed to TLS or the configuration.
    pub fn is_io(&self) -> bool {
        matches!(self, Self::Io(_))
    }

    /// Sorts an io error out of tokio-rustls: a rustls error inside is a
    /// failed handshake, anything else is the transport's.
    pub(crate) fn from_handshake(err: io::Error) -> Self {
        if !err
            .get_ref()
            .is_some_and(|inner| inner.is::<rustls::Error>())
        {
            return Self::Io(err);
        }
        let kind = err.kind();
        match err
            .into_inner()
            .map(|inner| inner.downcast::<rustls::Error>())
        {
            Some(Ok(tls)) => Self::Handshake(*tls),
            // Neither arm below can happen (the check above saw a rustls
            // error inside); they rebuild an io error to stay total.
            Some(Err(other)) => Self::Io(io::Error::new(kind, other)),
            None => Self::Io(io::Error::from(kind)),
        }
    }
}

fn is_certificate_failure(err: &rustls::Error) -> bool {
    match err {
        rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented => true,
        rustls::Error::AlertReceived(alert) => matches!(
            alert,
            AlertDescription::BadCertificate
                | AlertDescription::UnsupportedCertificate
                | AlertDescription::CertificateRevoked
                | AlertDescription::CertificateExpired
                | AlertDescription::CertificateUnknown
                | AlertDescription::UnknownCA
                | AlertDescription::CertificateRequired
        ),
        _ => false,
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoRootCertificates => f.write_str(
                "no trusted root certificates: the platform store had none usable and none were added",
            ),
            Self::InvalidCertificate(err) => write!(f, "invalid certificate: {err}"),
            Self::InvalidPem(err) => write!(f, "invalid PEM certificate bundle: {err}"),
            Self::InvalidPrivateKey(err) => write!(f, "invalid private key: {err}"),
            Self::InvalidServerName(host) => {
                write!(f, "invalid server name {host:?}: not a DNS name or IP address")
            }
            Self::Handshake(err) => write!(f, "TLS handshake failed: {err}"),
            Self::Io(err) => write!(f, "io error during the TLS handshake: {err}"),
            Self::Rustls(err) => write!(f, "TLS configuration refused: {err}"),
        }
    }
}

impl std::error::Error for TlsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::NoRootCertificates | Self::InvalidServerName(_) => None,
            Self::InvalidCertificate(err)
            | Self::InvalidPrivateKey(err)
            | Self::Handshake(err)
            | Self::Rustls(err) => Some(err),
            Self::InvalidPem(err) => Some(err),
            Self::Io(err) => Some(err),
        }
    }
}

/// `Io` gives back the transport's error as it was; the rest are wrapped
/// with kind `InvalidData` (certificates, keys, handshake failures),
/// `InvalidInput` (a bad host name) or `NotFound` (no root certificates).
impl From<TlsError> for io::Error {
    fn from(err: TlsError) -> Self {
        let kind = match err {
            TlsError::Io(io) => return io,
            TlsError::InvalidServerName(_) => io::ErrorKind::InvalidInput,
            TlsError::NoRootCertificates => io::ErrorKind::NotFound,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, err)
    }
}
