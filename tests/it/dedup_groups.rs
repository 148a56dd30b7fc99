//! Group semantics of de-duplication on every shared file loaded together (the France Services
//! list, the four v0 exports and every raw producer file with its mapping config): no group is
//! wider than the rule allows, and a filter finds a group through any matching member. Checked
//! against a brute-force oracle over groups (members in principal order, first matching member
//! listed), on the dataset and over HTTP.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use lieux::Dataset;
use lieux::dedup::{MAX_DISTANCE_M, principal_order, same_place};
use lieux::filter::Filter;
use lieux::http::{AppState, routes};
use lieux::import::{ImportOptions, Mapping, MappingOptions, read_bytes_with};
use lieux::index::haversine_m;
use lieux::model::{Dispositif, Frais, Lieu, PriseEnCharge, Public, Service};
use lieux::testdata::Rng;
use serde_json::Value;

use crate::util::{mapping_configs, shared_data};

/// Every shared file, ids prefixed by file so that they do not collide.
pub fn load_everything(data: &Path) -> Vec<Lieu> {
    let mut all = crate::dedup::load(data);
    for config in mapping_configs(data) {
        let name = config
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let stem = name.trim_end_matches(".config.json");
        let raw = config.with_file_name(format!("{stem}.json"));
        let options = ImportOptions {
            mapping: Some((
                Mapping::from_path(&config).expect("config"),
                MappingOptions {
                    date_maj: chrono::NaiveDate::from_ymd_opt(2024, 1, 1),
                    id_prefix: Some(format!("raw-{stem}:")),
                    ..Default::default()
                },
            )),
            ..Default::default()
        };
        let bytes = std::fs::read(&raw).expect("raw file");
        let out = read_bytes_with(&raw.display().to_string(), &bytes, &options).expect("import");
        all.extend(out.lieux);
    }
    all
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-01T10:30:00+01:00")
        .map(|d| d.to_utc())
        .expect("now")
}

/// Every single-value filter of the vocabulary (as query pairs), plus the sources and
/// départements found in the data.
pub(crate) fn single_filters(ds: &Dataset) -> Vec<Vec<(String, String)>> {
    let mut out: Vec<Vec<(String, String)>> = Vec::new();
    let mut one = |k: &str, v: &str| out.push(vec![(k.to_owned(), v.to_owned())]);
    for s in Service::ALL {
        one("services", s.as_str());
    }
    for p in Public::ALL {
        one("publics_specifiquement_adresses", p.as_str());
    }
    for p in PriseEnCharge::ALL {
        one("prise_en_charge_specifique", p.as_str());
    }
    for f in Frais::ALL {
        one("frais_a_charge", f.as_str());
    }
    for d in Dispositif::ALL {
        one("dispositif_programmes_nationaux", d.as_str());
    }
    for b in ["true", "false"] {
        one("prise_rdv", b);
        one("ouvert_le_week_end", b);
    }
    for t in [
        "2026-12-01T10:30:00+01:00",
        "2026-12-05T10:00:00+01:00",
        "2026-12-01T18:30:00+01:00",
    ] {
        one("ouvert_actuellement", t);
    }
    let sources: BTreeSet<&str> = ds
        .lieux()
        .iter()
        .filter_map(|l| l.source.as_deref())
        .collect();
    for s in sources.into_iter().filter(|s| !s.contains(',')) {
        one("source", s);
    }
    let labels: BTreeSet<&str> = ds
        .lieux()
        .iter()
        .flat_map(|l| l.autres_formations_labels.iter().map(|s| s.as_str()))
        .filter(|s| !s.contains(',') && !s.trim().is_empty())
        .collect();
    for s in labels {
        one("autres_formations_labels", s);
    }
    let deps: BTreeSet<String> = ds
        .lieux()
        .iter()
        .filter_map(|l| lieux::territory::departement_of(l.code_insee.as_deref()?))
        .map(str::to_owned)
        .collect();
    for d in deps {
        out.push(vec![
            ("territoire_type".into(), "departements".into()),
            ("territoires".into(), d),
        ]);
    }
    out
}

fn parse(pairs: &[(String, String)]) -> Filter {
    parse_at(pairs, now())
}

