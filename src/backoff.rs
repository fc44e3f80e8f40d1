//! The reconnect backoff policy: a pure state machine that says when to try
//! again after a connection attempt fails or a connection drops.
//!
//! [`Backoff`] is told what happened ([`on_failure`](Backoff::on_failure),
//! [`on_connected`](Backoff::on_connected),
//! [`on_disconnected`](Backoff::on_disconnected)) together with `now`, and
//! answers with a deadline ([`Next::RetryAt`]) or [`Next::GiveUp`]; the
//! caller's runtime sleeps until the deadline. Jitter is drawn from an
//! injected [`RandomSource`], so one seed gives one sequence of delays.
//!
//! This module must never read a clock, sleep, spawn, or draw from a global
//! generator: time comes in as `now`, randomness through the owned source.

#![forbid(unsafe_code)]

use std::fmt;
use std::time::{Duration, Instant};

use crate::rng::{RandomSource, SeededRng};

const DEFAULT_INITIAL: Duration = Duration::from_millis(100);
const DEFAULT_MAX: Duration = Duration::from_secs(10);
const DEFAULT_MULTIPLIER: f64 = 2.0;
const DEFAULT_HEALTHY_AFTER: Duration = Duration::from_secs(10);
/// The growth factor of decorrelated jitter, from the AWS article.
const DECORRELATED_FACTOR: u32 = 3;

/// How a delay is randomised, after "Exponential Backoff and Jitter" (AWS
/// Architecture Blog).
///
/// `base(n)` is the un-jittered delay after the `n`-th consecutive failure:
/// `min(max, initial × multiplier^(n-1))` (see [`BackoffConfig::base_delay`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Jitter {
    /// No randomness: exactly `base(n)`. Every client that lost the same
    /// server retries at the same instants; use it in tests, or for a
    /// single client talking to a server nobody else uses.
    None,
    /// Uniform in `[0, base(n)]`. Spreads a herd of clients the most and
    /// does the least total work; a retry may come almost at once.
    #[default]
    Full,
    /// `base(n)/2` plus uniform in `[0, base(n)/2]`, that is uniform in
    /// `[base(n)/2, base(n)]`: never shorter than half the base.
    Equal,
    /// `min(max, uniform in [initial, 3 × previous])`, the previous delay
    /// starting at `initial`. Each delay depends on the last one, not on the
    /// attempt count; the multiplier is not used (the growth factor is the
    /// article's 3, about 1.5× a step on average). Once at the cap, about
    /// two draws in three land exactly on `max`.
    Decorrelated,
}

/// A validated reconnect policy: delays, growth, jitter, give-up and the
/// healthy-reset time. Build one with [`BackoffConfig::builder`], or take
/// the [`Default`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tickwire::backoff::{BackoffConfig, ConfigError, Jitter};
///
/// let config = BackoffConfig::builder()
///     .initial(Duration::from_millis(50))
///     .max(Duration::from_secs(2))
///     .jitter(Jitter::Equal)
///     .max_attempts(10)
///     .build()?;
/// assert_eq!(config.base_delay(3), Duration::from_millis(200));
///
/// let bad = BackoffConfig::builder().multiplier(0.5).build();
/// assert_eq!(bad, Err(ConfigError::InvalidMultiplier { multiplier: 0.5 }));
/// # Ok::<(), ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackoffConfig {
    initial: Duration,
    max: Duration,
    multiplier: f64,
    jitter: Jitter,
    max_attempts: Option<u32>,
    healthy_after: Duration,
}

impl Default for BackoffConfig {
    /// Initial 100 ms, max 10 s, multiplier 2, [`Jitter::Full`], unlimited
    /// attempts, healthy after 10 s.
    fn default() -> Self {
        Self {
            initial: DEFAULT_INITIAL,
            max: DEFAULT_MAX,
            multiplier: DEFAULT_MULTIPLIER,
            jitter: Jitter::Full,
            max_attempts: None,
            healthy_after: DEFAULT_HEALTHY_AFTER,
        }
    }
}

impl BackoffConfig {
    /// A builder that starts from the [`Default`] values.
    pub fn builder() -> BackoffBuilder {
        BackoffBuilder {
            config: Self::default(),
        }
    }

