//! Entry points shared by the cargo-fuzz targets and the corpus replay test.
//!
//! Each takes raw bytes, drives one parser, and panics only when an
//! invariant the parser promises is broken (a panic is a fuzz finding).
//! Not part of the public API.

use crate::ws::{FrameReader, Message, Role};

/// Drives a [`FrameReader`] with arbitrary bytes in arbitrary read splits.
///
/// The first byte seeds the split sizes (1 to 64 bytes per read) and, by
/// its top bit, whether bytes go in through `spare()`/`filled()` or
/// `read()`; the rest is the stream. Small limits make the size checks reachable.
pub fn ws_read(role: Role, data: &[u8]) {
    let Some((&split_seed, stream)) = data.split_first() else {
        return;
    };
    let mut reader = FrameReader::builder()
        .role(role)
        .buffer_capacity(64)
        .max_frame_size(1024)
        .max_message_size(4096)
        .build();
    let mut seed = u32::from(split_seed) | 1;
    let mut pos = 0;
    while pos < stream.len() {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let step = (seed as usize % 64 + 1).min(stream.len() - pos);
        let n = if split_seed & 0x80 == 0 {
            let spare = reader.spare();
            assert!(!spare.is_empty(), "spare() must never be empty");
            let n = step.min(spare.len());
            spare[..n].copy_from_slice(&stream[pos..pos + n]);
            reader.filled(n);
            n
        } else {
            // After next() returned Ok(None), read() always takes a byte.
            match reader.read(&stream[pos..pos + step]) {
                Ok(n) => n,
                Err(e) => panic!("read refused input after a drain: {e}"),
            }
        };
        assert!(n > 0);
        pos += n;
        loop {
            match reader.next() {
                Ok(Some(message)) => check_message(&message),
                Ok(None) => break,
                Err(e) => {
                    // Errors are sticky: the same error again, forever.
                    assert_eq!(reader.next().err(), Some(e));
                    return;
                }
            }
        }
    }
}

fn check_message(message: &Message<'_>) {
    match message {
        Message::Text(text) => assert!(text.len() <= 4096),
        Message::Binary(bytes) => assert!(bytes.len() <= 4096),
        Message::Ping(p) | Message::Pong(p) => assert!(p.len() <= 125),
        Message::Close(Some(frame)) => {
            assert!(frame.code.is_sendable());
            assert!(frame.reason.len() <= 123);
        }
        Message::Close(None) => {}
    }
}
