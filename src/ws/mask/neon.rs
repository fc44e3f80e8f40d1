//! The NEON path, in the two shapes the module doc describes.

use super::{ALIGN_MIN_LEN, apply_scalar, key_word, split_aligned, xor_pieces};
use std::arch::aarch64::{uint8x16_t, veorq_u8, vld1q_u8, vst1q_u8};

const W: usize = 16;

/// The key for a vector that starts `phase` bytes into the payload,
/// built from bytes so it is right on either byte order.
fn key_vector(key: [u8; 4], phase: usize) -> uint8x16_t {
    let word = key_word(key, phase).to_le_bytes();
    let lanes: [u8; W] = std::array::from_fn(|i| word[i % 4]);
    // SAFETY: `lanes` is 16 readable bytes; `vld1q_u8` needs no alignment.
    unsafe { vld1q_u8(lanes.as_ptr()) }
}

/// XORs the `n` 16-byte vectors from `q` on with `k`, four at a time.
///
/// # Safety
///
/// The `n * 16` bytes from `q` must lie inside one mutable slice.
unsafe fn xor_vectors(mut q: *mut u8, mut n: usize, k: uint8x16_t) {
    // SAFETY: the caller's contract; `vld1q_u8` and `vst1q_u8` need no
    // alignment.
    unsafe {
        while n >= 4 {
            let a = vld1q_u8(q);
            let b = vld1q_u8(q.add(W));
            let c = vld1q_u8(q.add(2 * W));
            let d = vld1q_u8(q.add(3 * W));
            vst1q_u8(q, veorq_u8(a, k));
            vst1q_u8(q.add(W), veorq_u8(b, k));
            vst1q_u8(q.add(2 * W), veorq_u8(c, k));
            vst1q_u8(q.add(3 * W), veorq_u8(d, k));
            q = q.add(4 * W);
            n -= 4;
        }
        while n > 0 {
            vst1q_u8(q, veorq_u8(vld1q_u8(q), k));
            q = q.add(W);
            n -= 1;
        }
    }
}

/// NEON is part of the aarch64 baseline this module is compiled for.
pub(super) fn apply_neon(buf: &mut [u8], key: [u8; 4]) {
    let len = buf.len();
    if len < W {
        return apply_scalar(buf, key);
    }
    if len < ALIGN_MIN_LEN {
        let p = buf.as_mut_ptr();
        let k = key_vector(key, 0);
        let k_last = key_vector(key, len);
        // SAFETY: `len >= W`, so the last vector and the `len / W` whole
        // vectors from `p` lie inside `buf`.
        unsafe {
            let last = p.add(len - W);
            let tail = veorq_u8(vld1q_u8(last), k_last);
            xor_vectors(p, len / W, k);
            vst1q_u8(last, tail);
        }
        return;
    }
    let (head, blocks, tail) = split_aligned::<W>(buf);
    xor_pieces(head, key_word(key, 0));
    // Blocks and tail start a whole number of blocks after the head.
    let k = key_vector(key, head.len());
    // SAFETY: the vectors are `blocks`.
    unsafe { xor_vectors(blocks.as_mut_ptr().cast(), blocks.len(), k) };
    xor_pieces(tail, key_word(key, head.len()));
}
