//! `WsStream` against a WebSocket implementation nobody on the team wrote:
//! the Python `websockets` package, run by `tests/interop/ws_peer.py`, as a
//! server (tickwire connects) and as a client (tickwire accepts), over
//! `ws://` and over `wss://` with rcgen certificates.
//!
//! Each test starts one Python process (`tests/interop/harness.rs`) and
//! runs a group of connections through it. The Python side reports what it
//! saw (Close frames received and sent, its own echo checks) as lines on
//! stdout; both sides' views are asserted here. Every wait is bounded, and
//! the process is killed when the test ends, passed or not. Without
//! `websockets` installed every test fails and says how to install it.

#[path = "interop/harness.rs"]
mod harness;

use harness::{PythonClient, PythonServer, Transport, Ws, within};
use tickwire::ws::{CloseCode, Message, OwnedMessage, WsError, WsStream};

/// Message sizes from empty to 1 MiB, across the 7-, 16- and 64-bit
/// length encodings.
const SIZES: [usize; 7] = [0, 1, 125, 126, 65_535, 65_536, 1 << 20];
/// Every code tickwire and websockets both may send: the registered ones
/// and the library and application ranges.
const CLOSE_CODES: [u16; 15] = [
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999,
];

// ---------------------------------------------------------------- helpers

/// The next message; the clean end or an error fails the test.
async fn next(ws: &mut Ws) -> OwnedMessage {
    match within("recv", ws.recv()).await {
        Ok(Some(message)) => message.into(),
        other => panic!(
            "expected a message, got {:?}",
            other.map(|m| m.map(summary))
        ),
    }
}

/// Asserts the next message without printing a megabyte when it differs.
async fn expect(ws: &mut Ws, want: &OwnedMessage) {
    let got = next(ws).await;
    assert!(
        got == *want,
        "got {}, want {}",
        summary(got.as_message()),
        summary(want.as_message())
    );
}

async fn expect_clean_end(ws: &mut Ws) {
    let end = within("recv", ws.recv()).await.map(|m| m.map(summary));
    assert!(
        matches!(end, Ok(None)),
        "expected the clean end, got {end:?}"
    );
}

/// Our normal Close, the peer's echo of it, then the clean end.
async fn close_normally(ws: &mut Ws) {
    within("close", ws.close(CloseCode::NORMAL, ""))
        .await
        .unwrap();
    expect(ws, &close(1000, "")).await;
    expect_clean_end(ws).await;
}

/// A peer that vanished without a Close must be an error, never the clean
/// end, and stay one. Then the stream is dropped, as an application would:
/// a TLS peer that closed with close_notify waits for the socket to close.
async fn expect_abrupt_end(mut ws: Ws) {
    for attempt in ["first", "second"] {
        let end = within("recv", ws.recv()).await.map(|m| m.map(summary));
        assert!(
            matches!(end, Err(WsError::ConnectionReset | WsError::Io(_))),
            "{attempt} recv after an abrupt close: expected ConnectionReset or Io, got {end:?}"
        );
    }
}

fn summary(message: Message<'_>) -> String {
    let head = |b: &[u8]| b.iter().take(16).copied().collect::<Vec<u8>>();
    match message {
        Message::Text(t) => format!("Text({} bytes, {:?}...)", t.len(), head(t.as_bytes())),
        Message::Binary(b) => format!("Binary({} bytes, {:?}...)", b.len(), head(b)),
        Message::Ping(p) => format!("Ping({p:?})"),
        Message::Pong(p) => format!("Pong({p:?})"),
        Message::Close(c) => format!("Close({c:?})"),
    }
}

