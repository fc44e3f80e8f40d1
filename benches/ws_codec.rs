//! WebSocket codec benchmarks: tickwire next to the crate it re-creates
//! (nexus-net 0.7.0) and a memcpy floor, in the same criterion groups, so
//! every figure is a ratio from one run.
//!
//! Run pinned to one core (unpinned runs on the shared VMs swing by tens of
//! percent):
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-bench taskset -c 0 cargo bench --bench ws_codec
//! ```
//!
//! Groups (see `docs/performance.md` for the figures):
//!
//! - `decode_*`: steady-state read loop. A batch of N frames is encoded once
//!   into a byte stream; one iteration feeds the whole batch to the reader in
//!   read-sized chunks (`read()`, the same chunk size for both crates) and
//!   drains `next()` after each chunk, so frames straddle reads the way they
//!   do on a busy socket. Throughput is `Elements(N)`: criterion's time per
//!   element is ns per message. The `memcpy_floor` entry copies the same
//!   chunks into a buffer and parses nothing. The read size is in the
//!   benchmark id (`read64KiB`, `read1MiB`).
//! - `encode_*`: one message per iteration into a `WriteBuf` cleared each
//!   iteration, both roles (the client masks).
//! - `mask_*`: in-place masking per available SIMD path, the dispatching
//!   `apply_mask`, nexus-net's `apply_mask`, and a memcpy of the same length,
//!   with the buffer 64-byte aligned and 8 bytes past that.

// criterion_group! generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nexus_net::buf::WriteBuf as NxWriteBuf;
use nexus_net::ws::{
    FrameReader as NxReader, FrameWriter as NxWriter, Message as NxMessage, Role as NxRole,
};
use tickwire::buf::WriteBuf;
use tickwire::rng::SeededRng;
use tickwire::ws::mask::{MaskPath, apply_mask};
use tickwire::ws::{FrameReader, FrameWriter, Message, MessageKind, Role};

mod common;

const KIB: usize = 1024;
/// Target size of one decode batch for small messages: a pass stays in L2.
const BATCH_BYTES: usize = 256 * KIB;
/// The default read policy: 64 KiB per read.
const READ_64K: usize = 64 * KIB;
/// The large-read policy used beside it for 64 KiB messages.
const READ_1M: usize = 1024 * KIB;
const MASK_KEY: [u8; 4] = [0x37, 0xFA, 0x21, 0x3D];

// ---------------------------------------------------------------------------
// Payloads
// ---------------------------------------------------------------------------

/// ASCII text shaped like exchange market data.
fn text_payload(len: usize) -> String {
    const TICK: &str =
        r#"{"e":"trade","s":"BTCUSDT","p":"64123.10","q":"0.00150","T":1700000000123,"m":true}"#;
    let mut s = String::with_capacity(len + TICK.len());
    while s.len() < len {
        s.push_str(TICK);
    }
    s.truncate(len);
    s
}

