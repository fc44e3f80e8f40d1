//! [`WsBuilder`]: options, connecting (TCP, TLS, handshake) and accepting.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::{Arc, OnceLock};
use std::task::Poll;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::WsStream;
use super::core::{ReadSide, WriteSide};
use super::error::{TimeoutKind, WsError};
use super::heartbeat::{Heartbeat, HeartbeatConfig};
use crate::buf::WriteBuf;
use crate::rng::SeededRng;
use crate::rt::{Clock, Connector, SocketOptions, TokioClock, TokioConnector};
use crate::tls::{MaybeTls, TlsConfig};
use crate::ws::frame::MAX_HEADER_LEN;
use crate::ws::handshake::{self, ClientHandshake, HandshakeError, HandshakeLimits};
use crate::ws::{
    DEFAULT_BUFFER_CAPACITY, DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_MESSAGE_SIZE, FrameReader,
    FrameWriter, Role, WsUrl,
};

/// Default write buffer capacity: 64 KiB (it grows for larger messages, up
/// to the message limit).
pub const DEFAULT_WRITE_BUFFER_CAPACITY: usize = 64 * 1024;

/// Configures and opens a [`WsStream`].
///
/// Defaults: 64 KiB read and write buffers, 16 MiB frame and message
/// limits (a larger message to send is an error, not a panic), the
/// platform's TLS roots for `wss://`, `TCP_NODELAY` on, a 10 s connect
/// timeout and a 10 s handshake timeout, no heartbeats.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use tickwire::ws::{HeartbeatConfig, WsStream};
///
/// # async fn run() -> Result<(), tickwire::ws::WsError> {
/// let ws = WsStream::builder()
///     .header("X-Api-Key", "k3y")
///     .subprotocol("json.v1")
///     .max_message_size(1 << 20)
///     .heartbeat(
///         HeartbeatConfig::default()
///             .interval(Duration::from_secs(10))
///             .idle_timeout(Duration::from_secs(30)),
///     )
///     .connect("wss://stream.example.com/ws")
///     .await?;
/// # drop(ws);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct WsBuilder<C = TokioConnector> {
    connector: C,
    tls: Option<TlsConfig>,
    clock: Arc<dyn Clock>,
    seed: Option<u64>,
    buffer_capacity: usize,
    max_frame_size: usize,
    max_message_size: usize,
    write_buffer_capacity: usize,
    headers: Vec<(String, String)>,
    origin: Option<String>,
    protocols: Vec<String>,
    limits: HandshakeLimits,
    connect_timeout: Duration,
    handshake_timeout: Duration,
    heartbeat: HeartbeatConfig,
}

impl WsBuilder {
    pub(super) fn new() -> Self {
        Self {
            connector: TokioConnector::default(),
            tls: None,
            clock: Arc::new(TokioClock),
            seed: None,
            buffer_capacity: DEFAULT_BUFFER_CAPACITY,
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            write_buffer_capacity: DEFAULT_WRITE_BUFFER_CAPACITY,
            headers: Vec::new(),
            origin: None,
            protocols: Vec::new(),
            limits: HandshakeLimits::default(),
            connect_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(10),
            heartbeat: HeartbeatConfig::default(),
        }
    }

    /// Socket options for the default tokio connector (`TCP_NODELAY`,
    /// keepalive, buffer sizes, its own connect timeout).
    pub fn socket_options(mut self, options: SocketOptions) -> Self {
        self.connector = TokioConnector::new(options);
        self
    }
}

impl<C> WsBuilder<C> {
    /// Connects through another [`Connector`] (a simulator's, say).
    pub fn connector<D: Connector>(self, connector: D) -> WsBuilder<D> {
        WsBuilder {
            connector,
            tls: self.tls,
            clock: self.clock,
            seed: self.seed,
            buffer_capacity: self.buffer_capacity,
            max_frame_size: self.max_frame_size,
            max_message_size: self.max_message_size,
            write_buffer_capacity: self.write_buffer_capacity,
            headers: self.headers,
            origin: self.origin,
            protocols: self.protocols,
            limits: self.limits,
            connect_timeout: self.connect_timeout,
            handshake_timeout: self.handshake_timeout,
            heartbeat: self.heartbeat,
        }
    }

