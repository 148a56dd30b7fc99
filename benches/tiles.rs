//! Clustered tile encoding after warm-up (hierarchy built once, as the server does), and the
//! build of every level of a hierarchy with its own base (see `tiles_cold.rs` for the cost of a
//! new filter over a shared base), on the
//! 34 875 commune centroids of `../shared/data` (skipped when absent) and on 20 000 synthetic
//! places. Tiles cycle over every tile holding at least one point at zooms 5, 8, 11 and 14.

use std::collections::BTreeSet;
use std::hint::black_box;
use std::io::Read;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use lieux::Dataset;
use lieux::model::Position;
use lieux::testdata::{lieu, synthetic_lieux};
use lieux::tiles::{ClusterOptions, Hierarchy, TileCoord, lonlat_to_unit, mvt};

fn communes() -> Option<Vec<lieux::model::Lieu>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/communes/communes-france.csv.gz");
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).ok()?)
        .read_to_string(&mut text)
        .ok()?;
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let h = rdr.headers().ok()?.clone();
    let col = |n: &str| h.iter().position(|x| x == n);
    let (code, typ, lon, lat) = (
        col("code_insee")?,
        col("type")?,
        col("centroid_lon")?,
        col("centroid_lat")?,
    );
    Some(
        rdr.records()
            .filter_map(Result::ok)
            .filter(|r| &r[typ] == "COM")
            .filter_map(|r| {
                let p = Position::new_checked(r[lon].parse().ok()?, r[lat].parse().ok()?)?;
                Some(lieu(format!("c{}", &r[code]), Some(p)))
            })
            .collect(),
    )
}

fn tiles_of(ds: &Dataset) -> Vec<TileCoord> {
    let mut set = BTreeSet::new();
    for z in [5u8, 8, 11, 14] {
        let n = f64::from(1u32 << z);
        for p in ds.lieux().iter().filter_map(|l| l.position) {
            let [x, y] = lonlat_to_unit(p.lon, p.lat);
            if let Some(c) = TileCoord::new_checked(z, (x * n) as u32, (y * n) as u32) {
                set.insert((c.z, c.x, c.y));
            }
        }
    }
    set.into_iter()
        .filter_map(|(z, x, y)| TileCoord::new_checked(z, x, y))
        .collect()
}

fn bench_set(c: &mut Criterion, name: &str, ds: &Dataset) {
    let points = ds
        .lieux()
        .iter()
        .enumerate()
        .filter_map(|(i, l)| l.position.map(|p| (i as u32, p.lon, p.lat)));
    let h = Hierarchy::build(points, ClusterOptions::default());
    // every level built before the tiles are timed, as after a warm-up
    black_box(h.tile(0, 0, 0, 0.0));
    let tiles = tiles_of(ds);
    let mut g = c.benchmark_group("tile");
    let mut i = 0;
    g.bench_function(BenchmarkId::new(name, ds.positioned()), |b| {
        b.iter(|| {
            i = (i + 1) % tiles.len();
            black_box(mvt::encode(ds, &h, tiles[i]))
        })
    });
    g.finish();
    let mut g = c.benchmark_group("hierarchy");
    g.sample_size(10);
    g.bench_function(BenchmarkId::new(name, ds.positioned()), |b| {
        b.iter(|| {
            let points = ds
                .lieux()
                .iter()
                .enumerate()
                .filter_map(|(i, l)| l.position.map(|p| (i as u32, p.lon, p.lat)));
            // levels are built on demand: a z0 tile builds them all
            black_box(Hierarchy::build(points, ClusterOptions::default()).tile(0, 0, 0, 0.0))
        })
    });
    g.finish();
}

fn tiles(c: &mut Criterion) {
    if let Some(communes) = communes() {
        bench_set(c, "communes", &Dataset::new(communes));
    } else {
        eprintln!("skipping the commune set: ../shared/data is absent");
    }
    bench_set(c, "synthetic", &Dataset::new(synthetic_lieux(20_000, 42)));
}

criterion_group!(benches, tiles);
criterion_main!(benches);
