//! Bad positions planted into the real France Services list (swapped axes, Lambert-93, (0, 0),
//! points moved 20–600 km, a postcode of another département, a misspelled commune far from its
//! point) are reported on every import path: the library call behind `POST /v1/imports`, the
//! `lieux import` command (the path that rebuilds the embedded snapshot) and the HTTP endpoint
//! itself. Rows right by an independent oracle (the full-resolution commune polygons, the
//! INSEE code's département) raise no more than 1 % of alarms.

use std::collections::{BTreeMap, HashMap, HashSet};
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

/// The independent oracle of what is really wrong with a row: the full-resolution commune
/// polygons of `../shared/data/communes` (geo's `Contains` and great-circle distances, not the
/// importer's simplified shapes) and the département of the row's INSEE code as published.
struct Oracle {
    polygons: HashMap<String, geo::MultiPolygon<f64>>,
}

impl Oracle {
    fn load() -> Option<Oracle> {
        let d = shared_data()?.join("communes");
        let gz = std::fs::read(d.join("communes-france-polygons.geojson.gz")).ok()?;
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut text)
            .ok()?;
        let fc: geojson::FeatureCollection = text.parse().ok()?;
        let mut polygons = HashMap::new();
        for f in fc.features {
            let code = f.property("code_insee")?.as_str()?.to_owned();
            let g: geo::Geometry<f64> = f.geometry?.value.try_into().ok()?;
            let m = match g {
                geo::Geometry::Polygon(p) => geo::MultiPolygon(vec![p]),
                geo::Geometry::MultiPolygon(m) => m,
                _ => continue,
            };
            polygons.insert(code, m);
        }
        Some(Oracle { polygons })
    }

    /// Great-circle km from (lon, lat) to commune `code` (0 inside): the nearest point of its
    /// outline densified every 100 m along great circles.
    fn km(&self, code: &str, lon: f64, lat: f64) -> Option<f64> {
        use geo::{Contains, Densify, Distance, Haversine, Point};
        let m = self.polygons.get(code)?;
        let p = Point::new(lon, lat);
        if m.contains(&p) {
            return Some(0.0);
        }
        let dense = Haversine.densify(m, 100.0);
        let nearest = dense
            .0
            .iter()
            .flat_map(|poly| poly.exterior().points())
            .map(|q| Haversine.distance(p, q))
            .fold(f64::INFINITY, f64::min);
        Some(nearest / 1000.0)
    }

    /// Is the row wrong: its (raw) point more than 5 km (plus the simplification's margin) from
    /// its commune, or its postcode of another département than its INSEE code?
    fn wrong(&self, code_insee: &str, code_postal: &str, lat: &str, lon: &str) -> bool {
        fn dep(c: &str) -> &str {
            match c {
                // La Poste gives Saint-Barthélemy and Saint-Martin Guadeloupe's 971 prefix
                "97133" => "977",
                "97150" => "978",
                c => c
                    .get(..if c.starts_with("97") { 3 } else { 2 })
                    .unwrap_or(""),
            }
        }
        let corsica = |c: &str| c.starts_with("2A") || c.starts_with("2B") || c.starts_with("20");
        let other_dep = code_postal.len() == 5
            && dep(code_postal) != dep(code_insee)
            && !(corsica(code_postal) && corsica(code_insee));
        let far = match (lat.parse::<f64>(), lon.parse::<f64>()) {
            (Ok(lat), Ok(lon))
                if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
            {
                self.km(code_insee, lon, lat).is_some_and(|km| km > 5.5)
            }
            _ => true,
        };
        far || other_dep
    }
}

