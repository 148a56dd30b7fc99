//! The compact graph (issue 18) against the graph it was made from: `build_uncontracted` keeps
//! every way node a node, `build` makes chains of way nodes one arc with a shape. On real
//! extracts, from arbitrary snapped points (not only nodes), the times to arbitrary places are
//! the same to the millisecond and the lengths to the decimetre, car (turn by turn, with
//! restrictions) and walk, and the isochrones nearly so (Jaccard > 0.98: a shape point is
//! drawn from the times of its arc's ends, a way node of the full graph from its own).
//!
//! Walk times are compared without the walk cost's flags (destination-only, steps, driveways:
//! `src/routing/walk_cost.rs`): ordered by cost, a place inside an arc of the compact graph
//! takes the quicker of the arc's ends, a way node of the full graph its cheapest path.
//!
//! One documented difference: a place on the same road piece (arc) as the query point is
//! joined through the arc's end nodes in both graphs, and the compact graph's arcs are longer,
//! so there it may only be later, never sooner.

use std::collections::HashMap;
use std::sync::OnceLock;

use geo::{Area, BooleanOps, MultiPolygon};
use lieux::Dataset;
use lieux::model::Position;
use lieux::routing::snap::Snap;
use lieux::routing::{Graph, Located, Profile, RoadNetwork, Router, isochrone};
use lieux::testdata::{Rng, synthetic_lieux};

use super::net;
use crate::util::shared_data;

/// The small extracts, uncontracted (built once per test process).
fn full(name: &str) -> Option<&'static RoadNetwork> {
    static NETS: OnceLock<Option<HashMap<&'static str, RoadNetwork>>> = OnceLock::new();
    NETS.get_or_init(|| {
        let osm = shared_data()?.join("osm");
        let mut out = HashMap::new();
        for (name, file) in [
            ("monaco", "monaco-2020-07-19.osm.pbf"),
            ("andorra", "andorra-2020-05-01.osm.pbf"),
        ] {
            let (net, _) = lieux::routing::build::build_uncontracted(&[osm.join(file)], false)
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            out.insert(name, net);
        }
        Some(out)
    })
    .as_ref()
    .and_then(|m| m.get(name))
}

/// Arbitrary points: places and query points, two thirds within ~20 m of a way node (in
/// mountains most of the box is far from any road), the others anywhere in the graph's box.
fn points(g: &Graph, count: usize, seed: u64) -> Vec<(f64, f64)> {
    let mut rng = Rng::new(seed);
    let [x0, y0, x1, y1] = g.bbox();
    (0..count)
        .map(|i| {
            if i % 3 != 0 {
                let (x, y) = g.coord(rng.below(g.node_count()) as u32);
                (x + rng.range(-2e-4, 2e-4), y + rng.range(-2e-4, 2e-4))
            } else {
                (rng.range(x0, x1), rng.range(y0, y1))
            }
        })
        .collect()
}

fn dataset(at: &[(f64, f64)]) -> Dataset {
    let mut lieux = synthetic_lieux(at.len(), 9);
    for (l, &(lon, lat)) in lieux.iter_mut().zip(at) {
        l.position = Some(Position { lon, lat });
    }
    Dataset::new(lieux)
}

/// Do two snaps of the compact graph lie on one road piece (an arc and its twin)?
fn same_arc(a: &Snap, b: &Snap) -> bool {
    (a.u, a.v) == (b.u, b.v) || (a.u, a.v) == (b.v, b.u)
}