    /// The base delay after the first failure.
    pub fn initial(&self) -> Duration {
        self.initial
    }

    /// The cap: no delay is ever longer.
    pub fn max(&self) -> Duration {
        self.max
    }

    /// The growth of the base delay per consecutive failure (at least 1).
    pub fn multiplier(&self) -> f64 {
        self.multiplier
    }

    /// How delays are randomised.
    pub fn jitter(&self) -> Jitter {
        self.jitter
    }

    /// Consecutive failures after which the policy gives up; `None` never
    /// gives up.
    pub fn max_attempts(&self) -> Option<u32> {
        self.max_attempts
    }

    /// How long a connection must stay up for its end to reset the count.
    pub fn healthy_after(&self) -> Duration {
        self.healthy_after
    }

    /// The un-jittered delay after the `attempt`-th consecutive failure
    /// (counted from 1; 0 is taken as 1): `min(max, initial ×
    /// multiplier^(attempt-1))`, never below `initial`.
    ///
    /// It is the delay itself under [`Jitter::None`] and the upper bound
    /// under [`Jitter::Full`] and [`Jitter::Equal`]. Computed in `f64`
    /// nanoseconds: exact for whole multipliers while the result stays
    /// under about 104 days, saturating at `max` for any input.
    pub fn base_delay(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1);
        if exponent == 0 || self.multiplier == 1.0 {
            return self.initial;
        }
        let exponent = i32::try_from(exponent).unwrap_or(i32::MAX);
        let nanos = self.initial.as_nanos() as f64 * self.multiplier.powi(exponent);
        // An overflow to infinity (or a NaN, which valid inputs cannot make)
        // goes to the cap.
        if nanos.is_nan() || nanos >= self.max.as_nanos() as f64 {
            return self.max;
        }
        // A float-to-int `as` saturates. Rounding cannot take the result
        // below `initial` (a multiplier above 1 moves it at least one ulp)
        // nor, past the check above, over `max`: the clamp is only a guard.
        duration_from_nanos(nanos as u128).clamp(self.initial, self.max)
    }
}

/// Builds a [`BackoffConfig`]; [`build`](Self::build) checks it.
#[derive(Debug, Clone, Copy)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct BackoffBuilder {
    config: BackoffConfig,
}

impl BackoffBuilder {
    /// The base delay after the first failure (default 100 ms; not zero).
    pub fn initial(mut self, initial: Duration) -> Self {
        self.config.initial = initial;
        self
    }

    /// The cap on every delay (default 10 s; at least `initial`).
    pub fn max(mut self, max: Duration) -> Self {
        self.config.max = max;
        self
    }

    /// The growth per consecutive failure (default 2; finite and at least 1;
    /// 1 gives a constant base delay).
    pub fn multiplier(mut self, multiplier: f64) -> Self {
        self.config.multiplier = multiplier;
        self
    }

    /// How delays are randomised (default [`Jitter::Full`]).
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.config.jitter = jitter;
        self
    }

    /// Give up at the `attempts`-th consecutive failure (at least 1; 1 means
    /// never retry). Default: unlimited.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.config.max_attempts = Some(attempts);
        self
    }

    /// Never give up (the default).
    pub fn unlimited_attempts(mut self) -> Self {
        self.config.max_attempts = None;
        self
    }

    /// How long a connection must stay up for its end to reset the failure
    /// count (default 10 s; zero resets on every disconnect).
    pub fn healthy_after(mut self, healthy_after: Duration) -> Self {
        self.config.healthy_after = healthy_after;
        self
    }

    /// Checks the values and returns the policy, or the first problem.
    pub fn build(self) -> Result<BackoffConfig, ConfigError> {
        let c = self.config;
        if c.initial.is_zero() {
            return Err(ConfigError::ZeroInitial);
        }
        if c.initial > c.max {
            return Err(ConfigError::InitialAboveMax {
                initial: c.initial,
                max: c.max,
            });
        }
        if !(c.multiplier.is_finite() && c.multiplier >= 1.0) {
            return Err(ConfigError::InvalidMultiplier {
                multiplier: c.multiplier,
            });
        }
        if c.max_attempts == Some(0) {
            return Err(ConfigError::ZeroMaxAttempts);
        }
        Ok(c)
    }
}