/// The filter of query pairs, evaluated at `now`.
pub(crate) fn parse_at(pairs: &[(String, String)], now: DateTime<Utc>) -> Filter {
    Filter::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), now)
        .unwrap_or_else(|e| panic!("{pairs:?}: {e:?}"))
}

/// Query pairs as `&k=v…`, percent-encoded.
pub(crate) fn query(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let v = percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC);
            format!("&{k}={v}")
        })
        .collect()
}

/// `n` random combinations of two or three single filters of different parameters.
pub(crate) fn combinations(
    singles: &[Vec<(String, String)>],
    rng: &mut Rng,
    n: usize,
) -> Vec<Vec<(String, String)>> {
    (0..n)
        .map(|_| {
            let mut pairs: Vec<(String, String)> = Vec::new();
            for _ in 0..2 + rng.below(2) {
                let pick = &singles[rng.below(singles.len())];
                if pick.iter().all(|(k, _)| pairs.iter().all(|(q, _)| q != k)) {
                    pairs.extend(pick.iter().cloned());
                }
            }
            pairs
        })
        .collect()
}

/// The oracle: each group (singletons included) with a member matching `filter` is listed
/// through its first matching member in principal order. Returns those members' slots, sorted.
pub(crate) fn oracle(ds: &Dataset, groups: &[Vec<u32>], filter: &Filter) -> Vec<u32> {
    oracle_among(ds, groups, filter, |_| true)
}

/// [`oracle`] among the records `eligible` accepts (those a format can hold): each group is
/// listed through its first member in principal order that matches and is eligible.
pub(crate) fn oracle_among(
    ds: &Dataset,
    groups: &[Vec<u32>],
    filter: &Filter,
    eligible: impl Fn(u32) -> bool,
) -> Vec<u32> {
    let mut out: Vec<u32> = groups
        .iter()
        .filter_map(|members| {
            members
                .iter()
                .copied()
                .find(|&s| eligible(s) && filter.matches(ds.lieu(s), ds.timezone(s)))
        })
        .collect();
    out.sort_unstable();
    out
}

/// Every group as its members in principal order (sorted independently of the library's own
/// member list), singletons included.
pub(crate) fn groups_in_principal_order(ds: &Dataset) -> Vec<Vec<u32>> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for s in 0..ds.lieux().len() as u32 {
        if !seen.insert(s) {
            continue;
        }
        let mut members = ds.groups().members_of(s);
        seen.extend(members.iter().copied());
        members.sort_by(|&a, &b| principal_order(ds.lieu(a), ds.lieu(b)));
        out.push(members);
    }
    out
}

#[test]
fn groups_are_cliques_no_wider_than_the_threshold() {
    let Some(data) = shared_data() else { return };
    let ds = Dataset::new(load_everything(&data));
    let groups = groups_in_principal_order(&ds);
    let mut widest = 0.0f64;
    for g in groups.iter().filter(|g| g.len() > 1) {
        for (i, &a) in g.iter().enumerate() {
            for &b in &g[i + 1..] {
                let (la, lb) = (ds.lieu(a), ds.lieu(b));
                assert!(
                    same_place(la, lb),
                    "{} / {} grouped, not a pair",
                    la.id,
                    lb.id
                );
                let (p, q) = (la.position.expect("pos"), lb.position.expect("pos"));
                widest = widest.max(haversine_m(p.lon, p.lat, q.lon, q.lat));
            }
        }
    }
    assert!(widest <= MAX_DISTANCE_M, "widest group {widest:.0} m");
}

