//! The clients, one per kind of row, behind one `round_trip`, and the
//! timed loop that drives them.

use std::time::Instant;

use futures::{SinkExt, StreamExt};
use nexus_async_net::ws::WsStream as NxStream;
use nexus_net::ws::Message as NxMessage;
use tickwire::tls::MaybeTls;
use tickwire::ws::{Message, WsStream};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{Bytes, Message as TgMessage};

use super::READ_BUFFER;
use super::echo::Frames;

/// One message out, its echo back.
pub(crate) trait RoundTrip {
    async fn round_trip(&mut self);
}

/// The floor: precomputed bytes out, read until the answer's length is in.
pub(crate) struct RawClient<S> {
    io: S,
    frame: Vec<u8>,
    expect: usize,
    buf: Box<[u8]>,
}

impl<S> RawClient<S> {
    pub(crate) fn new(io: S, frames: &Frames) -> Self {
        Self {
            io,
            frame: frames.client.clone(),
            expect: frames.server.len(),
            buf: vec![0u8; READ_BUFFER].into_boxed_slice(),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> RoundTrip for RawClient<S> {
    #[inline(always)]
    async fn round_trip(&mut self) {
        self.io.write_all(&self.frame).await.expect("floor write");
        // No syscall on TCP; over TLS, tokio-rustls has already written the
        // record in `write` and this only checks.
        self.io.flush().await.expect("floor flush");
        let mut got = 0;
        while got < self.expect {
            let n = self
                .io
                .read(&mut self.buf[got..])
                .await
                .expect("floor read");
            assert!(n > 0, "floor: EOF");
            got += n;
        }
        assert_eq!(got, self.expect, "floor: more than one answer");
    }
}

pub(crate) struct TickwireClient {
    pub(crate) ws: WsStream<MaybeTls<TcpStream>>,
    pub(crate) payload: Vec<u8>,
}

impl RoundTrip for TickwireClient {
    #[inline(always)]
    async fn round_trip(&mut self) {
        self.ws.send_binary(&self.payload).await.expect("send");
        match self.ws.recv().await.expect("recv") {
            Some(Message::Binary(b)) if b.len() == self.payload.len() => {}
            other => panic!("tickwire: unexpected {other:?}"),
        }
    }
}

pub(crate) struct NexusClient {
    pub(crate) ws: NxStream<nexus_async_net::ws::MaybeTls>,
    pub(crate) payload: Vec<u8>,
}

impl RoundTrip for NexusClient {
    #[inline(always)]
    async fn round_trip(&mut self) {
        self.ws.send_binary(&self.payload).await.expect("send");
        match self.ws.recv().await.expect("recv") {
            Some(NxMessage::Binary(b)) if b.len() == self.payload.len() => {}
            other => panic!("nexus: unexpected {other:?}"),
        }
    }
}

/// tokio-tungstenite the way it is used: `SinkExt::send` (feed and flush)
/// and `StreamExt::next`; the payload is a `Bytes`, so a send clones a
/// reference, not the bytes.
pub(crate) struct TungsteniteClient {
    pub(crate) ws: WebSocketStream<TcpStream>,
    pub(crate) payload: Bytes,
}

impl RoundTrip for TungsteniteClient {
    #[inline(always)]
    async fn round_trip(&mut self) {
        let message = TgMessage::Binary(self.payload.clone());
        self.ws.send(message).await.expect("send");
        match self.ws.next().await {
            Some(Ok(TgMessage::Binary(b))) if b.len() == self.payload.len() => {}
            other => panic!("tungstenite: unexpected {other:?}"),
        }
    }
}

/// One per row, built once and never moved while measuring: no variant is
/// boxed, so none pays an indirection the others do not.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Client {
    Tcp(RawClient<TcpStream>),
    Rustls(RawClient<tokio_rustls::client::TlsStream<TcpStream>>),
    Tickwire(TickwireClient),
    Nexus(NexusClient),
    Tungstenite(TungsteniteClient),
}

impl Client {
    /// `warm` untimed round trips, then `n` timed ones into `out` (ns).
    pub(crate) async fn batch(
        &mut self,
        warm: usize,
        n: usize,
        out: &mut Vec<u64>,
    ) -> Option<SchedTimes> {
        match self {
            Self::Tcp(c) => timed(c, warm, n, out).await,
            Self::Rustls(c) => timed(c, warm, n, out).await,
            Self::Tickwire(c) => timed(c, warm, n, out).await,
            Self::Nexus(c) => timed(c, warm, n, out).await,
            Self::Tungstenite(c) => timed(c, warm, n, out).await,
        }
    }

    /// A full check of one echo's payload (the timed loop checks lengths).
    pub(crate) async fn check_payload(&mut self, payload: &[u8]) {
        match self {
            Self::Tcp(_) | Self::Rustls(_) => {}
            Self::Tickwire(c) => {
                c.ws.send_binary(payload).await.expect("send");
                let got = c.ws.recv().await.expect("recv");
                assert!(matches!(got, Some(Message::Binary(b)) if b == payload));
            }
            Self::Nexus(c) => {
                c.ws.send_binary(payload).await.expect("send");
                let got = c.ws.recv().await.expect("recv");
                assert!(matches!(got, Some(NxMessage::Binary(b)) if b == payload));
            }
            Self::Tungstenite(c) => {
                let message = TgMessage::Binary(Bytes::copy_from_slice(payload));
                c.ws.send(message).await.expect("send");
                let got = c.ws.next().await;
                assert!(matches!(got, Some(Ok(TgMessage::Binary(b))) if b == payload));
            }
        }
    }
}

/// Runs `warm` untimed round trips, then `n` timed ones into `out` (ns);
/// returns this thread's scheduler times over the timed ones.
pub(crate) async fn timed<C: RoundTrip>(
    c: &mut C,
    warm: usize,
    n: usize,
    out: &mut Vec<u64>,
) -> Option<SchedTimes> {
    for _ in 0..warm {
        c.round_trip().await;
    }
    out.clear();
    let before = SchedTimes::now();
    let mut last = Instant::now();
    for _ in 0..n {
        c.round_trip().await;
        let now = Instant::now();
        out.push((now - last).as_nanos() as u64);
        last = now;
    }
    Some(SchedTimes::now()?.since(before?))
}

/// The time this thread was runnable but waited for a CPU (ns), from
/// `/proc/thread-self/schedstat`: client and server tasks both run on it,
/// so this is the time other processes took the core from the benchmark.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SchedTimes {
    pub(crate) wait: u64,
}

impl SchedTimes {
    pub(crate) fn now() -> Option<Self> {
        let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        let wait = text.split_whitespace().nth(1)?.parse().ok()?;
        Some(Self { wait })
    }

    pub(crate) fn since(self, before: Self) -> Self {
        Self {
            wait: self.wait.saturating_sub(before.wait),
        }
    }
}
