//! The response reader: framing, keep-alive, smuggling defences, splits.

use proptest::prelude::*;
use tickwire::http::{Method, ResponseError, ResponseReader};

/// An owned summary of a response, to compare across feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Got {
    status: u16,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    keep_alive: bool,
}

/// Feeds `bytes` in the given split sizes (cycled), collecting responses
/// to requests of `method`; marks EOF at the end if `eof`.
fn run(
    bytes: &[u8],
    splits: &[usize],
    method: Method,
    eof: bool,
) -> Result<Vec<Got>, ResponseError> {
    // These streams are pipelined responses: leftovers are expected.
    let mut reader = ResponseReader::builder()
        .buffer_capacity(64)
        .pipelining(true)
        .build();
    let mut got = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    let drain = |reader: &mut ResponseReader, got: &mut Vec<Got>| -> Result<(), ResponseError> {
        while let Some(r) = reader.next(method)? {
            got.push(Got {
                status: r.status(),
                headers: r
                    .headers()
                    .map(|(n, v)| (n.to_owned(), v.to_vec()))
                    .collect(),
                body: r.body().to_vec(),
                keep_alive: r.is_keep_alive(),
            });
        }
        Ok(())
    };
    while pos < bytes.len() {
        let step = splits[i % splits.len()].max(1).min(bytes.len() - pos);
        i += 1;
        let spare = reader.spare();
        let n = step.min(spare.len());
        spare[..n].copy_from_slice(&bytes[pos..pos + n]);
        reader.filled(n);
        pos += n;
        drain(&mut reader, &mut got)?;
    }
    if eof {
        reader.mark_eof();
        drain(&mut reader, &mut got)?;
    }
    Ok(got)
}

fn one(bytes: &[u8]) -> Result<Got, ResponseError> {
    let mut all = run(bytes, &[usize::MAX], Method::Get, false)?;
    assert_eq!(all.len(), 1, "expected one response");
    Ok(all.remove(0))
}

const NGINX: &[u8] =
    b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Thu, 26 Nov 2026 12:00:00 GMT\r\n\
