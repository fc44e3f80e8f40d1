//! Table-driven protocol cases for the sans-IO WebSocket core, after the
//! Autobahn testsuite's categories 1 to 7 (framing, ping/pong, reserved bits,
//! opcodes, fragmentation, UTF-8, close handling), plus header-level limit
//! cases and the writer's refusals.
//!
//! Every input is encoded by hand here (never with `FrameWriter`, so the
//! writer and the reader cannot share a bug). A row names its input frames,
//! the messages expected out of them, and how the input ends: "needs more
//! bytes" or a specific `ProtocolError` with its close code, reported no later
//! than a given byte. Unless a row is pinned to one role it runs twice: as a
//! client reading unmasked frames and as a server reading masked ones (mask
//! keys vary from frame to frame).
//!
//! Each row and role is fed to a fresh reader every way below, and every way
//! must give the same messages and the same end:
//! all at once (with `read` and with `spare`/`filled`), one byte at a time
//! (both again), in chunks of 3, 7 and 997 bytes (Autobahn 1.1.8's chop size)
//! through `spare`, and in two reads split at every byte boundary (inputs
//! over 2 KiB: every boundary within 64 bytes of a frame boundary and every
//! 1021st byte in between, since the middle of a long payload is all alike).
//!
//! After an error the reader must be sticky: `next()` returns the same error
//! again (also after more bytes arrive) and `error()` reports it. Every Close
//! the reader hands out goes through a `CloseState`, which must owe exactly
//! one reply.

use tickwire::buf::WriteBuf;
use tickwire::rng::SeededRng;
use tickwire::ws::{
    CloseCode, CloseState, DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_MESSAGE_SIZE, EncodeError,
    FrameReader, FrameWriter, Message, MessageKind, ProtocolError, Role,
};

// ---------------------------------------------------------------------------
// Expected messages
// ---------------------------------------------------------------------------

/// An owned copy of a decoded message.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Msg {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<(u16, String)>),
}

impl Msg {
    fn text(s: impl Into<String>) -> Self {
        Msg::Text(s.into())
    }

    fn bin(b: impl AsRef<[u8]>) -> Self {
        Msg::Binary(b.as_ref().to_vec())
    }

    fn ping(b: impl AsRef<[u8]>) -> Self {
        Msg::Ping(b.as_ref().to_vec())
    }

    fn pong(b: impl AsRef<[u8]>) -> Self {
        Msg::Pong(b.as_ref().to_vec())
    }

    fn close(code: u16, reason: &str) -> Self {
        Msg::Close(Some((code, reason.to_owned())))
    }
}

impl From<Message<'_>> for Msg {
    fn from(m: Message<'_>) -> Self {
        match m {
            Message::Text(t) => Msg::Text(t.to_owned()),
            Message::Binary(b) => Msg::Binary(b.to_vec()),
            Message::Ping(p) => Msg::Ping(p.to_vec()),
            Message::Pong(p) => Msg::Pong(p.to_vec()),
            Message::Close(c) => Msg::Close(c.map(|f| (f.code.0, f.reason.to_owned()))),
        }
    }
}

// ---------------------------------------------------------------------------
// Frames, encoded by hand
// ---------------------------------------------------------------------------

const FIN: u8 = 0x80;
const RSV1: u8 = 0x40;
const OP_CONT: u8 = 0x0;
const OP_TEXT: u8 = 0x1;
const OP_BIN: u8 = 0x2;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;

/// How a frame's payload length is written.
#[derive(Debug, Clone, Copy)]
enum Len {
    /// Minimal encoding of the real payload length.
    Auto,
    /// Minimal encoding of this length, whatever the payload (header-only
    /// inputs declare lengths they never deliver).
    Declared(u64),
    /// The 16-bit form (7-bit field 126) with this value.
    Ext16(u16),
    /// The 64-bit form (7-bit field 127) with this value.
    Ext64(u64),
}

/// Whether a frame is masked.
#[derive(Debug, Clone, Copy)]
enum Mask {
    /// As the peer of the reading role must: masked to a server (with a key
    /// that varies by frame), unmasked to a client.
    Auto,
    /// Unmasked for both roles.
    Never,
    /// Masked with this key for both roles.
    Key([u8; 4]),
}

/// One frame, or raw bytes, of a row's input.
#[derive(Debug, Clone)]
enum Piece {
    Frame {
        b0: u8,
        len: Len,
        mask: Mask,
        payload: Vec<u8>,
        /// Keep only this many header bytes (and no payload).
        keep_header: Option<usize>,
        /// Keep only this many payload bytes.
        keep_payload: Option<usize>,
    },
    Raw(Vec<u8>),
}

impl Piece {
    fn len(mut self, l: Len) -> Self {
        if let Piece::Frame { len, .. } = &mut self {
            *len = l;
        }
        self
    }

    fn mask(mut self, m: Mask) -> Self {
        if let Piece::Frame { mask, .. } = &mut self {
            *mask = m;
        }
        self
    }

    fn keep_header(mut self, n: usize) -> Self {
        if let Piece::Frame { keep_header, .. } = &mut self {
            *keep_header = Some(n);
        }
        self
    }

    fn keep_payload(mut self, n: usize) -> Self {
        if let Piece::Frame { keep_payload, .. } = &mut self {
            *keep_payload = Some(n);
        }
        self
    }
}

/// A frame with first byte `b0` (FIN, RSV and opcode bits) and `payload`.
fn frame(b0: u8, payload: impl AsRef<[u8]>) -> Piece {
    Piece::Frame {
        b0,
        len: Len::Auto,
        mask: Mask::Auto,
        payload: payload.as_ref().to_vec(),
        keep_header: None,
        keep_payload: None,
    }
}

/// A single-frame text message (the payload may be invalid UTF-8).
fn text(p: impl AsRef<[u8]>) -> Piece {
    frame(FIN | OP_TEXT, p)
}

/// The first fragment of a text message (FIN clear).
fn text_start(p: impl AsRef<[u8]>) -> Piece {
    frame(OP_TEXT, p)
}

fn bin(p: impl AsRef<[u8]>) -> Piece {
    frame(FIN | OP_BIN, p)
}

fn bin_start(p: impl AsRef<[u8]>) -> Piece {
    frame(OP_BIN, p)
}

/// A continuation frame, FIN clear.
fn cont(p: impl AsRef<[u8]>) -> Piece {
    frame(OP_CONT, p)
}

/// The final continuation frame.
fn cont_fin(p: impl AsRef<[u8]>) -> Piece {
    frame(FIN | OP_CONT, p)
}

fn ping(p: impl AsRef<[u8]>) -> Piece {
    frame(FIN | OP_PING, p)
}

fn pong(p: impl AsRef<[u8]>) -> Piece {
    frame(FIN | OP_PONG, p)
}

/// A Close frame with a status code and reason bytes.
fn close(code: u16, reason: impl AsRef<[u8]>) -> Piece {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(reason.as_ref());
    frame(FIN | OP_CLOSE, p)
}

fn close_empty() -> Piece {
    frame(FIN | OP_CLOSE, [])
}

fn raw(b: impl AsRef<[u8]>) -> Piece {
    Piece::Raw(b.as_ref().to_vec())
}

/// The masking key of the `i`th frame of an input, for the server role.
fn auto_key(i: usize) -> [u8; 4] {
    const KEYS: [[u8; 4]; 4] = [
        [0x37, 0xfa, 0x21, 0x3d],
        [0x00, 0x00, 0x00, 0x00],
        [0xff, 0xff, 0xff, 0xff],
        [0x12, 0x34, 0x56, 0x78],
    ];
    KEYS[i % KEYS.len()]
}

/// A row's input as bytes for one role, with where each piece's header and
/// each piece end (absolute offsets).
#[derive(Debug, Default)]
struct Encoded {
    bytes: Vec<u8>,
    header_ends: Vec<usize>,
    piece_ends: Vec<usize>,
}

fn encode(pieces: &[Piece], role: Role) -> Encoded {
    let mut e = Encoded::default();
    let mut frame_no = 0;
    for piece in pieces {
        match piece {
            Piece::Raw(b) => {
                e.bytes.extend_from_slice(b);
                e.header_ends.push(e.bytes.len());
                e.piece_ends.push(e.bytes.len());
            }
            Piece::Frame {
                b0,
                len,
                mask,
                payload,
                keep_header,
                keep_payload,
            } => {
                let key = match mask {
                    Mask::Auto => (role == Role::Server).then(|| auto_key(frame_no)),
                    Mask::Never => None,
                    Mask::Key(k) => Some(*k),
                };
                frame_no += 1;
                let mut h = vec![*b0];
                let bit = if key.is_some() { 0x80 } else { 0 };
                let minimal = |n: u64, h: &mut Vec<u8>| {
                    if n < 126 {
                        h.push(bit | n as u8);
                    } else if n <= 0xFFFF {
                        h.push(bit | 126);
                        h.extend_from_slice(&(n as u16).to_be_bytes());
                    } else {
                        h.push(bit | 127);
                        h.extend_from_slice(&n.to_be_bytes());
                    }
                };
                match *len {
                    Len::Auto => minimal(payload.len() as u64, &mut h),
                    Len::Declared(n) => minimal(n, &mut h),
                    Len::Ext16(v) => {
                        h.push(bit | 126);
                        h.extend_from_slice(&v.to_be_bytes());
                    }
                    Len::Ext64(v) => {
                        h.push(bit | 127);
                        h.extend_from_slice(&v.to_be_bytes());
                    }
                }
                if let Some(k) = key {
                    h.extend_from_slice(&k);
                }
                let mut body: Vec<u8> = match key {
                    Some(k) => payload
                        .iter()
                        .enumerate()
                        .map(|(i, b)| b ^ k[i % 4])
                        .collect(),
                    None => payload.clone(),
                };
                if let Some(n) = keep_header {
                    h.truncate(*n);
                    body.clear();
                }
                if let Some(n) = keep_payload {
                    body.truncate(*n);
                }
                e.bytes.extend_from_slice(&h);
                e.header_ends.push(e.bytes.len());
                e.bytes.extend_from_slice(&body);
                e.piece_ends.push(e.bytes.len());
            }
        }
    }
    e
}

// ---------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------

/// How a row's input ends.
#[derive(Debug, Clone)]
enum End {
    /// No error: the reader waits for more bytes (or has seen a Close).
    NeedMore,
    /// This error, whose close code must be the given one.
    Error(ProtocolError, u16),
}

/// The latest point at which the expected error must have been reported.
#[derive(Debug, Clone, Copy)]
enum FailBy {
    /// Once the whole input is in.
    End,
    /// Once piece `i`'s header (mask key included) is in: before any of its
    /// payload.
    Header(usize),
    /// Once piece `i` is in.
    EndOf(usize),
    /// Once piece `i`'s header and the first `k` bytes of its payload are in.
    PayloadByte(usize, usize),
}

#[derive(Debug, Clone)]
struct Case {
    name: String,
    roles: Vec<Role>,
    pieces: Vec<Piece>,
    max_frame: usize,
    max_message: usize,
    /// Initial read buffer capacity (default: the reader's default).
    buffer: Option<usize>,
    /// The buffer must never pass its initial capacity.
    cap: bool,
    expect: Vec<Msg>,
    end: End,
    fail_by: FailBy,
}

