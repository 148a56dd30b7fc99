//! Road-network routing: travel times on OpenStreetMap roads, with no external engine.
//!
//! - [`graph`]: the CSR graph of each profile and its binary file ([`RoadNetwork`]).
//! - [`build`]: OSM PBF → graph (largest strongly connected component); the tag rules are
//!   [`tags`] (car) and [`walk_tags`] (walk).
//! - [`scc`]: strongly connected components (the largest kept per extract).
//! - [`density`]: road density around each node (urban or rural speeds).
//! - [`restrictions`]: OSM turn restrictions → forbidden turns.
//! - [`snap`]: nearest road point of a point (R-tree over segments).
//! - [`search`]: bounded and k-closest Dijkstra ([`turn_search`]: turn by turn, for cars;
//!   [`tree`]: what they share; [`turns`]: turn costs and restrictions).
//! - [`isochrone`]: travel-time grid → contour polygons.
//! - [`answer`]: travel-time answers that list every matching place, by road or estimated.
//! - [`floor`]: what a road search proves about the places it did not time (estimates' floor).
//! - [`synthetic`]: a generated France-size road-like graph for benchmarks; [`synth_pbf`]: a
//!   synthetic France-size OSM PBF (roads of [`synth_osm`]) for the real build.
//!
//! [`Router`] joins a network to a [`Dataset`]: every positioned place is snapped once, per
//! profile; places farther than the snap limit from any road are unreachable by road. A graph
//! may hold several unconnected parts (one per extract given to `lieux graph build` that does
//! not touch the others): [`Components`] labels them, and the graph's extent is the union of
//! their boxes, so the sea between two regions is outside it.
//!
//! Without a graph, for a point outside it, and for a place the roads do not join to the query
//! point, callers use [`estimate`]: straight-line distance × [`DETOUR_FACTOR`] at
//! [`ESTIMATE_CAR_KMH`] / [`ESTIMATE_WALK_KMH`], always marked as an estimate.

pub mod answer;
pub mod build;
pub mod contract;
pub mod denoise;
pub mod density;
pub mod extent;
pub mod floor;
pub mod geometry;
pub mod graph;
pub mod graph_read;
pub mod graph_write;
pub mod isochrone;
pub mod lines;
pub mod marching;
pub mod osm_read;
pub mod restrictions;
pub mod scc;
pub mod search;
pub mod simplify;
pub mod snap;
pub mod snap_grid;
pub mod synth_osm;
pub mod synth_pbf;
pub mod synthetic;
pub mod tags;
pub mod tree;
pub mod turn_search;
pub mod turns;
pub mod walk_cost;
pub mod walk_search;
pub mod walk_tags;

pub use graph::{Graph, GraphError, Profile, RoadNetwork};
use std::sync::Arc;

use search::{Attached, Origin, Reached, Tree};
use snap::{Snap, Snapper};

use crate::dataset::Dataset;
use crate::geodesy::haversine_m;

/// Default largest distance between a point and the road it is snapped to, metres.
pub const DEFAULT_MAX_SNAP_M: f64 = 1_000.0;
/// Straight-line estimate: car speed, km/h.
pub const ESTIMATE_CAR_KMH: f64 = 50.0;
/// Straight-line estimate: walking speed, km/h.
pub const ESTIMATE_WALK_KMH: f64 = 5.0;
/// Straight-line estimate: road distance / straight-line distance.
pub const DETOUR_FACTOR: f64 = 1.3;

/// Straight-line estimate between two points: `(duration_s, distance_m)`, the distance being
/// the straight line × [`DETOUR_FACTOR`].
pub fn estimate(profile: Profile, from: (f64, f64), to: (f64, f64)) -> (f64, f64) {
    let d = haversine_m(from.0, from.1, to.0, to.1) * DETOUR_FACTOR;
    (d / (estimate_kmh(profile) / 3.6), d)
}

/// Speed of the straight-line estimate, km/h.
pub fn estimate_kmh(profile: Profile) -> f64 {
    match profile {
        Profile::Car => ESTIMATE_CAR_KMH,
        Profile::Walk => ESTIMATE_WALK_KMH,
    }
}

/// Where a query point falls relative to the graph.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Located {
    /// Snapped to the graph.
    OnGraph(Snap),
    /// Outside the graph's extent (plus the snap limit): answer with an estimate.
    Outside,
    /// Inside the graph's extent but farther than the snap limit from any road.
    TooFar { max_snap_m: f64 },
}

