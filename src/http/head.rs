//! The head of an HTTP/1.x response (status line and header fields), parsed
//! in one pass.
//!
//! Owns the head's syntax and what its framing headers say. One walk over
//! the bytes checks the status line and every field line (token name,
//! value bytes, line ends), records each header as offsets into the
//! caller's span array, and, as each line goes by, picks out
//! `Content-Length`, `Transfer-Encoding`, `Connection` and `Keep-Alive` by
//! length and a case-insensitive compare. The reader then never walks the
//! headers again. The commonest shapes take short cuts that give what the
//! general path gives: `HTTP/1.1 200 OK` CRLF in one compare, a
//! `name: value` line with nothing to trim straight off the masks, the
//! CRLF blank line inline.
//!
//! The syntax accepted is exactly httparse's with its default
//! configuration (the crate this replaced; a differential proptest and a
//! fuzz target hold the two together): leading empty lines skipped, LF
//! accepted for CRLF, no obs-fold, no space before the colon, a reason
//! phrase with obs-text reported as empty. It answers as httparse does at
//! every prefix of a head: more bytes needed (`Ok(None)`), malformed, or too
//! many headers (decided, as there, once the first header that does not fit
//! has been read whole).
//!
//! A framing header that says something unacceptable (two lengths, a
//! coding other than chunked) is not a syntax error: it is kept in
//! [`ParsedHead::framing_error`] and reported only once the head is
//! complete and well-formed, so a bad length in a head that is also cut
//! short or malformed gives the answer it always did.
//!
//! Never allocates, never reads outside the slice it is given.

use super::error::ResponseError;
use super::scan::{self, Classify, Masks};

/// A header's position in the response, relative to its first byte.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Span {
    pub(super) name: (u32, u32),
    pub(super) value: (u32, u32),
}

/// Why a head is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HeadError {
    /// Not HTTP/1.x syntax (httparse's every error but `TooManyHeaders`).
    Malformed,
    /// More header lines than the span array holds.
    TooManyHeaders,
}

/// What one pass over a complete head found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ParsedHead {
    /// Bytes up to and including the blank line.
    pub(super) len: usize,
    /// The status code as written: three digits, 000-999.
    pub(super) status: u16,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub(super) minor: u8,
    /// The reason phrase (empty if it holds obs-text, as in httparse).
    pub(super) reason: (u32, u32),
    /// Headers recorded in the span array.
    pub(super) header_count: usize,
    /// What the version and the `Connection` tokens say, in order.
    pub(super) keep_alive: bool,
    /// The last `Keep-Alive` header's `timeout=N`, if well-formed.
    pub(super) keep_alive_timeout: Option<u32>,
    /// The body length all `Content-Length` values agree on.
    pub(super) content_length: Option<usize>,
    /// A `Transfer-Encoding: chunked` header (the only one accepted).
    pub(super) chunked: bool,
    /// The first framing header, in order, that cannot be accepted.
    pub(super) framing_error: Option<ResponseError>,
}

/// Parses the head at the start of `buf`, recording headers in `spans`.
///
/// `Ok(None)`: every byte so far is well-formed but the head is not
/// complete. Offsets are `u32`: heads are kept far below 4 GiB by the
/// reader's limit, and bytes past that are never looked at. (The reader
/// uses [`parse_into`].)
pub(super) fn parse(buf: &[u8], spans: &mut [Span]) -> Result<Option<ParsedHead>, HeadError> {
    let mut head = ParsedHead::default();
    Ok(parse_into(buf, spans, &mut head)?.then_some(head))
}

/// [`parse`] into `head`, which the reader owns, so nothing is copied:
/// `Ok(true)` when the head is complete and `head` describes it (on any
/// other answer `head` holds nothing of use).
#[inline]
pub(super) fn parse_into(
    buf: &[u8],
    spans: &mut [Span],
    head: &mut ParsedHead,
) -> Result<bool, HeadError> {
    #[cfg(target_arch = "x86_64")]
    if let Some(avx2) = scan::Avx2::detect() {
        return parse_avx2(avx2, buf, spans, head);
    }
    parse_baseline(buf, spans, head)
}

/// [`parse_with`] with the classifier every CPU of the target has. Kept
/// out of line so that the reader's `next`, into which [`parse_into`]
/// inlines, does not carry (and set up registers for) a second copy of the
/// parser.
#[inline(never)]
fn parse_baseline(
    buf: &[u8],
    spans: &mut [Span],
    head: &mut ParsedHead,
) -> Result<bool, HeadError> {
    parse_with(scan::BASELINE, buf, spans, head)
}

