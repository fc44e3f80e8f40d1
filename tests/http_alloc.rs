//! Zero heap allocations per request and per response once the writer and
//! reader exist, proved with a counting global allocator.

use tickwire::http::{Method, RequestWriter, ResponseReader, SignInput, SignedHeaders};

#[path = "common/alloc.rs"]
mod alloc;
use alloc::count;

const RESPONSES: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}\
HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n\
HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";

#[test]
fn warm_writer_and_reader_allocate_nothing() {
    let mut writer = RequestWriter::builder("api.exchange.com")
        .default_header("X-API-KEY", "k3y")
        .unwrap()
        .signer(|input: &SignInput<'_>, out: &mut SignedHeaders<'_>| {
            let mut sum = 0u64;
            for &b in input.target.iter().chain(input.body) {
                sum = sum.wrapping_mul(131).wrapping_add(u64::from(b));
            }
            let mut hex = [0u8; 16];
            for (i, h) in hex.iter_mut().enumerate() {
                *h = b"0123456789abcdef"[((sum >> (60 - 4 * i)) & 15) as usize];
            }
            out.header("X-SIGN", &hex)
        })
        .build()
        .unwrap();
    let mut reader = ResponseReader::builder().build();
    let mut round = || {
        let req = writer
            .get("/api/v3/depth")
            .query("symbol", "BTC-USD")
            .query("limit", "5")
            .header("X-Req", "1")
            .finish()
            .unwrap();
        assert!(writer.bytes(&req).unwrap().len() > 50);
        let req = writer
            .post("/api/v3/order")
            .body_writer(|b| b.write(br#"{"px":"1"}"#))
            .finish()
            .unwrap();
        assert!(writer.bytes(&req).unwrap().ends_with(br#"{"px":"1"}"#));
        let mut seen = 0;
        for chunk in RESPONSES.chunks(17) {
            let mut rest = chunk;
            while !rest.is_empty() {
                let n = reader.read(rest).unwrap();
                rest = &rest[n..];
                while let Some(resp) = reader.next(Method::Get).unwrap() {
                    assert!(resp.status() == 200 || resp.status() == 204);
                    assert!(resp.header("content-type").is_some() || resp.body().len() < 12);
                    seen += 1;
                }
            }
        }
        assert_eq!(seen, 3);
    };
    for _ in 0..3 {
        round();
    }
    assert_eq!(count(|| (0..500).for_each(|_| round())), 0);
    assert_eq!(count(|| drop(std::hint::black_box(vec![1u8; 8]))), 1);
}
