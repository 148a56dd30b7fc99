//! The walk profile's access rules (issue 18: Valhalla's `pedestrian` access, see
//! `src/routing/tags.rs`) on the Andorra extract: the ways they open or close are, or are not,
//! in the walk graph. Each point is an OSM way node in the middle of its way, far (≥ 80 m) from
//! any other walkable way, so the snap distance tells whether its way was kept.

use lieux::routing::snap::Snapper;

use super::net;

/// Distance (m) from `(lon, lat)` to the nearest road of Andorra's walk graph.
fn walk_snap_m(snapper: &Snapper, lon: f64, lat: f64) -> f64 {
    snapper
        .snap(lon, lat, 5_000.0)
        .map(|s| s.distance_m)
        .unwrap_or(f64::INFINITY)
}

/// A snapper on the walk graph of extract `name` (`None`: no shared data).
fn walk_snapper(name: &str) -> Option<Snapper> {
    net(name).map(|n| Snapper::new(&n.walk))
}

/// Asserts that each `(way, lon, lat)` lies more than `min_m` from the walk graph: `what`, its
/// way, is not walked.
fn assert_not_walked(snapper: &Snapper, points: &[(u64, f64, f64)], min_m: f64, what: &str) {
    for &(way, lon, lat) in points {
        let d = walk_snap_m(snapper, lon, lat);
        assert!(d > min_m, "way {way}: {what} is walked ({d:.1} m away)");
    }
}

#[test]
fn andorra_walk_graph_follows_valhallas_pedestrian_access() {
    let Some(snapper) = walk_snapper("andorra") else {
        return;
    };
    // `sac_scale` above `hiking` (Valhalla's default `max_hiking_difficulty`): paths kept
    // before, attached at one end to the walked network (ways 233426160, 554306398, 438186244)
    let mountain = [
        (233_426_160, 1.705_851_9, 42.514_458_8), // mountain_hiking
        (554_306_398, 1.576_035, 42.645_076),     // mountain_hiking
        (438_186_244, 1.431_867_7, 42.588_120_1), // demanding_mountain_hiking
    ];
    assert_not_walked(&snapper, &mountain, 50.0, "a mountain path");
    // trunk roads without a `foot` tag are walked (Valhalla's `highway` table): the CG-3a
    // tunnel (way 124673943) is 226 m from any other walkable way
    let d = walk_snap_m(&snapper, 1.532_094, 42.525_850_1);
    assert!(
        d < 1.0,
        "the CG-3a trunk tunnel is not walked ({d:.1} m away)"
    );
}

#[test]
fn nantes_pedestrian_squares_are_not_walked_as_valhallas_default() {
    let Some(snapper) = walk_snapper("nantes") else {
        return;
    };
    // `highway=pedestrian` + `area=yes` outlines (Valhalla's default config drops them, the
    // streets around stay): nodes of them 40–60 m from any other walkable way, on the graph
    // (0 m) before this rule
    let squares = [
        (275_118_456, -1.565_023_2, 47.205_822_2), // Esplanade des Riveurs, node 2923439856
        (280_150_156, -1.565_389_5, 47.206_599_6), // Esplanade des Traçeurs-de-Coques
        (28_201_899, -1.549_327_2, 47.217_596_5),  // Cours Saint-Pierre, node 2831628642
    ];
    assert_not_walked(&snapper, &squares, 30.0, "a pedestrian square's outline");
    // a `highway=pedestrian` street (not an area) is walked: Rue Sainte-Catherine
    let d = walk_snap_m(&snapper, -1.556_443, 47.214_141);
    assert!(d < 1.0, "Rue Sainte-Catherine not walked ({d:.1} m away)");
}
