//! [`FrameReader`]: bytes in, complete WebSocket messages out.
//!
//! Owns the read buffer and the reassembly buffer. Single-frame messages are
//! handed out zero-copy (unmasked in place inside the read buffer);
//! fragmented ones are reassembled into one reused buffer. Every header is
//! checked before its payload is waited for, so limits are enforced from the
//! header alone and a declared length never allocates more than the limits
//! allow. Never reads a socket: the caller moves the bytes.

use std::fmt;

use super::close::CloseFrame;
use super::error::{CloseCode, ProtocolError};
use super::frame::{FrameHeader, MAX_HEADER_LEN, Opcode, decode_header};
use super::mask::apply_mask;
use super::{Message, Role};
use crate::buf::{BufferFull, ReadBuf};

/// Default read buffer capacity: 64 KiB.
pub const DEFAULT_BUFFER_CAPACITY: usize = 64 * 1024;
/// Default largest accepted frame payload: 16 MiB.
pub const DEFAULT_MAX_FRAME_SIZE: usize = 16 * 1024 * 1024;
/// Default largest accepted message (all fragments together): 16 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 16 * 1024 * 1024;

/// The error [`FrameReader::read`] returns when bytes do not fit.
pub type ReadError = BufferFull;

/// Configures a [`FrameReader`].
///
/// # Examples
///
/// ```
/// use tickwire::ws::{FrameReader, Role};
///
/// let reader = FrameReader::builder()
///     .role(Role::Client)
///     .buffer_capacity(128 * 1024)
///     .max_frame_size(1 << 20)
///     .max_message_size(4 << 20)
///     .build();
/// assert_eq!(reader.max_frame_size(), 1 << 20);
/// ```
#[derive(Debug, Clone)]
pub struct FrameReaderBuilder {
    role: Role,
    buffer_capacity: usize,
    max_frame_size: usize,
    max_message_size: usize,
}

impl FrameReaderBuilder {
    /// Which end this reader serves (default: [`Role::Client`]).
    pub fn role(mut self, role: Role) -> Self {
        self.role = role;
        self
    }

    /// Initial read buffer size (default 64 KiB). The buffer grows, once, to
    /// hold a frame larger than this, up to `max_frame_size` plus a header.
    pub fn buffer_capacity(mut self, bytes: usize) -> Self {
        self.buffer_capacity = bytes.max(MAX_HEADER_LEN);
        self
    }

    /// Largest frame payload accepted (default 16 MiB); a larger one is
    /// [`ProtocolError::FrameTooLarge`] (close code 1009).
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame_size = bytes;
        self
    }

    /// Largest message accepted, all fragments together (default 16 MiB); a
    /// larger one is [`ProtocolError::MessageTooLarge`] (close code 1009).
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Builds the reader, allocating its read buffer.
    pub fn build(self) -> FrameReader {
        FrameReader {
            role: self.role,
            buf: ReadBuf::with_capacity(self.buffer_capacity),
            buffer_limit: self
                .buffer_capacity
                .max(self.max_frame_size.saturating_add(MAX_HEADER_LEN)),
            max_frame_size: self.max_frame_size,
            max_message_size: self.max_message_size,
            fast_limit: self.max_frame_size.min(self.max_message_size),
            need: MAX_HEADER_LEN,
            fragmented: None,
            assembly: Vec::new(),
            utf8_checked: 0,
            assembly_returned: false,
            closed: false,
            error: None,
            frame_unmasked: 0,
            frame_checked: 0,
            prepared: None,
        }
    }
}

/// Where the message [`FrameReader::next`] is about to hand out lies.
#[derive(Debug, Clone, Copy)]
enum Ready {
    /// A single frame: opcode, absolute payload start in the read buffer,
    /// payload length.
    Frame(Opcode, usize, usize),
    /// A reassembled message in the reassembly buffer.
    Assembled(Partial),
}

/// A message kind under reassembly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Partial {
    Text,
    Binary,
}

