//! The machinery under [`WsStream`](super::WsStream) and its halves: the
//! read side (frame reader, end-of-stream, heartbeats) and the shared write
//! side (frame writer, outgoing bytes, closing handshake, poisoning), each
//! driven by `poll` functions that any task may call.
//!
//! Nothing here awaits: every function makes what progress the socket
//! allows and returns, so a caller can be dropped at any `Pending` without
//! losing a byte. Incoming bytes live in the [`FrameReader`] until handed
//! out; outgoing ones in the [`WriteBuf`] until the socket took them.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker, ready};

use atomic_waker::AtomicWaker;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::error::WsError;
use super::heartbeat::{Beat, Heartbeat};
use crate::buf::WriteBuf;
use crate::rng::SeededRng;
use crate::ws::{
    CloseCode, CloseState, EncodeError, FrameReader, FrameWriter, Message, ProtocolError,
};

/// Which task is polling the write side: the reader (answering pings,
/// replying to a Close, sending heartbeats) or the writer. Two tasks may
/// wait on one socket's write readiness, which remembers one waker only: the
/// socket is always polled with a fan-out waker ([`WriteWakers`]) that wakes
/// whichever of the two registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Party {
    Reader,
    Writer,
}

/// The write side: everything a send touches, shared by both halves.
#[derive(Debug)]
pub(crate) struct Shared<S> {
    pub(crate) io: S,
    pub(crate) write: WriteSide,
}

/// The wakers of the tasks waiting on the socket's write side, one per
/// [`Party`], woken together by the socket through one fan-out waker.
#[derive(Debug, Default)]
pub(crate) struct WriteWakers {
    slots: [AtomicWaker; 2],
}

impl Wake for WriteWakers {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        for slot in &self.slots {
            slot.wake();
        }
    }
}

/// Outgoing frames and the closing handshake.
#[derive(Debug)]
pub(crate) struct WriteSide {
    writer: FrameWriter<SeededRng>,
    out: WriteBuf,
    /// A control frame (pong, close reply) that did not fit in `out`: sent
    /// as soon as `out` drains. Only the latest pong is kept (RFC 6455
    /// 5.5.3 allows answering only the most recent ping).
    deferred: Option<Deferred>,
    pub(crate) close: CloseState,
    poisoned: Option<io::ErrorKind>,
    /// The read side failed for good (a deadline, a reset, a read error):
    /// the connection is dead or unusable, so sends other than a Close
    /// fail with that error instead of going out unseen.
    read_failed: Option<WsError>,
    shut_down: bool,
    /// Bytes went to the transport since its last completed flush (TLS
    /// holds records until flushed).
    needs_flush: bool,
    /// A `Sink` item accepted after `poll_ready` that no longer fitted
    /// because a pong or heartbeat came in between: sent when `out` drains.
    parked: Option<super::OwnedMessage>,
    wakers: Arc<WriteWakers>,
    fan_out: Waker,
}

#[derive(Debug, Clone, Copy)]
enum Deferred {
    Pong([u8; 125], u8),
    Close(Option<CloseCode>),
}

impl WriteSide {
    pub(crate) fn new(writer: FrameWriter<SeededRng>, out: WriteBuf) -> Self {
        let wakers = Arc::new(WriteWakers::default());
        Self {
            writer,
            out,
            deferred: None,
            close: CloseState::new(),
            poisoned: None,
            read_failed: None,
            shut_down: false,
            needs_flush: false,
            parked: None,
            fan_out: Waker::from(Arc::clone(&wakers)),
            wakers,
        }
    }

    /// Whether bytes wait to go out.
    #[inline]
    pub(crate) fn has_pending(&self) -> bool {
        !self.out.is_empty() || self.deferred.is_some() || self.parked.is_some() || self.needs_flush
    }

    /// Parks a `Sink` item that did not fit (see `parked`).
    pub(crate) fn park(&mut self, item: super::OwnedMessage) {
        self.parked = Some(item);
    }

