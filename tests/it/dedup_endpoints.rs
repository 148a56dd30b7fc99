//! Group semantics (issue 15) endpoint by endpoint, on every shared file loaded together: with
//! `exclure_doublons=true` (the default) each listing counts the groups with a matching member
//! and lists, for each, the oracle's member (the first matching one in principal order,
//! [`crate::dedup_groups::oracle`]), with that member's position, distance and travel time.
//! Checked for every single-value filter of the vocabulary and seeded random combinations on
//! OGC API items (paged), the CSV and JSON downloads, `radius_m` listings, `nearest`, tiles and
//! stats (`/v1/lieux.fgb` takes no filter: it is the whole dataset). The travel-time endpoints
//! and coverage are checked in `dedup_routing.rs`.

use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, OnceLock};

use chrono::Utc;
use lieux::Dataset;
use lieux::http::AppState;
use lieux::index::haversine_m;
use lieux::model::Lieu;
use lieux::territory::Territoire;
use lieux::testdata::Rng;
use serde_json::Value;

use crate::dedup::ids;
use crate::dedup_groups::{
    combinations, groups_in_principal_order, load_everything, oracle, oracle_among, parse_at,
    query, single_filters,
};
use crate::honest_times::get_ok as json;
use crate::routing::get;
use crate::util::shared_data;

/// Every shared file, loaded once per test process.
pub(crate) fn everything() -> Option<&'static [Lieu]> {
    static ALL: OnceLock<Option<Vec<Lieu>>> = OnceLock::new();
    ALL.get_or_init(|| shared_data().map(|d| load_everything(&d)))
        .as_deref()
}

/// Every shared file served, its dataset and groups ([`groups_in_principal_order`]).
fn served() -> Option<(AppState, Arc<Dataset>, Vec<Vec<u32>>)> {
    let st = AppState::new(Dataset::new(everything()?.to_vec()));
    let ds = st.dataset();
    let groups = groups_in_principal_order(&ds);
    Some((st, ds, groups))
}

/// Every single-value filter and `combos` seeded random combinations of them.
fn cases(ds: &Dataset, combos: usize, seed: u64) -> Vec<Vec<(String, String)>> {
    let mut out = single_filters(ds);
    let more = combinations(&out, &mut Rng::new(seed), combos);
    out.insert(0, Vec::new());
    out.extend(more);
    out
}

fn inside(l: &Lieu, b: [f64; 4]) -> bool {
    l.position
        .is_some_and(|p| p.lon >= b[0] && p.lon <= b[2] && p.lat >= b[1] && p.lat <= b[3])
}

/// All pages of `path` (which has no `limit`/`offset`) by `limit`: the ids in order, each
/// page's `numberMatched` checked against `matched`.
async fn every_page(st: &AppState, path: &str, limit: usize, matched: usize) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        let p = format!("{path}&limit={limit}&offset={}", out.len());
        let v = json(st, &p).await;
        assert_eq!(v["numberMatched"], matched, "{p}");
        let page = ids(&v);
        assert_eq!(v["numberReturned"], page.len(), "{p}");
        let n = page.len();
        out.extend(page);
        if n < limit {
            return out;
        }
    }
}

