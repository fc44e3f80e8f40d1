//! `pool::sync`: slot accounting across threads, guards outliving the pool,
//! panicking resets, waker-based waiting, and a stress run on real threads.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use tickwire::pool::sync::Pool;

/// A value that knows its slot and counts its drops.
struct Tracked {
    id: usize,
    uses: usize,
    drops: Arc<AtomicUsize>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

fn tracked_pool(capacity: usize) -> (Pool<Tracked>, Arc<AtomicUsize>) {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut next = 0;
    let d = drops.clone();
    let pool = Pool::new(capacity, move || {
        next += 1;
        Tracked {
            id: next - 1,
            uses: 0,
            drops: d.clone(),
        }
    });
    (pool, drops)
}

#[test]
fn every_slot_once_and_back_from_other_threads() {
    let (mut pool, drops) = tracked_pool(8);
    assert_eq!((pool.capacity(), pool.available()), (8, 8));
    let guards: Vec<_> = std::iter::from_fn(|| pool.try_acquire()).collect();
    assert_eq!(guards.len(), 8);
    let ids: HashSet<usize> = guards.iter().map(|g| g.id).collect();
    assert_eq!(ids.len(), 8, "a slot was handed out twice");
    assert_eq!(pool.available(), 0);
    let handles: Vec<_> = guards
        .into_iter()
        .map(|g| std::thread::spawn(move || drop(g)))
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(pool.available(), 8);
    // LIFO: the last returned is the first handed out again.
    let g = pool.try_acquire().unwrap();
    let id = g.id;
    drop(g);
    assert_eq!(pool.try_acquire().unwrap().id, id);
    drop(pool);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        8,
        "each value dropped exactly once"
    );
}

#[test]
fn guards_outliving_the_pool_drop_their_values_once() {
    let (mut pool, drops) = tracked_pool(4);
    let a = pool.try_acquire().unwrap();
    let b = pool.try_acquire().unwrap();
    drop(pool); // two free values dropped now
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    let t = std::thread::spawn(move || drop(a));
    t.join().unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 3);
    drop(b); // the last one out frees the block
    assert_eq!(drops.load(Ordering::SeqCst), 4);
}

#[test]
fn a_panicking_reset_neither_leaks_the_slot_nor_poisons_the_pool() {
    let mut pool = Pool::with_reset(
        2,
        || 0u32,
        |v| {
            if *v == 13 {
                panic!("reset refused 13");
            }
            *v = 0;
        },
    );
    let mut g = pool.try_acquire().unwrap();
    *g = 13;
    let result = std::thread::spawn(move || catch_unwind(AssertUnwindSafe(|| drop(g))))
        .join()
        .unwrap();
    assert!(result.is_err(), "the reset's panic reaches the returner");
    assert_eq!(pool.available(), 2, "the slot came back");
    let mut a = pool.try_acquire().unwrap();
    let mut b = pool.try_acquire().unwrap();
    assert_eq!(*a + *b, 13, "the value is as reset left it");
    (*a, *b) = (1, 1);
}

struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn poll_acquire_sleeps_until_a_return_wakes_it() {
    let (mut pool, _) = tracked_pool(1);
    let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);
    let held = match pool.poll_acquire(&mut cx) {
        Poll::Ready(g) => g,
        Poll::Pending => panic!("a free slot must be ready"),
    };
    assert!(pool.poll_acquire(&mut cx).is_pending());
    assert!(pool.poll_acquire(&mut cx).is_pending()); // polled twice: still one waiter
    assert_eq!(counter.0.load(Ordering::SeqCst), 0);
    std::thread::spawn(move || drop(held)).join().unwrap();
    assert_eq!(
        counter.0.load(Ordering::SeqCst),
        1,
        "the return woke the waiter"
    );
    assert!(pool.poll_acquire(&mut cx).is_ready());
}

#[test]
fn acquire_future_resolves_on_a_return() {
    let (mut pool, _) = tracked_pool(1);
    let held = pool.try_acquire().unwrap();
    let returner = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(20));
        drop(held);
    });
    // A tiny executor: park until woken.
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(pool.acquire());
    let got = loop {
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(g) => break g,
            Poll::Pending => std::thread::park(),
        }
    };
    assert_eq!(got.id, 0);
    returner.join().unwrap();
}

use std::future::Future;

#[test]
fn stress_returns_from_two_threads_while_one_acquires() {
    const ROUNDS: usize = 1_000_000;
    let (mut pool, drops) = tracked_pool(16);
    let (tx_a, rx_a) = std::sync::mpsc::sync_channel::<tickwire::pool::sync::Pooled<Tracked>>(64);
    let (tx_b, rx_b) = std::sync::mpsc::sync_channel::<tickwire::pool::sync::Pooled<Tracked>>(64);
    let returners: Vec<_> = [rx_a, rx_b]
        .into_iter()
        .map(|rx| std::thread::spawn(move || rx.into_iter().count()))
        .collect();
    let mut handed = 0;
    while handed < ROUNDS {
        let Some(mut g) = pool.try_acquire() else {
            std::thread::yield_now();
            continue;
        };
        g.uses += 1;
        let tx = if handed % 2 == 0 { &tx_a } else { &tx_b };
        tx.send(g).unwrap();
        handed += 1;
    }
    drop((tx_a, tx_b));
    let returned: usize = returners.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(returned, ROUNDS);
    assert_eq!(pool.available(), 16, "every slot came back");
    let guards: Vec<_> = std::iter::from_fn(|| pool.try_acquire()).collect();
    let ids: HashSet<usize> = guards.iter().map(|g| g.id).collect();
    assert_eq!(ids.len(), 16);
    assert_eq!(
        guards.iter().map(|g| g.uses).sum::<usize>(),
        ROUNDS,
        "no use lost"
    );
    drop(guards);
    drop(pool);
    assert_eq!(drops.load(Ordering::SeqCst), 16);
}
