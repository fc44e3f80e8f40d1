#!/usr/bin/env python3
"""Writes the committed seed corpora under fuzz/corpus/<target>/.

Run from anywhere: `python3 fuzz/make_seeds.py`. It rewrites each target's
corpus directory wholesale, so add seeds here, not by hand. Seeds are small
and named for what they exercise; the replay test (tests/fuzz_corpus.rs) and
`<target> -runs=0` run every one of them.

ws_read_* inputs: the first byte seeds the read split sizes
(tickwire::fuzz_entry::ws_read), the rest is the byte stream. The reader
there is built with max_frame_size 1024 and max_message_size 4096.

ws_handshake_response inputs are the server's reply to the request that
fuzz_response builds with SeededRng::from_seed(0), offering the
subprotocols `chat` and `superchat`; the matching Sec-WebSocket-Accept is
computed below from the same generator (wyrand), and tests/fuzz_corpus.rs
checks it against the library.

http_response inputs: the first byte seeds the read splits; its bit 0x40
answers a HEAD request (else GET) and its bit 0x20 marks EOF after the
last byte (tickwire::fuzz_entry::http_response). The reader there allows a
512-byte head (and 512 bytes of trailers), 16 headers and a 2048-byte body.

http_chunked inputs: the first byte is where the encoded body is split into
two feeds; the decoder allows a 4096-byte body and 512 bytes of trailers.

http_head_diff inputs: the first byte's low four bits give the room for
headers (1 to 16); the rest is a response head that the one-pass parser
and httparse must read alike (tickwire::fuzz_entry::http_head_diff).

http_request_writer inputs: fields separated by 0xFF bytes: method selector
(its length mod 7: GET POST PUT PATCH DELETE HEAD OPTIONS), path, query key,
query value, header name, header value, body; the writer holds 512 bytes.

ws_stream_script inputs: [flags][n][n script bytes][peer bytes]
(tickwire::fuzz_entry::ws_stream_script): flags bit 0 makes the stream the
server (the peer's frames are then masked), bit 1 gives it a 4 KiB read
buffer instead of 64 bytes; the script ops are listed below. Names:
`valid_*` hand out every message, `bad_*` end in a protocol error,
`hs_fault_*` fail the handshake by an injected fault.

ws_url inputs are URL text (invalid UTF-8 is replaced); `valid_*` seeds
must parse, `bad_*` seeds must be refused.

Seed names: `valid_*` must succeed (a response, a decoded body, a request),
`bad_*` must be refused; tests/fuzz_corpus.rs checks both. `partial_*`
seeds stop short (more bytes needed, no error).
"""

import base64
import hashlib
import os
import shutil
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

# RFC 6455 section 5.7's example masking key.
MASK_KEY = bytes([0x37, 0xFA, 0x21, 0x3D])

OP_CONT, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA


# ---------------------------------------------------------------- frames


def frame(opcode, payload=b"", fin=True, masked=False, rsv=0, key=MASK_KEY, length=None):
    """One frame. `length` forces an encoding: 7, 16 or 64 (bits)."""
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload)
    mask_bit = 0x80 if masked else 0
    if length is None:
        length = 7 if n < 126 else 16 if n <= 0xFFFF else 64
    if length == 7:
        head = bytes([b0, mask_bit | n])
    elif length == 16:
        head = bytes([b0, mask_bit | 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, mask_bit | 127]) + struct.pack(">Q", n)
    if masked:
        body = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        return head + key + body
    return head + payload


def raw_header(b0, len_bytes, masked):
    """A header with a hand-written length field (for invalid lengths)."""
    b1 = len_bytes[0] | (0x80 if masked else 0)
    return bytes([b0, b1]) + len_bytes[1:] + (MASK_KEY if masked else b"")


def close_payload(code, reason=b""):
    return struct.pack(">H", code) + reason


