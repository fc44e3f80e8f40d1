//! The example programs end to end: `ws_echo_server` and `ws_client` run as
//! child processes, fed and read the way a user or a script would.
//!
//! Builds nothing itself: `cargo test` builds the examples beside the test
//! binaries, in `target/<profile>/examples/`, and these tests look there.
//! When filtering with `cargo test --test examples`, cargo does not rebuild
//! the examples: run `cargo build --examples` first.
//!
//! Every wait is bounded, and every child process is killed when its guard
//! drops, so a hung example fails a test instead of hanging the run.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The longest any single wait may take.
const WAIT: Duration = Duration::from_secs(8);

/// A built example's path, derived from this test binary's:
/// `target/<profile>/deps/examples-<hash>` gives
/// `target/<profile>/examples/<name>`.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps");
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: `cargo test` builds it, or run `cargo build --examples` first",
        path.display()
    );
    path
}

/// A child process, killed and reaped when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running `ws_echo_server` and what it printed on start.
struct EchoServer {
    _process: Running,
    addr: String,
    cert: Option<PathBuf>,
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        // Killed, the server cannot remove its certificate file itself.
        if let Some(cert) = &self.cert {
            let _ = std::fs::remove_file(cert);
        }
    }
}

/// Starts `ws_echo_server 127.0.0.1:0 EXTRA...` and waits for its
/// `listening on` line.
fn echo_server(extra: &[&str]) -> EchoServer {
    let mut child = Command::new(example("ws_echo_server"))
        .arg("127.0.0.1:0")
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn ws_echo_server");
    let stdout = child.stdout.take().expect("piped stdout");
    let process = Running(child);
    let (lines_tx, lines) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if lines_tx.send(line).is_err() {
                return;
            }
        }
    });
    let deadline = Instant::now() + WAIT;
    let mut cert = None;
    loop {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("ws_echo_server printed no `listening on` line in time")
            .expect("ws_echo_server's stdout");
        if let Some(path) = line.strip_prefix("certificate ") {
            cert = Some(PathBuf::from(path));
        }
        if let Some(addr) = line.strip_prefix("listening on ") {
            return EchoServer {
                _process: process,
                addr: addr.to_owned(),
                cert,
            };
        }
    }
}

