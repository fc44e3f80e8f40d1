//! `WsStream` on real loopback sockets: tickwire client against tickwire
//! server, and against raw sockets playing a peer byte by byte.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tickwire::ws::{
    CloseCode, HeartbeatConfig, Message, OwnedMessage, TimeoutKind, WsError, WsStream,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A tickwire echo server on loopback: echoes text and binary, ends at the
/// clean end. Returns its URL.
async fn echo_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut ws = WsStream::builder().accept(tcp).await.unwrap();
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
    });
    format!("ws://{addr}/echo")
}

/// A raw server: accepts one connection, completes the handshake by hand,
/// and hands the socket to `script`.
async fn raw_server<F, Fut, T>(script: F) -> (String, tokio::task::JoinHandle<T>)
where
    F: FnOnce(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = T> + Send,
    T: Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            tcp.read_exact(&mut byte).await.unwrap();
            head.push(byte[0]);
        }
        let req = tickwire::ws::handshake::parse_request(&head, &Default::default())
            .unwrap()
            .unwrap();
        let mut answer = Vec::new();
        req.write_accept(None, &[], &mut answer).unwrap();
        tcp.write_all(&answer).await.unwrap();
        script(tcp).await
    });
    (format!("ws://{addr}/"), task)
}

/// Reads one unmasked-or-masked frame from a raw socket: (opcode, payload).
async fn read_frame(tcp: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut h = [0u8; 2];
    tcp.read_exact(&mut h).await.unwrap();
    let mut len = u64::from(h[1] & 0x7F);
    if len == 126 {
        let mut e = [0u8; 2];
        tcp.read_exact(&mut e).await.unwrap();
        len = u64::from(u16::from_be_bytes(e));
    } else if len == 127 {
        let mut e = [0u8; 8];
        tcp.read_exact(&mut e).await.unwrap();
        len = u64::from_be_bytes(e);
    }
    let mut key = [0u8; 4];
    if h[1] & 0x80 != 0 {
        tcp.read_exact(&mut key).await.unwrap();
    }
    let mut payload = vec![0u8; len as usize];
    tcp.read_exact(&mut payload).await.unwrap();
    for (i, b) in payload.iter_mut().enumerate() {
        *b ^= key[i % 4];
    }
    (h[0] & 0x0F, payload)
}

#[tokio::test]
async fn echoes_text_and_binary_of_every_size_class() {
    let url = echo_server().await;
    let mut ws = WsStream::builder().connect(&url).await.unwrap();
    for len in [0usize, 1, 125, 126, 65_535, 65_536, 200_000, 1 << 20] {
        let payload: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        ws.send_binary(&payload).await.unwrap();
        match ws.recv().await.unwrap() {
            Some(Message::Binary(b)) => assert_eq!(b, &payload[..], "binary {len}"),
            other => panic!("binary {len}: got {other:?}"),
        }
        let text = "é".repeat(len / 2);
        ws.send_text(&text).await.unwrap();
        assert_eq!(ws.recv().await.unwrap(), Some(Message::Text(&text)));
    }
}

#[tokio::test]
async fn close_handshake_ends_both_sides_cleanly_then_errors() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = WsStream::builder().accept(tcp).await.unwrap();
        let first = ws.recv().await.unwrap().map(OwnedMessage::from);
        let end = ws.recv().await.unwrap().map(OwnedMessage::from);
        let after = ws.recv().await.unwrap_err();
        let send_after = ws.send_text("late").await.unwrap_err();
        (first, end, after.name(), send_after.name())
    });
    let mut ws = WsStream::builder()
        .connect(&format!("ws://{addr}/"))
        .await
        .unwrap();
    ws.close(CloseCode::NORMAL, "bye").await.unwrap();
    assert!(matches!(ws.send_text("x").await, Err(WsError::Closed)));
    let reply = ws.recv().await.unwrap().map(OwnedMessage::from);
    assert_eq!(
        reply,
        Some(OwnedMessage::Close(Some((
            CloseCode::NORMAL,
            String::new()
        ))))
    );
    assert_eq!(ws.recv().await.unwrap(), None);
    assert!(matches!(ws.recv().await, Err(WsError::Closed)));
    let (first, end, after, send_after) = server.await.unwrap();
    assert_eq!(
        first,
        Some(OwnedMessage::Close(Some((CloseCode::NORMAL, "bye".into()))))
    );
    assert_eq!(end, None);
    assert_eq!((after, send_after), ("closed", "closed"));
}

