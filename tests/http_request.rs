//! The request writer: what it writes parses back as what was asked for,
//! and what could break the wire is refused before a byte is written.

use proptest::prelude::*;
use tickwire::http::{Method, RequestError, RequestWriter, SignInput, SignedHeaders};

/// Parses `bytes` with httparse: method, target, headers, body.
fn parse(bytes: &[u8]) -> (String, String, Vec<(String, String)>, Vec<u8>) {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    let status = req.parse(bytes).expect("httparse accepts the request");
    let httparse::Status::Complete(head) = status else {
        panic!("incomplete head");
    };
    assert_eq!(req.version, Some(1));
    let headers = req
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_owned(),
                String::from_utf8(h.value.to_vec()).unwrap(),
            )
        })
        .collect();
    (
        req.method.unwrap().to_owned(),
        req.path.unwrap().to_owned(),
        headers,
        bytes[head..].to_vec(),
    )
}

fn writer() -> RequestWriter {
    RequestWriter::builder("api.exchange.com")
        .default_header("X-API-KEY", "k3y")
        .unwrap()
        .default_header("User-Agent", "tickwire")
        .unwrap()
        .build()
        .unwrap()
}

#[test]
fn get_with_query_and_defaults() {
    let mut w = writer();
    let req = w
        .get("/api/v3/ticker")
        .query("symbol", "BTC-USD")
        .query("note", "a b&c=d/é")
        .header("X-Trace", "1")
        .finish()
        .unwrap();
    let (method, target, headers, body) = parse(w.bytes(&req).unwrap());
    assert_eq!(method, "GET");
    assert_eq!(
        target,
        "/api/v3/ticker?symbol=BTC-USD&note=a%20b%26c%3Dd%2F%C3%A9"
    );
    assert_eq!(
        headers,
        vec![
            ("Host".into(), "api.exchange.com".into()),
            ("Connection".into(), "keep-alive".into()),
            ("X-API-KEY".into(), "k3y".into()),
            ("User-Agent".into(), "tickwire".into()),
            ("X-Trace".into(), "1".into()),
        ]
    );
    assert!(body.is_empty());
    assert_eq!(req.method(), Method::Get);
    assert_eq!(req.len(), w.bytes(&req).unwrap().len());
}

#[test]
fn base_path_and_query_in_path() {
    let mut w = RequestWriter::builder("h:8080")
        .base_path("/api/v3/")
        .build()
        .unwrap();
    let req = w
        .get("/depth?limit=5")
        .query("symbol", "X")
        .finish()
        .unwrap();
    let (_, target, headers, _) = parse(w.bytes(&req).unwrap());
    assert_eq!(target, "/api/v3/depth?limit=5&symbol=X");
    assert_eq!(headers[0], ("Host".into(), "h:8080".into()));
}

