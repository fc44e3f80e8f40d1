//! Every mask path against the byte-by-byte reference.
//!
//! The exhaustive tests run each path, and `apply_mask`, at every length
//! 0..=4096 and every start offset 0..=63 past a 64-byte boundary (262,208
//! calls each, with a random key rotation per call), checking the whole
//! buffer including 64 guard bytes on either side after every call. All of
//! this file takes about 3 CPU-seconds in a debug build. What keeps it cheap
//! is that nothing is recomputed per call in (slow, unoptimised) test code:
//!
//! - For each offset the expected bytes are computed once, for the longest
//!   payload and each of the 4 key rotations. The expected buffer after a call
//!   of length `len` is then a prefix of that `masked` copy followed by the
//!   untouched `original`, so the check is three slice comparisons, which
//!   the standard library turns into `memcmp` even in debug builds.
//! - After each call only the payload is restored from `original`, with a
//!   `memcpy`.
//!
//! So the time goes into the path under test, which is the thing to run.
//! (The vector paths' aligned loops use aligned load and store intrinsics,
//! which debug builds run several times faster than the unaligned ones.)
//! Proptest then covers random keys, phases, contents and offsets.

use proptest::prelude::*;
use tickwire::rng::{RandomSource, SeededRng};
use tickwire::ws::mask::{MaskPath, apply_mask, apply_mask_offset, apply_mask_reference};

const MAX_LEN: usize = 4096;
const OFFSETS: usize = 64;
const GUARD: usize = 64;

/// A random buffer with room for a 4096-byte payload at any of 64 offsets
/// past `GUARD`, and `GUARD` bytes either side; and a copy of it, for the
/// paths to write to, that starts on a 64-byte boundary.
struct Arena {
    original: Vec<u8>,
    storage: Vec<u8>,
    shift: usize,
}

impl Arena {
    fn new(rng: &mut SeededRng) -> Self {
        let mut original = vec![0u8; GUARD + OFFSETS + MAX_LEN + GUARD];
        rng.fill_bytes(&mut original);
        let mut storage = vec![0u8; original.len() + 63];
        let shift = (64 - storage.as_ptr().addr() % 64) % 64;
        storage[shift..shift + original.len()].copy_from_slice(&original);
        Self {
            original,
            storage,
            shift,
        }
    }

    /// The aligned copy and the original it must be compared with.
    fn split(&mut self) -> (&mut [u8], &[u8]) {
        let len = self.original.len();
        (
            &mut self.storage[self.shift..self.shift + len],
            &self.original,
        )
    }
}

/// A random key whose four bytes differ, so a key-phase error always shows.
fn distinct_key(rng: &mut SeededRng) -> [u8; 4] {
    loop {
        let key = rng.next_u32().to_le_bytes();
        if (0..4).all(|i| (i + 1..4).all(|j| key[i] != key[j])) {
            return key;
        }
    }
}

fn rotate(key: [u8; 4], phase: usize) -> [u8; 4] {
    std::array::from_fn(|i| key[(phase + i) % 4])
}

/// Runs `mask` at every (offset, length) and checks the whole buffer,
/// guard bytes included, after every call.
fn exhaustive(seed: u64, max_len: usize, mask: impl Fn(&mut [u8], [u8; 4])) {
    let mut rng = SeededRng::from_seed(seed);
    let mut arena = Arena::new(&mut rng);
    let (buf, original) = arena.split();
    for offset in 0..OFFSETS {
        let start = GUARD + offset;
        assert_eq!(buf[start..].as_ptr().addr() % 64, offset);
        let key = distinct_key(&mut rng);
        let masked: Vec<Vec<u8>> = (0..4)
            .map(|phase| {
                let mut masked = original.to_vec();
                apply_mask_reference(&mut masked[start..start + max_len], rotate(key, phase));
                masked
            })
            .collect();
        for len in 0..=max_len {
            let phase = (rng.next_u32() % 4) as usize;
            let end = start + len;
            mask(&mut buf[start..end], rotate(key, phase));
            let ok = buf[..start] == original[..start]
                && buf[start..end] == masked[phase][start..end]
                && buf[end..] == original[end..];
            if !ok {
                let expected: Vec<u8> = masked[phase][..end]
                    .iter()
                    .chain(&original[end..])
                    .copied()
                    .collect();
                let at = (0..buf.len()).find(|&i| buf[i] != expected[i]);
                panic!(
                    "offset {offset} len {len} key {:02x?}: first wrong byte at payload index {:?}",
                    rotate(key, phase),
                    at.map(|i| i as isize - start as isize),
                );
            }
            buf[start..end].copy_from_slice(&original[start..end]);
        }
    }
}

/// `exhaustive` for one path; skipped (with a note) where the CPU lacks it.
fn exhaustive_path(path: MaskPath, seed: u64) {
    if !path.is_available() {
        eprintln!("{path:?} is not available on this CPU; skipped");
        return;
    }
    exhaustive(seed, MAX_LEN, |buf, key| assert!(path.apply(buf, key)));
}

#[test]
fn exhaustive_scalar() {
    exhaustive_path(MaskPath::Scalar, 1);
}

#[test]
fn exhaustive_sse2() {
    exhaustive_path(MaskPath::Sse2, 2);
}

#[test]
fn exhaustive_avx2() {
    exhaustive_path(MaskPath::Avx2, 3);
}

#[test]
fn exhaustive_neon() {
    exhaustive_path(MaskPath::Neon, 4);
}

#[test]
fn exhaustive_apply_mask() {
    exhaustive(5, MAX_LEN, apply_mask);
}

