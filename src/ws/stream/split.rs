//! [`WsReader`] and [`WsWriter`]: a [`WsStream`] split for two tasks.
//!
//! Both halves share the transport and the write side behind a mutex that
//! is held for one `poll` at a time (one syscall at most), never across an
//! await. The reader owns the frame reader, so its messages are still
//! borrowed zero-copy; the pongs and Close reply it owes go through the
//! shared write buffer and socket, so they go out even while the writer
//! task is idle.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_sink::Sink;
use tokio::io::{AsyncRead, AsyncWrite};

use super::WsStream;
use super::core::{Party, ReadSide, Shared, unexpected_none};
use super::error::WsError;
use super::owned::{self, OwnedMessage};
use crate::ws::{CloseCode, CloseFrame, Message};

/// The receiving half of a split [`WsStream`].
///
/// # Examples
///
/// ```no_run
/// use tickwire::ws::{Message, WsStream};
///
/// # async fn run() -> Result<(), tickwire::ws::WsError> {
/// let ws = WsStream::builder().connect("ws://127.0.0.1:9001/").await?;
/// let (mut reader, mut writer) = ws.split();
/// let sender = tokio::spawn(async move {
///     writer.send_text("subscribe").await?;
///     Ok::<_, tickwire::ws::WsError>(writer)
/// });
/// while let Some(message) = reader.recv().await? {
///     if let Message::Text(text) = message {
///         println!("{text}");
///     }
/// }
/// # let _ = sender.await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct WsReader<S> {
    read: ReadSide,
    shared: Arc<Mutex<Shared<S>>>,
}

/// The sending half of a split [`WsStream`].
#[derive(Debug)]
pub struct WsWriter<S> {
    shared: Arc<Mutex<Shared<S>>>,
}

pub(super) fn split<S>(stream: WsStream<S>) -> (WsReader<S>, WsWriter<S>) {
    let shared = Arc::new(Mutex::new(stream.shared));
    (
        WsReader {
            read: stream.read,
            shared: Arc::clone(&shared),
        },
        WsWriter { shared },
    )
}

fn lock<S>(shared: &Mutex<Shared<S>>) -> MutexGuard<'_, Shared<S>> {
    // A panic while the lock was held left the state as consistent as any
    // other interrupted poll: carry on.
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsReader<S> {
    /// Receives the next message; see [`WsStream::recv`].
    ///
    /// # Errors
    ///
    /// As for [`WsStream::recv`].
    pub async fn recv(&mut self) -> Result<Option<Message<'_>>, WsError> {
        let ready = poll_fn(|cx| self.read.poll_prepare(&mut lock(&self.shared), cx)).await?;
        if !ready {
            return Ok(None);
        }
        let message = match self.read.reader.next() {
            Ok(Some(message)) => message,
            Ok(None) => return Err(unexpected_none()),
            Err(e) => {
                let (state, shared) = (&mut self.read.state, &self.shared);
                return Err(poll_fn(|cx| {
                    Poll::Ready(state.protocol_error(e.clone(), &mut lock(shared), cx))
                })
                .await);
            }
        };
        let shared = &self.shared;
        let state = &mut self.read.state;
        poll_fn(|cx| {
            let mut guard = lock(shared);
            state.on_message(&message, &mut guard.write);
            if matches!(message, Message::Ping(_) | Message::Close(_)) {
                guard.try_flush(cx, Party::Reader);
            }
            Poll::Ready(())
        })
        .await;
        Ok(Some(message))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WsReader<S> {
    type Item = Result<OwnedMessage, WsError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        owned::poll_next_owned(&mut this.read, &mut lock(&this.shared), cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsWriter<S> {
    /// Sends a text message and flushes it; see [`WsStream::send_text`].
    pub async fn send_text(&mut self, text: &str) -> Result<(), WsError> {
        self.send(Message::Text(text)).await
    }

    /// Sends a binary message and flushes it.
    pub async fn send_binary(&mut self, payload: &[u8]) -> Result<(), WsError> {
        self.send(Message::Binary(payload)).await
    }

    /// Sends a ping and flushes it.
    pub async fn send_ping(&mut self, payload: &[u8]) -> Result<(), WsError> {
        self.send(Message::Ping(payload)).await
    }

    /// Sends a pong and flushes it.
    pub async fn send_pong(&mut self, payload: &[u8]) -> Result<(), WsError> {
        self.send(Message::Pong(payload)).await
    }

    /// Sends any message and flushes it.
    pub async fn send(&mut self, message: Message<'_>) -> Result<(), WsError> {
        self.feed(message).await?;
        self.flush().await
    }

    /// Queues a message without flushing; see [`WsStream::feed`].
    pub async fn feed(&mut self, message: Message<'_>) -> Result<(), WsError> {
        loop {
            if lock(&self.shared).write.encode(&message)? {
                return Ok(());
            }
            poll_fn(|cx| lock(&self.shared).poll_write_out(cx, Party::Writer)).await?;
        }
    }

    /// Writes out every queued message and flushes the transport.
    pub async fn flush(&mut self) -> Result<(), WsError> {
        poll_fn(|cx| lock(&self.shared).poll_flush(cx, Party::Writer)).await
    }

    /// Sends a Close and flushes it; the reader ends at the peer's reply.
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), WsError> {
        self.send(Message::Close(Some(CloseFrame { code, reason })))
            .await
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<OwnedMessage> for WsWriter<S> {
    type Error = WsError;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        owned::poll_ready(&mut lock(&self.shared), cx)
    }

    fn start_send(self: Pin<&mut Self>, item: OwnedMessage) -> Result<(), WsError> {
        owned::start_send(&mut lock(&self.shared), item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        lock(&self.shared).poll_flush(cx, Party::Writer)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        owned::poll_close(&mut lock(&self.shared), cx)
    }
}
