//! tickwire demo, in two parts.
//!
//! 1. The sans-IO core: a client-side `FrameWriter` encodes a burst of
//!    market-data style messages (masked, as RFC 6455 requires of clients);
//!    a server-side `FrameReader` decodes them from reads of awkward sizes,
//!    zero-copy, then both sides run the closing handshake. Prints each
//!    message and the wire bytes of the first frame, then a throughput
//!    figure.
//! 2. The async stream over real sockets: a `wss://` echo server and client
//!    on loopback, with a certificate made on the spot (rcgen) and verified
//!    by the client; the server pings and the client answers without being
//!    asked; round-trip percentiles; the closing handshake.
//!
//! Run: `cargo run --release --example demo`

use std::time::{Duration, Instant};

use tickwire::buf::WriteBuf;
use tickwire::rng::SeededRng;
use tickwire::tls::{ServerTlsConfig, TlsConfig};
use tickwire::ws::{
    CloseCode, CloseState, FrameReader, FrameWriter, HeartbeatConfig, Message, MessageKind, Role,
    WsStream,
};

fn main() {
    sans_io();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Err(e) = runtime.block_on(over_tls()) {
        eprintln!("async part failed: {e}");
        std::process::exit(1);
    }
}

fn sans_io() {
    println!("== the sans-IO core");
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

/// A wss echo server and client on loopback, both tickwire.
async fn over_tls() -> Result<(), Box<dyn std::error::Error>> {
    println!("\n== WsStream over TLS on loopback");
    let (ca, leaf, key) = certificates()?;
    let server_tls = ServerTlsConfig::new(vec![leaf], key)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        let tls = server_tls.accept(tcp).await?;
        let mut ws = WsStream::builder().accept(tls).await?;
        ws.send_ping(b"are you there").await?;
        while let Some(message) = ws.recv().await? {
            match message {
                Message::Text(text) => {
                    let reply = text.to_owned();
                    ws.send_text(&reply).await?;
                }
                Message::Pong(p) => println!(
                    "server: pong {:?} came back unasked-for by the caller",
                    String::from_utf8_lossy(p)
                ),
                _ => {}
            }
        }
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
    });

    let tls = TlsConfig::builder()
        .skip_system_certs()
        .add_root_cert(&ca)?
        .build()?;
    let mut ws = WsStream::builder()
        .tls(&tls)
        .heartbeat(HeartbeatConfig::default().idle_timeout(Duration::from_secs(5)))
        .connect(&format!("wss://localhost:{port}/stream"))
        .await?;
    println!("client: connected to wss://localhost:{port}/stream, certificate verified");
    let order = r#"{"op":"order","px":"101.25","qty":3}"#;
    let mut samples = Vec::with_capacity(10_000);
    for i in 0..10_000 {
        let start = Instant::now();
        ws.send_text(order).await?;
        loop {
            match ws.recv().await? {
                Some(Message::Text(echo)) => {
                    assert_eq!(echo, order);
                    break;
                }
                Some(Message::Ping(p)) if i == 0 => {
                    println!(
                        "client: ping {:?} answered automatically",
                        String::from_utf8_lossy(p)
                    );
                }
                Some(_) => {}
                None => return Err("server ended early".into()),
            }
        }
        samples.push(start.elapsed());
    }
    samples.sort();
    println!(
        "client: {} echo round trips of {} B over TLS: p50 {:?}, p99 {:?} (one thread, both ends)",
        samples.len(),
        order.len(),
        samples[samples.len() / 2],
        samples[samples.len() * 99 / 100]
    );
    ws.close(CloseCode::NORMAL, "demo over").await?;
    while let Some(message) = ws.recv().await? {
        if let Message::Close(frame) = message {
            println!(
                "client: close reply {:?}; the stream then ends cleanly",
                frame.map(|f| f.code.0)
            );
        }
    }
    server.await?.map_err(|e| e.to_string())?;
    Ok(())
}

/// DER bytes: a CA certificate, a leaf for localhost it signed, the leaf's key.
type Certificates = (Vec<u8>, Vec<u8>, Vec<u8>);

/// A CA and a leaf for localhost signed by it.
fn certificates() -> Result<Certificates, rcgen::Error> {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate()?;
    let leaf = CertificateParams::new(vec!["localhost".into()])?.signed_by(&leaf_key, &issuer)?;
    Ok((
        ca.der().to_vec(),
        leaf.der().to_vec(),
        leaf_key.serialize_der(),
    ))
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}
