//! `POST /v1/imports`: a file of places (schema CSV / JSON / GeoJSON, v0 or v1) replaces the
//! served places without a restart.
//!
//! - Enabled only when `lieux serve` got a bearer token (`LIEUX_IMPORT_TOKEN`); otherwise 404.
//! - The file goes through the same pipeline as `lieux import` ([`crate::import::read_bytes`]).
//!   A file that cannot be read, or whose rows are all rejected, changes nothing (422).
//! - `?source=NAME`: only the places whose `source` is `NAME` are replaced (every imported row
//!   gets `source = NAME`); the others are kept. Without it the whole set is replaced.
//! - The new [`Dataset`] is swapped in under the write lock; requests in flight keep the
//!   `Arc<Dataset>` they hold. Response caches (tiles, FlatGeobuf, ETags) key on the dataset
//!   version, so they follow without an explicit flush.
//! - With `serve --snapshot`, the merged set is written there first (tmp + fsync + rename): a
//!   restart serves what was last imported.
//! - `?mapping=NAME` (with `date_maj`, `id_prefix`): the body is a raw producer file mapped with
//!   `NAME.config.json` from the `serve --mappings` directory, read at each request.
//! - With a road graph, [`AppState::replace_dataset`] snaps the new places before the swap
//!   (this runs on the blocking pool while the old pair keeps serving).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::{Buf, Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use http::{HeaderValue, StatusCode, header};
use serde_json::json;
use warp::Reply;
use warp::reply::Response;

use super::AppState;
use super::params::Query;
use crate::dataset::Dataset;
use crate::error::error_chain;
use crate::import::{
    ImportOptions, ImportOutcome, ImportStats, Mapping, MappingError, MappingOptions,
};

/// Largest body accepted, bytes (the biggest shared producer file is a few MB).
pub const MAX_IMPORT_BYTES: u64 = 50 * 1024 * 1024;

/// Report rows returned in the response at most (the counts are always complete).
const MAX_REPORT_ROWS: usize = 5_000;

/// Live-import settings of a server, and the lock that runs imports one at a time (the merge
/// reads the current dataset: two concurrent imports would lose one's update).
#[derive(Debug, Default)]
pub struct LiveImports {
    token: Option<String>,
    pub(super) snapshot: Option<PathBuf>,
    /// `serve --mappings DIR`: the mapping configs `?mapping=NAME` names (`NAME.config.json`).
    mappings: Option<PathBuf>,
    running: Mutex<()>,
    /// The `snapshot` file as the last live import left it, so that the file watcher does not
    /// load again what this server already serves ([`super::watch`]).
    written: Mutex<Option<super::watch::Signature>>,
}

impl LiveImports {
    /// `token`: the bearer token (`None` or empty: imports disabled); `snapshot`: the file
    /// rewritten after each import.
    pub fn new(token: Option<String>, snapshot: Option<PathBuf>) -> LiveImports {
        LiveImports {
            token: token.filter(|t| !t.trim().is_empty()),
            snapshot,
            mappings: None,
            running: Mutex::new(()),
            written: Mutex::new(None),
        }
    }

