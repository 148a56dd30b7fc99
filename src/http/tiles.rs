//! `/tiles/lieux` (TileJSON), `/tiles/lieux/{z}/{x}/{y}` (clustered MVT) and `/v1/stats`.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Timelike, Utc};
use http::{HeaderValue, StatusCode, header};
use lru::LruCache;
use warp::reply::Response;

use super::params::Query;
use super::reply::{self, ApiError, Body, Ctx, cached};
use super::{AppState, minute, parse};
use crate::dataset::Dataset;
use crate::filter::Filter;
use crate::territory::Territoire;
use crate::tiles::{
    ClusterBase, ClusterOptions, EXTENT, Hierarchy, LAYER, MAX_ZOOM, TileCoord, mvt,
};

/// Cluster hierarchies kept per (dataset version, filter): the unfiltered one and the most
/// recently used filtered ones.
const CACHED_HIERARCHIES: usize = 32;

/// ...and at most this many clustered places over all of them: a hierarchy with its levels
/// built holds ~68 bytes per place per level (docs/performance.md), ~0.4 GB unfiltered at 1 M
/// places, so 32 of them at that size would be gigabytes. 2 M places bound the cache to about
/// 0.8 GB whatever the dataset; at 35 k places all 32 fit, as before.
const CACHED_PLACES: usize = 2_000_000;

/// Cluster hierarchies, shared by all requests: the current version's [`ClusterBase`] (built by
/// the first tile request of a version), and per filter a [`Hierarchy`] over it whose levels
/// are built by the tiles that need them.
pub struct TileCache {
    base: Mutex<Option<(String, Arc<ClusterBase>)>>,
    lru: Mutex<LruCache<String, Arc<Hierarchy>>>,
    /// Bound on the places of the cached hierarchies together ([`CACHED_PLACES`]).
    max_places: usize,
}

impl Default for TileCache {
    fn default() -> Self {
        TileCache::with_limits(CACHED_HIERARCHIES, CACHED_PLACES)
    }
}

impl TileCache {
    /// A cache of at most `hierarchies` hierarchies holding `places` clustered places in all;
    /// the most recent one is always kept, however large.
    fn with_limits(hierarchies: usize, places: usize) -> TileCache {
        let cap = NonZeroUsize::new(hierarchies).unwrap_or(NonZeroUsize::MIN);
        TileCache {
            base: Mutex::new(None),
            lru: Mutex::new(LruCache::new(cap)),
            max_places: places,
        }
    }

    /// The hierarchy of the places of `ds` matching `filter`: a bitset of the places over the
    /// version's shared base; its levels are built when a tile asks for them.
    pub fn hierarchy(&self, ds: &Dataset, filter: &Filter) -> Arc<Hierarchy> {
        let key = format!("{}|{filter:?}", ds.version());
        if let Some(h) = lock(&self.lru).get(&key) {
            return Arc::clone(h);
        }
        let h = Arc::new(Hierarchy::new(self.base(ds), ds.all_matching(filter)));
        let mut lru = lock(&self.lru);
        lru.put(key, Arc::clone(&h));
        // least recently used first, until the places fit (the new one stays)
        let mut places: usize = lru.iter().map(|(_, h)| h.len()).sum();
        while places > self.max_places && lru.len() > 1 {
            match lru.pop_lru() {
                Some((_, old)) => places -= old.len(),
                None => break,
            }
        }
        drop(lru);
        h
    }

    /// Forgets every hierarchy and the base (a swap: they belong to a version no longer
    /// served; requests still holding one keep it until they are done).
    pub fn clear(&self) {
        *lock(&self.base) = None;
        lock(&self.lru).clear();
    }

