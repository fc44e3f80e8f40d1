//! The `ws_stream_script` fuzz target: a [`WsStream`] over a transport
//! whose every read, write, `Pending` and failure a script decides, driven
//! by a hand-rolled executor, checked against the sans-IO [`FrameReader`]
//! (already fuzzed on its own) as the oracle. h2's `fuzz_e2e` idea: the I/O
//! scheduling is fuzzed along with the bytes.
//!
//! Input: `[flags][n][n script bytes][peer bytes]`. `flags` bit 0: the
//! stream is the server (it accepts a fixed upgrade request, then reads the
//! peer bytes, which must be masked) or the client (it connects; the peer
//! answers its request, then sends the peer bytes); bit 1: a 4 KiB read
//! buffer instead of 64 bytes; the rest seed the stream's random source.
//! The script ops are [`Op`]'s table; its leading transport ops apply
//! before the handshake starts, the others whenever the stream waits.
//! Limits: frames 1 KiB, messages 4 KiB.
//! When the script runs out the transport turns benign (everything
//! readable, then EOF; writes complete) and the stream is read to its end.
//!
//! Checked (a panic is a finding):
//! - no panic; no `Pending` without a wake arranged (a read waker stored,
//!   or a wake issued); once the transport is always ready, every poll
//!   completes at once; a bounded number of polls in all;
//! - the handshake fails only for an injected fault;
//! - `recv` hands out exactly the oracle's messages, in order, whatever the
//!   read splits, spurious polls and dropped (cancelled) `recv`s; a
//!   protocol error is the oracle's and comes after all its messages; EOF
//!   comes only when the transport returned one, after every complete
//!   message read; I/O errors only when injected, and a failed write's
//!   only after every message read was handed out; `Ok(None)` only right
//!   after the Close; after the first error or `Ok(None)`, every `recv`
//!   fails the same way (`Closed` after `Ok(None)`);
//! - a protocol error has queued the Close its code calls for by the time
//!   `recv` returns it;
//! - sends: `Ok` unless a Close went out (`Closed`), a write failed
//!   (`Io`, `Poisoned`), the Close code may not be sent (`Encode`), or,
//!   for anything but a Close, `recv` failed (with `recv`'s error);
//! - every byte written after the handshake head decodes (as the peer
//!   would) into well-formed frames: the data frames are exactly the
//!   messages whose send returned `Ok`, in order; the pongs answer handed
//!   out pings, in order, with the same payloads; nothing follows a Close;
//!   and unless a write failed, no partial frame is left, the one Close is
//!   the one owed (ours, the reply echoing the peer's code, or the
//!   protocol error's), and without a Close the last ping is answered.
//!
//! Not checked: heartbeats and deadlines (the clock is frozen), the
//! `split` halves and the `Stream`/`Sink` interface, TLS.

use std::cell::RefCell;
use std::future::Future;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

use self::checks::{Decoded, decode};
use super::script_io::{CountingWaker, FrozenClock, Op, Transport, Wire};
use crate::ws::{CloseCode, Message, OwnedMessage, Role, WsError, WsStream};

mod checks;

const MAX_FRAME: usize = 1024;
const MAX_MESSAGE: usize = 4096;
/// Far more polls than any script of at most 255 ops and a 64 KiB input
/// needs: past it, something spins.
const MAX_POLLS: usize = 50_000;

/// What one run reached; the corpus test checks the named seeds with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScriptReport {
    /// The opening handshake completed.
    pub handshake_done: bool,
    /// Messages `recv` handed out.
    pub received: usize,
    /// Messages the oracle decodes from all the peer bytes.
    pub oracle_messages: usize,
    /// How `recv` first ended: `"end"` for `Ok(None)`, else the error's
    /// [`name`](WsError::name).
    pub ended: Option<&'static str>,
    /// Frames the stream wrote after its handshake head.
    pub frames_written: usize,
}

/// Fuzz entry point: runs the script in `data` (see the module docs) and
/// panics if the stream breaks one of the checked properties.
pub fn ws_stream_script(data: &[u8]) {
    ws_stream_script_report(data);
}

