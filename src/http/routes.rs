//! The `warp` route table: every path, its method and its handler (one line each where it
//! can), with the request context (encoding, origin, raw query) the handlers take.

use super::*;

/// Time bucket of cached responses: `ouvert` and `prochaine_ouverture` change with time, so
/// ETags change every minute.
pub(super) fn minute(now: DateTime<Utc>) -> String {
    // minutes since the epoch: an integer, not strftime (seen in the profile of small answers)
    now.timestamp().div_euclid(60).to_string()
}

pub(super) fn ctx() -> impl Filter<Extract = (Ctx,), Error = Infallible> + Clone {
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

pub(super) fn origin() -> impl Filter<Extract = (ogc::PublicBase,), Error = Infallible> + Clone {
    warp::header::optional::<String>("host")
        .and(warp::header::optional::<String>("x-forwarded-proto"))
        .map(|h: Option<String>, p: Option<String>| {
            ogc::PublicBase::new(h.as_deref(), p.as_deref())
        })
        .or(warp::any().map(|| ogc::PublicBase::new(None, None)))
        .unify()
}

pub(super) fn raw_query() -> impl Filter<Extract = (String,), Error = Infallible> + Clone {
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
    let landing = warp::path::end().and(request.clone()).and(origin()).map(
        |s: Arc<AppState>, q: String, c: Ctx, o: ogc::PublicBase| ogc::landing(&s, &q, &c, &o),
    );
    let conformance = warp::path!("conformance")
        .and(request.clone())
        .and(origin())
        .map(|s: Arc<AppState>, q: String, c: Ctx, o: ogc::PublicBase| {
            ogc::conformance(&s, &q, &c, &o)
        });
    let collections = warp::path!("collections")
        .and(request.clone())
        .and(origin())
        .map(|s: Arc<AppState>, q: String, c: Ctx, o: ogc::PublicBase| {
            ogc::collections(&s, &q, &c, &o)
        });
    let collection = warp::path!("collections" / String)
        .and(request.clone())
        .and(origin())
        .map(
            |id: String, s: Arc<AppState>, q: String, c: Ctx, o: ogc::PublicBase| {
                ogc::collection(&s, &id, &q, &c, &o)
            },
        );
    let items = warp::path!("collections" / String / "items")
        .and(request.clone())
        .and(origin())
        .map(
            |id: String, s: Arc<AppState>, q: String, c: Ctx, o: ogc::PublicBase| {
                ogc::items(&s, &id, &q, &c, &o, Utc::now())
            },
        );
    let item = warp::path!("collections" / String / "items" / String)
        .and(request.clone())
        .and(origin())
        .map(
            |cid: String, id: String, s: Arc<AppState>, q: String, c: Ctx, o: ogc::PublicBase| {
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
    // nearest runs on the async workers, except when it asks the geocoder (`adresse`)
    let nearest = warp::path!("v1" / "lieux" / "nearest")
        .and(request.clone())
        .and_then(move |s: Arc<AppState>, q: String, c: Ctx| async move {
            if adresses::geocodes(&s, &q) {
                blocking(nearest)(s, q, c).await
            } else {
                Ok(nearest(&s, &q, &c, Utc::now()))
            }
        });
    let adresses = warp::path!("v1" / "adresses")
        .and(request.clone())
        .and_then(blocking(adresses::adresses));
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
    // replicas: the snapshot followers poll, and readiness
    let snapshot = warp::path!("v1" / "snapshot")
        .and(with_state.clone())
        .and(raw_query())
        .and(warp::header::optional::<String>("if-none-match"))
        .map(|s: Arc<AppState>, q: String, inm: Option<String>| {
            replica::snapshot(&s, &q, inm.as_deref())
        });
    let ready = warp::path!("ready")
        .and(with_state.clone())
        .map(|s: Arc<AppState>| replica::ready(&s));
    let replicas = snapshot.or(ready).unify().boxed();
    let metrics = warp::path!("metrics")
        .and(with_state.clone())
        .and(raw_query())
        .map(|s: Arc<AppState>, q: String| metrics_text(&s, &q));
    // Groups are boxed: one long chain of `or` makes a type rustc needs many minutes to check.
    let travel = reachable.or(closest).unify().or(isochrone).unify().boxed();
    let places = nearest
        .or(adresses)
        .unify()
        .or(one)
        .unify()
        .or(list)
        .unify()
        .boxed();
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
        .or(replicas)
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
    let roads = warp::path!("tiles" / "routes" / String / String / String)
        .and(request.clone())
        .then(|z, x, y, s: Arc<AppState>, q: String, c: Ctx| basemap::road_tile(s, z, x, y, q, c));
    let communes_tiles = warp::path!("tiles" / "communes" / String / String / String)
        .and(raw_query())
        .and(ctx())
        .then(|z, x, y, q: String, c: Ctx| basemap::commune_tile(z, x, y, q, c));
    let config = warp::path!("config.json")
        .and(request.clone())
        .map(|s: Arc<AppState>, q: String, c: Ctx| basemap::config_json(&s, &q, &c));
    let fonts = warp::path!("fonts" / String / String)
        .and(ctx())
        .map(|stack: String, range: String, c: Ctx| basemap::glyphs(&stack, &range, &c));
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
        .or(fonts)
        .unify()
        .or(roads)
        .unify()
        .or(communes_tiles)
        .unify()
        .or(config)
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
                let req = imports::ImportRequest {
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
