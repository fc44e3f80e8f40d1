//! The closing handshake (RFC 6455 section 7): what was sent, what was
//! received, and the one reply a received Close obliges.
//!
//! Owns no buffer and no socket: the stream layer tells it what went out and
//! what came in, and asks it whether a reply is owed.

use super::error::CloseCode;

/// A close frame's status code and reason, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseFrame<'a> {
    /// The status code.
    pub code: CloseCode,
    /// The reason, UTF-8, at most 123 bytes.
    pub reason: &'a str,
}

/// Tracks the closing handshake of one connection.
///
/// # Examples
///
/// ```
/// use tickwire::ws::{CloseCode, CloseFrame, CloseState};
///
/// let mut state = CloseState::new();
/// let frame = CloseFrame { code: CloseCode::GOING_AWAY, reason: "restart" };
/// // The first Close received obliges exactly one reply, echoing its code.
/// assert_eq!(state.on_received(Some(frame)), Some(Some(CloseCode::GOING_AWAY)));
/// assert_eq!(state.on_received(Some(frame)), None);
/// assert_eq!(state.received_code(), Some(CloseCode::GOING_AWAY));
/// assert_eq!(state.received_reason(), Some("restart"));
/// ```
#[derive(Debug, Clone)]
pub struct CloseState {
    sent: Option<Option<CloseCode>>,
    received: Option<Option<CloseCode>>,
    reason: [u8; 123],
    reason_len: u8,
}

impl CloseState {
    /// A connection on which no Close has been sent or received.
    pub const fn new() -> Self {
        Self {
            sent: None,
            received: None,
            reason: [0; 123],
            reason_len: 0,
        }
    }

    /// Records a received Close. Returns the reply owed, once: `Some(code)`
    /// where `code` is the status to echo (`None` for an empty Close). Returns
    /// `None` when no reply is owed: a Close was already received, or we sent
    /// ours first (the peer's Close then completes the handshake).
    pub fn on_received(&mut self, frame: Option<CloseFrame<'_>>) -> Option<Option<CloseCode>> {
        if self.received.is_some() {
            return None;
        }
        let code = frame.map(|f| f.code);
        self.received = Some(code);
        if let Some(f) = frame {
            // A reason is at most 123 bytes on the wire; keep whole chars only.
            let mut end = f.reason.len().min(self.reason.len());
            while !f.reason.is_char_boundary(end) {
                end -= 1;
            }
            self.reason[..end].copy_from_slice(&f.reason.as_bytes()[..end]);
            self.reason_len = end as u8;
        }
        if self.sent.is_some() {
            None
        } else {
            Some(code)
        }
    }

    /// Records that we sent a Close (with `code`, or empty).
    pub fn on_sent(&mut self, code: Option<CloseCode>) {
        if self.sent.is_none() {
            self.sent = Some(code);
        }
    }

    /// Whether we have sent a Close.
    pub fn is_sent(&self) -> bool {
        self.sent.is_some()
    }

    /// Whether we have received a Close.
    pub fn is_received(&self) -> bool {
        self.received.is_some()
    }

    /// Whether both sides have sent a Close: the handshake is complete.
    pub fn is_complete(&self) -> bool {
        self.is_sent() && self.is_received()
    }

    /// The status code of the received Close: `None` if none was received,
    /// or if it carried no code ([`CloseCode::NO_STATUS`] is reported then).
    pub fn received_code(&self) -> Option<CloseCode> {
        self.received
            .map(|code| code.unwrap_or(CloseCode::NO_STATUS))
    }

    /// The reason of the received Close, if one was received.
    pub fn received_reason(&self) -> Option<&str> {
        self.received?;
        // Only whole UTF-8 chars of an already validated &str were stored.
        std::str::from_utf8(&self.reason[..usize::from(self.reason_len)]).ok()
    }

    /// The status code we sent, if we sent a Close with one.
    pub fn sent_code(&self) -> Option<CloseCode> {
        self.sent.flatten()
    }
}

impl Default for CloseState {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initiator_owes_no_reply() {
        let mut state = CloseState::new();
        state.on_sent(Some(CloseCode::NORMAL));
        assert!(!state.is_complete());
        let reply = state.on_received(Some(CloseFrame {
            code: CloseCode::NORMAL,
            reason: "",
        }));
        assert_eq!(reply, None);
        assert!(state.is_complete());
        assert_eq!(state.sent_code(), Some(CloseCode::NORMAL));
    }

    #[test]
    fn empty_close_gets_empty_reply_and_reports_no_status() {
        let mut state = CloseState::new();
        assert_eq!(state.on_received(None), Some(None));
        assert_eq!(state.received_code(), Some(CloseCode::NO_STATUS));
        assert_eq!(state.received_reason(), Some(""));
    }

    #[test]
    fn nothing_received_reads_as_none() {
        let state = CloseState::new();
        assert_eq!(state.received_code(), None);
        assert_eq!(state.received_reason(), None);
    }
}