#[tokio::test]
async fn pings_are_answered_while_the_caller_only_reads() {
    let (url, server) = raw_server(|mut tcp| async move {
        tcp.write_all(&[0x89, 0x03, b'a', b'b', b'c'])
            .await
            .unwrap();
        let (op, payload) = read_frame(&mut tcp).await;
        assert_eq!(
            (op, &payload[..]),
            (0xA, &b"abc"[..]),
            "a pong echoing the ping"
        );
        tcp.write_all(&[0x81, 0x02, b'o', b'k']).await.unwrap();
        // Then a Close: the client must answer it with the same code.
        tcp.write_all(&[0x88, 0x02, 0x03, 0xE9]).await.unwrap();
        let (op, payload) = read_frame(&mut tcp).await;
        assert_eq!((op, &payload[..]), (0x8, &[0x03, 0xE9][..]));
    })
    .await;
    let mut ws = WsStream::builder().connect(&url).await.unwrap();
    assert_eq!(ws.recv().await.unwrap(), Some(Message::Ping(b"abc")));
    assert_eq!(ws.recv().await.unwrap(), Some(Message::Text("ok")));
    assert!(matches!(
        ws.recv().await.unwrap(),
        Some(Message::Close(Some(_)))
    ));
    assert_eq!(ws.recv().await.unwrap(), None);
    server.await.unwrap();
}

#[tokio::test]
async fn a_protocol_error_sends_the_matching_close_code() {
    let (url, server) = raw_server(|mut tcp| async move {
        // A masked frame to a client: RFC 6455 5.1 says fail with 1002.
        tcp.write_all(&[0x81, 0x81, 1, 2, 3, 4, b'x' ^ 1])
            .await
            .unwrap();
        let (op, payload) = read_frame(&mut tcp).await;
        assert_eq!((op, &payload[..2]), (0x8, &1002u16.to_be_bytes()[..]));
    })
    .await;
    let mut ws = WsStream::builder().connect(&url).await.unwrap();
    let e = ws.recv().await.unwrap_err();
    assert!(e.is_protocol(), "{e}");
    // Sticky: the same kind again, at once.
    assert!(ws.recv().await.unwrap_err().is_protocol());
    server.await.unwrap();
}

#[tokio::test]
async fn a_peer_that_vanishes_is_a_reset_not_an_end() {
    let (url, server) = raw_server(|tcp| async move { drop(tcp) }).await;
    let mut ws = WsStream::builder().connect(&url).await.unwrap();
    server.await.unwrap();
    assert!(matches!(ws.recv().await, Err(WsError::ConnectionReset)));
    assert!(matches!(ws.recv().await, Err(WsError::ConnectionReset)));
}

