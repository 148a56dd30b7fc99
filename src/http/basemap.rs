//! The base map's own endpoints: glyphs of the labels (`/fonts/{fontstack}/{range}.pbf`), the
//! road graph's roads and the commune names as vector tiles (`/tiles/routes/{z}/{x}/{y}`,
//! `/tiles/communes/{z}/{x}/{y}`), and what the page draws them with (`/config.json`).

use std::sync::{Arc, OnceLock};

use geozero::mvt::TileValue;
use serde_json::json;

use warp::reply::Response;

use super::AppState;
use super::reply::{self, ApiError, Body, Ctx, cached};
use super::tiles::{mvt_reply, no_content, off_workers, tile_coord};
use crate::glyphs::{self, GlyphLookupError};
use crate::routing::graph::RoadNetwork;
use crate::routing::lines::{RoadClass, road_lines};
use crate::territory::Territoire;
use crate::tiles::labels::{self, PointLabel};
use crate::tiles::lines::{LineTiles, TileLine};

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

/// The road graph's lines indexed for `/tiles/routes/{z}/{x}/{y}`.
pub struct RoadTiles {
    tiles: LineTiles,
    /// Identifies the graph in ETags (CRC-32 of its car nodes' coordinates and its sizes).
    version: String,
}

/// First zoom each road class is drawn at: main roads from 11 (a département), town streets
/// from 13, service ways from 14, footways from 15.
pub fn road_minzoom(class: RoadClass) -> u8 {
    match class {
        RoadClass::Rapide | RoadClass::Principale => 11,
        RoadClass::Secondaire => 12,
        RoadClass::Locale => 13,
        RoadClass::Desserte => 14,
        RoadClass::Pieton => 15,
    }
}

/// Name of the road tiles' layer.
pub const ROADS_LAYER: &str = "routes";
/// Deepest zoom of the road tiles the page asks for (deeper zooms are drawn from it).
pub const ROADS_MAXZOOM: u8 = 16;

impl RoadTiles {
    fn build(net: &RoadNetwork) -> RoadTiles {
        let started = std::time::Instant::now();
        let lines: Vec<TileLine> = road_lines(net)
            .into_iter()
            .map(|l| TileLine {
                class: l.class.as_str(),
                minzoom: road_minzoom(l.class),
                points: l.points,
            })
            .collect();
        let count = lines.len();
        let mut crc = crc32fast::Hasher::new();
        for v in net.car.lon.iter().chain(&net.car.lat) {
            crc.update(&v.to_le_bytes());
        }
        let version = format!(
            "{:08x}-{}-{}",
            crc.finalize(),
            net.car.arc_count(),
            net.walk.arc_count()
        );
        let tiles = LineTiles::new(ROADS_LAYER, lines);
        tracing::info!(
            lines = count,
            ms = started.elapsed().as_millis() as u64,
            "road tiles indexed"
        );
        RoadTiles { tiles, version }
    }
}

impl AppState {
    /// The road tiles of the graph served, indexed on first use; `None` without a graph.
    pub(super) fn road_tiles(&self) -> Option<Arc<RoadTiles>> {
        let router = self.router()?;
        Some(Arc::clone(self.roads.get_or_init(|| {
            Arc::new(RoadTiles::build(router.network()))
        })))
    }
}

/// `GET /tiles/routes/{z}/{x}/{y}`: the road graph's roads (layer `routes`, attribute
/// `classe`); 204 for an empty tile (or a zoom above the classes' first), 404 without a graph.
pub async fn road_tile(
    state: Arc<AppState>,
    z: String,
    x: String,
    y: String,
    raw: String,
    ctx: Ctx,
) -> Response {
    let run = move || -> Result<Response, ApiError> {
        let q = super::parse(&raw, &[])?;
        if let Some((k, _)) = q.pairs.first() {
            return Err(ApiError::bad(k, "unknown parameter"));
        }
        let c = tile_coord(&z, &x, &y)?;
        let roads = state.road_tiles().ok_or_else(|| ApiError::NotFound {
            parameter: "graph",
            message: "no road graph is loaded (serve --graph FILE)".into(),
        })?;
        let Some(bytes) = roads.tiles.encode(c) else {
            return Ok(no_content());
        };
        let tag = reply::etag(
            &[
                &roads.version,
                "routes",
                &format!("{}/{}/{}", c.z, c.x, c.y),
            ],
            ctx.coding,
        );
        Ok(mvt_reply(&ctx, tag, bytes))
    };
    // indexing the graph (first request) and cutting a z11 tile are CPU work
    off_workers(run).await
}

/// Name of the commune labels' layer.
pub const COMMUNES_LAYER: &str = "communes";