/// [`parse_with`] compiled for AVX2: `avx2` proves the CPU has it.
#[cfg(target_arch = "x86_64")]
fn parse_avx2(
    avx2: scan::Avx2,
    buf: &[u8],
    spans: &mut [Span],
    head: &mut ParsedHead,
) -> Result<bool, HeadError> {
    #[target_feature(enable = "avx2")]
    fn parse_avx2_inner(
        avx2: scan::Avx2,
        buf: &[u8],
        spans: &mut [Span],
        head: &mut ParsedHead,
    ) -> Result<bool, HeadError> {
        parse_with(avx2, buf, spans, head)
    }
    // SAFETY: an `Avx2` value exists only once the CPU reported AVX2.
    unsafe { parse_avx2_inner(avx2, buf, spans, head) }
}

/// [`parse`] with the chunk classifier `classifier`.
#[inline(always)]
pub(super) fn parse_with<C: Classify>(
    classifier: C,
    buf: &[u8],
    spans: &mut [Span],
    head: &mut ParsedHead,
) -> Result<bool, HeadError> {
    let buf = &buf[..buf.len().min(u32::MAX as usize)];
    let Some(mut pos) = skip_empty_lines(buf)? else {
        return Ok(false);
    };
    let (minor, status, reason);
    if buf.get(pos..pos + 17) == Some(b"HTTP/1.1 200 OK\r\n") {
        // The status line of nearly every answer, in one compare: what the
        // general path below finds for it.
        (minor, status, reason) = (1, 200, (pos as u32 + 13, 2));
        pos += 17;
    } else {
        let Some(line) = status_line(buf, pos)? else {
            return Ok(false);
        };
        (minor, status, reason, pos) = (line.minor, line.status, line.reason, line.next);
    }

    *head = ParsedHead {
        len: 0,
        status,
        minor,
        reason,
        header_count: 0,
        keep_alive: minor >= 1,
        keep_alive_timeout: None,
        content_length: None,
        chunked: false,
        framing_error: None,
    };
    // A slot per header; the count is how many were taken.
    let capacity = spans.len();
    let mut slots = spans.iter_mut();
    loop {
        // Nearly every line: `name: value` and CRLF, read off the masks
        // with nothing to trim.
        let (colon, value_start, value_end, next) = match scan::common(classifier, buf, pos) {
            Some((end, colon)) => (colon, colon + 2, end, end + 2),
            None => {
                if buf.get(pos..pos + 2) == Some(b"\r\n") {
                    // The blank line that ends the head.
                    head.len = pos + 2;
                    head.header_count = capacity - slots.len();
                    return Ok(true);
                }
                // Any other common line: blanks to trim.
                let (end, colon, next) = match Masks::at(classifier, buf, pos).field(buf, pos) {
                    Some((end, colon)) => (end, colon, end + 2),
                    // Any other line (a blank line ended by a bare LF
                    // among them) one byte at a time.
                    _ => match other_line(buf, pos)? {
                        OtherLine::Field { end, colon, next } => (end, colon, next),
                        OtherLine::Blank { next } => {
                            head.len = next;
                            head.header_count = capacity - slots.len();
                            return Ok(true);
                        }
                        OtherLine::Partial => return Ok(false),
                    },
                };
                let (value_start, value_end) = trim_blanks(&buf[colon + 1..end], colon + 1);
                (colon, value_start, value_end, next)
            }
        };
        let Some(slot) = slots.next() else {
            return Err(HeadError::TooManyHeaders);
        };
        *slot = Span {
            name: (pos as u32, (colon - pos) as u32),
            value: (value_start as u32, (value_end - value_start) as u32),
        };
        if matches!(colon - pos, 10 | 14 | 17) {
            framing_header(head, &buf[pos..colon], &buf[value_start..value_end]);
        }
        pos = next;
    }
}

/// A status line as [`status_line`] reads it.
struct StatusLine {
    minor: u8,
    status: u16,
    /// The reason phrase, empty if it holds obs-text (as in httparse).
    reason: (u32, u32),
    /// Where the next line starts.
    next: usize,
}

