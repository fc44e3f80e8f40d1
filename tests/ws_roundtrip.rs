//! Encode with `FrameWriter`, decode with `FrameReader`: every opcode, every
//! length class, both roles, the bytes split into reads every which way.
//! Plus the RFC 6455 section 5.7 examples byte for byte.

use proptest::prelude::*;
use tickwire::buf::WriteBuf;
use tickwire::rng::SeededRng;
use tickwire::ws::{CloseCode, CloseFrame, FrameReader, FrameWriter, Message, MessageKind, Role};

/// An owned copy of a decoded message, to compare across reads.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Owned {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<(u16, String)>),
}

impl From<Message<'_>> for Owned {
    fn from(m: Message<'_>) -> Self {
        match m {
            Message::Text(t) => Owned::Text(t.to_owned()),
            Message::Binary(b) => Owned::Binary(b.to_vec()),
            Message::Ping(p) => Owned::Ping(p.to_vec()),
            Message::Pong(p) => Owned::Pong(p.to_vec()),
            Message::Close(c) => Owned::Close(c.map(|f| (f.code.0, f.reason.to_owned()))),
        }
    }
}

fn peer(role: Role) -> Role {
    match role {
        Role::Client => Role::Server,
        Role::Server => Role::Client,
    }
}

/// Encodes `messages` as `sender` would.
fn encode(sender: Role, seed: u64, messages: &[Owned], fragment: Option<usize>) -> Vec<u8> {
    let mut writer = FrameWriter::with_rng(sender, SeededRng::from_seed(seed));
    let mut out = WriteBuf::with_limit(14, 1024, 64 << 20);
    for m in messages {
        match (m, fragment) {
            (Owned::Text(t), None) => writer.text(&mut out, t).unwrap(),
            (Owned::Binary(b), None) => writer.binary(&mut out, b).unwrap(),
            (Owned::Text(t), Some(n)) => {
                write_fragments(&mut writer, &mut out, MessageKind::Text, t.as_bytes(), n)
            }
            (Owned::Binary(b), Some(n)) => {
                write_fragments(&mut writer, &mut out, MessageKind::Binary, b, n)
            }
            (Owned::Ping(p), _) => writer.ping(&mut out, p).unwrap(),
            (Owned::Pong(p), _) => writer.pong(&mut out, p).unwrap(),
            (Owned::Close(Some((code, reason))), _) => {
                writer.close(&mut out, CloseCode(*code), reason).unwrap()
            }
            (Owned::Close(None), _) => writer.close_empty(&mut out).unwrap(),
        }
    }
    out.data().to_vec()
}

fn write_fragments(
    writer: &mut FrameWriter,
    out: &mut WriteBuf,
    kind: MessageKind,
    payload: &[u8],
    size: usize,
) {
    let size = size.max(1);
    let mut chunks = payload.chunks(size).peekable();
    if chunks.peek().is_none() {
        writer.fragment(out, kind, &[], true).unwrap();
        return;
    }
    while let Some(chunk) = chunks.next() {
        writer
            .fragment(out, kind, chunk, chunks.peek().is_none())
            .unwrap();
    }
}

/// Decodes `bytes` as `receiver`, fed in reads of the given sizes (cycled).
fn decode(receiver: Role, bytes: &[u8], reads: &[usize]) -> Vec<Owned> {
    let mut reader = FrameReader::builder()
        .role(receiver)
        .buffer_capacity(256)
        .build();
    let mut got = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    while pos < bytes.len() {
        let want = reads[i % reads.len()].max(1);
        i += 1;
        let spare = reader.spare();
        let n = want.min(spare.len()).min(bytes.len() - pos);
        spare[..n].copy_from_slice(&bytes[pos..pos + n]);
        reader.filled(n);
        pos += n;
        while let Some(m) = reader.next().unwrap() {
            got.push(Owned::from(m));
        }
    }
    assert_eq!(reader.buffered(), 0, "bytes left undecoded");
    got
}

