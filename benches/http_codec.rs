//! HTTP/1.1 codec benchmarks: tickwire next to the crate it re-creates
//! (nexus-net 0.7.0), a hand-written `write!` formatter and a floor, in the
//! same criterion groups, so every figure is a ratio from one run.
//!
//! Run pinned to one core (unpinned runs on the shared VMs swing by tens of
//! percent):
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-bench taskset -c 0 cargo bench --bench http_codec
//! ```
//!
//! Groups (see `docs/performance.md` for the figures):
//!
//! - `build_*`: one request per iteration from a writer built once (host,
//!   `Connection: keep-alive` and 4 default headers serialised at build
//!   time); the iteration builds and finishes the request and passes its
//!   bytes to `black_box`. `write_fmt` formats the same request with
//!   `write!` into a `Vec` allocated once with capacity and cleared each
//!   iteration; `memcpy_floor` copies the finished bytes into a buffer.
//!   Setup asserts that every row produces the same bytes.
//!   - `build_get_3q_4h`: GET with 3 query parameters.
//!   - `build_post_256B`: POST with a 256 B JSON body.
//!   - `build_post_256B_signed`: the same POST plus one `X-SIGNATURE` header
//!     computed by a cheap checksum over target and body. tickwire runs it
//!     in its signing hook (`tickwire_signer`) and, for comparison, as a
//!     header the caller computes first (`tickwire_manual`); nexus has no
//!     hook, so its row computes it first too. The checksum is the same
//!     function everywhere, so the differences are the mechanism.
//! - `parse_*`: a 200 response with 8 headers and a 256 B JSON body, framed
//!   by `Content-Length` or chunked (4 chunks of 64 B). One iteration copies
//!   the response into the reader (`read`), reads it (`next(Method::Get)`)
//!   and passes status and body to `black_box`; the reader persists. nexus
//!   has no sans-IO body step: `nexus` replays what its `Client::send` does
//!   after the socket read (`ResponseReader::read`/`next`, the framing
//!   checks, `RestResponse::new`, and for chunked bodies its
//!   `ChunkedDecoder` into a `Vec`, as `read_chunked_body` does);
//!   `nexus_client` is `Client::send` itself over an in-memory stream (it
//!   also writes a small request to a no-op sink). `httparse_floor` is
//!   httparse alone on the same head, already in memory: no copy, no body.

// criterion_group! generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::io::{self, Read, Write as _};
use std::mem::MaybeUninit;

use criterion::{Criterion, criterion_group, criterion_main};
use nexus_net::http::{ChunkedDecoder as NxChunkedDecoder, ResponseReader as NxReader};
use nexus_net::rest::{
    Client as NxClient, RequestWriter as NxWriter, RestResponse as NxRestResponse,
};
use tickwire::http::{
    Method, RequestError, RequestWriter, ResponseReader, SignInput, SignedHeaders,
};

mod common;
#[path = "common/http_wire.rs"]
mod http_wire;

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

const HOST: &str = "api.exchange.com";
const BASE_PATH: &str = "/api/v3";
/// Sent with every request; serialised once when a writer is built.
const DEFAULT_HEADERS: [(&str, &str); 4] = [
    (
        "X-MBX-APIKEY",
        "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
    ),
    ("User-Agent", "tickwire-bench/0.1"),
    ("Accept", "application/json"),
    ("Content-Type", "application/json"),
];
const GET_PATH: &str = "/depth";
/// Plain values (nothing to percent-encode), so `write!` produces the same
/// bytes without an encoder; both libraries still scan every byte.
const GET_QUERY: [(&str, &str); 3] = [
    ("symbol", "BTCUSDT"),
    ("limit", "100"),
    ("timestamp", "1700000000123"),
];
const POST_PATH: &str = "/order";
const SIG_HEADER: &str = "X-SIGNATURE";
/// Request buffer of every writer (and capacity of the `write!` Vec).
const REQUEST_CAPACITY: usize = 8 * 1024;

/// A 256-byte JSON order body.
fn json_body() -> Vec<u8> {
    http_wire::json_256(
        r#"{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","timeInForce":"GTC","quantity":"0.00150","price":"64123.10","newClientOrderId":"x-7f3a9c2e41b8","recvWindow":5000,"timestamp":1700000000123,"pad":""#,
    )
}

