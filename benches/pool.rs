//! Object-pool benchmarks: tickwire's `pool::local` and `pool::sync` next to
//! the crate they re-create (nexus-pool 1.1.0), deadpool 0.13's runtime-free
//! `unmanaged` pool and plain floors, in the same criterion groups, so every
//! figure is a ratio from one run.
//!
//! Run pinned to one core (unpinned runs on the shared VMs swing by tens of
//! percent):
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-poolbench taskset -c 0 cargo bench --bench pool
//! ```
//!
//! Every pool holds `Vec<u8>`s made with a 256-byte capacity and, where the
//! pool has one, a `Vec::clear` reset on return (nexus-pool always runs its
//! reset; tickwire's is optional, so it also has a `tickwire_no_reset` row;
//! deadpool has none). One iteration acquires a value, touches it with
//! `black_box(&mut *guard)` and drops the guard. Times are ns per
//! acquire+release pair. Groups (see `docs/performance.md` for the figures):
//!
//! - `pool_local_acquire_release`: `tickwire::pool::local::Pool` and
//!   `nexus_pool::local::Pool` (`try_acquire`, guard dropped), and a floor
//!   that pops a `Vec<u8>` off a `Vec<Vec<u8>>`, clears it and pushes it back.
//! - `pool_sync_acquire_release`: `tickwire::pool::sync::Pool`,
//!   `nexus_pool::sync::Pool`, deadpool's `unmanaged::Pool::try_get`, all
//!   acquired and released on the bench thread; `floor_2cas` is two
//!   uncontended compare-exchanges on one atomic, the least a pool with a
//!   lock-free return can pay per pair.
//! - `pool_sync_release_other_thread`: the bench thread acquires and hands
//!   the guards, in batches of `BATCH`, through a bounded std channel to a
//!   releaser thread that drops them and sends the empty batch back (batches
//!   are recycled: nothing allocates). The time of `n` pairs runs until every
//!   batch has come back, so every release is inside it. `channel_floor` moves
//!   `u64` tokens through the same machinery and so is the cost of the
//!   hand-off itself: subtract it to compare the pools. Under
//!   `taskset -c 0` both threads share core 0; set
//!   `POOL_BENCH_RELEASE_CPU=1` to pin the releaser to CPU 1 instead (the
//!   benchmark id then reads `cpu1`), so the guards come back from another
//!   core's cache.

// criterion_group! generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use tickwire::pool::{local, sync};

mod common;

/// Capacity of every pooled `Vec<u8>`.
const VALUE_CAPACITY: usize = 256;
/// Values per pool in the same-thread groups (only one is ever out).
const SLOTS: usize = 64;
/// Guards per hand-off to the releaser thread.
const BATCH: usize = 256;
/// Batches in circulation between the two threads.
const BATCHES: usize = 4;
/// Values per pool in the cross-thread group: enough for every batch in
/// circulation to be full, so `try_acquire` never finds the pool empty.
const CROSS_SLOTS: usize = BATCH * BATCHES;

fn value() -> Vec<u8> {
    Vec::with_capacity(VALUE_CAPACITY)
}

/// `Vec::clear` as a closure that every pool's reset signature accepts.
fn reset(v: &mut Vec<u8>) {
    v.clear();
}

/// Checks once that a pooled value is the one made by `value()` and that a
/// reset ran on its return.
fn check_value(v: &mut Vec<u8>, after_reset: bool) {
    assert!(v.capacity() >= VALUE_CAPACITY, "not a pooled buffer");
    if after_reset {
        assert!(v.is_empty(), "reset did not run on return");
    }
    v.push(1);
}

// ---------------------------------------------------------------------------
// Local: one thread
// ---------------------------------------------------------------------------

fn bench_local(c: &mut Criterion) {
    let mut group = c.benchmark_group("pool_local_acquire_release");

    let mut tw = local::Pool::with_reset(SLOTS, value, reset);
    for pass in 0..2 {
        check_value(&mut tw.try_acquire().expect("free value"), pass > 0);
    }
    group.bench_function("tickwire", |b| {
        b.iter(|| {
            let mut g = tw.try_acquire().expect("free value");
            black_box(&mut *g);
            drop(g);
        });
    });
    assert_eq!(tw.available(), SLOTS);

    let mut tw_plain = local::Pool::new(SLOTS, value);
    group.bench_function("tickwire_no_reset", |b| {
        b.iter(|| {
            let mut g = tw_plain.try_acquire().expect("free value");
            black_box(&mut *g);
            drop(g);
        });
    });
    assert_eq!(tw_plain.available(), SLOTS);

    let nx = nexus_pool::local::Pool::with_capacity(SLOTS, value, reset);
    for pass in 0..2 {
        check_value(&mut nx.try_acquire().expect("free value"), pass > 0);
    }
    group.bench_function("nexus", |b| {
        b.iter(|| {
            let mut g = nx.try_acquire().expect("free value");
            black_box(&mut *g);
            drop(g);
        });
    });
    assert_eq!(nx.available(), SLOTS);

    // The least a LIFO pool of owned values can do: pop, touch, clear, push.
    let mut free: Vec<Vec<u8>> = (0..SLOTS).map(|_| value()).collect();
    group.bench_function("vec_floor", |b| {
        b.iter(|| {
            let mut v = free.pop().expect("free value");
            black_box(&mut v);
            v.clear();
            free.push(v);
        });
    });
    assert_eq!(free.len(), SLOTS);
    group.finish();
}