    /// TLS settings for `wss://` (default: the platform's roots).
    pub fn tls(mut self, tls: &TlsConfig) -> Self {
        self.tls = Some(tls.clone());
        self
    }

    /// The clock heartbeats and timeouts read (default: tokio's).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Seeds the mask keys and the handshake key, for replayable runs
    /// (default: seeded once from the OS).
    pub fn rng_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Initial read buffer size (default 64 KiB; grows for larger frames).
    pub fn buffer_capacity(mut self, bytes: usize) -> Self {
        self.buffer_capacity = bytes;
        self
    }

    /// Largest frame accepted (default 16 MiB).
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame_size = bytes;
        self
    }

    /// Largest message accepted, and sent (default 16 MiB).
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Initial write buffer size (default 64 KiB; grows up to the message
    /// limit for a larger message).
    pub fn write_buffer_capacity(mut self, bytes: usize) -> Self {
        self.write_buffer_capacity = bytes;
        self
    }

    /// Adds a header to the client's handshake request (authentication,
    /// say), or to the server's 101 answer.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sends an `Origin` header (client).
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// A subprotocol: offered by a client (most preferred first), or
    /// supported by a server (which picks the client's first one it
    /// supports).
    pub fn subprotocol(mut self, name: impl Into<String>) -> Self {
        self.protocols.push(name.into());
        self
    }

    /// Limits on the peer's handshake head (default 8 KiB, 64 headers).
    pub fn handshake_limits(mut self, limits: HandshakeLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Longest time for TCP connect and TLS handshake (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Longest time for the WebSocket opening handshake (default 10 s).
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Heartbeats and liveness deadlines (default: none).
    pub fn heartbeat(mut self, heartbeat: HeartbeatConfig) -> Self {
        self.heartbeat = heartbeat;
        self
    }

    /// Accepts a client on `stream` (server side; wrap it in TLS first with
    /// [`ServerTlsConfig::accept`](crate::tls::ServerTlsConfig::accept) if
    /// need be). A bad request is refused with 400, 426 or 431 before the
    /// error is returned.
    ///
    /// # Errors
    ///
    /// [`WsError::Handshake`], [`WsError::Timeout`] with
    /// [`TimeoutKind::Handshake`], or the transport's error.
    pub async fn accept<S>(&self, stream: S) -> Result<WsStream<S>, WsError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        self.accept_with(stream, |_| Ok(())).await
    }

    /// Like [`accept`](Self::accept), but `check` sees the client's request
    /// first (path, `Host`, `Origin`, headers such as credentials) and may
    /// refuse it with a status from 400 to 599, which is sent before
    /// [`HandshakeError::Refused`] is returned.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use tickwire::ws::WsStream;
    ///
    /// # async fn run(tcp: tokio::net::TcpStream) -> Result<(), tickwire::ws::WsError> {
    /// let ws = WsStream::builder()
    ///     .accept_with(tcp, |request| {
    ///         if request.header("x-api-key") == Some(&b"secret"[..]) {
    ///             Ok(())
    ///         } else {
    ///             Err(401)
    ///         }
    ///     })
    ///     .await?;
    /// # drop(ws);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As for `accept`, and [`HandshakeError::Refused`] when `check` says no.
    pub async fn accept_with<S, F>(&self, mut stream: S, check: F) -> Result<WsStream<S>, WsError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
        F: FnOnce(&handshake::ClientRequest<'_>) -> Result<(), u16>,
    {
        let (protocol, leftover) = within(
            &*self.clock,
            self.handshake_timeout,
            TimeoutKind::Handshake,
            self.server_handshake(&mut stream, check),
        )
        .await??;
        self.finish(stream, Role::Server, protocol, &leftover)
    }

    /// Runs the client handshake over a connected `stream`, with TLS first
    /// when the URL's scheme is `wss`.
    ///
    /// # Errors
    ///
    /// [`WsError::InvalidUrl`], [`WsError::Tls`], [`WsError::Handshake`],
    /// [`WsError::Timeout`], or the transport's error.
    pub async fn connect_with<S>(
        &self,
        stream: S,
        url: &str,
    ) -> Result<WsStream<MaybeTls<S>>, WsError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let url = WsUrl::parse(url).map_err(WsError::InvalidUrl)?;
        let stream = within(
            &*self.clock,
            self.connect_timeout,
            TimeoutKind::Connect,
            self.wrap_tls(stream, &url),
        )
        .await??;
        self.client_over(stream, &url).await
    }

    async fn wrap_tls<S>(&self, stream: S, url: &WsUrl) -> Result<MaybeTls<S>, WsError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        if !url.is_secure() {
            return Ok(MaybeTls::Plain(stream));
        }
        let tls = match &self.tls {
            Some(tls) => tls.clone(),
            None => default_tls()?,
        };
        Ok(tls.connect(url.host(), stream).await?)
    }

    async fn client_over<S>(&self, mut stream: S, url: &WsUrl) -> Result<WsStream<S>, WsError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let (protocol, leftover) = within(
            &*self.clock,
            self.handshake_timeout,
            TimeoutKind::Handshake,
            self.client_handshake(&mut stream, url),
        )
        .await??;
        self.finish(stream, Role::Client, protocol, &leftover)
    }

    async fn client_handshake<S>(
        &self,
        stream: &mut S,
        url: &WsUrl,
    ) -> Result<(Option<String>, Vec<u8>), WsError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let mut rng = self.rng();
        let mut hs =
            ClientHandshake::new(url.host_header(), url.resource(), &mut rng).limits(self.limits);
        if let Some(origin) = &self.origin {
            hs = hs.origin(origin.clone());
        }
        for p in &self.protocols {
            hs = hs.protocol(p.clone());
        }
        for (name, value) in &self.headers {
            hs = hs.header(name.clone(), value.clone());
        }
        let mut request = Vec::with_capacity(256);
        hs.write_request(&mut request)?;
        stream.write_all(&request).await?;
        stream.flush().await?;
        let mut head = Vec::with_capacity(1024);
        loop {
            read_some(stream, &mut head, self.limits.max_head_size()).await?;
            if let Some(accepted) = hs.read_response(&head)? {
                let protocol = accepted.protocol().map(str::to_owned);
                return Ok((protocol, head.split_off(accepted.consumed())));
            }
        }
    }

    async fn server_handshake<S, F>(
        &self,
        stream: &mut S,
        check: F,
    ) -> Result<(Option<String>, Vec<u8>), WsError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
        F: FnOnce(&handshake::ClientRequest<'_>) -> Result<(), u16>,
    {
        let mut check = Some(check);
        let mut head = Vec::with_capacity(1024);
        loop {
            read_some(stream, &mut head, self.limits.max_head_size()).await?;
            let mut answer = Vec::with_capacity(256);
            let outcome = match handshake::parse_request(&head, &self.limits) {
                Ok(None) => continue,
                Ok(Some(request)) => {
                    if let Some(Err(status)) = check.take().map(|check| check(&request)) {
                        let status = if (400..=599).contains(&status) {
                            status
                        } else {
                            403
                        };
                        let _ = handshake::write_reject(status, &[], &mut answer);
                        stream.write_all(&answer).await?;
                        stream.flush().await?;
                        return Err(WsError::Handshake(HandshakeError::Refused(status)));
                    }
                    let protocol = request
                        .protocols()
                        .iter()
                        .find(|p| self.protocols.iter().any(|ours| ours == *p))
                        .map(|p| (*p).to_owned());
                    let extra: Vec<(&str, &str)> = self
                        .headers
                        .iter()
                        .map(|(n, v)| (n.as_str(), v.as_str()))
                        .collect();
                    request
                        .write_accept(protocol.as_deref(), &extra, &mut answer)
                        .map(|()| (protocol, request.consumed()))
                }
                Err(e) => {
                    if let Some(status) = e.reject_status() {
                        let _ = handshake::write_reject(status, &[], &mut answer);
                    }
                    Err(e)
                }
            };
            stream.write_all(&answer).await?;
            stream.flush().await?;
            let (protocol, consumed) = outcome?;
            return Ok((protocol, head.split_off(consumed)));
        }
    }

    fn finish<S>(
        &self,
        stream: S,
        role: Role,
        protocol: Option<String>,
        leftover: &[u8],
    ) -> Result<WsStream<S>, WsError> {
        let reader = FrameReader::builder()
            .role(role)
            .buffer_capacity(self.buffer_capacity)
            .max_frame_size(self.max_frame_size)
            .max_message_size(self.max_message_size)
            .build();
        // Room for at least one whole control frame, whatever the limits.
        let out = WriteBuf::with_limit(
            MAX_HEADER_LEN,
            self.write_buffer_capacity.clamp(256, 1 << 30),
            self.max_message_size.saturating_add(MAX_HEADER_LEN),
        );
        let writer = FrameWriter::with_rng(role, self.rng());
        let heartbeat = Heartbeat::start(&self.heartbeat, Arc::clone(&self.clock));
        Ok(WsStream::from_parts(
            stream,
            ReadSide::new(reader, heartbeat, leftover.to_vec()),
            WriteSide::new(writer, out),
            protocol,
        ))
    }

    fn rng(&self) -> SeededRng {
        match self.seed {
            Some(seed) => SeededRng::from_seed(seed),
            None => SeededRng::from_os(),
        }
    }
}

