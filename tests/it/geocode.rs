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
            if let Some(&truth) = a.rows.truth.get(&l.id) {
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

#[test]
fn offline_fallback_places_list_rows_without_coordinates_in_their_commune() {
    let Some(data) = shared_data() else { return };
    let fs = data.join("france-services");
    let raw = fs.join("liste-fs-20221201.csv");
    let mapping = Mapping::from_path(&fs.join("liste-fs-20221201.config.json")).unwrap();
    let options = ImportOptions {
        mapping: Some((
            mapping,
            MappingOptions {
                date_maj: chrono::NaiveDate::from_ymd_opt(2022, 12, 1),
                id_prefix: Some("france-services-".to_owned()),
                ..Default::default()
            },
        )),
        geocoders: vec![Arc::new(CommuneGeocoder::embedded())],
        ..Default::default()
    };
    // Which raw rows have no coordinates (independently of the importer).
    let mut rdr = csv::Reader::from_path(&raw).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let (id, lat, lon) = (col("id_fs"), col("latitude"), col("longitude"));
    let without: HashSet<String> = rdr
        .records()
        .map(Result::unwrap)
        .filter(|r| r[lat].trim().is_empty() || r[lon].trim().is_empty())
        .map(|r| format!("france-services-{}", &r[id]))
        .collect();
    assert_eq!(without.len(), 30);

    let out = lieux::import::read_bytes_with(
        &raw.display().to_string(),
        &std::fs::read(&raw).unwrap(),
        &options,
    )
    .unwrap();
    let polygons = polygons().unwrap();
    let placed: Vec<_> = out
        .lieux
        .iter()
        .filter(|l| without.contains(&l.id))
        .collect();
    // 26 of the 30 have no commune, postcode or address and are rejected; the others are kept
    // and placed inside their commune.
    assert_eq!(
        placed.len(),
        4,
        "{:?}",
        placed.iter().map(|l| &l.id).collect::<Vec<_>>()
    );
    for l in placed {
        let o = l.position_origine.unwrap();
        assert_eq!(
            (o.source, o.precision, o.score),
            (SourcePosition::Commune, Precision::Municipality, None)
        );
        assert_inside_its_commune(polygons, l);
        let report = out
            .report
            .iter()
            .find(|r| r.id == l.id && r.field == "latitude,longitude")
            .unwrap();
        assert_eq!(report.kind, lieux::import::ReportKind::Info);
        assert!(
            report.reason.starts_with("commune_fallback: "),
            "{}",
            report.reason
        );
    }
    // Rows whose coordinates lie far outside their commune (the embedded commune shapes check
    // every import) lose them and are placed at their commune too: the four of the list.
    let dropped: HashSet<&str> = out
        .report
        .iter()
        .filter(|r| r.reason.starts_with("outside_commune: "))
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(
        dropped,
        HashSet::from([
            "france-services-805",
            "france-services-880",
            "france-services-1707",
            "france-services-1820"
        ])
    );
    for l in out.lieux.iter().filter(|l| dropped.contains(l.id.as_str())) {
        assert_eq!(
            l.position_origine.map(|o| o.source),
            Some(SourcePosition::Commune)
        );
        assert_inside_its_commune(polygons, l);
    }
    // The other rows keep the producer's coordinates, marked as such.
    assert!(
        out.lieux
            .iter()
            .filter(|l| !without.contains(&l.id) && !dropped.contains(l.id.as_str()))
            .all(|l| l.position_origine.is_none_or(|o| matches!(
                o.source,
                SourcePosition::Donnees | SourcePosition::Reparee
            )))
    );
}

#[test]
fn offline_fallback_keeps_every_list_row_in_its_commune() {
    // Every row of the list, coordinates removed, placed by the commune fallback alone: inside
    // the commune polygon, and (the oracle) within the commune's extent of the true position.
    let Some(data) = shared_data() else { return };
    let rows = fs_rows(&data);
    let out = import_with(&rows, vec![Arc::new(CommuneGeocoder::embedded())]);
    let polygons = polygons().unwrap();
    let mut outside = Vec::new();
    let mut unplaced = 0;
    for l in &out.lieux {
        let Some(p) = l.position else {
            unplaced += 1;
            continue;
        };
        let c = polygons
            .find(
                l.code_insee.as_deref(),
                Some(&l.code_postal),
                Some(&l.commune),
            )
            .unwrap_or_else(|| panic!("{} {}", l.id, l.commune));
        if c.distance_km(p.lon, p.lat) > 0.0 {
            outside.push(l.id.clone());
        }
    }
    eprintln!(
        "offline fallback: {unplaced} of {} not placed",
        out.lieux.len()
    );
    assert!(outside.is_empty(), "{outside:?}");
    assert!(unplaced <= 10, "{unplaced}");
    // The oracle: where the list's own point lies in its commune (the polygons, within 1 km),
    // the fallback point is no farther from it than the commune's size allows (3 × the radius of
    // a disc of the commune's area, + 1 km).
    let table = lieux::commune_table::embedded();
    let area: HashMap<&str, f64> = table
        .all()
        .iter()
        .map(|c| (c.code_insee.as_str(), c.area_km2))
        .collect();
    let (mut checked, mut far) = (0, Vec::new());
    for l in &out.lieux {
        let (Some(&truth), Some(p)) = (rows.truth.get(&l.id), l.position) else {
            continue;
        };
        let Some(c) = polygons.find(
            l.code_insee.as_deref(),
            Some(&l.code_postal),
            Some(&l.commune),
        ) else {
            continue;
        };
        let Some(&a) = area.get(c.code_insee.as_str()) else {
            continue;
        };
        if c.distance_km(truth.0, truth.1) > 1.0 {
            continue; // the list's point is elsewhere (the data notes 3 sites > 10 km away)
        }
        checked += 1;
        let bound_m = 3000.0 * (a / std::f64::consts::PI).sqrt() + 1000.0;
        let d = haversine_m(truth, (p.lon, p.lat));
        if d > bound_m {
            far.push((l.id.clone(), d.round(), bound_m.round()));
        }
    }
    assert!(checked >= 2600, "{checked}");
    assert!(far.is_empty(), "{far:?}");
}

#[test]
fn cli_import_geocodes_and_the_server_shows_provenance() {
    let _serial = serial();
    let Some(a) = addok() else { return };
    // 300 rows of the list without coordinates, and one that no geocoder can place: the
    // commune fallback needs a known commune, this one has none.
    let mut rdr = csv::Reader::from_reader(&a.rows.without_coordinates[..]);
    let headers = rdr.headers().unwrap().clone();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers).unwrap();
    for rec in rdr.records().take(300) {
        w.write_record(&rec.unwrap()).unwrap();
    }
    let mut odd: Vec<String> = headers.iter().map(|_| String::new()).collect();
    for (h, v) in [
        ("id", "nulle-part"),
        ("pivot", "00000000000000"),
        ("nom", "Lieu introuvable"),
        ("commune", "Xqzwville"),
        ("code_postal", "99999"),
        ("adresse", "Xqzw Vbnkj"),
        ("date_maj", "2024-01-01"),
    ] {
        let i = headers.iter().position(|x| x == h).unwrap();
        odd[i] = v.to_owned();
    }
    w.write_record(&odd).unwrap();
    let dir = a.dir.join("cli");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("lieux.csv");
    std::fs::write(&input, w.into_inner().unwrap()).unwrap();
    let snapshot = dir.join("lieux.fgb");
    crate::cli::run_ok(
        crate::cli::lieux()
            .arg("import")
            .arg(&input)
            .arg("--out")
            .arg(&snapshot)
            .args(["--geocoder", &a.url, "--geocoder-cache"])
            .arg(dir.join("cache.jsonl")),
    );

    // The report CSV: one line per row saying how it was placed.
    let report = std::fs::read_to_string(dir.join("lieux.fgb.report.csv")).unwrap();
    let count = |rule: &str| report.lines().filter(|l| l.contains(rule)).count();
    assert!(count("geocoded_ban: ") >= 290, "{report}");
    assert_eq!(count("geocoded_ban: ") + count("commune_fallback: "), 300);
    assert_eq!(count("not_geocoded: "), 1);
    assert!(
        report
            .lines()
            .any(|l| l.contains("nulle-part") && l.contains("not_geocoded"))
    );

    // GDAL reads the provenance columns of the snapshot.
    if let Some(out) = crate::util::gdal(
        "ogr2ogr",
        &["-f", "CSV", "/vsistdout/", snapshot.to_str().unwrap()],
    ) {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut rdr = csv::Reader::from_reader(&out.stdout[..]);
        let h = rdr.headers().unwrap().clone();
        let col = |n: &str| h.iter().position(|x| x == n).unwrap();
        let (source, precision, score) = (
            col("position_source"),
            col("position_precision"),
            col("position_score"),
        );
        let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 301);
        let ban = rows.iter().filter(|r| &r[source] == "ban").count();
        assert!(ban >= 290);
        assert!(
            rows.iter()
                .filter(|r| &r[source] == "ban")
                .all(
                    |r| r[score].parse::<f64>().is_ok_and(|s| s >= 0.4) && !r[precision].is_empty()
                )
        );
    }

    // The server shows it in the GeoJSON properties.
    let ds = lieux::Dataset::from_snapshot(&std::fs::read(&snapshot).unwrap()).unwrap();
    let server = crate::util::Server::start(lieux::http::AppState::new(ds));
    let (status, _, body) =
        crate::util::request(&server, "GET", "/v1/lieux/france-services-1", &[], b"");
    assert_eq!(status, 200);
    let f: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let p = &f["properties"]["position"];
    assert_eq!(p["source"], "ban", "{f}");
    assert_eq!(p["precision"], "housenumber", "{f}");
    assert!(p["score"].as_f64().is_some_and(|s| s >= 0.9), "{f}");
    // ... with the words the OpenAPI document lists.
    let (_, _, doc) = crate::util::request(&server, "GET", "/openapi.json", &[], b"");
    let doc: serde_json::Value = serde_json::from_slice(&doc).unwrap();
    let schema = &doc["components"]["schemas"]["Feature"]["properties"]["properties"]["properties"]
        ["position"]["properties"];
    for key in ["source", "precision"] {
        let words = schema[key]["enum"].as_array().unwrap();
        assert!(words.contains(&p[key]), "{key} {} not in {words:?}", p[key]);
    }
    let (_, _, body) = crate::util::request(&server, "GET", "/v1/lieux/nulle-part", &[], b"");
    let f: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(
        f["geometry"].is_null() && f["properties"].get("position").is_none(),
        "{f}"
    );
    // The schema CSV export keeps its 32 columns.
    let (_, _, body) = crate::util::request(&server, "GET", "/v1/lieux.csv", &[], b"");
    let header = String::from_utf8(body)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(header.split(',').count(), 32, "{header}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn producer_coordinates_are_donnees_or_reparee() {
    // Three rows of the list: as published, with a decimal comma, with latitude and longitude
    // exchanged (both repaired by coordinate rules).
    let Some(data) = shared_data() else { return };
    let mut rdr =
        csv::Reader::from_path(data.join("france-services/france-services-20221201.v1.csv"))
            .unwrap();
    let headers = rdr.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let (lat, lon) = (col("latitude"), col("longitude"));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().take(3).map(Result::unwrap).collect();
    for (k, rec) in rows.iter().enumerate() {
        let mut v: Vec<String> = rec.iter().map(str::to_owned).collect();
        match k {
            1 => v[lat] = v[lat].replace('.', ","),
            2 => v.swap(lat, lon),
            _ => {}
        }
        w.write_record(&v).unwrap();
    }
    let out = lieux::import::read_bytes_with(
        "t.csv",
        &w.into_inner().unwrap(),
        &ImportOptions::default(),
    )
    .unwrap();
    let got: Vec<_> = out
        .lieux
        .iter()
        .map(|l| l.position_origine.map(|o| (o.source, o.precision, o.score)))
        .collect();
    let p = |s| Some((s, Precision::Producteur, None));
    assert_eq!(
        got,
        [
            p(SourcePosition::Donnees),
            p(SourcePosition::Reparee),
            p(SourcePosition::Reparee)
        ]
    );
    for (l, rec) in out.lieux.iter().zip(&rows) {
        let pos = l.position.unwrap();
        assert_eq!(
            (pos.lat, pos.lon),
            (rec[lat].parse().unwrap(), rec[lon].parse().unwrap())
        );
    }
}

