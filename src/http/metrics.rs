//! `GET /metrics`: Prometheus text exposition (format 0.0.4) with the `prometheus` crate.
//!
//! Per route **template** (never the raw path, which would make one series per id or tile):
//! request counts by method and status, and latency histograms (time to the response head;
//! streamed bodies continue after it). Also the dataset served (version, size, age), requests
//! refused by the limits ([`super::limits`]) and the outcomes of imports, which an import path
//! running inside the server bumps with [`Metrics::record_import`].

use std::time::Duration;

use chrono::Utc;
use prometheus::{
    Encoder, Gauge, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder, core::Collector,
};

use crate::import::ImportStats;

/// Content type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Latency buckets, seconds: from a cached answer (sub-millisecond) to a 2-hour isochrone.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The service's metrics, registered in their own registry (no global state: every
/// [`super::AppState`] has its own, so tests do not share counters).
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    refused: IntCounterVec,
    dataset_info: GaugeVec,
    dataset_places: IntGauge,
    dataset_positioned: IntGauge,
    dataset_loaded: Gauge,
    dataset_age: Gauge,
    imports: IntCounterVec,
    import_rows: IntCounterVec,
    follow: IntCounterVec,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// Registers a collector built from constant definitions and returns it. Construction only
/// fails on an invalid name or label set, constants here; a registration failure is logged.
fn register<C: Collector + Clone + 'static>(registry: &Registry, made: prometheus::Result<C>) -> C {
    let collector = match made {
        Ok(c) => c,
        Err(e) => unreachable!("metric definitions are constant and valid: {e}"),
    };
    if let Err(e) = registry.register(Box::new(collector.clone())) {
        tracing::error!(%e, "registering a metric");
    }
    collector
}

impl Metrics {
    /// New, zeroed metrics. Metric names and labels are constants: creating and registering
    /// them cannot fail, so failures are logged rather than propagated.
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let requests = register(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "lieux_http_requests_total",
                    "HTTP requests answered, by route template, method and status.",
                ),
                &["route", "method", "status"],
            ),
        );
        let latency = register(
            &registry,
            HistogramVec::new(
                HistogramOpts::new(
                    "lieux_http_request_duration_seconds",
                    "Time from the request to the response head, by route template.",
                )
                .buckets(BUCKETS.to_vec()),
                &["route"],
            ),
        );
        let refused = register(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "lieux_http_refused_total",
                    "Requests refused by the limits: rate_limit (429), overload or timeout (503).",
                ),
                &["reason"],
            ),
        );
        let dataset_info = register(
            &registry,
            GaugeVec::new(
                Opts::new(
                    "lieux_dataset_info",
                    "The dataset served (always 1; its content-hash version is the label).",
                ),
                &["version"],
            ),
        );
        let dataset_places = register(
            &registry,
            IntGauge::new("lieux_dataset_places", "Places in the dataset."),
        );
        let dataset_positioned = register(
            &registry,
            IntGauge::new(
                "lieux_dataset_positioned_places",
                "Places with coordinates (in the spatial index).",
            ),
        );
        let dataset_loaded = register(
            &registry,
            Gauge::new(
                "lieux_dataset_loaded_timestamp_seconds",
                "When the dataset was loaded, Unix seconds.",
            ),
        );
        let dataset_age = register(
            &registry,
            Gauge::new(
                "lieux_dataset_age_seconds",
                "Seconds since the dataset was loaded.",
            ),
        );
        let imports = register(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "lieux_imports_total",
                    "Imports run by this process, by outcome (ok, failed).",
                ),
                &["outcome"],
            ),
        );
        let follow = register(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "lieux_follow_polls_total",
                    "Polls of a follower's source (serve --follow), by outcome: unchanged, \
                     updated, or why a new version was not taken (unreachable, status, \
                     no_etag, too_large, truncated, checksum, invalid, version_mismatch, io).",
                ),
                &["outcome"],
            ),
        );
        let import_rows = register(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "lieux_import_rows_total",
                    "Rows read by imports, by outcome (accepted, repaired, rejected, unpositioned).",
                ),
                &["outcome"],
            ),
        ); // Series that exist before the first event, so dashboards see zeros, not gaps.
        for reason in ["rate_limit", "overload", "timeout"] {
            refused.with_label_values(&[reason]);
        }
        for outcome in ["ok", "failed"] {
            imports.with_label_values(&[outcome]);
        }
        for outcome in ["accepted", "repaired", "rejected", "unpositioned"] {
            import_rows.with_label_values(&[outcome]);
        }
        Metrics {
            registry,
            requests,
            latency,
            refused,
            dataset_info,
            dataset_places,
            dataset_positioned,
            dataset_loaded,
            dataset_age,
            imports,
            import_rows,
            follow,
        }
    }

    /// Counts one answered request.
    pub fn record_request(&self, route: &str, method: &str, status: u16, took: Duration) {
        self.requests
            .with_label_values(&[route, method, status_label(status)])
            .inc();
        self.latency
            .with_label_values(&[route])
            .observe(took.as_secs_f64());
    }

    /// Counts a request refused by a limit: `rate_limit`, `overload` or `timeout`.
    /// Counts one poll of a follower's source ([`super::follow`]).
    pub fn record_follow(&self, outcome: &str) {
        self.follow.with_label_values(&[outcome]).inc();
    }

    pub fn record_refused(&self, reason: &str) {
        self.refused.with_label_values(&[reason]).inc();
    }

    /// Counts an import's outcome: its row statistics when it succeeded, a failure otherwise.
    pub fn record_import<E>(&self, outcome: Result<&ImportStats, &E>) {
        match outcome {
            Ok(s) => {
                self.imports.with_label_values(&["ok"]).inc();
                for (label, n) in [
                    ("accepted", s.accepted),
                    ("repaired", s.repaired),
                    ("rejected", s.rejected),
                    ("unpositioned", s.without_coordinates),
                ] {
                    self.import_rows
                        .with_label_values(&[label])
                        .inc_by(n as u64);
                }
            }
            Err(_) => self.imports.with_label_values(&["failed"]).inc(),
        }
    }

    /// The text exposition, with the dataset gauges set from `ds` as of now.
    pub fn render(&self, ds: &crate::Dataset, loaded_at: chrono::DateTime<Utc>) -> Vec<u8> {
        self.dataset_info.reset();
        self.dataset_info
            .with_label_values(&[ds.version()])
            .set(1.0);
        self.dataset_places.set(ds.lieux().len() as i64);
        self.dataset_positioned.set(ds.positioned() as i64);
        self.dataset_loaded
            .set(loaded_at.timestamp_millis() as f64 / 1000.0);
        let age = Utc::now().signed_duration_since(loaded_at);
        self.dataset_age
            .set(age.num_milliseconds().max(0) as f64 / 1000.0);
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(%e, "encoding metrics");
        }
        out
    }
}

