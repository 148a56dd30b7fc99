//! Query and start-up benches for the spatial index, each query measured against a brute-force
//! scan in the same run.
//!
//! Data: `lieux::testdata::synthetic_lieux(n, SEED)` for n in [`SIZES`] (override with
//! `LIEUX_BENCH_SIZES=20000,100000`), uniform over metropolitan France, ~10 % France Services.
//! Queries cycle through [`QUERIES`] seeded points over the same area, so successive iterations
//! touch different parts of the tree.
//!
//! Groups (ids are `group/variant/n`):
//! - `nearest10`: the 10 nearest places, no filter.
//! - `nearest10_france_services`: the 10 nearest France Services (the filter runs before
//!   ranking, so ~10× more candidates are visited).
//! - `bbox`: places in a 0.2° × 0.2° box (a map viewport at city zoom).
//! - `radius`: places within 5 km.
//! - `build`: `Dataset::new` on 20 000 places (the non-I/O part of start-up).
//!
//! The brute-force baseline is a fair one: positions are packed in a flat array (radians and
//! cos(lat) precomputed), the scan compares the haversine `a` term (monotone in the distance,
//! so no `asin`/`sqrt` per place), the filter runs only on places that would make the top k,
//! and the top k are kept in a bounded max-heap. Its results are checked against the index's
//! before anything is measured.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, Utc};
use criterion::{
    BatchSize, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, criterion_group,
    criterion_main, measurement::WallTime,
};
use lieux::Dataset;
use lieux::dataset::Hit;
use lieux::filter::Filter;
use lieux::index::{Bbox, EARTH_RADIUS_M, haversine_m, sort_hits};
use lieux::model::Position;
use lieux::testdata::{Rng, synthetic_lieux};

const SEED: u64 = 42;
const QUERY_SEED: u64 = 7;
const SIZES: [usize; 3] = [20_000, 100_000, 1_000_000];
const QUERIES: usize = 1_000;
const K: usize = 10;
const BOX_DEG: f64 = 0.2;
const RADIUS_M: f64 = 5_000.0;
/// From this size on, brute-force variants get few, flat samples so a run stays short.
const BIG: usize = 1_000_000;

/// One dataset and everything the queries need, built once per size.
struct Fixture {
    n: usize,
    ds: Dataset,
    brute: Brute,
    points: Vec<Position>,
    boxes: Vec<Bbox>,
    all: Filter,
    france_services: Filter,
}

impl Fixture {
    fn new(n: usize) -> Fixture {
        let ds = Dataset::new(synthetic_lieux(n, SEED));
        let brute = Brute::new(&ds);
        let points = query_points(QUERIES, QUERY_SEED);
        let boxes = points
            .iter()
            .map(|p| Bbox {
                min_lon: p.lon - BOX_DEG / 2.0,
                min_lat: p.lat - BOX_DEG / 2.0,
                max_lon: p.lon + BOX_DEG / 2.0,
                max_lat: p.lat + BOX_DEG / 2.0,
            })
            .collect();
        let fx = Fixture {
            n,
            ds,
            brute,
            points,
            boxes,
            all: Filter::default(),
            france_services: france_services_filter(),
        };
        fx.check();
        fx
    }

    /// The baseline must return what the index returns, or comparing them means nothing.
    fn check(&self) {
        let slots = |h: &[Hit]| h.iter().map(|h| h.slot).collect::<Vec<_>>();
        for (p, b) in self.points.iter().zip(&self.boxes).step_by(50) {
            for f in [&self.all, &self.france_services] {
                assert_eq!(
                    slots(&self.ds.nearest(*p, K, None, f)),
                    slots(&self.brute.nearest(&self.ds, *p, K, f)),
                    "nearest at {p:?}"
                );
            }
            assert_eq!(
                self.ds.within_bbox(b, &self.all),
                self.brute.within_bbox(&self.ds, b, &self.all),
                "bbox {b:?}"
            );
            assert_eq!(
                slots(&self.ds.within_radius(*p, RADIUS_M, &self.all)),
                slots(&self.brute.within_radius(&self.ds, *p, RADIUS_M, &self.all)),
                "radius at {p:?}"
            );
        }
    }

    /// Brute force on the biggest dataset takes milliseconds per query: few flat samples.
    fn brute_config(&self, g: &mut BenchmarkGroup<'_, WallTime>) {
        if self.n >= BIG {
            g.sample_size(10)
                .sampling_mode(SamplingMode::Flat)
                .warm_up_time(Duration::from_millis(500))
                .measurement_time(Duration::from_secs(3));
        }
    }
}

