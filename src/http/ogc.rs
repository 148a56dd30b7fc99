//! OGC API – Features – Part 1: Core, GeoJSON encoding (OGC 17-069r4), over the same dataset
//! and filters as `/v1/lieux`, so GIS clients (QGIS, GDAL's OAPIF driver, ArcGIS) read the
//! places without any plugin.
//!
//! - One collection, `lieux`. Items are **every** place matching the filters, places without a
//!   position included with `"geometry": null` (GeoJSON allows it, GDAL and QGIS read it); a
//!   `bbox` selects positioned places only. So `numberMatched` of the unfiltered collection is
//!   the dataset size, as for `/v1/lieux`.
//! - Paging by `offset` (`limit` 1–10 000, default 10); `next`/`prev`/`self` links are absolute,
//!   built from the request's `Host` (and `X-Forwarded-Proto`) so they work behind a proxy.
//! - No `datetime` (places are not temporal); unknown parameters are rejected with a 400, like
//!   everywhere in this API.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use warp::reply::Response;

use super::features::{Extra, write_feature};
use super::lieux::{parse_features, property_set};
use super::reply::{self, ApiError, Body, Ctx, cached};
use super::{AppState, MAX_LIMIT, minute, stream};

/// Collection id.
pub const COLLECTION: &str = "lieux";
/// Default page size of `/collections/lieux/items`.
pub const DEFAULT_LIMIT: usize = 10;

const GEOJSON: &str = "application/geo+json";
const JSON: &str = "application/json";

/// Conformance classes implemented.
pub const CONFORMANCE: [&str; 2] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
];

/// `scheme://host` of the request, for absolute links.
#[derive(Debug, Clone)]
pub struct PublicBase(pub String);

impl PublicBase {
    /// From the `Host` and `X-Forwarded-Proto` headers. A missing or odd `Host` (not
    /// `name[:port]`) gives `http://localhost`.
    pub fn new(host: Option<&str>, proto: Option<&str>) -> PublicBase {
        let host = host
            .map(str::trim)
            .filter(|h| {
                !h.is_empty()
                    && h.len() <= 255
                    && h.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b))
            })
            .unwrap_or("localhost");
        let scheme = match proto.map(str::trim) {
            Some(p) if p.eq_ignore_ascii_case("https") => "https",
            _ => "http",
        };
        PublicBase(format!("{scheme}://{host}"))
    }
}

fn link(origin: &PublicBase, path: &str, rel: &str, kind: &str, title: &str) -> Value {
    json!({"href": format!("{}{path}", origin.0), "rel": rel, "type": kind, "title": title})
}

fn metadata(state: &AppState, ctx: &Ctx, origin: &PublicBase, what: &str, body: Value) -> Response {
    let ds = state.dataset();
    let tag = reply::etag(&[ds.version(), what, &origin.0], ctx.coding);
    cached(ctx, tag, JSON, || {
        Body::Full(serde_json::to_vec(&body).unwrap_or_default())
    })
}

fn no_params(raw: &str) -> Result<(), ApiError> {
    let q = super::params::Query::parse(raw)?;
    match q.pairs.first() {
        Some((k, _)) if k != "f" => Err(ApiError::bad(k, "unknown parameter")),
        Some((_, v)) if v != "json" => Err(ApiError::bad("f", "only f=json is supported")),
        _ => Ok(()),
    }
}

/// `GET /`: the landing page.
pub fn landing(state: &AppState, raw: &str, ctx: &Ctx, origin: &PublicBase) -> Response {
    if let Err(e) = no_params(raw) {
        return e.into_response();
    }
    let body = json!({
        "title": "Lieux de médiation numérique",
        "description": "Places offering digital inclusion help in France (national schema v1.0.2), as OGC API – Features, GeoJSON, CSV and FlatGeobuf.",
        "links": [
            link(origin, "/", "self", JSON, "This document"),
            link(origin, "/openapi.json", "service-desc", "application/vnd.oai.openapi+json;version=3.1", "The API definition (OpenAPI 3.1)"),
            link(origin, "/conformance", "conformance", JSON, "Conformance classes implemented"),
            link(origin, "/collections", "data", JSON, "The collections"),
        ],
    });
    metadata(state, ctx, origin, "landing", body)
}

/// `GET /conformance`.
pub fn conformance(state: &AppState, raw: &str, ctx: &Ctx, origin: &PublicBase) -> Response {
    if let Err(e) = no_params(raw) {
        return e.into_response();
    }
    metadata(
        state,
        ctx,
        origin,
        "conformance",
        json!({ "conformsTo": CONFORMANCE }),
    )
}

fn collection_doc(state: &AppState, origin: &PublicBase) -> Value {
    let ds = state.dataset();
    let mut env = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for p in ds.lieux().iter().filter_map(|l| l.position) {
        env = [
            env[0].min(p.lon),
            env[1].min(p.lat),
            env[2].max(p.lon),
            env[3].max(p.lat),
        ];
    }
    if env[0] > env[2] {
        env = [-180.0, -90.0, 180.0, 90.0];
    }
    let base = format!("/collections/{COLLECTION}");
    json!({
        "id": COLLECTION,
        "title": "Lieux de médiation numérique",
        "description": format!(
            "{} places (dataset version {}); {} without a position have a null geometry.",
            ds.lieux().len(), ds.version(), ds.lieux().len() - ds.positioned()
        ),
        "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "extent": {
            "spatial": {
                "bbox": [env],
                "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            }
        },
        "links": [
            link(origin, &base, "self", JSON, "This collection"),
            link(origin, &format!("{base}/items"), "items", GEOJSON, "The places"),
            link(origin, "/v1/lieux.csv", "alternate", "text/csv", "Every place as schema v1 CSV"),
            link(origin, "/v1/lieux.fgb", "alternate", "application/flatgeobuf", "Positioned places as FlatGeobuf"),
        ],
    })
}