    /// The snapshot file's metadata right after the last live import wrote it.
    pub(super) fn written(&self) -> Option<super::watch::Signature> {
        self.written
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// Why an import request is refused.
#[derive(Debug, thiserror::Error)]
enum LiveImportError {
    #[error("live imports are disabled on this server (start it with LIEUX_IMPORT_TOKEN set)")]
    Disabled,
    #[error("missing or wrong bearer token")]
    Unauthorized,
    #[error("{parameter}: {message}")]
    BadParameter { parameter: String, message: String },
    #[error("the file is larger than {MAX_IMPORT_BYTES} bytes")]
    TooLarge,
    #[error("cannot read the request body: {0}")]
    Body(String),
    #[error("{message}")]
    Unreadable { message: String },
    #[error("{message}")]
    BadMapping { message: String },
    #[error("no place accepted: every row was rejected")]
    NothingAccepted { report: serde_json::Value },
    #[error("cannot write the snapshot: {0}")]
    Snapshot(String),
    #[error("internal error")]
    Internal,
}

impl LiveImportError {
    fn into_response(self) -> Response {
        let message = self.to_string();
        let (status, body) = match self {
            LiveImportError::Disabled => (StatusCode::NOT_FOUND, error_body(None, &message)),
            LiveImportError::Unauthorized => (StatusCode::UNAUTHORIZED, error_body(None, &message)),
            LiveImportError::BadParameter { parameter, message } => (
                StatusCode::BAD_REQUEST,
                error_body(Some(&parameter), &message),
            ),
            LiveImportError::TooLarge => {
                (StatusCode::PAYLOAD_TOO_LARGE, error_body(None, &message))
            }
            LiveImportError::Body(_) => (StatusCode::BAD_REQUEST, error_body(None, &message)),
            LiveImportError::Unreadable { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                error_body(Some("body"), &message),
            ),
            LiveImportError::BadMapping { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                error_body(Some("mapping"), &message),
            ),
            LiveImportError::NothingAccepted { report } => {
                let mut body = json!({"error": {"parameter": "body", "message": message}});
                body["report"] = report;
                (StatusCode::UNPROCESSABLE_ENTITY, body)
            }
            LiveImportError::Snapshot(_) | LiveImportError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                error_body(None, &message),
            ),
        };
        let mut res = json_response(status, &body);
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"lieux imports\""),
            );
        }
        res
    }
}

