//! Deterministic simulation scenarios for tickwire.
//!
//! Every run is a function of its seed: the simulator's network, tickwire's
//! random source (mask keys, handshake keys, jitter) and the scenario script.
//! The turmoil scenarios (partitions, crashes, latency) arrive with the
//! runtime seams; until then this crate holds the scripted-session check that
//! the sans-IO core is itself replayable from a seed.

use tickwire::buf::WriteBuf;
use tickwire::rng::SeededRng;
use tickwire::ws::{CloseCode, FrameWriter, MessageKind, Role};

/// Encodes a fixed client session (subscribe, pings, a fragmented order,
/// close) with mask keys drawn from `seed`, and returns the wire bytes.
pub fn scripted_client_session(seed: u64) -> Vec<u8> {
    let mut writer = FrameWriter::with_rng(Role::Client, SeededRng::from_seed(seed));
    let mut out = WriteBuf::with_limit(14, 4096, 1 << 20);
    let script: [&[u8]; 3] = [b"hb-1", b"hb-2", b"hb-3"];
    let steps = [
        writer.text(&mut out, r#"{"op":"subscribe","args":["book.BTC"]}"#),
        writer.ping(&mut out, script[0]),
        writer.fragment(
            &mut out,
            MessageKind::Text,
            br#"{"op":"order","px":"#,
            false,
        ),
        writer.ping(&mut out, script[1]),
        writer.fragment(&mut out, MessageKind::Text, br#""101.5"}"#, true),
        writer.binary(&mut out, &[1, 2, 3, 4, 5, 6, 7, 8]),
        writer.ping(&mut out, script[2]),
        writer.close(&mut out, CloseCode::NORMAL, "end of session"),
    ];
    for step in steps {
        if let Err(e) = step {
            panic!("scripted session must encode: {e}");
        }
    }
    out.data().to_vec()
}
