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

#![forbid(unsafe_code)]

use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};

use super::builder::{Pending, RequestBuilder, Target, copy_short};
use super::check::{
    check_header, check_path, has_crlf, is_host_byte, push_header, scan_request_path,
};
use super::error::RequestError;
use super::sign::RequestSigner;

/// Default request buffer size: 8 KiB.
pub const DEFAULT_REQUEST_CAPACITY: usize = 8 * 1024;

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
    pub(super) const fn expects_body(self) -> bool {
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
    pub(super) writer: u64,
    pub(super) generation: u64,
    pub(super) len: usize,
    pub(super) method: Method,
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
        if has_crlf(self.host.as_bytes()) {
            return Err(RequestError::CrlfInjection);
        }
        if self.host.is_empty() || !self.host.bytes().all(is_host_byte) {
            return Err(RequestError::InvalidHost);
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
            pending: Pending::new(Method::Get, 0),
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
    pub(super) id: u64,
    pub(super) generation: u64,
    pub(super) sealed: bool,
    pub(super) storage: Box<[u8]>,
    pub(super) len: usize,
    /// " HTTP/1.1\r\nHost: ..\r\nConnection: keep-alive\r\n" + defaults.
    pub(super) fixed: Box<[u8]>,
    pub(super) base_path: Box<str>,
    pub(super) signer: Option<Box<dyn RequestSigner>>,
    /// The request being built, besides its bytes.
    pub(super) pending: Pending,
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
    #[inline]
    pub fn get(&mut self, path: &str) -> RequestBuilder<'_, Target> {
        self.request(Method::Get, path)
    }

    /// Starts a POST request.
    #[inline]
    pub fn post(&mut self, path: &str) -> RequestBuilder<'_, Target> {
        self.request(Method::Post, path)
    }

    /// Starts a PUT request.
    #[inline]
    pub fn put(&mut self, path: &str) -> RequestBuilder<'_, Target> {
        self.request(Method::Put, path)
    }

    /// Starts a PATCH request.
    #[inline]
    pub fn patch(&mut self, path: &str) -> RequestBuilder<'_, Target> {
        self.request(Method::Patch, path)
    }

    /// Starts a DELETE request.
    #[inline]
    pub fn delete(&mut self, path: &str) -> RequestBuilder<'_, Target> {
        self.request(Method::Delete, path)
    }

    /// Starts a request with any method. The previous request's bytes are
    /// replaced (its handle becomes stale).
    #[inline(always)]
    pub fn request(&mut self, method: Method, path: &str) -> RequestBuilder<'_, Target> {
        self.sealed = false;
        self.len = 0;
        let name = method.as_str().as_bytes();
        let target_start = name.len() + 1;
        self.pending = Pending::new(method, target_start);
        // One pass checks the path and finds its `?`; then the request
        // line goes in with one bounds check.
        let query = match scan_request_path(path.as_bytes()) {
            Ok(query) => query,
            Err(e) => {
                self.pending.error = Some(e);
                return self.started();
            }
        };
        let base = self.base_path.as_bytes();
        let path_start = target_start + base.len();
        let end = path_start + path.len();
        let Some(line) = self.storage.get_mut(..end) else {
            let capacity = self.storage.len();
            self.pending.error = Some(RequestError::BufferFull {
                needed: end,
                capacity,
            });
            return self.started();
        };
        let (head, rest) = line.split_at_mut(target_start);
        let (method_name, space) = head.split_at_mut(name.len());
        copy_short(method_name, name);
        space[0] = b' ';
        let (base_dst, path_dst) = rest.split_at_mut(base.len());
        copy_short(base_dst, base);
        copy_short(path_dst, path.as_bytes());
        self.len = end;
        if let Some(q) = query {
            self.pending.has_query = true;
            self.pending.query_start = path_start + q + 1;
        }
        self.started()
    }

    fn started(&mut self) -> RequestBuilder<'_, Target> {
        RequestBuilder {
            writer: self,
            _state: PhantomData,
        }
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