/// First zoom of a commune's label, by population: the big towns at country zoom, every
/// village from zoom 10 (arrondissements of Paris, Lyon and Marseille from 12).
pub fn commune_minzoom(population: u64, arrondissement: bool) -> u8 {
    match population {
        _ if arrondissement => 12,
        p if p >= 100_000 => 5,
        p if p >= 30_000 => 6,
        p if p >= 10_000 => 7,
        p if p >= 3_000 => 8,
        p if p >= 1_000 => 9,
        _ => 10,
    }
}

/// The embedded communes as labels (built once).
fn commune_labels() -> &'static [PointLabel] {
    static LABELS: OnceLock<Vec<PointLabel>> = OnceLock::new();
    LABELS.get_or_init(|| {
        crate::commune_table::embedded()
            .all()
            .iter()
            .map(|c| PointLabel {
                lon: c.lon,
                lat: c.lat,
                minzoom: commune_minzoom(
                    c.population,
                    crate::commune_table::is_arrondissement(&c.code_insee),
                ),
                properties: vec![
                    ("nom", TileValue::Str(c.nom.clone())),
                    ("code_insee", TileValue::Str(c.code_insee.clone())),
                    ("population", TileValue::Uint(c.population)),
                ],
            })
            .collect()
    })
}

/// `GET /tiles/communes/{z}/{x}/{y}`: commune names (layer `communes`: `nom`, `code_insee`,
/// `population`), each from the zoom its population gives; 204 for an empty tile.
pub async fn commune_tile(z: String, x: String, y: String, raw: String, ctx: Ctx) -> Response {
    let run = move || -> Result<Response, ApiError> {
        let q = super::parse(&raw, &[])?;
        if let Some((k, _)) = q.pairs.first() {
            return Err(ApiError::bad(k, "unknown parameter"));
        }
        let c = tile_coord(&z, &x, &y)?;
        let Some(bytes) = labels::encode(COMMUNES_LAYER, commune_labels(), c) else {
            return Ok(no_content());
        };
        let tag = reply::etag(
            &[
                "communes",
                env!("CARGO_PKG_VERSION"),
                &format!("{}/{}/{}", c.z, c.x, c.y),
            ],
            ctx.coding,
        );
        Ok(mvt_reply(&ctx, tag, bytes))
    };
    off_workers(run).await
}

/// The territories the page's switcher offers, with their names.
pub const TERRITOIRES: [(Territoire, &str); 6] = [
    (Territoire::Metropole, "France métropolitaine"),
    (Territoire::Guadeloupe, "Guadeloupe"),
    (Territoire::Martinique, "Martinique"),
    (Territoire::Guyane, "Guyane"),
    (Territoire::LaReunion, "La Réunion"),
    (Territoire::Mayotte, "Mayotte"),
];

/// `GET /config.json`: what the map page draws its base map with: the configured style
/// (`serve --basemap-style`, or `null` for the offline layers), the glyphs, the road and commune
/// tiles, and the territories of the switcher.
pub fn config_json(state: &AppState, raw: &str, ctx: &Ctx) -> Response {
    let run = || -> Result<Response, ApiError> {
        let q = super::parse(raw, &[])?;
        if let Some((k, _)) = q.pairs.first() {
            return Err(ApiError::bad(k, "unknown parameter"));
        }
        let graph = state.router().is_some();
        let routes = graph.then(|| {
            let classes: serde_json::Map<String, serde_json::Value> = RoadClass::ALL
                .iter()
                .map(|c| (c.as_str().to_owned(), json!({"minzoom": road_minzoom(*c)})))
                .collect();
            json!({
                "tiles": "/tiles/routes/{z}/{x}/{y}",
                "layer": ROADS_LAYER,
                "minzoom": RoadClass::ALL.iter().map(|c| road_minzoom(*c)).min(),
                "maxzoom": ROADS_MAXZOOM,
                "classes": classes,
            })
        });
        let territoires: Vec<_> = TERRITOIRES
            .iter()
            .map(|(t, nom)| json!({"code": t.as_str(), "nom": nom, "bbox": t.bbox()}))
            .collect();
        let body = json!({
            "basemap_style": state.basemap_style.as_deref(),
            "glyphs": "/fonts/{fontstack}/{range}.pbf",
            "font": glyphs::FONT,
            "routes": routes,
            "communes": {
                "tiles": "/tiles/communes/{z}/{x}/{y}",
                "layer": COMMUNES_LAYER,
                "minzoom": 5,
                "maxzoom": 12,
            },
            "territoires": territoires,
        });
        let tag = reply::etag(
            &[
                "config",
                env!("CARGO_PKG_VERSION"),
                state.basemap_style.as_deref().unwrap_or(""),
                if graph { "graph" } else { "" },
            ],
            ctx.coding,
        );
        Ok(cached(ctx, tag, "application/json", || {
            Body::Full(body.to_string().into_bytes())
        }))
    };
    run().unwrap_or_else(ApiError::into_response)
}