impl<C: Connector> WsBuilder<C> {
    /// Connects to a `ws://` or `wss://` URL: TCP through the connector,
    /// TLS for `wss`, then the opening handshake.
    ///
    /// # Errors
    ///
    /// [`WsError::InvalidUrl`], [`WsError::Io`] (resolve, connect),
    /// [`WsError::Tls`], [`WsError::Handshake`], or [`WsError::Timeout`]
    /// ([`TimeoutKind::Connect`] or [`TimeoutKind::Handshake`]).
    pub async fn connect(&self, url: &str) -> Result<WsStream<MaybeTls<C::Stream>>, WsError> {
        let url = WsUrl::parse(url).map_err(WsError::InvalidUrl)?;
        let stream = within(
            &*self.clock,
            self.connect_timeout,
            TimeoutKind::Connect,
            async {
                let tcp = self.connector.connect(url.host(), url.port()).await?;
                self.wrap_tls(tcp, &url).await
            },
        )
        .await??;
        self.client_over(stream, &url).await
    }
}

/// The platform-roots TLS config, loaded once per process.
fn default_tls() -> Result<TlsConfig, WsError> {
    static DEFAULT: OnceLock<Result<TlsConfig, String>> = OnceLock::new();
    match DEFAULT.get_or_init(|| TlsConfig::new().map_err(|e| e.to_string())) {
        Ok(tls) => Ok(tls.clone()),
        Err(e) => Err(WsError::Io(std::io::Error::other(format!(
            "no TLS config given and the platform's roots failed to load: {e}"
        )))),
    }
}

/// Reads more handshake bytes into `head`, never past the head limit plus
/// one read's worth. EOF before the head ends is a reset.
async fn read_some<S: AsyncRead + Unpin>(
    stream: &mut S,
    head: &mut Vec<u8>,
    max_head: usize,
) -> Result<(), WsError> {
    let mut chunk = [0u8; 2048];
    let room = max_head
        .saturating_add(1)
        .saturating_sub(head.len())
        .clamp(1, chunk.len());
    let n = stream.read(&mut chunk[..room]).await?;
    if n == 0 {
        return Err(WsError::ConnectionReset);
    }
    head.extend_from_slice(&chunk[..n]);
    Ok(())
}

/// Runs `fut` against a deadline on `clock`.
async fn within<F: Future>(
    clock: &dyn Clock,
    after: Duration,
    kind: TimeoutKind,
    fut: F,
) -> Result<F::Output, WsError> {
    let Some(deadline) = clock.now().checked_add(after) else {
        // Too far to represent: no deadline at all.
        return Ok(fut.await);
    };
    let mut timer = clock.timer(deadline);
    let mut fut = pin!(fut);
    poll_fn(|cx| {
        if let Poll::Ready(output) = fut.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(WsError::Timeout(kind))),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}
