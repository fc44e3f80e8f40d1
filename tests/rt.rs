//! The tokio implementations of the runtime seams, on real sockets.

use std::future::Future;
use std::io;
use std::time::Duration;

use socket2::SockRef;
use tickwire::rt::{Clock, Connector, SocketOptions, TokioClock, TokioConnector};
use tickwire::ws::{TimeoutKind, WsError, WsStream};
use tokio::net::TcpListener;

#[tokio::test]
async fn connector_sets_nodelay_keepalive_and_buffer_sizes() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let plain = TokioConnector::default()
        .connect("127.0.0.1", port)
        .await
        .unwrap();
    assert!(plain.nodelay().unwrap(), "TCP_NODELAY is on by default");
    assert!(!SockRef::from(&plain).keepalive().unwrap());

    let tuned = TokioConnector::new(
        SocketOptions::default()
            .keepalive(Some(Duration::from_secs(7)))
            .recv_buffer_size(Some(256 * 1024))
            .send_buffer_size(Some(128 * 1024)),
    )
    .connect("localhost", port)
    .await
    .unwrap();
    let sock = SockRef::from(&tuned);
    assert!(sock.keepalive().unwrap());
    assert_eq!(sock.tcp_keepalive_time().unwrap(), Duration::from_secs(7));
    // Linux doubles what it is asked for (bookkeeping overhead).
    assert!(sock.recv_buffer_size().unwrap() >= 256 * 1024);
    assert!(sock.send_buffer_size().unwrap() >= 128 * 1024);

    let off = TokioConnector::new(SocketOptions::default().nodelay(false))
        .connect("127.0.0.1", port)
        .await
        .unwrap();
    assert!(!off.nodelay().unwrap());
}

#[tokio::test]
async fn connector_takes_ipv6_literals_with_or_without_brackets() {
    let Ok(listener) = TcpListener::bind("[::1]:0").await else {
        eprintln!("no IPv6 loopback here: skipped");
        return;
    };
    let port = listener.local_addr().unwrap().port();
    for host in ["::1", "[::1]"] {
        let stream = TokioConnector::default().connect(host, port).await.unwrap();
        assert!(stream.peer_addr().unwrap().is_ipv6());
    }
}

#[tokio::test]
async fn a_refused_connection_is_an_io_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let e = TokioConnector::default()
        .connect("127.0.0.1", port)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
}

/// A connector whose connections never complete: a black hole.
struct BlackHole;

impl Connector for BlackHole {
    type Stream = tokio::net::TcpStream;

    fn connect(
        &self,
        _host: &str,
        _port: u16,
    ) -> impl Future<Output = io::Result<Self::Stream>> + Send {
        std::future::pending()
    }
}

#[tokio::test(start_paused = true)]
async fn the_builder_bounds_connect_by_its_timeout_on_any_connector() {
    let started = tokio::time::Instant::now();
    let e = WsStream::builder()
        .connector(BlackHole)
        .connect_timeout(Duration::from_secs(3))
        .connect("ws://exchange.example:443/")
        .await
        .unwrap_err();
    assert!(matches!(e, WsError::Timeout(TimeoutKind::Connect)), "{e}");
    assert_eq!(started.elapsed(), Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn the_tokio_clock_timer_rearms_in_place() {
    let clock = TokioClock;
    let start = clock.now();
    let mut timer = clock.timer(start + Duration::from_secs(10));
    timer.as_mut().reset(start + Duration::from_secs(2));
    assert_eq!(timer.deadline(), start + Duration::from_secs(2));
    timer.as_mut().await;
    assert_eq!(clock.now(), start + Duration::from_secs(2));
    // A fired timer runs again once moved later.
    timer.as_mut().reset(start + Duration::from_secs(5));
    timer.as_mut().await;
    assert_eq!(clock.now(), start + Duration::from_secs(5));
}
