//! The WebSocket protocol core (RFC 6455), sans-IO.
//!
//! Bytes in, messages out ([`FrameReader`]); messages in, bytes out
//! ([`FrameWriter`]); the opening handshake as pure functions
//! ([`handshake`]); the closing handshake as a small state machine
//! ([`CloseState`]). Nothing here reads a socket, reads a clock, spawns a task
//! or draws from a global random source: randomness comes in through
//! [`RandomSource`](crate::rng::RandomSource).
//!
//! # Examples
//!
//! A client encodes a message; a server decodes it, zero-copy.
//!
//! ```
//! use tickwire::buf::WriteBuf;
//! use tickwire::rng::SeededRng;
//! use tickwire::ws::{FrameReader, FrameWriter, Message, Role};
//!
//! let mut writer = FrameWriter::with_rng(Role::Client, SeededRng::from_seed(1));
//! let mut out = WriteBuf::new(14, 1024);
//! writer.text(&mut out, "hello").unwrap();
//!
//! let mut reader = FrameReader::builder().role(Role::Server).build();
//! reader.read(out.data()).unwrap();
//! assert_eq!(reader.next().unwrap(), Some(Message::Text("hello")));
//! assert_eq!(reader.next().unwrap(), None); // needs more bytes
//! ```

mod close;
mod error;
pub mod frame;
pub mod handshake;
pub mod mask;
mod reader;
mod stream;
mod url;
mod writer;

pub use close::{CloseFrame, CloseState};
pub use error::{CloseCode, EncodeError, ProtocolError};
pub use mask::apply_mask;
pub use reader::{
    DEFAULT_BUFFER_CAPACITY, DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_MESSAGE_SIZE, FrameReader,
    FrameReaderBuilder, ReadError,
};
pub use stream::{
    DEFAULT_WRITE_BUFFER_CAPACITY, HeartbeatConfig, HeartbeatPayload, OwnedMessage, TimeoutKind,
    WsBuilder, WsError, WsReader, WsStream, WsWriter,
};
pub use url::WsUrl;
pub use writer::{FrameWriter, MessageKind, PayloadSink};

/// Which end of the connection this code plays. Clients mask what they send
/// and refuse masked frames; servers do the opposite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The connecting side.
    Client,
    /// The accepting side.
    Server,
}

/// A complete message, borrowed from the reader's buffers.
///
/// Valid until the next call on the [`FrameReader`]: nothing is copied to
/// hand it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// A text message, already checked to be UTF-8.
    Text(&'a str),
    /// A binary message.
    Binary(&'a [u8]),
    /// A ping with its payload (at most 125 bytes). Answer it with a pong.
    Ping(&'a [u8]),
    /// A pong with its payload.
    Pong(&'a [u8]),
    /// A close frame: `None` when it carried no status code.
    Close(Option<CloseFrame<'a>>),
}
