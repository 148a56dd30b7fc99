//! The base map's own endpoints: glyphs of the labels (`/fonts/{fontstack}/{range}.pbf`) and
//! the road graph's roads as vector tiles (`/tiles/routes/{z}/{x}/{y}`).

use std::sync::Arc;

use warp::reply::Response;

use super::AppState;
use super::reply::{self, ApiError, Body, Ctx, cached};
use super::tiles::{mvt_reply, no_content, off_workers, tile_coord};
use crate::glyphs::{self, GlyphLookupError};
use crate::routing::graph::RoadNetwork;
use crate::routing::lines::{RoadClass, road_lines};
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
