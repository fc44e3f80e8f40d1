//! The Python side of `tests/ws_interop.rs`: starting `ws_peer.py`, reading
//! what it reports, killing it when done; the rcgen certificates it and
//! tickwire use; and the two arrangements, Python serving
//! ([`PythonServer`]) and Python connecting ([`PythonClient`]).
//!
//! Owns every wait on the process and every temporary file. Never lets a
//! hang stall the test run: each wait is bounded by [`STEP`].

use std::collections::VecDeque;
use std::future::Future;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tickwire::tls::{MaybeTls, ServerTlsConfig, TlsConfig};
use tickwire::ws::{WsBuilder, WsError, WsStream};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader, Lines};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/ws_peer.py");
const INSTALL: &str = "python3 -m pip install --user 'websockets>=15,<16'";
/// The longest any single step may take: a hang fails instead of stalling CI.
pub(crate) const STEP: Duration = Duration::from_secs(20);

/// Both ends of every connection here.
pub(crate) type Ws = WsStream<MaybeTls<TcpStream>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    Plain,
    Tls,
}

// ------------------------------------------------------ the Python process

/// The Python interpreter that has `websockets`, as a path: a version
/// manager's `python3` shim can cost half a second per start.
///
/// When `websockets` is missing it is installed once with pip (so the
/// README's `cargo test --workspace` works on a fresh machine; `.ci/run`
/// installs it before the tests too). Fails, every test with the same
/// message, when python3 is missing or the install does not take: a skip
/// would only hide a gap.
fn python() -> &'static str {
    static PYTHON: OnceLock<String> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let probe = || {
            std::process::Command::new("python3")
                .args([
                    "-c",
                    "import sys, websockets.asyncio.server; print(sys.executable)",
                ])
                .output()
        };
        let mut result = probe();
        if matches!(&result, Ok(out) if !out.status.success()) {
            let _ = std::process::Command::new("sh")
                .args(["-c", INSTALL])
                .status();
            result = probe();
        }
        match result {
            Ok(out) if out.status.success() => {
                String::from_utf8(out.stdout).unwrap().trim().to_owned()
            }
            Ok(out) => panic!(
                "the Python package `websockets` (>= 13) is missing and `{INSTALL}` did not \
                 install it. python3 said: {}",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            ),
            Err(e) => panic!("cannot run python3 ({e}): install Python 3, then {INSTALL}"),
        }
    })
}

/// A running `ws_peer.py`. Dropping it kills the process.
struct Peer {
    child: Child,
    /// Held, never written: the script exits when it closes. Kept out of
    /// `child`, whose `wait` would close it.
    _stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    stderr: Arc<Mutex<String>>,
    /// Lines read while looking for another one.
    stash: VecDeque<String>,
}

impl Peer {
    fn spawn(args: &[String]) -> Self {
        let mut child = Command::new(python())
            .arg(SCRIPT)
            .args(args)
            .env("PYTHONUNBUFFERED", "1")
            .env("PYTHONIOENCODING", "utf-8")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            // The script exits when its stdin closes: it cannot outlive us
            // even if we are killed before any Drop runs.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn python3");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = Arc::clone(&stderr);
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buf).await {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Self {
            child,
            _stdin: stdin,
            stdout,
            stderr,
            stash: VecDeque::new(),
        }
    }

    /// The next line the script prints.
    async fn line(&mut self) -> String {
        if let Some(line) = self.stash.pop_front() {
            return line;
        }
        match tokio::time::timeout(STEP, self.stdout.next_line()).await {
            Ok(Ok(Some(line))) => line,
            Ok(_) => self.fail("ws_peer.py ended its output").await,
            Err(_) => self.fail("no line from ws_peer.py in time").await,
        }
    }

