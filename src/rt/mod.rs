//! Runtime seams: the clock, the network and task spawning.
//!
//! Everything above this module reaches time, sockets and tasks only through
//! these traits, never through `tokio::time`, `TcpStream::connect` or
//! `tokio::spawn` directly. Each has a tokio implementation used by default
//! ([`TokioClock`], [`TokioConnector`], [`TokioSpawner`]); a simulator
//! supplies its own (the turmoil connector in `sim/`), and randomness comes
//! from [`RandomSource`](crate::rng::RandomSource).
//!
//! Deadlines are [`tokio::time::Instant`]s, not `std::time::Instant`s: under
//! a simulator with paused time (turmoil, `tokio::time::pause`) only tokio's
//! clock moves.
//!
//! This module must never hold protocol state or parse bytes.
//!
//! # Examples
//!
//! Connect with the default connector and its socket options:
//!
//! ```no_run
//! use std::time::Duration;
//! use tickwire::rt::{Connector, SocketOptions, TokioConnector};
//!
//! # async fn run() -> std::io::Result<()> {
//! let connector = TokioConnector::new(
//!     SocketOptions::default()
//!         .connect_timeout(Duration::from_secs(2))
//!         .keepalive(Some(Duration::from_secs(30))),
//! );
//! let stream = connector.connect("127.0.0.1", 9000).await?;
//! assert!(stream.nodelay()?); // TCP_NODELAY is on by default
//! # Ok(())
//! # }
//! ```

mod clock;
mod connector;
mod spawner;

pub use clock::{Clock, Timer, TokioClock};
pub use connector::{Connector, SocketOptions, TokioConnector};
pub use spawner::{LocalSpawner, Spawner, TokioSpawner};
