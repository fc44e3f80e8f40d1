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
/// `?`: where a request path's query starts.
const QMARK: u8 = 16;
/// A path byte other than `?`: a path without a query is all of these.
const PLAIN_PATH: u8 = 32;

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
/// byte, no branch until the end. The reference the windowed checks below
/// are tested against, and the check for fields only ever seen once.
#[inline]
fn all_in(bytes: &[u8], class: u8) -> bool {
    bytes
        .iter()
        .fold(class, |all, &b| all & CLASSES[usize::from(b)])
        != 0
}

/// RFC 3986 unreserved: `A-Z a-z 0-9 - . _ ~`. The same set as the
/// `UNRESERVED` class, as arithmetic the compiler can run on 16 lanes.
#[inline(always)]
fn is_unreserved(b: u8) -> bool {
    // `|`, not `||`: no branches, so a loop of these vectorises.
    let folded = b | 0x20; // ASCII letters to lower case
    (folded.wrapping_sub(b'a') < 26)
        | (b.wrapping_sub(b'0') < 10)
        | (b.wrapping_sub(b'-') < 2) // `-` or `.`
        | (b == b'_')
        | (b == b'~')
}

/// Whether every byte of a fixed-size window passes `ok`: no early exit,
/// so the loop becomes a few SIMD compares and one mask test.
#[inline(always)]
fn window<const N: usize>(w: &[u8; N], ok: impl Fn(u8) -> bool) -> bool {
    w.iter().fold(true, |all, &b| all & ok(b))
}

/// `0x01` in every byte of a word.
const LOW_BITS: u64 = u64::from_le_bytes([0x01; 8]);
/// `0x80` in every byte of a word.
const HIGH_BITS: u64 = u64::from_le_bytes([0x80; 8]);

/// Non-zero if some byte of `word` is below `n` (`n` at most 128): the
/// subtraction borrows into a byte's top bit only from a byte below `n`,
/// and `!word` drops bytes that had it set already.
#[inline(always)]
const fn any_below(word: u64, n: u8) -> u64 {
    word.wrapping_sub(LOW_BITS * n as u64) & !word & HIGH_BITS
}

/// Non-zero if some byte of `word` is `b`.
#[inline(always)]
const fn any_equal(word: u64, b: u8) -> u64 {
    any_below(word ^ (LOW_BITS * b as u64), 1)
}

/// Non-zero if some byte of `word` is not `PLAIN_PATH`: a space or control
/// byte, DEL, `#` or `?`. Eight bytes in a dozen word operations.
#[inline(always)]
const fn plain_path_miss(word: u64) -> u64 {
    any_below(word, 0x21) | any_equal(word, 0x7f) | any_equal(word, b'#') | any_equal(word, b'?')
}

/// Whether every byte is `PLAIN_PATH`, eight at a time in a `u64` (the
/// last word overlaps the one before it; shorter paths are read as two
/// overlapping halves of one word).
#[inline(always)]
fn all_plain_path(bytes: &[u8]) -> bool {
    let word = |b: &[u8; 8]| u64::from_le_bytes(*b);
    let half = |b: &[u8; 4]| u64::from(u32::from_le_bytes(*b));
    if let Some(tail) = bytes.last_chunk::<8>() {
        let (words, _) = bytes.as_chunks::<8>();
        let miss = words.iter().fold(plain_path_miss(word(tail)), |miss, w| {
            miss | plain_path_miss(word(w))
        });
        return miss == 0;
    }
    if let (Some(head), Some(tail)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        return plain_path_miss(half(head) | half(tail) << 32) == 0;
    }
    all_in(bytes, PLAIN_PATH)
}

/// Whether every byte of a short field passes `ok`, tested over at most
/// two overlapping windows of 4, 8 or 16 bytes (a byte seen twice does no
/// harm: the test is per byte). The windows are fixed-size arrays and the
/// loops over them have no early exit, so the compiler runs each window as
/// a handful of SIMD compares (SSE2 here); no `unsafe`, no
/// target-specific code. Longer fields go 16 bytes at a time; fields
/// under 4 bytes take one lookup per byte in `class` (the same set as
/// `ok`: a test proves it).
#[inline(always)]
fn all_bytes(bytes: &[u8], ok: impl Fn(u8) -> bool + Copy, class: u8) -> bool {
    if let Some(tail) = bytes.last_chunk::<16>() {
        let (chunks, _) = bytes.as_chunks::<16>();
        for chunk in chunks {
            if !window(chunk, ok) {
                return false;
            }
        }
        return window(tail, ok);
    }
    match (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        (Some(head), Some(tail)) => window(head, ok) & window(tail, ok),
        _ => match (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
            (Some(head), Some(tail)) => window(head, ok) & window(tail, ok),
            _ => all_in(bytes, class),
        },
    }
}

/// Whether a query key or value goes out as is: every byte unreserved.
#[inline(always)]
pub(super) fn all_unreserved(bytes: &[u8]) -> bool {
    all_bytes(bytes, is_unreserved, UNRESERVED)
}