    /// The next line that starts with `prefix` and a space; lines about
    /// other connections wait in the stash.
    async fn line_about(&mut self, prefix: &str) -> String {
        let wanted = format!("{prefix} ");
        if let Some(i) = self.stash.iter().position(|l| l.starts_with(&wanted)) {
            return self.stash.remove(i).unwrap();
        }
        loop {
            match tokio::time::timeout(STEP, self.stdout.next_line()).await {
                Ok(Ok(Some(line))) if line.starts_with(&wanted) => return line,
                Ok(Ok(Some(line))) => self.stash.push_back(line),
                Ok(_) => {
                    self.fail(&format!("ws_peer.py ended before `{prefix}`"))
                        .await
                }
                Err(_) => self.fail(&format!("no line `{prefix} ...` in time")).await,
            }
        }
    }

    /// Fails the test with everything the script still had to say.
    async fn fail(&mut self, what: &str) -> ! {
        let _ = self.child.start_kill();
        let mut said: Vec<String> = self.stash.drain(..).collect();
        while let Ok(Ok(Some(line))) =
            tokio::time::timeout(Duration::from_secs(1), self.stdout.next_line()).await
        {
            said.push(line);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        panic!(
            "{what}\nws_peer.py stdout:\n{}\nws_peer.py stderr:\n{}",
            said.join("\n"),
            self.stderr.lock().unwrap().as_str()
        );
    }

    async fn kill(&mut self) {
        self.child.kill().await.expect("kill python3");
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

// ------------------------------------------------------------ certificates

/// A CA, a leaf for localhost and 127.0.0.1 signed by it, and a second CA
/// that signed nothing here, as DER and as PEM files in a directory of
/// their own (removed on drop).
struct Pki {
    dir: PathBuf,
    ca_der: Vec<u8>,
    other_ca_der: Vec<u8>,
    chain: Vec<Vec<u8>>,
    key: Vec<u8>,
}

impl Pki {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "tickwire-interop-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let (ca_der, ca_pem, ca) = new_ca("tickwire interop CA");
        let (other_ca_der, other_ca_pem, _) = new_ca("a CA nobody used");
        let mut params =
            CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().unwrap();
        let leaf = params.signed_by(&key, &ca).unwrap();
        for (name, pem) in [
            ("ca.pem", ca_pem),
            ("other-ca.pem", other_ca_pem),
            ("cert.pem", leaf.pem()),
            ("key.pem", key.serialize_pem()),
        ] {
            std::fs::write(dir.join(name), pem).unwrap();
        }
        Self {
            dir,
            ca_der,
            other_ca_der,
            chain: vec![leaf.der().to_vec()],
            key: key.serialize_der(),
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_owned()
    }

    fn client_config(&self, root_der: &[u8]) -> TlsConfig {
        TlsConfig::builder()
            .skip_system_certs()
            .add_root_cert(root_der)
            .unwrap()
            .build()
            .unwrap()
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn new_ca(name: &str) -> (Vec<u8>, String, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.der().to_vec(), cert.pem(), Issuer::new(params, key))
}

// ---------------------------------------------------- the two arrangements

/// Python serves, tickwire connects.
pub(crate) struct PythonServer {
    peer: Peer,
    base: String,
    tls: Option<TlsConfig>,
    pki: Option<Pki>,
}

impl PythonServer {
    pub(crate) async fn start(transport: Transport) -> Self {
        let pki = (transport == Transport::Tls).then(Pki::new);
        let args = match &pki {
            None => vec!["server".to_owned()],
            Some(pki) => vec![
                "server".to_owned(),
                "--cert".to_owned(),
                pki.path("cert.pem"),
                "--key".to_owned(),
                pki.path("key.pem"),
            ],
        };
        let mut peer = Peer::spawn(&args);
        let port: u16 = peer.line().await.parse().expect("a port on the first line");
        let (base, tls) = match &pki {
            // A DNS name, so the certificate is checked against it and SNI is sent.
            Some(pki) => (
                format!("wss://localhost:{port}"),
                Some(pki.client_config(&pki.ca_der)),
            ),
            None => (format!("ws://127.0.0.1:{port}"), None),
        };
        Self {
            peer,
            base,
            tls,
            pki,
        }
    }

    /// A builder with the defaults and, over TLS, a config that trusts
    /// the CA that signed the server.
    pub(crate) fn builder(&self) -> WsBuilder {
        match &self.tls {
            Some(tls) => WsStream::builder().tls(tls),
            None => WsStream::builder(),
        }
    }

    pub(crate) async fn connect_with(&self, path: &str, builder: WsBuilder) -> Result<Ws, WsError> {
        within(path, builder.connect(&format!("{}{path}", self.base))).await
    }

    pub(crate) async fn connect(&self, path: &str) -> Ws {
        self.connect_with(path, self.builder())
            .await
            .unwrap_or_else(|e| panic!("connect {path}: {e}"))
    }

    /// The script's line about the connection to `path`: the Close frames
    /// it received and sent.
    pub(crate) async fn report(&mut self, path: &str) -> String {
        self.peer.line_about(path).await
    }

    /// A client config that trusts only a CA that did not sign the server.
    pub(crate) fn untrusting_tls(&self) -> TlsConfig {
        let pki = self.pki.as_ref().expect("a TLS server");
        pki.client_config(&pki.other_ca_der)
    }

    /// Kills the Python process, connections and all.
    pub(crate) async fn kill(&mut self) {
        self.peer.kill().await;
    }
}

/// tickwire serves, a Python client runs `scenarios`, one connection each.
pub(crate) struct PythonClient {
    peer: Peer,
    listener: TcpListener,
    tls: Option<ServerTlsConfig>,
    _pki: Option<Pki>,
}

impl PythonClient {
    pub(crate) async fn start(transport: Transport, scenarios: &[String]) -> Self {
        Self::start_trusting(transport, "ca.pem", scenarios).await
    }

    pub(crate) async fn start_trusting(
        transport: Transport,
        ca_file: &str,
        scenarios: &[String],
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let pki = (transport == Transport::Tls).then(Pki::new);
        let mut args = vec!["client".to_owned(), "--port".to_owned(), port.to_string()];
        if let Some(pki) = &pki {
            args.extend(["--ca".to_owned(), pki.path(ca_file)]);
        }
        args.extend(scenarios.iter().cloned());
        let tls = pki
            .as_ref()
            .map(|pki| ServerTlsConfig::new(pki.chain.clone(), pki.key.clone()).unwrap());
        Self {
            peer: Peer::spawn(&args),
            listener,
            tls,
            _pki: pki,
        }
    }

    /// Accepts the script's next connection; fails at once if the script
    /// exits instead of connecting.
    pub(crate) async fn try_accept(&mut self) -> Result<Ws, WsError> {
        let accepted = tokio::select! {
            accepted = self.listener.accept() => Some(accepted.unwrap().0),
            _ = self.peer.child.wait() => None,
            () = tokio::time::sleep(STEP) => None,
        };
        let Some(tcp) = accepted else {
            self.peer
                .fail("the Python client exited or did not connect in time")
                .await
        };
        let stream = match &self.tls {
            Some(tls) => within("TLS accept", tls.accept(tcp)).await?,
            None => MaybeTls::Plain(tcp),
        };
        within("ws accept", WsStream::builder().accept(stream)).await
    }

    pub(crate) async fn accept(&mut self) -> Ws {
        self.try_accept()
            .await
            .unwrap_or_else(|e| panic!("accept: {e}"))
    }

    /// The script's line for its next scenario.
    pub(crate) async fn outcome(&mut self) -> String {
        self.peer.line().await
    }

    /// Kills the Python process, connections and all.
    pub(crate) async fn kill(&mut self) {
        self.peer.kill().await;
    }
}

// ---------------------------------------------------------------- timeouts

/// Runs `fut`, failing the test if it takes longer than [`STEP`].
pub(crate) async fn within<F: Future>(what: &str, fut: F) -> F::Output {
    tokio::time::timeout(STEP, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: no progress in {STEP:?}"))
}
