//! `GET /openapi.json`: the OpenAPI 3.1 description of every endpoint. Parameter schemas state
//! the validation the handlers really do (ranges from [`super::params`], enumerations from the
//! `ALL` of the [`crate::model`] enums), so a generated client or a fuzzer (schemathesis) sees
//! the same contract as the code.

use serde_json::{Value, json};

use super::ogc::DEFAULT_LIMIT;
use super::openapi_parts::*;
use super::{MAX_K, MAX_LIMIT};

/// `/v1/coverage` (see `super::coverage`).
fn coverage_path() -> Value {
    let totals = json!({"type": "object", "required": ["code", "communes", "population", "population_within", "share_within", "population_straight_line", "population_without_time"], "properties": {
        "code": {"type": "string"}, "communes": {"type": "integer"}, "population": {"type": "integer"},
        "population_within": {"type": "integer", "description": "Population within `minutes` of the nearest place."},
        "share_within": {"type": "number", "minimum": 0, "maximum": 1},
        "population_within_bands": {"type": "object", "description": "Population within 10, 20, 30 and 45 minutes."},
        "share_within_bands": {"type": "object"},
        "population_straight_line": {"type": "integer", "description": "Population whose time is a straight-line estimate (commune not covered by the road graph)."},
        "share_straight_line": {"type": "number"}, "communes_straight_line": {"type": "integer"},
        "population_without_time": {"type": "integer", "description": "Communes without coordinates, or no matching place."},
    }});
    let nullable = |t: &str| json!({"type": [t, "null"]});
    let commune = json!({"type": "object", "required": ["code_insee", "nom", "code_departement", "code_region", "population", "minutes", "seconds", "lieu_id", "method", "within"], "properties": {
        "code_insee": {"type": "string"}, "nom": {"type": "string"},
        "code_departement": {"type": "string"}, "code_region": {"type": "string"},
        "population": {"type": "integer", "minimum": 0},
        "minutes": nullable("number"), "seconds": nullable("integer"),
        "lieu_id": nullable("string"),
        "method": {"enum": ["road", "straight_line", "none"]},
        "within": {"type": "boolean", "description": "The time is at most `minutes`."},
    }});
    get(
        "Population within `minutes` of the nearest matching place, per département or région, or each commune's time a page at a time (`group_by=commune`, in the order of the computation's `communes.csv`, the same columns), from the last `lieux coverage` computation served (`serve --coverage DIR`). The filters must be those of that computation.",
        params(
            vec![
                query(
                    "group_by",
                    "Territory level.",
                    json!({"type": "string", "enum": ["departement", "region", "commune"], "default": "departement"}),
                ),
                query(
                    "limit",
                    &format!(
                        "`group_by=commune` only: communes per page (default {}, at most {}).",
                        super::coverage::DEFAULT_COMMUNES_PAGE,
                        super::coverage::MAX_COMMUNES_PAGE
                    ),
                    json!({"type": "integer", "minimum": 1, "maximum": super::coverage::MAX_COMMUNES_PAGE, "default": super::coverage::DEFAULT_COMMUNES_PAGE}),
                ),
                query(
                    "offset",
                    "`group_by=commune` only: communes to skip (from `next`).",
                    json!({"type": "integer", "minimum": 0, "default": 0}),
                ),
                query(
                    "minutes",
                    "Threshold, minutes (default: the computation's `--minutes`).",
                    json!({"type": "integer", "minimum": 1, "maximum": super::coverage::MAX_COVERAGE_MINUTES}),
                ),
            ],
            true,
        ),
        responses(
            json!({"description": "Totals (`groups`), or with `group_by=commune` a page of `communes` with `numberMatched`, `numberReturned`, `limit`, `offset` and, while more remain, `next`.", "content": {"application/json": {"schema": {"type": "object", "required": ["group_by", "mode", "minutes", "france"], "properties": {
                "group_by": {"type": "string", "enum": ["departement", "region", "commune"]},
                "mode": {"type": "string", "enum": ["car", "walk"]},
                "minutes": {"type": "integer"},
                "bands_minutes": {"type": "array", "items": {"type": "integer"}},
                "filters": {"type": "object"},
                "computed_at": {"type": "string"},
                "dataset_version": {"type": "string"},
                "france": {"oneOf": [{"type": "null"}, totals.clone()]},
                "groups": {"type": "array", "items": totals, "description": "Per département or région."},
                "communes": {"type": "array", "items": commune, "description": "`group_by=commune`: one page."},
                "numberMatched": {"type": "integer", "minimum": 0},
                "numberReturned": {"type": "integer", "minimum": 0},
                "limit": {"type": "integer", "minimum": 1},
                "offset": {"type": "integer", "minimum": 0},
                "next": {"type": "string", "description": "The next page (path and query)."},
            }}}}}),
            &[("404", "No coverage computed, or none for these filters.")],
        ),
    )
}