/// Per row of the corpus: is it wrong by the oracle, with its INSEE code from the untouched
/// list (planted rows lost theirs; ids carry `prefix`)?
fn oracle_truth(oracle: &Oracle, csv: &[u8], prefix: &str) -> HashMap<String, bool> {
    let path = shared_data()
        .unwrap()
        .join("france-services/france-services-20221201.v1.csv");
    let mut src = csv::Reader::from_path(path).unwrap();
    let h = src.headers().unwrap().clone();
    let (id, insee) = (
        h.iter().position(|x| x == "id").unwrap(),
        h.iter().position(|x| x == "code_insee").unwrap(),
    );
    let original: HashMap<String, String> = src
        .records()
        .map(Result::unwrap)
        .map(|r| (format!("{prefix}{}", &r[id]), r[insee].to_owned()))
        .collect();
    let mut rdr = csv::Reader::from_reader(csv);
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (id, lat, lon, cp) = (
        col("id"),
        col("latitude"),
        col("longitude"),
        col("code_postal"),
    );
    rdr.records()
        .map(Result::unwrap)
        .map(|r| {
            let code = original.get(&r[id]).map_or("", String::as_str);
            (
                r[id].to_owned(),
                oracle.wrong(code, &r[cp], &r[lat], &r[lon]),
            )
        })
        .collect()
}

/// A report row about a position: any coordinate rule that fired (repaired or dropped) or a
/// postcode / INSEE code of another département.
fn alarm(field: &str, kind: &str, reason: &str) -> bool {
    (field == "latitude,longitude" && kind != "info") || reason.contains("other_departement")
}

/// Scores an import path: per plant, the planted rows the oracle confirms wrong and how many
/// were reported; false alarms are alarms on rows the oracle finds right (the real errors of
/// the untouched list, which the oracle finds wrong too, are counted apart).
fn assert_scores(
    path: &str,
    planted: &HashMap<String, Plant>,
    truth: &HashMap<String, bool>,
    alarms: &HashSet<String>,
) {
    let mut per: BTreeMap<Plant, (usize, usize)> = BTreeMap::new();
    let mut not_wrong = Vec::new();
    for (id, plant) in planted {
        if !truth[id] {
            not_wrong.push(id);
            continue;
        }
        let e = per.entry(*plant).or_default();
        e.1 += 1;
        e.0 += usize::from(alarms.contains(id));
    }
    let right: Vec<&String> = truth
        .iter()
        .filter(|(_, w)| !**w)
        .map(|(id, _)| id)
        .collect();
    let mut false_alarms: Vec<&&String> = right.iter().filter(|id| alarms.contains(**id)).collect();
    false_alarms.sort();
    let real: Vec<&String> = truth
        .iter()
        .filter(|(id, w)| **w && !planted.contains_key(*id))
        .map(|(id, _)| id)
        .collect();
    let real_reported = real.iter().filter(|id| alarms.contains(**id)).count();
    let false_rate = false_alarms.len() as f64 / right.len() as f64;
    eprintln!(
        "{path}: reported/planted per plant {per:?}; false alarms {} of {} right rows ({:.2} %) {false_alarms:?}; real errors of the list reported {real_reported} of {}; planted rows the oracle finds right {not_wrong:?}",
        false_alarms.len(),
        right.len(),
        false_rate * 100.0,
        real.len()
    );
    let (hit, all) = per.values().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    assert!(all >= 60, "{all} planted");
    assert!(not_wrong.len() * 50 <= planted.len(), "{not_wrong:?}");
    assert!(
        hit * 100 >= all * 95,
        "{path}: {hit} of {all} planted rows reported: {per:?}"
    );
    for (plant, (h, n)) in &per {
        assert!(h * 100 >= n * 95, "{path}: {plant:?} {h} of {n}");
    }
    assert!(
        false_rate <= 0.01,
        "{path}: false alarms {:.2} %",
        false_rate * 100.0
    );
}

/// `lieux import INPUT --out OUT` (the command `data/README.md` rebuilds the embedded snapshot
/// with): the ids its report raises a position alarm for.
fn cli_import(input: &std::path::Path, out: &std::path::Path) -> HashSet<String> {
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
    let mut report = out.as_os_str().to_owned();
    report.push(".report.csv");
    let mut rdr = csv::Reader::from_path(report).unwrap();
    rdr.records()
        .map(Result::unwrap)
        .filter(|r| alarm(&r[3], &r[4], &r[5]))
        .map(|r| r[2].to_owned())
        .collect()
}