/// The weakly connected parts of a graph: a label per node and each part's bounding box.
///
/// Graphs written by `lieux graph build` keep one strongly connected component per extract
/// (extracts that share roads merge into one), so within a part every node reaches every other:
/// a place on the query point's part is reachable by road, a place on another part never is.
#[derive(Debug, Clone, PartialEq)]
pub struct Components {
    /// Part of each node, numbered in order of their lowest node; empty when there is one part.
    of_node: Vec<u32>,
    /// `(min_lon, min_lat, max_lon, max_lat)` of each part's nodes, degrees.
    boxes: Vec<[f64; 4]>,
}

impl Components {
    /// Labels the parts of `g` (union-find over its arcs, directions ignored).
    pub fn new(g: &Graph) -> Components {
        let n = g.node_count();
        let mut parent: Vec<u32> = (0..n as u32).collect();
        fn root(parent: &mut [u32], mut u: u32) -> u32 {
            while parent[u as usize] != u {
                let up = parent[parent[u as usize] as usize];
                parent[u as usize] = up;
                u = up;
            }
            u
        }
        for u in 0..n as u32 {
            for a in g.arcs(u) {
                let (ru, rv) = (root(&mut parent, u), root(&mut parent, g.targets[a]));
                if ru != rv {
                    // the lower root wins: labels do not depend on the arc order
                    let (lo, hi) = (ru.min(rv), ru.max(rv));
                    parent[hi as usize] = lo;
                }
            }
        }
        let mut label = vec![u32::MAX; n];
        let mut of_node = Vec::with_capacity(n);
        let mut boxes: Vec<[f64; 4]> = Vec::new();
        for u in 0..n as u32 {
            let r = root(&mut parent, u) as usize;
            if label[r] == u32::MAX {
                label[r] = boxes.len() as u32;
                boxes.push([f64::MAX, f64::MAX, f64::MIN, f64::MIN]);
            }
            let c = label[r];
            of_node.push(c);
            let (x, y) = g.coord(u);
            let b = &mut boxes[c as usize];
            *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
        }
        if boxes.len() <= 1 {
            of_node = Vec::new();
        }
        Components { of_node, boxes }
    }

    /// The part of node `u`.
    pub fn of(&self, u: u32) -> u32 {
        self.of_node.get(u as usize).copied().unwrap_or(0)
    }

    /// Number of parts.
    pub fn count(&self) -> usize {
        self.boxes.len()
    }

    /// Each part's `(min_lon, min_lat, max_lon, max_lat)`, degrees.
    pub fn boxes(&self) -> &[[f64; 4]] {
        &self.boxes
    }

    /// Is `(lon, lat)` in the graph's extent: inside a part's box grown by `margin_m` metres?
    pub fn holds(&self, lon: f64, lat: f64, margin_m: f64) -> bool {
        // the margin in degrees, generously (longitude degrees shrink with latitude)
        let m_lat = margin_m / 111_000.0;
        let m_lon = m_lat / lat.to_radians().cos().max(0.1);
        self.boxes.iter().any(|&[x0, y0, x1, y1]| {
            lon >= x0 - m_lon && lon <= x1 + m_lon && lat >= y0 - m_lat && lat <= y1 + m_lat
        })
    }
}

/// One profile's graph with its snapping index and the places snapped to it.
struct Indexed {
    /// Shared by the routers of successive datasets (live imports): it depends on the graph only.
    snapper: Arc<Snapper>,
    /// The graph's parts, shared like the snapper.
    components: Arc<Components>,
    /// Places per node, CSR: `attached[starts[u]..starts[u + 1]]`.
    starts: Vec<u32>,
    attached: Vec<Attached>,
    by_slot: Vec<Option<Snap>>,
    /// Positioned places farther than the snap limit from any road, by slot.
    unsnapped: Vec<u32>,
}

impl Indexed {
    /// The index of `g` with its snap cells `grid` (from the graph file; computed when empty)
    /// and the places of `ds` attached.
    fn new(g: &Graph, grid: snap::SnapGrid, ds: &Dataset, max_snap_m: f64) -> Indexed {
        let grid = (!grid.is_empty()).then_some(grid);
        let (snapper, components) = std::thread::scope(|s| {
            let components = s.spawn(|| Components::new(g));
            let snapper = Snapper::with_grid(g, grid);
            // a panic in the thread is a bug: carried on, not hidden
            let components = components
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            (snapper, components)
        });
        Indexed::attach(g, (Arc::new(snapper), Arc::new(components)), ds, max_snap_m)
    }

