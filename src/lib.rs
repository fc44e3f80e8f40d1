//! tickwire: low-latency WebSocket and HTTP/1.1 client core for trading systems.
//!
//! See the crate's README and `docs/` for the guide.

#![warn(clippy::undocumented_unsafe_blocks)]

pub mod backoff;
pub mod buf;
pub mod http;
pub mod pool;
pub mod rng;
pub mod rt;
pub mod tls;
pub mod ws;

#[doc(hidden)]
pub mod fuzz_entry;

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

#[doc = include_str!("../docs/websocket.md")]
#[cfg(doctest)]
pub struct WebsocketDocDoctests;

#[doc = include_str!("../docs/http.md")]
#[cfg(doctest)]
pub struct HttpDocDoctests;

#[doc = include_str!("../docs/pools.md")]
#[cfg(doctest)]
pub struct PoolsDocDoctests;

#[doc = include_str!("../docs/reconnect.md")]
#[cfg(doctest)]
pub struct ReconnectDocDoctests;

#[doc = include_str!("../docs/tls.md")]
#[cfg(doctest)]
pub struct TlsDocDoctests;
