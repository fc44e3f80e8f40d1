//! The atomics and the waker `pool::sync` is built from, switched to
//! loom's model-checked versions under `--cfg tickwire_loom` (our own cfg:
//! the global `loom` cfg would compile tokio's `net` out).
//!
//! Slot values live in plain `UnsafeCell`s: a loom model checks their
//! hand-over by pooling a value that is itself a `loom::cell::UnsafeCell`,
//! so every access to it is tracked against our atomics' orderings.
//!
//! Nothing but `pool::sync` may use this module.

#[cfg(not(tickwire_loom))]
pub(crate) use std::sync::atomic::{AtomicU32, Ordering};

#[cfg(tickwire_loom)]
pub(crate) use loom::sync::atomic::{AtomicU32, Ordering};

/// Wakes the one task waiting for a slot; lock-free on both sides.
#[derive(Debug, Default)]
pub(crate) struct AtomicWaker(
    #[cfg(not(tickwire_loom))] atomic_waker::AtomicWaker,
    #[cfg(tickwire_loom)] loom::future::AtomicWaker,
);

impl AtomicWaker {
    pub(crate) fn new() -> Self {
        #[cfg(not(tickwire_loom))]
        return Self(atomic_waker::AtomicWaker::new());
        #[cfg(tickwire_loom)]
        return Self(loom::future::AtomicWaker::new());
    }

    pub(crate) fn register(&self, waker: &std::task::Waker) {
        #[cfg(not(tickwire_loom))]
        self.0.register(waker);
        #[cfg(tickwire_loom)]
        self.0.register_by_ref(waker);
    }

    pub(crate) fn wake(&self) {
        self.0.wake();
    }
}
