//! Server-side clustering with supercluster's algorithm (hierarchical greedy clustering,
//! mapbox/supercluster): from the deepest zoom up, each unclustered point absorbs its unclustered
//! neighbours within `radius` pixels into a cluster at their weighted centre; the clusters of one
//! zoom are the points of the next one up. Every place is in exactly one feature per zoom.
//!
//! The work is split so that a new filter costs little:
//! - [`ClusterBase`], once per dataset version and shared by every filter: the places' Web
//!   Mercator positions, a grid of all of them (the deepest level of every filter's hierarchy:
//!   a filter only adds a bitset of its places), and per place the zoom from which it is
//!   alone at every level whatever the filter, so that clustering copies it without a query;
//! - [`Hierarchy`], per filter: its levels are built lazily, each from the one below, the first
//!   time a tile of that zoom or above asks for it, and kept (a z5 tile builds levels 16 to 5;
//!   a later z3 tile adds 4 and 3). Each level is indexed by a [`Grid`] whose cells are the next
//!   zoom's radius, built with counting sorts.
//!
//! Levels, cluster ids and positions are those of a full build (the oracle test in
//! `tests/it/cluster_oracle.rs` checks it against the former R-tree build on real data).

use std::sync::{Arc, OnceLock};

use super::grid::Grid;
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

