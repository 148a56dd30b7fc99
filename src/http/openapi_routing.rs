//! The travel-time endpoints in the OpenAPI document (`/v1/lieux/reachable`,
//! `/v1/lieux/closest`, `/v1/isochrone`), kept beside [`super::openapi`] so that the ranges come
//! from [`super::routing`]'s constants. Both answers are described: road times (with a graph)
//! and straight-line estimates (`"estimate": "straight_line"`, no graph or a point outside it),
//! and the rule that mixes them: a place the roads do not reach is listed by its estimate, with
//! its `motif_estimation` ([`crate::routing::answer`]).

use serde_json::{Value, json};

use super::openapi_parts::{
    error_ref, filters, get, lat_lon, origin_params, origine_member, properties_param, query,
    territoire_member, territoire_param,
};
use super::routing::{MAX_CLOSEST_K, MAX_CONTOURS, MAX_GENERALIZE_M, MAX_MINUTES};
use crate::routing::answer::Unrouted;

fn mode() -> Value {
    query(
        "mode",
        "Travel mode: car (road speeds) or walk (5.1 km/h).",
        json!({"type": "string", "enum": ["car", "walk"], "default": "car"}),
    )
}

/// The answers of `reachable` and `closest` (by `adresse` as well as lat/lon).
fn responses_by_adresse(ok: Value) -> Value {
    let mut r = responses(ok);
    r["404"] = json!({"description": "`adresse`: no address nor commune found.", "content": {"application/json": {"schema": error_ref()}}});
    r
}

fn responses(ok: Value) -> Value {
    json!({
        "200": ok,
        "304": {"description": "Not modified (`If-None-Match` matched the `ETag`)."},
        "400": {"description": "A bad, repeated or unknown parameter.", "content": {"application/json": {"schema": error_ref()}}},
        "422": {"description": "With a road graph: the point lies inside the graph's extent but farther than the snap limit (`serve --max-snap-m`, default 1 000 m) from any road usable in this mode.", "content": {"application/json": {"schema": error_ref()}}},
    })
}

fn travel_ok(description: &str) -> Value {
    json!({"description": description, "content": {"application/geo+json": {"schema": {"$ref": "#/components/schemas/TravelCollection"}}}})
}

fn with_filters(mut own: Vec<Value>) -> Value {
    own.extend(filters());
    Value::Array(own)
}

