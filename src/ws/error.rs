//! Errors of the WebSocket core, and the close code each one sends.
//!
//! Every protocol violation a peer can commit is a [`ProtocolError`] variant
//! that names the close code RFC 6455 section 7.4 says to answer with, so the
//! stream layer never has to guess.

use std::fmt;

/// A WebSocket close status code (RFC 6455 section 7.4).
///
/// # Examples
///
/// ```
/// use tickwire::ws::CloseCode;
///
/// assert!(CloseCode::NORMAL.is_sendable());
/// assert!(!CloseCode(1005).is_sendable()); // "no status": never on the wire
/// assert_eq!(u16::from(CloseCode::PROTOCOL_ERROR), 1002);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: the purpose of the connection was fulfilled.
    pub const NORMAL: Self = Self(1000);
    /// 1001: the endpoint is going away (server shutdown, page navigation).
    pub const GOING_AWAY: Self = Self(1001);
    /// 1002: the peer broke the protocol.
    pub const PROTOCOL_ERROR: Self = Self(1002);
    /// 1003: a data type the endpoint cannot accept.
    pub const UNSUPPORTED_DATA: Self = Self(1003);
    /// 1005: no status code was present. Reserved: never sent in a frame.
    pub const NO_STATUS: Self = Self(1005);
    /// 1006: the connection closed without a Close frame. Reserved: never sent.
    pub const ABNORMAL: Self = Self(1006);
    /// 1007: a text message (or close reason) that is not valid UTF-8.
    pub const INVALID_PAYLOAD: Self = Self(1007);
    /// 1008: a message that violates the endpoint's policy.
    pub const POLICY_VIOLATION: Self = Self(1008);
    /// 1009: a frame or message larger than the endpoint accepts.
    pub const MESSAGE_TOO_BIG: Self = Self(1009);
    /// 1010: the client expected an extension the server did not negotiate.
    pub const MANDATORY_EXTENSION: Self = Self(1010);
    /// 1011: the server hit an unexpected condition.
    pub const INTERNAL_ERROR: Self = Self(1011);
    /// 1012: the service is restarting.
    pub const SERVICE_RESTART: Self = Self(1012);
    /// 1013: try again later.
    pub const TRY_AGAIN_LATER: Self = Self(1013);
    /// 1014: a gateway got a bad answer upstream.
    pub const BAD_GATEWAY: Self = Self(1014);

    /// Whether this code may appear in a Close frame on the wire.
    ///
    /// Allowed: 1000-1003, 1007-1014 (registered), and 3000-4999 (libraries,
    /// frameworks and applications). Everything else, including the reserved
    /// 1004, 1005, 1006 and 1015, is a protocol error when received and is
    /// refused when a caller tries to send it.
    pub const fn is_sendable(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> u16 {
        code.0
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        Self(code)
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A violation of RFC 6455 by the peer, found while decoding frames.
///
/// Each variant knows the close code to answer with: see
/// [`ProtocolError::close_code`]. Once a [`FrameReader`](super::FrameReader)
/// has returned one, it returns the same error on every later call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// RSV1, RSV2 or RSV3 set without a negotiated extension.
    ReservedBits,
    /// An opcode RFC 6455 leaves reserved (3-7, 0xB-0xF).
    UnknownOpcode(u8),
    /// A client received a masked frame (servers must not mask).
    MaskedFrameFromServer,
    /// A server received an unmasked frame (clients must mask).
    UnmaskedFrameFromClient,
    /// A control frame whose payload is over 125 bytes.
    ControlFrameTooLong,
    /// A control frame without the FIN bit.
    FragmentedControlFrame,
    /// A payload length encoded in more bytes than it needs.
    NonMinimalLength,
    /// A 64-bit payload length with its most significant bit set.
    LengthTopBitSet,
    /// A continuation frame with no message in progress.
    UnexpectedContinuation,
    /// A new text or binary frame while a fragmented message is in progress.
    ExpectedContinuation,
    /// A Close frame whose payload is exactly one byte.
    InvalidCloseLength,
    /// A Close frame carrying a code that must never be on the wire.
    InvalidCloseCode(u16),
    /// A text message or close reason that is not valid UTF-8.
    InvalidUtf8,
    /// A frame whose declared payload exceeds the reader's `max_frame_size`.
    FrameTooLarge {
        /// The declared payload length.
        size: u64,
        /// The configured limit.
        max: usize,
    },
    /// A message whose payload would exceed the reader's `max_message_size`.
    MessageTooLarge {
        /// The message length the frame would bring it to.
        size: u64,
        /// The configured limit.
        max: usize,
    },
}

impl ProtocolError {
    /// The close code to send the peer for this violation (RFC 6455 7.4.1).
    ///
    /// # Examples
    ///
    /// ```
    /// use tickwire::ws::{CloseCode, ProtocolError};
    ///
    /// assert_eq!(ProtocolError::InvalidUtf8.close_code(), CloseCode::INVALID_PAYLOAD);
    /// assert_eq!(ProtocolError::ReservedBits.close_code(), CloseCode::PROTOCOL_ERROR);
    /// ```
    pub const fn close_code(&self) -> CloseCode {
        match self {
            Self::InvalidUtf8 => CloseCode::INVALID_PAYLOAD,
            Self::FrameTooLarge { .. } | Self::MessageTooLarge { .. } => CloseCode::MESSAGE_TOO_BIG,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReservedBits => f.write_str("reserved bits set without a negotiated extension"),
            Self::UnknownOpcode(op) => write!(f, "unknown opcode {op:#x}"),
            Self::MaskedFrameFromServer => f.write_str("masked frame received by a client"),
            Self::UnmaskedFrameFromClient => f.write_str("unmasked frame received by a server"),
            Self::ControlFrameTooLong => f.write_str("control frame payload over 125 bytes"),
            Self::FragmentedControlFrame => f.write_str("fragmented control frame"),
            Self::NonMinimalLength => f.write_str("payload length not minimally encoded"),
            Self::LengthTopBitSet => f.write_str("64-bit payload length with top bit set"),
            Self::UnexpectedContinuation => f.write_str("continuation frame without a message"),
            Self::ExpectedContinuation => f.write_str("new data frame inside a fragmented message"),
            Self::InvalidCloseLength => f.write_str("close frame payload of one byte"),
            Self::InvalidCloseCode(code) => write!(f, "close code {code} is not allowed"),
            Self::InvalidUtf8 => f.write_str("invalid UTF-8 in text message or close reason"),
            Self::FrameTooLarge { size, max } => {
                write!(f, "frame of {size} bytes exceeds max_frame_size {max}")
            }
            Self::MessageTooLarge { size, max } => {
                write!(f, "message of {size} bytes exceeds max_message_size {max}")
            }
        }
    }
}

impl std::error::Error for ProtocolError {}

/// A frame the [`FrameWriter`](super::FrameWriter) refused to encode.
///
/// Nothing is written to the buffer when one of these is returned.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// A ping, pong or close payload over 125 bytes.
    ControlPayloadTooLong {
        /// The payload length asked for.
        len: usize,
    },
    /// A close reason over 123 bytes (125 less the two-byte code).
    CloseReasonTooLong {
        /// The reason length asked for.
        len: usize,
    },
    /// A close code that must never be sent (see [`CloseCode::is_sendable`]).
    InvalidCloseCode(u16),
    /// A data frame after a Close frame was written.
    DataAfterClose,
    /// A continuation or final fragment with no fragmented message started,
    /// or a new message started while one is still open.
    FragmentOrder,
    /// The frame does not fit in the write buffer.
    BufferFull(crate::buf::BufferFull),
}

impl From<crate::buf::BufferFull> for EncodeError {
    fn from(e: crate::buf::BufferFull) -> Self {
        Self::BufferFull(e)
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ControlPayloadTooLong { len } => {
                write!(f, "control frame payload of {len} bytes is over 125")
            }
            Self::CloseReasonTooLong { len } => {
                write!(f, "close reason of {len} bytes is over 123")
            }
            Self::InvalidCloseCode(code) => write!(f, "close code {code} may not be sent"),
            Self::DataAfterClose => f.write_str("data frame after close"),
            Self::FragmentOrder => f.write_str("fragment out of order"),
            Self::BufferFull(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for EncodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::BufferFull(e) => Some(e),
            _ => None,
        }
    }
}
