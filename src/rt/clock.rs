//! The [`Clock`] seam: what time it is, and a timer to sleep until a
//! deadline.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::time::Instant;

/// A source of time and timers.
///
/// A stream creates one [`Timer`] when it is built and re-arms it with
/// [`Timer::reset`] from then on, so waiting on deadlines allocates nothing
/// per message.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tickwire::rt::{Clock, TokioClock};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let clock = TokioClock;
/// let start = clock.now();
/// let mut timer = clock.timer(start + Duration::from_secs(5));
/// timer.as_mut().await; // paused time: returns at once, the clock moved
/// assert!(clock.now() >= start + Duration::from_secs(5));
/// # }
/// ```
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current time.
    fn now(&self) -> Instant;

    /// A timer that completes at `deadline`.
    fn timer(&self, deadline: Instant) -> Pin<Box<dyn Timer>>;
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Instant {
        (**self).now()
    }

    fn timer(&self, deadline: Instant) -> Pin<Box<dyn Timer>> {
        (**self).timer(deadline)
    }
}

/// A re-armable timer made by a [`Clock`]: a future that completes at its
/// deadline.
pub trait Timer: Future<Output = ()> + Send + Sync {
    /// Moves the deadline (earlier or later); a completed timer runs again.
    fn reset(self: Pin<&mut Self>, deadline: Instant);

    /// The deadline the timer is armed for.
    fn deadline(&self) -> Instant;
}

/// The tokio clock: `tokio::time`, which simulators with paused time
/// (turmoil, `tokio::time::pause`) drive.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn timer(&self, deadline: Instant) -> Pin<Box<dyn Timer>> {
        Box::pin(tokio::time::sleep_until(deadline))
    }
}

impl Timer for tokio::time::Sleep {
    fn reset(self: Pin<&mut Self>, deadline: Instant) {
        tokio::time::Sleep::reset(self, deadline);
    }

    fn deadline(&self) -> Instant {
        tokio::time::Sleep::deadline(self)
    }
}
