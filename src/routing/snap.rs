//! Snapping points to the graph: a uniform grid over the graph's road segments (each segment
//! of each arc's shape listed in every cell its bounding box touches), searched ring by ring
//! around the point. Distances are exact great-circle distances to the segment taken as a 3-D
//! chord on the unit sphere (accurate at road-segment scale). A point snaps to the nearest
//! point of the nearest segment; the snap leg is walked at [`WALK_KMH`], then the point joins
//! the graph at either end of its arc, along the arc's shape, in the directions the road
//! allows (one-way streets included), at the times and lengths of the way nodes between
//! ([`super::geometry`]): the same as on a graph where every way node is a node.
//!
//! Hand-written rather than an `rstar` tree for measured speed: `RTree::bulk_load` of the
//! ~16 M segments of a France-size graph took 33 s (single-threaded), far beyond the 5 s
//! start-up budget of `serve --graph`; this grid builds with one sort (see
//! `benches/routing_france.rs`, "snap index") and answers a snap from a handful of cells. The
//! sort's result ([`SnapGrid`]) is stored in the graph file at build time: at France size even
//! the one sort was seconds of start-up.
//!
//! Ties (a point nearest to a way node two segments share) go to the segment with the smaller
//! end coordinates, each segment measured from its smaller end: the choice depends on the road
//! only, not on how the graph numbers it, so a compact graph and an uncontracted one snap alike.
//!
//! A place and a query point on the same arc are joined by the search through the arc's end
//! nodes only; [`Snap::along`] gives the way straight along the road between them, and the
//! router keeps the shorter of the two.

use super::build::WALK_KMH;
use super::geometry::{ArcPoints, REVERSED};
use super::graph::Graph;
pub use super::snap_grid::SnapGrid;
use super::tree::{Tree, UNREACHED};
use crate::geodesy::{EARTH_RADIUS_M, distance_for_chord2, to_sphere};

/// Grid cell side, 1e-7 degrees (0.01°: 1.1 km north-south, 0.75 km east-west in France).
const CELL: i64 = 100_000;

/// Nearest-segment index of one graph.
pub struct Snapper {
    /// The indexed arcs' points (each arc's points in a row, tail to head), 1e-7 degrees.
    lon: Vec<i32>,
    lat: Vec<i32>,
    /// Index of each indexed arc's first point (ascending), then the number of points.
    first: Vec<u32>,
    /// Each indexed arc: its number in the graph and its end nodes.
    arcs: Vec<(u32, u32, u32)>,
    /// Occupied cells, sorted: `cell_key(cx, cy)`.
    keys: Vec<u64>,
    /// `segments[starts[i]..starts[i + 1]]` are the segments touching cell `keys[i]`.
    starts: Vec<u32>,
    /// Segments by their first point `p` (the segment `p`–`p + 1`), grouped by cell.
    segments: Vec<u32>,
}

impl SnapGrid {
    /// The cells of the index of `g`.
    pub fn of(g: &Graph) -> SnapGrid {
        let (lon, lat, first, _) = indexed_points(g);
        SnapGrid::sorted(&lon, &lat, &first)
    }

    /// (cell, segment) pairs, then one sort groups them by cell.
    fn sorted(lon: &[i32], lat: &[i32], first: &[u32]) -> SnapGrid {
        let mut pairs: Vec<(u64, u32)> = Vec::with_capacity(lon.len() + 16);
        for w in first.windows(2) {
            for p in w[0] as usize..w[1] as usize - 1 {
                let (x0, x1) = min_max(cell_of(lon[p]), cell_of(lon[p + 1]));
                let (y0, y1) = min_max(cell_of(lat[p]), cell_of(lat[p + 1]));
                for cy in y0..=y1 {
                    for cx in x0..=x1 {
                        pairs.push((cell_key(cx, cy), p as u32));
                    }
                }
            }
        }
        pairs.sort_unstable();
        let mut keys = Vec::new();
        let mut starts = Vec::new();
        for (i, p) in pairs.iter().enumerate() {
            if keys.last() != Some(&p.0) {
                keys.push(p.0);
                starts.push(i as u32);
            }
        }
        starts.push(pairs.len() as u32);
        SnapGrid {
            keys,
            starts,
            segments: pairs.into_iter().map(|p| p.1).collect(),
        }
    }

