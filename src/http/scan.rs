//! Byte classes of a response head, and the scan that finds a field
//! line's end, its colon, and whether its name is well-formed.
//!
//! Owns the two classes the head grammar needs (RFC 9110 `tchar` for names;
//! HTAB, SP, VCHAR and obs-text for values and the reason phrase: the same
//! sets httparse uses) and the bit masks a line is read off: non-value
//! bytes (a control byte other than HTAB, or DEL; CR and LF are such bytes,
//! so this is where a line ends or goes wrong), and "odd" bytes, all but
//! letters, digits and `-`. Nearly every header name is made only of
//! those, so the first odd byte of a line is its colon; any other line is
//! read one byte at a time against the exact token table. Each line is
//! classified from its own first byte, 32 bytes at a time ([`common`]
//! takes a second 32 only for a line that runs past the first), so the
//! parser carries no masks from one line to the next: a line of up to 64
//! bytes before its CRLF is read off them with two trailing-zero counts.
//!
//! The classifiers: 32-byte AVX2 vectors where the CPU reports AVX2 at
//! run time (two nibble-table lookups a vector), 16-byte SSE2 vectors on
//! any other x86_64 CPU, and elsewhere the byte-class table, which is also
//! the reference every vector path is tested against, byte value by byte
//! value at every position. Nothing here reads outside the slice it is
//! given, allocates or panics.

use super::check::{is_tchar, is_value_byte};

/// Whether `b` may appear in a header name (RFC 9110 `tchar`).
#[inline]
fn is_token(b: u8) -> bool {
    CLASSES[usize::from(b)] & TOKEN != 0
}

const TOKEN: u8 = 1;
const VALUE: u8 = 2;
const COMMON: u8 = 4;

const CLASSES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let token = is_tchar(b);
        let value = is_value_byte(b);
        let common = b.is_ascii_alphanumeric() || b == b'-';
        t[i] = (if token { TOKEN } else { 0 })
            | (if value { VALUE } else { 0 })
            | (if common { COMMON } else { 0 });
        i += 1;
    }
    t
};

/// A field line read one byte at a time (see [`line_reference`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Line {
    /// The first non-value byte, or the slice's length.
    pub(super) end: usize,
    /// The first `:` before `end`, or `end` if there is none.
    pub(super) colon: usize,
    /// Whether the bytes from the line's start to `colon` are a name: at
    /// least one, all token bytes.
    pub(super) name_ok: bool,
}

/// The masks of 64 bytes: bit `i` stands for byte `pos + i`, where `pos`
/// is where they were taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Masks {
    /// Non-value bytes. Bytes past the slice's end count as such, so a scan
    /// always stops.
    bad: u64,
    /// Bytes other than letters, digits and `-`.
    odd: u64,
}

impl Masks {
    /// The masks of the 64 bytes from `pos`: bit `i` stands for byte
    /// `pos + i`, and bytes past the slice's end count as non-value bytes.
    #[inline(always)]
    pub(super) fn at<C: Classify>(classifier: C, buf: &[u8], pos: usize) -> Self {
        classify(classifier, buf, pos)
    }

    /// The common field line at `pos` (the masks' first byte), read off
    /// the masks: its end and its colon, if its name is made of letters,
    /// digits and `-`, so that the first byte that is none of those is the
    /// colon, the colon is within 64 bytes, and CRLF ends the line within
    /// 65. `None` for any other line (the caller then reads it with
    /// [`line_reference`]).
    #[inline(always)]
    pub(super) fn field(self, buf: &[u8], pos: usize) -> Option<(usize, usize)> {
        // Every non-value byte is odd too, so `to_colon <= to_end`. With no
        // non-value byte in the 64 (`to_end` 64), the CR found at `pos + 64`
        // below is the first one all the same.
        let to_end = self.bad.trailing_zeros() as usize;
        let to_colon = self.odd.trailing_zeros() as usize;
        let (end, colon) = (pos + to_end, pos + to_colon);
        // `0 < to_colon < to_end` in one compare.
        (to_colon.wrapping_sub(1) < to_end.wrapping_sub(1)
            && buf.get(colon) == Some(&b':')
            && matches!(buf.get(end..), Some([b'\r', b'\n', ..])))
        .then_some((end, colon))
    }
}

