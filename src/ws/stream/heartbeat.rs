//! Heartbeats: a ping (or a text message) every so often, and deadlines
//! that find a dead peer or a stalled feed.
//!
//! A partitioned TCP connection does not fail by itself: it goes quiet.
//! Only these deadlines notice. They read time from the [`Clock`] seam and
//! keep one re-armable [`Timer`], so a simulator drives them and a message
//! costs one clock read per socket read, nothing more.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;

use super::error::TimeoutKind;
use crate::rt::{Clock, Timer};

/// What a heartbeat sends.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeartbeatPayload {
    /// A Ping control frame with this payload (at most 125 bytes).
    Ping(Vec<u8>),
    /// A text message, for servers that want an application-level ping
    /// (`{"op":"ping"}`, say).
    Text(String),
}

/// Heartbeat and liveness settings for a [`WsStream`](super::WsStream).
///
/// All off by default. A heartbeat is sent every `interval`; the stream
/// fails with [`TimeoutKind::Idle`] when no byte at all arrived within
/// `idle_timeout` and with [`TimeoutKind::Data`] when no text or binary
/// message arrived within `data_timeout`. Deadlines are checked while the
/// stream is read: a caller that stops calling `recv` stops them too.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tickwire::ws::HeartbeatConfig;
///
/// let heartbeat = HeartbeatConfig::default()
///     .interval(Duration::from_secs(15))
///     .text_payload(r#"{"op":"ping"}"#)
///     .idle_timeout(Duration::from_secs(45))
///     .data_timeout(Duration::from_secs(120));
/// assert_eq!(heartbeat.idle_timeout_duration(), Some(Duration::from_secs(45)));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeartbeatConfig {
    interval: Option<Duration>,
    payload: Option<HeartbeatPayload>,
    idle_timeout: Option<Duration>,
    data_timeout: Option<Duration>,
}

impl HeartbeatConfig {
    /// Sends a heartbeat every `every` (an empty Ping unless a payload is
    /// set).
    pub fn interval(mut self, every: Duration) -> Self {
        self.interval = Some(every.max(MIN_PERIOD));
        self
    }

    /// Heartbeats are Ping frames carrying `payload` (truncated to 125
    /// bytes).
    pub fn ping_payload(mut self, payload: impl Into<Vec<u8>>) -> Self {
        let mut payload = payload.into();
        payload.truncate(125);
        self.payload = Some(HeartbeatPayload::Ping(payload));
        self
    }

    /// Heartbeats are text messages with this content.
    pub fn text_payload(mut self, text: impl Into<String>) -> Self {
        self.payload = Some(HeartbeatPayload::Text(text.into()));
        self
    }

    /// Fail when no frame arrives within `timeout` (a dead peer).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout.max(MIN_PERIOD));
        self
    }

    /// Fail when no text or binary message arrives within `timeout` (a
    /// stalled feed on a live connection).
    pub fn data_timeout(mut self, timeout: Duration) -> Self {
        self.data_timeout = Some(timeout.max(MIN_PERIOD));
        self
    }

    /// The heartbeat interval, if set.
    pub fn interval_duration(&self) -> Option<Duration> {
        self.interval
    }

    /// The idle timeout, if set.
    pub fn idle_timeout_duration(&self) -> Option<Duration> {
        self.idle_timeout
    }

    /// The data timeout, if set.
    pub fn data_timeout_duration(&self) -> Option<Duration> {
        self.data_timeout
    }

    /// Whether any of it is on.
    pub fn is_enabled(&self) -> bool {
        self.interval.is_some() || self.idle_timeout.is_some() || self.data_timeout.is_some()
    }
}

/// The shortest interval or timeout: shorter ones are raised to it (a zero
/// interval would send pings in a busy loop).
const MIN_PERIOD: Duration = Duration::from_millis(1);

/// `at + after`, or `None` ("never") when it would overflow.
fn later(at: Instant, after: Duration) -> Option<Instant> {
    at.checked_add(after)
}

