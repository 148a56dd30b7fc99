//! Travel-time answers that never leave a matching place out (`/v1/lieux/closest`,
//! `/v1/lieux/reachable`).
//!
//! A regional graph covers part of the data: a place outside the graph's extent, farther than
//! the snap limit from any road, or on roads that do not join the query point's (another
//! extract, an island) has no road time. Such a place is not dropped: it gets the straight-line
//! estimate of [`super::estimate`] (great-circle distance × [`super::DETOUR_FACTOR`] at
//! [`super::ESTIMATE_CAR_KMH`] or [`super::ESTIMATE_WALK_KMH`]) and the reason it has no road
//! time ([`Unrouted`]), and it is ranked with the road-timed places by duration:
//!
//! - **closest**: the `k` smallest durations among every matching place of the territory,
//!   road times and estimates together;
//! - **reachable**: every matching place of the territory whose road time, or estimate when it
//!   has none, is within the limit, by duration.
//!
//! A place the roads reach is always timed on them, even when its estimate would rank it
//! better: an estimate stands in only where no road time exists. Without a graph, or for a
//! query point outside it, every place is estimated ([`Unrouted::NoGraph`],
//! [`Unrouted::OriginOutside`]).
//!
//! **Estimates never undercut the roads** ([`super::floor`]): from a query point on the graph,
//! an estimate is raised to what the road search proves — no sooner than the search first
//! reached that straight-line distance, and no sooner than the slowest matching place it timed
//! at most that far. So a place the roads time never ranks after an estimated place farther in
//! a straight line, and in a dense centre (where roads are slower than the estimate's 50 km/h)
//! the estimates take the centre's pace. At equal durations a road time comes first, then the
//! nearer estimate, then the slot.
//!
//! Cost: the estimated candidates come from the spatial index (the `k` nearest places without
//! a road time, or those within the limit's radius). `closest` first finds the `k` closest by
//! road, no farther than the `k`-th estimate; when there are estimates, a bounded search to the
//! `k`-th road time (doubled until the answer is settled when fewer than `k` places are timed)
//! gives their floor.

use super::floor::Floor;
use super::search::{Reached, Tree};
use super::snap::Snap;
use super::{DETOUR_FACTOR, Profile, Router, estimate, estimate_kmh};
use crate::dataset::{Dataset, Scope};
use crate::filter::Filter;
use crate::geodesy::haversine_m;
use crate::model::Position;
use crate::territory::Territoire;

/// Most places off the roads that `closest` estimates one by one rather than through the
/// spatial index (one-part graphs only).
const DIRECT_SCAN: usize = 4_096;

/// Why a place's duration is a straight-line estimate, not a road time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unrouted {
    /// No road graph is loaded.
    NoGraph,
    /// The query point lies outside the graph's extent.
    OriginOutside,
    /// The place lies outside the graph's extent (beyond every part's box and the snap limit).
    Outside,
    /// The place lies inside the graph's extent but farther than the snap limit from any road.
    FarFromRoad,
    /// The place's road is not joined to the query point's (another extract, an island).
    NotConnected,
}

impl Unrouted {
    /// Every reason, in the order of the documentation.
    pub const ALL: [Unrouted; 5] = [
        Unrouted::NoGraph,
        Unrouted::OriginOutside,
        Unrouted::Outside,
        Unrouted::FarFromRoad,
        Unrouted::NotConnected,
    ];

    /// The value of the `motif_estimation` property.
    pub fn as_str(self) -> &'static str {
        match self {
            Unrouted::NoGraph => "sans_graphe",
            Unrouted::OriginOutside => "depart_hors_graphe",
            Unrouted::Outside => "hors_graphe",
            Unrouted::FarFromRoad => "loin_des_routes",
            Unrouted::NotConnected => "non_relie",
        }
    }
}

/// A place with its travel time: on roads, or estimated (`unrouted` says why).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timed {
    pub slot: u32,
    /// Seconds.
    pub duration_s: f64,
    /// Metres along the road (snap legs included), or the straight line × the detour factor.
    pub distance_m: f64,
    /// `None` for a road time.
    pub unrouted: Option<Unrouted>,
}

/// Where the travel times start from.
#[derive(Clone, Copy)]
pub enum Start<'a> {
    /// A query point snapped to the graph of `router`.
    Road { router: &'a Router, snap: Snap },
    /// No road time from this point: every place is estimated, for this reason.
    Estimate(Unrouted),
}

/// What is asked: the places of `ds` matching `filter` in `territoire` (`None`: every
/// territory), by `profile`, from `at`.
#[derive(Clone, Copy)]
pub struct Ask<'a> {
    pub ds: &'a Dataset,
    pub filter: &'a Filter,
    pub territoire: Option<Territoire>,
    pub profile: Profile,
    pub at: Position,
}

