//! Real-browser tests: Debian chromium driven by playwright-core (tests/browser/, installed by
//! .ci/run) against the real binary on a free loopback port.

use std::path::{Path, PathBuf};
use std::process::Command;

use lieux::Dataset;
use lieux::filter::Filter;
use lieux::model::Position;

pub(crate) fn browser_ready() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists()
        || !dir.join("node_modules/playwright-core").exists()
        || !dir.join("node_modules/axe-core").exists()
    {
        eprintln!(
            "skipping browser test: needs {chromium} and tests/browser/node_modules with playwright-core and axe-core (run .ci/run, which installs them)"
        );
        return None;
    }
    Some(dir)
}

pub(crate) fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-artifacts");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

#[test]
fn widget_lists_the_five_nearest_france_services_in_order() {
    let Some(dir) = browser_ready() else { return };
    let (mut server, addr) = crate::cli::start(&[]);
    let (lat, lon) = (45.764, 4.8357); // Lyon
    let v = run_node(
        &dir,
        "widget.mjs",
        &[
            format!("http://{addr}"),
            artifacts().display().to_string(),
            lat.to_string(),
            lon.to_string(),
        ],
    );
    let _ = server.kill();

    let ds = Dataset::embedded().expect("embedded");
    let filter = Filter::from_pairs(
        [("dispositif_programmes_nationaux", "France Services")],
        chrono::Utc::now(),
    )
    .expect("filter");
    let want: Vec<String> = ds
        .nearest(Position { lon, lat }, 5, None, &filter)
        .iter()
        .map(|h| ds.lieu(h.slot).id.to_string())
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
    // hours in French, the state worded, itinerant places marked (Lyon has a bus)
    for (i, lines) in v["horaires"].as_array().expect("hours").iter().enumerate() {
        let lines = lines.as_array().expect("lines");
        let raw = ds
            .lieu(ds.slot_of(&want[i]).expect("slot"))
            .horaires
            .is_some();
        assert_eq!(!lines.is_empty(), raw, "{lines:?}");
        for l in lines {
            let l = l.as_str().unwrap_or("").replace('\u{a0}', " ");
            assert!(l.contains(" h") && !l.contains(':'), "{l}");
        }
    }
    for e in v["etats"].as_array().expect("etats") {
        let e = e.as_str().unwrap_or("").replace('\u{a0}', " ");
        assert!(
            e.is_empty() || e.starts_with("Ouvert jusqu'à ") || e.starts_with("Fermé, ouvre "),
            "{e}"
        );
    }
    assert!(
        v["etats"]
            .as_array()
            .is_some_and(|a| a.iter().any(|e| !e.as_str().unwrap_or("").is_empty())),
        "the open/closed state is shown (ouvert and prochaine_ouverture asked for)"
    );
    let itinerant: Vec<&String> = want
        .iter()
        .filter(|id| crate::browser_journeys::itinerant(ds.lieu(ds.slot_of(id).expect("slot"))))
        .collect();
    assert!(!itinerant.is_empty(), "a bus in Lyon");
    assert_eq!(
        v["itinerants"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>()),
        Some(itinerant.iter().map(|s| s.as_str()).collect())
    );
    let err = v["errorText"].as_str().unwrap_or("");
    assert!(err.contains("lat"), "the error names the parameter: {err}");
    // three instances on one page send three requests on load (the upgrade used to send one per
    // attribute, then one more when connected: 15 here), and a later change of one attribute
    // sends one; at both sizes
    for size in ["1280", "375"] {
        let r = &v["requests"][size];
        assert_eq!(r["onLoad"], 3, "one request per instance: {r}");
        assert_eq!(r["afterChange"], 1, "{r}");
        // the widget asks only for the properties its cards show
        for url in r["urls"].as_array().expect("urls") {
            let url = url.as_str().unwrap_or("");
            assert!(url.contains("properties=nom%2C"), "{url}");
        }
    }
    assert_no_axe_violations(&v["axe"]);
    let found = v["axeSelfCheck"].to_string();
    assert!(
        found.contains("html-has-lang") && found.contains("image-alt"),
        "axe-core finds known violations: {found}"
    );
}

