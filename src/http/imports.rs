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

use std::collections::HashSet;
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
use crate::import::{ImportOptions, ImportOutcome, ImportStats, ReportKind, ReportRow};

/// Largest body accepted, bytes (the biggest shared producer file is a few MB).
pub const MAX_IMPORT_BYTES: u64 = 50 * 1024 * 1024;

/// Report rows returned in the response at most (the counts are always complete).
const MAX_REPORT_ROWS: usize = 5_000;

/// Live-import settings of a server, and the lock that runs imports one at a time (the merge
/// reads the current dataset: two concurrent imports would lose one's update).
#[derive(Debug, Default)]
pub struct LiveImports {
    token: Option<String>,
    snapshot: Option<PathBuf>,
    running: Mutex<()>,
}

impl LiveImports {
    /// `token`: the bearer token (`None` or empty: imports disabled); `snapshot`: the file
    /// rewritten after each import.
    pub fn new(token: Option<String>, snapshot: Option<PathBuf>) -> LiveImports {
        LiveImports {
            token: token.filter(|t| !t.trim().is_empty()),
            snapshot,
            running: Mutex::new(()),
        }
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
    #[error(
        "live imports are not available while a road graph is loaded (places are snapped to \
         it at start): import with `lieux import` and restart"
    )]
    GraphLoaded,
    #[error("{message}")]
    Unreadable { message: String },
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
            LiveImportError::GraphLoaded => (StatusCode::CONFLICT, error_body(None, &message)),
            LiveImportError::Unreadable { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                error_body(Some("body"), &message),
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
pub struct Request {
    pub query: String,
    pub authorization: Option<String>,
    pub content_length: Option<String>,
}

/// `POST /v1/imports?format=&source=`: see the module documentation.
pub async fn post<S, B>(state: AppState, req: Request, body: S) -> Response
where
    S: Stream<Item = Result<B, warp::Error>> + Send,
    B: Buf,
{
    match handle(state, req, body).await {
        Ok(res) => res,
        Err(e) => e.into_response(),
    }
}

async fn handle<S, B>(state: AppState, req: Request, body: S) -> Result<Response, LiveImportError>
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
    let (name, source) = params(&req.query)?;
    if state.router.is_some() {
        return Err(LiveImportError::GraphLoaded);
    }
    if let Some(len) = &req.content_length
        && len
            .trim()
            .parse::<u64>()
            .map_or(true, |n| n > MAX_IMPORT_BYTES)
    {
        return Err(LiveImportError::TooLarge);
    }
    let bytes = read_limited(body, MAX_IMPORT_BYTES).await?;
    tokio::task::spawn_blocking(move || import(&state, &name, &bytes, source.as_deref()))
        .await
        .map_err(|e| {
            tracing::error!(%e, "live import task failed");
            LiveImportError::Internal
        })?
}

