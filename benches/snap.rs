//! The snapping index at France scale (`serve --graph` builds it at start-up): build time and
//! snap speed of [`lieux::routing::snap::Snapper`] (a grid over road segments) against an
//! `rstar` R-tree bulk-loaded with the same segments (what it replaced), on the generated
//! road-like graph. `LIEUX_BENCH_NODES` sets the node count (default 9 M, France size).
//!
//! Prints wall and thread-CPU time (the VM is shared); builds are timed once each (seconds
//! long), snaps as the mean over 20 000 random points of the graph's bbox (limit 1 km).

#[path = "common/clock.rs"]
mod clock;

use clock::timed;
use lieux::index::{distance_for_chord2, to_sphere};
use lieux::routing::snap::Snapper;
use lieux::routing::synthetic;
use rstar::RTree;
use rstar::primitives::{GeomWithData, Line};

type Segment = GeomWithData<Line<[f64; 3]>, (u32, u32)>;

fn main() {
    let n = std::env::var("LIEUX_BENCH_NODES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(synthetic::FRANCE_NODES);
    let g = synthetic::road_like(n, 1);
    eprintln!("graph: {} nodes, {} arcs", g.node_count(), g.arc_count());

    let (snapper, w, c) = timed(|| Snapper::new(&g));
    eprintln!("grid build:  {:.2} s wall, {:.2} s CPU", w / 1e3, c / 1e3);

    let (tree, w, c) = timed(|| {
        let p = |u: u32| {
            let (lon, lat) = g.coord(u);
            to_sphere(lon, lat)
        };
        let mut segments = Vec::with_capacity(g.arc_count() / 2);
        for u in 0..g.node_count() as u32 {
            for a in g.arcs(u) {
                let v = g.targets[a];
                if u < v || !g.arcs(v).any(|b| g.targets[b] == u) {
                    segments.push(Segment::new(Line::new(p(u), p(v)), (u, v)));
                }
            }
        }
        RTree::bulk_load(segments)
    });
    eprintln!(
        "rstar build: {:.2} s wall, {:.2} s CPU ({} segments)",
        w / 1e3,
        c / 1e3,
        tree.size()
    );

    let [x0, y0, x1, y1] = g.bbox();
    let mut rng = lieux::testdata::Rng::new(99);
    let points: Vec<(f64, f64)> = (0..20_000)
        .map(|_| (rng.range(x0, x1), rng.range(y0, y1)))
        .collect();
    let (grid_sum, w_grid, c_grid) = timed(|| {
        points
            .iter()
            .filter_map(|&(x, y)| snapper.snap(x, y, 1_000.0))
            .map(|s| s.distance_m)
            .sum::<f64>()
    });
    let (tree_sum, w_tree, c_tree) = timed(|| {
        points
            .iter()
            .filter_map(|&(x, y)| {
                let p = to_sphere(x, y);
                let s = tree.nearest_neighbor(p)?;
                let (a, b) = (s.geom().from, s.geom().to);
                let ab = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
                let len2: f64 = ab.iter().map(|v| v * v).sum();
                let t = if len2 > 0.0 {
                    ((0..3).map(|i| (p[i] - a[i]) * ab[i]).sum::<f64>() / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let chord2: f64 = (0..3).map(|i| (p[i] - a[i] - t * ab[i]).powi(2)).sum();
                Some(distance_for_chord2(chord2)).filter(|&d| d <= 1_000.0)
            })
            .sum::<f64>()
    });
    let k = points.len() as f64;
    eprintln!(
        "snap, mean per point: grid {:.2} µs wall ({:.2} µs CPU), rstar {:.2} µs wall ({:.2} µs CPU); sums of distances agree: {}",
        w_grid * 1e3 / k,
        c_grid * 1e3 / k,
        w_tree * 1e3 / k,
        c_tree * 1e3 / k,
        (grid_sum - tree_sum).abs() < 1e-3 * grid_sum.max(1.0)
    );
}
