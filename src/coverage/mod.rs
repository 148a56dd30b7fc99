//! Coverage: for every commune, the travel time to the nearest matching place, and the
//! population within 10/20/30/45 minutes per département, région and France.
//!
//! - [`search`]: one multi-source Dijkstra from all places on the reverse graph (radix heap):
//!   per node, the time to the nearest place and which one.
//! - [`turn_search`]: the same, turn by turn, for car graphs (turn costs and restrictions).
//! - [`commune_list`]: the communes file (interior points, 2026 population).
//! - [`report`]: per-commune rows, totals, and the output folder (`communes.csv`,
//!   `totals.csv`, `run.json`) that `serve --coverage DIR` reads back.
//! - [`map`]: the SVG map of communes coloured by time band.
//!
//! Method per commune: its interior point is snapped to the graph like any query point
//! ([`crate::routing::snap`], same walk leg, same limit); when it snaps and the search reached a
//! place from its road, the time is a road time (`road`). Otherwise (no road within the snap
//! limit, or no matching place reachable by road, as on a small extract) the time is the
//! straight-line estimate to the nearest matching place by great-circle distance, with the
//! routing endpoints' constants ([`crate::routing::estimate`]), and the commune is counted as
//! `straight_line`. Communes without coordinates get no time (`none`).

pub mod cli;
pub mod commune_list;
pub mod map;
pub mod radix;
pub mod report;
pub mod search;
pub mod turn_search;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::dataset::Dataset;
use crate::filter::Filter;
use crate::model::Position;
use crate::routing::Graph;
use crate::routing::search::UNREACHED;
use crate::routing::snap::{Snap, Snapper};
use crate::routing::{Profile, estimate};
pub use commune_list::CoverageCommune;
pub use report::{CoverageReport, Level, Totals};
use search::{NO_PLACE, NearestPlaces, ReverseGraph, Source};

