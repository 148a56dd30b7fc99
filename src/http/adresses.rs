//! `GET /v1/adresses?q=&limit=&lat=&lon=`: address search for a person typing, and the
//! `adresse=` origin of the nearest and travel-time endpoints. The search itself (configured
//! geocoder, commune table fallback) is [`crate::geocode::suggest`].
//!
//! Both call the geocoder over blocking HTTP (bounded by its timeout), so they run on the
//! blocking pool (`super::routes`).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use warp::reply::Response;

use super::AppState;
use super::params::Query;
use super::reply::{self, ApiError, Body, Ctx, cached};
use crate::geocode::suggest::{self, Suggestion, Suggestions};
use crate::model::Position;

/// Largest `limit` of `/v1/adresses`.
pub const MAX_ADRESSES: usize = 20;
/// Shortest text searched, characters (after trimming).
pub const MIN_TEXT_CHARS: usize = 3;
/// Longest text searched, characters.
pub const MAX_TEXT_CHARS: usize = 200;

/// The text of parameter `name`: trimmed, 3 to 200 characters.
fn text<'q>(q: &'q Query, name: &str) -> Result<&'q str, ApiError> {
    let raw = q
        .get(name)
        .ok_or_else(|| ApiError::bad(name, "required: an address, a place or a commune name"))?;
    if raw.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::bad(
            name,
            &format!("at most {MAX_TEXT_CHARS} characters"),
        ));
    }
    let t = raw.trim();
    if t.chars().count() < MIN_TEXT_CHARS {
        return Err(ApiError::bad(
            name,
            &format!("at least {MIN_TEXT_CHARS} characters (leading and trailing spaces ignored)"),
        ));
    }
    Ok(t)
}

fn search(state: &AppState, text: &str, limit: usize, near: Option<Position>) -> Suggestions {
    let found = suggest::search(state.geocoder.as_deref(), text, limit, near);
    if let Some(e) = &found.geocoder_error {
        tracing::warn!(error = %e, "geocoder failed: the commune table answered");
    }
    found
}

fn feature(s: &Suggestion) -> Value {
    json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [s.position.lon, s.position.lat]},
        "properties": {
            "label": s.label,
            "commune": s.commune,
            "code_insee": s.code_insee,
            "code_postal": s.code_postal,
            "type": s.kind.as_str(),
            "score": s.score,
            "source": s.source.as_str(),
        },
    })
}

/// `GET /v1/adresses`: a GeoJSON FeatureCollection of points, with the `source` that answered.
pub fn adresses(state: &AppState, raw: &str, ctx: &Ctx, _now: DateTime<Utc>) -> Response {
    let run = || -> Result<Response, ApiError> {
        let q = Query::parse(raw)?;
        q.check_only(&["q", "limit", "lat", "lon"])?;
        let text = text(&q, "q")?;
        let limit = q.integer_in("limit", 1, MAX_ADRESSES)?.unwrap_or(5);
        let near = q.position()?;
        let found = search(state, text, limit, near);
        let body = json!({
            "type": "FeatureCollection",
            "features": found.items.iter().map(feature).collect::<Vec<_>>(),
            "numberReturned": found.items.len(),
            "source": found.source.as_str(),
        })
        .to_string();
        let tag = reply::etag(&["adresses", env!("CARGO_PKG_VERSION"), &body], ctx.coding);
        let mut res = cached(ctx, tag, "application/geo+json", || {
            Body::Full(body.into_bytes())
        });
        if found.geocoder_error.is_some() {
            // a stand-in answer: ask again next time
            res.headers_mut().insert(
                http::header::CACHE_CONTROL,
                http::HeaderValue::from_static("no-store"),
            );
        }
        Ok(res)
    };
    run().unwrap_or_else(ApiError::into_response)
}

/// The origin of a nearest or travel-time query: `lat`/`lon`, or `adresse` geocoded (its first
/// answer), never both.
pub(super) struct Origin {
    pub at: Position,
    /// With `adresse`: the top-level `origine` member (`,"origine":{…}`).
    resolved: Option<String>,
}

impl Origin {
    /// `,"origine":{label, lat, lon, source}` or nothing: also what the answer depends on
    /// besides the query string (the address resolved), for its ETag.
    pub fn member(&self) -> &str {
        self.resolved.as_deref().unwrap_or("")
    }
}

/// Whether answering `raw` may call the geocoder (then it belongs on the blocking pool).
pub(super) fn geocodes(state: &AppState, raw: &str) -> bool {
    state.geocoder.is_some()
        && Query::parse(raw).is_ok_and(|q| q.pairs.iter().any(|(k, _)| k == "adresse"))
}

pub(super) fn origin(state: &AppState, q: &Query) -> Result<Origin, ApiError> {
    let at = q.position()?;
    if q.get("adresse").is_none() {
        let at = at.ok_or_else(|| {
            ApiError::bad(
                "lat",
                "lat and lon are required (WGS84 degrees), or adresse",
            )
        })?;
        return Ok(Origin { at, resolved: None });
    }
    if at.is_some() {
        return Err(ApiError::bad(
            "adresse",
            "give either adresse or lat/lon, not both",
        ));
    }
    let text = text(q, "adresse")?;
    let found = search(state, text, 1, None);
    let Some(s) = found.items.first() else {
        return Err(ApiError::NotFound {
            parameter: "adresse",
            message: format!("no address nor commune found for {text:?}"),
        });
    };
    let member = json!({
        "label": s.label,
        "lat": s.position.lat,
        "lon": s.position.lon,
        "source": s.source.as_str(),
    });
    Ok(Origin {
        at: s.position,
        resolved: Some(format!(r#","origine":{member}"#)),
    })
}