/// `format` → the file name the import pipeline sniffs (extension, else content); `source`.
fn params(raw: &str) -> Result<(String, Option<String>), LiveImportError> {
    let bad = |parameter: &str, message: &str| LiveImportError::BadParameter {
        parameter: parameter.to_owned(),
        message: message.to_owned(),
    };
    let q = Query::parse(raw).map_err(|e| bad(&e.parameter, &e.message))?;
    let mut name = "upload".to_owned();
    let mut source = None;
    for (k, v) in &q.pairs {
        match k.as_str() {
            "format" => match v.as_str() {
                "csv" | "json" | "geojson" => name = format!("upload.{v}"),
                _ => return Err(bad("format", "expected csv, json or geojson")),
            },
            "source" => {
                let v = v.trim();
                if v.is_empty() || v.len() > 200 {
                    return Err(bad("source", "expected a source name (1 to 200 bytes)"));
                }
                source = Some(v.to_owned());
            }
            _ => return Err(bad(k, "unknown parameter (expected format, source)")),
        }
    }
    Ok((name, source))
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
    source: Option<&str>,
) -> Result<Response, LiveImportError> {
    let live = &state.imports;
    let _running = live.running.lock().unwrap_or_else(|p| p.into_inner());
    let metrics = state.metrics();
    let mut outcome = match crate::import::read_bytes_with(name, bytes, &ImportOptions::default()) {
        Ok(o) => o,
        Err(e) => {
            metrics.record_import::<crate::import::ImportError>(Err(&e));
            return Err(LiveImportError::Unreadable {
                message: error_chain(&e),
            });
        }
    };
    let current = state.dataset();
    let kept: Vec<_> = match source {
        Some(src) => {
            for l in &mut outcome.lieux {
                l.source = Some(src.to_owned());
            }
            let kept: Vec<_> = current
                .lieux()
                .iter()
                .filter(|l| l.source.as_deref() != Some(src))
                .cloned()
                .collect();
            reject_taken_ids(&mut outcome, &kept, name, src);
            kept
        }
        None => Vec::new(),
    };
    if outcome.lieux.is_empty() {
        metrics.record_import::<LiveImportError>(Err(&LiveImportError::Internal));
        return Err(LiveImportError::NothingAccepted {
            report: report_json(&outcome, None, source),
        });
    }
    let mut all = kept;
    all.extend(outcome.lieux.iter().cloned());
    let ds = Dataset::new(all);
    if let Some(path) = &live.snapshot
        && let Err(e) = crate::import::write_snapshot(path, ds.lieux())
    {
        tracing::error!(error = %error_chain(&e), "live import: snapshot not written");
        metrics.record_import(Err(&e));
        return Err(LiveImportError::Snapshot(error_chain(&e)));
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

/// With `?source=`, a new row may not take the id of a place another source keeps.
fn reject_taken_ids(
    outcome: &mut ImportOutcome,
    kept: &[crate::model::Lieu],
    name: &str,
    src: &str,
) {
    let taken: HashSet<&str> = kept.iter().map(|l| l.id.as_str()).collect();
    let before = outcome.lieux.len();
    let mut rejected = Vec::new();
    outcome.lieux.retain(|l| {
        let free = !taken.contains(l.id.as_str());
        if !free {
            rejected.push(l.id.clone());
        }
        free
    });
    for id in rejected {
        outcome.report.push(ReportRow {
            file: name.to_owned(),
            line_or_index: 0,
            reason: format!("id already used by a place of another source (not {src:?})"),
            field: "id".to_owned(),
            kind: ReportKind::Rejected,
            value: id.clone(),
            id,
        });
    }
    let n = before - outcome.lieux.len();
    outcome.stats.accepted -= n;
    outcome.stats.rejected += n;
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
        "report": report,
        "report_truncated": outcome.report.len() > MAX_REPORT_ROWS,
    })
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Why a snapshot reload (`SIGHUP`) left the served data as it was.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("no snapshot to reload (the server was started without --snapshot)")]
    NoSnapshot,
    #[error("a road graph is loaded: restart to serve another snapshot")]
    GraphLoaded,
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
    /// Re-reads the `--snapshot` file and serves it (after live imports, one at a time);
    /// returns the new dataset version. On failure the served data is unchanged.
    pub fn reload_snapshot(&self) -> Result<String, ReloadError> {
        let path = self
            .imports
            .snapshot
            .as_ref()
            .ok_or(ReloadError::NoSnapshot)?;
        if self.router.is_some() {
            return Err(ReloadError::GraphLoaded);
        }
        let _running = self
            .imports
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let bytes = std::fs::read(path).map_err(|source| ReloadError::Read {
            path: path.clone(),
            source,
        })?;
        let ds = Dataset::from_snapshot(&bytes).map_err(|source| ReloadError::Invalid {
            path: path.clone(),
            source,
        })?;
        let version = ds.version().to_owned();
        self.replace_dataset(ds);
        Ok(version)
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
        assert_eq!(params("").ok(), Some(("upload".to_owned(), None)));
        assert_eq!(
            params("format=csv&source=x").ok(),
            Some(("upload.csv".to_owned(), Some("x".to_owned())))
        );
        assert!(params("format=xls").is_err());
        assert!(params("mapping=x").is_err());
    }
}