/// Status codes as label values without allocating.
fn status_label(status: u16) -> &'static str {
    match status {
        200 => "200",
        204 => "204",
        206 => "206",
        304 => "304",
        400 => "400",
        404 => "404",
        405 => "405",
        416 => "416",
        422 => "422",
        429 => "429",
        500 => "500",
        503 => "503",
        s if s < 200 => "1xx",
        s if s < 300 => "2xx",
        s if s < 400 => "3xx",
        s if s < 500 => "4xx",
        _ => "5xx",
    }
}

/// The route template of a request path: its `/openapi.json` path with `:name` parameters
/// (braces confuse some exposition parsers) (`/v1/lieux/:id`,
/// `/tiles/lieux/:z/:x/:y`…); `/:asset` for the map page's files, `other` for the rest
/// (404s), so that label values stay few whatever clients send.
pub fn route_template(path: &str) -> &'static str {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segs.as_slice() {
        [""] => "/",
        ["v1", "lieux"] => "/v1/lieux",
        ["v1", "lieux.csv"] => "/v1/lieux.csv",
        ["v1", "lieux.fgb"] => "/v1/lieux.fgb",
        ["v1", "lieux", "nearest"] => "/v1/lieux/nearest",
        ["v1", "lieux", "reachable"] => "/v1/lieux/reachable",
        ["v1", "lieux", "closest"] => "/v1/lieux/closest",
        ["v1", "lieux", _] => "/v1/lieux/:id",
        ["v1", "isochrone"] => "/v1/isochrone",
        ["v1", "stats"] => "/v1/stats",
        ["v1", "adresses"] => "/v1/adresses",
        ["conformance"] => "/conformance",
        ["collections"] => "/collections",
        ["collections", _] => "/collections/:collectionId",
        ["collections", _, "items"] => "/collections/:collectionId/items",
        ["collections", _, "items", _] => "/collections/:collectionId/items/:featureId",
        ["tiles", "lieux"] => "/tiles/lieux",
        ["tiles", "lieux", _, _, _] => "/tiles/lieux/:z/:x/:y",
        ["openapi.json"] => "/openapi.json",
        ["health"] => "/health",
        ["metrics"] => "/metrics",
        ["widget.js"] => "/widget.js",
        ["app.js"] | ["favicon.ico"] | ["favicon.svg"] | ["vendor", _] | ["basemap", _] => {
            "/:asset"
        }
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_do_not_leak_raw_paths() {
        assert_eq!(route_template("/"), "/");
        assert_eq!(route_template("/v1/lieux/abc-123"), "/v1/lieux/:id");
        assert_eq!(route_template("/v1/lieux/nearest"), "/v1/lieux/nearest");
        assert_eq!(
            route_template("/tiles/lieux/3/4/5.mvt"),
            "/tiles/lieux/:z/:x/:y"
        );
        assert_eq!(
            route_template("/collections/lieux/items/x"),
            "/collections/:collectionId/items/:featureId"
        );
        assert_eq!(route_template("/no/such/thing"), "other");
        assert_eq!(route_template("/v1/lieux/a/b"), "other");
    }
}
