//! [`Pool`]: a fixed-size object pool whose guards may be dropped on any
//! thread, returning their slot without a lock or an allocation.
//!
//! The free list is a Treiber stack of slot indices in one `AtomicU32`.
//! There is one acquirer (the pool is `Send`, not `Sync`; acquiring takes
//! `&mut self`) and any number of returners, which is what makes it simple:
//!
//! - *Pop* (acquire) reads the head and its `next`, then CASes the head to
//!   `next`. Only the acquirer pops, so between its read and its CAS the
//!   head can change only by pushes, which put a different index on top:
//!   the CAS fails and retries. No ABA, no tag.
//! - *Push* (return) writes its slot's `next` to the head it saw and CASes
//!   the head to its own index with `Release`. If the head changed and came
//!   back to the same index meanwhile, that slot was popped and pushed again
//!   with its `next` rewritten to the then-head, so the list it links to is
//!   still the current one: ABA is harmless for pushes.
//! - Acquire/release pairs cost two atomic read-modify-writes in all.
//!
//! Waiting without polling: when the stack is empty, the acquirer registers
//! its waker and sets a `WAITING` bit in the same head word; the next push
//! replaces the word, sees the bit, and wakes it. One word, one modification
//! order: a return cannot slip between the acquirer's check and its sleep.
//!
//! Dropping the pool pops and drops every free value, then CASes the head to
//! `CLOSED` after recording how many slots are still out. A guard that meets
//! `CLOSED` drops its value and counts down; the last one frees the slots.
//!
//! `docs/pools.md` has the memory-ordering argument; `loom-tests/` checks it.

use std::cell::UnsafeCell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::task::{Context, Poll};

use super::facade::{AtomicU32, AtomicWaker, Ordering};

/// Index bits of the head word.
const INDEX: u32 = 0x7FFF_FFFF;
/// The head's index when the stack is empty.
const NIL: u32 = INDEX;
/// The head's index once the pool is dropped.
const CLOSED: u32 = INDEX - 1;
/// Set in the head word while the acquirer waits for a return.
const WAITING: u32 = !INDEX;
/// The push's success ordering. `tickwire_loom_broken` weakens it to
/// `Relaxed` (a release missing) so the loom models can show they catch it;
/// see `docs/testing.md`.
#[cfg(not(tickwire_loom_broken))]
const PUSH_ORDER: Ordering = Ordering::AcqRel;
#[cfg(tickwire_loom_broken)]
const PUSH_ORDER: Ordering = Ordering::Relaxed;
/// The most slots a pool may have.
pub const MAX_CAPACITY: usize = (CLOSED - 1) as usize;

struct Slot<T> {
    value: UnsafeCell<MaybeUninit<T>>,
    /// The next free slot, valid while this one is on the free list.
    next: AtomicU32,
}

type Reset<T> = Box<dyn Fn(&mut T) + Send + Sync>;

struct Shared<T> {
    slots: Box<[Slot<T>]>,
    head: AtomicU32,
    waker: AtomicWaker,
    /// Slots still out when the pool was dropped; counted down by guards.
    orphans: AtomicU32,
    reset: Option<Reset<T>>,
}

/// A fixed-size pool of `T`, `Send` but not `Sync`: one task acquires,
/// guards return from anywhere.
///
/// # Examples
///
/// ```
/// use tickwire::pool::sync::Pool;
///
/// let mut pool = Pool::with_reset(2, || Vec::<u8>::with_capacity(64), |v| v.clear());
/// let mut buf = pool.try_acquire().expect("a free slot");
/// buf.extend_from_slice(b"order");
/// // Return it from another thread: no lock, no allocation.
/// std::thread::spawn(move || drop(buf)).join().unwrap();
/// let again = pool.try_acquire().unwrap();
/// assert!(again.is_empty()); // the reset ran on return
/// ```
pub struct Pool<T> {
    shared: NonNull<Shared<T>>,
    /// `Cell` makes the pool `!Sync`: acquiring is single-threaded.
    _not_sync: PhantomData<std::cell::Cell<()>>,
    _owns: PhantomData<T>,
}