#[test]
fn bodies_carry_their_length() {
    let mut w = writer();
    let req = w
        .post("/order")
        .header("Content-Type", "application/json")
        .body(br#"{"px":"101.5"}"#)
        .finish()
        .unwrap();
    let (method, _, headers, body) = parse(w.bytes(&req).unwrap());
    assert_eq!(method, "POST");
    assert!(headers.contains(&("Content-Length".into(), "14".into())));
    assert_eq!(body, br#"{"px":"101.5"}"#);

    // Without a body a POST still says its length; a GET does not.
    let req = w.post("/cancel-all").finish().unwrap();
    let (_, _, headers, body) = parse(w.bytes(&req).unwrap());
    assert!(headers.contains(&("Content-Length".into(), "0".into())));
    assert!(body.is_empty());
    let req = w.delete("/order/7").finish().unwrap();
    let (method, _, headers, _) = parse(w.bytes(&req).unwrap());
    assert_eq!(method, "DELETE");
    assert!(!headers.iter().any(|(n, _)| n == "Content-Length"));
}

#[test]
fn body_writer_fills_in_content_length_afterwards() {
    let mut w = writer();
    let req = w
        .put("/order/42")
        .body_writer(|b| {
            b.write(b"{\"qty\":")?;
            b.write(b"3}")
        })
        .finish()
        .unwrap();
    let (method, _, headers, body) = parse(w.bytes(&req).unwrap());
    assert_eq!(method, "PUT");
    assert_eq!(
        headers.last().unwrap(),
        &("Content-Length".into(), "9".into())
    );
    assert_eq!(body, b"{\"qty\":3}");
}

#[test]
fn signer_sees_final_target_and_body_and_adds_headers_in_place() {
    let mut w = RequestWriter::builder("api.exchange.com")
        .default_header("X-API-KEY", "k")
        .unwrap()
        .signer(|input: &SignInput<'_>, out: &mut SignedHeaders<'_>| {
            // A stand-in for HMAC: a checksum over exactly what is signed.
            let mut sum = 0u32;
            for &b in input.target.iter().chain(input.body) {
                sum = sum.wrapping_mul(31).wrapping_add(u32::from(b));
            }
            out.header("X-TS", b"1700000000000")?;
            out.header("X-SIGN", format!("{sum:08x}").as_bytes())?;
            assert!(input.method == Method::Post || input.query == b"a=1&b=x%20y");
            Ok(())
        })
        .build()
        .unwrap();
    let req = w.post("/order").body(b"px=1").finish().unwrap();
    let (_, target, headers, body) = parse(w.bytes(&req).unwrap());
    let mut sum = 0u32;
    for &b in target.as_bytes().iter().chain(&body) {
        sum = sum.wrapping_mul(31).wrapping_add(u32::from(b));
    }
    assert_eq!(
        headers[headers.len() - 1],
        ("X-SIGN".into(), format!("{sum:08x}"))
    );
    assert_eq!(
        headers[headers.len() - 2],
        ("X-TS".into(), "1700000000000".into())
    );
    assert_eq!(body, b"px=1");

    let req = w
        .get("/q")
        .query("a", "1")
        .query("b", "x y")
        .finish()
        .unwrap();
    let (_, target, _, body) = parse(w.bytes(&req).unwrap());
    assert_eq!(target, "/q?a=1&b=x%20y");
    assert!(body.is_empty());
}

#[test]
fn signer_failure_fails_finish() {
    let mut w = RequestWriter::builder("h")
        .signer(|_: &SignInput<'_>, _: &mut SignedHeaders<'_>| {
            Err(RequestError::Signer("no key".into()))
        })
        .build()
        .unwrap();
    assert_eq!(
        w.get("/").finish().unwrap_err(),
        RequestError::Signer("no key".into())
    );
}

#[test]
fn injection_is_refused_everywhere() {
    let mut w = writer();
    for bad in ["a\rb", "a\nb", "a\0b"] {
        assert_eq!(
            w.get(&format!("/{bad}")).finish().unwrap_err(),
            RequestError::CrlfInjection
        );
        assert_eq!(
            w.get("/").query(bad, "v").finish().unwrap_err(),
            RequestError::CrlfInjection
        );
        assert_eq!(
            w.get("/").query("k", bad).finish().unwrap_err(),
            RequestError::CrlfInjection
        );
        assert_eq!(
            w.get("/").query_raw(bad).finish().unwrap_err(),
            RequestError::CrlfInjection
        );
        assert_eq!(
            w.get("/").header(bad, "v").finish().unwrap_err(),
            RequestError::CrlfInjection
        );
        assert_eq!(
            w.get("/").header("X", bad).finish().unwrap_err(),
            RequestError::CrlfInjection
        );
        assert!(
            RequestWriter::builder("h")
                .default_header("X", bad)
                .is_err()
        );
        assert!(RequestWriter::builder(bad).build().is_err());
    }
    assert_eq!(
        w.get("no-slash").finish().unwrap_err(),
        RequestError::InvalidPath
    );
    assert_eq!(
        w.get("/a b").finish().unwrap_err(),
        RequestError::InvalidPath
    );
    assert_eq!(
        w.get("/a#b").finish().unwrap_err(),
        RequestError::InvalidPath
    );
    assert_eq!(
        w.get("/").header("X Y", "v").finish().unwrap_err(),
        RequestError::InvalidToken
    );
    assert_eq!(
        w.get("/").header("X", "a\x01").finish().unwrap_err(),
        RequestError::InvalidHeaderValue
    );
    for managed in ["Host", "content-length", "Transfer-Encoding", "CONNECTION"] {
        assert_eq!(
            w.get("/").header(managed, "x").finish().unwrap_err(),
            RequestError::ReservedHeader
        );
    }
    // After every refusal the writer still works.
    let req = w.get("/ok").finish().unwrap();
    assert_eq!(parse(w.bytes(&req).unwrap()).1, "/ok");
}

#[test]
fn oversize_request_is_an_error_and_the_writer_recovers() {
    let mut w = RequestWriter::builder("h").capacity(128).build().unwrap();
    let err = w.post("/").body(&[b'x'; 200]).finish().unwrap_err();
    assert!(
        matches!(err, RequestError::BufferFull { capacity: 128, .. }),
        "{err:?}"
    );
    let err = w
        .get("/")
        .query("k", &"é".repeat(100))
        .finish()
        .unwrap_err();
    assert!(matches!(err, RequestError::BufferFull { .. }));
    let err = w
        .post("/")
        .body_writer(|b| b.write(&[0u8; 500]))
        .finish()
        .unwrap_err();
    assert!(matches!(err, RequestError::BufferFull { .. }));
    let req = w.get("/small").finish().unwrap();
    assert_eq!(parse(w.bytes(&req).unwrap()).1, "/small");
}

#[test]
fn handles_go_stale() {
    let mut w = writer();
    let mut other = writer();
    let first = w.get("/a").finish().unwrap();
    assert!(w.bytes(&first).is_ok());
    assert_eq!(other.bytes(&first).unwrap_err(), RequestError::StaleRequest);
    let second = w.get("/b").finish().unwrap();
    assert_eq!(w.bytes(&first).unwrap_err(), RequestError::StaleRequest);
    assert!(w.bytes(&second).is_ok());
    // A failed request leaves no sealed bytes behind.
    let _ = other.get("/x").finish().unwrap();
    assert!(w.get("/\n").finish().is_err());
    assert_eq!(w.bytes(&second).unwrap_err(), RequestError::StaleRequest);
}

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}".prop_filter("managed", |s| {
        !["host", "content-length", "transfer-encoding", "connection"]
            .contains(&s.to_ascii_lowercase().as_str())
    })
}

