//! Entry points shared by the cargo-fuzz targets and the corpus replay test.
//!
//! Each takes raw bytes, drives one parser, and panics only when an
//! invariant the parser promises is broken (a panic is a fuzz finding).
//! Not part of the public API.

use crate::ws::{FrameReader, Message, Role};

mod script_io;
mod ws_stream;

pub use ws_stream::{ScriptReport, ws_stream_script, ws_stream_script_report};

/// Drives a [`FrameReader`] with arbitrary bytes in arbitrary read splits.
///
/// The first byte seeds the split sizes (1 to 64 bytes per read) and, by
/// its top bit, whether bytes go in through `spare()`/`filled()` or
/// `read()`; the rest is the stream. Small limits make the size checks reachable.
pub fn ws_read(role: Role, data: &[u8]) {
    let Some((&split_seed, stream)) = data.split_first() else {
        return;
    };
    let mut reader = FrameReader::builder()
        .role(role)
        .buffer_capacity(64)
        .max_frame_size(1024)
        .max_message_size(4096)
        .build();
    let mut seed = u32::from(split_seed) | 1;
    let mut pos = 0;
    while pos < stream.len() {
        let step = next_split(&mut seed, stream.len() - pos);
        let n = if split_seed & 0x80 == 0 {
            let spare = reader.spare();
            assert!(!spare.is_empty(), "spare() must never be empty");
            let n = step.min(spare.len());
            spare[..n].copy_from_slice(&stream[pos..pos + n]);
            reader.filled(n);
            n
        } else {
            // After next() returned Ok(None), read() always takes a byte.
            match reader.read(&stream[pos..pos + step]) {
                Ok(n) => n,
                Err(e) => panic!("read refused input after a drain: {e}"),
            }
        };
        assert!(n > 0);
        pos += n;
        loop {
            match reader.next() {
                Ok(Some(message)) => check_message(&message),
                Ok(None) => break,
                Err(e) => {
                    // Errors are sticky: the same error again, forever.
                    assert_eq!(reader.next().err(), Some(e));
                    return;
                }
            }
        }
    }
}

/// The next read size (1 to 64 bytes, at most `left`) from a xorshift seed.
fn next_split(seed: &mut u32, left: usize) -> usize {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 17;
    *seed ^= *seed << 5;
    (*seed as usize % 64 + 1).min(left)
}

/// The request method (bit 0x40 of the seed byte: HEAD, else GET) and the
/// small-limits reader [`http_response`] drives; the corpus test uses the
/// same, so a seed's name describes what the fuzz target sees.
pub fn http_response_setup(seed_byte: u8) -> (crate::http::Method, crate::http::ResponseReader) {
    use crate::http::{Method, ResponseReader};
    let method = if seed_byte & 0x40 != 0 {
        Method::Head
    } else {
        Method::Get
    };
    let reader = ResponseReader::builder()
        .buffer_capacity(64)
        .max_head_size(512)
        .max_headers(16)
        .max_body_size(2048)
        .build();
    (method, reader)
}

/// The decoder [`http_chunked`] drives: 4 KiB of body, 512 B of trailers.
pub fn http_chunked_decoder() -> crate::http::ChunkedDecoder {
    crate::http::ChunkedDecoder::new(4096, 512)
}

fn check_message(message: &Message<'_>) {
    match message {
        Message::Text(text) => assert!(text.len() <= 4096),
        Message::Binary(bytes) => assert!(bytes.len() <= 4096),
        Message::Ping(p) | Message::Pong(p) => assert!(p.len() <= 125),
        Message::Close(Some(frame)) => {
            assert!(frame.code.is_sendable());
            assert!(frame.reason.len() <= 123);
        }
        Message::Close(None) => {}
    }
}