/// Copies `src` to `dst` (the same length) and says whether every byte
/// was unreserved, so it goes out as is; when not, `dst` holds junk the
/// caller does not keep. Each window is loaded once, tested and stored.
#[inline(always)]
pub(super) fn copy_unreserved(dst: &mut [u8], src: &[u8]) -> bool {
    let n = src.len();
    if n != dst.len() {
        return false; // never: the caller splits `dst` to `src`'s length
    }
    if n > 16 {
        dst.copy_from_slice(src);
        return all_unreserved(src);
    }
    if let (Some(head), Some(tail)) = (src.first_chunk::<8>(), src.last_chunk::<8>()) {
        dst[..8].copy_from_slice(head);
        dst[n - 8..].copy_from_slice(tail);
        return window(head, is_unreserved) & window(tail, is_unreserved);
    }
    if let (Some(head), Some(tail)) = (src.first_chunk::<4>(), src.last_chunk::<4>()) {
        dst[..4].copy_from_slice(head);
        dst[n - 4..].copy_from_slice(tail);
        return window(head, is_unreserved) & window(tail, is_unreserved);
    }
    for (d, &b) in dst.iter_mut().zip(src) {
        *d = b;
    }
    all_in(src, UNRESERVED)
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

/// The longest `Content-Length` head: name, 20 digits, CRLF CRLF.
pub(super) const CL_HEAD_MAX: usize = 16 + 20 + 4;

/// `Content-Length: n` and the blank line after it, formatted right-aligned
/// in one stack buffer; the head is `&buf[start..]`, so it goes out with
/// one copy.
#[inline]
pub(super) fn content_length_head(mut n: usize) -> ([u8; CL_HEAD_MAX], usize) {
    const NAME: &[u8; 16] = b"Content-Length: ";
    let mut buf = [0u8; CL_HEAD_MAX];
    buf[CL_HEAD_MAX - 4..].copy_from_slice(b"\r\n\r\n");
    // Digits from the right; at most 20 of them, so `i` stays >= 16.
    let mut i = CL_HEAD_MAX - 4;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let start = i - NAME.len();
    buf[start..i].copy_from_slice(NAME);
    (buf, start)
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn in_class(b: u8, class: u8) -> bool {
        CLASSES[usize::from(b)] & class != 0
    }

    #[test]
    fn arithmetic_classes_match_the_table() {
        for b in 0..=255u8 {
            assert_eq!(is_unreserved(b), in_class(b, UNRESERVED), "{b:#04x}");
            assert_eq!(
                in_class(b, PLAIN_PATH),
                in_class(b, PATH) && b != b'?',
                "{b:#04x}"
            );
            let word = u64::from_le_bytes([b; 8]);
            assert_eq!(
                plain_path_miss(word) == 0,
                in_class(b, PLAIN_PATH),
                "{b:#04x}"
            );
        }
    }

    /// Every length up to 64, one refused byte at every offset among
    /// accepted ones (and none): the windowed and word checks agree with
    /// the table wherever the odd byte sits.
    #[test]
    fn one_odd_byte_at_every_offset() {
        let odd_ones = [
            0u8, b'\r', b'\n', b' ', b'#', b'?', b'%', b'/', 0x7f, 0x80, 0xff,
        ];
        for len in 0..=64 {
            let good: Vec<u8> = (0..len).map(|i| b"aZ09-._~"[i % 8]).collect();
            assert!(all_unreserved(&good) && all_plain_path(&good), "{len}");
            for at in 0..len {
                for &odd in &odd_ones {
                    let mut bytes = good.clone();
                    bytes[at] = odd;
                    assert_eq!(all_unreserved(&bytes), all_in(&bytes, UNRESERVED));
                    assert_eq!(all_plain_path(&bytes), all_in(&bytes, PLAIN_PATH));
                }
            }
        }
    }

    fn field() -> impl Strategy<Value = Vec<u8>> {
        let byte = prop_oneof![
            8 => prop::sample::select(b"azAZ09-._~".to_vec()),
            1 => any::<u8>(),
        ];
        prop::collection::vec(byte, 0..80)
    }

    proptest! {
        #[test]
        fn windowed_checks_match_the_table(bytes in field()) {
            prop_assert_eq!(all_unreserved(&bytes), all_in(&bytes, UNRESERVED));
            prop_assert_eq!(all_plain_path(&bytes), all_in(&bytes, PLAIN_PATH));
            let mut dst = vec![0u8; bytes.len()];
            prop_assert_eq!(copy_unreserved(&mut dst, &bytes), all_in(&bytes, UNRESERVED));
            prop_assert_eq!(dst, bytes);
        }

        #[test]
        fn content_length_head_is_decimal(n in any::<usize>()) {
            let (buf, at) = content_length_head(n);
            let expected = format!("Content-Length: {n}\r\n\r\n");
            prop_assert_eq!(&buf[at..], expected.as_bytes());
        }
    }
}
