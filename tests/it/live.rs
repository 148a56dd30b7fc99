//! `POST /v1/imports` over real HTTP (the server loop of `lieux serve`): the token guards it, a
//! real France Services file replaces the served places (version, `/health`, ETags change), a
//! named source is replaced independently of the others, and a bad or oversized body changes
//! nothing.

use std::collections::HashMap;
use std::time::Duration;

use lieux::Dataset;
use lieux::http::AppState;
use serde_json::Value;

use crate::util::{Server, request, shared_data};

pub(crate) const TOKEN: &str = "s3cret-token";

pub(crate) fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {}", String::from_utf8_lossy(body));
    })
}

fn health(server: &Server) -> (String, u64) {
    let (status, _, body) = request(server, "GET", "/health", &[], b"");
    assert_eq!(status, 200);
    let v = json(&body);
    (
        v["version"].as_str().unwrap().to_owned(),
        v["lieux"].as_u64().unwrap(),
    )
}

pub(crate) fn import(
    server: &Server,
    query: &str,
    body: &[u8],
) -> (u16, HashMap<String, String>, Value) {
    let (status, headers, body) = request(
        server,
        "POST",
        &format!("/v1/imports{query}"),
        &[format!("Authorization: Bearer {TOKEN}")],
        body,
    );
    (status, headers, json(&body))
}

/// The first `n` rows of the real France Services v1 CSV, ids prefixed with `prefix`.
fn france_services_rows(n: usize, prefix: &str) -> Option<Vec<u8>> {
    france_services_rewritten(n, |_, column, v| match column {
        "id" => format!("{prefix}{v}"),
        _ => v.to_owned(),
    })
}

/// The first `n` rows of the real France Services v1 CSV, each value replaced by
/// `value(row_index, column, value)`.
pub(crate) fn france_services_rewritten(
    n: usize,
    value: impl Fn(usize, &str, &str) -> String,
) -> Option<Vec<u8>> {
    let path = shared_data()?.join("france-services/france-services-20221201.v1.csv");
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers).unwrap();
    for (i, rec) in rdr.records().take(n).enumerate() {
        let rec = rec.unwrap();
        let row: Vec<String> = headers
            .iter()
            .zip(rec.iter())
            .map(|(column, v)| value(i, column, v))
            .collect();
        w.write_record(&row).unwrap();
    }
    Some(w.into_inner().unwrap())
}

fn live_server() -> Server {
    Server::start(
        AppState::new(Dataset::embedded().unwrap()).with_imports(Some(TOKEN.to_owned()), None),
    )
}

#[test]
fn live_imports_are_disabled_without_a_token() {
    let server = Server::start(AppState::new(Dataset::embedded().unwrap()));
    let (status, _, body) = request(&server, "POST", "/v1/imports", &[], b"id\n");
    assert_eq!(status, 404);
    let v = json(&body);
    let (_, _, doc) = request(&server, "GET", "/openapi.json", &[], b"");
    let responses = &json(&doc)["paths"]["/v1/imports"]["post"]["responses"];
    for code in ["200", "401", "404", "413", "422"] {
        assert!(responses[code].is_object(), "{code} undocumented");
    }
    assert!(
        v["error"]["message"].as_str().unwrap().contains("disabled"),
        "{v}"
    );
}

#[test]
fn live_import_needs_the_bearer_token() {
    let server = live_server();
    let before = health(&server);
    for auth in [vec![], vec!["Authorization: Bearer wrong".to_owned()]] {
        let (status, headers, body) = request(&server, "POST", "/v1/imports", &auth, b"id\n");
        assert_eq!(status, 401);
        assert!(headers["www-authenticate"].starts_with("Bearer"));
        assert!(json(&body)["error"]["message"].is_string());
    }
    assert_eq!(health(&server), before);
}