/// `/v1/adresses` (see `super::adresses`).
fn adresses_path() -> Value {
    use super::adresses::{MAX_ADRESSES, MAX_TEXT_CHARS};
    use crate::geocode::suggest::{AdresseSource, AdresseType};
    let types: Vec<&str> = AdresseType::ALL.iter().map(|t| t.as_str()).collect();
    let sources: Vec<&str> = AdresseSource::ALL.iter().map(|s| s.as_str()).collect();
    let nullable = json!({"type": ["string", "null"]});
    let feature = json!({
        "type": "object", "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"const": "Feature"},
            "geometry": {"type": "object", "required": ["type", "coordinates"], "properties": {"type": {"const": "Point"}, "coordinates": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "number"}}}},
            "properties": {"type": "object", "required": ["label", "commune", "code_insee", "code_postal", "type", "score", "source"], "properties": {
                "label": {"type": "string", "description": "What to show: the geocoder's label, or `Commune (code postal)`."},
                "commune": nullable, "code_insee": nullable, "code_postal": nullable,
                "type": {"enum": types},
                "score": {"type": "number", "minimum": 0, "maximum": 1},
                "source": {"enum": sources.clone()},
            }},
        },
    });
    get(
        "Address search for a person typing (autocompletion): the server's BAN-compatible geocoder (`serve --geocoder URL`, api-adresse or addok `/search/`), or the embedded commune table when no geocoder is configured, when it fails or times out (`serve --geocoder-timeout-ms`, default 2 000) and when it finds nothing. The commune table recognises a commune from the text (name or postcode prefix), a postcode in it, or its last words; its score is 1 for an exact name or postcode, else the share of the name typed, halved when recognised from part of a longer text.",
        json!([
            {"name": "q", "in": "query", "required": true, "description": "What the person typed: 3 to 200 characters (leading and trailing spaces ignored).", "schema": {"type": "string", "minLength": 3, "maxLength": MAX_TEXT_CHARS, "pattern": "\\S.*\\S.*\\S"}},
            query("limit", "Most answers.", json!({"type": "integer", "minimum": 1, "maximum": MAX_ADRESSES, "default": 5})),
            query("lat", "With lon: favour answers near this point (WGS84 degrees).", json!({"type": "number", "minimum": -90, "maximum": 90})),
            query("lon", "With lat.", json!({"type": "number", "minimum": -180, "maximum": 180})),
        ]),
        responses(
            json!({"description": "Answers, best first.", "content": {"application/geo+json": {"schema": {"type": "object", "required": ["type", "features", "numberReturned", "source"], "properties": {
                "type": {"const": "FeatureCollection"},
                "features": {"type": "array", "items": feature},
                "numberReturned": {"type": "integer", "minimum": 0},
                "source": {"enum": sources, "description": "Who answered: `geocodeur` or `communes` (the fallback)."},
            }}}}}),
            &[],
        ),
    )
}

