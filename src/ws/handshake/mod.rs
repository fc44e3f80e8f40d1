//! The WebSocket opening handshake (RFC 6455 section 4), sans-IO.
//!
//! Client side: a [`ClientHandshake`] writes the upgrade request and checks
//! the server's answer. Server side: [`parse_request`] reads and checks the
//! client's request, then [`ClientRequest::write_accept`] or [`write_reject`]
//! write the answer. Both parsers take every byte buffered so far, answer
//! `Ok(None)` until the head is complete, and then say how many bytes the
//! head used: whatever follows it already belongs to the frame reader.
//!
//! This module owns HTTP/1.1 head syntax only as far as the handshake needs
//! it (through `httparse`, with a fixed header array on the stack). It must
//! never read a socket or a clock, draw randomness except from the
//! [`RandomSource`](crate::rng::RandomSource) it is handed, panic on any input, or write a byte a
//! caller supplied without first checking that it cannot end a line.
//!
//! # Cost
//!
//! The parsers keep no state: a caller offers the whole buffer again as
//! bytes arrive, and each call parses it from the start. Bytes past the
//! head-size limit are never looked at, so a call costs at most one
//! `httparse` pass over `max_head_size` bytes, and a peer that trickles a
//! head a byte at a time costs at most `max_head_size` such calls (about
//! 20 ms of CPU in all for the default 8 KiB, in a release build; the
//! syscalls to receive those bytes cost as much). Errors are found as early
//! as the bytes show them: `httparse` stops at the first bad byte and as
//! soon as the header line past the count limit ends, and the size limit is
//! decided as soon as that many bytes are buffered.
//!
//! A cheaper pre-scan for the blank line that ends a head was tried and
//! measured: without `memchr` or `unsafe`, a byte scan is several times
//! slower than `httparse`'s SIMD parse, so it is not used. A reader that
//! remembers how far it has parsed would make the trickle case linear if it
//! ever matters.
//!
//! # Examples
//!
//! Both sides, end to end:
//!
//! ```
//! use tickwire::rng::SeededRng;
//! use tickwire::ws::handshake::{self, ClientHandshake, HandshakeLimits};
//!
//! let mut rng = SeededRng::from_seed(7);
//! let client = ClientHandshake::new("feed.example.com", "/v1/stream?depth=10", &mut rng)
//!     .protocol("json.v2");
//! let mut request = Vec::new();
//! client.write_request(&mut request).unwrap();
//!
//! let limits = HandshakeLimits::default();
//! let req = handshake::parse_request(&request, &limits).unwrap().unwrap();
//! assert_eq!(req.path(), "/v1/stream?depth=10");
//! assert_eq!(req.protocols(), ["json.v2"]);
//! let mut response = Vec::new();
//! req.write_accept(Some("json.v2"), &[], &mut response).unwrap();
//!
//! response.extend_from_slice(b"\x81\x02hi"); // a first frame, in the same read
//! let accepted = client.read_response(&response).unwrap().unwrap();
//! assert_eq!(accepted.protocol(), Some("json.v2"));
//! assert_eq!(&response[accepted.consumed()..], b"\x81\x02hi");
//! ```

#![forbid(unsafe_code)]
mod client;
mod error;
mod head;
mod server;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha1::{Digest as _, Sha1};

pub use client::{Accepted, ClientHandshake};
pub use error::HandshakeError;
pub use server::{ClientRequest, parse_request, write_reject};

use client::read_response_for;
/// The GUID RFC 6455 appends to the key before hashing it.
const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A `Sec-WebSocket-Key`: 16 random bytes, base64 with padding.
const KEY_LEN: usize = 24;

/// A `Sec-WebSocket-Accept`: a SHA-1 digest (20 bytes), base64 with padding.
const ACCEPT_LEN: usize = 28;

/// Headers a caller may not add: the handshake writes them itself, or they
/// would change how the bytes after the head are read.
const RESERVED_HEADERS: [&str; 11] = [
    "host",
    "upgrade",
    "connection",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-accept",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
    "origin",
    "content-length",
    "transfer-encoding",
];