proptest! {
    #[test]
    fn any_valid_request_parses_back(
        path in "/[a-zA-Z0-9/._~-]{0,40}",
        query in proptest::collection::vec(("\\PC{0,12}", "\\PC{0,12}"), 0..4),
        headers in proptest::collection::vec((token(), "[ -~]{0,30}"), 0..5),
        body in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..300)),
    ) {
        let mut w = RequestWriter::builder("h").build().unwrap();
        let mut b = w.request(Method::Patch, &path);
        for (k, v) in &query {
            b = b.query(k, v);
        }
        let mut h = b.header("X-First", "1");
        for (k, v) in &headers {
            h = h.header(k, v);
        }
        let req = match &body {
            Some(body) => h.body(body).finish(),
            None => h.finish(),
        }.unwrap();
        let (method, target, got, got_body) = parse(w.bytes(&req).unwrap());
        prop_assert_eq!(method, "PATCH");
        let (got_path, got_query) = target.split_once('?').unwrap_or((&target, ""));
        prop_assert_eq!(got_path, path.as_str());
        let decoded: Vec<(String, String)> = got_query
            .split('&')
            .filter(|s| !s.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (percent_decode(k), percent_decode(v))
            })
            .collect();
        prop_assert_eq!(decoded, query);
        for (k, v) in &headers {
            prop_assert!(got.iter().any(|(gk, gv)| gk == k && gv == v.trim()));
        }
        prop_assert_eq!(got_body, body.unwrap_or_default());
    }

    #[test]
    fn arbitrary_fields_never_panic_nor_emit_line_breaks(
        path in "\\PC{0,20}|.{0,20}",
        k in ".{0,10}", v in ".{0,10}", hn in ".{0,10}", hv in ".{0,10}",
    ) {
        let mut w = RequestWriter::builder("h").capacity(256).build().unwrap();
        if let Ok(req) = w.get(&path).query(&k, &v).header(&hn, &hv).finish() {
            let bytes = w.bytes(&req).unwrap();
            // Every line break is a CRLF that httparse accepts.
            parse(bytes);
            let head_lines = bytes.split(|&b| b == b'\n').count();
            prop_assert_eq!(head_lines, 6); // line, Host, Connection, header, blank + tail
        }
    }
}

