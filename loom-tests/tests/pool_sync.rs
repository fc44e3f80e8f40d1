//! loom models of `pool::sync`'s lock-free slot return.
//!
//! Run: `RUSTFLAGS="--cfg tickwire_loom" cargo test -p tickwire-loom-tests
//! --release --target-dir target/loom` (`.ci/run` does). Pooled values are
//! `loom::cell::UnsafeCell`s, so loom checks that every write a returner
//! makes to its value happens-before the acquirer's next read of it: a
//! missing release/acquire pair is a reported causality violation.
//!
//! With `--cfg tickwire_loom_broken` as well, the push's `Release` is
//! weakened to `Relaxed`, and the `should_panic` models below prove the
//! models catch that bug.
#![cfg(tickwire_loom)]

use loom::cell::UnsafeCell;
#[cfg(not(tickwire_loom_broken))]
use loom::sync::Arc;
#[cfg(not(tickwire_loom_broken))]
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;
use tickwire::pool::sync::Pool;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(f);
}

fn cell_pool(capacity: usize) -> Pool<UnsafeCell<usize>> {
    Pool::new(capacity, || UnsafeCell::new(0))
}

/// Acquires until `n` guards are held, yielding while none is free.
fn acquire_n(
    pool: &mut Pool<UnsafeCell<usize>>,
    n: usize,
) -> Vec<tickwire::pool::sync::Pooled<UnsafeCell<usize>>> {
    let mut held = Vec::new();
    while held.len() < n {
        match pool.try_acquire() {
            Some(g) => held.push(g),
            None => thread::yield_now(),
        }
    }
    held
}

fn returns_race_each_other_and_the_acquirer() {
    model(|| {
        let mut pool = cell_pool(2);
        let a = pool.try_acquire().unwrap();
        let b = pool.try_acquire().unwrap();
        let returners: Vec<_> = [a, b]
            .into_iter()
            .map(|g| {
                thread::spawn(move || {
                    // SAFETY: the guard gives this thread the value alone.
                    g.with_mut(|p| unsafe { *p += 1 });
                    drop(g);
                })
            })
            .collect();
        let held = acquire_n(&mut pool, 2);
        // Each value was written once by its returner, before its return.
        for g in &held {
            // SAFETY: as above; loom checks the write happened-before.
            assert_eq!(g.with(|p| unsafe { *p }), 1);
        }
        for r in returners {
            r.join().unwrap();
        }
    });
}

#[test]
#[cfg(not(tickwire_loom_broken))]
fn two_returners_race_each_other_and_the_acquirer() {
    returns_race_each_other_and_the_acquirer();
}

/// One returner writes its value and returns it; the acquirer takes it if
/// it is there (no spinning) and reads it. The read must see the write.
#[cfg(not(tickwire_loom_broken))]
fn acquire_sees_the_returners_write() {
    model(|| {
        let mut pool = cell_pool(1);
        let g = pool.try_acquire().unwrap();
        let returner = thread::spawn(move || {
            // SAFETY: this thread alone holds the value.
            g.with_mut(|p| unsafe { *p = 42 });
            drop(g);
        });
        if let Some(got) = pool.try_acquire() {
            // SAFETY: ours now; loom checks the write happened-before.
            assert_eq!(got.with(|p| unsafe { *p }), 42);
        }
        returner.join().unwrap();
    });
}

#[test]
#[cfg(not(tickwire_loom_broken))]
fn acquirer_sees_what_the_returner_wrote() {
    acquire_sees_the_returners_write();
}

/// With the push's release weakened to Relaxed, the racing-returns model
/// fails: loom finds executions in which the acquirer never observes the
/// returns (it reports "Model exceeded maximum number of branches", the
/// shape TOOL-NOTES describes for a wrong ordering in a lock-free list).
/// The correct code passes the same model. (The single-return model above
/// does not flag the broken variant: loom carries an RMW's release clock
/// along the chain of RMWs on the head, so the weakened CAS still inherits
/// one; see docs/pools.md.)
#[test]
#[cfg(tickwire_loom_broken)]
#[should_panic(expected = "maximum number of branches")]
fn broken_release_is_caught() {
    returns_race_each_other_and_the_acquirer();
}

#[test]
#[cfg(not(tickwire_loom_broken))]
fn aba_slot_returned_reacquired_and_returned_while_another_is_mid_return() {
    model(|| {
        let mut pool = cell_pool(2);
        let a = pool.try_acquire().unwrap();
        let b = pool.try_acquire().unwrap();
        let mid = thread::spawn(move || {
            // SAFETY: this thread alone holds b.
            b.with_mut(|p| unsafe { *p += 10 });
            drop(b);
        });
        drop(a);
        // Re-acquire whatever is on top (a, or b if its return won) and
        // return it again while the other return may be in flight.
        if let Some(g) = pool.try_acquire() {
            // SAFETY: the guard gives us the value alone.
            g.with_mut(|p| unsafe { *p += 1 });
            drop(g);
        }
        mid.join().unwrap();
        let held = acquire_n(&mut pool, 2);
        // SAFETY: both values are ours now.
        let sum: usize = held.iter().map(|g| g.with(|p| unsafe { *p })).sum();
        assert!(sum == 11 || sum == 20, "lost or duplicated slot: {sum}");
        assert!(pool.try_acquire().is_none(), "a slot was handed out twice");
    });
}

#[cfg(not(tickwire_loom_broken))]
struct Counted(Arc<AtomicUsize>);

#[cfg(not(tickwire_loom_broken))]
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
#[cfg(not(tickwire_loom_broken))]
fn pool_dropped_while_guards_are_out_on_other_threads() {
    model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let d = drops.clone();
        let mut pool = Pool::new(3, move || Counted(d.clone()));
        let a = pool.try_acquire().unwrap();
        let b = pool.try_acquire().unwrap();
        let t1 = thread::spawn(move || drop(a));
        let t2 = thread::spawn(move || drop(b));
        drop(pool);
        t1.join().unwrap();
        t2.join().unwrap();
        assert_eq!(
            drops.load(Ordering::SeqCst),
            3,
            "each value dropped exactly once"
        );
    });
}

#[test]
#[cfg(not(tickwire_loom_broken))]
fn poll_acquire_racing_a_return_loses_no_wake_up() {
    model(|| {
        let mut pool = cell_pool(1);
        let held = pool.try_acquire().unwrap();
        let returner = thread::spawn(move || {
            // SAFETY: this thread alone holds the value.
            held.with_mut(|p| unsafe { *p = 7 });
            drop(held);
        });
        // block_on deadlocks, and loom reports it, if the wake-up is lost.
        let got = loom::future::block_on(pool.acquire());
        // SAFETY: ours now.
        assert_eq!(got.with(|p| unsafe { *p }), 7);
        returner.join().unwrap();
    });
}