#[test]
fn exhaustive_apply_mask_offset_every_phase() {
    let phases = [0, 1, 2, 3, 4, 5, 6, 7, 1001, usize::MAX - 1, usize::MAX];
    for (seed, phase) in (6..).zip(phases) {
        // Masking at offset `phase` rotates the key by `phase`; undo that so
        // the expected bytes are those of the key `exhaustive` passed.
        exhaustive(seed, 300, |buf, key| {
            apply_mask_offset(buf, rotate(key, 4 - phase % 4), phase);
        });
    }
}

#[test]
fn rfc6455_masked_hello() {
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let masked = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
    let mut buf = *b"Hello";
    apply_mask(&mut buf, key);
    assert_eq!(buf, masked);
    let mut buf = *b"Hello";
    apply_mask_reference(&mut buf, key);
    assert_eq!(buf, masked);
    for path in MaskPath::all_available() {
        let mut buf = *b"Hello";
        assert!(path.apply(&mut buf, key));
        assert_eq!(buf, masked, "{path:?}");
    }
}

#[test]
fn reference_is_the_rfc_formula() {
    let key = [1, 2, 4, 8];
    let mut buf = [0u8; 9];
    apply_mask_reference(&mut buf, key);
    assert_eq!(buf, [1, 2, 4, 8, 1, 2, 4, 8, 1]);
}

#[test]
fn masking_twice_restores_the_input() {
    let mut rng = SeededRng::from_seed(7);
    let mut original = vec![0u8; 5000];
    rng.fill_bytes(&mut original);
    let key = distinct_key(&mut rng);
    for len in [
        0, 1, 3, 4, 7, 8, 15, 16, 31, 32, 40, 63, 64, 65, 127, 128, 4096, 4999,
    ] {
        for offset in [0, 1, 2, 4, 8, 14] {
            let range = offset..offset + len.min(5000 - offset);
            for path in MaskPath::all_available() {
                let mut buf = original.clone();
                assert!(path.apply(&mut buf[range.clone()], key));
                assert!(path.apply(&mut buf[range.clone()], key));
                assert!(buf == original, "{path:?} len {len} offset {offset}");
            }
            let mut buf = original.clone();
            apply_mask_offset(&mut buf[range.clone()], key, 3);
            apply_mask_offset(&mut buf[range.clone()], key, 7);
            assert!(
                buf == original,
                "apply_mask_offset len {len} offset {offset}"
            );
        }
    }
}

#[test]
fn apply_mask_offset_masks_a_payload_in_pieces() {
    let mut rng = SeededRng::from_seed(8);
    let mut payload = vec![0u8; 1000];
    rng.fill_bytes(&mut payload);
    let key = distinct_key(&mut rng);
    let mut whole = payload.clone();
    apply_mask(&mut whole, key);
    for cut in 0..=payload.len() {
        let mut pieces = payload.clone();
        let (first, second) = pieces.split_at_mut(cut);
        apply_mask_offset(first, key, 0);
        apply_mask_offset(second, key, cut);
        assert!(pieces == whole, "cut at {cut}");
    }
}

#[test]
fn path_reporting_is_consistent() {
    let available: Vec<MaskPath> = MaskPath::all_available().collect();
    let detected = MaskPath::detected();
    assert!(detected.is_available());
    assert_eq!(
        available.first(),
        Some(&detected),
        "detected is the fastest"
    );
    assert_eq!(available.last(), Some(&MaskPath::Scalar));
    assert_eq!(MaskPath::detected(), detected, "detection is stable");
    if cfg!(target_arch = "x86_64") {
        assert!(MaskPath::Sse2.is_available());
        assert!(!MaskPath::Neon.is_available());
    }
    if cfg!(target_arch = "aarch64") {
        assert!(MaskPath::Neon.is_available());
        assert!(!MaskPath::Sse2.is_available() && !MaskPath::Avx2.is_available());
    }
}

#[test]
fn unavailable_paths_refuse_and_leave_the_buffer_alone() {
    for path in [
        MaskPath::Scalar,
        MaskPath::Sse2,
        MaskPath::Avx2,
        MaskPath::Neon,
    ] {
        let mut buf = [0x55u8; 100];
        let ran = path.apply(&mut buf, [1, 2, 3, 4]);
        assert_eq!(ran, path.is_available(), "{path:?}");
        if !ran {
            assert_eq!(buf, [0x55; 100], "{path:?}");
        }
    }
}

fn expected_with_phase(data: &[u8], key: [u8; 4], phase: usize) -> Vec<u8> {
    data.iter()
        .enumerate()
        .map(|(i, &b)| b ^ key[(phase % 4 + i % 4) % 4])
        .collect()
}

proptest! {
    #[test]
    fn every_path_matches_the_reference(
        len in 0usize..=MAX_LEN,
        offset in 0usize..OFFSETS,
        key in any::<[u8; 4]>(),
        phase in any::<usize>(),
        seed in any::<u64>(),
    ) {
        let mut storage = vec![0u8; OFFSETS + 64 + MAX_LEN];
        SeededRng::from_seed(seed).fill_bytes(&mut storage);
        let start = offset + (64 - storage.as_ptr().addr() % 64) % 64;
        let range = start..start + len;
        let mut expected = storage.clone();
        expected[range.clone()].copy_from_slice(&expected_with_phase(&storage[range.clone()], key, phase));

        let mut buf = storage.clone();
        apply_mask_offset(&mut buf[range.clone()], key, phase);
        prop_assert!(buf == expected, "apply_mask_offset");

        let mut buf = storage.clone();
        apply_mask_reference(&mut buf[range.clone()], rotate(key, phase % 4));
        prop_assert!(buf == expected, "apply_mask_reference");

        for path in MaskPath::all_available() {
            let mut buf = storage.clone();
            prop_assert!(path.apply(&mut buf[range.clone()], rotate(key, phase % 4)));
            prop_assert!(buf == expected, "{:?}", path);
        }
    }
}
