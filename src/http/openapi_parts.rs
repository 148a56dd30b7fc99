//! Building blocks of the OpenAPI document shared by [`super::openapi`] and
//! [`super::openapi_routing`] (parameters, filters, responses), so that neither imports the
//! other's internals.

use serde_json::{Value, json};

use super::MAX_RADIUS_M;
use crate::model::{Dispositif, Frais, PriseEnCharge, Public, Service};

pub(super) fn enum_values<T: std::fmt::Display>(all: &[T]) -> Vec<String> {
    all.iter().map(ToString::to_string).collect()
}

pub(super) fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

/// A comma-separated list (`a,b`), as the filters take it.
pub(super) fn list(name: &str, description: &str, items: Value) -> Value {
    json!({
        "name": name, "in": "query", "required": false, "description": description,
        "style": "form", "explode": false,
        "schema": {"type": "array", "minItems": 1, "items": items},
    })
}

/// `properties=`: the properties each Feature carries.
pub(super) fn properties_param() -> Value {
    let mut p = list(
        "properties",
        "Only these properties in each Feature (OGC API – Features style), comma-separated, in any order: the Feature's `id` and `geometry` and the `id` property are always there; the others keep the order of the full Feature, and a property a place lacks stays absent. Default: every property; `properties=` (empty) keeps `id` alone. An unknown name is a 400 naming `properties`.",
        json!({"type": "string", "enum": super::features::property_names().collect::<Vec<_>>()}),
    );
    p["schema"]["minItems"] = json!(0);
    p
}

pub(super) fn filters() -> Vec<Value> {
    let text = json!({"type": "string", "minLength": 1, "pattern": "^[^,]*\\S[^,]*$"});
    // the enum filters: name, description, vocabulary
    #[rustfmt::skip]
    let enums = [
        ("services", "Places offering any of these services.", enum_values(Service::ALL)),
        ("publics_specifiquement_adresses", "Places addressing any of these publics.", enum_values(Public::ALL)),
        ("prise_en_charge_specifique", "Places with any of these specific supports.", enum_values(PriseEnCharge::ALL)),
        ("frais_a_charge", "Places with any of these fee modes.", enum_values(Frais::ALL)),
        ("dispositif_programmes_nationaux", "Places in any of these national programmes.", enum_values(Dispositif::ALL)),
    ];
    let mut out: Vec<Value> = enums
        .into_iter()
        .map(|(name, description, values)| {
            list(name, description, json!({"type": "string", "enum": values}))
        })
        .collect();
    out.extend([
        list(
            "autres_formations_labels",
            "Places with any of these other labels.",
            text.clone(),
        ),
        list("source", "Places from any of these sources.", text.clone()),
        query(
            "prise_rdv",
            "Places taking (true) or not taking (false) appointments online.",
            json!({"type": "string", "enum": ["true", "false", "1", "0"]}),
        ),
        query(
            "territoire_type",
            "Kind of the codes of `territoires` (both or neither).",
            json!({"type": "string", "enum": ["regions", "departements", "communes"]}),
        ),
        list(
            "territoires",
            "INSEE codes of régions, départements or communes (see `territoire_type`).",
            json!({"type": "string", "minLength": 1}),
        ),
        query(
            "ouvert_actuellement",
            "`true`: open now; or open at this RFC 3339 date-time (with offset). Places without hours are never open.",
            json!({"type": "string", "anyOf": [{"const": "true"}, {"format": "date-time"}]}),
        ),
        query(
            "ouvert_le_week_end",
            "Places open (true) or not (false) on the coming week-end.",
            json!({"type": "string", "enum": ["true", "false", "1", "0"]}),
        ),
        query(
            "exclure_doublons",
            "true (default): one place per group of duplicates that has a member matching the other filters, listed through its first matching member in principal order (most recent `date_maj`, then source priority, then smallest id; with no other filter, the principal); distances are that member's. false: every member. Members carry `properties.doublons`.",
            json!({"type": "string", "enum": ["true", "false", "1", "0"], "default": "true"}),
        ),
    ]);
    out
}

