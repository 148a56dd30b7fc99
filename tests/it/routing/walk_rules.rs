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

#[test]
fn andorra_walk_graph_follows_valhallas_pedestrian_access() {
    let Some(andorra) = net("andorra") else {
        return;
    };
    let snapper = Snapper::new(&andorra.walk);
    // `sac_scale` above `hiking` (Valhalla's default `max_hiking_difficulty`): paths kept
    // before, attached at one end to the walked network (ways 233426160, 554306398, 438186244)
    for (way, lon, lat) in [
        (233_426_160, 1.705_851_9, 42.514_458_8), // mountain_hiking
        (554_306_398, 1.576_035, 42.645_076),     // mountain_hiking
        (438_186_244, 1.431_867_7, 42.588_120_1), // demanding_mountain_hiking
    ] {
        let d = walk_snap_m(&snapper, lon, lat);
        assert!(
            d > 50.0,
            "way {way}: a mountain path is walked ({d:.1} m away)"
        );
    }
    // trunk roads without a `foot` tag are walked (Valhalla's `highway` table): the CG-3a
    // tunnel (way 124673943) is 226 m from any other walkable way
    let d = walk_snap_m(&snapper, 1.532_094, 42.525_850_1);
    assert!(
        d < 1.0,
        "the CG-3a trunk tunnel is not walked ({d:.1} m away)"
    );
}
