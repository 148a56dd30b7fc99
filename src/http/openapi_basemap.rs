//! The base map's endpoints in the OpenAPI document (`/tiles/routes/{z}/{x}/{y}`,
//! `/fonts/{fontstack}/{range}.pbf`), kept
//! beside [`super::openapi`] as [`super::openapi_routing`] is.

use serde_json::{Value, json};

use super::openapi_parts::error_ref;

fn binary(media: &str, description: &str) -> Value {
    json!({"description": description, "content": {media: {"schema": {"type": "string", "contentEncoding": "binary"}}}})
}

fn error(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": error_ref()}}})
}

/// Adds the base map's paths to `paths`.
pub(super) fn add_paths(paths: &mut Value) {
    let tile_param = |name: &str, description: &str, schema: Value| json!({"name": name, "in": "path", "required": true, "description": description, "schema": schema});
    paths["/tiles/routes/{z}/{x}/{y}"] = json!({"get": {
        "summary": "With a road graph (`serve --graph`): its roads as a Mapbox Vector Tile (layer `routes`, extent 4096), one MultiLineString per `classe`: `rapide` (car speed ≥ 90 km/h) and `principale` (≥ 65) from zoom 11, `secondaire` (≥ 45) from 12, `locale` (≥ 25) from 13, `desserte` from 14, `pieton` (walk-only ways) from 15; simplified per zoom, at most 500 KB.",
        "parameters": [
            tile_param("z", "Zoom.", json!({"type": "integer", "minimum": 0, "maximum": crate::tiles::MAX_ZOOM})),
            tile_param("x", "Below 2^z.", json!({"type": "integer", "minimum": 0})),
            tile_param("y", "Below 2^z; `.mvt` or `.pbf` may follow.", json!({"type": "string", "pattern": "^[0-9]+(\\.(mvt|pbf))?$"})),
        ],
        "responses": {
            "200": binary("application/vnd.mapbox-vector-tile", "The tile."),
            "204": {"description": "Empty tile (no road there, or a zoom before every class)."},
            "304": {"description": "Not modified."},
            "400": error("A bad parameter."),
            "404": error("No road graph is loaded, or outside the tile pyramid."),
        },
    }});
    paths["/fonts/{fontstack}/{range}.pbf"] = json!({"get": {
        "summary": "SDF glyphs of the map labels (MapLibre `glyphs` URL), embedded: font `DejaVu Sans Book`, ranges 0-255, 256-511, 8192-8447.",
        "parameters": [
            {"name": "fontstack", "in": "path", "required": true, "description": "Font names joined by commas (a style's `text-font`); the first embedded one is served.", "schema": {"type": "string"}},
            {"name": "range", "in": "path", "required": true, "description": "`{start}-{start+255}`, start a multiple of 256.", "schema": {"type": "string", "pattern": "^[0-9]+-[0-9]+$"}},
        ],
        "responses": {
            "200": binary("application/x-protobuf", "The glyph range (Mapbox glyph protobuf)."),
            "304": {"description": "Not modified."},
            "400": error("A malformed range."),
            "404": error("A font or range not embedded."),
        },
    }});
}