/// `GET /collections`.
pub fn collections(state: &AppState, raw: &str, ctx: &Ctx, origin: &PublicBase) -> Response {
    if let Err(e) = no_params(raw) {
        return e.into_response();
    }
    let body = json!({
        "links": [link(origin, "/collections", "self", JSON, "The collections")],
        "collections": [collection_doc(state, origin)],
    });
    metadata(state, ctx, origin, "collections", body)
}

fn unknown_collection(id: &str) -> ApiError {
    ApiError::NotFound {
        parameter: "collectionId",
        message: format!("no collection {id:?}; the only one is {COLLECTION:?}"),
    }
}

/// `GET /collections/{collectionId}`.
pub fn collection(
    state: &AppState,
    id: &str,
    raw: &str,
    ctx: &Ctx,
    origin: &PublicBase,
) -> Response {
    if id != COLLECTION {
        return unknown_collection(id).into_response();
    }
    if let Err(e) = no_params(raw) {
        return e.into_response();
    }
    let body = collection_doc(state, origin);
    metadata(state, ctx, origin, "collection", body)
}

/// `GET /collections/{collectionId}/items?bbox=&limit=&offset=&<filters>`: streamed.
pub fn items(
    state: &AppState,
    id: &str,
    raw: &str,
    ctx: &Ctx,
    origin: &PublicBase,
    now: DateTime<Utc>,
) -> Response {
    let run = || -> Result<Response, ApiError> {
        if id != COLLECTION {
            return Err(unknown_collection(id));
        }
        let (q, properties) = parse_features(raw, &["bbox", "limit", "offset", "f"])?;
        if q.get("f").is_some_and(|f| f != "json" && f != "geojson") {
            return Err(ApiError::bad("f", "only f=json is supported"));
        }
        let selection = match q.bbox()? {
            Some(b) => stream::Selection::Bbox(b),
            None => stream::Selection::All,
        };
        let limit = q
            .integer_in("limit", 1, MAX_LIMIT)?
            .unwrap_or(DEFAULT_LIMIT);
        let offset = q.integer_in("offset", 0, usize::MAX)?.unwrap_or(0);
        let filter = q.filter(now)?;
        let ds = state.dataset();
        let bucket = minute(now);
        let tag = reply::etag(
            &[ds.version(), "items", raw, &origin.0, &bucket],
            ctx.coding,
        );
        let when = filter.evaluation_instant(now);
        let mut pairs: Vec<(String, String)> = q
            .pairs
            .iter()
            .filter(|(k, _)| k != "offset" && k != "limit")
            .cloned()
            .collect();
        pairs.push(("limit".to_owned(), limit.to_string()));
        let links = stream::Links {
            base: format!("{}/collections/{COLLECTION}/items", origin.0),
            pairs,
            param: "offset",
            prev_and_self: true,
            time_stamp: Some(now.to_rfc3339_opts(SecondsFormat::Secs, true)),
        };
        Ok(cached(ctx, tag, GEOJSON, move || {
            let page = stream::Page {
                cursor: offset,
                limit: Some(limit),
            };
            let matches = stream::Matches::new(ds, selection, filter, page);
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

/// `GET /collections/{collectionId}/items/{featureId}`.
pub fn item(
    state: &AppState,
    (collection, id): (&str, &str),
    raw: &str,
    ctx: &Ctx,
    origin: &PublicBase,
    now: DateTime<Utc>,
) -> Response {
    let run = || -> Result<Response, ApiError> {
        if collection != COLLECTION {
            return Err(unknown_collection(collection));
        }
        let q = super::params::Query::parse(raw)?;
        q.check_only(&["f", "properties"])?;
        if q.get("f").is_some_and(|f| f != "json" && f != "geojson") {
            return Err(ApiError::bad("f", "only f=json is supported"));
        }
        let properties = property_set(&q)?;
        let id = percent_encoding::percent_decode_str(id).decode_utf8_lossy();
        let ds = state.dataset();
        let slot = ds.slot_of(&id).ok_or_else(|| ApiError::NotFound {
            parameter: "featureId",
            message: format!("no lieu with id {id:?}"),
        })?;
        let tag = reply::etag(
            &[ds.version(), "item", &id, &origin.0, &minute(now)],
            ctx.coding,
        );
        Ok(cached(ctx, tag, GEOJSON, || {
            let mut out = Vec::new();
            let extra = Extra {
                properties,
                ..Extra::at(now.fixed_offset())
            };
            write_feature(&mut out, &ds, slot, &extra);
            let encoded: String =
                percent_encoding::utf8_percent_encode(&id, percent_encoding::NON_ALPHANUMERIC)
                    .collect();
            let base = format!("/collections/{COLLECTION}");
            let links = json!([
                link(
                    origin,
                    &format!("{base}/items/{encoded}"),
                    "self",
                    GEOJSON,
                    "This place"
                ),
                link(origin, &base, "collection", JSON, "The collection"),
            ]);
            // the Feature object gets its links before its closing brace
            if out.last() == Some(&b'}') {
                out.pop();
                out.extend_from_slice(b",\"links\":");
                out.extend_from_slice(links.to_string().as_bytes());
                out.push(b'}');
            }
            Body::Full(out)
        }))
    };
    run().unwrap_or_else(ApiError::into_response)
}
