//! The seeded random source: the one place randomness enters tickwire.
//!
//! Sans-IO code (mask keys, `Sec-WebSocket-Key`, backoff jitter) never draws
//! from a global generator: it takes a [`RandomSource`]. By default that is a
//! [`SeededRng`] seeded once from the operating system; tests and simulations
//! seed it themselves and get the same bytes every run.
//!
//! This module must never read a clock or a socket.

/// A source of random bits, injected wherever tickwire needs randomness.
///
/// Implement it to plug in another generator (a cryptographic one, or a
/// scripted one in tests).
///
/// # Examples
///
/// ```
/// use tickwire::rng::{RandomSource, SeededRng};
///
/// let mut a = SeededRng::from_seed(7);
/// let mut b = SeededRng::from_seed(7);
/// assert_eq!(a.next_u64(), b.next_u64());
/// ```
pub trait RandomSource {
    /// Returns the next 64 random bits.
    fn next_u64(&mut self) -> u64;

    /// Returns the next 32 random bits.
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// Fills `dst` with random bytes.
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        let mut chunks = dst.chunks_exact_mut(8);
        for chunk in &mut chunks {
            chunk.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        let rest = chunks.into_remainder();
        if !rest.is_empty() {
            let bytes = self.next_u64().to_le_bytes();
            rest.copy_from_slice(&bytes[..rest.len()]);
        }
    }
}

impl<R: RandomSource + ?Sized> RandomSource for &mut R {
    fn next_u64(&mut self) -> u64 {
        (**self).next_u64()
    }
}

impl<R: RandomSource + ?Sized> RandomSource for Box<R> {
    fn next_u64(&mut self) -> u64 {
        (**self).next_u64()
    }
}

/// A small, fast, seedable generator (wyrand).
///
/// Good statistical quality and about one nanosecond a draw; not a
/// cryptographic generator. WebSocket mask keys exist to stop a browser's
/// script from steering the bytes an intermediary sees; for a trading client
/// that writes its own payloads an unpredictable-per-process seed is what the
/// RFC's purpose needs. Supply your own [`RandomSource`] if your threat model
/// wants a CSPRNG.
///
/// # Examples
///
/// ```
/// use tickwire::rng::{RandomSource, SeededRng};
///
/// let mut rng = SeededRng::from_os();
/// let mut key = [0u8; 16];
/// rng.fill_bytes(&mut key);
/// ```
#[derive(Debug, Clone)]
pub struct SeededRng {
    state: u64,
}

impl SeededRng {
    /// A generator whose sequence is fixed by `seed`: the same seed gives the
    /// same bytes on every run and every machine.
    pub const fn from_seed(seed: u64) -> Self {
        Self { state: seed }
    }

    /// A generator seeded once from the operating system's entropy source.
    ///
    /// If the operating system cannot supply entropy (an extremely rare
    /// failure), the seed falls back to the standard library's per-process
    /// random hasher keys, which are themselves drawn from the OS.
    pub fn from_os() -> Self {
        let mut seed = [0u8; 8];
        match getrandom::fill(&mut seed) {
            Ok(()) => Self::from_seed(u64::from_le_bytes(seed)),
            Err(_) => {
                use std::hash::{BuildHasher, Hasher};
                let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
                hasher.write_u64(0x7469_636b_7769_7265);
                Self::from_seed(hasher.finish())
            }
        }
    }
}

impl Default for SeededRng {
    fn default() -> Self {
        Self::from_os()
    }
}

impl RandomSource for SeededRng {
    #[inline]
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0xa076_1d64_78bd_642f);
        let t = u128::from(self.state) * u128::from(self.state ^ 0xe703_7ed1_a0b4_28db);
        ((t >> 64) as u64) ^ (t as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_different_seed_differs() {
        let mut a = SeededRng::from_seed(42);
        let mut b = SeededRng::from_seed(42);
        let mut c = SeededRng::from_seed(43);
        let xs: Vec<u64> = (0..16).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..16).map(|_| b.next_u64()).collect();
        let zs: Vec<u64> = (0..16).map(|_| c.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn fill_bytes_covers_odd_lengths() {
        let mut rng = SeededRng::from_seed(1);
        let mut buf = [0u8; 13];
        rng.fill_bytes(&mut buf);
        // 13 zero bytes from wyrand would be astronomically unlikely.
        assert!(buf.iter().any(|&b| b != 0));
        let mut again = [0u8; 13];
        SeededRng::from_seed(1).fill_bytes(&mut again);
        assert_eq!(buf, again);
    }

    #[test]
    fn os_seeds_differ() {
        let a = SeededRng::from_os().next_u64();
        let b = SeededRng::from_os().next_u64();
        assert_ne!(a, b);
    }
}