// SAFETY: the pool owns `T`s and hands them to other threads through
// guards, so it may move to another thread when `T` may.
unsafe impl<T: Send> Send for Pool<T> {}

impl<T> Pool<T> {
    /// A pool of `capacity` values made by `factory`.
    ///
    /// # Panics
    ///
    /// If `capacity` is over [`MAX_CAPACITY`] (about two billion).
    pub fn new(capacity: usize, factory: impl FnMut() -> T) -> Self {
        Self::build(capacity, factory, None)
    }

    /// A pool whose values are passed to `reset` when they come back, on
    /// the returning thread. If `reset` panics the slot still returns (the
    /// value as `reset` left it) and the panic goes on in the returner.
    pub fn with_reset(
        capacity: usize,
        factory: impl FnMut() -> T,
        reset: impl Fn(&mut T) + Send + Sync + 'static,
    ) -> Self {
        Self::build(capacity, factory, Some(Box::new(reset)))
    }

    fn build(capacity: usize, mut factory: impl FnMut() -> T, reset: Option<Reset<T>>) -> Self {
        assert!(capacity <= MAX_CAPACITY, "pool capacity over MAX_CAPACITY");
        let slots: Box<[Slot<T>]> = (0..capacity)
            .map(|i| Slot {
                value: UnsafeCell::new(MaybeUninit::new(factory())),
                // Slot i links to i + 1; the last to NIL.
                next: AtomicU32::new(if i + 1 < capacity { i as u32 + 1 } else { NIL }),
            })
            .collect();
        let head = if capacity == 0 { NIL } else { 0 };
        let shared = Box::new(Shared {
            slots,
            head: AtomicU32::new(head),
            waker: AtomicWaker::new(),
            orphans: AtomicU32::new(0),
            reset,
        });
        Self {
            shared: NonNull::from(Box::leak(shared)),
            _not_sync: PhantomData,
            _owns: PhantomData,
        }
    }

    fn shared(&self) -> &Shared<T> {
        // SAFETY: `shared` stays allocated while the pool lives: only the
        // pool's own drop, or the last orphaned guard after it, frees it.
        unsafe { self.shared.as_ref() }
    }

    /// How many values the pool holds in all.
    pub fn capacity(&self) -> usize {
        self.shared().slots.len()
    }

    /// How many values are free right now (a snapshot: returns on other
    /// threads may add to it at any moment). Walks the free list.
    pub fn available(&self) -> usize {
        let shared = self.shared();
        let mut index = shared.head.load(Ordering::Acquire) & INDEX;
        let mut count = 0;
        while index != NIL && count < shared.slots.len() {
            count += 1;
            index = shared.slots[index as usize].next.load(Ordering::Relaxed);
        }
        count
    }

    /// Takes a free value, if there is one.
    #[inline]
    pub fn try_acquire(&mut self) -> Option<Pooled<T>> {
        let index = self.shared().pop()?;
        Some(Pooled {
            shared: self.shared,
            index,
            _owns: PhantomData,
        })
    }

    /// Takes a free value, or registers `cx`'s waker to be woken by the
    /// next return. Runtime-agnostic; never sleeps, never spins.
    pub fn poll_acquire(&mut self, cx: &mut Context<'_>) -> Poll<Pooled<T>> {
        if let Some(guard) = self.try_acquire() {
            return Poll::Ready(guard);
        }
        self.shared().waker.register(cx.waker());
        loop {
            let shared = self.shared();
            let head = shared.head.load(Ordering::Acquire);
            if head & INDEX != NIL {
                // A value came back while we registered.
                if let Some(guard) = self.try_acquire() {
                    return Poll::Ready(guard);
                }
                continue;
            }
            if head & WAITING != 0 {
                return Poll::Pending;
            }
            // Publish the waker (registered above) with the WAITING bit: the
            // next push sees it in the word it replaces.
            if shared
                .head
                .compare_exchange(head, head | WAITING, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return Poll::Pending;
            }
        }
    }

