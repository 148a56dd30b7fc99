//! Snapping points to the graph: a uniform grid over the graph's road segments (each segment
//! listed in every cell its bounding box touches), searched ring by ring around the point.
//! Distances are exact great-circle distances to the segment taken as a 3-D chord on the unit
//! sphere (accurate at road-segment scale). A point snaps to the nearest point of the nearest
//! segment; the snap leg is walked at [`WALK_KMH`], then the point joins the graph at either end
//! of its segment, along the segment, in the directions the segment allows (one-way streets
//! included).
//!
//! Hand-written rather than an `rstar` tree for measured speed: `RTree::bulk_load` of the
//! ~16 M segments of a France-size graph took 33 s (single-threaded), far beyond the 5 s
//! start-up budget of `serve --graph`; this grid builds with one sort (see
//! `benches/routing_france.rs`, "snap index") and answers a snap from a handful of cells.
//!
//! Simplification: a place and a query point on the same segment are joined through the
//! segment's end nodes, never directly along it (an overestimate of at most one segment).

use super::build::WALK_KMH;
use super::graph::Graph;
use crate::geodesy::{EARTH_RADIUS_M, distance_for_chord2, to_sphere};

/// Grid cell side, 1e-7 degrees (0.01°: 1.1 km north-south, 0.75 km east-west in France).
const CELL: i64 = 100_000;

/// Nearest-segment index of one graph.
pub struct Snapper {
    /// Node longitudes and latitudes, 1e-7 degrees (a copy of the graph's).
    lon: Vec<i32>,
    lat: Vec<i32>,
    /// Occupied cells, sorted: `cell_key(cx, cy)`.
    keys: Vec<u64>,
    /// `segments[starts[i]..starts[i + 1]]` are the segments touching cell `keys[i]`.
    starts: Vec<u32>,
    /// Segments `(u, v)` (one per road piece), grouped by cell.
    segments: Vec<(u32, u32)>,
}

fn cell_of(e7: i32) -> i64 {
    i64::from(e7).div_euclid(CELL)
}

fn cell_key(cx: i64, cy: i64) -> u64 {
    // cells of valid coordinates fit in 32 bits each way (|lon| ≤ 180° is 18 000 cells)
    ((cy as u64 & 0xFFFF_FFFF) << 32) | (cx as u64 & 0xFFFF_FFFF)
}

/// A point snapped to a road segment `u`–`v` at `fraction` of the way from `u` to `v`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    pub u: u32,
    pub v: u32,
    pub fraction: f64,
    /// Distance from the point to the road, metres (walked at [`WALK_KMH`]).
    pub distance_m: f64,
}

/// A way between a snapped point and a graph node: the node, and the time (ms) and length (dm)
/// between the point and the node (snap leg + part of the segment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leg {
    pub node: u32,
    pub ms: u32,
    pub dm: u32,
}

/// Milliseconds to walk `metres` at [`WALK_KMH`].
pub fn walk_ms(metres: f64) -> u32 {
    (metres / (WALK_KMH / 3.6) * 1000.0).round() as u32
}

/// The cheapest arc `from → to`: `(weight_ms, length_dm)`.
fn arc(g: &Graph, from: u32, to: u32) -> Option<(u32, u32)> {
    g.arcs(from)
        .filter(|&a| g.targets[a] == to)
        .map(|a| (g.weights[a], g.lengths[a]))
        .min()
}

impl Snap {
    fn leg(&self, node: u32, part: f64, arc: (u32, u32)) -> Leg {
        Leg {
            node,
            ms: walk_ms(self.distance_m) + (part * f64::from(arc.0)).round() as u32,
            dm: (self.distance_m * 10.0).round() as u32 + (part * f64::from(arc.1)).round() as u32,
        }
    }

    /// Leaving the point: the end nodes reachable along the segment.
    pub fn departures(&self, g: &Graph) -> Vec<Leg> {
        let mut out = Vec::with_capacity(2);
        if let Some(a) = arc(g, self.u, self.v) {
            out.push(self.leg(self.v, 1.0 - self.fraction, a));
        }
        if let Some(a) = arc(g, self.v, self.u) {
            out.push(self.leg(self.u, self.fraction, a));
        }
        out
    }

