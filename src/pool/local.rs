//! [`Pool`]: a single-thread object pool (`!Send`), LIFO, with an optional
//! reset on return and an optional growth up to a hard cap.
//!
//! Values move out of the pool into the guard and back on drop, so there is
//! no `unsafe` here: the free list is a `Vec` used as a stack, the most
//! recently returned (cache-warm) value on top. Guards hold an `Rc` of the
//! pool's state, so one may outlive the pool: dropping the pool drops the
//! free values at once, and each value still out when its guard drops.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::rc::Rc;

type Factory<T> = Box<dyn FnMut() -> T>;
type Reset<T> = Box<dyn Fn(&mut T)>;

struct Inner<T> {
    free: RefCell<Vec<T>>,
    reset: Option<Reset<T>>,
    /// False once the pool is dropped: returning guards drop their values.
    alive: Cell<bool>,
}

/// A pool of `T` for one thread.
///
/// # Examples
///
/// ```
/// use tickwire::pool::local::Pool;
///
/// let mut pool = Pool::new(2, || String::with_capacity(64));
/// let mut a = pool.try_acquire().unwrap();
/// a.push_str("order");
/// let b = pool.try_acquire().unwrap();
/// assert!(pool.try_acquire().is_none()); // both out
/// drop(a);
/// assert_eq!(pool.available(), 1);
/// # drop(b);
/// ```
pub struct Pool<T> {
    inner: Rc<Inner<T>>,
    factory: Option<Factory<T>>,
    created: usize,
    cap: usize,
}

impl<T: 'static> Pool<T> {
    /// A fixed pool of `capacity` values made by `factory` now.
    pub fn new(capacity: usize, mut factory: impl FnMut() -> T) -> Self {
        let free = (0..capacity).map(|_| factory()).collect();
        Self::from_parts(free, None, None, capacity, capacity)
    }

    /// A fixed pool whose values pass through `reset` when they return.
    pub fn with_reset(
        capacity: usize,
        mut factory: impl FnMut() -> T,
        reset: impl Fn(&mut T) + 'static,
    ) -> Self {
        let free = (0..capacity).map(|_| factory()).collect();
        Self::from_parts(free, None, Some(Box::new(reset)), capacity, capacity)
    }

    /// A pool that starts with `initial` values and makes more with
    /// `factory` when empty, never holding more than `cap` in all.
    pub fn growable(initial: usize, cap: usize, mut factory: impl FnMut() -> T + 'static) -> Self {
        let initial = initial.min(cap);
        let free = (0..initial).map(|_| factory()).collect();
        Self::from_parts(free, Some(Box::new(factory)), None, initial, cap)
    }

    fn from_parts(
        mut free: Vec<T>,
        factory: Option<Factory<T>>,
        reset: Option<Reset<T>>,
        created: usize,
        cap: usize,
    ) -> Self {
        free.reserve_exact(cap - free.len());
        Self {
            inner: Rc::new(Inner {
                free: RefCell::new(free),
                reset,
                alive: Cell::new(true),
            }),
            factory,
            created,
            cap,
        }
    }
}

impl<T> Pool<T> {
    /// The most values this pool will ever hold.
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Values free right now.
    pub fn available(&self) -> usize {
        self.inner.free.borrow().len()
    }

    /// Takes the most recently returned value; if none is free, makes one
    /// (growable pools under their cap) or returns `None`.
    #[inline]
    pub fn try_acquire(&mut self) -> Option<Pooled<T>> {
        let popped = self.inner.free.borrow_mut().pop();
        let value = match popped {
            Some(value) => value,
            None => self.grow()?,
        };
        Some(Pooled {
            value: Some(value),
            inner: Rc::clone(&self.inner),
        })
    }

    #[cold]
    fn grow(&mut self) -> Option<T> {
        if self.created >= self.cap {
            return None;
        }
        let factory = self.factory.as_mut()?;
        self.created += 1;
        Some(factory())
    }
}

impl<T> Drop for Pool<T> {
    fn drop(&mut self) {
        // Free values go now; values still out go when their guards drop.
        self.inner.alive.set(false);
        let free = std::mem::take(&mut *self.inner.free.borrow_mut());
        drop(free);
    }
}

impl<T> fmt::Debug for Pool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("local::Pool")
            .field("capacity", &self.cap)
            .field("created", &self.created)
            .field("available", &self.available())
            .finish()
    }
}

/// A value taken from a [`Pool`]; dropping it gives the value back.
pub struct Pooled<T> {
    /// `Some` from creation until `drop` takes it.
    value: Option<T>,
    inner: Rc<Inner<T>>,
}

impl<T> Deref for Pooled<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        match &self.value {
            Some(value) => value,
            // `value` is Some from creation until `drop`.
            None => unreachable!("pooled value taken before drop"),
        }
    }
}

impl<T> DerefMut for Pooled<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        match &mut self.value {
            Some(value) => value,
            // `value` is Some from creation until `drop`.
            None => unreachable!("pooled value taken before drop"),
        }
    }
}

impl<T> Drop for Pooled<T> {
    fn drop(&mut self) {
        if let Some(mut value) = self.value.take() {
            if !self.inner.alive.get() {
                return; // the pool is gone: `value` drops here
            }
            if let Some(reset) = &self.inner.reset {
                // A panicking reset drops the value (the pool shrinks by one
                // rather than hand out a half-reset value).
                reset(&mut value);
            }
            self.inner.free.borrow_mut().push(value);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Pooled<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pooled").field(&**self).finish()
    }
}
