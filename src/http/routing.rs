//! Travel-time endpoints: `/v1/lieux/reachable`, `/v1/lieux/closest`, `/v1/isochrone`.
//!
//! With a road graph ([`crate::routing::Router`]) times are road times; without one, or for a
//! point outside the graph, every result is a straight-line estimate marked
//! `"estimate": "straight_line"` (see [`crate::routing::estimate`]). With a graph that covers
//! part of the data, the places the roads do not reach are listed too, estimated and marked
//! with their `motif_estimation` ([`crate::routing::answer`]): no matching place is left out.
//!
//! `reachable` and `closest` stay in the query point's territory, as `nearest` does
//! ([`crate::nearest::Perimetre`]; `territoire=tous` widens them).

use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};
use geo::MultiPolygon;
use warp::reply::Response;

use super::features::Extra;
use super::params::Query;
use super::reply::{self, ApiError, Body, Ctx, cached};
use super::{
    AppState, adresses, collection, minute, parse_features, perimetre, polygon_json,
    territoire_member,
};
use crate::dataset::Dataset;
use crate::filter::Filter;
use crate::model::Position;
use crate::routing::answer::{self, Ask, Start, Timed, Unrouted};
use crate::routing::isochrone::Tolerance;
use crate::routing::snap::Snap;
use crate::routing::{Located, Profile, Router, estimate_kmh, isochrone};
use crate::territory::Territoire;

/// Largest `minutes` of the travel-time endpoints.
pub const MAX_MINUTES: usize = 120;
/// Largest `k` of `/v1/lieux/closest`.
pub const MAX_CLOSEST_K: usize = 100;
/// Most contours in one isochrone request.
pub const MAX_CONTOURS: usize = 6;
/// Largest `generalize` (metres) of `/v1/isochrone`: a few cells of the coarsest grid.
pub const MAX_GENERALIZE_M: f64 = 2_000.0;
pub(super) const STRAIGHT_LINE: &str = "straight_line";

pub(super) fn mode(q: &Query) -> Result<Profile, ApiError> {
    match q.get("mode") {
        None => Ok(Profile::Car),
        Some(m) => m
            .parse()
            .map_err(|()| ApiError::bad("mode", "expected car or walk")),
    }
}

fn flag(q: &Query, name: &str) -> Result<bool, ApiError> {
    match q.get(name) {
        None | Some("false" | "0") => Ok(false),
        Some("true" | "1" | "") => Ok(true),
        Some(v) => Err(ApiError::bad(
            name,
            &format!("expected true or false, got {v:?}"),
        )),
    }
}

fn origin(q: &Query) -> Result<Position, ApiError> {
    q.position()?
        .ok_or_else(|| ApiError::bad("lat", "lat and lon are required (WGS84 degrees)"))
}

/// The road snap of the query point, `None` for an estimate; 422 when too far from a road.
fn locate(
    router: Option<&Router>,
    profile: Profile,
    at: Position,
) -> Result<Option<Snap>, ApiError> {
    let Some(r) = router else { return Ok(None) };
    match r.locate(profile, at.lon, at.lat) {
        Located::OnGraph(s) => Ok(Some(s)),
        Located::Outside => Ok(None),
        Located::TooFar { max_snap_m } => Err(ApiError::Unprocessable {
            parameter: "lat",
            message: format!(
                "the point is more than {max_snap_m} m from any road usable by {}",
                profile.as_str()
            ),
        }),
    }
}

