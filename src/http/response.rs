//! [`ResponseReader`]: HTTP/1.1 responses out of one flat buffer, zero-copy.
//!
//! Owns the read buffer of one connection. The head is parsed in one pass
//! (`head.rs`) and kept as offsets, so a [`RestResponse`] borrows the
//! buffer; a chunked body is decoded in place, so every body is
//! one contiguous slice with no allocation per response. Framing is checked
//! strictly (request-smuggling defences: see `docs/http.md`). Bytes after a
//! complete response stay buffered for the next one. Never reads a socket.

use std::fmt;
use std::time::Duration;

use super::chunked::ChunkedDecoder;
use super::error::ResponseError;
use super::head::{self, HeadError, ParsedHead, Span};
use super::request::Method;
use crate::buf::ReadBuf;

/// Default read buffer capacity: 16 KiB.
pub const DEFAULT_RESPONSE_BUFFER: usize = 16 * 1024;
/// Default head size limit: 8 KiB.
pub const DEFAULT_MAX_HEAD_SIZE: usize = 8 * 1024;
/// Default header count limit: 64.
pub const DEFAULT_MAX_HEADERS: usize = 64;
/// Default body size limit: 16 MiB.
pub const DEFAULT_MAX_BODY_SIZE: usize = 16 * 1024 * 1024;
/// The most headers any reader records.
const HEADER_CAPACITY: usize = 256;

/// Configures a [`ResponseReader`].
#[derive(Debug, Clone)]
pub struct ResponseReaderBuilder {
    buffer_capacity: usize,
    max_head_size: usize,
    max_headers: usize,
    max_body_size: usize,
    pipelining: bool,
}

impl ResponseReaderBuilder {
    /// Initial buffer size (default 16 KiB); it grows, within the limits,
    /// for a larger response.
    pub fn buffer_capacity(mut self, bytes: usize) -> Self {
        self.buffer_capacity = bytes.max(64);
        self
    }

    /// Largest head (status line and headers), and separately the largest
    /// trailer section (default 8 KiB).
    pub fn max_head_size(mut self, bytes: usize) -> Self {
        // Header positions are kept as u32 offsets.
        self.max_head_size = bytes.clamp(16, u32::MAX as usize / 2);
        self
    }

    /// Most headers accepted (default 64, at most 256).
    pub fn max_headers(mut self, count: usize) -> Self {
        self.max_headers = count.clamp(1, HEADER_CAPACITY);
        self
    }

    /// Whether requests are pipelined on this connection (default false).
    ///
    /// Bytes after a complete response are kept for the next `next()` call
    /// either way. Without pipelining no request is outstanding once a
    /// response is complete, so such bytes are a protocol violation (RFC 9112
    /// section 6.3: "a client MUST NOT process ... such extra data as a
    /// separate response"): the response then reports `is_keep_alive()`
    /// false, and a pool closes the connection instead of reading the extra
    /// bytes as the next request's answer.
    pub fn pipelining(mut self, enabled: bool) -> Self {
        self.pipelining = enabled;
        self
    }

    /// Largest body accepted (default 16 MiB).
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// Builds the reader, allocating its buffers once.
    pub fn build(self) -> ResponseReader {
        let limit = self.buffer_capacity.max(
            self.max_head_size
                .saturating_mul(2)
                .saturating_add(self.max_body_size)
                .saturating_add(4096),
        );
        ResponseReader {
            buf: ReadBuf::with_capacity(self.buffer_capacity),
            limit,
            max_head_size: self.max_head_size,
            max_headers: self.max_headers,
            max_body_size: self.max_body_size,
            spans: vec![Span::default(); self.max_headers].into_boxed_slice(),
            head: Head::default(),
            decoder: ChunkedDecoder::new(self.max_body_size, self.max_head_size),
            in_body: false,
            informational_seen: false,
            pipelining: self.pipelining,
            initial_capacity: self.buffer_capacity,
            consumed: 0,
            eof: false,
            error: None,
        }
    }
}

/// How the body of the response in flight is delimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Framing {
    /// No body (HEAD, 1xx, 204, 304).
    #[default]
    Empty,
    /// `Content-Length` bytes.
    Length(usize),
    /// Chunked, decoded in place.
    Chunked,
    /// Everything until the server closes.
    UntilClose,
}

