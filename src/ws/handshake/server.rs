//! The server's half of the opening handshake: reading and checking a
//! client's upgrade request, and writing the accept or the refusal.

use std::fmt;
use std::mem::MaybeUninit;

use httparse::{Header, ParserConfig};

use super::head::*;
use super::{HandshakeError, HandshakeLimits, accept_key};

/// Reads and checks a client's upgrade request, given every byte received
/// so far.
///
/// `Ok(None)` means the head is not complete yet: call again with more
/// bytes. The request borrows from `bytes`; [`ClientRequest::consumed`]
/// bytes belong to the head and any after them to the frame reader.
///
/// Checked: method `GET` on HTTP/1.1; exactly one non-empty, UTF-8 `Host`;
/// an `Upgrade` list holding `websocket` and a `Connection` list holding
/// `upgrade` (both ASCII case-insensitive); exactly one
/// `Sec-WebSocket-Version: 13`; exactly one `Sec-WebSocket-Key` that is
/// base64 of 16 bytes; at most one UTF-8 `Origin`; every offered
/// subprotocol an HTTP token.
///
/// # Errors
///
/// The first check that fails, as a [`HandshakeError`]: answer the client
/// with [`write_reject`] and the status from
/// [`HandshakeError::reject_status`].
///
/// # Examples
///
/// ```
/// use tickwire::ws::handshake::{self, HandshakeLimits};
///
/// let head = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
///              Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
///              Sec-WebSocket-Version: 13\r\nX-Api-Key: k\r\n\r\n";
/// let limits = HandshakeLimits::default();
/// assert_eq!(handshake::parse_request(&head[..40], &limits).unwrap().is_none(), true);
///
/// let req = handshake::parse_request(head, &limits).unwrap().unwrap();
/// assert_eq!(req.consumed(), head.len());
/// assert_eq!(req.header("x-api-key"), Some(&b"k"[..]));
///
/// let mut out = Vec::new();
/// req.write_accept(None, &[], &mut out).unwrap();
/// assert!(out.windows(28).any(|w| w == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
/// ```
pub fn parse_request<'a>(
    bytes: &'a [u8],
    limits: &HandshakeLimits,
) -> Result<Option<ClientRequest<'a>>, HandshakeError> {
    let mut slots =
        [const { MaybeUninit::<Header<'_>>::uninit() }; HandshakeLimits::HEADER_CAPACITY];
    let slots = &mut slots[..limits.max_headers.min(HandshakeLimits::HEADER_CAPACITY)];
    let mut request = httparse::Request::new(&mut []);
    let window = head_window(bytes, limits);
    let parsed =
        ParserConfig::default().parse_request_with_uninit_headers(&mut request, window, slots);
    let Some(consumed) = head_status(parsed, bytes.len(), limits)? else {
        return Ok(None);
    };
    let headers = &*request.headers;

    if request.method != Some("GET") {
        return Err(HandshakeError::MethodNotGet);
    }
    if request.version != Some(1) {
        return Err(HandshakeError::NotHttp11);
    }
    let path = request.path.ok_or(HandshakeError::MalformedHead)?;
    let host = match single(headers, "host") {
        Ok(None) => return Err(HandshakeError::MissingHost),
        Ok(Some(host)) => match std::str::from_utf8(host) {
            Ok(host) if !host.is_empty() => host,
            _ => return Err(HandshakeError::InvalidHeader("Host")),
        },
        Err(Repeated) => return Err(HandshakeError::InvalidHeader("Host")),
    };
    if !list_items(headers, "upgrade").any(|p| p.eq_ignore_ascii_case(b"websocket")) {
        return Err(HandshakeError::UpgradeNotWebSocket);
    }
    if !list_items(headers, "connection").any(|t| t.eq_ignore_ascii_case(b"upgrade")) {
        return Err(HandshakeError::ConnectionNotUpgrade);
    }
    if single(headers, "sec-websocket-version") != Ok(Some(b"13")) {
        return Err(HandshakeError::UnsupportedVersion);
    }
    let key = match single(headers, "sec-websocket-key") {
        Ok(None) => return Err(HandshakeError::MissingKey),
        Ok(Some(key)) => check_key(key)?,
        Err(Repeated) => return Err(HandshakeError::InvalidKey),
    };
    let origin = match single(headers, "origin") {
        Ok(None) => None,
        Ok(Some(origin)) => match std::str::from_utf8(origin) {
            Ok(origin) => Some(origin),
            Err(_) => return Err(HandshakeError::InvalidHeader("Origin")),
        },
        Err(Repeated) => return Err(HandshakeError::InvalidHeader("Origin")),
    };
    let protocols = list_items(headers, "sec-websocket-protocol")
        .map(|p| match std::str::from_utf8(p) {
            Ok(p) if is_token(p.as_bytes()) => Ok(p),
            _ => Err(HandshakeError::InvalidHeader("Sec-WebSocket-Protocol")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(ClientRequest {
        path,
        host,
        origin,
        key,
        protocols,
        headers: headers.iter().map(|h| (h.name, h.value)).collect(),
        consumed,
    }))
}

/// A client's upgrade request that passed every check, borrowed from the
/// bytes it was parsed from. Decide on it (authenticate, pick a
/// subprotocol), then answer with [`write_accept`](Self::write_accept) or
/// [`write_reject`].
#[derive(Clone, PartialEq, Eq)]
pub struct ClientRequest<'a> {
    path: &'a str,
    host: &'a str,
    origin: Option<&'a str>,
    key: &'a str,
    protocols: Vec<&'a str>,
    headers: Vec<(&'a str, &'a [u8])>,
    consumed: usize,
}

impl<'a> ClientRequest<'a> {
    /// The request target, with its query: `/chat?room=1`.
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The `Host` header.
    pub fn host(&self) -> &'a str {
        self.host
    }

    /// The `Origin` header, if sent.
    pub fn origin(&self) -> Option<&'a str> {
        self.origin
    }

    /// The `Sec-WebSocket-Key` header.
    pub fn key(&self) -> &'a str {
        self.key
    }

    /// The subprotocols offered, in the client's order, from every
    /// `Sec-WebSocket-Protocol` header.
    pub fn protocols(&self) -> &[&'a str] {
        &self.protocols
    }

    /// The first header called `name` (ASCII case-insensitive), with its
    /// surrounding whitespace trimmed.
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, value)| value)
    }

    /// Every header in the order received, the handshake's own included.
    pub fn headers(&self) -> impl Iterator<Item = (&'a str, &'a [u8])> + '_ {
        self.headers.iter().copied()
    }

    /// How many bytes the request head used. Bytes after them are frames.
    pub fn consumed(&self) -> usize {
        self.consumed
    }

    /// Appends the `101 Switching Protocols` answer to `out`, choosing
    /// `protocol` (which the client must have offered) and adding
    /// `extra_headers`.
    ///
    /// # Errors
    ///
    /// [`UnofferedProtocol`](HandshakeError::UnofferedProtocol) if the
    /// client did not offer `protocol`; for an extra header, the same errors
    /// as [`ClientHandshake::header`](super::ClientHandshake::header) describes. On error nothing is
    /// appended.
    pub fn write_accept(
        &self,
        protocol: Option<&str>,
        extra_headers: &[(&str, &str)],
        out: &mut Vec<u8>,
    ) -> Result<(), HandshakeError> {
        if protocol.is_some_and(|p| !self.protocols.contains(&p)) {
            return Err(HandshakeError::UnofferedProtocol);
        }
        for (name, value) in extra_headers {
            check_extra_header(name, value)?;
        }
        out.extend_from_slice(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
              Connection: Upgrade\r\nSec-WebSocket-Accept: ",
        );
        out.extend_from_slice(&accept_key(self.key.as_bytes()));
        out.extend_from_slice(b"\r\n");
        if let Some(protocol) = protocol {
            push_header(out, "Sec-WebSocket-Protocol", protocol);
        }
        for (name, value) in extra_headers {
            push_header(out, name, value);
        }
        out.extend_from_slice(b"\r\n");
        Ok(())
    }
}

