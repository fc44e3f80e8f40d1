//! WebSocket round trips over loopback TCP and TLS: tickwire beside the
//! crate it re-creates (nexus-async-net 0.7.0), the common choice
//! (tokio-tungstenite 0.30, plain TCP only) and raw floors that move the
//! same bytes, all in one run, so every figure is a ratio.
//!
//! Run pinned to one core (unpinned runs on the shared VMs swing by tens of
//! percent):
//!
//! ```text
//! taskset -c 0 cargo bench --bench ws_loopback
//! WS_LOOPBACK_QUICK=1 taskset -c 0 cargo bench --bench ws_loopback   # smoke, seconds
//! ```
//!
//! Method:
//!
//! - One `current_thread` tokio runtime (`enable_all`; the dev-dependencies
//!   turn on tokio's `full` features, so each park also polls the process
//!   and signal drivers: a cost every row, the floor included, pays); each
//!   connection's client and server are two tasks in it, and the measuring
//!   loop is a task too. `TCP_NODELAY` on every socket.
//! - One fixed server for every row: a raw echo that knows the sizes. It
//!   reads into a 64 KiB buffer until a whole client frame (masked, as a
//!   WebSocket client sends it) has arrived, checks its header, and writes
//!   a precomputed unmasked server frame of the same payload. For WebSocket
//!   rows it first answers the opening handshake (setup, not timed). So
//!   only the client differs between rows: the figures are the client
//!   library's cost.
//! - The floor's client writes the precomputed masked frame and reads into
//!   a 64 KiB buffer until the server frame's length has arrived: no
//!   framing, no masking, and no `read_exact` (an exactly sized read costs
//!   an extra `EAGAIN` read per round trip in tokio). Over TLS the floor is
//!   tokio-rustls used directly, with the same certificates, provider and
//!   negotiated suite as tickwire's `wss`.
//! - Library clients use their defaults (tickwire: 64 KiB read buffer;
//!   nexus: 1 MiB read buffer, 128 KiB per read, `disable_nagle`), send one
//!   binary message and receive its echo per round trip; a wrong echo
//!   panics.
//! - Each round trip is timed on its own (one `Instant::now()` per round
//!   trip: each stamp ends one and starts the next). Rows are interleaved
//!   in many short rounds (200 rounds of 1,000 round trips per row), in
//!   alternating order (ABC, CBA, ...), so that the load of this shared VM,
//!   which shifts within seconds, falls on every row alike; each batch
//!   starts with a short untimed warm-up. Per round and row: p50 and p99;
//!   reported: the median over rounds of each, and the median over rounds
//!   of each round's ratio to the floor of the same size and transport
//!   (for p50 with the quartiles of those ratios, to show the noise).
//!   The p99.9 is taken over all rounds' round trips pooled (a round has
//!   too few for it).
//! - Under the table: how long the thread waited for the core while other
//!   processes held it (`/proc/thread-self/schedstat`), a measure of the
//!   machine's load during the run. (Its run-time field is not used: on
//!   these VMs it advances in 4 ms ticks.)
//!
//! Environment: `WS_LOOPBACK_QUICK=1` for a smoke run; `WS_LOOPBACK_ONLY=`
//! row labels, comma-separated (`40 B tickwire ws,40 B tcp floor`), to run
//! only those rows (for `strace -c`); `WS_LOOPBACK_ROUNDS=` and
//! `WS_LOOPBACK_ROUND_TRIPS=` (per row per round) to change the counts. Without
//! `--bench` on the command line (`cargo test --benches`) it runs a
//! smoke check of a few hundred round trips.

use std::time::Instant;

use nexus_async_net::ws::WsStreamBuilder as NxBuilder;
use rustls::pki_types::ServerName;
use tickwire::tls::MaybeTls;
use tickwire::ws::WsStream;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Bytes;

mod loopback;

use loopback::KIB;
use loopback::clients::{Client, NexusClient, RawClient, TickwireClient, TungsteniteClient};
use loopback::echo::{Frames, Pki, spawn_server};
use loopback::report::{RoundStats, Row, Transport, percentile, report, size_label};