    /// Reaching the point: the end nodes it can be reached from along the segment.
    pub fn arrivals(&self, g: &Graph) -> Vec<Leg> {
        let mut out = Vec::with_capacity(2);
        if let Some(a) = arc(g, self.u, self.v) {
            out.push(self.leg(self.u, self.fraction, a));
        }
        if let Some(a) = arc(g, self.v, self.u) {
            out.push(self.leg(self.v, 1.0 - self.fraction, a));
        }
        out
    }
}

impl Snapper {
    pub fn new(g: &Graph) -> Snapper {
        // (cell, segment) pairs, then one sort groups them by cell
        let mut pairs: Vec<(u64, (u32, u32))> = Vec::with_capacity(g.arc_count() / 2 + 16);
        for u in 0..g.node_count() as u32 {
            for a in g.arcs(u) {
                let v = g.targets[a];
                // one segment per road piece: two-way pieces are indexed from their lower end
                if u < v || arc(g, v, u).is_none() {
                    let (x0, x1) = min_max(cell_of(g.lon[u as usize]), cell_of(g.lon[v as usize]));
                    let (y0, y1) = min_max(cell_of(g.lat[u as usize]), cell_of(g.lat[v as usize]));
                    for cy in y0..=y1 {
                        for cx in x0..=x1 {
                            pairs.push((cell_key(cx, cy), (u, v)));
                        }
                    }
                }
            }
        }
        pairs.sort_unstable_by_key(|p| p.0);
        let mut keys = Vec::new();
        let mut starts = Vec::new();
        for (i, p) in pairs.iter().enumerate() {
            if keys.last() != Some(&p.0) {
                keys.push(p.0);
                starts.push(i as u32);
            }
        }
        starts.push(pairs.len() as u32);
        Snapper {
            lon: g.lon.clone(),
            lat: g.lat.clone(),
            keys,
            starts,
            segments: pairs.into_iter().map(|p| p.1).collect(),
        }
    }

    fn sphere(&self, u: u32) -> [f64; 3] {
        to_sphere(
            f64::from(self.lon[u as usize]) * 1e-7,
            f64::from(self.lat[u as usize]) * 1e-7,
        )
    }

    fn cell(&self, cx: i64, cy: i64) -> &[(u32, u32)] {
        match self.keys.binary_search(&cell_key(cx, cy)) {
            Ok(i) => &self.segments[self.starts[i] as usize..self.starts[i + 1] as usize],
            Err(_) => &[],
        }
    }

    /// The nearest road point within `max_m` metres of `(lon, lat)`.
    pub fn snap(&self, lon: f64, lat: f64, max_m: f64) -> Option<Snap> {
        if !(lon.is_finite() && lat.is_finite()) || self.keys.is_empty() {
            return None;
        }
        let p = to_sphere(lon, lat);
        let (cx, cy) = (cell_of((lon * 1e7) as i32), cell_of((lat * 1e7) as i32));
        // the narrowest cell side within reach bounds how far a ring of cells is at least
        let cell_deg = CELL as f64 * 1e-7;
        let reach_deg = (max_m / EARTH_RADIUS_M).to_degrees();
        let widest_lat = (lat.abs() + reach_deg + cell_deg).min(89.9);
        let side_m = (cell_deg.to_radians() * EARTH_RADIUS_M) * widest_lat.to_radians().cos();
        let rings = (max_m / side_m).ceil() as i64 + 1;
        let mut best: Option<(f64, u32, u32, f64)> = None;
        for r in 0..=rings {
            // every cell of ring r is at least (r - 1) cell sides from the point (1 % margin for
            // great-circle vs along-the-parallel distances)
            let floor_m = (r - 1).max(0) as f64 * side_m * 0.99;
            if floor_m > max_m || best.is_some_and(|b| b.0 < floor_m) {
                break;
            }
            for (x, y) in ring(cx, cy, r) {
                for &(u, v) in self.cell(x, y) {
                    let (d, fraction) = point_segment(p, self.sphere(u), self.sphere(v));
                    if best.is_none_or(|b| (d, u, v) < (b.0, b.1, b.2)) {
                        best = Some((d, u, v, fraction));
                    }
                }
            }
        }
        let (distance_m, u, v, fraction) = best?;
        (distance_m <= max_m).then_some(Snap {
            u,
            v,
            fraction,
            distance_m,
        })
    }
}

