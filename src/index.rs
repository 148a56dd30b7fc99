//! Spatial index: one packed R-tree over the points, bulk-loaded in Hilbert order. Pure: no I/O,
//! no errors.
//!
//! - Ranking by distance uses points on the unit sphere (x, y, z): the chord between two such
//!   points grows monotonically with their great-circle distance, so the R-tree's Euclidean
//!   nearest-neighbour order *is* the spherical order, with no projection error anywhere in
//!   France, overseas included.
//! - Bounding boxes use lon/lat: every node of the tree has a box in each space.
//!
//! Distances are great-circle (haversine) distances in metres on a sphere of radius
//! [`EARTH_RADIUS_M`] (the IUGG mean radius, as `geo::Haversine`), computed by [`crate::geodesy`];
//! the error against the ellipsoid is below 0.5 %.
//!
//! Items are identified by a `u32` slot (the place's position in the dataset). Results are sorted
//! by `(distance, slot)`; the dataset orders slots by id, so ties break by id.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::ops::Range;

use crate::geodesy::chord_for;
// The geodesy helpers lived here before `crate::geodesy`; their old paths keep working.
pub use crate::geodesy::{EARTH_RADIUS_M, distance_for_chord2, haversine_m, to_sphere};

/// Children per node of the packed tree (entries per leaf node, nodes per parent).
const NODE: usize = 16;

/// A bounding box in WGS84 degrees: `min_lon <= max_lon`, `min_lat <= max_lat` (no
/// antimeridian crossing).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bbox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl Bbox {
    /// Does the box contain the point (boundaries included)?
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        (self.min_lon..=self.max_lon).contains(&lon) && (self.min_lat..=self.max_lat).contains(&lat)
    }
}

/// One result: the slot of a place and its distance in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub slot: u32,
    pub distance_m: f64,
}

/// The index over the positioned places: a packed R-tree (static, bulk-loaded in Hilbert order
/// of lon/lat, every node full but the last of each level), as flat arrays.
///
/// Each point is held once, with both its unit-sphere coordinates (ranked by distance) and its
/// lon/lat (tested against boxes): 44 bytes a point. Two `rstar` trees held the same points in
/// 56–80-byte nodes each (issue 19: ~140 MB at 1 M places, now ~45 MB), and their bulk loads
/// (recursive partitioning) cost several times the Hilbert sort.
pub struct SpatialIndex {
    /// The slot of each point, in tree order.
    slots: Vec<u32>,
    /// Unit-sphere coordinates of each point, in tree order.
    sphere: Vec<[f64; 3]>,
    /// `[lon, lat]` of each point, in tree order.
    plane: Vec<[f64; 2]>,
    /// `levels[0][i]` bounds points `i*NODE..(i+1)*NODE`, `levels[l][i]` bounds the boxes
    /// `i*NODE..(i+1)*NODE` of level `l - 1`; the last level has at most [`NODE`] boxes (the
    /// root's children). Empty when no point is indexed.
    levels: Vec<Level>,
}

/// The boxes of one level of the tree, in both spaces.
#[derive(Default)]
struct Level {
    /// `[min, max]` in unit-sphere coordinates.
    sphere: Vec<[[f64; 3]; 2]>,
    /// `[min, max]` as `[lon, lat]`.
    plane: Vec<[[f64; 2]; 2]>,
}

/// `(slot, [lon, lat])` of the positioned places.
fn positioned(points: &[Option<[f64; 2]>]) -> impl Iterator<Item = (u32, [f64; 2])> + Clone + '_ {
    points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.map(|p| (i as u32, p)))
}

/// Relative slack when turning chord bounds into haversine ones, so that rounding differences
/// between the two formulas never drop a candidate; exact checks follow.
const SLACK: f64 = 1e-9;

/// Squared Euclidean distance, summed as rstar summed it (the distances served come from it).
fn distance_2(p: &[f64; 3], q: &[f64; 3]) -> f64 {
    let d = [p[0] - q[0], p[1] - q[1], p[2] - q[2]];
    d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
}

/// Squared distance from `q` to the nearest point of the box (0 inside): a lower bound of the
/// distance to anything in it, rounding included (clamping, subtraction and squaring are
/// monotone).
fn box_distance_2(b: &[[f64; 3]; 2], q: &[f64; 3]) -> f64 {
    let c = |i: usize| q[i].max(b[0][i]).min(b[1][i]);
    distance_2(&[c(0), c(1), c(2)], q)
}

