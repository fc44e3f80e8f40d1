//! Checks on caller-supplied request fields, and small formatting helpers.
//! Nothing that could end a line or break the request line gets past these.

use super::error::RequestError;

mod scan;

pub(super) use scan::copy_pair_unreserved;
use scan::{all_plain_path, plain_header};

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
/// `?`: where a request path's query starts.
const QMARK: u8 = 16;
/// A path byte other than `?`: a path without a query is all of these.
const PLAIN_PATH: u8 = 32;

/// Whether `c` may appear in a header name (RFC 9110 `tchar`): the one
/// definition behind the writer's and the response parser's tables.
pub(super) const fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
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
        )
}

/// Whether `c` may appear in a header value: HTAB, SP, visible ASCII and
/// obs-text, no other control byte and no DEL (shared like [`is_tchar`]).
pub(super) const fn is_value_byte(c: u8) -> bool {
    c == b'\t' || (c >= b' ' && c != 0x7f)
}

const CLASSES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let mut class = 0;
        if is_tchar(c) {
            class |= TOKEN;
        }
        if c.is_ascii_alphanumeric() {
            class |= UNRESERVED;
        }
        if matches!(c, b'-' | b'.' | b'_' | b'~') {
            class |= UNRESERVED;
        }
        if is_value_byte(c) {
            class |= VALUE;
        }
        if c > b' ' && c != 0x7f && c != b'#' {
            class |= PATH;
        }
        if c == b'?' {
            class |= QMARK;
        } else if class & PATH != 0 {
            class |= PLAIN_PATH;
        }
        t[b] = class;
        b += 1;
    }
    t
};

/// Whether every byte is in `class`: one table lookup and one AND per
/// byte, no branch until the end. The reference the fast checks in `scan`
/// are tested against, and their test for fields under 4 bytes.
#[inline]
fn all_in(bytes: &[u8], class: u8) -> bool {
    bytes
        .iter()
        .fold(class, |all, &b| all & CLASSES[usize::from(b)])
        != 0
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

/// A request path (below the base path): one pass checks it and looks for
/// the `?` that starts its query, whose offset it returns. The position is
/// looked up only when the pass saw one; the error is worked out only on
/// failure.
#[inline(always)]
pub(super) fn scan_request_path(bytes: &[u8]) -> Result<Option<usize>, RequestError> {
    if bytes.first() == Some(&b'/') && all_plain_path(bytes) {
        return Ok(None);
    }
    scan_path_slow(bytes)
}

/// [`scan_request_path`] for a path with a query, or one refused.
#[inline(never)]
fn scan_path_slow(bytes: &[u8]) -> Result<Option<usize>, RequestError> {
    let (mut all, mut any) = (PATH, 0);
    for &b in bytes {
        let class = CLASSES[usize::from(b)];
        all &= class;
        any |= class;
    }
    if all != 0 && bytes.first() == Some(&b'/') {
        return Ok(if any & QMARK != 0 {
            bytes.iter().position(|&b| b == b'?')
        } else {
            None
        });
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
    if plain_header(name.as_bytes(), value) {
        return check_reserved(name);
    }
    check_header_slow(name, value)
}

/// [`check_header`] for a header with a byte the fast test does not
/// accept (tab, obs-text, a token byte outside the unreserved set) or a
/// refused one: the table scans decide, and pick the error.
#[inline(never)]
fn check_header_slow(name: &str, value: &[u8]) -> Result<(), RequestError> {
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
    check_reserved(name)
}

/// `ReservedHeader` for a name the writer manages; only names of a
/// reserved length are compared.
#[inline]
fn check_reserved(name: &str) -> Result<(), RequestError> {
    if matches!(name.len(), 2 | 4 | 10 | 14 | 17)
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

/// The longest `Content-Length` head: name, 20 digits, CRLF CRLF.
pub(super) const CL_HEAD_MAX: usize = 16 + 20 + 4;

/// `Content-Length: n` and the blank line after it, formatted right-aligned
/// in one stack buffer; the head is `&buf[start..]`, so it goes out with
/// one copy. Digits go two at a time from a table.
#[inline(always)]
pub(super) fn content_length_head(mut n: usize) -> ([u8; CL_HEAD_MAX], usize) {
    const NAME: &[u8; 16] = b"Content-Length: ";
    /// "00" to "99".
    const PAIRS: [u8; 200] = {
        let mut pairs = [0u8; 200];
        let mut i = 0;
        while i < 100 {
            pairs[2 * i] = b'0' + (i / 10) as u8;
            pairs[2 * i + 1] = b'0' + (i % 10) as u8;
            i += 1;
        }
        pairs
    };
    let mut buf = [0u8; CL_HEAD_MAX];
    buf[CL_HEAD_MAX - 4..].copy_from_slice(b"\r\n\r\n");
    // At most 20 digits, so `i` stays at 16 or more.
    let mut i = CL_HEAD_MAX - 4;
    while n >= 100 {
        let pair = 2 * (n % 100);
        n /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[2 * n..2 * n + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + n as u8;
    }
    let start = i - NAME.len();
    buf[start..i].copy_from_slice(NAME);
    (buf, start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn content_length_head_is_decimal(
            n in prop_oneof![0usize..100_000, any::<usize>(), Just(usize::MAX)],
        ) {
            let (buf, at) = content_length_head(n);
            let expected = format!("Content-Length: {n}\r\n\r\n");
            prop_assert_eq!(&buf[at..], expected.as_bytes());
        }
    }
}
