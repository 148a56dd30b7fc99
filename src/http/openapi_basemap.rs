//! The base map's endpoints in the OpenAPI document (`/fonts/{fontstack}/{range}.pbf`), kept
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
