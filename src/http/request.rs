//! [`RequestWriter`]: HTTP/1.1 requests built in place, zero-copy.
//!
//! One writer per connection. The host line, `Connection: keep-alive` and
//! the default headers are serialised once, at build time; a request copies
//! only what changes (method, path, query, its own headers, body) into a
//! buffer allocated once. Every caller-supplied byte is checked before it is
//! written: nothing that could end a line reaches the buffer.
//!
//! `finish()` seals the request and returns a [`Request`]: a small owned
//! handle, not a borrow, so a caller can hold it while borrowing the
//! connection that sends it (the contract example in `docs/http.md`). The
//! bytes stay in the writer until the next request replaces them.

use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};

use super::error::RequestError;

/// Default request buffer size: 8 KiB.
pub const DEFAULT_REQUEST_CAPACITY: usize = 8 * 1024;

/// Headers the writer writes itself and a caller may not add.
const RESERVED: [&str; 4] = ["host", "content-length", "transfer-encoding", "connection"];

/// Writer ids: a handle names the writer that sealed it.
static NEXT_WRITER_ID: AtomicU64 = AtomicU64::new(1);

/// An HTTP request method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// GET
    Get,
    /// HEAD: its response has no body.
    Head,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
    /// OPTIONS
    Options,
}

impl Method {
    /// The method as it goes on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Head => "HEAD",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
            Self::Options => "OPTIONS",
        }
    }

    /// Methods whose request normally carries a body: an empty one is sent
    /// as `Content-Length: 0` so servers that insist on a length are happy.
    const fn expects_body(self) -> bool {
        matches!(self, Self::Post | Self::Put | Self::Patch)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A sealed request: which writer holds its bytes, and which of its
/// requests it is. Cheap to copy; holds no borrow.
///
/// Read the bytes with [`RequestWriter::bytes`]; they stay valid until the
/// writer starts its next request, after which the handle is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    writer: u64,
    generation: u64,
    len: usize,
    method: Method,
}

impl Request {
    /// The request's length on the wire, in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: a request has at least a request line.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The request's method (a response to `HEAD` has no body).
    pub fn method(&self) -> Method {
        self.method
    }
}

/// What a [`RequestSigner`] sees: the request's final bytes, before it is
/// sealed.
#[derive(Debug, Clone, Copy)]
pub struct SignInput<'a> {
    /// The method.
    pub method: Method,
    /// The request target as written: path and query, percent-encoded.
    pub target: &'a [u8],
    /// The query string without its `?` (empty when there is none).
    pub query: &'a [u8],
    /// The body (empty when there is none).
    pub body: &'a [u8],
}

/// Where a [`RequestSigner`] writes the headers it computes (a signature,
/// a timestamp), straight into the writer's buffer.
#[derive(Debug)]
pub struct SignedHeaders<'a> {
    spare: &'a mut [u8],
    written: usize,
}

impl SignedHeaders<'_> {
    /// Adds `name: value` to the request.
    pub fn header(&mut self, name: &str, value: &[u8]) -> Result<(), RequestError> {
        check_header(name, value)?;
        let needed = name.len() + value.len() + 4;
        let Some(dst) = self.spare.get_mut(self.written..self.written + needed) else {
            return Err(RequestError::BufferFull {
                needed: self.written + needed,
                capacity: self.spare.len(),
            });
        };
        let (n, rest) = dst.split_at_mut(name.len());
        n.copy_from_slice(name.as_bytes());
        rest[..2].copy_from_slice(b": ");
        rest[2..2 + value.len()].copy_from_slice(value);
        rest[2 + value.len()..].copy_from_slice(b"\r\n");
        self.written += needed;
        Ok(())
    }
}