/// Decodes the way the async stream does: `prepare` until a message is
/// ready, reading between, with extra bytes read in after `prepare` said
/// yes and before `next` takes the message (which must not move it).
fn decode_prepared(receiver: Role, bytes: &[u8], reads: &[usize]) -> Vec<Owned> {
    let mut reader = FrameReader::builder()
        .role(receiver)
        .buffer_capacity(256)
        .build();
    let mut got = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    loop {
        if reader.prepare().unwrap() {
            if pos < bytes.len() {
                // Bytes arriving between prepare and next.
                let want = reads[i % reads.len()].max(1).min(bytes.len() - pos);
                let n = reader.read(&bytes[pos..pos + want]).unwrap_or(0);
                pos += n;
            }
            got.push(Owned::from(reader.next().unwrap().expect("prepared")));
            continue;
        }
        if pos == bytes.len() {
            break;
        }
        let want = reads[i % reads.len()].max(1);
        i += 1;
        let spare = reader.spare();
        let n = want.min(spare.len()).min(bytes.len() - pos);
        spare[..n].copy_from_slice(&bytes[pos..pos + n]);
        reader.filled(n);
        pos += n;
    }
    assert_eq!(reader.buffered(), 0, "bytes left undecoded");
    got
}

const LENGTH_CLASSES: [usize; 6] = [0, 125, 126, 65535, 65536, 1 << 20];

fn payload(len: usize, salt: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ salt)
        .collect()
}

fn text(len: usize) -> String {
    // Multi-byte characters so fragment splits land inside sequences.
    let mut s = String::with_capacity(len);
    let alphabet = ['a', 'é', '€', '𝄞'];
    let mut i = 0;
    while s.len() < len {
        let c = alphabet[i % alphabet.len()];
        if s.len() + c.len_utf8() > len {
            s.push('z');
        } else {
            s.push(c);
        }
        i += 1;
    }
    s
}

#[test]
fn every_length_class_round_trips_in_both_roles() {
    for sender in [Role::Client, Role::Server] {
        for &len in &LENGTH_CLASSES {
            let messages = vec![
                Owned::Binary(payload(len, 7)),
                Owned::Text(text(len)),
                Owned::Ping(payload(len.min(125), 1)),
                Owned::Pong(payload(len.min(125), 2)),
                Owned::Close(Some((1000, "done".into()))),
            ];
            let bytes = encode(sender, len as u64, &messages, None);
            for reads in [&[usize::MAX][..], &[1, 7, 4096], &[65536]] {
                assert_eq!(
                    decode(peer(sender), &bytes, reads),
                    messages,
                    "len {len} {sender:?}"
                );
            }
        }
    }
}

#[test]
fn fragmented_messages_round_trip_at_length_classes() {
    for sender in [Role::Client, Role::Server] {
        for &len in &LENGTH_CLASSES {
            let messages = vec![Owned::Text(text(len)), Owned::Binary(payload(len, 3))];
            for fragment in [1usize, 125, 126, 65536] {
                if len / fragment > 5000 {
                    continue; // 1 MiB in one-byte frames adds nothing but time
                }
                let bytes = encode(sender, 9, &messages, Some(fragment));
                assert_eq!(decode(peer(sender), &bytes, &[4096, 3]), messages);
            }
        }
    }
}

#[test]
fn every_two_way_split_of_small_messages_decodes_the_same() {
    for sender in [Role::Client, Role::Server] {
        let messages = vec![
            Owned::Text("hello, €".into()),
            Owned::Ping(b"p".to_vec()),
            Owned::Binary(payload(200, 5)),
            Owned::Close(Some((1001, "bye".into()))),
        ];
        let bytes = encode(sender, 4, &messages, None);
        for split in 0..=bytes.len() {
            let mut reader = FrameReader::builder().role(peer(sender)).build();
            let mut got = Vec::new();
            for part in [&bytes[..split], &bytes[split..]] {
                reader.read(part).unwrap();
                while let Some(m) = reader.next().unwrap() {
                    got.push(Owned::from(m));
                }
            }
            assert_eq!(got, messages, "split at {split}");
        }
    }
}