/// A cheap non-cryptographic checksum (wrapping sum of 8-byte words), hex
/// encoded: stands in for an HMAC so the hook mechanism dominates.
#[inline]
fn checksum_hex(target: &[u8], body: &[u8]) -> [u8; 16] {
    let mut sum = 0u64;
    for part in [target, body] {
        let (words, rest) = part.as_chunks::<8>();
        for w in words {
            sum = sum.wrapping_add(u64::from_le_bytes(*w));
        }
        for &b in rest {
            sum = sum.wrapping_add(u64::from(b));
        }
    }
    let mut hex = [0u8; 16];
    for (i, h) in hex.iter_mut().enumerate() {
        *h = b"0123456789abcdef"[((sum >> (60 - 4 * i)) & 15) as usize];
    }
    hex
}

fn tickwire_writer(signed: bool) -> RequestWriter {
    let mut builder = RequestWriter::builder(HOST)
        .base_path(BASE_PATH)
        .capacity(REQUEST_CAPACITY);
    for (name, value) in DEFAULT_HEADERS {
        builder = builder.default_header(name, value).expect("default header");
    }
    if signed {
        builder = builder.signer(
            |input: &SignInput<'_>, out: &mut SignedHeaders<'_>| -> Result<(), RequestError> {
                out.header(SIG_HEADER, &checksum_hex(input.target, input.body))
            },
        );
    }
    builder.build().expect("writer")
}

fn nexus_writer() -> NxWriter {
    let mut w = NxWriter::new(HOST).expect("writer");
    w.set_write_buffer_capacity(REQUEST_CAPACITY);
    w.set_base_path(BASE_PATH).expect("base path");
    for (name, value) in DEFAULT_HEADERS {
        w.default_header(name, value).expect("default header");
    }
    w
}

#[inline(always)]
fn tickwire_get(w: &mut RequestWriter) -> &[u8] {
    let req = w
        .get(black_box(GET_PATH))
        .query(black_box(GET_QUERY[0].0), black_box(GET_QUERY[0].1))
        .query(black_box(GET_QUERY[1].0), black_box(GET_QUERY[1].1))
        .query(black_box(GET_QUERY[2].0), black_box(GET_QUERY[2].1))
        .finish()
        .expect("build");
    w.bytes(&req).expect("bytes")
}

#[inline(always)]
fn nexus_get(w: &mut NxWriter) -> &[u8] {
    w.get(black_box(GET_PATH))
        .query(black_box(GET_QUERY[0].0), black_box(GET_QUERY[0].1))
        .query(black_box(GET_QUERY[1].0), black_box(GET_QUERY[1].1))
        .query(black_box(GET_QUERY[2].0), black_box(GET_QUERY[2].1))
        .finish()
        .expect("build")
        .into_bytes()
}

/// Everything after the request line's target: version, host, keep-alive,
/// the default headers, formatted with `write!` each time.
#[inline(always)]
fn fmt_fixed(out: &mut Vec<u8>) {
    write!(
        out,
        " HTTP/1.1\r\nHost: {HOST}\r\nConnection: keep-alive\r\n"
    )
    .expect("fmt");
    for (name, value) in DEFAULT_HEADERS {
        write!(out, "{name}: {value}\r\n").expect("fmt");
    }
}

#[inline(always)]
fn fmt_get(out: &mut Vec<u8>) -> &[u8] {
    out.clear();
    let [(k0, v0), (k1, v1), (k2, v2)] = black_box(GET_QUERY);
    write!(
        out,
        "GET {BASE_PATH}{}?{k0}={v0}&{k1}={v1}&{k2}={v2}",
        black_box(GET_PATH)
    )
    .expect("fmt");
    fmt_fixed(out);
    out.extend_from_slice(b"\r\n");
    out
}

#[inline(always)]
fn tickwire_post<'w>(w: &'w mut RequestWriter, body: &[u8]) -> &'w [u8] {
    let req = w
        .post(black_box(POST_PATH))
        .body(black_box(body))
        .finish()
        .expect("build");
    w.bytes(&req).expect("bytes")
}

#[inline(always)]
fn nexus_post<'w>(w: &'w mut NxWriter, body: &[u8]) -> &'w [u8] {
    w.post(black_box(POST_PATH))
        .body(black_box(body))
        .finish()
        .expect("build")
        .into_bytes()
}

