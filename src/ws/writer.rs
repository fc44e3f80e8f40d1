//! [`FrameWriter`]: messages in, WebSocket frames out, into a [`WriteBuf`].
//!
//! Validates what it is asked to send (control payload sizes, close codes
//! and reasons, fragment order, nothing after Close) before writing a byte,
//! so a refused frame leaves the buffer as it was. A client's mask keys come
//! from the injected [`RandomSource`]. Never touches a socket.

use super::Role;
use super::error::{CloseCode, EncodeError};
use super::frame::{MAX_HEADER_LEN, Opcode, encode_header, header_len};
use super::mask::apply_mask;
use crate::buf::{BufferFull, WriteBuf};
use crate::rng::{RandomSource, SeededRng};

/// The kind of a data message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// UTF-8 text.
    Text,
    /// Binary.
    Binary,
}

/// Encodes WebSocket frames.
///
/// # Examples
///
/// ```
/// use tickwire::buf::WriteBuf;
/// use tickwire::ws::{CloseCode, FrameWriter, Role};
///
/// let mut writer = FrameWriter::new(Role::Server);
/// let mut out = WriteBuf::new(14, 4096);
/// writer.text(&mut out, "Hello").unwrap();
/// assert_eq!(out.data(), b"\x81\x05Hello"); // RFC 6455 5.7
/// out.clear();
/// writer.close(&mut out, CloseCode::NORMAL, "bye").unwrap();
/// assert!(writer.binary(&mut out, b"late").is_err()); // nothing after Close
/// ```
#[derive(Debug, Clone)]
pub struct FrameWriter<R = SeededRng> {
    role: Role,
    rng: R,
    fragmenting: Option<MessageKind>,
    close_sent: bool,
}

impl FrameWriter<SeededRng> {
    /// A writer for `role` whose mask keys come from a generator seeded once
    /// from the operating system.
    pub fn new(role: Role) -> Self {
        Self::with_rng(role, SeededRng::from_os())
    }
}

impl<R: RandomSource> FrameWriter<R> {
    /// A writer for `role` drawing mask keys from `rng` (clients only use it).
    pub fn with_rng(role: Role, rng: R) -> Self {
        Self {
            role,
            rng,
            fragmenting: None,
            close_sent: false,
        }
    }

    /// The role this writer encodes for.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Whether a Close frame has been written.
    pub fn is_close_sent(&self) -> bool {
        self.close_sent
    }

    /// Whether a fragmented message is open (started, not finished).
    pub fn is_fragmenting(&self) -> bool {
        self.fragmenting.is_some()
    }

    /// Writes a single-frame text message.
    pub fn text(&mut self, out: &mut WriteBuf, text: &str) -> Result<(), EncodeError> {
        self.check_data_start()?;
        self.write_frame(out, true, Opcode::Text, text.as_bytes())
    }

    /// Writes a single-frame binary message.
    pub fn binary(&mut self, out: &mut WriteBuf, payload: &[u8]) -> Result<(), EncodeError> {
        self.check_data_start()?;
        self.write_frame(out, true, Opcode::Binary, payload)
    }

