//! Road routing on the Andorra extract (`../shared/data/osm/`): 30-minute car search, and the
//! same search plus its isochrone polygon. Skipped (no benchmark registered) when the shared
//! data is absent.

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use lieux::Dataset;
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
                isochrone::default_cell_m(Profile::Car),
            )
        })
    });
}

criterion_group!(benches, routing);
criterion_main!(benches);