/// What the head of the response in flight said.
#[derive(Debug, Clone, Default)]
struct Head {
    /// What the parser wrote, in place (its `keep_alive` is the version's
    /// and the `Connection` header's say; [`Head::keep_alive`] is final).
    parsed: ParsedHead,
    keep_alive: bool,
    framing: Framing,
    /// The body, once complete: offset and length from the response start.
    body: (usize, usize),
}

/// Reads HTTP/1.1 responses from the bytes of one connection.
///
/// Feed bytes with [`read`](Self::read) or [`spare`](Self::spare) and
/// [`filled`](Self::filled); call [`next`](Self::next) with the method of
/// the request being answered. When the server closes the connection, say
/// so with [`mark_eof`](Self::mark_eof): a body that runs until close is
/// then complete.
///
/// # Examples
///
/// ```
/// use tickwire::http::{Method, ResponseReader};
///
/// let mut reader = ResponseReader::builder().build();
/// reader.read(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
///               Transfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n")?;
/// let resp = reader.next(Method::Get)?.expect("complete");
/// assert_eq!(resp.status(), 200);
/// assert_eq!(resp.header_str("content-type"), Some("application/json"));
/// assert_eq!(resp.body(), br#"{"a":1}"#); // de-chunked in place
/// assert!(resp.is_keep_alive());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ResponseReader {
    buf: ReadBuf,
    limit: usize,
    max_head_size: usize,
    max_headers: usize,
    max_body_size: usize,
    spans: Box<[Span]>,
    head: Head,
    decoder: ChunkedDecoder,
    in_body: bool,
    /// A 1xx head was skipped: the final response has started.
    informational_seen: bool,
    pipelining: bool,
    initial_capacity: usize,
    /// Bytes of the last response handed out, consumed at the next call.
    consumed: usize,
    eof: bool,
    error: Option<ResponseError>,
}

impl ResponseReader {
    /// A builder with the defaults: 16 KiB buffer, 8 KiB head, 64 headers,
    /// 16 MiB body.
    pub fn builder() -> ResponseReaderBuilder {
        ResponseReaderBuilder {
            buffer_capacity: DEFAULT_RESPONSE_BUFFER,
            max_head_size: DEFAULT_MAX_HEAD_SIZE,
            max_headers: DEFAULT_MAX_HEADERS,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            pipelining: false,
        }
    }

    /// Free space to read socket bytes into, grown within the limits when
    /// the response in flight needs it. Empty only when the buffer is at its
    /// limit (the next `next` call then reports the breach).
    pub fn spare(&mut self) -> &mut [u8] {
        self.release();
        if self.buf.spare().is_empty() {
            self.buf.compact();
            if self.buf.spare().is_empty() {
                let want = self.buf.capacity().saturating_mul(2).min(self.limit);
                let _ = self.buf.grow_to(want, self.limit);
            }
        }
        self.buf.spare()
    }

    /// Marks `n` bytes of [`spare`](Self::spare) as received.
    pub fn filled(&mut self, n: usize) {
        self.buf.filled(n);
    }

    /// Copies in as many of `bytes` as fit and returns how many it took.
    ///
    /// # Errors
    ///
    /// [`BufferFull`](crate::buf::BufferFull) when not one byte fits.
    pub fn read(&mut self, bytes: &[u8]) -> Result<usize, crate::buf::BufferFull> {
        self.release();
        let spare = self.buf.spare();
        if bytes.len() <= spare.len() && !bytes.is_empty() {
            // Room for all of it: the common case, one copy.
            spare[..bytes.len()].copy_from_slice(bytes);
            self.buf.filled(bytes.len());
            return Ok(bytes.len());
        }
        self.read_more(bytes)
    }

    /// [`read`](Self::read) when `bytes` is empty or does not fit as the
    /// buffer stands: compacts or grows it first.
    #[inline(never)]
    fn read_more(&mut self, bytes: &[u8]) -> Result<usize, crate::buf::BufferFull> {
        if bytes.is_empty() {
            return Ok(0);
        }
        if self.buf.spare().len() < bytes.len() {
            self.buf.compact();
            let want = self.buf.len().saturating_add(bytes.len()).min(self.limit);
            let _ = self.buf.grow_to(want, self.limit);
        }
        let spare = self.buf.spare();
        let n = spare.len().min(bytes.len());
        if n == 0 {
            return Err(crate::buf::BufferFull {
                needed: self.buf.len() + bytes.len(),
                limit: self.limit,
            });
        }
        spare[..n].copy_from_slice(&bytes[..n]);
        self.buf.filled(n);
        Ok(n)
    }

