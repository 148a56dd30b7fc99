//! Straight-line estimates never undercut the roads (issue 17): from a query point on the
//! graph, an estimate is raised to what a full road search proves, and a place the roads time
//! never ranks after an estimated place farther in a straight line. The brute-force oracle of
//! every travel-time test lives here (a full Dijkstra, then every place timed by road or by its
//! floored estimate); the test checks both properties directly on the answers served over the
//! Paris-centre extract, a dense centre where roads are slower than the estimate's 50 km/h.

use lieux::Dataset;
use lieux::index::haversine_m;
use lieux::routing::search::{self, Tree, UNREACHED};
use lieux::routing::{
    DETOUR_FACTOR, Graph, Located, Profile, Router, estimate, estimate_kmh, origins,
};
use serde_json::Value;

use crate::honest_times::{around, get_ok, points};
use crate::routing::net;

/// A place of an oracle answer: slot, duration (s), estimated or not.
pub(crate) type Oracle = Vec<(u32, f64, bool)>;

/// What a full search proves: the least time at which it reached a node at least `d` metres
/// from the origin in a straight line.
struct Reach {
    /// Reached nodes by straight-line distance.
    nodes: Vec<(f64, u32)>,
    /// Least time of the nodes from each index on.
    least_beyond: Vec<u32>,
}

impl Reach {
    fn new(g: &Graph, full: &Tree, at: (f64, f64)) -> Reach {
        let mut nodes: Vec<(f64, u32)> = (0..g.node_count() as u32)
            .filter(|&u| full.time_ms[u as usize] != UNREACHED)
            .map(|u| {
                let (lon, lat) = g.coord(u);
                (haversine_m(at.0, at.1, lon, lat), full.time_ms[u as usize])
            })
            .collect();
        nodes.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut least_beyond = vec![u32::MAX; nodes.len() + 1];
        for i in (0..nodes.len()).rev() {
            least_beyond[i] = least_beyond[i + 1].min(nodes[i].1);
        }
        Reach {
            nodes,
            least_beyond,
        }
    }

    /// Beyond every node: the farthest node's time plus the estimate of the rest of the way
    /// (`ms_per_m`).
    fn ms(&self, d: f64, ms_per_m: f64) -> f64 {
        match self.nodes.partition_point(|n| n.0 < d) {
            i if i < self.nodes.len() => f64::from(self.least_beyond[i]),
            _ => self
                .nodes
                .last()
                .map_or(0.0, |n| f64::from(n.1) + (d - n.0) * ms_per_m),
        }
    }
}

/// Every positioned place `keep` accepts, with its duration from `at`: the road time when a
/// full search reaches it; otherwise the straight-line estimate raised to what the full search
/// proves (the least time at which it reached a node at least as far in a straight line — the
/// farthest node's time plus the estimate of the rest of the way beyond every node — and the largest road time of the places `keep`
/// accepts at most as far). Sorted by duration, then road times before estimates, nearer
/// estimates first, then slot.
pub(crate) fn oracle(
    router: &Router,
    ds: &Dataset,
    profile: Profile,
    at: (f64, f64),
    keep: impl Fn(u32) -> bool,
) -> Oracle {
    let g = router.network().graph(profile);
    let Located::OnGraph(s) = router.locate(profile, at.0, at.1) else {
        panic!("{at:?} is not on the {profile:?} graph")
    };
    let full = search::bounded(g, &origins(g, s), u32::MAX - 1);
    let straight = |slot: u32| {
        let p = ds.lieu(slot).position.expect("positioned");
        haversine_m(at.0, at.1, p.lon, p.lat)
    };
    let proof = Reach::new(g, &full, at);
    let ms_per_m = 3_600.0 * DETOUR_FACTOR / estimate_kmh(profile);
    let reach = |d: f64| proof.ms(d, ms_per_m);
    let timed: Vec<(u32, Option<u32>)> = (0..ds.lieux().len() as u32)
        .filter(|&slot| keep(slot) && ds.lieu(slot).position.is_some())
        .map(|slot| {
            let road = router.place_snap(profile, slot).and_then(|snap| {
                // through the arc's ends, or straight along the origin's road
                snap.arrivals(g)
                    .iter()
                    .filter_map(|l| Some(l.reached_in(g, &full)?.0))
                    .chain(s.along(g, &snap).map(|(t, _)| t))
                    .min()
            });
            (slot, road)
        })
        .collect();
    // the places timed by road by distance, each with the slowest time up to it
    let mut by_d: Vec<(f64, u32)> = timed
        .iter()
        .filter_map(|&(slot, road)| Some((straight(slot), road?)))
        .collect();
    by_d.sort_by(|a, b| a.0.total_cmp(&b.0));
    for i in 1..by_d.len() {
        by_d[i].1 = by_d[i].1.max(by_d[i - 1].1);
    }
    let slowest_within = |d: f64| match by_d.partition_point(|x| x.0 <= d) {
        0 => 0,
        i => by_d[i - 1].1,
    };
    let mut out: Oracle = timed
        .iter()
        .map(|&(slot, road)| match road {
            Some(ms) => (slot, f64::from(ms) / 1000.0, false),
            None => {
                let p = ds.lieu(slot).position.expect("positioned");
                let d = straight(slot);
                let floor = reach(d).max(f64::from(slowest_within(d)));
                let est = estimate(profile, at, (p.lon, p.lat)).0;
                (slot, est.max(floor / 1000.0), true)
            }
        })
        .collect();
    let key = |w: &(u32, f64, bool)| if w.2 { straight(w.0) } else { 0.0 };
    out.sort_by(|a, b| {
        a.1.total_cmp(&b.1)
            .then(key(a).total_cmp(&key(b)))
            .then(a.0.cmp(&b.0))
    });
    out
}

