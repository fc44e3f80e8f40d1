//! Checks on caller-supplied request fields, and small formatting helpers.
//! Nothing that could end a line or break the request line gets past these.

use super::error::RequestError;

/// Headers the writer writes itself and a caller may not add.
const RESERVED: [&str; 5] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "te",
];

/// Byte classes, one table lookup per byte.
const TOKEN: u8 = 1;
/// Allowed in a header value: tab, visible ASCII, space, obs-text.
const VALUE: u8 = 2;
/// Allowed in a request path: visible ASCII but `#`, and non-ASCII.
const PATH: u8 = 4;
/// Left as is in a percent-encoded query (RFC 3986 unreserved).
const UNRESERVED: u8 = 8;

const CLASSES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let mut class = 0;
        if c.is_ascii_alphanumeric() {
            class |= TOKEN | UNRESERVED;
        }
        if matches!(
            c,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        ) {
            class |= TOKEN;
        }
        if matches!(c, b'-' | b'.' | b'_' | b'~') {
            class |= UNRESERVED;
        }
        if c == b'\t' || (c >= b' ' && c != 0x7f) {
            class |= VALUE;
        }
        if c > b' ' && c != 0x7f && c != b'#' {
            class |= PATH;
        }
        t[b] = class;
        b += 1;
    }
    t
};

#[inline]
fn all_in(bytes: &[u8], class: u8) -> bool {
    bytes.iter().all(|&b| CLASSES[usize::from(b)] & class != 0)
}

/// The length of the leading run of bytes a query leaves unencoded.
#[inline]
pub(super) fn unreserved_run(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|&b| CLASSES[usize::from(b)] & UNRESERVED == 0)
        .unwrap_or(bytes.len())
}

pub(super) fn has_crlf(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0))
}

pub(super) fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']' | b'_')
}

/// A path: starts with `/` (or is empty, for a base path), no space, `#` or
/// control byte. A request path may carry a query (`/t?a=1`); a base path
/// may not. One pass; the error is worked out only on failure.
#[inline]
pub(super) fn check_path(path: &str, base: bool) -> Result<(), RequestError> {
    let bytes = path.as_bytes();
    let starts_well = (base && bytes.is_empty()) || bytes.first() == Some(&b'/');
    if starts_well && all_in(bytes, PATH) && !(base && bytes.contains(&b'?')) {
        return Ok(());
    }
    Err(if has_crlf(bytes) {
        RequestError::CrlfInjection
    } else {
        RequestError::InvalidPath
    })
}

/// A header a caller may add: token name not managed by the writer, value
/// without control bytes but tab. One pass per field; the error is worked
/// out only on failure.
#[inline]
pub(super) fn check_header(name: &str, value: &[u8]) -> Result<(), RequestError> {
    let name_bytes = name.as_bytes();
    if name_bytes.is_empty() || !all_in(name_bytes, TOKEN) {
        return Err(if has_crlf(name_bytes) || has_crlf(value) {
            RequestError::CrlfInjection
        } else {
            RequestError::InvalidToken
        });
    }
    if !all_in(value, VALUE) {
        return Err(if has_crlf(value) {
            RequestError::CrlfInjection
        } else {
            RequestError::InvalidHeaderValue
        });
    }
    // Only names of a reserved length can be reserved.
    if matches!(name_bytes.len(), 2 | 4 | 10 | 14 | 17)
        && RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name))
    {
        return Err(RequestError::ReservedHeader);
    }
    Ok(())
}

pub(super) fn push_header(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

pub(super) fn itoa_buf() -> [u8; 20] {
    [0u8; 20]
}

/// Writes `n` in decimal at the end of `out`; returns where it starts.
pub(super) fn format_usize(mut n: usize, out: &mut [u8; 20]) -> usize {
    let mut i = out.len();
    loop {
        i -= 1;
        out[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return i;
        }
    }
}