#[test]
fn filters_find_every_group_through_any_matching_member() {
    let Some(data) = shared_data() else { return };
    let ds = Dataset::new(load_everything(&data));
    let groups = groups_in_principal_order(&ds);
    assert!(groups.iter().any(|g| g.len() > 1));
    let singles = single_filters(&ds);
    assert!(singles.len() > 60, "{}", singles.len());
    // group of every slot, for the walk over records
    let mut group_of = vec![0usize; ds.lieux().len()];
    for (i, g) in groups.iter().enumerate() {
        for &s in g {
            group_of[s as usize] = i;
        }
    }
    let mut found_through_another = 0;
    let check = |pairs: &[(String, String)]| {
        let filter = parse(pairs);
        let want = oracle(&ds, &groups, &filter);
        let got: Vec<u32> = ds.all_matching(&filter).collect();
        if got != want {
            let (g, w): (BTreeSet<u32>, BTreeSet<u32>) = (
                got.iter().copied().collect(),
                want.iter().copied().collect(),
            );
            let id = |s: &u32| ds.lieu(*s).id.clone();
            panic!(
                "{pairs:?}: {} listed, oracle {}; listed only: {:?}; oracle only: {:?}",
                got.len(),
                want.len(),
                g.difference(&w).take(5).map(id).collect::<Vec<_>>(),
                w.difference(&g).take(5).map(id).collect::<Vec<_>>()
            );
        }
        want
    };
    for pairs in &singles {
        let listed = check(pairs);
        let listed_groups: HashSet<usize> = listed.iter().map(|&s| group_of[s as usize]).collect();
        // every record the filter matches is found: itself, or its group's listed member
        let filter = parse(pairs);
        for s in 0..ds.lieux().len() as u32 {
            if filter.matches(ds.lieu(s), ds.timezone(s)) {
                assert!(
                    listed_groups.contains(&group_of[s as usize]),
                    "{} matches {pairs:?} but its group is not listed",
                    ds.lieu(s).id
                );
                if listed.binary_search(&s).is_err() {
                    found_through_another += 1;
                }
            }
        }
    }
    assert!(
        found_through_another > 0,
        "some record is found through its group"
    );
    // random combinations of two or three filters of different parameters
    for pairs in combinations(&singles, &mut Rng::new(15), 300) {
        check(&pairs);
    }
}

async fn get(st: &AppState, path: &str) -> Value {
    let res = warp::test::request()
        .path(path)
        .reply(&routes(st.clone()))
        .await;
    assert_eq!(res.status(), 200, "{path}");
    serde_json::from_slice(res.body()).expect("json")
}

#[tokio::test]
async fn endpoints_count_groups_with_a_matching_member() {
    let Some(data) = shared_data() else { return };
    let ds = Dataset::new(load_everything(&data));
    let groups = groups_in_principal_order(&ds);
    let cases: Vec<Vec<(String, String)>> = vec![
        vec![],
        vec![(
            "dispositif_programmes_nationaux".into(),
            "Conseillers numériques".into(),
        )],
        vec![(
            "dispositif_programmes_nationaux".into(),
            "France Services".into(),
        )],
        vec![(
            "services".into(),
            "Aide aux démarches administratives".into(),
        )],
        vec![("prise_rdv".into(), "true".into())],
    ];
    let expected: Vec<(String, Vec<u32>)> = cases
        .iter()
        .map(|pairs| (query(pairs), oracle(&ds, &groups, &parse(pairs))))
        .collect();
    let lieux: Vec<Lieu> = ds.lieux().to_vec();
    let st = AppState::new(ds);
    for (q, want) in &expected {
        let v = get(&st, &format!("/v1/lieux?limit=1{q}")).await;
        assert_eq!(v["numberMatched"], want.len(), "whole set {q}");
        let stats = get(&st, &format!("/v1/stats?group_by=region{q}")).await;
        assert_eq!(stats["total"], want.len(), "stats {q}");
        // a bbox over metropolitan France: the listed members positioned inside it
        let inside = want
            .iter()
            .filter(|&&s| {
                lieux[s as usize].position.is_some_and(|p| {
                    (-5.5..=10.0).contains(&p.lon) && (41.0..=51.5).contains(&p.lat)
                })
            })
            .count();
        let v = get(&st, &format!("/v1/lieux?bbox=-5.5,41,10,51.5&limit=1{q}")).await;
        assert_eq!(v["numberMatched"], inside, "bbox {q}");
        // nearest: the oracle's listed members by distance
        let (lat, lon) = (45.75, 4.85);
        let mut by_distance: Vec<(f64, &str)> = want
            .iter()
            .filter_map(|&s| {
                let l = &lieux[s as usize];
                l.position
                    .map(|p| (haversine_m(lon, lat, p.lon, p.lat), l.id.as_str()))
            })
            .collect();
        by_distance.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
        let v = get(
            &st,
            // `max_km` lifts the default bound of filtered queries: the oracle is unbounded
            &format!("/v1/lieux/nearest?lat={lat}&lon={lon}&k=10&max_km=20000{q}"),
        )
        .await;
        let got: Vec<&str> = v["features"]
            .as_array()
            .expect("features")
            .iter()
            .map(|f| f["id"].as_str().expect("id"))
            .collect();
        let want_ids: Vec<&str> = by_distance.iter().take(10).map(|x| x.1).collect();
        assert_eq!(got, want_ids, "nearest {q}");
    }
}

