//! Payload masking (RFC 6455 section 5.3).
//!
//! PLACEHOLDER: scalar only; the SIMD paths are being written.

/// XORs `buf` in place with the 4-byte masking `key`, starting at key byte 0.
pub fn apply_mask(buf: &mut [u8], key: [u8; 4]) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b ^= key[i & 3];
    }
}