/// Appends one isochrone contour as a GeoJSON Feature.
fn push_contour_feature(
    out: &mut String,
    mp: &MultiPolygon<f64>,
    minutes: u32,
    profile: Profile,
    est: bool,
) {
    out.push_str(r#"{"type":"Feature","geometry":"#);
    polygon_json::push_multipolygon(out, mp);
    out.push_str(&format!(
        r#","properties":{{"minutes":{minutes},"mode":"{}""#,
        profile.as_str()
    ));
    if est {
        out.push_str(&format!(r#","estimate":"{STRAIGHT_LINE}""#));
    }
    out.push_str("}}");
}

/// Polygons for `minutes` (ascending) from `at`: road contours simplified within `tolerance`,
/// or estimate circles.
fn contours(
    router: Option<&Router>,
    snap: Option<Snap>,
    profile: Profile,
    at: Position,
    minutes: &[u32],
    tolerance: Tolerance,
    denoise: f64,
) -> Vec<MultiPolygon<f64>> {
    match (router, snap) {
        (Some(r), Some(s)) => {
            let max_s = minutes.iter().max().copied().unwrap_or(0) * 60;
            let tree = r.tree(profile, s, max_s);
            let secs: Vec<u32> = minutes.iter().map(|m| m * 60).collect();
            // `denoise=1` drops every hole: not traced
            isochrone::generalized(
                r.network().graph(profile),
                &tree,
                (at.lon, at.lat),
                &secs,
                isochrone::cell_m(profile, max_s),
                tolerance,
                denoise < 1.0,
            )
        }
        _ => minutes
            .iter()
            .map(|&m| {
                let radius = f64::from(m) * 60.0 * estimate_kmh(profile)
                    / 3.6
                    / crate::routing::DETOUR_FACTOR;
                isochrone::circle(at.lon, at.lat, radius)
            })
            .collect(),
    }
}

/// The travel-time start of a query point: on the road when it snaps, an estimate otherwise.
fn start(router: Option<&Router>, snap: Option<Snap>) -> Start<'_> {
    match (router, snap) {
        (Some(router), Some(snap)) => Start::Road { router, snap },
        (Some(_), None) => Start::Estimate(Unrouted::OriginOutside),
        (None, _) => Start::Estimate(Unrouted::NoGraph),
    }
}

/// A place with its travel time as feature properties: estimates are marked
/// `"estimate": "straight_line"` with their `motif_estimation`.
fn timed(t: &Timed, when: DateTime<FixedOffset>) -> (u32, Extra) {
    (
        t.slot,
        Extra {
            distance_m: Some(t.distance_m),
            duration_s: Some(t.duration_s),
            estimate: t.unrouted.map(|_| STRAIGHT_LINE),
            motif_estimation: t.unrouted.map(Unrouted::as_str),
            ..Extra::at(when)
        },
    )
}

/// The members every travel-time answer shares: `mode`, `territoire`, `estimes` (how many
/// features are estimates), and `"estimate": "straight_line"` when the point itself has no
/// road time (every feature is then an estimate).
fn travel_members(
    profile: Profile,
    territoire: Option<Territoire>,
    start: Start<'_>,
    hits: &[Timed],
) -> String {
    let mut members = format!(r#","mode":"{}""#, profile.as_str());
    members.push_str(&territoire_member(territoire));
    let estimes = hits.iter().filter(|t| t.unrouted.is_some()).count();
    members.push_str(&format!(r#","estimes":{estimes}"#));
    if let Start::Estimate(why) = start {
        members.push_str(&format!(
            r#","estimate":"{STRAIGHT_LINE}","motif_estimation":"{}""#,
            why.as_str()
        ));
    }
    members
}

/// What `reachable` and `closest` share: the origin, its territory, the profile, the filter,
/// the served data with its road snap, and the instant hours are evaluated at.
struct Travel {
    /// The origin: `lat`/`lon`, or where `adresse` resolved to (`origine`).
    from: adresses::Origin,
    territoire: Option<Territoire>,
    profile: Profile,
    filter: Filter,
    ds: Arc<Dataset>,
    router: Option<Arc<Router>>,
    snap: Option<Snap>,
    when: DateTime<FixedOffset>,
}

impl Travel {
    /// Reads the shared parameters (`lat`, `lon` or `adresse`, `territoire`, `mode`, the
    /// filters) of `q`; the address is geocoded last, once the rest is valid.
    fn parse(state: &AppState, q: &Query, now: DateTime<Utc>) -> Result<Self, ApiError> {
        let perimetre = perimetre(q)?;
        let profile = mode(q)?;
        let filter = q.filter(now)?;
        let from = adresses::origin(state, q)?;
        let at = from.at;
        let territoire = perimetre.resolve(at);
        let (ds, router) = state.dataset_and_router();
        let snap = locate(router.as_deref(), profile, at)?;
        let when = filter.evaluation_instant(now).fixed_offset();
        Ok(Travel {
            from,
            territoire,
            profile,
            filter,
            ds,
            router,
            snap,
            when,
        })
    }

    /// The ETag of endpoint `name` for query `raw`: data version, query, the address
    /// resolved and minute.
    fn etag(&self, name: &str, raw: &str, ctx: &Ctx, now: DateTime<Utc>) -> String {
        let parts = [
            self.ds.version(),
            name,
            raw,
            self.from.member(),
            &minute(now),
        ];
        reply::etag(&parts, ctx.coding)
    }

    /// `mode`, `territoire`, `estimes`… ([`travel_members`]) and `origine`.
    fn members(&self, start: Start<'_>, hits: &[Timed]) -> String {
        let mut members = travel_members(self.profile, self.territoire, start, hits);
        members.push_str(self.from.member());
        members
    }

    fn start(&self) -> Start<'_> {
        start(self.router.as_deref(), self.snap)
    }

    fn ask(&self) -> Ask<'_> {
        Ask {
            ds: &self.ds,
            filter: &self.filter,
            territoire: self.territoire,
            profile: self.profile,
            at: self.from.at,
        }
    }
}

/// `GET /v1/lieux/reachable?lat=&lon=|adresse=&minutes=30&mode=car|walk&isochrone=false&generalize=&denoise=&<filters>`:
/// the `isochrone` member is the contour `/v1/isochrone` draws with the same parameters.
pub fn reachable(state: &AppState, raw: &str, ctx: &Ctx, now: DateTime<Utc>) -> Response {
    let run = || -> Result<Response, ApiError> {
        let (q, properties) = parse_features(
            raw,
            &[
                "lat",
                "lon",
                "adresse",
                "minutes",
                "mode",
                "isochrone",
                "generalize",
                "denoise",
                "territoire",
            ],
        )?;
        let minutes = q.integer_in("minutes", 1, MAX_MINUTES)?.unwrap_or(30) as u32;
        let with_polygon = flag(&q, "isochrone")?;
        // the polygon is `/v1/isochrone`'s for the same point, limit and parameters
        let tolerance = tolerance(&q)?;
        let denoise = denoise(&q)?;
        let t = Travel::parse(state, &q, now)?;
        let tag = t.etag("reachable", raw, ctx, now);
        Ok(cached(ctx, tag, "application/geo+json", || {
            let (profile, at) = (t.profile, t.from.at);
            let limit_s = minutes * 60;
            let start = t.start();
            let ask = t.ask();
            let (hits, polygon) = match start {
                Start::Road { router: r, snap: s } => {
                    let tree = r.tree(profile, s, limit_s);
                    let hits = answer::reachable(&ask, start, Some(&tree), limit_s);
                    let polygon = with_polygon.then(|| {
                        isochrone::generalized(
                            r.network().graph(profile),
                            &tree,
                            (at.lon, at.lat),
                            &[limit_s],
                            isochrone::cell_m(profile, limit_s),
                            tolerance,
                            denoise < 1.0,
                        )
                        .pop()
                        .map_or(MultiPolygon(Vec::new()), |p| {
                            crate::routing::denoise::denoised(p, denoise)
                        })
                    });
                    (hits, polygon)
                }
                Start::Estimate(_) => {
                    let hits = answer::reachable(&ask, start, None, limit_s);
                    let polygon = with_polygon.then(|| {
                        contours(
                            None,
                            None,
                            profile,
                            at,
                            &[minutes],
                            Tolerance::Metres(0.0),
                            0.0,
                        )
                        .pop()
                        .unwrap_or(MultiPolygon(Vec::new()))
                    });
                    (hits, polygon)
                }
            };
            let est = matches!(start, Start::Estimate(_));
            let mut members = t.members(start, &hits);
            members.push_str(&format!(r#","minutes":{minutes}"#));
            if let Some(s) = t.snap {
                members.push_str(&format!(r#","snap_m":{:.1}"#, s.distance_m));
            }
            if let Some(p) = polygon {
                members.push_str(r#","isochrone":"#);
                push_contour_feature(&mut members, &p, minutes, profile, est);
            }
            Body::Full(collection(
                &t.ds,
                hits.iter().map(|h| timed(h, t.when)),
                &members,
                properties,
            ))
        }))
    };
    run().unwrap_or_else(ApiError::into_response)
}

/// `GET /v1/lieux/closest?lat=&lon=|adresse=&mode=car&k=3&<filters>`: the k closest by travel time.
pub fn closest(state: &AppState, raw: &str, ctx: &Ctx, now: DateTime<Utc>) -> Response {
    let run = || -> Result<Response, ApiError> {
        let (q, properties) =
            parse_features(raw, &["lat", "lon", "adresse", "k", "mode", "territoire"])?;
        let k = q.integer_in("k", 1, MAX_CLOSEST_K)?.unwrap_or(3);
        let t = Travel::parse(state, &q, now)?;
        let tag = t.etag("closest", raw, ctx, now);
        Ok(cached(ctx, tag, "application/geo+json", || {
            let start = t.start();
            let hits = answer::closest(&t.ask(), start, k);
            let members = t.members(start, &hits);
            Body::Full(collection(
                &t.ds,
                hits.iter().map(|h| timed(h, t.when)),
                &members,
                properties,
            ))
        }))
    };
    run().unwrap_or_else(ApiError::into_response)
}

fn minutes_list(q: &Query) -> Result<Vec<u32>, ApiError> {
    let raw = q.get("minutes").unwrap_or("10,20,30");
    let err = || {
        ApiError::bad(
            "minutes",
            &format!(
                "expected up to {MAX_CONTOURS} comma-separated integers between 1 and \
                 {MAX_MINUTES}, got {raw:?}"
            ),
        )
    };
    let mut out: Vec<u32> = raw
        .split(',')
        .map(|s| s.trim().parse::<u32>())
        .collect::<Result<_, _>>()
        .map_err(|_| err())?;
    out.sort_unstable();
    out.dedup();
    if out.is_empty()
        || out.len() > MAX_CONTOURS
        || out.iter().any(|&m| m == 0 || m as usize > MAX_MINUTES)
    {
        return Err(err());
    }
    Ok(out)
}

/// The `generalize` parameter of `/v1/isochrone`: metres, a quarter of the grid cell when absent.
fn tolerance(q: &Query) -> Result<Tolerance, ApiError> {
    Ok(q.number_in("generalize", 0.0, MAX_GENERALIZE_M)?
        .map_or(Tolerance::QuarterCell, Tolerance::Metres))
}

/// The `denoise` parameter of `/v1/isochrone`: a share of the largest ring, 0 (keep every
/// ring) when absent.
fn denoise(q: &Query) -> Result<f64, ApiError> {
    Ok(q.number_in("denoise", 0.0, 1.0)?.unwrap_or(0.0))
}

/// `GET /v1/isochrone?lat=&lon=&minutes=10,20,30&mode=car|walk&generalize=&denoise=`: one
/// MultiPolygon Feature per contour, ascending, nested (up to the generalisation's tolerance).
pub fn isochrone(state: &AppState, raw: &str, ctx: &Ctx, _now: DateTime<Utc>) -> Response {
    let run = || -> Result<Response, ApiError> {
        const NAMES: [&str; 6] = ["lat", "lon", "minutes", "mode", "generalize", "denoise"];
        let q = Query::parse(raw)?;
        q.check_names(&NAMES)?;
        if let Some((k, _)) = q.pairs.iter().find(|(k, _)| !NAMES.contains(&k.as_str())) {
            return Err(ApiError::bad(
                k,
                "unknown parameter; expected lat, lon, minutes, mode, generalize, denoise",
            ));
        }
        let at = origin(&q)?;
        let minutes = minutes_list(&q)?;
        let profile = mode(&q)?;
        let tolerance = tolerance(&q)?;
        let denoise = denoise(&q)?;
        let (ds, router) = state.dataset_and_router();
        let snap = locate(router.as_deref(), profile, at)?;
        // no time bucket: polygons depend only on the graph and the query
        let tag = reply::etag(&[ds.version(), "isochrone", raw], ctx.coding);
        Ok(cached(ctx, tag, "application/geo+json", || {
            let est = router.is_none() || snap.is_none();
            let polys = contours(
                router.as_deref(),
                snap,
                profile,
                at,
                &minutes,
                tolerance,
                denoise,
            )
            .into_iter()
            .map(|p| crate::routing::denoise::denoised(p, denoise))
            .collect::<Vec<_>>();
            let mut body = String::from(r#"{"type":"FeatureCollection","features":["#);
            for (i, (p, &m)) in polys.iter().zip(&minutes).enumerate() {
                if i > 0 {
                    body.push(',');
                }
                push_contour_feature(&mut body, p, m, profile, est);
            }
            body.push_str(&format!(r#"],"mode":"{}""#, profile.as_str()));
            if est {
                body.push_str(r#","estimate":"straight_line""#);
            }
            body.push('}');
            Body::Full(body.into_bytes())
        }))
    };
    run().unwrap_or_else(ApiError::into_response)
}
