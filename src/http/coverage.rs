//! `GET /v1/coverage`: population within N minutes of the nearest place, per département or
//! région, or each commune's row a page at a time (`group_by=commune`, at most
//! [`MAX_COMMUNES_PAGE`] per page), from the last `lieux coverage` computation
//! (`serve --coverage DIR`).
//!
//! The figures are computed per request from the per-commune rows (35 k rows: well under a
//! millisecond), so any `minutes` in 1..=120 is answered. Filters are not recomputed: the
//! request's filters must be those of the computation (compared after parsing), else 404.

use chrono::Utc;
use http::StatusCode;
use serde_json::{Value, json};
use warp::reply::Response;

use super::reply::{self, ApiError, Body, Ctx, cached, error};
use super::{AppState, parse};
use crate::coverage::report::{BANDS, Level, Row, Totals, totals};

/// Largest `minutes` of `/v1/coverage`.
pub const MAX_COVERAGE_MINUTES: u32 = 120;
/// Largest page (`limit`) of `/v1/coverage?group_by=commune`.
pub const MAX_COMMUNES_PAGE: usize = 1000;
/// Default page of `/v1/coverage?group_by=commune`.
pub const DEFAULT_COMMUNES_PAGE: usize = 100;

/// One commune's result: the columns of the CLI's `communes.csv`, and whether it lies within
/// the requested `minutes`.
fn commune_json(r: &Row, minutes: u32) -> Value {
    json!({
        "code_insee": r.code_insee,
        "nom": r.nom,
        "code_departement": r.code_departement,
        "code_region": r.code_region,
        "population": r.population,
        "minutes": r.minutes,
        "seconds": r.seconds,
        "lieu_id": r.lieu_id,
        "method": r.method,
        "within": r.seconds.is_some_and(|s| s <= u64::from(minutes) * 60),
    })
}

/// `limit` and `offset` of the commune pages (400 on any other level).
fn page(q: &super::params::Query, level: Option<Level>) -> Result<(usize, usize), ApiError> {
    if level.is_some() {
        for name in ["limit", "offset"] {
            if q.get(name).is_some() {
                return Err(ApiError::bad(name, "only with group_by=commune"));
            }
        }
    }
    let limit = q
        .integer_in("limit", 1, MAX_COMMUNES_PAGE)?
        .unwrap_or(DEFAULT_COMMUNES_PAGE);
    let offset = q.integer_in("offset", 0, usize::MAX)?.unwrap_or(0);
    Ok((limit, offset))
}

fn totals_json(t: &Totals) -> Value {
    let share = |p: u64| (t.share(p) * 1e4).round() / 1e4;
    let mut bands = serde_json::Map::new();
    let mut shares = serde_json::Map::new();
    for (b, p) in BANDS.iter().zip(t.within_bands) {
        bands.insert(b.to_string(), json!(p));
        shares.insert(b.to_string(), json!(share(p)));
    }
    json!({
        "code": t.code,
        "communes": t.communes,
        "population": t.population,
        "population_within": t.within,
        "share_within": share(t.within),
        "population_within_bands": bands,
        "share_within_bands": shares,
        "population_straight_line": t.population_straight_line,
        "share_straight_line": share(t.population_straight_line),
        "communes_straight_line": t.communes_straight_line,
        "population_without_time": t.population_without_time,
    })
}

/// `GET /v1/coverage?group_by=departement|region|commune&minutes=30&limit=&offset=&<filters>`:
/// totals per département or région, or the communes' rows a page at a time (in the order of
/// the computation's `communes.csv`).
pub fn coverage(state: &AppState, raw: &str, ctx: &Ctx) -> Response {
    let run = || -> Result<Response, ApiError> {
        let q = parse(raw, &["group_by", "minutes", "limit", "offset"])?;
        // `None`: per commune
        let level = match q.get("group_by") {
            Some("region") => Some(Level::Region),
            Some("departement") | None => Some(Level::Departement),
            Some("commune") => None,
            Some(other) => {
                return Err(ApiError::bad(
                    "group_by",
                    &format!("expected departement, region or commune, got {other:?}"),
                ));
            }
        };
        let (limit, offset) = page(&q, level)?;
        let asked = q.integer_in("minutes", 1, MAX_COVERAGE_MINUTES as usize)?;
        let now = Utc::now();
        let filter = q.filter(now)?;
        let Some(report) = state.coverage() else {
            return Ok(error(
                StatusCode::NOT_FOUND,
                None,
                "no coverage computed: run `lieux coverage --out DIR`, then `lieux serve --coverage DIR`",
            ));
        };
        let meta = &report.meta;
        let minutes = asked.map_or(meta.minutes, |m| m as u32);
        let computed = crate::coverage::cli::filter_of(&meta.filters).unwrap_or_default();
        if filter != computed {
            let given: Vec<String> = meta
                .filters
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            return Ok(error(
                StatusCode::NOT_FOUND,
                None,
                &format!(
                    "no coverage computed for these filters; the last computation used: {}",
                    if given.is_empty() {
                        "no filter".to_owned()
                    } else {
                        given.join("&")
                    }
                ),
            ));
        }
        let france = totals(&report.rows, Level::France, minutes);
        let filters: serde_json::Map<String, Value> = meta
            .filters
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        let mut body = json!({
            "group_by": level.map_or("commune", Level::as_str),
            "mode": meta.mode,
            "minutes": minutes,
            "bands_minutes": BANDS,
            "filters": filters,
            "computed_at": meta.computed_at,
            "dataset_version": meta.dataset_version,
            "france": france.first().map(totals_json),
        });
        match level {
            Some(level) => {
                let groups: Vec<Value> = totals(&report.rows, level, minutes)
                    .iter()
                    .map(totals_json)
                    .collect();
                body["groups"] = json!(groups);
            }
            None => {
                let rows = &report.rows;
                let communes: Vec<Value> = rows
                    .iter()
                    .skip(offset)
                    .take(limit)
                    .map(|r| commune_json(r, minutes))
                    .collect();
                body["numberMatched"] = json!(rows.len());
                body["numberReturned"] = json!(communes.len());
                body["limit"] = json!(limit);
                body["offset"] = json!(offset);
                if offset.saturating_add(limit) < rows.len() {
                    let pairs: Vec<(String, String)> = q
                        .pairs
                        .iter()
                        .filter(|(k, _)| k != "offset")
                        .cloned()
                        .chain([("offset".to_owned(), (offset + limit).to_string())])
                        .collect();
                    let query = form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(pairs)
                        .finish();
                    body["next"] = json!(format!("/v1/coverage?{query}"));
                }
                body["communes"] = json!(communes);
            }
        }
        let tag = reply::etag(&[&meta.computed_at, "coverage", raw], ctx.coding);
        Ok(cached(ctx, tag, "application/json", || {
            Body::Full(body.to_string().into_bytes())
        }))
    };
    run().unwrap_or_else(ApiError::into_response)
}