/// The OpenAPI document.
pub fn document() -> Value {
    let collection_id = json!({"name": "collectionId", "in": "path", "required": true, "schema": {"type": "string"}});
    let feature_id =
        json!({"name": "featureId", "in": "path", "required": true, "schema": {"type": "string"}});
    let mut paths = json!({
        "/v1/lieux/nearest": get(
            "The k nearest places (great-circle distance) to lat/lon or `adresse`, filtered, in the query point's territory; with `ouvert_actuellement`, when fewer than k are open, the nearest closed ones with their next opening (`alternatives`).",
            params({
                let mut p = origin_params();
                p.push(query("k", "How many places.", json!({"type": "integer", "minimum": 1, "maximum": MAX_K, "default": 10})));
                p.push(query("max_km", &format!("Only places within this distance, km. Default: {} km when any filter but `exclure_doublons` is given, no bound otherwise; `max_km=20000` lifts the default.", crate::nearest::DEFAULT_MAX_KM), json!({"type": "number", "minimum": 0, "maximum": 20000})));
                p.push(territoire_param());
                p.push(query("tri", "Order of `alternatives`: `distance` (default), nearest first; `ouverture`, the place one can be at soonest while it is open first (straight-line travel time in `mode` + waiting until it opens). The features (open places) are always by distance.", json!({"type": "string", "enum": ["distance", "ouverture"], "default": "distance"})));
                p.push(query("mode", "Travel mode of the alternatives' estimates: car (50 km/h) or walk (5 km/h), over the great-circle distance × 1.3.", json!({"type": "string", "enum": ["car", "walk"], "default": "car"})));
                p.push(properties_param());
                p
            }, true),
            responses(ok("application/geo+json", "NearestCollection", "Places sorted by distance, with `distance_m`; the territory and distance bound searched; with `adresse`, the `origine` it resolved to; with `ouvert_actuellement`, `ouverts` and, when fewer than k are open, `alternatives`."), &[("404", "`adresse`: no address nor commune found.")]),
        ),
        "/v1/lieux": get(
            "Every place, in a bbox or a radius, filtered; streamed, paged by cursor.",
            params({
                let mut p = area_and_paging(Some(MAX_LIMIT));
                p.push(properties_param());
                p
            }, true),
            responses(ok("application/geo+json", "FeatureCollection", "Matching places; `links` has `next` when paged."), &[]),
        ),
        "/v1/lieux.csv": get(
            "The same selection as /v1/lieux as schema v1 CSV (32 columns, `|` lists); streamed.",
            params(area_and_paging(None), true),
            responses(json!({"description": "CSV with a header row.", "content": {"text/csv": {"schema": {"type": "string"}}}}), &[]),
        ),
        "/v1/lieux.json": get(
            "The same selection as /v1/lieux as the JSON array the national map's web component reads (npm @gouvfr-anct/cartographie-nationale, `source` attribute): schema v0 field names, lists as `;` strings, v0 values; places without a service are left out; streamed.",
            params(area_and_paging(None), true),
            responses(json!({"description": "Array of schema v0 records.", "content": {"application/json": {"schema": {"type": "array", "items": {
                "type": "object",
                "required": ["id", "pivot", "nom", "commune", "code_postal", "adresse", "date_maj", "services"],
                "properties": {
                    "id": {"type": "string"}, "pivot": {"type": "string"}, "nom": {"type": "string"},
                    "commune": {"type": "string"}, "code_postal": {"type": "string", "pattern": "^\\d{5}$"},
                    "adresse": {"type": "string"}, "latitude": {"type": "number"}, "longitude": {"type": "number"},
                    "date_maj": {"type": "string", "format": "date"}, "services": {"type": "string", "description": "v0 services joined with `;`"},
                },
            }}}}}), &[]),
        ),
        "/v1/lieux.fgb": {"get": {
            "summary": "Positioned places as FlatGeobuf with a packed Hilbert R-tree; byte ranges supported.",
            "parameters": [
                {"name": "Range", "in": "header", "required": false, "description": "One range `bytes=a-b`, `bytes=a-` or `bytes=-n`; others are ignored (whole file).", "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {"description": "The whole file.", "content": {"application/flatgeobuf": {"schema": {"type": "string", "contentEncoding": "binary"}}}},
                "206": {"description": "The requested range (never compressed), with `Content-Range`.", "content": {"application/flatgeobuf": {"schema": {"type": "string", "contentEncoding": "binary"}}}},
                "304": {"description": "Not modified."},
                "400": {"description": "A query parameter (none is accepted).", "content": {"application/json": {"schema": error_ref()}}},
                "416": {"description": "No byte of the range exists.", "content": {"application/json": {"schema": error_ref()}}},
            },
        }},
        "/v1/lieux/{id}": get(
            "One place.",
            json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}, properties_param()]),
            responses(ok("application/geo+json", "Feature", "The place."), &[("404", "No place with this id.")]),
        ),
        "/health": {"get": {"summary": "Liveness and the dataset served.", "responses": {"200": {"description": "Status.", "content": {"application/json": {"schema": {"type": "object", "required": ["status", "version"], "properties": {"status": {"const": "ok"}, "version": {"type": "string"}, "lieux": {"type": "integer"}, "positioned": {"type": "integer"}}}}}}}}},
        "/openapi.json": {"get": {"summary": "This document.", "responses": {"200": {"description": "OpenAPI 3.1.", "content": {"application/vnd.oai.openapi+json;version=3.1": {"schema": {"type": "object"}}}}}}},
        "/": get("OGC API – Features landing page (browsers asking for text/html get the map page instead).", json!([]), responses(ok("application/json", "Links", "Links to the API description, conformance and collections."), &[])),
        "/conformance": get("OGC API – Features conformance classes.", json!([]), responses(json!({"description": "Conformance classes.", "content": {"application/json": {"schema": {"type": "object", "required": ["conformsTo"], "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}}}}}}), &[])),
        "/collections": get("The collections (one: lieux).", json!([]), responses(json!({"description": "Collections.", "content": {"application/json": {"schema": {"type": "object", "required": ["links", "collections"], "properties": {"links": {"type": "array"}, "collections": {"type": "array", "items": {"$ref": "#/components/schemas/Collection"}}}}}}}), &[])),
        "/collections/{collectionId}": get("The collection lieux.", json!([collection_id]), responses(ok("application/json", "Collection", "The collection."), &[("404", "No such collection.")])),
        "/collections/{collectionId}/items": get(
            "Places as OGC API features (places without a position have a null geometry); paged by offset.",
            params({
                let mut p = vec![collection_id.clone(), bbox("minLon,minLat,maxLon,maxLat, CRS84 degrees: positioned places only.")];
                p.push(query("limit", "Page size.", json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT})));
                p.push(query("offset", "Matches to skip (from a `next`/`prev` link).", json!({"type": "integer", "minimum": 0, "default": 0})));
                p.push(properties_param());
                p
            }, true),
            responses(ok("application/geo+json", "FeatureCollection", "A page of places with `numberMatched`, `numberReturned`, `timeStamp` and `next`/`prev` links."), &[("404", "No such collection.")]),
        ),
        "/tiles/lieux": get(
            "TileJSON 3.0.0 of the clustered place tiles; the filters given are carried into the tile URL.",
            params(vec![], true),
            responses(json!({"description": "TileJSON.", "content": {"application/json": {"schema": {"type": "object", "required": ["tilejson", "tiles", "vector_layers"]}}}}), &[]),
        ),
        "/tiles/lieux/{z}/{x}/{y}": {"get": {
            "summary": "Mapbox Vector Tile (layer `lieux`, extent 4096): places and supercluster clusters (`cluster`, `cluster_id`, `point_count`, `point_count_abbreviated`).",
            "parameters": params(vec![
                    json!({"name": "z", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 0, "maximum": crate::tiles::MAX_ZOOM}}),
                    json!({"name": "x", "in": "path", "required": true, "description": "Below 2^z.", "schema": {"type": "integer", "minimum": 0}}),
                    json!({"name": "y", "in": "path", "required": true, "description": "Below 2^z; `.mvt` or `.pbf` may follow.", "schema": {"type": "string", "pattern": "^[0-9]+(\\.(mvt|pbf))?$"}}),
                ], true),
            "responses": {
                "200": {"description": "The tile.", "content": {"application/vnd.mapbox-vector-tile": {"schema": {"type": "string", "contentEncoding": "binary"}}}},
                "204": {"description": "Empty tile."},
                "304": {"description": "Not modified."},
                "400": {"description": "A bad parameter.", "content": {"application/json": {"schema": error_ref()}}},
                "404": {"description": "Outside the tile pyramid.", "content": {"application/json": {"schema": error_ref()}}},
            },
        }},
        "/v1/stats": get(
            "Places per département or région, filtered.",
            params(vec![query("group_by", "Territory level.", json!({"type": "string", "enum": ["departement", "region"], "default": "departement"}))], true),
            responses(json!({"description": "Counts.", "content": {"application/json": {"schema": {"type": "object", "required": ["group_by", "total", "groups"], "properties": {"total": {"type": "integer"}, "groups": {"type": "array", "items": {"type": "object", "required": ["code", "count"]}}}}}}}), &[]),
        ),
        "/v1/communes": get(
            "Communes (and Paris/Lyon/Marseille arrondissements) whose name starts with `q` (accents, case, hyphens ignored; also the start of a later word) or, for digits, whose postcode starts with `q`; exact names first, then by population.",
            json!([
                {"name": "q", "in": "query", "required": true, "description": "Start of a commune name or postcode.", "schema": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "\\S"}},
                query("limit", "Most communes returned.", json!({"type": "integer", "minimum": 1, "maximum": 50, "default": 10})),
            ]),
            responses(json!({"description": "Matching communes.", "content": {"application/json": {"schema": {"type": "object", "required": ["communes"], "properties": {"communes": {"type": "array", "items": {
                "type": "object",
                "required": ["code_insee", "nom", "codes_postaux", "lon", "lat", "population", "area_km2"],
                "properties": {
                    "code_insee": {"type": "string"}, "nom": {"type": "string"},
                    "codes_postaux": {"type": "array", "items": {"type": "string"}},
                    "lon": {"type": "number"}, "lat": {"type": "number"},
                    "population": {"type": "integer"}, "area_km2": {"type": "number"},
                },
            }}}}}}}), &[]),
        ),
        "/widget.js": {"get": {"summary": "The embeddable `<lieux-nearest>` custom element.", "responses": {"200": {"description": "JavaScript.", "content": {"text/javascript": {"schema": {"type": "string"}}}}}}},
        "/favicon.ico": {"get": {"summary": "The site icon, 32 × 32 (also `/favicon.svg`).", "responses": {"200": {"description": "ICO holding a PNG.", "content": {"image/x-icon": {"schema": {"type": "string", "contentEncoding": "binary"}}}}}}},
        "/collections/{collectionId}/items/{featureId}": get(
            "One place as an OGC API feature.",
            json!([collection_id, feature_id, properties_param()]),
            responses(ok("application/geo+json", "Feature", "The place."), &[("404", "No such collection or place.")]),
        ),
    });
    paths["/v1/coverage"] = coverage_path();
    paths["/v1/adresses"] = adresses_path();
    super::openapi_routing::add_paths(&mut paths);
    super::openapi_basemap::add_paths(&mut paths);
    add_replica_paths(&mut paths);
    metrics_and_limits(&mut paths);
    paths["/v1/imports"] = imports_path();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "lieux",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "France's lieux de médiation numérique (national schema v1.0.2): nearest, filtered and in-area queries, OGC API – Features, CSV and FlatGeobuf exports. Every bad parameter is a 400 naming it; unknown parameters are rejected.",
            "license": {"name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0"},
        },
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "The LIEUX_IMPORT_TOKEN of the server (POST /v1/imports only)."}},
            "schemas": {
            "Error": {
                "type": "object", "required": ["error"],
                "properties": {"error": {
                    "type": "object", "required": ["message"],
                    "properties": {"parameter": {"type": "string", "description": "The offending parameter."}, "message": {"type": "string"}},
                }},
            },
            "Feature": {
                "type": "object", "required": ["type", "id", "geometry", "properties"],
                "properties": {
                    "type": {"const": "Feature"},
                    "id": {"type": "string"},
                    "geometry": {"oneOf": [
                        {"type": "null"},
                        {"type": "object", "required": ["type", "coordinates"], "properties": {"type": {"const": "Point"}, "coordinates": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "number"}}}},
                    ]},
                    "properties": {
                        "type": "object", "required": ["id"],
                        "description": "The schema v1 fields (lists as arrays, empty ones omitted; `nom` always, unless a `properties=` selection leaves it out), `distance_m`, `ouvert`, `prochaine_ouverture`, `position`: how the coordinates were obtained (absent for places without coordinates or loaded from a snapshot that does not record it), and `doublons` for a place published more than once.",
                        "properties": {"position": position_origine_schema(), "doublons": {"$ref": "#/components/schemas/Doublons"}},
                    },
                    "links": {"type": "array"},
                },
            },
            "Doublons": {
                "type": "object", "required": ["groupe", "principal", "lieu_principal", "membres"],
                "description": "The group of duplicate records of this place (same commune, within 200 m, similar name or same address). Present only for a group of 2 or more.",
                "properties": {
                    "groupe": {"type": "string", "description": "Group id: the smallest id among the members (stable across load orders)."},
                    "principal": {"type": "boolean", "description": "This place is the group's principal: the member listed when `exclure_doublons=true` and no other filter is given (a filter lists the first matching member in principal order)."},
                    "lieu_principal": {"type": "string", "description": "Id of the group's principal."},
                    "membres": {"type": "integer", "minimum": 2, "description": "Number of members."},
                },
            },
            "FeatureCollection": {
                "type": "object", "required": ["type", "features", "numberReturned"],
                "properties": {
                    "type": {"const": "FeatureCollection"},
                    "features": {"type": "array", "items": {"$ref": "#/components/schemas/Feature"}},
                    "numberMatched": {"type": "integer", "minimum": 0},
                    "numberReturned": {"type": "integer", "minimum": 0},
                    "timeStamp": {"type": "string", "format": "date-time"},
                    "links": {"type": "array", "items": {"$ref": "#/components/schemas/Link"}},
                },
            },
            "Link": {
                "type": "object", "required": ["href", "rel"],
                "properties": {"href": {"type": "string"}, "rel": {"type": "string"}, "type": {"type": "string"}, "title": {"type": "string"}},
            },
            "Links": {
                "type": "object", "required": ["links"],
                "properties": {"title": {"type": "string"}, "description": {"type": "string"}, "links": {"type": "array", "items": {"$ref": "#/components/schemas/Link"}}},
            },
            "NearestCollection": nearest_collection(),
            "TravelCollection": super::openapi_routing::travel_collection(),
            "ContourCollection": super::openapi_routing::contour_collection(),
            "Contour": super::openapi_routing::contour(),
            "Collection": {
                "type": "object", "required": ["id", "links"],
                "properties": {"id": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"}, "itemType": {"type": "string"}, "extent": {"type": "object"}, "crs": {"type": "array", "items": {"type": "string"}}, "links": {"type": "array", "items": {"$ref": "#/components/schemas/Link"}}},
            },
        }},
    })
}

