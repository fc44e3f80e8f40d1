//! Errors of the HTTP/1.1 codec: what the request writer refuses to write
//! and what the response reader refuses to read.

use std::fmt;

/// A request the [`RequestWriter`](super::RequestWriter) refused to build.
///
/// Nothing refused is ever written: the writer's buffer holds no partial
/// request afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// CR, LF or NUL in a method, path, query, header name or value: the
    /// bytes could end a line and smuggle a header or a request.
    CrlfInjection,
    /// A path that is empty, does not start with `/`, or holds a space,
    /// `#` or another control byte.
    InvalidPath,
    /// A header name that is not an HTTP token, or a method that is not one.
    InvalidToken,
    /// A header value with a control byte other than tab.
    InvalidHeaderValue,
    /// A host that is empty or holds a byte other than letters, digits,
    /// `.`, `-`, `_`, `:`, `[` and `]`.
    InvalidHost,
    /// A header the writer manages itself (`Host`, `Content-Length`,
    /// `Transfer-Encoding`, `Connection`), or `TE` (the reader accepts no
    /// transfer coding but chunked, so none may be asked for).
    ReservedHeader,
    /// The request does not fit in the writer's buffer.
    BufferFull {
        /// At least this many bytes would be needed (the end of the first
        /// write that did not fit).
        needed: usize,
        /// The buffer's size.
        capacity: usize,
    },
    /// A [`Request`](super::Request) handle from another writer, or one a
    /// later request has replaced.
    StaleRequest,
    /// The signing hook failed.
    Signer(String),
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CrlfInjection => f.write_str("CR, LF or NUL in a request field"),
            Self::InvalidPath => f.write_str("invalid request path"),
            Self::InvalidToken => f.write_str("method or header name is not an HTTP token"),
            Self::InvalidHeaderValue => f.write_str("control byte in a header value"),
            Self::InvalidHost => f.write_str("invalid host"),
            Self::ReservedHeader => f.write_str("header is managed by the writer"),
            Self::BufferFull { needed, capacity } => write!(
                f,
                "request of {needed} bytes does not fit the {capacity}-byte buffer"
            ),
            Self::StaleRequest => f.write_str("request handle is stale or from another writer"),
            Self::Signer(why) => write!(f, "request signer failed: {why}"),
        }
    }
}

impl std::error::Error for RequestError {}

/// A response the [`ResponseReader`](super::ResponseReader) refused.
///
/// Each is final for the connection: its framing can no longer be trusted,
/// so the connection must be closed, never reused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseError {
    /// The status line or a header is not valid HTTP/1.x.
    MalformedHead,
    /// The head (or the trailers) passed the size limit.
    HeadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// More headers than the limit.
    TooManyHeaders {
        /// The limit.
        limit: usize,
    },
    /// A body over the limit, decided from its declared length (or chunk
    /// size) before it is read.
    BodyTooLarge {
        /// The size the body would reach.
        size: u64,
        /// The limit.
        limit: usize,
    },
    /// Both `Content-Length` and `Transfer-Encoding` (a smuggling vector).
    LengthAndTransferEncoding,
    /// Several `Content-Length` values that differ.
    ConflictingContentLength,
    /// A `Content-Length` that is not plain decimal digits, or overflows.
    InvalidContentLength,
    /// A `Transfer-Encoding` other than a single, final `chunked`.
    UnsupportedTransferEncoding,
    /// A chunk size that is not hexadecimal, or a malformed size line.
    InvalidChunkSize,
    /// A chunk size too large to represent.
    ChunkSizeOverflow,
    /// Chunk data not followed by CRLF.
    MissingChunkCrlf,
    /// The peer closed before the response was complete.
    UnexpectedEof,
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MalformedHead => f.write_str("malformed response head"),
            Self::HeadTooLarge { limit } => write!(f, "response head over {limit} bytes"),
            Self::TooManyHeaders { limit } => write!(f, "more than {limit} response headers"),
            Self::BodyTooLarge { size, limit } => {
                write!(
                    f,
                    "response body of {size} bytes over the {limit}-byte limit"
                )
            }
            Self::LengthAndTransferEncoding => {
                f.write_str("both Content-Length and Transfer-Encoding")
            }
            Self::ConflictingContentLength => f.write_str("conflicting Content-Length values"),
            Self::InvalidContentLength => f.write_str("invalid Content-Length"),
            Self::UnsupportedTransferEncoding => {
                f.write_str("Transfer-Encoding other than a final chunked")
            }
            Self::InvalidChunkSize => f.write_str("invalid chunk size line"),
            Self::ChunkSizeOverflow => f.write_str("chunk size overflows"),
            Self::MissingChunkCrlf => f.write_str("chunk data not followed by CRLF"),
            Self::UnexpectedEof => f.write_str("connection closed before the response ended"),
        }
    }
}

impl std::error::Error for ResponseError {}
