//! The [`Connector`] seam: a connected byte stream to a host and port, and
//! the tokio implementation with its socket options.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use socket2::{SockRef, TcpKeepalive};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpSocket, TcpStream};

/// Opens byte streams to a host and port.
///
/// The tokio implementation is [`TokioConnector`]; a simulator supplies one
/// over its own network. TLS is layered on top by the caller, so a
/// connector only ever yields plain streams.
pub trait Connector: Send + Sync + 'static {
    /// The stream a connection yields.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// Connects to `host` (a DNS name, an IPv4 literal, or an IPv6 literal
    /// with or without brackets) on `port`.
    fn connect(
        &self,
        host: &str,
        port: u16,
    ) -> impl Future<Output = io::Result<Self::Stream>> + Send;
}

/// Socket options for [`TokioConnector`].
///
/// Defaults: `TCP_NODELAY` on (Nagle's algorithm would hold a small frame
/// back for up to 40 ms waiting for an ACK), no TCP keepalive, the
/// system's buffer sizes, a 10 s connect timeout.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tickwire::rt::SocketOptions;
///
/// let options = SocketOptions::default()
///     .keepalive(Some(Duration::from_secs(15)))
///     .recv_buffer_size(Some(1 << 20))
///     .connect_timeout(Duration::from_millis(500));
/// assert!(options.is_nodelay());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketOptions {
    nodelay: bool,
    keepalive: Option<Duration>,
    send_buffer_size: Option<u32>,
    recv_buffer_size: Option<u32>,
    connect_timeout: Duration,
}

impl Default for SocketOptions {
    fn default() -> Self {
        Self {
            nodelay: true,
            keepalive: None,
            send_buffer_size: None,
            recv_buffer_size: None,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

impl SocketOptions {
    /// `TCP_NODELAY` (default on).
    pub fn nodelay(mut self, on: bool) -> Self {
        self.nodelay = on;
        self
    }

    /// TCP keepalive: idle time before the first probe, or `None` for off
    /// (the default). Keepalive finds a dead peer in minutes; heartbeats on
    /// the stream find one in seconds.
    pub fn keepalive(mut self, idle: Option<Duration>) -> Self {
        self.keepalive = idle;
        self
    }

    /// `SO_SNDBUF` in bytes, or `None` for the system default.
    pub fn send_buffer_size(mut self, bytes: Option<u32>) -> Self {
        self.send_buffer_size = bytes;
        self
    }

    /// `SO_RCVBUF` in bytes, or `None` for the system default.
    pub fn recv_buffer_size(mut self, bytes: Option<u32>) -> Self {
        self.recv_buffer_size = bytes;
        self
    }

    /// How long one connection attempt may take (default 10 s); past it the
    /// attempt fails with [`io::ErrorKind::TimedOut`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn is_nodelay(&self) -> bool {
        self.nodelay
    }

    /// The keepalive idle time, if keepalive is on.
    pub fn keepalive_idle(&self) -> Option<Duration> {
        self.keepalive
    }

    /// The connect timeout.
    pub fn connect_timeout_duration(&self) -> Duration {
        self.connect_timeout
    }

    /// Applies the options to a connected stream (an accepted one, say).
    ///
    /// # Errors
    ///
    /// The `setsockopt` error, if one fails.
    pub fn apply(&self, stream: &TcpStream) -> io::Result<()> {
        stream.set_nodelay(self.nodelay)?;
        let sock = SockRef::from(stream);
        if let Some(idle) = self.keepalive {
            sock.set_tcp_keepalive(&TcpKeepalive::new().with_time(idle))?;
        }
        Ok(())
    }

    fn socket_for(&self, addr: &SocketAddr) -> io::Result<TcpSocket> {
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        // Before connect, so the window scale is negotiated for them.
        if let Some(bytes) = self.send_buffer_size {
            socket.set_send_buffer_size(bytes)?;
        }
        if let Some(bytes) = self.recv_buffer_size {
            socket.set_recv_buffer_size(bytes)?;
        }
        Ok(socket)
    }
}

/// The tokio [`Connector`]: resolves the host, tries each address in turn
/// within the connect timeout, and applies [`SocketOptions`].
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioConnector {
    options: SocketOptions,
}

impl TokioConnector {
    /// A connector with these socket options.
    pub fn new(options: SocketOptions) -> Self {
        Self { options }
    }

    /// The socket options it applies.
    pub fn options(&self) -> &SocketOptions {
        &self.options
    }

    async fn connect_any(&self, host: &str, port: u16) -> io::Result<TcpStream> {
        let literal = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let mut last_error = None;
        if let Ok(ip) = literal.parse::<IpAddr>() {
            return self.connect_addr(SocketAddr::new(ip, port)).await;
        }
        for addr in tokio::net::lookup_host((literal, port)).await? {
            match self.connect_addr(addr).await {
                Ok(stream) => return Ok(stream),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("no address found for {literal}"),
            )
        }))
    }

    async fn connect_addr(&self, addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = self.options.socket_for(&addr)?.connect(addr).await?;
        self.options.apply(&stream)?;
        Ok(stream)
    }
}

impl Connector for TokioConnector {
    type Stream = TcpStream;

    async fn connect(&self, host: &str, port: u16) -> io::Result<TcpStream> {
        let timeout = self.options.connect_timeout;
        match tokio::time::timeout(timeout, self.connect_any(host, port)).await {
            Ok(result) => result,
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("connect to {host}:{port} timed out after {timeout:?}"),
            )),
        }
    }
}