/// Adds the three travel-time paths to the document's `paths` object.
pub(super) fn add_paths(paths: &mut Value) {
    let minutes_max = MAX_MINUTES as u64;
    let reachable = get(
        "Places reachable within `minutes` by road from lat/lon or `adresse` (straight-line estimate without a road graph), filtered, sorted by `duration_s`. No matching place is left out because the graph does not cover it: a place outside the graph's extent, farther than the snap limit from any road, or on roads not joined to the query point's is listed when its straight-line estimate (great-circle distance × 1.3 at 50 km/h by car, 5 km/h on foot) is within the limit, marked `\"estimate\": \"straight_line\"` with its `motif_estimation`. A place the roads reach is always judged by its road time. From a point on the graph an estimate is never shorter than what the road search proves (the time it first reached that straight-line distance, and the largest road time of the matching places no farther), so a place timed by road never ranks after a farther estimated one.",
        with_filters({
            let mut p = origin_params();
            p.push(query(
                "minutes",
                "Travel-time limit, minutes.",
                json!({"type": "integer", "minimum": 1, "maximum": minutes_max, "default": 30}),
            ));
            p.push(mode());
            p.push(territoire_param());
            p.push(query(
                "isochrone",
                "Also return the `minutes` isochrone polygon as the top-level `isochrone` Feature: the contour `/v1/isochrone` draws for the same point, limit, `generalize` and `denoise`.",
                json!({"type": "string", "enum": ["true", "false", "1", "0"], "default": "false"}),
            ));
            p.extend(contour_params());
            p.push(properties_param());
            p
        }),
        responses_by_adresse(travel_ok(
            "Places within the limit, each with `duration_s` (seconds) and `distance_m` (metres along the road, snap legs included; straight line × 1.3 for estimates).",
        )),
    );
    let closest = get(
        "The k places closest to lat/lon (or `adresse`) by travel time (no time limit), filtered. \"The closest France Services\": `dispositif_programmes_nationaux=France Services`. Every matching place of the territory competes: those the roads reach by their road time, the others (outside the graph's extent, farther than the snap limit from any road, or on roads not joined to the query point's) by their straight-line estimate (great-circle distance × 1.3 at 50 km/h by car, 5 km/h on foot), marked `\"estimate\": \"straight_line\"` with their `motif_estimation`; the k smallest durations, road times and estimates together, sorted by `duration_s` (at equal durations a road time first, then the nearer estimate, then id). From a point on the graph an estimate is never shorter than what the road search proves (the time it first reached that straight-line distance, and the largest road time of the matching places no farther), so a place timed by road never ranks after a farther estimated one.",
        with_filters({
            let mut p = origin_params();
            p.push(query(
                "k",
                "How many places.",
                json!({"type": "integer", "minimum": 1, "maximum": MAX_CLOSEST_K as u64, "default": 3}),
            ));
            p.push(mode());
            p.push(territoire_param());
            p.push(properties_param());
            p
        }),
        responses_by_adresse(travel_ok(
            "The k closest places (fewer when fewer match), sorted by `duration_s` then id.",
        )),
    );
    let isochrone = get(
        "Isochrone polygons around lat/lon: one MultiPolygon Feature per contour, ascending and nested (up to the `generalize` tolerance; circles of the straight-line estimate without a road graph).",
        Value::Array({
            let mut p = lat_lon(true);
            p.push(json!({
                "name": "minutes", "in": "query", "required": false,
                "description": "Contours, minutes (comma-separated; duplicates are merged).",
                "style": "form", "explode": false,
                "schema": {"type": "array", "minItems": 1, "maxItems": MAX_CONTOURS as u64, "items": {"type": "integer", "minimum": 1, "maximum": minutes_max}, "default": [10, 20, 30]},
            }));
            p.push(mode());
            p.extend(contour_params());
            p
        }),
        responses(
            json!({"description": "One Feature per contour.", "content": {"application/geo+json": {"schema": {"$ref": "#/components/schemas/ContourCollection"}}}}),
        ),
    );
    paths["/v1/lieux/reachable"] = reachable;
    paths["/v1/lieux/closest"] = closest;
    paths["/v1/isochrone"] = isochrone;
}

fn estimate_member() -> Value {
    json!({"const": "straight_line", "description": "Present when the values are straight-line estimates (great-circle distance × 1.3 at 50 km/h by car, 5 km/h on foot), never road times: no graph loaded, the point lies outside it, or (on a feature) the roads do not reach the place (see `motif_estimation`)."})
}

/// `motif_estimation`: why a duration is an estimate; `values` are the reasons that can occur.
fn motif_member(values: &[Unrouted], description: &str) -> Value {
    let names: Vec<&str> = values.iter().map(|u| u.as_str()).collect();
    json!({"type": "string", "enum": names, "description": description})
}

fn feature_motif() -> Value {
    motif_member(
        &Unrouted::ALL,
        "With `estimate`: why this place has no road time. `sans_graphe`: no road graph is loaded; `depart_hors_graphe`: the query point lies outside the graph's extent; `hors_graphe`: the place lies outside it (beyond the box of every part of the graph, grown by the snap limit); `loin_des_routes`: the place lies inside the extent but farther than the snap limit (`serve --max-snap-m`) from any road usable in this mode; `non_relie`: the place is on a road the query point's roads do not join (another extract of the graph, an island).",
    )
}

fn mode_member() -> Value {
    json!({"type": "string", "enum": ["car", "walk"]})
}