impl Ask<'_> {
    fn in_scope(&self, slot: u32) -> bool {
        self.territoire
            .is_none_or(|t| self.ds.territoire(slot) == t)
    }

    /// Does a road search count the place in `slot`?
    fn keeps(&self, slot: u32) -> bool {
        self.in_scope(slot) && self.ds.matches(slot, self.filter)
    }

    fn estimated(&self, slot: u32, why: Unrouted) -> Timed {
        let to = self.ds.lieu(slot).position.unwrap_or(self.at);
        let (duration_s, distance_m) =
            estimate(self.profile, (self.at.lon, self.at.lat), (to.lon, to.lat));
        Timed {
            slot,
            duration_s,
            distance_m,
            unrouted: Some(why),
        }
    }
}

impl Start<'_> {
    /// Why the place in `slot` has no road time from here (`None`: the roads reach it).
    pub fn unrouted(&self, ask: &Ask<'_>, slot: u32) -> Option<Unrouted> {
        match *self {
            Start::Estimate(why) => Some(why),
            Start::Road { router, snap } => {
                if router.joins(ask.profile, snap, slot) {
                    None
                } else if router.place_snap(ask.profile, slot).is_some() {
                    Some(Unrouted::NotConnected)
                } else {
                    match ask.ds.lieu(slot).position {
                        Some(p) if router.in_extent(ask.profile, p.lon, p.lat) => {
                            Some(Unrouted::FarFromRoad)
                        }
                        _ => Some(Unrouted::Outside),
                    }
                }
            }
        }
    }
}

fn road(h: &Reached) -> Timed {
    Timed {
        slot: h.slot,
        duration_s: f64::from(h.time_ms) / 1000.0,
        distance_m: f64::from(h.length_dm) / 10.0,
        unrouted: None,
    }
}

/// Orders by duration; at equal durations a road time before an estimate, and the nearer
/// estimate first (so that the `k` nearest places without a road time are the `k` best
/// estimates even where the floor makes several equal); then by slot.
fn by_duration(v: &mut [Timed]) {
    let key = |t: &Timed| match t.unrouted {
        None => 0.0,
        Some(_) => t.distance_m,
    };
    v.sort_by(|a, b| {
        a.duration_s
            .total_cmp(&b.duration_s)
            .then(key(a).total_cmp(&key(b)))
            .then(a.slot.cmp(&b.slot))
    });
}

impl Ask<'_> {
    /// Straight-line metres from the query point to the place in `slot`.
    fn straight_m(&self, slot: u32) -> f64 {
        let to = self.ds.lieu(slot).position.unwrap_or(self.at);
        haversine_m(self.at.lon, self.at.lat, to.lon, to.lat)
    }

    /// The floor of the road search `tree` from the query point ([`Floor`]): the matching
    /// places it timed (`reached`), and the nearest matching place joined by road within
    /// `radius_m` that it did not time (when the search stopped at its limit).
    fn floor(
        &self,
        router: &Router,
        snap: Snap,
        tree: &Tree,
        reached: &[Reached],
        radius_m: f64,
    ) -> Floor {
        let timed: std::collections::HashSet<u32> = reached.iter().map(|r| r.slot).collect();
        let untimed_from = match tree.cut {
            false => f64::INFINITY,
            true => self
                .ds
                .within_radius(self.at, radius_m, self.filter)
                .iter()
                .filter(|h| self.in_scope(h.slot) && !timed.contains(&h.slot))
                .filter(|h| router.joins(self.profile, snap, h.slot))
                .map(|h| self.straight_m(h.slot))
                .fold(f64::INFINITY, f64::min),
        };
        Floor::new(
            router.network().graph(self.profile),
            tree,
            ((self.at.lon, self.at.lat), self.profile),
            reached.iter().map(|r| (self.straight_m(r.slot), r.time_ms)),
            untimed_from,
        )
    }

    /// The estimate `t` raised to `floor`; `None` when the floor is beyond the search's limit.
    fn floored(&self, t: Timed, floor: &Floor) -> Option<Timed> {
        let ms = floor.floor_ms(self.straight_m(t.slot))?;
        Some(Timed {
            duration_s: t.duration_s.max(ms / 1000.0),
            ..t
        })
    }
}

