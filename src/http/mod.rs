//! The HTTP API (`warp`): routes, handlers and the server loop. Handlers only translate
//! between HTTP and the library ([`crate::Dataset`]).

mod assets;
mod cartographie;
mod communes;
mod coverage;
mod download;
mod encoding;
mod feature_cache;
mod features;
pub mod imports;
pub mod limits;
pub mod metrics;
pub mod ogc;
pub mod openapi;
mod openapi_parts;
mod openapi_routing;
mod params;
mod reply;
mod routing;
mod server;
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
use features::{Extra, write_feature};
use params::Query;
pub use params::{MAX_K, MAX_LIMIT, MAX_QUERY_BYTES, MAX_RADIUS_M};
use reply::{ApiError, Body, Ctx, cached, error};

/// Shared server state: the dataset being served, replaceable atomically.
#[derive(Clone)]
pub struct AppState {
    /// The dataset and the road graph with its places snapped, swapped together.
    served: Arc<RwLock<Served>>,
    /// When the dataset served was loaded (start, live import, reload).
    loaded_at: Arc<RwLock<DateTime<Utc>>>,
    tiles: Arc<tiles::TileCache>,
    fgb: download::FgbCache,
    /// The last coverage computation (`serve --coverage DIR`), for `/v1/coverage`.
    coverage: Option<Arc<crate::coverage::CoverageReport>>,
    /// Request limits applied by [`serve`] (not by [`routes`] alone).
    limits: limits::Limits,
    metrics: Arc<metrics::Metrics>,
    /// `POST /v1/imports` settings (disabled unless a token is set).
    imports: Arc<imports::LiveImports>,
}

/// What a request reads: a dataset and, with a road graph, the router whose place slots are
/// this dataset's (`None`: estimates only).
#[derive(Clone)]
struct Served {
    dataset: Arc<Dataset>,
    router: Option<Arc<Router>>,
}

impl AppState {
    pub fn new(dataset: Dataset) -> AppState {
        AppState {
            served: Arc::new(RwLock::new(Served {
                dataset: Arc::new(dataset),
                router: None,
            })),
            loaded_at: Arc::new(RwLock::new(Utc::now())),
            tiles: Arc::default(),
            fgb: download::FgbCache::default(),
            coverage: None,
            limits: limits::Limits::default(),
            metrics: Arc::default(),
            imports: Arc::default(),
        }
    }

    /// The same state accepting `POST /v1/imports` with `token` (`None`: disabled), rewriting
    /// `snapshot` after each import.
    pub fn with_imports(self, token: Option<String>, snapshot: Option<std::path::PathBuf>) -> Self {
        AppState {
            imports: Arc::new(imports::LiveImports::new(token, snapshot)),
            ..self
        }
    }

    /// Serves `dataset` from now on; requests in flight keep the one they hold. With a road
    /// graph, the new places are snapped first (on the caller's thread, while the old pair
    /// is still served) and the pair is swapped at once.
    pub fn replace_dataset(&self, dataset: Dataset) {
        let router = self.router().map(|r| Arc::new(r.for_dataset(&dataset)));
        let new = Served {
            dataset: Arc::new(dataset),
            router,
        };
        match self.served.write() {
            Ok(mut d) => *d = new,
            Err(poisoned) => *poisoned.into_inner() = new,
        }
        match self.loaded_at.write() {
            Ok(mut t) => *t = Utc::now(),
            Err(poisoned) => *poisoned.into_inner() = Utc::now(),
        }
    }