/// Schema `TravelCollection`: the answer of `reachable` and `closest`.
pub(super) fn travel_collection() -> Value {
    json!({
        "type": "object", "required": ["type", "features", "numberReturned", "mode", "estimes"],
        "properties": {
            "type": {"const": "FeatureCollection"},
            "features": {"type": "array", "items": {"allOf": [
                {"$ref": "#/components/schemas/Feature"},
                {"type": "object", "required": ["properties"], "properties": {"properties": {
                    "type": "object", "required": ["duration_s", "distance_m"],
                    "properties": {
                        "duration_s": {"type": "number", "minimum": 0, "description": "Travel time, seconds."},
                        "distance_m": {"type": "number", "minimum": 0, "description": "Distance travelled, metres."},
                        "estimate": estimate_member(),
                        "motif_estimation": feature_motif(),
                    },
                }}},
            ]}},
            "numberReturned": {"type": "integer", "minimum": 0},
            "estimes": {"type": "integer", "minimum": 0, "description": "How many features are straight-line estimates (their `estimate` member is set)."},
            "mode": mode_member(),
            "territoire": territoire_member(),
            "origine": origine_member(),
            "minutes": {"type": "integer", "minimum": 1, "maximum": MAX_MINUTES as u64, "description": "`reachable` only: the limit."},
            "snap_m": {"type": "number", "minimum": 0, "description": "Road answers only: distance from the query point to the road it was snapped to, metres (walked at 5.1 km/h)."},
            "estimate": estimate_member(),
            "motif_estimation": motif_member(
                &[Unrouted::NoGraph, Unrouted::OriginOutside],
                "With the top-level `estimate`: why the query point has no road time (every feature is then an estimate).",
            ),
            "isochrone": {"$ref": "#/components/schemas/Contour"},
        },
    })
}

/// Schema `Contour`: one isochrone polygon.
pub(super) fn contour() -> Value {
    let ring = json!({"type": "array", "items": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "number"}}});
    json!({
        "type": "object", "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"const": "Feature"},
            "geometry": {
                "type": "object", "required": ["type", "coordinates"],
                "properties": {
                    "type": {"const": "MultiPolygon"},
                    "coordinates": {"type": "array", "items": {"type": "array", "items": ring}},
                },
            },
            "properties": {
                "type": "object", "required": ["minutes", "mode"],
                "properties": {
                    "minutes": {"type": "integer", "minimum": 1, "maximum": MAX_MINUTES as u64},
                    "mode": mode_member(),
                    "estimate": estimate_member(),
                },
            },
        },
    })
}

/// Schema `ContourCollection`: the answer of `/v1/isochrone`.
pub(super) fn contour_collection() -> Value {
    json!({
        "type": "object", "required": ["type", "features", "mode"],
        "properties": {
            "type": {"const": "FeatureCollection"},
            "features": {"type": "array", "maxItems": MAX_CONTOURS as u64, "items": {"$ref": "#/components/schemas/Contour"}},
            "mode": mode_member(),
            "estimate": estimate_member(),
        },
    })
}

/// `generalize` and `denoise`, shared by `/v1/isochrone` and `reachable`'s polygon.
fn contour_params() -> [Value; 2] {
    [
        query(
            "generalize",
            "Douglas–Peucker tolerance of the rings, metres, as Valhalla's `generalize`: every traced vertex stays within it of the simplified ring. Default: a quarter of the grid cell (Valhalla's default): 28 m on foot, 28 m (up to 15 minutes) to 139 m by car, more where a wide search coarsens the cell. 0: the rings as traced, strictly nested.",
            json!({"type": "number", "minimum": 0, "maximum": MAX_GENERALIZE_M}),
        ),
        query(
            "denoise",
            "Drops every ring (island or hole) smaller than this share of the contour's largest ring, as Valhalla's `denoise`; a dropped hole is filled. Default 0: every ring kept (holes only where a road crosses an area reached past the limit). 1 (Valhalla's default): the largest ring only, no hole.",
            json!({"type": "number", "minimum": 0, "maximum": 1, "default": 0}),
        ),
    ]
}