    /// An error if nothing more may be sent.
    pub(crate) fn check_sendable(&self) -> Result<(), WsError> {
        if let Some(kind) = self.poisoned {
            return Err(WsError::Poisoned(kind));
        }
        if self.close.is_sent() {
            return Err(WsError::Closed);
        }
        Ok(())
    }

    /// Encodes a message into the outgoing buffer.
    ///
    /// # Errors
    ///
    /// `Ok(false)` when it does not fit yet (drain the buffer and retry);
    /// an error when it never will or may not be sent.
    #[inline]
    pub(crate) fn encode(&mut self, message: &Message<'_>) -> Result<bool, WsError> {
        self.check_sendable()?;
        if let Some(e) = &self.read_failed
            && !matches!(message, Message::Close(_))
        {
            return Err(e.again());
        }
        let result = match *message {
            Message::Text(text) => self.writer.text(&mut self.out, text),
            Message::Binary(payload) => self.writer.binary(&mut self.out, payload),
            Message::Ping(payload) => self.writer.ping(&mut self.out, payload),
            Message::Pong(payload) => self.writer.pong(&mut self.out, payload),
            Message::Close(frame) => {
                let result = match frame {
                    Some(f) => self.writer.close(&mut self.out, f.code, f.reason),
                    None => self.writer.close_empty(&mut self.out),
                };
                if result.is_ok() {
                    self.close.on_sent(frame.map(|f| f.code));
                }
                result
            }
        };
        match result {
            Ok(()) => Ok(true),
            Err(EncodeError::BufferFull(_)) if !self.out.is_empty() => Ok(false),
            Err(EncodeError::DataAfterClose) => Err(WsError::Closed),
            Err(e) => Err(WsError::Encode(e)),
        }
    }

    /// Queues the pong that answers a ping, unless a Close went out.
    pub(crate) fn queue_pong(&mut self, payload: &[u8]) {
        if self.close.is_sent() || self.poisoned.is_some() {
            return;
        }
        let fits = self.writer.pong(&mut self.out, payload).is_ok();
        // Defer only behind queued bytes (it will fit once they drain), and
        // never in place of a deferred Close.
        if !fits && !self.out.is_empty() && !matches!(self.deferred, Some(Deferred::Close(_))) {
            let mut copy = [0u8; 125];
            let len = payload.len().min(125);
            copy[..len].copy_from_slice(&payload[..len]);
            // `len` is at most 125: the reader refuses longer control frames.
            self.deferred = Some(Deferred::Pong(copy, len as u8));
        }
    }

    /// Records a received Close and queues the reply it calls for.
    pub(crate) fn on_close_received(&mut self, frame: Option<crate::ws::CloseFrame<'_>>) {
        if let Some(reply) = self.close.on_received(frame) {
            self.queue_close(reply);
        }
    }

    /// Queues a Close with `code` (none: an empty Close), unless one went out.
    pub(crate) fn queue_close(&mut self, code: Option<CloseCode>) {
        if self.close.is_sent() || self.poisoned.is_some() {
            return;
        }
        let result = match code {
            Some(code) if code.is_sendable() => self.writer.close(&mut self.out, code, ""),
            _ => self.writer.close_empty(&mut self.out),
        };
        match result {
            Ok(()) => self.close.on_sent(code.filter(|c| c.is_sendable())),
            // The write buffer always holds a control frame once empty.
            Err(_) => self.deferred = Some(Deferred::Close(code)),
        }
    }

    /// With `out` empty: encodes what waited for room. False if nothing did.
    fn encode_waiting(&mut self) -> Result<bool, WsError> {
        match self.deferred.take() {
            Some(Deferred::Pong(payload, len)) => {
                self.queue_pong(&payload[..usize::from(len)]);
                return Ok(true);
            }
            Some(Deferred::Close(code)) => {
                self.queue_close(code);
                if self.deferred.is_some() {
                    // Cannot happen (an empty buffer holds any control
                    // frame); never loop on it.
                    self.deferred = None;
                }
                return Ok(true);
            }
            None => {}
        }
        match self.parked.take() {
            Some(item) => self.encode(&item.as_message()).map(|_| true),
            None => Ok(false),
        }
    }

