//! Bad positions planted into the real France Services list (swapped axes, Lambert-93, (0, 0),
//! points moved 20–600 km, a postcode of another département, a misspelled commune far from its
//! point) are reported on every import path: the library call behind `POST /v1/imports`, the
//! `lieux import` command (the path that rebuilds the embedded snapshot) and the HTTP endpoint
//! itself. Untouched rows raise no more than 1 % of alarms.

use std::collections::{HashMap, HashSet};
use std::process::Command;

use lieux::Dataset;
use lieux::http::AppState;
use lieux::testdata::Rng;
use serde_json::Value;

use crate::util::{Server, shared_data};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Plant {
    Swapped,
    Lambert93,
    ZeroZero,
    Moved,
    OtherDepartementPostcode,
    MisspelledCommune,
}

const PLANTS: [Plant; 6] = [
    Plant::Swapped,
    Plant::Lambert93,
    Plant::ZeroZero,
    Plant::Moved,
    Plant::OtherDepartementPostcode,
    Plant::MisspelledCommune,
];

/// WGS84 → Lambert-93 (EPSG:2154) with proj4rs, the projection the importer inverts.
fn lambert93(lon: f64, lat: f64) -> (f64, f64) {
    let wgs = proj4rs::Proj::from_proj_string("+proj=longlat +datum=WGS84 +no_defs").unwrap();
    let l93 = proj4rs::Proj::from_proj_string(
        "+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 +ellps=GRS80 +units=m +no_defs",
    )
    .unwrap();
    proj4rs::adaptors::transform_xy(&wgs, &l93, lon.to_radians(), lat.to_radians()).unwrap()
}

/// A point `km` away from (lon, lat) on a random bearing.
fn moved(rng: &mut Rng, lon: f64, lat: f64) -> (f64, f64) {
    let km = rng.range(20.0, 600.0);
    let bearing = rng.range(0.0, std::f64::consts::TAU);
    let dlat = km * bearing.cos() / 111.2;
    let dlon = km * bearing.sin() / (111.2 * lat.to_radians().cos());
    (lon + dlon, (lat + dlat).clamp(-89.0, 89.0))
}

/// The positioned rows of the France Services list (metropolitan, so that 600 km stays on
/// Earth's French side), every `every`-th one corrupted by the next plant in turn; returns the
/// CSV and the planted ids.
fn corpus(limit: usize, every: usize, prefix: &str) -> Option<(Vec<u8>, HashMap<String, Plant>)> {
    let path = shared_data()?.join("france-services/france-services-20221201.v1.csv");
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let (lat_c, lon_c, cp_c, insee_c, commune_c, id_c) = (
        col("latitude"),
        col("longitude"),
        col("code_postal"),
        col("code_insee"),
        col("commune"),
        col("id"),
    );
    let rows: Vec<Vec<String>> = rdr
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect::<Vec<_>>())
        .filter(|r: &Vec<String>| !r[lat_c].is_empty() && !r[cp_c].starts_with("97"))
        .take(limit)
        .collect();
    let postcodes: Vec<String> = rows.iter().map(|r| r[cp_c].clone()).collect();
    let mut rng = Rng::new(16);
    let mut planted = HashMap::new();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers).unwrap();
    for (i, mut r) in rows.into_iter().enumerate() {
        r[id_c] = format!("{prefix}{}", r[id_c]);
        if i % every == 0 {
            let plant = PLANTS[(i / every) % PLANTS.len()];
            let lat: f64 = r[lat_c].parse().unwrap();
            let lon: f64 = r[lon_c].parse().unwrap();
            match plant {
                Plant::Swapped => (r[lat_c], r[lon_c]) = (lon.to_string(), lat.to_string()),
                Plant::Lambert93 => {
                    let (x, y) = lambert93(lon, lat);
                    (r[lat_c], r[lon_c]) = (format!("{y:.2}"), format!("{x:.2}"));
                }
                Plant::ZeroZero => (r[lat_c], r[lon_c]) = ("0".into(), "0".into()),
                Plant::Moved => {
                    let (x, y) = moved(&mut rng, lon, lat);
                    (r[lat_c], r[lon_c]) = (format!("{y:.6}"), format!("{x:.6}"));
                }
                Plant::OtherDepartementPostcode => {
                    // a postcode of another département, and no INSEE code to fall back on
                    let dep = r[cp_c][..2].to_owned();
                    let other = loop {
                        let cp = &postcodes[rng.below(postcodes.len())];
                        if cp[..2] != dep {
                            break cp.clone();
                        }
                    };
                    r[cp_c] = other;
                    r[insee_c] = String::new();
                }
                Plant::MisspelledCommune => {
                    // a typo in the commune, no INSEE code, and the point 20–600 km away
                    let mut name: Vec<char> = r[commune_c].chars().collect();
                    if name.len() > 3 {
                        name.swap(1, 2);
                        name.push('x');
                    }
                    r[commune_c] = name.into_iter().collect();
                    r[insee_c] = String::new();
                    let (x, y) = moved(&mut rng, lon, lat);
                    (r[lat_c], r[lon_c]) = (format!("{y:.6}"), format!("{x:.6}"));
                }
            }
            planted.insert(r[id_c].clone(), plant);
        }
        w.write_record(&r).unwrap();
    }
    Some((w.into_inner().unwrap(), planted))
}

