//! Static assets compiled into the binary, so the map works with no internet: the map page, its
//! script, MapLibre GL JS (vendored by scripts/vendor-maplibre.sh), the département base layer
//! (data/departements.geojson, `lieux basemap`), the `<lieux-nearest>` widget and the
//! favicon (`/favicon.ico`, a 32 × 32 PNG in an ICO, and `/favicon.svg`: browsers ask for the
//! first on any page).

use warp::reply::Response;

use super::reply::{self, Body, Ctx, cached};

/// `/widget.js`: the `<lieux-nearest>` custom element (`static/widget.js`) with the hours
/// wording it shares with the map page (`static/horaires.js`), in one block so that nothing
/// leaks into the embedding page's globals.
pub const WIDGET_JS: &str = concat!(
    "{\n",
    include_str!("../../static/horaires.js"),
    include_str!("../../static/widget.js"),
    "}\n"
);

/// `(path, content type, bytes)` of every asset.
pub const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "",
        "text/html; charset=utf-8",
        include_bytes!("../../static/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/app.js"),
    ),
    (
        "basemap.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/basemap.js"),
    ),
    (
        "outils.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/outils.js"),
    ),
    (
        "recherche.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/recherche.js"),
    ),
    (
        "horaires.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/horaires.js"),
    ),
    (
        "widget.js",
        "text/javascript; charset=utf-8",
        WIDGET_JS.as_bytes(),
    ),
    (
        "vendor/maplibre-gl.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/vendor/maplibre-gl/maplibre-gl.js"),
    ),
    (
        "vendor/maplibre-gl.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/vendor/maplibre-gl/maplibre-gl.css"),
    ),
    (
        "favicon.ico",
        "image/x-icon",
        include_bytes!("../../static/favicon.ico"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../static/favicon.svg"),
    ),
    (
        "basemap/departements.geojson",
        "application/geo+json",
        include_bytes!("../../data/departements.geojson"),
    ),
];

/// The asset at `path` (without the leading `/`), if any.
pub fn asset(path: &str, ctx: &Ctx) -> Option<Response> {
    let (name, content_type, bytes) = ASSETS.iter().find(|(p, _, _)| *p == path)?;
    let tag = reply::etag(
        &[
            "asset",
            name,
            env!("CARGO_PKG_VERSION"),
            &bytes.len().to_string(),
        ],
        ctx.coding,
    );
    Some(cached(ctx, tag, content_type, || {
        Body::Full(bytes.to_vec())
    }))
}
