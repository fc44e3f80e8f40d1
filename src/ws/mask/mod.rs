//! Payload masking (RFC 6455 section 5.3): XOR of a payload with a 4-byte key.
//!
//! This module owns every implementation of the mask (a byte-by-byte
//! reference, a portable word-at-a-time path, SSE2 and AVX2 on x86_64, NEON on
//! aarch64) and the run-time choice between them. [`apply_mask`] is what frame
//! code calls; [`MaskPath`] names each implementation so tests and benchmarks
//! can run any one of them directly.
//!
//! It must never allocate, panic, or touch a byte outside the slice it is
//! given. `unsafe` lives only in the SIMD paths and their dispatch; the
//! paths read and write through raw pointers that stay inside that slice.
//!
//! The vector paths have two shapes, chosen by length (the thresholds were
//! measured on a Cascade Lake Xeon):
//!
//! - Short payloads (one vector up to `ALIGN_MIN_LEN`): unaligned vectors
//!   from the start, and for the bytes after the last whole vector, the last
//!   vector-sized window of the payload, loaded before anything is written
//!   and stored last. That window overlaps bytes already masked, but every
//!   result byte depends only on its original value and position, so it is
//!   written twice with the same value. No branch depends on the length's
//!   low bits, which for real traffic are random.
//! - Long payloads: a head of fewer than one vector's bytes to reach an
//!   aligned address, aligned vectors, and the tail, with head and tail in
//!   pieces of 16, 8, 4, 2 and 1 bytes (one per bit of their length) so no
//!   byte is touched twice. Overlapping windows here cost more than the
//!   pieces' branches: a load that partly overlaps a recent store cannot be
//!   forwarded from it, so masking a buffer that was just written (by
//!   `memcpy`, or by the previous mask in a benchmark) stalls.

use std::sync::atomic::{AtomicU8, Ordering};

/// Payloads shorter than this take the scalar path without looking at the
/// detected CPU features: for them the dispatch and the vector set-up cost
/// more than they save (measured on a Cascade Lake Xeon).
const VECTOR_MIN_LEN: usize = 128;

/// Vector paths align their blocks (after a short head) only for payloads
/// this long: below it the head costs more than the loads that straddle a
/// cache line (measured on a Cascade Lake Xeon).
#[cfg(any(
    all(target_arch = "x86_64", target_feature = "sse2"),
    all(target_arch = "aarch64", target_feature = "neon")
))]
const ALIGN_MIN_LEN: usize = 512;

/// XORs `buf` in place with the masking `key`: byte `i` is XORed with
/// `key[i % 4]`. Masking twice with the same key restores the input.
///
/// Runs the fastest implementation this CPU supports ([`MaskPath::detected`],
/// detected once per process); payloads under 128 bytes take the scalar path
/// directly.
///
/// # Examples
///
/// ```
/// use tickwire::ws::mask::apply_mask;
///
/// // RFC 6455 section 5.7: "Hello", masked with key 37 fa 21 3d.
/// let key = [0x37, 0xfa, 0x21, 0x3d];
/// let mut payload = *b"Hello";
/// apply_mask(&mut payload, key);
/// assert_eq!(payload, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
///
/// apply_mask(&mut payload, key);
/// assert_eq!(&payload, b"Hello");
/// ```
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4]) {
    if buf.len() < VECTOR_MIN_LEN {
        apply_scalar(buf, key);
    } else {
        let path = MaskPath::detected();
        // SAFETY: `detected` returns only paths that `is_available`.
        unsafe { path.apply_unchecked(buf, key) }
    }
}

/// Masks `buf` as if it began at byte `offset` of the payload: byte `i` is
/// XORed with `key[(offset + i) % 4]`.
///
/// Use it to mask a payload in pieces, e.g. as it arrives across reads.
///
/// # Examples
///
/// ```
/// use tickwire::ws::mask::{apply_mask, apply_mask_offset};
///
/// let key = [1, 2, 3, 4];
/// let mut whole = *b"split across two reads";
/// let mut pieces = whole;
/// apply_mask(&mut whole, key);
///
/// let (first, second) = pieces.split_at_mut(7);
/// apply_mask_offset(first, key, 0);
/// apply_mask_offset(second, key, 7);
/// assert_eq!(pieces, whole);
/// ```
#[inline]
pub fn apply_mask_offset(buf: &mut [u8], key: [u8; 4], offset: usize) {
    apply_mask(buf, key_word(key, offset).to_le_bytes());
}

