//! The scripted world of the `ws_stream_script` fuzz target: the script's
//! ops, a fake transport whose every read and write the script decides, a
//! clock whose timers never fire, and a waker that counts its wakes.
//!
//! Owns no protocol knowledge beyond answering the client's upgrade
//! request (with the library's own sans-IO handshake) and knowing where
//! the peer's frames start. Never sleeps, spawns or touches a socket.

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

use crate::rt::{Clock, Timer};
use crate::ws::Role;
use crate::ws::handshake::{self, HandshakeLimits};

/// The upgrade request the server-role stream is handed before the
/// script's peer bytes (the key is RFC 6455's example).
pub(super) const CLIENT_REQUEST: &[u8] = b"GET /feed HTTP/1.1\r\nHost: fuzz.example\r\n\
Upgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// One step of a script: one input byte, the top nibble picks the op and
/// the low nibble `p` its parameter. fuzz/make_seeds.py has the same table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    /// 0x0p: `p + 1` more peer bytes become readable (the peer's
    /// handshake head is readable from the start).
    Deliver(usize),
    /// 0x1p: `(p + 1) * 16` more peer bytes become readable.
    DeliverMany(usize),
    /// 0x2p: every peer byte becomes readable.
    DeliverAll,
    /// 0x3p: the next read returns `Pending` (waking the waker at once).
    ReadPending,
    /// 0x4p: the next read fails with this kind (`p` picks it).
    ReadError(io::ErrorKind),
    /// 0x5p: the peer stops sending: once the readable bytes are read,
    /// reads return EOF.
    Eof,
    /// 0x6p: the next write returns `Pending` (waking the waker at once).
    WritePending,
    /// 0x7p: writes take at most `p` bytes each; 0: no limit.
    WriteLimit(usize),
    /// 0x8p: the next write fails with this kind.
    WriteError(io::ErrorKind),
    /// 0x9p: the next write returns `Ok(0)`.
    WriteZero,
    /// 0xAp: start a `recv` (or go on with the one in flight) and poll it
    /// `1 + p % 4` times. It stays in flight over the transport ops that
    /// follow; the next op of any other kind drops it (a cancel).
    Recv(usize),
    /// 0xBp: drop the `recv` in flight, if any.
    CancelRecv,
    /// 0xCp: `send_text` with about `p * 17` bytes, to completion.
    SendText(usize),
    /// 0xDp: `send_ping` with `p` bytes, to completion.
    SendPing(usize),
    /// 0xEp: `close` with the code `p` picks (two of them unsendable).
    Close(u16),
    /// 0xFp: `flush`, to completion.
    Flush,
}

/// Close codes the `Close` op picks from; 1005 and 1006 must be refused.
const CLOSE_CODES: [u16; 16] = [
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999, 1005, 1006,
];

/// Error kinds the error ops pick from; `UnexpectedEof` is how TLS reports
/// a truncation, which the stream reads as EOF.
const ERROR_KINDS: [io::ErrorKind; 4] = [
    io::ErrorKind::UnexpectedEof,
    io::ErrorKind::ConnectionReset,
    io::ErrorKind::BrokenPipe,
    io::ErrorKind::Other,
];

impl Op {
    pub(super) fn decode(byte: u8) -> Self {
        let p = usize::from(byte & 0x0F);
        let kind = ERROR_KINDS[p % ERROR_KINDS.len()];
        match byte >> 4 {
            0x0 => Self::Deliver(p + 1),
            0x1 => Self::DeliverMany((p + 1) * 16),
            0x2 => Self::DeliverAll,
            0x3 => Self::ReadPending,
            0x4 => Self::ReadError(kind),
            0x5 => Self::Eof,
            0x6 => Self::WritePending,
            0x7 => Self::WriteLimit(p),
            0x8 => Self::WriteError(kind),
            0x9 => Self::WriteZero,
            0xA => Self::Recv(p % 4),
            0xB => Self::CancelRecv,
            0xC => Self::SendText(p * 17),
            0xD => Self::SendPing(p),
            0xE => Self::Close(CLOSE_CODES[p]),
            _ => Self::Flush,
        }
    }