    /// The places of `ds` snapped with `snapper` (built for `g`, like `components`).
    fn attach(
        g: &Graph,
        (snapper, components): (Arc<Snapper>, Arc<Components>),
        ds: &Dataset,
        max_snap_m: f64,
    ) -> Indexed {
        let by_slot: Vec<Option<Snap>> = ds
            .lieux()
            .iter()
            .map(|l| {
                l.position
                    .and_then(|p| snapper.snap(p.lon, p.lat, max_snap_m))
            })
            .collect();
        let unsnapped = ds
            .lieux()
            .iter()
            .zip(&by_slot)
            .enumerate()
            .filter(|(_, (l, s))| l.position.is_some() && s.is_none())
            .map(|(slot, _)| slot as u32)
            .collect();
        let n = g.node_count();
        let legs: Vec<(u32, snap::Leg)> = by_slot
            .iter()
            .enumerate()
            .filter_map(|(slot, s)| s.map(|s| (slot as u32, s)))
            .flat_map(|(slot, s)| s.arrivals(g).into_iter().map(move |l| (slot, l)))
            .collect();
        let mut starts = vec![0u32; n + 1];
        for (_, l) in &legs {
            starts[l.node as usize + 1] += 1;
        }
        for i in 0..n {
            starts[i + 1] += starts[i];
        }
        let mut fill = starts.clone();
        let mut attached = vec![
            Attached {
                slot: 0,
                offset_ms: 0,
                offset_dm: 0,
                by_arc: None,
            };
            legs.len()
        ];
        for (slot, l) in legs {
            let i = &mut fill[l.node as usize];
            attached[*i as usize] = Attached {
                slot,
                offset_ms: l.ms,
                offset_dm: l.dm,
                by_arc: l.by_arc.filter(|_| g.turn_aware()),
            };
            *i += 1;
        }
        Indexed {
            snapper,
            components,
            starts,
            attached,
            by_slot,
            unsnapped,
        }
    }

    fn at(&self, u: u32) -> &[Attached] {
        &self.attached[self.starts[u as usize] as usize..self.starts[u as usize + 1] as usize]
    }

    fn shared(&self) -> (Arc<Snapper>, Arc<Components>) {
        (Arc::clone(&self.snapper), Arc::clone(&self.components))
    }
}

/// A road network attached to a dataset.
pub struct Router {
    network: Arc<RoadNetwork>,
    car: Indexed,
    walk: Indexed,
    max_snap_m: f64,
}

impl Router {
    /// Snaps every positioned place of `ds` to both profiles (within `max_snap_m` metres).
    /// The profiles are indexed side by side (two threads, each with its parts labelled on a
    /// third): at France size they are seconds each.
    pub fn new(mut network: RoadNetwork, ds: &Dataset, max_snap_m: f64) -> Router {
        let car_grid = std::mem::take(&mut network.car.snap_grid);
        let walk_grid = std::mem::take(&mut network.walk.snap_grid);
        let (car, walk) = std::thread::scope(|s| {
            let car = s.spawn(|| Indexed::new(&network.car, car_grid, ds, max_snap_m));
            let walk = Indexed::new(&network.walk, walk_grid, ds, max_snap_m);
            let car = car.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            (car, walk)
        });
        Router {
            network: Arc::new(network),
            car,
            walk,
            max_snap_m,
        }
    }

    /// The same network, snapping indexes and limit with the places of `ds` attached instead
    /// (a live import or reload: only the places are snapped again).
    pub fn for_dataset(&self, ds: &Dataset) -> Router {
        let net = &self.network;
        Router {
            network: Arc::clone(net),
            car: Indexed::attach(&net.car, self.car.shared(), ds, self.max_snap_m),
            walk: Indexed::attach(&net.walk, self.walk.shared(), ds, self.max_snap_m),
            max_snap_m: self.max_snap_m,
        }
    }

    pub fn network(&self) -> &RoadNetwork {
        &self.network
    }

    pub fn max_snap_m(&self) -> f64 {
        self.max_snap_m
    }