/// A report row about a position: any coordinate rule that fired (repaired or dropped) or a
/// postcode / INSEE code of another département.
fn alarm(field: &str, kind: &str, reason: &str) -> bool {
    (field == "latitude,longitude" && kind != "info") || reason.contains("other_departement")
}

/// (share of planted rows reported, per plant; alarms on untouched rows / untouched rows).
fn score(
    planted: &HashMap<String, Plant>,
    total: usize,
    alarms: &HashSet<String>,
) -> (HashMap<Plant, (usize, usize)>, f64) {
    let mut per: HashMap<Plant, (usize, usize)> = HashMap::new();
    for (id, plant) in planted {
        let e = per.entry(*plant).or_default();
        e.1 += 1;
        e.0 += usize::from(alarms.contains(id));
    }
    let false_alarms = alarms
        .iter()
        .filter(|id| !planted.contains_key(*id))
        .count();
    (per, false_alarms as f64 / (total - planted.len()) as f64)
}

fn assert_scores(
    path: &str,
    planted: &HashMap<String, Plant>,
    total: usize,
    alarms: &HashSet<String>,
) {
    let (per, false_rate) = score(planted, total, alarms);
    eprintln!("{path}: {per:?}, false alarms {:.2} %", false_rate * 100.0);
    let mut missed: Vec<(&String, &Plant)> = planted
        .iter()
        .filter(|(id, _)| !alarms.contains(*id))
        .collect();
    missed.sort();
    eprintln!("{path}: missed {missed:?}");
    let mut false_alarms: Vec<&String> = alarms
        .iter()
        .filter(|id| !planted.contains_key(*id))
        .collect();
    false_alarms.sort();
    eprintln!("{path}: alarms on untouched rows {false_alarms:?}");
    let (hit, all) = per.values().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    assert!(all >= 60, "{all} planted");
    assert!(
        hit * 100 >= all * 95,
        "{path}: {hit} of {all} planted rows reported: {per:?}"
    );
    for (plant, (h, n)) in &per {
        assert!(h * 100 >= n * 90, "{path}: {plant:?} {h} of {n}");
    }
    assert!(
        false_rate <= 0.01,
        "{path}: false alarms {:.2} %",
        false_rate * 100.0
    );
}

#[test]
fn planted_bad_positions_are_reported_by_the_library_and_the_cli() {
    let Some((csv, planted)) = corpus(3000, 7, "") else {
        return;
    };
    let total = csv.iter().filter(|&&b| b == b'\n').count() - 1;
    // the library call that POST /v1/imports runs
    let out = lieux::import::read_bytes("planted.csv", &csv).unwrap();
    let alarms: HashSet<String> = out
        .report
        .iter()
        .filter(|r| alarm(&r.field, r.kind.as_str(), &r.reason))
        .map(|r| r.id.clone())
        .collect();
    assert_scores("library", &planted, total, &alarms);

    // `lieux import`, the streamed path that rebuilds the embedded snapshot
    let dir = std::env::temp_dir().join(format!("lieux-planted-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("planted.csv");
    std::fs::write(&input, &csv).unwrap();
    let out = dir.join("planted.fgb");
    let status = Command::new(env!("CARGO_BIN_EXE_lieux"))
        .args([
            "import",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let mut rdr = csv::Reader::from_path(dir.join("planted.fgb.report.csv")).unwrap();
    let alarms: HashSet<String> = rdr
        .records()
        .map(Result::unwrap)
        .filter(|r| alarm(&r[3], &r[4], &r[5]))
        .map(|r| r[2].to_owned())
        .collect();
    assert_scores("cli", &planted, total, &alarms);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn planted_bad_positions_are_reported_over_http() {
    let Some((csv, planted)) = corpus(700, 5, "planted-") else {
        return;
    };
    let total = csv.iter().filter(|&&b| b == b'\n').count() - 1;
    let server = Server::start(
        AppState::new(Dataset::embedded().unwrap())
            .with_imports(Some(crate::live::TOKEN.to_owned()), None),
    );
    let (status, _, v) = crate::live::import(&server, "?source=planted", &csv);
    let text = v.to_string();
    assert_eq!(status, 200, "{}", &text[..text.len().min(2000)]);
    assert_eq!(v["report_truncated"], false);
    // the summary counts the same rows
    assert!(v["summary"]["dropped"]["latitude,longitude: outside_commune"].as_u64() > Some(0));
    let alarms: HashSet<String> = v["report"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r: &&Value| {
            alarm(
                r["field"].as_str().unwrap_or(""),
                r["kind"].as_str().unwrap_or(""),
                r["reason"].as_str().unwrap_or(""),
            )
        })
        .map(|r| r["id"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_scores("http", &planted, total, &alarms);
}