fn grow<const D: usize>(b: &mut [[f64; D]; 2], p: &[f64; D]) {
    for i in 0..D {
        b[0][i] = b[0][i].min(p[i]);
        b[1][i] = b[1][i].max(p[i]);
    }
}

fn merge<const D: usize>(b: &mut [[f64; D]; 2], other: &[[f64; D]; 2]) {
    grow(b, &other[0]);
    grow(b, &other[1]);
}

const EMPTY3: [[f64; 3]; 2] = [[f64::INFINITY; 3], [f64::NEG_INFINITY; 3]];
const EMPTY2: [[f64; 2]; 2] = [[f64::INFINITY; 2], [f64::NEG_INFINITY; 2]];

/// The children of entry `i` of a level whose level below (or points) has `below` entries.
fn children(i: usize, below: usize) -> Range<usize> {
    i * NODE..((i + 1) * NODE).min(below)
}

impl SpatialIndex {
    /// Bulk-loads the tree. `points[slot]` is `Some((lon, lat))` for positioned places.
    pub fn new(points: &[Option<[f64; 2]>]) -> Self {
        Self::from_points(positioned(points))
    }

    /// Bulk-loads the tree over `(slot, [lon, lat])` points (finite coordinates).
    pub(crate) fn from_points(points: impl Iterator<Item = (u32, [f64; 2])> + Clone) -> Self {
        let mut extent = EMPTY2;
        for (_, p) in points.clone() {
            grow(&mut extent, &p);
        }
        let scale = |i: usize, v: f64| {
            let span = extent[1][i] - extent[0][i];
            if span > 0.0 {
                (((v - extent[0][i]) / span) * 65535.0).clamp(0.0, 65535.0) as u32
            } else {
                0
            }
        };
        // Hilbert order of lon/lat on a 65 536² grid, then slot: neighbours on the curve are
        // neighbours on the ground, so consecutive runs make tight boxes in both spaces
        let mut keys: Vec<(u64, [f64; 2])> = points
            .map(|(slot, p)| {
                let h = hilbert(scale(0, p[0]), scale(1, p[1]));
                ((u64::from(h) << 32) | u64::from(slot), p)
            })
            .collect();
        keys.sort_unstable_by_key(|k| k.0);
        let slots: Vec<u32> = keys.iter().map(|k| k.0 as u32).collect();
        let sphere: Vec<[f64; 3]> = keys.iter().map(|(_, p)| to_sphere(p[0], p[1])).collect();
        let plane: Vec<[f64; 2]> = keys.into_iter().map(|(_, p)| p).collect();
        let mut levels: Vec<Level> = Vec::new();
        if !slots.is_empty() {
            let mut first = Level::default();
            for i in 0..slots.len().div_ceil(NODE) {
                let (mut s, mut p) = (EMPTY3, EMPTY2);
                for j in children(i, slots.len()) {
                    grow(&mut s, &sphere[j]);
                    grow(&mut p, &plane[j]);
                }
                first.sphere.push(s);
                first.plane.push(p);
            }
            levels.push(first);
        }
        while let Some(below) = levels.last()
            && below.sphere.len() > NODE
        {
            let mut up = Level::default();
            for i in 0..below.sphere.len().div_ceil(NODE) {
                let (mut s, mut p) = (EMPTY3, EMPTY2);
                for j in children(i, below.sphere.len()) {
                    merge(&mut s, &below.sphere[j]);
                    merge(&mut p, &below.plane[j]);
                }
                up.sphere.push(s);
                up.plane.push(p);
            }
            levels.push(up);
        }
        SpatialIndex {
            slots,
            sphere,
            plane,
            levels,
        }
    }

    /// Number of indexed (positioned) places.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when no place is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held by the index (its arrays' capacity).
    pub fn heap_bytes(&self) -> usize {
        let levels: usize = self
            .levels
            .iter()
            .map(|l| l.sphere.capacity() * 48 + l.plane.capacity() * 32)
            .sum();
        self.slots.capacity() * 4
            + self.sphere.capacity() * 24
            + self.plane.capacity() * 16
            + levels
    }

    /// The root's children: the top level and its whole range.
    fn root(&self) -> Option<(usize, Range<usize>)> {
        let top = self.levels.len().checked_sub(1)?;
        Some((top, 0..self.levels[top].sphere.len()))
    }

