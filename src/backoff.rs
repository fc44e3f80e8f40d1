//! STUB: the reconnect backoff policy, being written.
