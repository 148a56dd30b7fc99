//! Geocoding: the BAN client against a real local addok (PyPI `addok` + `addok-csv`, Debian
//! `redis-server`, started by `tests/addok/setup.sh`), and the offline commune fallback.
//!
//! The addok index is generated here from the France Services list
//! (`france-services-20221201.v1.csv`): one street document per (commune, street) with its
//! house numbers at the list's coordinates, and one municipality document per commune. The same
//! rows, coordinates removed, are then imported with `--geocoder`; the oracle is the list's own
//! coordinates, and the commune polygons (`communes-france-polygons.geojson.gz`) for the
//! commune fallback.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use lieux::geocode::ban::{BanGeocoder, BanOptions};
use lieux::geocode::offline::CommuneGeocoder;
use lieux::geocode::{AddressQuery as Query, Geocoder, Precision, SourcePosition};
use lieux::import::{
    CommuneShapes as Communes, ImportOptions, ImportOutcome, Mapping, MappingOptions,
};

use crate::util::shared_data;

#[path = "../addok/fixture.rs"]
pub(crate) mod fixture;
use fixture::{Rows, addok_documents, free_port, fs_rows, haversine_m};

/// The shared addok server and the first import through it.
pub(crate) struct Addok {
    pub(crate) url: String,
    dir: PathBuf,
    pub(crate) rows: Rows,
    /// Communes (by INSEE code) that have documents in the index.
    indexed: HashSet<String>,
    /// Import of the rows without coordinates, BAN then commune fallback.
    first: ImportOutcome,
    first_stats: lieux::geocode::GeocodeStats,
    cache: PathBuf,
}

/// Requests of the addok tests one at a time (the cache test counts the server's queries).
static SERIAL: Mutex<()> = Mutex::new(());

pub(crate) fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn addok() -> Option<&'static Addok> {
    static ADDOK: OnceLock<Option<Addok>> = OnceLock::new();
    ADDOK
        .get_or_init(|| {
            let data = shared_data()?;
            let rows = fs_rows(&data);
            // One folder per test process: two runs in one target dir must not stop each
            // other's servers. The setup script's watchdog removes it when this process exits.
            let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("addok-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            let docs = addok_documents(&rows);
            let indexed = docs
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter_map(|d| d["citycode"].as_str().map(str::to_owned))
                .collect();
            std::fs::write(dir.join("docs.jsonl"), docs).unwrap();
            let url = fixture::start(&dir, &dir.join("docs.jsonl"));

            let cache = dir.join("geocode-cache.jsonl");
            let ban = Arc::new(
                BanGeocoder::new(&url, Some(cache.clone()), BanOptions::default()).unwrap(),
            );
            let first = import_with(
                &rows,
                vec![ban.clone(), Arc::new(CommuneGeocoder::embedded())],
            );
            Some(Addok {
                url,
                dir,
                rows,
                indexed,
                first,
                first_stats: ban.stats(),
                cache,
            })
        })
        .as_ref()
}

fn import_with(rows: &Rows, geocoders: Vec<Arc<dyn Geocoder>>) -> ImportOutcome {
    let options = ImportOptions {
        geocoders,
        ..Default::default()
    };
    lieux::import::read_bytes_with(
        "fs-sans-coordonnees.csv",
        &rows.without_coordinates,
        &options,
    )
    .unwrap()
}

fn polygons() -> Option<&'static Communes> {
    static POLYGONS: OnceLock<Option<Communes>> = OnceLock::new();
    POLYGONS
        .get_or_init(|| {
            let path = shared_data()?.join("communes/communes-france-polygons.geojson.gz");
            Some(Communes::from_path(&path).unwrap())
        })
        .as_ref()
}

/// Lines the addok server logged (one per query it answered, found or not).
fn server_queries(dir: &Path) -> usize {
    ["queries.log", "notfound.log"]
        .iter()
        .map(|f| {
            std::fs::read_to_string(dir.join(f))
                .map(|t| t.lines().count())
                .unwrap_or(0)
        })
        .sum()
}