/// Drives a [`ResponseReader`](crate::http::ResponseReader) with arbitrary
/// bytes in arbitrary read splits. The first byte seeds the splits and
/// picks the request method (HEAD or GET) and whether EOF follows.
pub fn http_response(data: &[u8]) {
    use crate::http::Method;
    let Some((&seed_byte, stream)) = data.split_first() else {
        return;
    };
    let (method, mut reader) = http_response_setup(seed_byte);
    let mut seed = u32::from(seed_byte) | 1;
    let mut pos = 0;
    let mut finished = false;
    while !finished {
        if pos < stream.len() {
            let step = next_split(&mut seed, stream.len() - pos);
            // read() takes nothing only when the buffer is at its limit; a
            // reader that then neither fails nor hands out a response would
            // wedge the connection forever.
            let n = reader.read(&stream[pos..pos + step]).unwrap_or_default();
            if n == 0 {
                match reader.next(method) {
                    Err(_) => return,
                    Ok(progress) => assert!(progress.is_some(), "reader wedged at its limit"),
                }
            }
            pos += n;
        } else {
            if seed_byte & 0x20 != 0 {
                reader.mark_eof();
            }
            finished = true;
        }
        loop {
            match reader.next(method) {
                Ok(Some(resp)) => {
                    assert!((100..600).contains(&resp.status()));
                    assert!(resp.body().len() <= 2048);
                    assert!(resp.headers().count() <= 16);
                    if method == Method::Head {
                        assert!(resp.body().is_empty());
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    assert_eq!(reader.next(method).err(), Some(e));
                    return;
                }
            }
        }
    }
}

/// Runs the response head parser and httparse on the same bytes and panics
/// if they disagree (the check is `http/head_diff.rs`). The first byte's
/// low four bits give the room for headers (1 to 16); the rest is the head,
/// checked whole and without its last byte.
pub fn http_head_diff(data: &[u8]) {
    let Some((&seed, head)) = data.split_first() else {
        return;
    };
    let max_headers = usize::from(seed & 0x0f) + 1;
    crate::http::check_against_httparse(head, max_headers);
    if let Some((_, shorter)) = head.split_last() {
        crate::http::check_against_httparse(shorter, max_headers);
    }
}

/// Runs the in-place chunked decoder over arbitrary bytes, fed in two
/// parts split at the first byte's value; checks the decoded bytes match a
/// simple reference decoder's.
pub fn http_chunked(data: &[u8]) {
    let Some((&split, encoded)) = data.split_first() else {
        return;
    };
    let split = usize::from(split).min(encoded.len());
    let mut buf = encoded.to_vec();
    let mut decoder = http_chunked_decoder();
    let first = decoder.decode(&mut buf[..split]);
    let result = match first {
        Ok(true) => Ok(true),
        Ok(false) => {
            // As the reader does between reads: squeeze the framing out,
            // drop the freed tail, then go on with the rest.
            let freed = decoder.compact(&mut buf[..split]);
            buf.drain(split - freed..split);
            decoder.decode(&mut buf)
        }
        Err(e) => Err(e),
    };
    assert!(decoder.body_range().end <= decoder.consumed());
    if let Ok(true) = result {
        assert!(decoder.consumed() <= buf.len());
        assert!(decoder.decoded() <= 4096);
        if let Some(expected) = reference_dechunk(encoded) {
            assert_eq!(&buf[decoder.body_range()], &expected[..]);
        }
    }
}

/// A plain reference decoder for the fuzz check: sizes, data and CRLFs
/// only (returns None for anything with extensions or trailers).
fn reference_dechunk(mut bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = bytes.windows(2).position(|w| w == b"\r\n")?;
        let size = usize::from_str_radix(std::str::from_utf8(&bytes[..line_end]).ok()?, 16).ok()?;
        bytes = &bytes[line_end + 2..];
        if size == 0 {
            return bytes.starts_with(b"\r\n").then_some(out);
        }
        out.extend_from_slice(bytes.get(..size)?);
        bytes = bytes.get(size..)?.strip_prefix(b"\r\n")?;
    }
}

/// Builds requests from arbitrary method, path, query, header and body
/// inputs: never panics, never emits CR or LF inside a field.
pub fn http_request_writer(data: &[u8]) {
    use crate::http::{Method, RequestWriter};
    let mut parts = data.split(|&b| b == 0xFF);
    let mut next = || String::from_utf8_lossy(parts.next().unwrap_or(b"")).into_owned();
    let (method_byte, path, key, value, name, hvalue, body) =
        (next(), next(), next(), next(), next(), next(), next());
    let method = match method_byte.len() % 7 {
        0 => Method::Get,
        1 => Method::Post,
        2 => Method::Put,
        3 => Method::Patch,
        4 => Method::Delete,
        5 => Method::Head,
        _ => Method::Options,
    };
    let Ok(mut writer) = RequestWriter::builder("fuzz.example").capacity(512).build() else {
        return;
    };
    let result = writer
        .request(method, &path)
        .query(&key, &value)
        .header(&name, &hvalue)
        .body(body.as_bytes())
        .finish();
    if let Ok(req) = result {
        let bytes = writer.bytes(&req).unwrap_or_default();
        let head_end = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(bytes.len(), |i| i + 4);
        let head = &bytes[..head_end];
        // Every CR in the head starts a CRLF, every LF ends one.
        for (i, &b) in head.iter().enumerate() {
            if b == b'\r' {
                assert_eq!(head.get(i + 1), Some(&b'\n'));
            }
            if b == b'\n' {
                assert_eq!(head.get(i.wrapping_sub(1)), Some(&b'\r'));
            }
        }
        assert!(!head.contains(&0));
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut parsed = httparse::Request::new(&mut headers);
        assert!(matches!(
            parsed.parse(bytes),
            Ok(httparse::Status::Complete(_))
        ));
    }
}

/// Parses arbitrary text (invalid UTF-8 replaced) as a
/// [`WsUrl`](crate::ws::WsUrl). Never panics; a URL it accepts has a Host
/// header without CR, LF or space and a resource that starts with `/`, and
/// the URL rebuilt from its scheme, Host header and resource parses to the
/// same parts.
pub fn ws_url(data: &[u8]) {
    use crate::ws::WsUrl;
    let text = String::from_utf8_lossy(data);
    let Ok(url) = WsUrl::parse(&text) else {
        return;
    };
    let host_header = url.host_header();
    assert!(
        !host_header.contains(['\r', '\n', ' ']),
        "Host header {host_header:?} from {text:?}"
    );
    assert!(url.resource().starts_with('/'), "resource of {text:?}");
    assert!(!url.host().is_empty() && url.port() != 0, "{url:?}");
    let scheme = if url.is_secure() { "wss" } else { "ws" };
    let rebuilt = format!("{scheme}://{host_header}{}", url.resource());
    match WsUrl::parse(&rebuilt) {
        Ok(again) => assert_eq!(again, url, "{rebuilt:?}, rebuilt from {text:?}"),
        Err(e) => panic!("{rebuilt:?}, rebuilt from {text:?}, does not parse: {e}"),
    }
}