fn error_body(parameter: Option<&str>, message: &str) -> serde_json::Value {
    match parameter {
        Some(p) => json!({"error": {"parameter": p, "message": message}}),
        None => json!({"error": {"message": message}}),
    }
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut res = warp::reply::with_status(warp::reply::json(body), status).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The request, as extracted by the route.
pub struct ImportRequest {
    pub query: String,
    pub authorization: Option<String>,
    pub content_length: Option<String>,
}

/// `POST /v1/imports?format=&source=`: see the module documentation.
pub async fn post<S, B>(state: Arc<AppState>, req: ImportRequest, body: S) -> Response
where
    S: Stream<Item = Result<B, warp::Error>> + Send,
    B: Buf,
{
    match handle(state, req, body).await {
        Ok(res) => res,
        Err(e) => e.into_response(),
    }
}

async fn handle<S, B>(
    state: Arc<AppState>,
    req: ImportRequest,
    body: S,
) -> Result<Response, LiveImportError>
where
    S: Stream<Item = Result<B, warp::Error>> + Send,
    B: Buf,
{
    let live = Arc::clone(&state.imports);
    let token = live.token.as_deref().ok_or(LiveImportError::Disabled)?;
    let given = req
        .authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "))
        .map(str::trim);
    if !given.is_some_and(|g| same(g.as_bytes(), token.as_bytes())) {
        return Err(LiveImportError::Unauthorized);
    }
    let p = params(&req.query)?;
    let options = import_options(&state, &p)?;
    if let Some(len) = &req.content_length
        && len
            .trim()
            .parse::<u64>()
            .map_or(true, |n| n > MAX_IMPORT_BYTES)
    {
        return Err(LiveImportError::TooLarge);
    }
    let bytes = read_limited(body, MAX_IMPORT_BYTES).await?;
    tokio::task::spawn_blocking(move || {
        import(&state, &p.name, &bytes, &options, p.source.as_deref())
    })
    .await
    .map_err(|e| {
        tracing::error!(%e, "live import task failed");
        LiveImportError::Internal
    })?
}

/// The query of `POST /v1/imports`.
#[derive(Debug, Default, PartialEq)]
struct Params {
    /// The name the import pipeline sniffs the format from (extension, else content).
    name: String,
    source: Option<String>,
    /// A config of the server's `--mappings` directory (`NAME.config.json`).
    mapping: Option<String>,
    date_maj: Option<chrono::NaiveDate>,
    id_prefix: Option<String>,
    /// `geocoder=offline`: rows without coordinates are placed at their commune.
    geocode_offline: bool,
}

fn bad(parameter: &str, message: &str) -> LiveImportError {
    LiveImportError::BadParameter {
        parameter: parameter.to_owned(),
        message: message.to_owned(),
    }
}

/// `format`, `source`, `mapping`, `date_maj`, `id_prefix`, `geocoder`.
fn params(raw: &str) -> Result<Params, LiveImportError> {
    let q = Query::parse(raw).map_err(|e| bad(&e.parameter, &e.message))?;
    let mut p = Params {
        name: "upload".to_owned(),
        ..Params::default()
    };
    let text = |k: &str, v: &str, max: usize| {
        let v = v.trim();
        if v.is_empty() || v.len() > max {
            return Err(bad(k, &format!("expected 1 to {max} bytes")));
        }
        Ok(v.to_owned())
    };
    for (k, v) in &q.pairs {
        match k.as_str() {
            "format" => match v.as_str() {
                "csv" | "json" | "geojson" => p.name = format!("upload.{v}"),
                _ => return Err(bad("format", "expected csv, json or geojson")),
            },
            "source" => p.source = Some(text(k, v, 200)?),
            "mapping" => {
                let ok = !v.is_empty()
                    && v.len() <= 100
                    && !v.starts_with('.')
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
                if !ok {
                    return Err(bad(
                        "mapping",
                        "expected the name of a mapping config (letters, digits, '-', '_', '.')",
                    ));
                }
                p.mapping = Some(v.clone());
            }
            "date_maj" => {
                let d = chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
                    .map_err(|_| bad("date_maj", "expected a date YYYY-MM-DD"))?;
                p.date_maj = Some(d);
            }
            "id_prefix" => p.id_prefix = Some(text(k, v, 100)?),
            // Only the embedded commune table: a client-given BAN URL would have the server
            // fetch any address it is told (BAN geocoding is for `lieux import --geocoder`).
            "geocoder" => match v.as_str() {
                "offline" => p.geocode_offline = true,
                _ => return Err(bad("geocoder", "expected offline")),
            },
            _ => {
                return Err(bad(
                    k,
                    "unknown parameter (expected format, source, mapping, date_maj, id_prefix, geocoder)",
                ));
            }
        }
    }
    if p.mapping.is_none() {
        for (given, name) in [
            (p.date_maj.is_some(), "date_maj"),
            (p.id_prefix.is_some(), "id_prefix"),
        ] {
            if given {
                return Err(bad(name, "only with mapping (a raw producer file)"));
            }
        }
    }
    Ok(p)
}

/// The import options of a request: its mapping config read from the `--mappings` directory
/// (at each request, so configs can be added or fixed without a restart).
fn import_options(state: &AppState, p: &Params) -> Result<ImportOptions, LiveImportError> {
    let live = &state.imports;
    let mut geocoders: Vec<std::sync::Arc<dyn crate::geocode::Geocoder>> = Vec::new();
    if p.geocode_offline {
        geocoders.push(std::sync::Arc::new(
            crate::geocode::offline::CommuneGeocoder::embedded(),
        ));
    }
    // `serve --geocoder URL`: rows with coordinates and no street address take the address
    // at their point, as with `lieux import --geocoder URL`
    if let Some(ban) = &state.geocoder {
        geocoders.push(std::sync::Arc::new(crate::geocode::reverse::ReverseOnly(
            std::sync::Arc::clone(ban),
        )));
    }
    let Some(name) = &p.mapping else {
        return Ok(ImportOptions {
            geocoders,
            ..Default::default()
        });
    };
    let Some(dir) = &live.mappings else {
        return Err(bad(
            "mapping",
            "this server has no mapping configs (start it with --mappings DIR)",
        ));
    };
    let path = dir.join(format!("{name}.config.json"));
    if !path.is_file() {
        return Err(bad(
            "mapping",
            &format!("no mapping config {name:?} on this server"),
        ));
    }
    let mapping = Mapping::from_path(&path).map_err(|e| {
        let message = match &e {
            // The server's path is not the client's business.
            MappingError::Io { .. } => format!("mapping config {name:?} cannot be read"),
            MappingError::Json { line, column, .. } => {
                format!("mapping config {name:?} is not valid JSON (line {line}, column {column})")
            }
            MappingError::Key { .. } => format!("mapping config {name:?}: {e}"),
        };
        tracing::error!(error = %error_chain(&e), "live import: bad mapping config");
        LiveImportError::BadMapping { message }
    })?;
    Ok(ImportOptions {
        mapping: Some((
            mapping,
            MappingOptions {
                date_maj: p.date_maj,
                source: p.source.clone(),
                id_prefix: p.id_prefix.clone(),
            },
        )),
        geocoders,
        ..Default::default()
    })
}

/// Constant-time comparison (the token must not leak through response timing).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn read_limited<S, B>(body: S, max: u64) -> Result<Bytes, LiveImportError>
where
    S: Stream<Item = Result<B, warp::Error>> + Send,
    B: Buf,
{
    let mut body = std::pin::pin!(body);
    let mut out = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let mut chunk = chunk.map_err(|e| LiveImportError::Body(e.to_string()))?;
        if (out.len() + chunk.remaining()) as u64 > max {
            return Err(LiveImportError::TooLarge);
        }
        while chunk.has_remaining() {
            let part = chunk.chunk();
            let n = part.len();
            out.extend_from_slice(part);
            chunk.advance(n);
        }
    }
    Ok(out.freeze())
}