fn min_max(a: i64, b: i64) -> (i64, i64) {
    (a.min(b), a.max(b))
}

/// The cells at Chebyshev distance `r` from `(cx, cy)`.
fn ring(cx: i64, cy: i64, r: i64) -> impl Iterator<Item = (i64, i64)> {
    (cy - r..=cy + r).flat_map(move |y| {
        let edge = y == cy - r || y == cy + r;
        let step = if edge || r == 0 { 1 } else { 2 * r };
        (cx - r..=cx + r)
            .step_by(step as usize)
            .map(move |x| (x, y))
    })
}

/// Distance (metres) from `p` to the chord `a`–`b` on the unit sphere, and the fraction of the
/// way from `a` to `b` of the nearest point.
fn point_segment(p: [f64; 3], a: [f64; 3], b: [f64; 3]) -> (f64, f64) {
    let ab = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    let ap = [p[0] - a[0], p[1] - a[1], p[2] - a[2]];
    let len2 = ab[0] * ab[0] + ab[1] * ab[1] + ab[2] * ab[2];
    let fraction = if len2 > 0.0 {
        ((ap[0] * ab[0] + ap[1] * ab[1] + ap[2] * ab[2]) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let q = [
        a[0] + fraction * ab[0],
        a[1] + fraction * ab[1],
        a[2] + fraction * ab[2],
    ];
    let chord2 = (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2);
    (distance_for_chord2(chord2), fraction)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::synthetic::road_like;

    /// Brute force over every segment: the oracle.
    fn brute(g: &Graph, lon: f64, lat: f64, max_m: f64) -> Option<f64> {
        let p = to_sphere(lon, lat);
        let s = |u: u32| {
            let (x, y) = g.coord(u);
            to_sphere(x, y)
        };
        let mut best: Option<f64> = None;
        for u in 0..g.node_count() as u32 {
            for a in g.arcs(u) {
                let d = point_segment(p, s(u), s(g.targets[a])).0;
                best = Some(best.map_or(d, |b: f64| b.min(d)));
            }
        }
        best.filter(|&d| d <= max_m)
    }

    #[test]
    fn grid_snap_matches_brute_force() {
        let g = road_like(20_000, 7);
        let snapper = Snapper::new(&g);
        let [x0, y0, x1, y1] = g.bbox();
        let mut rng = crate::testdata::Rng::new(12345);
        let (mut found, mut none) = (0, 0);
        for i in 0..400 {
            // some points well outside the graph, so the limit matters
            let pad = if i % 4 == 0 { 0.2 } else { 0.0 };
            let lon = rng.range(x0 - pad, x1 + pad);
            let lat = rng.range(y0 - pad, y1 + pad);
            for max_m in [150.0, 2_000.0, 20_000.0] {
                let want = brute(&g, lon, lat, max_m);
                let got = snapper.snap(lon, lat, max_m).map(|s| s.distance_m);
                assert_eq!(
                    want.is_some(),
                    got.is_some(),
                    "{lon},{lat} max {max_m}: brute {want:?}, grid {got:?}"
                );
                if let (Some(w), Some(g)) = (want, got) {
                    assert!((w - g).abs() < 1e-6, "{lon},{lat} max {max_m}: {w} vs {g}");
                    found += 1;
                } else {
                    none += 1;
                }
            }
        }
        // both outcomes are exercised: snapped, and nothing within the limit
        assert!(found > 400 && none > 100, "{found} snapped, {none} not");
    }
}
