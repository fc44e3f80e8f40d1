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
//! - One `current_thread` tokio runtime; each connection's client and
//!   server are two tasks in it. `TCP_NODELAY` on every socket.
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

use std::sync::Arc;
use std::time::Instant;

use futures::{SinkExt, StreamExt};
use nexus_async_net::ws::{WsStream as NxStream, WsStreamBuilder as NxBuilder};
use nexus_net::ws::Message as NxMessage;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, ServerName};
use tickwire::buf::WriteBuf;
use tickwire::rng::SeededRng;
use tickwire::tls::{MaybeTls, ServerTlsConfig, TlsConfig};
use tickwire::ws::handshake::{self, HandshakeLimits};
use tickwire::ws::{FrameWriter, Message, Role, WsStream};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{Bytes, Message as TgMessage};

const KIB: usize = 1024;
/// Payload sizes of the rows.
const SIZES: [usize; 2] = [40, KIB];
/// Read buffer of the raw clients and of the server (tickwire's default).
const READ_BUFFER: usize = 64 * KIB;

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

// ---------------------------------------------------------------------------
// Frames and certificates
// ---------------------------------------------------------------------------

/// The bytes of one row's exchange, precomputed.
#[derive(Debug, Clone)]
struct Frames {
    payload: Vec<u8>,
    /// What a WebSocket client sends: masked binary frame.
    client: Vec<u8>,
    /// The server's unmasked binary frame of the same payload.
    server: Vec<u8>,
    /// The client frame's header before the mask key (checked by the server).
    client_prefix: Vec<u8>,
}

impl Frames {
    fn new(size: usize) -> Self {
        let mut x: u32 = 0x9E37_79B9;
        let payload: Vec<u8> = (0..size)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        let encode = |role| {
            let mut writer = FrameWriter::with_rng(role, SeededRng::from_seed(11));
            let mut out = WriteBuf::new(14, size + 14);
            writer.binary(&mut out, &payload).expect("encode");
            out.data().to_vec()
        };
        let client = encode(Role::Client);
        let server = encode(Role::Server);
        // Masked: the header is the unmasked one plus 4 key bytes.
        let header = server.len() - size;
        assert_eq!(client.len(), server.len() + 4);
        let mut client_prefix = server[..header].to_vec();
        client_prefix[1] |= 0x80;
        assert_eq!(client[..header], client_prefix[..]);
        Self {
            payload,
            client,
            server,
            client_prefix,
        }
    }
}

/// A CA the clients trust and a leaf for 127.0.0.1 signed by it.
struct Pki {
    ca_der: Vec<u8>,
    server: ServerTlsConfig,
}

impl Pki {
    fn new() -> Self {
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "ws_loopback CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().expect("CA key");
        let ca_cert = ca.self_signed(&ca_key).expect("CA cert");
        let issuer = Issuer::new(ca, ca_key);

        let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_string()]).expect("leaf");
        leaf.distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        leaf.use_authority_key_identifier_extension = true;
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf_key = KeyPair::generate().expect("leaf key");
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).expect("leaf cert");
        let server = ServerTlsConfig::new(vec![leaf_cert.der().to_vec()], leaf_key.serialize_der())
            .expect("server TLS config");
        Self {
            ca_der: ca_cert.der().to_vec(),
            server,
        }
    }

    /// tickwire's client configuration: this CA only.
    fn tickwire_client(&self) -> TlsConfig {
        TlsConfig::builder()
            .skip_system_certs()
            .add_root_cert(&self.ca_der)
            .expect("root")
            .build()
            .expect("client TLS config")
    }

    /// The floor's: plain rustls, ring provider, default versions, this CA.
    fn rustls_client(&self) -> tokio_rustls::TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from(self.ca_der.clone()))
            .expect("root");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(rustls::DEFAULT_VERSIONS)
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        tokio_rustls::TlsConnector::from(Arc::new(config))
    }
}

// ---------------------------------------------------------------------------
// The fixed server
// ---------------------------------------------------------------------------