#[tokio::test]
async fn recv_is_cancel_safe_under_select() {
    let (url, server) = raw_server(|mut tcp| async move {
        // 50 messages, each trickled out a few bytes at a time.
        for i in 0..50u8 {
            let body = vec![i; 300];
            let mut frame = vec![0x82, 126, 0x01, 0x2C];
            frame.extend_from_slice(&body);
            for piece in frame.chunks(7) {
                tcp.write_all(piece).await.unwrap();
                tcp.flush().await.unwrap();
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
        }
        let mut rest = Vec::new();
        let _ = tcp.read_to_end(&mut rest).await;
    })
    .await;
    let mut ws = WsStream::builder()
        .buffer_capacity(64)
        .connect(&url)
        .await
        .unwrap();
    let mut got = Vec::new();
    let mut cancelled = 0;
    while got.len() < 50 {
        tokio::select! {
            biased;
            m = ws.recv() => match m.unwrap() {
                Some(Message::Binary(b)) => got.push(b.to_vec()),
                other => panic!("{other:?}"),
            },
            () = tokio::time::sleep(Duration::from_micros(300)) => cancelled += 1,
        }
    }
    for (i, b) in got.iter().enumerate() {
        assert_eq!(b, &vec![i as u8; 300]);
    }
    assert!(cancelled > 0, "the test never cancelled a recv");
    drop(ws);
    server.await.unwrap();
}

#[tokio::test]
async fn a_message_over_the_limit_is_refused_with_1009_and_a_large_one_fits() {
    let (url, server) = raw_server(|mut tcp| async move {
        let mut frame = vec![0x82, 127];
        frame.extend_from_slice(&(300_000u64).to_be_bytes());
        frame.extend_from_slice(&vec![7u8; 300_000]);
        tcp.write_all(&frame).await.unwrap();
        let mut frame = vec![0x82, 127];
        frame.extend_from_slice(&(2_000_000u64).to_be_bytes());
        tcp.write_all(&frame).await.unwrap();
        let (op, payload) = read_frame(&mut tcp).await;
        assert_eq!((op, &payload[..2]), (0x8, &1009u16.to_be_bytes()[..]));
    })
    .await;
    let mut ws = WsStream::builder()
        .buffer_capacity(1024)
        .max_message_size(1 << 20)
        .max_frame_size(1 << 20)
        .connect(&url)
        .await
        .unwrap();
    // A full small buffer is never an end of stream: it grows.
    match ws.recv().await.unwrap() {
        Some(Message::Binary(b)) => assert_eq!(b.len(), 300_000),
        other => panic!("{other:?}"),
    }
    let e = ws.recv().await.unwrap_err();
    assert!(e.is_protocol(), "{e}");
    server.await.unwrap();
}

#[tokio::test]
async fn sending_more_than_the_limit_is_an_error_and_the_stream_lives_on() {
    let url = echo_server().await;
    let mut ws = WsStream::builder()
        .max_message_size(100_000)
        .connect(&url)
        .await
        .unwrap();
    let e = ws.send_binary(&vec![0u8; 100_001]).await.unwrap_err();
    assert!(matches!(e, WsError::Encode(_)), "{e}");
    ws.send_text("still here").await.unwrap();
    assert_eq!(ws.recv().await.unwrap(), Some(Message::Text("still here")));
}

#[tokio::test]
async fn heartbeat_pings_go_out_and_a_silent_peer_times_out() {
    let (url, server) = raw_server(|mut tcp| async move {
        for _ in 0..3 {
            let (op, payload) = read_frame(&mut tcp).await;
            assert_eq!((op, &payload[..]), (0x9, &b"hb"[..]));
        }
        // Never answer: the client's idle deadline must fire.
        let mut rest = Vec::new();
        let _ = tcp.read_to_end(&mut rest).await;
    })
    .await;
    let mut ws = WsStream::builder()
        .heartbeat(
            HeartbeatConfig::default()
                .interval(Duration::from_millis(20))
                .ping_payload(&b"hb"[..])
                .idle_timeout(Duration::from_millis(300)),
        )
        .connect(&url)
        .await
        .unwrap();
    let e = ws.recv().await.unwrap_err();
    assert!(matches!(e, WsError::Timeout(TimeoutKind::Idle)), "{e}");
    assert!(e.is_timeout());
    drop(ws);
    server.await.unwrap();
}

/// A peer that never answers: reads the client's frames until its Close
/// and returns their opcodes.
async fn silent_peer() -> (String, tokio::task::JoinHandle<Vec<u8>>) {
    raw_server(|mut tcp| async move {
        let mut ops = Vec::new();
        loop {
            let (op, _) = read_frame(&mut tcp).await;
            ops.push(op);
            if op == 0x8 {
                return ops;
            }
        }
    })
    .await
}

/// A client whose idle deadline fires against [`silent_peer`].
async fn idle_client(url: &str) -> WsStream<tickwire::tls::MaybeTls<TcpStream>> {
    let heartbeat = HeartbeatConfig::default()
        .interval(Duration::from_millis(20))
        .idle_timeout(Duration::from_millis(200));
    WsStream::builder()
        .heartbeat(heartbeat)
        .connect(url)
        .await
        .unwrap()
}

fn assert_idle_timeout(e: &WsError) {
    assert!(matches!(e, WsError::Timeout(TimeoutKind::Idle)), "{e}");
}

/// What [`silent_peer`] read: heartbeat pings, then the Close, and no
/// data frame.
fn assert_pings_then_close(ops: &[u8]) {
    assert_eq!(ops.last(), Some(&0x8));
    assert!(ops[..ops.len() - 1].iter().all(|&op| op == 0x9), "{ops:?}");
}

#[tokio::test]
async fn after_the_idle_deadline_sends_fail_and_only_a_close_goes_out() {
    let (url, server) = silent_peer().await;
    let mut ws = idle_client(&url).await;
    assert_idle_timeout(&ws.recv().await.unwrap_err());
    // The connection is dead: an order must not go out unseen.
    assert_idle_timeout(&ws.send_text("order").await.unwrap_err());
    assert!(ws.send_ping(b"p").await.is_err());
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    assert_pings_then_close(&server.await.unwrap());
}

#[tokio::test]
async fn after_the_split_reader_times_out_the_writer_refuses_sends() {
    let (url, server) = silent_peer().await;
    let (mut reader, mut writer) = idle_client(&url).await.split();
    let e = tokio::spawn(async move { reader.recv().await.map(|m| m.is_some()).unwrap_err() })
        .await
        .unwrap();
    assert_idle_timeout(&e);
    assert_idle_timeout(&writer.send_text("order").await.unwrap_err());
    writer.close(CloseCode::NORMAL, "").await.unwrap();
    assert_pings_then_close(&server.await.unwrap());
}

#[tokio::test]
async fn a_stalled_feed_times_out_though_control_frames_flow() {
    let (url, server) = raw_server(|mut tcp| async move {
        for _ in 0..100 {
            if tcp.write_all(&[0x8A, 0x00]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    let mut ws = WsStream::builder()
        .heartbeat(
            HeartbeatConfig::default()
                .idle_timeout(Duration::from_millis(200))
                .data_timeout(Duration::from_millis(150)),
        )
        .connect(&url)
        .await
        .unwrap();
    let e = loop {
        match ws.recv().await {
            Ok(Some(Message::Pong(_))) => continue,
            Ok(other) => panic!("{other:?}"),
            Err(e) => break e,
        }
    };
    assert!(matches!(e, WsError::Timeout(TimeoutKind::Data)), "{e}");
    drop(ws);
    server.await.unwrap();
}

#[tokio::test]
async fn sink_feed_twice_loses_nothing_and_stream_yields_owned() {
    let url = echo_server().await;
    let mut ws = WsStream::builder().connect(&url).await.unwrap();
    SinkExt::feed(&mut ws, OwnedMessage::Text("one".into()))
        .await
        .unwrap();
    SinkExt::feed(&mut ws, OwnedMessage::Binary(vec![2; 70_000]))
        .await
        .unwrap();
    SinkExt::feed(&mut ws, OwnedMessage::Text("three".into()))
        .await
        .unwrap();
    SinkExt::flush(&mut ws).await.unwrap();
    let got: Vec<OwnedMessage> = (&mut ws).take(3).map(Result::unwrap).collect().await;
    assert_eq!(
        got,
        vec![
            OwnedMessage::Text("one".into()),
            OwnedMessage::Binary(vec![2; 70_000]),
            OwnedMessage::Text("three".into())
        ]
    );
    SinkExt::close(&mut ws).await.unwrap();
    // The echo server replies to our Close; the stream then ends.
    let rest: Vec<_> = ws.collect().await;
    assert!(
        matches!(&rest[..], [Ok(OwnedMessage::Close(_))]),
        "{rest:?}"
    );
}

#[tokio::test]
async fn split_halves_work_from_two_tasks_and_the_reader_answers_pings() {
    let (url, server) = raw_server(|mut tcp| async move {
        tcp.write_all(&[0x89, 0x01, b'p']).await.unwrap();
        let (op, payload) = read_frame(&mut tcp).await;
        assert_eq!(
            (op, &payload[..]),
            (0xA, &b"p"[..]),
            "pong while the writer idles"
        );
        tcp.write_all(&[0x81, 0x02, b'g', b'o']).await.unwrap();
        let (op, payload) = read_frame(&mut tcp).await;
        assert_eq!((op, &payload[..]), (0x1, &b"from writer"[..]));
        tcp.write_all(&[0x88, 0x02, 0x03, 0xE8]).await.unwrap();
        let (op, _) = read_frame(&mut tcp).await;
        assert_eq!(op, 0x8);
    })
    .await;
    let ws = WsStream::builder().connect(&url).await.unwrap();
    let (mut reader, mut writer) = ws.split();
    let (go_tx, go_rx) = tokio::sync::oneshot::channel();
    let writer_task = tokio::spawn(async move {
        go_rx.await.unwrap();
        writer.send_text("from writer").await.unwrap();
        writer
    });
    assert_eq!(reader.recv().await.unwrap(), Some(Message::Ping(b"p")));
    assert_eq!(reader.recv().await.unwrap(), Some(Message::Text("go")));
    go_tx.send(()).unwrap();
    assert!(matches!(
        reader.recv().await.unwrap(),
        Some(Message::Close(_))
    ));
    assert_eq!(reader.recv().await.unwrap(), None);
    let mut writer = writer_task.await.unwrap();
    assert!(matches!(
        writer.send_text("late").await,
        Err(WsError::Closed)
    ));
    server.await.unwrap();
}

#[tokio::test]
async fn ipv6_literal_urls_connect() {
    let Ok(listener) = TcpListener::bind("[::1]:0").await else {
        eprintln!("no IPv6 loopback here: skipped");
        return;
    };
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = WsStream::builder().accept(tcp).await.unwrap();
        ws.send_text("v6").await.unwrap();
    });
    let mut ws = WsStream::builder()
        .connect(&format!("ws://[::1]:{port}/"))
        .await
        .unwrap();
    assert!(ws.get_ref().get_ref().nodelay().unwrap(), "TCP_NODELAY on");
    assert_eq!(ws.recv().await.unwrap(), Some(Message::Text("v6")));
    server.await.unwrap();
}

#[tokio::test]
async fn a_bad_upgrade_request_is_refused_with_a_status() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        WsStream::builder()
            .accept(tcp)
            .await
            .map(|_| ())
            .unwrap_err()
    });
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await.unwrap();
    assert!(
        answer.starts_with(b"HTTP/1.1 426 "),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let e = server.await.unwrap();
    assert_eq!(e.name(), "handshake");
}

#[tokio::test]
async fn connect_and_handshake_timeouts_fire() {
    // A server that accepts TCP and never answers the upgrade.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let _keep = tokio::spawn(async move {
        let (_tcp, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let e = WsStream::builder()
        .handshake_timeout(Duration::from_millis(100))
        .connect(&format!("ws://{addr}/"))
        .await
        .unwrap_err();
    assert!(matches!(e, WsError::Timeout(TimeoutKind::Handshake)), "{e}");
    let e = WsStream::builder()
        .connect("ws://nonsense:99999/")
        .await
        .unwrap_err();
    assert!(matches!(e, WsError::InvalidUrl(_)), "{e}");
}

/// Closes `tcp` with a reset: RST, not FIN.
fn reset(tcp: TcpStream) {
    socket2::SockRef::from(&tcp)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(tcp);
}

#[tokio::test]
async fn a_failed_write_poisons_the_stream() {
    let (url, server) = raw_server(|tcp| async move { reset(tcp) }).await;
    let mut ws = WsStream::builder().connect(&url).await.unwrap();
    server.await.unwrap();
    let payload = vec![0u8; 16 * 1024];
    let mut first_error = None;
    for _ in 0..1000 {
        if let Err(e) = ws.send_binary(&payload).await {
            first_error = Some(e);
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let first = first_error.expect("writes to a reset socket must fail");
    assert!(matches!(first, WsError::Io(_)), "{first}");
    let again = ws.send_text("after").await.unwrap_err();
    assert!(matches!(again, WsError::Poisoned(_)), "{again}");
    assert!(again.is_closed());
    assert!(ws.flush().await.is_err());
}

#[tokio::test]
async fn messages_read_before_a_failed_pong_are_still_handed_out() {
    let (url, server) = raw_server(|mut tcp| async move {
        // A ping, a message and a Close in one write, then a reset: the
        // pong the client owes cannot be written.
        let mut frames = vec![0x89, 0x01, b'p', 0x81, 0x05];
        frames.extend_from_slice(b"order");
        frames.extend_from_slice(&[0x88, 0x06, 0x03, 0xF0]);
        frames.extend_from_slice(b"bye!");
        tcp.write_all(&frames).await.unwrap();
        reset(tcp);
    })
    .await;
    let mut ws = WsStream::builder().connect(&url).await.unwrap();
    server.await.unwrap();
    // Let the reset land before the pong is written (loopback is quick;
    // the assertion on `Poisoned` below shows that it did).
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(matches!(ws.recv().await, Ok(Some(Message::Ping(b"p")))));
    // The pong's write fails here; what was already read still comes out,
    // the peer's Close with its code and reason among it.
    assert!(matches!(ws.recv().await, Ok(Some(Message::Text("order")))));
    match ws.recv().await {
        Ok(Some(Message::Close(Some(frame)))) => {
            assert_eq!((frame.code, frame.reason), (CloseCode::from(1008), "bye!"));
        }
        other => panic!("expected the peer's Close, got {other:?}"),
    }
    let after = ws.send_text("late").await.unwrap_err();
    assert!(matches!(after, WsError::Poisoned(_)), "{after}");
}

/// rcgen CA and a leaf for 127.0.0.1 and localhost: (CA DER, leaf DER, key DER).
fn test_certs() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    (
        ca.der().to_vec(),
        leaf.der().to_vec(),
        leaf_key.serialize_der(),
    )
}

#[tokio::test]
async fn wss_end_to_end_with_a_verified_certificate() {
    use tickwire::tls::{ServerTlsConfig, TlsConfig};
    let (ca, leaf, key) = test_certs();
    let server_tls = ServerTlsConfig::new(vec![leaf], key).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let tls = server_tls.accept(tcp).await.unwrap();
        let mut ws = WsStream::builder().accept(tls).await.unwrap();
        while let Some(m) = ws.recv().await.unwrap() {
            if let Message::Binary(b) = m {
                let echo = b.to_vec();
                ws.send_binary(&echo).await.unwrap();
            }
        }
    });
    let tls = TlsConfig::builder()
        .skip_system_certs()
        .add_root_cert(&ca)
        .unwrap()
        .build()
        .unwrap();
    {
        let mut ws = WsStream::builder()
            .tls(&tls)
            .connect(&format!("wss://localhost:{port}/"))
            .await
            .unwrap();
        assert!(ws.get_ref().is_tls());
        for len in [0usize, 40, 1024, 300_000] {
            let payload = vec![9u8; len];
            ws.send_binary(&payload).await.unwrap();
            assert_eq!(
                ws.recv().await.unwrap(),
                Some(Message::Binary(&payload[..]))
            );
        }
        ws.close(CloseCode::NORMAL, "").await.unwrap();
        assert!(matches!(ws.recv().await.unwrap(), Some(Message::Close(_))));
        assert_eq!(ws.recv().await.unwrap(), None);
    }
    server.await.unwrap();

    // A certificate from a CA we do not trust fails the TLS step.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (_, other_leaf, other_key) = test_certs();
    let other_tls = ServerTlsConfig::new(vec![other_leaf], other_key).unwrap();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let _ = other_tls.accept(tcp).await;
    });
    let e = WsStream::builder()
        .tls(&tls)
        .connect(&format!("wss://localhost:{port}/"))
        .await
        .unwrap_err();
    assert!(matches!(e, WsError::Tls(_)), "{e}");
}

