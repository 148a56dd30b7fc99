//! The isochrone grid's extent: the box of the nodes a search settled and of the shape points
//! of their arcs ([`reached_box`]).

use super::graph::Graph;
use super::search::Tree;
use crate::geodesy::EARTH_RADIUS_M;

/// Arcs longer than this (dm, 50 km) always have their shape points read (the longitude
/// bound below assumes points within 0.5° of latitude of the settled nodes).
const LONG_ARC_DM: u32 = 500_000;

/// The box `[min_lon, min_lat, max_lon, max_lat]` (1e-7 degrees) of the settled nodes of
/// `tree` and of the shape points of their arcs (issue 18) no later than the last node settled.
///
/// The nodes' box first; then an arc's shape points are read only if they could leave it: a
/// shape point lies within the arc's length of its tail (the length is the sum of the
/// haversine lengths of the shape's segments, never shorter than the straight line), so an arc
/// whose tail is farther than its length (with 2 % and ~2 m to spare) from every side of the
/// box adds nothing. The answer is the full scan's; reading every shape point was ~7–11 % of an
/// Andorra isochrone, most of it cache misses on arcs deep inside the box.
pub fn reached_box(g: &Graph, tree: &Tree) -> Option<[i32; 4]> {
    let last = tree.settled.last().map(|&u| tree.time_ms[u as usize])?;
    let mut b = [i32::MAX, i32::MAX, i32::MIN, i32::MIN];
    let add = |b: &mut [i32; 4], lon: i32, lat: i32| {
        *b = [b[0].min(lon), b[1].min(lat), b[2].max(lon), b[3].max(lat)];
    };
    for &u in &tree.settled {
        add(&mut b, g.lon[u as usize], g.lat[u as usize]);
    }
    // 1e-7 degrees per dm of latitude, and of longitude where the parallels are shortest
    let per_dm_lat = 1.02 * 1e6 * 180.0 / (EARTH_RADIUS_M * std::f64::consts::PI);
    let far_lat = (f64::from(b[1].unsigned_abs().max(b[3].unsigned_abs())) * 1e-7 + 0.5).min(89.0);
    let per_dm_lon = per_dm_lat / far_lat.to_radians().cos();
    for &u in &tree.settled {
        let tu = tree.time_ms[u as usize];
        let (lon, lat) = (i64::from(g.lon[u as usize]), i64::from(g.lat[u as usize]));
        for a in g.arcs(u) {
            let len = g.lengths[a];
            if len < LONG_ARC_DM {
                let r_lat = (f64::from(len) * per_dm_lat) as i64 + 20;
                let r_lon = (f64::from(len) * per_dm_lon) as i64 + 20;
                if lon - r_lon >= i64::from(b[0])
                    && lon + r_lon <= i64::from(b[2])
                    && lat - r_lat >= i64::from(b[1])
                    && lat + r_lat <= i64::from(b[3])
                {
                    continue;
                }
            }
            if g.geometry.interior(a) == 0 {
                continue;
            }
            let pts = g.arc_points(u, a);
            if tu.saturating_add(g.weights[a]) <= last {
                // the whole arc within the search: every shape point, no time to read (one
                // fold per bound: vectorised)
                let (lons, lats) = pts.interior_lon_lat();
                for (v, lo, hi) in [(lons, 0, 2), (lats, 1, 3)] {
                    b[lo] = v.iter().fold(b[lo], |m, &x| m.min(x));
                    b[hi] = v.iter().fold(b[hi], |m, &x| m.max(x));
                }
                continue;
            }
            for p in pts.after_tail().take(pts.len() - 2) {
                if tu.saturating_add(p.ms) > last {
                    break;
                }
                add(&mut b, p.lon, p.lat);
            }
        }
    }
    Some(b)
}
