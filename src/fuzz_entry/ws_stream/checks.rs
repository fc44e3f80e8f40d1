//! The checks of the `ws_stream_script` fuzz target: the oracle (a
//! [`FrameReader`] fed a byte string in one go) and what each `recv`,
//! failed handshake, write-side result and the bytes written must satisfy.
//! The list is at the top of the parent module.

use super::{End, MAX_FRAME, MAX_MESSAGE, Received, Run};
use crate::ws::{FrameReader, OwnedMessage, ProtocolError, Role, WsError, WsStream};

/// How a decode of some bytes ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ending {
    /// The bytes ran out (`leftover` of them are an incomplete frame).
    NeedMore,
    /// A Close was read (`leftover` bytes came after it).
    Closed,
    /// The reader failed.
    Error(ProtocolError),
}

/// The messages a byte string holds and how it ends.
#[derive(Debug)]
pub(super) struct Decoded {
    pub(super) messages: Vec<OwnedMessage>,
    ending: Ending,
    leftover: usize,
}

/// The oracle: what a [`FrameReader`] makes of `bytes` fed in one go.
pub(super) fn decode(role: Role, bytes: &[u8], max_frame: usize, max_message: usize) -> Decoded {
    let mut reader = FrameReader::builder()
        .role(role)
        .buffer_capacity(64)
        .max_frame_size(max_frame)
        .max_message_size(max_message)
        .build();
    let mut messages = Vec::new();
    let mut rest = bytes;
    loop {
        loop {
            match reader.next() {
                Ok(Some(message)) => messages.push(OwnedMessage::from(message)),
                Ok(None) => break,
                Err(e) => {
                    return Decoded {
                        messages,
                        ending: Ending::Error(e),
                        leftover: 0,
                    };
                }
            }
        }
        let (ending, done) = if reader.is_closed() {
            (Ending::Closed, true)
        } else {
            (Ending::NeedMore, rest.is_empty())
        };
        if done {
            return Decoded {
                messages,
                ending,
                leftover: reader.buffered() + rest.len(),
            };
        }
        match reader.read(rest) {
            Ok(n) => rest = &rest[n..],
            Err(e) => panic!("FrameReader::read refused bytes after a drain: {e}"),
        }
    }
}

