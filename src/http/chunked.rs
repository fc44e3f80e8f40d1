//! The chunked transfer coding (RFC 9112 section 7.1), decoded in place.
//!
//! The decoder walks the encoded bytes and moves each chunk's data down to
//! the end of the data already decoded, inside the same buffer, so the body
//! ends up as one contiguous slice with no allocation. The first chunk's
//! data stays where it arrived (the decoded body starts right after the
//! first size line), so a body sent as one chunk is never moved; only later
//! chunks are. Decoded data never overtakes encoded data (every chunk costs
//! at least 5 bytes of framing), so the move is always safe. Chunk
//! extensions and trailers are skipped. Pure code over a byte slice: no I/O.

use super::error::ResponseError;

/// The longest chunk-size line accepted (size, extensions, CRLF).
const MAX_SIZE_LINE: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Expecting a chunk-size line.
    Size,
    /// Inside a chunk's data, with this many bytes left.
    Data(u64),
    /// Expecting the CRLF that ends a chunk's data.
    DataEnd,
    /// Inside the trailer section, after the last chunk, with this many
    /// trailer bytes read.
    Trailers(usize),
    /// The body is complete.
    Done,
}

/// In-place decoder state for one chunked body.
///
/// # Examples
///
/// ```
/// use tickwire::http::ChunkedDecoder;
///
/// let mut body = *b"4\r\nWiki\r\n6;ext=1\r\npedia \r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
/// let mut decoder = ChunkedDecoder::new(1 << 20, 8192);
/// assert!(decoder.decode(&mut body).unwrap());
/// assert_eq!(&body[decoder.body_range()], b"Wikipedia ");
/// assert_eq!(decoder.body_range(), 3..13); // the first chunk did not move
/// assert_eq!(decoder.decoded(), 10);
/// assert_eq!(&body[decoder.consumed()..], b"NEXT"); // the next response
/// ```
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    /// Where the decoded bytes start: right after the first size line (0
    /// until it has been read).
    start: usize,
    /// Decoded bytes, contiguous from `start`.
    decoded: usize,
    /// Position of the next encoded byte to look at. Never below
    /// `start + decoded` (every method keeps it so; the fast path's copy
    /// relies on it).
    scan: usize,
    max_body: usize,
    max_trailers: usize,
}

impl ChunkedDecoder {
    /// A decoder for a body of at most `max_body` decoded bytes whose
    /// trailers may take at most `max_trailers` bytes.
    pub fn new(max_body: usize, max_trailers: usize) -> Self {
        Self {
            state: State::Size,
            start: 0,
            decoded: 0,
            scan: 0,
            max_body,
            max_trailers,
        }
    }

    /// Makes the decoder ready for a new body, with the same limits.
    pub(crate) fn reset(&mut self) {
        self.state = State::Size;
        self.start = 0;
        self.decoded = 0;
        self.scan = 0;
    }

    /// Decoded body bytes so far: the length of
    /// [`body_range`](Self::body_range).
    pub fn decoded(&self) -> usize {
        self.decoded
    }

    /// Where the decoded bytes lie in the body region:
    /// `body[body_range()]`. It starts at the first chunk's data (the
    /// first chunk is decoded where it arrived) and is empty at 0 until the
    /// first size line has been read.
    pub fn body_range(&self) -> std::ops::Range<usize> {
        self.start..self.start + self.decoded
    }

    /// Encoded bytes used so far; once done, the length of the whole
    /// encoded body (bytes after it belong to the next response).
    pub fn consumed(&self) -> usize {
        self.scan
    }