// ---------------------------------------------------------------------------
// Sync: acquire and release on the bench thread
// ---------------------------------------------------------------------------

fn deadpool_pool(slots: usize) -> deadpool::unmanaged::Pool<Vec<u8>> {
    deadpool::unmanaged::Pool::from((0..slots).map(|_| value()).collect::<Vec<_>>())
}

fn bench_sync_same_thread(c: &mut Criterion) {
    let mut group = c.benchmark_group("pool_sync_acquire_release");

    let mut tw = sync::Pool::with_reset(SLOTS, value, reset);
    for pass in 0..2 {
        check_value(&mut tw.try_acquire().expect("free slot"), pass > 0);
    }
    group.bench_function("tickwire", |b| {
        b.iter(|| {
            let mut g = tw.try_acquire().expect("free slot");
            black_box(&mut *g);
            drop(g);
        });
    });
    assert_eq!(tw.available(), SLOTS);

    let mut tw_plain = sync::Pool::new(SLOTS, value);
    group.bench_function("tickwire_no_reset", |b| {
        b.iter(|| {
            let mut g = tw_plain.try_acquire().expect("free slot");
            black_box(&mut *g);
            drop(g);
        });
    });
    assert_eq!(tw_plain.available(), SLOTS);

    let nx = nexus_pool::sync::Pool::new(SLOTS, value, reset);
    for pass in 0..2 {
        check_value(&mut nx.try_acquire().expect("free slot"), pass > 0);
    }
    group.bench_function("nexus", |b| {
        b.iter(|| {
            let mut g = nx.try_acquire().expect("free slot");
            black_box(&mut *g);
            drop(g);
        });
    });
    assert_eq!(nx.available(), SLOTS);

    let dp = deadpool_pool(SLOTS);
    check_value(&mut dp.try_get().expect("free object"), false);
    group.bench_function("deadpool", |b| {
        b.iter(|| {
            let mut g = dp.try_get().expect("free object");
            black_box(&mut *g);
            drop(g);
        });
    });
    assert_eq!(dp.status().available, SLOTS);

    // Two uncontended CASes on one word: a Treiber pop and push with no
    // list behind them.
    let head = AtomicU32::new(0);
    group.bench_function("floor_2cas", |b| {
        b.iter(|| {
            let h = head.load(Ordering::Acquire);
            let popped = head
                .compare_exchange(h, h ^ 1, Ordering::Acquire, Ordering::Acquire)
                .is_ok();
            black_box(popped);
            let pushed = head
                .compare_exchange(h ^ 1, h, Ordering::AcqRel, Ordering::Acquire)
                .is_ok();
            black_box(pushed);
        });
    });
    group.finish();
}

// ---------------------------------------------------------------------------
// Sync: acquire here, release on another thread
// ---------------------------------------------------------------------------

/// The CPU named by `POOL_BENCH_RELEASE_CPU`, if set.
fn release_cpu() -> Option<usize> {
    let cpu = std::env::var("POOL_BENCH_RELEASE_CPU").ok()?;
    Some(
        cpu.trim()
            .parse()
            .expect("POOL_BENCH_RELEASE_CPU: a CPU number"),
    )
}

/// Pins the calling thread to `cpu`.
#[cfg(target_os = "linux")]
fn pin_current_thread(cpu: usize) {
    unsafe extern "C" {
        /// glibc's wrapper of sched_setaffinity(2); `pid_t` is `i32`.
        fn sched_setaffinity(pid: i32, cpusetsize: usize, mask: *const u64) -> i32;
    }
    // A whole `cpu_set_t` (1024 bits).
    let mut mask = [0u64; 16];
    assert!(cpu < 1024, "CPU number out of range");
    mask[cpu / 64] |= 1 << (cpu % 64);
    // SAFETY: pid 0 is the calling thread; `mask` is a valid, initialised
    // 128-byte cpu_set_t that outlives the call, which only reads it.
    let rc = unsafe { sched_setaffinity(0, std::mem::size_of_val(&mask), mask.as_ptr()) };
    assert_eq!(rc, 0, "sched_setaffinity to CPU {cpu} failed");
}

#[cfg(not(target_os = "linux"))]
fn pin_current_thread(_cpu: usize) {
    panic!("POOL_BENCH_RELEASE_CPU is supported on Linux only");
}

/// Batches of `G` travelling to a releaser thread that drops their items
/// and sends the emptied batches back.
struct Handoff<G: Send + 'static> {
    full: Option<SyncSender<Vec<G>>>,
    empty: Receiver<Vec<G>>,
    /// Empty batches on this side.
    spare: Vec<Vec<G>>,
    releaser: Option<JoinHandle<()>>,
}