/// A hook that computes headers from a request's final target and body,
/// run inside `finish()` before the request is sealed: an exchange's HMAC
/// signature, for instance. No second buffer is involved.
///
/// Any `FnMut(&SignInput, &mut SignedHeaders) -> Result<(), RequestError>`
/// that is `Send` is a signer.
pub trait RequestSigner: Send {
    /// Adds headers computed from `input`.
    fn sign(
        &mut self,
        input: &SignInput<'_>,
        headers: &mut SignedHeaders<'_>,
    ) -> Result<(), RequestError>;
}

impl<F> RequestSigner for F
where
    F: FnMut(&SignInput<'_>, &mut SignedHeaders<'_>) -> Result<(), RequestError> + Send,
{
    fn sign(
        &mut self,
        input: &SignInput<'_>,
        headers: &mut SignedHeaders<'_>,
    ) -> Result<(), RequestError> {
        self(input, headers)
    }
}

/// Configures a [`RequestWriter`].
pub struct RequestWriterBuilder {
    host: String,
    base_path: String,
    defaults: Vec<u8>,
    capacity: usize,
    signer: Option<Box<dyn RequestSigner>>,
}

impl RequestWriterBuilder {
    /// Adds a header sent with every request (an API key, a user agent).
    ///
    /// # Errors
    ///
    /// The name must be a token, the value free of control bytes other than
    /// tab, and the header not one the writer manages.
    pub fn default_header(mut self, name: &str, value: &str) -> Result<Self, RequestError> {
        check_header(name, value.as_bytes())?;
        push_header(&mut self.defaults, name, value.as_bytes());
        Ok(self)
    }

    /// A prefix put in front of every request path (`/api/v3`).
    pub fn base_path(mut self, prefix: &str) -> Self {
        self.base_path = prefix.trim_end_matches('/').to_owned();
        self
    }

    /// The request buffer size (default 8 KiB): the largest request, body
    /// included, this writer can build.
    pub fn capacity(mut self, bytes: usize) -> Self {
        self.capacity = bytes;
        self
    }

    /// Installs a signing hook run by every `finish()`.
    pub fn signer(mut self, signer: impl RequestSigner + 'static) -> Self {
        self.signer = Some(Box::new(signer));
        self
    }

    /// Builds the writer, allocating its buffer once.
    ///
    /// # Errors
    ///
    /// A host or base path with bytes that cannot go on the wire.
    pub fn build(self) -> Result<RequestWriter, RequestError> {
        if self.host.is_empty() || !self.host.bytes().all(is_host_byte) {
            return Err(RequestError::CrlfInjection);
        }
        check_path(&self.base_path, true)?;
        let mut fixed = Vec::with_capacity(64 + self.defaults.len());
        fixed.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        fixed.extend_from_slice(self.host.as_bytes());
        fixed.extend_from_slice(b"\r\nConnection: keep-alive\r\n");
        fixed.extend_from_slice(&self.defaults);
        Ok(RequestWriter {
            id: NEXT_WRITER_ID.fetch_add(1, Ordering::Relaxed),
            generation: 0,
            sealed: false,
            storage: vec![0u8; self.capacity].into_boxed_slice(),
            len: 0,
            fixed: fixed.into_boxed_slice(),
            base_path: self.base_path.into_boxed_str(),
            signer: self.signer,
        })
    }
}

impl fmt::Debug for RequestWriterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestWriterBuilder")
            .field("host", &self.host)
            .field("base_path", &self.base_path)
            .field("capacity", &self.capacity)
            .field("signer", &self.signer.is_some())
            .finish_non_exhaustive()
    }
}