/// The browser script saw no page error (nor failed request, where it records them).
pub(crate) fn assert_no_page_errors(v: &serde_json::Value) {
    assert_eq!(
        v["errors"].as_array().map(Vec::len),
        Some(0),
        "page errors: {}",
        v["errors"]
    );
}

/// Every page or state checked by axe-core (WCAG 2.1 A and AA rules) has no violation.
pub(crate) fn assert_no_axe_violations(axe: &serde_json::Value) {
    let pages = axe.as_object().expect("axe results per page");
    assert!(!pages.is_empty(), "axe ran");
    for (page, violations) in pages {
        assert_eq!(
            violations.as_array().map(Vec::len),
            Some(0),
            "axe-core on {page}: {violations:#}"
        );
    }
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
    let v = run_node(
        &dir,
        "map.mjs",
        &[
            format!("http://{addr}"),
            artifacts().display().to_string(),
            p.lon.to_string(),
            p.lat.to_string(),
            target.nom.to_string(),
        ],
    );
    let stats_open = crate::cli::http_get(&addr, "/v1/stats?ouvert_actuellement=true").1;
    let _ = server.kill();
    assert_no_page_errors(&v);
    let before = v["before"]["places"].as_u64().unwrap_or(0);
    assert!(
        v["before"]["features"].as_u64().unwrap_or(0) > 3,
        "clusters drawn: {v}"
    );
    // metropolitan France at zoom 5: most places are in view
    assert!(before > 2000 && before <= ds.positioned() as u64, "{v}");
    // the counter shows the places listed by default: one per group of duplicates
    let listed = ds.all_matching(&Filter::default()).count();
    assert!(
        listed < ds.lieux().len(),
        "the embedded list has duplicates"
    );
    let shown = digits(v["countBefore"].as_str().unwrap_or(""));
    assert_eq!(shown, listed.to_string());
    // the filter changed what the map counts, and the counter agrees with /v1/stats
    let open: serde_json::Value = serde_json::from_str(&stats_open).expect("stats");
    let shown_open = digits(v["countAfter"].as_str().unwrap_or(""));
    assert_eq!(shown_open, open["total"].to_string());
    assert!(
        v["after"]["places"].as_u64().unwrap_or(u64::MAX) <= open["total"].as_u64().unwrap_or(0)
    );
    assert_eq!(v["card"], target.nom.as_str());
}

pub(crate) fn run_node(dir: &Path, script: &str, args: &[String]) -> serde_json::Value {
    let out = Command::new("node")
        .arg(dir.join(script))
        .args(args)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "node {script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from the browser script")
}

pub(crate) fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

#[test]
fn national_web_component_shows_the_places_of_lieux_json() {
    let Some(dir) = browser_ready() else { return };
    if !dir
        .join("node_modules/@gouvfr-anct/cartographie-nationale/cartographie.js")
        .exists()
    {
        eprintln!(
            "skipping: tests/browser/node_modules lacks @gouvfr-anct/cartographie-nationale (run .ci/run)"
        );
        return;
    }
    let (mut server, addr) = crate::cli::start(&[]);
    let (_, body) = crate::cli::http_get(&addr, "/v1/lieux.json");
    let v = run_node(
        &dir,
        "cartographie.mjs",
        &[
            format!("http://{addr}/v1/lieux.json"),
            artifacts().display().to_string(),
            "46.5".into(),
            "2.4".into(),
            "5".into(),
        ],
    );
    let _ = server.kill();
    let records: Vec<serde_json::Value> = serde_json::from_str(&body).expect("lieux.json");
    // the component shows the places that have a position, one per group of duplicates
    let ds = Dataset::embedded().expect("embedded");
    let listed = ds
        .all_matching(&Filter::default())
        .filter(|&s| ds.lieu(s).position.is_some())
        .count() as u64;
    assert!(listed < ds.positioned() as u64, "duplicates are left out");
    let n = records.iter().filter(|r| r["latitude"].is_f64()).count() as u64;
    assert_eq!(n, listed);
    assert_no_page_errors(&v);
    // below zoom 9 the component counts places per région, plus the total
    let counts: Vec<u64> = v["regions"]
        .as_array()
        .expect("regions")
        .iter()
        .filter_map(serde_json::Value::as_u64)
        .collect();
    let total = counts.iter().copied().max().unwrap_or(0);
    assert_eq!(
        total, n,
        "the component's total is our number of places: {counts:?}"
    );
    assert_eq!(
        counts.iter().sum::<u64>() - total,
        n,
        "régions add up: {counts:?}"
    );
    assert!(
        counts.len() >= 15,
        "every région and overseas territory: {counts:?}"
    );
    // inside the first région's first département (Ain), it lists our places by name (it
    // rewrites names in sentence case: "France services de bourg en bresse")
    let names: std::collections::HashSet<String> = records
        .iter()
        .filter(|r| {
            r["code_postal"]
                .as_str()
                .is_some_and(|c| c.starts_with("01"))
        })
        .filter_map(|r| r["nom"].as_str().map(str::to_lowercase))
        .collect();
    let text = v["text"].as_str().unwrap_or("");
    let listed = text
        .lines()
        .filter(|l| names.contains(&l.trim().to_lowercase()))
        .count();
    assert!(
        listed >= 5,
        "our places of the Ain listed by name ({listed}): {text}"
    );
}

