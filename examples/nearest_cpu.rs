//! CPU time per nearest answer inside the server (routes, handler, serialisation; not hyper nor
//! the kernel), measured on the thread's own CPU clock so that a loaded machine disturbs it
//! less than a rate: the full GeoJSON answer, the `properties=` shape a widget asks for and the
//! ten nearest within 30 km (`max_km=30`, the peer benchmark's question to lieux and Redis), in
//! alternating rounds over the ~200 query points of `benches/wrk/points.lua`, on the embedded
//! France Services. Medians of the rounds, µs per request.
//!
//! `cargo run --release --example nearest_cpu -- [ROUNDS]`

use lieux::Dataset;
use lieux::http::{AppState, routes};

#[path = "common/mod.rs"]
mod common;
use common::{points, thread_cpu_s};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: usize = std::env::args().nth(1).map_or(Ok(15), |r| r.parse())?;
    let api = routes(AppState::new(Dataset::embedded()?));
    let rt = tokio::runtime::Builder::new_current_thread().build()?;
    let shapes = [
        ("full", ""),
        ("properties", "&properties=nom,adresse,commune,distance_m"),
        // the question Redis's GEOSEARCH BYRADIUS 30 km COUNT 10 answers in benches/peers.sh
        ("within30km", "&max_km=30"),
    ];
    let paths: Vec<Vec<String>> = shapes
        .iter()
        .map(|(_, extra)| {
            points()
                .iter()
                .map(|(lon, lat)| {
                    format!("/v1/lieux/nearest?lat={lat:.5}&lon={lon:.5}&k=10{extra}")
                })
                .collect()
        })
        .collect();
    let mut per: Vec<Vec<f64>> = vec![Vec::new(); shapes.len()];
    let mut bytes = vec![0usize; shapes.len()];
    for round in 0..=rounds {
        for (s, list) in paths.iter().enumerate() {
            let t = thread_cpu_s();
            let mut n = 0;
            for _ in 0..5 {
                for p in list {
                    let res = rt.block_on(warp::test::request().path(p).reply(&api));
                    bytes[s] = res.body().len();
                    n += 1;
                }
            }
            // round 0 warms the caches
            if round > 0 {
                per[s].push((thread_cpu_s() - t) * 1e6 / n as f64);
            }
        }
    }
    for (s, (name, _)) in shapes.iter().enumerate() {
        per[s].sort_by(f64::total_cmp);
        println!(
            "{name:<11} {:6.2} µs CPU per request (median of {rounds} rounds; min {:.2}), last body {} bytes",
            per[s][per[s].len() / 2],
            per[s][0],
            bytes[s]
        );
    }
    Ok(())
}