/// OGC API items (paged, with and without bbox), the CSV and JSON downloads and `radius_m`
/// listings hold exactly the oracle's members, each once.
#[tokio::test]
async fn items_downloads_and_radius_list_the_oracle_members() {
    let Some((st, ds, groups)) = served() else {
        return;
    };
    let now = Utc::now();
    let boxes = [
        [-5.5, 41.0, 10.0, 51.5],
        [2.0, 44.1, 7.2, 46.8],
        [-0.5, 45.2, 0.9, 46.2],
        [4.6, 45.6, 5.1, 45.9],
    ];
    let centres = [(4.85, 45.75), (0.16, 45.65), (2.35, 48.86), (5.37, 43.3)];
    let mut rng = Rng::new(1517);
    let (mut through_member, mut json_elsewhere) = (0, 0);
    let holds: Vec<bool> = ds.lieux().iter().map(lieux::cartographie::holds).collect();
    for (i, pairs) in cases(&ds, 40, 151).iter().enumerate() {
        let q = query(pairs);
        let filter = parse_at(pairs, now);
        let want = oracle(&ds, &groups, &filter);
        through_member += want.iter().filter(|&&s| ds.groups().is_hidden(s)).count();
        let id = |s: &u32| ds.lieu(*s).id.to_string();
        let want_ids: Vec<String> = want.iter().map(id).collect();
        // OGC items: the whole set's count; every tenth case, every page
        let v = json(&st, &format!("/collections/lieux/items?limit=1{q}")).await;
        assert_eq!(v["numberMatched"], want.len(), "items {q}");
        if i % 10 == 0 {
            let limit = 1_000 + rng.below(3_000);
            let got = every_page(
                &st,
                &format!("/collections/lieux/items?f=json{q}"),
                limit,
                want.len(),
            )
            .await;
            same(&got, &want_ids, &format!("items pages of {limit} {q}"));
        }
        // OGC items in a box, paged: the union of the pages is the oracle's, no group twice
        let b = boxes[i % boxes.len()];
        let in_box: Vec<String> = want
            .iter()
            .filter(|&&s| inside(ds.lieu(s), b))
            .map(id)
            .collect();
        let limit = 1 + in_box.len() / 4 + rng.below(50);
        let path = format!(
            "/collections/lieux/items?bbox={},{},{},{}{q}",
            b[0], b[1], b[2], b[3]
        );
        let got = every_page(&st, &path, limit, in_box.len()).await;
        assert_eq!(
            got.iter().collect::<HashSet<_>>().len(),
            got.len(),
            "{path}"
        );
        same(&got, &in_box, &format!("{path} by {limit}"));
        // CSV download: the whole selection or a box
        let bbox = format!("bbox={},{},{},{}", b[0], b[1], b[2], b[3]);
        let (selection, csv_want) = match i % 3 {
            0 => ("", &want_ids),
            _ => (bbox.as_str(), &in_box),
        };
        let r = get(&st, &format!("/v1/lieux.csv?{selection}{q}")).await;
        assert_eq!(r.status, 200, "csv {selection}{q}");
        same(&csv_ids(&r.body), csv_want, &format!("csv {selection}{q}"));
        // JSON download, the whole selection or a box: the format of the national component
        // cannot hold every record (it needs a service, a 5-digit postcode…): a group is
        // written through its first member that matches and that it can hold
        let selection = if i % 2 == 0 { "" } else { bbox.as_str() };
        let r = get(&st, &format!("/v1/lieux.json?{selection}{q}")).await;
        assert_eq!(r.status, 200, "json {selection}{q}");
        let got: Vec<String> = serde_json::from_slice::<Vec<Value>>(&r.body)
            .expect("json array")
            .iter()
            .map(|o| o["id"].as_str().expect("id").to_owned())
            .collect();
        let writable: Vec<u32> = oracle_among(&ds, &groups, &filter, |s| holds[s as usize])
            .into_iter()
            .filter(|&s| selection.is_empty() || inside(ds.lieu(s), b))
            .collect();
        let writable_ids: Vec<String> = writable.iter().map(id).collect();
        same(&got, &writable_ids, &format!("json {selection}{q}"));
        json_elsewhere += writable.iter().filter(|s| !want.contains(s)).count();
        // radius: the listed members within it, by distance (those within a metre of the
        // circle left out: the index's chord and the haversine may round apart)
        let (lon, lat) = centres[i % centres.len()];
        let radius = [2_000.0, 15_000.0, 60_000.0][i % 3];
        let mut near: Vec<(f64, String)> = want
            .iter()
            .filter_map(|&s| {
                let p = ds.lieu(s).position?;
                Some((haversine_m(lon, lat, p.lon, p.lat), id(&s)))
            })
            .filter(|(d, _)| *d <= radius + 1.0)
            .collect();
        near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let v = json(
            &st,
            &format!("/v1/lieux?lat={lat}&lon={lon}&radius_m={radius}&limit=10000{q}"),
        )
        .await;
        let got: Vec<(f64, String)> = v["features"]
            .as_array()
            .expect("features")
            .iter()
            .map(|f| {
                let d = f["properties"]["distance_m"].as_f64().expect("distance_m");
                (d, f["id"].as_str().expect("id").to_owned())
            })
            .collect();
        let edge = |x: &&(f64, String)| (x.0 - radius).abs() > 1.0;
        let got_ids: Vec<&String> = got.iter().filter(edge).map(|x| &x.1).collect();
        let near_ids: Vec<&String> = near.iter().filter(edge).map(|x| &x.1).collect();
        assert_eq!(
            got_ids, near_ids,
            "radius {radius} m around {lon},{lat} {q}"
        );
        for (g, w) in got.iter().zip(&near) {
            if g.1 == w.1 {
                assert!(
                    (g.0 - w.0).abs() < 0.6,
                    "{}: {} m, listed member at {} m",
                    g.1,
                    g.0,
                    w.0
                );
            }
        }
    }
    assert!(through_member > 0, "some group is listed through a member");
    assert!(
        json_elsewhere > 0,
        "some group is written through another member"
    );
}