#[tokio::test]
async fn invalid_utf8_in_a_whole_text_frame_sends_1007_at_once() {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (url, server) = raw_server(|mut tcp| async move {
        tcp.write_all(&[0x81, 0x02, 0xC3, 0x28]).await.unwrap();
        let (op, payload) = read_frame(&mut tcp).await;
        assert_eq!((op, &payload[..2]), (0x8, &1007u16.to_be_bytes()[..]));
        tx.send(()).unwrap();
    })
    .await;
    let mut ws = WsStream::builder().connect(&url).await.unwrap();
    let e = ws.recv().await.unwrap_err();
    assert!(e.is_protocol(), "{e}");
    // The Close went out with the error: no further call needed.
    tokio::time::timeout(Duration::from_secs(5), rx)
        .await
        .expect("the peer got the 1007 Close without another recv")
        .unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn sink_poll_ready_holds_back_while_a_frame_is_pending_and_loses_nothing() {
    use futures::Sink;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
    let (url, server) = raw_server(|mut tcp| async move {
        // Read nothing until told: the client's socket buffers fill up.
        release_rx.await.unwrap();
        let mut count = 0usize;
        loop {
            let (op, payload) = read_frame(&mut tcp).await;
            if op == 0x8 {
                break;
            }
            assert_eq!(op, 0x2);
            assert_eq!(payload.len(), 64 * 1024);
            assert!(
                payload.iter().all(|&b| b == count as u8),
                "message {count} intact"
            );
            count += 1;
        }
        tcp.write_all(&[0x88, 0x00]).await.unwrap();
        count
    })
    .await;
    let mut ws = WsStream::builder().connect(&url).await.unwrap();
    let mut cx = Context::from_waker(Waker::noop());
    let mut sent = 0usize;
    let mut held_back = false;
    for _ in 0..100_000 {
        match Pin::new(&mut ws).poll_ready(&mut cx) {
            Poll::Ready(Ok(())) => {
                Pin::new(&mut ws)
                    .start_send(OwnedMessage::Binary(vec![sent as u8; 64 * 1024]))
                    .unwrap();
                sent += 1;
            }
            Poll::Ready(Err(e)) => panic!("{e}"),
            Poll::Pending => {
                held_back = true;
                break;
            }
        }
    }
    assert!(
        held_back,
        "poll_ready never held back though the peer reads nothing"
    );
    release_tx.send(()).unwrap();
    SinkExt::close(&mut ws).await.unwrap();
    assert!(matches!(ws.recv().await.unwrap(), Some(Message::Close(_))));
    let received = server.await.unwrap();
    assert!(sent > 1);
    assert_eq!(received, sent, "every message accepted by the sink arrived");
}

#[tokio::test]
async fn split_halves_under_load_answer_every_ping_and_deliver_every_message() {
    const MESSAGES: usize = 400;
    const PINGS: usize = 200;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // The server pings while it reads the client's flood, slowly.
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let ws = WsStream::builder().accept(tcp).await.unwrap();
        let (mut reader, mut writer) = ws.split();
        let pinger = tokio::spawn(async move {
            for i in 0..PINGS {
                writer.send_ping(&(i as u32).to_be_bytes()).await.unwrap();
                tokio::task::yield_now().await;
            }
            writer
        });
        let (mut messages, mut pongs) = (0, 0);
        while messages < MESSAGES || pongs < PINGS {
            match reader.recv().await.unwrap() {
                Some(Message::Binary(b)) => {
                    assert_eq!(b.len(), 32 * 1024);
                    assert!(b.iter().all(|&x| x == messages as u8));
                    messages += 1;
                    if messages % 50 == 0 {
                        tokio::time::sleep(Duration::from_millis(2)).await;
                    }
                }
                Some(Message::Pong(p)) => {
                    assert_eq!(p, (pongs as u32).to_be_bytes(), "pongs in ping order");
                    pongs += 1;
                }
                other => panic!("{other:?}"),
            }
        }
        let mut writer = pinger.await.unwrap();
        writer.close(CloseCode::NORMAL, "done").await.unwrap();
        while reader.recv().await.unwrap().is_some() {}
    });
    let ws = WsStream::builder()
        .connect(&format!("ws://{addr}/"))
        .await
        .unwrap();
    let (mut reader, mut writer) = ws.split();
    let flood = tokio::spawn(async move {
        for i in 0..MESSAGES {
            writer.send_binary(&vec![i as u8; 32 * 1024]).await.unwrap();
        }
        writer
    });
    // The client's reader answers the pings while its writer floods.
    let mut pings = 0;
    let end = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match reader.recv().await.unwrap() {
                Some(Message::Ping(_)) => pings += 1,
                Some(Message::Close(_)) => {}
                None => break,
                other => panic!("{other:?}"),
            }
        }
    })
    .await;
    assert!(end.is_ok(), "stalled: {pings} pings seen");
    assert_eq!(pings, PINGS);
    flood.await.unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn accept_with_sees_the_request_and_subprotocols_are_negotiated() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        // First client: right key, gets the protocol both support.
        let (tcp, _) = listener.accept().await.unwrap();
        let mut seen = None;
        let mut ws = WsStream::builder()
            .subprotocol("v2.json")
            .accept_with(tcp, |req| {
                seen = Some((
                    req.path().to_owned(),
                    req.origin().map(str::to_owned),
                    req.header("x-api-key").map(<[u8]>::to_vec),
                ));
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!(ws.protocol(), Some("v2.json"));
        ws.send_text("welcome").await.unwrap();
        // Second client: refused with 401.
        let (tcp, _) = listener.accept().await.unwrap();
        let e = WsStream::builder()
            .accept_with(tcp, |_| Err(401))
            .await
            .unwrap_err();
        (seen, e.to_string())
    });
    let url = format!("ws://{addr}/feed?depth=5");
    let mut ws = WsStream::builder()
        .header("X-Api-Key", "k3y")
        .origin("https://desk.example")
        .subprotocol("v1.json")
        .subprotocol("v2.json")
        .connect(&url)
        .await
        .unwrap();
    assert_eq!(ws.protocol(), Some("v2.json"));
    assert_eq!(ws.recv().await.unwrap(), Some(Message::Text("welcome")));
    let refused = WsStream::builder().connect(&url).await.unwrap_err();
    assert!(
        matches!(
            refused,
            WsError::Handshake(tickwire::ws::handshake::HandshakeError::UnexpectedStatus(
                401
            ))
        ),
        "{refused}"
    );
    let (seen, server_error) = server.await.unwrap();
    assert_eq!(
        seen,
        Some((
            "/feed?depth=5".to_owned(),
            Some("https://desk.example".to_owned()),
            Some(b"k3y".to_vec())
        ))
    );
    assert!(server_error.contains("401"), "{server_error}");
}