    /// Do these cells fit the index of `g` (a graph file read back): cells sorted, runs in
    /// order, every segment between two points of one indexed arc? A corrupt file that passed
    /// its checksum is refused here rather than panicking at query time.
    pub fn check(&self, g: &Graph) -> Result<(), String> {
        if self.is_empty() {
            return Ok(());
        }
        let bad = |what: &str| Err(format!("snap grid: {what}"));
        if self.starts.len() != self.keys.len() + 1
            || self.starts.first() != Some(&0)
            || self.starts.last().map(|&l| l as usize) != Some(self.segments.len())
            || self.starts.windows(2).any(|w| w[0] > w[1])
        {
            return bad("cell runs do not span the segments");
        }
        if self.keys.windows(2).any(|w| w[0] >= w[1]) {
            return bad("cells not sorted");
        }
        // the last point of each indexed arc starts no segment
        let mut last: Vec<u64> = Vec::new();
        let mut points = 0usize;
        for_each_indexed(g, |u, a, _| {
            points += g.arc_points(u, a).len();
            last.resize((points).div_ceil(64), 0);
            last[(points - 1) / 64] |= 1 << ((points - 1) % 64);
        });
        let is_last = |p: usize| last[p / 64] & (1 << (p % 64)) != 0;
        if (self.segments.iter()).any(|&p| p as usize >= points || is_last(p as usize)) {
            return bad("segment out of range");
        }
        Ok(())
    }
}

/// Calls `f(u, a, v)` for each arc the index holds, in index order: one arc per road, a shape
/// from its forward arc, a two-way straight piece from its lower end.
fn for_each_indexed(g: &Graph, mut f: impl FnMut(u32, usize, u32)) {
    for u in 0..g.node_count() as u32 {
        for a in g.arcs(u) {
            let v = g.targets[a];
            let indexed = match g.geometry.shape(a) {
                Some((_, reversed)) => !reversed,
                None => {
                    u < v
                        || !g
                            .arcs(v)
                            .any(|b| g.targets[b] == u && g.geometry.shape(b).is_none())
                }
            };
            if indexed {
                f(u, a, v);
            }
        }
    }
}

/// The indexed arcs' points in a row (lon, lat), each arc's first point index (then the count)
/// and each arc's `(number, tail, head)`.
#[allow(clippy::type_complexity)]
fn indexed_points(g: &Graph) -> (Vec<i32>, Vec<i32>, Vec<u32>, Vec<(u32, u32, u32)>) {
    let (mut lon, mut lat, mut first, mut arcs) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for_each_indexed(g, |u, a, v| {
        first.push(lon.len() as u32);
        arcs.push((a as u32, u, v));
        for p in g.arc_points(u, a).iter() {
            lon.push(p.lon);
            lat.push(p.lat);
        }
    });
    first.push(lon.len() as u32);
    (lon, lat, first, arcs)
}

fn cell_of(e7: i32) -> i64 {
    i64::from(e7).div_euclid(CELL)
}

fn cell_key(cx: i64, cy: i64) -> u64 {
    // cells of valid coordinates fit in 32 bits each way (|lon| ≤ 180° is 18 000 cells)
    ((cy as u64 & 0xFFFF_FFFF) << 32) | (cx as u64 & 0xFFFF_FFFF)
}

/// A point snapped to segment `segment` of arc `arc` (`u` → `v`), at `fraction` of the way
/// along the segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    pub u: u32,
    pub v: u32,
    pub arc: u32,
    /// Segment of the arc's shape, from 0 at `u`.
    pub segment: u32,
    pub fraction: f64,
    /// Distance from the point to the road, metres (walked at [`WALK_KMH`]).
    pub distance_m: f64,
}

/// A way between a snapped point and a graph node: the node, and the time (ms) and length (dm)
/// between the point and the node (snap leg + part of the arc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leg {
    pub node: u32,
    pub ms: u32,
    pub dm: u32,
    /// The arc between the point and the node when the point lies inside its shape, not on
    /// the segment next to the node ([`super::search::Origin::by_arc`],
    /// [`super::search::Attached::by_arc`]).
    pub by_arc: Option<u32>,
}

