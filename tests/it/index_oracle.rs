//! Every query against a brute-force scan (an independent haversine: `geo::Haversine`), with
//! ties broken by (distance, id), on seeded random places and on the commune centroids.

use chrono::{DateTime, Utc};
use geo::{Distance, Haversine, Point};
use lieux::Dataset;
use lieux::filter::Filter;
use lieux::index::Bbox;
use lieux::model::Position;
use lieux::testdata::{Rng, lieu, synthetic_lieux};

use crate::util::commune_centroids;

fn brute_distance(ds: &Dataset, slot: u32, at: Position) -> Option<f64> {
    let p = ds.lieu(slot).position?;
    Some(Haversine.distance(Point::new(at.lon, at.lat), Point::new(p.lon, p.lat)))
}

/// Brute force: every matching positioned place with its distance, sorted by (distance, id).
fn brute(ds: &Dataset, at: Position, filter: &Filter) -> Vec<(String, f64)> {
    let mut all: Vec<(String, f64)> = (0..ds.lieux().len() as u32)
        .filter(|s| ds.matches(*s, filter))
        .filter_map(|s| brute_distance(ds, s, at).map(|d| (ds.lieu(s).id.to_string(), d)))
        .collect();
    all.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    all
}

fn ids(ds: &Dataset, hits: &[lieux::dataset::Hit]) -> Vec<(String, f64)> {
    hits.iter()
        .map(|h| (ds.lieu(h.slot).id.to_string(), h.distance_m))
        .collect()
}

fn assert_same(got: &[(String, f64)], want: &[(String, f64)], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: count");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g.0, w.0, "{what}: id");
        assert!(
            (g.1 - w.1).abs() < 1e-6,
            "{what}: distance {} vs {}",
            g.1,
            w.1
        );
    }
}

fn filters() -> Vec<Filter> {
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-12-01T10:30:00+01:00")
        .map(|d| d.to_utc())
        .expect("now");
    let q = |pairs: &[(&str, &str)]| {
        Filter::from_pairs(pairs.iter().copied(), now).expect("valid filter")
    };
    vec![
        Filter::default(),
        q(&[("dispositif_programmes_nationaux", "France Services")]),
        q(&[
            (
                "services",
                "Aide aux démarches administratives,Loisirs et créations numériques",
            ),
            ("frais_a_charge", "Gratuit"),
        ]),
        q(&[("ouvert_actuellement", "2026-12-01T10:30:00+01:00")]),
        q(&[
            ("territoire_type", "departements"),
            ("territoires", "44,35,2A"),
        ]),
    ]
}

fn check_queries(ds: &Dataset, queries: &[Position], rng: &mut Rng) {
    for (qi, at) in queries.iter().enumerate() {
        for (fi, filter) in filters().iter().enumerate() {
            let all = brute(ds, *at, filter);
            let k = [1, 10, 37][qi % 3];
            let what = format!("query {qi} filter {fi} k {k}");
            assert_same(
                &ids(ds, &ds.nearest(*at, k, None, filter)),
                &all[..k.min(all.len())],
                &format!("nearest {what}"),
            );

            let radius = rng.range(1_000.0, 80_000.0);
            let within: Vec<_> = all.iter().filter(|(_, d)| *d <= radius).cloned().collect();
            assert_same(
                &ids(ds, &ds.within_radius(*at, radius, filter)),
                &within,
                &format!("radius {what}"),
            );
            let capped: Vec<_> = within.iter().take(k).cloned().collect();
            assert_same(
                &ids(ds, &ds.nearest(*at, k, Some(radius), filter)),
                &capped,
                &format!("nearest max_m {what}"),
            );

            let (w, h) = (rng.range(0.01, 2.0), rng.range(0.01, 1.5));
            let bbox = Bbox {
                min_lon: at.lon - w,
                min_lat: at.lat - h,
                max_lon: at.lon + w,
                max_lat: at.lat + h,
            };
            let got: Vec<String> = ds
                .within_bbox(&bbox, filter)
                .iter()
                .map(|s| ds.lieu(*s).id.to_string())
                .collect();
            let mut want: Vec<String> = ds
                .lieux()
                .iter()
                .enumerate()
                .filter(|(s, l)| {
                    ds.matches(*s as u32, filter)
                        && l.position.is_some_and(|p| bbox.contains(p.lon, p.lat))
                })
                .map(|(_, l)| l.id.to_string())
                .collect();
            want.sort();
            assert_eq!(got, want, "bbox {what}");
        }
    }
}

#[test]
fn random_places_random_queries() {
    let ds = Dataset::new(synthetic_lieux(5_000, 42));
    let mut rng = Rng::new(7);
    let mut queries: Vec<Position> = (0..60)
        .map(|_| Position {
            lon: rng.range(-6.0, 10.0),
            lat: rng.range(41.0, 51.5),
        })
        .collect();
    // queries exactly on places (distance 0, ties with co-located places)
    queries.extend(ds.lieux().iter().step_by(400).filter_map(|l| l.position));
    check_queries(&ds, &queries, &mut rng);
}

#[test]
fn commune_centroids_as_places_and_queries() {
    let Some(communes) = commune_centroids() else {
        return;
    };
    assert!(communes.len() >= 34_870);
    let mut places = Vec::with_capacity(communes.len());
    for (code, lon, lat) in &communes {
        let mut l = lieu(
            format!("c{code}"),
            Some(Position {
                lon: *lon,
                lat: *lat,
            }),
        );
        l.code_insee = Some(code.as_str().into());
        if code.ends_with('7') {
            l.dispositif_programmes_nationaux
                .push(lieux::model::Dispositif::FranceServices);
        }
        places.push(l);
    }
    let ds = Dataset::new(places);
    assert_eq!(ds.positioned(), communes.len());
    let mut rng = Rng::new(2026);
    // every 500th centroid, overseas included, plus points in the sea
    let mut queries: Vec<Position> = communes
        .iter()
        .step_by(500)
        .map(|(_, lon, lat)| Position {
            lon: *lon,
            lat: *lat,
        })
        .collect();
    queries.push(Position {
        lon: -4.0,
        lat: 46.0,
    });
    queries.push(Position {
        lon: 55.5,
        lat: -21.1,
    });
    check_queries(&ds, &queries, &mut rng);
}