#[tokio::test]
async fn text_heartbeats_go_out_as_text_messages() {
    let (url, server) = raw_server(|mut tcp| async move {
        for _ in 0..2 {
            let (op, payload) = read_frame(&mut tcp).await;
            assert_eq!((op, &payload[..]), (0x1, &br#"{"op":"ping"}"#[..]));
        }
    })
    .await;
    let mut ws = WsStream::builder()
        .heartbeat(
            HeartbeatConfig::default()
                .interval(Duration::from_millis(10))
                .text_payload(r#"{"op":"ping"}"#),
        )
        .connect(&url)
        .await
        .unwrap();
    // Reading drives the heartbeat; the server hangs up after two.
    let e = ws.recv().await.unwrap_err();
    assert!(matches!(e, WsError::ConnectionReset), "{e}");
    server.await.unwrap();
}

#[tokio::test]
async fn huge_timeouts_mean_no_deadline_not_a_panic() {
    let url = echo_server().await;
    let mut ws = WsStream::builder()
        .connect_timeout(Duration::MAX)
        .handshake_timeout(Duration::MAX)
        .heartbeat(
            HeartbeatConfig::default()
                .interval(Duration::MAX)
                .idle_timeout(Duration::MAX)
                .data_timeout(Duration::MAX),
        )
        .connect(&url)
        .await
        .unwrap();
    ws.send_text("x").await.unwrap();
    assert_eq!(ws.recv().await.unwrap(), Some(Message::Text("x")));
}

#[tokio::test]
async fn tiny_limits_still_answer_a_full_size_ping() {
    let (url, server) = raw_server(|mut tcp| async move {
        let mut ping = vec![0x89, 125];
        ping.extend_from_slice(&[7u8; 125]);
        tcp.write_all(&ping).await.unwrap();
        let (op, payload) = read_frame(&mut tcp).await;
        assert_eq!((op, payload), (0xA, vec![7u8; 125]));
    })
    .await;
    let mut ws = WsStream::builder()
        .max_message_size(64)
        .write_buffer_capacity(64)
        .connect(&url)
        .await
        .unwrap();
    assert!(matches!(ws.recv().await.unwrap(), Some(Message::Ping(_))));
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the pong went out")
        .unwrap();
}

#[tokio::test]
async fn heartbeats_go_out_under_a_steady_feed() {
    let (url, server) = raw_server(|tcp| async move {
        let (mut rd, mut wr) = tcp.into_split();
        let feed = tokio::spawn(async move {
            // A data frame every few hundred microseconds, never a pause.
            while wr.write_all(&[0x81, 0x01, b'.']).await.is_ok() {
                tokio::time::sleep(Duration::from_micros(300)).await;
            }
        });
        let mut beats = 0;
        let mut h = [0u8; 2];
        while beats < 3 {
            rd.read_exact(&mut h).await.unwrap();
            let mut rest = vec![0u8; 4 + usize::from(h[1] & 0x7F)];
            rd.read_exact(&mut rest).await.unwrap();
            assert_eq!(h[0], 0x81, "a text heartbeat");
            beats += 1;
        }
        feed.abort();
        beats
    })
    .await;
    let mut ws = WsStream::builder()
        .heartbeat(
            HeartbeatConfig::default()
                .interval(Duration::from_millis(20))
                .text_payload("hb"),
        )
        .connect(&url)
        .await
        .unwrap();
    let reading = async {
        loop {
            match ws.recv().await {
                Ok(Some(_)) => {}
                other => break format!("{other:?}"),
            }
        }
    };
    tokio::select! {
        biased; // the server hangs up right after its count: count first
        beats = server => assert_eq!(beats.unwrap(), 3),
        end = reading => panic!("the feed ended before three heartbeats: {end}"),
        () = tokio::time::sleep(Duration::from_secs(10)) => panic!("no heartbeats under a steady feed"),
    }
}
