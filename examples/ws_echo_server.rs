//! ws_echo_server: a WebSocket echo server on tickwire.
//!
//! ```text
//! cargo run --example ws_echo_server -- ADDR [--tls CERT.der KEY.der | --self-signed]
//! ```
//!
//! - `ADDR` is the address to listen on, `127.0.0.1:9001` say; port 0 picks
//!   a free port.
//! - `--tls CERT.der KEY.der` serves `wss://` with that certificate (DER)
//!   and private key (DER: PKCS#8, PKCS#1 or SEC1).
//! - `--self-signed` serves `wss://` with a fresh self-signed certificate
//!   for `localhost` and `127.0.0.1`, written as PEM to a new file in the
//!   temporary directory; its path is printed on stdout as
//!   `certificate PATH` (trust it with `ws_client --ca PATH`). The file is
//!   removed on Ctrl-C.
//!
//! Once bound, it prints `listening on ADDR` on stdout, with the real port,
//! so a script can wait for that line. Each connection runs in its own task
//! and gets every text and binary message back; connections and their end
//! are logged on stderr. Runs until Ctrl-C.
//!
//! Exit status: 0 after Ctrl-C, 1 when it cannot start (bind, certificate
//! files), 2 for a usage error.

use std::ffi::OsString;
use std::fmt::Display;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tickwire::tls::ServerTlsConfig;
use tickwire::ws::{Message, WsBuilder, WsError, WsStream};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};

const USAGE: &str = "usage: ws_echo_server ADDR [--tls CERT.der KEY.der | --self-signed]";

/// Longest TLS handshake (the WebSocket handshake has the builder's own
/// 10 s timeout).
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

const EXIT_ERROR: u8 = 1;
const EXIT_USAGE: u8 = 2;

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
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail("runtime", e),
    };
    runtime.block_on(serve(options))
}

/// The command line, parsed.
#[derive(Debug)]
struct Options {
    addr: String,
    tls: TlsChoice,
}

#[derive(Debug)]
enum TlsChoice {
    Plain,
    Files { cert: PathBuf, key: PathBuf },
    SelfSigned,
}

#[derive(Debug)]
enum Parsed {
    Run(Options),
    Help,
}

impl Options {
    fn parse(args: impl Iterator<Item = OsString>) -> Result<Parsed, String> {
        let mut args = args;
        let mut addr = None;
        let mut tls = TlsChoice::Plain;
        while let Some(arg) = args.next() {
            let arg = arg
                .into_string()
                .map_err(|bad| format!("argument {bad:?} is not UTF-8"))?;
            match arg.as_str() {
                "-h" | "--help" => return Ok(Parsed::Help),
                "--tls" | "--self-signed" if !matches!(tls, TlsChoice::Plain) => {
                    return Err("give --tls or --self-signed once".to_owned());
                }
                "--tls" => {
                    let (Some(cert), Some(key)) = (args.next(), args.next()) else {
                        return Err("--tls needs CERT.der and KEY.der".to_owned());
                    };
                    tls = TlsChoice::Files {
                        cert: cert.into(),
                        key: key.into(),
                    };
                }
                "--self-signed" => tls = TlsChoice::SelfSigned,
                flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
                _ if addr.is_some() => return Err(format!("unexpected argument {arg:?}")),
                _ => addr = Some(arg),
            }
        }
        let addr = addr.ok_or("missing ADDR")?;
        Ok(Parsed::Run(Options { addr, tls }))
    }
}

/// Prints `error: NAME: MESSAGE` and gives the error exit status.
fn fail(name: &str, message: impl Display) -> ExitCode {
    eprintln!("error: {name}: {message}");
    ExitCode::from(EXIT_ERROR)
}