#[test]
fn map_tools_near_me_within_30_min_and_cluster_labels() {
    let Some(dir) = browser_ready() else { return };
    let ds = Dataset::embedded().expect("embedded");
    let (me_lat, me_lon) = (43.6045, 1.4442); // Toulouse, Capitole
    let (mut server, addr) = crate::cli::start(&[]);
    let v = run_node(
        &dir,
        "outils.mjs",
        &[
            format!("http://{addr}"),
            artifacts().display().to_string(),
            me_lat.to_string(),
            me_lon.to_string(),
        ],
    );
    let (_, reach) = crate::cli::http_get(
        &addr,
        "/v1/lieux/reachable?lat=45.76400&lon=4.83570&minutes=30&mode=car",
    );
    let _ = server.kill();
    assert_no_page_errors(&v);

    // cluster labels: every rendered cluster label has its image
    let labels = &v["labels"];
    assert!(labels["rendered"].as_u64().unwrap_or(0) > 3, "{labels}");
    assert_eq!(labels["images"], labels["distinct"], "{labels}");

    // near me: the 10 nearest of the library, in order, from the granted position
    let nearest = |lon: f64, lat: f64| -> Vec<String> {
        ds.nearest(Position { lon, lat }, 10, None, &Filter::default())
            .iter()
            .map(|h| ds.lieu(h.slot).id.to_string())
            .collect()
    };
    let ids = |k: &str| -> Vec<String> {
        v[k].as_array()
            .expect(k)
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(ids("nearMe"), nearest(me_lon, me_lat), "{v}");
    assert_eq!(v["nearMeTitle"], "Les plus proches de vous");
    assert!(
        v["nearMeDistances"][0]
            .as_str()
            .is_some_and(|d| d.ends_with(" m") || d.ends_with(" km"))
    );
    // refused geolocation: the map centre instead, and the page says so
    let c = &v["fallbackCenter"];
    let (cx, cy) = (c[0].as_f64().unwrap_or(0.0), c[1].as_f64().unwrap_or(0.0));
    assert_eq!(ids("fallback"), nearest(cx, cy), "{v}");
    assert!(
        v["fallbackNote"]
            .as_str()
            .unwrap_or("")
            .contains("centre de la carte"),
        "{v}"
    );

    // within 30 min: polygon drawn, list = /v1/lieux/reachable, labelled as an estimate
    let reach: serde_json::Value = serde_json::from_str(&reach).expect("reachable");
    let want = reach["features"].as_array().map(Vec::len).unwrap_or(0);
    assert!(want > 3, "{reach}");
    assert_eq!(reach["estimate"], "straight_line", "no graph loaded");
    let t = &v["trente"];
    assert!(
        t["zone"].as_u64().unwrap_or(0) > 0,
        "isochrone polygon rendered: {t}"
    );
    assert_eq!(
        digits(t["count"].as_str().unwrap_or("")),
        want.to_string(),
        "{t}"
    );
    assert_eq!(t["listed"].as_u64(), Some(want.min(50) as u64), "{t}");
    assert!(
        t["estimate"]
            .as_str()
            .unwrap_or("")
            .starts_with("Estimation"),
        "{t}"
    );
}
