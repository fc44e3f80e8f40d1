//! Replays every committed fuzz input through the same library entry point
//! its cargo-fuzz target calls, so `cargo test` on stable runs them without
//! libFuzzer and a crash found once stays fixed.
//!
//! Inputs: `fuzz/corpus/<target>/` (seeds, must exist and be non-empty) and
//! `fuzz/artifacts/<target>/` (findings, optional). Hidden files are skipped.

use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use tickwire::http::{Method, RequestWriter, ResponseError, ResponseReader};
use tickwire::rng::SeededRng;
use tickwire::ws::Role;
use tickwire::ws::handshake::{self, ClientHandshake, HandshakeLimits};

#[test]
fn ws_read_client() {
    replay("ws_read_client", |data| {
        tickwire::fuzz_entry::ws_read(Role::Client, data)
    });
}

#[test]
fn ws_read_server() {
    replay("ws_read_server", |data| {
        tickwire::fuzz_entry::ws_read(Role::Server, data)
    });
}

#[test]
fn ws_handshake_request() {
    replay(
        "ws_handshake_request",
        tickwire::ws::handshake::fuzz_request,
    );
}

#[test]
fn ws_handshake_response() {
    replay(
        "ws_handshake_response",
        tickwire::ws::handshake::fuzz_response,
    );
}

#[test]
fn http_response() {
    replay("http_response", tickwire::fuzz_entry::http_response);
}

#[test]
fn http_chunked() {
    replay("http_chunked", tickwire::fuzz_entry::http_chunked);
}

#[test]
fn http_head_diff() {
    replay("http_head_diff", tickwire::fuzz_entry::http_head_diff);
}

#[test]
fn http_request_writer() {
    replay(
        "http_request_writer",
        tickwire::fuzz_entry::http_request_writer,
    );
}

#[test]
fn ws_stream_script() {
    replay("ws_stream_script", tickwire::fuzz_entry::ws_stream_script);
}

#[test]
fn ws_url() {
    replay("ws_url", tickwire::fuzz_entry::ws_url);
}

/// `ws_url` seeds named `valid_*` must parse, `bad_*` must be refused.
#[test]
fn url_seeds_named_valid_parse_and_bad_fail() {
    for path in named_seeds("ws_url", "valid_") {
        let text = String::from_utf8_lossy(&fs::read(&path).unwrap()).into_owned();
        let parsed = tickwire::ws::WsUrl::parse(&text);
        assert!(parsed.is_ok(), "{}: {parsed:?}", path.display());
    }
    for path in named_seeds("ws_url", "bad_") {
        let text = String::from_utf8_lossy(&fs::read(&path).unwrap()).into_owned();
        let parsed = tickwire::ws::WsUrl::parse(&text);
        assert!(parsed.is_err(), "{}: {parsed:?}", path.display());
    }
}

/// The `ws_stream_script` seeds say by their name how far they get, so the
/// fuzzer starts from streams that really run: every seed completes the
/// handshake except the `hs_fault_*` ones (which must not); `valid_*`
/// seeds are handed every message the oracle decodes; `bad_*` seeds end
/// in a protocol error.
#[test]
fn stream_seeds_reach_what_their_names_say() {
    use tickwire::fuzz_entry::ws_stream_script_report;
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/ws_stream_script");
    for path in files_in(&corpus).unwrap() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let report = ws_stream_script_report(&fs::read(&path).unwrap());
        assert_eq!(
            report.handshake_done,
            !name.starts_with("hs_fault_"),
            "{name}: {report:?}"
        );
        if name.starts_with("valid_") {
            assert!(report.oracle_messages > 0, "{name}: {report:?}");
            assert_eq!(
                report.received, report.oracle_messages,
                "{name}: {report:?}"
            );
        }
        if name.starts_with("bad_") {
            assert_eq!(report.ended, Some("protocol"), "{name}: {report:?}");
        }
    }
}

/// The HTTP seeds say by their name what they exercise: `valid_*` must
/// succeed, `bad_*` must be refused (`partial_*` may do neither). Run with
/// the limits the fuzz entry points use, so the fuzzer starts from both.
#[test]
fn http_seeds_named_valid_succeed_and_bad_fail() {
    for (target, outcome) in [
        (
            "http_response",
            response_outcome as fn(&[u8]) -> Result<bool, String>,
        ),
        ("http_chunked", chunked_outcome),
        ("http_request_writer", request_outcome),
    ] {
        for path in named_seeds(target, "valid_") {
            let outcome = outcome(&fs::read(&path).unwrap());
            assert_eq!(outcome, Ok(true), "{}", path.display());
        }
        for path in named_seeds(target, "bad_") {
            let outcome = outcome(&fs::read(&path).unwrap());
            assert!(outcome.is_err(), "{}: {outcome:?}", path.display());
        }
    }
}

