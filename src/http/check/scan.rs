//! The fast paths of the field checks: byte-class tests eight or sixteen
//! bytes at a time, and the query fast path's copy-and-test.
//!
//! Each test answers only "is every byte in the class?"; which error a
//! refused field gets is worked out by the table scans in `check`. Every
//! test here must agree with the 256-entry table (`CLASSES`) on every
//! input: the tests at the bottom compare them byte by byte, at every
//! length and every offset. The `unsafe` blocks are the SSE2 tests
//! (intrinsics on register operands only), compiled only on targets that
//! enable SSE2 for the whole crate.

use super::{PLAIN_PATH, TOKEN, UNRESERVED, VALUE, all_in};

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
/// byte, DEL, `#` or `?`. Eight bytes in a dozen word operations. The
/// portable test, and the reference for the SSE2 one.
#[cfg_attr(
    all(target_arch = "x86_64", target_feature = "sse2", not(test)),
    allow(dead_code)
)]
#[inline(always)]
const fn plain_path_miss(word: u64) -> u64 {
    any_below(word, 0x21) | any_equal(word, 0x7f) | any_equal(word, b'#') | any_equal(word, b'?')
}

/// Two 4-byte pieces as one word.
#[inline(always)]
fn half_words(head: &[u8; 4], tail: &[u8; 4]) -> u64 {
    u64::from(u32::from_le_bytes(*head)) | u64::from(u32::from_le_bytes(*tail)) << 32
}

/// Whether every byte is `PLAIN_PATH`, sixteen at a time as
/// [`all_pairs`] reads them (a path of 4 to 15 bytes is two overlapping
/// words or halves of one).
#[inline(always)]
pub(super) fn all_plain_path(bytes: &[u8]) -> bool {
    all_pairs(bytes, words_plain_path, PLAIN_PATH)
}

/// Whether all 16 bytes of two words are `PLAIN_PATH`: one SSE2 test
/// where the target has it, two word tests elsewhere.
#[inline(always)]
fn words_plain_path(lo: u64, hi: u64) -> bool {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        sse2_plain_path(lo, hi)
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        plain_path_miss(lo) | plain_path_miss(hi) == 0
    }
}

/// `PLAIN_PATH` in each of 16 SSE2 lanes: at least `!` (unsigned, so
/// bytes from 0x80 up pass), and not DEL, `#` or `?`.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn sse2_plain_path(lo: u64, hi: u64) -> bool {
    use std::arch::x86_64::{
        _mm_andnot_si128, _mm_cmpeq_epi8, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set_epi64x, _mm_set1_epi8,
    };
    // SAFETY: the intrinsics require only SSE2, and this function is
    // compiled only when SSE2 is enabled for the whole crate (it is part
    // of the x86_64 baseline), so every CPU that runs it has SSE2. Nothing
    // here touches memory: the operands are the two words.
    unsafe {
        let x = _mm_set_epi64x(hi as i64, lo as i64);
        let visible = _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(0x21)), x);
        let refused = _mm_or_si128(
            _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f)),
            _mm_or_si128(
                _mm_cmpeq_epi8(x, _mm_set1_epi8(b'#' as i8)),
                _mm_cmpeq_epi8(x, _mm_set1_epi8(b'?' as i8)),
            ),
        );
        _mm_movemask_epi8(_mm_andnot_si128(refused, visible)) == 0xffff
    }
}

/// High bit set in each byte of `word` that lies in `lo..=hi`, for words
/// whose bytes are all below 0x80 (`1 <= lo <= hi < 0x80`): neither sum
/// carries out of its byte.
#[inline(always)]
const fn in_range(word: u64, lo: u8, hi: u8) -> u64 {
    let at_least_lo = word.wrapping_add(LOW_BITS * (0x80 - lo) as u64);
    let above_hi = word.wrapping_add(LOW_BITS * (0x7f - hi) as u64);
    at_least_lo & !above_hi
}

/// Whether every byte of `word` is RFC 3986 unreserved (`A-Z a-z 0-9 - .
/// _ ~`): five range tests on the low seven bits, and bytes with the top
/// bit set (never unreserved) refused at the end. The portable test, and
/// the reference for the SSE2 one.
#[cfg_attr(
    all(target_arch = "x86_64", target_feature = "sse2", not(test)),
    allow(dead_code)
)]
#[inline(always)]
const fn word_unreserved(word: u64) -> bool {
    let low = word & !HIGH_BITS;
    let folded = low | (LOW_BITS * 0x20); // ASCII letters to lower case
    let hits = in_range(folded, b'a', b'z')
        | in_range(low, b'0', b'9')
        | in_range(low, b'-', b'.')
        | in_range(low, b'_', b'_')
        | in_range(low, b'~', b'~');
    hits & !word & HIGH_BITS == HIGH_BITS
}