/// Builds HTTP/1.1 requests for one connection.
///
/// # Examples
///
/// ```
/// use tickwire::http::RequestWriter;
///
/// let mut writer = RequestWriter::builder("api.exchange.com")
///     .default_header("X-API-KEY", "k3y")?
///     .base_path("/api/v3")
///     .build()?;
/// let req = writer
///     .get("/ticker")
///     .query("symbol", "BTC-USD")
///     .query("depth", "5")
///     .finish()?;
/// let bytes = writer.bytes(&req)?;
/// assert!(bytes.starts_with(b"GET /api/v3/ticker?symbol=BTC-USD&depth=5 HTTP/1.1\r\n"));
/// assert!(bytes.ends_with(b"X-API-KEY: k3y\r\n\r\n"));
/// # Ok::<(), tickwire::http::RequestError>(())
/// ```
pub struct RequestWriter {
    id: u64,
    generation: u64,
    sealed: bool,
    storage: Box<[u8]>,
    len: usize,
    /// " HTTP/1.1\r\nHost: ..\r\nConnection: keep-alive\r\n" + defaults.
    fixed: Box<[u8]>,
    base_path: Box<str>,
    signer: Option<Box<dyn RequestSigner>>,
}

impl RequestWriter {
    /// A builder for a writer whose requests go to `host` (with `:port` if
    /// not the scheme's default).
    pub fn builder(host: &str) -> RequestWriterBuilder {
        RequestWriterBuilder {
            host: host.to_owned(),
            base_path: String::new(),
            defaults: Vec::new(),
            capacity: DEFAULT_REQUEST_CAPACITY,
            signer: None,
        }
    }

    /// Starts a GET request for `path` (below the base path).
    pub fn get(&mut self, path: &str) -> RequestBuilder<'_, Target> {
        self.request(Method::Get, path)
    }

    /// Starts a POST request.
    pub fn post(&mut self, path: &str) -> RequestBuilder<'_, Target> {
        self.request(Method::Post, path)
    }

    /// Starts a PUT request.
    pub fn put(&mut self, path: &str) -> RequestBuilder<'_, Target> {
        self.request(Method::Put, path)
    }

    /// Starts a PATCH request.
    pub fn patch(&mut self, path: &str) -> RequestBuilder<'_, Target> {
        self.request(Method::Patch, path)
    }

    /// Starts a DELETE request.
    pub fn delete(&mut self, path: &str) -> RequestBuilder<'_, Target> {
        self.request(Method::Delete, path)
    }

    /// Starts a request with any method. The previous request's bytes are
    /// replaced (its handle becomes stale).
    pub fn request(&mut self, method: Method, path: &str) -> RequestBuilder<'_, Target> {
        self.sealed = false;
        self.len = 0;
        let mut builder = RequestBuilder {
            writer: self,
            method,
            error: None,
            target_start: 0,
            query_start: 0,
            has_query: false,
            body_start: 0,
            _state: PhantomData,
        };
        builder.put(method.as_str().as_bytes());
        builder.put(b" ");
        builder.target_start = builder.writer.len;
        if let Err(e) = check_path(path, false) {
            builder.fail(e);
        }
        let base = std::mem::take(&mut builder.writer.base_path);
        builder.put(base.as_bytes());
        builder.writer.base_path = base;
        builder.put(path.as_bytes());
        if let (Some(q), None) = (path.find('?'), &builder.error) {
            builder.has_query = true;
            builder.query_start = builder.writer.len - (path.len() - q - 1);
        }
        builder
    }

    /// The bytes of a sealed request, exactly as they go on the wire.
    ///
    /// # Errors
    ///
    /// [`RequestError::StaleRequest`] if `request` came from another writer
    /// or a later request has replaced it.
    pub fn bytes(&self, request: &Request) -> Result<&[u8], RequestError> {
        if request.writer != self.id || request.generation != self.generation || !self.sealed {
            return Err(RequestError::StaleRequest);
        }
        Ok(&self.storage[..request.len])
    }

    /// The largest request this writer can build.
    pub fn capacity(&self) -> usize {
        self.storage.len()
    }
}

impl fmt::Debug for RequestWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestWriter")
            .field("capacity", &self.storage.len())
            .field("generation", &self.generation)
            .field("signer", &self.signer.is_some())
            .finish_non_exhaustive()
    }
}