    /// Whether the last chunk and the trailers have been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Closes the gap between the end of the decoded data and the encoded
    /// bytes not yet used (the framing already read), moving the latter
    /// down. Returns how many bytes at the end of `body` are now free: the
    /// caller drops them from its buffer. Keeps a body sent in tiny chunks
    /// from costing more buffer than its decoded size plus the first size
    /// line (at most 1 KiB) plus one chunk.
    pub fn compact(&mut self, body: &mut [u8]) -> usize {
        let end = self.start + self.decoded;
        let gap = self.scan - end;
        if gap > 0 {
            body.copy_within(self.scan.., end);
            self.scan = end;
        }
        gap
    }

    /// Decodes what `body` holds (the body region as buffered so far, from
    /// its first encoded byte; it may only grow between calls). Returns
    /// whether the body is complete.
    #[inline]
    pub fn decode(&mut self, body: &mut [u8]) -> Result<bool, ResponseError> {
        if self.state == State::Size && self.decode_plain_chunks(body) {
            // The whole body on the fast path: the general loop is not
            // called at all.
            return Ok(true);
        }
        self.decode_general(body)
    }

    /// The general path: any chunk, a byte at a time if need be.
    #[inline(never)]
    fn decode_general(&mut self, body: &mut [u8]) -> Result<bool, ResponseError> {
        loop {
            match self.state {
                State::Done => return Ok(true),
                State::Size => {
                    let found = find_line(&body[self.scan..], MAX_SIZE_LINE)
                        .map_err(|_| ResponseError::InvalidChunkSize)?;
                    let Some(line_len) = found else {
                        return Ok(false);
                    };
                    let line = &body[self.scan..self.scan + line_len - 2];
                    let size = parse_size_line(line)?;
                    self.scan += line_len;
                    if self.decoded == 0 {
                        // The first size line (a chunk has at least one
                        // byte, so later ones find `decoded` above 0): the
                        // decoded body starts at this chunk's data.
                        self.start = self.scan;
                    }
                    if size == 0 {
                        self.state = State::Trailers(0);
                        continue;
                    }
                    let total = (self.decoded as u64).saturating_add(size);
                    if total > self.max_body as u64 {
                        return Err(ResponseError::BodyTooLarge {
                            size: total,
                            limit: self.max_body,
                        });
                    }
                    self.state = State::Data(size);
                }
                State::Data(left) => {
                    let available = body.len() - self.scan;
                    if available == 0 {
                        return Ok(false);
                    }
                    // `left` fits in usize: it is bounded by max_body.
                    let take = available.min(left as usize);
                    let end = self.start + self.decoded;
                    if end != self.scan {
                        body.copy_within(self.scan..self.scan + take, end);
                    }
                    self.decoded += take;
                    self.scan += take;
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        State::DataEnd
                    } else {
                        State::Data(left)
                    };
                }
                State::DataEnd => match body.get(self.scan..self.scan + 2) {
                    None if body.len() - self.scan == 1 && body[self.scan] != b'\r' => {
                        return Err(ResponseError::MissingChunkCrlf);
                    }
                    None => return Ok(false),
                    Some(b"\r\n") => {
                        self.scan += 2;
                        self.state = State::Size;
                    }
                    Some(_) => return Err(ResponseError::MissingChunkCrlf),
                },
                State::Trailers(seen) => {
                    let room = self.max_trailers.saturating_sub(seen).max(2);
                    let found = find_line(&body[self.scan..], room).map_err(|e| match e {
                        LineError::TooLong => ResponseError::HeadTooLarge {
                            limit: self.max_trailers,
                        },
                        LineError::Malformed => ResponseError::MalformedHead,
                    })?;
                    let Some(line_len) = found else {
                        return Ok(false);
                    };
                    let line = &body[self.scan..self.scan + line_len - 2];
                    // A trailer is a field line: `name:value`, no folding.
                    let is_field = line.first().is_some_and(|b| !b.is_ascii_whitespace())
                        && line.contains(&b':');
                    if line_len > 2 && !is_field {
                        return Err(ResponseError::MalformedHead);
                    }
                    self.scan += line_len;
                    if line_len == 2 {
                        self.state = State::Done;
                    } else {
                        self.state = State::Trailers(seen + line_len);
                    }
                }
            }
        }
    }
}

