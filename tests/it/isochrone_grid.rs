//! The isochrone grid's cell grows with the search's extent (`isochrone::polygons`): checked
//! against the fixed fine grid (`polygons_fixed_cell`) on the real Andorra extract.

use geo::{Area, BooleanOps, Contains, MultiPolygon, Point};
use lieux::routing::search::{Origin, Tree, bounded};
use lieux::routing::{Graph, Profile, isochrone};
use lieux::testdata::Rng;

use crate::routing::net;

const LIMITS_S: [u32; 3] = [600, 1_200, 1_800];

fn jaccard(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> f64 {
    a.intersection(b).unsigned_area() / a.union(b).unsigned_area()
}

/// Seeded car nodes of Andorra with their 30-minute trees.
fn origins(n: usize) -> Vec<u32> {
    let Some(net) = net("andorra") else {
        return Vec::new();
    };
    let mut rng = Rng::new(17);
    (0..n)
        .map(|_| rng.below(net.car.node_count()) as u32)
        .collect()
}

/// The 30-minute tree from node `u`.
fn thirty_minutes(g: &Graph, u: u32) -> Tree {
    let o = [Origin {
        node: u,
        offset_ms: 0,
        offset_dm: 0,
    }];
    bounded(g, &o, 1_800_000)
}

#[test]
fn default_car_cell_is_unchanged_in_andorra() {
    let Some(net) = net("andorra") else {
        eprintln!("skipping: ../shared/data/osm absent");
        return;
    };
    let g = &net.car;
    let cell = isochrone::default_cell_m(Profile::Car);
    // Andorra spans ~40 km: fewer cells than the target side, so the Valhalla comparison of
    // the README (200 m cells) still describes what the service draws.
    for u in origins(8) {
        let tree = thirty_minutes(g, u);
        assert_eq!(
            isochrone::polygons(g, &tree, g.coord(u), &LIMITS_S, cell),
            isochrone::polygons_fixed_cell(g, &tree, g.coord(u), &LIMITS_S, cell),
            "origin {u}"
        );
    }
}

#[test]
fn scaled_cell_agrees_with_the_fine_grid() {
    let Some(net) = net("andorra") else {
        eprintln!("skipping: ../shared/data/osm absent");
        return;
    };
    let g = &net.car;
    // a 60 m minimum: Andorra's ~30 km span scales it to ~100 m, against the 60 m oracle
    let fine_m = 60.0;
    let mut worst = f64::INFINITY;
    let mut coarser = 0;
    for u in origins(3) {
        let tree = thirty_minutes(g, u);
        let scaled = isochrone::polygons(g, &tree, g.coord(u), &LIMITS_S, fine_m);
        let fine = isochrone::polygons_fixed_cell(g, &tree, g.coord(u), &LIMITS_S, fine_m);
        assert_eq!(scaled.len(), LIMITS_S.len());
        let vertices = |ps: &[MultiPolygon<f64>]| -> usize {
            ps.iter()
                .flat_map(|mp| &mp.0)
                .map(|p| p.exterior().0.len())
                .sum()
        };
        // (a 30-minute search spanning under 300 × 60 m keeps the 60 m cell: both grids are
        // one; with issue 18's urban speeds some Andorra searches do)
        assert!(
            vertices(&scaled) <= vertices(&fine),
            "origin {u}: the scaled grid is the coarser one"
        );
        coarser += usize::from(vertices(&scaled) < vertices(&fine));
        for (k, &limit_s) in LIMITS_S.iter().enumerate() {
            let j = jaccard(&scaled[k], &fine[k]);
            worst = worst.min(j);
            // Measured 0.78–0.86: in mountain valleys the polygons are road corridors about one
            // cell wide on each side, so a coarser cell widens them (area 1.1–1.3×); on the
            // dense France-size graph the scaled grid agrees to 0.97 (benches/routing_france.rs).
            assert!(j >= 0.7, "origin {u}, {limit_s} s: Jaccard {j:.3}");
            let ratio = scaled[k].unsigned_area() / fine[k].unsigned_area();
            assert!(
                (0.95..=1.4).contains(&ratio),
                "origin {u}, {limit_s} s: area ratio {ratio:.3}"
            );
            // every node reached well within the limit is inside (the grid blurs the edge)
            for &v in &tree.settled {
                if tree.time_ms[v as usize] <= limit_s * 1000 * 4 / 5 {
                    let (x, y) = g.coord(v);
                    assert!(
                        scaled[k].contains(&Point::new(x, y)),
                        "origin {u}: node {v} at {} ms outside the {limit_s} s polygon",
                        tree.time_ms[v as usize]
                    );
                }
            }
        }
        // nesting: 10 ⊂ 20 ⊂ 30 minutes, area-wise
        for k in 1..LIMITS_S.len() {
            let outside = scaled[k - 1].difference(&scaled[k]).unsigned_area();
            assert!(
                outside <= 1e-9 * scaled[k].unsigned_area().max(1e-12),
                "origin {u}: the {} s polygon leaves the {} s one",
                LIMITS_S[k - 1],
                LIMITS_S[k]
            );
        }
    }
    eprintln!("worst Jaccard scaled vs {fine_m} m grid: {worst:.3}");
    assert!(
        coarser > 0,
        "no origin's cell was scaled: the test compares nothing"
    );
}