    /// Waits for a free value: resolves on the next return, without polling
    /// on a timer.
    pub fn acquire(&mut self) -> impl Future<Output = Pooled<T>> + '_ {
        std::future::poll_fn(move |cx| self.poll_acquire(cx))
    }
}

impl<T> Drop for Pool<T> {
    fn drop(&mut self) {
        let shared = self.shared();
        let capacity = shared.slots.len() as u32;
        let mut freed = 0u32;
        loop {
            while let Some(index) = shared.pop() {
                // SAFETY: popped, so ours alone; initialised, as every
                // slot's value is until its final drop.
                unsafe { drop_value(&shared.slots[index as usize]) };
                freed += 1;
            }
            // Empty (maybe with the WAITING bit): close it, unless a return
            // lands first, which the next round pops.
            let head = shared.head.load(Ordering::Acquire);
            if head & INDEX != NIL {
                continue;
            }
            let out = capacity - freed;
            shared.orphans.store(out, Ordering::Relaxed);
            // Release: a guard that sees CLOSED also sees `orphans`.
            match shared
                .head
                .compare_exchange(head, CLOSED, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => {
                    if out == 0 {
                        // SAFETY: no slot is out and none can come back:
                        // nothing else refers to `shared`.
                        unsafe { free_shared(self.shared) };
                    }
                    // Otherwise the last returning guard frees it; `shared`
                    // must not be touched from here on.
                    return;
                }
                // A return landed: pop it in the next round.
                Err(_) => continue,
            }
        }
    }
}

impl<T> Shared<T> {
    /// Pops a free slot. Only the single acquirer (the pool, `&mut`, or its
    /// drop) calls this, so the popped index stays on the list and its
    /// `next` stays put between the load and the CAS: no ABA.
    #[inline]
    fn pop(&self) -> Option<u32> {
        let mut head = self.head.load(Ordering::Acquire);
        loop {
            let index = head & INDEX;
            if index == NIL || index == CLOSED {
                return None;
            }
            let next = self.slots[index as usize].next.load(Ordering::Relaxed);
            match self
                .head
                .compare_exchange_weak(head, next, Ordering::Acquire, Ordering::Acquire)
            {
                Ok(_) => return Some(index),
                Err(actual) => head = actual,
            }
        }
    }
}

impl<T> fmt::Debug for Pool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("sync::Pool")
            .field("capacity", &self.capacity())
            .field("available", &self.available())
            .finish()
    }
}

/// Drops a slot's value in place.
///
/// # Safety
///
/// The caller owns the slot (popped, or held by a guard) and its value is
/// initialised and dropped only this once.
unsafe fn drop_value<T>(slot: &Slot<T>) {
    // SAFETY: per the function's contract.
    unsafe { (*slot.value.get()).assume_init_drop() };
}

/// Frees the shared block (not the values: they are dropped already).
///
/// # Safety
///
/// No one refers to `shared` any more and every value was dropped.
unsafe fn free_shared<T>(shared: NonNull<Shared<T>>) {
    // SAFETY: allocated by `Box::leak` in `Pool::build`; per the contract,
    // this is the last reference. `MaybeUninit` values are not dropped again.
    drop(unsafe { Box::from_raw(shared.as_ptr()) });
}

/// A value taken from a [`Pool`]; dropping it returns the value, from any
/// thread, without a lock.
pub struct Pooled<T> {
    shared: NonNull<Shared<T>>,
    index: u32,
    _owns: PhantomData<T>,
}