/// `http_response` input: Ok(true) if at least one response came out and
/// no error, Ok(false) if none and no error, Err if the reader refused it.
fn response_outcome(data: &[u8]) -> Result<bool, String> {
    let (&seed, stream) = data.split_first().expect("seed byte");
    let (method, mut reader) = tickwire::fuzz_entry::http_response_setup(seed);
    let mut responses = 0;
    let mut drain = |reader: &mut ResponseReader| -> Result<(), ResponseError> {
        while reader.next(method)?.is_some() {
            responses += 1;
        }
        Ok(())
    };
    let mut pos = 0;
    while pos < stream.len() {
        pos += reader.read(&stream[pos..]).map_err(|e| e.to_string())?;
        drain(&mut reader).map_err(|e| format!("{e:?}"))?;
    }
    if seed & 0x20 != 0 {
        reader.mark_eof();
    }
    drain(&mut reader).map_err(|e| format!("{e:?}"))?;
    Ok(responses > 0)
}

/// `http_chunked` input, decoded in one go: Ok(true) when complete.
fn chunked_outcome(data: &[u8]) -> Result<bool, String> {
    let mut body = data.get(1..).expect("split byte").to_vec();
    tickwire::fuzz_entry::http_chunked_decoder()
        .decode(&mut body)
        .map_err(|e| format!("{e:?}"))
}

/// `http_request_writer` input: Ok(true) when the request is built.
fn request_outcome(data: &[u8]) -> Result<bool, String> {
    let mut parts = data.split(|&b| b == 0xFF);
    let mut next = || String::from_utf8_lossy(parts.next().unwrap_or(b"")).into_owned();
    let (method, path, key, value, name, hvalue, body) =
        (next(), next(), next(), next(), next(), next(), next());
    let method = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
        Method::Head,
        Method::Options,
    ][method.len() % 7];
    let mut writer = RequestWriter::builder("fuzz.example")
        .capacity(512)
        .build()
        .unwrap();
    writer
        .request(method, &path)
        .query(&key, &value)
        .header(&name, &hvalue)
        .body(body.as_bytes())
        .finish()
        .map(|_| true)
        .map_err(|e| format!("{e:?}"))
}

/// Seeds named `valid_*` must complete the handshake, or the fuzzer starts
/// from errors only. Guards the response seeds' `Sec-WebSocket-Accept`,
/// which must match the key `fuzz_response` draws from
/// `SeededRng::from_seed(0)`.
#[test]
fn handshake_seeds_named_valid_are_accepted() {
    let limits = HandshakeLimits::default();
    for path in named_seeds("ws_handshake_request", "valid_") {
        let data = fs::read(&path).unwrap();
        let parsed = handshake::parse_request(&data, &limits);
        assert!(
            matches!(parsed, Ok(Some(_))),
            "{}: {parsed:?}",
            path.display()
        );
    }
    let client = ClientHandshake::new("example.com", "/", &mut SeededRng::from_seed(0))
        .protocol("chat")
        .protocol("superchat");
    for path in named_seeds("ws_handshake_response", "valid_") {
        let data = fs::read(&path).unwrap();
        let accepted = client.read_response(&data);
        assert!(
            matches!(accepted, Ok(Some(_))),
            "{}: {accepted:?}",
            path.display()
        );
    }
}

/// The seeds of `target` whose names start with `prefix` (at least one).
fn named_seeds(target: &str, prefix: &str) -> Vec<PathBuf> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let seeds: Vec<PathBuf> = files_in(&corpus)
        .unwrap_or_else(|e| panic!("seed corpus {} missing: {e}", corpus.display()))
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        })
        .collect();
    assert!(
        !seeds.is_empty(),
        "no {prefix}* seed in {}",
        corpus.display()
    );
    seeds
}

/// Runs `entry` on every input of `target`; fails listing every input that
/// panicked (each panic's message is printed by the panic hook as it happens).
fn replay(target: &str, entry: impl Fn(&[u8])) {
    let inputs = inputs(target);
    let mut failed = Vec::new();
    for path in &inputs {
        let data = fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        if panic::catch_unwind(AssertUnwindSafe(|| entry(&data))).is_err() {
            eprintln!("^ panicked on {}", path.display());
            failed.push(path.display().to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "{target}: {} of {} inputs panicked:\n  {}",
        failed.len(),
        inputs.len(),
        failed.join("\n  ")
    );
}

/// The seed corpus (required, non-empty) followed by the artifacts (if any).
fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let corpus = fuzz.join("corpus").join(target);
    let mut inputs = files_in(&corpus)
        .unwrap_or_else(|e| panic!("seed corpus {} missing: {e}", corpus.display()));
    assert!(
        !inputs.is_empty(),
        "seed corpus {} is empty: run `python3 fuzz/make_seeds.py`",
        corpus.display()
    );
    let artifacts = fuzz.join("artifacts").join(target);
    if artifacts.exists() {
        let found =
            files_in(&artifacts).unwrap_or_else(|e| panic!("reading {}: {e}", artifacts.display()));
        inputs.extend(found);
    }
    inputs
}

/// The regular, non-hidden files directly in `dir`, sorted by name.
fn files_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if !hidden && entry.file_type()?.is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}
