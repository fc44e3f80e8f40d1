//! The WebSocket frame header (RFC 6455 section 5.2): decode and encode.
//!
//! Pure functions over byte slices. Decoding checks what the header alone
//! can tell: opcode, reserved bits, length encoding, control frame rules and
//! the mask bit for the reader's role. It never looks at the payload.

use super::Role;
use super::error::ProtocolError;

/// The longest header: 2 bytes, 8 bytes of extended length, 4 of mask key.
pub const MAX_HEADER_LEN: usize = 14;

/// A frame's opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Opcode {
    /// 0x0: continues a fragmented message.
    Continuation,
    /// 0x1: a UTF-8 text message (or its first fragment).
    Text,
    /// 0x2: a binary message (or its first fragment).
    Binary,
    /// 0x8: close.
    Close,
    /// 0x9: ping.
    Ping,
    /// 0xA: pong.
    Pong,
}

impl Opcode {
    /// The opcode's four-bit wire value.
    pub const fn as_u8(self) -> u8 {
        match self {
            Self::Continuation => 0x0,
            Self::Text => 0x1,
            Self::Binary => 0x2,
            Self::Close => 0x8,
            Self::Ping => 0x9,
            Self::Pong => 0xA,
        }
    }

    /// Parses a four-bit wire value; reserved values are an error.
    pub const fn from_u8(v: u8) -> Result<Self, ProtocolError> {
        Ok(match v {
            0x0 => Self::Continuation,
            0x1 => Self::Text,
            0x2 => Self::Binary,
            0x8 => Self::Close,
            0x9 => Self::Ping,
            0xA => Self::Pong,
            other => return Err(ProtocolError::UnknownOpcode(other)),
        })
    }

    /// Whether this is a control opcode (close, ping, pong).
    pub const fn is_control(self) -> bool {
        matches!(self, Self::Close | Self::Ping | Self::Pong)
    }
}

/// A decoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// FIN: this frame ends its message.
    pub fin: bool,
    /// The opcode.
    pub opcode: Opcode,
    /// The masking key, present on client-to-server frames.
    pub mask: Option<[u8; 4]>,
    /// The payload length in bytes.
    pub payload_len: u64,
}

/// Decodes a header from the front of `bytes`, checked for a reader in `role`.
///
/// Returns `Ok(None)` when more bytes are needed, or the header and its
/// length in bytes. `allow_rsv1` is true only when an extension that uses
/// RSV1 was negotiated (none is, in this version).
///
/// # Examples
///
/// ```
/// use tickwire::ws::{Role, frame::{decode_header, Opcode}};
///
/// // RFC 6455 5.7: a single-frame unmasked text message "Hello".
/// let bytes = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
/// let (header, len) = decode_header(&bytes, Role::Client, false).unwrap().unwrap();
/// assert_eq!((header.opcode, header.payload_len, len), (Opcode::Text, 5, 2));
/// ```
#[inline]
pub fn decode_header(
    bytes: &[u8],
    role: Role,
    allow_rsv1: bool,
) -> Result<Option<(FrameHeader, usize)>, ProtocolError> {
    let [b0, b1, ..] = *bytes else {
        return Ok(None);
    };
    let fin = b0 & 0x80 != 0;
    let rsv = b0 & 0x70;
    if rsv != 0 && !(allow_rsv1 && rsv == 0x40) {
        return Err(ProtocolError::ReservedBits);
    }
    let opcode = Opcode::from_u8(b0 & 0x0F)?;
    let masked = b1 & 0x80 != 0;
    match (role, masked) {
        (Role::Client, true) => return Err(ProtocolError::MaskedFrameFromServer),
        (Role::Server, false) => return Err(ProtocolError::UnmaskedFrameFromClient),
        _ => {}
    }
    let len7 = b1 & 0x7F;
    if opcode.is_control() {
        if !fin {
            return Err(ProtocolError::FragmentedControlFrame);
        }
        if len7 > 125 {
            return Err(ProtocolError::ControlFrameTooLong);
        }
    }
    let (payload_len, mut pos) = match len7 {
        126 => {
            let Some(ext) = bytes.get(2..4) else {
                return Ok(None);
            };
            let len = u16::from_be_bytes([ext[0], ext[1]]);
            if len < 126 {
                return Err(ProtocolError::NonMinimalLength);
            }
            (u64::from(len), 4)
        }
        127 => {
            let Some(ext) = bytes.get(2..10) else {
                return Ok(None);
            };
            let mut raw = [0u8; 8];
            raw.copy_from_slice(ext);
            let len = u64::from_be_bytes(raw);
            if len >> 63 != 0 {
                return Err(ProtocolError::LengthTopBitSet);
            }
            if len <= 0xFFFF {
                return Err(ProtocolError::NonMinimalLength);
            }
            (len, 10)
        }
        n => (u64::from(n), 2),
    };
    let mask = if masked {
        let Some(key) = bytes.get(pos..pos + 4) else {
            return Ok(None);
        };
        pos += 4;
        Some([key[0], key[1], key[2], key[3]])
    } else {
        None
    };
    Ok(Some((
        FrameHeader {
            fin,
            opcode,
            mask,
            payload_len,
        },
        pos,
    )))
}

/// Encodes a header into `out` and returns how many bytes it used (2 to 14).
///
/// The caller guarantees the frame is valid (control payloads of at most 125
/// bytes, and so on); [`FrameWriter`](super::FrameWriter) does.
///
/// # Examples
///
/// ```
/// use tickwire::ws::frame::{encode_header, Opcode, MAX_HEADER_LEN};
///
/// let mut out = [0u8; MAX_HEADER_LEN];
/// let n = encode_header(&mut out, true, Opcode::Binary, None, 256);
/// assert_eq!(&out[..n], &[0x82, 0x7E, 0x01, 0x00]);
/// ```
#[inline]
pub fn encode_header(
    out: &mut [u8; MAX_HEADER_LEN],
    fin: bool,
    opcode: Opcode,
    mask: Option<[u8; 4]>,
    payload_len: u64,
) -> usize {
    out[0] = (u8::from(fin) << 7) | opcode.as_u8();
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    let mut pos = if payload_len < 126 {
        out[1] = mask_bit | payload_len as u8;
        2
    } else if payload_len <= 0xFFFF {
        out[1] = mask_bit | 126;
        out[2..4].copy_from_slice(&(payload_len as u16).to_be_bytes());
        4
    } else {
        out[1] = mask_bit | 127;
        out[2..10].copy_from_slice(&payload_len.to_be_bytes());
        10
    };
    if let Some(key) = mask {
        out[pos..pos + 4].copy_from_slice(&key);
        pos += 4;
    }
    pos
}

/// The header length for a frame of `payload_len` bytes, masked or not.
#[inline]
pub const fn header_len(payload_len: u64, masked: bool) -> usize {
    let base = if payload_len < 126 {
        2
    } else if payload_len <= 0xFFFF {
        4
    } else {
        10
    };
    if masked { base + 4 } else { base }
}
