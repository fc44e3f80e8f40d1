//! ws_client: a small wscat-like WebSocket client on tickwire.
//!
//! ```text
//! cargo run --example ws_client -- URL [--header NAME:VALUE]... [--subprotocol P]...
//!                                      [--insecure | --ca FILE.pem]
//! ```
//!
//! - `URL` is `ws://` or `wss://`.
//! - `--header NAME:VALUE` adds a header to the handshake request (repeatable).
//! - `--subprotocol P` offers a subprotocol (repeatable, most preferred first);
//!   the one the server picks is reported on stderr.
//! - `--insecure` accepts any server certificate (`danger_no_verify`): for
//!   throw-away certificates only.
//! - `--ca FILE.pem` trusts the certificates of that PEM file instead of the
//!   platform's roots (the file `ws_echo_server --self-signed` prints).
//!
//! Each line of stdin is sent as a text message. Each message received is
//! printed on stdout, one per line: text as is, binary as lowercase hex.
//! Pings and pongs are not printed (pings are answered automatically). At
//! the end of stdin the client sends a Close 1000 and waits up to 5 s for
//! the peer's reply.
//!
//! When a Close arrives, `closed CODE REASON` goes to stderr (`1005` when
//! the frame carried no code); errors go to stderr as `error: NAME: MESSAGE`,
//! where `NAME` is [`WsError::name`] or, for failures outside the
//! connection, `usage`, `stdin`, `stdout`, `ca-file` or `close-timeout`.
//!
//! Exit status:
//! - 0: closed with 1000, or our Close 1000 answered by an empty Close
//!   (`closed 1005`);
//! - 1: an error (connect, TLS, handshake, protocol, I/O, timeout, ...);
//! - 2: usage error;
//! - 3: the peer closed with another code (or none).

use std::ffi::OsString;
use std::fmt;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tickwire::tls::TlsConfig;
use tickwire::ws::{CloseCode, Message, WsError, WsStream, WsWriter};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, BufReader};
use tokio::time::Instant;

const USAGE: &str = "usage: ws_client URL [--header NAME:VALUE]... [--subprotocol P]... [--insecure | --ca FILE.pem]";

/// How long to wait for the peer's Close once ours went out (or once the
/// peer's arrived, for the end of the stream).
const CLOSE_WAIT: Duration = Duration::from_secs(5);

const EXIT_ERROR: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_ABNORMAL_CLOSE: u8 = 3;

