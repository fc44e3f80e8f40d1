//! HTTP/1.1 head helpers shared by both sides of the handshake: the parse
//! window, header lookups, list splitting and the checks on caller input.

use base64::Engine as _;
use httparse::{Header, Status};

use super::{BASE64, HandshakeError, HandshakeLimits, KEY_LEN, RESERVED_HEADERS};

/// The bytes a parser looks at: those buffered, up to the head-size limit.
/// Bytes past it are never read, which bounds the work of every call.
pub(super) fn head_window<'b>(bytes: &'b [u8], limits: &HandshakeLimits) -> &'b [u8] {
    bytes.get(..limits.max_head_size).unwrap_or(bytes)
}

/// Maps httparse's answer to "complete after n bytes", "need more" or an
/// error, deciding the head-size limit from how much is buffered.
pub(super) fn head_status(
    parsed: httparse::Result<usize>,
    buffered: usize,
    limits: &HandshakeLimits,
) -> Result<Option<usize>, HandshakeError> {
    match parsed {
        Ok(Status::Complete(n)) => Ok(Some(n)),
        // The window was full and still no end: the head is over the limit.
        Ok(Status::Partial) if buffered >= limits.max_head_size => {
            Err(HandshakeError::HeadTooLarge {
                limit: limits.max_head_size,
            })
        }
        Ok(Status::Partial) => Ok(None),
        Err(httparse::Error::TooManyHeaders) => Err(HandshakeError::TooManyHeaders {
            limit: limits.max_headers,
        }),
        Err(_) => Err(HandshakeError::MalformedHead),
    }
}

/// Checks a `Sec-WebSocket-Key`: canonical base64 of exactly 16 bytes.
pub(super) fn check_key(key: &[u8]) -> Result<&str, HandshakeError> {
    let mut decoded = [0u8; 18];
    if key.len() != KEY_LEN || BASE64.decode_slice(key, &mut decoded) != Ok(16) {
        return Err(HandshakeError::InvalidKey);
    }
    std::str::from_utf8(key).map_err(|_| HandshakeError::InvalidKey)
}

/// A header that may appear at most once appeared more than once.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Repeated;

/// The value of the header called `name`, if it appears at most once.
pub(super) fn single<'b>(headers: &[Header<'b>], name: &str) -> Result<Option<&'b [u8]>, Repeated> {
    let mut values = named(headers, name);
    match (values.next(), values.next()) {
        (first, None) => Ok(first),
        (_, Some(_)) => Err(Repeated),
    }
}

/// The values of every header called `name` (ASCII case-insensitive).
pub(super) fn named<'h, 'b>(
    headers: &'h [Header<'b>],
    name: &'h str,
) -> impl Iterator<Item = &'b [u8]> + 'h {
    headers
        .iter()
        .filter(move |h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value)
}

/// The elements of a comma-separated list spread over every header called
/// `name`, trimmed, empty ones skipped (RFC 7230 7).
pub(super) fn list_items<'h, 'b>(
    headers: &'h [Header<'b>],
    name: &'h str,
) -> impl Iterator<Item = &'b [u8]> + 'h {
    named(headers, name)
        .flat_map(|value| value.split(|&b| b == b','))
        .map(<[u8]>::trim_ascii)
        .filter(|item| !item.is_empty())
}

/// Checks an extra header from the caller: a token name the handshake does
/// not control, and a value that cannot end a line.
pub(super) fn check_extra_header(name: &str, value: &str) -> Result<(), HandshakeError> {
    if !is_token(name.as_bytes()) {
        return Err(HandshakeError::InvalidHeaderName);
    }
    if RESERVED_HEADERS
        .iter()
        .any(|r| r.eq_ignore_ascii_case(name))
    {
        return Err(HandshakeError::ReservedHeader);
    }
    check_value(value)
}

/// A header value may hold tab, visible ASCII, space and non-ASCII bytes:
/// no control byte, so no CR, LF or NUL (what httparse accepts back).
pub(super) fn check_value(value: &str) -> Result<(), HandshakeError> {
    let ok = value
        .bytes()
        .all(|b| b == b'\t' || (b' '..=b'~').contains(&b) || b >= 0x80);
    if ok {
        Ok(())
    } else {
        Err(HandshakeError::InvalidHeaderValue)
    }
}

/// A byte allowed in a request target: visible ASCII or non-ASCII.
pub(super) fn is_target_byte(b: u8) -> bool {
    (b'!'..=b'~').contains(&b) || b >= 0x80
}

/// An HTTP token (RFC 7230 3.2.6): one or more `tchar`.
pub(super) fn is_token(s: &[u8]) -> bool {
    !s.is_empty()
        && s.iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Appends `name: value\r\n`; both already checked.
pub(super) fn push_header(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}