impl Leg {
    /// When the search `tree` on `g` reaches the point by this arrival leg, `(ms, dm)`: from
    /// the leg's node, or, for a leg inside an arc's shape on a turn-aware graph, from when
    /// the search turned onto the arc ([`super::search::Attached::by_arc`]).
    pub fn reached_in(&self, g: &Graph, tree: &Tree) -> Option<(u32, u32)> {
        let (t, l) = match self.by_arc.filter(|_| g.turn_aware()) {
            Some(a) => tree.arc_entry(a, g.weights[a as usize], g.lengths[a as usize])?,
            None => match tree.time_ms.get(self.node as usize) {
                Some(&t) if t != UNREACHED => (t, tree.length_dm[self.node as usize]),
                _ => return None,
            },
        };
        Some((t.saturating_add(self.ms), l.saturating_add(self.dm)))
    }
}

/// A point this close to an end of its arc along the road (decimetres) lies on that node
/// ([`Snap::departures`], [`Snap::arrivals`]).
const AT_NODE_DM: f64 = 5.0;

/// Milliseconds to walk `metres` at [`WALK_KMH`].
pub fn walk_ms(metres: f64) -> u32 {
    (metres / (WALK_KMH / 3.6) * 1000.0).round() as u32
}

/// The arc of `s` or its twin (`forward` false: the arc `v → u` along the same road): for a
/// straight road the cheapest straight arc between the ends, for a shaped one the arc over the
/// same shape.
fn road_arc(g: &Graph, s: &Snap, forward: bool) -> Option<usize> {
    let (from, to) = if forward { (s.u, s.v) } else { (s.v, s.u) };
    match g.geometry.shape(s.arc as usize) {
        None => g
            .arcs(from)
            .filter(|&a| g.targets[a] == to && g.geometry.shape(a).is_none())
            .min_by_key(|&a| (g.weights[a], g.lengths[a], a)),
        Some(_) if forward => Some(s.arc as usize),
        Some(_) => {
            let twin = g.geometry.arc_shape[s.arc as usize] ^ REVERSED;
            g.arcs(from)
                .find(|&a| g.targets[a] == to && g.geometry.arc_shape[a] == twin)
        }
    }
}

/// Time (ms) and length (dm) from the tail of an arc to a position on it (segment `i`, `before`
/// of the segment behind), unrounded: what an arrival leg and [`Snap::along`] measure.
fn from_tail(pts: &ArcPoints<'_>, (i, before, _): (usize, f64, f64)) -> (f64, f64) {
    let (p, q) = (pts.get(i), pts.get(i + 1));
    (
        f64::from(p.ms) + before * f64::from(q.ms - p.ms),
        f64::from(p.dm) + before * f64::from(q.dm - p.dm),
    )
}

impl Snap {
    /// The leg between the point and an end of arc `a` (leaving `from`), the point being on
    /// segment `i` with `before` of the segment behind it and `after` ahead: to the head
    /// (`to_head`) or from the tail.
    fn leg(
        &self,
        g: &Graph,
        (from, a): (u32, usize),
        (i, before, after): (usize, f64, f64),
        to_head: bool,
    ) -> Leg {
        let pts = g.arc_points(from, a);
        let (p, q) = (pts.get(i), pts.get(i + 1));
        let part = |x: f64, y: u32| (x * f64::from(y)).round() as u32;
        // inside the shape: the node is not the way node next to the point
        let inside = if to_head { i + 2 < pts.len() } else { i > 0 };
        let (ms, dm, node) = if to_head {
            (
                part(after, q.ms - p.ms) + (g.weights[a] - q.ms),
                part(after, q.dm - p.dm) + (g.lengths[a] - q.dm),
                g.targets[a],
            )
        } else {
            let (ms, dm) = from_tail(&pts, (i, before, after));
            (ms.round() as u32, dm.round() as u32, from)
        };
        Leg {
            node,
            ms: walk_ms(self.distance_m) + ms,
            dm: (self.distance_m * 10.0).round() as u32 + dm,
            by_arc: inside.then_some(a as u32),
        }
    }

    /// The point's position on the twin arc (the same road backwards).
    fn mirrored(&self, g: &Graph) -> (usize, f64, f64) {
        let k = g.geometry.interior(self.arc as usize);
        (
            k - self.segment as usize,
            1.0 - self.fraction,
            self.fraction,
        )
    }

