//! [`OwnedMessage`], and the futures `Stream` and `Sink` over it.
//!
//! `recv` hands out borrowed messages and costs no allocation; the
//! `Stream`/`Sink` interface trades one copy per message for working with
//! combinators, channels and `select_all`.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_core::Stream;
use futures_sink::Sink;
use tokio::io::{AsyncRead, AsyncWrite};

use super::WsStream;
use super::core::{Party, ReadSide, Shared, unexpected_none};
use super::error::WsError;
use crate::ws::{CloseCode, CloseFrame, Message};

/// A message that owns its payload.
///
/// # Examples
///
/// ```
/// use tickwire::ws::{Message, OwnedMessage};
///
/// let owned = OwnedMessage::from(Message::Text("hi"));
/// assert_eq!(owned, OwnedMessage::Text("hi".into()));
/// assert_eq!(owned.as_message(), Message::Text("hi"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedMessage {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
    /// A ping and its payload.
    Ping(Vec<u8>),
    /// A pong and its payload.
    Pong(Vec<u8>),
    /// A Close: its code and reason, if it had a code.
    Close(Option<(CloseCode, String)>),
}

impl OwnedMessage {
    /// Borrows it as a [`Message`].
    pub fn as_message(&self) -> Message<'_> {
        match self {
            Self::Text(t) => Message::Text(t),
            Self::Binary(b) => Message::Binary(b),
            Self::Ping(p) => Message::Ping(p),
            Self::Pong(p) => Message::Pong(p),
            Self::Close(c) => Message::Close(c.as_ref().map(|(code, reason)| CloseFrame {
                code: *code,
                reason,
            })),
        }
    }
}

impl From<Message<'_>> for OwnedMessage {
    fn from(message: Message<'_>) -> Self {
        match message {
            Message::Text(t) => Self::Text(t.to_owned()),
            Message::Binary(b) => Self::Binary(b.to_vec()),
            Message::Ping(p) => Self::Ping(p.to_vec()),
            Message::Pong(p) => Self::Pong(p.to_vec()),
            Message::Close(c) => Self::Close(c.map(|f| (f.code, f.reason.to_owned()))),
        }
    }
}

/// One step of the `Stream`: the next message, owned, with its pong or
/// close reply queued and tried once.
pub(crate) fn poll_next_owned<S: AsyncRead + AsyncWrite + Unpin>(
    read: &mut ReadSide,
    shared: &mut Shared<S>,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<OwnedMessage, WsError>>> {
    if read.is_done() {
        return Poll::Ready(None);
    }
    match ready!(read.poll_prepare(shared, cx)) {
        Ok(true) => {}
        Ok(false) => return Poll::Ready(None),
        Err(e) => return Poll::Ready(Some(Err(e))),
    }
    let message = match read.reader.next() {
        Ok(Some(message)) => message,
        Ok(None) => return Poll::Ready(Some(Err(unexpected_none()))),
        Err(e) => return Poll::Ready(Some(Err(read.state.protocol_error(e, shared, cx)))),
    };
    read.state.on_message(&message, &mut shared.write);
    let owned = OwnedMessage::from(message);
    if matches!(owned, OwnedMessage::Ping(_) | OwnedMessage::Close(_)) {
        shared.try_flush(cx, Party::Reader);
    }
    Poll::Ready(Some(Ok(owned)))
}

/// `Sink::poll_ready`: holds back while any frame is still queued, so a
/// message accepted by `start_send` always fits.
pub(crate) fn poll_ready<S: AsyncWrite + Unpin>(
    shared: &mut Shared<S>,
    cx: &mut Context<'_>,
) -> Poll<Result<(), WsError>> {
    shared.write.check_sendable()?;
    shared.poll_write_out(cx, Party::Writer)
}

/// `Sink::start_send`: encodes into the (drained) write buffer.
pub(crate) fn start_send<S>(shared: &mut Shared<S>, item: OwnedMessage) -> Result<(), WsError> {
    if !shared.write.encode(&item.as_message())? {
        // A pong or heartbeat took the room since `poll_ready`: the item
        // waits for the buffer to drain (the next `poll_ready` holds back
        // until it went out).
        shared.write.park(item);
    }
    Ok(())
}

/// `Sink::poll_close`: a normal Close unless one went out, then flush and
/// shut the write direction down.
pub(crate) fn poll_close<S: AsyncWrite + Unpin>(
    shared: &mut Shared<S>,
    cx: &mut Context<'_>,
) -> Poll<Result<(), WsError>> {
    if !shared.write.close.is_sent() {
        shared.write.queue_close(Some(CloseCode::NORMAL));
    }
    ready!(shared.poll_flush(cx, Party::Writer))?;
    shared.poll_shutdown(cx, Party::Writer).map(Ok)
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WsStream<S> {
    type Item = Result<OwnedMessage, WsError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        poll_next_owned(&mut this.read, &mut this.shared, cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<OwnedMessage> for WsStream<S> {
    type Error = WsError;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        poll_ready(&mut self.get_mut().shared, cx)
    }

    fn start_send(self: Pin<&mut Self>, item: OwnedMessage) -> Result<(), WsError> {
        start_send(&mut self.get_mut().shared, item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        self.get_mut().shared.poll_flush(cx, Party::Writer)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        poll_close(&mut self.get_mut().shared, cx)
    }
}
