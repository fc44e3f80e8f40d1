//! loom models of tickwire's concurrency primitives.
//!
//! The lock-free slot return of `pool::sync` is modelled here once it lands
//! (run with `RUSTFLAGS="--cfg tickwire_loom"`, in release, in its own target
//! directory). Until then this crate checks the thread-safety contract of the
//! sans-IO core that the pools will move between threads.