Content-Type: application/json\r\nContent-Length: 27\r\nConnection: keep-alive\r\n\
Keep-Alive: timeout=65\r\nX-RateLimit-Remaining: 1199\r\n\r\n{\"symbol\":\"BTC\",\"px\":\"1.5\"}";

const NODE_CHUNKED: &[u8] = b"HTTP/1.1 200 OK\r\nX-Powered-By: Express\r\nContent-Type: application/json; charset=utf-8\r\n\
Date: Thu, 26 Nov 2026 12:00:00 GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\
Transfer-Encoding: chunked\r\n\r\n1b\r\n{\"symbol\":\"BTC\",\"px\":\"1.5\"}\r\n0\r\n\r\n";

#[test]
fn nginx_style_content_length() {
    let got = one(NGINX).unwrap();
    assert_eq!(got.status, 200);
    assert_eq!(got.body, br#"{"symbol":"BTC","px":"1.5"}"#);
    assert!(got.keep_alive);
    let mut reader = ResponseReader::builder().build();
    reader.read(NGINX).unwrap();
    let r = reader.next(Method::Get).unwrap().unwrap();
    assert_eq!(r.header_str("x-ratelimit-remaining"), Some("1199"));
    assert_eq!(r.header_str("CONTENT-TYPE"), Some("application/json"));
    assert_eq!(
        r.keep_alive_timeout(),
        Some(std::time::Duration::from_secs(65))
    );
    assert_eq!(r.reason(), "OK");
    assert_eq!(r.body_str().unwrap(), r#"{"symbol":"BTC","px":"1.5"}"#);
}

#[test]
fn node_style_chunked_json_decodes_to_the_same_body() {
    let chunked = one(NODE_CHUNKED).unwrap();
    assert_eq!(chunked.body, one(NGINX).unwrap().body);
    assert!(chunked.keep_alive);
}

#[test]
fn every_split_gives_the_same_responses() {
    let mut stream = Vec::new();
    stream.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
    stream.extend_from_slice(NGINX);
    stream.extend_from_slice(NODE_CHUNKED);
    stream.extend_from_slice(b"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n");
    let whole = run(&stream, &[usize::MAX], Method::Get, false).unwrap();
    assert_eq!(whole.len(), 3);
    assert_eq!(whole[2].status, 204);
    assert!(whole[2].body.is_empty());
    for split in 1..stream.len() {
        let two = run(&stream, &[split, usize::MAX], Method::Get, false).unwrap();
        assert_eq!(two, whole, "split at {split}");
    }
    assert_eq!(run(&stream, &[1], Method::Get, false).unwrap(), whole);
}

#[test]
fn head_and_304_have_no_body() {
    let head = b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 3\r\n\r\n";
    let got = run(head, &[7], Method::Head, false).unwrap();
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|g| g.body.is_empty()));
}

#[test]
fn body_until_close_needs_eof_and_ends_keep_alive() {
    let bytes = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it";
    assert!(run(bytes, &[3], Method::Get, false).unwrap().is_empty());
    let got = run(bytes, &[3], Method::Get, true).unwrap();
    assert_eq!(got[0].body, b"all of it");
    assert!(!got[0].keep_alive);
}

#[test]
fn keep_alive_decisions() {
    let ka = |bytes: &[u8]| one(bytes).unwrap().keep_alive;
    assert!(ka(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    assert!(!ka(
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    ));
    assert!(!ka(
        b"HTTP/1.1 200 OK\r\nConnection: Upgrade, Close\r\nContent-Length: 0\r\n\r\n"
    ));
    assert!(!ka(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
    assert!(ka(
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"
    ));
}

#[test]
fn eof_mid_response_is_an_error_eof_between_responses_is_not() {
    assert_eq!(
        run(
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
            &[4],
            Method::Get,
            true
        ),
        Err(ResponseError::UnexpectedEof)
    );
    assert_eq!(
        run(b"HTTP/1.1 200 OK\r\nContent-Le", &[4], Method::Get, true),
        Err(ResponseError::UnexpectedEof)
    );
    assert_eq!(
        run(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab",
            &[4],
            Method::Get,
            true
        ),
        Err(ResponseError::UnexpectedEof)
    );
    let got = run(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        &[4],
        Method::Get,
        true,
    )
    .unwrap();
    assert_eq!(got.len(), 1);
}

fn rejected(bytes: &[u8]) -> ResponseError {
    let err = run(bytes, &[usize::MAX], Method::Get, true).unwrap_err();
    // Sticky: every split reports the same error.
    assert_eq!(run(bytes, &[1], Method::Get, true).unwrap_err(), err);
    err
}

#[test]
fn smuggling_defences() {
    use ResponseError::*;
    let cases: &[(&[u8], ResponseError)] = &[
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            LengthAndTransferEncoding,
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
            LengthAndTransferEncoding,
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
            ConflictingContentLength,
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\nabcd",
            ConflictingContentLength,
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\nabc",
            InvalidContentLength,
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 0x3\r\n\r\nabc",
            InvalidContentLength,
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            InvalidContentLength,
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 3 3\r\n\r\nabc",
            InvalidContentLength,
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
            InvalidContentLength,
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            InvalidContentLength,
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            UnsupportedTransferEncoding,
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            UnsupportedTransferEncoding,
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            UnsupportedTransferEncoding,
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            UnsupportedTransferEncoding,
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            InvalidChunkSize,
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\n",
            ChunkSizeOverflow,
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n",
            MissingChunkCrlf,
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n",
            InvalidChunkSize,
        ),
        (b"HTTP/1.1 2000 OK\r\n\r\n", MalformedHead),
        (b"garbage\r\n\r\n", MalformedHead),
        (
            b"HTTP/1.1 000 Zero\r\nContent-Length: 0\r\n\r\n",
            MalformedHead,
        ),
        (
            b"HTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n",
            MalformedHead,
        ),
    ];
    for (bytes, want) in cases {
        assert_eq!(&rejected(bytes), want, "{}", String::from_utf8_lossy(bytes));
    }
    // A missing or non-ASCII reason phrase is fine (fuzz findings: both
    // once underflowed the span arithmetic).
    for head in [
        &b"HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok"[..],
        b"HTTP/1.1 200 \xe9t\xe9\r\nContent-Length: 2\r\n\r\nok",
    ] {
        let mut reader = ResponseReader::builder().build();
        reader.read(head).unwrap();
        let r = reader.next(Method::Get).unwrap().unwrap();
        assert_eq!((r.status(), r.body()), (200, &b"ok"[..]));
        assert!(r.reason().is_empty() || r.reason().len() < 10);
    }
    // Repeated identical lengths are one length.
    let got =
        one(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabc").unwrap();
    assert_eq!(got.body, b"abc");
    // Chunk extensions and trailers are skipped.
    let got = one(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n3;name=\"v\"\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n").unwrap();
    assert_eq!(got.body, b"abc");
}

#[test]
fn limits_are_enforced_early() {
    let mut huge_head = b"HTTP/1.1 200 OK\r\n".to_vec();
    while huge_head.len() < 9000 {
        huge_head.extend_from_slice(format!("X-Filler: {}\r\n", "a".repeat(500)).as_bytes());
    }
    // No blank line in sight: refused once 8 KiB are buffered, not later.
    assert!(matches!(
        rejected(&huge_head),
        ResponseError::HeadTooLarge { limit: 8192 }
    ));
    let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..65 {
        many.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    assert!(matches!(
        rejected(&many),
        ResponseError::TooManyHeaders { limit: 64 }
    ));
    let mut reader = ResponseReader::builder().max_body_size(1000).build();
    reader
        .read(b"HTTP/1.1 200 OK\r\nContent-Length: 1001\r\n\r\n")
        .unwrap();
    assert!(matches!(
        reader.next(Method::Get),
        Err(ResponseError::BodyTooLarge { size: 1001, .. })
    ));
    let mut reader = ResponseReader::builder().max_body_size(1000).build();
    reader
        .read(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n")
        .unwrap();
    assert!(matches!(
        reader.next(Method::Get),
        Err(ResponseError::BodyTooLarge { size: 1001, .. })
    ));
    // Endless trailers are bounded too.
    let mut trailers = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n".to_vec();
    while trailers.len() < 20_000 {
        trailers.extend_from_slice(b"X-T: 1\r\n");
    }
    assert!(matches!(
        rejected(&trailers),
        ResponseError::HeadTooLarge { .. }
    ));
}

/// Encodes `body` chunked with the given chunk sizes (cycled).
fn chunk(body: &[u8], sizes: &[usize]) -> Vec<u8> {
    let mut out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    let mut pos = 0;
    let mut i = 0;
    while pos < body.len() {
        let n = sizes[i % sizes.len()].max(1).min(body.len() - pos);
        i += 1;
        out.extend_from_slice(format!("{n:x}\r\n").as_bytes());
        out.extend_from_slice(&body[pos..pos + n]);
        out.extend_from_slice(b"\r\n");
        pos += n;
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

proptest! {
    #[test]
    fn chunked_layouts_decode_like_content_length(
        body in proptest::collection::vec(any::<u8>(), 0..3000),
        sizes in proptest::collection::vec(1usize..700, 1..6),
        splits in proptest::collection::vec(1usize..500, 1..6),
    ) {
        let mut plain = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
        plain.extend_from_slice(&body);
        let a = run(&plain, &splits, Method::Get, false).unwrap();
        let b = run(&chunk(&body, &sizes), &splits, Method::Get, false).unwrap();
        prop_assert_eq!(a.len(), 1);
        prop_assert_eq!(&a[0].body, &body);
        prop_assert_eq!(&b[0].body, &body);
    }

    #[test]
    fn any_valid_response_parses_the_same_at_any_split(
        status in 200u16..600,
        headers in proptest::collection::vec(("[A-Za-z][A-Za-z0-9-]{0,15}", "[ -~]{0,20}"), 0..8),
        body in proptest::collection::vec(any::<u8>(), 0..500),
        splits in proptest::collection::vec(1usize..100, 1..5),
    ) {
        let headers: Vec<(String, String)> = headers
            .into_iter()
            .filter(|(n, _)| {
                let n = n.to_ascii_lowercase();
                n != "content-length" && n != "transfer-encoding" && n != "connection" && n != "keep-alive"
            })
            .map(|(n, v)| (n, v.trim().to_owned()))
            .collect();
        let mut bytes = format!("HTTP/1.1 {status} X\r\n").into_bytes();
        for (n, v) in &headers {
            bytes.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        }
        let has_body = status != 204 && status != 304;
        if has_body {
            bytes.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
        }
        bytes.extend_from_slice(b"\r\n");
        if has_body {
            bytes.extend_from_slice(&body);
        }
        let got = run(&bytes, &splits, Method::Get, false).unwrap();
        prop_assert_eq!(got.len(), 1);
        prop_assert_eq!(got[0].status, status);
        for (i, (n, v)) in headers.iter().enumerate() {
            prop_assert_eq!(&got[0].headers[i].0, n);
            prop_assert_eq!(&got[0].headers[i].1, v.as_bytes());
        }
        if has_body {
            prop_assert_eq!(&got[0].body, &body);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000), split in 1usize..300, eof: bool) {
        let _ = run(&bytes, &[split], Method::Get, eof);
    }
}

#[test]
fn tiny_chunks_cost_no_more_buffer_than_the_body() {
    // 60 KiB of body in 1-byte chunks is 360 KiB on the wire; the reader's
    // buffer limit (2 heads + body + 4 KiB) must still take it all.
    let body: Vec<u8> = (0..60_000u32).map(|i| i as u8).collect();
    let bytes = chunk(&body, &[1]);
    let mut reader = ResponseReader::builder()
        .buffer_capacity(256)
        .max_body_size(64 * 1024)
        .build();
    let mut rest = &bytes[..];
    let mut got = None;
    while !rest.is_empty() {
        let n = reader.read(rest).expect("never wedged at the limit");
        rest = &rest[n..];
        if let Some(r) = reader.next(Method::Get).unwrap() {
            got = Some(r.body().to_vec());
        }
    }
    assert_eq!(got.unwrap(), body);
}

#[test]
fn unsolicited_bytes_after_a_response_end_keep_alive_unless_pipelining() {
    // RFC 9112 6.3: without an outstanding request, extra bytes must not be
    // read as the next response; the connection is not reused.
    let cases: [(&[u8], Method); 3] = [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil", Method::Get),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody", Method::Head),
        (b"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n0123456789", Method::Get),
    ];
    for (bytes, method) in cases {
        let mut reader = ResponseReader::builder().build();
        reader.read(bytes).unwrap();
        let r = reader.next(method).unwrap().unwrap();
        assert!(!r.is_keep_alive(), "{}", String::from_utf8_lossy(bytes));
        assert!(reader.buffered() > 0);
        let mut pipelined = ResponseReader::builder().pipelining(true).build();
        pipelined.read(bytes).unwrap();
        assert!(pipelined.next(method).unwrap().unwrap().is_keep_alive());
    }
    // A response that ends exactly at the end of the bytes stays reusable.
    let mut reader = ResponseReader::builder().build();
    reader
        .read(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        .unwrap();
    assert!(reader.next(Method::Get).unwrap().unwrap().is_keep_alive());
}

#[test]
fn faulty_or_final_framing_ends_keep_alive() {
    let ka = |bytes: &[u8]| one(bytes).unwrap().keep_alive;
    // RFC 9112 6.1: Transfer-Encoding in HTTP/1.0.
    assert!(!ka(b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"));
    // 101: the connection is no longer HTTP.
    assert!(!ka(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
    ));
}

#[test]
fn eof_after_an_informational_head_is_unexpected() {
    let mut reader = ResponseReader::builder().build();
    reader.read(b"HTTP/1.1 100 Continue\r\n\r\n").unwrap();
    assert!(reader.next(Method::Post).unwrap().is_none());
    assert!(reader.is_mid_response());
    reader.mark_eof();
    assert_eq!(
        reader.next(Method::Post).unwrap_err(),
        ResponseError::UnexpectedEof
    );
}

#[test]
fn status_codes_outside_100_to_599_are_malformed() {
    for bytes in [
        &b"HTTP/1.1 600 X\r\nContent-Length: 0\r\n\r\n"[..],
        b"HTTP/1.1 999 X\r\nContent-Length: 0\r\n\r\n",
    ] {
        assert_eq!(rejected(bytes), ResponseError::MalformedHead);
    }
}

#[test]
fn a_huge_response_does_not_pin_its_buffer() {
    let mut reader = ResponseReader::builder().buffer_capacity(1024).build();
    let mut big = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n".to_vec();
    big.resize(big.len() + 100_000, b'x');
    let mut rest = &big[..];
    while !rest.is_empty() {
        let n = reader.read(rest).unwrap();
        rest = &rest[n..];
        if let Some(r) = reader.next(Method::Get).unwrap() {
            assert_eq!(r.body().len(), 100_000);
        }
    }
    // Drained: the next call gives the big buffer back.
    assert!(reader.next(Method::Get).unwrap().is_none());
    assert!(
        reader.spare().len() <= 1024,
        "buffer still {} bytes",
        reader.spare().len()
    );
}
