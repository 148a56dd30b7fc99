//! The walk search's cost (issue 18: Valhalla's pedestrian costing, `src/routing/walk_cost.rs`)
//! on the Nantes extract, whose pedestrian centre is tagged `motor_vehicle=destination`: the
//! destination-only streets are flagged, the search pays 600 s of cost (no time) to enter one,
//! and so walks round them when that is less than 10 minutes longer. Checked against a
//! Bellman-Ford over the search's states and against the plain shortest times.

use lieux::routing::snap::Snapper;
use lieux::routing::walk_cost::ARC_DESTONLY;
use lieux::routing::walk_search;
use lieux::routing::{Graph, origins, search};
use lieux::testdata::Rng;

use super::{net, origin};

/// The arc of `g` nearest `(lon, lat)` and the distance to it, m.
fn arc_at(g: &Graph, lon: f64, lat: f64) -> (usize, f64) {
    let s = Snapper::new(g)
        .snap(lon, lat, 5_000.0)
        .expect("a road within 5 km");
    (s.arc as usize, s.distance_m)
}

#[test]
fn nantes_walks_round_destination_only_streets_as_valhalla_does() {
    let Some(nantes) = net("nantes") else {
        return;
    };
    let g = &nantes.walk;
    // Rue Sainte-Catherine (way 26685358, `highway=pedestrian`, `motor_vehicle=destination`),
    // between its two way nodes 292661261 and 292661268
    let (arc, d) = arc_at(g, -1.556_443, 47.214_141);
    assert!(d < 1.0, "Rue Sainte-Catherine not walked ({d:.1} m away)");
    assert_eq!(g.flags(arc) & ARC_DESTONLY, ARC_DESTONLY);
    let flagged = g
        .arc_flags
        .iter()
        .filter(|&&f| f & ARC_DESTONLY != 0)
        .count();
    assert!(flagged > 100, "{flagged} destination-only arcs");

    // the same graph without the flags: the plain shortest times
    let plain = Graph {
        arc_flags: Vec::new(),
        ..g.clone()
    };
    let limit = 15 * 60_000;
    let mut rng = Rng::new(18);
    let (mut longer, mut dropped) = (0, 0);
    for _ in 0..6 {
        let s = rng.below(g.node_count()) as u32;
        let got = search::bounded(g, &[origin(s)], limit);
        let want = walk_search::reference(g, &[origin(s)], limit);
        let differ: Vec<(usize, u32, u32)> = (0..want.len())
            .filter(|&u| got.time_ms[u] != want[u])
            .map(|u| (u, got.time_ms[u], want[u]))
            .take(5)
            .collect();
        assert!(
            differ.is_empty(),
            "from node {s}: (node, search, reference) {differ:?}"
        );
        let shortest = search::bounded(&plain, &[origin(s)], limit);
        for (t, p) in got.time_ms.iter().zip(&shortest.time_ms) {
            match (*t, *p) {
                (t, _) if t == search::UNREACHED => dropped += usize::from(*p != t),
                (t, p) => {
                    assert!(
                        t >= p,
                        "from node {s}: {t} ms, shorter than the shortest {p} ms"
                    );
                    longer += usize::from(t > p);
                }
            }
        }
    }
    // nodes timed by a walk round, and nodes the 15 minutes no longer reach: on the plain
    // search (the behaviour before) both are 0
    assert!(
        longer > 0 && dropped > 0,
        "{longer} longer, {dropped} dropped"
    );
}

#[test]
fn nantes_private_impasse_is_walked_behind_the_penalty() {
    let Some(nantes) = net("nantes") else {
        return;
    };
    // Impasse Émile Cossé (way 26270010, `access=private`): Valhalla walks it as a
    // destination-only road; lieux left it out before. Way node 616616325, mid-way.
    let (arc, d) = arc_at(&nantes.walk, -1.569_050_2, 47.220_165_6);
    assert!(d < 1.0, "the private impasse is not walked ({d:.1} m away)");
    assert_eq!(nantes.walk.flags(arc) & ARC_DESTONLY, ARC_DESTONLY);
}

#[test]
fn nantes_walk_from_a_junction_starts_inside_its_destination_only_street() {
    let Some(nantes) = net("nantes") else {
        return;
    };
    let g = &nantes.walk;
    let snapper = Snapper::new(g);
    // the junction of Rue du Couëdic (way 26685362, `motor_vehicle=destination`) with the
    // footways 156559942 and 156560183, to Allée de la Bourse (way 27922972) along the
    // destination-only Rue du Couëdic and Allée Brancas: Valhalla starts on every edge of
    // the junction, that street's among them, and walks it in 116 s (162 m) with no
    // penalty; started from a footway only, the walk went round in 503 s
    let from = snapper
        .snap(-1.556_774_7, 47.213_657, 100.0)
        .expect("on the graph");
    let starts = origins(g, from);
    assert!(
        starts.iter().any(|o| o
            .by_arc
            .is_some_and(|a| g.flags(a as usize) & ARC_DESTONLY != 0))
            && starts.iter().any(|o| o
                .by_arc
                .is_some_and(|a| g.flags(a as usize) & ARC_DESTONLY == 0)),
        "the junction starts on its destination-only street and on its footways: {starts:?}"
    );
    let t = walk_ms(g, (-1.556_774_7, 47.213_657), (-1.558_165, 47.212_682_4));
    assert!(
        (100_000..150_000).contains(&t),
        "{t} ms from the junction to Allée de la Bourse (Valhalla: 116 s)"
    );
}

/// Walk time (ms) on `g` from point `a` to point `b` (lon, lat; both on a road), as the
/// router times a place: the search from `a`'s origins, then the best arrival leg at `b`.
fn walk_ms(g: &Graph, a: (f64, f64), b: (f64, f64)) -> u32 {
    let snapper = Snapper::new(g);
    let from = snapper.snap(a.0, a.1, 100.0).expect("on the graph");
    let to = snapper.snap(b.0, b.1, 100.0).expect("on the graph");
    assert!(from.distance_m < 1.0 && to.distance_m < 1.0);
    let tree = search::bounded(g, &origins(g, from), 15 * 60_000);
    to.arrivals(g)
        .iter()
        .filter(|l| tree.time_ms[l.node as usize] != search::UNREACHED)
        .map(|l| tree.time_ms[l.node as usize] + l.ms)
        .min()
        .expect("reached within 15 min")
}

#[test]
fn paris_one_way_pedestrian_street_is_one_way_on_foot_as_in_valhalla() {
    let Some(paris) = net("paris") else {
        return;
    };
    // Rue René Boulanger's last 10 m (way 30145062: `highway=pedestrian`, `oneway=yes`), from
    // its junction with the Boulevard Saint-Martin footway to the boulevard: Valhalla walks it
    // only along the way (7 s from the boulevard, 221 s round the block the other way); walked
    // both ways before, 7 s each way
    let (corner, boulevard) = ((2.356_019_8, 48.869_020_8), (2.355_98, 48.868_935_8));
    let along = walk_ms(&paris.walk, boulevard, corner);
    let against = walk_ms(&paris.walk, corner, boulevard);
    assert!(along < 15_000, "{along} ms along the one-way street");
    assert!(
        against > 120_000,
        "{against} ms against the one-way street (Valhalla: 221 s round)"
    );
}