fn jaccard(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> f64 {
    let union = a.union(b).unsigned_area();
    if union == 0.0 {
        return 1.0;
    }
    a.intersection(b).unsigned_area() / union
}

#[test]
fn compact_graph_gives_the_times_of_the_full_graph() {
    for name in ["monaco", "andorra"] {
        let (Some(small), Some(big)) = (net(name), full(name)) else {
            eprintln!("skipping: ../shared/data/osm absent");
            return;
        };
        for profile in Profile::ALL {
            let (gs, gb) = (small.graph(profile), big.graph(profile));
            assert!(
                gs.node_count() * 2 < gb.node_count(),
                "{name} {profile:?}: {} nodes of {}",
                gs.node_count(),
                gb.node_count()
            );
            let ds = dataset(&points(gb, 400, 3));
            // on foot, without the walk cost's flags: with them a place inside a compact arc
            // takes the quicker of the arc's two ends where the full graph, whose way nodes
            // are nodes, takes the cheaper (routing::walk_costs tests the flags)
            let plain = |net: &RoadNetwork| {
                let mut net = net.clone();
                net.walk.arc_flags.clear();
                net
            };
            let rs = Router::new(plain(small), &ds, 1_000.0);
            let rb = Router::new(plain(big), &ds, 1_000.0);
            let (mut compared, mut same_road) = (0, 0);
            for (i, &(lon, lat)) in points(gb, 16, 11).iter().enumerate() {
                let (Located::OnGraph(os), Located::OnGraph(ob)) =
                    (rs.locate(profile, lon, lat), rb.locate(profile, lon, lat))
                else {
                    continue;
                };
                assert_eq!(os.distance_m, ob.distance_m, "{name} origin {i}: snap");
                let limit_s = match profile {
                    Profile::Car => 1_800,
                    Profile::Walk => 7_200,
                };
                let (ts, tb) = (rs.tree(profile, os, limit_s), rb.tree(profile, ob, limit_s));
                let got = rs.reached(profile, &ts, limit_s, |_| true);
                let want = rb.reached(profile, &tb, limit_s, |_| true);
                let by_slot = |r: &[lieux::routing::search::Reached]| -> HashMap<u32, (u32, u32)> {
                    r.iter()
                        .map(|r| (r.slot, (r.time_ms, r.length_dm)))
                        .collect()
                };
                let (got, want) = (by_slot(&got), by_slot(&want));
                for slot in 0..ds.lieux().len() as u32 {
                    let on_road = rs
                        .place_snap(profile, slot)
                        .is_some_and(|p| same_arc(&p, &os));
                    let (g, w) = (got.get(&slot), want.get(&slot));
                    if on_road {
                        // straight along the road in both graphs: the compact graph rounds the
                        // part of the arc once, the full graph each segment's part
                        same_road += 1;
                        match (g, w) {
                            (Some(g), Some(w)) => assert!(
                                g.0.abs_diff(w.0) <= 2 && g.1.abs_diff(w.1) <= 2,
                                "{name} {profile:?} origin {i} place {slot}: {g:?} {w:?}"
                            ),
                            (None, None) => {}
                            _ => panic!("{name} {profile:?} origin {i} place {slot}: {g:?} {w:?}"),
                        }
                        continue;
                    }
                    assert_eq!(g, w, "{name} {profile:?} origin {i} place {slot}");
                    compared += usize::from(w.is_some());
                }
                // the 3 closest off the origin's road: the same places at the same times
                let off = |p: Option<Snap>| p.is_some_and(|p| !same_arc(&p, &os));
                let k = |r: &Router, s| {
                    r.closest(profile, s, 3, |slot| off(rs.place_snap(profile, slot)))
                        .iter()
                        .map(|r| (r.time_ms, r.slot, r.length_dm))
                        .collect::<Vec<_>>()
                };
                assert_eq!(
                    k(&rs, os),
                    k(&rb, ob),
                    "{name} {profile:?} origin {i} closest"
                );
                // the 3 closest of all places, the origin's road included: the same times
                let times = |r: &Router, s| -> Vec<u32> {
                    r.closest(profile, s, 3, |_| true)
                        .iter()
                        .map(|r| r.time_ms)
                        .collect()
                };
                let (a, b) = (times(&rs, os), times(&rb, ob));
                assert!(
                    a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x.abs_diff(*y) <= 2),
                    "{name} {profile:?} origin {i} closest of all: {a:?} {b:?}"
                );
                // isochrones: nearly the same polygons
                if i % 4 == 0 {
                    let cell = isochrone::cell_m(profile, 1_200);
                    let at = (lon, lat);
                    let limits = [600, 1_200];
                    let ps = isochrone::polygons(gs, &ts, at, &limits, cell);
                    let pb = isochrone::polygons(gb, &tb, at, &limits, cell);
                    for (a, b) in ps.iter().zip(&pb) {
                        let j = jaccard(a, b);
                        assert!(
                            j > 0.98,
                            "{name} {profile:?} origin {i}: isochrone Jaccard {j}"
                        );
                    }
                }
            }
            eprintln!(
                "{name} {profile:?}: {} → {} nodes, {} → {} arcs; {compared} times equal, \
                 {same_road} on the origin's arc",
                gb.node_count(),
                gs.node_count(),
                gb.arc_count(),
                gs.arc_count()
            );
            assert!(
                compared > 300,
                "{name} {profile:?}: only {compared} compared"
            );
        }
    }
}