/// The commonest field line at `pos`: what [`Masks::field`] settles,
/// narrowed to a colon followed by exactly one SP and a value that neither
/// starts nor ends with SP or HTAB, so the value is `colon + 2 .. end` with
/// no trimming. Classifies the 32 bytes from `pos`, and the next 32 only if
/// the line runs past them (a zero-padded copy where `buf` ends first).
/// Returns the line's end and its colon.
#[inline(always)]
pub(super) fn common<C: Classify>(classifier: C, buf: &[u8], pos: usize) -> Option<(usize, usize)> {
    let rest = buf.get(pos..)?;
    // Near the slice's end, the zero-padded copy (bytes past the end are
    // non-value bytes, so the line cannot run past it).
    let tail = |rest| {
        let m = classifier.classify_tail(rest);
        (
            m.bad.trailing_zeros() as usize,
            m.odd.trailing_zeros() as usize,
        )
    };
    let (to_end, to_colon) = match rest.get(..32) {
        Some(first) => match classifier.classify32(first) {
            Masks32 { bad, odd, .. } if bad != 0 => {
                (bad.trailing_zeros() as usize, odd.trailing_zeros() as usize)
            }
            Masks32 { bad, odd, .. } => match rest.get(32..64) {
                Some(second) => {
                    let next = classifier.classify32(second);
                    (
                        (u64::from(bad) | u64::from(next.bad) << 32).trailing_zeros() as usize,
                        (u64::from(odd) | u64::from(next.odd) << 32).trailing_zeros() as usize,
                    )
                }
                None => tail(rest),
            },
        },
        None => tail(rest),
    };
    let (end, colon) = (pos + to_end, pos + to_colon);
    // `0 < to_colon < to_end` (every non-value byte is odd too, so a colon
    // past the end is never taken); then one bounds check, for the CRLF,
    // covers every read below.
    if to_colon.wrapping_sub(1) >= to_end.wrapping_sub(1) {
        return None;
    }
    let line = buf.get(..end + 2)?;
    debug_assert!(pos < colon && colon < end && end + 2 == line.len());
    // SAFETY: `colon < end` (`to_colon < to_end` above), so every index
    // read here is below `end + 2`, the length of `line`.
    unsafe {
        line.get_unchecked(end..end + 2) == b"\r\n"
            && line.get_unchecked(colon..colon + 2) == b": "
            && *line.get_unchecked(colon + 2) > b' '
            && *line.get_unchecked(end - 1) > b' '
    }
    .then_some((end, colon))
}

/// The first non-value byte at or after `pos` within 32 bytes, and
/// whether a byte before it is obs-text (0x80 and up): a reason phrase's
/// end. `None` if it is further, or fewer than 32 bytes follow `pos`.
#[inline(always)]
pub(super) fn text_end<C: Classify>(
    classifier: C,
    buf: &[u8],
    pos: usize,
) -> Option<(usize, bool)> {
    let m = classifier.classify32(buf.get(pos..)?.get(..32)?);
    let to_end = m.bad.trailing_zeros();
    // `to_end` is below 32 whenever `bad` is not 0.
    (m.bad != 0).then(|| (pos + to_end as usize, m.high & ((1 << to_end) - 1) != 0))
}

/// The classifier every CPU of this target can run: SSE2 on x86_64, else
/// the table.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub(super) const BASELINE: Sse2 = Sse2;
/// The classifier every CPU of this target can run: SSE2 on x86_64, else
/// the table.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub(super) const BASELINE: Table = Table;

/// The first non-value byte at or after `from`, or the slice's length,
/// 64 bytes at a time: for lines the masks do not settle.
#[inline(never)]
pub(super) fn end_from(buf: &[u8], from: usize) -> usize {
    let mut at = from;
    loop {
        let bad = classify(BASELINE, buf, at).bad;
        if bad != 0 {
            return (at + bad.trailing_zeros() as usize).min(buf.len());
        }
        at += 64;
    }
}

