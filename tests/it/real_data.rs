//! The embedded default (France Services 2022-12-01) against independent checks: brute-force
//! nearest from every 5th commune centroid, and open-now evaluated in overseas time zones with the
//! `opening-hours` crate directly.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use geo::{Distance, Haversine, Point};
use lieux::Dataset;
use lieux::filter::Filter;
use lieux::model::{Dispositif, Position};

use crate::util::commune_centroids;

fn embedded() -> Dataset {
    Dataset::embedded().expect("embedded snapshot loads")
}

#[test]
fn embedded_default_is_the_2022_france_services_list() {
    let ds = embedded();
    assert_eq!(
        ds.lieux().len(),
        2657,
        "2 683 rows, 26 rejected for lacking commune, postcode and address"
    );
    assert_eq!(
        ds.positioned(),
        2649,
        "4 kept rows have no coordinates, 4 have coordinates outside their commune"
    );
    assert!(
        ds.lieux()
            .iter()
            .all(|l| l.dispositif_programmes_nationaux == [Dispositif::FranceServices])
    );
    // every département and Saint-Martin
    let deps: std::collections::BTreeSet<&str> = ds
        .lieux()
        .iter()
        .filter_map(|l| l.code_insee.as_deref())
        .filter_map(lieux::territory::departement_of)
        .collect();
    assert!(deps.len() >= 101, "{deps:?}");
}

#[test]
fn nearest_france_services_from_communes_equals_brute_force() {
    let Some(communes) = commune_centroids() else {
        return;
    };
    let ds = embedded();
    // one place per group of duplicates, as served by default (crate::dedup)
    let fs: Vec<(String, f64, f64)> = ds
        .lieux()
        .iter()
        .enumerate()
        .filter(|(s, _)| !ds.groups().is_hidden(*s as u32))
        .filter_map(|(_, l)| l.position.map(|p| (l.id.to_string(), p.lon, p.lat)))
        .collect();
    let filter = Filter::default();
    for (code, lon, lat) in communes.iter().step_by(5) {
        let at = Position {
            lon: *lon,
            lat: *lat,
        };
        let got = ds.nearest(at, 3, None, &filter);
        let mut want: Vec<(f64, &str)> = fs
            .iter()
            .map(|(id, x, y)| {
                (
                    Haversine.distance(Point::new(*lon, *lat), Point::new(*x, *y)),
                    id.as_str(),
                )
            })
            .collect();
        want.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)));
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(ds.lieu(g.slot).id, w.1, "commune {code}");
            assert!((g.distance_m - w.0).abs() < 1e-6);
        }
        assert_eq!(got.len(), 3);
    }
}

#[test]
fn open_now_uses_each_places_time_zone() {
    let ds = embedded();
    // 10:00 in Réunion (UTC+4) is 07:00 in Paris: Réunion's sites open, metropolitan ones not yet
    let instant = "2026-12-01T06:00:00Z";
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339(instant)
        .map(|d| d.to_utc())
        .expect("instant");
    let filter = Filter::from_pairs([("ouvert_actuellement", instant)], now).expect("filter");
    let local = |h: &str, tz: chrono_tz::Tz| {
        let oh = opening_hours::OpeningHours::from_str(h).expect("hours parse");
        oh.is_open(now.with_timezone(&tz).naive_local())
    };
    let mut open_reunion = 0;
    for (slot, l) in ds.lieux().iter().enumerate() {
        let Some(h) = &l.horaires else { continue };
        let tz = lieux::hours::timezone_for(l.code_insee.as_deref(), &l.code_postal);
        let want = local(h.raw(), tz);
        assert_eq!(
            ds.matches(slot as u32, &filter),
            want,
            "{} {}",
            l.id,
            h.raw()
        );
        if want
            && l.code_insee
                .as_deref()
                .is_some_and(|c| c.starts_with("974"))
        {
            open_reunion += 1;
        }
    }
    assert!(
        open_reunion > 5,
        "Réunion sites open at 10:00 local: {open_reunion}"
    );
    let near = ds.nearest(
        Position {
            lon: 55.45,
            lat: -21.0,
        },
        5,
        None,
        &filter,
    );
    assert_eq!(near.len(), 5);
    assert!(near.iter().all(|h| {
        ds.lieu(h.slot)
            .code_insee
            .as_deref()
            .is_some_and(|c| c.starts_with("974"))
    }));
}

#[test]
fn territory_filters_on_real_codes() {
    let ds = embedded();
    let now = Utc::now();
    let count = |pairs: &[(&str, &str)]| {
        // every place: the oracle below counts duplicates too
        let all = [("exclure_doublons", "false")];
        let f = Filter::from_pairs(pairs.iter().chain(&all).copied(), now).expect("filter");
        ds.all_matching(&f).count()
    };
    let in_dep = |d: &str| {
        ds.lieux()
            .iter()
            .filter(|l| {
                l.code_insee
                    .as_deref()
                    .and_then(lieux::territory::departement_of)
                    == Some(d)
            })
            .count()
    };
    assert_eq!(
        count(&[("territoire_type", "departements"), ("territoires", "974")]),
        in_dep("974")
    );
    assert_eq!(
        count(&[
            ("territoire_type", "departements"),
            ("territoires", "2A,2B")
        ]),
        in_dep("2A") + in_dep("2B")
    );
    // Bretagne = 22, 29, 35, 56
    let bzh: usize = ["22", "29", "35", "56"].iter().map(|d| in_dep(d)).sum();
    assert_eq!(
        count(&[("territoire_type", "regions"), ("territoires", "53")]),
        bzh
    );
    assert!(bzh > 50);
    let c = ds
        .lieux()
        .iter()
        .find_map(|l| l.code_insee.clone())
        .expect("a code");
    assert!(count(&[("territoire_type", "communes"), ("territoires", &c)]) >= 1);
}