fn binary(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

/// About `len` bytes of text with 1-, 2-, 3- and 4-byte characters.
fn text(len: usize) -> String {
    "aé€😀".repeat(len / 10) + &"z".repeat(len % 10)
}

fn close(code: u16, reason: &str) -> OwnedMessage {
    OwnedMessage::Close(Some((CloseCode(code), reason.to_owned())))
}

/// A Close reason: "<side> <code>", or for 4999 the longest one allowed
/// (123 bytes, mostly 2-byte characters).
fn reason(side: &str, code: u16) -> String {
    if code == 4999 {
        "é".repeat(61) + "!"
    } else {
        format!("{side} {code}")
    }
}

/// How ws_peer.py prints a Close frame (`none` when none arrived).
fn shown(close: Option<(u16, &str)>) -> String {
    match close {
        Some((code, reason)) => format!("{code} {reason:?}"),
        None => "none".to_owned(),
    }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What an echo server saw, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    /// A text or binary message, echoed back (the peer checks it).
    Echoed,
    /// Anything else: a ping, a pong, a Close.
    Other(OwnedMessage),
}

/// Echoes text and binary until the clean end, which it asserts. Returns
/// everything it received, in order.
async fn serve_echo(ws: &mut Ws) -> Vec<Seen> {
    let mut seen = Vec::new();
    loop {
        let reply = match within("recv", ws.recv()).await {
            Ok(Some(Message::Text(t))) => OwnedMessage::Text(t.to_owned()),
            Ok(Some(Message::Binary(b))) => OwnedMessage::Binary(b.to_vec()),
            Ok(Some(other)) => {
                seen.push(Seen::Other(other.into()));
                continue;
            }
            Ok(None) => return seen,
            Err(e) => panic!("echo server: {e:?} after {seen:?}"),
        };
        within("send", ws.send(reply.as_message())).await.unwrap();
        seen.push(Seen::Echoed);
    }
}

// ------------------------------------- tickwire client, websockets server

async fn client_echo(transport: Transport) {
    let mut server = PythonServer::start(transport).await;
    let mut ws = server.connect("/echo").await;
    for len in SIZES {
        for message in [
            OwnedMessage::Binary(binary(len)),
            OwnedMessage::Text(text(len)),
        ] {
            within("send", ws.send(message.as_message())).await.unwrap();
            expect(&mut ws, &message).await;
        }
    }
    close_normally(&mut ws).await;
    assert_eq!(
        server.report("/echo").await,
        r#"/echo rcvd=1000 "" sent=1000 """#
    );
}

#[tokio::test]
async fn client_echo_0b_to_1mib_plain() {
    client_echo(Transport::Plain).await;
}

#[tokio::test]
async fn client_echo_0b_to_1mib_tls() {
    client_echo(Transport::Tls).await;
}

/// websockets echoes each message in fragments of the size in the path,
/// with a ping after the first fragment; it then reports the pong as text.
/// Text is cut as bytes, so characters straddle frames; empty messages are
/// an empty first frame and an empty final one.
async fn client_reassembles_fragments(transport: Transport) {
    let server = PythonServer::start(transport).await;
    let cases = [
        (1, OwnedMessage::Text(text(40))),
        (1, OwnedMessage::Text(String::new())),
        (1, OwnedMessage::Binary(Vec::new())),
        (7, OwnedMessage::Binary(binary(300))),
        (65_536, OwnedMessage::Binary(binary(1 << 20))),
        (4093, OwnedMessage::Text(text(1 << 20))),
    ];
    for (size, message) in cases {
        let mut ws = server.connect(&format!("/fragments/{size}")).await;
        within("send", ws.send(message.as_message())).await.unwrap();
        // The ping comes out between the fragments, before the message.
        expect(&mut ws, &OwnedMessage::Ping(b"mid".to_vec())).await;
        expect(&mut ws, &message).await;
        expect(&mut ws, &OwnedMessage::Text("pong mid".into())).await;
        close_normally(&mut ws).await;
    }
}

#[tokio::test]
async fn client_reassembles_fragments_with_a_ping_inside_plain() {
    client_reassembles_fragments(Transport::Plain).await;
}

#[tokio::test]
async fn client_reassembles_fragments_with_a_ping_inside_tls() {
    client_reassembles_fragments(Transport::Tls).await;
}

/// websockets pings three times and waits for each pong before the next
/// (a pong with the wrong payload would not count); then tickwire pings.
async fn client_ping_pong(transport: Transport) {
    let mut server = PythonServer::start(transport).await;
    let mut ws = server.connect("/pings").await;
    for payload in [&b""[..], b"hello", &(0..125).collect::<Vec<u8>>()] {
        expect(&mut ws, &OwnedMessage::Ping(payload.to_vec())).await;
    }
    expect(&mut ws, &OwnedMessage::Text("pongs 3".into())).await;
    within("ping", ws.send_ping(b"tickwire")).await.unwrap();
    expect(&mut ws, &OwnedMessage::Pong(b"tickwire".to_vec())).await;
    within("send", ws.send_text("still open")).await.unwrap();
    expect(&mut ws, &OwnedMessage::Text("still open".into())).await;
    close_normally(&mut ws).await;
    assert_eq!(
        server.report("/pings").await,
        r#"/pings rcvd=1000 "" sent=1000 """#
    );
}

#[tokio::test]
async fn client_ping_pong_both_ways_plain() {
    client_ping_pong(Transport::Plain).await;
}

#[tokio::test]
async fn client_ping_pong_both_ways_tls() {
    client_ping_pong(Transport::Tls).await;
}

/// Every code, closed by each side in turn, and an empty Close each way:
/// both sides see the code and the reason, and tickwire's `recv` ends
/// cleanly after the Close.
async fn client_close_codes(transport: Transport) {
    let mut server = PythonServer::start(transport).await;
    for code in CLOSE_CODES {
        // tickwire closes; websockets echoes code and reason.
        let path = format!("/echo/closed-by-tickwire-{code}");
        let why = reason("tickwire", code);
        let mut ws = server.connect(&path).await;
        within("close", ws.close(CloseCode(code), &why))
            .await
            .unwrap();
        expect(&mut ws, &close(code, &why)).await;
        expect_clean_end(&mut ws).await;
        let seen = Some((code, why.as_str()));
        assert_eq!(
            server.report(&path).await,
            format!("{path} rcvd={} sent={}", shown(seen), shown(seen))
        );

        // websockets closes; tickwire answers with the code.
        let why = reason("python", code);
        let path = format!("/close/{code}/{}", url_encode(&why));
        let mut ws = server.connect(&path).await;
        expect(&mut ws, &close(code, &why)).await;
        expect_clean_end(&mut ws).await;
        assert_eq!(
            server.report(&path).await,
            format!(
                "{path} rcvd={} sent={}",
                shown(Some((code, ""))),
                shown(Some((code, &why)))
            )
        );
    }
    // An empty Close (websockets reads it as 1005, "no status") each way.
    let mut ws = server.connect("/echo/empty").await;
    within("close", ws.send(Message::Close(None)))
        .await
        .unwrap();
    expect(&mut ws, &OwnedMessage::Close(None)).await;
    expect_clean_end(&mut ws).await;
    let empty = shown(Some((1005, "")));
    assert_eq!(
        server.report("/echo/empty").await,
        format!("/echo/empty rcvd={empty} sent={empty}")
    );
    let mut ws = server.connect("/close-empty").await;
    expect(&mut ws, &OwnedMessage::Close(None)).await;
    expect_clean_end(&mut ws).await;
    assert_eq!(
        server.report("/close-empty").await,
        format!("/close-empty rcvd={empty} sent={empty}")
    );
}

#[tokio::test]
async fn client_close_codes_both_ways_plain() {
    client_close_codes(Transport::Plain).await;
}

#[tokio::test]
async fn client_close_codes_both_ways_tls() {
    client_close_codes(Transport::Tls).await;
}

/// websockets drops the connection without a Close: after a message (FIN,
/// then RST), in the middle of a fragmented message, and by dying.
async fn client_abrupt_close(transport: Transport) {
    let mut server = PythonServer::start(transport).await;
    for path in ["/drop/fin", "/drop/reset"] {
        let mut ws = server.connect(path).await;
        expect(&mut ws, &OwnedMessage::Text("bye".into())).await;
        within("send", ws.send_text("ok")).await.unwrap();
        expect_abrupt_end(ws).await;
    }
    // The first fragment arrived; the message must never come out.
    let ws = server.connect("/eof-mid-message").await;
    expect_abrupt_end(ws).await;

    let mut ws = server.connect("/echo/killed").await;
    within("send", ws.send_text("alive")).await.unwrap();
    expect(&mut ws, &OwnedMessage::Text("alive".into())).await;
    server.kill().await;
    expect_abrupt_end(ws).await;
}

#[tokio::test]
async fn client_sees_an_abrupt_close_as_an_error_plain() {
    client_abrupt_close(Transport::Plain).await;
}

#[tokio::test]
async fn client_sees_an_abrupt_close_as_an_error_tls() {
    client_abrupt_close(Transport::Tls).await;
}

#[tokio::test]
async fn client_refuses_a_python_server_from_another_ca() {
    let server = PythonServer::start(Transport::Tls).await;
    let untrusting = WsStream::builder().tls(&server.untrusting_tls());
    match server.connect_with("/echo", untrusting).await {
        Err(WsError::Tls(e)) => assert!(e.is_certificate_error(), "{e:?}"),
        other => panic!("expected a certificate error, got {:?}", other.map(|_| ())),
    }
    // The same server is fine with the CA that signed it.
    let mut ws = server.connect("/echo").await;
    within("send", ws.send_text("trusted")).await.unwrap();
    expect(&mut ws, &OwnedMessage::Text("trusted".into())).await;
}

/// websockets sends what tickwire must refuse: `recv` fails with the
/// protocol error, and websockets receives the Close code that names it
/// (and answers it).
async fn expect_refusal(server: &mut PythonServer, path: &str, code: u16) {
    let builder = server.builder().max_message_size(1000);
    let mut ws = server.connect_with(path, builder).await.unwrap();
    match within("recv", ws.recv()).await.map(|m| m.map(summary)) {
        Err(WsError::Protocol(e)) => assert_eq!(e.close_code(), CloseCode(code), "{e:?}"),
        other => panic!("{path}: expected a protocol error, got {other:?}"),
    }
    // websockets waits for the socket to close before it reports.
    drop(ws);
    let close = shown(Some((code, "")));
    assert_eq!(
        server.report(path).await,
        format!("{path} rcvd={close} sent={close}"),
        "websockets must receive tickwire's Close {code}"
    );
}

#[tokio::test]
async fn client_refuses_an_oversize_message_with_1009() {
    let mut server = PythonServer::start(Transport::Plain).await;
    expect_refusal(&mut server, "/send-bad/binary/1001", 1009).await;
    expect_refusal(&mut server, "/send-bad/fragmented/1001", 1009).await;
}

/// Invalid UTF-8 in a text frame that arrives whole is found when the
/// message is handed out (`FrameReader::next`), not while reading; the
/// Close 1007 must still go out with the error, without a second `recv`.
#[tokio::test]
async fn client_sends_1007_for_a_whole_text_frame_that_is_not_utf8() {
    let mut server = PythonServer::start(Transport::Plain).await;
    expect_refusal(&mut server, "/send-bad/invalid-utf8", 1007).await;
}

/// As above, for a Close frame with a code that must never be on the wire
/// (1005): the error comes from `FrameReader::next`, and Close 1002 goes
/// out with it.
#[tokio::test]
async fn client_sends_1002_for_a_close_frame_with_a_forbidden_code() {
    let mut server = PythonServer::start(Transport::Plain).await;
    expect_refusal(&mut server, "/send-bad/close-code/1005", 1002).await;
}

// ------------------------------------- websockets client, tickwire server

fn scenarios(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// websockets checks every echo itself (sizes 0 B to 1 MiB; fragmented:
/// text cut inside characters, empty, 1 MiB binary and text, each with a
/// ping after the first fragment) and reports "ok".
async fn server_echo_fragments_pings(transport: Transport) {
    let mut client =
        PythonClient::start(transport, &scenarios(&["echo", "fragments", "pings"])).await;
    let done = close(1000, "done");
    let python_saw = r#"rcvd=1000 "" sent=1000 "done""#;

    let mut ws = client.accept().await;
    let mut want = vec![Seen::Echoed; 2 * SIZES.len()];
    want.push(Seen::Other(done.clone()));
    assert_eq!(serve_echo(&mut ws).await, want);
    assert_eq!(client.outcome().await, format!("echo ok {python_saw}"));

    let mut ws = client.accept().await;
    // Four messages, each with a ping inside, which comes out first.
    let ping = Seen::Other(OwnedMessage::Ping(b"mid".to_vec()));
    let mut want: Vec<Seen> = (0..4).flat_map(|_| [ping.clone(), Seen::Echoed]).collect();
    want.push(Seen::Other(done.clone()));
    assert_eq!(serve_echo(&mut ws).await, want);
    assert_eq!(client.outcome().await, format!("fragments ok {python_saw}"));

    let mut ws = client.accept().await;
    for payload in [&b""[..], b"hello", &(0..125).collect::<Vec<u8>>()] {
        expect(&mut ws, &OwnedMessage::Ping(payload.to_vec())).await;
    }
    expect(&mut ws, &OwnedMessage::Text("pinged".into())).await;
    within("ping", ws.send_ping(b"tickwire")).await.unwrap();
    expect(&mut ws, &OwnedMessage::Pong(b"tickwire".to_vec())).await;
    within("send", ws.send_text("done")).await.unwrap();
    expect(&mut ws, &done).await;
    expect_clean_end(&mut ws).await;
    assert_eq!(client.outcome().await, format!("pings ok {python_saw}"));
}

#[tokio::test]
async fn server_echo_fragments_pings_plain() {
    server_echo_fragments_pings(Transport::Plain).await;
}

#[tokio::test]
async fn server_echo_fragments_pings_tls() {
    server_echo_fragments_pings(Transport::Tls).await;
}

async fn server_close_codes(transport: Transport) {
    let mut names = Vec::new();
    for code in CLOSE_CODES {
        names.push(format!("close:{code}"));
        names.push(format!("wait-close:{code}"));
    }
    names.extend(scenarios(&["close-empty", "wait-close:empty"]));
    let mut client = PythonClient::start(transport, &names).await;
    for code in CLOSE_CODES {
        // websockets closes with "python <code>"; tickwire answers the code.
        let why = format!("python {code}");
        let mut ws = client.accept().await;
        expect(&mut ws, &close(code, &why)).await;
        expect_clean_end(&mut ws).await;
        let (rcvd, sent) = (shown(Some((code, ""))), shown(Some((code, &why))));
        assert_eq!(
            client.outcome().await,
            format!("close:{code} closed rcvd={rcvd} sent={sent}")
        );

        // tickwire closes; websockets echoes code and reason.
        let why = reason("tickwire", code);
        let mut ws = client.accept().await;
        within("close", ws.close(CloseCode(code), &why))
            .await
            .unwrap();
        expect(&mut ws, &close(code, &why)).await;
        expect_clean_end(&mut ws).await;
        let seen = shown(Some((code, &why)));
        assert_eq!(
            client.outcome().await,
            format!("wait-close:{code} closed rcvd={seen} sent={seen}")
        );
    }
    let empty = shown(Some((1005, "")));
    let mut ws = client.accept().await;
    expect(&mut ws, &OwnedMessage::Close(None)).await;
    expect_clean_end(&mut ws).await;
    assert_eq!(
        client.outcome().await,
        format!("close-empty closed rcvd={empty} sent={empty}")
    );
    let mut ws = client.accept().await;
    within("close", ws.send(Message::Close(None)))
        .await
        .unwrap();
    expect(&mut ws, &OwnedMessage::Close(None)).await;
    expect_clean_end(&mut ws).await;
    assert_eq!(
        client.outcome().await,
        format!("wait-close:empty closed rcvd={empty} sent={empty}")
    );
}

#[tokio::test]
async fn server_close_codes_both_ways_plain() {
    server_close_codes(Transport::Plain).await;
}

#[tokio::test]
async fn server_close_codes_both_ways_tls() {
    server_close_codes(Transport::Tls).await;
}

async fn server_abrupt_close(transport: Transport) {
    let names = scenarios(&[
        "drop:fin",
        "drop:reset",
        "eof-mid-message",
        "wait-close:kill",
    ]);
    let mut client = PythonClient::start(transport, &names).await;
    for name in ["drop:fin", "drop:reset"] {
        let mut ws = client.accept().await;
        expect(&mut ws, &OwnedMessage::Text("bye".into())).await;
        within("send", ws.send_text("ok")).await.unwrap();
        expect_abrupt_end(ws).await;
        assert_eq!(
            client.outcome().await,
            format!("{name} dropped rcvd=none sent=none")
        );
    }
    let ws = client.accept().await;
    expect_abrupt_end(ws).await;
    assert_eq!(
        client.outcome().await,
        "eof-mid-message dropped rcvd=none sent=none"
    );
    // The client waits for a Close that never comes: it dies first.
    let ws = client.accept().await;
    client.kill().await;
    expect_abrupt_end(ws).await;
}

#[tokio::test]
async fn server_sees_an_abrupt_close_as_an_error_plain() {
    server_abrupt_close(Transport::Plain).await;
}

#[tokio::test]
async fn server_sees_an_abrupt_close_as_an_error_tls() {
    server_abrupt_close(Transport::Tls).await;
}

#[tokio::test]
async fn python_client_refuses_a_tickwire_server_from_another_ca() {
    let mut client =
        PythonClient::start_trusting(Transport::Tls, "other-ca.pem", &scenarios(&["echo"])).await;
    let accepted = client.try_accept().await;
    assert!(
        matches!(accepted, Err(WsError::Tls(_))),
        "expected the handshake to fail, got {:?}",
        accepted.map(|_| ())
    );
    let outcome = client.outcome().await;
    assert!(outcome.starts_with("echo tls-refused "), "{outcome}");
}