/// The line `buf[from..end]` (`end` where its value bytes stop) read one
/// byte at a time.
#[cold]
pub(super) fn line_reference(buf: &[u8], from: usize, end: usize) -> Line {
    let colon = buf[from..end]
        .iter()
        .position(|&b| b == b':')
        .map_or(end, |i| from + i);
    Line {
        end,
        colon,
        name_ok: colon > from && all_tokens(&buf[from..colon]),
    }
}

#[inline(never)]
fn all_tokens(name: &[u8]) -> bool {
    name.iter().all(|&b| is_token(b))
}

/// The masks of the 64 bytes from `base`; bytes past the slice's end are
/// zeros, which are non-value bytes.
#[inline(always)]
fn classify<C: Classify>(classifier: C, buf: &[u8], base: usize) -> Masks {
    match buf.get(base..base + 64) {
        Some(bytes) => classifier.classify64(bytes),
        None => classifier.classify_tail(buf.get(base..).unwrap_or_default()),
    }
}

/// The masks of `rest` (shorter than 64 bytes) from a zero-padded copy.
#[inline(always)]
fn classify_padded<C: Classify>(classifier: C, rest: &[u8]) -> Masks {
    let mut padded = [0u8; 64];
    padded[..rest.len()].copy_from_slice(rest);
    classifier.classify64(&padded)
}

/// The masks of 32 bytes: bit `i` stands for byte `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Masks32 {
    /// Non-value bytes.
    bad: u32,
    /// Bytes other than letters, digits and `-`.
    odd: u32,
    /// Bytes from 0x80 up (obs-text).
    high: u32,
}

/// One way of computing a chunk's masks. A value of the type is the proof
/// that this CPU can run it.
pub(super) trait Classify: Copy {
    /// The masks of the first 32 bytes of `bytes` (at least 32 long).
    fn classify32(self, bytes: &[u8]) -> Masks32;

    /// The masks of the first 64 bytes of `bytes` (at least 64 long).
    #[inline(always)]
    fn classify64(self, bytes: &[u8]) -> Masks {
        let (lo, hi) = (
            self.classify32(&bytes[..32]),
            self.classify32(&bytes[32..64]),
        );
        Masks {
            bad: u64::from(lo.bad) | u64::from(hi.bad) << 32,
            odd: u64::from(lo.odd) | u64::from(hi.odd) << 32,
        }
    }

    /// The masks of `rest`, shorter than 64 bytes, as if padded with zeros
    /// (which are non-value bytes): the unlikely last chunk of a buffer.
    #[cold]
    fn classify_tail(self, rest: &[u8]) -> Masks {
        classify_padded(self, rest)
    }
}

/// The class table, one byte at a time: the reference, and the portable
/// path.
#[derive(Debug, Clone, Copy)]
pub(super) struct Table;

impl Classify for Table {
    #[inline(always)]
    fn classify32(self, bytes: &[u8]) -> Masks32 {
        let none = Masks32 {
            bad: 0,
            odd: 0,
            high: 0,
        };
        bytes[..32].iter().enumerate().fold(none, |m, (i, &b)| {
            let class = CLASSES[usize::from(b)];
            Masks32 {
                bad: m.bad | u32::from(class & VALUE == 0) << i,
                odd: m.odd | u32::from(class & COMMON == 0) << i,
                high: m.high | u32::from(b >= 0x80) << i,
            }
        })
    }
}

/// 16-byte SSE2 blocks (every x86_64 CPU).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[derive(Debug, Clone, Copy)]
pub(super) struct Sse2;

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
impl Classify for Sse2 {
    #[inline(always)]
    fn classify32(self, bytes: &[u8]) -> Masks32 {
        use std::arch::x86_64::{_mm_loadu_si128, _mm_movemask_epi8};
        assert!(bytes.len() >= 32);
        // SAFETY: the assert keeps both 16-byte loads inside `bytes`; SSE2
        // is part of every x86_64 target.
        let (v0, v1) = unsafe {
            (
                _mm_loadu_si128(bytes.as_ptr().cast()),
                _mm_loadu_si128(bytes.as_ptr().add(16).cast()),
            )
        };
        let ((bad0, common0), (bad1, common1)) = (classes_sse2(v0), classes_sse2(v1));
        // SAFETY: SSE2 is part of every x86_64 target.
        let (high0, high1) = unsafe { (_mm_movemask_epi8(v0), _mm_movemask_epi8(v1)) };
        Masks32 {
            bad: bad0 | bad1 << 16,
            odd: !(common0 | common1 << 16),
            high: high0 as u32 | (high1 as u32) << 16,
        }
    }
}

