//! The client's half of the opening handshake: the upgrade request it
//! writes and the checks on the server's answer.

use std::fmt;
use std::mem::MaybeUninit;

use httparse::{Header, ParserConfig};

use super::head::*;
use super::{ACCEPT_LEN, HandshakeError, HandshakeLimits, KEY_LEN, accept_key, encode_base64};
use crate::rng::RandomSource;

/// The client's side of the opening handshake: writes the upgrade request
/// and checks the server's response against it.
///
/// Options are set builder-style; caller-supplied values are checked when
/// the request is written, and nothing is written if one is invalid. Build
/// one per connection: the key is drawn once, in [`new`](Self::new), and
/// must not be reused (which is also why this type is not `Clone`).
///
/// # Examples
///
/// ```
/// use tickwire::rng::SeededRng;
/// use tickwire::ws::handshake::ClientHandshake;
///
/// let mut rng = SeededRng::from_os();
/// let client = ClientHandshake::new("api.example.com:8443", "/ws?stream=trades", &mut rng)
///     .origin("https://example.com")
///     .protocol("v2.json")
///     .protocol("v1.json")
///     .header("Authorization", "Bearer t0ken");
/// let mut out = Vec::new();
/// client.write_request(&mut out).unwrap();
/// assert!(out.starts_with(b"GET /ws?stream=trades HTTP/1.1\r\nHost: api.example.com:8443\r\n"));
///
/// // Until the whole response head is in, there is nothing to decide.
/// assert_eq!(client.read_response(b"HTTP/1.1 101 Switching"), Ok(None));
/// ```
pub struct ClientHandshake {
    host: String,
    path: String,
    key: [u8; KEY_LEN],
    pub(super) accept: [u8; ACCEPT_LEN],
    origin: Option<String>,
    protocols: Vec<String>,
    headers: Vec<(String, String)>,
    limits: HandshakeLimits,
}

impl ClientHandshake {
    /// A handshake for `path` (the request target, with its query) on
    /// `host` (the `Host` header value, with the port if it is not the
    /// scheme's default). Draws the 16-byte `Sec-WebSocket-Key` from `rng`.
    pub fn new<R: RandomSource + ?Sized>(
        host: impl Into<String>,
        path: impl Into<String>,
        rng: &mut R,
    ) -> Self {
        let mut nonce = [0u8; 16];
        rng.fill_bytes(&mut nonce);
        let key = encode_base64(&nonce);
        Self {
            host: host.into(),
            path: path.into(),
            accept: accept_key(&key),
            key,
            origin: None,
            protocols: Vec::new(),
            headers: Vec::new(),
            limits: HandshakeLimits::default(),
        }
    }

    /// Sends an `Origin` header.
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// Offers a subprotocol; call once per protocol, most preferred first.
    /// Each must be an HTTP token.
    pub fn protocol(mut self, name: impl Into<String>) -> Self {
        self.protocols.push(name.into());
        self
    }

