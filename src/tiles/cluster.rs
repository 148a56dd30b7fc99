//! Server-side clustering with supercluster's algorithm (hierarchical greedy clustering,
//! mapbox/supercluster): from the deepest zoom up, each unclustered point absorbs its unclustered
//! neighbours within `radius` pixels into a cluster at their weighted centre; the clusters of one
//! zoom are the points of the next one up. Every place is in exactly one feature per zoom.
//! Built once per dataset version and filter; tiles only query it.

use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};

use super::lonlat_to_unit;

/// supercluster's options (its defaults, but for `radius`: 60 px as the national map uses).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterOptions {
    /// Cluster radius, pixels.
    pub radius: f64,
    /// Tile size in pixels the radius refers to.
    pub extent: f64,
    pub min_zoom: u8,
    /// Deepest zoom where points are clustered.
    pub max_zoom: u8,
    /// Fewest points that make a cluster.
    pub min_points: u32,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            radius: 60.0,
            extent: 512.0,
            min_zoom: 0,
            max_zoom: 16,
            min_points: 2,
        }
    }
}

/// One feature of a zoom level: a place (`count == 1`, `id` = its slot) or a cluster.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Node {
    /// Web Mercator unit-square coordinates.
    pub x: f64,
    pub y: f64,
    /// Places inside.
    pub count: u32,
    /// Slot of the place when `count == 1`, else the cluster id.
    pub id: u64,
}

impl Node {
    pub fn is_cluster(&self) -> bool {
        self.count > 1
    }
}

type Indexed = GeomWithData<[f64; 2], u32>;

struct Level {
    nodes: Vec<Node>,
    tree: RTree<Indexed>,
}

impl Level {
    fn new(nodes: Vec<Node>) -> Level {
        let tree = RTree::bulk_load(
            nodes
                .iter()
                .enumerate()
                .map(|(i, n)| Indexed::new([n.x, n.y], i as u32))
                .collect(),
        );
        Level { nodes, tree }
    }
}

/// The cluster hierarchy of a set of places: one level per zoom `min_zoom..=max_zoom + 1`.
pub struct Hierarchy {
    options: ClusterOptions,
    /// `levels[z - min_zoom]`; the last one holds the places themselves.
    levels: Vec<Level>,
    points: usize,
}

impl Hierarchy {
    /// Clusters `points`: `(slot, lon, lat)`.
    pub fn build(
        points: impl IntoIterator<Item = (u32, f64, f64)>,
        options: ClusterOptions,
    ) -> Hierarchy {
        let base: Vec<Node> = points
            .into_iter()
            .map(|(slot, lon, lat)| {
                let [x, y] = lonlat_to_unit(lon, lat);
                Node {
                    x,
                    y,
                    count: 1,
                    id: u64::from(slot),
                }
            })
            .collect();
        let n_points = base.len() as u64;
        let mut levels = vec![Level::new(base)];
        for z in (options.min_zoom..=options.max_zoom).rev() {
            let Some(prev) = levels.last() else { break };
            let next = cluster_level(prev, z, &options, n_points);
            levels.push(Level::new(next));
        }
        levels.reverse();
        Hierarchy {
            options,
            levels,
            points: n_points as usize,
        }
    }

    /// Number of places clustered.
    pub fn len(&self) -> usize {
        self.points
    }

    pub fn is_empty(&self) -> bool {
        self.points == 0
    }

    /// The features of tile `z/x/y` with a buffer of `buffer_px` pixels (of `options.extent`),
    /// as nodes with their unit-square coordinates.
    pub fn tile(&self, z: u8, x: u32, y: u32, buffer_px: f64) -> Vec<Node> {
        let o = &self.options;
        let level_z = z.clamp(o.min_zoom, o.max_zoom + 1);
        let Some(level) = self.levels.get(usize::from(level_z - o.min_zoom)) else {
            return Vec::new();
        };
        let z2 = f64::from(1u32 << z);
        let p = buffer_px / o.extent;
        let env = AABB::from_corners(
            [(f64::from(x) - p) / z2, (f64::from(y) - p) / z2],
            [(f64::from(x) + 1.0 + p) / z2, (f64::from(y) + 1.0 + p) / z2],
        );
        level
            .tree
            .locate_in_envelope(env)
            .map(|i| level.nodes[i.data as usize])
            .collect()
    }