/// `sig`, when given, goes in as a header line after the default headers.
#[inline(always)]
fn fmt_post<'o>(out: &'o mut Vec<u8>, body: &[u8], sig: Option<&str>) -> &'o [u8] {
    out.clear();
    write!(out, "POST {BASE_PATH}{}", black_box(POST_PATH)).expect("fmt");
    fmt_fixed(out);
    if let Some(sig) = sig {
        write!(out, "{SIG_HEADER}: {sig}\r\n").expect("fmt");
    }
    write!(out, "Content-Length: {}\r\n\r\n", body.len()).expect("fmt");
    out.extend_from_slice(body);
    out
}

/// The signature a caller computes before building (no hook).
#[inline(always)]
fn manual_sig(target: &[u8], body: &[u8]) -> [u8; 16] {
    checksum_hex(black_box(target), black_box(body))
}

#[inline(always)]
fn tickwire_post_manual<'w>(w: &'w mut RequestWriter, target: &[u8], body: &[u8]) -> &'w [u8] {
    let hex = manual_sig(target, body);
    let sig = std::str::from_utf8(&hex).expect("hex");
    let req = w
        .post(black_box(POST_PATH))
        .header(SIG_HEADER, sig)
        .body(black_box(body))
        .finish()
        .expect("build");
    w.bytes(&req).expect("bytes")
}

#[inline(always)]
fn nexus_post_manual<'w>(w: &'w mut NxWriter, target: &[u8], body: &[u8]) -> &'w [u8] {
    let hex = manual_sig(target, body);
    let sig = std::str::from_utf8(&hex).expect("hex");
    w.post(black_box(POST_PATH))
        .header(SIG_HEADER, sig)
        .body(black_box(body))
        .finish()
        .expect("build")
        .into_bytes()
}

/// The request's lines, sorted: the signed rows put their header in
/// different places (tickwire's hook writes it last, ahead of the blank
/// line), so compare them as sets plus the body.
fn sorted_lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    lines.sort();
    lines
}

fn bench_build(c: &mut Criterion) {
    let body = json_body();
    let body = &body[..];
    let target = format!("{BASE_PATH}{POST_PATH}");
    let target = target.as_bytes();

    let mut tw = tickwire_writer(false);
    let mut tw_signed = tickwire_writer(true);
    let mut nx = nexus_writer();
    let mut fmt_out = Vec::with_capacity(REQUEST_CAPACITY);
    let mut dst = vec![0u8; REQUEST_CAPACITY];

    // --- GET, 3 query parameters, 4 default headers -----------------------
    let expected = tickwire_get(&mut tw).to_vec();
    assert!(expected.starts_with(
        b"GET /api/v3/depth?symbol=BTCUSDT&limit=100&timestamp=1700000000123 HTTP/1.1\r\n"
    ));
    assert_eq!(nexus_get(&mut nx), &expected[..], "nexus GET bytes");
    assert_eq!(fmt_get(&mut fmt_out), &expected[..], "write! GET bytes");
    eprintln!("build_get_3q_4h: {} B on the wire", expected.len());

    let mut group = c.benchmark_group("build_get_3q_4h");
    group.bench_function("tickwire", |b| {
        b.iter(|| {
            black_box(tickwire_get(&mut tw));
        });
    });
    group.bench_function("nexus", |b| {
        b.iter(|| {
            black_box(nexus_get(&mut nx));
        });
    });
    group.bench_function("write_fmt", |b| {
        b.iter(|| {
            black_box(fmt_get(&mut fmt_out));
        });
    });
    group.bench_function("memcpy_floor", |b| {
        let src = &expected[..];
        b.iter(|| {
            let src = black_box(src);
            dst[..src.len()].copy_from_slice(src);
            black_box(&dst[..src.len()]);
        });
    });
    group.finish();

    // --- POST, 256 B JSON body --------------------------------------------
    let expected = tickwire_post(&mut tw, body).to_vec();
    assert!(expected.starts_with(b"POST /api/v3/order HTTP/1.1\r\n"));
    assert!(expected.ends_with(body));
    assert_eq!(nexus_post(&mut nx, body), &expected[..], "nexus POST bytes");
    assert_eq!(
        fmt_post(&mut fmt_out, body, None),
        &expected[..],
        "write! POST bytes"
    );
    eprintln!("build_post_256B: {} B on the wire", expected.len());

    let mut group = c.benchmark_group("build_post_256B");
    group.bench_function("tickwire", |b| {
        b.iter(|| {
            black_box(tickwire_post(&mut tw, body));
        });
    });
    group.bench_function("nexus", |b| {
        b.iter(|| {
            black_box(nexus_post(&mut nx, body));
        });
    });
    group.bench_function("write_fmt", |b| {
        b.iter(|| {
            black_box(fmt_post(&mut fmt_out, body, None));
        });
    });
    group.bench_function("memcpy_floor", |b| {
        let src = &expected[..];
        b.iter(|| {
            let src = black_box(src);
            dst[..src.len()].copy_from_slice(src);
            black_box(&dst[..src.len()]);
        });
    });
    group.finish();

    // --- POST, 256 B JSON body, signed (one header from a checksum) --------
    let expected = tickwire_post(&mut tw_signed, body).to_vec();
    let sig_hex = checksum_hex(target, body);
    let sig = std::str::from_utf8(&sig_hex).expect("hex");
    let sig_line = format!("{SIG_HEADER}: {sig}\r\n");
    assert!(
        expected
            .windows(sig_line.len())
            .any(|w| w == sig_line.as_bytes()),
        "the hook's header is in the request"
    );
    assert!(expected.ends_with(body));
    let lines = sorted_lines(&expected);
    assert_eq!(
        sorted_lines(tickwire_post_manual(&mut tw, target, body)),
        lines,
        "tickwire manual signed POST"
    );
    assert_eq!(
        sorted_lines(nexus_post_manual(&mut nx, target, body)),
        lines,
        "nexus signed POST"
    );
    assert_eq!(
        sorted_lines(fmt_post(&mut fmt_out, body, Some(sig))),
        lines,
        "write! signed POST"
    );
    eprintln!("build_post_256B_signed: {} B on the wire", expected.len());

    let mut group = c.benchmark_group("build_post_256B_signed");
    group.bench_function("tickwire_signer", |b| {
        b.iter(|| {
            black_box(tickwire_post(&mut tw_signed, body));
        });
    });
    group.bench_function("tickwire_manual", |b| {
        b.iter(|| {
            black_box(tickwire_post_manual(&mut tw, target, body));
        });
    });
    group.bench_function("nexus_manual", |b| {
        b.iter(|| {
            black_box(nexus_post_manual(&mut nx, target, body));
        });
    });
    group.bench_function("write_fmt", |b| {
        b.iter(|| {
            let hex = manual_sig(target, body);
            let sig = std::str::from_utf8(&hex).expect("hex");
            black_box(fmt_post(&mut fmt_out, body, Some(sig)));
        });
    });
    group.bench_function("memcpy_floor", |b| {
        let src = &expected[..];
        b.iter(|| {
            let src = black_box(src);
            dst[..src.len()].copy_from_slice(src);
            black_box(&dst[..src.len()]);
        });
    });
    group.finish();
}

