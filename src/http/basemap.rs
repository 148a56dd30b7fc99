//! The base map's own endpoints: glyphs of the labels (`/fonts/{fontstack}/{range}.pbf`).

use warp::reply::Response;

use super::reply::{self, ApiError, Body, Ctx, cached};
use crate::glyphs::{self, GlyphLookupError};

/// `GET /fonts/{fontstack}/{range}.pbf`: an embedded SDF glyph range (`application/x-protobuf`);
/// 404 for a font or range not embedded, 400 for a malformed range.
pub fn glyphs(fontstack: &str, range: &str, ctx: &Ctx) -> Response {
    let fontstack = percent_encoding::percent_decode_str(fontstack).decode_utf8_lossy();
    let range = range.strip_suffix(".pbf").unwrap_or(range);
    let err = match glyphs::lookup(&fontstack, range) {
        Ok(bytes) => {
            let tag = reply::etag(
                &["glyphs", &fontstack, range, env!("CARGO_PKG_VERSION")],
                ctx.coding,
            );
            return cached(ctx, tag, "application/x-protobuf", || {
                Body::Full(bytes.to_vec())
            });
        }
        Err(e @ GlyphLookupError::BadRange(_)) => ApiError::bad("range", &e.to_string()),
        Err(e @ GlyphLookupError::UnknownFont(_)) => ApiError::NotFound {
            parameter: "fontstack",
            message: e.to_string(),
        },
        Err(e @ GlyphLookupError::UnknownRange(_)) => ApiError::NotFound {
            parameter: "range",
            message: e.to_string(),
        },
    };
    err.into_response()
}