impl ChunkedDecoder {
    /// The fast path: decodes whole chunks with a plain size line (hex
    /// digits and CRLF, no extension) whose data and CRLF have all arrived,
    /// and a plain last chunk with no trailers. Stops, in state `Size`, at
    /// the first chunk that is anything else (not all there, an extension,
    /// over the body limit, malformed) and leaves it to the general path,
    /// which decides it exactly as it would have without this one. Returns
    /// whether the body is complete (state `Done`).
    #[inline]
    fn decode_plain_chunks(&mut self, body: &mut [u8]) -> bool {
        let (mut scan, mut decoded) = (self.scan, self.decoded);
        if decoded == 0 {
            // The first chunk: its data is decoded where it lies.
            let rest = &body[scan..];
            let Some((size, line)) = plain_size_line(rest) else {
                return false;
            };
            let end = line + size;
            if size == 0 {
                if rest.get(end..end + 2) == Some(b"\r\n") {
                    self.start = scan + line;
                    self.scan = scan + end + 2;
                    self.state = State::Done;
                    return true;
                }
                return false;
            }
            if size > self.max_body || rest.get(end..end + 2) != Some(b"\r\n") {
                return false;
            }
            self.start = scan + line;
            decoded = size;
            scan += end + 2;
        }
        let start = self.start;
        let mut done = false;
        loop {
            let rest = &body[scan..];
            if rest.len() < 17 && rest.starts_with(b"0\r\n\r\n") {
                // The usual end: a plain last chunk, no trailers, and
                // nothing after it yet.
                scan += 5;
                self.state = State::Done;
                done = true;
                break;
            }
            let Some((size, line)) = plain_size_line(rest) else {
                break;
            };
            let end = line + size;
            if size == 0 {
                if rest.get(end..end + 2) == Some(b"\r\n") {
                    scan += end + 2;
                    self.state = State::Done;
                    done = true;
                }
                break;
            }
            if decoded + size > self.max_body || rest.get(end..end + 2) != Some(b"\r\n") {
                break;
            }
            // `copy_within` without its bounds checks (about 11
            // instructions a chunk, register spills included). `from +
            // size` is within `body`: the CRLF after it is (just checked).
            // `to < from`: `start + decoded <= scan` always (see `scan`),
            // and `from` is past the size line.
            let (from, to) = (scan + line, start + decoded);
            debug_assert!(to < from && from + size <= body.len());
            // SAFETY: both ranges, `from..from + size` and `to..to + size`,
            // lie within `body` (above); `ptr::copy` allows them to overlap.
            unsafe {
                let base = body.as_mut_ptr();
                std::ptr::copy(base.add(from), base.add(to), size);
            }
            decoded += size;
            scan += end + 2;
        }
        (self.scan, self.decoded) = (scan, decoded);
        done
    }
}

