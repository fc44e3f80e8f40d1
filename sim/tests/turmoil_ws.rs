//! Whole clients and servers on turmoil's simulated network: the runtime
//! seams carry real tickwire code over a network we can partition, and a
//! run is a function of its seed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tickwire::ws::{HeartbeatConfig, Message, TimeoutKind, WsError, WsStream};
use tickwire_sim::{TurmoilConnector, echo_server};

const PORT: u16 = 9000;

/// Runs an echo exchange under `seed` with jittered latency; returns the
/// client's transcript with simulated timestamps.
fn echo_run(seed: u64) -> Vec<String> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut sim = turmoil::Builder::new()
        .rng_seed(seed)
        .min_message_latency(Duration::from_millis(1))
        .max_message_latency(Duration::from_millis(20))
        .build();
    sim.host("server", || echo_server(PORT));
    let client_log = Arc::clone(&log);
    sim.client("client", async move {
        let mut ws = WsStream::builder()
            .connector(TurmoilConnector)
            .rng_seed(seed)
            .connect(&format!("ws://server:{PORT}/feed"))
            .await?;
        for i in 0..20u32 {
            let text = format!("tick {i}");
            ws.send_text(&text).await?;
            let got = ws.recv().await?;
            assert_eq!(got, Some(Message::Text(&text)));
            client_log
                .lock()
                .unwrap()
                .push(format!("{:?} {text}", turmoil::elapsed()));
        }
        ws.send_binary(&[1, 2, 3]).await?;
        assert_eq!(ws.recv().await?, Some(Message::Binary(&[1, 2, 3])));
        Ok(())
    });
    sim.run().unwrap();
    log.lock().unwrap().clone()
}

#[test]
fn echo_over_a_simulated_network_replays_from_its_seed() {
    let a = echo_run(11);
    let b = echo_run(11);
    let c = echo_run(12);
    assert_eq!(a.len(), 20);
    assert_eq!(a, b, "same seed, same transcript to the nanosecond");
    assert_ne!(a, c, "latency comes from the seed");
}

#[test]
fn a_partition_is_found_by_the_idle_deadline_and_a_new_connection_works_after_repair() {
    let mut sim = turmoil::Builder::new()
        .rng_seed(5)
        .simulation_duration(Duration::from_secs(120))
        .build();
    sim.host("server", || echo_server(PORT));
    sim.client("client", async move {
        let builder = WsStream::builder()
            .connector(TurmoilConnector)
            .rng_seed(5)
            .heartbeat(
                HeartbeatConfig::default()
                    .interval(Duration::from_secs(1))
                    .idle_timeout(Duration::from_secs(3)),
            );
        let url = format!("ws://server:{PORT}/");
        let mut ws = builder.connect(&url).await?;
        ws.send_text("before").await?;
        assert_eq!(ws.recv().await?, Some(Message::Text("before")));

        // Heartbeats keep a quiet but healthy connection alive: the echo
        // server answers each ping, so 10 s without data is no timeout.
        let mut pongs = 0;
        let quiet = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match ws.recv().await {
                    Ok(Some(Message::Pong(_))) => pongs += 1,
                    other => panic!("only pongs while quiet: {other:?}"),
                }
            }
        })
        .await;
        assert!(quiet.is_err());
        assert!((9..=10).contains(&pongs), "one pong per heartbeat: {pongs}");

        turmoil::partition("client", "server");
        let cut_at = turmoil::elapsed();
        let e = ws.recv().await.unwrap_err();
        assert!(matches!(e, WsError::Timeout(TimeoutKind::Idle)), "{e}");
        let detected = turmoil::elapsed() - cut_at;
        assert!(
            detected <= Duration::from_secs(4),
            "a partition must be found within the idle timeout plus a heartbeat: {detected:?}"
        );

        turmoil::repair("client", "server");
        let mut ws = builder.connect(&url).await?;
        ws.send_text("after").await?;
        assert_eq!(ws.recv().await?, Some(Message::Text("after")));
        Ok(())
    });
    sim.run().unwrap();
}
