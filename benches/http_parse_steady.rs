//! A steadier second opinion on the `parse_*` rows of `http_codec`: the
//! same response, the same `read` + `next` per iteration, timed as the best
//! of many short batches rather than a median. On the shared VMs a median
//! swings with the neighbours; the best batch moves far less, so two
//! builds compared back to back (alternating) show differences of a few
//! percent that criterion cannot.
//!
//! ```text
//! cargo bench --bench http_parse_steady -- cl time 300     # ns per iteration
//! cargo bench --bench http_parse_steady -- chunked time 300
//! cargo bench --bench http_parse_steady -- cl-201 time 300   # 201 Created
//! ```
//!
//! Without `time` it only runs N iterations, for instruction counts:
//! `valgrind --tool=callgrind` at two counts, the difference over the count
//! difference is instructions per iteration (start-up cancels out).

#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use tickwire::http::{Method, ResponseReader};

#[path = "common/http_wire.rs"]
mod http_wire;

#[inline(never)]
fn parse_once(reader: &mut ResponseReader, wire: &[u8]) {
    reader.read(wire).expect("read");
    let resp = reader.next(Method::Get).expect("parse").expect("complete");
    black_box(resp.status());
    black_box(resp.body());
}

fn main() {
    // `cargo bench` passes `--bench`; take the first three other arguments.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    // `cl` or `chunked`; a `-201` suffix answers `201 Created` instead of
    // `200 OK` (the status line the parser reads in one compare).
    let mode = args.first().map_or("cl", String::as_str);
    let chunked = mode.starts_with("chunked");
    let timed = args.get(1).map(String::as_str) == Some("time");
    let n: usize = args
        .get(if timed { 2 } else { 1 })
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let (mut wire, _) = http_wire::response(&http_wire::response_body(), chunked);
    if mode.ends_with("-201") {
        let rest = wire.split_off(b"HTTP/1.1 200 OK".len());
        wire = [&b"HTTP/1.1 201 Created"[..], &rest].concat();
    }
    let mut reader = ResponseReader::builder().build();
    if timed {
        let mut best = f64::MAX;
        for _ in 0..n {
            let t = Instant::now();
            for _ in 0..200 {
                parse_once(&mut reader, black_box(&wire));
            }
            best = best.min(t.elapsed().as_nanos() as f64 / 200.0);
        }
        println!("{best:.1}");
        return;
    }
    for _ in 0..n {
        parse_once(&mut reader, black_box(&wire));
    }
}
