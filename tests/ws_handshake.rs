//! The opening handshake, driven from both ends: round trips, every
//! rejection, byte-at-a-time arrival, limits, caller-input checks, and
//! arbitrary bytes against both parsers.

use proptest::prelude::*;
use tickwire::rng::SeededRng;
use tickwire::ws::handshake::{
    self, Accepted, ClientHandshake, ClientRequest, HandshakeError, HandshakeLimits, accept_key,
};

const RFC_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const RFC_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

fn client() -> ClientHandshake {
    ClientHandshake::new(
        "feed.example.com:8443",
        "/v1/ws?depth=10",
        &mut SeededRng::from_seed(9),
    )
}

fn written(client: &ClientHandshake) -> Vec<u8> {
    let mut out = Vec::new();
    client.write_request(&mut out).unwrap();
    out
}

fn parse(bytes: &[u8]) -> Result<Option<ClientRequest<'_>>, HandshakeError> {
    handshake::parse_request(bytes, &HandshakeLimits::default())
}

/// A head from a start line and header lines, ending in the blank line.
fn head(start: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = format!("{start}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// The headers of a valid request with the RFC's sample key.
fn request_headers() -> Vec<(&'static str, &'static str)> {
    vec![
        ("Host", "server.example.com"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", RFC_KEY),
        ("Sec-WebSocket-Version", "13"),
    ]
}

/// `headers` without the one called `name`, plus `extra`.
fn edit<'a>(
    headers: &[(&'a str, &'a str)],
    drop: &str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut out: Vec<_> = headers
        .iter()
        .copied()
        .filter(|(name, _)| !name.eq_ignore_ascii_case(drop))
        .collect();
    out.extend_from_slice(extra);
    out
}

fn parse_get(headers: &[(&str, &str)]) -> Result<(), HandshakeError> {
    let bytes = head("GET /chat HTTP/1.1", headers);
    parse(&bytes).map(|r| assert!(r.is_some()))
}

/// The headers of a valid 101 answering `client`.
fn response_headers(client: &ClientHandshake) -> Vec<(&'static str, String)> {
    let accept = String::from_utf8(accept_key(client.key().as_bytes()).to_vec()).unwrap();
    vec![
        ("Upgrade", "websocket".to_owned()),
        ("Connection", "Upgrade".to_owned()),
        ("Sec-WebSocket-Accept", accept),
    ]
}

fn respond(
    client: &ClientHandshake,
    status: &str,
    drop: &str,
    extra: &[(&str, &str)],
) -> Result<Option<Accepted>, HandshakeError> {
    let owned = response_headers(client);
    let headers: Vec<(&str, &str)> = owned.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let bytes = head(status, &edit(&headers, drop, extra));
    client.read_response(&bytes)
}

// ---- round trips ----

#[test]
fn client_request_parses_on_the_server() {
    let client = client()
        .origin("https://app.example.com")
        .protocol("v2.json")
        .protocol("v1.json")
        .header("Authorization", "Bearer abc")
        .header("User-Agent", "tickwire-test");
    let bytes = written(&client);
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(text.starts_with("GET /v1/ws?depth=10 HTTP/1.1\r\nHost: feed.example.com:8443\r\n"));
    assert!(text.contains("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"));
    assert!(text.contains("\r\nSec-WebSocket-Version: 13\r\n"));
    assert!(text.contains("\r\nSec-WebSocket-Protocol: v2.json, v1.json\r\n"));
    assert!(text.ends_with("\r\n\r\n"));

    let req = parse(&bytes).unwrap().unwrap();
    assert_eq!(req.consumed(), bytes.len());
    assert_eq!(req.path(), "/v1/ws?depth=10");
    assert_eq!(req.host(), "feed.example.com:8443");
    assert_eq!(req.origin(), Some("https://app.example.com"));
    assert_eq!(req.key(), client.key());
    assert_eq!(req.protocols(), ["v2.json", "v1.json"]);
    assert_eq!(req.header("authorization"), Some(&b"Bearer abc"[..]));
    assert_eq!(req.header("USER-AGENT"), Some(&b"tickwire-test"[..]));
    assert_eq!(req.header("x-missing"), None);
    let names: Vec<&str> = req.headers().map(|(name, _)| name).collect();
    assert_eq!(names.len(), 9);
    assert_eq!(names[0], "Host");
}

#[test]
fn minimal_request_has_no_optional_headers() {
    let bytes = written(&client());
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(!text.contains("Origin"));
    assert!(!text.contains("Sec-WebSocket-Protocol"));
    let req = parse(&bytes).unwrap().unwrap();
    assert_eq!(req.origin(), None);
    assert!(req.protocols().is_empty());
}

#[test]
fn server_accept_passes_the_client_check_without_protocols() {
    let client = client();
    let request = written(&client);
    let req = parse(&request).unwrap().unwrap();
    let mut response = Vec::new();
    req.write_accept(None, &[("Server", "test")], &mut response)
        .unwrap();
    assert!(response.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
    let accepted = client.read_response(&response).unwrap().unwrap();
    assert_eq!(accepted.consumed(), response.len());
    assert_eq!(accepted.protocol(), None);
}

#[test]
fn server_accept_passes_the_client_check_with_a_protocol() {
    let client = client().protocol("v2.json").protocol("v1.json");
    let request = written(&client);
    let req = parse(&request).unwrap().unwrap();
    let mut response = Vec::new();
    req.write_accept(Some("v1.json"), &[], &mut response)
        .unwrap();
    let accepted = client.read_response(&response).unwrap().unwrap();
    assert_eq!(accepted.protocol(), Some("v1.json"));

    // Offered but not chosen is fine too.
    let mut response = Vec::new();
    req.write_accept(None, &[], &mut response).unwrap();
    assert_eq!(
        client.read_response(&response).unwrap().unwrap().protocol(),
        None
    );
}

#[test]
fn accept_key_matches_rfc_6455() {
    assert_eq!(&accept_key(RFC_KEY.as_bytes()), RFC_ACCEPT.as_bytes());
    let req_bytes = head("GET /chat HTTP/1.1", &request_headers());
    let req = parse(&req_bytes).unwrap().unwrap();
    let mut out = Vec::new();
    req.write_accept(None, &[], &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains(&format!("\r\nSec-WebSocket-Accept: {RFC_ACCEPT}\r\n")));
}

#[test]
fn trailing_frame_bytes_are_not_consumed() {
    let client = client();
    let mut request = written(&client);
    let request_len = request.len();
    request.extend_from_slice(b"\x81\x85\x01\x02\x03\x04abcde");
    let req = parse(&request).unwrap().unwrap();
    assert_eq!(req.consumed(), request_len);

    let mut response = Vec::new();
    req.write_accept(None, &[], &mut response).unwrap();
    let response_len = response.len();
    // A frame that itself looks like a blank line must not confuse anything.
    response.extend_from_slice(b"\x81\x04\r\n\r\n");
    let accepted = client.read_response(&response).unwrap().unwrap();
    assert_eq!(accepted.consumed(), response_len);
    assert_eq!(&response[accepted.consumed()..], b"\x81\x04\r\n\r\n");
}

#[test]
fn split_at_every_byte_boundary_parses_the_same() {
    let client = client().protocol("chat").header("X-Trace", "1");
    let mut request = written(&client);
    let request_len = request.len();
    request.extend_from_slice(b"\x82\x80\0\0\0\0");
    for end in 0..request_len {
        assert_eq!(
            parse(&request[..end]).unwrap().map(|r| r.consumed()),
            None,
            "{end}"
        );
    }
    for end in request_len..=request.len() {
        let req = parse(&request[..end]).unwrap().unwrap();
        assert_eq!(
            (req.consumed(), req.protocols()),
            (request_len, &["chat"][..])
        );
    }

    let req = parse(&request).unwrap().unwrap();
    let mut response = Vec::new();
    req.write_accept(Some("chat"), &[("X-Served-By", "a")], &mut response)
        .unwrap();
    let response_len = response.len();
    response.extend_from_slice(b"\x81\x00");
    for end in 0..response_len {
        assert_eq!(client.read_response(&response[..end]), Ok(None), "{end}");
    }
    for end in response_len..=response.len() {
        let accepted = client.read_response(&response[..end]).unwrap().unwrap();
        assert_eq!(accepted.consumed(), response_len);
        assert_eq!(accepted.protocol(), Some("chat"));
    }
}

#[test]
fn header_names_and_tokens_are_case_insensitive() {
    let headers = [
        ("HOST", "h"),
        ("upgrade", "WebSocket"),
        ("CONNECTION", "keep-alive, UPGRADE"),
        ("sec-websocket-key", RFC_KEY),
        ("SEC-WEBSOCKET-VERSION", "13"),
        ("sec-WebSocket-protocol", "a"),
    ];
    let bytes = head("GET / HTTP/1.1", &headers);
    let req = parse(&bytes).unwrap().unwrap();
    assert_eq!(req.host(), "h");
    assert_eq!(req.protocols(), ["a"]);

    let client = client().protocol("a");
    let accept = String::from_utf8(accept_key(client.key().as_bytes()).to_vec()).unwrap();
    let headers = [
        ("UPGRADE", "WEBSOCKET"),
        ("connection", "upgrade"),
        ("sec-websocket-accept", accept.as_str()),
        ("SEC-WEBSOCKET-PROTOCOL", "a"),
    ];
    let bytes = head("HTTP/1.1 101 Whatever", &headers);
    let accepted = client.read_response(&bytes).unwrap().unwrap();
    assert_eq!(accepted.protocol(), Some("a"));
}

#[test]
fn lists_span_headers_and_tolerate_whitespace_and_empty_elements() {
    let headers = edit(
        &request_headers(),
        "connection",
        &[
            ("Connection", "keep-alive"),
            ("Connection", " , upgrade ,"),
            ("Sec-WebSocket-Protocol", "a,  b"),
            ("Sec-WebSocket-Protocol", "c"),
            ("Upgrade", "h2c"),
        ],
    );
    let bytes = head("GET / HTTP/1.1", &headers);
    let req = parse(&bytes).unwrap().unwrap();
    assert_eq!(req.protocols(), ["a", "b", "c"]);
}

// ---- what the client refuses ----

#[test]
fn client_refuses_a_status_other_than_101() {
    let client = client();
    for (line, code) in [
        ("HTTP/1.1 200 OK", 200),
        ("HTTP/1.1 403 Forbidden", 403),
        ("HTTP/1.1 302 Found", 302),
        ("HTTP/1.0 503 Service Unavailable", 503),
    ] {
        let err = respond(&client, line, "", &[]).unwrap_err();
        assert_eq!(err, HandshakeError::UnexpectedStatus(code));
        assert_eq!(err.reject_status(), None);
    }
    assert_eq!(
        respond(&client, "HTTP/1.0 101 Switching Protocols", "", &[]),
        Err(HandshakeError::NotHttp11)
    );
}

#[test]
fn client_refuses_a_missing_or_wrong_upgrade() {
    let client = client();
    let err = Err(HandshakeError::UpgradeNotWebSocket);
    assert_eq!(respond(&client, "HTTP/1.1 101 S", "upgrade", &[]), err);
    for value in ["h2c", "websocket2", "websocket, h2c", ""] {
        let upgrade = [("Upgrade", value)];
        assert_eq!(
            respond(&client, "HTTP/1.1 101 S", "upgrade", &upgrade),
            err,
            "{value}"
        );
    }
}

#[test]
fn client_refuses_a_connection_without_upgrade() {
    let client = client();
    let err = Err(HandshakeError::ConnectionNotUpgrade);
    assert_eq!(respond(&client, "HTTP/1.1 101 S", "connection", &[]), err);
    for value in ["keep-alive", "close", "upgraded", "up grade"] {
        let connection = [("Connection", value)];
        assert_eq!(
            respond(&client, "HTTP/1.1 101 S", "connection", &connection),
            err
        );
    }
    let connection = [("Connection", "keep-alive, Upgrade")];
    assert!(respond(&client, "HTTP/1.1 101 S", "connection", &connection).is_ok());
}

#[test]
fn client_refuses_a_bad_accept() {
    let client = client();
    let err = Err(HandshakeError::AcceptMismatch);
    assert_eq!(
        respond(&client, "HTTP/1.1 101 S", "sec-websocket-accept", &[]),
        err
    );
    // The RFC's accept belongs to another key.
    let wrong = [("Sec-WebSocket-Accept", RFC_ACCEPT)];
    assert_eq!(
        respond(&client, "HTTP/1.1 101 S", "sec-websocket-accept", &wrong),
        err
    );
    // The key itself echoed back is not the accept.
    let echoed = [("Sec-WebSocket-Accept", client.key())];
    assert_eq!(
        respond(&client, "HTTP/1.1 101 S", "sec-websocket-accept", &echoed),
        err
    );
    // Repeated, even with the right value.
    let owned = response_headers(&client);
    let again = [("Sec-WebSocket-Accept", owned[2].1.as_str())];
    assert_eq!(respond(&client, "HTTP/1.1 101 S", "", &again), err);
}

#[test]
fn client_refuses_an_unoffered_protocol() {
    let err = Err(HandshakeError::UnofferedProtocol);
    let none_offered = client();
    let chat = [("Sec-WebSocket-Protocol", "chat")];
    assert_eq!(respond(&none_offered, "HTTP/1.1 101 S", "", &chat), err);

    let offered = client().protocol("chat").protocol("superchat");
    for value in ["other", "CHAT", "chat, superchat", ""] {
        let protocol = [("Sec-WebSocket-Protocol", value)];
        assert_eq!(
            respond(&offered, "HTTP/1.1 101 S", "", &protocol),
            err,
            "{value}"
        );
    }
    let twice = [
        ("Sec-WebSocket-Protocol", "chat"),
        ("Sec-WebSocket-Protocol", "chat"),
    ];
    assert_eq!(respond(&offered, "HTTP/1.1 101 S", "", &twice), err);
    let ok = respond(
        &offered,
        "HTTP/1.1 101 S",
        "",
        &[("Sec-WebSocket-Protocol", "superchat")],
    );
    assert_eq!(ok.unwrap().unwrap().protocol(), Some("superchat"));
}

#[test]
fn client_refuses_any_extension() {
    let client = client();
    for value in ["permessage-deflate", ""] {
        let ext = [("Sec-WebSocket-Extensions", value)];
        assert_eq!(
            respond(&client, "HTTP/1.1 101 S", "", &ext),
            Err(HandshakeError::UnexpectedExtension)
        );
    }
}

#[test]
fn client_refuses_garbage_at_once() {
    let client = client();
    assert_eq!(
        client.read_response(b"\x16\x03\x01"),
        Err(HandshakeError::MalformedHead)
    );
    assert_eq!(
        client.read_response(b"SSH-2.0-"),
        Err(HandshakeError::MalformedHead)
    );
    assert_eq!(
        client.read_response(b"HTTP/2 101\r\n\r\n"),
        Err(HandshakeError::MalformedHead)
    );
}

// ---- what the server refuses ----

#[test]
fn server_refuses_a_wrong_websocket_version_with_426() {
    for version in ["8", "12", "14", "13, 8", "", "013"] {
        let headers = edit(
            &request_headers(),
            "sec-websocket-version",
            &[("Sec-WebSocket-Version", version)],
        );
        let err = parse_get(&headers).unwrap_err();
        assert_eq!(err, HandshakeError::UnsupportedVersion, "{version}");
        assert_eq!(err.reject_status(), Some(426));
    }
    let missing = edit(&request_headers(), "sec-websocket-version", &[]);
    assert_eq!(parse_get(&missing), Err(HandshakeError::UnsupportedVersion));

    let mut out = Vec::new();
    handshake::write_reject(426, &[], &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("HTTP/1.1 426 Upgrade Required\r\n"));
    assert!(text.contains("\r\nSec-WebSocket-Version: 13\r\n"));
    assert!(text.contains("\r\nContent-Length: 0\r\n"));
    assert!(text.ends_with("\r\n\r\n"));
}

#[test]
fn server_refuses_a_missing_or_malformed_key() {
    let missing = edit(&request_headers(), "sec-websocket-key", &[]);
    assert_eq!(parse_get(&missing), Err(HandshakeError::MissingKey));
    for key in [
        "AAAAAAAAAAAAAAAAAAAA",       // 15 bytes
        "AAAAAAAAAAAAAAAAAAAAAA==AA", // not canonical
        "AAAAAAAAAAAAAAAAAAAAAAA=",   // 17 bytes
        "AAAAAAAAAAAAAAAAAAAAAAAA",   // 18 bytes
        "AAAAAAAAAAAAAAAAAAAAAA",     // 16 bytes, unpadded
        "AAAAAAAAAAAAAAAAAAAA*A==",   // not base64
        "",
    ] {
        let headers = edit(
            &request_headers(),
            "sec-websocket-key",
            &[("Sec-WebSocket-Key", key)],
        );
        let err = parse_get(&headers).unwrap_err();
        assert_eq!(err, HandshakeError::InvalidKey, "{key}");
        assert_eq!(err.reject_status(), Some(400));
    }
    let twice = edit(&request_headers(), "", &[("Sec-WebSocket-Key", RFC_KEY)]);
    assert_eq!(parse_get(&twice), Err(HandshakeError::InvalidKey));
}

#[test]
fn server_refuses_other_methods_and_http_versions() {
    for start in [
        "POST /chat HTTP/1.1",
        "HEAD /chat HTTP/1.1",
        "get /chat HTTP/1.1",
    ] {
        let bytes = head(start, &request_headers());
        assert_eq!(
            parse(&bytes).unwrap_err(),
            HandshakeError::MethodNotGet,
            "{start}"
        );
    }
    let bytes = head("GET /chat HTTP/1.0", &request_headers());
    assert_eq!(parse(&bytes).unwrap_err(), HandshakeError::NotHttp11);
    let bytes = head("GET /chat HTTP/2.0", &request_headers());
    assert_eq!(parse(&bytes).unwrap_err(), HandshakeError::MalformedHead);
}

#[test]
fn server_refuses_missing_or_wrong_upgrade_connection_and_host() {
    let base = request_headers();
    let cases = [
        (
            edit(&base, "upgrade", &[]),
            HandshakeError::UpgradeNotWebSocket,
        ),
        (
            edit(&base, "upgrade", &[("Upgrade", "h2c")]),
            HandshakeError::UpgradeNotWebSocket,
        ),
        (
            edit(&base, "connection", &[]),
            HandshakeError::ConnectionNotUpgrade,
        ),
        (
            edit(&base, "connection", &[("Connection", "keep-alive")]),
            HandshakeError::ConnectionNotUpgrade,
        ),
        (edit(&base, "host", &[]), HandshakeError::MissingHost),
        (
            edit(&base, "host", &[("Host", "")]),
            HandshakeError::InvalidHeader("Host"),
        ),
        (
            edit(&base, "", &[("Host", "other")]),
            HandshakeError::InvalidHeader("Host"),
        ),
        (
            edit(&base, "", &[("Origin", "a"), ("Origin", "b")]),
            HandshakeError::InvalidHeader("Origin"),
        ),
        (
            edit(&base, "", &[("Sec-WebSocket-Protocol", "a b")]),
            HandshakeError::InvalidHeader("Sec-WebSocket-Protocol"),
        ),
    ];
    for (headers, expected) in cases {
        let err = parse_get(&headers).unwrap_err();
        assert_eq!(err, expected);
        assert_eq!(err.reject_status(), Some(400));
    }
}

#[test]
fn server_refuses_garbage_at_once() {
    assert_eq!(
        parse(b"\x16\x03\x01\x02\x00"),
        Err(HandshakeError::MalformedHead)
    );
    assert_eq!(parse(b"GET /a b"), Err(HandshakeError::MalformedHead));
    assert_eq!(
        parse(b"GET / HTTP/1.1\r\nBad Name: x"),
        Err(HandshakeError::MalformedHead)
    );
    assert_eq!(
        parse(b"GET / HTTP/1.1\r\nA: \x01"),
        Err(HandshakeError::MalformedHead)
    );
}

#[test]
fn write_reject_writes_a_closing_response() {
    let mut out = b"queued".to_vec();
    handshake::write_reject(403, &[("X-Reason", "ip not allowed")], &mut out).unwrap();
    assert_eq!(
        out,
        b"queuedHTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\
          X-Reason: ip not allowed\r\n\r\n"
    );
    let mut out = Vec::new();
    handshake::write_reject(499, &[], &mut out).unwrap();
    assert!(out.starts_with(b"HTTP/1.1 499 \r\n"));
    for status in [0, 101, 200, 399, 600] {
        assert_eq!(
            handshake::write_reject(status, &[], &mut out),
            Err(HandshakeError::InvalidRejectStatus(status))
        );
    }
}

#[test]
fn write_accept_refuses_an_unoffered_protocol() {
    let bytes = head(
        "GET / HTTP/1.1",
        &edit(
            &request_headers(),
            "",
            &[("Sec-WebSocket-Protocol", "a, b")],
        ),
    );
    let req = parse(&bytes).unwrap().unwrap();
    let mut out = Vec::new();
    for protocol in ["c", "A", "a, b", ""] {
        assert_eq!(
            req.write_accept(Some(protocol), &[], &mut out),
            Err(HandshakeError::UnofferedProtocol)
        );
    }
    assert!(out.is_empty());
    req.write_accept(Some("b"), &[], &mut out).unwrap();
}

// ---- caller input ----

const BAD_BYTES: [&str; 3] = ["\r", "\n", "\0"];

#[test]
fn client_refuses_line_breaks_and_nul_in_every_input() {
    let rng = &mut SeededRng::from_seed(1);
    for bad in BAD_BYTES {
        let evil = format!("a{bad}Evil: 1");
        let cases = [
            (
                ClientHandshake::new("h", format!("/{evil}"), rng),
                HandshakeError::InvalidPath,
            ),
            (
                ClientHandshake::new(evil.clone(), "/", rng),
                HandshakeError::InvalidHeaderValue,
            ),
            (
                ClientHandshake::new("h", "/", rng).origin(evil.clone()),
                HandshakeError::InvalidHeaderValue,
            ),
            (
                ClientHandshake::new("h", "/", rng).protocol(evil.clone()),
                HandshakeError::InvalidProtocolName,
            ),
            (
                ClientHandshake::new("h", "/", rng).header(evil.clone(), "v"),
                HandshakeError::InvalidHeaderName,
            ),
            (
                ClientHandshake::new("h", "/", rng).header("X-A", evil.clone()),
                HandshakeError::InvalidHeaderValue,
            ),
        ];
        for (client, expected) in cases {
            let mut out = b"kept".to_vec();
            assert_eq!(client.write_request(&mut out), Err(expected), "{bad:?}");
            assert_eq!(out, b"kept", "nothing written on error");
        }
    }
}

#[test]
fn client_refuses_other_unsafe_input() {
    let rng = &mut SeededRng::from_seed(1);
    let cases = [
        (
            ClientHandshake::new("h", "", rng),
            HandshakeError::InvalidPath,
        ),
        (
            ClientHandshake::new("h", "/a b", rng),
            HandshakeError::InvalidPath,
        ),
        (
            ClientHandshake::new("h", "/a\tb", rng),
            HandshakeError::InvalidPath,
        ),
        (
            ClientHandshake::new("", "/", rng),
            HandshakeError::InvalidHeaderValue,
        ),
        (
            ClientHandshake::new("h", "/", rng).header("X-A", "\x7f"),
            HandshakeError::InvalidHeaderValue,
        ),
        (
            ClientHandshake::new("h", "/", rng).header("", "v"),
            HandshakeError::InvalidHeaderName,
        ),
        (
            ClientHandshake::new("h", "/", rng).header("X A", "v"),
            HandshakeError::InvalidHeaderName,
        ),
        (
            ClientHandshake::new("h", "/", rng).header("X:A", "v"),
            HandshakeError::InvalidHeaderName,
        ),
        (
            ClientHandshake::new("h", "/", rng).protocol(""),
            HandshakeError::InvalidProtocolName,
        ),
        (
            ClientHandshake::new("h", "/", rng).protocol("a,b"),
            HandshakeError::InvalidProtocolName,
        ),
    ];
    for (client, expected) in cases {
        assert_eq!(client.write_request(&mut Vec::new()), Err(expected));
    }
    // Tabs, non-ASCII values and UTF-8 paths are fine.
    let ok = ClientHandshake::new("h", "/caf\u{e9}", rng).header("X-Note", "a\tb \u{e9}");
    let bytes = written(&ok);
    let req = parse(&bytes).unwrap().unwrap();
    assert_eq!(req.path(), "/caf\u{e9}");
    assert_eq!(req.header("x-note"), Some("a\tb \u{e9}".as_bytes()));
}

#[test]
fn caller_headers_may_not_shadow_the_handshake() {
    let rng = &mut SeededRng::from_seed(1);
    for name in [
        "Host",
        "upgrade",
        "CONNECTION",
        "Sec-WebSocket-Key",
        "sec-websocket-version",
        "Sec-WebSocket-Accept",
        "Sec-WebSocket-Protocol",
        "Sec-WebSocket-Extensions",
        "Origin",
        "Content-Length",
        "Transfer-Encoding",
    ] {
        let client = ClientHandshake::new("h", "/", rng).header(name, "x");
        assert_eq!(
            client.write_request(&mut Vec::new()),
            Err(HandshakeError::ReservedHeader)
        );
        assert_eq!(
            handshake::write_reject(400, &[(name, "x")], &mut Vec::new()),
            Err(HandshakeError::ReservedHeader)
        );
    }
}

#[test]
fn server_writers_refuse_line_breaks_and_nul() {
    let bytes = head("GET / HTTP/1.1", &request_headers());
    let req = parse(&bytes).unwrap().unwrap();
    for bad in BAD_BYTES {
        let evil = format!("a{bad}Evil: 1");
        let mut out = Vec::new();
        let value = [("X-A", evil.as_str())];
        let name = [(evil.as_str(), "v")];
        assert_eq!(
            req.write_accept(None, &value, &mut out),
            Err(HandshakeError::InvalidHeaderValue)
        );
        assert_eq!(
            req.write_accept(None, &name, &mut out),
            Err(HandshakeError::InvalidHeaderName)
        );
        assert_eq!(
            handshake::write_reject(400, &value, &mut out),
            Err(HandshakeError::InvalidHeaderValue)
        );
        assert_eq!(
            handshake::write_reject(400, &name, &mut out),
            Err(HandshakeError::InvalidHeaderName)
        );
        assert!(out.is_empty());
    }
}

// ---- limits ----

#[test]
fn head_over_the_size_limit_without_terminator_is_refused_once_buffered() {
    let limits = HandshakeLimits::new().with_max_head_size(512);
    let client = client().limits(limits);
    let mut endless_request = b"GET / HTTP/1.1\r\nX-Long: ".to_vec();
    endless_request.resize(600, b'a');
    let mut endless_response = b"HTTP/1.1 101 Switching Protocols\r\nX-Long: ".to_vec();
    endless_response.resize(600, b'a');
    let too_large = HandshakeError::HeadTooLarge { limit: 512 };
    for end in 0..=600 {
        let request = handshake::parse_request(&endless_request[..end], &limits);
        let response = client.read_response(&endless_response[..end]);
        if end < 512 {
            assert!(matches!(request, Ok(None)), "{end}");
            assert_eq!(response, Ok(None), "{end}");
        } else {
            assert_eq!(request.unwrap_err(), too_large);
            assert_eq!(response, Err(too_large.clone()));
        }
    }
    assert_eq!(too_large.reject_status(), Some(431));

    // Megabytes of a header that never ends: refused, and quickly.
    let mut flood = b"GET / HTTP/1.1\r\nX: ".to_vec();
    flood.resize(4 << 20, b'x');
    let started = std::time::Instant::now();
    assert_eq!(
        parse(&flood).unwrap_err(),
        HandshakeError::HeadTooLarge {
            limit: HandshakeLimits::DEFAULT_MAX_HEAD_SIZE
        }
    );
    assert!(started.elapsed() < std::time::Duration::from_millis(500));
}

#[test]
fn head_size_limit_is_inclusive() {
    let bytes = head("GET / HTTP/1.1", &request_headers());
    let exact = HandshakeLimits::new().with_max_head_size(bytes.len());
    assert!(handshake::parse_request(&bytes, &exact).unwrap().is_some());
    let short = HandshakeLimits::new().with_max_head_size(bytes.len() - 1);
    assert_eq!(
        handshake::parse_request(&bytes, &short).unwrap_err(),
        HandshakeError::HeadTooLarge {
            limit: bytes.len() - 1
        }
    );
}

#[test]
fn too_many_headers_are_refused_before_the_head_ends() {
    let base = request_headers();
    let fillers: Vec<String> = (0..100).map(|i| format!("X-Filler-{i}")).collect();
    let with = |n: usize| {
        let extra: Vec<(&str, &str)> = fillers[..n].iter().map(|n| (n.as_str(), "1")).collect();
        head("GET / HTTP/1.1", &edit(&base, "", &extra))
    };
    // 5 handshake headers + 59 = 64: fine. One more is not.
    assert!(parse(&with(59)).unwrap().is_some());
    let over = with(60);
    let err = parse(&over).unwrap_err();
    assert_eq!(err, HandshakeError::TooManyHeaders { limit: 64 });
    assert_eq!(err.reject_status(), Some(431));

    // Decided as soon as the 65th header line is in, not at the blank line.
    let many = with(100);
    let sixty_fifth_end = many
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'\n')
        .nth(65)
        .map(|(i, _)| i + 1)
        .unwrap();
    assert!(matches!(parse(&many[..sixty_fifth_end - 1]), Ok(None)));
    assert_eq!(
        parse(&many[..sixty_fifth_end]).unwrap_err(),
        HandshakeError::TooManyHeaders { limit: 64 }
    );

    // The client side counts too.
    let client = client().limits(HandshakeLimits::new().with_max_headers(3));
    assert_eq!(
        respond(&client, "HTTP/1.1 101 S", "", &[("X-One", "1")]),
        Err(HandshakeError::TooManyHeaders { limit: 3 })
    );
    assert!(
        respond(&client, "HTTP/1.1 101 S", "", &[])
            .unwrap()
            .is_some()
    );
}

#[test]
fn header_limit_is_clamped_to_the_stack_array() {
    let limits = HandshakeLimits::new().with_max_headers(10_000);
    assert_eq!(limits.max_headers(), HandshakeLimits::HEADER_CAPACITY);
}

// ---- arbitrary input ----

fn valid_request() -> Vec<u8> {
    written(
        &client()
            .protocol("chat")
            .origin("o")
            .header("Cookie", "c=1"),
    )
}

/// A 101 that the fixed handshake inside `fuzz_response` accepts.
fn valid_fuzz_response() -> Vec<u8> {
    let client = ClientHandshake::new("example.com", "/", &mut SeededRng::from_seed(0))
        .protocol("chat")
        .protocol("superchat");
    let request = written(&client);
    let req = parse(&request).unwrap().unwrap();
    let mut response = Vec::new();
    req.write_accept(Some("superchat"), &[("X-A", "1")], &mut response)
        .unwrap();
    assert!(client.read_response(&response).unwrap().is_some());
    response
}

/// `data` with bytes overwritten, cut short, and `tail` appended.
fn mutate(
    mut data: Vec<u8>,
    flips: &[(prop::sample::Index, u8)],
    cut: prop::sample::Index,
    tail: &[u8],
) -> Vec<u8> {
    for (at, byte) in flips {
        let i = at.index(data.len());
        data[i] = *byte;
    }
    data.truncate(cut.index(data.len() + 1));
    data.extend_from_slice(tail);
    data
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic_either_parser(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        handshake::fuzz_request(&data);
        handshake::fuzz_response(&data);
    }

    #[test]
    fn mutated_heads_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        cut in any::<prop::sample::Index>(),
        tail in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        handshake::fuzz_request(&mutate(valid_request(), &flips, cut, &tail));
        handshake::fuzz_response(&mutate(valid_fuzz_response(), &flips, cut, &tail));
    }

    #[test]
    fn any_value_is_refused_or_read_back_exactly(value in "\\PC*|[\\x00-\\x7f]{0,16}") {
        let client = client().header("X-Value", value.clone());
        let mut out = Vec::new();
        match client.write_request(&mut out) {
            Ok(()) => {
                let req = parse(&out).unwrap().unwrap();
                let trimmed = value.trim_matches([' ', '\t']);
                prop_assert_eq!(req.header("x-value"), Some(trimmed.as_bytes()));
            }
            Err(e) => {
                prop_assert_eq!(e, HandshakeError::InvalidHeaderValue);
                prop_assert!(out.is_empty());
                prop_assert!(value.bytes().any(|b| b.is_ascii_control() && b != b'\t'));
            }
        }
    }
}

#[test]
fn fuzz_entry_points_accept_their_own_round_trips() {
    handshake::fuzz_request(&valid_request());
    handshake::fuzz_response(&valid_fuzz_response());
}