// SAFETY: the guard is the only handle to its slot's value; it may move to
// another thread when `T` may (returning touches only atomics and, for
// `reset`, a `Send + Sync` closure).
unsafe impl<T: Send> Send for Pooled<T> {}
// SAFETY: `&Pooled<T>` gives only `&T`.
unsafe impl<T: Sync> Sync for Pooled<T> {}

impl<T> Pooled<T> {
    fn slot(&self) -> &Slot<T> {
        // SAFETY: a guard keeps `shared` alive: it is freed only after every
        // guard has returned (see `Pool`'s drop and `return_slot`).
        let shared = unsafe { self.shared.as_ref() };
        &shared.slots[self.index as usize]
    }
}

impl<T> Deref for Pooled<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the guard owns the slot until it drops, and the value is
        // initialised for as long as a guard holds it.
        unsafe { (*self.slot().value.get()).assume_init_ref() }
    }
}

impl<T> DerefMut for Pooled<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes the access unique.
        unsafe { (*self.slot().value.get()).assume_init_mut() }
    }
}

impl<T> Drop for Pooled<T> {
    fn drop(&mut self) {
        // SAFETY: `shared` is alive (see `slot`); this guard returns once.
        unsafe { return_slot(self.shared, self.index) };
    }
}

impl<T: fmt::Debug> fmt::Debug for Pooled<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pooled").field(&**self).finish()
    }
}

/// Pushes slot `index` back on the free list (after `reset`), or, if the
/// pool is gone, drops its value and frees the block if it was the last.
///
/// # Safety
///
/// `shared` is alive and the caller owns slot `index`, which it gives up.
unsafe fn return_slot<T>(shared_ptr: NonNull<Shared<T>>, index: u32) {
    /// Pushes on drop, so a panicking `reset` still returns the slot.
    struct Push<T> {
        shared: NonNull<Shared<T>>,
        index: u32,
    }
    impl<T> Drop for Push<T> {
        fn drop(&mut self) {
            // SAFETY: as for `return_slot`.
            unsafe { push(self.shared, self.index) };
        }
    }
    // SAFETY: alive, per the contract.
    let shared = unsafe { shared_ptr.as_ref() };
    let push_on_drop = Push {
        shared: shared_ptr,
        index,
    };
    if let Some(reset) = &shared.reset
        && shared.head.load(Ordering::Relaxed) & INDEX != CLOSED
    {
        let slot = &shared.slots[index as usize];
        // SAFETY: we own the slot; its value is initialised.
        reset(unsafe { (*slot.value.get()).assume_init_mut() });
    }
    drop(push_on_drop);
}

/// The push itself; see [`return_slot`].
///
/// # Safety
///
/// As for [`return_slot`].
unsafe fn push<T>(shared_ptr: NonNull<Shared<T>>, index: u32) {
    // SAFETY: alive, per the contract.
    let shared = unsafe { shared_ptr.as_ref() };
    let slot = &shared.slots[index as usize];
    let mut head = shared.head.load(Ordering::Acquire);
    loop {
        if head & INDEX == CLOSED {
            // The pool is gone: drop the value; the last one out frees.
            // SAFETY: we own the slot; its value is initialised.
            unsafe { drop_value(slot) };
            if shared.orphans.fetch_sub(1, Ordering::AcqRel) == 1 {
                // SAFETY: every other guard has counted down and the pool
                // is dropped: nothing refers to the block any more.
                unsafe { free_shared(shared_ptr) };
            }
            return;
        }
        slot.next.store(head & INDEX, Ordering::Relaxed);
        // Release publishes `next` and the caller's writes to the value to
        // the acquirer's Acquire pop; the WAITING bit is cleared by the
        // replacement.
        match shared
            .head
            .compare_exchange_weak(head, index, PUSH_ORDER, Ordering::Acquire)
        {
            Ok(previous) => {
                if previous & WAITING != 0 {
                    shared.waker.wake();
                }
                return;
            }
            Err(actual) => head = actual,
        }
    }
}
