//! [`RequestBuilder`]: the typestate builder a [`RequestWriter`] hands out,
//! and [`BodySink`], where a body is written in place.
//!
//! States go one way: target (path and query) -> headers -> body ->
//! `finish()`. Errors are held and reported by `finish`, and a refused
//! request leaves nothing sealed in the writer.

#![forbid(unsafe_code)]

use std::fmt;
use std::marker::PhantomData;

use super::check::{
    CL_HEAD_MAX, check_header, content_length_head, copy_pair_unreserved, has_crlf, unreserved_run,
};
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
///
/// The builder is only a typed borrow of its writer: what it knows about
/// the request besides the bytes lives in the writer, so moving the
/// builder from call to call moves one pointer.
pub struct RequestBuilder<'w, S> {
    pub(super) writer: &'w mut RequestWriter,
    pub(super) _state: PhantomData<S>,
}

/// The request a writer is building: everything but its bytes.
#[derive(Debug, Clone)]
pub(super) struct Pending {
    pub(super) method: Method,
    /// The first error a step hit; reported (and cleared) by `finish`.
    pub(super) error: Option<RequestError>,
    pub(super) target_start: usize,
    /// Where the target ends (the writer's fixed lines start); set when
    /// they are written.
    pub(super) target_end: usize,
    pub(super) query_start: usize,
    pub(super) has_query: bool,
    /// Where the body starts; 0 until the head is ended.
    pub(super) body_start: usize,
}

impl Pending {
    pub(super) const fn new(method: Method, target_start: usize) -> Self {
        Self {
            method,
            error: None,
            target_start,
            target_end: 0,
            query_start: 0,
            has_query: false,
            body_start: 0,
        }
    }
}

impl<S> fmt::Debug for RequestBuilder<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("method", &self.writer.pending.method)
            .field("len", &self.writer.len)
            .field("error", &self.writer.pending.error)
            .finish_non_exhaustive()
    }
}

/// `Content-Length: 0` for a POST, PUT or PATCH without a body.
const EMPTY_BODY_LENGTH: &[u8] = b"Content-Length: 0\r\n";

impl<'w, S> RequestBuilder<'w, S> {
    pub(super) fn fail(&mut self, error: RequestError) {
        let pending = &mut self.writer.pending;
        if pending.error.is_none() {
            pending.error = Some(error);
        }
    }

    fn failed(&self) -> bool {
        self.writer.pending.error.is_some()
    }

    /// Appends `bytes` if no error has happened and they fit.
    #[inline]
    pub(super) fn put(&mut self, bytes: &[u8]) {
        self.put_head(false, &[bytes], &[bytes.len()]);
    }

    /// Appends the writer's fixed lines (when `fixed`: the target has just
    /// ended) and then `parts`, with one bounds check, if no error has
    /// happened. `steps` are the lengths of the writes this stands for
    /// after the fixed lines: when they do not all fit, nothing is written
    /// and the error names the end of the first write that does not.
    #[inline(always)]
    fn put_head(&mut self, fixed: bool, parts: &[&[u8]], steps: &[usize]) {
        let w = &mut *self.writer;
        if w.pending.error.is_some() {
            return;
        }
        let start = w.len;
        let lines: &[u8] = if fixed {
            w.pending.target_end = start;
            &w.fixed
        } else {
            &[]
        };
        let end = start + lines.len() + parts.iter().map(|p| p.len()).sum::<usize>();
        let Some(dst) = w.storage.get_mut(start..end) else {
            let error = buffer_full(w.storage.len(), start, lines.len(), steps);
            self.fail(error);
            return;
        };
        let (head, mut rest) = dst.split_at_mut(lines.len());
        head.copy_from_slice(lines);
        for part in parts {
            let (d, tail) = rest.split_at_mut(part.len());
            copy_short(d, part);
            rest = tail;
        }
        w.len = end;
    }

