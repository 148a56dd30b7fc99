//! Response building: JSON errors, ETag/304, caching, CORS and content coding.

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use serde_json::json;
use sha2::{Digest, Sha256};
use warp::Reply;
use warp::reply::Response;

use super::encoding::{Coding, Encoder};

/// Per-request context shared by the handlers.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub coding: Coding,
    pub if_none_match: Option<String>,
}

/// A JSON error body `{"error": {"parameter": …, "message": …}}` with its status.
pub fn error(status: StatusCode, parameter: Option<&str>, message: &str) -> Response {
    let body = match parameter {
        Some(p) => json!({"error": {"parameter": p, "message": message}}),
        None => json!({"error": {"message": message}}),
    };
    let mut res = warp::reply::with_status(warp::reply::json(&body), status).into_response();
    common_headers(&mut res);
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A request the API refuses; becomes a JSON error response.
#[derive(Debug)]
pub enum ApiError {
    /// 400: a bad or missing parameter.
    BadRequest(crate::filter::FilterError),
    /// 404: the named resource does not exist.
    NotFound {
        parameter: &'static str,
        message: String,
    },
    /// 422: well-formed but impossible to answer (e.g. a point too far from any road).
    Unprocessable {
        parameter: &'static str,
        message: String,
    },
}

impl ApiError {
    pub fn bad(parameter: &str, message: &str) -> ApiError {
        ApiError::BadRequest(crate::filter::FilterError::new(parameter, message))
    }

    pub fn into_response(self) -> Response {
        match self {
            ApiError::BadRequest(e) => {
                error(StatusCode::BAD_REQUEST, Some(&e.parameter), &e.message)
            }
            ApiError::NotFound { parameter, message } => {
                error(StatusCode::NOT_FOUND, Some(parameter), &message)
            }
            ApiError::Unprocessable { parameter, message } => {
                error(StatusCode::UNPROCESSABLE_ENTITY, Some(parameter), &message)
            }
        }
    }
}

impl From<crate::filter::FilterError> for ApiError {
    fn from(e: crate::filter::FilterError) -> Self {
        ApiError::BadRequest(e)
    }
}

fn common_headers(res: &mut Response) {
    let h = res.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("ETag"),
    );
}

/// A strong ETag from the parts that determine a response (dataset version, path, query,
/// time bucket) and the content coding.
pub fn etag(parts: &[&str], coding: Coding) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    let suffix = coding.header().map(|c| format!("-{c}")).unwrap_or_default();
    format!("\"{}{suffix}\"", hex::encode(&h.finalize()[..10]))
}

fn matches_etag(if_none_match: Option<&str>, tag: &str) -> bool {
    if_none_match.is_some_and(|v| {
        v.split(',')
            .map(str::trim)
            .any(|t| t == "*" || t == tag || t.strip_prefix("W/") == Some(tag))
    })
}

/// The body of a 200 response.
pub enum Body {
    /// Whole body, not yet encoded.
    Full(Vec<u8>),
    /// Chunks already encoded with the negotiated coding.
    Stream(Box<dyn Iterator<Item = Bytes> + Send + Sync>),
}

/// A cacheable 200 (or 304 when `If-None-Match` matches `tag`).
pub fn cached(
    ctx: &Ctx,
    tag: String,
    content_type: &'static str,
    body: impl FnOnce() -> Body,
) -> Response {
    let mut res = if matches_etag(ctx.if_none_match.as_deref(), &tag) {
        let mut r = Response::new(warp::hyper::body::Bytes::new().into());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let mut r = match body() {
            Body::Full(bytes) => {
                Response::new(Bytes::from(Encoder::encode_all(ctx.coding, bytes)).into())
            }
            Body::Stream(mut chunks) => {
                // An answer that fits in its first chunk goes out whole, with a Content-Length
                // (most nearest and small bbox answers): no chunked framing, no second poll of
                // the stream.
                let first = chunks.next().unwrap_or_default();
                match chunks.next() {
                    None => Response::new(first.into()),
                    Some(second) => warp::reply::stream(futures_util::stream::iter(
                        [first, second]
                            .into_iter()
                            .chain(chunks)
                            .map(Ok::<_, std::convert::Infallible>),
                    ))
                    .into_response(),
                }
            }
        };
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Some(c) = ctx.coding.header() {
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static(c));
        }
        r
    };
    common_headers(&mut res);
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_matching() {
        let t = etag(&["v1", "/x", "a=1"], Coding::Identity);
        assert!(matches_etag(Some(&t), &t));
        assert!(matches_etag(Some(&format!("\"zz\", W/{t}")), &t));
        assert!(!matches_etag(Some("\"zz\""), &t));
        assert_ne!(t, etag(&["v1", "/x", "a=1"], Coding::Gzip));
        assert_ne!(t, etag(&["v2", "/x", "a=1"], Coding::Identity));
    }
}
