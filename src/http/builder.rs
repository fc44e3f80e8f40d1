//! [`RequestBuilder`]: the typestate builder a [`RequestWriter`] hands out,
//! and [`BodySink`], where a body is written in place.
//!
//! States go one way: target (path and query) -> headers -> body ->
//! `finish()`. Errors are held and reported by `finish`, and a refused
//! request leaves nothing sealed in the writer.

use std::fmt;
use std::marker::PhantomData;

use super::check::{check_header, format_usize, has_crlf, itoa_buf, unreserved_run};
use super::error::RequestError;
use super::request::{Method, Request, RequestWriter};
use super::sign::{SignInput, SignedHeaders};

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
    pub(super) writer: &'w mut RequestWriter,
    pub(super) method: Method,
    pub(super) error: Option<RequestError>,
    pub(super) target_start: usize,
    pub(super) query_start: usize,
    pub(super) has_query: bool,
    pub(super) body_start: usize,
    pub(super) _state: PhantomData<S>,
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
    pub(super) fn fail(&mut self, error: RequestError) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    /// Appends `bytes` if no error has happened and they fit.
    #[inline]
    pub(super) fn put(&mut self, bytes: &[u8]) {
        self.put_parts(&[bytes]);
    }

    /// Appends several pieces with one bounds check.
    #[inline]
    pub(super) fn put_parts(&mut self, parts: &[&[u8]]) {
        if self.error.is_some() {
            return;
        }
        let w = &mut *self.writer;
        if let Err(e) = append(&mut w.storage, &mut w.len, parts) {
            self.fail(e);
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
        self.put_parts(&[name.as_bytes(), b": ", value, b"\r\n"]);
    }

    fn write_body(&mut self, body: &[u8]) {
        let mut digits = itoa_buf();
        let n = format_usize(body.len(), &mut digits);
        self.put_parts(&[b"Content-Length: ", &digits[n..], b"\r\n\r\n"]);
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
        if self.error.is_some() {
            return;
        }
        let w = &mut *self.writer;
        if let Err(e) = append(&mut w.storage, &mut w.len, &[&w.fixed]) {
            self.fail(e);
        }
    }
}

impl<'w> RequestBuilder<'w, Target> {
    /// Adds a query parameter, percent-encoding key and value (RFC 3986:
    /// everything but `A-Z a-z 0-9 - . _ ~`).
    pub fn query(mut self, key: &str, value: &str) -> Self {
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

    /// Percent-encodes `raw` into the buffer: runs of unreserved bytes are
    /// copied whole; CR, LF and NUL (never unreserved) are refused on the
    /// escape path, so the common case makes one pass.
    fn put_encoded(&mut self, raw: &[u8]) {
        if self.error.is_some() {
            return;
        }
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let w = &mut *self.writer;
        let mut pos = w.len;
        let mut rest = raw;
        let result = loop {
            let run = unreserved_run(rest);
            if run > 0 {
                let Some(dst) = w.storage.get_mut(pos..pos + run) else {
                    break Err(pos + run);
                };
                dst.copy_from_slice(&rest[..run]);
                pos += run;
                rest = &rest[run..];
            }
            let Some((&b, tail)) = rest.split_first() else {
                break Ok(());
            };
            if matches!(b, b'\r' | b'\n' | 0) {
                self.fail(RequestError::CrlfInjection);
                return;
            }
            let Some(dst) = w.storage.get_mut(pos..pos + 3) else {
                break Err(pos + 3);
            };
            dst.copy_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
            pos += 3;
            rest = tail;
        };
        match result {
            Ok(()) => w.len = pos,
            Err(needed) => {
                let capacity = w.storage.len();
                self.fail(RequestError::BufferFull { needed, capacity });
            }
        }
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

/// Appends `parts` to `storage` after `len` with one bounds check; on
/// failure nothing is written.
#[inline]
pub(super) fn append(
    storage: &mut [u8],
    len: &mut usize,
    parts: &[&[u8]],
) -> Result<(), RequestError> {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let end = *len + total;
    let Some(dst) = storage.get_mut(*len..end) else {
        return Err(RequestError::BufferFull {
            needed: end,
            capacity: storage.len(),
        });
    };
    let mut at = 0;
    for part in parts {
        dst[at..at + part.len()].copy_from_slice(part);
        at += part.len();
    }
    *len = end;
    Ok(())
}
