//! A session is a function of its seed: same seed, same bytes; the bytes
//! decode to the script whatever the seed.

use tickwire::ws::{FrameReader, Message, Role};
use tickwire_sim::scripted_client_session;

fn decode(bytes: &[u8]) -> Vec<String> {
    let mut reader = FrameReader::builder().role(Role::Server).build();
    let mut got = Vec::new();
    for chunk in bytes.chunks(5) {
        reader.read(chunk).unwrap();
        while let Some(message) = reader.next().unwrap() {
            got.push(match message {
                Message::Text(t) => format!("text {t}"),
                Message::Binary(b) => format!("binary {b:?}"),
                Message::Ping(p) => format!("ping {}", String::from_utf8_lossy(p)),
                Message::Pong(p) => format!("pong {}", String::from_utf8_lossy(p)),
                Message::Close(c) => format!("close {:?}", c.map(|f| (f.code.0, f.reason))),
            });
        }
    }
    got
}

#[test]
fn same_seed_same_wire_bytes_different_seed_different_masks() {
    let a = scripted_client_session(2026);
    let b = scripted_client_session(2026);
    let c = scripted_client_session(2027);
    assert_eq!(a, b);
    assert_eq!(a.len(), c.len());
    assert_ne!(a, c, "mask keys must come from the seed");
    let expected = vec![
        r#"text {"op":"subscribe","args":["book.BTC"]}"#.to_string(),
        "ping hb-1".into(),
        "ping hb-2".into(),
        r#"text {"op":"order","px":"101.5"}"#.into(),
        "binary [1, 2, 3, 4, 5, 6, 7, 8]".into(),
        "ping hb-3".into(),
        r#"close Some((1000, "end of session"))"#.into(),
    ];
    assert_eq!(decode(&a), expected);
    assert_eq!(decode(&c), expected);
}