/// Payload sizes of the rows.
const SIZES: [usize; 2] = [40, KIB];

// ---------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------

/// How much to measure.
#[derive(Debug, Clone)]
struct Settings {
    /// Rounds; every row runs one batch per round.
    rounds: usize,
    /// Timed round trips per row per round.
    per_round: usize,
    /// Untimed round trips per row before the first round.
    warmup: usize,
    /// Untimed round trips at the start of every batch.
    batch_warmup: usize,
    /// Only the rows with these labels (comma-separated).
    only: Option<String>,
}

impl Settings {
    fn from_env() -> Self {
        let flag = |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0");
        let benching = std::env::args().any(|a| a == "--bench");
        let mut s = if !benching {
            Self {
                rounds: 2,
                per_round: 100,
                warmup: 20,
                batch_warmup: 5,
                only: None,
            }
        } else if flag("WS_LOOPBACK_QUICK") {
            Self {
                rounds: 10,
                per_round: 1_000,
                warmup: 1_000,
                batch_warmup: 50,
                only: None,
            }
        } else {
            Self {
                rounds: 200,
                per_round: 1_000,
                warmup: 5_000,
                batch_warmup: 100,
                only: None,
            }
        };
        let number = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
        if let Some(n) = number("WS_LOOPBACK_ROUND_TRIPS") {
            s.per_round = n;
        }
        if let Some(n) = number("WS_LOOPBACK_ROUNDS") {
            s.rounds = n;
        }
        s.only = std::env::var("WS_LOOPBACK_ONLY")
            .ok()
            .filter(|v| !v.is_empty());
        s
    }
}

/// Opens every row's connection (server task and client).
async fn build_rows(pki: &Pki, only: Option<&str>) -> Vec<Row> {
    let tickwire_tls = pki.tickwire_client();
    let rustls = pki.rustls_client();
    let mut rows = Vec::new();
    for size in SIZES {
        let frames = Frames::new(size);
        let label = |name: &str| format!("{} {name}", size_label(size));
        let wanted =
            |name: &str| only.is_none_or(|o| o.split(',').any(|l| l.trim() == label(name)));
        let mut push = |name, transport, is_floor, client| {
            rows.push(Row {
                size,
                transport,
                name,
                is_floor,
                client,
                stats: Vec::new(),
                pooled: Vec::new(),
            });
        };

        if wanted("tcp floor") {
            let port = spawn_server(&frames, None, false).await;
            let tcp = TcpStream::connect(("127.0.0.1", port))
                .await
                .expect("connect");
            tcp.set_nodelay(true).expect("nodelay");
            let client = Client::Tcp(RawClient::new(tcp, &frames));
            push("tcp floor", Transport::Tcp, true, client);
        }
        if wanted("tickwire ws") {
            let port = spawn_server(&frames, None, true).await;
            let ws = WsStream::builder()
                .connect(&format!("ws://127.0.0.1:{port}/"))
                .await
                .expect("tickwire connect");
            assert!(ws.get_ref().get_ref().nodelay().expect("nodelay"));
            let client = TickwireClient {
                ws,
                payload: frames.payload.clone(),
            };
            push(
                "tickwire ws",
                Transport::Tcp,
                false,
                Client::Tickwire(client),
            );
        }
        if wanted("nexus ws") {
            let port = spawn_server(&frames, None, true).await;
            let ws = NxBuilder::new()
                .disable_nagle()
                .connect(&format!("ws://127.0.0.1:{port}/"))
                .await
                .expect("nexus connect");
            let client = NexusClient {
                ws,
                payload: frames.payload.clone(),
            };
            push("nexus ws", Transport::Tcp, false, Client::Nexus(client));
        }
        if wanted("tungstenite ws") {
            let port = spawn_server(&frames, None, true).await;
            let tcp = TcpStream::connect(("127.0.0.1", port))
                .await
                .expect("connect");
            tcp.set_nodelay(true).expect("nodelay");
            let url = format!("ws://127.0.0.1:{port}/");
            let (ws, _) = tokio_tungstenite::client_async(url, tcp)
                .await
                .expect("tungstenite connect");
            let client = TungsteniteClient {
                ws,
                payload: Bytes::from(frames.payload.clone()),
            };
            let client = Client::Tungstenite(client);
            push("tungstenite ws", Transport::Tcp, false, client);
        }
        let mut suites = Vec::new();
        if wanted("rustls floor") {
            let port = spawn_server(&frames, Some(pki.server.clone()), false).await;
            let tcp = TcpStream::connect(("127.0.0.1", port))
                .await
                .expect("connect");
            tcp.set_nodelay(true).expect("nodelay");
            let name = ServerName::try_from("127.0.0.1").expect("name");
            let tls = rustls.connect(name, tcp).await.expect("rustls connect");
            let session = tls.get_ref().1;
            suites.push((
                session.protocol_version(),
                session.negotiated_cipher_suite(),
            ));
            let client = Client::Rustls(RawClient::new(tls, &frames));
            push("rustls floor", Transport::Tls, true, client);
        }
        if wanted("tickwire wss") {
            let port = spawn_server(&frames, Some(pki.server.clone()), true).await;
            let ws = WsStream::builder()
                .tls(&tickwire_tls)
                .connect(&format!("wss://127.0.0.1:{port}/"))
                .await
                .expect("tickwire wss connect");
            assert!(ws.get_ref().get_ref().nodelay().expect("nodelay"));
            if let MaybeTls::Client(tls) = ws.get_ref() {
                let session = tls.get_ref().1;
                suites.push((
                    session.protocol_version(),
                    session.negotiated_cipher_suite(),
                ));
            }
            let client = TickwireClient {
                ws,
                payload: frames.payload.clone(),
            };
            push(
                "tickwire wss",
                Transport::Tls,
                false,
                Client::Tickwire(client),
            );
        }
        if let [first, rest @ ..] = &suites[..] {
            assert!(
                rest.iter().all(|s| s == first),
                "TLS rows differ: {suites:?}"
            );
            if size == SIZES[0] {
                eprintln!("TLS: {:?} {:?}", first.0, first.1.map(|s| s.suite()));
            }
        }
        for row in rows.iter_mut().filter(|r| r.size == size) {
            row.client.check_payload(&frames.payload).await;
        }
    }
    rows
}