/// [`ws_stream_script`], reporting how far the run got.
pub fn ws_stream_script_report(data: &[u8]) -> ScriptReport {
    let [flags, script_len, rest @ ..] = data else {
        return ScriptReport::default();
    };
    let (script, peer) = rest.split_at(usize::from(*script_len).min(rest.len()));
    let role = if flags & 1 == 0 {
        Role::Client
    } else {
        Role::Server
    };
    let wire = Wire::new(role, peer);
    let counter = Arc::new(CountingWaker::default());
    let mut run = Run {
        role,
        script,
        next: 0,
        wire: Rc::clone(&wire),
        waker: Waker::from(Arc::clone(&counter)),
        counter,
        polls: 0,
        oracle: decode(role, peer, MAX_FRAME, MAX_MESSAGE),
        received: 0,
        ended: None,
        pings: Vec::new(),
        sent: Vec::new(),
        close: None,
        close_unchecked: false,
        report: ScriptReport::default(),
    };
    run.report.oracle_messages = run.oracle.messages.len();
    // The script's leading transport ops set the connection up before the
    // handshake's first poll (which otherwise completes in one go).
    while let Some(op) = run.peek()
        && op.is_transport()
    {
        run.next += 1;
        run.wire.borrow_mut().apply(op);
    }
    let builder = WsStream::builder()
        .clock(Arc::new(FrozenClock(Instant::now())))
        .rng_seed(u64::from(flags >> 2))
        .buffer_capacity(if flags & 2 == 0 { 64 } else { 4096 })
        .max_frame_size(MAX_FRAME)
        .max_message_size(MAX_MESSAGE)
        .write_buffer_capacity(256);
    match role {
        Role::Server => {
            let ws = run.complete(pin!(builder.accept(Transport(wire))));
            run.drive(ws);
        }
        Role::Client => {
            let url = "ws://fuzz.example/feed";
            let ws = run.complete(pin!(builder.connect_with(Transport(wire), url)));
            run.drive(ws);
        }
    }
    run.report
}

/// How `recv` first ended.
#[derive(Debug, Clone, Copy)]
enum End {
    Clean,
    Failed(&'static str),
}

/// One run: the script, the executor and the record the checks read.
struct Run<'a> {
    role: Role,
    script: &'a [u8],
    next: usize,
    wire: Rc<RefCell<Wire>>,
    counter: Arc<CountingWaker>,
    waker: Waker,
    polls: usize,
    oracle: Decoded,
    /// Messages `recv` handed out.
    received: usize,
    ended: Option<End>,
    /// Payloads of the pings `recv` handed out.
    pings: Vec<Vec<u8>>,
    /// Data messages and pings whose send returned `Ok`.
    sent: Vec<OwnedMessage>,
    /// The first Close the stream sent or came to owe.
    close: Option<OwnedMessage>,
    /// A tolerated finding left the Close owed unknown.
    close_unchecked: bool,
    report: ScriptReport,
}

type Received = Result<Option<OwnedMessage>, WsError>;

fn owned(result: Result<Option<Message<'_>>, WsError>) -> Received {
    result.map(|message| message.map(OwnedMessage::from))
}