/// Non-value and letter-digit-dash masks of a 16-byte vector.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn classes_sse2(v: std::arch::x86_64::__m128i) -> (u32, u32) {
    use std::arch::x86_64::{
        _mm_andnot_si128, _mm_cmpeq_epi8, _mm_max_epu8, _mm_min_epu8, _mm_movemask_epi8,
        _mm_or_si128, _mm_set1_epi8, _mm_sub_epi8,
    };
    // SAFETY: these intrinsics need only SSE2, which this function is
    // compiled for only when the target has it (every x86_64 target does).
    unsafe {
        let splat = |b: u8| _mm_set1_epi8(b as i8);
        // x >= n and x <= n, unsigned: max(x, n) == x, min(x, n) == x.
        let at_least = |x, n| _mm_cmpeq_epi8(_mm_max_epu8(x, splat(n)), x);
        let at_most = |x, n| _mm_cmpeq_epi8(_mm_min_epu8(x, splat(n)), x);
        let tab = _mm_cmpeq_epi8(v, splat(b'\t'));
        let del = _mm_cmpeq_epi8(v, splat(0x7f));
        let value = _mm_andnot_si128(del, _mm_or_si128(at_least(v, 0x20), tab));
        let letter = at_most(_mm_sub_epi8(_mm_or_si128(v, splat(0x20)), splat(b'a')), 25);
        let digit = at_most(_mm_sub_epi8(v, splat(b'0')), 9);
        let dash = _mm_cmpeq_epi8(v, splat(b'-'));
        let common = _mm_or_si128(_mm_or_si128(letter, digit), dash);
        (
            !(_mm_movemask_epi8(value) as u32) & 0xffff,
            _mm_movemask_epi8(common) as u32,
        )
    }
}

/// 32-byte AVX2 blocks, for CPUs that report AVX2 at run time. Only
/// [`Avx2::detect`] makes one, so holding one proves the CPU has AVX2.
#[cfg(target_arch = "x86_64")]
#[derive(Debug, Clone, Copy)]
pub(super) struct Avx2(());

#[cfg(target_arch = "x86_64")]
impl Avx2 {
    /// `Some` if this CPU has AVX2 (std caches the answer).
    #[inline]
    pub(super) fn detect() -> Option<Self> {
        std::arch::is_x86_feature_detected!("avx2").then_some(Self(()))
    }
}

#[cfg(target_arch = "x86_64")]
impl Classify for Avx2 {
    /// Inlined into the parser that [`head`](super::head) compiles with
    /// AVX2 enabled, where the intrinsics inline too. (Not through a helper
    /// function or a closure: a `#[target_feature]` function cannot be
    /// forced inline, and a closure does not inherit the feature.)
    #[inline(always)]
    fn classify32(self, bytes: &[u8]) -> Masks32 {
        use std::arch::x86_64::{
            _mm_loadu_si128, _mm256_and_si256, _mm256_broadcastsi128_si256, _mm256_cmpeq_epi8,
            _mm256_cmpgt_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
            _mm256_set1_epi8, _mm256_setzero_si256, _mm256_shuffle_epi8, _mm256_srli_epi16,
        };
        assert!(bytes.len() >= 32);
        // SAFETY: `self` exists only if the CPU has AVX2 (see `detect`);
        // the assert keeps the 32-byte load inside `bytes`, and the tables
        // are 16 bytes each.
        unsafe {
            let lo = _mm256_broadcastsi128_si256(_mm_loadu_si128(NIBBLE_LO.as_ptr().cast()));
            let hi = _mm256_broadcastsi128_si256(_mm_loadu_si128(NIBBLE_HI.as_ptr().cast()));
            let v = _mm256_loadu_si256(bytes.as_ptr().cast());
            // The byte's class bits are `NIBBLE_LO[low] & NIBBLE_HI[high]`.
            let nibble = _mm256_set1_epi8(0x0f);
            let low = _mm256_and_si256(v, nibble);
            let high = _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble);
            let class =
                _mm256_and_si256(_mm256_shuffle_epi8(lo, low), _mm256_shuffle_epi8(hi, high));
            // Class bytes are below 0x80: a signed compare is exact.
            let bad = _mm256_cmpgt_epi8(class, nibble);
            let none = _mm256_cmpeq_epi8(class, _mm256_setzero_si256());
            Masks32 {
                bad: _mm256_movemask_epi8(bad) as u32,
                odd: _mm256_movemask_epi8(_mm256_or_si256(bad, none)) as u32,
                high: _mm256_movemask_epi8(v) as u32,
            }
        }
    }

    /// Out of line (a cold call from the AVX2 parser, no trampoline), but
    /// compiled with AVX2 (the default method is not), so that
    /// [`Self::classify64`]'s intrinsics inline into it rather than being
    /// called one by one.
    #[inline(always)]
    fn classify_tail(self, rest: &[u8]) -> Masks {
        #[cold]
        #[target_feature(enable = "avx2")]
        fn tail(avx2: Avx2, rest: &[u8]) -> Masks {
            classify_padded(avx2, rest)
        }
        // SAFETY: `self` exists only if the CPU has AVX2 (see `detect`).
        unsafe { tail(self, rest) }
    }
}