/// Decodes WebSocket frames from bytes into [`Message`]s.
///
/// Feed bytes with [`read`](Self::read), or read straight into
/// [`spare`](Self::spare) and report them with [`filled`](Self::filled);
/// then call [`next`](Self::next) until it returns `Ok(None)`. A message
/// borrows the reader and is valid until the next call.
///
/// After a [`ProtocolError`] the reader is spent: every later `next` returns
/// the same error. After a Close frame it yields nothing more.
///
/// # Examples
///
/// ```
/// use tickwire::ws::{FrameReader, Message, Role};
///
/// let mut reader = FrameReader::builder().role(Role::Client).build();
/// // A text message in two fragments (RFC 6455 5.7).
/// reader.read(&[0x01, 0x03, b'H', b'e', b'l']).unwrap();
/// assert_eq!(reader.next().unwrap(), None);
/// reader.read(&[0x80, 0x02, b'l', b'o']).unwrap();
/// assert_eq!(reader.next().unwrap(), Some(Message::Text("Hello")));
/// ```
pub struct FrameReader {
    role: Role,
    buf: ReadBuf,
    buffer_limit: usize,
    max_frame_size: usize,
    max_message_size: usize,
    /// The largest payload the fast path may hand out without the full
    /// limit checks: `min(max_frame_size, max_message_size)`.
    fast_limit: usize,
    /// Contiguous bytes the next step needs, counted from the unread start.
    need: usize,
    fragmented: Option<Partial>,
    assembly: Vec<u8>,
    /// Prefix of `assembly` known to be valid UTF-8 (text messages).
    utf8_checked: usize,
    /// The last message handed out was `assembly`: clear it at the next call.
    assembly_returned: bool,
    closed: bool,
    error: Option<ProtocolError>,
    /// Payload bytes of the frame in flight already unmasked in place.
    frame_unmasked: usize,
    /// Payload bytes of the frame in flight known to be valid UTF-8 (text
    /// frames that arrive in pieces are checked as they arrive).
    frame_checked: usize,
    /// A message [`prepare`](FrameReader::prepare) found and `next` has not
    /// handed out yet.
    prepared: Option<Ready>,
}

impl FrameReader {
    /// A builder with the defaults: client role, 64 KiB buffer, 16 MiB
    /// frame and message limits.
    pub fn builder() -> FrameReaderBuilder {
        FrameReaderBuilder {
            role: Role::Client,
            buffer_capacity: DEFAULT_BUFFER_CAPACITY,
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
        }
    }

    /// The role this reader checks frames for.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The configured frame payload limit.
    pub fn max_frame_size(&self) -> usize {
        self.max_frame_size
    }

    /// The configured message limit.
    pub fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// Bytes received but not yet handed out as messages.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Whether a Close frame has been read.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The error this reader failed with, if it did.
    pub fn error(&self) -> Option<&ProtocolError> {
        self.error.as_ref()
    }

    /// Free space to read socket bytes into; never empty once
    /// [`next`](Self::next) has returned `Ok(None)`.
    ///
    /// Compacts or grows the buffer (up to `max_frame_size` plus a header) so
    /// that the frame being received fits. Report how many bytes were
    /// written with [`filled`](Self::filled).
    #[inline]
    pub fn spare(&mut self) -> &mut [u8] {
        self.release();
        let start = self.buf.start();
        let need = self.need.max(self.buf.len() + 1);
        // A prepared message's bytes lie before `start`: no moving them.
        if self.prepared.is_none()
            && (start + need > self.buf.capacity() || self.buf.spare().is_empty())
        {
            self.buf.compact();
            if need > self.buf.capacity() {
                // Grow by doubling as bytes arrive, never straight to a
                // declared length: memory follows what the peer has sent.
                // `need` never exceeds the limit (headers over
                // `max_frame_size` fail before their payload is waited for),
                // so the limit only caps the last step.
                let step = need.min(self.buf.capacity().saturating_mul(2));
                let _ = self.buf.grow_to(step, self.buffer_limit);
            }
        }
        self.buf.spare()
    }

