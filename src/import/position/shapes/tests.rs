//! Tests of the commune shapes: geo and the commune table as oracles.

use super::*;
use geo::{Contains, Point};

#[test]
fn embedded_communes_are_found_by_name() {
    // oracle: the embedded commune table, an independent reading of the same communes
    let shapes = CommuneShapes::embedded();
    let table = crate::commune_table::embedded();
    let mut found = 0;
    let mut tried = 0;
    for c in table.all().iter().step_by(97) {
        if crate::commune_table::is_arrondissement(&c.code_insee) {
            continue;
        }
        let Some(cp) = c.codes_postaux.first() else {
            continue;
        };
        tried += 1;
        let hit = shapes.by_name(cp, &c.nom);
        // homonyms in one département: the first one wins
        if hit.is_some_and(|h| h.nom == c.nom) {
            found += 1;
        }
    }
    assert!(tried > 300, "{tried}");
    assert!(
        found * 100 >= tried * 99,
        "{found} of {tried} found by name"
    );
    let d = shapes
        .by_name("23800", "Dun le Palestel")
        .map(|c| c.code_insee.as_str());
    assert_eq!(d, Some("23075"));
}

impl CommuneShape {
    /// The outline as geo polygons (the exterior rings), for geo's algorithms as oracles.
    fn shape(&self) -> MultiPolygon<f64> {
        MultiPolygon(
            self.outline
                .exteriors()
                .into_iter()
                .map(|r| geo::Polygon::new(geo::LineString(r), vec![]))
                .collect(),
        )
    }
}

#[test]
fn contains_agrees_with_geo() {
    // geo's Contains (robust predicates, winding number) as the oracle, on points spread
    // over the bounding boxes of the embedded communes
    let shapes = CommuneShapes::embedded();
    let mut rng = crate::testdata::Rng::new(11);
    let (mut inside, mut checked) = (0, 0);
    for c in shapes.all().iter().step_by(23) {
        let (Some(b), shape) = (c.bbox(), c.shape()) else {
            continue;
        };
        for _ in 0..20 {
            let lon = rng.range(b.min().x, b.max().x);
            let lat = rng.range(b.min().y, b.max().y);
            let expected = shape.contains(&Point::new(lon, lat));
            assert_eq!(
                c.contains(lon, lat),
                expected,
                "{} {lon} {lat}",
                c.code_insee
            );
            inside += usize::from(expected);
            checked += 1;
        }
    }
    assert!(
        checked > 20_000 && inside * 3 > checked,
        "{inside} of {checked}"
    );
}

#[test]
fn within_km_agrees_with_the_great_circle_distance() {
    use geo::{Distance, Haversine};
    // every commune of the embedded shapes, points around its bounding box
    let shapes = CommuneShapes::embedded();
    assert!(shapes.len() > 34_000);
    let mut rng = crate::testdata::Rng::new(7);
    let mut checked = 0;
    for c in shapes.all().iter().step_by(37) {
        let Some(b) = c.bbox() else { continue };
        for _ in 0..8 {
            let lon = rng.range(b.min().x - 0.1, b.max().x + 0.1);
            let lat = rng.range(b.min().y - 0.1, b.max().y + 0.1);
            // oracle: 0 inside, else the smallest great-circle distance to points spread
            // along every segment (geo's closest_point works in degrees, not metres)
            let p = Point::new(lon, lat);
            let d = if c.shape().contains(&p) {
                0.0
            } else {
                c.shape()
                    .0
                    .iter()
                    .flat_map(|poly| poly.exterior().lines())
                    .flat_map(|l| {
                        (0..=64).map(move |k| {
                            let t = f64::from(k) / 64.0;
                            Point::new(
                                l.start.x + t * (l.end.x - l.start.x),
                                l.start.y + t * (l.end.y - l.start.y),
                            )
                        })
                    })
                    .map(|q| Haversine.distance(p, q) / 1000.0)
                    .fold(f64::INFINITY, f64::min)
            };
            for km in [0.0, 1.0, 5.0] {
                // exact either side of the tolerance, up to the plane's 0.1 % and sampling
                if (d - km).abs() > 0.02 + km * 0.005 {
                    let planar = c.distance_km(lon, lat);
                    assert!((planar - d).abs() <= 0.02 + d * 0.005, "{planar} vs {d}");
                    assert_eq!(
                        c.within_km(lon, lat, km),
                        d <= km,
                        "{} {lon} {lat} {d} {km}",
                        c.code_insee
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 10_000, "{checked}");
}

#[test]
fn compact_and_flat_outlines_answer_alike() {
    // the embedded outlines are read from the compact bytes point by point; the same rings
    // decoded once into points (the layout of a GeoJSON file given with --communes) must give
    // the same answers, bit for bit (an import's outputs must not depend on the layout)
    let (mut checked, mut points_total) = (0, 0);
    let mut rng = crate::testdata::Rng::new(5);
    for c in CommuneShapes::embedded().all().iter().step_by(7) {
        assert!(matches!(c.outline, Outline::Compact(_)));
        let mut points = Vec::new();
        let mut rings = Vec::new();
        for ring in c.outline.exteriors() {
            points.extend(ring);
            rings.push((points.len() as u32, true));
        }
        points_total += points.len();
        let flat = CommuneShape {
            outline: Outline::Flat {
                points: points.into_boxed_slice(),
                rings: rings.into_boxed_slice(),
            },
            bbox: OnceLock::new(),
            ..c.clone()
        };
        let Some(b) = c.bbox() else { continue };
        assert_eq!(flat.bbox(), Some(b), "{}", c.code_insee);
        for _ in 0..10 {
            let lon = rng.range(b.min().x - 0.05, b.max().x + 0.05);
            let lat = rng.range(b.min().y - 0.05, b.max().y + 0.05);
            assert_eq!(flat.contains(lon, lat), c.contains(lon, lat));
            assert_eq!(
                flat.distance_km(lon, lat).to_bits(),
                c.distance_km(lon, lat).to_bits()
            );
            assert_eq!(flat.within_km(lon, lat, 1.0), c.within_km(lon, lat, 1.0));
            checked += 1;
        }
    }
    // a seventh of the 401 k points of the file
    assert!(
        checked > 40_000 && points_total > 50_000,
        "{checked} {points_total}"
    );
}
