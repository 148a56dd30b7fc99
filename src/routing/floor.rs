//! What a road search proves about the places it did not time: the floor under their
//! straight-line estimates (`/v1/lieux/closest`, `/v1/lieux/reachable`).
//!
//! A straight-line estimate (great-circle × [`super::DETOUR_FACTOR`] at
//! [`super::ESTIMATE_CAR_KMH`]) is faster than the roads of a dense centre, so on its own it
//! would rank a place off the graph before nearer places that the roads time honestly. A search
//! from the query point proves two things, and an estimate is raised to both
//! ([`Floor::floor_ms`]):
//!
//! 1. **The frontier.** Dijkstra settles nodes by time: the first node at least `d` metres (in a
//!    straight line) from the query point was settled at `reach(d)`, so nothing that far is
//!    reached sooner, on or off the graph. Beyond the farthest node the search settled (the
//!    roads ran out: an extract's edge), the floor is that node's time plus the estimate of the
//!    rest of the straight line; when the search stopped at its time limit instead, the place
//!    cannot be reached within that limit ([`Floor::floor_ms`] is `None`).
//! 2. **The places timed.** A place no farther in a straight line than a place the roads time
//!    at `t` is not ranked before it: the floor is at least the largest road time among the
//!    matching places at most `d` away. When one of those places is beyond the search's limit
//!    (its road time is unknown but exceeds the limit), so is the estimate.
//!
//! Both floors grow with the distance, so the estimate stays monotone in the distance and the
//! `k` nearest places without a road time are still the `k` best estimates.

use super::graph::{Graph, Profile};
use super::search::Tree;
use super::{DETOUR_FACTOR, estimate_kmh};
use crate::geodesy::haversine_m;

/// The floor under the estimates of one search (see the module doc).
#[derive(Debug, Clone, Default)]
pub struct Floor {
    /// `(time_ms, distance_m)` each time the settled nodes reached a new straight-line
    /// distance from the query point, by time (both increasing).
    frontier: Vec<(u32, f64)>,
    /// The search stopped at its limit (nodes beyond it are unknown).
    cut: bool,
    /// `(distance_m, largest road time in ms of the places at most that far)`, by distance.
    timed: Vec<(f64, u32)>,
    /// Distance of the nearest matching place the roads join but the search did not time
    /// (beyond its limit): estimates from there on are beyond the limit too.
    untimed_from: f64,
    /// Milliseconds per straight-line metre of the estimate, beyond the last node.
    ms_per_m: f64,
}

impl Floor {
    /// The floor of the search `tree` from `at` on `g`, given the matching places it timed
    /// (`(distance_m, time_ms)`) and the distance of the nearest matching place joined to the
    /// query point by road that it did not time (`f64::INFINITY` if none).
    pub fn new(
        g: &Graph,
        tree: &Tree,
        (at, profile): ((f64, f64), Profile),
        timed: impl IntoIterator<Item = (f64, u32)>,
        untimed_from: f64,
    ) -> Floor {
        let mut frontier: Vec<(u32, f64)> = Vec::new();
        for &u in &tree.settled {
            let (lon, lat) = g.coord(u);
            let d = haversine_m(at.0, at.1, lon, lat);
            if frontier.last().is_none_or(|&(_, r)| d > r) {
                frontier.push((tree.time_ms[u as usize], d));
            }
        }
        let mut by_d: Vec<(f64, u32)> = timed.into_iter().collect();
        by_d.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut most = 0;
        for e in &mut by_d {
            most = most.max(e.1);
            e.1 = most;
        }
        Floor {
            frontier,
            cut: tree.cut,
            timed: by_d,
            untimed_from,
            ms_per_m: 3_600.0 * DETOUR_FACTOR / estimate_kmh(profile),
        }
    }

    /// The least time (ms) the search proves a place `d` metres away in a straight line needs
    /// (beyond the last node, its time plus the estimate of the rest of the way), or `None` when
    /// that is beyond the search's limit.
    pub fn floor_ms(&self, d: f64) -> Option<f64> {
        if d >= self.untimed_from {
            return None;
        }
        let i = self.frontier.partition_point(|&(_, r)| r < d);
        let reach = match (self.frontier.get(i), self.frontier.last()) {
            (Some(&(t, _)), _) => f64::from(t),
            _ if self.cut => return None,
            (None, Some(&(t, r))) => f64::from(t) + (d - r) * self.ms_per_m,
            (None, None) => 0.0,
        };
        let j = self.timed.partition_point(|&(r, _)| r <= d);
        let timed = j.checked_sub(1).map_or(0, |j| self.timed[j].1);
        Some(reach.max(f64::from(timed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::graph::Arc;
    use crate::routing::search::{Origin, bounded};

    /// Nodes on a line east of (0, 0), 0.001° apart (~111 m), 60 s per arc both ways.
    fn line(n: u32) -> Graph {
        let arcs = (0..n - 1)
            .flat_map(|u| {
                [(u, u + 1), (u + 1, u)].map(|(from, to)| Arc {
                    from,
                    to,
                    weight_ms: 60_000,
                    length_dm: 1_110,
                })
            })
            .collect();
        let lon: Vec<i32> = (0..n as i32).map(|i| i * 10_000).collect();
        Graph::from_arcs(Profile::Car, lon, vec![0; n as usize], arcs)
    }

    fn origin() -> [Origin; 1] {
        [Origin {
            node: 0,
            offset_ms: 0,
            offset_dm: 0,
            by_arc: None,
        }]
    }

    #[test]
    fn frontier_and_timed_places_floor_the_estimates() {
        let g = line(6);
        let full = bounded(&g, &origin(), u32::MAX - 1);
        assert!(!full.cut);
        let f = Floor::new(&g, &full, ((0.0, 0.0), Profile::Car), [], f64::INFINITY);
        // 250 m: the third node (222 m) is nearer, the fourth (333 m) reached at 3 min
        assert_eq!(f.floor_ms(250.0), Some(180_000.0));
        // beyond the last node (5 min): the roads ran out, the estimate does the rest
        let last = haversine_m(0.0, 0.0, 0.005, 0.0);
        let rest = (5_000.0 - last) * 1.3 / (50.0 / 3.6) * 1000.0;
        let got = f.floor_ms(5_000.0);
        assert!(
            got.is_some_and(|t| (t - 300_000.0 - rest).abs() < 1e-6),
            "{got:?}"
        );
        // a place 100 m away timed at 10 min floors everything from 100 m on
        let f = Floor::new(
            &g,
            &full,
            ((0.0, 0.0), Profile::Car),
            [(100.0, 600_000)],
            f64::INFINITY,
        );
        assert_eq!(f.floor_ms(99.0), Some(60_000.0));
        assert_eq!(f.floor_ms(250.0), Some(600_000.0));
        // a search cut at 2 min: farther than it reached is beyond its limit
        let cut = bounded(&g, &origin(), 120_000);
        assert!(cut.cut);
        let f = Floor::new(&g, &cut, ((0.0, 0.0), Profile::Car), [], f64::INFINITY);
        assert_eq!(f.floor_ms(200.0), Some(120_000.0));
        assert_eq!(f.floor_ms(250.0), None);
        // a matching place joined by road but not timed 150 m away: beyond the limit too
        let f = Floor::new(&g, &cut, ((0.0, 0.0), Profile::Car), [], 150.0);
        assert_eq!(f.floor_ms(149.0), Some(120_000.0));
        assert_eq!(f.floor_ms(150.0), None);
    }
}
