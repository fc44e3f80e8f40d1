//! Zero heap allocations per message once warm, send and receive, proved
//! with a counting global allocator (a count, not a timing: stable on any
//! machine).

use tickwire::buf::WriteBuf;
use tickwire::rng::SeededRng;
use tickwire::ws::{CloseCode, FrameReader, FrameWriter, Message, MessageKind, Role};

#[path = "common/alloc.rs"]
mod alloc;
use alloc::count;

/// One round: a client sends a mix of messages, the server decodes them.
fn round(
    writer: &mut FrameWriter,
    out: &mut WriteBuf,
    reader: &mut FrameReader,
    payload: &[u8],
    text: &str,
) -> usize {
    let mut seen = 0;
    writer.text(out, text).unwrap();
    writer.binary(out, payload).unwrap();
    writer.ping(out, b"hb").unwrap();
    writer
        .fragment(out, MessageKind::Text, text.as_bytes(), false)
        .unwrap();
    writer.pong(out, b"between").unwrap();
    writer
        .fragment(out, MessageKind::Text, text.as_bytes(), true)
        .unwrap();
    writer
        .fragment(out, MessageKind::Binary, payload, false)
        .unwrap();
    writer
        .fragment(out, MessageKind::Binary, payload, true)
        .unwrap();
    writer.binary_with(out, |p| p.extend(payload)).unwrap();
    let mut pos = 0;
    let bytes = out.data();
    while pos < bytes.len() {
        let spare = reader.spare();
        let n = spare.len().min(bytes.len() - pos).min(1000);
        spare[..n].copy_from_slice(&bytes[pos..pos + n]);
        reader.filled(n);
        pos += n;
        while let Some(message) = reader.next().unwrap() {
            if let Message::Text(t) = message {
                assert!(t.starts_with(text));
            }
            seen += 1;
        }
    }
    out.clear();
    seen
}

#[test]
fn steady_state_send_and_receive_allocate_nothing() {
    let mut writer = FrameWriter::with_rng(Role::Client, SeededRng::from_seed(5));
    let mut out = WriteBuf::with_limit(14, 64 * 1024, 1 << 20);
    let mut reader = FrameReader::builder().role(Role::Server).build();
    let payload: Vec<u8> = (0..40_000u32).map(|i| i as u8).collect();
    let text = "price=101.25 qty=3 side=€";

    // Warm up: buffers reach their working size.
    for _ in 0..3 {
        assert_eq!(round(&mut writer, &mut out, &mut reader, &payload, text), 7);
    }
    let allocations = count(|| {
        for _ in 0..200 {
            assert_eq!(round(&mut writer, &mut out, &mut reader, &payload, text), 7);
        }
    });
    assert_eq!(
        allocations, 0,
        "allocations in 200 warm rounds of 7 messages"
    );

    // And the close path.
    let allocations = count(|| {
        writer.close(&mut out, CloseCode::NORMAL, "bye").unwrap();
    });
    assert_eq!(allocations, 0);

    // The counter works: an allocation in the window is seen.
    let seen = count(|| drop(std::hint::black_box(vec![1u8; 64])));
    assert_eq!(seen, 1);
}

/// The async stream over real loopback TCP: once warm, a client's
/// send + receive round trip (with a ping answered on the way) allocates
/// nothing on the client's thread. The echo server runs on its own thread
/// and runtime, so its allocations are not counted.
#[test]
fn ws_stream_round_trips_allocate_nothing_once_warm() {
    use std::net::TcpListener as StdListener;
    use tickwire::ws::WsStream;

    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let (tcp, _) = listener.accept().await.unwrap();
            let mut ws = WsStream::builder().accept(tcp).await.unwrap();
            let mut echo = Vec::with_capacity(4096);
            let mut n = 0u32;
            loop {
                match ws.recv().await {
                    Ok(Some(Message::Binary(b))) => {
                        echo.clear();
                        echo.extend_from_slice(b);
                    }
                    Ok(Some(_)) => continue,
                    Ok(None) | Err(_) => return,
                }
                n += 1;
                if n.is_multiple_of(10) {
                    // A ping now and then, which the client must answer.
                    ws.send_ping(b"hb").await.unwrap();
                }
                ws.send_binary(&echo).await.unwrap();
            }
        });
    });

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let mut ws = WsStream::builder()
            .connect(&format!("ws://{addr}/"))
            .await
            .unwrap();
        let payload = vec![5u8; 1024];
        let round_trip = async |ws: &mut WsStream<_>| {
            ws.send_binary(&payload).await.unwrap();
            loop {
                match ws.recv().await.unwrap() {
                    Some(Message::Binary(b)) => {
                        assert_eq!(b.len(), 1024);
                        return;
                    }
                    Some(Message::Ping(_)) => continue,
                    other => panic!("{other:?}"),
                }
            }
        };
        for _ in 0..200 {
            round_trip(&mut ws).await;
        }
        alloc::start();
        for _ in 0..500 {
            round_trip(&mut ws).await;
        }
        let allocations = alloc::stop();
        assert_eq!(allocations, 0, "allocations in 500 warm round trips");
    });
}
