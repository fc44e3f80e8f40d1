//! The differential check of the head parser (`head.rs`) against httparse,
//! the parser it replaced. Shared by the proptests and the `http_head_diff`
//! fuzz target; not part of the public API.
//!
//! For one input both parsers must give the same answer (complete, more
//! bytes needed, too many headers, or malformed; httparse's other error
//! kinds are all "malformed"), and on a complete head the same length,
//! version, status, reason and (name, value) list. The framing facts the
//! one pass picks out must equal what the reader's old second walk over
//! httparse's headers decided (kept below as the reference).
//!
//! There is no deliberate difference at this level. The reader adds checks
//! of its own on top of both (status 100-599, the framing errors), which
//! are the same whichever parser runs.

use super::error::ResponseError;
use super::head::{self, HeadError, ParsedHead, Span};
use super::scan;

/// Runs both parsers on `buf` with room for `max_headers` headers and
/// panics, saying how, if they disagree. Every chunk classifier this CPU
/// can run must also give the same answer and spans as the one `parse`
/// picks.
pub(crate) fn check_against_httparse(buf: &[u8], max_headers: usize) {
    let mut spans = vec![Span::default(); max_headers];
    let ours = head::parse(buf, &mut spans);
    type Parse<'a> = &'a dyn Fn(&mut [Span], &mut ParsedHead) -> Result<bool, HeadError>;
    let same = |classifier: Parse<'_>| {
        let mut other = vec![Span::default(); max_headers];
        let mut head = ParsedHead::default();
        let got = classifier(&mut other, &mut head).map(|done| done.then_some(head));
        assert_eq!(
            got,
            ours,
            "classifiers disagree on {:?}",
            String::from_utf8_lossy(buf)
        );
        if let Ok(Some(head)) = &got {
            assert_eq!(other[..head.header_count], spans[..head.header_count]);
        }
    };
    same(&|s, h| head::parse_with(scan::Table, buf, s, h));
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    same(&|s, h| head::parse_with(scan::Sse2, buf, s, h));
    #[cfg(target_arch = "x86_64")]
    if let Some(avx2) = scan::Avx2::detect() {
        same(&|s, h| head::parse_with(avx2, buf, s, h));
    }
    let mut slots = vec![httparse::EMPTY_HEADER; max_headers];
    let mut theirs = httparse::Response::new(&mut slots);
    let parsed = httparse::ParserConfig::default().parse_response(&mut theirs, buf);
    let show = || String::from_utf8_lossy(buf).into_owned();
    match (ours, parsed) {
        (Ok(None), Ok(httparse::Status::Partial)) => {}
        (Err(HeadError::TooManyHeaders), Err(httparse::Error::TooManyHeaders)) => {}
        (Err(HeadError::Malformed), Err(e)) if e != httparse::Error::TooManyHeaders => {}
        (Ok(Some(head)), Ok(httparse::Status::Complete(len))) => {
            assert_eq!(head.len, len, "head length: {:?}", show());
            assert_eq!(Some(head.minor), theirs.version, "version: {:?}", show());
            assert_eq!(Some(head.status), theirs.code, "status: {:?}", show());
            let reason = slice(buf, head.reason);
            assert_eq!(
                Some(reason),
                theirs.reason.map(str::as_bytes),
                "reason: {:?}",
                show()
            );
            let ours: Vec<(&[u8], &[u8])> = spans[..head.header_count]
                .iter()
                .map(|s| (slice(buf, s.name), slice(buf, s.value)))
                .collect();
            let want: Vec<(&[u8], &[u8])> = theirs
                .headers
                .iter()
                .map(|h| (h.name.as_bytes(), h.value))
                .collect();
            assert_eq!(ours, want, "headers: {:?}", show());
            let reference = framing_reference(head.minor, theirs.headers);
            assert_eq!(framing(&head), reference, "framing: {:?}", show());
        }
        (ours, theirs) => panic!(
            "head parser says {ours:?}, httparse says {theirs:?}, on {:?}",
            show()
        ),
    }
}

fn slice(buf: &[u8], (start, len): (u32, u32)) -> &[u8] {
    &buf[start as usize..start as usize + len as usize]
}

/// What the framing headers decided: length, chunked, keep-alive (from
/// version and `Connection` only), keep-alive timeout, first error.
type Framing = (
    Option<usize>,
    bool,
    bool,
    Option<u32>,
    Option<ResponseError>,
);

fn framing(head: &ParsedHead) -> Framing {
    match &head.framing_error {
        Some(e) => (None, false, false, None, Some(e.clone())),
        None => (
            head.content_length,
            head.chunked,
            head.keep_alive,
            head.keep_alive_timeout,
            None,
        ),
    }
}