/// The reference mask: one byte at a time, the RFC's formula written out.
///
/// Slow on purpose and obviously correct; every other path is tested
/// against it. Do not use it outside tests and benchmarks.
pub fn apply_mask_reference(buf: &mut [u8], key: [u8; 4]) {
    for (i, byte) in buf.iter_mut().enumerate() {
        *byte ^= key[i % 4];
    }
}

/// One implementation of the mask.
///
/// All of them give the same bytes as [`apply_mask_reference`]; they differ
/// only in speed and in which CPUs can run them.
///
/// # Examples
///
/// ```
/// use tickwire::ws::mask::{MaskPath, apply_mask_reference};
///
/// let key = [0xde, 0xad, 0xbe, 0xef];
/// let mut expected = vec![7u8; 1000];
/// apply_mask_reference(&mut expected, key);
/// for path in MaskPath::all_available() {
///     let mut buf = vec![7u8; 1000];
///     assert!(path.apply(&mut buf, key));
///     assert_eq!(buf, expected, "{path:?}");
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MaskPath {
    /// Portable: 8 bytes at a time in a `u64`. Runs everywhere.
    Scalar,
    /// 16-byte SSE2 vectors (x86_64, where SSE2 is always present).
    Sse2,
    /// 32-byte AVX2 vectors (x86_64 CPUs that report AVX2 at run time).
    Avx2,
    /// 16-byte NEON vectors (aarch64).
    Neon,
}

impl MaskPath {
    /// Every path, fastest first.
    const ALL: [MaskPath; 4] = [
        MaskPath::Avx2,
        MaskPath::Sse2,
        MaskPath::Neon,
        MaskPath::Scalar,
    ];

    /// The path [`apply_mask`] uses on this CPU: the fastest available one.
    ///
    /// The CPU is asked once per process; later calls cost one relaxed
    /// atomic load (nothing at all when AVX2 is enabled at compile time).
    #[inline]
    #[must_use]
    pub fn detected() -> MaskPath {
        if cfg!(all(target_arch = "x86_64", target_feature = "avx2")) {
            return MaskPath::Avx2;
        }
        match DETECTED.load(Ordering::Relaxed) {
            UNDETECTED => detect_and_cache(),
            cached => MaskPath::from_u8(cached),
        }
    }

    /// Whether this CPU (and this build) can run the path.
    #[must_use]
    pub fn is_available(self) -> bool {
        match self {
            MaskPath::Scalar => true,
            MaskPath::Sse2 => cfg!(all(target_arch = "x86_64", target_feature = "sse2")),
            MaskPath::Avx2 => avx2_detected(),
            MaskPath::Neon => cfg!(all(target_arch = "aarch64", target_feature = "neon")),
        }
    }

    /// The paths this CPU can run, fastest first; always ends with
    /// [`MaskPath::Scalar`].
    pub fn all_available() -> impl Iterator<Item = MaskPath> {
        MaskPath::ALL.into_iter().filter(|path| path.is_available())
    }

    /// Masks `buf` with exactly this path, as [`apply_mask`] would. Returns
    /// `false`, leaving `buf` untouched, if this CPU cannot run the path.
    #[must_use = "`false` means the buffer was not masked"]
    pub fn apply(self, buf: &mut [u8], key: [u8; 4]) -> bool {
        if !self.is_available() {
            return false;
        }
        // SAFETY: checked just above.
        unsafe { self.apply_unchecked(buf, key) };
        true
    }

    /// Runs this path.
    ///
    /// # Safety
    ///
    /// `self.is_available()` must be true.
    #[inline]
    unsafe fn apply_unchecked(self, buf: &mut [u8], key: [u8; 4]) {
        match self {
            #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
            MaskPath::Sse2 => {
                // SAFETY: this arm is compiled only where SSE2 is enabled for
                // the whole build.
                unsafe { x86::apply_sse2(buf, key) }
            }
            #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
            MaskPath::Avx2 => {
                // SAFETY: the caller guarantees `is_available`, i.e. that
                // `is_x86_feature_detected!("avx2")` answered true.
                unsafe { x86::apply_avx2(buf, key) }
            }
            #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
            MaskPath::Neon => neon::apply_neon(buf, key),
            _ => apply_scalar(buf, key),
        }
    }

    fn from_u8(value: u8) -> MaskPath {
        match value {
            1 => MaskPath::Sse2,
            2 => MaskPath::Avx2,
            3 => MaskPath::Neon,
            _ => MaskPath::Scalar,
        }
    }