/// Deterministic, incompressible-looking bytes.
fn binary_payload(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9E37_79B9;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Decode
// ---------------------------------------------------------------------------

/// One decode row: a wire batch and what it must decode to.
struct DecodeCase {
    name: &'static str,
    /// Which role reads it (Client: server-to-client, unmasked).
    reader_role: Role,
    wire: Vec<u8>,
    /// Messages in the batch.
    msgs: usize,
    /// Payload of every message (all messages in a batch are equal).
    payload: Vec<u8>,
    text: bool,
}

/// Encodes `msgs` messages with tickwire's writer. `fragments` > 1 splits
/// each message into that many equal frames. A client writer masks.
fn build_case(
    name: &'static str,
    writer_role: Role,
    text: bool,
    len: usize,
    fragments: usize,
    msgs: usize,
) -> DecodeCase {
    let payload = if text {
        text_payload(len).into_bytes()
    } else {
        binary_payload(len)
    };
    let mut writer = FrameWriter::with_rng(writer_role, SeededRng::from_seed(7));
    let mut out = WriteBuf::new(14, len + 14 * fragments);
    let mut wire = Vec::new();
    let kind = if text {
        MessageKind::Text
    } else {
        MessageKind::Binary
    };
    for _ in 0..msgs {
        out.clear();
        if fragments == 1 {
            if text {
                let s = std::str::from_utf8(&payload).expect("ASCII");
                writer.text(&mut out, s).expect("encode");
            } else {
                writer.binary(&mut out, &payload).expect("encode");
            }
        } else {
            let piece = len / fragments;
            for (i, part) in payload.chunks(piece).enumerate() {
                let fin = i + 1 == fragments;
                writer.fragment(&mut out, kind, part, fin).expect("encode");
            }
        }
        wire.extend_from_slice(out.data());
    }
    let reader_role = match writer_role {
        Role::Client => Role::Server,
        Role::Server => Role::Client,
    };
    DecodeCase {
        name,
        reader_role,
        wire,
        msgs,
        payload,
        text,
    }
}

/// Messages per batch so a batch is about `BATCH_BYTES` on the wire
/// (at least 16 messages).
fn batch_msgs(wire_per_msg: usize) -> usize {
    (BATCH_BYTES / wire_per_msg).max(16)
}

fn tickwire_reader(role: Role, read: usize) -> FrameReader {
    FrameReader::builder()
        .role(role)
        .buffer_capacity(2 * read)
        .build()
}

fn nexus_reader(role: Role, read: usize) -> NxReader {
    let role = match role {
        Role::Client => NxRole::Client,
        Role::Server => NxRole::Server,
    };
    NxReader::builder()
        .role(role)
        .buffer_capacity(2 * read)
        .build()
}

/// One pass of the batch through tickwire's reader; returns messages seen.
#[inline(always)]
fn tickwire_pass(reader: &mut FrameReader, wire: &[u8], read: usize) -> usize {
    let mut n = 0;
    for chunk in wire.chunks(read) {
        // The buffer holds a whole read plus a partial frame: it takes all.
        let taken = reader.read(chunk).expect("read");
        assert_eq!(taken, chunk.len());
        while let Some(msg) = reader.next().expect("decode") {
            black_box(&msg);
            n += 1;
        }
    }
    n
}

/// One pass of the batch through nexus-net's reader; returns messages seen.
#[inline(always)]
fn nexus_pass(reader: &mut NxReader, wire: &[u8], read: usize) -> usize {
    let mut n = 0;
    for chunk in wire.chunks(read) {
        reader.read(chunk).expect("read");
        while let Some(msg) = reader.next().expect("decode") {
            black_box(&msg);
            n += 1;
        }
    }
    n
}

/// Checks, once, that both readers decode the batch to the right messages
/// (twice, so the second pass runs on the warmed, wrapped buffers).
fn verify_case(case: &DecodeCase, read: usize) {
    let mut tw = tickwire_reader(case.reader_role, read);
    let mut nx = nexus_reader(case.reader_role, read);
    for _ in 0..2 {
        let mut seen = 0;
        for chunk in case.wire.chunks(read) {
            assert_eq!(tw.read(chunk).expect("read"), chunk.len());
            while let Some(msg) = tw.next().expect("decode") {
                let ok = match msg {
                    Message::Text(s) => case.text && s.as_bytes() == case.payload,
                    Message::Binary(b) => !case.text && b == case.payload,
                    _ => false,
                };
                assert!(ok, "{}: tickwire decoded a wrong message", case.name);
                seen += 1;
            }
        }
        assert_eq!(seen, case.msgs, "{}: tickwire message count", case.name);
        let mut seen = 0;
        for chunk in case.wire.chunks(read) {
            nx.read(chunk).expect("read");
            while let Some(msg) = nx.next().expect("decode") {
                let ok = match msg {
                    NxMessage::Text(s) => case.text && s.as_bytes() == case.payload,
                    NxMessage::Binary(b) => !case.text && b == case.payload,
                    _ => false,
                };
                assert!(ok, "{}: nexus decoded a wrong message", case.name);
                seen += 1;
            }
        }
        assert_eq!(seen, case.msgs, "{}: nexus message count", case.name);
    }
}

fn read_label(read: usize) -> String {
    if read >= KIB * KIB {
        format!("read{}MiB", read / (KIB * KIB))
    } else {
        format!("read{}KiB", read / KIB)
    }
}

fn bench_decode_case(c: &mut Criterion, case: &DecodeCase, read: usize) {
    verify_case(case, read);
    let reads = case.wire.len().div_ceil(read);
    eprintln!(
        "decode_{}: {} msgs, {} wire bytes per batch, {} B per read -> {} reads per batch ({:.2} per 1000 msgs)",
        case.name,
        case.msgs,
        case.wire.len(),
        read,
        reads,
        reads as f64 * 1000.0 / case.msgs as f64
    );
    let mut group = c.benchmark_group(format!("decode_{}", case.name));
    group.throughput(Throughput::Elements(case.msgs as u64));
    let label = read_label(read);
    let wire = &case.wire[..];
    let msgs = case.msgs;

    let mut tw = tickwire_reader(case.reader_role, read);
    group.bench_function(BenchmarkId::new("tickwire", &label), |b| {
        b.iter(|| {
            let n = tickwire_pass(&mut tw, black_box(wire), read);
            debug_assert_eq!(n, msgs);
            n
        });
    });

    let mut nx = nexus_reader(case.reader_role, read);
    group.bench_function(BenchmarkId::new("nexus", &label), |b| {
        b.iter(|| {
            let n = nexus_pass(&mut nx, black_box(wire), read);
            debug_assert_eq!(n, msgs);
            n
        });
    });

    // The same chunks copied into a read buffer, nothing parsed.
    let mut dst = vec![0u8; 2 * read];
    group.bench_function(BenchmarkId::new("memcpy_floor", &label), |b| {
        b.iter(|| {
            for chunk in black_box(wire).chunks(read) {
                dst[..chunk.len()].copy_from_slice(chunk);
                black_box(&mut dst);
            }
        });
    });
    group.finish();
}

fn bench_decode(c: &mut Criterion) {
    // (name, writer role, text, payload length, fragments)
    let rows: [(&'static str, Role, bool, usize, usize); 7] = [
        ("s2c_binary_40B", Role::Server, false, 40, 1),
        ("s2c_text_128B_utf8", Role::Server, true, 128, 1),
        ("s2c_binary_1KiB", Role::Server, false, KIB, 1),
        ("s2c_binary_64KiB", Role::Server, false, 64 * KIB, 1),
        ("c2s_masked_binary_1KiB", Role::Client, false, KIB, 1),
        ("s2c_text_128B_utf8_4frag", Role::Server, true, 128, 4),
        ("s2c_binary_1KiB_4frag", Role::Server, false, KIB, 4),
    ];
    for (name, writer_role, text, len, fragments) in rows {
        let per_msg = len + fragments * tickwire::ws::frame::header_len(len as u64, false);
        let msgs = batch_msgs(per_msg);
        let case = build_case(name, writer_role, text, len, fragments, msgs);
        bench_decode_case(c, &case, READ_64K);
        if len == 64 * KIB {
            bench_decode_case(c, &case, READ_1M);
        }
    }
}

// ---------------------------------------------------------------------------
// Encode
// ---------------------------------------------------------------------------

fn bench_encode(c: &mut Criterion) {
    let sizes = [40, 128, KIB, 64 * KIB];
    for text in [true, false] {
        for role in [Role::Server, Role::Client] {
            let kind = if text { "text" } else { "binary" };
            let side = match role {
                Role::Server => "server",
                Role::Client => "client_masked",
            };
            let mut group = c.benchmark_group(format!("encode_{kind}_{side}"));
            for size in sizes {
                let text_payload = text_payload(size);
                let bin_payload = binary_payload(size);
                group.throughput(Throughput::Bytes(size as u64));

                let mut tw = FrameWriter::new(role);
                let mut tw_out = WriteBuf::new(14, size + 14);
                let nx_role = match role {
                    Role::Server => NxRole::Server,
                    Role::Client => NxRole::Client,
                };
                let mut nx = NxWriter::new(nx_role);
                let mut nx_out = NxWriteBuf::new(size + 28, 14);

                // Same frame from both (unmasked: byte for byte; masked: same
                // length).
                if text {
                    tw.text(&mut tw_out, &text_payload).expect("encode");
                    nx.encode_text_into(text_payload.as_bytes(), &mut nx_out);
                } else {
                    tw.binary(&mut tw_out, &bin_payload).expect("encode");
                    nx.encode_binary_into(&bin_payload, &mut nx_out);
                }
                assert_eq!(tw_out.len(), nx_out.len());
                if role == Role::Server {
                    assert_eq!(tw_out.data(), nx_out.data());
                }

                group.bench_function(BenchmarkId::new("tickwire", size), |b| {
                    if text {
                        let s = text_payload.as_str();
                        b.iter(|| {
                            tw_out.clear();
                            tw.text(&mut tw_out, black_box(s)).expect("encode");
                            black_box(tw_out.data());
                        });
                    } else {
                        let p = &bin_payload[..];
                        b.iter(|| {
                            tw_out.clear();
                            tw.binary(&mut tw_out, black_box(p)).expect("encode");
                            black_box(tw_out.data());
                        });
                    }
                });
                group.bench_function(BenchmarkId::new("nexus", size), |b| {
                    if text {
                        let s = text_payload.as_bytes();
                        b.iter(|| {
                            nx_out.clear();
                            nx.encode_text_into(black_box(s), &mut nx_out);
                            black_box(nx_out.data());
                        });
                    } else {
                        let p = &bin_payload[..];
                        b.iter(|| {
                            nx_out.clear();
                            nx.encode_binary_into(black_box(p), &mut nx_out);
                            black_box(nx_out.data());
                        });
                    }
                });
            }
            group.finish();
        }
    }
}

// ---------------------------------------------------------------------------
// Mask
// ---------------------------------------------------------------------------

/// `len` bytes starting `offset` bytes past a 64-byte boundary.
struct Aligned {
    storage: Vec<u8>,
    start: usize,
    len: usize,
}

impl Aligned {
    fn new(len: usize, offset: usize) -> Self {
        let storage = binary_payload(len + 64 + offset);
        let start = storage.as_ptr().align_offset(64) + offset;
        assert!(start + len <= storage.len());
        Self {
            storage,
            start,
            len,
        }
    }

    fn get(&mut self) -> &mut [u8] {
        &mut self.storage[self.start..self.start + self.len]
    }
}

fn bench_mask(c: &mut Criterion) {
    for size in [128, 4 * KIB, 64 * KIB] {
        for offset in [0, 8] {
            let size_label = if size >= KIB {
                format!("{}KiB", size / KIB)
            } else {
                format!("{size}B")
            };
            let align_label = if offset == 0 {
                "aligned64".to_string()
            } else {
                format!("aligned64_plus{offset}")
            };
            let mut group = c.benchmark_group(format!("mask_{size_label}_{align_label}"));
            group.throughput(Throughput::Bytes(size as u64));
            let mut buf = Aligned::new(size, offset);

            for path in MaskPath::all_available() {
                let name = format!("tickwire_{path:?}").to_lowercase();
                group.bench_function(BenchmarkId::new(name, size), |b| {
                    b.iter(|| path.apply(black_box(buf.get()), black_box(MASK_KEY)));
                });
            }
            group.bench_function(BenchmarkId::new("tickwire_apply_mask", size), |b| {
                b.iter(|| apply_mask(black_box(buf.get()), black_box(MASK_KEY)));
            });
            group.bench_function(BenchmarkId::new("nexus_apply_mask", size), |b| {
                b.iter(|| nexus_net::ws::apply_mask(black_box(buf.get()), black_box(MASK_KEY)));
            });

            let mut src = Aligned::new(size, offset);
            group.bench_function(BenchmarkId::new("memcpy_floor", size), |b| {
                b.iter(|| {
                    let src = black_box(src.get());
                    black_box(buf.get()).copy_from_slice(src);
                });
            });
            group.finish();
        }
    }
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = bench_decode, bench_encode, bench_mask
}
criterion_main!(benches);
