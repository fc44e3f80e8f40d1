//! The reconnect backoff policy, driven by hand with explicit `now` values.
//!
//! Nothing here sleeps or depends on the wall clock: each test reads
//! `Instant::now()` once for an origin (the only way to get an `Instant`)
//! and moves time by adding durations to it.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use tickwire::backoff::{Backoff, BackoffConfig, ConfigError, Jitter, Next};
use tickwire::rng::{RandomSource, SeededRng};

const MS: Duration = Duration::from_millis(1);

/// Counts draws, to pin when the policy consumes randomness.
struct CountingRng {
    inner: SeededRng,
    draws: Rc<Cell<u64>>,
}

impl RandomSource for CountingRng {
    fn next_u64(&mut self) -> u64 {
        self.draws.set(self.draws.get() + 1);
        self.inner.next_u64()
    }
}

/// Always the same 64 bits: 0 and `u64::MAX` hit the ends of every range.
struct FixedRng(u64);

impl RandomSource for FixedRng {
    fn next_u64(&mut self) -> u64 {
        self.0
    }
}

fn jitter() -> impl Strategy<Value = Jitter> {
    prop_oneof![
        Just(Jitter::None),
        Just(Jitter::Full),
        Just(Jitter::Equal),
        Just(Jitter::Decorrelated),
    ]
}

/// Durations from a nanosecond to `Duration::MAX`, weighted toward the
/// realistic range.
fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        4 => (1u64..10_000_000_000).prop_map(Duration::from_nanos),
        1 => (1u64..=u64::MAX).prop_map(Duration::from_nanos),
        1 => (0u64..=u64::MAX, 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
        1 => Just(Duration::MAX),
        1 => Just(Duration::from_nanos(1)),
    ]
}

fn multiplier() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => 1.0f64..4.0,
        1 => Just(1.0),
        1 => 1.0f64..1e12,
        1 => Just(f64::MAX),
    ]
}

/// Any valid configuration.
fn config() -> impl Strategy<Value = BackoffConfig> {
    (
        duration(),
        prop_oneof![Just(Duration::ZERO), duration()],
        multiplier(),
        jitter(),
        proptest::option::of(1u32..40),
        prop_oneof![Just(Duration::ZERO), duration()],
    )
        .prop_map(|(initial, extra, multiplier, jitter, attempts, healthy)| {
            let builder = BackoffConfig::builder()
                .initial(initial)
                .max(initial.saturating_add(extra))
                .multiplier(multiplier)
                .jitter(jitter)
                .healthy_after(healthy);
            let builder = match attempts {
                Some(n) => builder.max_attempts(n),
                None => builder.unlimited_attempts(),
            };
            builder
                .build()
                .expect("the strategy only makes valid configs")
        })
}

fn retry(next: Next) -> (Instant, Duration) {
    match next {
        Next::RetryAt { at, delay } => (at, delay),
        Next::GiveUp { attempts } => panic!("gave up after {attempts} attempts"),
    }
}

/// The closed form in plain `f64` seconds, built by repeated
/// multiplication: an independent reference for `base_delay`.
fn reference_base_secs(config: &BackoffConfig, attempt: u32) -> f64 {
    let max = config.max().as_secs_f64();
    let mut base = config.initial().as_secs_f64();
    for _ in 1..attempt {
        base = (base * config.multiplier()).min(max);
    }
    base
}