impl<G: Send + 'static> Handoff<G> {
    fn new(cpu: Option<usize>) -> Self {
        let (full, full_rx) = sync_channel::<Vec<G>>(BATCHES);
        let (empty_tx, empty) = sync_channel::<Vec<G>>(BATCHES);
        let releaser = std::thread::spawn(move || {
            if let Some(cpu) = cpu {
                pin_current_thread(cpu);
            }
            for mut batch in full_rx {
                for g in batch.drain(..) {
                    drop(black_box(g));
                }
                if empty_tx.send(batch).is_err() {
                    return;
                }
            }
        });
        Self {
            full: Some(full),
            empty,
            spare: (0..BATCHES).map(|_| Vec::with_capacity(BATCH)).collect(),
            releaser: Some(releaser),
        }
    }

    /// Acquires `pairs` guards with `acquire`, hands them over in batches
    /// and waits until every one is released; returns the time taken.
    #[inline(always)]
    fn run(&mut self, pairs: u64, mut acquire: impl FnMut() -> G) -> Duration {
        let full = self.full.as_ref().expect("releaser running");
        let start = Instant::now();
        let mut batch = self.spare.pop().expect("a spare batch");
        for _ in 0..pairs {
            batch.push(acquire());
            if batch.len() == BATCH {
                full.send(batch).expect("releaser alive");
                batch = match self.spare.pop() {
                    Some(b) => b,
                    None => self.empty.recv().expect("releaser alive"),
                };
            }
        }
        if batch.is_empty() {
            self.spare.push(batch);
        } else {
            full.send(batch).expect("releaser alive");
        }
        while self.spare.len() < BATCHES {
            self.spare.push(self.empty.recv().expect("releaser alive"));
        }
        start.elapsed()
    }
}

impl<G: Send + 'static> Drop for Handoff<G> {
    fn drop(&mut self) {
        drop(self.full.take());
        if let Some(releaser) = self.releaser.take() {
            releaser.join().expect("releaser thread panicked");
        }
    }
}

fn bench_sync_other_thread(c: &mut Criterion) {
    let cpu = release_cpu();
    let placement = match cpu {
        Some(cpu) => format!("cpu{cpu}"),
        None => "inherit".to_string(),
    };
    eprintln!(
        "pool_sync_release_other_thread: batches of {BATCH}, {BATCHES} in circulation, \
         {CROSS_SLOTS} values per pool, releaser on {placement}"
    );
    let mut group = c.benchmark_group("pool_sync_release_other_thread");

    {
        let mut handoff = Handoff::<u64>::new(cpu);
        let mut token = 0u64;
        group.bench_function(BenchmarkId::new("channel_floor", &placement), |b| {
            b.iter_custom(|pairs| {
                handoff.run(pairs, || {
                    token += 1;
                    black_box(token)
                })
            });
        });
    }

    let mut tw = sync::Pool::with_reset(CROSS_SLOTS, value, reset);
    {
        let mut handoff = Handoff::new(cpu);
        handoff.run(2 * CROSS_SLOTS as u64, || {
            let mut g = tw.try_acquire().expect("free slot");
            check_value(&mut g, false);
            g
        });
        group.bench_function(BenchmarkId::new("tickwire", &placement), |b| {
            b.iter_custom(|pairs| {
                handoff.run(pairs, || {
                    let mut g = tw.try_acquire().expect("free slot");
                    black_box(&mut *g);
                    g
                })
            });
        });
    }
    assert_eq!(tw.available(), CROSS_SLOTS);
    // Every value came back, reset on the releaser thread.
    let all: Vec<_> = (0..CROSS_SLOTS)
        .map(|_| tw.try_acquire().expect("free slot"))
        .collect();
    for mut g in all {
        check_value(&mut g, true);
    }

    let nx = nexus_pool::sync::Pool::new(CROSS_SLOTS, value, reset);
    {
        let mut handoff = Handoff::new(cpu);
        handoff.run(2 * CROSS_SLOTS as u64, || {
            let mut g = nx.try_acquire().expect("free slot");
            check_value(&mut g, false);
            g
        });
        group.bench_function(BenchmarkId::new("nexus", &placement), |b| {
            b.iter_custom(|pairs| {
                handoff.run(pairs, || {
                    let mut g = nx.try_acquire().expect("free slot");
                    black_box(&mut *g);
                    g
                })
            });
        });
    }
    assert_eq!(nx.available(), CROSS_SLOTS);
    let all: Vec<_> = (0..CROSS_SLOTS)
        .map(|_| nx.try_acquire().expect("free slot"))
        .collect();
    for mut g in all {
        check_value(&mut g, true);
    }

    let dp = deadpool_pool(CROSS_SLOTS);
    {
        let mut handoff = Handoff::new(cpu);
        group.bench_function(BenchmarkId::new("deadpool", &placement), |b| {
            b.iter_custom(|pairs| {
                handoff.run(pairs, || {
                    let mut g = dp.try_get().expect("free object");
                    black_box(&mut *g);
                    g
                })
            });
        });
    }
    assert_eq!(dp.status().available, CROSS_SLOTS);
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = bench_local, bench_sync_same_thread, bench_sync_other_thread
}
criterion_main!(benches);