/// The classes of a byte as two 16-entry tables, one for its low nibble
/// and one for its high nibble: `NIBBLE_LO[b & 15] & NIBBLE_HI[b >> 4]`
/// has one of the bits below 0x10 set for a letter, digit or `-`, one of
/// the bits from 0x10 up for a non-value byte, and none for the rest
/// (bytes from 0x80 up have no high-nibble bits). Each bit is one
/// rectangle of high and low nibbles.
const NIBBLE_RECTS: [(u8, &[u8], &[u8]); 7] = [
    // `-`
    (0x01, &[0x2], &[0xd]),
    // 0-9
    (
        0x02,
        &[0x3],
        &[0x0, 0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0x8, 0x9],
    ),
    // A-O, a-o
    (
        0x04,
        &[0x4, 0x6],
        &[
            0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0x8, 0x9, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf,
        ],
    ),
    // P-Z, p-z
    (
        0x08,
        &[0x5, 0x7],
        &[0x0, 0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0x8, 0x9, 0xa],
    ),
    // Control bytes 0x00-0x1f but HTAB and 0x19
    (
        0x10,
        &[0x0, 0x1],
        &[
            0x0, 0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0x8, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf,
        ],
    ),
    // 0x19
    (0x20, &[0x1], &[0x9]),
    // DEL
    (0x40, &[0x7], &[0xf]),
];

/// Low-nibble table of [`NIBBLE_RECTS`].
const NIBBLE_LO: [u8; 16] = nibble_table(false);
/// High-nibble table of [`NIBBLE_RECTS`].
const NIBBLE_HI: [u8; 16] = nibble_table(true);

