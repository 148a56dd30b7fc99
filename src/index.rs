//! Spatial index: two bulk-loaded `rstar` R-trees over the same points. Pure: no I/O, no errors.
//!
//! - Ranking by distance uses points on the unit sphere (x, y, z): the chord between two such
//!   points grows monotonically with their great-circle distance, so the R-tree's Euclidean
//!   nearest-neighbour order *is* the spherical order, with no projection error anywhere in
//!   France, overseas included.
//! - Bounding boxes use a lon/lat tree.
//!
//! Distances are great-circle (haversine) distances in metres on a sphere of radius
//! [`EARTH_RADIUS_M`] (the IUGG mean radius, as `geo::Haversine`), computed by [`crate::geodesy`];
//! the error against the ellipsoid is below 0.5 %.
//!
//! Items are identified by a `u32` slot (the place's position in the dataset). Results are sorted
//! by `(distance, slot)`; the dataset orders slots by id, so ties break by id.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rstar::primitives::GeomWithData;
use rstar::{
    AABB, ParentNode, PointDistance, RStarInsertionStrategy, RTree, RTreeNode, RTreeParams,
};

use crate::geodesy::chord_for;
// The geodesy helpers lived here before `crate::geodesy`; their old paths keep working.
pub use crate::geodesy::{EARTH_RADIUS_M, distance_for_chord2, haversine_m, to_sphere};

type SpherePoint = GeomWithData<[f64; 3], u32>;

/// Node sizes of the distance tree: wider nodes than rstar's default (6) mean fewer heap
/// operations per query (measured in benches/index.rs).
struct WideNodes;

impl RTreeParams for WideNodes {
    const MIN_SIZE: usize = NODE_MIN;
    const MAX_SIZE: usize = NODE_MAX;
    const REINSERTION_COUNT: usize = 2;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

const NODE_MIN: usize = 6;
const NODE_MAX: usize = 16;
type PlanePoint = GeomWithData<[f64; 2], u32>;

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

/// The index over the positioned places.
pub struct SpatialIndex {
    sphere: RTree<SpherePoint, WideNodes>,
    plane: RTree<PlanePoint>,
}

/// The distance tree alone ([`SpatialIndex::sphere_tree`]).
pub(crate) struct SphereTree(RTree<SpherePoint, WideNodes>);

/// The box tree alone ([`SpatialIndex::plane_tree`]).
pub(crate) struct PlaneTree(RTree<PlanePoint>);

/// `(slot, [lon, lat])` of the positioned places.
fn positioned(points: &[Option<[f64; 2]>]) -> impl Iterator<Item = (u32, [f64; 2])> + '_ {
    points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.map(|p| (i as u32, p)))
}

/// Relative slack when turning chord bounds into haversine ones, so that rounding differences
/// between the two formulas never drop a candidate; exact checks follow.
const SLACK: f64 = 1e-9;

impl SpatialIndex {
    /// Bulk-loads the trees. `points[slot]` is `Some((lon, lat))` for positioned places.
    pub fn new(points: &[Option<[f64; 2]>]) -> Self {
        SpatialIndex::from_trees(Self::sphere_tree(points), Self::plane_tree(points))
    }

    /// The distance tree of [`SpatialIndex::new`], alone (to build the two trees on two
    /// threads).
    pub(crate) fn sphere_tree(points: &[Option<[f64; 2]>]) -> SphereTree {
        SphereTree(RTree::bulk_load_with_params(
            positioned(points)
                .map(|(i, [lon, lat])| SpherePoint::new(to_sphere(lon, lat), i))
                .collect(),
        ))
    }

    /// The box tree of [`SpatialIndex::new`], alone.
    pub(crate) fn plane_tree(points: &[Option<[f64; 2]>]) -> PlaneTree {
        PlaneTree(RTree::bulk_load(
            positioned(points)
                .map(|(i, p)| PlanePoint::new(p, i))
                .collect(),
        ))
    }

    /// The index made of two trees built over the same points.
    pub(crate) fn from_trees(sphere: SphereTree, plane: PlaneTree) -> Self {
        SpatialIndex {
            sphere: sphere.0,
            plane: plane.0,
        }
    }

    /// Number of indexed (positioned) places.
    pub fn len(&self) -> usize {
        self.sphere.size()
    }

    /// True when no place is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
        if self.sphere.size() == 0 {
            return Vec::new();
        }
        let q = to_sphere(lon, lat);
        let mut knn = Knn {
            k,
            bound: max_m.map_or(f64::INFINITY, |m| (chord_for(m) * (1.0 + SLACK)).powi(2)),
            best: BinaryHeap::with_capacity(k + 1),
            evicted: Vec::new(),
        };
        knn.visit(self.sphere.root(), &q, &mut keep);
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

    /// Places inside `bbox` accepted by `keep`, sorted by slot.
    pub fn within_bbox(&self, bbox: &Bbox, mut keep: impl FnMut(u32) -> bool) -> Vec<u32> {
        let env = AABB::from_corners([bbox.min_lon, bbox.min_lat], [bbox.max_lon, bbox.max_lat]);
        let mut slots: Vec<u32> = self
            .plane
            .locate_in_envelope(env)
            .map(|p| p.data)
            .filter(|s| keep(*s))
            .collect();
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
        let mut hits: Vec<Hit> = self
            .sphere
            .locate_within_distance(q, r2)
            .filter(|item| keep(item.data))
            .map(|item| Hit {
                slot: item.data,
                distance_m: distance_for_chord2(item.distance_2(&q)),
            })
            .filter(|h| h.distance_m <= radius_m)
            .collect();
        sort_hits(&mut hits);
        hits
    }
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

/// k-nearest search state: a depth-first branch and bound over rstar's nodes, children visited
/// nearest first, pruned by the k-th best match so far.
///
/// Hand-written on rstar's node API because measured speed demands it: rstar's
/// `nearest_neighbor_iter` queues every leaf of every visited node in a heap; this search
/// allocates one k-sized heap and visits fewer nodes (nearest-10 at 20 000 places: 3.9 µs →
/// see the README's performance table; benches/index.rs).
struct Knn {
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

impl Knn {
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

    fn visit(
        &mut self,
        node: &ParentNode<SpherePoint>,
        q: &[f64; 3],
        keep: &mut impl FnMut(u32) -> bool,
    ) {
        let children = node.children();
        let mut order = [(0.0f64, 0usize); NODE_MAX];
        let mut n = 0;
        for (i, child) in children.iter().enumerate() {
            match child {
                RTreeNode::Leaf(p) => {
                    let d2 = p.distance_2(q);
                    if d2 <= self.bound && keep(p.data) {
                        self.offer(d2, p.data);
                    }
                }
                RTreeNode::Parent(parent) => {
                    let d2 = parent.envelope().distance_2(q);
                    if d2 > self.bound {
                        continue;
                    }
                    if n < NODE_MAX {
                        order[n] = (d2, i);
                        n += 1;
                    } else {
                        // never with bulk-loaded trees (at most NODE_MAX children); stay correct
                        self.visit(parent, q, keep);
                    }
                }
            }
        }
        let order = &mut order[..n];
        order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        for &(d2, i) in order.iter() {
            if d2 > self.bound {
                break;
            }
            if let RTreeNode::Parent(parent) = &children[i] {
                self.visit(parent, q, keep);
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
}
