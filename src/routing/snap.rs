//! Snapping points to the graph: an R-tree over the graph's nodes on the unit sphere (exact
//! nearest by great-circle distance). Nodes, not edges: every way node is a graph node (see
//! [`super::build`]), so nodes follow road geometry; on long straight segments a point can be
//! snapped up to half a segment farther than its true distance to the road.

use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::build::WALK_KMH;
use super::graph::Graph;
use crate::index::{distance_for_chord2, to_sphere};

type NodePoint = GeomWithData<[f64; 3], u32>;

/// Nearest-node index of one graph.
pub struct Snapper {
    tree: RTree<NodePoint>,
}

/// A point snapped to a node; the snap distance is walked at [`WALK_KMH`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    pub node: u32,
    pub distance_m: f64,
    pub offset_ms: u32,
    pub offset_dm: u32,
}

/// Milliseconds to walk `metres` at [`WALK_KMH`].
pub fn walk_ms(metres: f64) -> u32 {
    (metres / (WALK_KMH / 3.6) * 1000.0).round() as u32
}

impl Snapper {
    pub fn new(g: &Graph) -> Snapper {
        let points = (0..g.node_count() as u32)
            .map(|u| {
                let (lon, lat) = g.coord(u);
                NodePoint::new(to_sphere(lon, lat), u)
            })
            .collect();
        Snapper {
            tree: RTree::bulk_load(points),
        }
    }

    /// The nearest node within `max_m` metres of `(lon, lat)`.
    pub fn snap(&self, lon: f64, lat: f64, max_m: f64) -> Option<Snap> {
        let p = to_sphere(lon, lat);
        let nearest = self.tree.nearest_neighbor(p)?;
        let q = nearest.geom();
        let chord2 = (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2);
        let distance_m = distance_for_chord2(chord2);
        (distance_m <= max_m).then(|| Snap {
            node: nearest.data,
            distance_m,
            offset_ms: walk_ms(distance_m),
            offset_dm: (distance_m * 10.0).round() as u32,
        })
    }
}