/// Seeded query points over the data's area (metropolitan France).
fn query_points(n: usize, seed: u64) -> Vec<Position> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| Position {
            lon: rng.range(-5.0, 9.5),
            lat: rng.range(41.3, 51.1),
        })
        .collect()
}

fn france_services_filter() -> Filter {
    let now: DateTime<Utc> = DateTime::UNIX_EPOCH;
    Filter::from_pairs(
        [("dispositif_programmes_nationaux", "France Services")],
        now,
    )
    .expect("valid filter")
}

/// Runs `query` on successive items of `inputs`, wrapping around.
fn cycling<T, R>(inputs: &[T], mut query: impl FnMut(&T) -> R) -> impl FnMut() -> R {
    let mut i = 0;
    move || {
        let r = query(&inputs[i]);
        i = (i + 1) % inputs.len();
        r
    }
}

/// A linear scan over packed positions: the baseline.
struct Brute {
    /// (lon, lat) in radians, cos(lat), slot; positioned places only, in slot order.
    points: Vec<([f64; 3], u32)>,
    /// (lon, lat) in degrees and slot, for boxes: packed apart so a box scan reads 24 bytes
    /// a place, not 56.
    degrees: Vec<([f64; 2], u32)>,
}

/// Max-heap entry ordered by `(a, slot)`: the root is the worst of the current top k.
#[derive(PartialEq)]
struct Cand(f64, u32);

impl Eq for Cand {}
impl PartialOrd for Cand {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Cand {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
    }
}

impl Brute {
    fn new(ds: &Dataset) -> Brute {
        let (points, degrees) = ds
            .lieux()
            .iter()
            .enumerate()
            .filter_map(|(slot, l)| {
                let p = l.position?;
                let lat = p.lat.to_radians();
                Some((
                    ([p.lon.to_radians(), lat, lat.cos()], slot as u32),
                    ([p.lon, p.lat], slot as u32),
                ))
            })
            .unzip();
        Brute { points, degrees }
    }

    /// Haversine `a` = sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2); distance = 2R asin(√a).
    #[inline]
    fn a(q: &[f64; 3], p: &[f64; 3]) -> f64 {
        let s_lat = ((p[1] - q[1]) * 0.5).sin();
        let s_lon = ((p[0] - q[0]) * 0.5).sin();
        s_lat * s_lat + q[2] * p[2] * s_lon * s_lon
    }

    fn query(at: Position) -> [f64; 3] {
        let lat = at.lat.to_radians();
        [at.lon.to_radians(), lat, lat.cos()]
    }

    fn hit(ds: &Dataset, slot: u32, at: Position) -> Hit {
        let p = ds.lieu(slot).position.expect("positioned");
        Hit {
            slot,
            distance_m: haversine_m(at.lon, at.lat, p.lon, p.lat),
        }
    }

    fn nearest(&self, ds: &Dataset, at: Position, k: usize, f: &Filter) -> Vec<Hit> {
        let q = Self::query(at);
        let all = f.is_empty();
        let mut heap: BinaryHeap<Cand> = BinaryHeap::with_capacity(k + 1);
        for (p, slot) in &self.points {
            let a = Self::a(&q, p);
            let cand = Cand(a, *slot);
            if heap.len() == k && heap.peek().is_some_and(|worst| cand >= *worst) {
                continue;
            }
            if !all && !ds.matches(*slot, f) {
                continue;
            }
            heap.push(cand);
            if heap.len() > k {
                heap.pop();
            }
        }
        let mut hits: Vec<Hit> = heap.into_iter().map(|c| Self::hit(ds, c.1, at)).collect();
        sort_hits(&mut hits);
        hits
    }

    fn within_bbox(&self, ds: &Dataset, b: &Bbox, f: &Filter) -> Vec<u32> {
        let all = f.is_empty();
        self.degrees
            .iter()
            .filter(|([lon, lat], _)| b.contains(*lon, *lat))
            .map(|(_, slot)| *slot)
            .filter(|slot| all || ds.matches(*slot, f))
            .collect()
    }

    fn within_radius(&self, ds: &Dataset, at: Position, radius_m: f64, f: &Filter) -> Vec<Hit> {
        let q = Self::query(at);
        let all = f.is_empty();
        // a for the radius, with slack: the exact check in metres follows.
        let max_a = (radius_m / EARTH_RADIUS_M * 0.5).sin().powi(2) * (1.0 + 1e-9);
        let mut hits: Vec<Hit> = self
            .points
            .iter()
            .filter(|(p, _)| Self::a(&q, p) <= max_a)
            .filter(|(_, slot)| all || ds.matches(*slot, f))
            .map(|(_, slot)| Self::hit(ds, *slot, at))
            .filter(|h| h.distance_m <= radius_m)
            .collect();
        sort_hits(&mut hits);
        hits
    }
}