    /// The `k` nearest places accepted by `keep`, within `max_m` metres if given, sorted by
    /// `(distance, slot)`. The filter runs before ranking: these are the k nearest matches.
    pub fn nearest(
        &self,
        lon: f64,
        lat: f64,
        k: usize,
        max_m: Option<f64>,
        mut keep: impl FnMut(u32) -> bool,
    ) -> Vec<Hit> {
        if k == 0 {
            return Vec::new();
        }
        let Some((top, range)) = self.root() else {
            return Vec::new();
        };
        let q = to_sphere(lon, lat);
        let mut knn = Knn {
            index: self,
            q,
            k,
            bound: max_m.map_or(f64::INFINITY, |m| (chord_for(m) * (1.0 + SLACK)).powi(2)),
            best: BinaryHeap::with_capacity(k + 1),
            evicted: Vec::new(),
        };
        knn.visit(top, range, &mut keep);
        let bound = knn.bound;
        let mut hits: Vec<Hit> = knn
            .best
            .into_iter()
            .chain(knn.evicted)
            .filter(|(d2, _)| d2.0 <= bound)
            .map(|(d2, slot)| Hit {
                slot,
                distance_m: distance_for_chord2(d2.0),
            })
            .filter(|h| max_m.is_none_or(|m| h.distance_m <= m))
            .collect();
        sort_hits(&mut hits);
        hits.truncate(k);
        hits
    }

    /// Every point whose box path `enter` accepts at each level, and that `take` accepts, by
    /// index in tree order.
    fn walk(&self, mut enter: impl FnMut(usize, usize) -> bool, mut take: impl FnMut(usize)) {
        let Some((top, range)) = self.root() else {
            return;
        };
        let mut stack: Vec<(usize, Range<usize>)> = vec![(top, range)];
        while let Some((level, range)) = stack.pop() {
            for i in range {
                if !enter(level, i) {
                    continue;
                }
                if level == 0 {
                    for j in children(i, self.slots.len()) {
                        take(j);
                    }
                } else {
                    let below = self.levels[level - 1].sphere.len();
                    stack.push((level - 1, children(i, below)));
                }
            }
        }
    }

    /// Places inside `bbox` accepted by `keep`, sorted by slot.
    pub fn within_bbox(&self, bbox: &Bbox, mut keep: impl FnMut(u32) -> bool) -> Vec<u32> {
        let mut slots = Vec::new();
        self.walk(
            |level, i| {
                let [lo, hi] = self.levels[level].plane[i];
                lo[0] <= bbox.max_lon
                    && hi[0] >= bbox.min_lon
                    && lo[1] <= bbox.max_lat
                    && hi[1] >= bbox.min_lat
            },
            |j| {
                let [lon, lat] = self.plane[j];
                if bbox.contains(lon, lat) && keep(self.slots[j]) {
                    slots.push(self.slots[j]);
                }
            },
        );
        slots.sort_unstable();
        slots
    }

    /// Places within `radius_m` metres accepted by `keep`, sorted by `(distance, slot)`.
    pub fn within_radius(
        &self,
        lon: f64,
        lat: f64,
        radius_m: f64,
        mut keep: impl FnMut(u32) -> bool,
    ) -> Vec<Hit> {
        let q = to_sphere(lon, lat);
        let r2 = (chord_for(radius_m) * (1.0 + SLACK)).powi(2);
        let mut hits = Vec::new();
        self.walk(
            |level, i| box_distance_2(&self.levels[level].sphere[i], &q) <= r2,
            |j| {
                let d2 = distance_2(&self.sphere[j], &q);
                if d2 <= r2 && keep(self.slots[j]) {
                    let distance_m = distance_for_chord2(d2);
                    if distance_m <= radius_m {
                        hits.push(Hit {
                            slot: self.slots[j],
                            distance_m,
                        });
                    }
                }
            },
        );
        sort_hits(&mut hits);
        hits
    }
}