/// RFC 3986 percent-encoding the plain way, one byte at a time: the
/// reference the writer's run-based encoder must match byte for byte.
fn reference_encode(s: &str) -> String {
    let mut out = String::new();
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Query fields mostly unreserved (the fast path), with reserved ASCII,
/// CR/LF/NUL and multi-byte characters mixed in, of every short length.
fn query_field() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z0-9._~-]{0,40}",
        3 => "[A-Za-z0-9._~ %&=+/?#:@,;!*'()\\[\\]-]{0,24}",
        2 => "\\PC{0,16}",
        1 => "[a-z\r\n\0]{0,8}",
    ]
}

proptest! {
    #[test]
    fn query_encoding_matches_the_reference(
        params in proptest::collection::vec((query_field(), query_field()), 1..4),
    ) {
        let mut w = RequestWriter::builder("h").build().unwrap();
        let mut b = w.get("/p");
        for (k, v) in &params {
            b = b.query(k, v);
        }
        let result = b.finish();
        let has_break = |s: &String| s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0));
        if params.iter().any(|(k, v)| has_break(k) || has_break(v)) {
            prop_assert_eq!(result.unwrap_err(), RequestError::CrlfInjection);
        } else {
            let req = result.unwrap();
            let expected: Vec<String> = params
                .iter()
                .map(|(k, v)| format!("{}={}", reference_encode(k), reference_encode(v)))
                .collect();
            let line = format!("GET /p?{} HTTP/1.1\r\n", expected.join("&"));
            prop_assert!(w.bytes(&req).unwrap().starts_with(line.as_bytes()));
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn query_raw_base_path_te_and_host_rules() {
    let mut w = RequestWriter::builder("h")
        .base_path("/api")
        .build()
        .unwrap();
    let req = w
        .get("/x")
        .query_raw("a=1&b=%20")
        .query("c", "d")
        .finish()
        .unwrap();
    assert_eq!(parse(w.bytes(&req).unwrap()).1, "/api/x?a=1&b=%20&c=d");
    assert_eq!(
        w.get("/").query_raw("a b").finish().unwrap_err(),
        RequestError::InvalidPath
    );
    assert_eq!(
        w.get("/").header("TE", "gzip").finish().unwrap_err(),
        RequestError::ReservedHeader
    );
    for bad_base in ["api", "/a b", "/a?b", "/a#b"] {
        assert_eq!(
            RequestWriter::builder("h")
                .base_path(bad_base)
                .build()
                .unwrap_err(),
            RequestError::InvalidPath,
            "{bad_base}"
        );
    }
    assert_eq!(
        RequestWriter::builder("/a@b c").build().unwrap_err(),
        RequestError::InvalidHost
    );
    assert_eq!(
        RequestWriter::builder("").build().unwrap_err(),
        RequestError::InvalidHost
    );
    assert!(RequestWriter::builder("[::1]:8443").build().is_ok());
}
