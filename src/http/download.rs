//! `GET /v1/lieux.fgb`: the dataset as one FlatGeobuf file with its packed Hilbert R-tree, for
//! clients that read it by HTTP ranges (GDAL `/vsicurl/`, QGIS, flatgeobuf's HTTP readers): they
//! fetch the header and index, then only the features inside their bbox.
//!
//! The file is written once per dataset version and kept in memory ([`FgbCache`]); ranges are
//! zero-copy slices of it. A range is always served uncompressed (its offsets address the file
//! itself); a whole-file download may be compressed like any other response.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use warp::reply::Response;

use super::encoding::{Coding, Encoder};
use super::reply::{ApiError, Ctx};
use crate::dataset::Dataset;

/// What one encoding of the dataset gives (the FlatGeobuf download's bytes; the snapshot's
/// bytes and digest), kept for the last dataset version asked for.
pub struct VersionCache<T>(Arc<Mutex<Option<(String, T)>>>);

impl<T> Default for VersionCache<T> {
    fn default() -> Self {
        VersionCache(Arc::default())
    }
}

impl<T> Clone for VersionCache<T> {
    fn clone(&self) -> Self {
        VersionCache(Arc::clone(&self.0))
    }
}

impl<T: Clone> VersionCache<T> {
    /// `encode(ds.lieux())`, made on first use of each version. Concurrent first requests
    /// wait for one encoder instead of each encoding.
    pub fn get_with<E>(
        &self,
        ds: &Dataset,
        encode: impl FnOnce(&[crate::model::Lieu]) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut slot = match self.0.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some((v, value)) = slot.as_ref()
            && v == ds.version()
        {
            return Ok(value.clone());
        }
        // the previous version's value goes before the new one is made
        *slot = None;
        let value = encode(ds.lieux())?;
        *slot = Some((ds.version().to_owned(), value.clone()));
        Ok(value)
    }

    /// Drops the value kept (a swap: the version it encodes is no longer served, and at 1 M
    /// places it is some 400 MB).
    pub fn clear(&self) {
        match self.0.lock() {
            Ok(mut g) => *g = None,
            Err(poisoned) => *poisoned.into_inner() = None,
        }
    }

    /// The version whose value is kept, if any.
    #[cfg(test)]
    pub fn version(&self) -> Option<String> {
        let slot = match self.0.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        slot.as_ref().map(|(v, _)| v.clone())
    }
}

/// The indexed FlatGeobuf file of the last dataset version asked for.
pub type FgbCache = VersionCache<Bytes>;

impl FgbCache {
    /// The indexed FlatGeobuf file for `ds` ([`crate::snapshot::encode_indexed`]).
    pub fn get(&self, ds: &Dataset) -> Result<Bytes, crate::snapshot::SnapshotError> {
        self.get_with(ds, |l| crate::snapshot::encode_indexed(l).map(Bytes::from))
    }
}

/// A parsed `Range` header against a body of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Range {
    /// No usable range: serve the whole body (absent, not `bytes`, several ranges, malformed —
    /// RFC 9110 §14.2 lets a server ignore those).
    Full,
    /// Bytes `start..=end`.
    Part(u64, u64),
    /// 416: no byte of the range exists.
    Unsatisfiable,
}