    #[inline(always)]
    fn into_state<T>(self) -> RequestBuilder<'w, T> {
        RequestBuilder {
            writer: self.writer,
            _state: PhantomData,
        }
    }

    /// A header line, after the fixed lines when `fixed`.
    #[inline]
    fn header_inner(&mut self, fixed: bool, name: &str, value: &[u8]) {
        if let Err(e) = check_header(name, value) {
            // The fixed lines were written before the check in the
            // unfused order; an error here is all that matters now, and a
            // refused request is never sealed.
            if fixed {
                self.put_head(true, &[], &[]);
            }
            self.fail(e);
            return;
        }
        let line = name.len() + value.len() + 4;
        self.put_head(fixed, &[name.as_bytes(), b": ", value, b"\r\n"], &[line]);
    }

    /// `Content-Length` and the blank line, then the body, after the fixed
    /// lines when `fixed`: one bounds check, one copy for the head.
    #[inline]
    fn write_body(&mut self, fixed: bool, body: &[u8]) {
        let (head, at) = content_length_head(body.len());
        let head = &head[at..];
        self.put_head(fixed, &[head, body], &[head.len(), body.len()]);
        let w = &mut *self.writer;
        if w.pending.error.is_none() {
            w.pending.body_start = w.len - body.len();
        }
    }

    fn write_body_with<F>(&mut self, fill: F)
    where
        F: FnOnce(&mut BodySink<'_>) -> Result<(), RequestError>,
    {
        self.put(b"\r\n");
        self.writer.pending.body_start = self.writer.len;
        if self.failed() {
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
        let blank = w.pending.body_start - 2;
        let end = w.len;
        // The same line `write_body` writes, without its blank line; the
        // steps keep the three writes it stands for (name, digits, CRLF),
        // so a line that does not fit names the same end as before.
        let (head, at) = content_length_head(written);
        let line = &head[at..CL_HEAD_MAX - 2];
        let steps = [16, line.len() - 18, 2];
        self.put_head(false, &[line], &steps);
        let w = &mut *self.writer;
        if w.pending.error.is_none() {
            let added = w.len - end;
            w.storage[blank..w.len].rotate_right(added);
            w.pending.body_start += added;
        }
    }

    /// Ends the head when no body was given (`Content-Length: 0` for the
    /// methods that expect one, then the blank line), after the fixed
    /// lines when `fixed`; then seals.
    #[inline(always)]
    fn finish_inner(mut self, fixed: bool) -> Result<Request, RequestError> {
        if self.writer.pending.body_start == 0 {
            if self.writer.pending.method.expects_body() {
                self.put_head(
                    fixed,
                    &[EMPTY_BODY_LENGTH, b"\r\n"],
                    &[EMPTY_BODY_LENGTH.len(), 2],
                );
            } else {
                self.put_head(fixed, &[b"\r\n"], &[2]);
            }
            self.writer.pending.body_start = self.writer.len;
        }
        self.seal()
    }

    #[inline]
    fn seal(self) -> Result<Request, RequestError> {
        let w = self.writer;
        if let Some(e) = w.pending.error.take() {
            w.len = 0;
            return Err(e);
        }
        let len = if w.signer.is_some() { sign(w)? } else { w.len };
        let generation = w.generation + 1;
        w.generation = generation;
        w.sealed = true;
        Ok(Request {
            writer: w.id,
            generation,
            len,
            method: w.pending.method,
        })
    }
}

/// A query parameter with bytes to encode, or one that does not fit, or
/// after an error: step by step, so the error is the one the first
/// failing step meets. It takes the writer, not the builder: a builder
/// passed by reference would need a home on the caller's stack, and every
/// inlined call after it would reload the writer from there.
#[inline(never)]
fn query_slow(writer: &mut RequestWriter, key: &[u8], value: &[u8]) {
    let mut builder = RequestBuilder::<Target> {
        writer,
        _state: PhantomData,
    };
    builder.query_separator();
    builder.put_encoded(key);
    builder.put(b"=");
    builder.put_encoded(value);
}

/// Runs the writer's signer over the finished request and moves the
/// headers it wrote in front of the blank line; returns the new length.
#[inline(never)]
fn sign(w: &mut RequestWriter) -> Result<usize, RequestError> {
    let Some(signer) = w.signer.as_mut() else {
        return Ok(w.len);
    };
    let p = &w.pending;
    let (used, spare) = w.storage.split_at_mut(w.len);
    let input = SignInput {
        method: p.method,
        target: &used[p.target_start..p.target_end],
        query: if p.has_query {
            &used[p.query_start..p.target_end]
        } else {
            &[]
        },
        body: &used[p.body_start..],
    };
    let mut headers = SignedHeaders { spare, written: 0 };
    if let Err(e) = signer.sign(&input, &mut headers) {
        w.len = 0;
        return Err(e);
    }
    let added = headers.written;
    if added > 0 {
        let blank = p.body_start - 2;
        w.storage[blank..w.len + added].rotate_right(added);
        w.len += added;
    }
    Ok(w.len)
}

impl<'w> RequestBuilder<'w, Target> {
    /// Adds a query parameter, percent-encoding key and value (RFC 3986:
    /// everything but `A-Z a-z 0-9 - . _ ~`).
    #[inline(always)]
    pub fn query(self, key: &str, value: &str) -> Self {
        let (k, v) = (key.as_bytes(), value.as_bytes());
        // Fast path: room for the fields as they are, one bounds check;
        // each field is copied and tested in the same pass. If a byte
        // needs encoding, what was copied is left behind as junk past the
        // request's end and the slow path starts over.
        let w = &mut *self.writer;
        if w.pending.error.is_none() {
            let start = w.len;
            let end = start + k.len() + v.len() + 2;
            if let Some([sep, rest @ ..]) = w.storage.get_mut(start..end)
                && let Some((kd, [eq, vd @ ..])) = rest.split_at_mut_checked(k.len())
                && copy_pair_unreserved(kd, k, vd, v)
            {
                let p = &mut w.pending;
                *sep = if p.has_query { b'&' } else { b'?' };
                *eq = b'=';
                w.len = end;
                if !p.has_query {
                    p.query_start = start + 1;
                    p.has_query = true;
                }
                return self;
            }
        }
        query_slow(self.writer, k, v);
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
    #[inline]
    pub fn header(mut self, name: &str, value: &str) -> RequestBuilder<'w, Headers> {
        self.header_inner(true, name, value.as_bytes());
        self.into_state()
    }

    /// Sets the body (with its `Content-Length`).
    #[inline]
    pub fn body(mut self, body: &[u8]) -> RequestBuilder<'w, Body> {
        self.write_body(true, body);
        self.into_state()
    }

    /// Writes the body in place with `fill`; `Content-Length` is filled in
    /// afterwards.
    pub fn body_writer<F>(mut self, fill: F) -> RequestBuilder<'w, Body>
    where
        F: FnOnce(&mut BodySink<'_>) -> Result<(), RequestError>,
    {
        self.put_head(true, &[], &[]);
        self.write_body_with(fill);
        self.into_state()
    }

    /// Seals the request.
    ///
    /// # Errors
    ///
    /// The first error any step hit, or the signer's.
    #[inline]
    pub fn finish(self) -> Result<Request, RequestError> {
        self.finish_inner(true)
    }

    fn query_separator(&mut self) {
        if self.writer.pending.has_query {
            self.put(b"&");
        } else {
            self.put(b"?");
            let w = &mut *self.writer;
            w.pending.query_start = w.len;
            w.pending.has_query = true;
        }
    }

    /// Percent-encodes `raw` into the buffer: runs of unreserved bytes are
    /// copied whole; CR, LF and NUL (never unreserved) are refused on the
    /// escape path.
    fn put_encoded(&mut self, raw: &[u8]) {
        if self.failed() {
            return;
        }
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let w = &mut *self.writer;
        let buf: &mut [u8] = &mut w.storage;
        let mut pos = w.len;
        let mut rest = raw;
        let result = loop {
            let run = unreserved_run(rest);
            if run > 0 {
                let Some(dst) = buf.get_mut(pos..pos + run) else {
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
            let Some(dst) = buf.get_mut(pos..pos + 3) else {
                break Err(pos + 3);
            };
            dst.copy_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
            pos += 3;
            rest = tail;
        };
        match result {
            Ok(()) => w.len = pos,
            Err(needed) => {
                let capacity = buf.len();
                self.fail(RequestError::BufferFull { needed, capacity });
            }
        }
    }
}

impl<'w> RequestBuilder<'w, Headers> {
    /// Adds a header.
    #[inline]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.header_inner(false, name, value.as_bytes());
        self
    }

    /// Sets the body (with its `Content-Length`).
    #[inline]
    pub fn body(mut self, body: &[u8]) -> RequestBuilder<'w, Body> {
        self.write_body(false, body);
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
    #[inline]
    pub fn finish(self) -> Result<Request, RequestError> {
        self.finish_inner(false)
    }
}

impl RequestBuilder<'_, Body> {
    /// Seals the request.
    ///
    /// # Errors
    ///
    /// The first error any step hit, or the signer's.
    #[inline]
    pub fn finish(self) -> Result<Request, RequestError> {
        self.seal()
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

/// The error for writes that do not fit: they start at `start` with
/// `fixed` bytes of fixed lines, then `steps` (byte lengths). `needed` is
/// the end of the first write that passes `capacity`, as if each had been
/// tried in turn.
#[cold]
fn buffer_full(capacity: usize, start: usize, fixed: usize, steps: &[usize]) -> RequestError {
    let mut end = start + fixed;
    if end <= capacity {
        for &step in steps {
            end += step;
            if end > capacity {
                break;
            }
        }
    }
    RequestError::BufferFull {
        needed: end,
        capacity,
    }
}

/// Copies `src` into `dst` (the same length). Fields are short: up to 32
/// bytes go as at most two overlapping fixed-size moves, not a call to
/// `memcpy`.
#[inline(always)]
pub(super) fn copy_short(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    debug_assert_eq!(n, dst.len());
    if n != dst.len() {
        // Never taken: every caller splits `dst` to `src`'s length. It
        // tells the compiler the lengths match, so the moves below carry
        // no bounds checks.
        return;
    }
    match n {
        0 => {}
        1..=3 => {
            dst[0] = src[0];
            dst[n / 2] = src[n / 2];
            dst[n - 1] = src[n - 1];
        }
        4..=7 => {
            dst[..4].copy_from_slice(&src[..4]);
            dst[n - 4..].copy_from_slice(&src[n - 4..]);
        }
        8..=16 => {
            dst[..8].copy_from_slice(&src[..8]);
            dst[n - 8..].copy_from_slice(&src[n - 8..]);
        }
        17..=32 => {
            dst[..16].copy_from_slice(&src[..16]);
            dst[n - 16..].copy_from_slice(&src[n - 16..]);
        }
        _ => dst.copy_from_slice(src),
    }
}