const fn nibble_table(high: bool) -> [u8; 16] {
    let mut t = [0u8; 16];
    let mut r = 0;
    while r < NIBBLE_RECTS.len() {
        let (bit, highs, lows) = NIBBLE_RECTS[r];
        let nibbles = if high { highs } else { lows };
        let mut i = 0;
        while i < nibbles.len() {
            t[nibbles[i] as usize] |= bit;
            i += 1;
        }
        r += 1;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn is_value(b: u8) -> bool {
        CLASSES[usize::from(b)] & VALUE != 0
    }

    /// Runs `check` with every classifier this CPU can run.
    macro_rules! for_each_classifier {
        ($check:ident ( $($arg:expr),* )) => {{
            $check(Table, $($arg),*)?;
            #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
            $check(Sse2, $($arg),*)?;
            #[cfg(target_arch = "x86_64")]
            if let Some(avx2) = Avx2::detect() {
                $check(avx2, $($arg),*)?;
            }
        }};
    }

    /// The line from `from` by the reference: the end one byte at a time.
    fn reference(buf: &[u8], from: usize) -> Line {
        let end = buf[from..]
            .iter()
            .position(|&b| !is_value(b))
            .map_or(buf.len(), |i| from + i);
        line_reference(buf, from, end)
    }

    /// What the parser makes of the line at `from`: the masks' answers if
    /// they give one (it must then be the reference's), else the reference.
    fn read_line<C: Classify>(c: C, buf: &[u8], from: usize) -> Result<Line, TestCaseError> {
        let want = reference(buf, from);
        // A line the masks settle has a well-formed name, and its end and
        // colon are the reference's.
        let settled = |(end, colon), which| {
            let got = Line {
                end,
                colon,
                name_ok: true,
            };
            prop_assert_eq!(got, want, "{} at {}", which, from);
            Ok(())
        };
        let masks = Masks::at(c, buf, from);
        if let Some(line) = masks.field(buf, from) {
            settled(line, "field")?;
        }
        if let Some((end, colon)) = common(c, buf, from) {
            settled((end, colon), "common")?;
            // One SP after the colon and nothing to trim at either end
            // (value bytes hold no control byte but HTAB).
            let value = &buf[colon + 1..end];
            prop_assert!(value.len() >= 2 && value[0] == b' ', "common at {}", from);
            prop_assert_eq!(value[1..].trim_ascii(), &value[1..], "common at {}", from);
            prop_assert_eq!(&buf[end..end + 2], b"\r\n", "common at {}", from);
        }
        match text_end(c, buf, from) {
            Some((end, obs_text)) => {
                prop_assert_eq!(end, want.end, "text end at {}", from);
                let want_obs = buf[from..end].iter().any(|&b| b >= 0x80);
                prop_assert_eq!(obs_text, want_obs, "obs-text at {}", from);
            }
            None => prop_assert!(
                want.end >= from + 32 || buf.len() < from + 32,
                "no text end at {}",
                from
            ),
        }
        prop_assert_eq!(end_from(buf, from), want.end, "end_from {}", from);
        Ok(want)
    }

    /// From every start, to the slice's end, the masks agree with the
    /// reference.
    fn check_all_offsets<C: Classify>(c: C, buf: &[u8]) -> Result<(), TestCaseError> {
        for from in 0..=buf.len() {
            read_line(c, buf, from)?;
        }
        Ok(())
    }

    #[test]
    fn classes_match_the_grammar() {
        for b in 0..=255u8 {
            let tchar = b"!#$%&'*+-.^_`|~".contains(&b) || b.is_ascii_alphanumeric();
            assert_eq!(is_token(b), tchar, "{b:#04x}");
            let value = b == b'\t' || (0x20..=0x7e).contains(&b) || b >= 0x80;
            assert_eq!(is_value(b), value, "{b:#04x}");
            let common = b.is_ascii_alphanumeric() || b == b'-';
            assert_eq!(CLASSES[usize::from(b)] & COMMON != 0, common, "{b:#04x}");
        }
    }

    #[test]
    fn nibble_tables_match_the_classes() {
        for b in 0..=255u8 {
            let class = NIBBLE_LO[usize::from(b & 15)] & NIBBLE_HI[usize::from(b >> 4)];
            let common = CLASSES[usize::from(b)] & COMMON != 0;
            assert_eq!(class != 0 && class < 0x10, common, "{b:#04x}");
            assert_eq!(class >= 0x10, !is_value(b), "{b:#04x}");
        }
    }

    /// Every byte value at every position of a chunk, among four fillers:
    /// each classifier's masks are the table's.
    #[test]
    fn masks_match_the_table() -> Result<(), TestCaseError> {
        fn check<C: Classify>(c: C) -> Result<(), TestCaseError> {
            for filler in [b'a', b':', 0, 0xff] {
                for special in 0..=255u8 {
                    let mut bytes = [filler; 64];
                    for pos in 0..64 {
                        bytes[pos] = special;
                        prop_assert_eq!(
                            c.classify64(&bytes),
                            Table.classify64(&bytes),
                            "{:#04x} at {} among {:#04x}",
                            special,
                            pos,
                            filler
                        );
                        let half = &bytes[pos / 32 * 32..];
                        prop_assert_eq!(
                            c.classify32(half),
                            Table.classify32(half),
                            "{:#04x} at {} among {:#04x}, 32 bytes",
                            special,
                            pos,
                            filler
                        );
                        bytes[pos] = filler;
                    }
                }
            }
            Ok(())
        }
        for_each_classifier!(check());
        Ok(())
    }

    /// The short last chunk (each classifier's own tail path): every byte
    /// value at every position of every length below 64 gives the table's
    /// masks of the zero-padded chunk.
    #[test]
    fn tail_masks_match_the_table() -> Result<(), TestCaseError> {
        fn check<C: Classify>(c: C) -> Result<(), TestCaseError> {
            for len in 0..64 {
                for special in 0..=255u8 {
                    for pos in 0..len {
                        let mut padded = [0u8; 64];
                        padded[..len].fill(b'a');
                        padded[pos] = special;
                        prop_assert_eq!(
                            c.classify_tail(&padded[..len]),
                            Table.classify64(&padded),
                            "{:#04x} at {} of {}",
                            special,
                            pos,
                            len
                        );
                    }
                }
                let filled = [b'a'; 64];
                prop_assert_eq!(
                    c.classify_tail(&filled[..len]),
                    Table.classify64(&classify_padded_copy(&filled[..len])),
                    "length {}",
                    len
                );
            }
            Ok(())
        }
        fn classify_padded_copy(rest: &[u8]) -> [u8; 64] {
            let mut padded = [0u8; 64];
            padded[..rest.len()].copy_from_slice(rest);
            padded
        }
        for_each_classifier!(check());
        Ok(())
    }

    /// One byte of every value at every position of a 70-byte stretch of
    /// lines, scanned from every offset before it.
    #[test]
    fn lines_match_the_reference_around_each_byte() -> Result<(), TestCaseError> {
        fn check<C: Classify>(c: C) -> Result<(), TestCaseError> {
            let text = b"Content-Type-1234567-X-MBX-USED-WEIGHT-1M: 20\r\nX-A: b\r\nC:d\r\n\r\nXY";
            for special in 0..=255u8 {
                for pos in 0..text.len() {
                    let mut buf = *text;
                    buf[pos] = special;
                    for from in 0..=pos {
                        read_line(c, &buf, from)?;
                    }
                }
            }
            Ok(())
        }
        for_each_classifier!(check());
        Ok(())
    }

    /// The fast answer is given where it should be: for every common line
    /// of a head, wherever it falls against the vectors and however near
    /// the slice's end (past it, the zero-padded copy).
    #[test]
    fn common_lines_are_settled() -> Result<(), TestCaseError> {
        fn check<C: Classify>(c: C) -> Result<(), TestCaseError> {
            let lines = b"Content-Type: application/json\r\nX-A: b\r\n\
                Cache-Control: no-cache, no-store, must-revalidate\r\nConnection: keep-alive\r\n";
            for pad in 0..130 {
                for after in [0, 1, 31, 32, 64] {
                    let mut buf = vec![b'x'; pad];
                    buf.extend_from_slice(b"\r\n");
                    let first = buf.len();
                    buf.extend_from_slice(lines);
                    buf.resize(buf.len() + after, b'y');
                    let mut pos = first;
                    for _ in 0..4 {
                        let Some((end, _)) = common(c, &buf, pos) else {
                            return Err(TestCaseError::fail(format!(
                                "pad {pad}, {after} after: line at {pos} not settled"
                            )));
                        };
                        pos = end + 2;
                    }
                }
            }
            Ok(())
        }
        for_each_classifier!(check());
        Ok(())
    }

    proptest! {
        #[test]
        fn lines_match_the_reference_on_any_bytes(
            buf in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            for_each_classifier!(check_all_offsets(&buf));
        }

        #[test]
        fn lines_match_the_reference_on_header_like_bytes(
            buf in proptest::collection::vec(
                prop_oneof![
                    12 => proptest::sample::select(b"abcXYZ-09 \t:".to_vec()),
                    1 => proptest::sample::select(b"\r\n\x00\x7f\x80\xff\x1f\x20\x7e!_".to_vec()),
                ],
                0..200,
            ),
        ) {
            for_each_classifier!(check_all_offsets(&buf));
        }
    }
}
