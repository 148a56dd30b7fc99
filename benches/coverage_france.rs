//! Coverage at France scale: every commune × every France Services on the generated
//! France-size road graph ([`lieux::routing::synthetic`], 9 M requested nodes), printed figures
//! (not criterion: one computation takes seconds; the VM is shared, so wall and thread-CPU
//! times are both printed, with medians over `LIEUX_BENCH_RUNS` runs, default 3).
//!
//! Baselines measured in the same run:
//! - the same multi-source search with the existing binary-heap Dijkstra
//!   ([`lieux::routing::search::bounded`], unbounded, on the transposed graph);
//! - one single-source search per commune ([`lieux::routing::Router::closest`], k = 1) on a
//!   sample of communes, extrapolated to all of them.
//!
//! `cargo bench --bench coverage_france` (needs ../shared/data/communes; `LIEUX_BENCH_NODES`
//! sets the node count). Generating the graph takes ~1 min and ~3 GB.
//!
//! `LIEUX_BENCH_GRAPH=FILE` reads a graph file instead (the compact graph `lieux graph build`
//! made of a `lieux graph synth` PBF: `benches/france_build.sh` with `KEEP=1`), whose car graph
//! is turn-aware: the coverage then runs the turn-by-turn search, and the binary-heap baseline
//! (a node search, other times) is skipped.

#[path = "common/clock.rs"]
mod clock;

use clock::{env, median, timed};
use lieux::Dataset;
use lieux::coverage::search::{ReverseGraph, Source, nearest_places};
use lieux::coverage::{Method, Prepared, commune_list, compute};
use lieux::filter::Filter;
use lieux::routing::graph::Arc;
use lieux::routing::search::{Origin, bounded};
use lieux::routing::{Graph, Profile, RoadNetwork, Router, synthetic};

fn transpose(g: &Graph) -> Graph {
    let mut arcs = Vec::with_capacity(g.arc_count());
    for u in 0..g.node_count() as u32 {
        for a in g.arcs(u) {
            arcs.push(Arc {
                from: g.targets[a],
                to: u,
                weight_ms: g.weights[a],
                length_dm: g.lengths[a],
            });
        }
    }
    Graph::from_arcs(g.profile, g.lon.clone(), g.lat.clone(), arcs)
}