/// Asserts two id lists are equal, naming a few differences rather than printing them whole.
fn same(got: &[String], want: &[String], what: &str) {
    if got != want {
        let (g, w): (HashSet<&String>, HashSet<&String>) =
            (got.iter().collect(), want.iter().collect());
        panic!(
            "{what}: {} listed, oracle {}; listed only {:?}; oracle only {:?}",
            got.len(),
            want.len(),
            g.difference(&w).take(5).collect::<Vec<_>>(),
            w.difference(&g).take(5).collect::<Vec<_>>()
        );
    }
}

fn csv_ids(body: &[u8]) -> Vec<String> {
    let mut rdr = csv::Reader::from_reader(body);
    let col = rdr
        .headers()
        .expect("header")
        .iter()
        .position(|h| h == "id")
        .expect("id column");
    rdr.records()
        .map(|r| r.expect("csv row")[col].to_owned())
        .collect()
}

/// `nearest` at a few points, tiles (every tile at zoom 0 and 2) and stats count the groups with
/// a matching member; `nearest` lists the oracle's members at their own distance.
#[tokio::test]
async fn nearest_tiles_and_stats_count_the_oracle_groups() {
    let Some((st, ds, groups)) = served() else {
        return;
    };
    let now = Utc::now();
    let z2: BTreeSet<(u32, u32)> = (0..4).flat_map(|x| (0..4).map(move |y| (x, y))).collect();
    let z0 = BTreeSet::from([(0, 0)]);
    let points = [(4.85, 45.75), (-1.55, 47.22), (0.16, 45.65)];
    for (i, pairs) in cases(&ds, 30, 152).iter().enumerate() {
        let q = query(pairs);
        let want = oracle(&ds, &groups, &parse_at(pairs, now));
        let wanted: HashSet<String> = want.iter().map(|&s| ds.lieu(s).id.to_string()).collect();
        let positioned = want
            .iter()
            .filter(|&&s| ds.lieu(s).position.is_some())
            .count() as u64;
        let stats = json(&st, &format!("/v1/stats?group_by=departement{q}")).await;
        assert_eq!(stats["total"], want.len(), "stats {q}");
        let sum: u64 = stats["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .map(|g| g["count"].as_u64().expect("count"))
            .sum();
        assert_eq!(sum, want.len() as u64, "stats {q}");
        // tiles: clusters and single places add up to the positioned listed members
        let tq = format!("?{}", q.trim_start_matches('&'));
        let (z, tiles) = if i % 2 == 0 { (0, &z0) } else { (2, &z2) };
        let (total, singles) = crate::tiles::count_zoom(&st, z, tiles, &tq).await;
        assert_eq!(total, positioned, "tiles z{z} {q}");
        let unique: HashSet<&String> = singles.iter().collect();
        assert_eq!(unique.len(), singles.len(), "tiles z{z} {q}");
        assert!(singles.iter().all(|s| wanted.contains(s)), "tiles z{z} {q}");
        // nearest: the k nearest listed members of the point's territory, at their distance
        let (lon, lat) = points[i % points.len()];
        let terr = Territoire::of_point(lon, lat);
        let mut by_d: Vec<(f64, &str)> = want
            .iter()
            .filter(|&&s| Some(ds.territoire(s)) == terr)
            .filter_map(|&s| {
                let p = ds.lieu(s).position?;
                Some((haversine_m(lon, lat, p.lon, p.lat), ds.lieu(s).id.as_str()))
            })
            .collect();
        by_d.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
        by_d.truncate(8);
        let v = json(
            &st,
            &format!("/v1/lieux/nearest?lat={lat}&lon={lon}&k=8&max_km=20000{q}"),
        )
        .await;
        let fs = v["features"].as_array().expect("features");
        let got: Vec<&str> = fs.iter().map(|f| f["id"].as_str().expect("id")).collect();
        let want_ids: Vec<&str> = by_d.iter().map(|x| x.1).collect();
        assert_eq!(got, want_ids, "nearest {q}");
        for (f, w) in fs.iter().zip(&by_d) {
            let d = f["properties"]["distance_m"].as_f64().expect("distance_m");
            assert!(
                (d - w.0).abs() < 0.6,
                "nearest {q}: {} at {d} m, oracle {} m",
                w.1,
                w.0
            );
        }
    }
}
