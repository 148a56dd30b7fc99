//! The HTTP API (`warp`): routes, handlers and the server loop. Handlers only translate
//! between HTTP and the library ([`crate::Dataset`]).

mod adresses;
mod assets;
mod basemap;
mod cartographie;
mod communes;
mod coverage;
mod download;
mod encoding;
mod feature_cache;
mod features;
pub mod follow;
pub mod imports;
mod lieux;
pub mod limits;
pub mod metrics;
pub mod ogc;
pub mod openapi;
mod openapi_basemap;
mod openapi_parts;
mod openapi_routing;
mod params;
mod polygon_json;
mod replica;
mod reply;
mod routes;
mod routing;
mod server;
mod state;
mod stream;
mod tiles;
pub mod watch;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use http::StatusCode;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::dataset::Dataset;
use crate::routing::Router;
pub use encoding::Coding;
use features::{Extra, PropertySet, write_feature};
use params::Query;
pub use params::{MAX_K, MAX_LIMIT, MAX_QUERY_BYTES, MAX_RADIUS_M};
use reply::{ApiError, Body, Ctx, cached, error};

use lieux::*;
pub use lieux::{lieu_by_id, list, list_csv, nearest};
pub use routes::routes;
use routes::*;
pub use state::AppState;

/// `GET /openapi.json`.
pub fn openapi_json(raw: &str, ctx: &Ctx) -> Response {
    match Query::parse(raw) {
        Err(e) => return ApiError::from(e).into_response(),
        Ok(q) => {
            if let Some((k, _)) = q.pairs.first() {
                return ApiError::bad(k, "unknown parameter").into_response();
            }
        }
    }
    let tag = reply::etag(&["openapi", env!("CARGO_PKG_VERSION")], ctx.coding);
    cached(
        ctx,
        tag,
        "application/vnd.oai.openapi+json;version=3.1",
        || Body::Full(serde_json::to_vec(&openapi::document()).unwrap_or_default()),
    )
}

/// `GET /health`.
pub fn health(state: &AppState) -> Response {
    let ds = state.dataset();
    let body = serde_json::json!({
        "status": "ok",
        "version": ds.version(),
        "lieux": ds.lieux().len(),
        "positioned": ds.positioned(),
        "without_position": ds.lieux().len() - ds.positioned(),
        "load_ms": (ds.load_time().as_secs_f64() * 1e4).round() / 10.0,
        "loaded_at": state.loaded_at().to_rfc3339(),
        "graph": state.router().as_ref().map(|r| serde_json::json!({
            "car_nodes": r.network().car.node_count(),
            "walk_nodes": r.network().walk.node_count(),
            "max_snap_m": r.max_snap_m(),
        })),
    });
    let mut res = warp::reply::json(&body).into_response();
    res.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    res.headers_mut().insert(
        http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
        http::HeaderValue::from_static("*"),
    );
    res
}

/// `GET /metrics`: Prometheus text format ([`metrics`]).
pub fn metrics_text(state: &AppState, raw: &str) -> Response {
    match Query::parse(raw) {
        Err(e) => return ApiError::from(e).into_response(),
        Ok(q) => {
            if let Some((k, _)) = q.pairs.first() {
                return ApiError::bad(k, "unknown parameter").into_response();
            }
        }
    }
    let body = state.metrics.render(&state.dataset(), state.loaded_at());
    let mut res = Response::new(body.into());
    let h = res.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(metrics::CONTENT_TYPE),
    );
    h.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    res
}

/// Binds `addr` (port 0 picks a free port) and serves until `shutdown` resolves. Returns the
/// bound address through `on_bound` before serving.
pub async fn serve(
    state: AppState,
    addr: SocketAddr,
    on_bound: impl FnOnce(SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> crate::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| crate::Error::Bind { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| crate::Error::Bind { addr, source })?;
    on_bound(bound);
    server::run(state, listener, shutdown).await;
    Ok(())
}