    fn indexed(&self, p: Profile) -> &Indexed {
        match p {
            Profile::Car => &self.car,
            Profile::Walk => &self.walk,
        }
    }

    /// The snap of the place in `slot`, if it is within the limit of a road.
    pub fn place_snap(&self, profile: Profile, slot: u32) -> Option<Snap> {
        self.indexed(profile)
            .by_slot
            .get(slot as usize)
            .copied()
            .flatten()
    }

    /// The unconnected parts of the profile's graph.
    pub fn components(&self, profile: Profile) -> &Components {
        &self.indexed(profile).components
    }

    /// Is `(lon, lat)` in the profile's graph extent: within the snap limit of a part's box?
    pub fn in_extent(&self, profile: Profile, lon: f64, lat: f64) -> bool {
        self.indexed(profile)
            .components
            .holds(lon, lat, self.max_snap_m)
    }

    /// Can the roads take `from` to the place in `slot`? Only when the place is snapped to the
    /// same part of the graph (see [`Components`]).
    pub fn joins(&self, profile: Profile, from: Snap, slot: u32) -> bool {
        let c = &self.indexed(profile).components;
        self.place_snap(profile, slot)
            .is_some_and(|s| c.of(s.u) == c.of(from.u))
    }

    /// The positioned places farther than the snap limit from any road, by slot.
    pub fn unsnapped(&self, profile: Profile) -> &[u32] {
        &self.indexed(profile).unsnapped
    }

    /// Locates a query point: outside every part's box (grown by the snap limit) it is
    /// [`Located::Outside`]; inside one, it snaps or is [`Located::TooFar`].
    pub fn locate(&self, profile: Profile, lon: f64, lat: f64) -> Located {
        let ix = self.indexed(profile);
        if !self.in_extent(profile, lon, lat) {
            return Located::Outside;
        }
        match ix.snapper.snap(lon, lat, self.max_snap_m) {
            Some(s) => Located::OnGraph(s),
            None => Located::TooFar {
                max_snap_m: self.max_snap_m,
            },
        }
    }

    /// The search tree from `from` within `limit_s` seconds.
    pub fn tree(&self, profile: Profile, from: Snap, limit_s: u32) -> Tree {
        let g = self.network.graph(profile);
        let mut tree = search::bounded(g, &origins(g, from), limit_s.saturating_mul(1000));
        tree.start = Some(search::StartOnArc {
            arc: from.arc,
            u: from.u,
            v: from.v,
            segment: from.segment,
            fraction: from.fraction,
            walk_ms: snap::walk_ms(from.distance_m),
            distance_m: from.distance_m,
        });
        tree
    }

    /// Places reached in `tree` within `limit_s` (snap offsets included) that `keep` accepts,
    /// sorted by `(time, slot)`.
    pub fn reached(
        &self,
        profile: Profile,
        tree: &Tree,
        limit_s: u32,
        mut keep: impl FnMut(u32) -> bool,
    ) -> Vec<Reached> {
        let limit_ms = limit_s.saturating_mul(1000);
        let ix = self.indexed(profile);
        let g = self.network.graph(profile);
        let mut out: Vec<Reached> = tree
            .settled
            .iter()
            .flat_map(|&u| {
                let t = tree.time_ms[u as usize];
                let l = tree.length_dm[u as usize];
                ix.at(u).iter().filter_map(move |a| {
                    // a place inside an arc's shape: from when the search turned onto the arc
                    let (t, l) = match a.by_arc {
                        Some(b) => {
                            tree.arc_entry(b, g.weights[b as usize], g.lengths[b as usize])?
                        }
                        None => (t, l),
                    };
                    Some(Reached {
                        slot: a.slot,
                        time_ms: t.saturating_add(a.offset_ms),
                        length_dm: l.saturating_add(a.offset_dm),
                    })
                })
            })
            .collect();
        // a place on the start's own road: also straight along it
        if let Some(s) = tree.start {
            let from = Snap {
                u: s.u,
                v: s.v,
                arc: s.arc,
                segment: s.segment,
                fraction: s.fraction,
                distance_m: s.distance_m,
            };
            out.extend(self.along_road(profile, from));
        }
        out.retain(|r| r.time_ms <= limit_ms);
        // a place hanging off two nodes: keep its earliest arrival
        out.sort_by_key(|r| (r.slot, r.time_ms));
        out.dedup_by_key(|r| r.slot);
        out.retain(|r| keep(r.slot));
        out.sort_by_key(|r| (r.time_ms, r.slot));
        out
    }

