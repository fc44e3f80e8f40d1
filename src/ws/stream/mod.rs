//! [`WsStream`]: the WebSocket protocol core on an async byte stream.
//!
//! Owns the glue between the sans-IO core ([`FrameReader`],
//! [`FrameWriter`], [`CloseState`](crate::ws::CloseState)) and a tokio
//! `AsyncRead + AsyncWrite` transport: plain TCP, TLS through
//! [`MaybeTls`](crate::tls::MaybeTls), or a simulator's socket. It reaches
//! time only through the [`Clock`](crate::rt::Clock) seam and the network
//! only through the stream it is given or the
//! [`Connector`](crate::rt::Connector) it is built with.
//!
//! What it does for the caller:
//! - answers every ping with a pong, and a Close with the closing reply,
//!   even when the caller only reads;
//! - sends a Close with the right code when the peer breaks the protocol;
//! - keeps heartbeats and liveness deadlines ([`HeartbeatConfig`]);
//! - is cancel-safe: a `recv` dropped at any await loses no byte;
//! - never reports a full buffer as the end of the stream, and after the
//!   end returns errors, never a busy loop.

mod builder;
mod core;
mod error;
mod heartbeat;
mod owned;
mod split;

use std::future::poll_fn;
use std::task::Poll;

use tokio::io::{AsyncRead, AsyncWrite};

pub use builder::{DEFAULT_WRITE_BUFFER_CAPACITY, WsBuilder};
pub use error::{TimeoutKind, WsError};
pub use heartbeat::{HeartbeatConfig, HeartbeatPayload};
pub use owned::OwnedMessage;
pub use split::{WsReader, WsWriter};

use self::core::{Party, ReadSide, Shared, WriteSide, unexpected_none};
use crate::ws::{CloseCode, CloseFrame, FrameReader, Message, Role};

/// A WebSocket connection over an async byte stream `S`.
///
/// Build one with [`WsStream::builder`]: `connect` for `ws://` and
/// `wss://` URLs, `connect_with` over a stream of your own, `accept` on
/// the server side.
///
/// # Examples
///
/// ```no_run
/// use tickwire::ws::{Message, WsStream};
///
/// # async fn run() -> Result<(), tickwire::ws::WsError> {
/// let mut ws = WsStream::builder().connect("wss://stream.example.com/ws").await?;
/// ws.send_text(r#"{"op":"subscribe","args":["trades"]}"#).await?;
/// while let Some(message) = ws.recv().await? {
///     if let Message::Text(text) = message {
///         println!("{text}");
///     }
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct WsStream<S> {
    read: ReadSide,
    shared: Shared<S>,
    protocol: Option<String>,
}

impl WsStream<()> {
    /// A builder with the defaults (see [`WsBuilder`]).
    pub fn builder() -> WsBuilder {
        WsBuilder::new()
    }
}

impl<S> WsStream<S> {
    pub(crate) fn from_parts(
        io: S,
        read: ReadSide,
        write: WriteSide,
        protocol: Option<String>,
    ) -> Self {
        Self {
            read,
            shared: Shared { io, write },
            protocol,
        }
    }

    /// The subprotocol the handshake agreed on, if any.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// Which end this stream plays.
    pub fn role(&self) -> Role {
        self.read.reader.role()
    }

    /// The transport.
    pub fn get_ref(&self) -> &S {
        &self.shared.io
    }