fn main() {
    let n = env("LIEUX_BENCH_NODES", synthetic::FRANCE_NODES);
    let runs = env("LIEUX_BENCH_RUNS", 3).max(1);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/communes/communes-france.csv.gz");
    let Ok(list) = commune_list::read(&path) else {
        eprintln!("skipping: {} is absent", path.display());
        return;
    };
    let Ok(ds) = Dataset::embedded() else {
        eprintln!("embedded data unreadable");
        return;
    };
    let filter = Filter::default();
    let (net, gen_ms, _) = timed(|| match std::env::var_os("LIEUX_BENCH_GRAPH") {
        Some(p) => RoadNetwork::load(std::path::Path::new(&p)).expect("LIEUX_BENCH_GRAPH: a graph"),
        None => RoadNetwork {
            car: synthetic::road_like(n, 1),
            walk: Graph::from_arcs(Profile::Walk, vec![0], vec![0], vec![]),
        },
    });
    let g = &net.car;
    println!(
        "graph: {} nodes, {} arcs{} ({} in {:.1} s)",
        g.node_count(),
        g.arc_count(),
        if g.turn_aware() { ", turn-aware" } else { "" },
        if std::env::var_os("LIEUX_BENCH_GRAPH").is_some() {
            "read"
        } else {
            "generated"
        },
        gen_ms / 1e3
    );
    let (prepared, index_ms, index_cpu) = timed(|| Prepared::new(g));
    println!(
        "snapping index (R-tree over road segments, built once per graph, as `serve --graph` \
         does): {:.1} s wall, {:.1} s CPU",
        index_ms / 1e3,
        index_cpu / 1e3
    );
    let max_snap_m = 1000.0;
    let (mut wall, mut cpu, mut search_wall, mut communes_wall) = (vec![], vec![], vec![], vec![]);
    let mut last = None;
    for _ in 0..runs {
        let ((times, stats), w, c) =
            timed(|| compute(&prepared, &ds, &filter, list.clone(), max_snap_m, || {}));
        wall.push(w);
        cpu.push(c);
        search_wall.push(stats.search.as_secs_f64() * 1e3);
        communes_wall.push(stats.communes.as_secs_f64() * 1e3);
        last = Some((times, stats));
    }
    let Some((times, stats)) = last else { return };
    let count = |m: Method| times.iter().filter(|t| t.method == m).count();
    println!(
        "coverage, {} communes × {} France Services ({} on the graph): median of {runs}: \
         {:.2} s wall ({:.2} s CPU) = search {:.2} s (snap places, transpose, radix-heap \
         Dijkstra settling {} nodes) + communes {:.2} s; {} road, {} straight-line, {} without time",
        times.len(),
        stats.places,
        stats.places_on_graph,
        median(&mut wall) / 1e3,
        median(&mut cpu) / 1e3,
        median(&mut search_wall) / 1e3,
        stats.nodes_settled,
        median(&mut communes_wall) / 1e3,
        count(Method::Road),
        count(Method::StraightLine),
        count(Method::None)
    );

    // Baseline 1: the same multi-source search with the binary-heap Dijkstra.
    if !g.turn_aware() {
        binary_heap_baseline(&prepared, &ds, &filter, max_snap_m);
    }

    // Baseline 2: one single-source search per commune, on a sample.
    let sample = env("LIEUX_BENCH_SAMPLE", 100);
    let router = Router::new(net.clone(), &ds, max_snap_m);
    let points: Vec<(f64, f64)> = list
        .iter()
        .filter_map(|c| c.point)
        .filter(|&(x, y)| (-5.0..9.6).contains(&x) && (41.3..51.2).contains(&y))
        .step_by((list.len() / sample).max(1))
        .take(sample)
        .collect();
    let (done, per_ms, _) = timed(|| {
        points
            .iter()
            .filter_map(|&(x, y)| match router.locate(Profile::Car, x, y) {
                lieux::routing::Located::OnGraph(s) => {
                    Some(router.closest(Profile::Car, s, 1, |_| true))
                }
                _ => None,
            })
            .count()
    });
    let each = per_ms / points.len().max(1) as f64;
    println!(
        "one search per commune (Router::closest, k = 1), {} sampled ({} on the graph): \
         {:.1} ms each → {:.0} s for {} communes; multi-source coverage is {:.0}× faster",
        points.len(),
        done,
        each,
        each * times.len() as f64 / 1e3,
        times.len(),
        each * times.len() as f64 / median(&mut wall)
    );
}

/// The multi-source search with the radix heap against the binary-heap Dijkstra of
/// [`bounded`] on the transposed graph (node search: graphs without turn data).
fn binary_heap_baseline(prepared: &Prepared<'_>, ds: &Dataset, filter: &Filter, max_snap_m: f64) {
    let g = prepared.graph;
    let srcs: Vec<Source> = ds
        .all_matching(filter)
        .filter_map(|slot| {
            let p = ds.lieu(slot).position?;
            let s = prepared.snapper.snap(p.lon, p.lat, max_snap_m)?;
            Some(
                s.arrivals(g)
                    .into_iter()
                    .map(move |l| Source {
                        node: l.node,
                        offset_ms: l.ms,
                        place: slot,
                        by_arc: l.by_arc,
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .flatten()
        .collect();
    let rev = ReverseGraph::of(g);
    let (radix, radix_ms, _) = timed(|| nearest_places(&rev, &srcs));
    let tg = transpose(g);
    let origins: Vec<Origin> = srcs
        .iter()
        .map(|s| Origin {
            node: s.node,
            offset_ms: s.offset_ms,
            offset_dm: 0,
            by_arc: None,
        })
        .collect();
    let (tree, heap_ms, _) = timed(|| bounded(&tg, &origins, u32::MAX - 1));
    assert_eq!(
        tree.time_ms, radix.time_ms,
        "both queues give the same times"
    );
    println!(
        "multi-source search alone: radix heap {:.2} s, binary heap {:.2} s ({:.1}× faster), \
         same times on every node",
        radix_ms / 1e3,
        heap_ms / 1e3,
        heap_ms / radix_ms
    );
    drop((tg, tree));
}