/// The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key`:
/// base64(SHA-1(key + the RFC 6455 GUID)), as ASCII bytes.
///
/// `key` is the header value exactly as sent (the base64 text, not the
/// bytes it decodes to).
///
/// # Examples
///
/// The example from RFC 6455 section 1.3:
///
/// ```
/// use tickwire::ws::handshake::accept_key;
///
/// assert_eq!(&accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="), b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// ```
pub fn accept_key(key: &[u8]) -> [u8; 28] {
    let digest = Sha1::new().chain_update(key).chain_update(GUID).finalize();
    encode_base64(&digest)
}

/// Encodes `input` as padded base64 into exactly `N` bytes.
fn encode_base64<const N: usize>(input: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    // The only callers pass 16 bytes for N = 24 (a key) and 20 bytes for
    // N = 28 (an accept): exactly the padded encoded lengths, so the output
    // always fits and this cannot fail.
    let written = BASE64.encode_slice(input, &mut out);
    debug_assert_eq!(written, Ok(N));
    out
}

/// Limits on a handshake head, applied by both parsers.
///
/// A head (start line, headers and the blank line) longer than
/// [`max_head_size`](Self::max_head_size) bytes, or with more than
/// [`max_headers`](Self::max_headers) headers, is an error as soon as the
/// buffered bytes show it, however much more the peer would send.
///
/// # Examples
///
/// ```
/// use tickwire::ws::handshake::HandshakeLimits;
///
/// let limits = HandshakeLimits::new().with_max_head_size(4096).with_max_headers(32);
/// assert_eq!(limits.max_head_size(), 4096);
/// assert_eq!(HandshakeLimits::default().max_headers(), 64);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeLimits {
    max_head_size: usize,
    max_headers: usize,
}

impl HandshakeLimits {
    /// The default head-size limit: 8 KiB.
    pub const DEFAULT_MAX_HEAD_SIZE: usize = 8 * 1024;
    /// The default header-count limit: 64.
    pub const DEFAULT_MAX_HEADERS: usize = 64;
    /// The most headers a head may be allowed: the size of the header array
    /// the parsers keep on the stack.
    pub const HEADER_CAPACITY: usize = 128;

    /// The default limits: an 8 KiB head with at most 64 headers.
    pub const fn new() -> Self {
        Self {
            max_head_size: Self::DEFAULT_MAX_HEAD_SIZE,
            max_headers: Self::DEFAULT_MAX_HEADERS,
        }
    }

    /// Sets the longest head accepted, in bytes.
    pub const fn with_max_head_size(mut self, bytes: usize) -> Self {
        self.max_head_size = bytes;
        self
    }

    /// Sets the most headers accepted, at most
    /// [`HEADER_CAPACITY`](Self::HEADER_CAPACITY) (larger values are clamped).
    pub const fn with_max_headers(mut self, count: usize) -> Self {
        self.max_headers = if count > Self::HEADER_CAPACITY {
            Self::HEADER_CAPACITY
        } else {
            count
        };
        self
    }

    /// The longest head accepted, in bytes.
    pub const fn max_head_size(&self) -> usize {
        self.max_head_size
    }

    /// The most headers accepted.
    pub const fn max_headers(&self) -> usize {
        self.max_headers
    }
}

impl Default for HandshakeLimits {
    fn default() -> Self {
        Self::new()
    }
}