    /// The transport, mutably. Reading or writing it directly desynchronises
    /// the stream.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.shared.io
    }

    /// The frame reader (limits, buffered bytes).
    pub fn reader(&self) -> &FrameReader {
        &self.read.reader
    }

    /// Whether a Close frame has been sent.
    pub fn is_close_sent(&self) -> bool {
        self.shared.write.close.is_sent()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsStream<S> {
    /// Receives the next message, zero-copy: it borrows the stream's read
    /// buffer until the next call.
    ///
    /// Returns `Ok(None)` once, at the clean end of the stream: after the
    /// peer's Close has been received and answered (the Close itself is
    /// returned first, as a message). Pings are answered and returned too.
    ///
    /// Cancel-safe: dropping the future (in `tokio::select!`, say) loses
    /// no byte; the next call carries on where it stopped.
    ///
    /// # Errors
    ///
    /// [`WsError::Protocol`] when the peer broke the protocol (a Close with
    /// its code has been sent), [`WsError::ConnectionReset`] when the peer
    /// went away without a Close, [`WsError::Timeout`] when a heartbeat
    /// deadline ran out, [`WsError::Io`] for transport errors, and
    /// [`WsError::Closed`] for any call after the end. Errors are sticky.
    pub async fn recv(&mut self) -> Result<Option<Message<'_>>, WsError> {
        let ready = poll_fn(|cx| self.read.poll_prepare(&mut self.shared, cx)).await?;
        if !ready {
            return Ok(None);
        }
        let message = match self.read.reader.next() {
            Ok(Some(message)) => message,
            Ok(None) => return Err(unexpected_none()),
            Err(e) => {
                // A text frame whose UTF-8 fails the last check: the Close
                // (1007) goes out now, not at the next call.
                let (state, shared) = (&mut self.read.state, &mut self.shared);
                return Err(
                    poll_fn(|cx| Poll::Ready(state.protocol_error(e.clone(), shared, cx))).await,
                );
            }
        };
        self.read.state.on_message(&message, &mut self.shared.write);
        if matches!(message, Message::Ping(_) | Message::Close(_)) {
            // One attempt now, so the answer does not wait for the next call.
            let shared = &mut self.shared;
            poll_fn(|cx| {
                shared.try_flush(cx, Party::Reader);
                Poll::Ready(())
            })
            .await;
        }
        Ok(Some(message))
    }

    /// Sends a text message and flushes it.
    ///
    /// # Errors
    ///
    /// [`WsError::Encode`] when the message is larger than the write
    /// buffer's limit (nothing is sent; the stream stays usable),
    /// [`WsError::Closed`] after a Close was sent, [`WsError::Poisoned`]
    /// after a failed write, [`WsError::Io`] when this write fails, and
    /// `recv`'s error once `recv` failed for good (a deadline, a reset: the
    /// connection is dead; only a Close may still be sent).
    pub async fn send_text(&mut self, text: &str) -> Result<(), WsError> {
        self.send(Message::Text(text)).await
    }

    /// Sends a binary message and flushes it. Errors as for
    /// [`send_text`](Self::send_text).
    pub async fn send_binary(&mut self, payload: &[u8]) -> Result<(), WsError> {
        self.send(Message::Binary(payload)).await
    }

    /// Sends a ping (payload at most 125 bytes) and flushes it.
    pub async fn send_ping(&mut self, payload: &[u8]) -> Result<(), WsError> {
        self.send(Message::Ping(payload)).await
    }

    /// Sends an unsolicited pong (payload at most 125 bytes) and flushes it.
    pub async fn send_pong(&mut self, payload: &[u8]) -> Result<(), WsError> {
        self.send(Message::Pong(payload)).await
    }

    /// Sends any message and flushes it.
    pub async fn send(&mut self, message: Message<'_>) -> Result<(), WsError> {
        self.feed(message).await?;
        self.flush().await
    }

    /// Queues a message without flushing, to batch several into one write.
    /// Waits only if the write buffer must drain first. Finish with
    /// [`flush`](Self::flush) (`recv` also pushes queued bytes out).
    pub async fn feed(&mut self, message: Message<'_>) -> Result<(), WsError> {
        loop {
            if self.shared.write.encode(&message)? {
                return Ok(());
            }
            poll_fn(|cx| self.shared.poll_write_out(cx, Party::Writer)).await?;
        }
    }

    /// Writes out every queued message and flushes the transport.
    pub async fn flush(&mut self) -> Result<(), WsError> {
        poll_fn(|cx| self.shared.poll_flush(cx, Party::Writer)).await
    }

    /// Starts the closing handshake: sends a Close with `code` and `reason`
    /// (at most 123 bytes) and flushes it. Keep calling
    /// [`recv`](Self::recv) until it returns `Ok(None)`: the peer's Close
    /// reply ends the stream (bound the wait with a timeout or heartbeat).
    ///
    /// # Errors
    ///
    /// [`WsError::Closed`] if a Close was already sent;
    /// [`WsError::Encode`] for a code that may not be sent or a long reason.
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), WsError> {
        self.send(Message::Close(Some(CloseFrame { code, reason })))
            .await
    }

    /// Splits the stream into a reader and a writer that two tasks can
    /// use. The reader still answers pings and Close frames, through the
    /// writer's buffer and socket.
    pub fn split(self) -> (WsReader<S>, WsWriter<S>) {
        split::split(self)
    }
}
