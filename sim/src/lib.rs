//! Deterministic simulation scenarios for tickwire.
//!
//! Every run is a function of its seed: the simulator's network, tickwire's
//! random source (mask keys, handshake keys, jitter) and the scenario script.
//! [`TurmoilConnector`] plugs turmoil's simulated TCP into tickwire's
//! [`Connector`] seam; tokio's clock, which tickwire reads through
//! [`TokioClock`](tickwire::rt::TokioClock), is already simulated on every
//! turmoil host. [`echo_server`] is the peer the scenarios talk to.
//! [`scripted_client_session`] checks that the sans-IO core alone is
//! replayable from a seed.

use std::io;

use tickwire::buf::WriteBuf;
use tickwire::rng::SeededRng;
use tickwire::rt::Connector;
use tickwire::ws::{CloseCode, FrameWriter, MessageKind, Role};
use tickwire::ws::{Message, OwnedMessage, WsStream};

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

/// Connects over turmoil's simulated network: `host` is a turmoil host name.
#[derive(Debug, Clone, Copy, Default)]
pub struct TurmoilConnector;

impl Connector for TurmoilConnector {
    type Stream = turmoil::net::TcpStream;

    async fn connect(&self, host: &str, port: u16) -> io::Result<Self::Stream> {
        turmoil::net::TcpStream::connect((host, port)).await
    }
}

/// A WebSocket echo server for a turmoil host: accepts on `port` forever,
/// one task per connection, echoing text and binary messages.
///
/// # Errors
///
/// When the listener cannot bind or accept.
pub async fn echo_server(port: u16) -> Result<(), Box<dyn std::error::Error>> {
    let listener = turmoil::net::TcpListener::bind(("0.0.0.0", port)).await?;
    loop {
        let (tcp, _) = listener.accept().await?;
        tokio::spawn(async move {
            let Ok(mut ws) = WsStream::builder().rng_seed(7).accept(tcp).await else {
                return;
            };
            loop {
                let reply = match ws.recv().await {
                    Ok(Some(Message::Text(t))) => OwnedMessage::Text(t.to_owned()),
                    Ok(Some(Message::Binary(b))) => OwnedMessage::Binary(b.to_vec()),
                    Ok(Some(_)) => continue,
                    Ok(None) | Err(_) => return,
                };
                if ws.send(reply.as_message()).await.is_err() {
                    return;
                }
            }
        });
    }
}