#[test]
fn live_import_refuses_garbage_and_oversized_bodies_without_changing_anything() {
    let server = live_server();
    let before = health(&server);
    let (status, _, v) = import(&server, "", b"\x00\x01 not a file of places \xff");
    assert_eq!(status, 422, "{v}");
    assert!(v["error"]["message"].is_string());
    // a CSV of places whose every row is rejected
    let cols = lieux::model::V1_COLUMNS;
    let all_empty = format!("{}\n{}\n", cols.join(","), ",".repeat(cols.len() - 1));
    let (status, _, v) = import(&server, "?format=csv", all_empty.as_bytes());
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["report"]["accepted"], 0, "{v}");
    assert!(v["report"]["report"][0]["reason"].is_string(), "{v}");
    let (status, _, v) = import(&server, "?format=xls", b"x");
    assert_eq!(status, 400);
    assert_eq!(v["error"]["parameter"], "format");
    // Content-Length over the limit: refused before the body is read
    let (status, _, body) = request(
        &server,
        "POST",
        "/v1/imports",
        &[
            format!("Authorization: Bearer {TOKEN}"),
            "Content-Length: 60000000".to_owned(),
        ],
        b"",
    );
    assert_eq!(status, 413);
    assert!(json(&body)["error"]["message"].is_string());
    assert_eq!(health(&server), before);
    // GET endpoints still refuse other methods
    let (status, _, _) = request(&server, "POST", "/v1/lieux", &[], b"");
    assert_eq!(status, 405);
}

#[test]
fn live_import_of_real_rows_replaces_the_served_places() {
    let (Some(hundred), Some(fifty), Some(plain)) = (
        france_services_rows(100, "live-"),
        france_services_rows(50, "live-"),
        france_services_rows(100, ""),
    ) else {
        return;
    };
    let server = live_server();
    let (v0, n0) = health(&server);
    let nearest = "/v1/lieux/nearest?lat=46.1&lon=5.8&k=3";
    let (status, h, _) = request(&server, "GET", nearest, &[], b"");
    assert_eq!(status, 200);
    let etag0 = h["etag"].clone();

    // a named source is added beside the embedded places
    let (status, _, v) = import(&server, "?source=live-test&format=csv", &hundred);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["accepted"], 100, "{v}");
    assert_eq!(v["source"], "live-test");
    let (v1, n1) = health(&server);
    assert_ne!(v1, v0);
    assert_eq!(v["version"], v1.as_str());
    assert_eq!(n1, n0 + 100);
    let (_, h, _) = request(&server, "GET", nearest, &[], b"");
    assert_ne!(h["etag"], etag0, "the ETag follows the dataset version");
    let (status, _, body) = request(&server, "GET", "/v1/lieux/live-france-services-1", &[], b"");
    assert_eq!(status, 200);
    assert_eq!(json(&body)["properties"]["source"], "live-test");

    // importing the same source again replaces only its places
    let (status, _, v) = import(&server, "?source=live-test", &fifty);
    assert_eq!(status, 200, "{v}");
    assert_eq!(health(&server).1, n0 + 50);

    // a source may not take the ids of another source's places: nothing accepted, no change
    let before = health(&server);
    let (status, _, v) = import(&server, "?source=other", &plain);
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["report"]["rejected"], 100);
    assert_eq!(health(&server), before);

    // without a source the whole set is replaced
    let (status, _, v) = import(&server, "", &plain);
    assert_eq!(status, 200, "{v}");
    assert_eq!(health(&server).1, 100);
}

/// Writes schema rows (`csv`) as the snapshot file `path`, as `lieux import` would.
fn write_rows_snapshot(path: &std::path::Path, csv: &[u8]) {
    let outcome = lieux::import::read_bytes("rows.csv", csv).unwrap();
    lieux::import::write_snapshot(path, &outcome.lieux).unwrap();
}