    /// Number of hierarchies kept.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        lock(&self.lru).len()
    }

    /// True when no hierarchy is kept.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The base of `ds`'s version, built on first use.
    fn base(&self, ds: &Dataset) -> Arc<ClusterBase> {
        if let Some((version, base)) = lock(&self.base).as_ref()
            && version == ds.version()
        {
            return Arc::clone(base);
        }
        // Built outside the lock: two first requests may both build; the result is the same.
        let points = (0..ds.lieux().len() as u32)
            .filter_map(|slot| ds.lieu(slot).position.map(|p| (slot, p.lon, p.lat)));
        let base = Arc::new(ClusterBase::new(points, ClusterOptions::default()));
        *lock(&self.base) = Some((ds.version().to_owned(), Arc::clone(&base)));
        base
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Filters of tile requests are evaluated at the minute, so `ouvert_actuellement=true` shares
/// one cached hierarchy per minute.
fn tile_filter(q: &Query, now: DateTime<Utc>) -> Result<Filter, ApiError> {
    let minute_start = now
        .with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(now);
    Ok(q.filter(minute_start)?)
}

/// The tile address of a `{z}/{x}/{y}` path (`y` may end in `.mvt` or `.pbf`): 400 for
/// non-numbers, 404 outside the pyramid.
pub(super) fn tile_coord(z: &str, x: &str, y: &str) -> Result<TileCoord, ApiError> {
    let num = |name: &str, v: &str| {
        v.parse::<u32>()
            .map_err(|_| ApiError::bad(name, &format!("expected a tile number, got {v:?}")))
    };
    let y = y
        .strip_suffix(".mvt")
        .or_else(|| y.strip_suffix(".pbf"))
        .unwrap_or(y);
    let (zn, xn, yn) = (num("z", z)?, num("x", x)?, num("y", y)?);
    u8::try_from(zn)
        .ok()
        .and_then(|z| TileCoord::new_checked(z, xn, yn))
        .ok_or_else(|| ApiError::NotFound {
            parameter: "z/x/y",
            message: format!("no tile {zn}/{xn}/{yn}: zoom 0..={MAX_ZOOM}, x and y below 2^zoom"),
        })
}

/// The answer for an empty tile: 204, cacheable like a tile.
pub(super) fn no_content() -> Response {
    let mut r = Response::new(Default::default());
    *r.status_mut() = StatusCode::NO_CONTENT;
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    r
}

/// `GET /tiles/lieux/{z}/{x}/{y}`: 200 MVT, 204 for an empty tile, 400 for non-numbers, 404
/// outside the pyramid.
pub async fn tile(
    state: Arc<AppState>,
    z: String,
    x: String,
    y: String,
    raw: String,
    ctx: Ctx,
) -> Result<Response, Infallible> {
    let now = Utc::now();
    let run = move || -> Result<Response, ApiError> {
        let q = parse(&raw, &[])?;
        let c = tile_coord(&z, &x, &y)?;
        let filter = tile_filter(&q, now)?;
        let ds = state.dataset();
        let h = state.tiles.hierarchy(&ds, &filter);
        let Some(bytes) = mvt::encode(&ds, &h, c) else {
            return Ok(no_content());
        };
        let tag = reply::etag(
            &[
                ds.version(),
                "tile",
                &format!("{}/{}/{}", c.z, c.x, c.y),
                &raw,
                &minute(now),
            ],
            ctx.coding,
        );
        Ok(mvt_reply(&ctx, tag, bytes))
    };
    // clustering a large filtered set is CPU work: keep it off the async workers
    Ok(off_workers(run).await)
}

/// A cacheable MVT answer.
pub(super) fn mvt_reply(ctx: &Ctx, tag: String, bytes: Vec<u8>) -> Response {
    cached(ctx, tag, "application/vnd.mapbox-vector-tile", || {
        Body::Full(bytes)
    })
}

/// Runs a tile's CPU work on the blocking pool; its error as a JSON answer.
pub(super) async fn off_workers(
    run: impl FnOnce() -> Result<Response, ApiError> + Send + 'static,
) -> Response {
    match tokio::task::spawn_blocking(run).await {
        Ok(r) => r.unwrap_or_else(ApiError::into_response),
        Err(_) => reply::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            "tile encoding failed",
        ),
    }
}

/// `GET /tiles/lieux`: TileJSON 3.0.0; the filters given here are carried into the tile URL.
pub fn tilejson(state: &AppState, raw: &str, host: Option<&str>, ctx: &Ctx) -> Response {
    let run = || -> Result<Response, ApiError> {
        let q = parse(raw, &[])?;
        q.filter(Utc::now())?;
        let ds = state.dataset();
        let base = host.map(|h| format!("http://{h}")).unwrap_or_default();
        let suffix = if raw.is_empty() {
            String::new()
        } else {
            format!("?{raw}")
        };
        let (mut w, mut s, mut e, mut n) = (180.0f64, 90.0f64, -180.0f64, -90.0f64);
        // the box of the metropolitan places (coordinates inside metropolitan France's box):
        // the centre of the box of every place lies in the Atlantic off Africa, halfway to
        // the overseas territories
        let metropole = Territoire::Metropole;
        let [mw, ms, me, mn] = metropole.bbox();
        let mut metro = (180.0f64, 90.0f64, -180.0f64, -90.0f64);
        for (slot, l) in ds.lieux().iter().enumerate() {
            let Some(p) = l.position else { continue };
            (w, s, e, n) = (w.min(p.lon), s.min(p.lat), e.max(p.lon), n.max(p.lat));
            if ds.territoire(slot as u32) == metropole
                && (mw..=me).contains(&p.lon)
                && (ms..=mn).contains(&p.lat)
            {
                metro = (
                    metro.0.min(p.lon),
                    metro.1.min(p.lat),
                    metro.2.max(p.lon),
                    metro.3.max(p.lat),
                );
            }
        }
        if w > e {
            (w, s, e, n) = (-180.0, -85.0511, 180.0, 85.0511);
        }
        // centred on metropolitan France when it has places, else on every place
        let (cx, cy) = if metro.0 <= metro.2 {
            ((metro.0 + metro.2) / 2.0, (metro.1 + metro.3) / 2.0)
        } else {
            ((w + e) / 2.0, (s + n) / 2.0)
        };
        let fields: BTreeMap<&str, &str> = [
            ("id", "String: identifiant du lieu"),
            ("nom", "String"),
            (
                "dispositif_programmes_nationaux",
                "String: values joined with |",
            ),
            ("typologie", "String: values joined with |"),
            ("itinerance", "String: values joined with |"),
            ("cluster", "Boolean: true on clusters"),
            ("cluster_id", "Number"),
            ("point_count", "Number: places in the cluster"),
            ("point_count_abbreviated", "String"),
        ]
        .into_iter()
        .collect();
        let body = serde_json::json!({
            "tilejson": "3.0.0",
            "name": "lieux",
            "description": "Lieux de médiation numérique, clustered on the server (supercluster: radius 60 px, maxZoom 16)",
            "version": ds.version(),
            "scheme": "xyz",
            "tiles": [format!("{base}/tiles/lieux/{{z}}/{{x}}/{{y}}{suffix}")],
            "minzoom": 0,
            "maxzoom": MAX_ZOOM,
            "bounds": [w, s, e, n],
            "center": [cx, cy, 5],
            "attribution": "ANCT, Licence Ouverte 2.0",
            "vector_layers": [{"id": LAYER, "fields": fields, "minzoom": 0, "maxzoom": MAX_ZOOM}],
            "extent": EXTENT,
        });
        let tag = reply::etag(
            &[ds.version(), "tilejson", raw, host.unwrap_or("")],
            ctx.coding,
        );
        Ok(cached(ctx, tag, "application/json", || {
            Body::Full(body.to_string().into_bytes())
        }))
    };
    run().unwrap_or_else(ApiError::into_response)
}