    /// Marks `n` bytes of [`spare`](Self::spare) as received.
    #[inline]
    pub fn filled(&mut self, n: usize) {
        self.buf.filled(n);
    }

    /// Copies bytes into the reader and returns how many it took.
    ///
    /// It takes them all unless the buffer would pass its limit
    /// (`max_frame_size` plus a header, or the initial capacity if larger);
    /// then it takes what fits: drain messages with [`next`](Self::next) and
    /// offer the rest again. Once `next` has returned `Ok(None)` there is
    /// always room for at least one byte, so this loop always progresses:
    ///
    /// ```
    /// use tickwire::ws::{FrameReader, Role};
    ///
    /// let mut reader = FrameReader::builder().role(Role::Client).build();
    /// let mut bytes: &[u8] = &[0x82, 0x02, 1, 2, 0x82, 0x01, 3];
    /// let mut messages = 0;
    /// while !bytes.is_empty() {
    ///     let n = reader.read(bytes)?;
    ///     bytes = &bytes[n..];
    ///     while let Some(_message) = reader.next()? {
    ///         messages += 1;
    ///     }
    /// }
    /// assert_eq!(messages, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ReadError`] only when not a single byte fits: the buffer is at its
    /// limit with complete messages in it that `next` has not drained.
    pub fn read(&mut self, bytes: &[u8]) -> Result<usize, ReadError> {
        self.release();
        if bytes.is_empty() {
            return Ok(0);
        }
        if self.buf.spare().len() < bytes.len() && self.prepared.is_none() {
            self.buf.compact();
            let want = self.buf.len().saturating_add(bytes.len());
            let _ = self
                .buf
                .grow_to(want.min(self.buffer_limit), self.buffer_limit);
        }
        let spare = self.buf.spare();
        let n = spare.len().min(bytes.len());
        if n == 0 {
            return Err(BufferFull {
                needed: self.buf.len() + bytes.len(),
                limit: self.buffer_limit,
            });
        }
        spare[..n].copy_from_slice(&bytes[..n]);
        self.buf.filled(n);
        Ok(n)
    }

    /// Drops what the last returned message left behind: bytes after a
    /// Close, a handed-out reassembled message. (Frames are consumed as they
    /// are handed out: the message borrows the reader, so no write can reach
    /// its bytes before it is dropped.)
    fn release(&mut self) {
        if self.prepared.is_some() {
            // Its bytes are still to be handed out.
            return;
        }
        if self.closed {
            // Nothing may follow a Close (RFC 6455 5.5.1): discard it.
            self.buf.clear();
        }
        if self.assembly_returned {
            self.assembly.clear();
            self.utf8_checked = 0;
            self.assembly_returned = false;
        }
    }

