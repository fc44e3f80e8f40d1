//! [`WsError`]: why a WebSocket stream call failed.

use std::{fmt, io};

use crate::tls::TlsError;
use crate::ws::handshake::HandshakeError;
use crate::ws::{EncodeError, ProtocolError};

/// Which deadline ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// Connecting (TCP and TLS) took longer than the connect timeout.
    Connect,
    /// The opening handshake took longer than the handshake timeout.
    Handshake,
    /// No frame at all arrived within the idle timeout: the peer or the
    /// path to it is dead.
    Idle,
    /// No data frame arrived within the data timeout: the feed stalled
    /// while the connection stayed up.
    Data,
}

/// Why a call on a [`WsStream`](super::WsStream) failed.
///
/// Errors that end the stream are sticky: every later call returns the
/// same kind again (an [`Io`](Self::Io) error comes back as its
/// [`io::ErrorKind`]). Branch with the predicates ([`is_timeout`],
/// [`is_closed`], ...) or match the variants; [`name`](Self::name) gives a
/// short stable name for logs and exit messages.
///
/// [`is_timeout`]: Self::is_timeout
/// [`is_closed`]: Self::is_closed
#[derive(Debug)]
#[non_exhaustive]
pub enum WsError {
    /// The URL is not a `ws://` or `wss://` URL this client can use.
    InvalidUrl(&'static str),
    /// Resolving, connecting, reading or writing failed.
    Io(io::Error),
    /// The TLS handshake or configuration failed.
    Tls(TlsError),
    /// The opening handshake failed.
    Handshake(HandshakeError),
    /// The peer broke the protocol; a Close with the matching code was sent
    /// (as far as the socket took it).
    Protocol(ProtocolError),
    /// A message the stream refused to send; the stream is still usable.
    Encode(EncodeError),
    /// A deadline ran out.
    Timeout(TimeoutKind),
    /// The peer closed the connection without a Close frame.
    ConnectionReset,
    /// The closing handshake is over (or a Close was sent and no more data
    /// may follow): the stream is finished.
    Closed,
    /// An earlier write failed, so the peer may hold part of a frame: the
    /// stream can send nothing more.
    Poisoned(io::ErrorKind),
}

impl WsError {
    /// Whether a deadline ran out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout(_))
    }

    /// Whether the stream is finished: closed cleanly, reset by the peer, or
    /// poisoned by a failed write.
    pub fn is_closed(&self) -> bool {
        matches!(
            self,
            Self::Closed | Self::ConnectionReset | Self::Poisoned(_)
        )
    }

    /// Whether the peer broke the WebSocket protocol.
    pub fn is_protocol(&self) -> bool {
        matches!(self, Self::Protocol(_))
    }

    /// A short, stable name for the error's kind (`"timeout-idle"`,
    /// `"protocol"`, `"io"`, ...), for logs and exit messages.
    pub fn name(&self) -> &'static str {
        match self {
            Self::InvalidUrl(_) => "invalid-url",
            Self::Io(_) => "io",
            Self::Tls(_) => "tls",
            Self::Handshake(_) => "handshake",
            Self::Protocol(_) => "protocol",
            Self::Encode(_) => "encode",
            Self::Timeout(TimeoutKind::Connect) => "timeout-connect",
            Self::Timeout(TimeoutKind::Handshake) => "timeout-handshake",
            Self::Timeout(TimeoutKind::Idle) => "timeout-idle",
            Self::Timeout(TimeoutKind::Data) => "timeout-data",
            Self::ConnectionReset => "connection-reset",
            Self::Closed => "closed",
            Self::Poisoned(_) => "poisoned",
        }
    }

    /// The same error again, for sticky failures (an `Io` error keeps its
    /// kind and message text, not its source chain).
    pub(crate) fn again(&self) -> Self {
        match self {
            Self::InvalidUrl(m) => Self::InvalidUrl(m),
            Self::Io(e) => Self::Io(io::Error::new(e.kind(), e.to_string())),
            Self::Tls(_) => Self::Closed,
            Self::Handshake(e) => Self::Handshake(e.clone()),
            Self::Protocol(e) => Self::Protocol(e.clone()),
            Self::Encode(e) => Self::Encode(e.clone()),
            Self::Timeout(k) => Self::Timeout(*k),
            Self::ConnectionReset => Self::ConnectionReset,
            Self::Closed => Self::Closed,
            Self::Poisoned(k) => Self::Poisoned(*k),
        }
    }
}

impl fmt::Display for WsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUrl(why) => write!(f, "invalid WebSocket URL: {why}"),
            Self::Io(e) => write!(f, "I/O error: {e}"),
            Self::Tls(e) => write!(f, "TLS error: {e}"),
            Self::Handshake(e) => write!(f, "handshake failed: {e}"),
            Self::Protocol(e) => write!(f, "protocol error: {e}"),
            Self::Encode(e) => write!(f, "cannot send: {e}"),
            Self::Timeout(TimeoutKind::Connect) => f.write_str("connect timed out"),
            Self::Timeout(TimeoutKind::Handshake) => f.write_str("handshake timed out"),
            Self::Timeout(TimeoutKind::Idle) => f.write_str("no frame within the idle timeout"),
            Self::Timeout(TimeoutKind::Data) => {
                f.write_str("no data frame within the data timeout")
            }
            Self::ConnectionReset => f.write_str("connection closed without a Close frame"),
            Self::Closed => f.write_str("the WebSocket is closed"),
            Self::Poisoned(kind) => write!(f, "an earlier write failed ({kind}): stream poisoned"),
        }
    }
}

impl std::error::Error for WsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            Self::Tls(e) => Some(e),
            Self::Handshake(e) => Some(e),
            Self::Protocol(e) => Some(e),
            Self::Encode(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for WsError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<ProtocolError> for WsError {
    fn from(e: ProtocolError) -> Self {
        Self::Protocol(e)
    }
}

impl From<HandshakeError> for WsError {
    fn from(e: HandshakeError) -> Self {
        Self::Handshake(e)
    }
}

impl From<EncodeError> for WsError {
    fn from(e: EncodeError) -> Self {
        Self::Encode(e)
    }
}

impl From<TlsError> for WsError {
    fn from(e: TlsError) -> Self {
        Self::Tls(e)
    }
}

impl From<WsError> for io::Error {
    fn from(e: WsError) -> Self {
        match e {
            WsError::Io(e) => e,
            WsError::Timeout(_) => io::Error::new(io::ErrorKind::TimedOut, e),
            WsError::ConnectionReset => io::Error::new(io::ErrorKind::ConnectionReset, e),
            other => io::Error::other(other),
        }
    }
}
