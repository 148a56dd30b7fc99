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
//!   road times and estimates together, ties by slot (id order);
//! - **reachable**: every matching place of the territory whose road time, or estimate when it
//!   has none, is within the limit, by duration then slot.
//!
//! A place the roads reach is always timed on them, even when its estimate would rank it
//! better: an estimate stands in only where no road time exists. Without a graph, or for a
//! query point outside it, every place is estimated ([`Unrouted::NoGraph`],
//! [`Unrouted::OriginOutside`]).
//!
//! Cost: the estimated candidates come from the spatial index (the `k` nearest places without
//! a road time, or those within the limit's radius), and the road search of `closest` stops at
//! the `k`-th estimate's duration when there are `k` of them.

use super::search::{Reached, Tree};
use super::snap::Snap;
use super::{DETOUR_FACTOR, Profile, Router, estimate, estimate_kmh};
use crate::dataset::{Dataset, Scope};
use crate::filter::Filter;
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

fn by_duration(v: &mut [Timed]) {
    v.sort_by(|a, b| {
        a.duration_s
            .total_cmp(&b.duration_s)
            .then(a.slot.cmp(&b.slot))
    });
}

/// The `k` matching places of the territory with the smallest durations, road times and
/// estimates together, sorted by `(duration, slot)`.
pub fn closest(ask: &Ask<'_>, start: Start<'_>, k: usize) -> Vec<Timed> {
    let scope = Scope {
        territoire: ask.territoire,
        max_m: None,
    };
    let mut out: Vec<Timed> = match start {
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
        // estimates grow with the distance: the k nearest places without a road time are the
        // k best estimates
        _ => ask
            .ds
            .nearest_where(ask.at, k, scope, ask.filter, |slot| {
                start.unrouted(ask, slot).is_some()
            })
            .iter()
            .filter_map(|h| Some(ask.estimated(h.slot, start.unrouted(ask, h.slot)?)))
            .collect(),
    };
    if let Start::Road { router, snap } = start {
        // a road time beyond the k-th estimate cannot make the k best
        let max_ms = match out.get(k.saturating_sub(1)) {
            Some(t) if out.len() >= k => ((t.duration_s * 1000.0).ceil() as u32).min(u32::MAX - 1),
            _ => u32::MAX - 1,
        };
        out.extend(
            router
                .closest_within(ask.profile, snap, k, max_ms, |slot| ask.keeps(slot))
                .iter()
                .map(road),
        );
    }
    by_duration(&mut out);
    out.truncate(k);
    out
}

/// Every matching place of the territory whose duration (road time, or estimate when it has
/// none) is at most `limit_s`, sorted by `(duration, slot)`. `tree` is the road search from
/// `start` within `limit_s` ([`Router::tree`]), when it starts on the road.
pub fn reachable(ask: &Ask<'_>, start: Start<'_>, tree: Option<&Tree>, limit_s: u32) -> Vec<Timed> {
    let limit = f64::from(limit_s);
    // the straight line an estimate covers in limit_s, and a metre for rounding
    let radius = limit * estimate_kmh(ask.profile) / 3.6 / DETOUR_FACTOR + 1.0;
    let mut out: Vec<Timed> = ask
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
    if let Start::Road { router, snap } = start {
        let own;
        let tree = match tree {
            Some(t) => t,
            None => {
                own = router.tree(ask.profile, snap, limit_s);
                &own
            }
        };
        out.extend(
            router
                .reached(ask.profile, tree, limit_s, |slot| ask.keeps(slot))
                .iter()
                .map(road),
        );
    }
    by_duration(&mut out);
    out
}