/// The status line at `pos`, when it is not `HTTP/1.1 200 OK` CRLF.
///
/// Out of line, and with the classifier every CPU of the target has, so
/// that the header loop of each parser is laid out the same whatever this
/// path holds: on CPUs with Intel's JCC erratum, where a loop falls
/// against 32-byte boundaries moves the whole parse by about 8%.
#[cold]
#[inline(never)]
fn status_line(buf: &[u8], pos: usize) -> Result<Option<StatusLine>, HeadError> {
    let Some((minor, status)) = status_code(buf, pos)? else {
        return Ok(None);
    };
    let pos = pos + 12;
    let (reason, next) = match buf.get(pos) {
        None => return Ok(None),
        Some(b' ') => {
            let start = pos + 1;
            let (end, obs_text) = scan::text_end(scan::BASELINE, buf, start).unwrap_or_else(|| {
                let end = scan::end_from(buf, start);
                (end, buf[start..end].iter().any(|&b| b >= 0x80))
            });
            let next = match buf.get(end..end + 2) {
                Some(b"\r\n") => end + 2,
                _ => match line_end(buf, end)? {
                    Some(next) => next,
                    None => return Ok(None),
                },
            };
            // httparse reports a reason with obs-text as empty.
            let reason = if obs_text {
                (0, 0)
            } else {
                (start as u32, (end - start) as u32)
            };
            (reason, next)
        }
        Some(_) => match line_end(buf, pos)? {
            Some(next) => ((0, 0), next),
            None => return Ok(None),
        },
    };
    Ok(Some(StatusLine {
        minor,
        status,
        reason,
        next,
    }))
}

/// A line [`Masks::field`] does not settle, read one byte at a time.
enum OtherLine {
    /// A field line: where its value bytes end, its colon, and where the
    /// next line starts.
    Field {
        end: usize,
        colon: usize,
        next: usize,
    },
    /// The blank line that ends the head; the head's length.
    Blank { next: usize },
    /// More bytes are needed.
    Partial,
}

/// Reads a line the masks do not settle: the blank line, a long line, a
/// name with a byte other than a letter, digit or `-`, an LF line end, or
/// bytes that are no field line at all.
#[cold]
#[inline(never)]
fn other_line(buf: &[u8], pos: usize) -> Result<OtherLine, HeadError> {
    if let Some(b'\r' | b'\n') | None = buf.get(pos) {
        return Ok(match line_end(buf, pos)? {
            Some(next) => OtherLine::Blank { next },
            None => OtherLine::Partial,
        });
    }
    let end = scan::end_from(buf, pos);
    let line = scan::line_reference(buf, pos, end);
    // The name is checked before anything after it, as httparse reads.
    if !line.name_ok {
        return Err(HeadError::Malformed);
    }
    if line.colon == end {
        // No colon before the first non-value byte: malformed once that
        // byte is there, else more bytes may bring the colon.
        return if end < buf.len() {
            Err(HeadError::Malformed)
        } else {
            Ok(OtherLine::Partial)
        };
    }
    Ok(match line_end(buf, end)? {
        Some(next) => OtherLine::Field {
            end,
            colon: line.colon,
            next,
        },
        None => OtherLine::Partial,
    })
}

/// Skips the empty lines httparse skips before a status line; the position
/// of its first byte.
#[inline]
fn skip_empty_lines(buf: &[u8]) -> Result<Option<usize>, HeadError> {
    let mut pos = 0;
    loop {
        match buf.get(pos) {
            None => return Ok(None),
            Some(b'\n') => pos += 1,
            Some(b'\r') => match buf.get(pos + 1) {
                None => return Ok(None),
                Some(b'\n') => pos += 2,
                Some(_) => return Err(HeadError::Malformed),
            },
            Some(_) => return Ok(Some(pos)),
        }
    }
}

/// `HTTP/1.x NNN` at `pos`: the minor version and the code.
#[inline(always)]
fn status_code(buf: &[u8], pos: usize) -> Result<Option<(u8, u16)>, HeadError> {
    if let Some(&[h, t1, t2, p, slash, one, dot, minor, sp, a, b, c]) = buf.get(pos..pos + 12) {
        // One 8-byte compare per version.
        let minor = match u64::from_le_bytes([h, t1, t2, p, slash, one, dot, minor]) {
            v if v == u64::from_le_bytes(*b"HTTP/1.1") => 1,
            v if v == u64::from_le_bytes(*b"HTTP/1.0") => 0,
            _ => return Err(HeadError::Malformed),
        };
        let digit = |d: u8| u16::from(d.wrapping_sub(b'0'));
        let (a, b, c) = (digit(a), digit(b), digit(c));
        if sp != b' ' || a > 9 || b > 9 || c > 9 {
            return Err(HeadError::Malformed);
        }
        return Ok(Some((minor, a * 100 + b * 10 + c)));
    }
    status_code_short(buf, pos)
}

