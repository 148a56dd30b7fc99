//! Live operations (issue 7): `lieux import` streaming raw files, live imports while a road
//! graph is loaded, `?mapping=` on `POST /v1/imports`, and `lieux serve` reloading its snapshot
//! file when it changes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lieux::Dataset;
use lieux::http::AppState;
use lieux::import::{ImportOptions, Mapping, MappingOptions, read_bytes_with, read_snapshot};
use lieux::model::{Lieu, V1_COLUMNS};
use lieux::routing::{Router, build};
use serde_json::Value;

use crate::util::{Server, request, shared_data};

use crate::live::{TOKEN, json};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lieux-ops-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every v1 column of a place as the CSV writes it.
fn columns(l: &Lieu) -> Vec<String> {
    V1_COLUMNS
        .iter()
        .map(|c| l.column(c).unwrap_or_default())
        .collect()
}

fn raw_sources(data: &Path) -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(data.join("mednum-cli-sources")).unwrap() {
        for f in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let config = f.unwrap().path();
            let name = config.file_name().unwrap().to_string_lossy().into_owned();
            if let Some(stem) = name.strip_suffix(".config.json") {
                out.push((config.with_file_name(format!("{stem}.json")), config));
            }
        }
    }
    out.sort();
    out
}

/// `lieux import --mapping` streams raw JSON element by element (and writes the report as it
/// goes): for every real raw file, the snapshot and the report it writes hold exactly what the
/// in-memory pipeline (`read_bytes_with`, used by `POST /v1/imports`) returns.
#[test]
fn streamed_raw_import_matches_the_in_memory_pipeline() {
    let Some(data) = shared_data() else { return };
    let dir = temp_dir("stream");
    let sources = raw_sources(&data);
    assert!(sources.len() >= 16, "{sources:?}");
    for (raw, config) in sources {
        let mapping_options = MappingOptions {
            date_maj: chrono::NaiveDate::from_ymd_opt(2024, 1, 1),
            source: Some("test".to_owned()),
            id_prefix: None,
        };
        let options = ImportOptions {
            mapping: Some((Mapping::from_path(&config).unwrap(), mapping_options)),
            ..Default::default()
        };
        let bytes = std::fs::read(&raw).unwrap();
        let expected = read_bytes_with(&raw.display().to_string(), &bytes, &options).unwrap();
        let out = dir.join("out.fgb");
        let report = dir.join("report.csv");
        let stats = lieux::import::run_import_with(
            std::slice::from_ref(&raw),
            &out,
            Some(&report),
            false,
            &options,
        )
        .unwrap();
        assert_eq!(stats, expected.stats, "{}", raw.display());
        let written = read_snapshot(&std::fs::read(&out).unwrap()).unwrap();
        let got: Vec<Vec<String>> = written.iter().map(columns).collect();
        let want: Vec<Vec<String>> = expected.lieux.iter().map(columns).collect();
        assert_eq!(got, want, "{}", raw.display());
        let mut rdr = csv::Reader::from_path(&report).unwrap();
        let rows: Vec<Vec<String>> = rdr
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        let want = crate::util::report_records(&expected.report);
        assert_eq!(rows, want, "{}", raw.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A raw file cut in the middle fails the streamed import after thousands of rows were
/// validated: the previous snapshot and report stay as they were, no temp file is left.
#[test]
fn streamed_import_of_a_truncated_file_changes_nothing() {
    let Some(data) = shared_data() else { return };
    let dir = temp_dir("truncated");
    let raw = data.join("mednum-cli-sources/hinaura/hinaura.json");
    let config = data.join("mednum-cli-sources/hinaura/hinaura.config.json");
    let bytes = std::fs::read(&raw).unwrap();
    let cut = dir.join("hinaura-cut.json");
    std::fs::write(&cut, &bytes[..bytes.len() * 9 / 10]).unwrap();
    let out = dir.join("out.fgb");
    let report = dir.join("out.fgb.report.csv");
    std::fs::write(&out, b"previous snapshot").unwrap();
    std::fs::write(&report, b"previous report").unwrap();
    let options = ImportOptions {
        mapping: Some((
            Mapping::from_path(&config).unwrap(),
            MappingOptions::default(),
        )),
        ..Default::default()
    };
    let err = lieux::import::run_import_with(&[cut], &out, None, false, &options).unwrap_err();
    assert!(
        matches!(err, lieux::import::ImportError::Json { .. }),
        "{err:?}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"previous snapshot");
    assert_eq!(std::fs::read(&report).unwrap(), b"previous report");
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["hinaura-cut.json", "out.fgb", "out.fgb.report.csv"]);
    let _ = std::fs::remove_dir_all(&dir);
}

fn post_import(server: &Server, query: &str, body: &[u8]) -> (u16, Value) {
    let (status, _, v) = crate::live::import(server, query, body);
    (status, v)
}

fn get(server: &Server, path: &str) -> Value {
    let (status, _, body) = request(server, "GET", path, &[], b"");
    assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
    json(&body)
}

/// `(id, duration_s, distance_m)` of a travel-time answer.
fn hits(v: &Value) -> Vec<(String, u64, u64)> {
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["properties"];
            (
                p["id"].as_str().unwrap().to_owned(),
                p["duration_s"].as_f64().unwrap().round() as u64,
                p["distance_m"].as_f64().unwrap().round() as u64,
            )
        })
        .collect()
}

/// Real France Services rows (v1 CSV) moved to `points`, ids `prefix0`, `prefix1`, …
fn rows_at(points: &[(f64, f64)], prefix: &str) -> Vec<u8> {
    crate::live::france_services_rewritten(points.len(), |i, column, v| match column {
        "id" => format!("{prefix}{i}"),
        "latitude" => points[i].1.to_string(),
        "longitude" => points[i].0.to_string(),
        // every import checks positions against the commune: these rows are in Paris
        "commune" => "Paris".to_owned(),
        "code_postal" => "75010".to_owned(),
        "code_insee" => "75056".to_owned(),
        _ => v.to_owned(),
    })
    .unwrap()
}

/// With a road graph loaded (the real Paris-centre OSM extract), a live import snaps the new
/// places before the swap: `/v1/lieux/reachable` answers with them, road times included,
/// exactly as a server started from scratch on the merged data with the same graph.
#[test]
fn live_import_with_a_road_graph_snaps_the_new_places() {
    let Some(data) = shared_data() else { return };
    let (network, _) = build::build(&data.join("osm/paris-centre-small.osm.pbf"), false).unwrap();
    let embedded = Dataset::embedded().unwrap();
    let state = AppState::with_router(
        embedded,
        Router::new(network.clone(), &Dataset::embedded().unwrap(), 1000.0),
    )
    .with_imports(Some(TOKEN.to_owned()), None);
    let server = Server::start(state.clone());
    // Around Place de la République (inside the extract); the walk speed is 5.1 km/h at most,
    // so 10 minutes reach at most 850 m in a straight line.
    let (lon, lat) = (2.3631, 48.8674);
    let query = format!("/v1/lieux/reachable?lat={lat}&lon={lon}&minutes=10&mode=walk");
    let before = hits(&get(&server, &query));
    let near = [(2.3640, 48.8680), (2.3620, 48.8668), (2.3650, 48.8665)];
    let far = [(2.3520, 48.8580), (2.3800, 48.8600)];
    let all: Vec<(f64, f64)> = near.iter().chain(&far).copied().collect();
    let (status, v) = post_import(&server, "?source=paris-test", &rows_at(&all, "paris-"));
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["accepted"], 5, "{v}");
    let after = hits(&get(&server, &query));
    let new: BTreeSet<&str> = after
        .iter()
        .map(|h| h.0.as_str())
        .filter(|id| id.starts_with("paris-"))
        .collect();
    assert_eq!(
        new,
        BTreeSet::from(["paris-0", "paris-1", "paris-2"]),
        "{after:?}"
    );
    assert!(before.iter().all(|h| !h.0.starts_with("paris-")));
    // The oracle: a router built from scratch for the dataset now served.
    let served = state.dataset();
    let fresh = AppState::with_router(
        Dataset::new(served.lieux().to_vec()),
        Router::new(network, &served, 1000.0),
    );
    let fresh = Server::start(fresh);
    assert_eq!(hits(&get(&fresh, &query)), after);
    let health = get(&server, "/health");
    assert_eq!(health["version"].as_str(), Some(served.version()));
}

