//! Snapping points to the graph: an R-tree over the graph's road segments on the unit sphere
//! (3-D chords, whose order matches great-circle distance at road-segment scale). A point
//! snaps to the nearest point of the nearest segment; the snap leg is walked at [`WALK_KMH`],
//! then the point joins the graph at either end of its segment, along the segment, in the
//! directions the segment allows (one-way streets included).
//!
//! Simplification: a place and a query point on the same segment are joined through the
//! segment's end nodes, never directly along it (an overestimate of at most one segment).

use rstar::RTree;
use rstar::primitives::{GeomWithData, Line};

use super::build::WALK_KMH;
use super::graph::Graph;
use crate::index::{distance_for_chord2, to_sphere};

/// A segment `u`–`v` with the arc it came from.
type Segment = GeomWithData<Line<[f64; 3]>, (u32, u32)>;

/// Nearest-segment index of one graph.
pub struct Snapper {
    tree: RTree<Segment>,
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
        let p = |u: u32| {
            let (lon, lat) = g.coord(u);
            to_sphere(lon, lat)
        };
        let mut segments = Vec::with_capacity(g.arc_count());
        for u in 0..g.node_count() as u32 {
            for a in g.arcs(u) {
                let v = g.targets[a];
                // one segment per road piece: two-way pieces are indexed from their lower end
                if u < v || arc(g, v, u).is_none() {
                    segments.push(Segment::new(Line::new(p(u), p(v)), (u, v)));
                }
            }
        }
        Snapper {
            tree: RTree::bulk_load(segments),
        }
    }

    /// The nearest road point within `max_m` metres of `(lon, lat)`.
    pub fn snap(&self, lon: f64, lat: f64, max_m: f64) -> Option<Snap> {
        let p = to_sphere(lon, lat);
        let seg = self.tree.nearest_neighbor(p)?;
        let (a, b) = (seg.geom().from, seg.geom().to);
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
        let distance_m = distance_for_chord2(chord2);
        let (u, v) = seg.data;
        (distance_m <= max_m).then_some(Snap {
            u,
            v,
            fraction,
            distance_m,
        })
    }
}
