//! Request limits and `/metrics` over real HTTP (the server loop of `lieux serve`): a client over
//! its rate gets a 429 with `Retry-After` and a JSON body, then recovers; the Prometheus
//! exposition parses and its counters move by exactly the requests sent.

use std::collections::HashMap;
use std::time::Duration;

use lieux::Dataset;
use lieux::http::AppState;
use lieux::http::limits::Limits;
use serde_json::Value;

use crate::util::{Server, request};

/// `GET path`: status, lower-case headers, body.
fn get(server: &Server, path: &str) -> (u16, HashMap<String, String>, Vec<u8>) {
    request(server, "GET", path, &[], b"")
}

fn embedded() -> AppState {
    AppState::new(Dataset::embedded().unwrap())
}

#[test]
fn rate_limit_answers_429_with_retry_after_then_recovers() {
    // 0.5 request per second, burst 3: the 4th quick request is refused for 2 s
    let limits = Limits::new(0.5, 3, 64, 64, 30.0).unwrap();
    let server = Server::start(embedded().with_limits(limits));
    for i in 0..3 {
        let (status, _, _) = get(&server, "/health");
        assert_eq!(status, 200, "request {i} within the burst");
    }
    let (status, headers, body) = get(&server, "/v1/lieux/nearest?lat=48.85&lon=2.35&k=1");
    assert_eq!(status, 429);
    let retry: u64 = headers["retry-after"].parse().unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    assert!(headers["content-type"].starts_with("application/json"));
    let v: Value = serde_json::from_slice(&body).unwrap();
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("rate limit"), "{message}");
    // waiting as told is enough
    std::thread::sleep(Duration::from_secs(retry) + Duration::from_millis(100));
    let (status, _, body) = get(&server, "/v1/lieux/nearest?lat=48.85&lon=2.35&k=1");
    assert_eq!(status, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["features"].as_array().unwrap().len(), 1);
    // and the refusal was counted
    std::thread::sleep(Duration::from_secs(2) + Duration::from_millis(100));
    let m = scrape(&server);
    assert_eq!(
        value(&m, "lieux_http_refused_total", &[("reason", "rate_limit")]),
        1.0
    );
    let nearest = [("route", "/v1/lieux/nearest"), ("method", "GET")];
    assert_eq!(
        value(
            &m,
            "lieux_http_requests_total",
            &[nearest[0], nearest[1], ("status", "429")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &m,
            "lieux_http_requests_total",
            &[nearest[0], nearest[1], ("status", "200")]
        ),
        1.0
    );
}

#[test]
fn without_a_rate_limit_a_burst_is_never_refused() {
    let server = Server::start(embedded());
    for _ in 0..200 {
        assert_eq!(get(&server, "/health").0, 200);
    }
}

type Scrape = Vec<prometheus_parse::Sample>;

fn scrape(server: &Server) -> Scrape {
    let (status, headers, body) = get(server, "/metrics");
    assert_eq!(status, 200);
    assert!(headers["content-type"].starts_with("text/plain; version=0.0.4"));
    let text = String::from_utf8(body).unwrap();
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    prometheus_parse::Scrape::parse(lines)
        .expect("valid Prometheus text format")
        .samples
}

/// The value of the sample `name` whose labels include `labels` (0 when absent: counters that
/// never moved). Histograms: `name` `_count` gives the count.
fn value(samples: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<f64> = samples
        .iter()
        .filter(|s| s.metric == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => *v,
            prometheus_parse::Value::Histogram(_) | prometheus_parse::Value::Summary(_) => {
                panic!("{name} is a histogram or summary")
            }
        })
        .collect();
    assert!(
        found.len() <= 1,
        "{name} {labels:?}: {} samples",
        found.len()
    );
    found.first().copied().unwrap_or(0.0)
}

fn histogram_count(samples: &Scrape, name: &str, route: &str) -> f64 {
    samples
        .iter()
        .filter(|s| s.metric == name && s.labels.get("route") == Some(route))
        .find_map(|s| match &s.value {
            prometheus_parse::Value::Histogram(buckets) => {
                // the +Inf bucket holds every observation
                buckets
                    .iter()
                    .find(|b| b.less_than.is_infinite())
                    .map(|b| b.count)
            }
            _ => None,
        })
        .unwrap_or(0.0)
}