impl Run<'_> {
    /// The handshake (with a valid peer) may fail only for an injected
    /// fault.
    pub(super) fn check_handshake_error(&self, e: &WsError) {
        let w = self.wire.borrow();
        let explained = match e {
            WsError::Io(_) => w.read_failed || w.write_failed,
            WsError::ConnectionReset => w.eof_returned,
            _ => false,
        };
        assert!(
            explained,
            "the handshake failed with no fault injected: {e} ({e:?})"
        );
    }

    /// Checks one `recv` result against the oracle and the stream's end.
    pub(super) fn on_recv<S>(&mut self, ws: &WsStream<S>, result: Received) {
        if let Some(end) = self.ended {
            match (end, &result) {
                (_, Ok(Some(m))) => panic!("recv handed out {m:?} after its end ({end:?})"),
                (_, Ok(None)) => panic!("recv returned Ok(None) again after {end:?}"),
                (End::Clean, Err(e)) => {
                    assert!(matches!(e, WsError::Closed), "after Ok(None): {e:?}");
                }
                (End::Failed(first), Err(e)) => {
                    assert!(
                        e.name() == first,
                        "recv errors must be sticky: {first}, then {e:?}"
                    );
                }
            }
            return;
        }
        match result {
            Ok(Some(message)) => {
                let i = self.received;
                assert_eq!(
                    Some(&message),
                    self.oracle.messages.get(i),
                    "message {i} is not the FrameReader's"
                );
                self.received += 1;
                self.report.received = self.received;
                match message {
                    OwnedMessage::Ping(payload) => self.pings.push(payload),
                    OwnedMessage::Close(frame) => {
                        let reply = frame.map(|(code, _)| (code, String::new()));
                        self.owe_close(OwnedMessage::Close(reply));
                    }
                    _ => {}
                }
            }
            Ok(None) => {
                let last = self.received.checked_sub(1);
                assert!(
                    matches!(
                        last.and_then(|i| self.oracle.messages.get(i)),
                        Some(OwnedMessage::Close(_))
                    ),
                    "Ok(None) not right after the peer's Close"
                );
                assert!(
                    ws.is_close_sent() || self.wire.borrow().write_failed,
                    "Ok(None) before our Close went out"
                );
                self.ended = Some(End::Clean);
                self.report.ended = Some("end");
            }
            Err(e) => {
                self.check_recv_error(ws, &e);
                self.ended = Some(End::Failed(e.name()));
                self.report.ended = Some(e.name());
            }
        }
    }

    fn check_recv_error<S>(&mut self, ws: &WsStream<S>, e: &WsError) {
        let w = self.wire.borrow();
        match e {
            WsError::Protocol(error) => {
                assert_eq!(
                    self.oracle.ending,
                    Ending::Error(error.clone()),
                    "the stream's protocol error is not the FrameReader's"
                );
                assert_eq!(
                    self.received,
                    self.oracle.messages.len(),
                    "a protocol error before every message ahead of it"
                );
                let queued = ws.is_close_sent() || w.write_failed;
                assert!(
                    queued,
                    "recv returned {error:?} before queueing its Close ({})",
                    error.close_code().0
                );
                drop(w);
                if queued {
                    let code = error.close_code();
                    self.owe_close(OwnedMessage::Close(Some((code, String::new()))));
                } else {
                    // Tolerated: which Close goes out first is anyone's guess.
                    self.close_unchecked = true;
                }
            }
            WsError::ConnectionReset => {
                assert!(w.eof_returned, "ConnectionReset without an EOF");
                let read = decode(self.role, w.peer_bytes_read(), MAX_FRAME, MAX_MESSAGE);
                assert_eq!(
                    read.ending,
                    Ending::NeedMore,
                    "EOF after a Close or an error"
                );
                assert_eq!(
                    self.received,
                    read.messages.len(),
                    "EOF before every message read was handed out"
                );
            }
            WsError::Io(_) | WsError::Poisoned(_) if !w.read_failed => {
                assert!(w.write_failed, "an I/O error with no failed I/O: {e:?}");
                // A failed write loses nothing that came in: every message
                // read was handed out before the error.
                let read = decode(self.role, w.peer_bytes_read(), MAX_FRAME, MAX_MESSAGE);
                assert_eq!(
                    self.received,
                    read.messages.len(),
                    "a write's error before every message read was handed out"
                );
            }
            WsError::Io(_) => {}
            WsError::Poisoned(_) => assert!(w.write_failed, "poisoned with no failed write"),
            other => panic!("recv failed with {other:?}"),
        }
    }

    pub(super) fn owe_close(&mut self, close: OwnedMessage) {
        if self.close.is_none() {
            self.close = Some(close);
        }
    }

    /// A write-side result: an error only when a write failed.
    pub(super) fn check_write_result(&self, result: &Result<(), WsError>) {
        match result {
            Ok(()) => {}
            Err(WsError::Io(_) | WsError::Poisoned(_)) => {
                assert!(
                    self.wire.borrow().write_failed,
                    "{result:?} with no failed write"
                );
            }
            Err(e) => panic!("a write failed with {e:?}"),
        }
    }

    /// Decodes what the stream wrote, as its peer would.
    pub(super) fn check_output(&mut self) {
        let w = self.wire.borrow();
        let peer_role = match self.role {
            Role::Client => Role::Server,
            Role::Server => Role::Client,
        };
        let out = decode(peer_role, w.frames_written(), 1 << 16, 1 << 16);
        self.report.frames_written = out.messages.len();
        if let Ending::Error(e) = &out.ending {
            panic!("the stream wrote a bad frame: {e:?}");
        }
        if out.ending == Ending::Closed {
            assert_eq!(out.leftover, 0, "bytes written after the Close");
        }
        let mut data = Vec::new();
        let mut pongs = Vec::new();
        let mut close = None;
        for message in out.messages {
            match message {
                OwnedMessage::Pong(payload) => pongs.push(payload),
                OwnedMessage::Close(_) => close = Some(message),
                other => data.push(other),
            }
        }
        assert_eq!(
            data, self.sent,
            "the data frames written are not those sent"
        );
        let mut pings = self.pings.iter();
        for pong in &pongs {
            assert!(
                pings.any(|ping| ping == pong),
                "pong {pong:?} answers no ping handed out (in order)"
            );
        }
        if !w.write_failed && !self.close_unchecked {
            assert_eq!(out.leftover, 0, "a partial frame left unsent");
            assert_eq!(close, self.close, "the Close written is not the one owed");
            if self.close.is_none() && !self.pings.is_empty() {
                assert_eq!(pongs.last(), self.pings.last(), "the last ping unanswered");
            }
        }
    }
}