#[test]
fn live_sighup_reloads_the_snapshot() {
    let (Some(hundred), Some(fifty)) =
        (france_services_rows(100, ""), france_services_rows(50, ""))
    else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("lieux-it-{}-sighup", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let snapshot = dir.join("live.fgb");
    let write = |csv: &[u8]| write_rows_snapshot(&snapshot, csv);
    write(&hundred);
    let (mut child, addr) = crate::cli::start(&["--snapshot", snapshot.to_str().unwrap()]);
    let lieux_served = || {
        let (status, body) = crate::cli::http_get(&addr, "/health");
        assert_eq!(status, 200, "{body}");
        json(body.as_bytes())["lieux"].as_u64().unwrap()
    };
    assert_eq!(lieux_served(), 100);
    // a broken snapshot is refused: the server keeps serving what it had
    std::fs::write(&snapshot, b"not a flatgeobuf").unwrap();
    let hup = |child: &std::process::Child| {
        let status = std::process::Command::new("kill")
            .args(["-HUP", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    };
    hup(&child);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(lieux_served(), 100);
    assert!(
        child.try_wait().unwrap().is_none(),
        "SIGHUP must not stop the server"
    );
    write(&fifty);
    hup(&child);
    let mut served = 0;
    for _ in 0..100 {
        served = lieux_served();
        if served == 50 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(served, 50, "the reloaded snapshot is served");
}

#[test]
fn live_import_rewrites_the_snapshot() {
    let Some(fifty) = france_services_rows(50, "") else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("lieux-it-{}-live-snapshot", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let snapshot = dir.join("served.fgb");
    let server = Server::start(
        AppState::new(Dataset::embedded().unwrap())
            .with_imports(Some(TOKEN.to_owned()), Some(snapshot.clone())),
    );
    let (status, _, v) = import(&server, "", &fifty);
    assert_eq!(status, 200, "{v}");
    let written = Dataset::from_snapshot(&std::fs::read(&snapshot).unwrap()).unwrap();
    assert_eq!(written.version(), health(&server).0);
    assert_eq!(written.lieux().len(), 50);
    assert!(!dir.join("served.fgb.tmp").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A live import on `serve --snapshot FILE` rewrites FILE; the file watcher notices the new
/// file and does not read and build it again (the server already serves it: at 1 M places a
/// 400 MB read and a second full build), while a file another writer puts there afterwards is
/// still reloaded.
#[test]
fn the_watcher_does_not_reload_what_a_live_import_wrote() {
    let (Some(hundred), Some(fifty)) =
        (france_services_rows(100, ""), france_services_rows(50, ""))
    else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("lieux-it-{}-own-write", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let snapshot = dir.join("served.fgb");
    let write = |csv: &[u8]| write_rows_snapshot(&snapshot, csv);
    write(&hundred);
    let (mut child, addr, log) = crate::cli::start_logged_with(
        &["--snapshot", snapshot.to_str().unwrap()],
        &[("LIEUX_IMPORT_TOKEN", TOKEN)],
    );
    let wait_for = |needle: &str| {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            if let Ok(line) = log.recv_timeout(Duration::from_millis(200)) {
                assert!(
                    !line.contains("snapshot file changed: reloaded")
                        || needle.contains("reloaded"),
                    "the live import's own file was loaded again: {line}"
                );
                if line.contains(needle) {
                    return true;
                }
            }
        }
        false
    };
    let (status, _, body) = crate::util::request_to(
        &addr,
        "POST",
        "/v1/imports",
        &[format!("Authorization: Bearer {TOKEN}")],
        &fifty,
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(
        wait_for("written by this server's live import: already served"),
        "the watcher did not recognise the live import's file"
    );
    let served = || json(crate::cli::http_get(&addr, "/health").1.as_bytes())["lieux"].clone();
    assert_eq!(served(), 50);
    // another writer replaces the file: reloaded as before
    write(&hundred);
    assert!(
        wait_for("snapshot file changed: reloaded"),
        "a file from another writer must be reloaded"
    );
    assert_eq!(served(), 100);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn live_import_with_the_offline_geocoder_places_rows_at_their_commune() {
    // real rows, the first three without coordinates
    let Some(rows) = france_services_rewritten(20, |i, column, v| match column {
        "id" => format!("geo-{v}"),
        "latitude" | "longitude" if i < 3 => String::new(),
        _ => v.to_owned(),
    }) else {
        return;
    };
    let server = live_server();
    let (status, _, v) = import(&server, "?source=geo&geocoder=bogus", &rows);
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["parameter"], "geocoder");

    // without the geocoder the three rows are kept without a position
    let (status, _, v) = import(&server, "?source=geo", &rows);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["without_coordinates"], 3, "{v}");

    let (status, _, v) = import(&server, "?source=geo&geocoder=offline", &rows);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["without_coordinates"], 0, "{v}");
    let communes = lieux::commune_table::embedded();
    for i in 0..3 {
        let (status, _, body) = request(
            &server,
            "GET",
            &format!("/v1/lieux/geo-france-services-{}", i + 1),
            &[],
            b"",
        );
        assert_eq!(status, 200);
        let f = json(&body);
        let p = &f["properties"];
        assert_eq!(p["position"]["source"], "commune", "{f}");
        assert_eq!(p["position"]["precision"], "municipality", "{f}");
        // the oracle: the commune table's own point for the row's INSEE code
        let code = p["code_insee"].as_str().expect("code_insee");
        let c = communes
            .all()
            .iter()
            .find(|c| c.code_insee == code)
            .expect("commune in the table");
        let xy = &f["geometry"]["coordinates"];
        assert!((xy[0].as_f64().unwrap() - c.lon).abs() < 1e-6, "{f}");
        assert!((xy[1].as_f64().unwrap() - c.lat).abs() < 1e-6, "{f}");
    }
}
