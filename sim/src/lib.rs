//! Deterministic simulation scenarios for tickwire.