    /// Records that the server closed the connection: no more bytes will
    /// come. A body that runs until close is complete; any other response
    /// still in flight is [`ResponseError::UnexpectedEof`].
    pub fn mark_eof(&mut self) {
        self.eof = true;
    }

    /// Bytes buffered beyond the last response handed out (the start of the
    /// next, pipelined response).
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.consumed.min(self.buf.len())
    }

    /// Whether a response is partly read (head in, body not complete).
    pub fn is_mid_response(&self) -> bool {
        self.in_body || self.informational_seen || self.buffered() > 0
    }

    /// Reads the next response to a request made with `method`, if the
    /// buffered bytes complete it. `Ok(None)` means more bytes are needed.
    ///
    /// Informational (1xx) heads other than 101 are skipped. After an error
    /// the reader is spent: every later call returns the same error, and the
    /// connection must not be reused.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self, method: Method) -> Result<Option<RestResponse<'_>>, ResponseError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        self.release();
        match self.advance(method) {
            Ok(true) => Ok(Some(RestResponse { reader: self })),
            Ok(false) => Ok(None),
            Err(e) => {
                self.error = Some(e.clone());
                Err(e)
            }
        }
    }

    #[inline]
    fn release(&mut self) {
        if self.consumed > 0 {
            self.buf.advance(self.consumed);
            self.consumed = 0;
            // One huge response must not pin its buffer for the
            // connection's life: give it back once drained (this allocates,
            // but only after a response at least 4x the configured buffer).
            if self.buf.is_empty() && self.buf.capacity() > 4 * self.initial_capacity {
                self.buf = ReadBuf::with_capacity(self.initial_capacity);
            }
        }
    }

    /// Moves the response in flight as far as the bytes allow; true when it
    /// is complete.
    fn advance(&mut self, method: Method) -> Result<bool, ResponseError> {
        loop {
            if !self.in_body {
                if !self.parse_head(method)? {
                    if self.eof && (!self.buf.is_empty() || self.informational_seen) {
                        return Err(ResponseError::UnexpectedEof);
                    }
                    return Ok(false);
                }
                let status = self.head.parsed.status;
                let informational = (100..200).contains(&status);
                if informational && status != 101 {
                    self.buf.advance(self.head.parsed.len);
                    self.informational_seen = true;
                    continue;
                }
                self.informational_seen = false;
                self.in_body = true;
                if self.head.framing == Framing::Chunked {
                    self.decoder.reset();
                }
            }
            let head_len = self.head.parsed.len;
            let data_len = self.buf.len();
            let mut body_start = head_len;
            let done = match self.head.framing {
                Framing::Empty => Some((0, 0)),
                Framing::Length(n) => (data_len >= head_len + n).then_some((n, n)),
                Framing::Chunked => {
                    let body = &mut self.buf.data_mut()[head_len..];
                    if self.decoder.decode(body)? {
                        body_start += self.decoder.body_range().start;
                        Some((self.decoder.decoded(), self.decoder.consumed()))
                    } else {
                        let freed = self.decoder.compact(body);
                        self.buf.drop_back(freed);
                        None
                    }
                }
                Framing::UntilClose => {
                    let len = data_len - head_len;
                    if len > self.max_body_size {
                        return Err(ResponseError::BodyTooLarge {
                            size: len as u64,
                            limit: self.max_body_size,
                        });
                    }
                    self.eof.then_some((len, len))
                }
            };
            let Some((body_len, encoded_len)) = done else {
                if self.eof {
                    return Err(ResponseError::UnexpectedEof);
                }
                return Ok(false);
            };
            self.head.body = (body_start, body_len);
            self.consumed = head_len + encoded_len;
            self.in_body = false;
            if !self.pipelining && data_len > self.consumed {
                // Unsolicited bytes after the response: see `pipelining`.
                self.head.keep_alive = false;
            }
            return Ok(true);
        }
    }

    /// Parses the head at the front of the buffer; false if incomplete.
    fn parse_head(&mut self, method: Method) -> Result<bool, ResponseError> {
        let data = self.buf.data();
        let window = &data[..data.len().min(self.max_head_size)];
        match head::parse_into(window, &mut self.spans, &mut self.head.parsed) {
            Ok(true) => {}
            Ok(false) if data.len() >= self.max_head_size => {
                return Err(ResponseError::HeadTooLarge {
                    limit: self.max_head_size,
                });
            }
            Ok(false) => return Ok(false),
            Err(HeadError::TooManyHeaders) => {
                return Err(ResponseError::TooManyHeaders {
                    limit: self.max_headers,
                });
            }
            Err(HeadError::Malformed) => return Err(ResponseError::MalformedHead),
        }
        let parsed = &self.head.parsed;
        let status = parsed.status;
        if !(100..=599).contains(&status) {
            return Err(ResponseError::MalformedHead);
        }
        if let Some(e) = &parsed.framing_error {
            return Err(e.clone());
        }
        if parsed.chunked && parsed.content_length.is_some() {
            return Err(ResponseError::LengthAndTransferEncoding);
        }
        let no_body = method == Method::Head
            || (100..200).contains(&status)
            || status == 204
            || status == 304;
        let framing = if no_body {
            Framing::Empty
        } else if parsed.chunked {
            Framing::Chunked
        } else if let Some(n) = parsed.content_length {
            if n > self.max_body_size {
                return Err(ResponseError::BodyTooLarge {
                    size: n as u64,
                    limit: self.max_body_size,
                });
            }
            Framing::Length(n)
        } else {
            Framing::UntilClose
        };
        // RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 means faulty framing;
        // read the message, then close.
        self.head.keep_alive = parsed.keep_alive
            && !(framing == Framing::UntilClose
                || status == 101
                || (parsed.chunked && parsed.minor == 0));
        self.head.framing = framing;
        self.head.body = (0, 0);
        Ok(true)
    }

    fn slice(&self, (start, len): (u32, u32)) -> &[u8] {
        let data = self.buf.data();
        let start = start as usize;
        data.get(start..start + len as usize).unwrap_or(&[])
    }
}

