//! Road routing on the Andorra extract (`../shared/data/osm/`): 30-minute car search, and the
//! same search plus its isochrone polygon, on the compact graph and on the uncontracted one
//! (every way node a node, issue 18: first printed as thread-CPU medians of alternating
//! rounds, the figures to quote on a loaded machine); and one search turn by turn against node
//! by node on the same arcs (what turn costs and restrictions cost). Skipped (no benchmark
//! registered) when the shared data is absent.

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "common/clock.rs"]
mod clock;
use lieux::Dataset;
use lieux::routing::search::{self, Origin};
use lieux::routing::{Located, Profile, Router, isochrone};

fn routing(c: &mut Criterion) {
    let osm = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/osm/andorra-2020-05-01.osm.pbf");
    let Ok((net, _)) = lieux::routing::build::build(&osm, false) else {
        eprintln!("skipping: {} is absent or unreadable", osm.display());
        return;
    };
    let ds = Dataset::new(Vec::new());
    let router = Router::new(net, &ds, 1_000.0);
    // Andorra la Vella
    let (lon, lat) = (1.5218, 42.5063);
    let Located::OnGraph(s) = router.locate(Profile::Car, lon, lat) else {
        eprintln!("skipping: origin not on the graph");
        return;
    };
    let Ok((full, _)) = lieux::routing::build::build_uncontracted(&[&osm], false) else {
        return;
    };
    let full = Router::new(full, &ds, 1_000.0);
    let Located::OnGraph(fs) = full.locate(Profile::Car, lon, lat) else {
        return;
    };
    // thread CPU per query, median over alternating rounds of 20 queries
    let polygon = |r: &Router, s| {
        let tree = r.tree(Profile::Car, s, 1_800);
        let g = r.network().graph(Profile::Car);
        isochrone::polygons(
            g,
            &tree,
            (lon, lat),
            &[1_800],
            isochrone::cell_m(Profile::Car, 1_800),
        )
        .len()
    };
    let rounds = clock::env("ROUNDS", 15);
    let (mut cs, mut fsr, mut cp, mut fp) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let per =
            |f: &dyn Fn() -> usize| clock::timed(|| (0..20).map(|_| f()).sum::<usize>()).2 / 20.0;
        cs.push(per(&|| router.tree(Profile::Car, s, 1_800).settled.len()));
        fsr.push(per(&|| full.tree(Profile::Car, fs, 1_800).settled.len()));
        cp.push(per(&|| polygon(&router, s)));
        fp.push(per(&|| polygon(&full, fs)));
    }
    let g = router.network().graph(Profile::Car);
    let fg = full.network().graph(Profile::Car);
    eprintln!(
        "andorra car 30 min, thread CPU ms per query (median of {rounds} alternating rounds): \
         search compact {:.2} ({} nodes / {} arcs), uncontracted {:.2} ({} / {}); \
         search + polygon compact {:.2}, uncontracted {:.2}",
        clock::median(&mut cs),
        g.node_count(),
        g.arc_count(),
        clock::median(&mut fsr),
        fg.node_count(),
        fg.arc_count(),
        clock::median(&mut cp),
        clock::median(&mut fp),
    );
    c.bench_function("andorra car 30 min search, uncontracted", |b| {
        b.iter(|| full.tree(Profile::Car, fs, 1_800).settled.len())
    });
    c.bench_function("andorra car 30 min search", |b| {
        b.iter(|| router.tree(Profile::Car, s, 1_800).settled.len())
    });
    c.bench_function("andorra car 30 min search + polygon", |b| {
        b.iter(|| {
            let tree = router.tree(Profile::Car, s, 1_800);
            isochrone::polygons(
                router.network().graph(Profile::Car),
                &tree,
                (lon, lat),
                &[1_800],
                isochrone::cell_m(Profile::Car, 1_800),
            )
        })
    });
    // The cost of turns alone: the same car graph and origin node searched turn by turn (car)
    // and node by node (the same arcs relabelled as a walk graph, which keeps no turn data).
    let car = router.network().graph(Profile::Car);
    let mut plain = car.clone();
    plain.profile = Profile::Walk;
    plain.turns = Default::default();
    let from = [Origin {
        node: s.u,
        offset_ms: 0,
        offset_dm: 0,
        by_arc: None,
    }];
    c.bench_function("andorra car 30 min search from a node, turn by turn", |b| {
        b.iter(|| search::bounded(car, &from, 1_800_000).settled.len())
    });
    c.bench_function("andorra car 30 min search from a node, node by node", |b| {
        b.iter(|| search::bounded(&plain, &from, 1_800_000).settled.len())
    });
}

criterion_group!(benches, routing);
criterion_main!(benches);
