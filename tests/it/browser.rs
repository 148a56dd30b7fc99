//! Real-browser tests: Debian chromium driven by playwright-core (tests/browser/, installed by
//! .ci/run) against the real binary on a free loopback port.

use std::path::{Path, PathBuf};
use std::process::Command;

use lieux::Dataset;
use lieux::filter::Filter;
use lieux::model::Position;

fn browser_ready() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() || !dir.join("node_modules/playwright-core").exists() {
        eprintln!(
            "skipping browser test: needs {chromium} and tests/browser/node_modules (run .ci/run, which installs both)"
        );
        return None;
    }
    Some(dir)
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-artifacts");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

#[test]
fn widget_lists_the_five_nearest_france_services_in_order() {
    let Some(dir) = browser_ready() else { return };
    let (mut server, addr) = crate::cli::start(&[]);
    let (lat, lon) = (45.764, 4.8357); // Lyon
    let out = Command::new("node")
        .arg(dir.join("widget.mjs"))
        .arg(format!("http://{addr}"))
        .arg(artifacts())
        .args([lat.to_string(), lon.to_string()])
        .output()
        .expect("run node");
    let _ = server.kill();
    assert!(
        out.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("JSON from the browser script");

    let ds = Dataset::embedded().expect("embedded");
    let filter = Filter::from_pairs(
        [("dispositif_programmes_nationaux", "France Services")],
        chrono::Utc::now(),
    )
    .expect("filter");
    let want: Vec<String> = ds
        .nearest(Position { lon, lat }, 5, None, &filter)
        .iter()
        .map(|h| ds.lieu(h.slot).id.clone())
        .collect();
    let got: Vec<String> = v["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .filter_map(|x| x.as_str().map(str::to_owned))
        .collect();
    assert_eq!(got, want, "the widget shows the 5 nearest, nearest first");
    let names: Vec<&str> = v["names"]
        .as_array()
        .expect("names")
        .iter()
        .filter_map(|x| x.as_str())
        .collect();
    for (id, name) in want.iter().zip(&names) {
        let slot = ds.slot_of(id).expect("slot");
        assert_eq!(ds.lieu(slot).nom, *name);
    }
    for d in v["distances"].as_array().expect("distances") {
        let d = d.as_str().unwrap_or("");
        assert!(d.ends_with(" km") || d.ends_with(" m"), "{d}");
    }
    assert!(
        v["hrefs"][0]
            .as_str()
            .is_some_and(|h| h.starts_with("https://www.openstreetmap.org/?mlat="))
    );
    let err = v["errorText"].as_str().unwrap_or("");
    assert!(err.contains("lat"), "the error names the parameter: {err}");
}

#[test]
fn map_page_renders_clusters_filters_and_cards() {
    let Some(dir) = browser_ready() else { return };
    let ds = Dataset::embedded().expect("embedded");
    // a place with a position, to click on
    let target = ds
        .lieux()
        .iter()
        .find(|l| l.id == "france-services-1")
        .expect("place");
    let p = target.position.expect("position");
    let (mut server, addr) = crate::cli::start(&[]);
    let out = Command::new("node")
        .arg(dir.join("map.mjs"))
        .arg(format!("http://{addr}"))
        .arg(artifacts())
        .args([p.lon.to_string(), p.lat.to_string(), target.nom.clone()])
        .output()
        .expect("run node");
    let stats_open = crate::cli::http_get(&addr, "/v1/stats?ouvert_actuellement=true").1;
    let _ = server.kill();
    assert!(
        out.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("JSON from the browser script");
    assert_eq!(
        v["errors"].as_array().map(Vec::len),
        Some(0),
        "page errors: {}",
        v["errors"]
    );
    let before = v["before"]["places"].as_u64().unwrap_or(0);
    assert!(
        v["before"]["features"].as_u64().unwrap_or(0) > 3,
        "clusters drawn: {v}"
    );
    // metropolitan France at zoom 5: most places are in view
    assert!(before > 2000 && before <= ds.positioned() as u64, "{v}");
    let total: String = format!("{} lieux", ds.lieux().len())
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let shown: String = v["countBefore"]
        .as_str()
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    assert_eq!(shown, total);
    // the filter changed what the map counts, and the counter agrees with /v1/stats
    let open: serde_json::Value = serde_json::from_str(&stats_open).expect("stats");
    let shown_open: String = v["countAfter"]
        .as_str()
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    assert_eq!(shown_open, open["total"].to_string());
    assert!(
        v["after"]["places"].as_u64().unwrap_or(u64::MAX) <= open["total"].as_u64().unwrap_or(0)
    );
    assert_eq!(v["card"], target.nom.as_str());
}