/// What a finished example left behind.
#[derive(Debug)]
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs an example to its end, within [`WAIT`]. `input` is written to its
/// stdin, which is then closed; `None` keeps stdin open (and empty) until
/// the process exits.
fn run(name: &str, args: &[&str], input: Option<&str>) -> Finished {
    let mut child = Command::new(example(name))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {name}: {e}"));
    let stdin = child.stdin.take().expect("piped stdin");
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let mut process = Running(child);
    let _open_stdin: Option<ChildStdin> = match input {
        Some(text) => {
            let mut stdin = stdin;
            // The example may already have exited (a refused connection):
            // a broken pipe here is its business, judged by its output.
            let _ = stdin.write_all(text.as_bytes());
            None
        }
        None => Some(stdin),
    };
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = process.0.try_wait().expect("wait for the example") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = process.0.kill();
            let _ = process.0.wait();
            panic!(
                "{name} {args:?} still running after {WAIT:?}\nstdout: {}\nstderr: {}",
                join(stdout),
                join(stderr)
            );
        }
        thread::sleep(Duration::from_millis(5));
    };
    Finished {
        status,
        stdout: join(stdout),
        stderr: join(stderr),
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

fn join(reader: JoinHandle<String>) -> String {
    reader.join().expect("pipe reader thread")
}

#[test]
fn client_echoes_stdin_lines_through_the_server_and_closes_normally() {
    let server = echo_server(&[]);
    let url = format!("ws://{}/", server.addr);
    let done = run("ws_client", &[&url], Some("hello\nworld\n"));
    assert_eq!(done.stdout, "hello\nworld\n", "{done:?}");
    assert!(done.status.success(), "{done:?}");
    assert!(done.stderr.contains("closed 1000"), "{done:?}");
}

#[test]
fn self_signed_server_echoes_to_an_insecure_client_and_one_that_trusts_its_pem() {
    let server = echo_server(&["--self-signed"]);
    let cert = server.cert.as_ref().expect("a `certificate PATH` line");
    let cert = cert.to_str().expect("UTF-8 temp path");
    let port = server.addr.rsplit(':').next().expect("ADDR has a port");

    let insecure_url = format!("wss://127.0.0.1:{port}/");
    let done = run(
        "ws_client",
        &[&insecure_url, "--insecure"],
        Some("hello\nworld\n"),
    );
    assert_eq!(done.stdout, "hello\nworld\n", "{done:?}");
    assert!(done.status.success(), "{done:?}");
    assert!(done.stderr.contains("closed 1000"), "{done:?}");

    // Verified for real: the printed PEM is the only root, and the
    // certificate names both localhost and 127.0.0.1.
    for host in ["localhost", "127.0.0.1"] {
        let url = format!("wss://{host}:{port}/");
        let done = run("ws_client", &[&url, "--ca", cert], Some("verified\n"));
        assert_eq!(done.stdout, "verified\n", "{host}: {done:?}");
        assert!(done.status.success(), "{host}: {done:?}");
    }
}

#[test]
fn server_serves_wss_with_the_der_files_it_is_given() {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = std::env::temp_dir();
    let stem = format!("tickwire-examples-der-{}", std::process::id());
    let cert_der = dir.join(format!("{stem}.cert.der"));
    let key_der = dir.join(format!("{stem}.key.der"));
    let cert_pem = dir.join(format!("{stem}.pem"));
    std::fs::write(&cert_der, generated.cert.der()).unwrap();
    std::fs::write(&key_der, generated.signing_key.serialize_der()).unwrap();
    std::fs::write(&cert_pem, generated.cert.pem()).unwrap();
    let files = [&cert_der, &key_der, &cert_pem].map(|p| p.to_str().unwrap().to_owned());

    let server = echo_server(&["--tls", &files[0], &files[1]]);
    let port = server.addr.rsplit(':').next().expect("ADDR has a port");
    let url = format!("wss://localhost:{port}/");
    let done = run("ws_client", &[&url, "--ca", &files[2]], Some("over tls\n"));

    // The key given as the certificate: refused at start, not at the
    // first connection.
    let refused = run(
        "ws_echo_server",
        &["127.0.0.1:0", "--tls", &files[1], &files[1]],
        None,
    );
    for file in [&cert_der, &key_der, &cert_pem] {
        let _ = std::fs::remove_file(file);
    }
    assert_eq!(done.stdout, "over tls\n", "{done:?}");
    assert!(done.status.success(), "{done:?}");
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    assert!(refused.stderr.contains("error: tls-files:"), "{refused:?}");
}

#[test]
fn client_refuses_a_certificate_its_ca_file_does_not_vouch_for() {
    let server = echo_server(&["--self-signed"]);
    let port = server.addr.rsplit(':').next().expect("ADDR has a port");
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let other_pem =
        std::env::temp_dir().join(format!("tickwire-examples-test-{}.pem", std::process::id()));
    std::fs::write(&other_pem, other.cert.pem()).unwrap();

    let url = format!("wss://localhost:{port}/");
    let done = run(
        "ws_client",
        &[&url, "--ca", other_pem.to_str().unwrap()],
        Some("never\n"),
    );
    let _ = std::fs::remove_file(&other_pem);
    assert_eq!(done.status.code(), Some(1), "{done:?}");
    assert!(done.stderr.contains("error: tls:"), "{done:?}");
    assert_eq!(done.stdout, "");
}

#[test]
fn client_fails_with_the_error_name_when_nothing_listens_or_the_url_is_bad() {
    // Bound and dropped: nothing listens on that port any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let url = format!("ws://127.0.0.1:{port}/");
    let done = run("ws_client", &[&url], Some("hello\n"));
    assert_eq!(done.status.code(), Some(1), "{done:?}");
    assert!(done.stderr.contains("error: io:"), "{done:?}");

    let done = run("ws_client", &["http://127.0.0.1/"], Some(""));
    assert_eq!(done.status.code(), Some(1), "{done:?}");
    assert!(done.stderr.contains("error: invalid-url:"), "{done:?}");
}

#[test]
fn usage_errors_exit_2_with_the_usage_line() {
    let client_cases: &[&[&str]] = &[
        &[],
        &["ws://127.0.0.1:1/", "--bogus"],
        &["ws://127.0.0.1:1/", "--header", "no-colon"],
        &["ws://127.0.0.1:1/", "--header"],
        &["ws://127.0.0.1:1/", "--insecure", "--ca", "x.pem"],
        &["ws://127.0.0.1:1/", "ws://127.0.0.1:2/"],
    ];
    for args in client_cases {
        let done = run("ws_client", args, Some(""));
        assert_eq!(done.status.code(), Some(2), "ws_client {args:?}: {done:?}");
        assert!(done.stderr.contains("usage: ws_client URL"), "{done:?}");
    }
    let server_cases: &[&[&str]] = &[&[], &["127.0.0.1:0", "--tls", "cert.der"]];
    for args in server_cases {
        let done = run("ws_echo_server", args, Some(""));
        assert_eq!(
            done.status.code(),
            Some(2),
            "ws_echo_server {args:?}: {done:?}"
        );
        assert!(
            done.stderr.contains("usage: ws_echo_server ADDR"),
            "{done:?}"
        );
    }
}

/// A hand-written server on a real socket: checks the handshake request,
/// sends binary, a ping, text and a Close 4000, and checks the answers.
#[test]
fn client_prints_binary_as_hex_sends_headers_and_reports_an_abnormal_close() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/feed", listener.local_addr().unwrap());
    let server = thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(WAIT)).unwrap();
        let head = read_head(&mut tcp);
        let request = tickwire::ws::handshake::parse_request(&head, &Default::default())
            .unwrap()
            .unwrap();
        assert_eq!(request.path(), "/feed");
        assert_eq!(request.header("x-api-key"), Some(&b"k3y"[..]));
        assert_eq!(request.protocols(), ["chat.v2", "chat.v1"]);
        let mut answer = Vec::new();
        request
            .write_accept(Some("chat.v1"), &[], &mut answer)
            .unwrap();
        tcp.write_all(&answer).unwrap();
        // Server frames are unmasked: FIN + opcode, length, payload.
        tcp.write_all(&[0x82, 4, 0xde, 0xad, 0xbe, 0xef]).unwrap();
        tcp.write_all(&[0x89, 2, b'h', b'b']).unwrap();
        tcp.write_all(&[0x81, 2, b'h', b'i']).unwrap();
        tcp.write_all(&[0x88, 5, 0x0f, 0xa0, b'b', b'y', b'e'])
            .unwrap();
        assert_eq!(read_frame(&mut tcp), (0xA, b"hb".to_vec()), "the pong");
        assert_eq!(
            read_frame(&mut tcp),
            (0x8, vec![0x0f, 0xa0]),
            "the Close reply echoes 4000"
        );
        let mut rest = Vec::new();
        tcp.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty(), "nothing after the Close reply");
    });

    // Stdin stays open: the client must end on the server's Close alone.
    let done = run(
        "ws_client",
        &[
            &url,
            "--header",
            "X-Api-Key: k3y",
            "--subprotocol",
            "chat.v2",
            "--subprotocol",
            "chat.v1",
        ],
        None,
    );
    server.join().expect("the scripted server's checks");
    assert_eq!(done.stdout, "deadbeef\nhi\n", "{done:?}");
    assert_eq!(done.status.code(), Some(3), "{done:?}");
    assert!(done.stderr.contains("(subprotocol chat.v1)"), "{done:?}");
    assert!(done.stderr.contains("closed 4000 bye"), "{done:?}");
}