/// `/metrics`, and the answers of the request limits ([`super::limits`]) on every operation:
/// 429 (per-client rate limit, when enabled) and 503 (overload, timeout), both with
/// `Retry-After` and the JSON error body.
/// `POST /v1/imports` (see [`super::imports`]): disabled (404) unless the server has a token.
fn imports_path() -> Value {
    let err = |description: &str| json!({"description": description, "content": {"application/json": {"schema": error_ref()}}});
    let count = json!({"type": "integer", "minimum": 0});
    let report = json!({
        "type": "object",
        "required": ["rows", "accepted", "rejected", "report"],
        "properties": {
            "version": {"type": ["string", "null"], "description": "The new dataset version (null when nothing was replaced)."},
            "source": {"type": ["string", "null"]},
            "lieux": {"type": "integer", "description": "Places served after the import."},
            "rows": count, "accepted": count, "repaired": count, "rejected": count, "without_coordinates": count,
            "report": {"type": "array", "items": {"type": "object", "properties": {
                "line_or_index": {"type": "integer", "description": "CSV line (header = 1) or 0-based JSON index."},
                "id": {"type": "string"}, "field": {"type": "string"},
                "kind": {"enum": ["rejected", "repaired", "dropped", "info"]},
                "reason": {"type": "string"}, "value": {"type": "string"},
            }}},
            "report_truncated": {"type": "boolean"},
        },
    });
    let mut unprocessable = err(
        "The file cannot be read, every row was rejected, or the mapping config is invalid (`parameter`: `mapping`): nothing replaced (`report` holds the rows' reasons when there are rows).",
    );
    unprocessable["content"]["application/json"]["schema"] =
        json!({"allOf": [error_ref(), {"properties": {"report": report.clone()}}]});
    json!({"post": {
        "summary": "Replace the served places with a file (schema CSV, JSON or GeoJSON, v0 or v1), atomically. `source` replaces only that source's places. Bearer token required; disabled unless the server was started with LIEUX_IMPORT_TOKEN.",
        "security": [{"bearer": []}],
        "parameters": [
            query("format", "Format of the body; sniffed from the content when absent.", json!({"enum": ["csv", "json", "geojson"]})),
            query("source", "Replace only the places of this source (every imported row gets it); absent: replace the whole set.", json!({"type": "string", "minLength": 1, "maxLength": 200})),
            query("mapping", "The body is a raw producer file (JSON array or CSV) mapped with the server's mapping config NAME (`serve --mappings DIR`: `DIR/NAME.config.json`, the mednum-cli format). Unknown name: 400; invalid config: 422 naming the config key.", json!({"type": "string", "pattern": "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$"})),
            query("date_maj", "With mapping: `date_maj` of rows without a usable date (default: today).", json!({"type": "string", "format": "date"})),
            query("id_prefix", "With mapping: prefix added to every id.", json!({"type": "string", "minLength": 1, "maxLength": 100})),
            query("geocoder", "`offline`: rows without coordinates are placed at a point inside their commune (embedded commune table; `position.source` = `commune`). BAN geocoding is for `lieux import --geocoder`; a server started with `serve --geocoder URL` reverse geocodes the rows with coordinates and no street address (`position.adresse` = `geocodage_inverse`).", json!({"type": "string", "enum": ["offline"]})),
        ],
        "requestBody": {"required": true, "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {}},
            "application/geo+json": {"schema": {"type": "object"}},
        }},
        "responses": {
            "200": {"description": "Imported: the report and the new version.", "content": {"application/json": {"schema": report}}},
            "400": err("A bad or unknown parameter, or an unreadable request body."),
            "401": {"description": "Missing or wrong bearer token.", "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}, "content": {"application/json": {"schema": error_ref()}}},
            "404": err("Live imports are disabled on this server."),
            "413": err("The body is larger than 50 MB."),
            "422": unprocessable,
            "429": err("Too many requests from this client (per-IP rate limit, when enabled)."),
            "503": err("Server busy or request timed out."),
        },
    }})
}