/// Why a coverage could not be computed, written or read.
#[derive(Debug, thiserror::Error)]
pub enum CoverageError {
    #[error("I/O error on {1}")]
    Io(#[source] std::io::Error, PathBuf),
    #[error("CSV error in {1}")]
    Csv(#[source] csv::Error, PathBuf),
    #[error("column {0} missing in {1}")]
    MissingColumn(&'static str, PathBuf),
    #[error("invalid {1}")]
    Json(#[source] serde_json::Error, PathBuf),
    #[error("invalid value in {path}, line {line}: {message}")]
    Invalid {
        path: PathBuf,
        line: u64,
        message: String,
    },
}

/// How a commune's time was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Road time on the graph.
    Road,
    /// Straight-line estimate (the graph does not cover the commune).
    StraightLine,
    /// No time: the commune has no coordinates, or no place matches.
    None,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Road => "road",
            Method::StraightLine => "straight_line",
            Method::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        match s {
            "road" => Some(Method::Road),
            "straight_line" => Some(Method::StraightLine),
            "none" => Some(Method::None),
            _ => None,
        }
    }
}

/// The time from one commune to its nearest matching place.
#[derive(Debug, Clone, PartialEq)]
pub struct CommuneTime {
    pub commune: CoverageCommune,
    /// Seconds (rounded from milliseconds for road times); `None` with [`Method::None`].
    pub seconds: Option<f64>,
    /// Dataset slot of the nearest place.
    pub place: Option<u32>,
    pub method: Method,
}

/// Timings and counts of one computation.
#[derive(Debug, Clone, Default)]
pub struct ComputeStats {
    pub places: usize,
    /// Matching places within the snap limit of a road.
    pub places_on_graph: usize,
    pub nodes: usize,
    pub nodes_settled: usize,
    /// Snapping index (R-tree over road segments), built once per graph.
    pub index: Duration,
    /// Snapping the places, transposing the graph, multi-source search.
    pub search: Duration,
    /// Snapping the communes and reading their times (straight-line fallbacks included).
    pub communes: Duration,
}

/// A graph prepared for coverage: its snapping index and reverse graph.
pub struct Prepared<'g> {
    pub graph: &'g Graph,
    pub snapper: Snapper,
}

impl<'g> Prepared<'g> {
    pub fn new(graph: &'g Graph) -> Prepared<'g> {
        Prepared {
            graph,
            snapper: Snapper::new(graph),
        }
    }
}

/// One multi-source search from every matching, positioned place of `ds` within `max_snap_m`
/// of a road of `g`: `(search result, number of places on the graph)`.
pub fn search_from_places(
    g: &Graph,
    snapper: &Snapper,
    ds: &Dataset,
    filter: &Filter,
    max_snap_m: f64,
) -> (NearestPlaces, usize) {
    let mut sources = Vec::new();
    let mut on_road: std::collections::HashMap<u32, Vec<(u32, Snap)>> = Default::default();
    let mut on_graph = 0;
    for slot in ds.all_matching(filter) {
        let Some(p) = ds.lieu(slot).position else {
            continue;
        };
        if let Some(s) = snapper.snap(p.lon, p.lat, max_snap_m) {
            on_graph += 1;
            on_road.entry(s.arc).or_default().push((slot, s));
            sources.extend(s.arrivals(g).into_iter().map(|l| Source {
                node: l.node,
                offset_ms: l.ms,
                place: slot,
                by_arc: l.by_arc,
            }));
        }
    }
    let mut nearest = if g.turn_aware() {
        turn_search::nearest_places_turns(g, &sources)
    } else {
        search::nearest_places(&ReverseGraph::of(g), &sources)
    };
    nearest.on_road = on_road;
    (nearest, on_graph)
}

/// Road time (ms) and place from the point `(lon, lat)` to its nearest place in `nearest`, if
/// the point is within `max_snap_m` of a road and a place is reachable from there.
pub fn road_time(
    g: &Graph,
    snapper: &Snapper,
    nearest: &NearestPlaces,
    (lon, lat): (f64, f64),
    max_snap_m: f64,
) -> Option<(u32, u32)> {
    let s = snapper.snap(lon, lat, max_snap_m)?;
    s.departures(g)
        .into_iter()
        .filter_map(|l| {
            let u = l.node as usize;
            let (t, p) = match l.by_arc {
                // reaching u by an arc (turn-aware): a place at u, or a turn allowed onto an arc
                Some(a) if !nearest.arc_time_ms.is_empty() => {
                    let at = *nearest.at_node.get(u)?;
                    g.arcs(l.node)
                        .filter_map(|b| {
                            let turn = g.turn_cost(a as usize, 0, l.node, b)?;
                            let t = nearest.arc_time_ms[b];
                            (t != UNREACHED).then(|| (t.saturating_add(turn), nearest.arc_place[b]))
                        })
                        .fold(at, |best, x| best.min(x))
                }
                _ => (*nearest.time_ms.get(u)?, nearest.place[u]),
            };
            (t != UNREACHED && p != NO_PLACE).then(|| (l.ms.saturating_add(t), p))
        })
        // places on the point's own road, straight along it
        .chain(
            nearest
                .on_road
                .get(&s.arc)
                .into_iter()
                .flatten()
                .filter_map(|(slot, p)| Some((s.along(g, p)?.0, *slot))),
        )
        .min()
}

/// Computes the time from every commune to its nearest place matching `filter`, by road on
/// `prepared` where it covers the commune, by straight-line estimate elsewhere. `on_progress`
/// is called after each commune (for a progress bar).
pub fn compute(
    prepared: &Prepared<'_>,
    ds: &Dataset,
    filter: &Filter,
    communes: Vec<CoverageCommune>,
    max_snap_m: f64,
    mut on_progress: impl FnMut(),
) -> (Vec<CommuneTime>, ComputeStats) {
    let g = prepared.graph;
    let profile: Profile = g.profile;
    let started = Instant::now();
    let (nearest, on_graph) = search_from_places(g, &prepared.snapper, ds, filter, max_snap_m);
    let search = started.elapsed();
    let started = Instant::now();
    let mut out = Vec::with_capacity(communes.len());
    for c in communes {
        let (seconds, place, method) = match c.point {
            None => (None, None, Method::None),
            Some(pt) => match road_time(g, &prepared.snapper, &nearest, pt, max_snap_m) {
                Some((ms, slot)) => (Some(f64::from(ms) / 1000.0), Some(slot), Method::Road),
                None => {
                    let at = Position {
                        lon: pt.0,
                        lat: pt.1,
                    };
                    match ds.nearest(at, 1, None, filter).first() {
                        Some(hit) => {
                            let to = ds.lieu(hit.slot).position.map_or(pt, |p| (p.lon, p.lat));
                            let (s, _) = estimate(profile, pt, to);
                            (Some(s), Some(hit.slot), Method::StraightLine)
                        }
                        None => (None, None, Method::None),
                    }
                }
            },
        };
        out.push(CommuneTime {
            commune: c,
            seconds,
            place,
            method,
        });
        on_progress();
    }
    let stats = ComputeStats {
        places: ds.all_matching(filter).count(),
        places_on_graph: on_graph,
        nodes: g.node_count(),
        nodes_settled: nearest.settled,
        index: Duration::ZERO,
        search,
        communes: started.elapsed(),
    };
    (out, stats)
}