/// Whether every byte of `word` is visible ASCII or a space
/// (`0x20..=0x7e`): what almost every header value is made of. Portable,
/// and the reference for the SSE2 test.
#[cfg_attr(
    all(target_arch = "x86_64", target_feature = "sse2", not(test)),
    allow(dead_code)
)]
#[inline(always)]
const fn word_printable(word: u64) -> bool {
    in_range(word & !HIGH_BITS, b' ', b'~') & !word & HIGH_BITS == HIGH_BITS
}

/// Whether all 16 bytes of two words are visible ASCII or spaces.
#[inline(always)]
fn words_printable(lo: u64, hi: u64) -> bool {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        // SAFETY: as in `words_unreserved`: compiled only where SSE2 is
        // enabled for the whole crate; reads nothing but its arguments.
        unsafe { sse2_printable(lo, hi) }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        word_printable(lo) & word_printable(hi)
    }
}

/// `0x20..=0x7e` in each of 16 SSE2 lanes (signed compares: bytes from
/// 0x80 up are negative and fail).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
#[inline]
fn sse2_printable(lo: u64, hi: u64) -> bool {
    use std::arch::x86_64::{
        _mm_and_si128, _mm_cmpgt_epi8, _mm_movemask_epi8, _mm_set_epi64x, _mm_set1_epi8,
    };
    let x = _mm_set_epi64x(hi as i64, lo as i64);
    let above = _mm_cmpgt_epi8(x, _mm_set1_epi8(0x1f));
    let below = _mm_cmpgt_epi8(_mm_set1_epi8(0x7f), x);
    _mm_movemask_epi8(_mm_and_si128(above, below)) == 0xffff
}

/// Whether all 16 bytes of two words are unreserved: one SSE2 test where
/// the target has it (on GET with three parameters, 56 ns against 68 ns
/// for the word test), two word tests elsewhere.
#[inline(always)]
fn words_unreserved(lo: u64, hi: u64) -> bool {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        sse2_unreserved(lo, hi)
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        word_unreserved(lo) & word_unreserved(hi)
    }
}

/// The 16 bytes of `lo` and `hi`, each tested for RFC 3986 unreserved in
/// one SSE2 lane: each range is one add and one signed compare (bytes from
/// 0x80 up fail every range), one mask.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn sse2_unreserved(lo: u64, hi: u64) -> bool {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi8, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set_epi64x, _mm_set1_epi8,
    };
    /// All ones in the lanes of `x` in `lo..=hi` (`hi` below 0x7f): the
    /// add takes `hi` to 0x7f and `lo` to `0x7f - (hi - lo)`; a byte above
    /// `hi` wraps to a negative lane or one at most `0x7e - hi`, a byte
    /// below `lo` lands under `0x7f - (hi - lo)`, so one signed compare
    /// decides.
    #[target_feature(enable = "sse2")]
    #[inline]
    fn in_range(x: __m128i, lo: u8, hi: u8) -> __m128i {
        let t = _mm_add_epi8(x, _mm_set1_epi8((0x7f - hi) as i8));
        _mm_cmpgt_epi8(t, _mm_set1_epi8((0x7e - (hi - lo)) as i8))
    }
    // SAFETY: the intrinsics and `in_range` require only SSE2, and this
    // function is compiled only when SSE2 is enabled for the whole crate
    // (it is part of the x86_64 baseline), so every CPU that runs it has
    // SSE2. Nothing here touches memory: the operands are the two words.
    unsafe {
        let x = _mm_set_epi64x(hi as i64, lo as i64);
        let folded = _mm_or_si128(x, _mm_set1_epi8(0x20)); // ASCII letters to lower case
        let hits = _mm_or_si128(
            _mm_or_si128(in_range(folded, b'a', b'z'), in_range(x, b'-', b'9')),
            _mm_or_si128(
                _mm_cmpeq_epi8(x, _mm_set1_epi8(b'_' as i8)),
                _mm_cmpeq_epi8(x, _mm_set1_epi8(b'~' as i8)),
            ),
        );
        // `-` to `9` takes in `/`, the one byte of that range to refuse.
        let slash = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'/' as i8));
        _mm_movemask_epi8(hits) & !_mm_movemask_epi8(slash) == 0xffff
    }
}

