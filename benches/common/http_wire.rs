//! The response both HTTP parse benches read: a 200 with 8 headers and a
//! 256 B JSON body, framed by `Content-Length` or chunked.

/// Chunks of a chunked body.
const CHUNKS: usize = 4;

/// A 256-byte JSON object: `head` (which opens a last string field) padded
/// with `z` and closed.
pub(crate) fn json_256(head: &str) -> Vec<u8> {
    let mut s = String::from(head);
    while s.len() < 256 - 2 {
        s.push('z');
    }
    s.push_str("\"}");
    assert_eq!(s.len(), 256);
    s.into_bytes()
}

/// A 256-byte JSON body shaped like an order-book answer.
pub(crate) fn response_body() -> Vec<u8> {
    json_256(
        r#"{"lastUpdateId":1027024,"bids":[["64123.10","0.43100000"],["64123.00","1.20000000"]],"asks":[["64123.20","0.01200000"],["64123.50","2.50000000"]],"E":1700000000123,"T":1700000000120,"pad":""#,
    )
}

/// A 200 with 8 headers (one of them the framing header) and `body`,
/// framed by `Content-Length` or chunked in `CHUNKS` equal chunks.
/// Returns the wire bytes and the head's length.
pub(crate) fn response(body: &[u8], chunked: bool) -> (Vec<u8>, usize) {
    let framing = if chunked {
        "Transfer-Encoding: chunked\r\n".to_string()
    } else {
        format!("Content-Length: {}\r\n", body.len())
    };
    let head = format!(
        "HTTP/1.1 200 OK\r\n\
         Content-Type: application/json;charset=UTF-8\r\n\
         {framing}\
         Connection: keep-alive\r\n\
         Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n\
         Server: nginx\r\n\
         Cache-Control: no-cache, no-store, must-revalidate\r\n\
         X-MBX-UUID: 0c5c5e4e-4b8a-4f3c-9a9e-2f7d4d1b6e0a\r\n\
         X-MBX-USED-WEIGHT-1M: 20\r\n\
         \r\n"
    );
    let mut wire = head.clone().into_bytes();
    if chunked {
        for chunk in body.chunks(body.len() / CHUNKS) {
            wire.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            wire.extend_from_slice(chunk);
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend_from_slice(b"0\r\n\r\n");
    } else {
        wire.extend_from_slice(body);
    }
    (wire, head.len())
}
