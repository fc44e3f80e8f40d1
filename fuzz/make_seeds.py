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
    print("seed-0 key", SEED0_KEY, "accept", SEED0_ACCEPT)


if __name__ == "__main__":
    main()