/// Accepts one connection on a fresh loopback port and serves it; returns
/// the port.
async fn spawn_server(frames: &Frames, tls: Option<ServerTlsConfig>, handshake: bool) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let frames = frames.clone();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accept");
        tcp.set_nodelay(true).expect("nodelay");
        match tls {
            Some(tls) => {
                let io = tls.accept(tcp).await.expect("TLS accept");
                serve(io, &frames, handshake).await;
            }
            None => serve(tcp, &frames, handshake).await,
        }
    });
    port
}

/// The raw echo: answers the handshake if asked, then for every whole
/// client frame writes the precomputed server frame. Ends at EOF.
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut io: S, frames: &Frames, handshake: bool) {
    let mut buf = vec![0u8; READ_BUFFER];
    let mut have = 0;
    if handshake {
        loop {
            match io.read(&mut buf[have..]).await {
                Ok(0) | Err(_) => return,
                Ok(n) => have += n,
            }
            let parsed = handshake::parse_request(&buf[..have], &HandshakeLimits::default())
                .expect("client handshake");
            if let Some(request) = parsed {
                let mut answer = Vec::new();
                request
                    .write_accept(None, &[], &mut answer)
                    .expect("accept");
                let consumed = request.consumed();
                io.write_all(&answer).await.expect("write 101");
                io.flush().await.expect("flush 101");
                buf.copy_within(consumed..have, 0);
                have -= consumed;
                break;
            }
        }
    }
    let want = frames.client.len();
    let prefix = &frames.client_prefix[..];
    loop {
        while have >= want {
            assert_eq!(&buf[..prefix.len()], prefix, "unexpected client frame");
            if io.write_all(&frames.server).await.is_err() || io.flush().await.is_err() {
                return;
            }
            buf.copy_within(want..have, 0);
            have -= want;
        }
        match io.read(&mut buf[have..]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => have += n,
        }
    }
}

// ---------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------

/// One message out, its echo back.
trait RoundTrip {
    async fn round_trip(&mut self);
}

/// The floor: precomputed bytes out, read until the answer's length is in.
struct RawClient<S> {
    io: S,
    frame: Vec<u8>,
    expect: usize,
    buf: Box<[u8]>,
}

