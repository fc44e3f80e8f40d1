//! SSE2 and AVX2 paths, in the two shapes the module doc describes.
//!
//! The block loops walk a pointer rather than index from the start:
//! LLVM then addresses memory as `[reg + disp]`, which Skylake-family
//! cores keep as one micro-op where `[base + index]` splits in two (the
//! AVX2 loop was issue-bound at 4 KiB with indexing: 59 ns against 48).

use super::{ALIGN_MIN_LEN, apply_scalar, key_word, split_aligned, xor_pieces};
use std::arch::x86_64::{
    __m128i, __m256i, _mm_load_si128, _mm_loadu_si128, _mm_set1_epi32, _mm_store_si128,
    _mm_storeu_si128, _mm_xor_si128, _mm256_load_si256, _mm256_loadu_si256, _mm256_set1_epi32,
    _mm256_store_si256, _mm256_storeu_si256, _mm256_xor_si256,
};

/// Defines `$name(q, n, k)`: XORs the `n` vectors of type `$v` from `q`
/// on with `k`, four at a time, using `$load` and `$store`.
macro_rules! xor_vectors_fn {
    ($name:ident, $feature:literal, $v:ty, $load:ident, $store:ident, $xor:ident) => {
        /// # Safety
        ///
        /// The `n` vectors from `q` must lie inside one mutable slice,
        /// aligned if the load and store used need it, and the CPU must
        /// support the target feature.
        #[target_feature(enable = $feature)]
        #[inline]
        unsafe fn $name(mut q: *mut $v, mut n: usize, k: $v) {
            // SAFETY: the caller's contract; `q` stays within the `n`
            // vectors it was given.
            unsafe {
                while n >= 4 {
                    let a = $load(q);
                    let b = $load(q.add(1));
                    let c = $load(q.add(2));
                    let d = $load(q.add(3));
                    $store(q, $xor(a, k));
                    $store(q.add(1), $xor(b, k));
                    $store(q.add(2), $xor(c, k));
                    $store(q.add(3), $xor(d, k));
                    q = q.add(4);
                    n -= 4;
                }
                while n > 0 {
                    $store(q, $xor($load(q), k));
                    q = q.add(1);
                    n -= 1;
                }
            }
        }
    };
}

xor_vectors_fn!(
    xor_sse2_aligned,
    "sse2",
    __m128i,
    _mm_load_si128,
    _mm_store_si128,
    _mm_xor_si128
);
xor_vectors_fn!(
    xor_sse2,
    "sse2",
    __m128i,
    _mm_loadu_si128,
    _mm_storeu_si128,
    _mm_xor_si128
);
xor_vectors_fn!(
    xor_avx2_aligned,
    "avx2",
    __m256i,
    _mm256_load_si256,
    _mm256_store_si256,
    _mm256_xor_si256
);
xor_vectors_fn!(
    xor_avx2,
    "avx2",
    __m256i,
    _mm256_loadu_si256,
    _mm256_storeu_si256,
    _mm256_xor_si256
);

/// SSE2 is part of the x86_64 baseline (and this module is compiled only
/// where it is enabled), so this needs no run-time check; the attribute
/// only lets the intrinsics be called without `unsafe`.
#[target_feature(enable = "sse2")]
pub(super) fn apply_sse2(buf: &mut [u8], key: [u8; 4]) {
    const W: usize = 16;
    let len = buf.len();
    if len < W {
        return apply_scalar(buf, key);
    }
    if len < ALIGN_MIN_LEN {
        let p = buf.as_mut_ptr();
        let k = _mm_set1_epi32(key_word(key, 0).cast_signed());
        let k_last = _mm_set1_epi32(key_word(key, len).cast_signed());
        // SAFETY: `len >= W`, so the last vector and the `len / W` whole
        // vectors from `p` lie inside `buf`; all accesses are unaligned.
        unsafe {
            let last = p.add(len - W).cast::<__m128i>();
            let tail = _mm_xor_si128(_mm_loadu_si128(last), k_last);
            let q = p.cast::<__m128i>();
            xor_sse2(q, len / W, k);
            _mm_storeu_si128(last, tail);
        }
        return;
    }
    let (head, blocks, tail) = split_aligned::<W>(buf);
    xor_pieces(head, key_word(key, 0));
    // Blocks and tail start a whole number of blocks after the head.
    let kw = key_word(key, head.len());
    let k = _mm_set1_epi32(kw.cast_signed());
    let (q, n) = (blocks.as_mut_ptr().cast::<__m128i>(), blocks.len());
    if q.addr() % W == 0 {
        // SAFETY: the `n` vectors from `q` are `blocks`, W-aligned
        // (checked just above).
        unsafe { xor_sse2_aligned(q, n, k) }
    } else {
        // SAFETY: the `n` vectors from `q` are `blocks`; the accesses are
        // unaligned. (Not reached: `split_aligned` aligned them.)
        unsafe { xor_sse2(q, n, k) }
    }
    xor_pieces(tail, kw);
}

/// # Safety
///
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn apply_avx2(buf: &mut [u8], key: [u8; 4]) {
    const W: usize = 32;
    let len = buf.len();
    if len < W {
        return apply_sse2(buf, key);
    }
    if len < ALIGN_MIN_LEN {
        let p = buf.as_mut_ptr();
        let k = _mm256_set1_epi32(key_word(key, 0).cast_signed());
        let k_last = _mm256_set1_epi32(key_word(key, len).cast_signed());
        // SAFETY: `len >= W`, so the last vector and the `len / W` whole
        // vectors from `p` lie inside `buf`; all accesses are unaligned.
        unsafe {
            let last = p.add(len - W).cast::<__m256i>();
            let tail = _mm256_xor_si256(_mm256_loadu_si256(last), k_last);
            let q = p.cast::<__m256i>();
            xor_avx2(q, len / W, k);
            _mm256_storeu_si256(last, tail);
        }
        return;
    }
    let (head, blocks, tail) = split_aligned::<W>(buf);
    xor_pieces(head, key_word(key, 0));
    // Blocks and tail start a whole number of blocks after the head.
    let kw = key_word(key, head.len());
    let k = _mm256_set1_epi32(kw.cast_signed());
    let (q, n) = (blocks.as_mut_ptr().cast::<__m256i>(), blocks.len());
    if q.addr() % W == 0 {
        // SAFETY: the `n` vectors from `q` are `blocks`, W-aligned
        // (checked just above).
        unsafe { xor_avx2_aligned(q, n, k) }
    } else {
        // SAFETY: the `n` vectors from `q` are `blocks`; the accesses are
        // unaligned. (Not reached: `split_aligned` aligned them.)
        unsafe { xor_avx2(q, n, k) }
    }
    xor_pieces(tail, kw);
}