#[test]
fn ban_places_rows_near_their_true_position() {
    let _serial = serial();
    let Some(a) = addok() else { return };
    let out = &a.first;
    assert_eq!(out.stats.rows, 2683);
    assert_eq!(out.stats.accepted, 2657);

    let mut by_source: HashMap<SourcePosition, usize> = HashMap::new();
    let (mut compared, mut within_100m) = (0, 0);
    for l in &out.lieux {
        let o = l
            .position_origine
            .expect("every place is positioned by a geocoder");
        *by_source.entry(o.source).or_default() += 1;
        let p = l.position.unwrap();
        if o.source == SourcePosition::Ban {
            // The thresholds: nothing under the lowest one was accepted.
            assert!(o.score.is_some_and(|s| s >= 0.4), "{} {o:?}", l.id);
            if let Some(&truth) = a.rows.truth.get(l.id.as_str()) {
                compared += 1;
                if haversine_m(truth, (p.lon, p.lat)) <= 100.0 {
                    within_100m += 1;
                }
            }
        }
    }
    let ban = by_source.get(&SourcePosition::Ban).copied().unwrap_or(0);
    let commune = by_source
        .get(&SourcePosition::Commune)
        .copied()
        .unwrap_or(0);
    eprintln!(
        "geocoded {ban} by BAN ({within_100m}/{compared} within 100 m of the list's coordinates), \
         {commune} at their commune; stats {:?}",
        a.first_stats
    );
    assert_eq!(ban + commune, out.stats.accepted, "{by_source:?}");
    assert_eq!(out.stats.without_coordinates, 0);
    // The index holds these very addresses: nearly all come back where the list puts them.
    assert!(
        ban as f64 >= 0.95 * out.stats.accepted as f64,
        "{by_source:?}"
    );
    assert!(
        within_100m as f64 >= 0.95 * compared as f64,
        "{within_100m}/{compared} within 100 m"
    );

    // Batches of 1 000 distinct addresses: 2 657 rows need several.
    let distinct: HashSet<String> = out.lieux.iter().map(|l| Query::of(l).key()).collect();
    assert_eq!(a.first_stats.batches, distinct.len().div_ceil(1000) as u64);
    assert!(a.first_stats.batches >= 3);
    assert_eq!(a.first_stats.cache_hits, 0);

    // Every placed row says how in the report, instead of "no coordinates".
    let reasons: Vec<&str> = out
        .report
        .iter()
        .filter(|r| r.field == "latitude,longitude")
        .map(|r| r.reason.as_str())
        .collect();
    let count = |prefix: &str| reasons.iter().filter(|r| r.starts_with(prefix)).count();
    assert_eq!(count("geocoded_ban: "), ban);
    assert_eq!(count("commune_fallback: "), commune);
    assert_eq!(count("no coordinates"), 0);
}