// ---------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------

/// Read buffer of every reader: tickwire's default.
const RESPONSE_BUFFER: usize = 16 * 1024;

#[inline(always)]
fn tickwire_parse(reader: &mut ResponseReader, wire: &[u8]) {
    let taken = reader.read(wire).expect("read");
    debug_assert_eq!(taken, wire.len());
    let resp = reader.next(Method::Get).expect("parse").expect("complete");
    black_box(resp.status());
    black_box(resp.body());
}

/// nexus's `Client::read_response` after the socket read, step for step:
/// consume the previous response, buffer the bytes, parse the head, then
/// frame the body (`read_chunked_body` decodes chunked bodies into a `Vec`
/// through a 4 KiB stack buffer).
#[inline(always)]
fn nexus_parse(reader: &mut NxReader, wire: &[u8]) {
    reader.consume_response();
    reader.read(wire).expect("read");
    let status = reader.next().expect("parse").expect("complete").status;
    if matches!(status, 100..=199 | 204 | 304) {
        reader.set_body_consumed(0);
        let resp = NxRestResponse::new(status, 0, reader);
        black_box(resp.status());
        black_box(resp.body());
        return;
    }
    if reader.is_chunked() {
        let max_body = reader.max_body_size_limit();
        let mut decoder = NxChunkedDecoder::new();
        let mut body = Vec::with_capacity(4096);
        let mut decode_buf = [0u8; 4096];
        let remainder = reader.remainder();
        let mut pos = 0;
        while pos < remainder.len() && !decoder.is_done() {
            let (consumed, produced) = decoder
                .decode(&remainder[pos..], &mut decode_buf)
                .expect("chunked");
            pos += consumed;
            if produced > 0 {
                body.extend_from_slice(&decode_buf[..produced]);
                assert!(max_body == 0 || body.len() <= max_body);
            }
            if consumed == 0 && produced == 0 {
                break;
            }
        }
        assert!(decoder.is_done(), "nexus: chunked body incomplete");
        reader.set_body_consumed(reader.body_remaining());
        let resp = NxRestResponse::new_chunked(status, body, reader);
        black_box(resp.status());
        black_box(resp.body());
        return;
    }
    let Some(Ok(length)) = reader.content_length() else {
        panic!("nexus: no usable Content-Length");
    };
    let max_body = reader.max_body_size_limit();
    assert!(max_body == 0 || length <= max_body);
    assert!(reader.body_remaining() >= length, "nexus: body incomplete");
    reader.set_body_consumed(length);
    let resp = NxRestResponse::new(status, length, reader);
    black_box(resp.status());
    black_box(resp.body());
}

