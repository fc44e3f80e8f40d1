//! tickwire demo: the WebSocket core encoding and decoding real frames.
//!
//! A client-side `FrameWriter` encodes a burst of market-data style messages
//! (masked, as RFC 6455 requires of clients); a server-side `FrameReader`
//! decodes them from reads of awkward sizes, zero-copy, then both sides run
//! the closing handshake. Prints each message and the wire bytes of the
//! first frame, then a throughput figure.
//!
//! Run: `cargo run --release --example demo`

use std::time::Instant;

use tickwire::buf::WriteBuf;
use tickwire::rng::SeededRng;
use tickwire::ws::{CloseCode, CloseState, FrameReader, FrameWriter, Message, MessageKind, Role};

fn main() {
    let mut client = FrameWriter::with_rng(Role::Client, SeededRng::from_os());
    let mut wire = WriteBuf::with_limit(14, 64 * 1024, 1 << 20);

    client
        .text(&mut wire, r#"{"op":"subscribe","args":["trades.BTCUSDT"]}"#)
        .expect("encode");
    let first = wire.len();
    client.ping(&mut wire, b"hb-1").expect("encode");
    client
        .fragment(
            &mut wire,
            MessageKind::Text,
            r#"{"px":"101.2"#.as_bytes(),
            false,
        )
        .expect("encode");
    client
        .fragment(
            &mut wire,
            MessageKind::Text,
            r#"5","qty":3}"#.as_bytes(),
            true,
        )
        .expect("encode");
    client
        .binary(&mut wire, &[0xde, 0xad, 0xbe, 0xef])
        .expect("encode");
    client
        .close(&mut wire, CloseCode::NORMAL, "done")
        .expect("encode");

    println!(
        "first frame on the wire ({first} bytes, masked): {}",
        hex(&wire.data()[..first])
    );

    let mut server = FrameReader::builder().role(Role::Server).build();
    let mut close = CloseState::new();
    for chunk in wire.data().chunks(7) {
        server.read(chunk).expect("buffer");
        while let Some(message) = server.next().expect("valid frames") {
            match message {
                Message::Text(text) => println!("text    {text}"),
                Message::Binary(bytes) => println!("binary  {}", hex(bytes)),
                Message::Ping(p) => println!(
                    "ping    {:?} (a stream answers with a pong)",
                    String::from_utf8_lossy(p)
                ),
                Message::Pong(p) => println!("pong    {}", hex(p)),
                Message::Close(frame) => {
                    let reply = close.on_received(frame);
                    println!(
                        "close   code {} reason {:?}; reply owed: {:?}",
                        close.received_code().map_or(0, u16::from),
                        close.received_reason().unwrap_or(""),
                        reply.map(|code| code.map_or(0, u16::from))
                    );
                }
            }
        }
    }

    // Throughput: decode a 128-byte text frame in a loop.
    let mut server_writer = FrameWriter::new(Role::Server);
    let mut frame = WriteBuf::new(14, 256);
    let text = "x".repeat(128);
    server_writer.text(&mut frame, &text).expect("encode");
    let mut reader = FrameReader::builder().role(Role::Client).build();
    let rounds = 2_000_000u32;
    let start = Instant::now();
    let mut bytes = 0usize;
    for _ in 0..rounds {
        reader.read(frame.data()).expect("buffer");
        if let Some(Message::Text(t)) = reader.next().expect("valid") {
            bytes += t.len();
        }
    }
    let elapsed = start.elapsed();
    println!(
        "decoded {rounds} text frames of 128 B ({bytes} payload bytes) in {:?}: {:.1} ns per frame, copy-in included",
        elapsed,
        elapsed.as_nanos() as f64 / f64::from(rounds)
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}