/// What the heartbeat asks the stream to do.
#[derive(Debug)]
pub(crate) enum Beat<'a> {
    Ping(&'a [u8]),
    Text(&'a str),
}

/// A running heartbeat: the deadlines and the one timer that waits for the
/// nearest of them.
pub(crate) struct Heartbeat {
    config: HeartbeatConfig,
    clock: Arc<dyn Clock>,
    timer: Option<Pin<Box<dyn Timer>>>,
    next_beat: Option<Instant>,
    last_frame: Instant,
    last_data: Instant,
}

impl Heartbeat {
    /// Starts the deadlines now; `None` when the config turns nothing on.
    pub(crate) fn start(config: &HeartbeatConfig, clock: Arc<dyn Clock>) -> Option<Self> {
        if !config.is_enabled() {
            return None;
        }
        let now = clock.now();
        Some(Self {
            next_beat: config.interval.and_then(|every| later(now, every)),
            config: config.clone(),
            clock,
            timer: None,
            last_frame: now,
            last_data: now,
        })
    }

    /// Bytes arrived: the peer is alive.
    pub(crate) fn on_frame_bytes(&mut self) {
        if self.config.idle_timeout.is_some() || self.config.data_timeout.is_some() {
            self.last_frame = self.clock.now();
        }
    }

    /// A data message is being handed out (its bytes arrived at the last
    /// read).
    pub(crate) fn on_data(&mut self) {
        self.last_data = self.last_frame;
    }

    fn deadline(&self) -> Option<Instant> {
        let idle = self
            .config
            .idle_timeout
            .and_then(|t| later(self.last_frame, t));
        let data = self
            .config
            .data_timeout
            .and_then(|t| later(self.last_data, t));
        [self.next_beat, idle, data].into_iter().flatten().min()
    }

    /// Waits for the nearest deadline; then a timeout, or a beat to send.
    ///
    /// The timer is moved only to an earlier deadline; when activity has
    /// pushed the deadline later, the timer fires early once and is re-armed
    /// then. So a message costs a timer poll, not a timer reset.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<Beat<'_>, TimeoutKind>> {
        loop {
            let Some(deadline) = self.deadline() else {
                return Poll::Pending;
            };
            let timer = self.timer.get_or_insert_with(|| self.clock.timer(deadline));
            if deadline < timer.deadline() {
                timer.as_mut().reset(deadline);
            }
            if timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            let now = self.clock.now();
            if let Some(t) = self.config.idle_timeout
                && later(self.last_frame, t).is_some_and(|d| now >= d)
            {
                return Poll::Ready(Err(TimeoutKind::Idle));
            }
            if let Some(t) = self.config.data_timeout
                && later(self.last_data, t).is_some_and(|d| now >= d)
            {
                return Poll::Ready(Err(TimeoutKind::Data));
            }
            if let (Some(at), Some(every)) = (self.next_beat, self.config.interval)
                && now >= at
            {
                // Skip beats missed while nobody polled: one now, the next
                // a full interval later.
                self.next_beat = later(now, every);
                return Poll::Ready(Ok(match &self.config.payload {
                    Some(HeartbeatPayload::Text(text)) => Beat::Text(text),
                    Some(HeartbeatPayload::Ping(payload)) => Beat::Ping(payload),
                    None => Beat::Ping(&[]),
                }));
            }
            if deadline > timer.deadline() {
                // Activity moved the deadline on: re-arm and wait again.
                timer.as_mut().reset(deadline);
                continue;
            }
            // A clock whose timers fire before its `now` reaches the
            // deadline: try again soon rather than spin here.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
    }
}

impl fmt::Debug for Heartbeat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Heartbeat")
            .field("config", &self.config)
            .field("next_beat", &self.next_beat)
            .field("last_frame", &self.last_frame)
            .field("last_data", &self.last_data)
            .finish()
    }
}