impl ClusterOptions {
    /// The cluster radius at zoom `z`, in unit-square units.
    fn radius_at(&self, z: i32) -> f64 {
        self.radius / (self.extent * 2f64.powi(z))
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

/// Grid cells are this much wider than the radius they serve, so that rounding in the cell
/// arithmetic never hides a neighbour at exactly the radius.
const CELL_MARGIN: f64 = 1.0 + 1e-6;
/// `alone_from` never set: the place has a twin or a close neighbour.
const NEVER: u8 = u8::MAX;

/// What every filter's hierarchy shares over one dataset version.
pub struct ClusterBase {
    options: ClusterOptions,
    /// Unit-square position per slot (`NaN` for slots without a position).
    xy: Vec<[f64; 2]>,
    /// Every positioned place, by slot, in cells of the deepest clustering radius.
    grid: Grid,
    /// Per slot: the shallowest zoom from which the place is a single at every level of any
    /// filter's hierarchy and no other feature lies within the radius ([`NEVER`] if none).
    alone_from: Vec<u8>,
}

impl ClusterBase {
    /// Indexes `points`: `(slot, lon, lat)`, each slot once.
    pub fn new(
        points: impl IntoIterator<Item = (u32, f64, f64)>,
        options: ClusterOptions,
    ) -> ClusterBase {
        let mut xy: Vec<[f64; 2]> = Vec::new();
        for (slot, lon, lat) in points {
            let s = slot as usize;
            if xy.len() <= s {
                xy.resize(s + 1, [f64::NAN; 2]);
            }
            xy[s] = lonlat_to_unit(lon, lat);
        }
        let cell = options.radius_at(i32::from(options.max_zoom)) * CELL_MARGIN;
        let slots: Vec<u32> = positioned(&xy).collect();
        let grid = place_grid(&xy, &slots, cell);
        let alone_from = alone_from(&xy, &slots, &options);
        ClusterBase {
            options,
            xy,
            grid,
            alone_from,
        }
    }

    /// Number of places indexed.
    pub fn len(&self) -> usize {
        self.grid.len()
    }

    pub fn is_empty(&self) -> bool {
        self.grid.len() == 0
    }

    fn place(&self, slot: u32) -> Node {
        let [x, y] = self.xy[slot as usize];
        Node {
            x,
            y,
            count: 1,
            id: u64::from(slot),
        }
    }

    fn has(&self, slot: u32) -> bool {
        self.xy.get(slot as usize).is_some_and(|p| !p[0].is_nan())
    }
}

/// The slots with a position.
fn positioned(xy: &[[f64; 2]]) -> impl Iterator<Item = u32> + '_ {
    (0..xy.len() as u32).filter(|&s| !xy[s as usize][0].is_nan())
}

/// A grid of the places in `slots`, by slot.
fn place_grid(xy: &[[f64; 2]], slots: &[u32], cell: f64) -> Grid {
    let point = |i: usize| {
        let s = slots[i];
        let [x, y] = xy[s as usize];
        (x, y, s)
    };
    Grid::new(slots.len(), xy.len(), point, cell)
}

/// Per slot, the shallowest zoom `z` such that at `z` and every deeper zoom no other place lies
/// within 3 radii. Then, whatever the subset clustered, the place is a single at level `z + 1`
/// and no feature of that level lies within one radius of it: a feature of level `z + 1` holds
/// places within 2 radii (at `z`) of its centre (each level's radius is half the one above and
/// a cluster's centre lies within one radius of its first point), so a centre within one radius
/// would bring a place within 3. Nearest-neighbour distances come from grids at every third
/// zoom, each answering exactly for the places whose nearest neighbour is within its cell.
fn alone_from(xy: &[[f64; 2]], slots: &[u32], o: &ClusterOptions) -> Vec<u8> {
    let mut nearest = vec![f64::INFINITY; xy.len()];
    let mut open: Vec<u32> = slots.to_vec();
    let mut z = i32::from(o.max_zoom);
    while !open.is_empty() && z >= i32::from(o.min_zoom) {
        let reach = 3.0 * o.radius_at(z);
        let grid = place_grid(xy, slots, reach * CELL_MARGIN);
        open.retain(|&s| {
            let [x, y] = xy[s as usize];
            let mut best = f64::INFINITY;
            grid.around(s, reach * reach, |t| {
                if t != s {
                    let [tx, ty] = xy[t as usize];
                    best = best.min((tx - x).powi(2) + (ty - y).powi(2));
                }
            });
            nearest[s as usize] = best.sqrt();
            best.is_infinite()
        });
        z = if z > i32::from(o.min_zoom) {
            (z - 3).max(i32::from(o.min_zoom))
        } else {
            -1
        };
    }
    nearest
        .iter()
        .map(|&d| {
            let alone = |z: u8| d > 3.0 * o.radius_at(i32::from(z)) * CELL_MARGIN;
            if d.is_nan() || !alone(o.max_zoom) {
                return NEVER;
            }
            (o.min_zoom..o.max_zoom)
                .rev()
                .find(|&z| !alone(z))
                .map_or(o.min_zoom, |z| z + 1)
        })
        .collect()
}

/// One built zoom level: its features and their grid (cells of the next zoom up's radius).
struct Level {
    nodes: Vec<Node>,
    grid: Grid,
}

/// The cluster hierarchy of a set of places: levels `min_zoom..=max_zoom` built on demand over
/// the shared deepest level (the places themselves).
pub struct Hierarchy {
    base: Arc<ClusterBase>,
    /// Slots of the places clustered, in order: the deepest level.
    places: Vec<u32>,
    /// One bit per slot: clustered.
    member: Vec<u64>,
    /// `levels[z - min_zoom]`.
    levels: Vec<OnceLock<Level>>,
}

impl Hierarchy {
    /// The hierarchy of `slots` (those `base` has a position for), in their order.
    pub fn new(base: Arc<ClusterBase>, slots: impl IntoIterator<Item = u32>) -> Hierarchy {
        let mut member = vec![0u64; base.xy.len().div_ceil(64)];
        let mut places = Vec::new();
        for s in slots {
            if base.has(s) && !bit(&member, s) {
                member[s as usize / 64] |= 1 << (s % 64);
                places.push(s);
            }
        }
        let o = base.options;
        let levels = (o.min_zoom..=o.max_zoom).map(|_| OnceLock::new()).collect();
        Hierarchy {
            base,
            places,
            member,
            levels,
        }
    }

    /// Clusters `points`: `(slot, lon, lat)`, over a base of their own.
    pub fn build(
        points: impl IntoIterator<Item = (u32, f64, f64)>,
        options: ClusterOptions,
    ) -> Hierarchy {
        let points: Vec<_> = points.into_iter().collect();
        let slots: Vec<u32> = points.iter().map(|p| p.0).collect();
        Hierarchy::new(Arc::new(ClusterBase::new(points, options)), slots)
    }