fn metrics_and_limits(paths: &mut Value) {
    if let Some(map) = paths.as_object_mut() {
        map.insert(
            "/metrics".to_owned(),
            json!({"get": {
                "summary": "Prometheus metrics (text format 0.0.4): requests and latency per route template, dataset version and age, refused requests, import outcomes.",
                "parameters": [],
                "responses": {
                    "200": {"description": "Metrics.", "content": {"text/plain": {"schema": {"type": "string"}}}},
                    "400": {"description": "Unknown parameter.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                },
            }}),
        );
        let retry_after = json!({"Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer", "minimum": 1}}});
        let refused = |description: &str| {
            json!({
                "description": description,
                "headers": retry_after,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            })
        };
        for item in map.values_mut() {
            let Some(responses) = item
                .pointer_mut("/get/responses")
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            responses.insert(
                "429".to_owned(),
                refused("Too many requests from this client (per-IP rate limit, when enabled)."),
            );
            responses.insert(
                "503".to_owned(),
                refused("Server busy or request timed out."),
            );
        }
    }
}

/// `properties.position` of a Feature ([`crate::geocode::PositionOrigine`]).
fn position_origine_schema() -> Value {
    use crate::geocode::{Precision, SourcePosition};
    let sources: Vec<&str> = SourcePosition::ALL.iter().map(|s| s.as_str()).collect();
    let adresses: Vec<&str> = crate::model::SourceAdresse::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    let precisions: Vec<&str> = Precision::ALL.iter().map(|p| p.as_str()).collect();
    json!({
        "type": "object", "required": ["source", "precision"],
        "properties": {
            "source": {"enum": sources, "description": "`donnees`: the producer's coordinates; `reparee`: repaired by an import rule; `ban`: geocoded from the address; `commune`: a point inside the commune (no address match)."},
            "precision": {"enum": precisions, "description": "`producteur` for the producer's coordinates, else the geocoder's level."},
            "score": {"type": "number", "minimum": 0, "description": "Geocoder score (BAN, 0..1)."},
            "adresse": {"enum": adresses, "description": "Present when the producer gave no street address: `commune`, the commune name stands for it; `geocodage_inverse`, the address reverse geocoding found near the position."},
        },
    })
}

