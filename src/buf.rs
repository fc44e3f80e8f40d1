//! Flat I/O buffers: [`ReadBuf`] for bytes in, [`WriteBuf`] for bytes out.
//!
//! Both are one contiguous allocation, sized at construction and grown only
//! up to a limit the owner sets, so steady-state use allocates nothing. A
//! write that would pass the limit is a [`BufferFull`] error, never a panic.
//! Neither type knows anything about the protocols carried in it.

use std::fmt;

/// A write did not fit: the buffer would pass its size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferFull {
    /// The total bytes the buffer would have needed to hold.
    pub needed: usize,
    /// The buffer's size limit.
    pub limit: usize,
}

impl fmt::Display for BufferFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "buffer full: {} bytes needed, limit is {}",
            self.needed, self.limit
        )
    }
}

impl std::error::Error for BufferFull {}

/// A flat, compacting read buffer.
///
/// Bytes arrive at the back through [`spare`](Self::spare) and
/// [`filled`](Self::filled) and leave from the front through
/// [`advance`](Self::advance). When everything is consumed the buffer resets
/// itself to its start, so a reader that keeps up never copies.
///
/// # Examples
///
/// ```
/// use tickwire::buf::ReadBuf;
///
/// let mut buf = ReadBuf::with_capacity(16);
/// buf.spare()[..5].copy_from_slice(b"hello");
/// buf.filled(5);
/// assert_eq!(buf.data(), b"hello");
/// buf.advance(2);
/// assert_eq!(buf.data(), b"llo");
/// buf.advance(3);
/// assert!(buf.is_empty());
/// assert_eq!(buf.spare().len(), 16); // drained: reset to the start
/// ```
pub struct ReadBuf {
    storage: Box<[u8]>,
    start: usize,
    end: usize,
}

impl ReadBuf {
    /// A buffer of `capacity` bytes, zero-filled once.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            storage: vec![0u8; capacity].into_boxed_slice(),
            start: 0,
            end: 0,
        }
    }

    /// The unread bytes.
    #[inline]
    pub fn data(&self) -> &[u8] {
        &self.storage[self.start..self.end]
    }

    /// The unread bytes, mutable (for unmasking in place).
    #[inline]
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.storage[self.start..self.end]
    }

    /// How many unread bytes there are.
    #[inline]
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether no unread bytes remain.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The buffer's total size.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.storage.len()
    }

    /// The free space behind the unread bytes, to read into.
    ///
    /// It may be empty: call [`compact`](Self::compact) or
    /// [`grow_to`](Self::grow_to) first when it is.
    #[inline]
    pub fn spare(&mut self) -> &mut [u8] {
        &mut self.storage[self.end..]
    }

    /// Marks `n` bytes of [`spare`](Self::spare) as filled.
    ///
    /// `n` is clamped to the spare length, so a wrong count from a caller can
    /// never expose bytes that were not written.
    #[inline]
    pub fn filled(&mut self, n: usize) {
        self.end = (self.end + n).min(self.storage.len());
    }

    /// Consumes `n` unread bytes (clamped to what is there). When the buffer
    /// drains, it resets to its start.
    #[inline]
    pub fn advance(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// When the buffer is empty, moves its start to `pos`, so bytes read
    /// next land behind `pos` rather than at the front (bytes before `pos`
    /// are still in use by the caller).
    pub(crate) fn park_at(&mut self, pos: usize) {
        if self.start == self.end && pos <= self.capacity() {
            self.start = pos;
            self.end = pos;
        }
    }

    /// Moves the unread bytes to the front, making all free space spare.
    pub fn compact(&mut self) {
        if self.start > 0 {
            self.storage.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
    }

    /// Copies `bytes` in behind the unread ones, compacting or growing (up to
    /// `limit` bytes of capacity) as needed.
    pub fn extend(&mut self, bytes: &[u8], limit: usize) -> Result<(), BufferFull> {
        if self.spare().len() < bytes.len() {
            self.compact();
            if self.spare().len() < bytes.len() {
                self.grow_to(self.len() + bytes.len(), limit)?;
            }
        }
        self.spare()[..bytes.len()].copy_from_slice(bytes);
        self.filled(bytes.len());
        Ok(())
    }

    /// Grows the buffer so it can hold `total` unread bytes, never past
    /// `limit`. Growth at least doubles the capacity (bounded by `limit`), so
    /// a message that arrives in pieces costs a handful of allocations, once.
    pub fn grow_to(&mut self, total: usize, limit: usize) -> Result<(), BufferFull> {
        if total <= self.storage.len() - self.start {
            return Ok(());
        }
        self.compact();
        if total <= self.storage.len() {
            return Ok(());
        }
        if total > limit {
            return Err(BufferFull {
                needed: total,
                limit,
            });
        }
        let new_cap = total.max(self.storage.len().saturating_mul(2)).min(limit);
        let mut storage = vec![0u8; new_cap].into_boxed_slice();
        storage[..self.end].copy_from_slice(&self.storage[..self.end]);
        self.storage = storage;
        Ok(())
    }

    /// Drops the last `n` unread bytes (clamped): for a parser that moved
    /// bytes down inside the unread region and freed its tail.
    pub(crate) fn drop_back(&mut self, n: usize) {
        self.end -= n.min(self.end - self.start);
    }

    /// Discards every unread byte.
    pub fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }

    /// Bytes of the underlying storage, by absolute position. Lets a parser
    /// hand out a slice it has already consumed (the bytes stay in place
    /// until the next write into the buffer).
    #[inline]
    pub(crate) fn storage(&self) -> &[u8] {
        &self.storage
    }

    /// Absolute position of the first unread byte.
    #[inline]
    pub(crate) fn start(&self) -> usize {
        self.start
    }
}