    /// The `k` places closest in time to `from` that `keep` accepts (any distance).
    pub fn closest(
        &self,
        profile: Profile,
        from: Snap,
        k: usize,
        keep: impl FnMut(u32) -> bool,
    ) -> Vec<Reached> {
        self.closest_within(profile, from, k, u32::MAX - 1, keep)
    }

    /// [`Router::closest`] among the places reached within `max_ms` milliseconds.
    pub fn closest_within(
        &self,
        profile: Profile,
        from: Snap,
        k: usize,
        max_ms: u32,
        mut keep: impl FnMut(u32) -> bool,
    ) -> Vec<Reached> {
        let ix = self.indexed(profile);
        let g = self.network.graph(profile);
        let mut direct = self.along_road(profile, from);
        direct.retain(|r| r.time_ms <= max_ms && keep(r.slot));
        let mut out = search::closest(g, &origins(g, from), k, max_ms, |u| ix.at(u), &mut keep);
        if !direct.is_empty() {
            // the search's k closest and the places straight along the road hold the k
            // closest: a place's time is the smaller of its two
            out.append(&mut direct);
            out.sort_by_key(|r| (r.slot, r.time_ms));
            out.dedup_by_key(|r| r.slot);
            out.sort_by_key(|r| (r.time_ms, r.slot));
            out.truncate(k);
        }
        out
    }

    /// The places snapped to the road of `from` (its arc or the same road the other way) that
    /// the road leads to from `from` without leaving it, with those times: the search joins a
    /// point to its arc's ends only, and an arc is a whole chain of way nodes between
    /// junctions, so two points on one street would otherwise meet through a junction.
    fn along_road(&self, profile: Profile, from: Snap) -> Vec<Reached> {
        let ix = self.indexed(profile);
        let g = self.network.graph(profile);
        let mut out: Vec<Reached> = [from.u, from.v]
            .iter()
            .flat_map(|&u| ix.at(u))
            .filter_map(|a| {
                let to = ix.by_slot.get(a.slot as usize).copied().flatten()?;
                let (time_ms, length_dm) = from.along(g, &to)?;
                Some(Reached {
                    slot: a.slot,
                    time_ms,
                    length_dm,
                })
            })
            .collect();
        out.sort_by_key(|r| (r.slot, r.time_ms));
        out.dedup_by_key(|r| r.slot);
        out
    }
}

/// Search origins of a snapped point: the ends of its segment it can drive (or walk) to. On a
/// walk graph each carries the point's arc, whose destination-only flag the walk search starts
/// with ([`walk_search`]); a point within [`NODE_SNAP_M`] of a node starts at that node on
/// every arc leaving it, each with its own flags, as Valhalla's `loki` correlates a location
/// that close to a node with all the node's edges (its `node_snap_tolerance`): a walk from a
/// junction of a footway and a pedestrian street tagged `motor_vehicle=destination` starts
/// inside that street too, and goes on along it without the destination-only penalty.
pub fn origins(g: &Graph, s: Snap) -> Vec<Origin> {
    let legs = s.departures(g);
    let mut out: Vec<Origin> = legs
        .iter()
        .map(|l| Origin {
            node: l.node,
            offset_ms: l.ms,
            offset_dm: l.dm,
            by_arc: if g.turn_aware() {
                l.by_arc
            } else {
                Some(s.arc)
            },
        })
        .collect();
    if g.turn_aware() || g.arc_flags.is_empty() {
        return out;
    }
    for l in &legs {
        // the point's distance to the node: to the road, then along it
        let along_m = (f64::from(l.dm) / 10.0 - s.distance_m).max(0.0);
        if s.distance_m.hypot(along_m) >= NODE_SNAP_M {
            continue;
        }
        out.extend(g.arcs(l.node).map(|a| Origin {
            node: l.node,
            offset_ms: l.ms,
            offset_dm: l.dm,
            by_arc: Some(a as u32),
        }));
    }
    out
}

/// A walk origin this close to a graph node (metres) starts on every arc leaving the node
/// (Valhalla's `loki` default `node_snap_tolerance`, 5 m).
pub const NODE_SNAP_M: f64 = 5.0;
