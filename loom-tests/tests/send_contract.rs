//! The sans-IO core moves between threads (a pool slot returned on another
//! worker carries its reader, writer and buffers): each must be `Send`.
//! A compile-time contract, checked by building and running this test.

use tickwire::buf::{ReadBuf, WriteBuf};
use tickwire::rng::SeededRng;
use tickwire::ws::{CloseState, FrameReader, FrameWriter, Role};

fn assert_send<T: Send + 'static>(value: T) -> T {
    std::thread::spawn(move || value).join().unwrap()
}

#[test]
fn core_types_cross_threads() {
    let reader = assert_send(FrameReader::builder().role(Role::Client).build());
    assert_eq!(reader.role(), Role::Client);
    let writer = assert_send(FrameWriter::with_rng(Role::Client, SeededRng::from_seed(1)));
    assert_eq!(writer.role(), Role::Client);
    assert_eq!(assert_send(ReadBuf::with_capacity(8)).capacity(), 8);
    assert_eq!(assert_send(WriteBuf::new(14, 8)).limit(), 8);
    assert!(!assert_send(CloseState::new()).is_sent());
}