fn case(name: impl Into<String>, pieces: Vec<Piece>) -> Case {
    Case {
        name: name.into(),
        roles: vec![Role::Client, Role::Server],
        pieces,
        max_frame: DEFAULT_MAX_FRAME_SIZE,
        max_message: DEFAULT_MAX_MESSAGE_SIZE,
        buffer: None,
        cap: false,
        expect: Vec::new(),
        end: End::NeedMore,
        fail_by: FailBy::End,
    }
}

impl Case {
    fn expect(mut self, msgs: Vec<Msg>) -> Self {
        self.expect = msgs;
        self
    }

    fn fails(mut self, e: ProtocolError, code: u16) -> Self {
        self.end = End::Error(e, code);
        self
    }

    fn by_header(mut self, piece: usize) -> Self {
        self.fail_by = FailBy::Header(piece);
        self
    }

    fn by_end_of(mut self, piece: usize) -> Self {
        self.fail_by = FailBy::EndOf(piece);
        self
    }

    fn by_payload_byte(mut self, piece: usize, k: usize) -> Self {
        self.fail_by = FailBy::PayloadByte(piece, k);
        self
    }

    fn only(mut self, role: Role) -> Self {
        self.roles = vec![role];
        self
    }

    fn limits(mut self, max_frame: usize, max_message: usize) -> Self {
        self.max_frame = max_frame;
        self.max_message = max_message;
        self
    }

    /// Starts the reader with a `bytes` buffer, which must then never grow.
    fn cap(mut self, bytes: usize) -> Self {
        self.buffer = Some(bytes);
        self.cap = true;
        self
    }

    /// Starts the reader with a `bytes` buffer (it may grow).
    fn buffer(mut self, bytes: usize) -> Self {
        self.buffer = Some(bytes);
        self
    }
}

// ---------------------------------------------------------------------------
// The runner
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Feed {
    /// `FrameReader::read`.
    Read,
    /// `FrameReader::spare` then `filled`, as a socket read would.
    Spare,
}

#[derive(Debug, Default)]
struct Outcome {
    msgs: Vec<Msg>,
    error: Option<ProtocolError>,
    /// Bytes fed when the error was first returned.
    error_at: usize,
    /// Bytes fed at the first `next()` calls once `fail_by` bytes were in:
    /// the error is due there.
    due_at: Option<usize>,
    /// Broken invariants seen on the way (stickiness, CloseState, spare).
    problems: Vec<String>,
}

fn build_reader(c: &Case, role: Role) -> FrameReader {
    let mut b = FrameReader::builder()
        .role(role)
        .max_frame_size(c.max_frame)
        .max_message_size(c.max_message);
    if let Some(bytes) = c.buffer {
        b = b.buffer_capacity(bytes);
    }
    b.build()
}

/// Calls `next()` until it needs more bytes; every Close goes through `cs`.
fn drain(r: &mut FrameReader, out: &mut Outcome, cs: &mut CloseState) -> Result<(), ProtocolError> {
    loop {
        let Some(m) = r.next()? else {
            return Ok(());
        };
        if let Message::Close(frame) = m {
            let first = !cs.is_received();
            let code = frame.map(|f| f.code);
            let reply = cs.on_received(frame);
            if reply != first.then_some(code) {
                out.problems.push(format!(
                    "CloseState::on_received gave {reply:?} for {m:?} (first Close: {first})"
                ));
            }
            if let Some(again) = cs.on_received(frame) {
                out.problems
                    .push(format!("CloseState owed a second reply {again:?}"));
            }
            if first && cs.received_code() != Some(code.unwrap_or(CloseCode::NO_STATUS)) {
                out.problems.push(format!(
                    "CloseState::received_code is {:?} after {m:?}",
                    cs.received_code()
                ));
            }
        }
        out.msgs.push(Msg::from(m));
    }
}

/// Bytes of a valid frame for `role`, to feed a failed reader.
fn more_bytes(role: Role) -> Vec<u8> {
    encode(&[text("more")], role).bytes
}

fn check_sticky(r: &mut FrameReader, e: &ProtocolError, role: Role, out: &mut Outcome) {
    if r.error() != Some(e) {
        out.problems
            .push(format!("error() is {:?} after {e:?}", r.error()));
    }
    for round in 0..3 {
        if round == 2 {
            let _ = r.read(&more_bytes(role));
        }
        match r.next() {
            Err(ref again) if again == e => {}
            other => {
                let other = format!("{other:?}");
                out.problems.push(format!(
                    "not sticky: after {e:?}, next() (round {round}) returned {other}"
                ));
                return;
            }
        }
    }
    if r.error() != Some(e) {
        out.problems
            .push(format!("error() is {:?} after more bytes", r.error()));
    }
}

/// Feeds `bytes` cut at `cuts`, draining after each piece of input.
fn drive(
    c: &Case,
    role: Role,
    bytes: &[u8],
    cuts: &[usize],
    feed: Feed,
    fail_by: usize,
) -> Outcome {
    let mut r = build_reader(c, role);
    let mut cs = CloseState::new();
    let mut out = Outcome::default();
    let mut fed = 0;
    for end in cuts.iter().copied().chain(std::iter::once(bytes.len())) {
        let mut chunk = &bytes[fed..end];
        loop {
            match feed {
                Feed::Read => {
                    if let Err(e) = r.read(chunk) {
                        out.problems
                            .push(format!("read() of {} bytes failed: {e}", chunk.len()));
                        return out;
                    }
                    fed += chunk.len();
                    chunk = &[];
                }
                Feed::Spare => {
                    let room = r.spare().len();
                    let held = r.buffered();
                    if let Some(cap) = c.buffer.filter(|_| c.cap)
                        && room + held > cap
                    {
                        out.problems.push(format!(
                            "buffer grew past its initial {cap} bytes: {held} held + {room} spare"
                        ));
                        return out;
                    }
                    if room == 0 {
                        out.problems
                            .push("spare() empty after next() returned Ok(None)".into());
                        return out;
                    }
                    let n = room.min(chunk.len());
                    r.spare()[..n].copy_from_slice(&chunk[..n]);
                    r.filled(n);
                    fed += n;
                    chunk = &chunk[n..];
                }
            }
            if fed >= fail_by && out.due_at.is_none() {
                out.due_at = Some(fed);
            }
            if let Err(e) = drain(&mut r, &mut out, &mut cs) {
                out.error_at = fed;
                check_sticky(&mut r, &e, role, &mut out);
                out.error = Some(e);
                return out;
            }
            if chunk.is_empty() {
                break;
            }
        }
    }
    if let Some(e) = r.error() {
        out.problems
            .push(format!("error() is {e:?} without an error returned"));
    }
    match r.next() {
        Ok(None) => {}
        other => {
            let other = format!("{other:?}");
            out.problems
                .push(format!("next() after draining returned {other}"));
        }
    }
    let saw_close = out.msgs.iter().any(|m| matches!(m, Msg::Close(_)));
    if saw_close != r.is_closed() {
        out.problems.push(format!(
            "is_closed() is {} but a Close was {}",
            r.is_closed(),
            if saw_close { "read" } else { "not read" }
        ));
    }
    if saw_close && r.buffered() != 0 {
        out.problems.push(format!(
            "{} bytes still buffered after a Close (they must be discarded)",
            r.buffered()
        ));
    }
    out
}

/// Where to split an input into two reads.
fn split_points(enc: &Encoded) -> Vec<usize> {
    let len = enc.bytes.len();
    if len <= 2048 {
        return (1..len).collect();
    }
    // Every boundary within 64 bytes of a piece's start, header end or end,
    // and every 1021st byte of the long payloads between.
    let mut marks = vec![0, len];
    marks.extend(&enc.header_ends);
    marks.extend(&enc.piece_ends);
    let mut v: Vec<usize> = (1..len).step_by(1021).collect();
    for m in marks {
        v.extend(m.saturating_sub(64)..(m + 64).min(len));
    }
    v.retain(|&k| k > 0 && k < len);
    v.sort_unstable();
    v.dedup();
    v
}

fn short(v: &impl std::fmt::Debug) -> String {
    let s = format!("{v:?}");
    if s.len() > 240 {
        let mut end = 240;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}... ({} chars)", &s[..end], s.len())
    } else {
        s
    }
}

fn hex(b: &[u8]) -> String {
    let shown: Vec<String> = b.iter().take(48).map(|x| format!("{x:02x}")).collect();
    let mut s = shown.join(" ");
    if b.len() > 48 {
        s.push_str(&format!(" ... ({} bytes)", b.len()));
    }
    s
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".to_owned()
    }
}

/// What is wrong with `out` for row `c`, if anything.
fn judge(c: &Case, out: &Outcome, fail_by: usize) -> Option<String> {
    if !out.problems.is_empty() {
        return Some(out.problems.join("; "));
    }
    if out.msgs != c.expect {
        return Some(format!(
            "messages: expected {}, got {}",
            short(&c.expect),
            short(&out.msgs)
        ));
    }
    match (&c.end, &out.error) {
        (End::NeedMore, None) => None,
        (End::NeedMore, Some(got)) => Some(format!(
            "expected to need more bytes, got {got:?} after {} bytes",
            out.error_at
        )),
        (End::Error(want, _), None) => {
            Some(format!("expected {want:?}, got none (needs more bytes)"))
        }
        (End::Error(want, code), Some(got)) => {
            if got != want {
                Some(format!("expected {want:?}, got {got:?}"))
            } else if got.close_code().0 != *code {
                Some(format!(
                    "{got:?}: expected close code {code}, got {}",
                    got.close_code()
                ))
            } else if out.due_at.is_some_and(|due| out.error_at > due) {
                Some(format!(
                    "{got:?} only after {} bytes; due once byte {fail_by} was in",
                    out.error_at
                ))
            } else {
                None
            }
        }
    }
}

/// Runs one row for one role every way; returns the runs made.
fn run_case(c: &Case, role: Role, failures: &mut Vec<String>) -> usize {
    let enc = encode(&c.pieces, role);
    let bytes = &enc.bytes;
    let len = bytes.len();
    let fail_by = match c.fail_by {
        FailBy::End => len,
        FailBy::Header(i) => enc.header_ends[i],
        FailBy::EndOf(i) => enc.piece_ends[i],
        FailBy::PayloadByte(i, k) => enc.header_ends[i] + k,
    };
    let mut modes: Vec<(String, Vec<usize>, Feed)> = vec![
        ("all at once".into(), vec![], Feed::Read),
        ("all at once via spare()".into(), vec![], Feed::Spare),
        ("one byte at a time".into(), (1..len).collect(), Feed::Read),
        (
            "one byte at a time via spare()".into(),
            (1..len).collect(),
            Feed::Spare,
        ),
    ];
    for chunk in [3, 7, 997] {
        modes.push((
            format!("chunks of {chunk} via spare()"),
            (chunk..len).step_by(chunk).collect(),
            Feed::Spare,
        ));
    }
    for k in split_points(&enc) {
        modes.push((format!("two reads split at {k}"), vec![k], Feed::Read));
    }
    let runs = modes.len();
    let mut bad = 0;
    let mut first = None;
    for (mode, cuts, feed) in &modes {
        let verdict = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            judge(c, &drive(c, role, bytes, cuts, *feed, fail_by), fail_by)
        }))
        .unwrap_or_else(|panic| Some(format!("panicked: {}", panic_message(&*panic))));
        if let Some(problem) = verdict {
            bad += 1;
            first.get_or_insert(format!("{mode}: {problem}"));
        }
    }
    if let Some(first) = first {
        failures.push(format!(
            "{} [{role:?}]: {first} (wrong in {bad} of {runs} feeds); input {}",
            c.name,
            hex(bytes)
        ));
    }
    runs
}