/// An in-memory connection for nexus's `Client`: every read answers the
/// canned response from the top (the bench rewinds it), writes vanish.
struct Replay {
    wire: Vec<u8>,
    pos: usize,
}

impl Read for Replay {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rest = &self.wire[self.pos..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

impl io::Write for Replay {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// httparse alone on the head, in place: the floor for head parsing.
#[inline(always)]
fn httparse_head(wire: &[u8]) -> (u16, usize) {
    let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; 16];
    let mut resp = httparse::Response::new(&mut []);
    let status = httparse::ParserConfig::default()
        .parse_response_with_uninit_headers(&mut resp, wire, &mut slots)
        .expect("httparse");
    let httparse::Status::Complete(n) = status else {
        panic!("httparse: partial head");
    };
    (resp.code.unwrap_or(0), n)
}

fn bench_parse_case(c: &mut Criterion, name: &str, body: &[u8], chunked: bool) {
    let (wire, head_len) = http_wire::response(body, chunked);
    let wire = &wire[..];

    // Check once (twice, so the second pass runs on the reused readers)
    // that every row reads the same status and body.
    let mut tw = ResponseReader::builder()
        .buffer_capacity(RESPONSE_BUFFER)
        .build();
    let mut nx = NxReader::new(RESPONSE_BUFFER);
    let mut nx_writer = NxWriter::new(HOST).expect("writer");
    let nx_req = nx_writer.get("/").finish().expect("request");
    let mut nx_conn = NxClient::new(Replay {
        wire: wire.to_vec(),
        pos: 0,
    });
    let mut nx_reader = NxReader::new(RESPONSE_BUFFER);
    for _ in 0..2 {
        tw.read(wire).expect("read");
        let resp = tw.next(Method::Get).expect("parse").expect("complete");
        assert_eq!(
            (resp.status(), resp.body()),
            (200, body),
            "{name}: tickwire"
        );
        assert_eq!(resp.headers().count(), 8, "{name}: tickwire headers");
        assert!(resp.is_keep_alive());

        nexus_parse(&mut nx, wire);
        assert_eq!(nx.status(), 200);
        assert_eq!(nx.header_count(), 8, "{name}: nexus headers");

        nx_conn.stream_mut().pos = 0;
        let resp = nx_conn
            .send(nx_req.clone(), &mut nx_reader)
            .expect("nexus send");
        assert_eq!((resp.status(), resp.body()), (200, body), "{name}: nexus");

        assert_eq!(httparse_head(wire), (200, head_len), "{name}: httparse");
    }
    eprintln!(
        "parse_{name}: {} B on the wire ({head_len} B head, 8 headers, {} B body{})",
        wire.len(),
        body.len(),
        if chunked { ", 4 chunks" } else { "" }
    );

    let mut group = c.benchmark_group(format!("parse_{name}"));
    group.bench_function("tickwire", |b| {
        b.iter(|| tickwire_parse(&mut tw, black_box(wire)));
    });
    group.bench_function("nexus", |b| {
        b.iter(|| nexus_parse(&mut nx, black_box(wire)));
    });
    group.bench_function("nexus_client", |b| {
        b.iter(|| {
            nx_conn.stream_mut().pos = 0;
            let resp = nx_conn
                .send(nx_req.clone(), &mut nx_reader)
                .expect("nexus send");
            black_box(resp.status());
            black_box(resp.body());
        });
    });
    group.bench_function("httparse_floor", |b| {
        b.iter(|| black_box(httparse_head(black_box(wire))));
    });
    group.finish();
}

fn bench_parse(c: &mut Criterion) {
    let body = http_wire::response_body();
    bench_parse_case(c, "200_8h_256B_length", &body, false);
    bench_parse_case(c, "200_8h_256B_chunked4", &body, true);
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = bench_build, bench_parse
}
criterion_main!(benches);
