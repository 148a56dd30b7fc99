//! The base map's endpoints in the OpenAPI document (`/tiles/routes/{z}/{x}/{y}`,
//! `/tiles/communes/{z}/{x}/{y}`, `/config.json`, `/fonts/{fontstack}/{range}.pbf`), kept
//! beside [`super::openapi`] as [`super::openapi_routing`] is.

use serde_json::{Value, json};

use super::openapi_parts::error_ref;

fn binary(media: &str, description: &str) -> Value {
    json!({"description": description, "content": {media: {"schema": {"type": "string", "contentEncoding": "binary"}}}})
}

fn error(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": error_ref()}}})
}

/// A `{z}/{x}/{y}` MVT endpoint.
fn tile_path(summary: &str, empty: &str, not_found: &str) -> Value {
    let param = |name: &str, description: &str, schema: Value| json!({"name": name, "in": "path", "required": true, "description": description, "schema": schema});
    json!({"get": {
        "summary": summary,
        "parameters": [
            param("z", "Zoom.", json!({"type": "integer", "minimum": 0, "maximum": crate::tiles::MAX_ZOOM})),
            param("x", "Below 2^z.", json!({"type": "integer", "minimum": 0})),
            param("y", "Below 2^z; `.mvt` or `.pbf` may follow.", json!({"type": "string", "pattern": "^[0-9]+(\\.(mvt|pbf))?$"})),
        ],
        "responses": {
            "200": binary("application/vnd.mapbox-vector-tile", "The tile."),
            "204": {"description": empty},
            "304": {"description": "Not modified."},
            "400": error("A bad parameter."),
            "404": error(not_found),
        },
    }})
}

/// Adds the base map's paths to `paths`.
pub(super) fn add_paths(paths: &mut Value) {
    paths["/tiles/routes/{z}/{x}/{y}"] = tile_path(
        "With a road graph (`serve --graph`): its roads as a Mapbox Vector Tile (layer `routes`, extent 4096), one MultiLineString per `classe`: `rapide` (car speed ≥ 90 km/h) and `principale` (≥ 65) from zoom 11, `secondaire` (≥ 45) from 12, `locale` (≥ 25) from 13, `desserte` from 14, `pieton` (walk-only ways) from 15; simplified per zoom, at most 500 KB.",
        "Empty tile (no road there, or a zoom before every class).",
        "No road graph is loaded, or outside the tile pyramid.",
    );
    paths["/tiles/communes/{z}/{x}/{y}"] = tile_path(
        "Commune names as a Mapbox Vector Tile (layer `communes`, points with `nom`, `code_insee`, `population`), each from a zoom set by its population: ≥ 100 000 from 5, ≥ 30 000 from 6, ≥ 10 000 from 7, ≥ 3 000 from 8, ≥ 1 000 from 9, every commune from 10, Paris/Lyon/Marseille arrondissements from 12.",
        "Empty tile.",
        "Outside the tile pyramid.",
    );
    paths["/config.json"] = json!({"get": {
        "summary": "What the map page draws its base map with.",
        "responses": {
            "200": {"description": "`basemap_style` (the `serve --basemap-style` URL, or null: offline layers), `glyphs` and `font`, `routes` (the road tiles, null without a graph), `communes` (the commune name tiles), `territoires` (code, nom, bbox of the territory switcher).", "content": {"application/json": {"schema": {"type": "object", "required": ["basemap_style", "glyphs", "font", "routes", "communes", "territoires"]}}}},
            "304": {"description": "Not modified."},
            "400": error("A query parameter (none is accepted)."),
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