/// Hex digit values; 0xff for every other byte.
const HEX: [u8; 256] = {
    let mut t = [0xff; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// The most hex digits a plain size line may have: 15 (a size below 2^60)
/// where `usize` has 64 bits, 7 where it has 32, so the size never wraps;
/// longer ones go to the general path, which parses into a `u64`.
const PLAIN_DIGITS: usize = usize::BITS as usize / 4 - 1;

/// A size line of 1 to [`PLAIN_DIGITS`] hex digits and CRLF at the start of
/// `bytes`: the size (no overflow) and the line's length.
#[inline(always)]
fn plain_size_line(bytes: &[u8]) -> Option<(usize, usize)> {
    // The longest plain line (at most 15 digits and CRLF) all there: one
    // length check for the whole line instead of one per byte.
    let Some(line) = bytes.first_chunk::<17>() else {
        return plain_size_line_short(bytes);
    };
    // Two digits (a chunk of 16 to 255 bytes, or a smaller one padded):
    // one test for both digits and one for the CRLF, no loop.
    let (high, low) = (HEX[usize::from(line[0])], HEX[usize::from(line[1])]);
    if high | low <= 15 && u16::from_ne_bytes([line[2], line[3]]) == u16::from_ne_bytes(*b"\r\n") {
        return Some((usize::from(high << 4 | low), 4));
    }
    let mut size = 0usize;
    let mut digits = 0;
    while digits < PLAIN_DIGITS {
        let digit = HEX[usize::from(line[digits])];
        if digit > 15 {
            break;
        }
        size = size << 4 | usize::from(digit);
        digits += 1;
    }
    let crlf = u16::from_ne_bytes([line[digits], line[digits + 1]]);
    (digits > 0 && crlf == u16::from_ne_bytes(*b"\r\n")).then_some((size, digits + 2))
}

/// [`plain_size_line`] when fewer than 17 bytes are left (the last chunk,
/// typically), checking each access.
#[inline(always)]
fn plain_size_line_short(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut size = 0usize;
    let mut digits = 0;
    while digits < PLAIN_DIGITS {
        let digit = HEX[usize::from(*bytes.get(digits)?)];
        if digit > 15 {
            break;
        }
        size = size << 4 | usize::from(digit);
        digits += 1;
    }
    (digits > 0 && bytes.get(digits..digits + 2)? == b"\r\n").then_some((size, digits + 2))
}

/// Why a line could not be found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineError {
    /// A bare LF, or a CR not followed by LF.
    Malformed,
    /// No end within the allowed length.
    TooLong,
}

/// Finds a CRLF-terminated line at the start of `bytes`: its length with the
/// CRLF, or `None` if it has not all arrived.
fn find_line(bytes: &[u8], max: usize) -> Result<Option<usize>, LineError> {
    let window = &bytes[..bytes.len().min(max)];
    match window.iter().position(|&b| b == b'\n' || b == b'\r') {
        Some(i) if window[i] == b'\n' => Err(LineError::Malformed),
        Some(i) => match bytes.get(i + 1) {
            Some(b'\n') if i + 2 <= max => Ok(Some(i + 2)),
            Some(b'\n') => Err(LineError::TooLong),
            Some(_) => Err(LineError::Malformed),
            None if i + 1 >= max => Err(LineError::TooLong),
            None => Ok(None),
        },
        None if bytes.len() >= max => Err(LineError::TooLong),
        None => Ok(None),
    }
}

/// Parses `1*HEXDIG [ BWS ; extensions ]` (the line without its CRLF).
fn parse_size_line(line: &[u8]) -> Result<u64, ResponseError> {
    let digits = line
        .iter()
        .position(|b| !b.is_ascii_hexdigit())
        .unwrap_or(line.len());
    if digits == 0 {
        return Err(ResponseError::InvalidChunkSize);
    }
    let mut size: u64 = 0;
    for &b in &line[..digits] {
        let nibble = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => b - b'A' + 10,
        };
        size = size
            .checked_mul(16)
            .and_then(|s| s.checked_add(u64::from(nibble)))
            .ok_or(ResponseError::ChunkSizeOverflow)?;
    }
    let rest = &line[digits..];
    if rest.is_empty() {
        return Ok(size);
    }
    // Whitespace (BWS) may only lead into an extension: `2 ;x`, not `2 `.
    let ext = rest.trim_ascii_start();
    if ext.first() != Some(&b';') {
        return Err(ResponseError::InvalidChunkSize);
    }
    // Extensions are skipped; they may not hold control bytes or DEL.
    if ext.iter().any(|&b| (b < b' ' && b != b'\t') || b == 0x7f) {
        return Err(ResponseError::InvalidChunkSize);
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(encoded: &[u8]) -> Result<(Vec<u8>, usize), ResponseError> {
        let mut buf = encoded.to_vec();
        let mut d = ChunkedDecoder::new(1 << 20, 1024);
        if d.decode(&mut buf)? {
            Ok((buf[d.body_range()].to_vec(), d.consumed()))
        } else {
            Err(ResponseError::UnexpectedEof)
        }
    }

    #[test]
    fn decodes_and_reports_consumed() {
        let (body, used) = decode_all(b"3\r\nabc\r\n0\r\n\r\nrest").unwrap();
        assert_eq!(body, b"abc");
        assert_eq!(used, 13);
    }

    #[test]
    fn the_first_chunk_is_decoded_where_it_lies() {
        // Whole (fast path) and a byte at a time (general path).
        for encoded in [
            &b"5\r\nhello\r\n0\r\n\r\n"[..],
            b"5;x\r\nhello\r\n0\r\n\r\n",
        ] {
            let mut whole = encoded.to_vec();
            let mut d = ChunkedDecoder::new(64, 64);
            assert_eq!(d.decode(&mut whole), Ok(true));
            let line = encoded.iter().position(|&b| b == b'\n').unwrap() + 1;
            assert_eq!(d.body_range(), line..line + 5);
            assert_eq!(whole, encoded, "nothing moved");
            let mut growing = encoded.to_vec();
            let mut g = ChunkedDecoder::new(64, 64);
            for n in 0..=growing.len() {
                if g.decode(&mut growing[..n]) == Ok(true) {
                    break;
                }
            }
            assert_eq!(g.body_range(), line..line + 5);
            assert_eq!(growing, encoded, "nothing moved");
        }
        // Later chunks join it.
        let mut body = *b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let mut d = ChunkedDecoder::new(64, 64);
        assert_eq!(d.decode(&mut body), Ok(true));
        assert_eq!(d.body_range(), 3..8);
        assert_eq!(&body[d.body_range()], b"abcde");
        // An empty body.
        let mut body = *b"0\r\n\r\n";
        let mut d = ChunkedDecoder::new(64, 64);
        assert_eq!(d.decode(&mut body), Ok(true));
        assert!(d.body_range().is_empty());
        assert_eq!(d.consumed(), 5);
    }

    /// As the reader does: decode what has arrived, compact, drop the freed
    /// tail, read on. The buffer never holds more than the first size line,
    /// the decoded bytes and one line not yet complete (6 bytes at most
    /// here).
    #[test]
    fn compact_bounds_the_buffer_and_keeps_the_first_chunk_in_place() {
        let encoded = b"2\r\nab\r\n1\r\nc\r\n1;x\r\nd\r\n3\r\nefg\r\n0\r\nT: 1\r\n\r\nNEXT";
        for step in 1..=7 {
            let mut buf = Vec::new();
            let mut d = ChunkedDecoder::new(64, 64);
            let mut fed = 0;
            let done = loop {
                let n = step.min(encoded.len() - fed);
                buf.extend_from_slice(&encoded[fed..fed + n]);
                fed += n;
                if d.decode(&mut buf) == Ok(true) {
                    break true;
                }
                let freed = d.compact(&mut buf);
                buf.truncate(buf.len() - freed);
                assert!(
                    buf.len() <= d.decoded() + 3 + 6,
                    "step {step}: {}",
                    buf.len()
                );
                if fed >= 3 {
                    assert_eq!(&buf[..3], b"2\r\n", "the first size line stays");
                }
                if fed == encoded.len() {
                    break false;
                }
            };
            assert!(done, "step {step}");
            assert_eq!(d.body_range(), 3..10);
            assert_eq!(&buf[d.body_range()], b"abcdefg");
            buf.extend_from_slice(&encoded[fed..]);
            assert_eq!(&buf[d.consumed()..], b"NEXT", "step {step}");
        }
    }

    #[test]
    fn rejects_bad_framing() {
        assert_eq!(decode_all(b"g\r\n"), Err(ResponseError::InvalidChunkSize));
        assert_eq!(decode_all(b"\r\n"), Err(ResponseError::InvalidChunkSize));
        assert_eq!(decode_all(b"3\nabc"), Err(ResponseError::InvalidChunkSize));
        assert_eq!(
            decode_all(b"3 x\r\nabc"),
            Err(ResponseError::InvalidChunkSize)
        );
        assert_eq!(
            decode_all(b"10000000000000000\r\n"),
            Err(ResponseError::ChunkSizeOverflow)
        );
        assert_eq!(
            decode_all(b"3\r\nabcX\r\n"),
            Err(ResponseError::MissingChunkCrlf)
        );
        assert_eq!(
            decode_all(b"3\r\nabc\rX"),
            Err(ResponseError::MissingChunkCrlf)
        );
        assert!(matches!(
            decode_all(b"200000\r\n"),
            Err(ResponseError::BodyTooLarge { .. })
        ));
        // Largest size that parses, after some decoded bytes: no overflow.
        assert!(matches!(
            decode_all(b"1\r\na\r\nFFFFFFFFFFFFFFFF\r\n"),
            Err(ResponseError::BodyTooLarge { .. })
        ));
    }

    #[test]
    fn extensions_and_whitespace_before_them_are_skipped() {
        let (body, _) = decode_all(b"3 ;a=b\r\nabc\r\n0;last\r\n\r\n").unwrap();
        assert_eq!(body, b"abc");
        assert_eq!(
            decode_all(b"3 \r\nabc\r\n0\r\n\r\n"),
            Err(ResponseError::InvalidChunkSize)
        );
        assert_eq!(
            decode_all(b"3;a\x7f\r\nabc\r\n0\r\n\r\n"),
            Err(ResponseError::InvalidChunkSize)
        );
    }

    /// Decodes `encoded` whole (the fast path takes every complete plain
    /// chunk) and as it grows one byte at a time (the general path takes
    /// each chunk as its size line completes): same answer, same bytes.
    fn whole_equals_growing(encoded: &[u8], max_body: usize) {
        let mut whole = encoded.to_vec();
        let mut d = ChunkedDecoder::new(max_body, 64);
        let got = d.decode(&mut whole);
        let whole_end = (d.body_range(), d.consumed());

        let mut growing = encoded.to_vec();
        let mut g = ChunkedDecoder::new(max_body, 64);
        let mut want = Ok(false);
        for n in 0..=growing.len() {
            want = g.decode(&mut growing[..n]);
            if !matches!(want, Ok(false)) {
                break;
            }
        }
        assert_eq!(got, want, "{:?}", String::from_utf8_lossy(encoded));
        if got == Ok(true) {
            assert_eq!(whole_end, (g.body_range(), g.consumed()));
            assert_eq!(whole[d.body_range()], growing[g.body_range()]);
        }
    }

    #[test]
    fn fast_path_decides_as_the_general_path() {
        for case in [
            &b"3\r\nabc\r\n0\r\n\r\nrest"[..],
            b"3\r\nabc\r\n0\r\nX: 1\r\n\r\n",
            b"3;x\r\nabc\r\n4\r\nabcd\r\n0\r\n\r\n",
            b"3\r\nabcX\r\n",
            b"10\r\n0123456789abcdef\r\n0\r\n\r\n",
            b"fffffffffffffff\r\n",
            b"1\r\na\r\n0\r\n\rX",
        ] {
            whole_equals_growing(case, 12);
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_path_decides_as_the_general_path_on_any_layout(
            chunks in proptest::collection::vec(
                (
                    0usize..20,
                    proptest::sample::select(vec![&b""[..], b";e=1", b" ;x", b"x", b" "]),
                    proptest::sample::select(vec![&b"\r\n"[..], b"\n", b"\r", b"X\n"]),
                    proptest::bool::ANY,
                ),
                0..6,
            ),
            last in proptest::sample::select(vec![&b"0\r\n\r\n"[..], b"0\r\nT: 1\r\n\r\n", b"0\r\n", b"00\r\n\r\n", b""]),
            max_body in 0usize..80,
        ) {
            let mut encoded = Vec::new();
            for (size, ext, end, upper) in chunks {
                let size_line = if upper { format!("{size:X}") } else { format!("{size:x}") };
                encoded.extend_from_slice(size_line.as_bytes());
                encoded.extend_from_slice(ext);
                encoded.extend_from_slice(b"\r\n");
                encoded.extend((0..size).map(|i| b'a' + (i % 26) as u8));
                encoded.extend_from_slice(end);
            }
            encoded.extend_from_slice(last);
            whole_equals_growing(&encoded, max_body);
        }
    }

    proptest::proptest! {
        /// The size line's whole-line fast check against the per-byte one,
        /// on lines of hex digits, CR, LF and other bytes, cut anywhere.
        #[test]
        fn plain_size_line_matches_the_checked_one(
            bytes in proptest::collection::vec(
                proptest::sample::select(b"0123456789abcdefABCDEFgG;\r\n ".to_vec()),
                0..40,
            ),
        ) {
            proptest::prop_assert_eq!(plain_size_line(&bytes), plain_size_line_short(&bytes));
        }

        /// The same on lines shaped like size lines: 1 to 17 digits, an
        /// end that is often a CRLF, and enough bytes after it for the
        /// whole-line check (the two-digit step among them).
        #[test]
        fn plain_size_line_matches_the_checked_one_on_size_lines(
            digits in proptest::collection::vec(
                proptest::sample::select(b"0123456789abcdefABCDEF".to_vec()),
                1..18,
            ),
            end in proptest::sample::select(vec![&b"\r\n"[..], b"\r", b"\n", b";x\r\n", b" \r\n", b"g\r\n", b""]),
            pad in 0usize..20,
        ) {
            let mut bytes = digits;
            bytes.extend_from_slice(end);
            bytes.extend(std::iter::repeat_n(b'7', pad));
            proptest::prop_assert_eq!(plain_size_line(&bytes), plain_size_line_short(&bytes));
        }
    }

    #[test]
    fn plain_size_line_at_its_limits() {
        let mut line = vec![b'f'; PLAIN_DIGITS];
        line.extend_from_slice(b"\r\n00000000000000000000");
        let most = (1 << (4 * PLAIN_DIGITS)) - 1;
        assert_eq!(plain_size_line(&line), Some((most, PLAIN_DIGITS + 2)));
        line.insert(0, b'1'); // one digit more: left to the general path
        assert_eq!(plain_size_line(&line), None);
        assert_eq!(plain_size_line(b"0000000000000a\r\n  "), Some((10, 16)));
        assert_eq!(plain_size_line(b"\r\n000000000000000000"), None);
        assert_eq!(plain_size_line(b"4\rX000000000000000000"), None);
        assert_eq!(plain_size_line(b"4F\r\n000000000000000"), Some((0x4f, 4)));
        assert_eq!(plain_size_line(b"00\r\n000000000000000"), Some((0, 4)));
        assert_eq!(plain_size_line(b"4g\r\n000000000000000"), None);
        assert_eq!(plain_size_line(b"4F\rX000000000000000"), None);
    }

    #[test]
    fn trailers_must_be_field_lines() {
        let (body, _) = decode_all(b"1\r\na\r\n0\r\nX-Sum: 1\r\n\r\n").unwrap();
        assert_eq!(body, b"a");
        assert_eq!(
            decode_all(b"0\r\ngarbage\r\n\r\n"),
            Err(ResponseError::MalformedHead)
        );
        assert_eq!(
            decode_all(b"0\r\nX: 1\r\n folded\r\n\r\n"),
            Err(ResponseError::MalformedHead)
        );
    }
}