/// Typestate: the request target (path and query) is being written.
#[derive(Debug)]
pub enum Target {}
/// Typestate: headers are being written; no more query parameters.
#[derive(Debug)]
pub enum Headers {}
/// Typestate: the body is written; only `finish` remains.
#[derive(Debug)]
pub enum Body {}

/// A request under construction. Errors are held and reported by
/// [`finish`](Self::finish), so calls chain without `?` at every step.
pub struct RequestBuilder<'w, S> {
    writer: &'w mut RequestWriter,
    method: Method,
    error: Option<RequestError>,
    target_start: usize,
    query_start: usize,
    has_query: bool,
    body_start: usize,
    _state: PhantomData<S>,
}

impl<S> fmt::Debug for RequestBuilder<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("len", &self.writer.len)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl<'w, S> RequestBuilder<'w, S> {
    fn fail(&mut self, error: RequestError) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    /// Appends `bytes` if no error has happened and they fit.
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        if self.error.is_some() {
            return;
        }
        let w = &mut *self.writer;
        match w.storage.get_mut(w.len..w.len + bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                w.len += bytes.len();
            }
            None => {
                let needed = w.len + bytes.len();
                let capacity = w.storage.len();
                self.fail(RequestError::BufferFull { needed, capacity });
            }
        }
    }

    fn into_state<T>(self) -> RequestBuilder<'w, T> {
        RequestBuilder {
            writer: self.writer,
            method: self.method,
            error: self.error,
            target_start: self.target_start,
            query_start: self.query_start,
            has_query: self.has_query,
            body_start: self.body_start,
            _state: PhantomData,
        }
    }

    fn header_inner(&mut self, name: &str, value: &[u8]) {
        if let Err(e) = check_header(name, value) {
            self.fail(e);
            return;
        }
        self.put(name.as_bytes());
        self.put(b": ");
        self.put(value);
        self.put(b"\r\n");
    }

    fn write_body(&mut self, body: &[u8]) {
        let mut digits = itoa_buf();
        let n = format_usize(body.len(), &mut digits);
        self.put(b"Content-Length: ");
        self.put(&digits[n..]);
        self.put(b"\r\n\r\n");
        self.body_start = self.writer.len;
        self.put(body);
    }

    fn write_body_with<F>(&mut self, fill: F)
    where
        F: FnOnce(&mut BodySink<'_>) -> Result<(), RequestError>,
    {
        self.put(b"\r\n");
        self.body_start = self.writer.len;
        if self.error.is_some() {
            return;
        }
        let w = &mut *self.writer;
        let mut sink = BodySink {
            spare: &mut w.storage[w.len..],
            written: 0,
        };
        let result = fill(&mut sink);
        let written = sink.written;
        if let Err(e) = result {
            self.fail(e);
            return;
        }
        w.len += written;
        // Content-Length goes in front of the blank line: append it, then
        // rotate it into place (the body moves once, in place).
        let blank = self.body_start - 2;
        let mut digits = itoa_buf();
        let n = format_usize(written, &mut digits);
        let end = self.writer.len;
        self.put(b"Content-Length: ");
        self.put(&digits[n..]);
        self.put(b"\r\n");
        if self.error.is_none() {
            let added = self.writer.len - end;
            self.writer.storage[blank..self.writer.len].rotate_right(added);
            self.body_start += added;
        }
    }

    fn finish_inner(mut self) -> Result<Request, RequestError> {
        if self.body_start == 0 {
            if self.method.expects_body() {
                self.put(b"Content-Length: 0\r\n");
            }
            self.put(b"\r\n");
            self.body_start = self.writer.len;
        }
        if let Some(e) = self.error.take() {
            self.writer.len = 0;
            return Err(e);
        }
        let w = &mut *self.writer;
        if let Some(signer) = w.signer.as_mut() {
            let (used, spare) = w.storage.split_at_mut(w.len);
            let target_end = used[self.target_start..]
                .iter()
                .position(|&b| b == b' ')
                .map_or(self.target_start, |i| self.target_start + i);
            let input = SignInput {
                method: self.method,
                target: &used[self.target_start..target_end],
                query: if self.has_query {
                    &used[self.query_start..target_end]
                } else {
                    &[]
                },
                body: &used[self.body_start..],
            };
            let mut headers = SignedHeaders { spare, written: 0 };
            if let Err(e) = signer.sign(&input, &mut headers) {
                w.len = 0;
                return Err(e);
            }
            let added = headers.written;
            if added > 0 {
                let blank = self.body_start - 2;
                w.storage[blank..w.len + added].rotate_right(added);
                w.len += added;
            }
        }
        w.generation += 1;
        w.sealed = true;
        Ok(Request {
            writer: w.id,
            generation: w.generation,
            len: w.len,
            method: self.method,
        })
    }

    fn start_headers(&mut self) {
        let fixed = std::mem::take(&mut self.writer.fixed);
        self.put(&fixed);
        self.writer.fixed = fixed;
    }
}