    fn loaded_at(&self) -> DateTime<Utc> {
        match self.loaded_at.read() {
            Ok(t) => *t,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    /// The same state serving `report` on `/v1/coverage`.
    pub fn with_coverage(self, report: crate::coverage::CoverageReport) -> AppState {
        AppState {
            coverage: Some(Arc::new(report)),
            ..self
        }
    }

    /// The coverage served, if any.
    pub fn coverage(&self) -> Option<Arc<crate::coverage::CoverageReport>> {
        self.coverage.clone()
    }

    /// The same state served with other request limits.
    pub fn with_limits(self, limits: limits::Limits) -> AppState {
        AppState { limits, ..self }
    }

    /// The service's metrics (an import running in the server records its outcome here).
    pub fn metrics(&self) -> Arc<metrics::Metrics> {
        Arc::clone(&self.metrics)
    }

    /// State with a road graph; `router` must have been built for `dataset`
    /// ([`Router::new`] snaps its places).
    pub fn with_router(dataset: Dataset, router: Router) -> AppState {
        let state = AppState::new(dataset);
        let served = Served {
            dataset: state.dataset(),
            router: Some(Arc::new(router)),
        };
        AppState {
            served: Arc::new(RwLock::new(served)),
            ..state
        }
    }

    fn served(&self) -> Served {
        match self.served.read() {
            Ok(d) => d.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The road graph, if one is loaded (its place slots are those of the dataset served at
    /// the same time: use [`AppState::dataset_and_router`] to read both).
    pub fn router(&self) -> Option<Arc<Router>> {
        self.served().router
    }

    /// The current dataset (a cheap `Arc` clone; a replacement never affects requests in flight).
    pub fn dataset(&self) -> Arc<Dataset> {
        self.served().dataset
    }

    /// The current dataset and the road graph its places are snapped to, read together.
    pub fn dataset_and_router(&self) -> (Arc<Dataset>, Option<Arc<Router>>) {
        let s = self.served();
        (s.dataset, s.router)
    }
}

/// Time bucket of cached responses: `ouvert` and `prochaine_ouverture` change with time, so
/// ETags change every minute.
fn minute(now: DateTime<Utc>) -> String {
    // minutes since the epoch: an integer, not strftime (seen in the profile of small answers)
    now.timestamp().div_euclid(60).to_string()
}

fn ctx() -> impl Filter<Extract = (Ctx,), Error = Infallible> + Clone {
    warp::header::optional::<String>("accept-encoding")
        .and(warp::header::optional::<String>("if-none-match"))
        .map(|ae: Option<String>, inm: Option<String>| Ctx {
            coding: Coding::negotiate(ae.as_deref()),
            if_none_match: inm,
        })
        .or(warp::any().map(|| Ctx {
            coding: Coding::Identity,
            if_none_match: None,
        }))
        .unify()
}

fn origin() -> impl Filter<Extract = (ogc::Origin,), Error = Infallible> + Clone {
    warp::header::optional::<String>("host")
        .and(warp::header::optional::<String>("x-forwarded-proto"))
        .map(|h: Option<String>, p: Option<String>| ogc::Origin::new(h.as_deref(), p.as_deref()))
        .or(warp::any().map(|| ogc::Origin::new(None, None)))
        .unify()
}

fn raw_query() -> impl Filter<Extract = (String,), Error = Infallible> + Clone {
    warp::query::raw().or(warp::any().map(String::new)).unify()
}

/// Every route of the API.
pub fn routes(state: AppState) -> impl Filter<Extract = (impl Reply,), Error = Infallible> + Clone {
    // One shared handle per request: cloning the state itself bumps a reference count per
    // field, which showed in the profile of small answers.
    let state = Arc::new(state);
    let with_state = warp::any().map(move || Arc::clone(&state));
    // what most handlers take: the state, the raw query string, and the negotiation context
    let request = with_state.clone().and(raw_query()).and(ctx());
    let nearest = warp::path!("v1" / "lieux" / "nearest")
        .and(request.clone())
        .map(|s: Arc<AppState>, q: String, c: Ctx| nearest(&s, &q, &c, Utc::now()));
    let one = warp::path!("v1" / "lieux" / String)
        .and(request.clone())
        .map(|id: String, s: Arc<AppState>, q: String, c: Ctx| {
            lieu_by_id(&s, &id, &q, &c, Utc::now())
        });
    let list = warp::path!("v1" / "lieux")
        .and(request.clone())
        .map(|s: Arc<AppState>, q: String, c: Ctx| list(&s, &q, &c, Utc::now()));
    let csv = warp::path!("v1" / "lieux.csv")
        .and(request.clone())
        .map(|s: Arc<AppState>, q: String, c: Ctx| list_csv(&s, &q, &c, Utc::now()));
    let cartographie = warp::path!("v1" / "lieux.json")
        .and(request.clone())
        .map(|s: Arc<AppState>, q: String, c: Ctx| cartographie::list(&s, &q, &c, Utc::now()));
    let fgb = warp::path!("v1" / "lieux.fgb")
        .and(request.clone())
        .and(warp::header::headers_cloned())
        .map(|s: Arc<AppState>, q: String, c: Ctx, h: http::HeaderMap| {
            download::fgb(&s.dataset(), &s.fgb, &q, &c, &h)
        });
    let landing = warp::path::end()
        .and(request.clone())
        .and(origin())
        .map(|s: Arc<AppState>, q: String, c: Ctx, o: ogc::Origin| ogc::landing(&s, &q, &c, &o));
    let conformance = warp::path!("conformance")
        .and(request.clone())
        .and(origin())
        .map(|s: Arc<AppState>, q: String, c: Ctx, o: ogc::Origin| {
            ogc::conformance(&s, &q, &c, &o)
        });
    let collections = warp::path!("collections")
        .and(request.clone())
        .and(origin())
        .map(|s: Arc<AppState>, q: String, c: Ctx, o: ogc::Origin| {
            ogc::collections(&s, &q, &c, &o)
        });
    let collection = warp::path!("collections" / String)
        .and(request.clone())
        .and(origin())
        .map(
            |id: String, s: Arc<AppState>, q: String, c: Ctx, o: ogc::Origin| {
                ogc::collection(&s, &id, &q, &c, &o)
            },
        );
    let items = warp::path!("collections" / String / "items")
        .and(request.clone())
        .and(origin())
        .map(
            |id: String, s: Arc<AppState>, q: String, c: Ctx, o: ogc::Origin| {
                ogc::items(&s, &id, &q, &c, &o, Utc::now())
            },
        );
    let item = warp::path!("collections" / String / "items" / String)
        .and(request.clone())
        .and(origin())
        .map(
            |cid: String, id: String, s: Arc<AppState>, q: String, c: Ctx, o: ogc::Origin| {
                ogc::item(&s, (&cid, &id), &q, &c, &o, Utc::now())
            },
        );
    let ogc_api = landing
        .or(conformance)
        .unify()
        .or(collections)
        .unify()
        .or(collection)
        .unify()
        .or(items)
        .unify()
        .or(item)
        .unify()
        .boxed();
    let openapi = warp::path!("openapi.json")
        .and(raw_query())
        .and(ctx())
        .map(|q: String, c: Ctx| openapi_json(&q, &c));
    // Road searches are CPU work (up to a 2-hour search and its polygon): run them on the
    // blocking pool so they never stall the async workers.
    type Handler = fn(&AppState, &str, &Ctx, DateTime<Utc>) -> Response;
    let blocking = |h: Handler| {
        move |s: Arc<AppState>, q: String, c: Ctx| async move {
            let res = tokio::task::spawn_blocking(move || h(&s, &q, &c, Utc::now())).await;
            Ok::<_, Rejection>(res.unwrap_or_else(|e| {
                tracing::error!(%e, "travel-time handler failed");
                error(StatusCode::INTERNAL_SERVER_ERROR, None, "internal error")
            }))
        }
    };
    let reachable = warp::path!("v1" / "lieux" / "reachable")
        .and(request.clone())
        .and_then(blocking(routing::reachable));
    let closest = warp::path!("v1" / "lieux" / "closest")
        .and(request.clone())
        .and_then(blocking(routing::closest));
    let isochrone = warp::path!("v1" / "isochrone")
        .and(request.clone())
        .and_then(blocking(routing::isochrone));
    let health = warp::path!("health")
        .and(with_state.clone())
        .map(|s: Arc<AppState>| health(&s));
    let metrics = warp::path!("metrics")
        .and(with_state.clone())
        .and(raw_query())
        .map(|s: Arc<AppState>, q: String| metrics_text(&s, &q));
    // Groups are boxed: one long chain of `or` makes a type rustc needs many minutes to check.
    let travel = reachable.or(closest).unify().or(isochrone).unify().boxed();
    let places = nearest.or(one).unify().or(list).unify().boxed();
    let downloads = csv
        .or(cartographie)
        .unify()
        .or(fgb)
        .unify()
        .or(health)
        .unify()
        .or(openapi)
        .unify()
        .or(metrics)
        .unify()
        .boxed();
    // travel routes before `/v1/lieux/{id}`, which would take `reachable` for an id
    let api = travel
        .or(places)
        .unify()
        .or(downloads)
        .unify()
        .or(ogc_api)
        .unify()
        .boxed();
    let tile = warp::path!("tiles" / "lieux" / String / String / String)
        .and(request.clone())
        .and_then(|z, x, y, s: Arc<AppState>, q: String, c: Ctx| tiles::tile(s, z, x, y, q, c));
    let tilejson = warp::path!("tiles" / "lieux")
        .and(with_state.clone())
        .and(raw_query())
        .and(warp::header::optional::<String>("host"))
        .and(ctx())
        .map(
            |s: Arc<AppState>, q: String, host: Option<String>, c: Ctx| {
                tiles::tilejson(&s, &q, host.as_deref(), &c)
            },
        );
    let communes = warp::path!("v1" / "communes")
        .and(raw_query())
        .and(ctx())
        .map(|q: String, c: Ctx| communes::search(&q, &c));
    let stats = warp::path!("v1" / "stats")
        .and(request.clone())
        .map(|s: Arc<AppState>, q: String, c: Ctx| tiles::stats(&s, &q, &c));
    let coverage = warp::path!("v1" / "coverage")
        .and(request.clone())
        .map(|s: Arc<AppState>, q: String, c: Ctx| coverage::coverage(&s, &q, &c));
    let assets =
        warp::path::full()
            .and(ctx())
            .and_then(|path: warp::path::FullPath, c: Ctx| async move {
                assets::asset(path.as_str().trim_start_matches('/'), &c)
                    .ok_or_else(warp::reject::not_found)
            });
    // `/` is the map page for browsers, the OGC API landing page for JSON clients (`f=json`
    // or an Accept header without text/html, as GDAL sends)
    let map_page = warp::path::end()
        .and(warp::header::optional::<String>("accept"))
        .and(raw_query())
        .and(ctx())
        .and_then(|accept: Option<String>, q: String, c: Ctx| async move {
            let wants_html = accept.is_some_and(|a| a.contains("text/html"));
            let wants_json = q.split('&').any(|kv| kv == "f=json");
            match (wants_html && !wants_json)
                .then(|| assets::asset("", &c))
                .flatten()
            {
                Some(r) => Ok(r),
                None => Err(warp::reject::not_found()),
            }
        });
    let map = tile
        .or(tilejson)
        .unify()
        .or(stats)
        .unify()
        .or(communes)
        .unify()
        .or(coverage)
        .unify()
        .or(assets)
        .unify()
        .boxed();
    let api = map_page.or(api).unify().or(map).unify().boxed();
    // The one write endpoint, outside the GET/HEAD wrapper below.
    let import = warp::path!("v1" / "imports")
        .and(warp::post())
        .and(with_state.clone())
        .and(raw_query())
        .and(warp::header::optional::<String>("authorization"))
        .and(warp::header::optional::<String>("content-length"))
        .and(warp::body::stream())
        .then(
            |s: Arc<AppState>, query, authorization, content_length, body| {
                let req = imports::Request {
                    query,
                    authorization,
                    content_length,
                };
                imports::post(s, req, body)
            },
        )
        .boxed();
    // HEAD as GET (hyper drops the body): range readers such as GDAL ask for the size first.
    warp::get()
        .or(warp::head())
        .unify()
        .and(api)
        .or(import)
        .unify()
        .recover(recover)
        .unify()
        .with(warp::trace::request())
}

async fn recover(r: Rejection) -> Result<Response, Infallible> {
    Ok(if r.is_not_found() {
        error(StatusCode::NOT_FOUND, None, "no such endpoint")
    } else if r.find::<warp::reject::MethodNotAllowed>().is_some() {
        error(
            StatusCode::METHOD_NOT_ALLOWED,
            None,
            "method not allowed: the API answers GET and HEAD (POST only on /v1/imports)",
        )
    } else {
        tracing::debug!(?r, "unhandled rejection");
        error(StatusCode::BAD_REQUEST, None, "bad request")
    })
}

fn parse(raw: &str, own: &[&str]) -> Result<Query, ApiError> {
    let q = Query::parse(raw)?;
    q.check_names(own)?;
    Ok(q)
}

/// A FeatureCollection of places with their computed values; `members` (empty, or JSON
/// members each starting with a comma) are added at the top level.
fn collection(ds: &Dataset, hits: impl Iterator<Item = (u32, Extra)>, members: &str) -> Vec<u8> {
    let mut out = br#"{"type":"FeatureCollection","features":["#.to_vec();
    let mut n = 0usize;
    for (i, (slot, extra)) in hits.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_feature(&mut out, ds, slot, &extra);
        n += 1;
    }
    out.extend_from_slice(format!(r#"],"numberReturned":{n}{members}}}"#).as_bytes());
    out
}

/// The `territoire` parameter of the nearest and travel-time endpoints (default `auto`).
fn perimetre(q: &Query) -> Result<crate::nearest::Perimetre, ApiError> {
    use crate::nearest::Perimetre;
    match q.get("territoire") {
        None => Ok(Perimetre::Auto),
        Some(v) => Perimetre::parse(v.trim()).ok_or_else(|| {
            ApiError::bad(
                "territoire",
                &format!(
                    "expected auto, tous or a territory ({}), got {v:?}",
                    crate::territory::Territoire::ALL
                        .iter()
                        .map(|t| t.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        }),
    }
}

/// The top-level `territoire` member: the territory searched, `null` for every territory.
fn territoire_member(t: Option<crate::territory::Territoire>) -> String {
    match t {
        Some(t) => format!(r#","territoire":"{}""#, t.as_str()),
        None => r#","territoire":null"#.to_owned(),
    }
}

/// `GET /v1/lieux/nearest?lat=&lon=&k=10&max_km=&territoire=auto&tri=distance&mode=car&<filters>`:
/// see [`crate::nearest`].
pub fn nearest(state: &AppState, raw: &str, ctx: &Ctx, now: DateTime<Utc>) -> Response {
    use crate::nearest::{Request, Tri};
    let run = || -> Result<Response, ApiError> {
        let q = parse(
            raw,
            &["lat", "lon", "k", "max_km", "territoire", "tri", "mode"],
        )?;
        let at = q
            .position()?
            .ok_or_else(|| ApiError::bad("lat", "lat and lon are required (WGS84 degrees)"))?;
        let k = q.integer_in("k", 1, MAX_K)?.unwrap_or(10);
        let max_m = q.number_in("max_km", 0.0, 20_000.0)?.map(|km| km * 1000.0);
        let perimetre = perimetre(&q)?;
        let tri = match q.get("tri") {
            None => Tri::Distance,
            Some(v) => Tri::parse(v.trim()).ok_or_else(|| {
                ApiError::bad("tri", &format!("expected distance or ouverture, got {v:?}"))
            })?,
        };
        let profile = routing::mode(&q)?;
        let filter = q.filter(now)?;
        let ds = state.dataset();
        let tag = reply::etag(&[ds.version(), "nearest", raw, &minute(now)], ctx.coding);
        let when = filter.evaluation_instant(now).fixed_offset();
        let req = Request {
            at,
            k,
            max_m,
            perimetre,
            tri,
            profile,
        };
        Ok(cached(ctx, tag, "application/geo+json", || {
            let a = crate::nearest::answer(&ds, &req, &filter);
            let mut members = territoire_member(a.territoire);
            match a.max_m {
                Some(m) => members.push_str(&format!(r#","max_km":{}"#, m / 1000.0)),
                None => members.push_str(r#","max_km":null"#),
            }
            if let Some(n) = a.ouverts {
                members.push_str(&format!(r#","ouverts":{n}"#));
            }
            if let Some(alternatives) = &a.alternatives {
                let mut out = br#","alternatives":["#.to_vec();
                for (i, alt) in alternatives.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    let extra = Extra {
                        distance_m: Some(alt.distance_m),
                        duration_s: Some(alt.duration_s),
                        estimate: Some(routing::STRAIGHT_LINE),
                        attente_s: Some(alt.attente_s),
                        accueil_a: Some(alt.accueil_a),
                        ..Extra::at(when)
                    };
                    write_feature(&mut out, &ds, alt.slot, &extra);
                }
                out.push(b']');
                members.push_str(&String::from_utf8_lossy(&out));
            }
            Body::Full(collection(
                &ds,
                a.hits.iter().map(|h| {
                    (
                        h.slot,
                        Extra {
                            distance_m: Some(h.distance_m),
                            ..Extra::at(when)
                        },
                    )
                }),
                &members,
            ))
        }))
    };
    run().unwrap_or_else(ApiError::into_response)
}

/// `GET /v1/lieux/{id}`.
pub fn lieu_by_id(
    state: &AppState,
    id: &str,
    raw: &str,
    ctx: &Ctx,
    now: DateTime<Utc>,
) -> Response {
    let run = || -> Result<Response, ApiError> {
        parse(raw, &[])?;
        let id = percent_encoding::percent_decode_str(id).decode_utf8_lossy();
        let ds = state.dataset();
        let slot = ds.slot_of(&id).ok_or_else(|| ApiError::NotFound {
            parameter: "id",
            message: format!("no lieu with id {id:?}"),
        })?;
        let tag = reply::etag(&[ds.version(), "lieu", &id, &minute(now)], ctx.coding);
        Ok(cached(ctx, tag, "application/geo+json", || {
            let mut out = Vec::new();
            write_feature(&mut out, &ds, slot, &Extra::at(now.fixed_offset()));
            Body::Full(out)
        }))
    };
    run().unwrap_or_else(ApiError::into_response)
}

/// Selection of places by area, shared by `/v1/lieux`, `/v1/lieux.csv` and the OGC API
/// items: either `bbox` or `lat`/`lon`/`radius_m`, or neither (every place).
fn selection(q: &Query) -> Result<stream::Selection, ApiError> {
    let bbox = q.bbox()?;
    let at = q.position()?;
    let radius_m = q.number_in("radius_m", 0.0, MAX_RADIUS_M)?;
    Ok(match (bbox, at, radius_m) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(ApiError::bad(
                "bbox",
                "give either bbox or lat/lon/radius_m, not both",
            ));
        }
        (None, Some(_), None) => {
            return Err(ApiError::bad("radius_m", "required with lat/lon"));
        }
        (None, None, Some(_)) => {
            return Err(ApiError::bad(
                "lat",
                "lat and lon are required with radius_m",
            ));
        }
        (Some(b), None, None) => stream::Selection::Bbox(b),
        (None, Some(p), Some(r)) => stream::Selection::Radius(p, r),
        (None, None, None) => stream::Selection::All,
    })
}

/// `GET /v1/lieux?bbox=|lat=&lon=&radius_m=&limit=&cursor=&<filters>`: streamed.
pub fn list(state: &AppState, raw: &str, ctx: &Ctx, now: DateTime<Utc>) -> Response {
    let run = || -> Result<Response, ApiError> {
        let q = parse(raw, &["bbox", "lat", "lon", "radius_m", "limit", "cursor"])?;
        let source = selection(&q)?;
        let limit = q.integer_in("limit", 1, MAX_LIMIT)?;
        let cursor = q.integer_in("cursor", 0, usize::MAX)?.unwrap_or(0);
        let filter = q.filter(now)?;
        let ds = state.dataset();
        let tag = reply::etag(&[ds.version(), "list", raw, &minute(now)], ctx.coding);
        let when = filter.evaluation_instant(now);
        let links = stream::Links {
            base: "/v1/lieux".to_owned(),
            pairs: q
                .pairs
                .iter()
                .filter(|(k, _)| k != "cursor")
                .cloned()
                .collect(),
            param: "cursor",
            prev_and_self: false,
            time_stamp: None,
        };
        Ok(cached(ctx, tag, "application/geo+json", move || {
            let matches = stream::Matches::new(ds, source, filter, stream::Page { cursor, limit });
            Body::Stream(Box::new(stream::FeatureStream::new(
                matches, when, ctx.coding, links,
            )))
        }))
    };
    run().unwrap_or_else(ApiError::into_response)
}

/// `GET /v1/lieux.csv?bbox=|lat=&lon=&radius_m=&limit=&cursor=&<filters>`: the schema v1 CSV,
/// streamed.
pub fn list_csv(state: &AppState, raw: &str, ctx: &Ctx, now: DateTime<Utc>) -> Response {
    download(
        state,
        (raw, ctx, now),
        ("csv", "text/csv; charset=utf-8"),
        |matches, coding| Body::Stream(Box::new(stream::CsvStream::new(matches, coding))),
    )
}

/// A streamed download of the places that `raw` selects, pages and filters (`/v1/lieux.csv`,
/// `/v1/lieux.json`): `kind` keeps the formats' ETags apart, `body` writes the stream. These
/// formats hold no computed field, so the ETag changes with time only when a time filter is
/// used.
pub(super) fn download(
    state: &AppState,
    (raw, ctx, now): (&str, &Ctx, DateTime<Utc>),
    (kind, content_type): (&str, &'static str),
    body: impl FnOnce(stream::Matches, Coding) -> Body,
) -> Response {
    let run = || -> Result<Response, ApiError> {
        let q = parse(raw, &["bbox", "lat", "lon", "radius_m", "limit", "cursor"])?;
        let source = selection(&q)?;
        let limit = q.integer_in("limit", 1, usize::MAX)?;
        let cursor = q.integer_in("cursor", 0, usize::MAX)?.unwrap_or(0);
        let filter = q.filter(now)?;
        let ds = state.dataset();
        let timed = filter.ouvert_actuellement.is_some() || filter.ouvert_le_week_end.is_some();
        let bucket = if timed { minute(now) } else { String::new() };
        let tag = reply::etag(&[ds.version(), kind, raw, &bucket], ctx.coding);
        Ok(cached(ctx, tag, content_type, move || {
            let matches = stream::Matches::new(ds, source, filter, stream::Page { cursor, limit });
            body(matches, ctx.coding)
        }))
    };
    run().unwrap_or_else(ApiError::into_response)
}

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