    /// Number of places clustered.
    pub fn len(&self) -> usize {
        self.places.len()
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// The features of tile `z/x/y` with a buffer of `buffer_px` pixels (of `options.extent`),
    /// as nodes with their unit-square coordinates. Builds the levels it needs.
    pub fn tile(&self, z: u8, x: u32, y: u32, buffer_px: f64) -> Vec<Node> {
        let z2 = f64::from(1u32 << z);
        let p = buffer_px / self.base.options.extent;
        let min = [(f64::from(x) - p) / z2, (f64::from(y) - p) / z2];
        let max = [(f64::from(x) + 1.0 + p) / z2, (f64::from(y) + 1.0 + p) / z2];
        let mut out = Vec::new();
        match self.level_at(z) {
            Some(l) => l.grid.in_box(min, max, |i| out.push(l.nodes[i as usize])),
            None => self.base.grid.in_box(min, max, |s| {
                if bit(&self.member, s) {
                    out.push(self.base.place(s));
                }
            }),
        }
        out
    }

    /// Every feature at zoom `z` (tests and statistics).
    pub fn level(&self, z: u8) -> Vec<Node> {
        match self.level_at(z) {
            Some(l) => l.nodes.clone(),
            None => self.places.iter().map(|&s| self.base.place(s)).collect(),
        }
    }

    /// Level `z` (clamped to `min_zoom`), built with the ones below it if needed; `None` beyond
    /// `max_zoom`, where the places are single.
    fn level_at(&self, z: u8) -> Option<&Level> {
        let o = &self.base.options;
        if z > o.max_zoom {
            return None;
        }
        let z = z.max(o.min_zoom);
        let cell = self.levels.get(usize::from(z - o.min_zoom))?;
        Some(cell.get_or_init(|| {
            let n = self.places.len() as u64;
            let nodes = match self.level_at(z + 1) {
                Some(prev) => cluster_level(&prev, z, o, n, &self.base.alone_from),
                None => cluster_level(&BaseLevel(self), z, o, n, &self.base.alone_from),
            };
            let cell = 2.0 * o.radius_at(i32::from(z)) * CELL_MARGIN;
            let point = |i: usize| (nodes[i].x, nodes[i].y, i as u32);
            let grid = Grid::new(nodes.len(), nodes.len(), point, cell);
            Level { nodes, grid }
        }))
    }
}

fn bit(set: &[u64], i: u32) -> bool {
    set.get(i as usize / 64)
        .is_some_and(|w| w & (1 << (i % 64)) != 0)
}

/// The level below the one being built: its features in order, each known by a key (the
/// index of the `taken` marks), and its radius query.
trait Below {
    fn len(&self) -> usize;
    /// Number of keys.
    fn keys(&self) -> usize;
    fn key(&self, i: usize) -> u32;
    fn node(&self, key: u32) -> Node;
    /// Calls `f(key)` for the features within `sqrt(r2)` of the one keyed `key`.
    fn around(&self, key: u32, r2: f64, f: impl FnMut(u32));
}

/// A built level: keys are indices.
impl Below for &Level {
    fn len(&self) -> usize {
        self.nodes.len()
    }
    fn keys(&self) -> usize {
        self.nodes.len()
    }
    fn key(&self, i: usize) -> u32 {
        i as u32
    }
    fn node(&self, key: u32) -> Node {
        self.nodes[key as usize]
    }
    fn around(&self, key: u32, r2: f64, f: impl FnMut(u32)) {
        self.grid.around(key, r2, f)
    }
}

/// The deepest level, the filter's places over the shared grid: keys are slots.
struct BaseLevel<'a>(&'a Hierarchy);

impl Below for BaseLevel<'_> {
    fn len(&self) -> usize {
        self.0.places.len()
    }
    fn keys(&self) -> usize {
        self.0.base.xy.len()
    }
    fn key(&self, i: usize) -> u32 {
        self.0.places[i]
    }
    fn node(&self, key: u32) -> Node {
        self.0.base.place(key)
    }
    fn around(&self, key: u32, r2: f64, mut f: impl FnMut(u32)) {
        let member = &self.0.member;
        self.0.base.grid.around(key, r2, |s| {
            if bit(member, s) {
                f(s)
            }
        });
    }
}