/// The reader's walk over httparse's headers before the one-pass parser,
/// as it was (errors end the walk; only the error is compared then).
fn framing_reference(minor: u8, headers: &[httparse::Header<'_>]) -> Framing {
    let mut length: Option<usize> = None;
    let mut chunked = false;
    let mut keep_alive = minor >= 1;
    let mut timeout = None;
    let fail = |e| (None, false, false, None, Some(e));
    for h in headers {
        let name = h.name.as_bytes();
        if name.eq_ignore_ascii_case(b"content-length") {
            for item in h.value.split(|&b| b == b',') {
                let item = item.trim_ascii();
                let n = if item.is_empty() || !item.iter().all(u8::is_ascii_digit) {
                    None
                } else {
                    item.iter().try_fold(0usize, |n, &d| {
                        n.checked_mul(10)?.checked_add(usize::from(d - b'0'))
                    })
                };
                match (n, length) {
                    (None, _) => return fail(ResponseError::InvalidContentLength),
                    (Some(n), Some(prev)) if prev != n => {
                        return fail(ResponseError::ConflictingContentLength);
                    }
                    (Some(n), _) => length = Some(n),
                }
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            if chunked || !h.value.trim_ascii().eq_ignore_ascii_case(b"chunked") {
                return fail(ResponseError::UnsupportedTransferEncoding);
            }
            chunked = true;
        } else if name.eq_ignore_ascii_case(b"connection") {
            for token in h.value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
                if token.eq_ignore_ascii_case(b"close") {
                    keep_alive = false;
                } else if token.eq_ignore_ascii_case(b"keep-alive") && minor == 0 {
                    keep_alive = true;
                }
            }
        } else if name.eq_ignore_ascii_case(b"keep-alive") {
            timeout = h.value.split(|&b| b == b',').find_map(|param| {
                let param = param.trim_ascii();
                let (key, val) = param.split_at(param.iter().position(|&b| b == b'=')?);
                if !key.trim_ascii().eq_ignore_ascii_case(b"timeout") {
                    return None;
                }
                std::str::from_utf8(&val[1..]).ok()?.trim().parse().ok()
            });
        }
    }
    (length, chunked, keep_alive, timeout, None)
}

#[cfg(test)]
mod tests {
    use super::check_against_httparse;
    use proptest::prelude::*;
    use proptest::sample::select;

    /// Bytes drawn from `alphabet`, mostly, with a rare byte from `odd`.
    fn bytes_from(
        alphabet: &'static [u8],
        odd: &'static [u8],
        len: std::ops::Range<usize>,
    ) -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(prop_oneof![100 => select(alphabet), 1 => select(odd)], len)
    }

    fn pick(options: &'static [&'static [u8]]) -> impl Strategy<Value = Vec<u8>> {
        select(options).prop_map(<[u8]>::to_vec)
    }

    const ODD: &[u8] = b"\r\n\x00\x01\x7f\x80\xe9\xff\t :\"(@";
    const TOKEN: &[u8] = b"abcxyzABCXYZ0189!#$%&'*+-.^_`|~";
    const VALUE: &[u8] = b"abcXYZ019 ,;=/\t-\"()";

    fn line_end() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            150 => pick(&[b"\r\n"]),
            30 => pick(&[b"\n"]),
            1 => pick(&[b"\r", b"\rX", b"\r\r\n", b"\n\r", b" \r\n", b"\x00\r\n"]),
        ]
    }

    fn status_line(odd: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
        let version = prop_oneof![
            20 => pick(&[b"HTTP/1.1"]),
            20 => pick(&[b"HTTP/1.0"]),
            1 => pick(&[b"HTTP/1.2", b"HTTP/2.0", b"http/1.1", b"HTTP/1.", b"HTTP/11", b"ICY", b""]),
        ];
        let code = prop_oneof![
            30 => (0u16..1000).prop_map(|c| format!("{c:03}").into_bytes()),
            1 => bytes_from(b"0123456789", b" a\r\n", 0..5),
        ];
        let sep = prop_oneof![30 => pick(&[b" "]), 1 => pick(&[b"", b"  ", b"\t"])];
        let reason = prop_oneof![
            8 => bytes_from(b"OK Not Found\tabc", odd, 0..20),
            1 => pick(&[b"", b" ", b"\xc3\xa9t\xc3\xa9", b"a\x7fb"]),
        ];
        let leading =
            prop_oneof![30 => pick(&[b""]), 1 => pick(&[b"\r\n", b"\n", b"\r\n\n", b"\rX"])];
        let reason_part = prop_oneof![
            8 => (reason).prop_map(|r| [b" ".to_vec(), r].concat()),
            1 => pick(&[b""]),
        ];
        (leading, version, sep, code, reason_part, line_end())
            .prop_map(|(a, b, c, d, e, f)| [a, b, c, d, e, f].concat())
    }

    fn header_line(odd: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
        let special = select(
            &[
                "Content-Length",
                "content-length",
                "CONTENT-LENGTH",
                "Transfer-Encoding",
                "transfer-encoding",
                "Connection",
                "CONNECTION",
                "Keep-Alive",
                "keep-alive",
                "X-MBX-UUID",
                "Content-Lengt",
                "Content-Lengthh",
                "Transfer_Encoding",
            ][..],
        )
        .prop_map(|s| s.as_bytes().to_vec());
        let name = prop_oneof![
            3 => special,
            50 => bytes_from(TOKEN, if odd.is_empty() { TOKEN } else { odd }, 1..24),
            1 => pick(&[b"", b" X", b"\tX", b"X Y", b"X\x80"]),
        ];
        let colon = prop_oneof![40 => pick(&[b":"]), 1 => pick(&[b"", b" :", b"::", b"\t:"])];
        let blank =
            prop_oneof![6 => pick(&[b" "]), 2 => pick(&[b""]), 1 => pick(&[b"  ", b"\t", b" \t "])];
        let value = prop_oneof![
            4 => bytes_from(VALUE, if odd.is_empty() { VALUE } else { odd }, 0..40),
            1 => pick(&[
                b"0", b"5", b"42", b"5, 5", b"5,6", b"+5", b"0x5", b"5 5", b"",
                b"99999999999999999999999", b"007",
                b"chunked", b"CHUNKED", b"gzip", b"gzip, chunked", b"chunked, gzip",
                b"close", b"keep-alive", b"Upgrade, Close", b"keep-alive, close",
                b"timeout=5", b"timeout=5, max=100", b"max=1, timeout = 7", b"timeout=soon",
            ]),
        ];
        let fold = prop_oneof![40 => pick(&[b""]), 1 => pick(&[b" folded\r\n", b"\tmore\n"])];
        (name, colon, blank.clone(), value, blank, line_end(), fold)
            .prop_map(|(a, b, c, d, e, f, g)| [a, b, c, d, e, f, g].concat())
    }

    /// A framing header with a value that means something to it (or
    /// nearly): the lines the one pass must pick out.
    fn framing_line() -> impl Strategy<Value = Vec<u8>> {
        const LENGTH: &[&[u8]] = &[
            b"0",
            b"5",
            b"42",
            b"5, 5",
            b"5,6",
            b"+5",
            b"0x5",
            b"5 5",
            b"",
            b",",
            b"99999999999999999999999",
            b"18446744073709551615",
            b"007",
        ];
        const CODING: &[&[u8]] = &[
            b"chunked",
            b"CHUNKED",
            b"gzip",
            b"gzip, chunked",
            b"chunked, gzip",
            b"chunked,",
        ];
        const CONNECTION: &[&[u8]] = &[
            b"close",
            b"keep-alive",
            b"Keep-Alive",
            b"Upgrade, Close",
            b"keep-alive, close",
            b"close, keep-alive",
            b"closed",
            b" , close ,",
            b"upgrade",
        ];
        const KEEP_ALIVE: &[&[u8]] = &[
            b"timeout=5",
            b"timeout=5, max=100",
            b"max=1, timeout = 7",
            b"timeout=soon",
            b"timeout=",
            b"TIMEOUT=9",
            b"timeout=4294967296",
            b"max=3",
        ];
        let named = |names: &'static [&'static [u8]], values: &'static [&'static [u8]]| {
            (
                pick(names),
                prop_oneof![8 => pick(values), 1 => pick(LENGTH), 1 => pick(CONNECTION)],
            )
        };
        let line = prop_oneof![
            named(
                &[b"Content-Length", b"content-length", b"CONTENT-length"],
                LENGTH
            ),
            named(&[b"Transfer-Encoding", b"transfer-ENCODING"], CODING),
            named(&[b"Connection", b"connection", b"CONNECTION"], CONNECTION),
            named(&[b"Keep-Alive", b"KEEP-ALIVE", b"keep-alive"], KEEP_ALIVE),
        ];
        let blank = prop_oneof![6 => pick(&[b" "]), 1 => pick(&[b"", b"\t", b"  "])];
        (line, blank.clone(), blank, line_end())
            .prop_map(|((n, v), b1, b2, e)| [n, b":".to_vec(), b1, v, b2, e].concat())
    }

    /// A head; `odd` holds the bytes sprinkled rarely into names, values
    /// and the reason (none: only well-formed ones).
    fn head(odd: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
        let end = prop_oneof![40 => pick(&[b"\r\n"]), 8 => pick(&[b"\n"]), 1 => pick(&[b"", b"\r", b"\rX"])];
        let body = prop_oneof![3 => pick(&[b""]), 1 => bytes_from(VALUE, ODD, 0..20)];
        (
            status_line(if odd.is_empty() { b"OK" } else { odd }),
            proptest::collection::vec(
                prop_oneof![3 => header_line(odd), 2 => framing_line()],
                0..12,
            ),
            end,
            body,
        )
            .prop_map(|(status, headers, end, body)| [status, headers.concat(), end, body].concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Valid-ish heads, and every prefix of each: both parsers agree.
        #[test]
        fn structured_heads_and_every_prefix(
            head in prop_oneof![head(ODD), head(b"")],
            max_headers in 1usize..12,
        ) {
            for len in 0..=head.len() {
                check_against_httparse(&head[..len], max_headers);
            }
        }

        #[test]
        fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300), max_headers in 1usize..12) {
            check_against_httparse(&bytes, max_headers);
        }

        /// A valid status line, then arbitrary bytes: reaches the header
        /// grammar far more often than fully arbitrary bytes do.
        #[test]
        fn status_line_then_arbitrary_bytes(
            bytes in proptest::collection::vec(any::<u8>(), 0..300),
            max_headers in 1usize..12,
        ) {
            let head = [&b"HTTP/1.1 200 OK\r\n"[..], &bytes].concat();
            for len in 0..=head.len() {
                check_against_httparse(&head[..len], max_headers);
            }
        }
    }

    #[test]
    fn hand_picked_heads() {
        let cases: &[&[u8]] = &[
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            b"\r\n\nHTTP/1.1 200 OK\r\n\r\n",
            b"HTTP/1.1 200\r\nA: b\r\n\r\n",
            b"HTTP/1.1 200 \xe9t\xe9\r\n\r\n",
            // Reason phrases at and past the 32 bytes read in one vector,
            // with obs-text on either side of that boundary.
            b"HTTP/1.1 429 Too Many Requests, retry later\r\nRetry-After: 1\r\n\r\n",
            b"HTTP/1.1 503 Service Unavailable (maintenance)\r\nA: b\r\n\r\n{}",
            b"HTTP/1.1 400 Bad Request: field 'quantity' \xe9\r\nA: b\r\n\r\n",
            b"HTTP/1.1 400 Bad Request: quantity \xe9\r\nA: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n\r\n",
            b"HTTP/1.1 201 Created\r\nA: b\r\n\r\n",
            b"HTTP/1.1 201 Created\r\n\r\n",
            b"HTTP/1.1 201 Cr\reated\r\n\r\n",
            b"HTTP/1.1 200 OK\nA: b\n\n",
            b"HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nA : b\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n: b\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nA:\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nA: \t \r\n\r\n",
            b"HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nA: b\x7f\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nA: \x80\xff\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nA\x80: b\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
            b"HTTP/1.0 200 OK\r\nConnection: close, keep-alive\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nConnection: close, keep-alive\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nKeep-Alive: max=3\r\n\r\n",
            b"HTTP/1.1 2000 OK\r\n\r\n",
            b"HTTP/1.1 20 OK\r\n\r\n",
            b"HTTP/1.1  200 OK\r\n\r\n",
            b"HTTP/1.1 200OK\r\n\r\n",
            b"HTTP/1.2 200 OK\r\n\r\n",
            b"HTTP/1.",
            b"HTTP/1.1 200 OK\r\nA: b\r\nC: d\r\nE: f\r\n\r\n",
            // Around the one-compare status line (`HTTP/1.1 200 OK` CRLF):
            // after empty lines, and its near misses.
            b"\r\n\r\nHTTP/1.1 200 OK\r\nA: b\r\n\r\n",
            b"\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
            b"HTTP/1.1 200 OK\n\r\n",
            b"HTTP/1.1 200 OK\r\r\n\r\n",
            b"HTTP/1.1 200 Ok\r\n\r\n",
            b"HTTP/1.1 200 OK \r\n\r\n",
            b"HTTP/1.0 200 OK\r\n\r\n",
            b"HTTP/1.1 201 OK\r\n\r\n",
        ];
        for case in cases {
            for len in 0..=case.len() {
                for max_headers in 1..4 {
                    check_against_httparse(&case[..len], max_headers);
                }
            }
        }
    }
}