    /// Whether the op acts on the transport (the rest drive the stream).
    pub(super) fn is_transport(self) -> bool {
        !matches!(
            self,
            Self::Recv(_)
                | Self::CancelRecv
                | Self::SendText(_)
                | Self::SendPing(_)
                | Self::Close(_)
                | Self::Flush
        )
    }
}

/// Everything the transport does and has done, shared between the
/// transport (owned by the stream) and the driver (which applies ops and
/// checks the record).
#[derive(Debug)]
pub(super) struct Wire {
    /// What the peer sends: its handshake head, then the script's bytes.
    incoming: Vec<u8>,
    /// Where the script's peer bytes start in `incoming`.
    pub(super) peer_start: usize,
    /// Client role: the request has not been answered yet.
    must_answer: bool,
    /// How far the stream has read `incoming`.
    pub(super) read_pos: usize,
    /// Bytes the script made readable and the stream has not read yet.
    credit: usize,
    /// The peer stops sending once `credit` runs out.
    eof: bool,
    /// The script is over: reads and writes always complete.
    pub(super) benign: bool,
    read_pending: bool,
    read_error: Option<io::ErrorKind>,
    read_waker: Option<Waker>,
    /// A read stored its waker since the driver last cleared this.
    pub(super) read_waiting: bool,
    write_pending: bool,
    write_limit: usize,
    write_error: Option<io::ErrorKind>,
    write_zero: bool,
    /// Every byte the stream wrote.
    pub(super) written: Vec<u8>,
    pub(super) shut_down: bool,
    /// The transport returned EOF (a read of 0 bytes into a non-empty
    /// buffer, or `UnexpectedEof`).
    pub(super) eof_returned: bool,
    /// The transport failed a read (any kind).
    pub(super) read_failed: bool,
    /// The transport failed a write or returned `Ok(0)` for one.
    pub(super) write_failed: bool,
}

impl Wire {
    pub(super) fn new(role: Role, peer: &[u8]) -> Rc<RefCell<Self>> {
        let (incoming, peer_start, must_answer) = match role {
            Role::Server => ([CLIENT_REQUEST, peer].concat(), CLIENT_REQUEST.len(), false),
            Role::Client => (peer.to_vec(), 0, true),
        };
        // The peer's handshake head is readable from the start (the
        // client's answer as soon as it exists): the script's deliveries
        // count peer frame bytes.
        Rc::new(RefCell::new(Self {
            incoming,
            peer_start,
            must_answer,
            read_pos: 0,
            credit: peer_start,
            eof: false,
            benign: false,
            read_pending: false,
            read_error: None,
            read_waker: None,
            read_waiting: false,
            write_pending: false,
            write_limit: 0,
            write_error: None,
            write_zero: false,
            written: Vec::new(),
            shut_down: false,
            eof_returned: false,
            read_failed: false,
            write_failed: false,
        }))
    }

    /// Applies a transport op.
    pub(super) fn apply(&mut self, op: Op) {
        match op {
            Op::Deliver(n) | Op::DeliverMany(n) => self.give(n),
            Op::DeliverAll => self.give(usize::MAX),
            Op::ReadPending => self.read_pending = true,
            Op::ReadError(kind) => self.read_error = Some(kind),
            Op::Eof => {
                self.eof = true;
                self.wake_reader();
            }
            Op::WritePending => self.write_pending = true,
            Op::WriteLimit(n) => self.write_limit = n,
            Op::WriteError(kind) => self.write_error = Some(kind),
            Op::WriteZero => self.write_zero = true,
            _ => {}
        }
    }

    /// The script is over: every byte is readable, then EOF; every write
    /// completes; no more injected faults.
    pub(super) fn make_benign(&mut self) {
        self.benign = true;
        self.read_pending = false;
        self.read_error = None;
        self.write_pending = false;
        self.write_error = None;
        self.write_zero = false;
        self.give(usize::MAX);
        self.eof = true;
    }

    fn give(&mut self, n: usize) {
        if !self.eof {
            self.credit = self.credit.saturating_add(n);
            self.wake_reader();
        }
    }

    fn wake_reader(&mut self) {
        if let Some(waker) = self.read_waker.take() {
            waker.wake();
        }
    }