#[tokio::test]
async fn timed_places_never_rank_after_farther_estimates() {
    let Some(n) = net("paris") else { return };
    let (mut pairs, mut raised, mut answers) = (0usize, 0usize, 0usize);
    for max_snap_m in [1_000.0, 25.0] {
        let ds = around(&n.car, 800, 31);
        let router = Router::new(n.clone(), &ds, max_snap_m);
        let st = lieux::http::AppState::with_router(ds, router);
        let (ds, router) = st.dataset_and_router();
        let (ds, router) = (&*ds, &*router.expect("router"));
        for profile in Profile::ALL {
            let g = n.graph(profile);
            for at in points(g, 5, 12) {
                let Located::OnGraph(s) = router.locate(profile, at.0, at.1) else {
                    continue;
                };
                let full = search::bounded(g, &origins(g, s), u32::MAX - 1);
                let reach = Reach::new(g, &full, at);
                let mode = profile.as_str();
                let minutes = match profile {
                    Profile::Car => 8,
                    Profile::Walk => 40,
                };
                for path in [
                    format!(
                        "/v1/lieux/closest?lat={}&lon={}&k=60&mode={mode}",
                        at.1, at.0
                    ),
                    format!(
                        "/v1/lieux/reachable?lat={}&lon={}&minutes={minutes}&mode={mode}",
                        at.1, at.0
                    ),
                ] {
                    let v = get_ok(&st, &path).await;
                    answers += 1;
                    // (straight-line metres, duration, estimated) of each feature, in order
                    let shown: Vec<(f64, f64, bool)> = features(&v)
                        .map(|f| {
                            let slot = ds.slot_of(f["id"].as_str().expect("id")).expect("slot");
                            let p = ds.lieu(slot).position.expect("positioned");
                            let d = haversine_m(at.0, at.1, p.lon, p.lat);
                            let dur = f["properties"]["duration_s"].as_f64().expect("duration");
                            let est = f["properties"].get("estimate").is_some();
                            if est {
                                // never shorter than the graph proves (0.1 s served rounding)
                                let ms_per_m = 3_600.0 * DETOUR_FACTOR / estimate_kmh(profile);
                                let proved = reach.ms(d, ms_per_m) / 1000.0;
                                assert!(dur >= proved - 0.051, "{path}: {dur} s < {proved} s");
                                let base = estimate(profile, at, (p.lon, p.lat)).0;
                                raised += usize::from(dur > base + 0.1);
                            }
                            (d, dur, est)
                        })
                        .collect();
                    for (i, e) in shown.iter().enumerate().filter(|x| x.1.2) {
                        for (j, t) in shown.iter().enumerate().filter(|x| !x.1.2) {
                            if t.0 <= e.0 {
                                pairs += 1;
                                assert!(
                                    j < i,
                                    "{path}: a place timed by road at {} m ({} s) ranks after \
                                     an estimate at {} m ({} s)",
                                    t.0,
                                    t.1,
                                    e.0,
                                    e.1
                                );
                            }
                        }
                    }
                }
            }
        }
    }
    eprintln!("{answers} answers, {pairs} timed/estimated pairs, {raised} estimates raised");
    assert!(
        pairs > 1_000 && raised > 50,
        "{pairs} pairs, {raised} raised"
    );
}

fn features(v: &Value) -> impl Iterator<Item = &Value> {
    v["features"].as_array().expect("features").iter()
}
