#!/usr/bin/env python3
"""A WebSocket peer built on the Python `websockets` package, for
tests/ws_interop.rs: an implementation nobody on the tickwire team wrote.

    ws_peer.py server [--cert PEM --key PEM]
        Prints its port on the first line of stdout, then serves until stdin
        closes. The URL path picks the behaviour (see BEHAVIOURS). When a
        connection ends, prints one line: "<path> rcvd=<close> sent=<close>".

    ws_peer.py client --port N [--ca PEM] SCENARIO...
        Runs each scenario ("<name>[:<arg>]", see SCENARIOS) on a connection
        of its own, in order, and prints one line per scenario: "<scenario>
        <outcome>". Stops at the first failure, with exit status 1.

A close is printed as `<code> "<reason>"`, or `none` when no Close frame
arrived. No compression, no size limit, no keepalive pings: the Rust side
expects exactly the frames it asks for.
"""

import argparse
import asyncio
import json
import os
import socket
import ssl
import struct
import sys
import threading
from urllib.parse import unquote

try:
    from websockets.asyncio.client import connect
    from websockets.asyncio.server import serve
    from websockets.exceptions import ConnectionClosed
    from websockets.frames import Frame, Opcode
except ImportError:
    sys.exit("ws_peer.py needs websockets >= 13: python3 -m pip install 'websockets>=15,<16'")

OPTIONS = {"max_size": None, "compression": None, "ping_interval": None}
WAIT = 10  # seconds; the Rust side's own timeouts are longer
SIZES = [0, 1, 125, 126, 65_535, 65_536, 1 << 20]
PING_PAYLOADS = [b"", b"hello", bytes(range(125))]


def pattern(n):
    """n bytes that are not all alike, so a misplaced byte shows."""
    return bytes(i * 31 % 251 for i in range(n))


def text_of(n):
    """About n bytes of text with 1-, 2-, 3- and 4-byte UTF-8 characters."""
    unit = "aé€😀"  # 10 bytes
    return unit * (n // 10) + "z" * (n % 10)


def fmt_close(close):
    if close is None:
        return "none"
    return f"{close.code} {json.dumps(close.reason, ensure_ascii=False)}"


def chunks(data, size):
    """Splits bytes into `size`-byte fragments; an empty message is one empty fragment."""
    return [data[i : i + size] for i in range(0, len(data), size)] or [data]


async def send_fragmented(ws, message, size, ping=b"mid"):
    """Sends `message` in fragments of `size` bytes (text is split as UTF-8
    bytes, so a character may straddle two frames), with a ping between the
    first and second fragment. Returns the pong waiter."""
    is_text = isinstance(message, str)
    data = message.encode() if is_text else message
    waiter = None

    async def fragments():
        nonlocal waiter
        for i, part in enumerate(chunks(data, size)):
            yield part
            if i == 0:
                waiter = await ws.ping(ping)

    await ws.send(fragments(), text=is_text)
    return waiter


def abort(ws, reset):
    """Drops the connection without a Close frame: FIN, or RST when `reset`."""
    if reset:
        sock = ws.transport.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    ws.transport.abort()


# ------------------------------------------------------------------ server


async def echo(ws, _args):
    async for message in ws:
        await ws.send(message)


async def fragments(ws, args):
    """Echoes each message in fragments of args[0] bytes with a ping between
    the first two, then reports the pong as a text message."""
    size = int(args[0])
    async for message in ws:
        waiter = await send_fragmented(ws, message, size)
        await asyncio.wait_for(waiter, WAIT)
        await ws.send("pong mid")


async def pings(ws, _args):
    """Pings, waiting for each pong, reports them, then echoes."""
    for payload in PING_PAYLOADS:
        await asyncio.wait_for(await ws.ping(payload), WAIT)
    await ws.send(f"pongs {len(PING_PAYLOADS)}")
    await echo(ws, [])


async def close(ws, args):
    """Closes at once with code args[0] and reason args[1]."""
    await ws.close(int(args[0]), unquote(args[1]) if len(args) > 1 else "")


async def close_empty(ws, _args):
    await ws.close(None)


async def drop(ws, args):
    """Sends "bye", waits for any answer, then drops the connection without
    a Close frame (args[0] "reset": with an RST)."""
    await ws.send("bye")
    await ws.recv()
    abort(ws, args[0] == "reset")


async def eof_mid_message(ws, _args):
    """Sends the first fragment of a binary message, then closes the
    transport (FIN, and close_notify over TLS) without finishing the message
    or sending a Close frame. Goes below `send`, which would finish it."""
    ws.protocol.send_binary(b"first fragment", fin=False)
    ws.send_data()
    ws.transport.close()
    await ws.wait_closed()


async def send_bad(ws, args):
    """Sends what a peer with a 1000-byte message limit must refuse, then
    waits for its Close: args[0] "invalid-utf8" (a text message cut inside
    a character), "close-code" (a Close with code args[1], which websockets
    itself would refuse to send), or "binary" / "fragmented" with args[1]
    bytes (fragments of 100 bytes)."""
    if args[0] == "invalid-utf8":
        await ws.send(b"caf\xc3", text=True)
    elif args[0] == "close-code":
        ws.protocol.send_frame(Frame(Opcode.CLOSE, struct.pack("!H", int(args[1]))))
        ws.send_data()
    elif args[0] == "binary":
        await ws.send(pattern(int(args[1])))
    else:
        await ws.send(iter(chunks(pattern(int(args[1])), 100)))
    await ws.wait_closed()


BEHAVIOURS = {
    "echo": echo,
    "fragments": fragments,
    "pings": pings,
    "close": close,
    "close-empty": close_empty,
    "drop": drop,
    "eof-mid-message": eof_mid_message,
    "send-bad": send_bad,
}


async def handle(ws):
    path = ws.request.path
    name, *args = path.strip("/").split("/")
    try:
        await BEHAVIOURS[name](ws, args)
        await ws.wait_closed()
    except ConnectionClosed:
        pass
    finally:
        print(f"{path} rcvd={fmt_close(ws.protocol.close_rcvd)} "
              f"sent={fmt_close(ws.protocol.close_sent)}", flush=True)


async def run_server(args):
    tls = None
    if args.cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.cert, args.key)
    async with serve(handle, "127.0.0.1", 0, ssl=tls, **OPTIONS) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()