    /// Writes a single-frame binary message whose payload `fill` appends to
    /// the buffer. The header goes in front afterwards, so the payload is
    /// written once, in place, even when its length is not known up front.
    ///
    /// If `fill` fails, nothing it wrote stays in the buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// use tickwire::buf::WriteBuf;
    /// use tickwire::ws::{FrameWriter, Role};
    ///
    /// let mut writer = FrameWriter::new(Role::Server);
    /// let mut out = WriteBuf::new(14, 4096);
    /// writer
    ///     .binary_with(&mut out, |payload| {
    ///         payload.extend(b"{\"op\":")?;
    ///         payload.extend(b"\"ping\"}")
    ///     })
    ///     .unwrap();
    /// assert_eq!(&out.data()[..2], &[0x82, 13]);
    /// ```
    pub fn binary_with<F>(&mut self, out: &mut WriteBuf, fill: F) -> Result<(), EncodeError>
    where
        F: FnOnce(&mut PayloadSink<'_>) -> Result<(), BufferFull>,
    {
        self.check_data_start()?;
        // Offsets relative to the unsent data: appends may move the data
        // back into the headroom (WriteBuf::reserve), never reorder it.
        let start = out.len();
        let abs = |out: &WriteBuf, rel: usize| out.end() - out.len() + rel;
        if let Err(e) = fill(&mut PayloadSink { out }) {
            out.truncate(abs(out, start));
            return Err(e.into());
        }
        let len = out.len() - start;
        let mask = self.next_mask();
        let mut header = [0u8; MAX_HEADER_LEN];
        let n = encode_header(&mut header, true, Opcode::Binary, mask, len as u64);
        if let Some(key) = mask {
            apply_mask(out.tail_mut(abs(out, start)), key);
        }
        // Into the headroom when the payload leads the data; otherwise the
        // payload shifts once to make room (only when frames are batched).
        let placed = match out.prepend_if_room(start, &header[..n]) {
            true => Ok(()),
            false => out
                .reserve(n)
                .and_then(|()| out.insert(abs(out, start), &header[..n])),
        };
        if let Err(e) = placed {
            out.truncate(abs(out, start));
            return Err(e.into());
        }
        Ok(())
    }

    /// Writes one fragment of a message: the first one opens it with `kind`,
    /// later ones continue it (their `kind` must match), and `fin` ends it.
    ///
    /// A text message may be split inside a UTF-8 sequence; the receiver
    /// checks the whole. Control frames may be written between fragments.
    pub fn fragment(
        &mut self,
        out: &mut WriteBuf,
        kind: MessageKind,
        payload: &[u8],
        fin: bool,
    ) -> Result<(), EncodeError> {
        if self.close_sent {
            return Err(EncodeError::DataAfterClose);
        }
        let opcode = match self.fragmenting {
            None => match kind {
                MessageKind::Text => Opcode::Text,
                MessageKind::Binary => Opcode::Binary,
            },
            Some(open) if open == kind => Opcode::Continuation,
            Some(_) => return Err(EncodeError::FragmentOrder),
        };
        self.write_frame(out, fin, opcode, payload)?;
        self.fragmenting = if fin { None } else { Some(kind) };
        Ok(())
    }

    /// Writes a ping (payload at most 125 bytes).
    pub fn ping(&mut self, out: &mut WriteBuf, payload: &[u8]) -> Result<(), EncodeError> {
        self.write_control(out, Opcode::Ping, payload)
    }

    /// Writes a pong (payload at most 125 bytes), usually echoing a ping's.
    pub fn pong(&mut self, out: &mut WriteBuf, payload: &[u8]) -> Result<(), EncodeError> {
        self.write_control(out, Opcode::Pong, payload)
    }

    /// Writes a Close frame with `code` and a `reason` of at most 123 bytes.
    /// After it, the writer refuses every frame.
    pub fn close(
        &mut self,
        out: &mut WriteBuf,
        code: CloseCode,
        reason: &str,
    ) -> Result<(), EncodeError> {
        if !code.is_sendable() {
            return Err(EncodeError::InvalidCloseCode(code.0));
        }
        if reason.len() > 123 {
            return Err(EncodeError::CloseReasonTooLong { len: reason.len() });
        }
        let mut payload = [0u8; 125];
        payload[..2].copy_from_slice(&code.0.to_be_bytes());
        payload[2..2 + reason.len()].copy_from_slice(reason.as_bytes());
        self.write_control(out, Opcode::Close, &payload[..2 + reason.len()])?;
        self.close_sent = true;
        Ok(())
    }

    /// Writes a Close frame with no status code (the reply to an empty Close).
    pub fn close_empty(&mut self, out: &mut WriteBuf) -> Result<(), EncodeError> {
        self.write_control(out, Opcode::Close, &[])?;
        self.close_sent = true;
        Ok(())
    }

    fn check_data_start(&self) -> Result<(), EncodeError> {
        if self.close_sent {
            return Err(EncodeError::DataAfterClose);
        }
        if self.fragmenting.is_some() {
            return Err(EncodeError::FragmentOrder);
        }
        Ok(())
    }

    fn write_control(
        &mut self,
        out: &mut WriteBuf,
        opcode: Opcode,
        payload: &[u8],
    ) -> Result<(), EncodeError> {
        if self.close_sent {
            return Err(EncodeError::DataAfterClose);
        }
        if payload.len() > 125 {
            return Err(EncodeError::ControlPayloadTooLong { len: payload.len() });
        }
        self.write_frame(out, true, opcode, payload)
    }

    #[inline]
    fn next_mask(&mut self) -> Option<[u8; 4]> {
        match self.role {
            Role::Client => Some(self.rng.next_u32().to_ne_bytes()),
            Role::Server => None,
        }
    }

    /// Header then payload, one copy of the payload; masked in place.
    #[inline]
    fn write_frame(
        &mut self,
        out: &mut WriteBuf,
        fin: bool,
        opcode: Opcode,
        payload: &[u8],
    ) -> Result<(), EncodeError> {
        let masked = self.role == Role::Client;
        out.reserve(header_len(payload.len() as u64, masked) + payload.len())?;
        let mask = self.next_mask();
        let mut header = [0u8; MAX_HEADER_LEN];
        let n = encode_header(&mut header, fin, opcode, mask, payload.len() as u64);
        out.extend(&header[..n])?;
        let start = out.end();
        out.extend(payload)?;
        if let Some(key) = mask {
            apply_mask(out.tail_mut(start), key);
        }
        Ok(())
    }
}

/// Where [`FrameWriter::binary_with`] lets a caller append a payload.
#[derive(Debug)]
pub struct PayloadSink<'a> {
    out: &'a mut WriteBuf,
}

impl PayloadSink<'_> {
    /// Appends `bytes` to the payload.
    pub fn extend(&mut self, bytes: &[u8]) -> Result<(), BufferFull> {
        self.out.extend(bytes)
    }

    /// Appends `n` zero bytes to the payload and returns them to fill.
    pub fn extend_zeroed(&mut self, n: usize) -> Result<&mut [u8], BufferFull> {
        self.out.extend_zeroed(n)
    }
}
