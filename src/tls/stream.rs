//! [`MaybeTls`]: one stream type for plain and TLS connections, so the
//! layers above are written once.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::AlpnList;

/// A connected stream, plain or TLS, over any transport `S`.
///
/// It reads and writes like `S` (tokio `AsyncRead` + `AsyncWrite`,
/// vectored writes included), and is `Unpin` when `S` is. Through TLS a
/// `write` may leave bytes in the TLS layer: call `flush` (or
/// `write_all` + `flush`) before waiting for an answer. `shutdown` sends
/// TLS `close_notify`, then shuts the transport's write half.
///
/// A TLS read that meets the transport's end of file without the peer's
/// `close_notify` fails with [`io::ErrorKind::UnexpectedEof`] (a possible
/// truncation) after every byte received has been read; a clean
/// `close_notify` reads as end of file (`Ok(0)`). See `docs/tls.md`.
///
/// # Examples
///
/// ```
/// use tickwire::tls::MaybeTls;
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// // Plain: no TLS, same type, same code above it.
/// let (near, far) = tokio::io::duplex(64);
/// let mut client = MaybeTls::Plain(near);
/// let mut server = MaybeTls::Plain(far);
/// assert!(!client.is_tls());
/// assert_eq!(client.alpn_protocol(), None);
///
/// client.write_all(b"ping").await?;
/// client.flush().await?;
/// let mut buf = [0u8; 4];
/// server.read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"ping");
/// # Ok(())
/// # }
/// ```
pub enum MaybeTls<S> {
    /// No TLS: bytes go to `S` as they are.
    Plain(S),
    /// The client end of a TLS session, from
    /// [`TlsConfig::connect`](super::TlsConfig::connect).
    Client(Box<tokio_rustls::client::TlsStream<S>>),
    /// The server end of a TLS session, from
    /// [`ServerTlsConfig::accept`](super::ServerTlsConfig::accept).
    Server(Box<tokio_rustls::server::TlsStream<S>>),
}

impl<S> MaybeTls<S> {
    /// Whether the stream runs TLS.
    pub fn is_tls(&self) -> bool {
        !matches!(self, Self::Plain(_))
    }

    /// The ALPN protocol both sides agreed on, if any (never for `Plain`).
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        match self {
            Self::Plain(_) => None,
            Self::Client(tls) => tls.get_ref().1.alpn_protocol(),
            Self::Server(tls) => tls.get_ref().1.alpn_protocol(),
        }
    }

    /// The underlying transport (the TCP socket, say).
    ///
    /// Reading or writing it directly under a TLS session corrupts the
    /// session; use it for socket options and addresses.
    pub fn get_ref(&self) -> &S {
        match self {
            Self::Plain(io) => io,
            Self::Client(tls) => tls.get_ref().0,
            Self::Server(tls) => tls.get_ref().0,
        }
    }

    /// The underlying transport, mutably; see [`get_ref`](Self::get_ref).
    pub fn get_mut(&mut self) -> &mut S {
        match self {
            Self::Plain(io) => io,
            Self::Client(tls) => tls.get_mut().0,
            Self::Server(tls) => tls.get_mut().0,
        }
    }
}

impl<S> AsyncRead for MaybeTls<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    #[inline]
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(io) => Pin::new(io).poll_read(cx, buf),
            Self::Client(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
            Self::Server(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl<S> AsyncWrite for MaybeTls<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    #[inline]
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(io) => Pin::new(io).poll_write(cx, buf),
            Self::Client(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
            Self::Server(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(io) => Pin::new(io).poll_write_vectored(cx, bufs),
            Self::Client(tls) => Pin::new(tls.as_mut()).poll_write_vectored(cx, bufs),
            Self::Server(tls) => Pin::new(tls.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Plain(io) => io.is_write_vectored(),
            Self::Client(tls) => tls.is_write_vectored(),
            Self::Server(tls) => tls.is_write_vectored(),
        }
    }

    #[inline]
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(io) => Pin::new(io).poll_flush(cx),
            Self::Client(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
            Self::Server(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(io) => Pin::new(io).poll_shutdown(cx),
            Self::Client(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
            Self::Server(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for MaybeTls<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (variant, version, alpn) = match self {
            Self::Plain(io) => return f.debug_tuple("Plain").field(io).finish(),
            Self::Client(tls) => {
                let session = tls.get_ref().1;
                (
                    "Client",
                    session.protocol_version(),
                    session.alpn_protocol(),
                )
            }
            Self::Server(tls) => {
                let session = tls.get_ref().1;
                (
                    "Server",
                    session.protocol_version(),
                    session.alpn_protocol(),
                )
            }
        };
        f.debug_struct(variant)
            .field("io", self.get_ref())
            .field("version", &version)
            .field("alpn", &AlpnList(alpn.as_slice()))
            .finish()
    }
}