/// Fuzz entry point: runs [`parse_request`] over `data` and checks its
/// invariants. Panics only if one is broken.
///
/// A complete request's head must fit in the buffer and the limit, parse
/// the same on its own, and be answerable with an accept the client side
/// takes; `Ok(None)` must mean the limit is not reached; a refusal status
/// must be writable.
#[doc(hidden)]
pub fn fuzz_request(data: &[u8]) {
    let limits = HandshakeLimits::default();
    match parse_request(data, &limits) {
        Ok(Some(request)) => {
            let consumed = request.consumed();
            assert!(consumed <= data.len() && consumed <= limits.max_head_size());
            let head = data.get(..consumed).unwrap_or_default();
            let again = parse_request(head, &limits);
            assert!(matches!(again, Ok(Some(r)) if r.consumed() == consumed));

            let chosen = request.protocols().first().copied();
            let mut response = Vec::new();
            assert!(request.write_accept(chosen, &[], &mut response).is_ok());
            let accept = accept_key(request.key().as_bytes());
            let checked = read_response_for(&response, &limits, &accept, request.protocols());
            let accepted = checked.ok().flatten();
            assert!(
                accepted
                    .as_ref()
                    .is_some_and(|a| a.consumed() == response.len())
            );
            assert_eq!(accepted.as_ref().and_then(Accepted::protocol), chosen);
        }
        Ok(None) => assert!(data.len() < limits.max_head_size()),
        Err(error) => {
            let _ = error.to_string();
            if let Some(status) = error.reject_status() {
                let mut response = Vec::new();
                assert!(write_reject(status, &[], &mut response).is_ok());
            }
        }
    }
}

/// Fuzz entry point: runs [`ClientHandshake::read_response`] over `data`
/// for a fixed handshake (seeded from `SeededRng::from_seed(0)`, offering
/// `chat` and `superchat`) and checks its invariants. Panics only if one is
/// broken.
#[doc(hidden)]
pub fn fuzz_response(data: &[u8]) {
    let mut rng = crate::rng::SeededRng::from_seed(0);
    let client = ClientHandshake::new("example.com", "/", &mut rng)
        .protocol("chat")
        .protocol("superchat");
    let limits = HandshakeLimits::default();
    match client.read_response(data) {
        Ok(Some(accepted)) => {
            let consumed = accepted.consumed();
            assert!(consumed <= data.len() && consumed <= limits.max_head_size());
            assert!(matches!(
                accepted.protocol(),
                None | Some("chat" | "superchat")
            ));
            let head = data.get(..consumed).unwrap_or_default();
            assert_eq!(client.read_response(head), Ok(Some(accepted)));
        }
        Ok(None) => assert!(data.len() < limits.max_head_size()),
        Err(error) => {
            let _ = error.to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::head::{check_key, is_token};
    use super::*;
    use httparse::Status;

    #[test]
    fn key_check_wants_canonical_base64_of_16_bytes() {
        assert!(check_key(b"dGhlIHNhbXBsZSBub25jZQ==").is_ok());
        assert!(check_key(b"dGhlIHNhbXBsZSBub25jZQ").is_err()); // unpadded
        assert!(check_key(b"dGhlIHNhbXBsZSBub25jZR==").is_err()); // trailing bits
        assert!(check_key(b"dGhlIHNhbXBsZSBub25jZQAA").is_err()); // 18 bytes
        assert!(check_key(b"dGhlIHNhbXBsZSBub25j").is_err()); // 15 bytes
        assert!(check_key(b"dGhlIHNhbXBsZSBub25jZ!==").is_err());
    }

    #[test]
    fn generated_keys_are_valid_and_differ_by_seed() {
        let a = ClientHandshake::new("h", "/", &mut crate::rng::SeededRng::from_seed(1));
        let b = ClientHandshake::new("h", "/", &mut crate::rng::SeededRng::from_seed(2));
        assert!(check_key(a.key().as_bytes()).is_ok());
        assert_ne!(a.key(), b.key());
        assert_eq!(a.accept, accept_key(a.key().as_bytes()));
    }

    #[test]
    fn tokens() {
        assert!(is_token(b"chat.v2+json"));
        assert!(!is_token(b""));
        assert!(!is_token(b"a b"));
        assert!(!is_token(b"a,b"));
        assert!(!is_token(b"a:b"));
    }

    #[test]
    fn every_reject_status_is_writable() {
        for status in 400..=599 {
            let mut out = Vec::new();
            write_reject(status, &[], &mut out).unwrap();
            let mut headers = [httparse::EMPTY_HEADER; 8];
            let mut response = httparse::Response::new(&mut headers);
            assert_eq!(response.parse(&out), Ok(Status::Complete(out.len())));
            assert_eq!(response.code, Some(status));
        }
        assert!(write_reject(101, &[], &mut Vec::new()).is_err());
        assert!(write_reject(600, &[], &mut Vec::new()).is_err());
    }
}