    /// Every feature at zoom `z` (tests and statistics).
    pub fn level(&self, z: u8) -> &[Node] {
        let o = &self.options;
        let level_z = z.clamp(o.min_zoom, o.max_zoom + 1);
        self.levels
            .get(usize::from(level_z - o.min_zoom))
            .map_or(&[], |l| &l.nodes)
    }
}

/// One step of supercluster's `_cluster`: the nodes of zoom `z` from those of `z + 1`.
fn cluster_level(prev: &Level, z: u8, o: &ClusterOptions, n_points: u64) -> Vec<Node> {
    let r = o.radius / (o.extent * f64::from(1u32 << z));
    let r2 = r * r;
    let mut taken = vec![false; prev.nodes.len()];
    let mut out = Vec::with_capacity(prev.nodes.len() / 2 + 1);
    let mut neighbours: Vec<u32> = Vec::new();
    for (i, node) in prev.nodes.iter().enumerate() {
        if taken[i] {
            continue;
        }
        taken[i] = true;
        neighbours.clear();
        neighbours.extend(
            prev.tree
                .locate_within_distance([node.x, node.y], r2)
                .map(|n| n.data)
                .filter(|&j| !taken[j as usize]),
        );
        let count = node.count
            + neighbours
                .iter()
                .map(|&j| prev.nodes[j as usize].count)
                .sum::<u32>();
        if neighbours.is_empty() || count < o.min_points {
            out.push(*node);
            // like supercluster, neighbours too few to cluster stay single at this zoom
            for &j in &neighbours {
                taken[j as usize] = true;
                out.push(prev.nodes[j as usize]);
            }
            continue;
        }
        let (mut wx, mut wy) = (
            node.x * f64::from(node.count),
            node.y * f64::from(node.count),
        );
        for &j in &neighbours {
            let b = &prev.nodes[j as usize];
            taken[j as usize] = true;
            wx += b.x * f64::from(b.count);
            wy += b.y * f64::from(b.count);
        }
        // supercluster's id scheme: index in the previous level, zoom, offset past point slots
        let id = ((i as u64) << 5) + u64::from(z) + 1 + n_points;
        out.push(Node {
            x: wx / f64::from(count),
            y: wy / f64::from(count),
            count,
            id,
        });
    }
    out
}

/// supercluster's `point_count_abbreviated`.
pub fn abbreviate(count: u32) -> String {
    if count >= 10_000 {
        format!("{}k", (f64::from(count) / 1000.0).round())
    } else if count >= 1000 {
        format!("{}k", (f64::from(count) / 100.0).round() / 10.0)
    } else {
        count.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_point_once_per_zoom() {
        let mut rng = crate::testdata::Rng::new(3);
        let pts: Vec<(u32, f64, f64)> = (0..5000)
            .map(|i| (i, rng.range(-5.0, 9.0), rng.range(42.0, 51.0)))
            .collect();
        let h = Hierarchy::build(pts, ClusterOptions::default());
        for z in 0..=17 {
            let total: u32 = h.level(z).iter().map(|n| n.count).sum();
            assert_eq!(total, 5000, "zoom {z}");
        }
        assert!(h.level(0).len() < 10);
        assert_eq!(h.level(17).len(), 5000);
        assert_eq!(abbreviate(999), "999");
        assert_eq!(abbreviate(1234), "1.2k");
        assert_eq!(abbreviate(15_600), "16k");
    }
}
