//! De-duplication cost at start-up: `Dataset::new` (which now groups duplicates) against the
//! grouping alone (`Groups::new`), in the same run, on 1 000 000 generated places.
//!
//! Data: `synthetic_lieux(N, SEED)` (uniform over metropolitan France, distinct names and
//! addresses, hence no duplicate), plus a second set where one place in twenty is published
//! again ~30 m away with the same name, commune and address (5 % duplicates, 50 000 groups), so
//! the match rule and the union-find run as well as the candidate sweep.
//!
//! `cargo bench --bench dedup` (override the size with `LIEUX_BENCH_DEDUP_N=200000`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use lieux::Dataset;
use lieux::dedup::Groups;
use lieux::model::{Lieu, Position};
use lieux::testdata::synthetic_lieux;

const SEED: u64 = 42;
const N: usize = 1_000_000;

/// `base` plus a copy of every 20th positioned place, 30 m north-east, same name and address.
fn with_duplicates(base: &[Lieu]) -> Vec<Lieu> {
    let mut out = base.to_vec();
    for (i, l) in base.iter().enumerate().step_by(20) {
        let Some(p) = l.position else { continue };
        let mut copy = l.clone();
        copy.id = format!("dup{i:07}").into();
        copy.position = Some(Position {
            lon: p.lon + 0.0003,
            lat: p.lat + 0.0002,
        });
        out.push(copy);
    }
    out
}

fn dedup(c: &mut Criterion) {
    let n = std::env::var("LIEUX_BENCH_DEDUP_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(N);
    let plain = synthetic_lieux(n, SEED);
    let dups = with_duplicates(&plain);
    let groups = Groups::new(&dups).len();
    eprintln!(
        "{n} places: {} groups; with duplicates ({} places): {groups} groups",
        Groups::new(&plain).len(),
        dups.len()
    );
    let mut g = c.benchmark_group("dedup");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(20));
    for (name, lieux) in [
        ("no_duplicates", &plain),
        ("five_percent_duplicates", &dups),
    ] {
        g.bench_function(BenchmarkId::new(format!("groups_new/{name}"), n), |b| {
            b.iter(|| black_box(Groups::new(lieux)))
        });
        g.bench_function(BenchmarkId::new(format!("dataset_new/{name}"), n), |b| {
            b.iter_batched(
                || lieux.clone(),
                |l| black_box(Dataset::new(l)),
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, dedup);
criterion_main!(benches);