/// Whether `test` passes every byte of `bytes`, sixteen at a time (the
/// last pair of words overlaps what came before; 4 to 15 bytes are read as
/// two overlapping words or halves of one). Under 4 bytes, the table with
/// `class`, which must accept every byte `test` accepts.
#[inline(always)]
fn all_pairs(bytes: &[u8], test: impl Fn(u64, u64) -> bool, class: u8) -> bool {
    let pair = |w: &[u8; 16]| {
        let (lo, hi) = w.split_at(8);
        let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
        test(word(lo), word(hi))
    };
    if let Some(tail) = bytes.last_chunk::<16>() {
        let (chunks, _) = bytes.as_chunks::<16>();
        return chunks.iter().all(pair) && pair(tail);
    }
    if let (Some(head), Some(tail)) = (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        return test(u64::from_le_bytes(*head), u64::from_le_bytes(*tail));
    }
    if let (Some(head), Some(tail)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        let word = half_words(head, tail);
        return test(word, word);
    }
    all_in(bytes, class)
}

/// Whether a query key or value goes out as is: every byte unreserved.
#[inline]
fn all_unreserved(bytes: &[u8]) -> bool {
    all_pairs(bytes, words_unreserved, UNRESERVED)
}

/// Whether a header name and value pass without the table checks: a name
/// of unreserved bytes (all of them token bytes) and a value of visible
/// ASCII and spaces. True only for a valid header (the reserved names are
/// the caller's to check); false says nothing, and the table checks decide.
#[inline]
pub(in crate::http) fn plain_header(name: &[u8], value: &[u8]) -> bool {
    !name.is_empty()
        && all_pairs(name, words_unreserved, TOKEN)
        && all_pairs(value, words_printable, VALUE)
}

/// Copies `src` to `dst` (the same length) and says whether every byte
/// was unreserved, so it goes out as is; when not, `dst` holds junk the
/// caller does not keep. Up to 16 bytes are read as two overlapping words
/// (or halves of one) that are tested and stored as they are.
#[inline(always)]
fn copy_unreserved(dst: &mut [u8], src: &[u8]) -> bool {
    let n = src.len();
    if n != dst.len() {
        return false; // never: the caller splits `dst` to `src`'s length
    }
    // Values are read before anything is stored: `dst` might alias `src`
    // as far as the compiler knows, so a store would force a reload.
    if n > 16 {
        dst.copy_from_slice(src);
        return all_unreserved(src);
    }
    if let (Some(&head), Some(&tail)) = (src.first_chunk::<8>(), src.last_chunk::<8>()) {
        dst[..8].copy_from_slice(&head);
        dst[n - 8..].copy_from_slice(&tail);
        return words_unreserved(u64::from_le_bytes(head), u64::from_le_bytes(tail));
    }
    match copy_short_word(dst, src) {
        Some(word) => words_unreserved(word, word),
        None => false, // never: `src` is at most 8 bytes here
    }
}

/// A query key and value: [`copy_unreserved`] for both. When neither is
/// longer than 8 bytes (most API parameters) both are tested in one
/// 16-byte step.
#[inline(always)]
pub(in crate::http) fn copy_pair_unreserved(
    key_dst: &mut [u8],
    key: &[u8],
    value_dst: &mut [u8],
    value: &[u8],
) -> bool {
    if let (Some(k), Some(v)) = (
        copy_short_word(key_dst, key),
        copy_short_word(value_dst, value),
    ) {
        return words_unreserved(k, v);
    }
    copy_unreserved(key_dst, key) & copy_unreserved(value_dst, value)
}

/// Copies a field of at most 8 bytes and returns a word holding only its
/// bytes (some twice) and `a`s, or `None` for a longer field. An empty
/// field gives a word of `a`s; `a` passes any test a field's bytes must
/// pass.
#[inline(always)]
fn copy_short_word(dst: &mut [u8], src: &[u8]) -> Option<u64> {
    let n = src.len();
    if n > 8 || n != dst.len() {
        return None;
    }
    if let Some(&word) = src.first_chunk::<8>() {
        dst.copy_from_slice(&word);
        return Some(u64::from_le_bytes(word));
    }
    if let (Some(&head), Some(&tail)) = (src.first_chunk::<4>(), src.last_chunk::<4>()) {
        dst[..4].copy_from_slice(&head);
        dst[n - 4..].copy_from_slice(&tail);
        return Some(half_words(&head, &tail));
    }
    let Some((&first, _)) = src.split_first() else {
        return Some(u64::from_le_bytes(*b"aaaaaaaa"));
    };
    let (middle, last) = (src[n / 2], src[n - 1]);
    dst[0] = first;
    dst[n / 2] = middle;
    dst[n - 1] = last;
    Some(u64::from_le_bytes([
        first, middle, last, b'a', b'a', b'a', b'a', b'a',
    ]))
}