proptest! {
    #[test]
    fn every_delay_within_its_bounds(config in config(), seed in any::<u64>(), failures in 1u32..80) {
        let mut backoff = Backoff::new(config, SeededRng::from_seed(seed));
        let mut now = Instant::now();
        let mut previous = config.initial();
        for n in 1..=failures {
            let next = backoff.on_failure(now);
            if config.max_attempts() == Some(n) {
                prop_assert_eq!(next, Next::GiveUp { attempts: n });
                prop_assert_eq!(backoff.attempts(), n);
                break;
            }
            let (at, delay) = retry(next);
            prop_assert_eq!(backoff.attempts(), n);
            prop_assert!(delay <= config.max(), "{delay:?} above the cap");
            prop_assert!(at >= now);
            if let Some(exact) = now.checked_add(delay) {
                prop_assert_eq!(at, exact);
            }
            let base = config.base_delay(n);
            let (low, high) = match config.jitter() {
                Jitter::None => (base, base),
                Jitter::Full => (Duration::ZERO, base),
                Jitter::Equal => (base / 2, base),
                Jitter::Decorrelated => (
                    config.initial(),
                    previous.saturating_mul(3).min(config.max()),
                ),
                other => panic!("untested jitter {other:?}"),
            };
            prop_assert!(low <= delay && delay <= high, "{n}: {delay:?} not in [{low:?}, {high:?}]");
            previous = delay;
            now = at;
        }
    }

    #[test]
    fn base_delay_grows_by_the_multiplier_up_to_the_cap(config in config()) {
        let mut last = Duration::ZERO;
        for n in 1..=64 {
            let base = config.base_delay(n);
            prop_assert!(config.initial() <= base && base <= config.max());
            prop_assert!(base >= last, "base fell from {last:?} to {base:?} at {n}");
            let want = reference_base_secs(&config, n);
            let got = base.as_secs_f64();
            prop_assert!(
                (got - want).abs() <= want * 1e-9 + 2e-9,
                "attempt {n}: {got} s, formula {want} s"
            );
            last = base;
        }
        prop_assert_eq!(config.base_delay(u32::MAX), if config.multiplier() > 1.0 {
            config.max()
        } else {
            config.initial()
        });
    }

    #[test]
    fn gives_up_at_exactly_max_attempts_and_stays_given_up(
        limit in 1u32..60,
        jitter in jitter(),
        seed in any::<u64>(),
    ) {
        let config = BackoffConfig::builder().jitter(jitter).max_attempts(limit).build().unwrap();
        let mut backoff = Backoff::new(config, SeededRng::from_seed(seed));
        let now = Instant::now();
        for n in 1..limit {
            prop_assert!(backoff.on_failure(now).retry_at().is_some());
            prop_assert_eq!(backoff.attempts(), n);
        }
        for _ in 0..3 {
            prop_assert_eq!(backoff.on_failure(now), Next::GiveUp { attempts: limit });
            prop_assert_eq!(backoff.on_disconnected(now), Next::GiveUp { attempts: limit });
            prop_assert_eq!(backoff.attempts(), limit);
        }
        backoff.reset();
        prop_assert_eq!(backoff.attempts(), 0);
        let expect_retry = limit > 1;
        prop_assert_eq!(backoff.on_failure(now).retry_at().is_some(), expect_retry);
    }

    #[test]
    fn the_count_resets_only_after_a_healthy_connection(
        healthy in 1u64..100_000,
        up in 0u64..200_000,
        earlier_failures in 0u32..20,
    ) {
        let healthy_after = Duration::from_millis(healthy);
        let config = BackoffConfig::builder()
            .jitter(Jitter::None)
            .max(Duration::from_secs(3600))
            .healthy_after(healthy_after)
            .build()
            .unwrap();
        let mut backoff = Backoff::new(config, SeededRng::from_seed(0));
        let start = Instant::now();
        for _ in 0..earlier_failures {
            let _ = backoff.on_failure(start);
        }
        backoff.on_connected(start);
        prop_assert!(backoff.is_connected());
        prop_assert_eq!(backoff.healthy_at(), Some(start + healthy_after));
        prop_assert_eq!(backoff.attempts(), earlier_failures, "connecting alone resets nothing");

        let end = start + Duration::from_millis(up);
        let (_, delay) = retry(backoff.on_disconnected(end));
        prop_assert!(!backoff.is_connected());
        if Duration::from_millis(up) >= healthy_after {
            prop_assert_eq!(backoff.attempts(), 1);
            prop_assert_eq!(delay, config.initial());
        } else {
            prop_assert_eq!(backoff.attempts(), earlier_failures + 1);
            prop_assert_eq!(delay, config.base_delay(earlier_failures + 1));
        }
    }

    #[test]
    fn same_seed_same_sequence(config in config(), seed in any::<u64>(), script in proptest::collection::vec((0u8..3, 0u64..20_000), 1..60)) {
        let run = |seed: u64| {
            let mut backoff = Backoff::new(config, SeededRng::from_seed(seed));
            let mut now = Instant::now();
            let mut out = Vec::new();
            for &(event, step_ms) in &script {
                now += Duration::from_millis(step_ms);
                let next = match event {
                    0 => backoff.on_failure(now),
                    1 => {
                        backoff.on_connected(now);
                        continue;
                    }
                    _ => backoff.on_disconnected(now),
                };
                // Compare delays, not instants: each run has its own origin
                // (and a deadline past the platform's range saturates).
                let delay = match next {
                    Next::RetryAt { delay, .. } => Some(delay),
                    Next::GiveUp { .. } => None,
                };
                out.push((delay, backoff.attempts()));
            }
            out
        };
        prop_assert_eq!(run(seed), run(seed));
    }

    #[test]
    fn different_seeds_give_different_jitter(
        jitter in prop_oneof![Just(Jitter::Full), Just(Jitter::Equal), Just(Jitter::Decorrelated)],
        initial_ms in 1u64..1_000,
        seed in any::<u64>(),
    ) {
        let config = BackoffConfig::builder()
            .initial(Duration::from_millis(initial_ms))
            .max(Duration::from_secs(60))
            .jitter(jitter)
            .build()
            .unwrap();
        let delays = |seed: u64| {
            let mut backoff = Backoff::new(config, SeededRng::from_seed(seed));
            let now = Instant::now();
            (0..16).map(|_| retry(backoff.on_failure(now)).1).collect::<Vec<_>>()
        };
        // At least a million nanoseconds to choose from on every draw.
        prop_assert_ne!(delays(seed), delays(seed.wrapping_add(1)));
    }

    #[test]
    fn randomness_is_drawn_once_per_jittered_retry(config in config(), seed in any::<u64>(), failures in 1u32..50) {
        let draws = Rc::new(Cell::new(0));
        let rng = CountingRng { inner: SeededRng::from_seed(seed), draws: Rc::clone(&draws) };
        let mut backoff = Backoff::new(config, rng);
        let now = Instant::now();
        let mut retries = 0;
        for _ in 0..failures {
            if let Next::RetryAt { .. } = backoff.on_failure(now) {
                retries += 1;
            }
        }
        let expected = if config.jitter() == Jitter::None { 0 } else { retries };
        prop_assert_eq!(draws.get(), expected);
    }

    #[test]
    fn extreme_inputs_saturate_instead_of_panicking(
        config in config(),
        bits in prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>()],
        times in proptest::collection::vec((0u8..3, duration()), 1..40),
    ) {
        let mut backoff = Backoff::new(config, FixedRng(bits));
        let origin = Instant::now();
        for (event, offset) in times {
            // Any instant at all, past the origin by up to Duration::MAX
            // (saturated where the platform cannot hold it) or before it.
            let now = origin.checked_add(offset).or_else(|| origin.checked_sub(offset / 4)).unwrap_or(origin);
            match event {
                0 => backoff.on_connected(now),
                1 => {
                    if let Next::RetryAt { at, delay } = backoff.on_disconnected(now) {
                        prop_assert!(delay <= config.max() && at >= now);
                    }
                }
                _ => {
                    if let Next::RetryAt { at, delay } = backoff.on_failure(now) {
                        prop_assert!(delay <= config.max() && at >= now);
                    }
                }
            }
            let _ = backoff.healthy_at();
        }
    }
}