/// One step of supercluster's `_cluster`: the nodes of zoom `z` from those of `z + 1`. A place
/// alone from `z` on is copied without a query (see [`alone_from`]).
fn cluster_level(
    prev: &impl Below,
    z: u8,
    o: &ClusterOptions,
    n_points: u64,
    alone_from: &[u8],
) -> Vec<Node> {
    let r = o.radius_at(i32::from(z));
    let r2 = r * r;
    let mut taken = vec![0u64; prev.keys().div_ceil(64)];
    let take = |t: &mut [u64], k: u32| t[k as usize / 64] |= 1 << (k % 64);
    // at most one feature per feature below; pages never written cost nothing
    let mut out = Vec::with_capacity(prev.len());
    let mut neighbours: Vec<u32> = Vec::new();
    for i in 0..prev.len() {
        let key = prev.key(i);
        if bit(&taken, key) {
            continue;
        }
        take(&mut taken, key);
        let node = prev.node(key);
        if node.count == 1 && alone_from.get(node.id as usize).is_some_and(|&a| a <= z) {
            out.push(node);
            continue;
        }
        neighbours.clear();
        prev.around(key, r2, |k| {
            if !bit(&taken, k) {
                neighbours.push(k)
            }
        });
        let count = node.count + neighbours.iter().map(|&k| prev.node(k).count).sum::<u32>();
        if neighbours.is_empty() || count < o.min_points {
            out.push(node);
            // like supercluster, neighbours too few to cluster stay single at this zoom
            for &k in &neighbours {
                take(&mut taken, k);
                out.push(prev.node(k));
            }
            continue;
        }
        let (mut wx, mut wy) = (
            node.x * f64::from(node.count),
            node.y * f64::from(node.count),
        );
        for &k in &neighbours {
            let b = prev.node(k);
            take(&mut taken, k);
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

    /// Copying lone places without a query changes nothing, even where it is hardest: a place
    /// with rings of places between 1 and 3 radii away at some zoom, whose clusters' centres can
    /// come closer to it than any of their places.
    #[test]
    fn lone_places_skip_no_neighbour() {
        let o = ClusterOptions::default();
        let mut rng = crate::testdata::Rng::new(11);
        let mut pts: Vec<(u32, f64, f64)> = Vec::new();
        for c in 0..300 {
            let (cx, cy) = (rng.range(0.3, 0.7), rng.range(0.3, 0.7));
            let r = o.radius_at(rng.below(17) as i32);
            let rho = rng.range(1.0, 3.0) * r;
            let mut push = |x: f64, y: f64| {
                let [lon, lat] = super::super::unit_to_lonlat(x, y);
                pts.push((pts.len() as u32, lon, lat));
            };
            push(cx, cy);
            for _ in 0..(3 + c % 9) {
                let a = rng.range(0.0, std::f64::consts::TAU);
                let d = rho * rng.range(1.0, 1.05);
                push(cx + d * a.cos(), cy + d * a.sin());
            }
        }
        let slots: Vec<u32> = pts.iter().map(|p| p.0).collect();
        let base = ClusterBase::new(pts.iter().copied(), o);
        assert!(
            base.alone_from.iter().any(|&a| a != NEVER),
            "some lone places"
        );
        let mut no_skip = ClusterBase::new(pts.iter().copied(), o);
        no_skip.alone_from.fill(NEVER);
        let (h, reference) = (
            Hierarchy::new(Arc::new(base), slots.iter().copied()),
            Hierarchy::new(Arc::new(no_skip), slots.iter().copied()),
        );
        for z in (0..=17).rev() {
            assert_eq!(h.level(z), reference.level(z), "zoom {z}");
        }
    }
}
