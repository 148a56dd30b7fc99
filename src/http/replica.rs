//! What replicas need from a server: `GET /v1/snapshot` (the whole dataset, as the snapshot file
//! `lieux import` writes, for followers: [`super::follow`]) and `GET /ready` (readiness, distinct
//! from `/health`'s liveness).
//!
//! The snapshot's strong ETag is the dataset version (the content hash every loader recomputes),
//! and `Repr-Digest` (RFC 9530) carries its SHA-256: a follower checks both before it swaps.
//! The bytes are encoded once per version and kept ([`VersionCache`]), so N followers polling cost
//! one encoding per import.
//!
//! A follower that has not loaded its first dataset yet is **not ready**: `/ready` answers 503
//! and so does every data endpoint ([`refuses`]), so neither a load balancer nor a client that
//! ignores readiness ever sees the placeholder data it starts with.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine;
use http::{HeaderValue, StatusCode, header};
use sha2::{Digest, Sha256};
use warp::Reply;
use warp::reply::Response;

use super::AppState;
use super::download::VersionCache;
use super::reply::{self, ApiError};
use crate::dataset::Dataset;

/// Media type of the snapshot (a FlatGeobuf file).
pub const SNAPSHOT_TYPE: &str = "application/flatgeobuf";

/// Readiness: false from the start of a follower until its first dataset is loaded.
#[derive(Clone, Debug)]
pub struct Readiness(Arc<AtomicBool>);

impl Default for Readiness {
    fn default() -> Self {
        Readiness(Arc::new(AtomicBool::new(true)))
    }
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::Release);
    }
}

/// The snapshot bytes of the last version asked for, with their `Repr-Digest`.
#[derive(Clone, Default)]
pub struct SnapshotCache(VersionCache<(bytes::Bytes, String)>);

/// The `Repr-Digest` field value of `bytes` (RFC 9530: `sha-256=:<base64>:`).
pub fn repr_digest(bytes: &[u8]) -> String {
    digest_value(&Sha256::digest(bytes))
}

/// The `Repr-Digest` field value of a SHA-256 sum.
pub fn digest_value(sum: &[u8]) -> String {
    format!(
        "sha-256=:{}:",
        base64::engine::general_purpose::STANDARD.encode(sum)
    )
}

impl SnapshotCache {
    /// Drops the bytes kept ([`VersionCache::clear`]).
    pub fn clear(&self) {
        self.0.clear();
    }

    /// The version whose bytes are kept, if any.
    #[cfg(test)]
    pub fn version(&self) -> Option<String> {
        self.0.version()
    }

    fn get(&self, ds: &Dataset) -> Result<(bytes::Bytes, String), crate::snapshot::SnapshotError> {
        self.0.get_with(ds, |lieux| {
            let bytes = crate::snapshot::encode_snapshot(lieux)?;
            let digest = repr_digest(&bytes);
            Ok((bytes.into(), digest))
        })
    }
}

/// The strong ETag of a dataset version's snapshot.
pub fn snapshot_etag(version: &str) -> String {
    format!("\"{version}\"")
}

/// `GET /v1/snapshot`: the dataset served, whole, as a snapshot file; 304 on `If-None-Match`
/// with the current version.
pub fn snapshot(state: &AppState, raw: &str, if_none_match: Option<&str>) -> Response {
    let run = || -> Result<Response, ApiError> {
        let q = super::params::Query::parse(raw)?;
        if let Some((k, _)) = q.pairs.first() {
            return Err(ApiError::bad(
                k,
                "unknown parameter; /v1/snapshot takes none",
            ));
        }
        let ds = state.dataset();
        let etag = snapshot_etag(ds.version());
        let fresh = if_none_match
            .is_some_and(|inm| inm.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
        let mut res = if fresh {
            let mut r = Response::default();
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            r
        } else {
            let (bytes, digest) = match state.snapshots.get(&ds) {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "encoding /v1/snapshot");
                    return Ok(reply::error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        None,
                        "internal error",
                    ));
                }
            };
            let mut r = Response::new(bytes.into());
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(SNAPSHOT_TYPE),
            );
            if let Ok(v) = HeaderValue::from_str(&digest) {
                h.insert("repr-digest", v);
            }
            r
        };
        let h = res.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&etag) {
            h.insert(header::ETAG, v);
        }
        // always revalidated: a cache in front must ask before serving an older version
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        Ok(res)
    };
    run().unwrap_or_else(ApiError::into_response)
}

/// `GET /ready`: 200 with the version served once a dataset is loaded, 503 before.
pub fn ready(state: &AppState) -> Response {
    let ready = state.readiness.is_ready();
    let ds = state.dataset();
    let body = if ready {
        serde_json::json!({"status": "ready", "version": ds.version()})
    } else {
        serde_json::json!({"status": "loading", "message": "no dataset loaded from the source yet"})
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut res = warp::reply::with_status(warp::reply::json(&body), status).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Whether a request for `path` is refused (503) because the server is not ready: data
/// endpoints are; liveness, readiness, metrics and the page's assets are not.
pub fn refuses(readiness: &Readiness, path: &str) -> bool {
    !readiness.is_ready()
        && ["/v1/", "/collections", "/tiles/", "/conformance"]
            .iter()
            .any(|p| path.starts_with(p))
}

/// The 503 a not-ready server answers on data endpoints.
pub fn not_ready() -> Response {
    let mut res = reply::error(
        StatusCode::SERVICE_UNAVAILABLE,
        None,
        "not ready: no dataset loaded from the source yet (see /ready)",
    );
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    res
}