/// Position of `(x, y)` on the Hilbert curve over a 65 536² grid (the branch-free form of
/// <http://threadlocalmutex.com/?p=126>, as flatbush uses it).
fn hilbert(x: u32, y: u32) -> u32 {
    let mut a = x ^ y;
    let mut b = 0xFFFF ^ a;
    let mut c = 0xFFFF ^ (x | y);
    let mut d = x & (y ^ 0xFFFF);

    let mut aa = a | (b >> 1);
    let mut bb = (a >> 1) ^ a;
    let mut cc = ((c >> 1) ^ (b & (d >> 1))) ^ c;
    let mut dd = ((a & (c >> 1)) ^ (d >> 1)) ^ d;

    a = aa;
    b = bb;
    c = cc;
    d = dd;
    aa = (a & (a >> 2)) ^ (b & (b >> 2));
    bb = (a & (b >> 2)) ^ (b & ((a ^ b) >> 2));
    cc ^= (a & (c >> 2)) ^ (b & (d >> 2));
    dd ^= (b & (c >> 2)) ^ ((a ^ b) & (d >> 2));

    a = aa;
    b = bb;
    c = cc;
    d = dd;
    aa = (a & (a >> 4)) ^ (b & (b >> 4));
    bb = (a & (b >> 4)) ^ (b & ((a ^ b) >> 4));
    cc ^= (a & (c >> 4)) ^ (b & (d >> 4));
    dd ^= (b & (c >> 4)) ^ ((a ^ b) & (d >> 4));

    a = aa;
    b = bb;
    c = cc;
    d = dd;
    cc ^= (a & (c >> 8)) ^ (b & (d >> 8));
    dd ^= (b & (c >> 8)) ^ ((a ^ b) & (d >> 8));

    a = cc ^ (cc >> 1);
    b = dd ^ (dd >> 1);

    let mut i0 = x ^ y;
    let mut i1 = b | (0xFFFF ^ (i0 | a));

    i0 = (i0 | (i0 << 8)) & 0x00FF_00FF;
    i0 = (i0 | (i0 << 4)) & 0x0F0F_0F0F;
    i0 = (i0 | (i0 << 2)) & 0x3333_3333;
    i0 = (i0 | (i0 << 1)) & 0x5555_5555;

    i1 = (i1 | (i1 << 8)) & 0x00FF_00FF;
    i1 = (i1 | (i1 << 4)) & 0x0F0F_0F0F;
    i1 = (i1 | (i1 << 2)) & 0x3333_3333;
    i1 = (i1 | (i1 << 1)) & 0x5555_5555;

    (i1 << 1) | i0
}

/// A squared chord, ordered (max-heap of the k best).
#[derive(PartialEq)]
struct D2(f64);

impl Eq for D2 {}

impl PartialOrd for D2 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for D2 {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// k-nearest search state: a depth-first branch and bound over the packed tree, children
/// visited nearest first, pruned by the k-th best match so far.
///
/// Hand-written because measured speed demands it: a best-first search queues every point of
/// every visited node in a heap; this one allocates one k-sized heap and visits few nodes.
/// The answer does not depend on the tree's shape: it is every accepted point within the final
/// bound (a function of the k-th distance alone), sorted by `(distance, slot)`.
struct Knn<'a> {
    index: &'a SpatialIndex,
    q: [f64; 3],
    k: usize,
    /// Squared chord beyond which nothing can enter the answer: the k-th best match (plus a
    /// relative slack that keeps exact ties and rounding neighbours for the final exact sort),
    /// or the `max_m` limit.
    bound: f64,
    /// The k best matches, worst on top.
    best: BinaryHeap<(D2, u32)>,
    /// Matches pushed out of `best` that may still tie with the k-th (filtered at the end).
    evicted: Vec<(D2, u32)>,
}

impl Knn<'_> {
    fn offer(&mut self, d2: f64, slot: u32) {
        if self.best.len() < self.k {
            self.best.push((D2(d2), slot));
        } else if self.best.peek().is_some_and(|top| d2 < top.0.0) {
            if let Some(out) = self.best.pop() {
                self.evicted.push(out);
            }
            self.best.push((D2(d2), slot));
        } else {
            // not better than the k-th, but within the slack of it: a possible tie
            self.evicted.push((D2(d2), slot));
        }
        if self.best.len() == self.k
            && let Some(kth) = self.best.peek()
        {
            self.bound = self.bound.min(kth.0.0 * (1.0 + 4.0 * SLACK) + 1e-24);
        }
        // evicted entries beyond the bound can never come back
        if self.evicted.len() > 4 * self.k + 16 {
            let bound = self.bound;
            self.evicted.retain(|(d2, _)| d2.0 <= bound);
        }
    }

    /// Visits the boxes `range` of `level`, nearest first.
    fn visit(&mut self, level: usize, range: Range<usize>, keep: &mut impl FnMut(u32) -> bool) {
        let index = self.index;
        let boxes = &index.levels[level].sphere;
        let mut order = [(0.0f64, 0usize); NODE];
        let mut n = 0;
        for i in range {
            let d2 = box_distance_2(&boxes[i], &self.q);
            if d2 <= self.bound {
                order[n] = (d2, i);
                n += 1;
            }
        }
        let order = &mut order[..n];
        order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        for &(d2, i) in order.iter() {
            if d2 > self.bound {
                break;
            }
            if level == 0 {
                for j in children(i, index.slots.len()) {
                    let d2 = distance_2(&index.sphere[j], &self.q);
                    if d2 <= self.bound && keep(index.slots[j]) {
                        self.offer(d2, index.slots[j]);
                    }
                }
            } else {
                let below = index.levels[level - 1].sphere.len();
                self.visit(level - 1, children(i, below), keep);
            }
        }
    }
}

