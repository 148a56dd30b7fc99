//! De-duplication on real overlapping files: the official France Services list (schema v1) and
//! the four files the national pipeline normalised to schema v0 (Hinaura, Charente, the Charente
//! France Services bus, Nouvelle-Calédonie). Checked against a brute-force scan of every pair,
//! against the hand-checked pairs of `tests/fixtures/dedup-pairs.tsv` (each read row by row:
//! same place, or not), and over HTTP.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use lieux::Dataset;
use lieux::dedup::{Groups, duplicate_pairs, same_place};
use lieux::http::{AppState, routes};
use lieux::model::{Lieu, Position};
use serde_json::Value;

use crate::util::shared_data;

/// The files loaded together, each with the prefix given to its ids (the v0 files number
/// their rows from 0, so their ids collide).
const FILES: &[(&str, &str)] = &[
    ("france-services/france-services-20221201.v1.csv", ""),
    ("cartographie-nationale-v0/hinaura-687.json", "hinaura:"),
    (
        "cartographie-nationale-v0/charente-20230711.json",
        "charente:",
    ),
    (
        "cartographie-nationale-v0/bus-france-services-charente-20231003.json",
        "bus:",
    ),
    (
        "cartographie-nationale-v0/nouvelle-caledonie-20240320.json",
        "nc:",
    ),
];

pub fn load(data: &Path) -> Vec<Lieu> {
    let mut all = Vec::new();
    for (file, prefix) in FILES {
        let out = lieux::import::read_path(&data.join(file)).expect(file);
        all.extend(out.lieux.into_iter().map(|mut l| {
            l.id = format!("{prefix}{}", l.id).into();
            l
        }));
    }
    all
}

/// The hand-checked pairs: `id_a <TAB> id_b <TAB> verdict` with verdict `same` (a real
/// duplicate, must be grouped) or `different` (a near-miss: close, same commune, must not be).
fn checked_pairs() -> Vec<(String, String, bool)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dedup-pairs.tsv");
    std::fs::read_to_string(&path)
        .expect("tests/fixtures/dedup-pairs.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert!(f.len() >= 3, "bad line {l:?}");
            let same = match f[2] {
                "same" => true,
                "different" => false,
                v => panic!("verdict {v:?}"),
            };
            (f[0].to_owned(), f[1].to_owned(), same)
        })
        .collect()
}

fn describe(l: &Lieu) -> String {
    format!(
        "{} [{}] {} {} <{}> {}",
        l.id,
        l.nom,
        l.code_postal,
        l.code_insee.as_deref().unwrap_or("-"),
        l.adresse,
        l.date_maj
    )
}

#[test]
fn indexed_candidates_equal_a_brute_force_scan_and_the_hand_checked_pairs() {
    let Some(data) = shared_data() else {
        return;
    };
    let mut lieux = load(&data);
    lieux.sort_by(|a, b| a.id.cmp(&b.id));
    let got = duplicate_pairs(&lieux);
    // second implementation: every pair, no index
    let mut brute = Vec::new();
    for i in 0..lieux.len() {
        for j in i + 1..lieux.len() {
            if same_place(&lieux[i], &lieux[j]) {
                brute.push((i as u32, j as u32));
            }
        }
    }
    assert_eq!(got, brute, "sweep and brute force disagree");

    let ids: BTreeSet<(String, String)> = got
        .iter()
        .map(|&(a, b)| {
            (
                lieux[a as usize].id.to_string(),
                lieux[b as usize].id.to_string(),
            )
        })
        .collect();
    if std::env::var_os("LIEUX_DEDUP_DUMP").is_some() {
        for &(a, b) in &got {
            eprintln!(
                "{}\t{}\t|| {} || {}",
                lieux[a as usize].id,
                lieux[b as usize].id,
                describe(&lieux[a as usize]),
                describe(&lieux[b as usize])
            );
        }
    }
    let checked = checked_pairs();
    let mut same = 0;
    for (a, b, is_same) in &checked {
        let key = if a < b {
            (a.clone(), b.clone())
        } else {
            (b.clone(), a.clone())
        };
        assert_eq!(
            ids.contains(&key),
            *is_same,
            "{a} / {b}: expected same = {is_same}"
        );
        same += usize::from(*is_same);
    }
    // every pair found was read and judged a real duplicate
    assert_eq!(ids.len(), same, "pairs found that nobody checked");
}