async fn measure(rows: &mut [Row], s: &Settings) {
    let mut samples = Vec::with_capacity(s.per_round);
    for row in rows.iter_mut() {
        row.client.batch(s.warmup, 0, &mut samples).await;
    }
    for row in rows.iter_mut() {
        row.pooled.reserve_exact(s.rounds * s.per_round);
    }
    let order: Vec<usize> = (0..rows.len()).collect();
    for round in 0..s.rounds {
        let forward = round % 2 == 0;
        let mut this_round = order.clone();
        if !forward {
            this_round.reverse();
        }
        for &i in &this_round {
            let row = &mut rows[i];
            let sched = row
                .client
                .batch(s.batch_warmup, s.per_round, &mut samples)
                .await;
            row.pooled.extend_from_slice(&samples);
            samples.sort_unstable();
            let per = |ns: u64| ns as f64 / s.per_round as f64;
            row.stats.push(RoundStats {
                percentiles: [0.50, 0.99].map(|q| percentile(&samples, q) as f64),
                wait: sched.map(|t| per(t.wait)),
            });
        }
    }
    for row in rows.iter_mut() {
        row.pooled.sort_unstable();
    }
}

async fn run() {
    let s = Settings::from_env();
    let pki = Pki::new();
    let mut rows = build_rows(&pki, s.only.as_deref()).await;
    let labels: Vec<String> = rows.iter().map(Row::label).collect();
    eprintln!("rows: {}", labels.join(", "));
    let start = Instant::now();
    measure(&mut rows, &s).await;
    eprintln!("measured in {:.1} s", start.elapsed().as_secs_f64());
    report(&rows, s.rounds, s.per_round);
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // The measuring client is a task like the servers, not the runtime's
    // block_on future.
    runtime.block_on(async { tokio::spawn(run()).await.expect("bench task") });
}