/// Reads, merges, writes the snapshot and swaps the dataset (blocking pool).
fn import(
    state: &AppState,
    name: &str,
    bytes: &[u8],
    options: &ImportOptions,
    source: Option<&str>,
) -> Result<Response, LiveImportError> {
    let live = &state.imports;
    let _running = live.running.lock().unwrap_or_else(|p| p.into_inner());
    let metrics = state.metrics();
    let mut outcome = match crate::import::read_bytes_with(name, bytes, options) {
        Ok(o) => o,
        Err(e) => {
            metrics.record_import::<crate::import::ImportError>(Err(&e));
            return Err(LiveImportError::Unreadable {
                message: error_chain(&e),
            });
        }
    };
    // The served dataset is held only while merging, so that the swap below frees it as soon
    // as the requests in flight are done with it.
    let all = crate::import::merge_by_source(state.dataset().lieux(), &mut outcome, name, source);
    if outcome.lieux.is_empty() {
        metrics.record_import::<LiveImportError>(Err(&LiveImportError::Internal));
        return Err(LiveImportError::NothingAccepted {
            report: report_json(&outcome, None, source),
        });
    }
    // `all` holds copies of the accepted places; the report needs only their counts, so the
    // originals go before the new dataset is built: the swap holds the served dataset and the
    // new one, not a third copy of the imported rows.
    drop(std::mem::take(&mut outcome.lieux));
    let ds = Dataset::new(all);
    if let Some(path) = &live.snapshot
        && let Err(e) = crate::import::write_snapshot(path, ds.lieux())
    {
        tracing::error!(error = %error_chain(&e), "live import: snapshot not written");
        metrics.record_import(Err(&e));
        return Err(LiveImportError::Snapshot(error_chain(&e)));
    }
    if let Some(path) = &live.snapshot {
        *live.written.lock().unwrap_or_else(|p| p.into_inner()) = super::watch::signature(path);
    }
    let version = ds.version().to_owned();
    let total = ds.lieux().len();
    state.replace_dataset(ds);
    metrics.record_import::<LiveImportError>(Ok(&outcome.stats));
    tracing::info!(
        version,
        lieux = total,
        source = source.unwrap_or("(all)"),
        stats = %outcome.stats,
        "live import: dataset replaced"
    );
    let mut body = report_json(&outcome, Some(&version), source);
    body["lieux"] = json!(total);
    Ok(json_response(StatusCode::OK, &body))
}

