//! [`HandshakeError`]: why an opening handshake failed, and the status a
//! server should refuse it with.

use std::fmt;

/// Why a handshake failed: a peer's head that breaks RFC 6455 or a limit,
/// or a caller's input that could not be written safely.
///
/// Errors from a peer's request know the status to refuse it with: see
/// [`reject_status`](Self::reject_status). Messages never quote header
/// values, which may hold credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The head is not well-formed HTTP/1.x.
    MalformedHead,
    /// The head is longer than the limit, or no end is in sight within it.
    HeadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The head has more headers than the limit.
    TooManyHeaders {
        /// The limit.
        limit: usize,
    },
    /// The message is not HTTP/1.1.
    NotHttp11,
    /// `Upgrade` is missing or does not name `websocket` (a response's must
    /// name only it).
    UpgradeNotWebSocket,
    /// `Connection` is missing or does not list `upgrade`.
    ConnectionNotUpgrade,
    /// The server answered with a status other than 101 (a refusal, a
    /// redirect, an error...).
    UnexpectedStatus(u16),
    /// `Sec-WebSocket-Accept` is missing, repeated, or does not match the key.
    AcceptMismatch,
    /// A subprotocol was chosen that the client did not offer, or more than
    /// one was chosen.
    UnofferedProtocol,
    /// The server answered with `Sec-WebSocket-Extensions`; none was offered.
    UnexpectedExtension,
    /// The request's method is not `GET`.
    MethodNotGet,
    /// The request has no `Host` header.
    MissingHost,
    /// `Sec-WebSocket-Version` is missing, repeated, or not 13. Answer 426.
    UnsupportedVersion,
    /// The request has no `Sec-WebSocket-Key`.
    MissingKey,
    /// `Sec-WebSocket-Key` is repeated or not base64 of 16 bytes.
    InvalidKey,
    /// A header that may appear once is repeated, or its value is not
    /// well-formed (an empty `Host`, an `Origin` that is not UTF-8, a
    /// subprotocol that is not a token). Carries the header's name.
    InvalidHeader(&'static str),
    /// Caller input: a request path that is empty or holds a space or a
    /// control byte.
    InvalidPath,
    /// Caller input: a header name that is not an HTTP token.
    InvalidHeaderName,
    /// Caller input: an empty host, or a header value with a control byte
    /// other than tab (CR, LF and NUL among them).
    InvalidHeaderValue,
    /// Caller input: a header the handshake writes or controls itself.
    ReservedHeader,
    /// Caller input: a subprotocol name that is not an HTTP token.
    InvalidProtocolName,
    /// Caller input: a refusal status outside 400-599.
    InvalidRejectStatus(u16),
    /// The server's own check refused the request with this status.
    Refused(u16),
}

impl HandshakeError {
    /// The status a server should refuse the request with, for errors found
    /// in a client's request: 426 for an unsupported WebSocket version, 431
    /// for a head over the limits, 400 for the rest. `None` for errors only
    /// a client meets and for the caller's own input errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use tickwire::ws::handshake::HandshakeError;
    ///
    /// assert_eq!(HandshakeError::MissingKey.reject_status(), Some(400));
    /// assert_eq!(HandshakeError::UnsupportedVersion.reject_status(), Some(426));
    /// assert_eq!(HandshakeError::AcceptMismatch.reject_status(), None);
    /// ```
    pub const fn reject_status(&self) -> Option<u16> {
        match self {
            Self::UnsupportedVersion => Some(426),
            Self::HeadTooLarge { .. } | Self::TooManyHeaders { .. } => Some(431),
            Self::MalformedHead
            | Self::NotHttp11
            | Self::UpgradeNotWebSocket
            | Self::ConnectionNotUpgrade
            | Self::MethodNotGet
            | Self::MissingHost
            | Self::MissingKey
            | Self::InvalidKey
            | Self::InvalidHeader(_) => Some(400),
            Self::UnexpectedStatus(_)
            | Self::AcceptMismatch
            | Self::UnofferedProtocol
            | Self::UnexpectedExtension
            | Self::InvalidPath
            | Self::InvalidHeaderName
            | Self::InvalidHeaderValue
            | Self::ReservedHeader
            | Self::InvalidProtocolName
            | Self::InvalidRejectStatus(_)
            | Self::Refused(_) => None,
        }
    }
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MalformedHead => f.write_str("malformed HTTP head"),
            Self::HeadTooLarge { limit } => write!(f, "HTTP head over the {limit}-byte limit"),
            Self::TooManyHeaders { limit } => write!(f, "more than {limit} headers"),
            Self::NotHttp11 => f.write_str("not HTTP/1.1"),
            Self::UpgradeNotWebSocket => f.write_str("Upgrade header missing or not websocket"),
            Self::ConnectionNotUpgrade => {
                f.write_str("Connection header missing or without upgrade")
            }
            Self::UnexpectedStatus(code) => write!(f, "server answered {code}, not 101"),
            Self::AcceptMismatch => f.write_str("Sec-WebSocket-Accept missing or wrong"),
            Self::UnofferedProtocol => f.write_str("subprotocol chosen that was not offered"),
            Self::UnexpectedExtension => f.write_str("extension in response, none offered"),
            Self::MethodNotGet => f.write_str("method is not GET"),
            Self::MissingHost => f.write_str("Host header missing"),
            Self::UnsupportedVersion => f.write_str("Sec-WebSocket-Version missing or not 13"),
            Self::MissingKey => f.write_str("Sec-WebSocket-Key missing"),
            Self::InvalidKey => f.write_str("Sec-WebSocket-Key repeated or not 16 bytes of base64"),
            Self::InvalidHeader(name) => write!(f, "{name} header repeated or malformed"),
            Self::InvalidPath => f.write_str("request path empty or with a space or control byte"),
            Self::InvalidHeaderName => f.write_str("header name is not a token"),
            Self::InvalidHeaderValue => {
                f.write_str("empty host, or a control byte in a header value")
            }
            Self::ReservedHeader => f.write_str("header is one the handshake controls"),
            Self::InvalidProtocolName => f.write_str("subprotocol name is not a token"),
            Self::InvalidRejectStatus(code) => write!(f, "refusal status {code} not in 400-599"),
            Self::Refused(status) => write!(f, "the server's check refused the request ({status})"),
        }
    }
}

impl std::error::Error for HandshakeError {}
