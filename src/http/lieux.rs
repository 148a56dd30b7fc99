//! `/v1/lieux/nearest`, `/v1/lieux/{id}`, `/v1/lieux` and its CSV and downloads: the place
//! endpoints.

use super::*;
use crate::dataset::Eligible;

pub(super) fn parse(raw: &str, own: &[&str]) -> Result<Query, ApiError> {
    let q = Query::parse(raw)?;
    q.check_names(own)?;
    Ok(q)
}

/// [`parse`] for an answer made of Features: `own` and `properties`, which says which
/// properties each Feature carries (all by default).
pub(super) fn parse_features(raw: &str, own: &[&str]) -> Result<(Query, PropertySet), ApiError> {
    let mut names = own.to_vec();
    names.push("properties");
    let q = parse(raw, &names)?;
    let set = property_set(&q)?;
    Ok((q, set))
}

/// The `properties` parameter of `q` (all by default).
pub(super) fn property_set(q: &Query) -> Result<PropertySet, ApiError> {
    Ok(match q.get("properties") {
        None => PropertySet::ALL,
        Some(v) => PropertySet::parse(v)?,
    })
}

/// A FeatureCollection of places with their computed values and the properties of `set`;
/// `members` (empty, or JSON members each starting with a comma) are added at the top level.
pub(super) fn collection(
    ds: &Dataset,
    hits: impl Iterator<Item = (u32, Extra)>,
    members: &str,
    set: PropertySet,
) -> Vec<u8> {
    // sized for the usual features (~1 KB each in full) so that the answer is not copied as it
    // grows (seen in the profile of nearest answers)
    let per_feature = if set == PropertySet::ALL { 1280 } else { 320 };
    let mut out = Vec::with_capacity(256 + hits.size_hint().0 * per_feature);
    out.extend_from_slice(br#"{"type":"FeatureCollection","features":["#);
    let mut n = 0usize;
    for (i, (slot, extra)) in hits.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let extra = Extra {
            properties: set,
            ..extra
        };
        write_feature(&mut out, ds, slot, &extra);
        n += 1;
    }
    out.extend_from_slice(format!(r#"],"numberReturned":{n}{members}}}"#).as_bytes());
    out
}

/// The `territoire` parameter of the nearest and travel-time endpoints (default `auto`).
pub(super) fn perimetre(q: &Query) -> Result<crate::nearest::Perimetre, ApiError> {
    use crate::nearest::Perimetre;
    match q.get("territoire") {
        None => Ok(Perimetre::Auto),
        Some(v) => Perimetre::parse(v.trim()).ok_or_else(|| {
            ApiError::bad(
                "territoire",
                &format!(
                    "expected auto, tous or a territory ({}), got {v:?}",
                    crate::territory::Territoire::ALL
                        .iter()
                        .map(|t| t.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        }),
    }
}

/// The top-level `territoire` member: the territory searched, `null` for every territory.
pub(super) fn territoire_member(t: Option<crate::territory::Territoire>) -> String {
    match t {
        Some(t) => format!(r#","territoire":"{}""#, t.as_str()),
        None => r#","territoire":null"#.to_owned(),
    }
}

/// `GET /v1/lieux/nearest?lat=&lon=|adresse=&k=10&max_km=&territoire=auto&tri=distance&mode=car&<filters>`:
/// see [`crate::nearest`].
pub fn nearest(state: &AppState, raw: &str, ctx: &Ctx, now: DateTime<Utc>) -> Response {
    use crate::nearest::{Request, Tri};
    let run = || -> Result<Response, ApiError> {
        let (q, properties) = parse_features(
            raw,
            &[
                "lat",
                "lon",
                "adresse",
                "k",
                "max_km",
                "territoire",
                "tri",
                "mode",
            ],
        )?;
        let k = q.integer_in("k", 1, MAX_K)?.unwrap_or(10);
        let max_m = q.number_in("max_km", 0.0, 20_000.0)?.map(|km| km * 1000.0);
        let perimetre = perimetre(&q)?;
        let tri = match q.get("tri") {
            None => Tri::Distance,
            Some(v) => Tri::parse(v.trim()).ok_or_else(|| {
                ApiError::bad("tri", &format!("expected distance or ouverture, got {v:?}"))
            })?,
        };
        let profile = routing::mode(&q)?;
        let filter = q.filter(now)?;
        // last: the geocoder is asked only for an otherwise valid query
        let origin = adresses::origin(state, &q)?;
        let at = origin.at;
        let ds = state.dataset();
        let tag = reply::etag(
            &[ds.version(), "nearest", raw, origin.member(), &minute(now)],
            ctx.coding,
        );
        let when = filter.evaluation_instant(now).fixed_offset();
        let req = Request {
            at,
            k,
            max_m,
            perimetre,
            tri,
            profile,
        };
        Ok(cached(ctx, tag, "application/geo+json", || {
            let a = crate::nearest::answer(&ds, &req, &filter);
            let mut members = territoire_member(a.territoire);
            members.push_str(origin.member());
            match a.max_m {
                Some(m) => members.push_str(&format!(r#","max_km":{}"#, m / 1000.0)),
                None => members.push_str(r#","max_km":null"#),
            }
            if let Some(n) = a.ouverts {
                members.push_str(&format!(r#","ouverts":{n}"#));
            }
            if let Some(alternatives) = &a.alternatives {
                let mut out = br#","alternatives":["#.to_vec();
                for (i, alt) in alternatives.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    let extra = Extra {
                        distance_m: Some(alt.distance_m),
                        duration_s: Some(alt.duration_s),
                        estimate: Some(routing::STRAIGHT_LINE),
                        attente_s: Some(alt.attente_s),
                        accueil_a: Some(alt.accueil_a),
                        properties,
                        ..Extra::at(when)
                    };
                    write_feature(&mut out, &ds, alt.slot, &extra);
                }
                out.push(b']');
                members.push_str(&String::from_utf8_lossy(&out));
            }
            Body::Full(collection(
                &ds,
                a.hits.iter().map(|h| {
                    (
                        h.slot,
                        Extra {
                            distance_m: Some(h.distance_m),
                            ..Extra::at(when)
                        },
                    )
                }),
                &members,
                properties,
            ))
        }))
    };
    run().unwrap_or_else(ApiError::into_response)
}

/// `GET /v1/lieux/{id}?properties=`.
pub fn lieu_by_id(
    state: &AppState,
    id: &str,
    raw: &str,
    ctx: &Ctx,
    now: DateTime<Utc>,
) -> Response {
    let run = || -> Result<Response, ApiError> {
        let (_, properties) = parse_features(raw, &[])?;
        let id = percent_encoding::percent_decode_str(id).decode_utf8_lossy();
        let ds = state.dataset();
        let slot = ds.slot_of(&id).ok_or_else(|| ApiError::NotFound {
            parameter: "id",
            message: format!("no lieu with id {id:?}"),
        })?;
        let tag = reply::etag(&[ds.version(), "lieu", &id, &minute(now)], ctx.coding);
        Ok(cached(ctx, tag, "application/geo+json", || {
            let mut out = Vec::new();
            let extra = Extra {
                properties,
                ..Extra::at(now.fixed_offset())
            };
            write_feature(&mut out, &ds, slot, &extra);
            Body::Full(out)
        }))
    };
    run().unwrap_or_else(ApiError::into_response)
}

/// Selection of places by area, shared by `/v1/lieux`, `/v1/lieux.csv` and the OGC API
/// items: either `bbox` or `lat`/`lon`/`radius_m`, or neither (every place).
pub(super) fn selection(q: &Query) -> Result<stream::Selection, ApiError> {
    let bbox = q.bbox()?;
    let at = q.position()?;
    let radius_m = q.number_in("radius_m", 0.0, MAX_RADIUS_M)?;
    Ok(match (bbox, at, radius_m) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(ApiError::bad(
                "bbox",
                "give either bbox or lat/lon/radius_m, not both",
            ));
        }
        (None, Some(_), None) => {
            return Err(ApiError::bad("radius_m", "required with lat/lon"));
        }
        (None, None, Some(_)) => {
            return Err(ApiError::bad(
                "lat",
                "lat and lon are required with radius_m",
            ));
        }
        (Some(b), None, None) => stream::Selection::Bbox(b),
        (None, Some(p), Some(r)) => stream::Selection::Radius(p, r),
        (None, None, None) => stream::Selection::All,
    })
}

/// `GET /v1/lieux?bbox=|lat=&lon=&radius_m=&limit=&cursor=&properties=&<filters>`: streamed.
pub fn list(state: &AppState, raw: &str, ctx: &Ctx, now: DateTime<Utc>) -> Response {
    let run = || -> Result<Response, ApiError> {
        let (q, properties) =
            parse_features(raw, &["bbox", "lat", "lon", "radius_m", "limit", "cursor"])?;
        let source = selection(&q)?;
        let limit = q.integer_in("limit", 1, MAX_LIMIT)?;
        let cursor = q.integer_in("cursor", 0, usize::MAX)?.unwrap_or(0);
        let filter = q.filter(now)?;
        let ds = state.dataset();
        let tag = reply::etag(&[ds.version(), "list", raw, &minute(now)], ctx.coding);
        let when = filter.evaluation_instant(now);
        let links = stream::Links {
            base: "/v1/lieux".to_owned(),
            pairs: q
                .pairs
                .iter()
                .filter(|(k, _)| k != "cursor")
                .cloned()
                .collect(),
            param: "cursor",
            prev_and_self: false,
            time_stamp: None,
        };
        Ok(cached(ctx, tag, "application/geo+json", move || {
            let matches = stream::Matches::new(ds, source, filter, stream::Page { cursor, limit });
            Body::Stream(Box::new(stream::FeatureStream::new(
                matches,
                (when, properties),
                ctx.coding,
                links,
            )))
        }))
    };
    run().unwrap_or_else(ApiError::into_response)
}

/// `GET /v1/lieux.csv?bbox=|lat=&lon=&radius_m=&limit=&cursor=&<filters>`: the schema v1 CSV,
/// streamed.
pub fn list_csv(state: &AppState, raw: &str, ctx: &Ctx, now: DateTime<Utc>) -> Response {
    download(
        state,
        (raw, ctx, now),
        ("csv", "text/csv; charset=utf-8", None),
        |matches, coding| Body::Stream(Box::new(stream::CsvStream::new(matches, coding))),
    )
}

/// A streamed download of the places that `raw` selects, pages and filters (`/v1/lieux.csv`,
/// `/v1/lieux.json`): `kind` keeps the formats' ETags apart, `eligible` says which records the
/// format can hold (see [`crate::dataset::Eligible`]), `body` writes the stream. These
/// formats hold no computed field, so the ETag changes with time only when a time filter is
/// used.
pub(super) fn download(
    state: &AppState,
    (raw, ctx, now): (&str, &Ctx, DateTime<Utc>),
    (kind, content_type, eligible): (&str, &'static str, Option<Eligible>),
    body: impl FnOnce(stream::Matches, Coding) -> Body,
) -> Response {
    let run = || -> Result<Response, ApiError> {
        let q = parse(raw, &["bbox", "lat", "lon", "radius_m", "limit", "cursor"])?;
        let source = selection(&q)?;
        let limit = q.integer_in("limit", 1, usize::MAX)?;
        let cursor = q.integer_in("cursor", 0, usize::MAX)?.unwrap_or(0);
        let filter = q.filter(now)?;
        let ds = state.dataset();
        let timed = filter.ouvert_actuellement.is_some() || filter.ouvert_le_week_end.is_some();
        let bucket = if timed { minute(now) } else { String::new() };
        let tag = reply::etag(&[ds.version(), kind, raw, &bucket], ctx.coding);
        Ok(cached(ctx, tag, content_type, move || {
            let page = stream::Page { cursor, limit };
            let matches = stream::Matches::among(ds, (source, filter, eligible), page);
            body(matches, ctx.coding)
        }))
    };
    run().unwrap_or_else(ApiError::into_response)
}