/// The `territoire` parameter of `nearest`, `closest` and `reachable`
/// ([`crate::nearest::Perimetre`]).
pub(super) fn territoire_param() -> Value {
    query(
        "territoire",
        "Territory searched. `auto` (default): the query point's own, metropolitan France (Corsica included) or the one overseas territory whose box holds the point; a point at sea takes the territory whose box is nearest within 200 km, a point farther from all of them searches every territory. A place's territory comes from its INSEE code (postcode when absent): 971 guadeloupe, 972 martinique, 973 guyane, 974 la-reunion, 975 saint-pierre-et-miquelon, 976 mayotte, 977 saint-barthelemy, 978 saint-martin, 986 wallis-et-futuna, 987 polynesie-francaise, 988 nouvelle-caledonie, anything else metropole. `tous`: every territory. A territory name: that territory.",
        json!({"type": "string", "enum": crate::nearest::Perimetre::values(), "default": "auto"}),
    )
}

/// The top-level `territoire` member of the answers of `nearest`, `closest` and `reachable`.
pub(super) fn territoire_member() -> Value {
    let names: Vec<&str> = crate::territory::Territoire::ALL
        .iter()
        .map(|t| t.as_str())
        .collect();
    json!({"type": ["string", "null"], "enum": names.into_iter().map(Value::from).chain([Value::Null]).collect::<Vec<_>>(), "description": "The territory searched (`null`: every territory)."})
}

/// Schema `NearestCollection`: the answer of `/v1/lieux/nearest`.
pub(super) fn nearest_collection() -> Value {
    let km = crate::nearest::DEFAULT_MAX_KM;
    json!({
        "type": "object", "required": ["type", "features", "numberReturned", "territoire", "max_km"],
        "properties": {
            "type": {"const": "FeatureCollection"},
            "features": {"type": "array", "items": {"$ref": "#/components/schemas/Feature"}, "description": "The k nearest places matching every filter, by (distance_m, id)."},
            "numberReturned": {"type": "integer", "minimum": 0},
            "territoire": territoire_member(),
            "origine": origine_member(),
            "max_km": {"type": ["number", "null"], "minimum": 0, "description": format!("The distance bound applied, km: `max_km`, else {km} when any filter but `exclure_doublons` is given, else `null` (none).")},
            "ouverts": {"type": "integer", "minimum": 0, "description": "With `ouvert_actuellement`: how many open places were found within the territory and the bound (the features)."},
            "alternatives": {
                "type": "array",
                "description": "With `ouvert_actuellement`, when fewer than k open places were found: up to k places of the same territory and bound that match every other filter, are closed at the instant and have a next opening within a year (places without hours are not offered). `tri=distance`: the nearest, by (distance_m, id). `tri=ouverture`: of the 1 000 nearest, those one can be at soonest while open, by (accueil_a, distance_m, id).",
                "items": {"allOf": [
                    {"$ref": "#/components/schemas/Feature"},
                    {"type": "object", "required": ["properties"], "properties": {"properties": {
                        "type": "object", "required": ["distance_m", "prochaine_ouverture", "duration_s", "estimate", "attente_s", "accueil_a"],
                        "properties": {
                            "distance_m": {"type": "number", "minimum": 0, "description": "Great-circle distance, metres."},
                            "ouvert": {"const": false},
                            "prochaine_ouverture": {"type": "string", "format": "date-time", "description": "Next opening after the instant asked, in the place's time zone."},
                            "duration_s": {"type": "number", "minimum": 0, "description": "Travel time, straight-line estimate in `mode`: great-circle distance × 1.3 at 50 km/h by car, 5 km/h on foot, seconds."},
                            "estimate": {"const": "straight_line"},
                            "attente_s": {"type": "number", "minimum": 0, "description": "Waiting on arrival until the place opens, seconds (0: open on arrival)."},
                            "accueil_a": {"type": "string", "format": "date-time", "description": "First instant one can be there while it is open: the instant asked + duration_s + attente_s, in the place's time zone."},
                        },
                    }}},
                ]},
            },
        },
    })
}