impl fmt::Debug for ResponseReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseReader")
            .field("buffered", &self.buffered())
            .field("in_body", &self.in_body)
            .field("eof", &self.eof)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

/// A complete response, borrowed from the reader: valid until the reader's
/// next call. Nothing was copied to hand it out.
pub struct RestResponse<'a> {
    reader: &'a ResponseReader,
}

impl<'a> RestResponse<'a> {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.reader.head.parsed.status
    }

    /// The reason phrase (may be empty).
    pub fn reason(&self) -> &'a str {
        std::str::from_utf8(self.reader.slice(self.reader.head.parsed.reason)).unwrap_or("")
    }

    /// The HTTP minor version: 1 for HTTP/1.1, 0 for HTTP/1.0.
    pub fn version_minor(&self) -> u8 {
        self.reader.head.parsed.minor
    }

    /// The first header called `name` (ASCII case-insensitive), as bytes.
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The first header called `name`, if its value is UTF-8.
    pub fn header_str(&self, name: &str) -> Option<&'a str> {
        self.header(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Every header, in order, as (name, value).
    pub fn headers(&self) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        let reader = self.reader;
        reader.spans[..reader.head.parsed.header_count]
            .iter()
            .map(move |span| {
                let name = std::str::from_utf8(reader.slice(span.name)).unwrap_or("");
                (name, reader.slice(span.value))
            })
    }

    /// The body: decoded (de-chunked), contiguous, borrowed.
    pub fn body(&self) -> &'a [u8] {
        let (start, len) = self.reader.head.body;
        self.reader
            .buf
            .data()
            .get(start..start + len)
            .unwrap_or(&[])
    }

    /// The body as UTF-8 (JSON, typically).
    pub fn body_str(&self) -> Result<&'a str, std::str::Utf8Error> {
        std::str::from_utf8(self.body())
    }

    /// Whether the connection may carry another request: false for
    /// `Connection: close`, HTTP/1.0 without keep-alive, a body read until
    /// close, and 101.
    pub fn is_keep_alive(&self) -> bool {
        self.reader.head.keep_alive
    }

    /// The server's `Keep-Alive: timeout=N`, so a pool can retire an idle
    /// connection before the server does.
    pub fn keep_alive_timeout(&self) -> Option<Duration> {
        self.reader
            .head
            .parsed
            .keep_alive_timeout
            .map(|s| Duration::from_secs(u64::from(s)))
    }
}

impl fmt::Debug for RestResponse<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestResponse")
            .field("status", &self.status())
            .field("headers", &self.reader.head.parsed.header_count)
            .field("body_len", &self.body().len())
            .field("keep_alive", &self.is_keep_alive())
            .finish()
    }
}