#[test]
fn provenance_survives_the_snapshot() {
    let _serial = serial();
    let Some(a) = addok() else { return };
    let path = a.dir.join("snapshot.fgb");
    lieux::import::write_snapshot(&path, &a.first.lieux).unwrap();
    let back = lieux::import::read_snapshot(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(back.len(), a.first.lieux.len());
    for (x, y) in a.first.lieux.iter().zip(&back) {
        assert_eq!(x.position_origine, y.position_origine, "{}", x.id);
        assert_eq!(x.position, y.position);
    }
    assert!(back.iter().any(|l| {
        l.position_origine
            .is_some_and(|o| o.precision == Precision::Housenumber && o.score.is_some())
    }));
    let _ = std::fs::remove_file(&path);
}

#[test]
fn cache_answers_a_second_import_without_requests() {
    let _serial = serial();
    let Some(a) = addok() else { return };
    // A damaged line (as after a crash mid-write) must not fail the import.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&a.cache)
        .and_then(|mut f| f.write_all(b"{\"k\":\"half a li"))
        .unwrap();
    let before = server_queries(&a.dir);
    assert!(
        before >= a.first_stats.requests as usize,
        "addok logs its queries"
    );
    let ban =
        Arc::new(BanGeocoder::new(&a.url, Some(a.cache.clone()), BanOptions::default()).unwrap());
    let second = import_with(
        &a.rows,
        vec![ban.clone(), Arc::new(CommuneGeocoder::embedded())],
    );
    let stats = ban.stats();
    assert_eq!(stats.requests, 0, "{stats:?}");
    assert_eq!(stats.cache_hits, stats.asked);
    assert_eq!(server_queries(&a.dir), before, "the server saw no query");
    for (x, y) in a.first.lieux.iter().zip(&second.lieux) {
        assert_eq!(
            (x.position, x.position_origine),
            (y.position, y.position_origine)
        );
    }
}

/// A query for a row of the list, and garbage addresses in an indexed and an unindexed commune.
fn threshold_queries(a: &Addok) -> (Vec<Query>, Query, Query) {
    let q = |r: &HashMap<String, String>| Query {
        adresse: r["adresse"].clone(),
        code_postal: r["code_postal"].clone(),
        commune: r["commune"].clone(),
        code_insee: Some(r["code_insee"].clone()).filter(|c| !c.is_empty()),
    };
    let good: Vec<Query> = a
        .rows
        .records
        .iter()
        .filter(|r| a.rows.truth.contains_key(&r["id"]) && a.indexed.contains(&r["code_insee"]))
        .step_by(97)
        .map(q)
        .collect();
    let indexed = Query {
        adresse: "Xqzw Vbnkj".into(),
        ..good[0].clone()
    };
    // A commune with no document in the index.
    let c = lieux::commune_table::embedded()
        .all()
        .iter()
        .find(|c| {
            !a.indexed.contains(&c.code_insee) && c.codes_postaux.len() == 1 && c.population > 2000
        })
        .unwrap();
    let unindexed = Query {
        adresse: "Xqzw Vbnkj".into(),
        code_postal: c.codes_postaux[0].clone(),
        commune: c.nom.clone(),
        code_insee: Some(c.code_insee.clone()),
    };
    (good, indexed, unindexed)
}

fn run(g: &dyn Geocoder, queries: &[Query]) -> Vec<Option<lieux::geocode::GeocodeHit>> {
    g.geocode(queries, &|_| {}).unwrap()
}

#[test]
fn thresholds_decide_between_batch_retry_and_commune() {
    let _serial = serial();
    let Some(a) = addok() else { return };
    let polygons = polygons().unwrap();
    let (good, garbage_indexed, garbage_unindexed) = threshold_queries(a);
    assert!(good.len() >= 20, "{}", good.len());
    let mut queries = good.clone();
    queries.push(garbage_indexed.clone());
    queries.push(garbage_unindexed.clone());
    let n = queries.len();

    // Default thresholds, through the import's chain: real addresses from the batch, garbage
    // to municipality precision (BAN's municipality, or the commune fallback), inside the
    // commune's polygon.
    let ban = BanGeocoder::new(&a.url, None, BanOptions::default()).unwrap();
    let hits = run(&ban, &queries);
    assert_eq!(ban.stats().batches, 1);
    for (q, h) in good.iter().zip(&hits) {
        let h = h.as_ref().unwrap_or_else(|| panic!("{q:?} not placed"));
        assert_eq!(h.origine.source, SourcePosition::Ban);
        assert!(h.origine.score.unwrap() >= 0.4);
    }
    let fallback = CommuneGeocoder::embedded();
    for (q, h) in queries[n - 2..].iter().zip(&hits[n - 2..]) {
        let h = match h {
            Some(h) => h.clone(),
            None => run(&fallback, std::slice::from_ref(q))[0].clone().unwrap(),
        };
        assert_eq!(h.origine.precision, Precision::Municipality, "{q:?} {h:?}");
        let commune = polygons
            .find(
                q.code_insee.as_deref(),
                Some(&q.code_postal),
                Some(&q.commune),
            )
            .unwrap();
        assert!(
            commune.distance_km(h.position.lon, h.position.lat) == 0.0,
            "{q:?} {h:?}"
        );
    }
    assert!(
        hits[n - 1].is_none(),
        "garbage in a commune the index does not hold: {:?}",
        hits[n - 1]
    );

    // No batch answer accepted: every row retried one by one; real addresses still placed.
    let strict_batch = BanOptions {
        accept_batch: 1.01,
        ..BanOptions::default()
    };
    let ban = BanGeocoder::new(&a.url, None, strict_batch).unwrap();
    let hits = run(&ban, &queries);
    assert_eq!(
        (ban.stats().batches, ban.stats().requests),
        (1, 1 + n as u64)
    );
    let placed = hits[..good.len()].iter().filter(|h| h.is_some()).count();
    assert!(
        placed as f64 >= 0.9 * good.len() as f64,
        "{placed}/{}",
        good.len()
    );

    // Nothing acceptable: nothing placed by BAN.
    let nothing = BanOptions {
        accept_batch: 1.01,
        accept_single: 1.01,
        accept_citycode: 1.01,
        ..BanOptions::default()
    };
    let ban = BanGeocoder::new(&a.url, None, nothing).unwrap();
    assert!(run(&ban, &queries).iter().all(Option::is_none));
}

#[test]
fn unreachable_geocoder_fails_the_import() {
    let Some(data) = shared_data() else { return };
    // A port nobody listens on: the import fails with the geocoder's URL, nothing is written.
    let url = format!("http://127.0.0.1:{}", free_port());
    let ban = BanGeocoder::new(&url, None, BanOptions::default()).unwrap();
    let options = ImportOptions {
        geocoders: vec![Arc::new(ban)],
        ..Default::default()
    };
    let rows = fs_rows(&data);
    let err =
        lieux::import::read_bytes_with("t.csv", &rows.without_coordinates, &options).unwrap_err();
    assert!(err.to_string().contains(&url), "{err}");
}

/// The place's position lies inside the polygon of its commune (found by INSEE code, else
/// postcode and name): the oracle for commune placements.
fn assert_inside_its_commune(polygons: &lieux::import::CommuneShapes, l: &lieux::model::Lieu) {
    let p = l.position.unwrap();
    let c = polygons
        .find(
            l.code_insee.as_deref(),
            Some(&l.code_postal),
            Some(&l.commune),
        )
        .unwrap_or_else(|| panic!("{} {} {:?}", l.id, l.commune, l.code_insee));
    assert_eq!(c.distance_km(p.lon, p.lat), 0.0, "{} in {}", l.id, c.nom);
}

mod communes;
mod offline;