fn main() -> ExitCode {
    let options = match Options::parse(std::env::args_os().skip(1)) {
        Ok(Parsed::Run(options)) => options,
        Ok(Parsed::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(why) => {
            eprintln!("error: usage: {why}\n{USAGE}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: runtime: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let code = match runtime.block_on(run(options)) {
        Ok(CloseKind::Normal) => ExitCode::SUCCESS,
        Ok(CloseKind::Abnormal) => ExitCode::from(EXIT_ABNORMAL_CLOSE),
        Err(failure) => {
            eprintln!("error: {}: {failure}", failure.name());
            ExitCode::from(EXIT_ERROR)
        }
    };
    // The stdin task may sit in a blocking read that cannot be cancelled:
    // do not wait for it.
    runtime.shutdown_background();
    code
}

/// The command line, parsed.
#[derive(Debug)]
struct Options {
    url: String,
    headers: Vec<(String, String)>,
    subprotocols: Vec<String>,
    insecure: bool,
    ca_file: Option<OsString>,
}

#[derive(Debug)]
enum Parsed {
    Run(Options),
    Help,
}

impl Options {
    fn parse(args: impl Iterator<Item = OsString>) -> Result<Parsed, String> {
        let mut args = args;
        let mut url = None;
        let mut options = Options {
            url: String::new(),
            headers: Vec::new(),
            subprotocols: Vec::new(),
            insecure: false,
            ca_file: None,
        };
        while let Some(arg) = args.next() {
            let arg = arg
                .into_string()
                .map_err(|bad| format!("argument {bad:?} is not UTF-8"))?;
            match arg.as_str() {
                "-h" | "--help" => return Ok(Parsed::Help),
                "--header" => {
                    let header = utf8_value(args.next(), "--header")?;
                    let Some((name, value)) = header.split_once(':') else {
                        return Err(format!("--header {header:?}: expected NAME:VALUE"));
                    };
                    let name = name.trim();
                    if name.is_empty() {
                        return Err(format!("--header {header:?}: empty name"));
                    }
                    options
                        .headers
                        .push((name.to_owned(), value.trim().to_owned()));
                }
                "--subprotocol" => {
                    let protocol = utf8_value(args.next(), "--subprotocol")?;
                    options.subprotocols.push(protocol);
                }
                "--insecure" => options.insecure = true,
                "--ca" => match args.next() {
                    Some(path) => options.ca_file = Some(path),
                    None => return Err("--ca needs a file".to_owned()),
                },
                flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
                _ if url.is_some() => return Err(format!("unexpected argument {arg:?}")),
                _ => url = Some(arg),
            }
        }
        if options.insecure && options.ca_file.is_some() {
            return Err("--insecure and --ca exclude each other".to_owned());
        }
        options.url = url.ok_or("missing URL")?;
        Ok(Parsed::Run(options))
    }
}

fn utf8_value(value: Option<OsString>, flag: &str) -> Result<String, String> {
    let value = value.ok_or_else(|| format!("{flag} needs a value"))?;
    value
        .into_string()
        .map_err(|bad| format!("{flag} {bad:?}: not UTF-8"))
}

/// How the connection ended, when it ended with a Close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CloseKind {
    Normal,
    Abnormal,
}

/// Why the client gives up: the connection's error, or one of its own.
#[derive(Debug)]
enum Failure {
    Ws(WsError),
    Local { name: &'static str, message: String },
}

impl Failure {
    fn local(name: &'static str, message: impl fmt::Display) -> Self {
        Self::Local {
            name,
            message: message.to_string(),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Ws(e) => e.name(),
            Self::Local { name, .. } => name,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ws(e) => e.fmt(f),
            Self::Local { message, .. } => f.write_str(message),
        }
    }
}

impl From<WsError> for Failure {
    fn from(e: WsError) -> Self {
        Self::Ws(e)
    }
}

/// Connects, then receives on this task while another sends stdin's lines.
async fn run(options: Options) -> Result<CloseKind, Failure> {
    let mut builder = WsStream::builder();
    for (name, value) in &options.headers {
        builder = builder.header(name, value);
    }
    for protocol in &options.subprotocols {
        builder = builder.subprotocol(protocol);
    }
    if let Some(tls) = tls_config(&options)? {
        builder = builder.tls(&tls);
    }
    let ws = builder.connect(&options.url).await?;
    match ws.protocol() {
        Some(protocol) => eprintln!("connected to {} (subprotocol {protocol})", options.url),
        None => eprintln!("connected to {}", options.url),
    }

    let (mut reader, writer) = ws.split();
    // Set by the stdin task before its Close goes out, so the reader, which
    // may see the peer's reply before the task's end, knows it is a reply.
    let close_sent = Arc::new(AtomicBool::new(false));
    let mut stdin_task = tokio::spawn(send_stdin_lines(writer, Arc::clone(&close_sent)));
    let mut stdin_done = false;
    let mut close_received: Option<CloseKind> = None;
    // Armed once a Close went out or came in: the end must follow soon.
    let mut deadline: Option<Instant> = None;
    let mut out = std::io::stdout().lock();

    loop {
        tokio::select! {
            received = reader.recv() => match received? {
                Some(Message::Text(text)) => print_line(&mut out, text)?,
                Some(Message::Binary(bytes)) => print_line(&mut out, &hex(bytes))?,
                Some(Message::Ping(_) | Message::Pong(_)) => {}
                Some(Message::Close(frame)) => {
                    let code = frame.map_or(CloseCode::NO_STATUS, |f| f.code);
                    let reason = frame.map_or("", |f| f.reason);
                    if reason.is_empty() {
                        eprintln!("closed {code}");
                    } else {
                        eprintln!("closed {code} {reason}");
                    }
                    let normal = code == CloseCode::NORMAL
                        || (close_sent.load(Ordering::Acquire) && code == CloseCode::NO_STATUS);
                    close_received = Some(if normal { CloseKind::Normal } else { CloseKind::Abnormal });
                    deadline.get_or_insert_with(|| Instant::now() + CLOSE_WAIT);
                }
                // The clean end: the closing handshake is over.
                None => break,
            },
            joined = &mut stdin_task, if !stdin_done => {
                stdin_done = true;
                match joined {
                    // Our Close went out; or the peer's came first and was
                    // answered, and the reader reports it.
                    Ok(Ok(()) | Err(Failure::Ws(WsError::Closed))) => {}
                    Ok(Err(failure)) => return Err(failure),
                    Err(join) => return Err(Failure::local("stdin", join)),
                }
                deadline.get_or_insert_with(|| Instant::now() + CLOSE_WAIT);
            },
            () = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                return Err(Failure::local(
                    "close-timeout",
                    format!("the closing handshake did not finish within {CLOSE_WAIT:?}"),
                ));
            },
        }
    }
    // `Ok(None)` comes only after a Close was returned.
    Ok(close_received.unwrap_or(CloseKind::Abnormal))
}

/// The TLS settings the options ask for, if any (otherwise `wss://` uses
/// the platform's roots).
fn tls_config(options: &Options) -> Result<Option<TlsConfig>, Failure> {
    let builder = if options.insecure {
        TlsConfig::builder().danger_no_verify()
    } else if let Some(path) = &options.ca_file {
        let bad_file = |e: &dyn fmt::Display| {
            Failure::local("ca-file", format!("{}: {e}", path.to_string_lossy()))
        };
        let pem = std::fs::read(path).map_err(|e| bad_file(&e))?;
        TlsConfig::builder()
            .skip_system_certs()
            .add_root_certs_pem(&pem)
            .map_err(|e| bad_file(&e))?
    } else {
        return Ok(None);
    };
    Ok(Some(builder.build().map_err(WsError::from)?))
}

/// Sends each line of stdin as a text message, then a Close 1000 at EOF.
async fn send_stdin_lines<S>(
    mut writer: WsWriter<S>,
    close_sent: Arc<AtomicBool>,
) -> Result<(), Failure>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines
        .next_line()
        .await
        .map_err(|e| Failure::local("stdin", e))?
    {
        writer.send_text(&line).await?;
    }
    close_sent.store(true, Ordering::Release);
    writer.close(CloseCode::NORMAL, "").await?;
    Ok(())
}

fn print_line(out: &mut impl Write, line: &str) -> Result<(), Failure> {
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .map_err(|e| Failure::local("stdout", e))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        text.push(char::from(DIGITS[usize::from(b >> 4)]));
        text.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    text
}