fn groups_by_id(lieux: Vec<Lieu>) -> BTreeMap<String, (String, String)> {
    let ds = Dataset::new(lieux);
    (0..ds.lieux().len() as u32)
        .filter_map(|s| {
            let g = ds.group_of(s)?;
            Some((
                ds.lieu(s).id.to_string(),
                (
                    ds.lieu(g.first).id.to_string(),
                    ds.lieu(g.principal).id.to_string(),
                ),
            ))
        })
        .collect()
}

#[test]
fn group_ids_do_not_depend_on_load_order_or_unrelated_places() {
    let Some(data) = shared_data() else {
        return;
    };
    let lieux = load(&data);
    let base = groups_by_id(lieux.clone());
    assert!(!base.is_empty());
    let mut reversed = lieux.clone();
    reversed.reverse();
    assert_eq!(groups_by_id(reversed), base, "reversed load order");
    let mut more = lieux;
    let mut extra = lieux::testdata::lieu(
        "0-unrelated".into(),
        Some(Position {
            lon: 2.35,
            lat: 48.85,
        }),
    );
    extra.nom = "Médiathèque sans doublon".into();
    more.insert(0, extra);
    assert_eq!(groups_by_id(more), base, "one unrelated place added");
    // the groups as Groups sees them: every grouped place has ≥ 2 members
    let mut sorted = load(&data);
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    let g = Groups::new(&sorted);
    assert!(g.iter().all(|x| x.members >= 2));
    assert_eq!(
        g.iter().map(|x| x.members as usize).sum::<usize>(),
        base.len()
    );
}

async fn get(st: &AppState, path: &str) -> (u16, Value) {
    let res = warp::test::request()
        .method("GET")
        .path(path)
        .reply(&routes(st.clone()))
        .await;
    let v = serde_json::from_slice(res.body()).unwrap_or(Value::Null);
    (res.status().as_u16(), v)
}