/// [`status_code`] with fewer than 12 bytes: malformed already, or more
/// bytes needed.
#[cold]
fn status_code_short(buf: &[u8], pos: usize) -> Result<Option<(u8, u16)>, HeadError> {
    let rest = &buf[pos..];
    let Some(version) = rest.get(..8) else {
        // Too short to tell: wrong already, or a prefix of a version.
        return if b"HTTP/1.".starts_with(rest) {
            Ok(None)
        } else {
            Err(HeadError::Malformed)
        };
    };
    if !matches!(version, b"HTTP/1.1" | b"HTTP/1.0") {
        return Err(HeadError::Malformed);
    }
    for (i, &b) in rest.iter().enumerate().skip(8) {
        if !(if i == 8 {
            b == b' '
        } else {
            b.is_ascii_digit()
        }) {
            return Err(HeadError::Malformed);
        }
    }
    Ok(None)
}

/// The line end at `at` (the first non-value byte, or the slice's end):
/// where the next line starts. LF and CRLF end a line; any other byte
/// there is malformed.
#[inline]
fn line_end(buf: &[u8], at: usize) -> Result<Option<usize>, HeadError> {
    match buf.get(at) {
        None => Ok(None),
        Some(b'\n') => Ok(Some(at + 1)),
        Some(b'\r') => match buf.get(at + 1) {
            None => Ok(None),
            Some(b'\n') => Ok(Some(at + 2)),
            Some(_) => Err(HeadError::Malformed),
        },
        Some(_) => Err(HeadError::Malformed),
    }
}

/// Where `value` (which starts at `at`) starts and ends without leading
/// and trailing SP and HTAB.
#[inline(always)]
fn trim_blanks(value: &[u8], at: usize) -> (usize, usize) {
    let blank = |b: &u8| matches!(b, b' ' | b'\t');
    match value {
        // Nearly every value: one SP after the colon, no blank at the end.
        [b' ', first, .., last] if !blank(first) && !blank(last) => (at + 1, at + value.len()),
        _ => {
            let lead = value.iter().take_while(|b| blank(b)).count();
            let trail = value[lead..].iter().rev().take_while(|b| blank(b)).count();
            (at + lead, at + value.len() - trail)
        }
    }
}

/// Applies a header whose name is 10, 14 or 17 bytes long, if it is one of
/// the four that frame the body or decide keep-alive: `Content-Length` of
/// plain digits and `Connection: keep-alive` in HTTP/1.1 (the common
/// values) here, anything else out of line. The name is all token bytes,
/// which is what makes [`eq_lower`] exact.
#[inline(always)]
fn framing_header(head: &mut ParsedHead, name: &[u8], value: &[u8]) {
    if head.framing_error.is_some() {
        // The first problem is the one reported; nothing later matters.
        return;
    }
    let first = word(name, 0) | CASE;
    match name.len() {
        14 if first == word(b"content-", 0) && eq_lower(name, b"content-length") => {
            match plain_length(value) {
                Some(n) if head.content_length.is_none_or(|prev| prev == n) => {
                    head.content_length = Some(n);
                }
                _ => content_length(head, value),
            }
        }
        17 if first == word(b"transfer", 0) && eq_lower(name, b"transfer-encoding") => {
            if !head.chunked && is_chunked(value) {
                head.chunked = true;
            } else {
                transfer_encoding(head, value);
            }
        }
        // `keep-alive` in HTTP/1.1 is the default already. (`eq_lower` is
        // exact for value bytes too.)
        10 if first == word(b"connecti", 0)
            && eq_lower(name, b"connection")
            && (head.minor == 0 || !eq_lower(value, b"keep-alive")) =>
        {
            connection(head, value);
        }
        10 if first == word(b"keep-ali", 0) && eq_lower(name, b"keep-alive") => {
            head.keep_alive_timeout = parse_keep_alive_timeout(value);
        }
        _ => {}
    }
}

/// ASCII case folding for the words [`eq_lower`] compares.
const CASE: u64 = 0x2020_2020_2020_2020;