def ws_read_seeds(masked):
    """(name, split_seed, stream) for a reader that expects `masked` frames."""
    f = lambda *a, **k: frame(*a, masked=masked, **k)  # noqa: E731
    hello = b"Hello"
    utf8 = "h\u00e9llo \u20ac \U0001d11e \u65e5\u672c".encode()
    bin256 = bytes(range(256))
    seeds = [
        # Valid single frames, one of each opcode.
        ("text_hello", 0x00, f(OP_TEXT, hello)),
        ("text_utf8_multibyte", 0x02, f(OP_TEXT, utf8)),
        ("binary_len16_256", 0x04, f(OP_BINARY, bin256)),
        ("binary_len16_max_frame_1024", 0x05, f(OP_BINARY, bytes(1024))),
        ("ping_payload", 0x06, f(OP_PING, b"ping")),
        ("ping_125", 0x07, f(OP_PING, b"p" * 125)),
        ("pong_empty", 0x08, f(OP_PONG)),
        ("close_empty", 0x09, f(OP_CLOSE)),
        ("close_1001_reason", 0x0B, f(OP_CLOSE, close_payload(1001, b"going away"))),
        ("close_4000_utf8_reason", 0x0C, f(OP_CLOSE, close_payload(4000, "bye \u20ac".encode()))),
        ("close_then_trailing_bytes", 0x0D, f(OP_CLOSE, close_payload(1000)) + f(OP_TEXT, hello)),
        # Several messages in one stream, and odd split seeds.
        (
            "stream_mixed_split_ff",
            0xFF,
            f(OP_TEXT, hello) + f(OP_PING) + f(OP_BINARY, bin256[:40]) + f(OP_PONG, b"x"),
        ),
        # Fragmented messages, control frames interleaved.
        (
            "frag_text_ping_between",
            0x10,
            f(OP_TEXT, b"Hel", fin=False) + f(OP_PING, b"hb") + f(OP_CONT, b"lo"),
        ),
        (
            "frag_text_utf8_split_char",
            0x11,
            f(OP_TEXT, b"a\xe2", fin=False) + f(OP_CONT, b"\x82", fin=False) + f(OP_CONT, b"\xacz"),
        ),
        (
            "frag_binary_3_pong_between",
            0x12,
            f(OP_BINARY, bin256[:100], fin=False)
            + f(OP_PONG, b"p")
            + f(OP_CONT, bin256[100:200], fin=False)
            + f(OP_CONT, bin256[200:]),
        ),
        (
            "frag_empty_fragments",
            0x13,
            f(OP_TEXT, fin=False) + f(OP_CONT, fin=False) + f(OP_CONT) + f(OP_TEXT, b"after"),
        ),
        # Invalid: every check the header decoder and the reader make.
        ("bad_rsv1", 0x20, f(OP_TEXT, hello, rsv=0x4)),
        ("bad_opcode_3", 0x22, f(0x3, hello)),
        ("bad_nonminimal_len16", 0x24, raw_header(0x82, bytes([126, 0, 5]), masked) + hello),
        (
            "bad_nonminimal_len64",
            0x25,
            raw_header(0x82, bytes([127]) + struct.pack(">Q", 0x100), masked) + bytes(0x100),
        ),
        ("bad_len64_top_bit", 0x26, raw_header(0x82, bytes([127]) + struct.pack(">Q", 1 << 63), masked)),
        ("bad_len64_frame_too_large", 0x27, raw_header(0x82, bytes([127]) + struct.pack(">Q", 0x10000), masked) + bytes(32)),
        ("bad_len16_frame_too_large_1025", 0x28, f(OP_BINARY, bytes(1025))[:64]),
        (
            "bad_message_too_large_4097",
            0x29,
            f(OP_BINARY, bytes(1024), fin=False)
            + f(OP_CONT, bytes(1024), fin=False)
            + f(OP_CONT, bytes(1024), fin=False)
            + f(OP_CONT, bytes(1024), fin=False)
            + f(OP_CONT, b"!"),
        ),
        ("bad_wrong_mask_bit", 0x2A, frame(OP_TEXT, hello, masked=not masked)),
        ("bad_fragmented_ping", 0x2B, f(OP_PING, b"x", fin=False)),
        ("bad_control_too_long_126", 0x2C, f(OP_PING, b"p" * 126)),
        ("bad_continuation_first", 0x2D, f(OP_CONT, hello)),
        ("bad_text_during_fragment", 0x2E, f(OP_TEXT, b"a", fin=False) + f(OP_TEXT, b"b")),
        ("bad_text_invalid_utf8", 0x2F, f(OP_TEXT, b"ok\xc3\x28")),
        ("bad_frag_text_invalid_utf8", 0x30, f(OP_TEXT, b"ok", fin=False) + f(OP_CONT, b"\xff")),
        ("bad_frag_text_truncated_char", 0x31, f(OP_TEXT, b"a", fin=False) + f(OP_CONT, b"\xe2\x82")),
        ("bad_close_one_byte", 0x32, f(OP_CLOSE, b"\x03")),
        ("bad_close_code_1005", 0x33, f(OP_CLOSE, close_payload(1005))),
        ("bad_close_reason_invalid_utf8", 0x35, f(OP_CLOSE, close_payload(1000, b"\xc0\xaf"))),
        ("truncated_header", 0x36, f(OP_BINARY, bin256)[:3]),
    ]
    return seeds


# ------------------------------------------------------------- handshake

KEY_EXAMPLE = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 section 1.3
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
M64 = (1 << 64) - 1


def wyrand_bytes(seed, n):
    """SeededRng::from_seed(seed).fill_bytes(n bytes), as in src/rng.rs."""
    state, out = seed, b""
    while len(out) < n:
        state = (state + 0xA0761D6478BD642F) & M64
        t = state * (state ^ 0xE7037ED1A0B428DB)
        out += (((t >> 64) ^ t) & M64).to_bytes(8, "little")
    return out[:n]


def accept_for(key):
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


SEED0_KEY = base64.b64encode(wyrand_bytes(0, 16)).decode()
SEED0_ACCEPT = accept_for(SEED0_KEY)


def head(first_line, headers):
    lines = [first_line] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


HEAD_LIMIT = 8192  # HandshakeLimits::default().max_head_size()


def padded(first_line, headers, size):
    """A head of exactly `size` bytes: `headers` plus an X-Pad header."""
    bare = len(head(first_line, headers + [("X-Pad", "")]))
    return head(first_line, headers + [("X-Pad", "p" * (size - bare))])