    /// Decodes the next complete message, if the buffered bytes hold one.
    ///
    /// `Ok(None)` means more bytes are needed (or the peer has closed).
    /// Ping and pong frames are returned as messages; answering pings is the
    /// caller's job at this layer.
    #[allow(clippy::should_implement_trait)]
    #[inline]
    pub fn next(&mut self) -> Result<Option<Message<'_>>, ProtocolError> {
        // Fast path: a whole, final, unfragmented text or binary frame with a
        // 7- or 16-bit length, in a reader with nothing unusual going on.
        // Everything else (and every error) goes the general way.
        if self.error.is_none()
            && self.prepared.is_none()
            && self.fragmented.is_none()
            && !self.closed
            && !self.assembly_returned
            && self.frame_unmasked == 0
            && let Some((b0, header_len, len, key)) = self.fast_header()
        {
            let total = header_len + len;
            let from = self.buf.start() + header_len;
            if let Some(key) = key {
                apply_mask(&mut self.buf.data_mut()[header_len..total], key);
            }
            self.buf.advance(total);
            let payload = &self.buf.storage()[from..from + len];
            if b0 == 0x82 {
                return Ok(Some(Message::Binary(payload)));
            }
            return match simdutf8::basic::from_utf8(payload) {
                Ok(text) => Ok(Some(Message::Text(text))),
                Err(_) => {
                    self.error = Some(ProtocolError::InvalidUtf8);
                    Err(ProtocolError::InvalidUtf8)
                }
            };
        }
        self.next_general()
    }

    /// The fast path's header check: first byte, payload length, header
    /// length and mask key of a complete frame it may take, or `None`.
    #[inline]
    fn fast_header(&self) -> Option<(u8, usize, usize, Option<[u8; 4]>)> {
        let data = self.buf.data();
        let [b0, b1, ..] = *data else {
            return None;
        };
        if b0 != 0x81 && b0 != 0x82 {
            return None;
        }
        let masked = b1 & 0x80 != 0;
        if masked != (self.role == Role::Server) {
            return None;
        }
        let (len, mut header_len) = match b1 & 0x7F {
            126 => {
                let ext = data.get(2..4)?;
                let len = usize::from(u16::from_be_bytes([ext[0], ext[1]]));
                if len < 126 {
                    return None;
                }
                (len, 4)
            }
            127 => return None,
            n => (usize::from(n), 2),
        };
        let key = if masked {
            let k = data.get(header_len..header_len + 4)?;
            header_len += 4;
            Some([k[0], k[1], k[2], k[3]])
        } else {
            None
        };
        if len > self.fast_limit || data.len() < header_len + len {
            return None;
        }
        Some((b0, header_len, len, key))
    }

    /// The general path of [`next`](Self::next): every frame kind, every
    /// state, every error.
    #[cold]
    fn next_general(&mut self) -> Result<Option<Message<'_>>, ProtocolError> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        let ready = match self.prepared.take() {
            Some(ready) => ready,
            None => match self.find_message() {
                Ok(Some(ready)) => ready,
                Ok(None) => return Ok(None),
                Err(e) => return Err(e),
            },
        };
        // Only field-level borrows below: a payload borrows `self.buf` or
        // `self.assembly`, so the error paths can still set `self.error`.
        let result = match ready {
            Ready::Frame(opcode, from, len) => {
                let payload = &self.buf.storage()[from..from + len];
                match opcode {
                    Opcode::Text => simdutf8::basic::from_utf8(payload)
                        .map(Message::Text)
                        .map_err(|_| ProtocolError::InvalidUtf8),
                    Opcode::Ping => Ok(Message::Ping(payload)),
                    Opcode::Pong => Ok(Message::Pong(payload)),
                    Opcode::Close => parse_close_payload(payload).map(Message::Close),
                    _ => Ok(Message::Binary(payload)),
                }
            }
            Ready::Assembled(Partial::Binary) => Ok(Message::Binary(&self.assembly)),
            // Checked fragment by fragment as it arrived (so a bad byte fails
            // at its fragment); one whole pass yields the &str without unsafe.
            Ready::Assembled(Partial::Text) => simdutf8::basic::from_utf8(&self.assembly)
                .map(Message::Text)
                .map_err(|_| ProtocolError::InvalidUtf8),
        };
        match result {
            Ok(message) => Ok(Some(message)),
            Err(e) => {
                self.error = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Whether [`next`](Self::next) will hand out a message, without handing
    /// it out: consumes frames up to the next complete message and keeps
    /// it for `next`.
    ///
    /// An async stream needs this to loop over reads without holding the
    /// borrow of a message it has not returned yet. `read` and `spare` in
    /// between keep the prepared message (they only use the room left
    /// behind the buffered bytes until `next` has handed it out).
    ///
    /// # Errors
    ///
    /// The [`ProtocolError`] that `next` would return.
    #[inline]
    pub fn prepare(&mut self) -> Result<bool, ProtocolError> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        if self.prepared.is_some() {
            return Ok(true);
        }
        if self.fragmented.is_none()
            && !self.closed
            && !self.assembly_returned
            && self.frame_unmasked == 0
            && self.fast_header().is_some()
        {
            // `next` takes this frame by its fast path.
            return Ok(true);
        }
        if self.buf.is_empty() && !self.closed && !self.assembly_returned {
            // Nothing buffered, nothing to find: what `find_message` would
            // conclude, without the out-of-line call (the first poll of most
            // `recv`s, right after a trip through the kernel).
            self.need = MAX_HEADER_LEN;
            return Ok(false);
        }
        match self.find_message()? {
            Some(ready) => {
                if let Ready::Frame(_, from, len) = ready {
                    // Draining the buffer reset it to the front, where the
                    // next read would land on this frame's payload.
                    self.buf.park_at(from + len);
                }
                self.prepared = Some(ready);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Drops what the last message left behind, then consumes frames until
    /// one completes a message. Errors are made sticky here.
    fn find_message(&mut self) -> Result<Option<Ready>, ProtocolError> {
        self.release();
        if self.closed {
            return Ok(None);
        }
        self.advance_to_message().inspect_err(|e| {
            self.error = Some(e.clone());
        })
    }

    /// Consumes frames until one completes a message; returns where it is.
    fn advance_to_message(&mut self) -> Result<Option<Ready>, ProtocolError> {
        loop {
            let data = self.buf.data();
            let Some((header, header_len)) = decode_header(data, self.role, false)? else {
                self.need = MAX_HEADER_LEN;
                return Ok(None);
            };
            self.check_limits(&header)?;
            // check_limits bounds payload_len by max_frame_size (a usize).
            let payload_len = header.payload_len as usize;
            let total = header_len + payload_len;
            if data.len() < total {
                self.need = total;
                if self.checks_text_early(header.opcode) {
                    self.check_partial_text(&header, header_len)?;
                }
                return Ok(None);
            }
            self.need = MAX_HEADER_LEN;
            if let Some(key) = header.mask {
                let done = self.frame_unmasked;
                apply_mask(
                    &mut self.buf.data_mut()[header_len + done..total],
                    rotate_key(key, done),
                );
            }
            self.frame_unmasked = 0;
            self.frame_checked = 0;
            let from = self.buf.start() + header_len;
            let opcode = header.opcode;
            let single = match opcode {
                Opcode::Text | Opcode::Binary => header.fin,
                Opcode::Continuation => false,
                Opcode::Close => {
                    self.closed = true;
                    true
                }
                Opcode::Ping | Opcode::Pong => true,
            };
            if single {
                self.buf.advance(total);
                return Ok(Some(Ready::Frame(opcode, from, payload_len)));
            }
            if opcode == Opcode::Text {
                self.fragmented = Some(Partial::Text);
            } else if opcode == Opcode::Binary {
                self.fragmented = Some(Partial::Binary);
            }
            self.assembly
                .extend_from_slice(&self.buf.storage()[from..from + payload_len]);
            self.buf.advance(total);
            let kind = self.fragmented.unwrap_or(Partial::Binary);
            if kind == Partial::Text {
                self.check_utf8_prefix(header.fin)?;
            }
            if header.fin {
                self.fragmented = None;
                self.assembly_returned = true;
                return Ok(Some(Ready::Assembled(kind)));
            }
        }
    }

    /// Whether a frame of `opcode` still arriving gets its UTF-8 checked as
    /// it comes: text that starts on a character boundary (a new text
    /// message, or a continuation whose earlier fragments ended whole).
    fn checks_text_early(&self, opcode: Opcode) -> bool {
        match opcode {
            Opcode::Text => true,
            Opcode::Continuation => {
                self.fragmented == Some(Partial::Text) && self.utf8_checked == self.assembly.len()
            }
            _ => false,
        }
    }

    /// Unmasks and checks the part of a text frame that has arrived, so a
    /// bad byte fails now rather than when the whole frame is in.
    fn check_partial_text(
        &mut self,
        header: &FrameHeader,
        header_len: usize,
    ) -> Result<(), ProtocolError> {
        let arrived = self.buf.len() - header_len;
        let payload = &mut self.buf.data_mut()[header_len..header_len + arrived];
        if let Some(key) = header.mask {
            let done = self.frame_unmasked;
            apply_mask(&mut payload[done..], rotate_key(key, done));
        }
        self.frame_unmasked = arrived;
        match simdutf8::compat::from_utf8(&payload[self.frame_checked..]) {
            Ok(_) => self.frame_checked = arrived,
            Err(e) if e.error_len().is_none() => self.frame_checked += e.valid_up_to(),
            Err(_) => return Err(ProtocolError::InvalidUtf8),
        }
        Ok(())
    }

    /// Checks a header against the limits and the fragmentation state,
    /// before any of its payload is waited for.
    fn check_limits(&self, header: &FrameHeader) -> Result<(), ProtocolError> {
        if header.payload_len > self.max_frame_size as u64 {
            return Err(ProtocolError::FrameTooLarge {
                size: header.payload_len,
                max: self.max_frame_size,
            });
        }
        let message_len = match (header.opcode, self.fragmented) {
            (Opcode::Continuation, None) => return Err(ProtocolError::UnexpectedContinuation),
            (Opcode::Text | Opcode::Binary, Some(_)) => {
                return Err(ProtocolError::ExpectedContinuation);
            }
            (Opcode::Continuation, Some(_)) => self.assembly.len() as u64 + header.payload_len,
            (Opcode::Text | Opcode::Binary, None) => header.payload_len,
            _ => return Ok(()),
        };
        if message_len > self.max_message_size as u64 {
            return Err(ProtocolError::MessageTooLarge {
                size: message_len,
                max: self.max_message_size,
            });
        }
        Ok(())
    }

    /// Validates the newly appended part of a text message. A sequence cut
    /// by a fragment boundary waits for the next fragment, unless `fin`.
    fn check_utf8_prefix(&mut self, fin: bool) -> Result<(), ProtocolError> {
        let rest = &self.assembly[self.utf8_checked..];
        match simdutf8::compat::from_utf8(rest) {
            Ok(_) => self.utf8_checked = self.assembly.len(),
            Err(e) if e.error_len().is_none() && !fin => {
                self.utf8_checked += e.valid_up_to();
            }
            Err(_) => return Err(ProtocolError::InvalidUtf8),
        }
        Ok(())
    }
}

/// The masking key as seen from payload byte `offset` on.
#[inline]
fn rotate_key(key: [u8; 4], offset: usize) -> [u8; 4] {
    let o = offset & 3;
    [key[o], key[(o + 1) & 3], key[(o + 2) & 3], key[(o + 3) & 3]]
}

/// Checks a Close payload: empty, or a sendable code and a UTF-8 reason.
fn parse_close_payload(payload: &[u8]) -> Result<Option<CloseFrame<'_>>, ProtocolError> {
    match payload {
        [] => Ok(None),
        [_] => Err(ProtocolError::InvalidCloseLength),
        [hi, lo, reason @ ..] => {
            let code = CloseCode(u16::from_be_bytes([*hi, *lo]));
            if !code.is_sendable() {
                return Err(ProtocolError::InvalidCloseCode(code.0));
            }
            let reason =
                simdutf8::basic::from_utf8(reason).map_err(|_| ProtocolError::InvalidUtf8)?;
            Ok(Some(CloseFrame { code, reason }))
        }
    }
}

impl fmt::Debug for FrameReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameReader")
            .field("role", &self.role)
            .field("buffered", &self.buffered())
            .field("max_frame_size", &self.max_frame_size)
            .field("max_message_size", &self.max_message_size)
            .field("fragmented", &self.fragmented)
            .field("closed", &self.closed)
            .field("error", &self.error)
            .finish()
    }
}
