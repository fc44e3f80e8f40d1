//! Settings shared by every criterion bench, so figures from different
//! files are taken the same way (docs/performance.md describes them).

use std::time::Duration;

use criterion::Criterion;

/// 400 ms warm-up, 1.5 s measurement, 50 samples, 20,000 resamples.
pub(crate) fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(400))
        .measurement_time(Duration::from_millis(1500))
        .sample_size(50)
        .nresamples(20_000)
}
