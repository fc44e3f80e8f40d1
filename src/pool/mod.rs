//! Object pools: [`local`] for one thread, [`sync`] for guards returned
//! from any thread without a lock. No I/O, no clock, no runtime.
//!
//! See `docs/pools.md` for what each guarantees and how `sync` is proved
//! with loom.

mod facade;
pub mod local;
pub mod sync;