/// `GET /v1/stats?group_by=region|departement&<filters>`: places per territory (by INSEE code,
/// postcode when absent), sorted by code.
pub fn stats(state: &AppState, raw: &str, ctx: &Ctx) -> Response {
    let run = || -> Result<Response, ApiError> {
        let q = parse(raw, &["group_by"])?;
        let by_region = match q.get("group_by") {
            Some("region") => true,
            Some("departement") | None => false,
            Some(other) => {
                return Err(ApiError::bad(
                    "group_by",
                    &format!("expected region or departement, got {other:?}"),
                ));
            }
        };
        let now = Utc::now();
        let filter = q.filter(now)?;
        let ds = state.dataset();
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let mut total = 0;
        for slot in ds.all_matching(&filter) {
            let l = ds.lieu(slot);
            let code = l.code_insee.as_deref().unwrap_or(&l.code_postal);
            let dep =
                crate::territory::departement_of(code).map(|d| if d == "20" { "2A" } else { d });
            let key = if by_region {
                dep.and_then(crate::territory::region_of_departement)
            } else {
                dep
            };
            *counts
                .entry(key.unwrap_or("inconnu").to_owned())
                .or_default() += 1;
            total += 1;
        }
        let groups: Vec<_> = counts
            .into_iter()
            .map(|(code, count)| serde_json::json!({"code": code, "count": count}))
            .collect();
        let body = serde_json::json!({
            "group_by": if by_region { "region" } else { "departement" },
            "total": total,
            "groups": groups,
        });
        let tag = reply::etag(&[ds.version(), "stats", raw, &minute(now)], ctx.coding);
        Ok(cached(ctx, tag, "application/json", || {
            Body::Full(body.to_string().into_bytes())
        }))
    };
    run().unwrap_or_else(ApiError::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cache holds at most its budget of places: a burst of large filtered hierarchies
    /// (ticks on a 1 M-place map) evicts the least recently used, and keeps the newest.
    #[test]
    fn cached_hierarchies_stay_within_their_places() {
        let ds = Dataset::new(crate::testdata::synthetic_lieux(4000, 7));
        let all = Filter::default();
        let n = ds.all_matching(&all).count();
        assert!(n > 3000, "{n}");
        // room for two full hierarchies, not three
        let cache = TileCache::with_limits(32, 2 * n + n / 2);
        let first = cache.hierarchy(&ds, &all);
        assert!(Arc::ptr_eq(&first, &cache.hierarchy(&ds, &all)), "cached");
        let mut services = Vec::new();
        for s in ds.lieux().iter().flat_map(|l| l.services.iter()) {
            if !services.contains(s) && services.len() < 6 {
                services.push(*s);
            }
        }
        assert!(services.len() >= 3, "{services:?}");
        let mut newest = Arc::clone(&first);
        for s in &services {
            let f = Filter {
                services: vec![*s],
                ..Filter::default()
            };
            newest = cache.hierarchy(&ds, &f);
            let lru = lock(&cache.lru);
            let places: usize = lru.iter().map(|(_, h)| h.len()).sum();
            assert!(places <= 2 * n + n / 2, "{places} places cached");
        }
        // the newest is still there; the first (all places) had to go
        let last = Filter {
            services: vec![services[services.len() - 1]],
            ..Filter::default()
        };
        assert!(Arc::ptr_eq(&newest, &cache.hierarchy(&ds, &last)));
        assert!(!Arc::ptr_eq(&first, &cache.hierarchy(&ds, &all)), "evicted");
        // a budget smaller than one hierarchy still keeps the one just built
        let tiny = TileCache::with_limits(32, 10);
        let h = tiny.hierarchy(&ds, &all);
        assert!(Arc::ptr_eq(&h, &tiny.hierarchy(&ds, &all)));
    }
}