#[test]
fn metrics_count_requests_per_route_template() {
    let server = Server::start(embedded());
    let before = scrape(&server);
    let req = |route, status| [("route", route), ("method", "GET"), ("status", status)];
    let n0 = value(
        &before,
        "lieux_http_requests_total",
        &req("/v1/lieux/nearest", "200"),
    );
    let h0 = histogram_count(
        &before,
        "lieux_http_request_duration_seconds",
        "/v1/lieux/nearest",
    );
    for (lat, lon) in [(48.85, 2.35), (45.76, 4.84), (43.6, 1.44)] {
        let (status, _, _) = get(
            &server,
            &format!("/v1/lieux/nearest?lat={lat}&lon={lon}&k=3"),
        );
        assert_eq!(status, 200);
    }
    assert_eq!(get(&server, "/v1/lieux/nearest?lat=91&lon=0").0, 400);
    assert_eq!(get(&server, "/v1/lieux/france-services-1").0, 200);
    assert_eq!(get(&server, "/v1/lieux/no-such-place").0, 404);
    assert_eq!(get(&server, "/tiles/lieux/5/16/11.mvt").0, 200);
    assert_eq!(get(&server, "/no/such/path").0, 404);
    let (_, _, health) = get(&server, "/health");
    let health: Value = serde_json::from_slice(&health).unwrap();

    let after = scrape(&server);
    let delta = |route, status| {
        value(&after, "lieux_http_requests_total", &req(route, status))
            - value(&before, "lieux_http_requests_total", &req(route, status))
    };
    assert_eq!(
        value(
            &after,
            "lieux_http_requests_total",
            &req("/v1/lieux/nearest", "200")
        ) - n0,
        3.0
    );
    assert_eq!(delta("/v1/lieux/nearest", "400"), 1.0);
    assert_eq!(delta("/v1/lieux/:id", "200"), 1.0);
    assert_eq!(delta("/v1/lieux/:id", "404"), 1.0);
    assert_eq!(delta("/tiles/lieux/:z/:x/:y", "200"), 1.0);
    assert_eq!(delta("other", "404"), 1.0);
    assert_eq!(delta("/health", "200"), 1.0);
    // the first scrape is counted by the second
    assert_eq!(delta("/metrics", "200"), 1.0);
    assert_eq!(
        histogram_count(
            &after,
            "lieux_http_request_duration_seconds",
            "/v1/lieux/nearest"
        ) - h0,
        4.0
    );
    // route templates only: no series names a raw id or tile
    for s in &after {
        if let Some(route) = s.labels.get("route") {
            assert!(
                !route.contains("france-services") && !route.contains("/5/"),
                "raw path in a label: {route}"
            );
        }
    }
    // the dataset, checked against /health
    let version = health["version"].as_str().unwrap();
    assert_eq!(
        value(&after, "lieux_dataset_info", &[("version", version)]),
        1.0
    );
    assert_eq!(
        value(&after, "lieux_dataset_places", &[]),
        health["lieux"].as_f64().unwrap()
    );
    assert_eq!(
        value(&after, "lieux_dataset_positioned_places", &[]),
        health["positioned"].as_f64().unwrap()
    );
    let loaded =
        chrono::DateTime::parse_from_rfc3339(health["loaded_at"].as_str().unwrap()).unwrap();
    let loaded_s = value(&after, "lieux_dataset_loaded_timestamp_seconds", &[]);
    assert!((loaded_s - loaded.timestamp_millis() as f64 / 1000.0).abs() < 0.01);
    assert!(value(&after, "lieux_dataset_age_seconds", &[]) >= 0.0);
    // import outcomes exist as series before any import
    assert_eq!(
        value(&after, "lieux_imports_total", &[("outcome", "ok")]),
        0.0
    );
    assert!(after.iter().any(|s| s.metric == "lieux_imports_total"));
}

#[test]
fn import_outcomes_are_counted() {
    let state = embedded();
    let metrics = state.metrics();
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/dirty-v1.csv"
    ))
    .unwrap();
    let o = lieux::import::read_bytes("dirty-v1.csv", &bytes).unwrap();
    assert!(o.stats.accepted > 0 && o.stats.rejected > 0, "{}", o.stats);
    metrics.record_import::<()>(Ok(&o.stats));
    let failure = lieux::import::ImportError::Snapshot("disk full".to_owned());
    metrics.record_import(Err(&failure));
    let server = Server::start(state);
    let m = scrape(&server);
    assert_eq!(
        value(&m, "lieux_imports_total", &[("outcome", "failed")]),
        1.0
    );
    assert_eq!(value(&m, "lieux_imports_total", &[("outcome", "ok")]), 1.0);
    for (label, n) in [
        ("accepted", o.stats.accepted),
        ("repaired", o.stats.repaired),
        ("rejected", o.stats.rejected),
        ("unpositioned", o.stats.without_coordinates),
    ] {
        assert_eq!(
            value(&m, "lieux_import_rows_total", &[("outcome", label)]),
            n as f64
        );
    }
}