#[test]
fn offline_fallback_on_every_raw_producer_file() {
    // Every raw file of mednum-cli-sources with its config and the commune checks, as
    // `lieux import --mapping … --communes … --geocoder offline` runs it: rows kept without a
    // position (none given, (0, 0), far outside their commune…) get a point inside their
    // commune's polygon, and one report line saying so.
    let Some(data) = shared_data() else { return };
    let polygons = polygons().unwrap();
    let configs = crate::util::mapping_configs(&data);
    assert!(configs.len() >= 16, "{configs:?}");
    let mut options = ImportOptions {
        communes: Some(
            Communes::from_path(&data.join("communes/communes-france-polygons.geojson.gz"))
                .unwrap(),
        ),
        geocoders: vec![Arc::new(CommuneGeocoder::embedded())],
        ..Default::default()
    };
    let (mut placed_total, mut left_total) = (0, 0);
    for config in &configs {
        let raw = PathBuf::from(config.to_string_lossy().replace(".config.json", ".json"));
        let date = chrono::NaiveDate::from_ymd_opt(2024, 1, 1);
        options.mapping = Some((
            Mapping::from_path(config).unwrap(),
            MappingOptions {
                date_maj: date,
                ..Default::default()
            },
        ));
        let bytes = std::fs::read(&raw).unwrap();
        let out =
            lieux::import::read_bytes_with(&raw.display().to_string(), &bytes, &options).unwrap();
        let placed: Vec<_> = out
            .lieux
            .iter()
            .filter(|l| {
                l.position_origine
                    .is_some_and(|o| o.source == SourcePosition::Commune)
            })
            .collect();
        for l in &placed {
            assert_inside_its_commune(polygons, l);
            let lines = out
                .report
                .iter()
                .filter(|r| r.id == l.id && r.reason.starts_with("commune_fallback: "))
                .count();
            assert_eq!(lines, 1, "{}", l.id);
        }
        let left = out.stats.without_coordinates;
        let not_geocoded = out
            .report
            .iter()
            .filter(|r| r.reason.starts_with("not_geocoded: "))
            .count();
        assert_eq!(left, not_geocoded, "{}", raw.display());
        eprintln!(
            "{}: {} kept, {} placed at their commune, {left} left without position",
            raw.file_name().unwrap().to_string_lossy(),
            out.stats.accepted,
            placed.len()
        );
        placed_total += placed.len();
        left_total += left;
    }
    eprintln!("all sources: {placed_total} placed at their commune, {left_total} left");
    assert!(placed_total >= 10, "{placed_total}");
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

/// Rows with an address and a postcode shared by several communes but no commune, INSEE code
/// or coordinates (the national programme's export of issue 16): the commune is first a guess
/// (the postcode's most populated commune), then the geocoder's (`result_citycode`).
#[test]
fn the_geocoder_settles_a_commune_the_postcode_leaves_open() {
    let _serial = serial();
    let Some(a) = addok() else { return };
    let shapes = lieux::import::CommuneShapes::embedded();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(lieux::model::V1_COLUMNS).unwrap();
    let mut truth: HashMap<String, String> = HashMap::new();
    for r in &a.rows.records {
        let cp = r["code_postal"].as_str();
        let Some(code) = Some(r["code_insee"].as_str()).filter(|c| !c.is_empty()) else {
            continue;
        };
        if r["adresse"].is_empty() || shapes.of_postcode(cp).len() < 2 || !a.indexed.contains(code)
        {
            continue;
        }
        truth.insert(r["id"].clone(), code.to_owned());
        let row: Vec<&str> = lieux::model::V1_COLUMNS
            .iter()
            .map(|c| match *c {
                "commune" | "code_insee" | "latitude" | "longitude" => "",
                c => r.get(c).map_or("", String::as_str),
            })
            .collect();
        w.write_record(&row).unwrap();
    }
    assert!(truth.len() > 200, "{}", truth.len());
    let ban = Arc::new(BanGeocoder::new(&a.url, None, BanOptions::default()).unwrap());
    let out = lieux::import::read_bytes_with(
        "sans-commune.csv",
        &w.into_inner().unwrap(),
        &ImportOptions {
            geocoders: vec![ban],
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        out.stats.accepted,
        truth.len(),
        "no row lost for its missing commune"
    );
    let right = out
        .lieux
        .iter()
        .filter(|l| l.code_insee.as_deref() == truth.get(&l.id).map(String::as_str))
        .count();
    let settled = out
        .report
        .iter()
        .filter(|r| r.reason.starts_with("commune_from_geocoder: "))
        .count();
    eprintln!(
        "{right} of {} communes right, {settled} settled by the geocoder",
        truth.len()
    );
    for l in out
        .lieux
        .iter()
        .filter(|l| l.code_insee.as_deref() != truth.get(&l.id).map(String::as_str))
        .take(12)
    {
        eprintln!(
            "  {} want {} got {:?} {} placed {:?}",
            l.id,
            truth[&l.id],
            l.code_insee,
            l.commune,
            l.position_origine.map(|o| o.source)
        );
    }
    assert!(settled > 0);
    assert!(
        right * 100 >= truth.len() * 90,
        "{right} of {}",
        truth.len()
    );
}

/// Rows with coordinates and no address (#16): with a BAN geocoder, each takes the address
/// that addok's `/reverse/csv/` finds at its point. Oracle: the France Services list's own
/// address of the row (number and street, as the index was built from it), which addok
/// indexed at the row's coordinates.
#[test]
fn reverse_geocoding_gives_rows_without_address_their_street() {
    let _serial = serial();
    let Some(a) = addok() else { return };
    let number = regex::Regex::new(r"^(\d+)\s*(bis|ter|[a-d])?\b[\s,\-/\d]*(.*)$").unwrap();
    let columns = [
        "id",
        "nom",
        "commune",
        "code_postal",
        "code_insee",
        "adresse",
        "latitude",
        "longitude",
        "date_maj",
        "services",
    ];
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(columns).unwrap();
    // id → the address the index holds at the row's point
    let mut expected: HashMap<String, String> = HashMap::new();
    for r in &a.rows.records {
        let Some(c) = number.captures(&r["adresse"]) else {
            continue;
        };
        if r["code_insee"].is_empty()
            || c[3].trim().is_empty()
            || !a.rows.truth.contains_key(&r["id"])
        {
            continue;
        }
        let street = format!(
            "{}{} {}",
            &c[1],
            c.get(2).map_or("", |m| m.as_str()),
            c[3].trim()
        );
        expected.insert(r["id"].clone(), lieux::commune_table::fold(&street));
        let record: Vec<&str> = columns
            .iter()
            .map(|&k| if k == "adresse" { "" } else { r[k].as_str() })
            .collect();
        w.write_record(record).unwrap();
        if expected.len() == 300 {
            break;
        }
    }
    let csv = w.into_inner().unwrap();
    let ban = Arc::new(BanGeocoder::new(&a.url, None, BanOptions::default()).unwrap());
    let options = ImportOptions {
        geocoders: vec![ban.clone(), Arc::new(CommuneGeocoder::embedded())],
        ..Default::default()
    };
    let out = lieux::import::read_bytes_with("sans-adresse.csv", &csv, &options).unwrap();
    assert_eq!(out.lieux.len(), expected.len(), "every row kept");
    assert_eq!(
        ban.stats().batches,
        1,
        "one /reverse/csv/ request for {} rows",
        expected.len()
    );
    let reasons: HashMap<&str, &str> = out
        .report
        .iter()
        .filter(|r| r.field == "adresse")
        .map(|r| (r.id.as_str(), r.reason.as_str()))
        .collect();
    let mut same = 0;
    for l in &out.lieux {
        let reason = reasons.get(l.id.as_str()).copied().unwrap_or_default();
        if reason.starts_with("adresse_from_reverse_geocoding:") {
            assert_ne!(l.adresse, l.commune, "{}", l.id);
            assert!(reason.contains(&format!("{:?}", l.adresse)), "{reason}");
            same += usize::from(lieux::commune_table::fold(&l.adresse) == expected[&l.id]);
        } else {
            // nothing within reach: the commune name stays, and the report says reverse
            // geocoding was tried
            assert_eq!(l.adresse, l.commune, "{}", l.id);
            assert!(reason.contains("reverse geocoding"), "{}: {reason}", l.id);
        }
    }
    // another place's address may be nearer (two places in one building, numbers a few
    // metres apart): the large majority get their own
    assert!(
        same * 10 >= expected.len() * 9,
        "{same} of {} rows got their own address",
        expected.len()
    );
}
