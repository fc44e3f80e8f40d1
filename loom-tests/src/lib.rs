//! loom models of tickwire concurrency primitives.