impl<'w> RequestBuilder<'w, Target> {
    /// Adds a query parameter, percent-encoding key and value (RFC 3986:
    /// everything but `A-Z a-z 0-9 - . _ ~`).
    pub fn query(mut self, key: &str, value: &str) -> Self {
        if has_crlf(key.as_bytes()) || has_crlf(value.as_bytes()) {
            self.fail(RequestError::CrlfInjection);
            return self;
        }
        self.query_separator();
        self.put_encoded(key.as_bytes());
        self.put(b"=");
        self.put_encoded(value.as_bytes());
        self
    }

    /// Adds an already encoded query component as is (`a=1&b=2`). It may
    /// not hold a space, `#` or a control byte.
    pub fn query_raw(mut self, encoded: &str) -> Self {
        if has_crlf(encoded.as_bytes()) {
            self.fail(RequestError::CrlfInjection);
            return self;
        }
        if !encoded.bytes().all(|b| b > b' ' && b != b'#' && b != 0x7f) {
            self.fail(RequestError::InvalidPath);
            return self;
        }
        self.query_separator();
        self.put(encoded.as_bytes());
        self
    }

    /// Adds a header; no query parameters may follow.
    pub fn header(self, name: &str, value: &str) -> RequestBuilder<'w, Headers> {
        let mut next = self.into_headers();
        next.header_inner(name, value.as_bytes());
        next
    }

    /// Sets the body (with its `Content-Length`).
    pub fn body(self, body: &[u8]) -> RequestBuilder<'w, Body> {
        self.into_headers().body(body)
    }

    /// Writes the body in place with `fill`; `Content-Length` is filled in
    /// afterwards.
    pub fn body_writer<F>(self, fill: F) -> RequestBuilder<'w, Body>
    where
        F: FnOnce(&mut BodySink<'_>) -> Result<(), RequestError>,
    {
        self.into_headers().body_writer(fill)
    }

    /// Seals the request.
    ///
    /// # Errors
    ///
    /// The first error any step hit, or the signer's.
    pub fn finish(self) -> Result<Request, RequestError> {
        self.into_headers().finish()
    }

    fn into_headers(mut self) -> RequestBuilder<'w, Headers> {
        self.start_headers();
        self.into_state()
    }

    fn query_separator(&mut self) {
        if self.has_query {
            self.put(b"&");
        } else {
            self.put(b"?");
            self.query_start = self.writer.len;
            self.has_query = true;
        }
    }

    fn put_encoded(&mut self, raw: &[u8]) {
        if self.error.is_some() {
            return;
        }
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let w = &mut *self.writer;
        let start = w.len;
        let mut pos = start;
        for &b in raw {
            let unreserved = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
            let width = if unreserved { 1 } else { 3 };
            let Some(dst) = w.storage.get_mut(pos..pos + width) else {
                let needed = pos + width;
                let capacity = w.storage.len();
                self.fail(RequestError::BufferFull { needed, capacity });
                return;
            };
            if unreserved {
                dst[0] = b;
            } else {
                dst[0] = b'%';
                dst[1] = HEX[usize::from(b >> 4)];
                dst[2] = HEX[usize::from(b & 15)];
            }
            pos += width;
        }
        w.len = pos;
    }
}