/// The 8 bytes of `b` from `at` (zeros past its end) as a little-endian word.
#[inline(always)]
fn word(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .and_then(|w| w.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

/// Whether `value` is `chunked` in any case: two overlapping 4-byte
/// compares. Exact for any bytes: OR-ing 0x20 maps only `A`-`Z` onto the
/// lowercase letters it compares with.
#[inline(always)]
fn is_chunked(value: &[u8]) -> bool {
    const CASE32: u32 = 0x2020_2020;
    let word32 = |at: usize| {
        value
            .get(at..at + 4)
            .and_then(|w| w.try_into().ok())
            .map_or(0, u32::from_le_bytes)
    };
    value.len() == 7
        && word32(0) | CASE32 == u32::from_le_bytes(*b"chun")
        && word32(3) | CASE32 == u32::from_le_bytes(*b"nked")
}

/// `Content-Length`: one length or a list of equal ones, equal to any
/// earlier `Content-Length`.
#[inline(never)]
fn content_length(head: &mut ParsedHead, value: &[u8]) {
    for item in value.split(|&b| b == b',') {
        match parse_content_length(item.trim_ascii()) {
            Ok(n) if head.content_length.is_none_or(|prev| prev == n) => {
                head.content_length = Some(n);
            }
            Ok(_) => {
                head.framing_error = Some(ResponseError::ConflictingContentLength);
                return;
            }
            Err(e) => {
                head.framing_error = Some(e);
                return;
            }
        }
    }
}

/// `Transfer-Encoding`: only a single, final `chunked` is understood. We
/// never ask for another transfer coding (no TE header is sent).
#[inline(never)]
fn transfer_encoding(head: &mut ParsedHead, value: &[u8]) {
    if head.chunked || !value.eq_ignore_ascii_case(b"chunked") {
        head.framing_error = Some(ResponseError::UnsupportedTransferEncoding);
        return;
    }
    head.chunked = true;
}

/// `Connection`: `close` ends keep-alive; `keep-alive` asks for it in
/// HTTP/1.0. The last of them counts.
#[inline(never)]
fn connection(head: &mut ParsedHead, value: &[u8]) {
    for token in value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
        if token.eq_ignore_ascii_case(b"close") {
            head.keep_alive = false;
        } else if token.eq_ignore_ascii_case(b"keep-alive") && head.minor == 0 {
            head.keep_alive = true;
        }
    }
}

/// Whether `name` equals `lower` (8 to 24 bytes of lowercase letters and
/// `-`) ignoring ASCII case. Exact when `name` holds only token or value
/// bytes: OR-ing 0x20 maps only `A`-`Z` onto `a`-`z`, and nothing onto `-`
/// but CR, which is neither. Compares 8-byte words, the last overlapping.
#[inline(always)]
fn eq_lower(name: &[u8], lower: &[u8]) -> bool {
    let n = lower.len();
    debug_assert!((8..=24).contains(&n));
    let mid = (n - 8).min(8);
    name.len() == n
        && (word(name, 0) | CASE) == word(lower, 0)
        && (word(name, mid) | CASE) == word(lower, mid)
        && (word(name, n - 8) | CASE) == word(lower, n - 8)
}

/// A `Content-Length` of 1 to 19 digits and nothing else (the common case,
/// which cannot overflow a 64-bit `usize`).
#[inline]
fn plain_length(value: &[u8]) -> Option<usize> {
    if value.is_empty() || value.len() > 19 {
        return None;
    }
    let n = value.iter().try_fold(0u64, |n, &d| {
        let d = d.wrapping_sub(b'0');
        (d <= 9).then(|| n * 10 + u64::from(d))
    })?;
    usize::try_from(n).ok()
}

/// `Content-Length`: one or more decimal digits, nothing else.
fn parse_content_length(value: &[u8]) -> Result<usize, ResponseError> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return Err(ResponseError::InvalidContentLength);
    }
    value.iter().try_fold(0usize, |n, &d| {
        n.checked_mul(10)
            .and_then(|n| n.checked_add(usize::from(d - b'0')))
            .ok_or(ResponseError::InvalidContentLength)
    })
}

/// The `timeout=N` parameter of a `Keep-Alive` header, if well-formed.
fn parse_keep_alive_timeout(value: &[u8]) -> Option<u32> {
    value.split(|&b| b == b',').find_map(|param| {
        let (key, val) = param
            .trim_ascii()
            .split_at(param.trim_ascii().iter().position(|&b| b == b'=')?);
        if !key.trim_ascii().eq_ignore_ascii_case(b"timeout") {
            return None;
        }
        std::str::from_utf8(&val[1..]).ok()?.trim().parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::is_chunked;

    #[test]
    fn is_chunked_is_exact() {
        for yes in [&b"chunked"[..], b"CHUNKED", b"ChUnKeD"] {
            assert!(is_chunked(yes), "{yes:?}");
        }
        for no in [
            &b"chunke"[..],
            b"chunked ",
            b" chunked",
            b"chunkeD\0",
            b"chunkes",
            b"chunk\x0bd",
            b"\x03hunked",
            b"chun\x0ced",
            b"",
        ] {
            assert!(!is_chunked(no), "{no:?}");
        }
        // Every byte in every position: only the letter, in either case.
        for pos in 0..7 {
            for b in 0..=255u8 {
                let mut value = *b"chunked";
                value[pos] = b;
                assert_eq!(
                    is_chunked(&value),
                    value.eq_ignore_ascii_case(b"chunked"),
                    "{value:?}"
                );
            }
        }
    }
}
