//! Checks on caller-supplied request fields, and small formatting helpers.
//! Nothing that could end a line or break the request line gets past these.

use super::error::RequestError;

/// Headers the writer writes itself and a caller may not add.
const RESERVED: [&str; 4] = ["host", "content-length", "transfer-encoding", "connection"];

pub(super) fn has_crlf(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0))
}

pub(super) fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']' | b'_')
}

/// A path: starts with `/` (or is empty, for a base path), no space, `#` or
/// control byte. A request path may carry a query (`/t?a=1`); a base path
/// may not.
pub(super) fn check_path(path: &str, base: bool) -> Result<(), RequestError> {
    if has_crlf(path.as_bytes()) {
        return Err(RequestError::CrlfInjection);
    }
    let starts_well = (base && path.is_empty()) || path.starts_with('/');
    let bytes_ok = path
        .bytes()
        .all(|b| b > b' ' && b != 0x7f && b != b'#' && !(base && b == b'?'));
    if starts_well && bytes_ok {
        Ok(())
    } else {
        Err(RequestError::InvalidPath)
    }
}

/// A header a caller may add: token name not managed by the writer, value
/// without control bytes but tab.
pub(super) fn check_header(name: &str, value: &[u8]) -> Result<(), RequestError> {
    if has_crlf(name.as_bytes()) || has_crlf(value) {
        return Err(RequestError::CrlfInjection);
    }
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    {
        return Err(RequestError::InvalidToken);
    }
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name)) {
        return Err(RequestError::ReservedHeader);
    }
    if !value
        .iter()
        .all(|&b| b == b'\t' || (b >= b' ' && b != 0x7f))
    {
        return Err(RequestError::InvalidHeaderValue);
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
