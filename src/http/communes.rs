//! `GET /v1/communes?q=&limit=`: commune search for the map page ([`crate::commune_table`]).

use warp::reply::Response;

use super::params::Query;
use super::reply::{self, ApiError, Body, Ctx, cached};

/// Most communes one answer lists.
pub const MAX_COMMUNES: usize = 50;

/// `{"communes": [{code_insee, nom, codes_postaux, lon, lat, population, area_km2}]}`.
pub fn search(raw: &str, ctx: &Ctx) -> Response {
    let run = || -> Result<Response, ApiError> {
        let q = Query::parse(raw)?;
        for (i, (k, _)) in q.pairs.iter().enumerate() {
            if k != "q" && k != "limit" {
                return Err(ApiError::bad(
                    k,
                    "unknown parameter; expected one of: q, limit",
                ));
            }
            if q.pairs[..i].iter().any(|(p, _)| p == k) {
                return Err(ApiError::bad(k, "given more than once"));
            }
        }
        let text = q
            .get("q")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::bad("q", "required: the start of a commune name or postcode")
            })?;
        if text.chars().count() > 100 {
            return Err(ApiError::bad("q", "at most 100 characters"));
        }
        let limit = q.integer_in("limit", 1, MAX_COMMUNES)?.unwrap_or(10);
        let tag = reply::etag(&["communes", env!("CARGO_PKG_VERSION"), raw], ctx.coding);
        Ok(cached(ctx, tag, "application/json", || {
            let hits = crate::commune_table::embedded().search(text, limit);
            Body::Full(
                serde_json::to_vec(&serde_json::json!({ "communes": hits })).unwrap_or_default(),
            )
        }))
    };
    run().unwrap_or_else(ApiError::into_response)
}