/// Survey of the groups (run with `LIEUX_DEDUP_SURVEY=1 cargo test dedup_survey -- --nocapture`):
/// pairs, groups, hidden records, groups of 3 or more and groups wider than 100 m, each printed
/// for reading. The figures before and after complete linkage are in docs/dedup.md.
#[test]
fn dedup_survey() {
    let Some(data) = shared_data() else { return };
    if std::env::var_os("LIEUX_DEDUP_SURVEY").is_none() {
        return;
    }
    let mut lieux = load_everything(&data);
    lieux.sort_by(|a, b| a.id.cmp(&b.id));
    let pairs = lieux::dedup::duplicate_pairs(&lieux);
    let g = lieux::dedup::Groups::new(&lieux);
    let hidden = (0..lieux.len() as u32).filter(|&s| g.is_hidden(s)).count();
    let mut big = 0;
    let mut wide = 0;
    let mut sizes: BTreeMap<u32, usize> = BTreeMap::new();
    for grp in g.iter() {
        *sizes.entry(grp.members).or_default() += 1;
        let m = g.members_of(grp.first);
        let pos = |s: u32| lieux[s as usize].position.expect("pos");
        let width = m
            .iter()
            .flat_map(|&a| m.iter().map(move |&b| (a, b)))
            .map(|(a, b)| haversine_m(pos(a).lon, pos(a).lat, pos(b).lon, pos(b).lat))
            .fold(0.0, f64::max);
        if grp.members >= 3 || width > 100.0 {
            big += usize::from(grp.members >= 3);
            wide += usize::from(width > 100.0);
            eprintln!("group of {} ({width:.0} m):", grp.members);
            for &s in &m {
                let l = &lieux[s as usize];
                eprintln!("  {} [{}] <{}> {}", l.id, l.nom, l.adresse, l.code_postal);
            }
        }
    }
    eprintln!(
        "records {} pairs {} groups {} hidden {} groups>=3 {big} groups>100m {wide} sizes {sizes:?}",
        lieux.len(),
        pairs.len(),
        g.len(),
        hidden
    );
}

/// The groups read by hand (tests/fixtures/dedup-groups.tsv): `group` lines are exactly one
/// group, `apart` lines never share one.
#[test]
fn hand_read_groups_hold() {
    let Some(data) = shared_data() else { return };
    let ds = Dataset::new(load_everything(&data));
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dedup-groups.tsv");
    let text = std::fs::read_to_string(&path).expect("tests/fixtures/dedup-groups.tsv");
    let (mut groups, mut apart) = (0, 0);
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let f: Vec<&str> = line.split('\t').collect();
        assert!(f.len() >= 2, "bad line {line:?}");
        let slots: Vec<u32> = f[1]
            .split(' ')
            .map(|id| ds.slot_of(id).unwrap_or_else(|| panic!("no record {id}")))
            .collect();
        let group = |s: u32| ds.group_of(s).map(|g| g.first);
        match f[0] {
            "group" => {
                groups += 1;
                let g = group(slots[0]).unwrap_or_else(|| panic!("{line}: not grouped"));
                assert!(slots.iter().all(|&s| group(s) == Some(g)), "{line}");
                assert_eq!(
                    ds.groups().members_of(slots[0]).len(),
                    slots.len(),
                    "{line}"
                );
            }
            "apart" => {
                apart += 1;
                for (i, &a) in slots.iter().enumerate() {
                    for &b in &slots[i + 1..] {
                        assert!(group(a).is_none() || group(a) != group(b), "{line}");
                    }
                }
            }
            v => panic!("verdict {v:?}"),
        }
    }
    assert!(groups >= 6 && apart >= 3);
}