    /// Adds a header of the caller's own (authentication, user agent...).
    ///
    /// The name must be an HTTP token and may not be one the handshake
    /// controls: `Host`, `Upgrade`, `Connection`, `Origin`, any
    /// `Sec-WebSocket-*`, `Content-Length` or `Transfer-Encoding` (use
    /// [`origin`](Self::origin) and [`protocol`](Self::protocol) for those
    /// two). The value may hold no control byte but tab.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the limits applied to the server's response head.
    pub fn limits(mut self, limits: HandshakeLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The `Sec-WebSocket-Key` this handshake sends.
    pub fn key(&self) -> &str {
        // Base64 output is ASCII, so this never falls back.
        std::str::from_utf8(&self.key).unwrap_or_default()
    }

    /// Appends the upgrade request to `out`.
    ///
    /// # Errors
    ///
    /// [`InvalidPath`](HandshakeError::InvalidPath) for an empty path or one
    /// with a space or control byte; [`InvalidHeaderValue`] for an empty
    /// host or a control byte (CR, LF, NUL...) in the host, origin or a
    /// header value; [`InvalidHeaderName`](HandshakeError::InvalidHeaderName),
    /// [`ReservedHeader`](HandshakeError::ReservedHeader) or
    /// [`InvalidProtocolName`](HandshakeError::InvalidProtocolName) for the
    /// other options. On error nothing is appended.
    ///
    /// [`InvalidHeaderValue`]: HandshakeError::InvalidHeaderValue
    pub fn write_request(&self, out: &mut Vec<u8>) -> Result<(), HandshakeError> {
        self.check_options()?;
        out.extend_from_slice(b"GET ");
        out.extend_from_slice(self.path.as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\n");
        push_header(out, "Host", &self.host);
        out.extend_from_slice(b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
        out.extend_from_slice(&self.key);
        out.extend_from_slice(b"\r\nSec-WebSocket-Version: 13\r\n");
        if let Some(origin) = &self.origin {
            push_header(out, "Origin", origin);
        }
        if let Some((first, rest)) = self.protocols.split_first() {
            out.extend_from_slice(b"Sec-WebSocket-Protocol: ");
            out.extend_from_slice(first.as_bytes());
            for protocol in rest {
                out.extend_from_slice(b", ");
                out.extend_from_slice(protocol.as_bytes());
            }
            out.extend_from_slice(b"\r\n");
        }
        for (name, value) in &self.headers {
            push_header(out, name, value);
        }
        out.extend_from_slice(b"\r\n");
        Ok(())
    }

    /// Checks the server's response, given every byte received so far.
    ///
    /// `Ok(None)` means the head is not complete yet: call again with more
    /// bytes. On success, [`Accepted::consumed`] bytes belong to the head
    /// and any after them to the frame reader.
    ///
    /// Checked: status 101 on HTTP/1.1; `Upgrade: websocket` and a
    /// `Connection` list holding `upgrade` (both ASCII case-insensitive);
    /// a single `Sec-WebSocket-Accept` matching the key; no
    /// `Sec-WebSocket-Extensions` (none were offered); at most one
    /// `Sec-WebSocket-Protocol`, naming one offered protocol exactly.
    ///
    /// # Errors
    ///
    /// The first check that fails, as a [`HandshakeError`]; a refusal such
    /// as `403` is [`UnexpectedStatus`](HandshakeError::UnexpectedStatus).
    pub fn read_response(&self, bytes: &[u8]) -> Result<Option<Accepted>, HandshakeError> {
        read_response_for(bytes, &self.limits, &self.accept, &self.protocols)
    }

    fn check_options(&self) -> Result<(), HandshakeError> {
        if self.path.is_empty() || !self.path.bytes().all(is_target_byte) {
            return Err(HandshakeError::InvalidPath);
        }
        if self.host.is_empty() {
            return Err(HandshakeError::InvalidHeaderValue);
        }
        check_value(&self.host)?;
        if let Some(origin) = &self.origin {
            check_value(origin)?;
        }
        if !self.protocols.iter().all(|p| is_token(p.as_bytes())) {
            return Err(HandshakeError::InvalidProtocolName);
        }
        self.headers
            .iter()
            .try_for_each(|(name, value)| check_extra_header(name, value))
    }
}

impl fmt::Debug for ClientHandshake {
    /// Header values are left out: they often carry credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("ClientHandshake")
            .field("host", &self.host)
            .field("path", &self.path)
            .field("key", &self.key())
            .field("origin", &self.origin)
            .field("protocols", &self.protocols)
            .field("header_names", &names)
            .field("limits", &self.limits)
            .finish()
    }
}

/// A server's response that completed the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    consumed: usize,
    protocol: Option<String>,
}

impl Accepted {
    /// How many bytes the response head used. Bytes after them are frames.
    pub fn consumed(&self) -> usize {
        self.consumed
    }

    /// The subprotocol the server chose, if any (always one offered).
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }
}

/// Checks a response head against an expected accept value and the
/// protocols offered: the body of [`ClientHandshake::read_response`].
pub(super) fn read_response_for<S: AsRef<str>>(
    bytes: &[u8],
    limits: &HandshakeLimits,
    accept: &[u8; ACCEPT_LEN],
    offered: &[S],
) -> Result<Option<Accepted>, HandshakeError> {
    let mut slots =
        [const { MaybeUninit::<Header<'_>>::uninit() }; HandshakeLimits::HEADER_CAPACITY];
    let slots = &mut slots[..limits.max_headers.min(HandshakeLimits::HEADER_CAPACITY)];
    let mut response = httparse::Response::new(&mut []);
    let window = head_window(bytes, limits);
    let parsed =
        ParserConfig::default().parse_response_with_uninit_headers(&mut response, window, slots);
    let Some(consumed) = head_status(parsed, bytes.len(), limits)? else {
        return Ok(None);
    };
    let headers = &*response.headers;

    let code = response.code.ok_or(HandshakeError::MalformedHead)?;
    if code != 101 {
        return Err(HandshakeError::UnexpectedStatus(code));
    }
    if response.version != Some(1) {
        return Err(HandshakeError::NotHttp11);
    }
    // RFC 6455 4.1: the value must be "websocket", nothing else.
    let mut upgrades = list_items(headers, "upgrade").peekable();
    if upgrades.peek().is_none() || !upgrades.all(|p| p.eq_ignore_ascii_case(b"websocket")) {
        return Err(HandshakeError::UpgradeNotWebSocket);
    }
    if !list_items(headers, "connection").any(|t| t.eq_ignore_ascii_case(b"upgrade")) {
        return Err(HandshakeError::ConnectionNotUpgrade);
    }
    match single(headers, "sec-websocket-accept") {
        Ok(Some(value)) if value == accept => {}
        _ => return Err(HandshakeError::AcceptMismatch),
    }
    if named(headers, "sec-websocket-extensions").next().is_some() {
        return Err(HandshakeError::UnexpectedExtension);
    }
    let protocol = match single(headers, "sec-websocket-protocol") {
        Ok(None) => None,
        Ok(Some(chosen)) => match offered.iter().find(|p| p.as_ref().as_bytes() == chosen) {
            Some(p) => Some(p.as_ref().to_owned()),
            None => return Err(HandshakeError::UnofferedProtocol),
        },
        Err(Repeated) => return Err(HandshakeError::UnofferedProtocol),
    };
    Ok(Some(Accepted { consumed, protocol }))
}