    /// Wakes both parties: on an error or at the end, nobody may be left
    /// waiting for a write readiness that will never be reported.
    fn wake_all(&self) {
        self.wakers.wake_by_ref();
    }
}

impl<S: AsyncWrite + Unpin> Shared<S> {
    /// Writes out every queued byte. Ready once the buffer is empty.
    pub(crate) fn poll_write_out(
        &mut self,
        cx: &mut Context<'_>,
        party: Party,
    ) -> Poll<Result<(), WsError>> {
        let w = &mut self.write;
        if let Some(kind) = w.poisoned {
            return Poll::Ready(Err(WsError::Poisoned(kind)));
        }
        // Register first, then poll the socket with the fan-out waker: a
        // readiness reported to it reaches this task and the other one.
        w.wakers.slots[party as usize].register(cx.waker());
        let fan_out = w.fan_out.clone();
        let mut fan_cx = Context::from_waker(&fan_out);
        loop {
            if w.out.is_empty() {
                match w.encode_waiting() {
                    Ok(true) => continue,
                    Ok(false) => break,
                    Err(e) => return Poll::Ready(Err(e)),
                }
            }
            match Pin::new(&mut self.io).poll_write(&mut fan_cx, w.out.data()) {
                Poll::Ready(Ok(0)) => {
                    w.poisoned = Some(io::ErrorKind::WriteZero);
                    w.wake_all();
                    return Poll::Ready(Err(io::Error::from(io::ErrorKind::WriteZero).into()));
                }
                Poll::Ready(Ok(n)) => {
                    w.out.advance(n);
                    w.needs_flush = true;
                }
                Poll::Ready(Err(e)) => {
                    w.poisoned = Some(e.kind());
                    w.wake_all();
                    return Poll::Ready(Err(WsError::Io(e)));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
        // Drained: whoever else waited on the socket for this may go on.
        w.wake_all();
        Poll::Ready(Ok(()))
    }

    /// Writes out every queued byte and flushes the transport (a TLS
    /// record, say).
    pub(crate) fn poll_flush(
        &mut self,
        cx: &mut Context<'_>,
        party: Party,
    ) -> Poll<Result<(), WsError>> {
        ready!(self.poll_write_out(cx, party))?;
        if !self.write.needs_flush {
            return Poll::Ready(Ok(()));
        }
        let mut fan_cx = Context::from_waker(&self.write.fan_out);
        match Pin::new(&mut self.io).poll_flush(&mut fan_cx) {
            Poll::Ready(Ok(())) => {
                self.write.needs_flush = false;
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => {
                self.write.poisoned = Some(e.kind());
                self.write.wake_all();
                Poll::Ready(Err(WsError::Io(e)))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// Flushes, then shuts the write direction down (FIN; close_notify
    /// over TLS). Once only; errors are ignored: the peer may be gone.
    pub(crate) fn poll_shutdown(&mut self, cx: &mut Context<'_>, party: Party) -> Poll<()> {
        if self.write.shut_down {
            return Poll::Ready(());
        }
        if ready!(self.poll_flush(cx, party)).is_ok() {
            let mut fan_cx = Context::from_waker(&self.write.fan_out);
            let _ = ready!(Pin::new(&mut self.io).poll_shutdown(&mut fan_cx));
        }
        self.write.shut_down = true;
        self.write.wake_all();
        Poll::Ready(())
    }

    /// One attempt to push queued bytes out, without waiting.
    pub(crate) fn try_flush(&mut self, cx: &mut Context<'_>, party: Party) {
        if self.write.has_pending() {
            let _ = self.poll_flush(cx, party);
        }
    }
}

/// The read side: incoming frames, the end of the stream, heartbeats.
#[derive(Debug)]
pub(crate) struct ReadSide {
    pub(crate) reader: FrameReader,
    pub(crate) state: ReadState,
}

/// The read side's bookkeeping, apart from the reader so it can be updated
/// while a message still borrows the reader.
#[derive(Debug)]
pub(crate) struct ReadState {
    /// Bytes that came in behind the handshake head, fed to the reader
    /// before the socket is read again (as much as it takes each time).
    early: Vec<u8>,
    eof: bool,
    close_received: bool,
    finished: bool,
    failed: Option<WsError>,
    /// A write of what this side owed (a pong, a heartbeat) failed: the
    /// messages already read are handed out first, then this is the error.
    write_failed: Option<WsError>,
    pub(crate) heartbeat: Option<Heartbeat>,
}

impl ReadSide {
    pub(crate) fn new(reader: FrameReader, heartbeat: Option<Heartbeat>, early: Vec<u8>) -> Self {
        Self {
            reader,
            state: ReadState {
                early,
                eof: false,
                close_received: false,
                finished: false,
                failed: None,
                write_failed: None,
                heartbeat,
            },
        }
    }

    /// Drives reads, pending writes and heartbeats until a message is ready
    /// for [`FrameReader::next`] (`Ok(true)`) or the stream ended cleanly
    /// (`Ok(false)`, once; then [`WsError::Closed`]).
    pub(crate) fn poll_prepare<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        shared: &mut Shared<S>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<bool, WsError>> {
        let st = &mut self.state;
        if let Some(e) = &st.failed {
            return Poll::Ready(Err(e.again()));
        }
        if st.finished {
            return Poll::Ready(Err(WsError::Closed));
        }
        loop {
            // What this side owes the peer (pongs, a close reply, a
            // heartbeat) and whatever else is queued goes out first, as far
            // as the socket takes it: answering never waits for the caller
            // to send.
            if shared.write.has_pending()
                && let Poll::Ready(Err(e)) = shared.poll_flush(cx, Party::Reader)
                && !st.close_received
                && st.write_failed.is_none()
            {
                // The connection is lost, but the messages already read
                // (the peer's Close among them) are still the peer's: they
                // are handed out before this error.
                st.write_failed = Some(e);
            }
            if st.close_received {
                // The closing handshake is over once our reply is out; a
                // peer that stops reading is bounded by the deadlines.
                if shared.poll_shutdown(cx, Party::Reader).is_pending() {
                    if let Poll::Ready(Err(e)) = st.poll_heartbeat(shared, cx) {
                        return st.fail(&mut shared.write, e);
                    }
                    return Poll::Pending;
                }
                st.finished = true;
                return Poll::Ready(Ok(false));
            }
            match self.reader.prepare() {
                Ok(true) => {
                    // Beats fall due under a steady feed too; they go out
                    // with the next poll's flush.
                    let _ = st.poll_heartbeat(shared, cx);
                    return Poll::Ready(Ok(true));
                }
                Ok(false) => {}
                Err(e) => return Poll::Ready(Err(st.protocol_error(e, shared, cx))),
            }
            if !st.early.is_empty() {
                // `prepare` said no message is ready, so the reader has room
                // for at least one more byte: this always progresses.
                let n = self.reader.read(&st.early).unwrap_or(0);
                st.early.drain(..n);
                if st.early.is_empty() {
                    st.early = Vec::new();
                }
                continue;
            }
            // Every message read is out: now the write's error.
            if let Some(e) = st.write_failed.take() {
                return st.fail(&mut shared.write, e);
            }
            if st.eof {
                return st.fail(&mut shared.write, WsError::ConnectionReset);
            }
            let spare = self.reader.spare();
            if spare.is_empty() {
                // Cannot happen after `prepare` said no (the reader keeps
                // room for a byte); never mistake it for EOF.
                return st.fail(
                    &mut shared.write,
                    WsError::Io(io::Error::other("read buffer full")),
                );
            }
            let mut buf = ReadBuf::new(spare);
            match Pin::new(&mut shared.io).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) => {
                    let n = buf.filled().len();
                    if n == 0 {
                        st.eof = true;
                    } else {
                        self.reader.filled(n);
                        if let Some(hb) = &mut st.heartbeat {
                            hb.on_frame_bytes();
                        }
                    }
                    continue;
                }
                // TLS without close_notify: a truncation. Before a Close
                // frame it is a reset like any other EOF.
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    st.eof = true;
                    continue;
                }
                Poll::Ready(Err(e)) => return st.fail(&mut shared.write, WsError::Io(e)),
                Poll::Pending => {}
            }
            match st.poll_heartbeat(shared, cx) {
                Poll::Ready(Err(e)) => return st.fail(&mut shared.write, e),
                // A beat was queued: flush it, read again.
                Poll::Ready(Ok(())) => continue,
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// Whether the stream has ended (cleanly or not).
    pub(crate) fn is_done(&self) -> bool {
        self.state.finished || self.state.failed.is_some()
    }
}

impl ReadState {
    /// Polls the heartbeat: queues the beats that fell due (`Ready(Ok)`),
    /// or reports a deadline that ran out. `Pending` with the timer armed,
    /// or when there is no heartbeat.
    fn poll_heartbeat<S>(
        &mut self,
        shared: &mut Shared<S>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), WsError>> {
        let Some(hb) = &mut self.heartbeat else {
            return Poll::Pending;
        };
        let result = match ready!(hb.poll(cx)) {
            Err(kind) => Err(WsError::Timeout(kind)),
            Ok(Beat::Ping(payload)) => shared.write.encode(&Message::Ping(payload)).map(drop),
            Ok(Beat::Text(text)) => shared.write.encode(&Message::Text(text)).map(drop),
        };
        match result {
            Err(e @ WsError::Timeout(_)) => Poll::Ready(Err(e)),
            // A beat that cannot be sent (the stream is closing, or the
            // buffer is full) is skipped, not an error of the read side.
            _ => Poll::Ready(Ok(())),
        }
    }

    /// The peer broke the protocol: queue the Close with its code, push it
    /// out as far as the socket takes it, and fail for good.
    pub(crate) fn protocol_error<S: AsyncWrite + Unpin>(
        &mut self,
        error: ProtocolError,
        shared: &mut Shared<S>,
        cx: &mut Context<'_>,
    ) -> WsError {
        shared.write.queue_close(Some(error.close_code()));
        shared.try_flush(cx, Party::Reader);
        self.failed = Some(WsError::Protocol(error.clone()));
        shared.write.read_failed = Some(WsError::Protocol(error.clone()));
        WsError::Protocol(error)
    }

    /// Fails the read side for good, and the write side for everything
    /// but a Close.
    fn fail(&mut self, write: &mut WriteSide, error: WsError) -> Poll<Result<bool, WsError>> {
        self.failed = Some(error.again());
        write.read_failed = Some(error.again());
        Poll::Ready(Err(error))
    }

    /// Bookkeeping for a message about to be handed out: queue the pong a
    /// ping calls for, the reply a Close calls for, and note data for the
    /// stalled-feed deadline.
    #[inline]
    pub(crate) fn on_message(&mut self, message: &Message<'_>, write: &mut WriteSide) {
        match *message {
            Message::Text(_) | Message::Binary(_) => {
                if let Some(hb) = &mut self.heartbeat {
                    hb.on_data();
                }
            }
            Message::Ping(payload) => write.queue_pong(payload),
            Message::Pong(_) => {}
            Message::Close(frame) => {
                write.on_close_received(frame);
                self.close_received = true;
            }
        }
    }
}

/// Maps a protocol failure found while preparing to the error `recv`
/// returns when `next` then fails (it cannot: `prepare` found the message).
pub(crate) fn unexpected_none() -> WsError {
    WsError::Io(io::Error::other("frame reader lost a prepared message"))
}