impl fmt::Debug for ClientRequest<'_> {
    /// Header values are left out: they often carry credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|&(name, _)| name).collect();
        f.debug_struct("ClientRequest")
            .field("path", &self.path)
            .field("host", &self.host)
            .field("origin", &self.origin)
            .field("protocols", &self.protocols)
            .field("header_names", &names)
            .field("consumed", &self.consumed)
            .finish()
    }
}

/// Appends an error response that refuses the upgrade: `status` (400-599)
/// with `Content-Length: 0`, `Connection: close` and `extra_headers`.
///
/// A `426` also carries `Sec-WebSocket-Version: 13` and
/// `Upgrade: websocket`, as RFC 6455 4.4 and RFC 7231 6.5.15 ask.
///
/// # Errors
///
/// [`InvalidRejectStatus`](HandshakeError::InvalidRejectStatus) for a status
/// outside 400-599; for an extra header, the same errors as
/// [`ClientHandshake::header`](super::ClientHandshake::header) describes. On error nothing is appended.
///
/// # Examples
///
/// ```
/// use tickwire::ws::handshake::{self, HandshakeLimits};
///
/// let head = b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\
///              Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
/// let error = handshake::parse_request(head, &HandshakeLimits::default()).unwrap_err();
/// let status = error.reject_status().unwrap();
/// assert_eq!(status, 426);
///
/// let mut out = Vec::new();
/// handshake::write_reject(status, &[], &mut out).unwrap();
/// assert!(out.starts_with(b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n"));
/// ```
pub fn write_reject(
    status: u16,
    extra_headers: &[(&str, &str)],
    out: &mut Vec<u8>,
) -> Result<(), HandshakeError> {
    if !(400..=599).contains(&status) {
        return Err(HandshakeError::InvalidRejectStatus(status));
    }
    for (name, value) in extra_headers {
        check_extra_header(name, value)?;
    }
    // Three digits: 400..=599 was checked above.
    let digits = [
        b'0' + (status / 100) as u8,
        b'0' + (status / 10 % 10) as u8,
        b'0' + (status % 10) as u8,
    ];
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(&digits);
    out.push(b' ');
    out.extend_from_slice(reason_phrase(status).as_bytes());
    out.extend_from_slice(b"\r\n");
    if status == 426 {
        out.extend_from_slice(
            b"Sec-WebSocket-Version: 13\r\nUpgrade: websocket\r\nConnection: Upgrade, close\r\n",
        );
    } else {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"Content-Length: 0\r\n");
    for (name, value) in extra_headers {
        push_header(out, name, value);
    }
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// The reason phrase for the statuses a handshake commonly refuses with;
/// empty (which HTTP/1.1 allows) for the rest.
fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}
