//! Routing at France scale on the generated road-like graph ([`lieux::routing::synthetic`]):
//! 30-minute car search, the same plus its isochrone polygon, and the graph file's write and
//! load times. `LIEUX_BENCH_NODES` sets the requested node count (default 9 M, France size);
//! `LIEUX_BENCH_GRAPH=FILE` reads a graph file instead (the compact graph `lieux graph build`
//! made of a `lieux graph synth` PBF: `benches/france_build.sh` with `KEEP=1`).
//!
//! Prints per-query p50/p90 (wall and thread CPU time: the VM is shared) before the criterion
//! medians, and the polygon on the fixed 200 m grid (time, Jaccard and area ratio against the
//! scaled grid). Generating the 9 M-node graph takes ~1 min and ~3 GB; the graph file is ~1 GB, written to
//! `$CARGO_TARGET_DIR` (or `target/`) and removed at the end.

#[path = "common/clock.rs"]
mod clock;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clock::timed;
use criterion::{Criterion, criterion_group, criterion_main};
use geo::{Area, BooleanOps};
use lieux::routing::search::{Origin, bounded};
use lieux::routing::{Profile, RoadNetwork, isochrone, synthetic};

const ORIGINS: usize = 64;

fn nodes() -> usize {
    std::env::var("LIEUX_BENCH_NODES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(synthetic::FRANCE_NODES)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn p50_p90(v: &mut [f64]) -> String {
    v.sort_by(f64::total_cmp);
    format!(
        "p50 {:.1} ms, p90 {:.1} ms",
        percentile(v, 0.5),
        percentile(v, 0.9)
    )
}

fn france(c: &mut Criterion) {
    let n = nodes();
    let t = Instant::now();
    let net = match std::env::var_os("LIEUX_BENCH_GRAPH") {
        Some(p) => RoadNetwork::load(std::path::Path::new(&p)).expect("LIEUX_BENCH_GRAPH: a graph"),
        None => synthetic::road_like_network(n, 1),
    };
    let g = &net.car;
    eprintln!(
        "graph: car {} nodes / {} arcs, walk {} nodes / {} arcs, in {:.1} s",
        g.node_count(),
        g.arc_count(),
        net.walk.node_count(),
        net.walk.arc_count(),
        t.elapsed().as_secs_f64()
    );
    let origins: Vec<u32> = synthetic::sample_nodes(g, ORIGINS, 11);
    let from = |u: u32| {
        [Origin {
            node: u,
            offset_ms: 0,
            offset_dm: 0,
            by_arc: None,
        }]
    };
    // Per-query distribution, one pass over the origins (criterion below gives wall medians).
    // The first pass also fills the search's per-thread array pool, as a server's would be.
    let mut settled = Vec::new();
    let (mut search_wall, mut search_cpu) = (Vec::new(), Vec::new());
    let (mut polygon_wall, mut polygon_cpu) = (Vec::new(), Vec::new());
    let (mut fixed_wall, mut fixed_cpu) = (Vec::new(), Vec::new());
    let (mut jaccard, mut area_ratio) = (Vec::new(), Vec::new());
    for &u in &origins {
        let (tree, w, c) = timed(|| bounded(g, &from(u), 1_800_000));
        search_wall.push(w);
        search_cpu.push(c);
        let (polys, w, c) = timed(|| {
            isochrone::polygons(
                g,
                &tree,
                g.coord(u),
                &[1_800],
                isochrone::cell_m(Profile::Car, 1_800),
            )
        });
        polygon_wall.push(w);
        polygon_cpu.push(c);
        // the fixed 200 m grid (the cell before it scaled with the search's extent): time and
        // agreement, in the same run
        let (fine, w, c) = timed(|| {
            isochrone::polygons_fixed_cell(
                g,
                &tree,
                g.coord(u),
                &[1_800],
                isochrone::cell_m(Profile::Car, 1_800),
            )
        });
        fixed_wall.push(w);
        fixed_cpu.push(c);
        if let (Some(a), Some(b)) = (polys.first(), fine.first()) {
            let union = a.union(b).unsigned_area();
            if union > 0.0 {
                jaccard.push(a.intersection(b).unsigned_area() / union);
                area_ratio.push(a.unsigned_area() / b.unsigned_area());
            }
        }
        settled.push(tree.settled.len() as f64);
    }
    settled.sort_by(f64::total_cmp);
    eprintln!(
        "{ORIGINS} origins, 30 min car: settled nodes p10/p50/p90 {:.0}/{:.0}/{:.0}",
        percentile(&settled, 0.1),
        percentile(&settled, 0.5),
        percentile(&settled, 0.9),
    );
    eprintln!(
        "  search:  wall {}; CPU {}",
        p50_p90(&mut search_wall),
        p50_p90(&mut search_cpu)
    );
    eprintln!(
        "  polygon: wall {}; CPU {}",
        p50_p90(&mut polygon_wall),
        p50_p90(&mut polygon_cpu)
    );
    eprintln!(
        "  polygon on the fixed 200 m grid: wall {}; CPU {}",
        p50_p90(&mut fixed_wall),
        p50_p90(&mut fixed_cpu)
    );
    jaccard.sort_by(f64::total_cmp);
    area_ratio.sort_by(f64::total_cmp);
    eprintln!(
        "  scaled vs 200 m polygon: Jaccard min/p10/p50 {:.3}/{:.3}/{:.3}; area ratio p10/p50/p90 {:.3}/{:.3}/{:.3}",
        jaccard.first().copied().unwrap_or(f64::NAN),
        percentile(&jaccard, 0.1),
        percentile(&jaccard, 0.5),
        percentile(&area_ratio, 0.1),
        percentile(&area_ratio, 0.5),
        percentile(&area_ratio, 0.9),
    );
    let mut total_cpu: Vec<f64> = search_cpu
        .iter()
        .zip(&polygon_cpu)
        .map(|(a, b)| a + b)
        .collect();
    eprintln!("  search + polygon: CPU {}", p50_p90(&mut total_cpu));

    let mut group = c.benchmark_group("france");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    let mut i = 0;
    group.bench_function("car 30 min search", |b| {
        b.iter(|| {
            i = (i + 1) % origins.len();
            bounded(g, &from(origins[i]), 1_800_000).settled.len()
        })
    });
    group.bench_function("car 30 min search + polygon", |b| {
        b.iter(|| {
            i = (i + 1) % origins.len();
            let u = origins[i];
            let tree = bounded(g, &from(u), 1_800_000);
            isochrone::polygons(
                g,
                &tree,
                g.coord(u),
                &[1_800],
                isochrone::cell_m(Profile::Car, 1_800),
            )
        })
    });
    group.finish();

    // The graph file: one timed write, three timed loads (one read + checksum + validation);
    // each takes seconds, so no criterion loop.
    let dir = PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into()));
    let path = dir.join("france-synthetic.graph");
    let (saved, w, c) = timed(|| net.save(&path));
    if let Err(e) = saved {
        eprintln!("skipping the file figures: {e}");
        return;
    }
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "graph file: {:.0} MB, write {:.2} s wall ({:.2} s CPU)",
        size as f64 / 1e6,
        w / 1e3,
        c / 1e3
    );
    let (mut load_wall, mut load_cpu) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let (loaded, w, c) = timed(|| RoadNetwork::load(&path));
        match loaded {
            Ok(n) => assert_eq!(n.car.node_count(), g.node_count()),
            Err(e) => eprintln!("load failed: {e}"),
        }
        load_wall.push(w / 1e3);
        load_cpu.push(c / 1e3);
    }
    load_wall.sort_by(f64::total_cmp);
    load_cpu.sort_by(f64::total_cmp);
    eprintln!(
        "graph load (3 runs): median {:.2} s wall, {:.2} s CPU",
        load_wall[1], load_cpu[1]
    );
    let _ = std::fs::remove_file(&path);
}

criterion_group!(benches, france);
criterion_main!(benches);