fn report_json(
    outcome: &ImportOutcome,
    version: Option<&str>,
    source: Option<&str>,
) -> serde_json::Value {
    let ImportStats {
        rows,
        accepted,
        repaired,
        rejected,
        without_coordinates,
    } = outcome.stats;
    let report: Vec<_> = outcome
        .report
        .iter()
        .take(MAX_REPORT_ROWS)
        .map(|r| {
            json!({
                "line_or_index": r.line_or_index,
                "id": r.id,
                "field": r.field,
                "kind": r.kind.as_str(),
                "reason": r.reason,
                "value": r.value,
            })
        })
        .collect();
    json!({
        "version": version,
        "source": source,
        "rows": rows,
        "accepted": accepted,
        "repaired": repaired,
        "rejected": rejected,
        "without_coordinates": without_coordinates,
        // counted from every report row (the list below may be truncated)
        "summary": crate::import::ReportSummary::of_rows(&outcome.report),
        "report": report,
        "report_truncated": outcome.report.len() > MAX_REPORT_ROWS,
    })
}

/// Why a snapshot reload (`SIGHUP`) left the served data as it was.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("no snapshot to reload (the server was started without --snapshot)")]
    NoSnapshot,
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot load {path}")]
    Invalid {
        path: PathBuf,
        #[source]
        source: crate::Error,
    },
}

impl AppState {
    /// The same state taking `?mapping=NAME` on `POST /v1/imports` from `dir`
    /// (`NAME.config.json`, the mednum-cli mapping format).
    pub fn with_import_mappings(self, dir: PathBuf) -> AppState {
        let live = LiveImports {
            token: self.imports.token.clone(),
            snapshot: self.imports.snapshot.clone(),
            mappings: Some(dir),
            ..LiveImports::default()
        };
        AppState {
            imports: Arc::new(live),
            ..self
        }
    }

    /// Re-reads the `--snapshot` file and serves it (after live imports, one at a time);
    /// returns the new dataset version, `None` when the file holds the data already served
    /// (nothing replaced). On failure the served data is unchanged.
    pub fn reload_snapshot(&self) -> Result<Option<String>, ReloadError> {
        let path = self
            .imports
            .snapshot
            .as_ref()
            .ok_or(ReloadError::NoSnapshot)?;
        let _running = self
            .imports
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let ds = Dataset::from_snapshot_file(path).map_err(|e| match e {
            crate::Error::Io(source, path) => ReloadError::Read { path, source },
            source => ReloadError::Invalid {
                path: path.clone(),
                source,
            },
        })?;
        if ds.version() == self.dataset().version() {
            return Ok(None);
        }
        let version = ds.version().to_owned();
        self.replace_dataset(ds);
        Ok(Some(version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_comparison_and_params() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
        let p = |name: &str, source: Option<&str>| Params {
            name: name.to_owned(),
            source: source.map(str::to_owned),
            ..Params::default()
        };
        assert_eq!(params("").ok(), Some(p("upload", None)));
        assert_eq!(
            params("format=csv&source=x").ok(),
            Some(p("upload.csv", Some("x")))
        );
        assert!(params("format=xls").is_err());
        assert!(params("mapping=../x").is_err());
        assert!(params("date_maj=2024-01-01").is_err());
        assert!(params("mapping=x&date_maj=2024-13-01").is_err());
        let m = params("mapping=la-creuse&date_maj=2024-01-02&id_prefix=c-").ok();
        assert_eq!(
            m.as_ref().and_then(|m| m.mapping.as_deref()),
            Some("la-creuse")
        );
        assert_eq!(m.and_then(|m| m.id_prefix), Some("c-".to_owned()));
    }
}