/// A [`BackoffBuilder`] value that cannot make a sound policy.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A zero initial delay never grows: the policy would retry in a loop.
    ZeroInitial,
    /// The initial delay is longer than the cap.
    InitialAboveMax {
        /// The initial delay given.
        initial: Duration,
        /// The cap given.
        max: Duration,
    },
    /// The multiplier is below 1, infinite or NaN.
    InvalidMultiplier {
        /// The multiplier given.
        multiplier: f64,
    },
    /// `max_attempts(0)`: the first attempt happens before the policy is
    /// asked, so the least is 1 (never retry).
    ZeroMaxAttempts,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroInitial => f.write_str("backoff initial delay is zero"),
            Self::InitialAboveMax { initial, max } => write!(
                f,
                "backoff initial delay {initial:?} is above the maximum {max:?}"
            ),
            Self::InvalidMultiplier { multiplier } => write!(
                f,
                "backoff multiplier {multiplier} is not a finite number of at least 1"
            ),
            Self::ZeroMaxAttempts => f.write_str("backoff max_attempts is zero (the least is 1)"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// What to do after a failure: the answer of [`Backoff::on_failure`] and
/// [`Backoff::on_disconnected`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "the caller must wait until `at` or give up"]
pub enum Next {
    /// Try again at `at`, which is `now + delay`. Should that pass the
    /// furthest instant the platform can represent, `at` is that instant.
    RetryAt {
        /// The deadline of the next attempt.
        at: Instant,
        /// The (jittered) wait, within the bounds of the jitter mode.
        delay: Duration,
    },
    /// Stop: `attempts` consecutive failures reached `max_attempts`. Asked
    /// again, the policy answers the same until a reset.
    GiveUp {
        /// The consecutive failures counted (equal to `max_attempts`).
        attempts: u32,
    },
}

impl Next {
    /// The deadline, if the answer is to retry.
    pub fn retry_at(&self) -> Option<Instant> {
        match self {
            Self::RetryAt { at, .. } => Some(*at),
            Self::GiveUp { .. } => None,
        }
    }
}

/// The reconnect policy's state: consecutive failures, the current
/// connection's start, and the random source for jitter.
///
/// Semantics:
/// - [`on_failure`](Self::on_failure) counts one failed attempt and answers
///   [`Next::RetryAt`] or, at the `max_attempts`-th consecutive failure,
///   [`Next::GiveUp`].
/// - [`on_connected`](Self::on_connected) notes when the connection came up;
///   it does **not** reset the count.
/// - [`on_disconnected`](Self::on_disconnected) ends that connection: if it
///   stayed up at least `healthy_after`, the count resets first; either way
///   the drop then counts as a failure. A connection that drops right after
///   connecting therefore keeps backing off (and counts toward
///   `max_attempts`), which is what stops a reconnect storm against a
///   flapping server.
///
/// The source is drawn exactly once per [`Next::RetryAt`] under a jittered
/// mode, and never under [`Jitter::None`] or for [`Next::GiveUp`].
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use tickwire::backoff::{Backoff, BackoffConfig, Jitter, Next};
/// use tickwire::rng::SeededRng;
///
/// let ms = Duration::from_millis;
/// let config = BackoffConfig::builder()
///     .initial(ms(100))
///     .max(ms(300))
///     .jitter(Jitter::None)
///     .max_attempts(4)
///     .healthy_after(Duration::from_secs(30))
///     .build()?;
/// let mut backoff = Backoff::new(config, SeededRng::from_seed(7));
///
/// let t0 = Instant::now(); // the driver's clock: the policy never reads one
/// assert_eq!(backoff.on_failure(t0), Next::RetryAt { at: t0 + ms(100), delay: ms(100) });
/// assert_eq!(backoff.on_failure(t0), Next::RetryAt { at: t0 + ms(200), delay: ms(200) });
///
/// // Up for 5 s only: the drop counts as the third failure.
/// backoff.on_connected(t0);
/// let t1 = t0 + Duration::from_secs(5);
/// assert_eq!(backoff.on_disconnected(t1).retry_at(), Some(t1 + ms(300))); // capped
/// assert_eq!(backoff.on_failure(t1), Next::GiveUp { attempts: 4 });
///
/// // Up for a minute: healthy, so the count starts again.
/// backoff.on_connected(t1);
/// let t2 = t1 + Duration::from_secs(60);
/// assert_eq!(backoff.on_disconnected(t2).retry_at(), Some(t2 + ms(100)));
/// assert_eq!(backoff.attempts(), 1);
/// # Ok::<(), tickwire::backoff::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Backoff<R = SeededRng> {
    config: BackoffConfig,
    rng: R,
    attempts: u32,
    /// The last decorrelated delay; `initial` after a reset.
    previous: Duration,
    connected_since: Option<Instant>,
}