/// The `k` matching places of the territory with the smallest durations, road times and
/// estimates together (estimates raised to what the road search proves, [`super::floor`]),
/// sorted by duration (see [`by_duration`]).
pub fn closest(ask: &Ask<'_>, start: Start<'_>, k: usize) -> Vec<Timed> {
    let scope = Scope {
        territoire: ask.territoire,
        max_m: None,
    };
    let mut estimates: Vec<Timed> = match start {
        // one part of graph: only the places off the roads lack a road time, and when they are
        // few a pass over them is cheaper than an index search skipping every snapped place
        Start::Road { router, .. }
            if router.components(ask.profile).count() <= 1
                && router.unsnapped(ask.profile).len() <= DIRECT_SCAN =>
        {
            let mut v: Vec<Timed> = router
                .unsnapped(ask.profile)
                .iter()
                .filter(|&&slot| ask.keeps(slot))
                .filter_map(|&slot| Some(ask.estimated(slot, start.unrouted(ask, slot)?)))
                .collect();
            by_duration(&mut v);
            v.truncate(k);
            v
        }
        // estimates grow with the distance, floored or not: the k nearest places without a
        // road time are the k best estimates
        _ => ask
            .ds
            .nearest_where(ask.at, k, scope, ask.filter, |slot| {
                start.unrouted(ask, slot).is_some()
            })
            .iter()
            .filter_map(|h| Some(ask.estimated(h.slot, start.unrouted(ask, h.slot)?)))
            .collect(),
    };
    let Start::Road { router, snap } = start else {
        by_duration(&mut estimates);
        estimates.truncate(k);
        return estimates;
    };
    let kth = |v: &[Timed]| (v.len() >= k).then(|| v[k - 1].duration_s);
    // the k closest by road, no farther than the k-th estimate can be
    let max_ms = kth(&estimates).map_or(u32::MAX - 1, |d| {
        ((d * 1000.0).ceil() as u32).min(u32::MAX - 1)
    });
    let roads: Vec<Timed> = router
        .closest_within(ask.profile, snap, k, max_ms, |slot| ask.keeps(slot))
        .iter()
        .map(road)
        .collect();
    if estimates.is_empty() {
        return roads;
    }
    // A search to the k-th road time proves the floor of every estimate that can rank before
    // it; with fewer than k road times, widen the search until the answer is settled.
    let radius_m = estimates
        .iter()
        .map(|t| ask.straight_m(t.slot))
        .fold(0.0, f64::max)
        + 1.0;
    let mut limit_s = match kth(&roads) {
        Some(d) => d.ceil() as u32,
        None => kth(&estimates).unwrap_or(0.0).max(60.0).ceil() as u32,
    };
    loop {
        let tree = router.tree(ask.profile, snap, limit_s);
        let horizon_s = if tree.cut { limit_s } else { u32::MAX / 1000 };
        let reached = router.reached(ask.profile, &tree, horizon_s, |slot| ask.keeps(slot));
        let floor = ask.floor(router, snap, &tree, &reached, radius_m);
        let mut out: Vec<Timed> = estimates
            .iter()
            .filter_map(|&t| ask.floored(t, &floor))
            .chain(reached.iter().map(road))
            .collect();
        by_duration(&mut out);
        out.truncate(k);
        let settled = kth(&out).is_some_and(|d| d <= f64::from(limit_s));
        if !tree.cut || settled || limit_s >= u32::MAX / 2000 {
            return out;
        }
        limit_s = limit_s.saturating_mul(2);
    }
}

/// Every matching place of the territory whose duration (road time, or estimate raised to what
/// the road search proves when it has none) is at most `limit_s`, sorted by duration (see
/// [`by_duration`]). `tree` is the road search from `start` within `limit_s`
/// ([`Router::tree`]), when it starts on the road.
pub fn reachable(ask: &Ask<'_>, start: Start<'_>, tree: Option<&Tree>, limit_s: u32) -> Vec<Timed> {
    let limit = f64::from(limit_s);
    // the straight line an estimate covers in limit_s, and a metre for rounding
    let radius = limit * estimate_kmh(ask.profile) / 3.6 / DETOUR_FACTOR + 1.0;
    let estimates: Vec<Timed> = ask
        .ds
        .within_radius(ask.at, radius, ask.filter)
        .iter()
        .filter(|h| ask.in_scope(h.slot))
        .filter_map(|h| {
            let why = start.unrouted(ask, h.slot)?;
            Some(ask.estimated(h.slot, why))
        })
        .filter(|t| t.duration_s <= limit)
        .collect();
    let mut out = match start {
        Start::Road { router, snap } => {
            let own;
            let tree = match tree {
                Some(t) => t,
                None => {
                    own = router.tree(ask.profile, snap, limit_s);
                    &own
                }
            };
            let reached = router.reached(ask.profile, tree, limit_s, |slot| ask.keeps(slot));
            // when the roads ran out before the limit, every place they join is timed, the
            // limit only cuts the snap legs: the floor takes all of them
            let floor = match tree.cut {
                true => ask.floor(router, snap, tree, &reached, radius),
                false => {
                    let all = router.reached(ask.profile, tree, u32::MAX / 1000, |s| ask.keeps(s));
                    ask.floor(router, snap, tree, &all, radius)
                }
            };
            estimates
                .into_iter()
                .filter_map(|t| ask.floored(t, &floor))
                .filter(|t| t.duration_s <= limit)
                .chain(reached.iter().map(road))
                .collect()
        }
        Start::Estimate(_) => estimates,
    };
    by_duration(&mut out);
    out
}