impl Run<'_> {
    fn peek(&self) -> Option<Op> {
        self.script.get(self.next).map(|&byte| Op::decode(byte))
    }

    /// Polls once, checking that a `Pending` arranged a wake and that an
    /// always-ready transport never sees one.
    fn poll<F: Future>(&mut self, future: Pin<&mut F>) -> Poll<F::Output> {
        self.polls += 1;
        assert!(
            self.polls <= MAX_POLLS,
            "over {MAX_POLLS} polls: a busy loop"
        );
        let wakes = self.counter.wakes();
        self.wire.borrow_mut().read_waiting = false;
        let out = future.poll(&mut Context::from_waker(&self.waker));
        if out.is_pending() {
            let w = self.wire.borrow();
            assert!(!w.benign, "Pending although the transport is always ready");
            assert!(
                w.read_waiting || self.counter.wakes() > wakes,
                "Pending with no wake arranged: a lost wakeup"
            );
        }
        out
    }

    /// After a `Pending`: the script moves on by one op. A transport op is
    /// applied; another op cancels a cancellable wait (returns true, and
    /// leaves the op for the caller unless it is `CancelRecv`) and is
    /// skipped otherwise. Past the script's end the transport turns benign.
    fn advance(&mut self, cancellable: bool) -> bool {
        match self.peek() {
            None => self.wire.borrow_mut().make_benign(),
            Some(op) if op.is_transport() => {
                self.next += 1;
                self.wire.borrow_mut().apply(op);
            }
            Some(op) if cancellable => {
                if op == Op::CancelRecv {
                    self.next += 1;
                }
                return true;
            }
            Some(_) => self.next += 1,
        }
        false
    }

    /// Polls `future` to completion, moving the script on while it waits.
    fn complete<F: Future>(&mut self, mut future: Pin<&mut F>) -> F::Output {
        loop {
            if let Poll::Ready(out) = self.poll(future.as_mut()) {
                return out;
            }
            self.advance(false);
        }
    }

    /// Runs the script over the stream, then reads it to its end, flushes,
    /// and checks what was written.
    fn drive<S: AsyncRead + AsyncWrite + Unpin>(&mut self, ws: Result<WsStream<S>, WsError>) {
        let mut ws = match ws {
            Ok(ws) => ws,
            Err(e) => return self.check_handshake_error(&e),
        };
        self.report.handshake_done = true;
        while let Some(op) = self.peek() {
            self.next += 1;
            match op {
                Op::Recv(extra_polls) => self.recv_op(&mut ws, extra_polls),
                Op::CancelRecv => {}
                Op::SendText(len) => {
                    let text = text_of(self.sent.len(), len);
                    self.send_op(&mut ws, OwnedMessage::Text(text));
                }
                Op::SendPing(len) => {
                    let payload = vec![self.sent.len() as u8; len];
                    self.send_op(&mut ws, OwnedMessage::Ping(payload));
                }
                Op::Close(code) => {
                    let reason = if code % 2 == 0 { "bye" } else { "" };
                    let close = OwnedMessage::Close(Some((CloseCode(code), reason.to_owned())));
                    self.send_op(&mut ws, close);
                }
                Op::Flush => {
                    let result = self.complete(pin!(ws.flush()));
                    self.check_write_result(&result);
                }
                transport => self.wire.borrow_mut().apply(transport),
            }
        }
        self.wire.borrow_mut().make_benign();
        // To the end, and three more calls to see the end is sticky.
        let mut calls_after_end = 0;
        while calls_after_end < 3 {
            let result = owned(self.complete(pin!(ws.recv())));
            self.on_recv(&ws, result);
            if self.ended.is_some() {
                calls_after_end += 1;
            }
        }
        let flushed = self.complete(pin!(ws.flush()));
        self.check_write_result(&flushed);
        self.check_output();
    }

    /// A `recv`, polled `1 + extra_polls` times, then kept in flight over
    /// the transport ops that follow; any other op drops it.
    fn recv_op<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        ws: &mut WsStream<S>,
        extra_polls: usize,
    ) {
        let result = {
            let mut recv = pin!(ws.recv());
            let mut result = None;
            for _ in 0..=extra_polls {
                if let Poll::Ready(out) = self.poll(recv.as_mut()) {
                    result = Some(owned(out));
                    break;
                }
            }
            while result.is_none() && !self.advance(true) {
                if let Poll::Ready(out) = self.poll(recv.as_mut()) {
                    result = Some(owned(out));
                }
            }
            result
        };
        if let Some(result) = result {
            self.on_recv(ws, result);
        }
    }

    /// A send of `message`, to completion (a dropped send may or may not
    /// have queued its message, so sends are never cancelled).
    fn send_op<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        ws: &mut WsStream<S>,
        message: OwnedMessage,
    ) {
        let close_sent = ws.is_close_sent();
        let result = self.complete(pin!(ws.send(message.as_message())));
        let refused_code = match &message {
            OwnedMessage::Close(Some((code, _))) => !code.is_sendable(),
            _ => false,
        };
        // After `recv` failed, only a Close may still go out.
        let read_failed = match self.ended {
            Some(End::Failed(name)) if !matches!(message, OwnedMessage::Close(_)) => Some(name),
            _ => None,
        };
        match &result {
            Ok(()) => {
                assert!(!close_sent, "{message:?} sent after a Close");
                assert!(!refused_code, "{message:?} sent");
                assert!(read_failed.is_none(), "{message:?} sent after recv failed");
                if matches!(message, OwnedMessage::Close(_)) {
                    self.owe_close(message);
                } else {
                    self.sent.push(message);
                }
            }
            Err(WsError::Closed) => assert!(close_sent, "send refused as Closed before a Close"),
            Err(WsError::Encode(_)) => assert!(refused_code, "{message:?} refused: {result:?}"),
            Err(e) if read_failed == Some(e.name()) => {}
            Err(_) => self.check_write_result(&result),
        }
    }
}

/// About `len` bytes of text (whole chars, some multi-byte), varied by `i`.
fn text_of(i: usize, len: usize) -> String {
    const CHARS: [char; 6] = ['t', 'i', '\u{e9}', '\u{20ac}', '\u{1d11e}', ' '];
    let mut text = String::new();
    for c in CHARS.iter().cycle().skip(i % CHARS.len()) {
        if text.len() + c.len_utf8() > len {
            break;
        }
        text.push(*c);
    }
    text
}