impl<'w> RequestBuilder<'w, Headers> {
    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.header_inner(name, value.as_bytes());
        self
    }

    /// Sets the body (with its `Content-Length`).
    pub fn body(mut self, body: &[u8]) -> RequestBuilder<'w, Body> {
        self.write_body(body);
        self.into_state()
    }

    /// Writes the body in place with `fill`; `Content-Length` is filled in
    /// afterwards (the body then moves once, in place, by the length of
    /// that header line).
    pub fn body_writer<F>(mut self, fill: F) -> RequestBuilder<'w, Body>
    where
        F: FnOnce(&mut BodySink<'_>) -> Result<(), RequestError>,
    {
        self.write_body_with(fill);
        self.into_state()
    }

    /// Seals the request.
    ///
    /// # Errors
    ///
    /// The first error any step hit, or the signer's.
    pub fn finish(self) -> Result<Request, RequestError> {
        self.finish_inner()
    }
}

impl RequestBuilder<'_, Body> {
    /// Seals the request.
    ///
    /// # Errors
    ///
    /// The first error any step hit, or the signer's.
    pub fn finish(self) -> Result<Request, RequestError> {
        self.finish_inner()
    }
}

/// Where [`RequestBuilder::body_writer`] lets a caller write a body in place.
#[derive(Debug)]
pub struct BodySink<'a> {
    spare: &'a mut [u8],
    written: usize,
}

impl BodySink<'_> {
    /// Appends `bytes` to the body.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), RequestError> {
        let end = self.written + bytes.len();
        let Some(dst) = self.spare.get_mut(self.written..end) else {
            return Err(RequestError::BufferFull {
                needed: end,
                capacity: self.spare.len(),
            });
        };
        dst.copy_from_slice(bytes);
        self.written = end;
        Ok(())
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.written
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.written == 0
    }
}

impl std::io::Write for BodySink<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        BodySink::write(self, buf).map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn has_crlf(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0))
}

fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']' | b'_')
}

/// A path: starts with `/` (or is empty, for a base path), no space, `#` or
/// control byte. A request path may carry a query (`/t?a=1`); a base path
/// may not.
fn check_path(path: &str, base: bool) -> Result<(), RequestError> {
    if has_crlf(path.as_bytes()) {
        return Err(RequestError::CrlfInjection);
    }
    let starts_well = (base && path.is_empty()) || path.starts_with('/');
    let bytes_ok = path
        .bytes()
        .all(|b| b > b' ' && b != 0x7f && b != b'#' && !(base && b == b'?'));
    if starts_well && bytes_ok {
        Ok(())
    } else {
        Err(RequestError::InvalidPath)
    }
}

/// A header a caller may add: token name not managed by the writer, value
/// without control bytes but tab.
fn check_header(name: &str, value: &[u8]) -> Result<(), RequestError> {
    if has_crlf(name.as_bytes()) || has_crlf(value) {
        return Err(RequestError::CrlfInjection);
    }
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    {
        return Err(RequestError::InvalidToken);
    }
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name)) {
        return Err(RequestError::ReservedHeader);
    }
    if !value
        .iter()
        .all(|&b| b == b'\t' || (b >= b' ' && b != 0x7f))
    {
        return Err(RequestError::InvalidHeaderValue);
    }
    Ok(())
}

fn push_header(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

fn itoa_buf() -> [u8; 20] {
    [0u8; 20]
}

/// Writes `n` in decimal at the end of `out`; returns where it starts.
fn format_usize(mut n: usize, out: &mut [u8; 20]) -> usize {
    let mut i = out.len();
    loop {
        i -= 1;
        out[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return i;
        }
    }
}
