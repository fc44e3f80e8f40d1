//! The parts of `benches/ws_loopback.rs` (its top doc describes the
//! method): the fixed echo side, the clients, the rows and their report.

pub(crate) mod clients;
pub(crate) mod echo;
pub(crate) mod report;

pub(crate) const KIB: usize = 1024;
/// Read buffer of the raw clients and of the server (tickwire's default).
pub(crate) const READ_BUFFER: usize = 64 * KIB;