    fn to_u8(self) -> u8 {
        match self {
            MaskPath::Scalar => 0,
            MaskPath::Sse2 => 1,
            MaskPath::Avx2 => 2,
            MaskPath::Neon => 3,
        }
    }
}

/// `MaskPath::to_u8` of the detected path, or [`UNDETECTED`]. Racing first
/// calls all store the same value, so `Relaxed` is enough.
static DETECTED: AtomicU8 = AtomicU8::new(UNDETECTED);
const UNDETECTED: u8 = u8::MAX;

#[cold]
fn detect_and_cache() -> MaskPath {
    let path = MaskPath::all_available().next().unwrap_or(MaskPath::Scalar);
    DETECTED.store(path.to_u8(), Ordering::Relaxed);
    path
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
fn avx2_detected() -> bool {
    std::is_x86_feature_detected!("avx2")
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
fn avx2_detected() -> bool {
    false
}

/// The key as a little-endian word, rotated for a block that starts `phase`
/// bytes into the payload: byte `j` of the result is `key[(phase + j) % 4]`.
#[inline(always)]
fn key_word(key: [u8; 4], phase: usize) -> u32 {
    // `phase % 4` is below 4, so the cast and the shift cannot overflow.
    u32::from_le_bytes(key).rotate_right(8 * (phase % 4) as u32)
}

/// The portable path: 8-byte words, then the pieces of the last 0 to 7.
#[inline]
fn apply_scalar(buf: &mut [u8], key: [u8; 4]) {
    let kw = key_word(key, 0);
    let k = u64::from(kw) * 0x1_0000_0001;
    let (words, tail) = buf.as_chunks_mut::<8>();
    for word in words {
        *word = (u64::from_le_bytes(*word) ^ k).to_le_bytes();
    }
    xor_pieces(tail, kw);
}

/// Masks `buf`, shorter than 32 bytes, with `kw` (the key word for the phase
/// at `buf[0]`): one piece of 16, 8, 4, 2 and 1 bytes for each bit set in
/// the length, so no byte is read or written twice.
#[inline(always)]
fn xor_pieces(buf: &mut [u8], kw: u32) {
    let len = buf.len();
    debug_assert!(len < 32, "xor_pieces takes fewer than 32 bytes");
    if len == 0 {
        // The common case for heads; skips the five tests below.
        return;
    }
    // Taking the pieces largest first, the bits of `len` below each piece
    // add up to what is left, so no split is past the end.
    let (p16, rest) = buf.split_at_mut(len & 16);
    let (p8, rest) = rest.split_at_mut(len & 8);
    let (p4, rest) = rest.split_at_mut(len & 4);
    let (p2, p1) = rest.split_at_mut(len & 2);
    let k64 = u64::from(kw) * 0x1_0000_0001;
    if let Some(piece) = p16.first_chunk_mut::<16>() {
        let k128 = u128::from(k64) * ((1 << 64) + 1);
        *piece = (u128::from_le_bytes(*piece) ^ k128).to_le_bytes();
    }
    if let Some(piece) = p8.first_chunk_mut::<8>() {
        *piece = (u64::from_le_bytes(*piece) ^ k64).to_le_bytes();
    }
    if let Some(piece) = p4.first_chunk_mut::<4>() {
        *piece = (u32::from_le_bytes(*piece) ^ kw).to_le_bytes();
    }
    // The pieces before the 2-byte one are whole key words; it and the last
    // byte are not.
    let [k0, k1, k2, _] = kw.to_le_bytes();
    if let Some(piece) = p2.first_chunk_mut::<2>() {
        *piece = [piece[0] ^ k0, piece[1] ^ k1];
    }
    if let Some(byte) = p1.first_mut() {
        *byte ^= if p2.is_empty() { k0 } else { k2 };
    }
}

/// Splits a payload of at least [`ALIGN_MIN_LEN`] bytes into a head
/// (shorter than `W`) that brings the rest to a `W`-aligned address, whole
/// `W`-byte blocks, and a tail shorter than `W`.
#[cfg(any(
    all(target_arch = "x86_64", target_feature = "sse2"),
    all(target_arch = "aarch64", target_feature = "neon")
))]
#[inline(always)]
fn split_aligned<const W: usize>(buf: &mut [u8]) -> (&mut [u8], &mut [[u8; W]], &mut [u8]) {
    let skip = buf.as_ptr().addr().wrapping_neg() % W;
    let (head, body) = buf.split_at_mut(skip.min(buf.len()));
    let (blocks, tail) = body.as_chunks_mut::<W>();
    (head, blocks, tail)
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod x86;

#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
mod neon;