impl<R: RandomSource> Backoff<R> {
    /// A policy with no failures counted, not connected, drawing jitter
    /// from `rng`. To share one seed with other users, seed this source
    /// from it: `SeededRng::from_seed(main.next_u64())`.
    pub fn new(config: BackoffConfig, rng: R) -> Self {
        Self {
            config,
            rng,
            attempts: 0,
            previous: config.initial,
            connected_since: None,
        }
    }

    /// A connection attempt failed at `now`: counts it and answers when to
    /// try again, or to give up.
    ///
    /// Called while connected, it ends the connection exactly as
    /// [`on_disconnected`](Self::on_disconnected) does.
    pub fn on_failure(&mut self, now: Instant) -> Next {
        if let Some(since) = self.connected_since.take()
            && now.saturating_duration_since(since) >= self.config.healthy_after
        {
            self.reset();
        }
        self.attempts = self.attempts.saturating_add(1);
        if let Some(limit) = self.config.max_attempts
            && self.attempts >= limit
        {
            self.attempts = limit;
            return Next::GiveUp { attempts: limit };
        }
        let delay = self.draw_delay();
        Next::RetryAt {
            at: saturating_deadline(now, delay),
            delay,
        }
    }

    /// The connection came up at `now`. The count is kept until the
    /// connection has proved healthy (see
    /// [`on_disconnected`](Self::on_disconnected)). Reported twice, the
    /// earlier instant stands.
    pub fn on_connected(&mut self, now: Instant) {
        self.connected_since.get_or_insert(now);
    }

    /// The connection dropped at `now`. If it had been up at least
    /// `healthy_after` the count resets; then the drop counts as a failure
    /// and the answer is that of [`on_failure`](Self::on_failure). An
    /// instant before the connection's start counts as no time up.
    pub fn on_disconnected(&mut self, now: Instant) -> Next {
        self.on_failure(now)
    }

    /// Consecutive failures counted since the last reset (at most
    /// `max_attempts`).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Whether [`on_connected`](Self::on_connected) was reported and the
    /// connection has not ended since.
    pub fn is_connected(&self) -> bool {
        self.connected_since.is_some()
    }

    /// The instant from which the current connection counts as healthy, or
    /// `None` when not connected (or when that instant is past the
    /// platform's range).
    pub fn healthy_at(&self) -> Option<Instant> {
        self.connected_since?.checked_add(self.config.healthy_after)
    }

    /// Forgets the failures: the count is zero and decorrelated jitter
    /// starts again from `initial`. The connection state and the random
    /// source are untouched.
    pub fn reset(&mut self) {
        self.attempts = 0;
        self.previous = self.config.initial;
    }

    /// The policy this state machine follows.
    pub fn config(&self) -> &BackoffConfig {
        &self.config
    }

    fn draw_delay(&mut self) -> Duration {
        let config = &self.config;
        match config.jitter {
            Jitter::None => config.base_delay(self.attempts),
            Jitter::Full => uniform(
                &mut self.rng,
                Duration::ZERO,
                config.base_delay(self.attempts),
            ),
            Jitter::Equal => {
                let base = config.base_delay(self.attempts);
                uniform(&mut self.rng, base / 2, base)
            }
            Jitter::Decorrelated => {
                let high = self.previous.saturating_mul(DECORRELATED_FACTOR);
                let delay = uniform(&mut self.rng, config.initial, high).min(config.max);
                self.previous = delay;
                delay
            }
        }
    }
}