impl fmt::Debug for ReadBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadBuf")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .finish()
    }
}

/// A write buffer with headroom in front.
///
/// Protocol encoders that do not know a length until the payload is written
/// append the payload first and then [`prepend`](Self::prepend) the header
/// into the headroom, so the payload is copied once. Bytes to send are
/// [`data`](Self::data); after a socket write, [`advance`](Self::advance).
///
/// # Examples
///
/// ```
/// use tickwire::buf::WriteBuf;
///
/// let mut buf = WriteBuf::new(14, 64);
/// buf.extend(b"payload").unwrap();
/// buf.prepend(&[0x82, 7]).unwrap();
/// assert_eq!(buf.data(), b"\x82\x07payload");
/// assert!(buf.extend(&[0u8; 100]).is_err()); // over the limit: an error
/// ```
pub struct WriteBuf {
    storage: Vec<u8>,
    headroom: usize,
    head: usize,
    limit: usize,
}

impl WriteBuf {
    /// A buffer with `headroom` bytes in front and room for `capacity` bytes
    /// of data, which is also its limit.
    pub fn new(headroom: usize, capacity: usize) -> Self {
        Self::with_limit(headroom, capacity, capacity)
    }

    /// A buffer with `capacity` bytes of room now that may grow to `limit`.
    pub fn with_limit(headroom: usize, capacity: usize, limit: usize) -> Self {
        let limit = limit.max(capacity);
        let mut storage = Vec::with_capacity(headroom + capacity);
        storage.resize(headroom, 0);
        Self {
            storage,
            headroom,
            head: headroom,
            limit,
        }
    }

    /// The bytes waiting to be sent.
    #[inline]
    pub fn data(&self) -> &[u8] {
        &self.storage[self.head..]
    }

    /// How many bytes wait to be sent.
    #[inline]
    pub fn len(&self) -> usize {
        self.storage.len() - self.head
    }