#[cfg(test)]
mod tests {
    use super::super::{CLASSES, PATH};
    use super::*;
    use proptest::prelude::*;

    fn in_class(b: u8, class: u8) -> bool {
        CLASSES[usize::from(b)] & class != 0
    }

    /// Every byte value, in every lane: the word test, the SSE2 test (on
    /// x86_64) and the path word test against the table.
    #[test]
    fn every_byte_in_every_lane_matches_the_table() {
        for b in 0..=255u8 {
            assert_eq!(in_class(b, PLAIN_PATH), in_class(b, PATH) && b != b'?');
            for lane in 0..16 {
                let mut bytes = *b"azAZ09-._~azAZ09";
                bytes[lane] = b;
                let (lo, hi) = bytes.split_at(8);
                let lo = u64::from_le_bytes(lo.try_into().unwrap());
                let hi = u64::from_le_bytes(hi.try_into().unwrap());
                let expected = in_class(b, UNRESERVED);
                assert_eq!(words_unreserved(lo, hi), expected, "{b:#04x} lane {lane}");
                assert_eq!(word_unreserved(lo) & word_unreserved(hi), expected);
                let printable = (b' '..=b'~').contains(&b);
                assert_eq!(words_printable(lo, hi), printable, "{b:#04x} lane {lane}");
                assert_eq!(word_printable(lo) & word_printable(hi), printable);
                // The fast tests accept a subset of their classes.
                assert!(!expected || in_class(b, TOKEN));
                assert!(!printable || in_class(b, VALUE));
                let plain = in_class(b, PLAIN_PATH);
                assert_eq!(words_plain_path(lo, hi), plain, "{b:#04x} lane {lane}");
                assert_eq!(plain_path_miss(lo) | plain_path_miss(hi) == 0, plain);
                let mut path = *b"/a-Z.0~_";
                path[lane % 8] = b;
                let word = u64::from_le_bytes(path);
                assert_eq!(plain_path_miss(word) == 0, in_class(b, PLAIN_PATH));
            }
        }
    }

    /// Every length up to 64, one refused byte at every offset among
    /// accepted ones (and none): the word and SIMD checks agree with the
    /// table wherever the odd byte sits, and the copies are exact.
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
                    let printable = bytes.iter().all(|b| (b' '..=b'~').contains(b));
                    let short_value = len < 4 && all_in(&bytes, VALUE);
                    assert_eq!(
                        all_pairs(&bytes, words_printable, VALUE),
                        printable || short_value
                    );
                    let mut dst = vec![0u8; len];
                    assert_eq!(
                        copy_unreserved(&mut dst, &bytes),
                        all_in(&bytes, UNRESERVED)
                    );
                    assert_eq!(dst, bytes);
                }
            }
        }
    }

    fn field() -> impl Strategy<Value = Vec<u8>> {
        let byte = prop_oneof![
            8 => prop::sample::select(b"azAZ09-._~".to_vec()),
            1 => any::<u8>(),
        ];
        prop::collection::vec(byte, 0..40)
    }

    proptest! {
        #[test]
        fn fast_checks_match_the_table(bytes in field(), other in field()) {
            prop_assert_eq!(all_unreserved(&bytes), all_in(&bytes, UNRESERVED));
            prop_assert_eq!(all_plain_path(&bytes), all_in(&bytes, PLAIN_PATH));
            let printable = bytes.iter().all(|b| (b' '..=b'~').contains(b));
            prop_assert_eq!(
                all_pairs(&bytes, words_printable, VALUE),
                printable || (bytes.len() < 4 && all_in(&bytes, VALUE))
            );
            if plain_header(&bytes, &other) {
                prop_assert!(all_in(&bytes, TOKEN) && all_in(&other, VALUE));
            }
            let mut dst = vec![0u8; bytes.len()];
            prop_assert_eq!(copy_unreserved(&mut dst, &bytes), all_in(&bytes, UNRESERVED));
            prop_assert_eq!(&dst, &bytes);
            let (mut kd, mut vd) = (vec![0u8; bytes.len()], vec![0u8; other.len()]);
            let both = all_in(&bytes, UNRESERVED) && all_in(&other, UNRESERVED);
            prop_assert_eq!(copy_pair_unreserved(&mut kd, &bytes, &mut vd, &other), both);
            prop_assert_eq!(kd, bytes);
            prop_assert_eq!(vd, other);
        }
    }
}