pub(super) fn params(own: Vec<Value>, with_filters: bool) -> Value {
    let mut all = own;
    if with_filters {
        all.extend(filters());
    }
    Value::Array(all)
}

pub(super) fn bbox(description: &str) -> Value {
    json!({
        "name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
        "description": description,
        "schema": {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number", "minimum": -180, "maximum": 180}},
    })
}

/// The origin of `nearest`, `closest` and `reachable`: `lat`/`lon` or `adresse`.
pub(super) fn origin_params() -> Vec<Value> {
    let mut p = lat_lon(false);
    p.push(query(
        "adresse",
        "Instead of lat/lon (not with them): an address, place or commune, geocoded like `/v1/adresses` (its first answer is the origin, echoed in `origine`); 404 when nothing is found. Either lat and lon or adresse is required.",
        json!({"type": "string", "minLength": 3, "maxLength": super::adresses::MAX_TEXT_CHARS, "pattern": "\\S.*\\S.*\\S"}),
    ));
    p
}

/// The top-level `origine` member of answers to a query by `adresse`.
pub(super) fn origine_member() -> Value {
    json!({"type": "object", "required": ["label", "lat", "lon", "source"], "description": "With `adresse`: the origin it resolved to.", "properties": {
        "label": {"type": "string"},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lon": {"type": "number", "minimum": -180, "maximum": 180},
        "source": {"enum": ["geocodeur", "communes"], "description": "`geocodeur`: the server's BAN geocoder; `communes`: the embedded commune table (no geocoder configured, or it failed or found nothing)."},
    }})
}

pub(super) fn lat_lon(required: bool) -> Vec<Value> {
    vec![
        json!({"name": "lat", "in": "query", "required": required, "description": "Latitude, WGS84 degrees.", "schema": {"type": "number", "minimum": -90, "maximum": 90}}),
        json!({"name": "lon", "in": "query", "required": required, "description": "Longitude, WGS84 degrees.", "schema": {"type": "number", "minimum": -180, "maximum": 180}}),
    ]
}

pub(super) fn area_and_paging(limit_max: Option<usize>) -> Vec<Value> {
    let mut p = vec![bbox(
        "minLon,minLat,maxLon,maxLat in WGS84 degrees (min ≤ max). Not with lat/lon/radius_m.",
    )];
    p.extend(lat_lon(false));
    p.push(query(
        "radius_m",
        "Radius around lat/lon, metres (with lat and lon).",
        json!({"type": "number", "minimum": 0, "maximum": MAX_RADIUS_M}),
    ));
    let mut limit = json!({"type": "integer", "minimum": 1});
    if let Some(m) = limit_max {
        limit["maximum"] = json!(m);
    }
    p.push(query("limit", "Page size (default: every match).", limit));
    p.push(query(
        "cursor",
        "Matches to skip (from a `next` link).",
        json!({"type": "integer", "minimum": 0}),
    ));
    p
}

pub(super) fn error_ref() -> Value {
    json!({"$ref": "#/components/schemas/Error"})
}

pub(super) fn responses(ok: Value, extra: &[(&str, &str)]) -> Value {
    let mut r = json!({
        "200": ok,
        "304": {"description": "Not modified (`If-None-Match` matched the `ETag`)."},
        "400": {"description": "A bad, repeated or unknown parameter.", "content": {"application/json": {"schema": error_ref()}}},
    });
    for (code, description) in extra {
        r[*code] = json!({"description": description, "content": {"application/json": {"schema": error_ref()}}});
    }
    r
}

pub(super) fn ok(media: &str, schema: &str, description: &str) -> Value {
    json!({"description": description, "content": {media: {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

pub(super) fn get(summary: &str, parameters: Value, responses: Value) -> Value {
    json!({"get": {"summary": summary, "parameters": parameters, "responses": responses}})
}