fn bench_nearest(c: &mut Criterion, fx: &Fixture, name: &str, f: &Filter) {
    let mut g = c.benchmark_group(name);
    let ds = &fx.ds;
    g.bench_function(BenchmarkId::new("lieux", fx.n), |b| {
        b.iter(cycling(&fx.points, |p| {
            black_box(ds.nearest(*p, K, None, f))
        }))
    });
    fx.brute_config(&mut g);
    g.bench_function(BenchmarkId::new("brute_force", fx.n), |b| {
        b.iter(cycling(&fx.points, |p| {
            black_box(fx.brute.nearest(ds, *p, K, f))
        }))
    });
    g.finish();
}

fn bench_bbox(c: &mut Criterion, fx: &Fixture) {
    let mut g = c.benchmark_group("bbox");
    let ds = &fx.ds;
    g.bench_function(BenchmarkId::new("lieux", fx.n), |b| {
        b.iter(cycling(&fx.boxes, |bb| {
            black_box(ds.within_bbox(bb, &fx.all))
        }))
    });
    fx.brute_config(&mut g);
    g.bench_function(BenchmarkId::new("brute_force", fx.n), |b| {
        b.iter(cycling(&fx.boxes, |bb| {
            black_box(fx.brute.within_bbox(ds, bb, &fx.all))
        }))
    });
    g.finish();
}

fn bench_radius(c: &mut Criterion, fx: &Fixture) {
    let mut g = c.benchmark_group("radius");
    let ds = &fx.ds;
    g.bench_function(BenchmarkId::new("lieux", fx.n), |b| {
        b.iter(cycling(&fx.points, |p| {
            black_box(ds.within_radius(*p, RADIUS_M, &fx.all))
        }))
    });
    fx.brute_config(&mut g);
    g.bench_function(BenchmarkId::new("brute_force", fx.n), |b| {
        b.iter(cycling(&fx.points, |p| {
            black_box(fx.brute.within_radius(ds, *p, RADIUS_M, &fx.all))
        }))
    });
    g.finish();
}

fn sizes() -> Vec<usize> {
    match std::env::var("LIEUX_BENCH_SIZES") {
        Ok(s) => s
            .split(',')
            .map(|n| {
                n.trim()
                    .replace('_', "")
                    .parse()
                    .expect("LIEUX_BENCH_SIZES: numbers")
            })
            .collect(),
        Err(_) => SIZES.to_vec(),
    }
}

/// Query groups. One dataset lives at a time, so 1 M places never share memory with the others.
fn queries(c: &mut Criterion) {
    for n in sizes() {
        let fx = Fixture::new(n);
        bench_nearest(c, &fx, "nearest10", &fx.all);
        bench_nearest(c, &fx, "nearest10_france_services", &fx.france_services);
        bench_bbox(c, &fx);
        bench_radius(c, &fx);
    }
}

/// Start-up groups: one function per way of getting a `Dataset`, each listed in
/// `criterion_group!` below.
const STARTUP_N: usize = 20_000;

/// `Dataset::new`: sort, time zones, id map, both R-trees, content hash.
fn build(c: &mut Criterion) {
    let lieux = synthetic_lieux(STARTUP_N, SEED);
    let mut g = c.benchmark_group("build");
    g.sample_size(20);
    g.bench_function(BenchmarkId::new("dataset_new", STARTUP_N), |b| {
        b.iter_batched(
            || lieux.clone(),
            |l| black_box(Dataset::new(l)),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// Start-up from a snapshot: `Dataset::from_snapshot` on the bytes of a FlatGeobuf snapshot of
/// `synthetic_lieux(STARTUP_N, SEED)` (decode every property, parse every `horaires`, build).
/// This is what `lieux serve --snapshot` does after reading the file.
fn snapshot_load(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("lieux-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("synthetic.fgb");
    lieux::import::write_snapshot(&path, &synthetic_lieux(STARTUP_N, SEED))
        .expect("write snapshot");
    let bytes = std::fs::read(&path).expect("read snapshot");
    let _ = std::fs::remove_dir_all(&dir);
    let mut g = c.benchmark_group("startup");
    g.sample_size(20);
    g.bench_function(BenchmarkId::new("from_snapshot", STARTUP_N), |b| {
        b.iter(|| black_box(Dataset::from_snapshot(&bytes).expect("load")))
    });
    g.bench_function(BenchmarkId::new("embedded_france_services", 2657), |b| {
        b.iter(|| black_box(Dataset::embedded().expect("load")))
    });
    g.finish();
}

criterion_group!(benches, queries, build, snapshot_load);
criterion_main!(benches);