    /// The bytes the stream wrote after its handshake head.
    pub(super) fn frames_written(&self) -> &[u8] {
        let head_end = self
            .written
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(self.written.len(), |i| i + 4);
        &self.written[head_end..]
    }

    /// The peer bytes the stream has read so far.
    pub(super) fn peer_bytes_read(&self) -> &[u8] {
        self.incoming
            .get(self.peer_start..self.read_pos)
            .unwrap_or_default()
    }

    /// Client role: once the request is complete, the peer's answer goes
    /// in front of its frames.
    fn answer_request(&mut self) {
        let limits = HandshakeLimits::default();
        match handshake::parse_request(&self.written, &limits) {
            Ok(None) => {}
            Ok(Some(request)) => {
                let mut answer = Vec::new();
                let accepted = request.write_accept(None, &[], &mut answer);
                assert!(accepted.is_ok(), "cannot answer the client's request");
                self.peer_start = answer.len();
                self.credit = self.credit.saturating_add(answer.len());
                answer.extend_from_slice(&self.incoming);
                self.incoming = answer;
                self.must_answer = false;
            }
            Err(e) => panic!("the client wrote a bad upgrade request: {e}"),
        }
    }
}

/// The fake transport: every read and write goes by the [`Wire`].
#[derive(Debug)]
pub(super) struct Transport(pub(super) Rc<RefCell<Wire>>);

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let mut w = self.0.borrow_mut();
        assert!(!w.must_answer, "the client read before its request was out");
        if w.read_pending {
            w.read_pending = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if let Some(kind) = w.read_error.take() {
            w.read_failed = true;
            w.eof_returned |= kind == io::ErrorKind::UnexpectedEof;
            return Poll::Ready(Err(io::Error::new(kind, "injected read error")));
        }
        if buf.remaining() == 0 {
            // What a socket does with an empty buffer: not EOF, though it
            // looks like one.
            return Poll::Ready(Ok(()));
        }
        let left = w.incoming.len() - w.read_pos;
        let n = left.min(w.credit).min(buf.remaining());
        if n > 0 {
            let from = w.read_pos;
            buf.put_slice(&w.incoming[from..from + n]);
            w.read_pos += n;
            w.credit -= n;
            return Poll::Ready(Ok(()));
        }
        if w.eof {
            w.eof_returned = true;
            return Poll::Ready(Ok(()));
        }
        w.read_waker = Some(cx.waker().clone());
        w.read_waiting = true;
        Poll::Pending
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut w = self.0.borrow_mut();
        assert!(!w.shut_down, "a write after shutdown");
        if w.write_pending {
            w.write_pending = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if let Some(kind) = w.write_error.take() {
            w.write_failed = true;
            return Poll::Ready(Err(io::Error::new(kind, "injected write error")));
        }
        if w.write_zero && !buf.is_empty() {
            w.write_zero = false;
            w.write_failed = true;
            return Poll::Ready(Ok(0));
        }
        let n = match w.write_limit {
            0 => buf.len(),
            limit => buf.len().min(limit),
        };
        w.written.extend_from_slice(&buf[..n]);
        if w.must_answer {
            w.answer_request();
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.borrow_mut().shut_down = true;
        Poll::Ready(Ok(()))
    }
}

/// A clock stopped at one instant, whose timers never fire: the handshake
/// timeout never runs out, and nothing else may read time.
#[derive(Debug)]
pub(super) struct FrozenClock(pub(super) Instant);

impl Clock for FrozenClock {
    fn now(&self) -> Instant {
        self.0
    }

    fn timer(&self, deadline: Instant) -> Pin<Box<dyn Timer>> {
        Box::pin(NeverTimer(deadline))
    }
}

struct NeverTimer(Instant);

impl Future for NeverTimer {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

impl Timer for NeverTimer {
    fn reset(self: Pin<&mut Self>, deadline: Instant) {
        self.get_mut().0 = deadline;
    }

    fn deadline(&self) -> Instant {
        self.0
    }
}

/// A waker that only counts: the driver polls again by itself, and checks
/// that every `Pending` arranged a wake.
#[derive(Debug, Default)]
pub(super) struct CountingWaker(AtomicUsize);

impl CountingWaker {
    pub(super) fn wakes(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}