#[test]
fn planted_bad_positions_are_reported_by_the_library_and_the_cli() {
    let Some((csv, planted)) = corpus(3000, 7, "") else {
        return;
    };
    let oracle = Oracle::load().expect("oracle data");
    let truth = oracle_truth(&oracle, &csv, "");
    // the library call that POST /v1/imports runs
    let out = lieux::import::read_bytes("planted.csv", &csv).unwrap();
    let alarms: HashSet<String> = out
        .report
        .iter()
        .filter(|r| alarm(&r.field, r.kind.as_str(), &r.reason))
        .map(|r| r.id.clone())
        .collect();
    assert_scores("library", &planted, &truth, &alarms);

    // `lieux import`, the streamed path that rebuilds the embedded snapshot
    let dir = std::env::temp_dir().join(format!("lieux-planted-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("planted.csv");
    std::fs::write(&input, &csv).unwrap();
    let alarms = cli_import(&input, &dir.join("planted.fgb"));
    assert_scores("cli", &planted, &truth, &alarms);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn planted_bad_positions_are_reported_over_http() {
    let Some((csv, planted)) = corpus(700, 5, "planted-") else {
        return;
    };
    let oracle = Oracle::load().expect("oracle data");
    let truth = oracle_truth(&oracle, &csv, "planted-");
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
    assert_scores("http", &planted, &truth, &alarms);
}

/// The embedded rebuild (`data/README.md`: `lieux import` of the whole France Services list,
/// overseas rows and rows without coordinates included) serves no position that the oracle finds
/// wrong, and the committed snapshot is what that command writes: the same places at the same
/// positions. The planted rows above go through the same command (the CLI part); this checks the
/// real list end to end, including what the planted corpus leaves out.
#[test]
fn the_embedded_rebuild_serves_no_position_the_oracle_rejects() {
    let Some(d) = shared_data() else { return };
    let source = d.join("france-services/france-services-20221201.v1.csv");
    let oracle = Oracle::load().expect("oracle data");
    let dir = std::env::temp_dir().join(format!("lieux-rebuild-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("france-services.fgb");
    let alarms = cli_import(&source, &out);
    let rebuilt = lieux::import::read_snapshot(&std::fs::read(&out).unwrap()).unwrap();
    let embedded = lieux::import::read_snapshot(lieux::DEFAULT_SNAPSHOT).unwrap();
    let key = |l: &lieux::model::Lieu| (l.id.to_string(), l.position.map(|p| (p.lon, p.lat)));
    let rebuilt_keys: Vec<_> = rebuilt.iter().map(key).collect();
    let embedded_keys: Vec<_> = embedded.iter().map(key).collect();
    assert_eq!(rebuilt_keys.len(), embedded_keys.len());
    assert!(
        rebuilt_keys == embedded_keys,
        "data/france-services-20221201.fgb is not what its rebuild writes: first difference {:?}",
        rebuilt_keys
            .iter()
            .zip(&embedded_keys)
            .find(|(a, b)| a != b)
    );
    // every served position is in or near its INSEE code's commune by the oracle (full
    // resolution), and a row the oracle finds wrong for its postcode (another département) is
    // reported
    let (mut checked, mut far, mut unknown, mut unreported) = (0, Vec::new(), 0, Vec::new());
    for l in &rebuilt {
        let (Some(p), Some(code)) = (l.position, l.code_insee.as_deref()) else {
            continue;
        };
        checked += 1;
        let id = l.id.to_string();
        match oracle.km(code, p.lon, p.lat) {
            Some(km) if km > 5.5 => far.push((id.clone(), code.to_owned(), km)),
            Some(_) => {}
            // a code the polygons do not have (Saint-Martin, a commune merged since)
            None => unknown += 1,
        }
        let (lat, lon) = (p.lat.to_string(), p.lon.to_string());
        if oracle.wrong(code, &l.code_postal, &lat, &lon) && !alarms.contains(&id) {
            unreported.push((id, code.to_owned(), l.code_postal.to_string()));
        }
    }
    eprintln!(
        "rebuild: {checked} served positions checked ({unknown} of codes the oracle lacks); far from their commune by the oracle: {far:?}; wrong and not reported: {unreported:?}"
    );
    assert!(checked > 2500 && unknown < 10, "{checked} {unknown}");
    assert!(far.is_empty(), "{far:?}");
    assert!(unreported.is_empty(), "{unreported:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