/// Sorts by `(distance, slot)`.
pub fn sort_hits(hits: &mut [Hit]) {
    hits.sort_unstable_by(|a, b| {
        a.distance_m
            .total_cmp(&b.distance_m)
            .then(a.slot.cmp(&b.slot))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_small() {
        let idx = SpatialIndex::new(&[
            None,
            Some([2.0, 48.0]),
            Some([2.0, 48.0]),
            Some([3.0, 48.0]),
        ]);
        assert_eq!(idx.len(), 3);
        let hits = idx.nearest(2.0, 48.0, 2, None, |_| true);
        assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), vec![1, 2]);
        let hits = idx.nearest(2.0, 48.0, 5, None, |s| s != 1);
        assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), vec![2, 3]);
        assert!(idx.nearest(2.0, 48.0, 5, Some(1.0), |s| s == 3).is_empty());
        let bbox = Bbox {
            min_lon: 1.0,
            min_lat: 47.0,
            max_lon: 2.0,
            max_lat: 48.0,
        };
        assert_eq!(idx.within_bbox(&bbox, |_| true), vec![1, 2]);
        assert_eq!(idx.within_radius(3.0, 48.0, 10.0, |_| true).len(), 1);
    }

    /// Every query against a brute-force scan, on sizes around the node size (partial nodes
    /// and levels), with duplicate points (ties broken by slot) and places without position.
    #[test]
    fn packed_tree_answers_as_a_scan() {
        let mut rng = crate::testdata::Rng::new(11);
        for n in [0usize, 1, 2, 15, 16, 17, 255, 256, 257, 1000, 4099] {
            let points: Vec<Option<[f64; 2]>> = (0..n)
                .map(|i| match rng.below(10) {
                    0 => None,
                    // a duplicate of an earlier point: equal distances
                    1 if i > 0 => Some([2.0 + (i % 7) as f64 * 0.01, 46.0]),
                    2 => Some([rng.range(55.4, 55.7), rng.range(-21.2, -20.9)]),
                    _ => Some([rng.range(-5.0, 9.0), rng.range(42.0, 51.0)]),
                })
                .collect();
            let idx = SpatialIndex::new(&points);
            assert_eq!(idx.len(), points.iter().flatten().count());
            for _ in 0..40 {
                let (lon, lat) = (rng.range(-6.0, 10.0), rng.range(41.0, 52.0));
                let keep = |s: u32| s % 3 != 1;
                let mut all: Vec<Hit> = positioned(&points)
                    .filter(|(s, _)| keep(*s))
                    .map(|(slot, [x, y])| Hit {
                        slot,
                        distance_m: distance_for_chord2(distance_2(
                            &to_sphere(x, y),
                            &to_sphere(lon, lat),
                        )),
                    })
                    .collect();
                sort_hits(&mut all);
                for k in [1, 10, 100] {
                    let want: Vec<Hit> = all.iter().take(k).copied().collect();
                    assert_eq!(idx.nearest(lon, lat, k, None, keep), want, "n={n} k={k}");
                    let within: Vec<Hit> = want
                        .iter()
                        .filter(|h| h.distance_m <= 50_000.0)
                        .copied()
                        .collect();
                    assert_eq!(idx.nearest(lon, lat, k, Some(50_000.0), keep), within);
                }
                let radius: Vec<Hit> = all
                    .iter()
                    .filter(|h| h.distance_m <= 80_000.0)
                    .copied()
                    .collect();
                assert_eq!(idx.within_radius(lon, lat, 80_000.0, keep), radius);
                let bbox = Bbox {
                    min_lon: lon - 0.5,
                    min_lat: lat - 0.4,
                    max_lon: lon + 0.5,
                    max_lat: lat + 0.3,
                };
                let inside: Vec<u32> = positioned(&points)
                    .filter(|(s, [x, y])| keep(*s) && bbox.contains(*x, *y))
                    .map(|(s, _)| s)
                    .collect();
                assert_eq!(idx.within_bbox(&bbox, keep), inside, "n={n}");
            }
        }
    }
}
