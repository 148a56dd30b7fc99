//! Geocoding cost of an import: the 2 683 France Services rows, coordinates removed, imported
//! (validation + geocoding, no snapshot write) with
//! - `offline`: the commune fallback alone (the baseline: no network),
//! - `ban cold`: a local addok (as in `tests/it/geocode.rs`) with an empty cache,
//! - `ban warm`: the same with the cache the cold run filled (no request).
//!
//! Prints the median of `LIEUX_BENCH_RUNS` runs (default 3), wall and thread CPU time (the VM is
//! shared, wall time measures the neighbours too), and the ratios to the baseline. Needs
//! `../shared/data` and what `tests/addok/setup.sh install` installs; run with
//! `cargo bench --bench geocode`.

#![allow(clippy::unwrap_used, clippy::panic)]

#[path = "common/clock.rs"]
mod clock;
#[path = "../tests/addok/fixture.rs"]
mod fixture;

use std::path::PathBuf;
use std::sync::Arc;

use lieux::geocode::ban::{BanGeocoder, BanOptions};
use lieux::geocode::offline::CommuneGeocoder;
use lieux::geocode::{GeocodeStats, Geocoder};
use lieux::import::ImportOptions;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// (wall ms, CPU ms, BAN stats) of one import.
fn import(rows: &fixture::Rows, ban: Option<Arc<BanGeocoder>>) -> (f64, f64, GeocodeStats) {
    let mut geocoders: Vec<Arc<dyn Geocoder>> = Vec::new();
    if let Some(b) = &ban {
        geocoders.push(b.clone());
    }
    geocoders.push(Arc::new(CommuneGeocoder::embedded()));
    let options = ImportOptions {
        geocoders,
        ..Default::default()
    };
    let (out, wall, cpu) = clock::timed(|| {
        lieux::import::read_bytes_with("fs.csv", &rows.without_coordinates, &options).unwrap()
    });
    // Offline leaves the 4 rows whose commune is not in the table; BAN places them.
    assert!(out.stats.without_coordinates <= 4, "{}", out.stats);
    (wall, cpu, ban.map(|b| b.stats()).unwrap_or_default())
}

fn main() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if !data.is_dir() {
        eprintln!("skipping: ../shared/data is absent");
        return;
    }
    let runs: usize = std::env::var("LIEUX_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("bench-geocode");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let rows = fixture::fs_rows(&data);
    std::fs::write(dir.join("docs.jsonl"), fixture::addok_documents(&rows)).unwrap();
    let url = fixture::start(&dir, &dir.join("docs.jsonl"));
    let cache = dir.join("cache.jsonl");
    let ban =
        || Arc::new(BanGeocoder::new(&url, Some(cache.clone()), BanOptions::default()).unwrap());

    let (mut offline, mut cold, mut warm) = (Vec::new(), Vec::new(), Vec::new());
    let mut cold_stats = GeocodeStats::default();
    for _ in 0..runs {
        offline.push(import(&rows, None));
        let _ = std::fs::remove_file(&cache);
        let c = import(&rows, Some(ban()));
        cold_stats = c.2;
        cold.push(c);
        let w = import(&rows, Some(ban()));
        assert_eq!(w.2.requests, 0);
        warm.push(w);
    }
    let n = rows.records.len();
    let base_wall = median(offline.iter().map(|r| r.0).collect());
    println!(
        "geocode: {n} rows, median of {runs} runs; BAN cold run: {} requests ({} batches), {} rows placed by BAN",
        cold_stats.requests, cold_stats.batches, cold_stats.placed
    );
    for (name, v) in [
        ("offline", &offline),
        ("ban cold", &cold),
        ("ban warm", &warm),
    ] {
        let wall = median(v.iter().map(|r| r.0).collect());
        let cpu = median(v.iter().map(|r| r.1).collect());
        println!(
            "{name:>9}: wall {wall:8.0} ms, import thread CPU {cpu:7.0} ms, {:8.0} rows/s, {:5.1}x offline",
            n as f64 / (wall / 1000.0),
            wall / base_wall
        );
    }
    // The servers stop, and `dir` is removed, when this process exits (setup.sh's watchdog).
}