# ------------------------------------------------------------------ client


async def client_echo(ws, _arg):
    for n in SIZES:
        for message in (pattern(n), text_of(n)):
            await ws.send(message)
            got = await asyncio.wait_for(ws.recv(), WAIT)
            if got != message:
                return f"FAIL: {type(message).__name__} of {n} bytes came back different"
    await ws.close(1000, "done")
    return "ok"


async def client_fragments(ws, _arg):
    cases = [(text_of(40), 1), ("", 1), (pattern(1 << 20), 65_536), (text_of(1 << 20), 4093)]
    for message, size in cases:
        waiter = await send_fragmented(ws, message, size)
        await asyncio.wait_for(waiter, WAIT)
        got = await asyncio.wait_for(ws.recv(), WAIT)
        if got != message:
            kind = type(message).__name__
            return f"FAIL: fragmented {kind} of {len(message)} came back different"
    await ws.close(1000, "done")
    return "ok"


async def client_pings(ws, _arg):
    """Pings and waits for each pong; sends "pinged"; waits for "done" (the
    server pings us meanwhile: websockets answers by itself); closes."""
    for payload in PING_PAYLOADS:
        await asyncio.wait_for(await ws.ping(payload), WAIT)
    await ws.send("pinged")
    got = await asyncio.wait_for(ws.recv(), WAIT)
    await ws.close(1000, "done")
    return "ok" if got == "done" else f"FAIL: expected done, got {got!r}"


async def client_close(ws, arg):
    """Closes with code `arg` and reason "python <arg>"."""
    await ws.close(int(arg), f"python {arg}")
    return "closed"


async def client_close_empty(ws, _arg):
    """Closes with an empty Close frame (no code, no reason)."""
    await ws.close(None)
    return "closed"


async def client_wait_close(ws, _arg):
    """Waits for the server to close."""
    try:
        got = await asyncio.wait_for(ws.recv(), WAIT)
        return f"FAIL: expected a Close, got {got!r}"
    except ConnectionClosed:
        return "closed"


async def client_drop(ws, arg):
    """Sends "bye", waits for the answer, drops the connection (arg "reset": RST)."""
    await ws.send("bye")
    await asyncio.wait_for(ws.recv(), WAIT)
    abort(ws, arg == "reset")
    return "dropped"


async def client_eof_mid_message(ws, _arg):
    await eof_mid_message(ws, [])
    return "dropped"


SCENARIOS = {
    "echo": client_echo,
    "fragments": client_fragments,
    "pings": client_pings,
    "close": client_close,
    "close-empty": client_close_empty,
    "wait-close": client_wait_close,
    "drop": client_drop,
    "eof-mid-message": client_eof_mid_message,
}


async def run_client(args):
    tls = ssl.create_default_context(cafile=args.ca) if args.ca else None
    scheme = "wss" if tls else "ws"
    for scenario in args.scenarios:
        name, _, arg = scenario.partition(":")
        try:
            async with connect(f"{scheme}://localhost:{args.port}/", ssl=tls, **OPTIONS) as ws:
                outcome = await SCENARIOS[name](ws, arg)
                try:
                    await asyncio.wait_for(ws.wait_closed(), WAIT)
                except asyncio.TimeoutError:
                    outcome = f"FAIL: connection still open after {WAIT} s"
                rcvd, sent = ws.protocol.close_rcvd, ws.protocol.close_sent
                outcome += f" rcvd={fmt_close(rcvd)} sent={fmt_close(sent)}"
        except ssl.SSLCertVerificationError as e:
            outcome = f"tls-refused {e.verify_message}"
        except Exception as e:  # reported, never hidden: the Rust side asserts on it
            outcome = f"FAIL: {type(e).__name__}: {e}"
        print(f"{scenario} {outcome}", flush=True)
        if "FAIL" in outcome:
            return 1  # the Rust side would wait for connections in vain
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["server", "client"])
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--ca")
    parser.add_argument("--port", type=int)
    parser.add_argument("scenarios", nargs="*")
    args = parser.parse_intermixed_args()
    # The Rust side holds our stdin: when it goes away, so do we.
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    sys.exit(asyncio.run(run_server(args) if args.mode == "server" else run_client(args)))


if __name__ == "__main__":
    main()