#[test]
fn defaults_are_the_documented_ones() {
    let config = BackoffConfig::default();
    assert_eq!(config.initial(), 100 * MS);
    assert_eq!(config.max(), Duration::from_secs(10));
    assert_eq!(config.multiplier(), 2.0);
    assert_eq!(config.jitter(), Jitter::Full);
    assert_eq!(config.max_attempts(), None);
    assert_eq!(config.healthy_after(), Duration::from_secs(10));
    assert_eq!(BackoffConfig::builder().build(), Ok(config));
}

#[test]
fn invalid_configs_are_typed_errors() {
    let b = BackoffConfig::builder;
    assert_eq!(
        b().initial(Duration::ZERO).build(),
        Err(ConfigError::ZeroInitial)
    );
    assert_eq!(
        b().initial(2 * MS).max(MS).build(),
        Err(ConfigError::InitialAboveMax {
            initial: 2 * MS,
            max: MS
        })
    );
    for multiplier in [0.0, 0.999, -1.0, f64::INFINITY, f64::NEG_INFINITY] {
        assert_eq!(
            b().multiplier(multiplier).build(),
            Err(ConfigError::InvalidMultiplier { multiplier })
        );
    }
    assert!(matches!(
        b().multiplier(f64::NAN).build(),
        Err(ConfigError::InvalidMultiplier { multiplier }) if multiplier.is_nan()
    ));
    assert_eq!(
        b().max_attempts(0).build(),
        Err(ConfigError::ZeroMaxAttempts)
    );
    assert!(b().max_attempts(0).unlimited_attempts().build().is_ok());
    assert!(b().initial(MS).max(MS).multiplier(1.0).build().is_ok());
    let message = b().multiplier(0.5).build().unwrap_err().to_string();
    assert!(message.contains("0.5"), "{message}");
}

/// The sequence the guide's example shows, step by step.
#[test]
fn guide_example_sequence() {
    let config = BackoffConfig::builder()
        .initial(100 * MS)
        .max(Duration::from_secs(1))
        .jitter(Jitter::None)
        .max_attempts(6)
        .build()
        .unwrap();
    let mut backoff = Backoff::new(config, SeededRng::from_seed(1));
    let mut now = Instant::now();
    let mut waits = Vec::new();
    while let Next::RetryAt { at, delay } = backoff.on_failure(now) {
        waits.push(delay.as_millis());
        now = at;
    }
    assert_eq!(waits, [100, 200, 400, 800, 1000]);
    assert_eq!(backoff.attempts(), 6);
}