/// Binds, prints where, and accepts until Ctrl-C.
async fn serve(options: Options) -> ExitCode {
    let (tls, cert_file) = match &options.tls {
        TlsChoice::Plain => (None, None),
        TlsChoice::Files { cert, key } => match tls_from_files(cert, key) {
            Ok(tls) => (Some(tls), None),
            Err((name, message)) => return fail(name, message),
        },
        TlsChoice::SelfSigned => match self_signed() {
            Ok((tls, path)) => (Some(tls), Some(path)),
            Err((name, message)) => return fail(name, message),
        },
    };
    let listener = match TcpListener::bind(&options.addr).await {
        Ok(listener) => listener,
        Err(e) => return fail("bind", format!("{}: {e}", options.addr)),
    };
    let local = match listener.local_addr() {
        Ok(local) => local,
        Err(e) => return fail("bind", e),
    };
    if let Some(path) = &cert_file {
        println!("certificate {}", path.display());
    }
    println!("listening on {local}");
    let _ = std::io::stdout().flush();

    let builder = WsStream::builder();
    let stopped = loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let builder = builder.clone();
                    let tls = tls.clone();
                    tokio::spawn(async move {
                        match serve_connection(&builder, tls.as_ref(), tcp).await {
                            Ok(()) => eprintln!("{peer}: done"),
                            Err(e) => eprintln!("{peer}: error: {}: {e}", e.name()),
                        }
                    });
                }
                Err(e) => {
                    // Out of descriptors, say: wait a little rather than spin.
                    eprintln!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            signal = tokio::signal::ctrl_c() => break signal,
        }
    };
    if let Some(path) = &cert_file {
        let _ = std::fs::remove_file(path);
    }
    match stopped {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail("signal", e),
    }
}

/// One connection: TLS if configured, the handshake, then the echo loop.
async fn serve_connection(
    builder: &WsBuilder,
    tls: Option<&ServerTlsConfig>,
    tcp: TcpStream,
) -> Result<(), WsError> {
    match tls {
        None => echo(builder.accept(tcp).await?).await,
        Some(tls) => {
            let stream = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, tls.accept(tcp))
                .await
                .map_err(|_| WsError::Timeout(tickwire::ws::TimeoutKind::Handshake))??;
            echo(builder.accept(stream).await?).await
        }
    }
}

/// Sends every text and binary message back until the clean end.
///
/// Split, so that the writer sends the message while it still borrows the
/// reader's buffer: no copy. The reader answers pings and the peer's Close
/// on its own.
async fn echo<S: AsyncRead + AsyncWrite + Unpin>(ws: WsStream<S>) -> Result<(), WsError> {
    let (mut reader, mut writer) = ws.split();
    while let Some(message) = reader.recv().await? {
        match message {
            Message::Text(text) => writer.send_text(text).await?,
            Message::Binary(bytes) => writer.send_binary(bytes).await?,
            Message::Ping(_) | Message::Pong(_) | Message::Close(_) => {}
        }
    }
    Ok(())
}

type SetupError = (&'static str, String);

fn tls_from_files(cert: &Path, key: &Path) -> Result<ServerTlsConfig, SetupError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|e| ("tls-files", format!("{}: {e}", path.display())))
    };
    let (cert_der, key_der) = (read(cert)?, read(key)?);
    ServerTlsConfig::new(vec![cert_der], key_der).map_err(|e| {
        (
            "tls-files",
            format!("{} and {}: {e}", cert.display(), key.display()),
        )
    })
}

/// A fresh certificate for `localhost` and `127.0.0.1`, and the new file
/// its PEM was written to.
fn self_signed() -> Result<(ServerTlsConfig, PathBuf), SetupError> {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let generated =
        rcgen::generate_simple_self_signed(names).map_err(|e| ("self-signed", e.to_string()))?;
    let tls = ServerTlsConfig::new(
        vec![generated.cert.der().to_vec()],
        generated.signing_key.serialize_der(),
    )
    .map_err(|e| ("self-signed", e.to_string()))?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |t| t.subsec_nanos());
    let path =
        std::env::temp_dir().join(format!("tickwire-echo-{}-{nanos}.pem", std::process::id()));
    // `create_new`: never write through a file (or link) already there.
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut file| file.write_all(generated.cert.pem().as_bytes()))
        .map_err(|e| ("self-signed", format!("{}: {e}", path.display())))?;
    Ok((tls, path))
}
