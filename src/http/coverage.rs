//! `GET /v1/coverage`: population within N minutes of the nearest place, per département or
//! région, from the last `lieux coverage` computation (`serve --coverage DIR`).
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
use crate::coverage::report::{BANDS, Level, Totals, totals};

/// Largest `minutes` of `/v1/coverage`.
pub const MAX_COVERAGE_MINUTES: u32 = 120;

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

/// `GET /v1/coverage?group_by=departement|region&minutes=30&<filters>`.
pub fn coverage(state: &AppState, raw: &str, ctx: &Ctx) -> Response {
    let run = || -> Result<Response, ApiError> {
        let q = parse(raw, &["group_by", "minutes"])?;
        let level = match q.get("group_by") {
            Some("region") => Level::Region,
            Some("departement") | None => Level::Departement,
            Some(other) => {
                return Err(ApiError::bad(
                    "group_by",
                    &format!("expected departement or region, got {other:?}"),
                ));
            }
        };
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
        let groups: Vec<Value> = totals(&report.rows, level, minutes)
            .iter()
            .map(totals_json)
            .collect();
        let filters: serde_json::Map<String, Value> = meta
            .filters
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        let body = json!({
            "group_by": level.as_str(),
            "mode": meta.mode,
            "minutes": minutes,
            "bands_minutes": BANDS,
            "filters": filters,
            "computed_at": meta.computed_at,
            "dataset_version": meta.dataset_version,
            "france": france.first().map(totals_json),
            "groups": groups,
        });
        let tag = reply::etag(&[&meta.computed_at, "coverage", raw], ctx.coding);
        Ok(cached(ctx, tag, "application/json", || {
            Body::Full(body.to_string().into_bytes())
        }))
    };
    run().unwrap_or_else(ApiError::into_response)
}