pub(crate) fn ids(v: &Value) -> Vec<String> {
    v["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn exclure_doublons_hides_non_principal_members_over_http() {
    let Some(data) = shared_data() else {
        return;
    };
    let ds = Dataset::new(load(&data));
    let total = ds.lieux().len();
    let hidden: BTreeSet<String> = (0..total as u32)
        .filter(|s| ds.groups().is_hidden(*s))
        .map(|s| ds.lieu(s).id.to_string())
        .collect();
    assert!(!hidden.is_empty());
    let st = AppState::new(ds);

    let (s, all) = get(&st, "/v1/lieux?exclure_doublons=false").await;
    assert_eq!(s, 200);
    assert_eq!(all["numberMatched"], total);
    let (s, one) = get(&st, "/v1/lieux").await;
    assert_eq!(s, 200);
    assert_eq!(one["numberMatched"], total - hidden.len());
    let listed: BTreeSet<String> = ids(&one).into_iter().collect();
    assert!(listed.is_disjoint(&hidden));
    let (_, explicit) = get(&st, "/v1/lieux?exclure_doublons=true").await;
    assert_eq!(explicit["numberMatched"], one["numberMatched"]);

    // France services Thueyts: official list and Hinaura, 1 m apart
    let (s, near) = get(
        &st,
        "/v1/lieux/nearest?lat=44.67573&lon=4.222033&k=2&max_km=0.05",
    )
    .await;
    assert_eq!(s, 200);
    let near_ids = ids(&near);
    let (_, near_all) = get(
        &st,
        "/v1/lieux/nearest?lat=44.67573&lon=4.222033&k=2&max_km=0.05&exclure_doublons=false",
    )
    .await;
    let near_all_ids = ids(&near_all);
    assert_eq!(near_all_ids.len(), 2, "{near_all_ids:?}");
    assert_eq!(near_ids.len(), 1, "{near_ids:?}");
    let f = &near_all["features"][0]["properties"]["doublons"];
    assert_eq!(f["membres"], 2);
    assert_eq!(f["groupe"], "france-services-30");
    assert_eq!(
        f["lieu_principal"], "france-services-30",
        "more recent date_maj"
    );
    assert_eq!(near_ids, ["france-services-30"]);

    // travel-time answers too (straight-line estimates: no road graph here)
    let closest = "/v1/lieux/closest?lat=44.67573&lon=4.222033&k=2";
    let (s, c) = get(&st, closest).await;
    assert_eq!(s, 200);
    assert!(
        !ids(&c).contains(&"hinaura:953".to_owned()),
        "{:?}",
        ids(&c)
    );
    let (_, c) = get(&st, &format!("{closest}&exclure_doublons=false")).await;
    assert_eq!(ids(&c), ["france-services-30", "hinaura:953"]);

    // the hidden member is still served by id, and says it is not the principal
    let (s, member) = get(&st, "/v1/lieux/hinaura:953").await;
    assert_eq!(s, 200);
    assert_eq!(member["properties"]["doublons"]["principal"], false);
    assert_eq!(
        member["properties"]["doublons"]["groupe"],
        "france-services-30"
    );

    // downloads and stats apply it too
    for (path, expected) in [
        ("/v1/lieux.csv?exclure_doublons=false", total),
        ("/v1/lieux.csv", total - hidden.len()),
    ] {
        let csv = warp::test::request()
            .path(path)
            .reply(&routes(st.clone()))
            .await;
        let rows = csv::Reader::from_reader(csv.body().as_ref())
            .records()
            .count();
        assert_eq!(rows, expected, "{path}");
    }
    let (_, stats) = get(&st, "/v1/stats").await;
    assert_eq!(stats["total"], total - hidden.len());

    for bad in ["exclure_doublons=oui", "exclure_doublons="] {
        let (s, v) = get(&st, &format!("/v1/lieux?{bad}")).await;
        assert_eq!(s, 400, "{bad}");
        assert_eq!(v["error"]["parameter"], "exclure_doublons");
    }
}

#[test]
fn import_report_lists_the_duplicates_of_one_file() {
    let Some(data) = shared_data() else {
        return;
    };
    // oracle: the hand-checked same pairs inside the Charente export, as connected components
    let pairs: Vec<(String, String)> = checked_pairs()
        .into_iter()
        .filter(|(a, b, same)| *same && a.starts_with("charente:") && b.starts_with("charente:"))
        .map(|(a, b, _)| {
            (
                a["charente:".len()..].to_owned(),
                b["charente:".len()..].to_owned(),
            )
        })
        .collect();
    let mut component: BTreeMap<String, usize> = BTreeMap::new();
    for (i, (a, b)) in pairs.iter().enumerate() {
        let (ca, cb) = (component.get(a).copied(), component.get(b).copied());
        let c = ca.or(cb).unwrap_or(i);
        for old in [ca, cb].into_iter().flatten().filter(|o| *o != c) {
            for v in component.values_mut().filter(|v| **v == old) {
                *v = c;
            }
        }
        component.insert(a.clone(), c);
        component.insert(b.clone(), c);
    }
    let groups: BTreeSet<usize> = component.values().copied().collect();
    let want = component.len() - groups.len();

    let path = data.join("cartographie-nationale-v0/charente-20230711.json");
    let out = lieux::import::read_path(&path).expect("import");
    let rows: Vec<_> = out
        .report
        .iter()
        .filter(|r| r.reason.starts_with("duplicate of"))
        .collect();
    assert_eq!(rows.len(), want, "{rows:#?}");
    for r in &rows {
        assert_eq!(r.kind, lieux::import::ReportKind::Info);
        assert!(
            component.contains_key(&r.id),
            "{} is not a checked duplicate",
            r.id
        );
        // the line points at the row: JSON index of that id in the file
        let raw: Value =
            serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
        assert_eq!(raw[r.line_or_index as usize]["id"], r.id.as_str());
    }
    // nothing is dropped
    assert_eq!(out.lieux.len(), out.stats.accepted);
}