fn any_message() -> impl Strategy<Value = Owned> {
    prop_oneof![
        "\\PC{0,300}".prop_map(Owned::Text),
        proptest::collection::vec(any::<u8>(), 0..70_000).prop_map(Owned::Binary),
        proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Owned::Ping),
        proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Owned::Pong),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_messages_any_reads_round_trip(
        messages in proptest::collection::vec(any_message(), 1..6),
        reads in proptest::collection::vec(1usize..2000, 1..8),
        client_sends in any::<bool>(),
        fragment in proptest::option::of(1usize..300),
        seed in any::<u64>(),
    ) {
        let sender = if client_sends { Role::Client } else { Role::Server };
        let bytes = encode(sender, seed, &messages, fragment);
        prop_assert_eq!(decode(peer(sender), &bytes, &reads), messages);
    }

    #[test]
    fn prepare_then_next_decodes_the_same_with_reads_in_between(
        messages in proptest::collection::vec(any_message(), 1..6),
        reads in proptest::collection::vec(1usize..2000, 1..8),
        client_sends in any::<bool>(),
        fragment in proptest::option::of(1usize..300),
        seed in any::<u64>(),
    ) {
        let sender = if client_sends { Role::Client } else { Role::Server };
        let bytes = encode(sender, seed, &messages, fragment);
        prop_assert_eq!(decode_prepared(peer(sender), &bytes, &reads), messages);
    }
}

// RFC 6455 section 5.7, byte for byte.

#[test]
fn rfc_single_frame_unmasked_text() {
    let wire = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    let mut out = WriteBuf::new(14, 64);
    FrameWriter::new(Role::Server)
        .text(&mut out, "Hello")
        .unwrap();
    assert_eq!(out.data(), wire);
    assert_eq!(
        decode(Role::Client, &wire, &[1]),
        vec![Owned::Text("Hello".into())]
    );
}

#[test]
fn rfc_single_frame_masked_text() {
    let wire = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    assert_eq!(
        decode(Role::Server, &wire, &[3]),
        vec![Owned::Text("Hello".into())]
    );
}

#[test]
fn rfc_fragmented_unmasked_text() {
    let wire = [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f];
    assert_eq!(
        decode(Role::Client, &wire, &[2]),
        vec![Owned::Text("Hello".into())]
    );
    let mut writer = FrameWriter::new(Role::Server);
    let mut out = WriteBuf::new(14, 64);
    writer
        .fragment(&mut out, MessageKind::Text, b"Hel", false)
        .unwrap();
    writer
        .fragment(&mut out, MessageKind::Text, b"lo", true)
        .unwrap();
    assert_eq!(out.data(), wire);
}