    /// Whether nothing waits to be sent.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.head == self.storage.len()
    }

    /// The most data bytes this buffer will hold.
    #[inline]
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The headroom reserved in front of the data.
    #[inline]
    pub fn headroom(&self) -> usize {
        self.headroom
    }

    /// Marks `n` bytes as sent (clamped). When all are sent, the buffer
    /// resets, restoring its headroom.
    #[inline]
    pub fn advance(&mut self, n: usize) {
        self.head = (self.head + n).min(self.storage.len());
        if self.head == self.storage.len() {
            self.clear();
        }
    }

    /// Drops everything waiting to be sent.
    #[inline]
    pub fn clear(&mut self) {
        self.storage.truncate(self.headroom);
        self.head = self.headroom;
    }

    /// Makes sure `extra` more bytes fit behind the data, moving unsent
    /// bytes back to the headroom first if sent ones still take up room.
    ///
    /// After `reserve(n)` succeeds, appends of up to `n` bytes in total do
    /// not move the data (absolute offsets stay valid).
    pub fn reserve(&mut self, extra: usize) -> Result<(), BufferFull> {
        if self.check_room(extra).is_err() && self.head > self.headroom {
            let len = self.len();
            self.storage.copy_within(self.head.., self.headroom);
            self.storage.truncate(self.headroom + len);
            self.head = self.headroom;
        }
        self.check_room(extra)
    }

    #[inline]
    fn check_room(&self, extra: usize) -> Result<(), BufferFull> {
        let needed = self.storage.len() - self.headroom + extra;
        if needed > self.limit {
            return Err(BufferFull {
                needed: self.len() + extra,
                limit: self.limit,
            });
        }
        Ok(())
    }

    /// Appends `bytes` behind the data.
    #[inline]
    pub fn extend(&mut self, bytes: &[u8]) -> Result<(), BufferFull> {
        self.reserve(bytes.len())?;
        self.storage.extend_from_slice(bytes);
        Ok(())
    }

    /// Appends `n` zero bytes and returns them for the caller to fill.
    #[inline]
    pub fn extend_zeroed(&mut self, n: usize) -> Result<&mut [u8], BufferFull> {
        self.reserve(n)?;
        let old = self.storage.len();
        self.storage.resize(old + n, 0);
        Ok(&mut self.storage[old..])
    }

    /// Writes `bytes` into the headroom just in front of the data.
    pub fn prepend(&mut self, bytes: &[u8]) -> Result<(), BufferFull> {
        if bytes.len() > self.head {
            return Err(BufferFull {
                needed: bytes.len(),
                limit: self.head,
            });
        }
        self.head -= bytes.len();
        self.storage[self.head..self.head + bytes.len()].copy_from_slice(bytes);
        Ok(())
    }

    /// Prepends `bytes` if `data_offset` is 0 (they go in front of all the
    /// data) and the headroom holds them; returns whether it did.
    #[inline]
    pub(crate) fn prepend_if_room(&mut self, data_offset: usize, bytes: &[u8]) -> bool {
        data_offset == 0 && bytes.len() <= self.head && self.prepend(bytes).is_ok()
    }

    /// The data bytes from absolute offset `from` on (offsets as returned by
    /// [`end`](Self::end)), mutable, so an encoder can mask in place.
    #[inline]
    pub(crate) fn tail_mut(&mut self, from: usize) -> &mut [u8] {
        &mut self.storage[from..]
    }

    /// Absolute offset one past the last data byte.
    #[inline]
    pub(crate) fn end(&self) -> usize {
        self.storage.len()
    }

    /// Removes bytes from absolute offset `at` to the end.
    #[inline]
    pub(crate) fn truncate(&mut self, at: usize) {
        self.storage.truncate(at.max(self.head));
    }

    /// Inserts `bytes` at absolute offset `at` (which lies within the data),
    /// shifting the bytes behind it. Used only when a header must go in
    /// front of a payload while other frames are already queued.
    pub(crate) fn insert(&mut self, at: usize, bytes: &[u8]) -> Result<(), BufferFull> {
        if at == self.head && bytes.len() <= self.head {
            return self.prepend(bytes);
        }
        self.check_room(bytes.len())?;
        let old = self.storage.len();
        self.storage.resize(old + bytes.len(), 0);
        self.storage.copy_within(at..old, at + bytes.len());
        self.storage[at..at + bytes.len()].copy_from_slice(bytes);
        Ok(())
    }
}

impl fmt::Debug for WriteBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteBuf")
            .field("len", &self.len())
            .field("headroom", &self.headroom)
            .field("limit", &self.limit)
            .finish()
    }
}
