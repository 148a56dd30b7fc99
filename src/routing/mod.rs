//! Road-network routing: travel times on OpenStreetMap roads, with no external engine.
//!
//! - [`graph`]: the CSR graph of each profile and its binary file ([`RoadNetwork`]).
//! - [`build`]: OSM PBF → graph (tag rules, largest strongly connected component).
//! - [`snap`]: nearest road point of a point (R-tree over segments).
//! - [`search`]: bounded and k-closest Dijkstra.
//! - [`isochrone`]: travel-time grid → contour polygons.
//! - [`synthetic`]: a generated France-size road-like graph for benchmarks.
//!
//! [`Router`] joins a network to a [`Dataset`]: every positioned place is snapped once, per
//! profile; places farther than the snap limit from any road are unreachable by road.
//!
//! Without a graph, or for a point outside it, callers use [`estimate`]: straight-line
//! distance × [`DETOUR_FACTOR`] at [`ESTIMATE_CAR_KMH`] / [`ESTIMATE_WALK_KMH`], always marked
//! as an estimate.

pub mod build;
pub mod graph;
pub mod isochrone;
pub mod search;
pub mod snap;
pub mod synthetic;

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

/// One profile's graph with its snapping index and the places snapped to it.
struct Indexed {
    /// Shared by the routers of successive datasets (live imports): it depends on the graph only.
    snapper: Arc<Snapper>,
    bbox: [f64; 4],
    /// Places per node, CSR: `attached[starts[u]..starts[u + 1]]`.
    starts: Vec<u32>,
    attached: Vec<Attached>,
    by_slot: Vec<Option<Snap>>,
}

impl Indexed {
    fn new(g: &Graph, ds: &Dataset, max_snap_m: f64) -> Indexed {
        Indexed::attach(g, Arc::new(Snapper::new(g)), ds, max_snap_m)
    }

    /// The places of `ds` snapped with `snapper` (built for `g`).
    fn attach(g: &Graph, snapper: Arc<Snapper>, ds: &Dataset, max_snap_m: f64) -> Indexed {
        let by_slot: Vec<Option<Snap>> = ds
            .lieux()
            .iter()
            .map(|l| {
                l.position
                    .and_then(|p| snapper.snap(p.lon, p.lat, max_snap_m))
            })
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
                offset_dm: 0
            };
            legs.len()
        ];
        for (slot, l) in legs {
            let i = &mut fill[l.node as usize];
            attached[*i as usize] = Attached {
                slot,
                offset_ms: l.ms,
                offset_dm: l.dm,
            };
            *i += 1;
        }
        Indexed {
            snapper,
            bbox: g.bbox(),
            starts,
            attached,
            by_slot,
        }
    }

    fn at(&self, u: u32) -> &[Attached] {
        &self.attached[self.starts[u as usize] as usize..self.starts[u as usize + 1] as usize]
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
    pub fn new(network: RoadNetwork, ds: &Dataset, max_snap_m: f64) -> Router {
        let car = Indexed::new(&network.car, ds, max_snap_m);
        let walk = Indexed::new(&network.walk, ds, max_snap_m);
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
            car: Indexed::attach(&net.car, Arc::clone(&self.car.snapper), ds, self.max_snap_m),
            walk: Indexed::attach(
                &net.walk,
                Arc::clone(&self.walk.snapper),
                ds,
                self.max_snap_m,
            ),
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

    /// Locates a query point.
    pub fn locate(&self, profile: Profile, lon: f64, lat: f64) -> Located {
        let ix = self.indexed(profile);
        let [x0, y0, x1, y1] = ix.bbox;
        // the snap limit in degrees, generously (longitude degrees shrink with latitude)
        let m_lat = self.max_snap_m / 111_000.0;
        let m_lon = m_lat / lat.to_radians().cos().max(0.1);
        if lon < x0 - m_lon || lon > x1 + m_lon || lat < y0 - m_lat || lat > y1 + m_lat {
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
        search::bounded(g, &origins(g, from), limit_s.saturating_mul(1000))
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
        let mut out: Vec<Reached> = tree
            .settled
            .iter()
            .flat_map(|&u| {
                let t = tree.time_ms[u as usize];
                let l = tree.length_dm[u as usize];
                ix.at(u).iter().map(move |a| Reached {
                    slot: a.slot,
                    time_ms: t.saturating_add(a.offset_ms),
                    length_dm: l.saturating_add(a.offset_dm),
                })
            })
            .filter(|r| r.time_ms <= limit_ms)
            .collect();
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
        let ix = self.indexed(profile);
        let g = self.network.graph(profile);
        search::closest(g, &origins(g, from), k, u32::MAX - 1, |u| ix.at(u), keep)
    }
}

/// Search origins of a snapped point: the ends of its segment it can drive (or walk) to.
pub fn origins(g: &Graph, s: Snap) -> Vec<Origin> {
    s.departures(g)
        .into_iter()
        .map(|l| Origin {
            node: l.node,
            offset_ms: l.ms,
            offset_dm: l.dm,
        })
        .collect()
}