/// A duration uniform in `[low, high]` (`low <= high`) from one 64-bit draw:
/// `low + floor((high - low + 1 ns) × r / 2^64)`. Both ends are reachable
/// while the span is under 2^64 ns (584 years); beyond that the top falls
/// short by span / 2^64 (about a second at `Duration::MAX`). The bias is
/// below one part in 2^30 at the longest spans and irrelevant for sleeping.
fn uniform(rng: &mut impl RandomSource, low: Duration, high: Duration) -> Duration {
    let span = high.saturating_sub(low).as_nanos() + 1; // below 2^95
    let r = u128::from(rng.next_u64());
    let (span_high, span_low) = (span >> 64, span & u128::from(u64::MAX));
    // span × r / 2^64 in two halves, neither of which overflows u128.
    let offset = span_high * r + ((span_low * r) >> 64);
    low.saturating_add(duration_from_nanos(offset))
}

fn duration_from_nanos(nanos: u128) -> Duration {
    const NANOS_PER_SEC: u128 = 1_000_000_000;
    match u64::try_from(nanos / NANOS_PER_SEC) {
        // The remainder is below 10^9, so it fits a u32.
        Ok(secs) => Duration::new(secs, (nanos % NANOS_PER_SEC) as u32),
        Err(_) => Duration::MAX,
    }
}

/// `now + delay`, or the furthest instant the platform can represent.
fn saturating_deadline(now: Instant, delay: Duration) -> Instant {
    if let Some(at) = now.checked_add(delay) {
        return at;
    }
    // Greedy descent: one success at most per halving, so at most about
    // 2 × 96 steps, and only for delays of centuries.
    let (mut at, mut step) = (now, delay);
    while !step.is_zero() {
        match at.checked_add(step) {
            Some(later) => at = later,
            None => step /= 2,
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(u64);

    impl RandomSource for Fixed {
        fn next_u64(&mut self) -> u64 {
            self.0
        }
    }

    #[test]
    fn uniform_reaches_both_ends_and_never_passes_them() {
        let (low, high) = (Duration::from_millis(5), Duration::from_millis(9));
        assert_eq!(uniform(&mut Fixed(0), low, high), low);
        assert_eq!(uniform(&mut Fixed(u64::MAX), low, high), high);
        assert_eq!(uniform(&mut Fixed(u64::MAX), low, low), low);
        assert_eq!(
            uniform(&mut Fixed(0), Duration::ZERO, Duration::MAX),
            Duration::ZERO
        );
        // Past 2^64 ns (584 years) the top end is out of reach by span / 2^64.
        let top = uniform(&mut Fixed(u64::MAX), Duration::ZERO, Duration::MAX);
        assert!(Duration::MAX - top < Duration::from_secs(2));
        let mid = uniform(&mut Fixed(1 << 63), Duration::ZERO, Duration::MAX);
        assert!(mid > Duration::MAX / 3 && mid < Duration::MAX / 3 * 2);
    }

    #[test]
    fn duration_from_nanos_round_trips_and_saturates() {
        for d in [Duration::ZERO, Duration::new(3, 999_999_999), Duration::MAX] {
            assert_eq!(duration_from_nanos(d.as_nanos()), d);
        }
        assert_eq!(duration_from_nanos(u128::MAX), Duration::MAX);
    }

    #[test]
    fn deadline_saturates_instead_of_panicking() {
        let now = Instant::now();
        let far = saturating_deadline(now, Duration::MAX);
        assert!(far > now + Duration::from_secs(1 << 40));
        assert!(far.checked_add(Duration::from_secs(1)).is_none());
        assert_eq!(
            saturating_deadline(now, Duration::from_secs(1)),
            now + Duration::from_secs(1)
        );
    }

    #[test]
    fn base_delay_is_exact_for_whole_multipliers() {
        let config = BackoffConfig::builder()
            .max(Duration::from_secs(100))
            .build()
            .unwrap();
        let ms: Vec<u128> = (1..=8).map(|n| config.base_delay(n).as_millis()).collect();
        assert_eq!(ms, [100, 200, 400, 800, 1600, 3200, 6400, 12800]);
        assert_eq!(config.base_delay(0), config.base_delay(1));
        assert_eq!(config.base_delay(u32::MAX), Duration::from_secs(100));
    }
}