/// After stdin ends the client closes with 1000; a peer that answers with
/// an empty Close (no code, allowed by RFC 6455) still ends it normally.
#[test]
fn an_empty_close_in_reply_to_ours_is_a_normal_end() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    let server = thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(WAIT)).unwrap();
        accept_handshake(&mut tcp);
        assert_eq!(read_frame(&mut tcp), (0x1, b"bye".to_vec()), "the line");
        assert_eq!(
            read_frame(&mut tcp),
            (0x8, vec![0x03, 0xe8]),
            "Close 1000 at EOF"
        );
        tcp.write_all(&[0x88, 0]).unwrap();
    });
    let done = run("ws_client", &[&url], Some("bye\n"));
    server.join().expect("the scripted server's checks");
    assert!(done.status.success(), "{done:?}");
    assert!(done.stderr.contains("closed 1005"), "{done:?}");
}

/// Reads a handshake request and accepts it, offering no subprotocol.
fn accept_handshake(tcp: &mut TcpStream) {
    let head = read_head(tcp);
    let request = tickwire::ws::handshake::parse_request(&head, &Default::default())
        .unwrap()
        .unwrap();
    let mut answer = Vec::new();
    request.write_accept(None, &[], &mut answer).unwrap();
    tcp.write_all(&answer).unwrap();
}

/// Reads a request head byte by byte, so no frame byte is taken with it.
fn read_head(tcp: &mut TcpStream) -> Vec<u8> {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        tcp.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    head
}

/// Reads one short masked client frame: (opcode, unmasked payload).
fn read_frame(tcp: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut header = [0u8; 2];
    tcp.read_exact(&mut header).unwrap();
    assert_eq!(header[1] & 0x80, 0x80, "client frames are masked");
    let len = usize::from(header[1] & 0x7F);
    assert!(len < 126, "a short frame");
    let mut key = [0u8; 4];
    tcp.read_exact(&mut key).unwrap();
    let mut payload = vec![0u8; len];
    tcp.read_exact(&mut payload).unwrap();
    for (i, b) in payload.iter_mut().enumerate() {
        *b ^= key[i % 4];
    }
    (header[0] & 0x0F, payload)
}
