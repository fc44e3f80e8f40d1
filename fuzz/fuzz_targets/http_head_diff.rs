#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tickwire::fuzz_entry::http_head_diff(data));
