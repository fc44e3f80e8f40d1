//! tickwire: low-latency WebSocket and HTTP/1.1 client core for trading systems.
//!
//! See the crate's README and `docs/` for the guide.

#![warn(clippy::undocumented_unsafe_blocks)]

pub mod buf;
pub mod rng;
pub mod ws;

#[doc(hidden)]
pub mod fuzz_entry;
