//! `pool::local`, and zero allocations per acquire and release for both
//! pools once built (a counting global allocator).

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use tickwire::pool::local::Pool;

#[path = "common/alloc.rs"]
mod alloc;
use alloc::count;

#[test]
fn fixed_pool_is_lifo_and_bounded() {
    let mut next = 0;
    let mut pool = Pool::new(3, || {
        next += 1;
        next
    });
    assert_eq!((pool.capacity(), pool.available()), (3, 3));
    let a = pool.try_acquire().unwrap();
    let b = pool.try_acquire().unwrap();
    let c = pool.try_acquire().unwrap();
    assert!(pool.try_acquire().is_none());
    let (ids, b_id) = ([*a, *b, *c], *b);
    assert_eq!(ids.len(), 3);
    drop(a);
    drop(b);
    // The most recently returned value comes out first.
    assert_eq!(*pool.try_acquire().unwrap(), b_id);
    drop(c);
}

#[test]
fn reset_runs_on_return_and_a_panicking_one_drops_the_value() {
    let mut pool = Pool::with_reset(2, Vec::<u8>::new, |v| {
        assert!(v.len() < 100, "refusing a huge buffer");
        v.clear();
    });
    let mut g = pool.try_acquire().unwrap();
    g.extend_from_slice(b"abc");
    drop(g);
    assert!(pool.try_acquire().unwrap().is_empty());
    let mut huge = pool.try_acquire().unwrap();
    huge.resize(1000, 0);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(huge))).is_err());
    assert_eq!(
        pool.available(),
        1,
        "the half-reset value is not handed out again"
    );
}

#[test]
fn growable_pool_makes_values_up_to_its_cap() {
    let made = Rc::new(Cell::new(0));
    let m = made.clone();
    let mut pool = Pool::growable(1, 3, move || {
        m.set(m.get() + 1);
        m.get()
    });
    assert_eq!(made.get(), 1);
    let held: Vec<_> = std::iter::from_fn(|| pool.try_acquire()).collect();
    assert_eq!(held.len(), 3);
    assert_eq!(made.get(), 3);
    drop(held);
    assert_eq!(pool.available(), 3);
    let again: Vec<_> = std::iter::from_fn(|| pool.try_acquire()).collect();
    assert_eq!((again.len(), made.get()), (3, 3), "nothing made twice");
}

#[test]
fn a_guard_outliving_the_pool_drops_its_value_once() {
    struct Counted(Rc<Cell<usize>>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    let drops = Rc::new(Cell::new(0));
    let d = drops.clone();
    let mut pool = Pool::new(2, move || Counted(d.clone()));
    let g = pool.try_acquire().unwrap();
    drop(pool);
    assert_eq!(drops.get(), 1);
    drop(g);
    assert_eq!(drops.get(), 2);
}

#[test]
fn warm_pools_allocate_nothing_per_acquire_and_release() {
    let mut local = Pool::with_reset(4, || Vec::<u8>::with_capacity(256), |v| v.clear());
    let mut sync = tickwire::pool::sync::Pool::with_reset(
        4,
        || Vec::<u8>::with_capacity(256),
        |v: &mut Vec<u8>| v.clear(),
    );
    let mut round = || {
        for _ in 0..1000 {
            let mut a = local.try_acquire().unwrap();
            a.extend_from_slice(b"order");
            let mut b = sync.try_acquire().unwrap();
            b.extend_from_slice(b"order");
            drop((a, b));
        }
    };
    round();
    assert_eq!(count(round), 0);
    // The counter works: an allocation on this thread is seen.
    assert_eq!(count(|| drop(std::hint::black_box(vec![1u8; 8]))), 1);
}