fn run_rows(label: &str, cases: Vec<Case>) {
    let mut failures = Vec::new();
    let mut runs = 0;
    let mut variants = 0;
    for c in &cases {
        for &role in &c.roles {
            variants += 1;
            runs += run_case(c, role, &mut failures);
        }
    }
    println!(
        "{label}: {} rows, {variants} row-role variants, {runs} feeds",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{label}: {} of {variants} row-role variants failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------
// Payload helpers
// ---------------------------------------------------------------------------

/// `n` bytes of lowercase ASCII.
fn ascii(n: usize) -> String {
    (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect()
}

/// `n` bytes running through every byte value.
fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

const PROTO: u16 = 1002;
const UTF8: u16 = 1007;
const TOO_BIG: u16 = 1009;

// ---------------------------------------------------------------------------
// 1. Framing
// ---------------------------------------------------------------------------

fn framing_cases() -> Vec<Case> {
    const LENS: [usize; 7] = [0, 125, 126, 127, 128, 65535, 65536];
    let mut v = Vec::new();
    // 1.1.8 / 1.2.8 (65536 bytes in chops of 997) are 1.x.7 under the
    // "chunks of 997" feed every row gets.
    for (i, &n) in LENS.iter().enumerate() {
        let s = ascii(n);
        v.push(
            case(format!("1.1.{} text, {n} bytes", i + 1), vec![text(&s)])
                .expect(vec![Msg::text(s)]),
        );
    }
    for (i, &n) in LENS.iter().enumerate() {
        let p = pattern(n, 7);
        v.push(
            case(format!("1.2.{} binary, {n} bytes", i + 1), vec![bin(&p)])
                .expect(vec![Msg::bin(p)]),
        );
    }
    for n in [42, 21845] {
        let s = "€".repeat(n);
        v.push(
            case(
                format!("1.1.x text of {} bytes of 3-byte chars", 3 * n),
                vec![text(&s)],
            )
            .expect(vec![Msg::text(s)]),
        );
    }
    v.push(
        case(
            "1.x four messages back to back, every length class",
            vec![
                text(ascii(125)),
                bin(pattern(126, 1)),
                text(""),
                bin(pattern(65536, 2)),
            ],
        )
        .expect(vec![
            Msg::text(ascii(125)),
            Msg::bin(pattern(126, 1)),
            Msg::text(""),
            Msg::bin(pattern(65536, 2)),
        ]),
    );
    // RFC 6455 section 5.7, byte for byte.
    v.push(
        case(
            "1.x RFC 6455 5.7 unmasked \"Hello\"",
            vec![raw([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f])],
        )
        .only(Role::Client)
        .expect(vec![Msg::text("Hello")]),
    );
    v.push(
        case(
            "1.x RFC 6455 5.7 masked \"Hello\"",
            vec![raw([
                0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
            ])],
        )
        .only(Role::Server)
        .expect(vec![Msg::text("Hello")]),
    );
    v.push(
        case(
            "1.x RFC 6455 5.7 256-byte binary, 16-bit length",
            vec![raw(cat(&[&[0x82, 0x7e, 0x01, 0x00], &pattern(256, 3)]))],
        )
        .only(Role::Client)
        .expect(vec![Msg::bin(pattern(256, 3))]),
    );
    v.push(
        case(
            "1.x RFC 6455 5.7 64 KiB binary, 64-bit length",
            vec![raw(cat(&[
                &[0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00],
                &pattern(65536, 4),
            ]))],
        )
        .only(Role::Client)
        .expect(vec![Msg::bin(pattern(65536, 4))]),
    );
    // A 14-byte initial buffer (the smallest) that has to grow.
    for n in [0, 125, 126, 65536] {
        let p = pattern(n, 8);
        v.push(
            case(
                format!("1.x binary, {n} bytes, into a 14-byte initial buffer"),
                vec![text("first"), bin(&p), text("last")],
            )
            .buffer(14)
            .expect(vec![Msg::text("first"), Msg::bin(p), Msg::text("last")]),
        );
    }
    v.push(
        case(
            "1.x fragmented 70000-byte binary into a 14-byte initial buffer",
            vec![
                bin_start(pattern(65536, 1)),
                ping("p"),
                cont_fin(pattern(4464, 2)),
            ],
        )
        .buffer(14)
        .expect(vec![
            Msg::ping("p"),
            Msg::bin(cat(&[&pattern(65536, 1), &pattern(4464, 2)])),
        ]),
    );
    // Truncated inputs: the reader waits.
    v.push(case("1.x empty input", vec![]));
    v.push(case("1.x first header byte only", vec![raw([0x81])]));
    v.push(case(
        "1.x text frame missing its last payload byte",
        vec![text("Hello").keep_payload(4)],
    ));
    v.push(case(
        "1.x 16-bit length cut short",
        vec![text(ascii(200)).keep_header(3)],
    ));
    v.push(case(
        "1.x 64-bit length cut short",
        vec![bin(pattern(70000, 5)).keep_header(9)],
    ));
    v.push(case("1.x mask key cut short", vec![text("Hello").keep_header(5)]).only(Role::Server));
    v.push(case(
        "1.x 64 KiB frame with header only",
        vec![bin(pattern(65536, 6)).keep_payload(0)],
    ));
    v.push(
        case(
            "1.x complete message then a partial one",
            vec![text("one"), text("two").keep_payload(1)],
        )
        .expect(vec![Msg::text("one")]),
    );
    v
}

// ---------------------------------------------------------------------------
// 2. Ping and pong
// ---------------------------------------------------------------------------

fn ping_pong_cases() -> Vec<Case> {
    let mut v = vec![
        case("2.1 ping, empty payload", vec![ping("")]).expect(vec![Msg::ping("")]),
        case("2.2 ping, text payload", vec![ping("Hello, world!")])
            .expect(vec![Msg::ping("Hello, world!")]),
        case(
            "2.3 ping, binary payload",
            vec![ping([0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff])],
        )
        .expect(vec![Msg::ping([
            0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff,
        ])]),
        case("2.4 ping, 125-byte payload", vec![ping([0xfe; 125])])
            .expect(vec![Msg::ping([0xfe; 125])]),
        case("2.5 ping, 126-byte payload", vec![ping([0xfe; 126])])
            .fails(ProtocolError::ControlFrameTooLong, PROTO)
            .by_header(0),
        case(
            "2.5 ping, 126-byte payload declared, header only",
            vec![ping([0xfe; 126]).keep_payload(0)],
        )
        .fails(ProtocolError::ControlFrameTooLong, PROTO),
        case(
            "2.5 ping, 64-bit length 65536",
            vec![ping(pattern(65536, 1))],
        )
        .fails(ProtocolError::ControlFrameTooLong, PROTO)
        .by_header(0),
        case(
            "2.6 ping 125 bytes after a text message",
            vec![text("first"), ping(pattern(125, 9))],
        )
        .expect(vec![Msg::text("first"), Msg::ping(pattern(125, 9))]),
        case("2.7 unsolicited pong, empty", vec![pong("")]).expect(vec![Msg::pong("")]),
        case(
            "2.8 unsolicited pong with payload",
            vec![pong("unsolicited pong payload")],
        )
        .expect(vec![Msg::pong("unsolicited pong payload")]),
        case(
            "2.9 unsolicited pong, then ping",
            vec![pong("unsolicited pong payload"), ping("ping payload")],
        )
        .expect(vec![
            Msg::pong("unsolicited pong payload"),
            Msg::ping("ping payload"),
        ]),
        case(
            "2.10 ten pings",
            (0..10).map(|i| ping(format!("payload-{i}"))).collect(),
        )
        .expect((0..10).map(|i| Msg::ping(format!("payload-{i}"))).collect()),
        case("2.x pong, 125-byte payload", vec![pong(pattern(125, 2))])
            .expect(vec![Msg::pong(pattern(125, 2))]),
        case("2.x pong, 126-byte payload", vec![pong(pattern(126, 2))])
            .fails(ProtocolError::ControlFrameTooLong, PROTO)
            .by_header(0),
        case(
            "2.x ping between text fragments",
            vec![text_start("Hello, "), ping("ping!"), cont_fin("world")],
        )
        .expect(vec![Msg::ping("ping!"), Msg::text("Hello, world")]),
        case(
            "2.x pong between binary fragments",
            vec![bin_start([1, 2]), pong([9]), cont_fin([3])],
        )
        .expect(vec![Msg::pong([9]), Msg::bin([1, 2, 3])]),
        case(
            "2.x two pings between two fragments",
            vec![
                text_start("a"),
                ping("1"),
                ping(pattern(125, 3)),
                cont_fin("b"),
            ],
        )
        .expect(vec![
            Msg::ping("1"),
            Msg::ping(pattern(125, 3)),
            Msg::text("ab"),
        ]),
        case(
            "2.x ping after every one-byte fragment",
            vec![
                text_start("a"),
                ping("p1"),
                cont("b"),
                ping("p2"),
                cont("c"),
                pong("p3"),
                cont_fin("d"),
            ],
        )
        .expect(vec![
            Msg::ping("p1"),
            Msg::ping("p2"),
            Msg::pong("p3"),
            Msg::text("abcd"),
        ]),
        case(
            "2.x 126-byte ping between fragments",
            vec![text_start("a"), ping([0; 126]), cont_fin("b")],
        )
        .fails(ProtocolError::ControlFrameTooLong, PROTO)
        .by_header(1),
    ];
    for n in 0..=125 {
        let p = pattern(n, n as u8);
        v.push(
            case(format!("2.x ping, {n}-byte payload"), vec![ping(&p)]).expect(vec![Msg::Ping(p)]),
        );
    }
    v
}

// ---------------------------------------------------------------------------
// 3. Reserved bits
// ---------------------------------------------------------------------------

/// A frame kind for the RSV rows: name, opcode, payload, and the Autobahn
/// case numbers that use it, by RSV value.
type RsvKind = (
    &'static str,
    u8,
    &'static [u8],
    &'static [(u8, &'static str)],
);

fn reserved_bit_cases() -> Vec<Case> {
    let mut v = Vec::new();
    let kinds: [RsvKind; 5] = [
        (
            "text",
            OP_TEXT,
            b"Hello, world!",
            &[(1, "3.1"), (2, "3.2"), (3, "3.3"), (4, "3.4")],
        ),
        (
            "binary",
            OP_BIN,
            &[0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff],
            &[(5, "3.5")],
        ),
        ("ping", OP_PING, b"Hello, world!", &[(6, "3.6")]),
        ("pong", OP_PONG, b"Hello, world!", &[]),
        ("close", OP_CLOSE, &[0x03, 0xe8], &[(7, "3.7")]),
    ];
    for (kind, op, payload, numbers) in kinds {
        for rsv in 1..=7u8 {
            let number = numbers
                .iter()
                .find(|(r, _)| *r == rsv)
                .map_or("3.x", |(_, n)| n);
            let bad = frame(FIN | (rsv << 4) | op, payload);
            v.push(
                case(format!("{number} {kind} with RSV={rsv}"), vec![bad.clone()])
                    .fails(ProtocolError::ReservedBits, PROTO)
                    .by_header(0),
            );
            v.push(
                case(
                    format!(
                        "{number} {kind} with RSV={rsv}, after a text message and before a ping"
                    ),
                    vec![text("Hello, world!"), bad, ping("")],
                )
                .expect(vec![Msg::text("Hello, world!")])
                .fails(ProtocolError::ReservedBits, PROTO)
                .by_header(1),
            );
        }
    }
    for rsv in 1..=7u8 {
        v.push(
            case(
                format!("3.x continuation with RSV={rsv}"),
                vec![text_start("Hel"), frame(FIN | (rsv << 4) | OP_CONT, "lo")],
            )
            .fails(ProtocolError::ReservedBits, PROTO)
            .by_header(1),
        );
        v.push(
            case(
                format!("3.x first fragment with RSV={rsv}"),
                vec![frame((rsv << 4) | OP_TEXT, "Hel"), cont_fin("lo")],
            )
            .fails(ProtocolError::ReservedBits, PROTO)
            .by_header(0),
        );
    }
    v.push(
        case(
            "3.x empty text with RSV1 (no extension negotiated)",
            vec![frame(FIN | RSV1 | OP_TEXT, "")],
        )
        .fails(ProtocolError::ReservedBits, PROTO),
    );
    v
}

// ---------------------------------------------------------------------------
// 4. Opcodes
// ---------------------------------------------------------------------------

fn opcode_cases() -> Vec<Case> {
    let mut v = Vec::new();
    let groups: [(&str, std::ops::RangeInclusive<u8>); 2] =
        [("4.1", 0x3..=0x7), ("4.2", 0xB..=0xF)];
    for (group, ops) in groups {
        for op in ops {
            let err = || ProtocolError::UnknownOpcode(op);
            v.push(
                case(
                    format!("{group} reserved opcode {op:#x}, empty"),
                    vec![frame(FIN | op, "")],
                )
                .fails(err(), PROTO)
                .by_header(0),
            );
            v.push(
                case(
                    format!("{group} reserved opcode {op:#x} with payload"),
                    vec![frame(FIN | op, "reserved opcode payload")],
                )
                .fails(err(), PROTO)
                .by_header(0),
            );
            v.push(
                case(
                    format!("{group} reserved opcode {op:#x} after text, before ping"),
                    vec![text("Hello, world!"), frame(FIN | op, "payload"), ping("")],
                )
                .expect(vec![Msg::text("Hello, world!")])
                .fails(err(), PROTO)
                .by_header(1),
            );
            v.push(
                case(
                    format!("{group} reserved opcode {op:#x}, FIN clear"),
                    vec![frame(op, "payload"), cont_fin("more")],
                )
                .fails(err(), PROTO)
                .by_header(0),
            );
            v.push(
                case(
                    format!("{group} reserved opcode {op:#x} between text fragments"),
                    vec![text_start("Hel"), frame(FIN | op, "x"), cont_fin("lo")],
                )
                .fails(err(), PROTO)
                .by_header(1),
            );
            v.push(
                case(
                    format!("{group} reserved opcode {op:#x}, 16-bit length"),
                    vec![frame(FIN | op, pattern(200, op))],
                )
                .fails(err(), PROTO)
                .by_header(0),
            );
        }
    }
    v
}

// ---------------------------------------------------------------------------
// 5. Fragmentation
// ---------------------------------------------------------------------------

fn fragmentation_cases() -> Vec<Case> {
    let frag_text = |n: usize| format!("fragment{n}");
    vec![
        case(
            "5.1 ping in two fragments",
            vec![frame(OP_PING, "fragment1"), cont_fin("fragment2")],
        )
        .fails(ProtocolError::FragmentedControlFrame, PROTO)
        .by_header(0),
        case(
            "5.2 pong in two fragments",
            vec![frame(OP_PONG, "fragment1"), cont_fin("fragment2")],
        )
        .fails(ProtocolError::FragmentedControlFrame, PROTO)
        .by_header(0),
        case(
            "5.3 text in two fragments",
            vec![text_start("fragment1"), cont_fin("fragment2")],
        )
        .expect(vec![Msg::text("fragment1fragment2")]),
        case(
            "5.6 ping between text fragments",
            vec![
                text_start("fragment1"),
                ping("pongme!"),
                cont_fin("fragment2"),
            ],
        )
        .expect(vec![Msg::ping("pongme!"), Msg::text("fragment1fragment2")]),
        case(
            "5.9 continuation (FIN) with nothing to continue, then text",
            vec![cont_fin("non-continuation payload"), text("Hello, world!")],
        )
        .fails(ProtocolError::UnexpectedContinuation, PROTO)
        .by_header(0),
        case(
            "5.12 continuation (no FIN) with nothing to continue, then text",
            vec![cont("non-continuation payload"), text("Hello, world!")],
        )
        .fails(ProtocolError::UnexpectedContinuation, PROTO)
        .by_header(0),
        case(
            "5.15 text in two fragments, then a stray continuation",
            vec![
                text_start(frag_text(1)),
                cont_fin(frag_text(2)),
                cont(frag_text(3)),
                cont_fin(frag_text(4)),
            ],
        )
        .expect(vec![Msg::text("fragment1fragment2")])
        .fails(ProtocolError::UnexpectedContinuation, PROTO)
        .by_header(2),
        case(
            "5.16 continuation (no FIN) before a fragmented text",
            vec![
                cont(frag_text(1)),
                text_start(frag_text(2)),
                cont_fin(frag_text(3)),
            ],
        )
        .fails(ProtocolError::UnexpectedContinuation, PROTO)
        .by_header(0),
        case(
            "5.17 continuation (FIN) before a fragmented text",
            vec![
                cont_fin(frag_text(1)),
                text_start(frag_text(2)),
                cont_fin(frag_text(3)),
            ],
        )
        .fails(ProtocolError::UnexpectedContinuation, PROTO)
        .by_header(0),
        case(
            "5.18 text start, then a new text frame instead of a continuation",
            vec![text_start(frag_text(1)), text(frag_text(2))],
        )
        .fails(ProtocolError::ExpectedContinuation, PROTO)
        .by_header(1),
        case(
            "5.19 five fragments with two pings between",
            vec![
                text_start(frag_text(1)),
                cont(frag_text(2)),
                ping("pongme 1!"),
                cont(frag_text(3)),
                cont(frag_text(4)),
                ping("pongme 2!"),
                cont_fin(frag_text(5)),
            ],
        )
        .expect(vec![
            Msg::ping("pongme 1!"),
            Msg::ping("pongme 2!"),
            Msg::text("fragment1fragment2fragment3fragment4fragment5"),
        ]),
        case(
            "5.x binary in two fragments",
            vec![bin_start(pattern(10, 1)), cont_fin(pattern(200, 2))],
        )
        .expect(vec![Msg::bin(cat(&[&pattern(10, 1), &pattern(200, 2)]))]),
        case(
            "5.x binary in three fragments, pong between",
            vec![
                bin_start([1]),
                cont([2, 3]),
                pong("pong"),
                cont_fin([4, 5, 6]),
            ],
        )
        .expect(vec![Msg::pong("pong"), Msg::bin([1, 2, 3, 4, 5, 6])]),
        case(
            "5.x text start, then a binary frame",
            vec![text_start("a"), bin([1])],
        )
        .fails(ProtocolError::ExpectedContinuation, PROTO)
        .by_header(1),
        case(
            "5.x binary start, then a text start",
            vec![bin_start([1]), text_start("a"), cont_fin("b")],
        )
        .fails(ProtocolError::ExpectedContinuation, PROTO)
        .by_header(1),
        case(
            "5.x text start, ping, then a new binary start",
            vec![text_start("a"), ping(""), bin_start([1])],
        )
        .expect(vec![Msg::ping("")])
        .fails(ProtocolError::ExpectedContinuation, PROTO)
        .by_header(2),
        case(
            "5.x fragmented close",
            vec![frame(OP_CLOSE, [0x03, 0xe8]), cont_fin("")],
        )
        .fails(ProtocolError::FragmentedControlFrame, PROTO)
        .by_header(0),
        case(
            "5.x fragmented ping inside a fragmented text",
            vec![
                text_start("a"),
                frame(OP_PING, "p"),
                cont_fin("q"),
                cont_fin("b"),
            ],
        )
        .fails(ProtocolError::FragmentedControlFrame, PROTO)
        .by_header(1),
        case(
            "5.x close between text fragments ends the stream",
            vec![
                text_start("fragment1"),
                close(1000, ""),
                cont_fin("fragment2"),
            ],
        )
        .expect(vec![Msg::close(1000, "")]),
        case(
            "5.x empty fragments: empty text",
            vec![text_start(""), cont(""), cont_fin("")],
        )
        .expect(vec![Msg::text("")]),
        case(
            "5.x empty first fragment",
            vec![text_start(""), cont_fin("abc")],
        )
        .expect(vec![Msg::text("abc")]),
        case(
            "5.x empty last fragment",
            vec![text_start("abc"), cont_fin("")],
        )
        .expect(vec![Msg::text("abc")]),
        case(
            "5.x empty middle fragments",
            vec![text_start("a"), cont(""), cont(""), cont_fin("b")],
        )
        .expect(vec![Msg::text("ab")]),
        case(
            "5.x empty binary fragments",
            vec![bin_start(""), cont(""), cont_fin("")],
        )
        .expect(vec![Msg::bin([])]),
        case("5.x binary of 100 one-byte fragments", {
            let p = pattern(100, 11);
            let mut v = vec![bin_start(&p[..1])];
            v.extend(p[1..99].iter().map(|b| cont([*b])));
            v.push(cont_fin(&p[99..]));
            v
        })
        .expect(vec![Msg::bin(pattern(100, 11))]),
        case(
            "5.x two fragmented messages back to back",
            vec![
                text_start("ab"),
                cont_fin("cd"),
                bin_start([1]),
                cont_fin([2]),
                text("single"),
            ],
        )
        .expect(vec![
            Msg::text("abcd"),
            Msg::bin([1, 2]),
            Msg::text("single"),
        ]),
        case(
            "5.x fragments over the 16- and 64-bit length classes",
            vec![
                bin_start(pattern(126, 1)),
                cont(pattern(65536, 2)),
                cont_fin(pattern(125, 3)),
            ],
        )
        .expect(vec![Msg::bin(cat(&[
            &pattern(126, 1),
            &pattern(65536, 2),
            &pattern(125, 3),
        ]))]),
        case(
            "5.x fragmented message still open at end of input",
            vec![text_start("fragment1"), cont("fragment2")],
        ),
        case(
            "5.x ping between fragments, message still open",
            vec![text_start("fragment1"), ping("p")],
        )
        .expect(vec![Msg::ping("p")]),
    ]
}

// ---------------------------------------------------------------------------
// 6. UTF-8
// ---------------------------------------------------------------------------

/// The fragment at which a text message in `frags` becomes invalid UTF-8,
/// judged by the standard library: the first whose bytes, with all before
/// them, contain a sequence no continuation can fix (or, at the final
/// fragment, any error). `None` when the message is valid.
fn utf8_fail_fragment(frags: &[Vec<u8>]) -> Option<usize> {
    let mut acc = Vec::new();
    for (i, f) in frags.iter().enumerate() {
        acc.extend_from_slice(f);
        match std::str::from_utf8(&acc) {
            Ok(_) => {}
            Err(e) if e.error_len().is_none() && i + 1 < frags.len() => {}
            Err(_) => return Some(i),
        }
    }
    None
}

/// A text message in `frags.len()` frames, expecting the std verdict: the
/// message, or `InvalidUtf8` by the end of the first bad fragment.
fn utf8_row(name: String, frags: Vec<Vec<u8>>) -> Case {
    let pieces: Vec<Piece> = if frags.len() == 1 {
        vec![text(&frags[0])]
    } else {
        let last = frags.len() - 1;
        frags
            .iter()
            .enumerate()
            .map(|(i, f)| match i {
                0 => text_start(f),
                i if i == last => cont_fin(f),
                _ => cont(f),
            })
            .collect()
    };
    let row = case(name, pieces);
    match utf8_fail_fragment(&frags) {
        None => {
            let s = String::from_utf8(frags.concat()).expect("valid by the oracle");
            row.expect(vec![Msg::Text(s)])
        }
        Some(i) => row.fails(ProtocolError::InvalidUtf8, UTF8).by_end_of(i),
    }
}

/// Every way this file cuts a sequence into text messages.
fn utf8_sequence_rows(id: &str, seq: &[u8], out: &mut Vec<Case>) {
    let h = hex(seq);
    let valid = std::str::from_utf8(seq).is_ok();
    let verdict = if valid { "valid" } else { "invalid" };
    out.push(utf8_row(
        format!("{id} {verdict} [{h}], one frame"),
        vec![seq.to_vec()],
    ));
    out.push(utf8_row(
        format!("{id} {verdict} [{h}] inside ASCII, one frame"),
        vec![cat(&[b"ab", seq, b"cd"])],
    ));
    for k in 0..=seq.len() {
        out.push(utf8_row(
            format!("{id} {verdict} [{h}], fragments split at {k}"),
            vec![
                cat(&[b"ab", &seq[..k]]),
                cat(&[&seq[k..], b"cd"]),
                b"ef".to_vec(),
            ],
        ));
    }
    if seq.len() > 1 {
        out.push(utf8_row(
            format!("{id} {verdict} [{h}], one-byte fragments"),
            seq.iter().map(|b| vec![*b]).collect(),
        ));
    }
    out.push(utf8_row(
        format!("{id} {verdict} [{h}], ends the final fragment"),
        vec![b"ab".to_vec(), seq.to_vec()],
    ));
    out.push(utf8_row(
        format!("{id} {verdict} [{h}] in the first of three fragments"),
        vec![seq.to_vec(), b"middle".to_vec(), b"end".to_vec()],
    ));
}

fn utf8_groups() -> Vec<(&'static str, Vec<Vec<u8>>)> {
    let b = |s: &[u8]| s.to_vec();
    let ch = |c: u32| {
        char::from_u32(c)
            .expect("a scalar value")
            .to_string()
            .into_bytes()
    };
    let mut noncharacters = vec![ch(0xFFFE), ch(0xFFFF)];
    for plane in 1..=16u32 {
        noncharacters.push(ch(plane << 16 | 0xFFFE));
        noncharacters.push(ch(plane << 16 | 0xFFFF));
    }
    let incomplete: Vec<Vec<u8>> = vec![
        b(&[0xc0]),
        b(&[0xe0, 0x80]),
        b(&[0xf0, 0x80, 0x80]),
        b(&[0xf8, 0x80, 0x80, 0x80]),
        b(&[0xfc, 0x80, 0x80, 0x80, 0x80]),
        b(&[0xdf]),
        b(&[0xef, 0xbf]),
        b(&[0xf7, 0xbf, 0xbf]),
        b(&[0xfb, 0xbf, 0xbf, 0xbf]),
        b(&[0xfd, 0xbf, 0xbf, 0xbf, 0xbf]),
    ];
    let lonely = |range: std::ops::RangeInclusive<u8>| -> Vec<u8> {
        range.flat_map(|s| [s, 0x20]).collect()
    };
    vec![
        (
            "6.5 / 6.7 first sequences of each length",
            vec![
                b("κόσμε".as_bytes()),
                b(&[0x00]),
                b(&[0xc2, 0x80]),
                b(&[0xe0, 0xa0, 0x80]),
                b(&[0xf0, 0x90, 0x80, 0x80]),
            ],
        ),
        (
            "6.8 first 5- and 6-byte sequences",
            vec![
                b(&[0xf8, 0x88, 0x80, 0x80, 0x80]),
                b(&[0xfc, 0x84, 0x80, 0x80, 0x80, 0x80]),
            ],
        ),
        (
            "6.9 last sequences of each length",
            vec![
                b(&[0x7f]),
                b(&[0xdf, 0xbf]),
                b(&[0xef, 0xbf, 0xbf]),
                b(&[0xf4, 0x8f, 0xbf, 0xbf]),
            ],
        ),
        (
            "6.10 last 4-, 5- and 6-byte patterns",
            vec![
                b(&[0xf7, 0xbf, 0xbf, 0xbf]),
                b(&[0xfb, 0xbf, 0xbf, 0xbf, 0xbf]),
                b(&[0xfd, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf]),
            ],
        ),
        (
            "6.11 boundaries (U+D7FF, U+E000, U+FFFD, U+10FFFF, U+110000)",
            vec![
                b(&[0xed, 0x9f, 0xbf]),
                b(&[0xee, 0x80, 0x80]),
                b(&[0xef, 0xbf, 0xbd]),
                b(&[0xf4, 0x8f, 0xbf, 0xbf]),
                b(&[0xf4, 0x90, 0x80, 0x80]),
            ],
        ),
        (
            "6.x above U+10FFFF",
            vec![
                b(&[0xf5, 0x80, 0x80, 0x80]),
                b(&[0xf7, 0xbf, 0xbf, 0xbf]),
                b(&[0xf4, 0xbf, 0xbf, 0xbf]),
            ],
        ),
        (
            "6.12 unexpected continuation bytes",
            vec![
                b(&[0x80]),
                b(&[0xbf]),
                b(&[0x80, 0xbf]),
                b(&[0x80, 0xbf, 0x80]),
                b(&[0x80, 0xbf, 0x80, 0xbf]),
                b(&[0x80, 0xbf, 0x80, 0xbf, 0x80]),
                b(&[0x80, 0xbf, 0x80, 0xbf, 0x80, 0xbf]),
                (0x80..=0xbf).collect(),
            ],
        ),
        (
            "6.13 lonely start bytes followed by a space",
            vec![
                lonely(0xc0..=0xdf),
                lonely(0xe0..=0xef),
                lonely(0xf0..=0xf7),
                lonely(0xf8..=0xfb),
                lonely(0xfc..=0xfd),
            ],
        ),
        ("6.14 sequences missing their last byte", incomplete.clone()),
        (
            "6.15 incomplete sequences concatenated",
            vec![incomplete.concat()],
        ),
        (
            "6.16 impossible bytes",
            vec![b(&[0xfe]), b(&[0xff]), b(&[0xfe, 0xfe, 0xff, 0xff])],
        ),
        (
            "6.17 overlong '/'",
            vec![
                b(&[0xc0, 0xaf]),
                b(&[0xe0, 0x80, 0xaf]),
                b(&[0xf0, 0x80, 0x80, 0xaf]),
                b(&[0xf8, 0x80, 0x80, 0x80, 0xaf]),
                b(&[0xfc, 0x80, 0x80, 0x80, 0x80, 0xaf]),
            ],
        ),
        (
            "6.18 maximum overlong sequences",
            vec![
                b(&[0xc1, 0xbf]),
                b(&[0xe0, 0x9f, 0xbf]),
                b(&[0xf0, 0x8f, 0xbf, 0xbf]),
                b(&[0xf8, 0x87, 0xbf, 0xbf, 0xbf]),
                b(&[0xfc, 0x83, 0xbf, 0xbf, 0xbf, 0xbf]),
            ],
        ),
        (
            "6.19 overlong NUL",
            vec![
                b(&[0xc0, 0x80]),
                b(&[0xe0, 0x80, 0x80]),
                b(&[0xf0, 0x80, 0x80, 0x80]),
                b(&[0xf8, 0x80, 0x80, 0x80, 0x80]),
                b(&[0xfc, 0x80, 0x80, 0x80, 0x80, 0x80]),
            ],
        ),
        (
            "6.20 single surrogates",
            vec![
                b(&[0xed, 0xa0, 0x80]),
                b(&[0xed, 0xad, 0xbf]),
                b(&[0xed, 0xae, 0x80]),
                b(&[0xed, 0xaf, 0xbf]),
                b(&[0xed, 0xb0, 0x80]),
                b(&[0xed, 0xbe, 0x80]),
                b(&[0xed, 0xbf, 0xbf]),
            ],
        ),
        (
            "6.21 paired surrogates",
            [[0xa0, 0x80], [0xad, 0xbf], [0xae, 0x80], [0xaf, 0xbf]]
                .iter()
                .flat_map(|hi| {
                    [[0xb0, 0x80], [0xbf, 0xbf]]
                        .iter()
                        .map(|lo| vec![0xed, hi[0], hi[1], 0xed, lo[0], lo[1]])
                        .collect::<Vec<_>>()
                })
                .collect(),
        ),
        ("6.22 noncharacters (valid)", noncharacters),
        (
            "6.23 specials (valid)",
            vec![
                ch(0xFFF9),
                ch(0xFFFA),
                ch(0xFFFB),
                ch(0xFFFC),
                ch(0xFFFD),
                ch(0xFEFF),
            ],
        ),
        (
            "6.x bad continuation bytes",
            vec![
                b(&[0xc2, 0x41]),
                b(&[0xe2, 0x28, 0xa1]),
                b(&[0xe2, 0x82, 0x28]),
                b(&[0xf0, 0x28, 0x8c, 0xbc]),
                b(&[0xf0, 0x90, 0x28, 0xbc]),
                b(&[0xf0, 0x90, 0x8c, 0x28]),
                b(&[0xe2, 0x82, 0xc2, 0xa2]),
                b(&[0xf0, 0x9f, 0x98, 0xe2, 0x82, 0xac]),
            ],
        ),
        (
            "6.x valid multi-byte mixes",
            vec![
                b("€".as_bytes()),
                b("𝄞".as_bytes()),
                b("a€𝄞ß\u{10FFFF}z".as_bytes()),
            ],
        ),
    ]
}

fn utf8_cases() -> Vec<Case> {
    let mut v = vec![
        case("6.1.1 empty text", vec![text("")]).expect(vec![Msg::text("")]),
        case(
            "6.1.2 empty text in three empty fragments",
            vec![text_start(""), cont(""), cont_fin("")],
        )
        .expect(vec![Msg::text("")]),
        case(
            "6.1.3 text fragments empty, \"middle\", empty",
            vec![text_start(""), cont("middle"), cont_fin("")],
        )
        .expect(vec![Msg::text("middle")]),
    ];
    // 6.2: a valid message split into two fragments at every byte, and into
    // one-byte fragments.
    for (id, s) in [
        ("6.2", "Hello-µ@ßöäüàá-UTF-8!!"),
        ("6.2.4", "κόσμε"),
        ("6.2.x", "𝄞€ß\u{10FFFF}"),
    ] {
        let bytes = s.as_bytes();
        v.push(utf8_row(
            format!("{id} \"{s}\", one frame"),
            vec![bytes.to_vec()],
        ));
        for k in 0..=bytes.len() {
            v.push(utf8_row(
                format!("{id} \"{s}\", two fragments split at byte {k}"),
                vec![bytes[..k].to_vec(), bytes[k..].to_vec()],
            ));
        }
        v.push(utf8_row(
            format!("{id} \"{s}\", one-byte fragments"),
            bytes.iter().map(|b| vec![*b]).collect(),
        ));
    }
    // Three fragments, cut at every pair of positions, with a ping between.
    let s = "𝄞€ß".as_bytes();
    for i in 0..=s.len() {
        for j in i..=s.len() {
            v.push(
                case(
                    format!("6.2.x \"𝄞€ß\" in three fragments cut at {i} and {j}, ping between"),
                    vec![
                        text_start(&s[..i]),
                        ping("p"),
                        cont(&s[i..j]),
                        cont_fin(&s[j..]),
                    ],
                )
                .expect(vec![Msg::ping("p"), Msg::text("𝄞€ß")]),
            );
        }
    }
    // 6.3: invalid in one frame, and in one-byte fragments (fails at the A0).
    let edited: &[u8] = &[
        0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80, 0x65,
        0x64, 0x69, 0x74, 0x65, 0x64,
    ];
    v.push(
        case(
            "6.3.1 invalid \"κόσμε\\xed\\xa0\\x80edited\", one frame",
            vec![text(edited)],
        )
        .fails(ProtocolError::InvalidUtf8, UTF8),
    );
    v.push(utf8_row(
        "6.3.2 invalid \"κόσμε\\xed\\xa0\\x80edited\", one-byte fragments".into(),
        edited.iter().map(|b| vec![*b]).collect(),
    ));
    // 6.4: fail fast. The payload is valid up to F4 90 (above U+10FFFF).
    let good: &[u8] = &[
        0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5,
    ];
    let tail: &[u8] = b"edited";
    v.push(
        case(
            "6.4.1 fail fast: bad sequence whole in the second of three fragments",
            vec![
                text_start(good),
                cont([0xf4, 0x90, 0x80, 0x80]),
                cont_fin(tail),
            ],
        )
        .fails(ProtocolError::InvalidUtf8, UTF8)
        .by_end_of(1),
    );
    v.push(
        case(
            "6.4.2 fail fast: F4 ends the first fragment, 90 is the second",
            vec![
                text_start(cat(&[good, &[0xf4]])),
                cont([0x90]),
                cont_fin(cat(&[&[0x80, 0x80], tail])),
            ],
        )
        .fails(ProtocolError::InvalidUtf8, UTF8)
        .by_end_of(1),
    );
    // 6.4.3 and 6.4.4 chop one frame: text still arriving is checked as it
    // comes, so the error is due once the first bad byte (0x90 after 0xF4:
    // above U+10FFFF) is in, long before the frame's end. The feeds above
    // cut the frame at every byte.
    v.push(
        case(
            "6.4.3 one frame, bad sequence mid-payload (fails at the bad byte)",
            vec![text(cat(&[good, &[0xf4, 0x90, 0x80, 0x80], tail]))],
        )
        .fails(ProtocolError::InvalidUtf8, UTF8)
        .by_payload_byte(0, good.len() + 2),
    );
    v.push(
        case(
            "6.4.4 fragment, bad sequence mid-payload of the second fragment",
            vec![
                text_start(good),
                cont_fin(cat(&[&[0xf4, 0x90, 0x80, 0x80], tail])),
            ],
        )
        .fails(ProtocolError::InvalidUtf8, UTF8)
        .by_payload_byte(1, 2),
    );
    v.push(
        case(
            "6.4.x fail fast: ping after the bad fragment is never read",
            vec![
                text_start(good),
                cont([0xed, 0xa0, 0x80]),
                ping("never"),
                cont_fin(tail),
            ],
        )
        .fails(ProtocolError::InvalidUtf8, UTF8)
        .by_end_of(1),
    );
    v.push(
        case(
            "6.4.x fail fast: truncated sequence is only an error at the final fragment",
            vec![
                text_start(cat(&[good, &[0xe2, 0x82]])),
                cont(""),
                cont_fin(""),
            ],
        )
        .fails(ProtocolError::InvalidUtf8, UTF8)
        .by_end_of(2),
    );
    // 6.6: prefixes of κόσμε in one frame.
    let kosme = "κόσμε".as_bytes();
    for n in 1..=kosme.len() {
        v.push(utf8_row(
            format!("6.6.{n} first {n} bytes of \"κόσμε\", one frame"),
            vec![kosme[..n].to_vec()],
        ));
    }
    for (group, seqs) in utf8_groups() {
        for (j, seq) in seqs.iter().enumerate() {
            utf8_sequence_rows(&format!("{group} #{}", j + 1), seq, &mut v);
        }
    }
    v
}

// ---------------------------------------------------------------------------
// 7. Close
// ---------------------------------------------------------------------------

const VALID_CODES: [u16; 18] = [
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3001, 3999, 4000,
    4001, 4999,
];
const INVALID_CODES: [u16; 14] = [
    0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535, 1, 1999,
];

fn close_cases() -> Vec<Case> {
    let mut v = vec![
        case(
            "7.1.1 text, then close",
            vec![text("Hello World!"), close(1000, "")],
        )
        .expect(vec![Msg::text("Hello World!"), Msg::close(1000, "")]),
        case("7.1.2 close twice", vec![close(1000, ""), close(1000, "")])
            .expect(vec![Msg::close(1000, "")]),
        case(
            "7.1.3 ping after close",
            vec![close(1000, ""), ping("ignored")],
        )
        .expect(vec![Msg::close(1000, "")]),
        case(
            "7.1.4 text after close",
            vec![close(1000, ""), text("ignored")],
        )
        .expect(vec![Msg::close(1000, "")]),
        case(
            "7.1.5 close between text fragments",
            vec![
                text_start("fragment1"),
                close(1000, ""),
                cont_fin("fragment2"),
            ],
        )
        .expect(vec![Msg::close(1000, "")]),
        case(
            "7.1.6 10 KiB text, close, ping",
            vec![text(ascii(10240)), close(1000, ""), ping("ignored")],
        )
        .expect(vec![Msg::text(ascii(10240)), Msg::close(1000, "")]),
        case(
            "7.x invalid frames after close are not parsed",
            vec![
                close(1000, "bye"),
                frame(FIN | RSV1 | OP_TEXT, "rsv"),
                frame(FIN | 0x3, "opcode"),
                cont_fin("stray"),
                raw([0xff; 40]),
            ],
        )
        .expect(vec![Msg::close(1000, "bye")]),
        case(
            "7.x huge declared frame after close is not parsed",
            vec![close_empty(), bin("").len(Len::Declared(1 << 62))],
        )
        .expect(vec![Msg::Close(None)]),
        case(
            "7.x ping and text before close are all delivered",
            vec![ping("p"), text("t"), pong("q"), close(1001, "going")],
        )
        .expect(vec![
            Msg::ping("p"),
            Msg::text("t"),
            Msg::pong("q"),
            Msg::close(1001, "going"),
        ]),
        case("7.3.1 empty close", vec![close_empty()]).expect(vec![Msg::Close(None)]),
        case(
            "7.3.2 close with a 1-byte payload",
            vec![frame(FIN | OP_CLOSE, [0x03])],
        )
        .fails(ProtocolError::InvalidCloseLength, PROTO),
        case("7.3.3 close with code only", vec![close(1000, "")])
            .expect(vec![Msg::close(1000, "")]),
        case(
            "7.3.4 close with code and reason",
            vec![close(1000, "Hello World!")],
        )
        .expect(vec![Msg::close(1000, "Hello World!")]),
        case(
            "7.3.5 close with a 123-byte reason",
            vec![close(1000, "*".repeat(123))],
        )
        .expect(vec![Msg::close(1000, &"*".repeat(123))]),
        case(
            "7.3.5 close with a 123-byte multi-byte reason",
            vec![close(1000, format!("{}x", "€".repeat(40)) + "yz")],
        )
        .expect(vec![Msg::close(
            1000,
            &(format!("{}x", "€".repeat(40)) + "yz"),
        )]),
        case(
            "7.3.6 close with a 124-byte reason",
            vec![close(1000, "*".repeat(124))],
        )
        .fails(ProtocolError::ControlFrameTooLong, PROTO)
        .by_header(0),
        case(
            "7.5.1 close reason with invalid UTF-8",
            vec![close(
                1000,
                [
                    0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0,
                    0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64,
                ],
            )],
        )
        .fails(ProtocolError::InvalidUtf8, UTF8),
        case(
            "7.5.x close reason cut inside a multi-byte char",
            vec![close(1000, &"€".as_bytes()[..2])],
        )
        .fails(ProtocolError::InvalidUtf8, UTF8),
        case(
            "7.5.x close reason with an overlong NUL",
            vec![close(1000, [b'a', 0xc0, 0x80])],
        )
        .fails(ProtocolError::InvalidUtf8, UTF8),
        case(
            "7.5.x close reason valid multi-byte",
            vec![close(1000, "κόσμε")],
        )
        .expect(vec![Msg::close(1000, "κόσμε")]),
        case(
            "7.x close with 1-byte payload between fragments",
            vec![text_start("a"), frame(FIN | OP_CLOSE, [0x03])],
        )
        .fails(ProtocolError::InvalidCloseLength, PROTO),
    ];
    for (i, code) in VALID_CODES.into_iter().enumerate() {
        v.push(
            case(
                format!("7.7.{} valid close code {code}", i + 1),
                vec![close(code, "")],
            )
            .expect(vec![Msg::close(code, "")]),
        );
        v.push(
            case(
                format!("7.7.{} valid close code {code} with reason", i + 1),
                vec![close(code, "reason")],
            )
            .expect(vec![Msg::close(code, "reason")]),
        );
    }
    for (i, code) in INVALID_CODES.into_iter().enumerate() {
        v.push(
            case(
                format!("7.9.{} invalid close code {code}", i + 1),
                vec![close(code, "")],
            )
            .fails(ProtocolError::InvalidCloseCode(code), PROTO),
        );
        v.push(
            case(
                format!(
                    "7.9.{} invalid close code {code} with reason, after text",
                    i + 1
                ),
                vec![text("before"), close(code, "reason")],
            )
            .expect(vec![Msg::text("before")])
            .fails(ProtocolError::InvalidCloseCode(code), PROTO),
        );
    }
    v
}

// ---------------------------------------------------------------------------
// Limits: length encodings, masking, sizes decided from the header alone
// ---------------------------------------------------------------------------

fn limit_cases() -> Vec<Case> {
    let mut v = Vec::new();
    for n in [0u16, 1, 125] {
        v.push(
            case(
                format!("L.1 16-bit length encoding of {n}"),
                vec![bin(pattern(n.into(), 1)).len(Len::Ext16(n))],
            )
            .fails(ProtocolError::NonMinimalLength, PROTO)
            .by_header(0),
        );
    }
    v.push(
        case(
            "L.1 16-bit length encoding of 126 (minimal)",
            vec![bin(pattern(126, 1)).len(Len::Ext16(126))],
        )
        .expect(vec![Msg::bin(pattern(126, 1))]),
    );
    for n in [0u64, 5, 125, 126, 65535] {
        v.push(
            case(
                format!("L.2 64-bit length encoding of {n}"),
                vec![bin(pattern(n as usize, 2)).len(Len::Ext64(n))],
            )
            .fails(ProtocolError::NonMinimalLength, PROTO)
            .by_header(0),
        );
    }
    v.push(
        case(
            "L.2 64-bit length encoding of 65536 (minimal)",
            vec![bin(pattern(65536, 2)).len(Len::Ext64(65536))],
        )
        .expect(vec![Msg::bin(pattern(65536, 2))]),
    );
    v.push(
        case(
            "L.2 non-minimal 16-bit length on a continuation",
            vec![text_start("a"), cont_fin("b").len(Len::Ext16(1))],
        )
        .fails(ProtocolError::NonMinimalLength, PROTO)
        .by_header(1),
    );
    for n in [1u64 << 63, (1 << 63) + 5, u64::MAX] {
        v.push(
            case(
                format!("L.3 64-bit length with top bit set ({n:#x})"),
                vec![bin("").len(Len::Ext64(n))],
            )
            .fails(ProtocolError::LengthTopBitSet, PROTO)
            .cap(64),
        );
    }
    // Masking by role.
    for (kind, piece) in [
        ("text", text("Hello")),
        ("ping", ping("p")),
        ("close", close(1000, "")),
        ("continuation", cont_fin("lo")),
    ] {
        let key = Mask::Key([0x37, 0xfa, 0x21, 0x3d]);
        let prefix = if kind == "continuation" {
            vec![text_start("Hel")]
        } else {
            vec![]
        };
        let at = prefix.len();
        let mut masked = prefix.clone();
        masked.push(piece.clone().mask(key));
        v.push(
            case(format!("L.4 masked {kind} to a client"), masked)
                .only(Role::Client)
                .fails(ProtocolError::MaskedFrameFromServer, PROTO)
                .by_header(at),
        );
        let mut unmasked = prefix;
        unmasked.push(piece.mask(Mask::Never));
        v.push(
            case(format!("L.5 unmasked {kind} to a server"), unmasked)
                .only(Role::Server)
                .fails(ProtocolError::UnmaskedFrameFromClient, PROTO)
                .by_header(at),
        );
    }
    v.push(
        case(
            "L.4 masked frame to a client after a good one",
            vec![text("ok"), text("bad").mask(Mask::Key([0, 0, 0, 0]))],
        )
        .only(Role::Client)
        .expect(vec![Msg::text("ok")])
        .fails(ProtocolError::MaskedFrameFromServer, PROTO)
        .by_header(1),
    );
    v.push(
        case(
            "L.5 unmasked frame to a server after a good one",
            vec![text("ok"), ping("bad").mask(Mask::Never)],
        )
        .only(Role::Server)
        .expect(vec![Msg::text("ok")])
        .fails(ProtocolError::UnmaskedFrameFromClient, PROTO)
        .by_header(1),
    );
    // Frame size, from the header alone.
    v.push(
        case("L.6 frame of max_frame_size", vec![bin(pattern(1000, 3))])
            .limits(1000, DEFAULT_MAX_MESSAGE_SIZE)
            .expect(vec![Msg::bin(pattern(1000, 3))]),
    );
    v.push(
        case(
            "L.6 frame one byte over max_frame_size",
            vec![bin(pattern(1001, 3))],
        )
        .limits(1000, DEFAULT_MAX_MESSAGE_SIZE)
        .fails(
            ProtocolError::FrameTooLarge {
                size: 1001,
                max: 1000,
            },
            TOO_BIG,
        )
        .by_header(0),
    );
    v.push(
        case(
            "L.6 frame over max_frame_size, header only",
            vec![bin(pattern(1001, 3)).keep_payload(0)],
        )
        .limits(1000, DEFAULT_MAX_MESSAGE_SIZE)
        .fails(
            ProtocolError::FrameTooLarge {
                size: 1001,
                max: 1000,
            },
            TOO_BIG,
        )
        .cap(64),
    );
    v.push(
        case(
            "L.6 continuation over max_frame_size",
            vec![text_start(ascii(50)), cont_fin(ascii(101))],
        )
        .limits(100, DEFAULT_MAX_MESSAGE_SIZE)
        .fails(
            ProtocolError::FrameTooLarge {
                size: 101,
                max: 100,
            },
            TOO_BIG,
        )
        .by_header(1),
    );
    v.push(
        case(
            "L.6 1 GiB frame declared, header only, default limits",
            vec![bin("").len(Len::Declared(1 << 30))],
        )
        .fails(
            ProtocolError::FrameTooLarge {
                size: 1 << 30,
                max: DEFAULT_MAX_FRAME_SIZE,
            },
            TOO_BIG,
        )
        .cap(64),
    );
    v.push(
        case(
            "L.6 2^62-byte frame declared, header only: refused without allocating",
            vec![bin("").len(Len::Declared(1 << 62))],
        )
        .fails(
            ProtocolError::FrameTooLarge {
                size: 1 << 62,
                max: DEFAULT_MAX_FRAME_SIZE,
            },
            TOO_BIG,
        )
        .cap(64),
    );
    v.push(
        case(
            "L.6 2^62-byte frame declared after a message",
            vec![text("ok"), text("").len(Len::Declared(1 << 62))],
        )
        .expect(vec![Msg::text("ok")])
        .fails(
            ProtocolError::FrameTooLarge {
                size: 1 << 62,
                max: DEFAULT_MAX_FRAME_SIZE,
            },
            TOO_BIG,
        )
        .cap(64),
    );
    // Message size, from the header alone.
    v.push(
        case(
            "L.7 fragments adding up to max_message_size",
            vec![
                text_start(ascii(600)),
                cont(ascii(300)),
                cont_fin(ascii(100)),
            ],
        )
        .limits(DEFAULT_MAX_FRAME_SIZE, 1000)
        .expect(vec![Msg::text(ascii(600) + &ascii(300) + &ascii(100))]),
    );
    v.push(
        case(
            "L.7 fragments one byte over max_message_size",
            vec![text_start(ascii(600)), cont_fin(ascii(401))],
        )
        .limits(DEFAULT_MAX_FRAME_SIZE, 1000)
        .fails(
            ProtocolError::MessageTooLarge {
                size: 1001,
                max: 1000,
            },
            TOO_BIG,
        )
        .by_header(1),
    );
    v.push(
        case(
            "L.7 fragment over max_message_size, header only",
            vec![
                bin_start(pattern(600, 1)),
                cont_fin(pattern(401, 2)).keep_payload(0),
            ],
        )
        .limits(DEFAULT_MAX_FRAME_SIZE, 1000)
        .fails(
            ProtocolError::MessageTooLarge {
                size: 1001,
                max: 1000,
            },
            TOO_BIG,
        ),
    );
    v.push(
        case(
            "L.7 single frame over max_message_size",
            vec![bin(pattern(1001, 1))],
        )
        .limits(DEFAULT_MAX_FRAME_SIZE, 1000)
        .fails(
            ProtocolError::MessageTooLarge {
                size: 1001,
                max: 1000,
            },
            TOO_BIG,
        )
        .by_header(0),
    );
    v.push(
        case(
            "L.7 control frames do not count toward the message",
            vec![
                text_start(ascii(5)),
                ping(pattern(100, 1)),
                cont_fin(ascii(5)),
            ],
        )
        .limits(DEFAULT_MAX_FRAME_SIZE, 10)
        .expect(vec![
            Msg::ping(pattern(100, 1)),
            Msg::text(ascii(5) + &ascii(5)),
        ]),
    );
    v.push(
        case(
            "L.7 2^62-byte frame under an unlimited frame size: message limit refuses it",
            vec![bin("").len(Len::Declared(1 << 62))],
        )
        .limits(usize::MAX, 1 << 20)
        .fails(
            ProtocolError::MessageTooLarge {
                size: 1 << 62,
                max: 1 << 20,
            },
            TOO_BIG,
        )
        .cap(64),
    );
    v.push(
        case(
            "L.7 2^62-byte continuation after a 100-byte fragment",
            vec![
                bin_start(pattern(100, 1)),
                cont_fin("").len(Len::Declared(1 << 62)),
            ],
        )
        .limits(usize::MAX, 1 << 20)
        .fails(
            ProtocolError::MessageTooLarge {
                size: 100 + (1 << 62),
                max: 1 << 20,
            },
            TOO_BIG,
        )
        .by_header(1)
        .cap(256),
    );
    v
}

// ---------------------------------------------------------------------------
// The reader tests, one per category
// ---------------------------------------------------------------------------

#[test]
fn autobahn_1_framing() {
    run_rows("1 framing", framing_cases());
}

#[test]
fn autobahn_2_ping_pong() {
    run_rows("2 ping/pong", ping_pong_cases());
}

#[test]
fn autobahn_3_reserved_bits() {
    run_rows("3 reserved bits", reserved_bit_cases());
}

#[test]
fn autobahn_4_opcodes() {
    run_rows("4 opcodes", opcode_cases());
}

#[test]
fn autobahn_5_fragmentation() {
    run_rows("5 fragmentation", fragmentation_cases());
}

#[test]
fn autobahn_6_utf8() {
    run_rows("6 UTF-8", utf8_cases());
}

#[test]
fn autobahn_7_close() {
    run_rows("7 close", close_cases());
}

#[test]
fn limits_from_the_header() {
    run_rows("limits", limit_cases());
}

/// The hand encoder agrees with RFC 6455 section 5.7, so rows mean what they
/// say.
#[test]
fn hand_encoder_matches_rfc_examples() {
    assert_eq!(
        encode(&[text("Hello")], Role::Client).bytes,
        [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
    );
    assert_eq!(
        encode(&[text("Hello")], Role::Server).bytes,
        [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58
        ]
    );
    assert_eq!(
        encode(&[text_start("Hel"), cont_fin("lo")], Role::Client).bytes,
        [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f]
    );
    assert_eq!(
        encode(&[ping("Hello")], Role::Client).bytes,
        [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
    );
    assert_eq!(
        &encode(&[bin(pattern(256, 0))], Role::Client).bytes[..4],
        [0x82, 0x7e, 0x01, 0x00]
    );
    assert_eq!(
        &encode(&[bin(pattern(65536, 0))], Role::Client).bytes[..10],
        [0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00]
    );
    let e = encode(
        &[text("ab"), bin("").len(Len::Declared(1 << 62))],
        Role::Server,
    );
    assert_eq!(e.header_ends, [6, 8 + 14]);
    assert_eq!(e.piece_ends, [8, 8 + 14]);
}

/// A 2^62-byte declared length, fed header byte by header byte into a
/// 64-byte buffer: refused once the header is in, and the buffer never grows.
#[test]
fn huge_declared_length_does_not_allocate() {
    for role in [Role::Client, Role::Server] {
        let header = encode(&[bin("").len(Len::Declared(1 << 62))], role).bytes;
        let mut r = FrameReader::builder()
            .role(role)
            .buffer_capacity(64)
            .build();
        for (i, b) in header.iter().enumerate() {
            let spare = r.spare();
            assert!(spare.len() <= 64, "{role:?}: spare grew to {}", spare.len());
            spare[0] = *b;
            r.filled(1);
            let result = r.next().map(|m| m.map(Msg::from));
            if i + 1 < header.len() {
                assert_eq!(result, Ok(None), "{role:?}: header byte {i}");
            } else {
                let want = ProtocolError::FrameTooLarge {
                    size: 1 << 62,
                    max: DEFAULT_MAX_FRAME_SIZE,
                };
                assert_eq!(result, Err(want.clone()), "{role:?}");
                assert_eq!(want.close_code(), CloseCode::MESSAGE_TOO_BIG);
                assert_eq!(r.error(), Some(&want));
            }
        }
        assert!(r.spare().len() <= 64);
    }
}

/// The side that sent Close first owes nothing when the peer's Close comes.
#[test]
fn close_state_initiator_owes_no_reply() {
    for role in [Role::Client, Role::Server] {
        let mut r = FrameReader::builder().role(role).build();
        r.read(&encode(&[close(1000, "bye"), close(1001, "again")], role).bytes)
            .unwrap();
        let mut state = CloseState::new();
        state.on_sent(Some(CloseCode::NORMAL));
        let Ok(Some(Message::Close(frame))) = r.next() else {
            panic!("{role:?}: expected a Close");
        };
        assert_eq!(state.on_received(frame), None);
        assert!(state.is_complete());
        assert_eq!(state.received_code(), Some(CloseCode::NORMAL));
        assert_eq!(state.received_reason(), Some("bye"));
        assert_eq!(r.next().map(|m| m.map(Msg::from)), Ok(None));
    }
}

// ---------------------------------------------------------------------------
// Writer refusals: each leaves the WriteBuf and the writer as they were
// ---------------------------------------------------------------------------

type Step = Box<dyn Fn(&mut FrameWriter, &mut WriteBuf) -> Result<(), EncodeError>>;

#[derive(Debug)]
enum WantErr {
    Exact(EncodeError),
    BufferFull,
}

struct WriterRow {
    name: String,
    setup: Step,
    action: Step,
    want: WantErr,
}

fn wrow(
    name: impl Into<String>,
    setup: impl Fn(&mut FrameWriter, &mut WriteBuf) -> Result<(), EncodeError> + 'static,
    action: impl Fn(&mut FrameWriter, &mut WriteBuf) -> Result<(), EncodeError> + 'static,
    want: WantErr,
) -> WriterRow {
    WriterRow {
        name: name.into(),
        setup: Box::new(setup),
        action: Box::new(action),
        want,
    }
}

fn writer_rows() -> Vec<WriterRow> {
    use WantErr::Exact;
    let nothing = |_: &mut FrameWriter, _: &mut WriteBuf| Ok(());
    let open_text = |w: &mut FrameWriter, out: &mut WriteBuf| {
        w.fragment(out, MessageKind::Text, b"frag", false)
    };
    let open_binary = |w: &mut FrameWriter, out: &mut WriteBuf| {
        w.fragment(out, MessageKind::Binary, &[1, 2], false)
    };
    let closed = |w: &mut FrameWriter, out: &mut WriteBuf| w.close(out, CloseCode::NORMAL, "bye");
    let mut v = vec![
        wrow(
            "ping payload of 126 bytes",
            nothing,
            |w, out| w.ping(out, &[0; 126]),
            Exact(EncodeError::ControlPayloadTooLong { len: 126 }),
        ),
        wrow(
            "pong payload of 126 bytes",
            nothing,
            |w, out| w.pong(out, &[0; 126]),
            Exact(EncodeError::ControlPayloadTooLong { len: 126 }),
        ),
        wrow(
            "ping payload of 126 bytes between fragments",
            open_text,
            |w, out| w.ping(out, &[0; 126]),
            Exact(EncodeError::ControlPayloadTooLong { len: 126 }),
        ),
        wrow(
            "close reason of 124 bytes",
            nothing,
            |w, out| w.close(out, CloseCode::NORMAL, &"r".repeat(124)),
            Exact(EncodeError::CloseReasonTooLong { len: 124 }),
        ),
        wrow(
            "close reason of 124 bytes of 2-byte chars",
            nothing,
            |w, out| w.close(out, CloseCode::NORMAL, &"é".repeat(62)),
            Exact(EncodeError::CloseReasonTooLong { len: 124 }),
        ),
        wrow(
            "text while a text message is open",
            open_text,
            |w, out| w.text(out, "x"),
            Exact(EncodeError::FragmentOrder),
        ),
        wrow(
            "binary while a text message is open",
            open_text,
            |w, out| w.binary(out, b"x"),
            Exact(EncodeError::FragmentOrder),
        ),
        wrow(
            "binary_with while a text message is open",
            open_text,
            |w, out| w.binary_with(out, |p| p.extend(b"x")),
            Exact(EncodeError::FragmentOrder),
        ),
        wrow(
            "binary fragment continuing a text message",
            open_text,
            |w, out| w.fragment(out, MessageKind::Binary, b"x", true),
            Exact(EncodeError::FragmentOrder),
        ),
        wrow(
            "text fragment continuing a binary message",
            open_binary,
            |w, out| w.fragment(out, MessageKind::Text, b"x", false),
            Exact(EncodeError::FragmentOrder),
        ),
        wrow(
            "text while a binary message is open",
            open_binary,
            |w, out| w.text(out, "x"),
            Exact(EncodeError::FragmentOrder),
        ),
        wrow(
            "text over the buffer limit",
            nothing,
            |w, out| w.text(out, &"x".repeat(600)),
            WantErr::BufferFull,
        ),
        wrow(
            "fragment over the buffer limit",
            open_binary,
            |w, out| w.fragment(out, MessageKind::Binary, &[7; 600], true),
            WantErr::BufferFull,
        ),
        wrow(
            "binary_with whose fill fails part way",
            nothing,
            |w, out| {
                w.binary_with(out, |p| {
                    p.extend(b"partial")?;
                    p.extend(&[0; 600])
                })
            },
            WantErr::BufferFull,
        ),
        wrow(
            "binary_with whose payload fits but whose header does not",
            nothing,
            |w, out| {
                w.binary_with(out, |p| {
                    // Fill the buffer to its limit, a few bytes at a time.
                    while p.extend(&[0xab; 4]).is_ok() {}
                    while p.extend(&[0xcd]).is_ok() {}
                    Ok(())
                })
            },
            WantErr::BufferFull,
        ),
    ];
    for code in INVALID_CODES {
        v.push(wrow(
            format!("close with invalid code {code}"),
            nothing,
            move |w, out| w.close(out, CloseCode(code), ""),
            Exact(EncodeError::InvalidCloseCode(code)),
        ));
    }
    let after_close: [(&str, Step); 9] = [
        ("text", Box::new(|w, out| w.text(out, "late"))),
        ("binary", Box::new(|w, out| w.binary(out, b"late"))),
        (
            "binary_with",
            Box::new(|w, out| w.binary_with(out, |p| p.extend(b"late"))),
        ),
        (
            "fragment",
            Box::new(|w, out| w.fragment(out, MessageKind::Text, b"late", false)),
        ),
        (
            "final fragment",
            Box::new(|w, out| w.fragment(out, MessageKind::Binary, b"late", true)),
        ),
        ("ping", Box::new(|w, out| w.ping(out, b"late"))),
        ("pong", Box::new(|w, out| w.pong(out, b"late"))),
        (
            "a second close",
            Box::new(|w, out| w.close(out, CloseCode::NORMAL, "")),
        ),
        (
            "a second empty close",
            Box::new(|w, out| w.close_empty(out)),
        ),
    ];
    for (what, action) in after_close {
        v.push(WriterRow {
            name: format!("{what} after close"),
            setup: Box::new(closed),
            action,
            want: Exact(EncodeError::DataAfterClose),
        });
    }
    v.push(wrow(
        "fragment after close while a message was open",
        move |w, out| {
            open_text(w, out)?;
            closed(w, out)
        },
        |w, out| w.fragment(out, MessageKind::Text, b"end", true),
        Exact(EncodeError::DataAfterClose),
    ));
    v
}

#[test]
fn writer_refusals_leave_the_buffer_unchanged() {
    let rows = writer_rows();
    let mut failures = Vec::new();
    for row in &rows {
        for role in [Role::Client, Role::Server] {
            // Fresh, with queued bytes, and with queued bytes partly sent
            // (the buffer may then move data back to its headroom).
            for layout in ["queued", "partly sent"] {
                let mut w = FrameWriter::with_rng(role, SeededRng::from_seed(7));
                let mut out = WriteBuf::with_limit(14, 64, 512);
                w.text(&mut out, "queued message").unwrap();
                if layout == "partly sent" {
                    out.advance(5);
                }
                (row.setup)(&mut w, &mut out).unwrap();
                let before = out.data().to_vec();
                let state = (w.is_fragmenting(), w.is_close_sent());
                let got = (row.action)(&mut w, &mut out);
                let what = format!("{} [{role:?}, {layout}]", row.name);
                let right = match (&row.want, &got) {
                    (WantErr::Exact(want), Err(e)) => e == want,
                    (WantErr::BufferFull, Err(EncodeError::BufferFull(_))) => true,
                    _ => false,
                };
                if !right {
                    failures.push(format!("{what}: expected {:?}, got {got:?}", row.want));
                }
                if out.data() != before.as_slice() {
                    failures.push(format!(
                        "{what}: buffer changed from {} to {}",
                        hex(&before),
                        hex(out.data())
                    ));
                }
                if (w.is_fragmenting(), w.is_close_sent()) != state {
                    failures.push(format!(
                        "{what}: writer state (fragmenting, close sent) went from {state:?} to {:?}",
                        (w.is_fragmenting(), w.is_close_sent())
                    ));
                }
            }
        }
    }
    println!("writer: {} rows, {} variants", rows.len(), rows.len() * 4);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