def request_seeds():
    base = [
        ("Host", "server.example.com"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", KEY_EXAMPLE),
        ("Sec-WebSocket-Version", "13"),
    ]
    get = "GET /chat HTTP/1.1"
    lower = [(k.lower(), v) for k, v in base]
    without = lambda name: [(k, v) for k, v in base if k != name]  # noqa: E731
    ws_frame = frame(OP_TEXT, b"early", masked=True)
    return [
        ("valid_minimal", head(get, base)),
        ("valid_subprotocols", head(get, base + [("Sec-WebSocket-Protocol", "chat, superchat")])),
        ("valid_subprotocols_repeated", head(get, base + [("Sec-WebSocket-Protocol", "v1.md"), ("Sec-WebSocket-Protocol", "v2.md")])),
        ("valid_origin", head(get, base + [("Origin", "https://example.com")])),
        (
            "valid_extra_headers",
            head(
                "GET /feed/v2?symbols=BTC-USD,ETH-USD&depth=10 HTTP/1.1",
                base
                + [
                    ("User-Agent", "tickwire-test/0.1"),
                    ("Cookie", "session=abc; theme=dark"),
                    ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"),
                    ("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"),
                ],
            ),
        ),
        ("valid_lowercase_names", head(get, lower)),
        ("valid_mixed_case_values", head(get, [(k.upper(), v) for k, v in base[:1]] + [("upgrade", "WebSocket"), ("CONNECTION", "keep-alive, Upgrade")] + base[3:])),
        ("valid_pipelined_frame", head(get, base) + ws_frame),
        ("valid_pipelined_two_frames", head(get, base) + ws_frame + frame(OP_PING, b"", masked=True)),
        ("valid_header_whitespace", head(get, [(k, f"  {v}\t") for k, v in base])),
        ("valid_head_at_limit_8192", padded(get, base, HEAD_LIMIT)),
        ("bad_head_over_limit_8193", padded(get, base, HEAD_LIMIT + 1)),
        ("partial_head", head(get, base)[:-2]),
        ("partial_request_line", b"GET /ch"),
        ("bad_method_post", head("POST /chat HTTP/1.1", base)),
        ("bad_http_1_0", head("GET /chat HTTP/1.0", base)),
        ("bad_version_8", head(get, without("Sec-WebSocket-Version") + [("Sec-WebSocket-Version", "8")])),
        ("bad_missing_key", head(get, without("Sec-WebSocket-Key"))),
        ("bad_key_not_16_bytes", head(get, without("Sec-WebSocket-Key") + [("Sec-WebSocket-Key", "c2hvcnQ=")])),
        ("bad_missing_upgrade", head(get, without("Upgrade"))),
        ("bad_connection_close", head(get, without("Connection") + [("Connection", "close")])),
        ("bad_missing_host", head(get, without("Host"))),
        ("bad_header_no_colon", head(get, base)[:-2] + b"NoColonHere\r\n\r\n"),
        ("lf_only_line_endings", head(get, base).replace(b"\r\n", b"\n")),
        ("bad_nul_in_header", head(get, base + [("X-Bin", "a\x00b")])),
        ("bad_too_many_headers_65", head(get, base + [(f"X-{i}", "v") for i in range(60)])),
    ]


def response_seeds():
    base = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", SEED0_ACCEPT),
    ]
    ok = "HTTP/1.1 101 Switching Protocols"
    without = lambda name: [(k, v) for k, v in base if k != name]  # noqa: E731
    server_frame = frame(OP_TEXT, b"welcome")
    return [
        ("valid_minimal", head(ok, base)),
        ("valid_lowercase_names", head(ok, [(k.lower(), v) for k, v in base])),
        ("valid_extra_headers", head(ok, base + [("Server", "nginx/1.25"), ("Date", "Tue, 01 Jan 2030 00:00:00 GMT"), ("Set-Cookie", "a=b")])),
        ("valid_reason_phrase_other", head("HTTP/1.1 101 OK", base)),
        ("valid_mixed_case_values", head(ok, [("UPGRADE", "WebSocket"), ("connection", "upgrade")] + base[2:])),
        ("valid_pipelined_frame", head(ok, base) + server_frame),
        ("valid_pipelined_frame_and_close", head(ok, base) + server_frame + frame(OP_CLOSE, close_payload(1000))),
        ("valid_subprotocol_chat", head(ok, base + [("Sec-WebSocket-Protocol", "chat")])),
        ("valid_subprotocol_superchat", head(ok, base + [("sec-websocket-protocol", "superchat")])),
        ("valid_head_at_limit_8192", padded(ok, base, HEAD_LIMIT)),
        ("bad_head_over_limit_8193", padded(ok, base, HEAD_LIMIT + 1)),
        ("partial_head", head(ok, base)[:-2]),
        ("partial_status_line", b"HTTP/1.1 10"),
        ("bad_accept_rfc_example", head(ok, without("Sec-WebSocket-Accept") + [("Sec-WebSocket-Accept", accept_for(KEY_EXAMPLE))])),
        ("bad_accept_missing", head(ok, without("Sec-WebSocket-Accept"))),
        ("bad_accept_repeated", head(ok, base + [("Sec-WebSocket-Accept", SEED0_ACCEPT)])),
        ("bad_subprotocol_not_offered", head(ok, base + [("Sec-WebSocket-Protocol", "chat2")])),
        ("bad_subprotocol_two", head(ok, base + [("Sec-WebSocket-Protocol", "chat, superchat")])),
        ("bad_extension_not_offered", head(ok, base + [("Sec-WebSocket-Extensions", "permessage-deflate")])),
        ("bad_status_200", head("HTTP/1.1 200 OK", base + [("Content-Length", "0")])),
        ("bad_status_400_body", head("HTTP/1.1 400 Bad Request", [("Content-Length", "5")]) + b"nope!"),
        ("bad_status_302_redirect", head("HTTP/1.1 302 Found", [("Location", "wss://other.example.com/")])),
        ("bad_missing_upgrade", head(ok, without("Upgrade"))),
        ("bad_missing_connection", head(ok, without("Connection"))),
        ("bad_http_1_0", head("HTTP/1.0 101 Switching Protocols", base)),
        ("bad_garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
        ("lf_only_line_endings", head(ok, base).replace(b"\r\n", b"\n")),
    ]


# ------------------------------------------------------------------ http

HTTP_HEAD_LIMIT = 512  # fuzz_entry::http_response: max_head_size
HTTP_MAX_HEADERS = 16
HTTP_BODY_LIMIT = 2048
CHUNKED_BODY_LIMIT = 4096  # fuzz_entry::http_chunked: ChunkedDecoder::new(4096, 512)
CHUNKED_TRAILER_LIMIT = 512

HEAD_BIT, EOF_BIT = 0x40, 0x20

DATE = ("Date", "Thu, 26 Nov 2026 12:00:00 GMT")
JSON = b'{"symbol":"BTC-USD","bid":"97012.5","ask":"97013.0","ts":1764158400123}'


def chunked(*chunks, last=b"0", trailers=()):
    """A chunked body: each chunk is bytes, or (size_line, bytes) to
    write the size line by hand (extensions, odd hex)."""
    out = b""
    for c in chunks:
        line, data = c if isinstance(c, tuple) else (b"%x" % len(c), c)
        out += line + b"\r\n" + data + b"\r\n"
    out += last + b"\r\n"
    for name, value in trailers:
        out += f"{name}: {value}".encode() + b"\r\n"
    return out + b"\r\n"


def http_response_seeds():
    """(name, seed byte, stream). Seed byte: split seed, | HEAD_BIT, | EOF_BIT."""
    ok = "HTTP/1.1 200 OK"
    cl = lambda body: ("Content-Length", str(len(body)))  # noqa: E731
    te = ("Transfer-Encoding", "chunked")
    nginx = head(
        ok,
        [
            ("Server", "nginx/1.25.3"),
            DATE,
            ("Content-Type", "application/json"),
            cl(JSON),
            ("Connection", "keep-alive"),
            ("X-RateLimit-Remaining", "1199"),
        ],
    ) + JSON
    node = head(
        ok,
        [
            ("X-Powered-By", "Express"),
            ("Content-Type", "application/json; charset=utf-8"),
            DATE,
            ("Connection", "keep-alive"),
            ("Keep-Alive", "timeout=5"),
            te,
        ],
    ) + chunked(JSON[:30], JSON[30:])
    small = head(ok, [("Content-Length", "2")]) + b"ok"
    cl_te = head(ok, [te])
    at_limit_bare = len(head(ok, [("Content-Length", "0"), ("X-Pad", "")]))
    head_at_limit = head(ok, [("Content-Length", "0"), ("X-Pad", "p" * (HTTP_HEAD_LIMIT - at_limit_bare))])
    head_over_limit = head(ok, [("Content-Length", "0"), ("X-Pad", "p" * (HTTP_HEAD_LIMIT + 1 - at_limit_bare))])
    return [
        ("valid_nginx_200_content_length_json", 0x00, nginx),
        ("valid_node_chunked_json", 0x01, node),
        (
            "valid_chunked_extensions_trailers",
            0x02,
            head(ok, [te, ("Trailer", "X-Checksum")])
            + chunked((b"5;name=value", b"hello"), (b"6 ;q=\"a b\"", b" world"), last=b"0;end", trailers=[("X-Checksum", "abc123")]),
        ),
        ("valid_100_continue_then_200", 0x03, head("HTTP/1.1 100 Continue", []) + nginx),
        ("valid_two_1xx_then_chunked", 0x83, head("HTTP/1.1 100 Continue", []) + head("HTTP/1.1 103 Early Hints", [("Link", "</style.css>; rel=preload")]) + node),
        ("valid_204_with_content_length", 0x04, head("HTTP/1.1 204 No Content", [("Content-Length", "5")]) + small),
        ("valid_304_with_content_length", 0x05, head("HTTP/1.1 304 Not Modified", [("Content-Length", "27"), ("ETag", '"abc"')]) + small),
        ("valid_head_response", HEAD_BIT | 0x06, head(ok, [("Content-Type", "application/json"), ("Content-Length", "1234")])),
        ("valid_head_length_over_body_limit", HEAD_BIT | 0x07, head(ok, [("Content-Length", "99999999")]) + head(ok, [te])),
        ("valid_http10_no_keep_alive", 0x08, head("HTTP/1.0 200 OK", [("Content-Length", "2")]) + b"ok"),
        ("valid_http10_keep_alive", 0x09, head("HTTP/1.0 200 OK", [("Connection", "keep-alive"), ("Content-Length", "2")]) + b"ok"),
        ("valid_connection_close", 0x0B, head(ok, [("Connection", "close"), cl(JSON)]) + JSON),
        ("valid_keep_alive_timeout_5", 0x0D, head(ok, [("Connection", "keep-alive"), ("Keep-Alive", "timeout=5, max=100"), ("Content-Length", "2")]) + b"ok"),
        ("valid_until_close_eof", EOF_BIT | 0x0E, head(ok, [("Content-Type", "text/plain")]) + b"all of it, until the server closes"),
        ("valid_pipelined_two", 0x0F, nginx + node),
        ("valid_http10_chunked", 0x1C, head("HTTP/1.0 200 OK", [te]) + chunked(b"framed, then closed")),
        ("valid_lf_only_line_endings", 0x1D, nginx.replace(b"\r\n", b"\n")),
        ("valid_keep_alive_timeout_malformed", 0x1E, head(ok, [("Keep-Alive", "timeout=soon, max"), ("Content-Length", "0")])),
        ("valid_content_length_repeated_same", 0x10, head(ok, [("Content-Length", "2"), ("content-length", "2, 2")]) + b"ok"),
        ("valid_lowercase_te_chunked", 0x11, head(ok, [("transfer-encoding", "CHUNKED")]) + chunked(b"a", b"bc")),
        ("valid_101_switching_protocols", 0x12, head("HTTP/1.1 101 Switching Protocols", [("Upgrade", "websocket"), ("Connection", "Upgrade")])),
        ("valid_head_at_limit_512", 0x13, head_at_limit),
        ("valid_body_at_limit_2048", 0x14, head(ok, [("Content-Length", str(HTTP_BODY_LIMIT))]) + bytes(i % 256 for i in range(HTTP_BODY_LIMIT))),
        ("partial_until_close_no_eof", 0x15, head(ok, [("Content-Type", "text/plain")]) + b"more to come"),
        ("bad_eof_mid_body", EOF_BIT | 0x16, head(ok, [("Content-Length", "10")]) + b"short"),
        ("bad_content_length_and_chunked", 0x18, head(ok, [("Content-Length", "5"), te]) + chunked(b"hello")),
        ("bad_two_differing_content_lengths", 0x19, head(ok, [("Content-Length", "5"), ("Content-Length", "6")]) + b"hello!"),
        ("bad_content_length_list_differing", 0x1A, head(ok, [("Content-Length", "5, 6")]) + b"hello!"),
        ("bad_content_length_plus_5", 0x1B, head(ok, [("Content-Length", "+5")]) + b"hello"),
        ("bad_te_gzip", 0x1D, head(ok, [("Transfer-Encoding", "gzip")]) + b"\x1f\x8b"),
        ("bad_te_gzip_chunked", 0x1E, head(ok, [("Transfer-Encoding", "gzip, chunked")]) + chunked(b"\x1f\x8b")),
        ("bad_te_chunked_twice", 0x1F, head(ok, [te, te]) + chunked(b"hi")),
        ("bad_chunk_size_overflow", 0x21, cl_te + b"10000000000000000\r\n"),
        ("bad_chunk_bad_hex", 0x22, cl_te + b"5g\r\nhello\r\n0\r\n\r\n"),
        ("bad_chunk_missing_crlf_after_data", 0x23, cl_te + b"5\r\nhelloXY0\r\n\r\n"),
        ("bad_chunked_body_over_limit", 0x24, cl_te + b"801\r\n"),
        ("bad_content_length_over_limit", 0x25, head(ok, [("Content-Length", str(HTTP_BODY_LIMIT + 1))])),
        ("bad_until_close_over_limit", EOF_BIT | 0x06, head(ok, []) + b"x" * (HTTP_BODY_LIMIT + 1)),
        ("bad_too_many_headers_17", 0x26, head(ok, [(f"X-{i}", "v") for i in range(HTTP_MAX_HEADERS)] + [("Content-Length", "0")])),
        ("bad_head_over_limit_513", 0x27, head_over_limit),
        ("bad_status_600", 0x2A, head("HTTP/1.1 600 Unknown", [("Content-Length", "0")])),
        ("bad_eof_after_100_continue", 0x2B, head("HTTP/1.1 100 Continue", [])),
        ("bad_status_not_digits", 0x28, head("HTTP/1.1 2OO OK", [("Content-Length", "0")])),
    ]


def http_chunked_seeds():
    """(name, split position, encoded body)."""
    three = chunked(b"Wiki", b"pedia ", b"in\r\nchunks.")
    return [
        ("valid_single_chunk", 0, chunked(b"hello")),
        ("valid_empty_body", 0, chunked()),
        ("valid_three_chunks_split_in_size_line", 1, three),
        ("valid_three_chunks_split_in_data", 6, three),
        ("valid_three_chunks_split_in_data_crlf", 8, three),
        ("valid_three_chunks_split_in_last_chunk", len(three) - 3, three),
        ("valid_three_chunks_split_past_end", 255, three),
        ("valid_uppercase_hex_leading_zeros", 3, chunked((b"000A", b"0123456789"), (b"1F", bytes(range(0x20, 0x3F))))),
        ("valid_extensions", 4, chunked((b"5;name=value", b"hello"), (b"6;a;b=c", b" world"), last=b"0;last")),
        ("valid_extension_quoted_and_bws", 5, chunked((b"5 ;q=\"a b;c\"", b"hello"), (b"1\t;x", b"!"))),
        ("valid_trailers", 9, chunked(b"hello", trailers=[("Expires", "Thu, 26 Nov 2026 12:00:00 GMT"), ("X-Checksum", "abc123")])),
        ("valid_then_next_response", 7, chunked(b"hello") + b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        ("valid_one_byte_chunks", 17, b"".join(b"1\r\n" + bytes([c]) + b"\r\n" for c in b"tiny chunks") + b"0\r\n\r\n"),
        ("valid_binary_data_with_crlf", 2, chunked(b"\r\n0\r\n\r\n", b"\x00\xff")),
        ("valid_body_at_limit_4096", 40, chunked(bytes(i % 256 for i in range(CHUNKED_BODY_LIMIT)))),
        ("partial_in_data", 4, chunked(b"hello")[:6]),
        ("partial_before_final_crlf", 0, chunked(b"hello")[:-2]),
        ("bad_size_overflow_17_digits", 0, b"10000000000000000\r\n"),
        ("bad_hex_g", 0, b"g\r\nhello\r\n0\r\n\r\n"),
        ("bad_hex_then_junk", 2, b"5x\r\nhello\r\n0\r\n\r\n"),
        ("bad_size_plus", 0, b"+5\r\nhello\r\n0\r\n\r\n"),
        ("bad_size_0x_prefix", 0, b"0x5\r\nhello\r\n0\r\n\r\n"),
        ("bad_empty_size_line", 0, b"\r\nhello\r\n0\r\n\r\n"),
        ("bad_size_lf_only", 0, b"5\nhello\n0\n\n"),
        ("bad_size_cr_only", 1, b"5\rhello\r\n0\r\n\r\n"),
        ("bad_extension_control_byte", 0, b"5;a\x01b\r\nhello\r\n0\r\n\r\n"),
        ("bad_size_line_too_long", 0, b"5;" + b"x" * 1030 + b"\r\nhello\r\n0\r\n\r\n"),
        ("bad_missing_crlf_after_data", 0, b"5\r\nhelloXY0\r\n\r\n"),
        ("bad_missing_lf_after_data", 8, b"5\r\nhello\rX0\r\n\r\n"),
        ("bad_body_over_limit_4097", 0, b"1001\r\n"),
        ("bad_body_over_limit_over_chunks", 10, chunked(bytes(4000)) [:-5] + b"61\r\n"),
        ("bad_trailers_over_limit", 0, b"0\r\nX-Pad: " + b"p" * CHUNKED_TRAILER_LIMIT + b"\r\n\r\n"),
        ("bad_trailer_bare_lf", 0, b"0\r\nX-T: 1\n\r\n"),
        ("bad_trailer_not_a_field", 0, b"0\r\nno colon here\r\n\r\n"),
        ("bad_trailer_folded", 3, b"0\r\nX-T: 1\r\n folded\r\n\r\n"),
        ("bad_size_trailing_space", 0, b"5 \r\nhello\r\n0\r\n\r\n"),
        ("bad_extension_del", 0, b"5;a\x7f\r\nhello\r\n0\r\n\r\n"),
    ]


def http_head_diff_seeds():
    """(name, header room - 1, head): heads both parsers must read alike."""
    ok = "HTTP/1.1 200 OK"
    binance = head(
        ok,
        [
            ("Content-Type", "application/json;charset=UTF-8"),
            ("Content-Length", "256"),
            ("Connection", "keep-alive"),
            DATE,
            ("Server", "nginx"),
            ("Cache-Control", "no-cache, no-store, must-revalidate"),
            ("X-MBX-UUID", "0c5c5e4e-4b8a-4f3c-9a9e-2f7d4d1b6e0a"),
            ("X-MBX-USED-WEIGHT-1M", "20"),
        ],
    )
    long_value = head(ok, [("Set-Cookie", "a=" + "b" * 150 + "; Path=/"), ("Content-Length", "0")])
    return [
        ("valid_binance_8_headers", 15, binance),
        ("valid_binance_lf_only", 15, binance.replace(b"\r\n", b"\n")),
        ("valid_long_value_crosses_chunks", 3, long_value),
        ("valid_uncommon_name_bytes", 3, head(ok, [("X_Under.Score!#$%&'*+^`|~", "v"), ("a", "")])),
        ("valid_blank_values_and_tabs", 3, head(ok, [("A", ""), ("B", " \t "), ("C", "\tx\t y \t")])),
        ("valid_obs_text_value_and_reason", 3, b"HTTP/1.1 200 \xe9t\xe9\r\nX: \x80\xff\r\n\r\n"),
        ("valid_no_reason", 0, b"HTTP/1.0 204\r\n\r\n"),
        ("valid_leading_empty_lines", 0, b"\r\n\nHTTP/1.1 100 Continue\r\n\r\n"),
        ("valid_framing_headers_any_case", 7, head(ok, [("content-LENGTH", "5, 5"), ("CONNECTION", "close, keep-alive"), ("keep-alive", "timeout=5, max=9"), ("TRANSFER-encoding", "chunked")])),
        ("valid_status_000_to_reader_check", 0, head("HTTP/1.1 000 Zero", [])),
        ("partial_status_line", 0, b"HTTP/1."),
        ("partial_mid_name", 1, b"HTTP/1.1 200 OK\r\nContent-Ty"),
        ("partial_cr_after_value", 1, b"HTTP/1.1 200 OK\r\nA: b\r"),
        ("bad_too_many_headers_2_of_1", 0, head(ok, [("A", "1"), ("B", "2")])),
        ("bad_obs_fold", 3, b"HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n"),
        ("bad_space_before_colon", 3, b"HTTP/1.1 200 OK\r\nA : b\r\n\r\n"),
        ("bad_empty_name", 3, b"HTTP/1.1 200 OK\r\n: b\r\n\r\n"),
        ("bad_cr_in_value", 3, b"HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n"),
        ("bad_nul_in_value", 3, b"HTTP/1.1 200 OK\r\nA: b\x00\r\n\r\n"),
        ("bad_del_in_name", 3, b"HTTP/1.1 200 OK\r\nA\x7f: b\r\n\r\n"),
        ("bad_version_1_2", 0, b"HTTP/1.2 200 OK\r\n\r\n"),
        ("bad_status_two_digits", 0, b"HTTP/1.1 20 OK\r\n\r\n"),
        ("bad_double_space_before_status", 0, b"HTTP/1.1  200 OK\r\n\r\n"),
    ]


def http_request_writer_seeds():
    """(name, fields): method selector, path, query key, query value,
    header name, header value, body; joined with 0xFF."""
    get, post, put, patch, delete, head_, options = (b"x" * n for n in range(7))

    def req(method=get, path=b"/api/v3/ticker", key=b"symbol", value=b"BTC-USD", name=b"X-API-KEY", hvalue=b"k3y", body=b""):
        return b"\xff".join([method, path, key, value, name, hvalue, body])

    json = b'{"symbol":"BTC-USD","side":"buy","qty":"0.01"}'
    return [
        ("valid_get_ticker", req()),
        ("valid_post_json", req(post, b"/api/v3/order", b"timestamp", b"1764158400123", b"Content-Type", b"application/json", json)),
        ("valid_delete", req(delete, b"/orders/42", b"cancel", b"all")),
        ("valid_head", req(head_, b"/health")),
        ("valid_options", req(options, b"/", b"", b"")),
        ("valid_path_with_query", req(get, b"/t?a=1&b=2")),
        ("valid_query_space_hash_encoded", req(key=b"a b#c", value=b"x&y=z #")),
        ("valid_query_utf8_encoded", req(value="h\u00e9llo \u20ac \u65e5\u672c".encode())),
        ("valid_header_value_tab_space_hash", req(hvalue=b"\ta b # c\t")),
        ("valid_header_name_token_chars", req(name=b"X-A#B!$%&'*+.^_`|~")),
        ("valid_body_crlf_nul", req(post, body=b"line1\r\nline2\n\x00\r\n\r\n")),
        ("valid_method_selector_crlf_ignored", req(b"\r\n\x00")),
        ("valid_invalid_utf8_replaced", req(path=b"/caf\xc3", value=b"\xc3\x28")),
        ("bad_empty_input", b""),
        ("bad_path_empty", req(path=b"")),
        ("bad_path_no_slash", req(path=b"api/v3")),
        ("bad_path_cr", req(path=b"/a\rb")),
        ("bad_path_lf_request_smuggling", req(path=b"/a HTTP/1.1\nHost: evil\n\nGET /b")),
        ("bad_path_nul", req(path=b"/a\x00b")),
        ("bad_path_space", req(path=b"/a b")),
        ("bad_path_hash", req(path=b"/a#frag")),
        ("bad_query_key_cr", req(key=b"a\rb")),
        ("bad_query_key_lf", req(key=b"a\nb")),
        ("bad_query_value_crlf", req(value=b"1\r\nX-Evil: 1")),
        ("bad_query_value_nul", req(value=b"1\x00")),
        ("bad_header_name_empty", req(name=b"")),
        ("bad_header_name_space", req(name=b"X API")),
        ("bad_header_name_colon", req(name=b"X-A:")),
        ("bad_header_name_crlf", req(name=b"X-A\r\nX-Evil")),
        ("bad_header_value_cr", req(hvalue=b"a\rb")),
        ("bad_header_value_lf", req(hvalue=b"a\nX-Evil: 1")),
        ("bad_header_value_nul", req(hvalue=b"a\x00")),
        ("bad_header_value_control", req(hvalue=b"a\x01b")),
        ("bad_reserved_host", req(name=b"Host", hvalue=b"evil.example")),
        ("bad_reserved_content_length", req(post, name=b"content-length", hvalue=b"0")),
        ("bad_reserved_te", req(name=b"TE", hvalue=b"trailers")),
        ("bad_buffer_full", req(post, body=b"b" * 512)),
    ]


# ------------------------------------------------------- ws_stream_script

# Script ops: one byte each, the top nibble the op, the low nibble its
# parameter p (src/fuzz_entry/script_io.rs, `Op`, has the same table).


def deliver(n):
    """0x0p: n (1-16) more peer bytes become readable."""
    assert 1 <= n <= 16
    return 0x00 | (n - 1)


def deliver_many(k):
    """0x1p: k * 16 (k 1-16) more peer bytes become readable."""
    assert 1 <= k <= 16
    return 0x10 | (k - 1)


DELIVER_ALL = 0x20
READ_PENDING = 0x30  # the next read is Pending once (woken at once)
EOF_OP = 0x50  # the peer stops sending once the readable bytes are read
WRITE_PENDING = 0x60
WRITE_ZERO = 0x90  # the next write returns Ok(0)
CANCEL = 0xB0  # also a no-op that ends the leading ops applied before the handshake
FLUSH = 0xF0
# Error kinds for read_error/write_error: p % 4.
UNEXPECTED_EOF, CONN_RESET, BROKEN_PIPE, OTHER = range(4)


def read_error(kind):
    return 0x40 | kind


def write_limit(n):
    """0x7p: writes take at most n bytes each (0: no limit)."""
    return 0x70 | n


def write_error(kind):
    return 0x80 | kind


def recv(extra_polls=0):
    """0xAp: a recv polled 1 + p % 4 times, kept in flight over the
    transport ops that follow; any other op drops it."""
    return 0xA0 | extra_polls


def send_text(p):
    """0xCp: send_text of about p * 17 bytes."""
    return 0xC0 | p


def send_ping(n):
    return 0xD0 | n


def close_op(i):
    """0xEp: close with CLOSE_CODES[p]; 14 (1005) and 15 (1006) may not be sent."""
    return 0xE0 | i


SERVER_BIT, BIG_BUFFER_BIT = 0x01, 0x02


def script_input(server, script, frames, flags=0):
    """[flags][len(script)][script][peer bytes]; as the server, the peer
    (a client) masks its frames."""
    assert len(script) <= 255
    peer = b"".join(frames(masked=server)) if callable(frames) else frames
    return bytes([flags | (SERVER_BIT if server else 0), len(script)]) + bytes(script) + peer


def by_bytes(n):
    """Deliver one byte at a time, a recv after each, n times."""
    return [op for _ in range(n) for op in (deliver(1), recv())]


def stream_seeds():
    """(name, input) for both roles. Names: `valid_*` hand out every
    message the oracle decodes, `bad_*` end in a protocol error,
    `hs_fault_*` fail the handshake by an injected fault;
    tests/fuzz_corpus.rs checks all three."""

    def frames(*specs):
        """specs: (opcode, payload, fin) -> a function of `masked`."""
        return lambda masked: [frame(op, pl, fin=fin, masked=masked) for op, pl, fin in specs]

    def msg(op, payload=b"", fin=True):
        return (op, payload, fin)

    hello = frames(msg(OP_TEXT, b"Hello"))
    mixed = frames(
        msg(OP_TEXT, b"Hel", fin=False),
        msg(OP_PING, b"hb"),
        msg(OP_CONT, b"lo"),
        msg(OP_BINARY, bytes(range(40))),
        msg(OP_PONG, b"p"),
        msg(OP_TEXT, "\u20ac\U0001d11e".encode()),
    )
    pings = frames(msg(OP_PING, b"one"), msg(OP_TEXT, b"t"), msg(OP_PING, b"two"), msg(OP_PING, b""))
    closing = frames(msg(OP_TEXT, b"bye soon"), msg(OP_CLOSE, close_payload(1001, b"restart")))
    close_empty = frames(msg(OP_PING, b"x"), msg(OP_CLOSE))
    close_then_junk = frames(msg(OP_CLOSE, close_payload(1000)), msg(OP_TEXT, b"after close"))
    utf8_split = frames(msg(OP_TEXT, b"a\xe2", fin=False), msg(OP_CONT, b"\x82", fin=False), msg(OP_CONT, b"\xacz"))
    big = frames(msg(OP_BINARY, bytes(i % 251 for i in range(1024))), msg(OP_TEXT, b"x" * 300))
    many_small = frames(*[msg(OP_TEXT, b"tick %03d" % i) for i in range(40)])

    BOTH, CLIENT, SERVER = (False, True), (False,), (True,)
    bad_frame = lambda *a, **k: lambda masked: [frame(*a, masked=masked, **k)]  # noqa: E731
    table = [
        # (name, roles, script, peer frames[, flags])
        ("valid_{}_text_benign", BOTH, [], hello),
        ("valid_{}_mixed_benign", BOTH, [], mixed),
        ("valid_{}_mixed_byte_by_byte", BOTH, by_bytes(100), mixed),
        (
            "valid_{}_mixed_cancel_mid_frame",
            BOTH,
            [deliver(3), recv(1), CANCEL, deliver(4), recv(), send_text(2), recv(), READ_PENDING, deliver(9), CANCEL]
            + [recv(), deliver_many(2), recv(), CANCEL, recv(), DELIVER_ALL, recv(), recv(), recv()],
            mixed,
        ),
        ("valid_{}_pings_answered_writes_limited", BOTH, [write_limit(3), DELIVER_ALL, recv(), recv(), WRITE_PENDING, recv(), recv(), write_limit(0)], pings),
        ("valid_{}_pings_writes_pending", BOTH, [deliver_many(1), WRITE_PENDING, recv(), WRITE_PENDING, recv(), send_ping(4), WRITE_PENDING, recv(), recv()], pings),
        (
            "valid_{}_sends_interleaved",
            BOTH,
            [send_text(1), deliver(5), recv(), send_text(15), deliver(16), recv(), send_ping(3), write_limit(5), send_text(7), FLUSH, DELIVER_ALL, recv(), recv()],
            mixed,
        ),
        ("valid_{}_close_reply", BOTH, [DELIVER_ALL, recv(), recv(), recv()], closing),
        ("valid_{}_close_empty_reply_limited", SERVER, [write_limit(1)] + by_bytes(12), close_empty),
        ("valid_{}_close_then_junk", CLIENT, [], close_then_junk),
        ("valid_{}_our_close_then_peers", BOTH, [close_op(12), send_text(1), DELIVER_ALL, recv(), recv()], closing),
        ("valid_{}_utf8_split_by_bytes", SERVER, by_bytes(30), utf8_split),
        ("valid_{}_big_frames", BOTH, [deliver_many(16), recv(), deliver_many(16), recv(), CANCEL, deliver_many(16), recv()], big),
        ("valid_{}_many_small_big_buffer", SERVER, [], many_small, BIG_BUFFER_BIT),
        ("{}_eof_mid_frame", CLIENT, [], lambda masked: [frame(OP_TEXT, b"Hello", masked=masked), frame(OP_BINARY, bytes(100), masked=masked)[:40]]),
        ("{}_eof_injected", BOTH, [deliver(9), recv(), EOF_OP, recv(), recv()], mixed),
        ("{}_read_unexpected_eof", SERVER, [deliver(9), recv(), read_error(UNEXPECTED_EOF), recv()], mixed),
        ("{}_read_error", BOTH, [deliver(9), recv(), read_error(CONN_RESET), recv(), send_text(2)], mixed),
        ("{}_write_error_on_pong", CLIENT, [CANCEL, DELIVER_ALL, write_error(BROKEN_PIPE), recv(), recv(), send_text(1)], pings),
        ("{}_write_zero_on_send", SERVER, [CANCEL, WRITE_ZERO, send_text(3), send_text(1), DELIVER_ALL, recv()], pings),
        ("{}_close_unsendable_code", CLIENT, [close_op(14), close_op(15), send_text(1), DELIVER_ALL, recv()], hello),
        ("bad_{}_reserved_bits", CLIENT, [], lambda masked: [frame(OP_TEXT, b"ok", masked=masked), frame(OP_TEXT, b"x", rsv=4, masked=masked)]),
        ("bad_{}_wrong_mask_bit", BOTH, by_bytes(8), lambda masked: [frame(OP_PING, b"p", masked=masked), frame(OP_TEXT, b"x", masked=not masked)]),
        ("bad_{}_frame_too_large_1025", BOTH, [deliver_many(1), recv()], lambda masked: [frame(OP_BINARY, bytes(1025), masked=masked)[:32]]),
        ("bad_{}_control_too_long", SERVER, [], bad_frame(OP_PING, b"p" * 126)),
        ("bad_{}_continuation_first", CLIENT, [DELIVER_ALL, WRITE_PENDING, recv()], bad_frame(OP_CONT, b"x")),
        ("bad_{}_frag_utf8_by_bytes", BOTH, by_bytes(20), lambda masked: [frame(OP_TEXT, b"ok", fin=False, masked=masked), frame(OP_CONT, b"\xff!", masked=masked)]),
        ("hs_fault_{}_read_error", SERVER, [read_error(CONN_RESET)], hello),
        ("hs_fault_{}_write_error", BOTH, [write_limit(9), write_error(OTHER)], hello),
        ("hs_fault_{}_read_unexpected_eof", CLIENT, [read_error(UNEXPECTED_EOF)], hello),
    ]
    seeds = []
    for name, roles, script, peer, *flags in table:
        for server in roles:
            role_name = name.format("server" if server else "client")
            seeds.append((role_name, script_input(server, script, peer, *flags)))
    return seeds + FOUND_STREAM_SEEDS


# Inputs the fuzzer found (300 s run, fuzz/README.md) that each reach at
# least 10 coverage edges the hand-written seeds above do not.
FOUND_STREAM_SEEDS = [
    ("found_client_write_faults_flushes_junk_peer", bytes.fromhex(
        "00493f0a0d0a0dd450c300000000000060a0a06010606f3a2031a0a089fd60a0"
        "60a0d46f6e0a0a0a20ffffffffffffffffffffffffffffffffffffffff3a6f6f"
        "0a0a0a0a0a0a0a0a6570743a0a"
    )),
    ("found_server_close_codes_write_faults_no_peer", bytes.fromhex(
        "ffff28ac9a16000000000000006bb42f20a0a0819ace2a706d61786bb4d28831"
        "b42f20a0a0819ace2a6bb42f8837fa21dd3de8e9eaebecedeeeff01616161616"
        "16161616161616161616161616161616161616161600efefefefefefefefefef"
        "efefefefefefefefefefefefefefefefefef161616161616161616161616efef"
    )),
    ("found_client_closes_write_limits_no_peer", bytes.fromhex(
        "00ff0060fff7ff12c0c3c1a0ffffffffa0ff60a0f712602d0005ece920a0a000"
        "05796520727374a09800ff0072aa7374a0817965207200ffffffffa0ff60a0f7"
        "12602d0005ece920a0a000057965207273747374a0656c0073a065290012"
    )),
    ("found_server_many_sends_then_write_error", bytes.fromhex(
        "81851e1e1e1e1e3e1e1e1e1e1e60a0d400c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9"
        "c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c1c9c9c9c9c9c93736362dc9c9c9c9c9c9"
        "c92cc9c9c9c9c9c9cec9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9"
        "c9c7c9c90d0ac9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c98128a0ff37fa213d"
        "709f677f4e714d51ae"
    )),
]


# ---------------------------------------------------------------- ws_url


def url_seeds():
    """(name, URL bytes). `valid_*` must parse, `bad_*` must be refused
    (tests/fuzz_corpus.rs checks both); the others are left open."""
    urls = [
        ("valid_host_only", "ws://example.com"),
        ("valid_wss_path_query", "wss://stream.example.com/ws?depth=10"),
        ("valid_uppercase_query_only", "WSS://Example.COM?x=1"),
        ("valid_ipv4_port", "ws://127.0.0.1:9001/echo"),
        ("valid_ipv6_port", "ws://[::1]:9000"),
        ("valid_ipv6_path", "ws://[2001:db8::1]/a"),
        ("valid_ipv4_mapped_ipv6_default_port", "wss://[::ffff:192.0.2.1]:443/v6-mapped"),
        ("valid_default_port_given", "ws://host:80/default-port"),
        ("valid_port_leading_zero", "wss://host:0443/leading-zero"),
        ("valid_host_chars_path_query", "ws://under_score.example-host/p/a/t/h?q=1&r=%20"),
        ("valid_non_ascii_path_query", "ws://h/\u00e9\u20ac?\U0001d11e"),
        ("valid_port_65535", "ws://host:65535"),
        ("bad_empty_host", "ws://"),
        ("bad_empty_host_path", "ws:///path"),
        ("bad_scheme_http", "http://x/"),
        ("bad_userinfo", "ws://user@host/"),
        ("bad_port_0", "ws://host:0/"),
        ("bad_port_65536", "ws://host:65536/"),
        ("bad_port_plus", "ws://host:+80/"),
        ("bad_fragment", "ws://host/#frag"),
        ("bad_space_in_host", "ws://ho st/"),
        ("bad_crlf_in_path", "ws://host/\r\nX: y"),
        ("bad_unclosed_bracket", "ws://[::1/"),
        ("bad_ipv6_malformed", "ws://[zz::1]/"),
        ("bad_junk_after_bracket", "ws://[::1]x/"),
        ("bad_port_not_a_number_two_colons", "ws://a:b:c/"),
        ("bad_non_ascii_host", "ws://h\u00e9st/"),
        ("bad_scheme_cut_short", "w"),
        ("bad_scheme_cut_mid_char", "wss\ufffd"),
        ("unbracketed_ipv6_and_port", "ws://::1:80/"),
    ]
    seeds = [(name, url.encode()) for name, url in urls]
    seeds.append(("bad_invalid_utf8_replaced", b"ws://h\xff\xfe/\xc3"))
    return seeds


# ------------------------------------------------------------------ main


def write_corpus(target, seeds):
    path = os.path.join(ROOT, target)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    for name, data in seeds:
        with open(os.path.join(path, name), "wb") as fh:
            fh.write(data)
    return len(seeds)


def main():
    for target, masked in (("ws_read_client", False), ("ws_read_server", True)):
        seeds = [(name, bytes([split]) + stream) for name, split, stream in ws_read_seeds(masked)]
        print(target, write_corpus(target, seeds))
    print("ws_handshake_request", write_corpus("ws_handshake_request", request_seeds()))
    print("ws_handshake_response", write_corpus("ws_handshake_response", response_seeds()))
    seeds = [(name, bytes([seed]) + stream) for name, seed, stream in http_response_seeds()]
    print("http_response", write_corpus("http_response", seeds))
    seeds = [(name, bytes([split]) + encoded) for name, split, encoded in http_chunked_seeds()]
    print("http_chunked", write_corpus("http_chunked", seeds))
    seeds = [(name, bytes([room]) + data) for name, room, data in http_head_diff_seeds()]
    print("http_head_diff", write_corpus("http_head_diff", seeds))
    print("http_request_writer", write_corpus("http_request_writer", http_request_writer_seeds()))
    print("ws_stream_script", write_corpus("ws_stream_script", stream_seeds()))
    print("ws_url", write_corpus("ws_url", url_seeds()))
    print("seed-0 key", SEED0_KEY, "accept", SEED0_ACCEPT)


if __name__ == "__main__":
    main()
