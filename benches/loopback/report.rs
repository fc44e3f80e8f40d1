//! Rows, their figures per round, and the markdown table.

use super::KIB;
use super::clients::Client;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    Tcp,
    Tls,
}

/// One row's figures in one round, in ns.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RoundStats {
    /// p50 and p99 of the round trips.
    pub(crate) percentiles: [f64; 2],
    /// Mean time per round trip spent waiting for the CPU.
    pub(crate) wait: Option<f64>,
}

/// One row: a client of one kind for one size, and what it measured.
pub(crate) struct Row {
    pub(crate) size: usize,
    pub(crate) transport: Transport,
    pub(crate) name: &'static str,
    pub(crate) is_floor: bool,
    pub(crate) client: Client,
    pub(crate) stats: Vec<RoundStats>,
    /// Every timed round trip of every round (ns).
    pub(crate) pooled: Vec<u64>,
}

impl Row {
    pub(crate) fn label(&self) -> String {
        format!("{} {}", size_label(self.size), self.name)
    }
}

pub(crate) fn size_label(size: usize) -> String {
    if size >= KIB {
        format!("{} KiB", size / KIB)
    } else {
        format!("{size} B")
    }
}

/// Nearest-rank percentile of sorted samples.
pub(crate) fn percentile(sorted: &[u64], q: f64) -> u64 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// The lower and upper quartiles.
fn quartiles(mut values: Vec<f64>) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    (values[n / 4], values[(3 * n / 4).min(n - 1)])
}

/// The markdown table: medians over rounds (p99.9: pooled); ratios are
/// medians of each round's ratio to the floor of the same size and
/// transport.
pub(crate) fn report(rows: &[Row], rounds: usize, per_round: usize) {
    let floor_of = |row: &Row| {
        rows.iter()
            .find(|f| f.is_floor && f.size == row.size && f.transport == row.transport)
    };
    // tickwire's plain rows beside nexus (which has no TLS here).
    let nexus_of = |row: &Row| {
        rows.iter()
            .find(|f| f.name == "nexus ws" && f.size == row.size && row.name == "tickwire ws")
    };
    let ratios = |a: &Row, b: &Row, k: usize| -> Vec<f64> {
        a.stats
            .iter()
            .zip(&b.stats)
            .map(|(x, y)| x.percentiles[k] / y.percentiles[k])
            .collect()
    };
    println!();
    println!(
        "{} rounds x {} round trips per row; medians over rounds (p99.9: all round trips \
         pooled); ratios: median of the rounds' ratios; (q1-q3): quartiles over rounds",
        rounds, per_round
    );
    println!();
    println!(
        "| size | client | p50 ns | p99 ns | p99.9 ns | p50 / floor | p99 / floor \
         | p50 / nexus | p99 / nexus |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for row in rows {
        let stat = |k: usize| median(row.stats.iter().map(|r| r.percentiles[k]).collect());
        // The p50 moves between rounds with the load on the other core (its
        // quartiles show by how much); the ratios within a round do not.
        let p50 = {
            let (q1, q3) = quartiles(row.stats.iter().map(|r| r.percentiles[0]).collect());
            format!("{:.0} ({q1:.0}-{q3:.0})", stat(0))
        };
        // The median ratio; for p50 also the quartiles over rounds.
        let vs = |other: Option<&Row>, k: usize| match other {
            Some(o) if !std::ptr::eq(o, row) => {
                let ratios = ratios(row, o, k);
                let mid = median(ratios.clone());
                if k == 0 {
                    let (q1, q3) = quartiles(ratios);
                    format!("{mid:.3} ({q1:.3}-{q3:.3})")
                } else {
                    format!("{mid:.3}")
                }
            }
            _ => "-".to_string(),
        };
        println!(
            "| {} | {} | {} | {:.0} | {} | {} | {} | {} | {} |",
            size_label(row.size),
            row.name,
            p50,
            stat(1),
            percentile(&row.pooled, 0.999),
            vs(floor_of(row), 0),
            vs(floor_of(row), 1),
            vs(nexus_of(row), 0),
            vs(nexus_of(row), 1),
        );
    }
    let waits: Vec<f64> = rows
        .iter()
        .flat_map(|r| &r.stats)
        .filter_map(|r| r.wait)
        .collect();
    if !waits.is_empty() {
        let mean = waits.iter().sum::<f64>() / waits.len() as f64;
        println!();
        println!(
            "Waiting for the CPU (other processes on core 0): {mean:.0} ns per round trip on \
             average, {:.0} ns in the worst batch.",
            waits.iter().copied().fold(0.0, f64::max)
        );
    }
}