/// `/ready` and `/v1/snapshot` ([`super::replica`]).
fn add_replica_paths(paths: &mut Value) {
    let more = json!({
        "/ready": {"get": {"summary": "Readiness: 200 once a dataset is served; 503 while a follower (`serve --follow`) has not loaded its first one (its data endpoints answer 503 too).", "responses": {"200": {"description": "Ready.", "content": {"application/json": {"schema": {"type": "object", "required": ["status", "version"], "properties": {"status": {"const": "ready"}, "version": {"type": "string"}}}}}}, "503": {"description": "Not ready.", "content": {"application/json": {"schema": {"type": "object", "required": ["status"], "properties": {"status": {"const": "loading"}, "message": {"type": "string"}}}}}}}}},
        "/v1/snapshot": {"get": {"summary": "The whole dataset served, as the snapshot file `lieux import` writes (FlatGeobuf; places without a position have no geometry; position provenance columns), for followers (`serve --follow`). Strong ETag = the dataset version (the content hash a loader recomputes); `Repr-Digest` (RFC 9530) = its SHA-256; `Cache-Control: no-cache`.", "parameters": [], "responses": {"200": {"description": "The snapshot.", "content": {"application/flatgeobuf": {"schema": {"type": "string", "format": "binary"}}}}, "304": {"description": "`If-None-Match` names the version served."}, "400": {"description": "A query parameter (none is accepted).", "content": {"application/json": {"schema": error_ref()}}}}}},
    });
    if let (Some(map), Value::Object(more)) = (paths.as_object_mut(), more) {
        map.extend(more);
    }
}
