//! The [`Spawner`] seam: starting background tasks (reconnects, pool
//! refills) without naming the runtime.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// Spawns `Send` tasks, for state shared across threads.
pub trait Spawner: Send + Sync + fmt::Debug + 'static {
    /// Starts `task` in the background; it runs to completion on its own.
    fn spawn(&self, task: Pin<Box<dyn Future<Output = ()> + Send + 'static>>);
}

/// Spawns tasks that stay on the current thread, for `!Send` state (the
/// single-threaded pools).
pub trait LocalSpawner: fmt::Debug + 'static {
    /// Starts `task` on this thread; it runs to completion on its own.
    fn spawn_local(&self, task: Pin<Box<dyn Future<Output = ()> + 'static>>);
}

/// The tokio spawner: `tokio::spawn`, and `tokio::task::spawn_local` (which
/// needs a `LocalSet`, or a runtime that runs local tasks).
///
/// # Examples
///
/// ```
/// use tickwire::rt::{Spawner, TokioSpawner};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (tx, rx) = tokio::sync::oneshot::channel();
/// TokioSpawner.spawn(Box::pin(async move {
///     let _ = tx.send(42);
/// }));
/// assert_eq!(rx.await.unwrap(), 42);
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSpawner;

impl Spawner for TokioSpawner {
    fn spawn(&self, task: Pin<Box<dyn Future<Output = ()> + Send + 'static>>) {
        drop(tokio::spawn(task));
    }
}

impl LocalSpawner for TokioSpawner {
    fn spawn_local(&self, task: Pin<Box<dyn Future<Output = ()> + 'static>>) {
        drop(tokio::task::spawn_local(task));
    }
}