impl<S> RawClient<S> {
    fn new(io: S, frames: &Frames) -> Self {
        Self {
            io,
            frame: frames.client.clone(),
            expect: frames.server.len(),
            buf: vec![0u8; READ_BUFFER].into_boxed_slice(),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> RoundTrip for RawClient<S> {
    #[inline(always)]
    async fn round_trip(&mut self) {
        self.io.write_all(&self.frame).await.expect("floor write");
        // No syscall on TCP; over TLS, tokio-rustls has already written the
        // record in `write` and this only checks.
        self.io.flush().await.expect("floor flush");
        let mut got = 0;
        while got < self.expect {
            let n = self
                .io
                .read(&mut self.buf[got..])
                .await
                .expect("floor read");
            assert!(n > 0, "floor: EOF");
            got += n;
        }
        assert_eq!(got, self.expect, "floor: more than one answer");
    }
}

struct TickwireClient {
    ws: WsStream<MaybeTls<TcpStream>>,
    payload: Vec<u8>,
}

impl RoundTrip for TickwireClient {
    #[inline(always)]
    async fn round_trip(&mut self) {
        self.ws.send_binary(&self.payload).await.expect("send");
        match self.ws.recv().await.expect("recv") {
            Some(Message::Binary(b)) if b.len() == self.payload.len() => {}
            other => panic!("tickwire: unexpected {other:?}"),
        }
    }
}

struct NexusClient {
    ws: NxStream<nexus_async_net::ws::MaybeTls>,
    payload: Vec<u8>,
}

impl RoundTrip for NexusClient {
    #[inline(always)]
    async fn round_trip(&mut self) {
        self.ws.send_binary(&self.payload).await.expect("send");
        match self.ws.recv().await.expect("recv") {
            Some(NxMessage::Binary(b)) if b.len() == self.payload.len() => {}
            other => panic!("nexus: unexpected {other:?}"),
        }
    }
}

/// tokio-tungstenite the way it is used: `SinkExt::send` (feed and flush)
/// and `StreamExt::next`; the payload is a `Bytes`, so a send clones a
/// reference, not the bytes.
struct TungsteniteClient {
    ws: WebSocketStream<TcpStream>,
    payload: Bytes,
}

impl RoundTrip for TungsteniteClient {
    #[inline(always)]
    async fn round_trip(&mut self) {
        let message = TgMessage::Binary(self.payload.clone());
        self.ws.send(message).await.expect("send");
        match self.ws.next().await {
            Some(Ok(TgMessage::Binary(b))) if b.len() == self.payload.len() => {}
            other => panic!("tungstenite: unexpected {other:?}"),
        }
    }
}

/// One per row, built once and never moved while measuring: no variant is
/// boxed, so none pays an indirection the others do not.
#[allow(clippy::large_enum_variant)]
enum Client {
    Tcp(RawClient<TcpStream>),
    Rustls(RawClient<tokio_rustls::client::TlsStream<TcpStream>>),
    Tickwire(TickwireClient),
    Nexus(NexusClient),
    Tungstenite(TungsteniteClient),
}

impl Client {
    /// `warm` untimed round trips, then `n` timed ones into `out` (ns).
    async fn batch(&mut self, warm: usize, n: usize, out: &mut Vec<u64>) -> Option<SchedTimes> {
        match self {
            Self::Tcp(c) => timed(c, warm, n, out).await,
            Self::Rustls(c) => timed(c, warm, n, out).await,
            Self::Tickwire(c) => timed(c, warm, n, out).await,
            Self::Nexus(c) => timed(c, warm, n, out).await,
            Self::Tungstenite(c) => timed(c, warm, n, out).await,
        }
    }

    /// A full check of one echo's payload (the timed loop checks lengths).
    async fn check_payload(&mut self, payload: &[u8]) {
        match self {
            Self::Tcp(_) | Self::Rustls(_) => {}
            Self::Tickwire(c) => {
                c.ws.send_binary(payload).await.expect("send");
                let got = c.ws.recv().await.expect("recv");
                assert!(matches!(got, Some(Message::Binary(b)) if b == payload));
            }
            Self::Nexus(c) => {
                c.ws.send_binary(payload).await.expect("send");
                let got = c.ws.recv().await.expect("recv");
                assert!(matches!(got, Some(NxMessage::Binary(b)) if b == payload));
            }
            Self::Tungstenite(c) => {
                let message = TgMessage::Binary(Bytes::copy_from_slice(payload));
                c.ws.send(message).await.expect("send");
                let got = c.ws.next().await;
                assert!(matches!(got, Some(Ok(TgMessage::Binary(b))) if b == payload));
            }
        }
    }
}

/// Runs `warm` untimed round trips, then `n` timed ones into `out` (ns);
/// returns this thread's scheduler times over the timed ones.
async fn timed<C: RoundTrip>(
    c: &mut C,
    warm: usize,
    n: usize,
    out: &mut Vec<u64>,
) -> Option<SchedTimes> {
    for _ in 0..warm {
        c.round_trip().await;
    }
    out.clear();
    let before = SchedTimes::now();
    let mut last = Instant::now();
    for _ in 0..n {
        c.round_trip().await;
        let now = Instant::now();
        out.push((now - last).as_nanos() as u64);
        last = now;
    }
    Some(SchedTimes::now()?.since(before?))
}

/// The time this thread was runnable but waited for a CPU (ns), from
/// `/proc/thread-self/schedstat`: client and server tasks both run on it,
/// so this is the time other processes took the core from the benchmark.
#[derive(Debug, Clone, Copy)]
struct SchedTimes {
    wait: u64,
}

impl SchedTimes {
    fn now() -> Option<Self> {
        let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        let wait = text.split_whitespace().nth(1)?.parse().ok()?;
        Some(Self { wait })
    }

    fn since(self, before: Self) -> Self {
        Self {
            wait: self.wait.saturating_sub(before.wait),
        }
    }
}

// ---------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Tcp,
    Tls,
}

/// One row's figures in one round, in ns.
#[derive(Debug, Clone, Copy)]
struct RoundStats {
    /// p50 and p99 of the round trips.
    percentiles: [f64; 2],
    /// Mean time per round trip spent waiting for the CPU.
    wait: Option<f64>,
}

struct Row {
    size: usize,
    transport: Transport,
    name: &'static str,
    is_floor: bool,
    client: Client,
    stats: Vec<RoundStats>,
    /// Every timed round trip of every round (ns).
    pooled: Vec<u64>,
}

impl Row {
    fn label(&self) -> String {
        format!("{} {}", size_label(self.size), self.name)
    }
}

fn size_label(size: usize) -> String {
    if size >= KIB {
        format!("{} KiB", size / KIB)
    } else {
        format!("{size} B")
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

// ---------------------------------------------------------------------------
// Measuring and reporting
// ---------------------------------------------------------------------------

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[u64], q: f64) -> u64 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// The lower and upper quartiles.
fn quartiles(mut values: Vec<f64>) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    (values[n / 4], values[(3 * n / 4).min(n - 1)])
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

/// The markdown table: medians over rounds (p99.9: pooled); ratios are
/// medians of each round's ratio to the floor of the same size and
/// transport.
fn report(rows: &[Row], s: &Settings) {
    let floor_of = |row: &Row| {
        rows.iter()
            .find(|f| f.is_floor && f.size == row.size && f.transport == row.transport)
    };
    // tickwire's plain rows beside nexus (which has no TLS here).
    let nexus_of = |row: &Row| {
        rows.iter()
            .find(|f| f.name == "nexus ws" && f.size == row.size && row.name == "tickwire ws")
    };
    let per_round = |a: &Row, b: &Row, k: usize| -> Vec<f64> {
        a.stats
            .iter()
            .zip(&b.stats)
            .map(|(x, y)| x.percentiles[k] / y.percentiles[k])
            .collect()
    };
    println!();
    println!(
        "{} rounds x {} round trips per row; medians over rounds (p99.9: all round trips \
         pooled); ratios: median of the rounds' ratios; (q1-q3): quartiles over rounds",
        s.rounds, s.per_round
    );
    println!();
    println!(
        "| size | client | p50 ns | p99 ns | p99.9 ns | p50 / floor | p99 / floor \
         | p50 / nexus | p99 / nexus |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for row in rows {
        let stat = |k: usize| median(row.stats.iter().map(|r| r.percentiles[k]).collect());
        // The p50 moves between rounds with the load on the other core (its
        // quartiles show by how much); the ratios within a round do not.
        let p50 = {
            let (q1, q3) = quartiles(row.stats.iter().map(|r| r.percentiles[0]).collect());
            format!("{:.0} ({q1:.0}-{q3:.0})", stat(0))
        };
        // The median ratio; for p50 also the quartiles over rounds.
        let vs = |other: Option<&Row>, k: usize| match other {
            Some(o) if !std::ptr::eq(o, row) => {
                let ratios = per_round(row, o, k);
                let mid = median(ratios.clone());
                if k == 0 {
                    let (q1, q3) = quartiles(ratios);
                    format!("{mid:.3} ({q1:.3}-{q3:.3})")
                } else {
                    format!("{mid:.3}")
                }
            }
            _ => "-".to_string(),
        };
        println!(
            "| {} | {} | {} | {:.0} | {} | {} | {} | {} | {} |",
            size_label(row.size),
            row.name,
            p50,
            stat(1),
            percentile(&row.pooled, 0.999),
            vs(floor_of(row), 0),
            vs(floor_of(row), 1),
            vs(nexus_of(row), 0),
            vs(nexus_of(row), 1),
        );
    }
    let waits: Vec<f64> = rows
        .iter()
        .flat_map(|r| &r.stats)
        .filter_map(|r| r.wait)
        .collect();
    if !waits.is_empty() {
        let mean = waits.iter().sum::<f64>() / waits.len() as f64;
        println!();
        println!(
            "Waiting for the CPU (other processes on core 0): {mean:.0} ns per round trip on \
             average, {:.0} ns in the worst batch.",
            waits.iter().copied().fold(0.0, f64::max)
        );
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
    report(&rows, &s);
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