#[test]
fn decorrelated_starts_over_after_a_reset() {
    let config = BackoffConfig::builder()
        .initial(10 * MS)
        .max(Duration::from_secs(3600))
        .jitter(Jitter::Decorrelated)
        .build()
        .unwrap();
    // The top of every range: 3 × the previous delay, from `initial`.
    let mut backoff = Backoff::new(config, FixedRng(u64::MAX));
    let now = Instant::now();
    let first: Vec<Duration> = (0..4).map(|_| retry(backoff.on_failure(now)).1).collect();
    assert_eq!(first, [30 * MS, 90 * MS, 270 * MS, 810 * MS]);
    backoff.reset();
    assert_eq!(retry(backoff.on_failure(now)).1, 30 * MS);
    // The bottom of every range is `initial`.
    let mut low = Backoff::new(config, FixedRng(0));
    assert_eq!(retry(low.on_failure(now)).1, 10 * MS);
    assert_eq!(retry(low.on_failure(now)).1, 10 * MS);
}

#[test]
fn on_failure_while_connected_ends_the_connection() {
    let config = BackoffConfig::builder()
        .jitter(Jitter::None)
        .build()
        .unwrap();
    let mut backoff = Backoff::new(config, SeededRng::from_seed(3));
    let t0 = Instant::now();
    let _ = backoff.on_failure(t0);
    let _ = backoff.on_failure(t0);
    backoff.on_connected(t0);
    backoff.on_connected(t0 + Duration::from_secs(9)); // a duplicate: t0 stands
    assert_eq!(backoff.healthy_at(), Some(t0 + Duration::from_secs(10)));
    let t1 = t0 + Duration::from_secs(11);
    assert_eq!(retry(backoff.on_failure(t1)).1, 100 * MS); // healthy: reset, then failure 1
    assert!(!backoff.is_connected());
    assert_eq!(backoff.healthy_at(), None);
    // A disconnect reported before the connection's start counts as no time up.
    backoff.on_connected(t1);
    let _ = backoff.on_disconnected(t0);
    assert_eq!(backoff.attempts(), 2);
}

#[test]
fn healthy_after_is_inclusive() {
    let config = BackoffConfig::builder()
        .jitter(Jitter::None)
        .build()
        .unwrap();
    let healthy = config.healthy_after();
    for (up, reset) in [(healthy - Duration::from_nanos(1), false), (healthy, true)] {
        let mut backoff = Backoff::new(config, SeededRng::from_seed(8));
        let t0 = Instant::now();
        let _ = backoff.on_failure(t0);
        backoff.on_connected(t0);
        let _ = backoff.on_disconnected(t0 + up);
        assert_eq!(backoff.attempts(), if reset { 1 } else { 2 }, "up {up:?}");
    }
}

/// A server that accepts and drops every connection half a second later:
/// without the healthy rule the client would reconnect every ~100 ms; with
/// it, the delays keep growing to the cap. One simulated hour.
#[test]
fn a_flapping_server_does_not_cause_a_reconnect_storm() {
    let mut backoff = Backoff::new(BackoffConfig::default(), SeededRng::from_seed(99));
    let start = Instant::now();
    let mut now = start;
    let mut connections = 0u32;
    let mut next = backoff.on_failure(now); // the very first attempt failed
    while now - start < Duration::from_secs(3600) {
        now = next.retry_at().expect("unlimited attempts never give up");
        connections += 1;
        backoff.on_connected(now);
        now += 500 * MS;
        next = backoff.on_disconnected(now);
    }
    assert_eq!(backoff.attempts(), connections + 1);
    // Full jitter at a 10 s cap waits 5 s on average, plus 0.5 s up: about
    // 650 connections an hour, against some 6000 for a flat 100 ms.
    assert!(
        (500..800).contains(&connections),
        "{connections} connections"
    );
}

#[test]
fn duration_max_everywhere_saturates() {
    let config = BackoffConfig::builder()
        .initial(Duration::MAX)
        .max(Duration::MAX)
        .multiplier(f64::MAX)
        .jitter(Jitter::None)
        .build()
        .unwrap();
    let mut backoff = Backoff::new(config, SeededRng::from_seed(5));
    let now = Instant::now();
    let (at, delay) = retry(backoff.on_failure(now));
    assert_eq!(delay, Duration::MAX);
    assert!(at > now);
    assert_eq!(config.base_delay(u32::MAX), Duration::MAX);
}