/// `POST /v1/imports?mapping=NAME` maps a real raw producer file with the server's config
/// `NAME.config.json`; `date_maj` and `id_prefix` apply; every raw row is checked against the
/// place served. A broken config is a 422 naming the config key, an unknown name a 400.
#[test]
fn live_import_maps_raw_files_with_a_server_config() {
    let Some(data) = shared_data() else { return };
    let dir = temp_dir("mappings");
    let src = data.join("mednum-cli-sources/la-creuse");
    std::fs::copy(
        src.join("la-creuse.config.json"),
        dir.join("la-creuse.config.json"),
    )
    .unwrap();
    std::fs::write(
        dir.join("broken.config.json"),
        br#"{"nom": {"colone": "x"}}"#,
    )
    .unwrap();
    let state = AppState::new(Dataset::embedded().unwrap())
        .with_imports(Some(TOKEN.to_owned()), None)
        .with_import_mappings(dir.clone());
    let server = Server::start(state);
    let raw = std::fs::read(src.join("la-creuse.json")).unwrap();

    let (status, v) = post_import(&server, "?mapping=broken", &raw);
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["error"]["parameter"], "mapping");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("`nom`"),
        "{v}"
    );
    let (status, v) = post_import(&server, "?mapping=absent", &raw);
    assert_eq!((status, &v["error"]["parameter"]), (400, &"mapping".into()));
    let (status, v) = post_import(&server, "?mapping=..%2Fx", &raw);
    assert_eq!((status, &v["error"]["parameter"]), (400, &"mapping".into()));
    let (status, v) = post_import(&server, "?date_maj=2024-05-06", &raw);
    assert_eq!(
        (status, &v["error"]["parameter"]),
        (400, &"date_maj".into())
    );
    let (status, v) = post_import(&server, "?mapping=la-creuse&date_maj=06/05/2024", &raw);
    assert_eq!(
        (status, &v["error"]["parameter"]),
        (400, &"date_maj".into())
    );
    assert_eq!(get(&server, "/health")["lieux"], 2657, "nothing replaced");

    let (status, v) = post_import(
        &server,
        "?mapping=la-creuse&date_maj=2024-05-06&id_prefix=creuse-&source=la-creuse",
        &raw,
    );
    assert_eq!(status, 200, "{}", v["error"]);
    let rows: Vec<Value> = serde_json::from_slice(&raw).unwrap();
    let rejected: BTreeSet<&str> = v["report"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "rejected")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(v["rows"], rows.len());
    assert_eq!(v["accepted"], rows.len() - rejected.len());
    assert!(rejected.len() < 5, "{rejected:?}");
    assert_eq!(
        get(&server, "/health")["lieux"],
        2657 + rows.len() - rejected.len()
    );
    for row in &rows {
        let id = format!("creuse-{}", row["id"]);
        let path = format!("/v1/lieux/{id}");
        if rejected.contains(id.as_str()) {
            assert_eq!(request(&server, "GET", &path, &[], b"").0, 404, "{id}");
            continue;
        }
        let f = get(&server, &path);
        let p = &f["properties"];
        // names are trimmed by validation
        assert_eq!(
            p["nom"].as_str(),
            row["nom"].as_str().map(str::trim),
            "{id}"
        );
        assert_eq!(p["date_maj"], "2024-05-06", "{id}");
        assert_eq!(p["source"], "la-creuse", "{id}");
        let c = &f["geometry"]["coordinates"];
        assert!((c[0].as_f64().unwrap() - row["longitude"].as_f64().unwrap()).abs() < 1e-9);
        assert!((c[1].as_f64().unwrap() - row["latitude"].as_f64().unwrap()).abs() < 1e-9);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn health_of(addr: &str) -> Value {
    let (status, body) = crate::cli::http_get(addr, "/health");
    assert_eq!(status, 200, "{body}");
    json(body.as_bytes())
}

/// `lieux serve --snapshot FILE` notices when `lieux import` replaces FILE (no signal) and
/// serves the new data; garbage written over FILE in place is refused (logged) and the
/// previous data stays served.
#[test]
fn serve_reloads_its_snapshot_file_when_it_changes() {
    let Some(data) = shared_data() else { return };
    let dir = temp_dir("watch");
    let snapshot = dir.join("served.fgb");
    let fs = data.join("france-services/france-services-20221201.v1.csv");
    let small = dir.join("small.csv");
    std::fs::write(&small, rows_at(&[(2.35, 48.85), (4.83, 45.76)], "w-")).unwrap();
    let import = |file: &Path| {
        crate::cli::run_ok(
            crate::cli::lieux()
                .args(["import", file.to_str().unwrap(), "--out"])
                .arg(&snapshot),
        );
    };
    import(&fs);
    let (mut child, addr, log) =
        crate::cli::start_logged(&["--snapshot", snapshot.to_str().unwrap()]);
    let first = health_of(&addr);
    assert_eq!(first["lieux"], 2657);
    import(&small);
    let want = Dataset::from_snapshot(&std::fs::read(&snapshot).unwrap()).unwrap();
    let mut seen = first.clone();
    for _ in 0..200 {
        seen = health_of(&addr);
        if seen["version"] != first["version"] {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(seen["version"].as_str(), Some(want.version()), "{seen}");
    assert_eq!(seen["lieux"], 2);
    // Garbage in place (not a rename): the reload fails, the two places stay served.
    std::fs::write(&snapshot, b"this is not a FlatGeobuf file").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut failed = false;
    while !failed && std::time::Instant::now() < deadline {
        failed = log
            .recv_timeout(Duration::from_millis(200))
            .is_ok_and(|l| l.contains("reload failed"));
    }
    assert!(failed, "the failed reload is logged");
    let after = health_of(&addr);
    assert_eq!(after["version"], seen["version"]);
    assert_eq!(after["lieux"], 2);
    assert!(child.try_wait().unwrap().is_none(), "still running");
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