    fn here(&self) -> (usize, f64, f64) {
        (self.segment as usize, self.fraction, 1.0 - self.fraction)
    }

    /// Straight along the road from this point to `to`, snapped to the same road (the same
    /// indexed arc), when the road runs that way (one-way streets included): `(ms, dm)`, the
    /// walks to and from the road included.
    pub fn along(&self, g: &Graph, to: &Snap) -> Option<(u32, u32)> {
        if (self.arc, self.u, self.v) != (to.arc, to.u, to.v) {
            return None;
        }
        let forward = (self.segment, self.fraction) <= (to.segment, to.fraction);
        let (a, tail, here, there) = if forward {
            (road_arc(g, self, true)?, self.u, self.here(), to.here())
        } else {
            let a = road_arc(g, self, false)?;
            (a, self.v, self.mirrored(g), to.mirrored(g))
        };
        let pts = g.arc_points(tail, a);
        let ((t0, d0), (t1, d1)) = (from_tail(&pts, here), from_tail(&pts, there));
        let ms =
            (t1 - t0).max(0.0).round() as u32 + walk_ms(self.distance_m) + walk_ms(to.distance_m);
        let dm = (d1 - d0).max(0.0).round() as u32
            + ((self.distance_m + to.distance_m) * 10.0).round() as u32;
        Some((ms, dm))
    }

    /// Leaving the point: the end nodes reachable along the arc (and the end it lies on).
    pub fn departures(&self, g: &Graph) -> Vec<Leg> {
        let mut out = Vec::with_capacity(2);
        if let Some(a) = road_arc(g, self, true) {
            out.push(self.leg(g, (self.u, a), self.here(), true));
        }
        if let Some(b) = road_arc(g, self, false) {
            out.push(self.leg(g, (self.v, b), self.mirrored(g), true));
        }
        self.at_ends(g, out)
    }

    /// Reaching the point: the end nodes it can be reached from along the arc (and the end it
    /// lies on).
    pub fn arrivals(&self, g: &Graph) -> Vec<Leg> {
        let mut out = Vec::with_capacity(2);
        if let Some(a) = road_arc(g, self, true) {
            out.push(self.leg(g, (self.u, a), self.here(), false));
        }
        if let Some(b) = road_arc(g, self, false) {
            out.push(self.leg(g, (self.v, b), self.mirrored(g), false));
        }
        self.at_ends(g, out)
    }

    /// `legs` and a leg to each end of the arc the point lies on (under [`AT_NODE_DM`] along
    /// the road) that `legs` lacks: a point at a node joins the graph at that node, whichever
    /// way its arc runs (the head of a one-way arc is reached by the node's other roads too).
    fn at_ends(&self, g: &Graph, mut legs: Vec<Leg>) -> Vec<Leg> {
        let a = self.arc as usize;
        let pts = g.arc_points(self.u, a);
        let (p, q) = (
            pts.get(self.segment as usize),
            pts.get(self.segment as usize + 1),
        );
        let from_u = f64::from(p.dm) + self.fraction * f64::from(q.dm - p.dm);
        let to_v = f64::from(g.lengths[a]) - from_u;
        for (node, along) in [(self.u, from_u), (self.v, to_v)] {
            if along < AT_NODE_DM && !legs.iter().any(|l| l.node == node) {
                legs.push(Leg {
                    node,
                    ms: walk_ms(self.distance_m),
                    dm: (self.distance_m * 10.0).round() as u32,
                    by_arc: None,
                });
            }
        }
        legs
    }
}

impl Snapper {
    /// The index of `g`: its cells from the graph file when it holds them
    /// ([`Graph::snap_grid`]), else computed (one sort).
    pub fn new(g: &Graph) -> Snapper {
        let grid = (!g.snap_grid.is_empty()).then(|| g.snap_grid.clone());
        Snapper::with_grid(g, grid)
    }