impl Range {
    pub fn parse(header: Option<&str>, len: u64) -> Range {
        let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
            return Range::Full;
        };
        if spec.contains(',') {
            return Range::Full;
        }
        let Some((a, b)) = spec.trim().split_once('-') else {
            return Range::Full;
        };
        let num = |s: &str| -> Option<u64> {
            let s = s.trim();
            (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        match (a.trim().is_empty(), num(a), num(b)) {
            // suffix: the last n bytes
            (true, _, Some(n)) => {
                if n == 0 || len == 0 {
                    Range::Unsatisfiable
                } else {
                    Range::Part(len.saturating_sub(n), len - 1)
                }
            }
            (false, Some(start), end) if b.trim().is_empty() || end.is_some() => {
                if end.is_some_and(|e| e < start) {
                    Range::Full
                } else if start >= len {
                    Range::Unsatisfiable
                } else {
                    Range::Part(start, end.map_or(len - 1, |e| e.min(len - 1)))
                }
            }
            _ => Range::Full,
        }
    }
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// `GET /v1/lieux.fgb`.
pub fn fgb(ds: &Dataset, cache: &FgbCache, raw: &str, ctx: &Ctx, req: &HeaderMap) -> Response {
    let run = || -> Result<Response, ApiError> {
        let q = super::params::Query::parse(raw)?;
        if let Some((k, _)) = q.pairs.first() {
            return Err(ApiError::bad(
                k,
                "unknown parameter; /v1/lieux.fgb takes none (it is one static file)",
            ));
        }
        let bytes = match cache.get(ds) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "writing /v1/lieux.fgb");
                return Ok(super::reply::error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    None,
                    "internal error",
                ));
            }
        };
        let len = bytes.len() as u64;
        let identity_tag = format!("\"{}-fgb\"", ds.version());
        // If-Range with another version: the client's earlier bytes are stale, send it all.
        let range_header = match header_str(req, header::IF_RANGE) {
            Some(t) if t.trim() != identity_tag => None,
            _ => header_str(req, header::RANGE),
        };
        let range = Range::parse(range_header, len);
        let coding = if range == Range::Full {
            ctx.coding
        } else {
            Coding::Identity
        };
        let tag = match coding.header() {
            Some(c) => format!("\"{}-fgb-{c}\"", ds.version()),
            None => identity_tag,
        };
        let not_modified = ctx.if_none_match.as_deref().is_some_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|t| t == "*" || t == tag || t.strip_prefix("W/") == Some(&tag))
        });
        let mut res = if not_modified {
            let mut r = Response::new(Bytes::new().into());
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            r
        } else {
            match range {
                Range::Full => {
                    let body = match coding {
                        Coding::Identity => bytes,
                        c => Bytes::from(Encoder::encode_all(c, bytes.to_vec())),
                    };
                    let mut r = Response::new(body.into());
                    if let Some(c) = coding.header() {
                        r.headers_mut()
                            .insert(header::CONTENT_ENCODING, HeaderValue::from_static(c));
                    }
                    r
                }
                Range::Part(start, end) => {
                    let mut r = Response::new(bytes.slice(start as usize..=end as usize).into());
                    *r.status_mut() = StatusCode::PARTIAL_CONTENT;
                    if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
                        r.headers_mut().insert(header::CONTENT_RANGE, v);
                    }
                    r
                }
                Range::Unsatisfiable => {
                    let mut r = super::reply::error(
                        StatusCode::RANGE_NOT_SATISFIABLE,
                        Some("Range"),
                        &format!("the file has {len} bytes"),
                    );
                    if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                        r.headers_mut().insert(header::CONTENT_RANGE, v);
                    }
                    r
                }
            }
        };
        let h = res.headers_mut();
        if range != Range::Unsatisfiable {
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/flatgeobuf"),
            );
        }
        h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("Content-Range, Accept-Ranges, ETag, Content-Length"),
        );
        if let Ok(v) = HeaderValue::from_str(&tag) {
            h.insert(header::ETAG, v);
        }
        if range != Range::Unsatisfiable {
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            );
        }
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        Ok(res)
    };
    run().unwrap_or_else(ApiError::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let cases = [
            (None, Range::Full),
            (Some("bytes=0-7"), Range::Part(0, 7)),
            (Some("bytes=10-"), Range::Part(10, 99)),
            (Some("bytes=90-200"), Range::Part(90, 99)),
            (Some("bytes=-10"), Range::Part(90, 99)),
            (Some("bytes=-1000"), Range::Part(0, 99)),
            (Some("bytes=100-"), Range::Unsatisfiable),
            (Some("bytes=-0"), Range::Unsatisfiable),
            (Some("bytes=5-1"), Range::Full),
            (Some("bytes=0-1,5-6"), Range::Full),
            (Some("items=0-1"), Range::Full),
            (Some("bytes=a-b"), Range::Full),
            (Some("bytes=+1-2"), Range::Full),
            (Some("bytes=-"), Range::Full),
        ];
        for (h, want) in cases {
            assert_eq!(Range::parse(h, 100), want, "{h:?}");
        }
    }
}
