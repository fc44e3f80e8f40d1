#![no_main]
use libfuzzer_sys::fuzz_target;
use tickwire::ws::Role;

fuzz_target!(|data: &[u8]| tickwire::fuzz_entry::ws_read(Role::Server, data));