    /// The index of `g` with its cells `grid` (computed when `None`): `grid` must be the one
    /// [`SnapGrid::of`] gives for `g` (the graph file's, checked by [`SnapGrid::check`]).
    pub fn with_grid(g: &Graph, grid: Option<SnapGrid>) -> Snapper {
        let (lon, lat, first, arcs) = indexed_points(g);
        let grid = grid.unwrap_or_else(|| SnapGrid::sorted(&lon, &lat, &first));
        Snapper {
            lon,
            lat,
            first,
            arcs,
            keys: grid.keys,
            starts: grid.starts,
            segments: grid.segments,
        }
    }

    fn at(&self, p: u32) -> (i32, i32) {
        (self.lon[p as usize], self.lat[p as usize])
    }

    fn cell(&self, cx: i64, cy: i64) -> &[u32] {
        match self.keys.binary_search(&cell_key(cx, cy)) {
            Ok(i) => &self.segments[self.starts[i] as usize..self.starts[i + 1] as usize],
            Err(_) => &[],
        }
    }

    /// Distance from `q` to segment `p`–`p + 1`, measured from its smaller end; the segment's
    /// ends in that order; the fraction from `p`.
    fn measure(&self, q: [f64; 3], p: u32) -> (f64, [(i32, i32); 2], f64) {
        let (a, b) = (self.at(p), self.at(p + 1));
        let sphere = |c: (i32, i32)| to_sphere(f64::from(c.0) * 1e-7, f64::from(c.1) * 1e-7);
        if a <= b {
            let (d, f) = point_segment(q, sphere(a), sphere(b));
            (d, [a, b], f)
        } else {
            let (d, f) = point_segment(q, sphere(b), sphere(a));
            (d, [b, a], 1.0 - f)
        }
    }

    /// The nearest road point within `max_m` metres of `(lon, lat)`.
    pub fn snap(&self, lon: f64, lat: f64, max_m: f64) -> Option<Snap> {
        if !(lon.is_finite() && lat.is_finite()) || self.keys.is_empty() {
            return None;
        }
        let q = to_sphere(lon, lat);
        let (cx, cy) = (cell_of((lon * 1e7) as i32), cell_of((lat * 1e7) as i32));
        // the narrowest cell side within reach bounds how far a ring of cells is at least
        let cell_deg = CELL as f64 * 1e-7;
        let reach_deg = (max_m / EARTH_RADIUS_M).to_degrees();
        let widest_lat = (lat.abs() + reach_deg + cell_deg).min(89.9);
        let side_m = (cell_deg.to_radians() * EARTH_RADIUS_M) * widest_lat.to_radians().cos();
        let rings = (max_m / side_m).ceil() as i64 + 1;
        type Best = (f64, [(i32, i32); 2], u32, f64);
        let mut best: Option<Best> = None;
        for r in 0..=rings {
            // every cell of ring r is at least (r - 1) cell sides from the point (1 % margin for
            // great-circle vs along-the-parallel distances)
            let floor_m = (r - 1).max(0) as f64 * side_m * 0.99;
            if floor_m > max_m || best.is_some_and(|b| b.0 < floor_m) {
                break;
            }
            for (x, y) in ring(cx, cy, r) {
                for &p in self.cell(x, y) {
                    let (d, ends, fraction) = self.measure(q, p);
                    if best.is_none_or(|b| (d, ends, p) < (b.0, b.1, b.2)) {
                        best = Some((d, ends, p, fraction));
                    }
                }
            }
        }
        let (distance_m, _, p, fraction) = best?;
        if distance_m > max_m {
            return None;
        }
        // the indexed arc holding point p: the last whose first point is at or before it
        let i = self.first.partition_point(|&f| f <= p) - 1;
        let (arc, u, v) = self.arcs[i];
        Some(Snap {
            u,
            v,
            arc,
            segment: p - self.first[i],
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
        let mut best: Option<f64> = None;
        for u in 0..g.node_count() as u32 {
            for a in g.arcs(u) {
                let pts = g.arc_points(u, a);
                for i in 0..pts.len() - 1 {
                    let (x, y) = (pts.get(i), pts.get(i + 1));
                    let e7 = |q: crate::routing::geometry::ArcPoint| {
                        to_sphere(f64::from(q.lon) * 1e-7, f64::from(q.lat) * 1e-7)
                    };
                    let d = point_segment(p, e7(x), e7(y)).0;
                    best = Some(best.map_or(d, |b: f64| b.min(d)));
                }
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