#[test]
fn rfc_ping_and_masked_pong() {
    let ping = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    let pong = [
        0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    assert_eq!(
        decode(Role::Client, &ping, &[1]),
        vec![Owned::Ping(b"Hello".to_vec())]
    );
    assert_eq!(
        decode(Role::Server, &pong, &[1]),
        vec![Owned::Pong(b"Hello".to_vec())]
    );
    let mut out = WriteBuf::new(14, 64);
    FrameWriter::new(Role::Server)
        .ping(&mut out, b"Hello")
        .unwrap();
    assert_eq!(out.data(), ping);
}

#[test]
fn rfc_binary_256_and_64k_headers() {
    let mut out = WriteBuf::with_limit(14, 64, 1 << 20);
    let mut writer = FrameWriter::new(Role::Server);
    writer.binary(&mut out, &[0u8; 256]).unwrap();
    assert_eq!(&out.data()[..4], &[0x82, 0x7E, 0x01, 0x00]);
    out.clear();
    writer.binary(&mut out, &vec![0u8; 65536]).unwrap();
    assert_eq!(
        &out.data()[..10],
        &[0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00]
    );
}

#[test]
fn close_frame_borrows_reason() {
    let mut out = WriteBuf::new(14, 256);
    FrameWriter::new(Role::Client)
        .close(&mut out, CloseCode::GOING_AWAY, "restart")
        .unwrap();
    let mut reader = FrameReader::builder().role(Role::Server).build();
    reader.read(out.data()).unwrap();
    assert_eq!(
        reader.next().unwrap(),
        Some(Message::Close(Some(CloseFrame {
            code: CloseCode::GOING_AWAY,
            reason: "restart"
        })))
    );
    assert!(reader.is_closed());
    // Bytes after a Close are ignored, not decoded.
    reader.read(&[0x81, 0x80, 0, 0, 0, 0]).unwrap();
    assert_eq!(reader.next().unwrap(), None);
}

#[test]
fn binary_with_writes_header_in_front_even_when_batched() {
    for role in [Role::Client, Role::Server] {
        let mut writer = FrameWriter::with_rng(role, SeededRng::from_seed(3));
        let mut out = WriteBuf::new(14, 4096);
        writer.text(&mut out, "first").unwrap();
        writer
            .binary_with(&mut out, |p| p.extend(&payload(300, 9)))
            .unwrap();
        writer.binary_with(&mut out, |p| p.extend(b"x")).unwrap();
        // A failing fill leaves the buffer as it was.
        let before = out.data().to_vec();
        assert!(
            writer
                .binary_with(&mut out, |p| p.extend(&[0u8; 5000]))
                .is_err()
        );
        assert_eq!(out.data(), &before[..]);
        let got = decode(peer(role), out.data(), &[usize::MAX]);
        assert_eq!(
            got,
            vec![
                Owned::Text("first".into()),
                Owned::Binary(payload(300, 9)),
                Owned::Binary(b"x".to_vec())
            ]
        );
    }
}

#[test]
fn oversize_send_is_an_error_not_a_panic() {
    let mut out = WriteBuf::new(14, 64 * 1024);
    let mut writer = FrameWriter::new(Role::Client);
    let err = writer.binary(&mut out, &vec![1u8; 70_000]).unwrap_err();
    assert!(err.to_string().contains("buffer full"), "{err}");
    assert!(out.is_empty());
    writer.binary(&mut out, b"still usable").unwrap();
}

#[test]
fn unbounded_limits_still_grow_only_with_arriving_bytes() {
    let mut reader = FrameReader::builder()
        .role(Role::Client)
        .buffer_capacity(1024)
        .max_frame_size(usize::MAX)
        .max_message_size(usize::MAX)
        .build();
    // A binary frame declaring 2^62 bytes, then 3000 bytes of it.
    let mut header = vec![0x82, 0x7F];
    header.extend_from_slice(&(1u64 << 62).to_be_bytes());
    reader.read(&header).unwrap();
    assert_eq!(reader.next().unwrap(), None);
    let mut sent = 0;
    while sent < 3000 {
        let spare = reader.spare();
        // Memory follows the bytes sent: at most double what is buffered.
        assert!(
            spare.len() <= 2 * (header.len() + sent).max(1024),
            "{}",
            spare.len()
        );
        let n = spare.len().min(3000 - sent);
        spare[..n].fill(7);
        reader.filled(n);
        sent += n;
        assert_eq!(reader.next().unwrap(), None);
    }
    assert_eq!(reader.buffered(), header.len() + 3000);
}

#[test]
fn read_takes_what_fits_and_the_rest_after_next() {
    // A 1024-byte frame arriving in a chunk that also holds the next frame,
    // with the buffer limit just above one frame: nothing is refused for
    // good, nothing is lost.
    let mut reader = FrameReader::builder()
        .role(Role::Client)
        .buffer_capacity(64)
        .max_frame_size(1024)
        .build();
    let mut out = WriteBuf::with_limit(14, 64, 1 << 16);
    let mut writer = FrameWriter::new(Role::Server);
    writer.binary(&mut out, &payload(1024, 1)).unwrap();
    writer.binary(&mut out, &payload(64, 2)).unwrap();
    let bytes = out.data();
    assert_eq!(reader.read(&bytes[..1000]).unwrap(), 1000);
    assert_eq!(reader.next().unwrap(), None);
    let mut rest = &bytes[1000..];
    let mut got = Vec::new();
    while !rest.is_empty() {
        let n = reader.read(rest).unwrap();
        assert!(n > 0);
        rest = &rest[n..];
        while let Some(m) = reader.next().unwrap() {
            got.push(Owned::from(m));
        }
    }
    assert_eq!(
        got,
        vec![
            Owned::Binary(payload(1024, 1)),
            Owned::Binary(payload(64, 2))
        ]
    );
}

#[test]
fn bytes_read_between_prepare_and_next_do_not_touch_the_prepared_frame() {
    // A ping that drains the buffer (which then resets to its front), then
    // more bytes before `next` hands the ping out.
    let mut reader = FrameReader::builder().role(Role::Client).build();
    reader.read(&[0x89, 0x01, b'x']).unwrap();
    assert!(reader.prepare().unwrap());
    reader.read(&[0x89, 0x01, b'y']).unwrap();
    assert_eq!(reader.next().unwrap(), Some(Message::Ping(b"x")));
    assert_eq!(reader.next().unwrap(), Some(Message::Ping(b"y")));
    assert_eq!(reader.next().unwrap(), None);
}
