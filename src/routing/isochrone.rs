//! Isochrone polygons, built as Valhalla does: rasterise travel times on a grid in a local
//! metric projection, then trace contours (marching squares, the `contour` crate).
//!
//! Projection: equirectangular centred on the origin (x = Δlon·cos(lat₀)·R, y = Δlat·R), exact
//! enough over the ≤ 200 km of a 2-hour isochrone for polygons drawn on a grid of 100s of metres.
//! Rasterisation: every reached arc is sampled every cell (a two-way segment once); each sample lowers the time of
//! its cell and of the 8 around it to `time + distance / walking speed` (the last metres off the
//! road on foot). Unreached cells hold a time well beyond the largest contour, so the polygons
//! of one grid are nested (10 ⊂ 20 ⊂ 30 minutes) by construction.

use contour::ContourBuilder;
use geo::{Coord, LineString, MultiPolygon, Polygon};

use super::build::WALK_KMH;
use super::graph::Graph;
use super::search::{Tree, UNREACHED};
use crate::index::EARTH_RADIUS_M;

/// Default grid cell of a profile, metres.
pub fn default_cell_m(profile: super::Profile) -> f64 {
    match profile {
        super::Profile::Car => 200.0,
        super::Profile::Walk => 50.0,
    }
}

/// Largest grid (cells per side); the cell grows beyond it.
const MAX_SIDE: usize = 2_000;

struct Projection {
    lon0: f64,
    lat0: f64,
    kx: f64,
    ky: f64,
}

impl Projection {
    fn new(lon0: f64, lat0: f64) -> Projection {
        let ky = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
        Projection {
            lon0,
            lat0,
            kx: ky * lat0.to_radians().cos(),
            ky,
        }
    }
    fn fwd(&self, lon: f64, lat: f64) -> (f64, f64) {
        ((lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky)
    }
    fn inv(&self, x: f64, y: f64) -> (f64, f64) {
        (self.lon0 + x / self.kx, self.lat0 + y / self.ky)
    }
}

/// Contour polygons (WGS84 lon/lat) for each of `limits_s` (ascending), from a search tree
/// computed with a limit of at least the largest of them. `origin` is the query point.
pub fn polygons(
    g: &Graph,
    tree: &Tree,
    origin: (f64, f64),
    limits_s: &[u32],
    cell_m: f64,
) -> Vec<MultiPolygon<f64>> {
    let Some(&max_s) = limits_s.iter().max() else {
        return Vec::new();
    };
    let proj = Projection::new(origin.0, origin.1);
    let walk_ms_per_m = 1000.0 / (WALK_KMH / 3.6);
    // extent of the reached nodes
    let (mut x0, mut y0, mut x1, mut y1) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for &u in &tree.settled {
        let (lon, lat) = g.coord(u);
        let (x, y) = proj.fwd(lon, lat);
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    let mut cell = cell_m.max(1.0);
    let span = (x1 - x0).max(y1 - y0);
    if span / cell > MAX_SIDE as f64 {
        cell = span / MAX_SIDE as f64;
    }
    let margin = 3.0 * cell;
    let (ox, oy) = (x0 - margin, y0 - margin);
    let nx = (((x1 - x0) + 2.0 * margin) / cell).ceil() as usize + 1;
    let ny = (((y1 - y0) + 2.0 * margin) / cell).ceil() as usize + 1;
    let limit_ms = f64::from(max_s) * 1000.0;
    let mut grid = vec![f64::INFINITY; nx * ny];
    let mut splat = |x: f64, y: f64, t_ms: f64| {
        let ci = ((x - ox) / cell).floor() as isize;
        let cj = ((y - oy) / cell).floor() as isize;
        for dj in -1..=1isize {
            for di in -1..=1isize {
                let (i, j) = (ci + di, cj + dj);
                if i < 0 || j < 0 || i as usize >= nx || j as usize >= ny {
                    continue;
                }
                let cx = ox + (i as f64 + 0.5) * cell;
                let cy = oy + (j as f64 + 0.5) * cell;
                let d = ((cx - x).powi(2) + (cy - y).powi(2)).sqrt();
                let t = t_ms + d * walk_ms_per_m;
                let v = &mut grid[j as usize * nx + i as usize];
                if t < *v {
                    *v = t;
                }
            }
        }
    };
    for &u in &tree.settled {
        let tu = f64::from(tree.time_ms[u as usize]);
        let (lon, lat) = g.coord(u);
        let (ux, uy) = proj.fwd(lon, lat);
        splat(ux, uy, tu);
        for a in g.arcs(u) {
            let v = g.targets[a];
            let w = f64::from(g.weights[a]);
            // A two-way segment whose ends were both reached is sampled once, from its lower
            // end: the samples take the better of both ends, so the other direction would
            // write the same times (the splats dominate the polygon's cost at France size).
            if v < u
                && tree.time_ms[v as usize] != UNREACHED
                && g.arcs(v)
                    .any(|b| g.targets[b] == u && g.weights[b] == g.weights[a])
            {
                continue;
            }
            let (vlon, vlat) = g.coord(v);
            let (vx, vy) = proj.fwd(vlon, vlat);
            let len_m = f64::from(g.lengths[a]) / 10.0;
            // one sample per cell: each splat also covers the 8 cells around it
            let steps = (len_m / cell).ceil().max(1.0) as usize;
            for s in 1..=steps {
                let f = s as f64 / steps as f64;
                // the far end may be reached sooner from elsewhere
                let t = match tree.time_ms[v as usize] {
                    UNREACHED => tu + f * w,
                    tv => (tu + f * w).min(f64::from(tv) + (1.0 - f) * w),
                };
                if t > limit_ms {
                    // beyond the limit from both ends; with an unreached far end, for good
                    if tree.time_ms[v as usize] == UNREACHED {
                        break;
                    }
                    continue;
                }
                splat(ux + f * (vx - ux), uy + f * (vy - uy), t);
            }
        }
    }
    // contour keeps values >= threshold: negate times; unreached well beyond the largest limit
    let unreached = -(limit_ms * 1.5 + 60_000.0);
    let values: Vec<f64> = grid
        .iter()
        .map(|&t| if t.is_finite() { -t } else { unreached })
        .collect();
    let builder = ContourBuilder::new(nx, ny, true)
        .x_origin(ox)
        .y_origin(oy)
        .x_step(cell)
        .y_step(cell);
    let thresholds: Vec<f64> = limits_s.iter().map(|&s| -f64::from(s) * 1000.0).collect();
    let Ok(contours) = builder.contours(&values, &thresholds) else {
        return limits_s.iter().map(|_| MultiPolygon(Vec::new())).collect();
    };
    contours
        .into_iter()
        .map(|c| unproject(c.geometry(), &proj))
        .collect()
}

fn unproject(mp: &MultiPolygon<f64>, proj: &Projection) -> MultiPolygon<f64> {
    let ring = |ls: &LineString<f64>| -> LineString<f64> {
        ls.0.iter()
            .map(|c| {
                let (x, y) = proj.inv(c.x, c.y);
                Coord { x, y }
            })
            .collect()
    };
    MultiPolygon(
        mp.0.iter()
            .map(|p| Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect()))
            .collect(),
    )
}

/// A circle of `radius_m` metres around `(lon, lat)` (64 vertices): the straight-line estimate.
pub fn circle(lon: f64, lat: f64, radius_m: f64) -> MultiPolygon<f64> {
    let proj = Projection::new(lon, lat);
    let ring: LineString<f64> = (0..=64)
        .map(|i| {
            let a = f64::from(i % 64) / 64.0 * std::f64::consts::TAU;
            let (x, y) = proj.inv(radius_m * a.cos(), radius_m * a.sin());
            Coord { x, y }
        })
        .collect();
    MultiPolygon(vec![Polygon::new(ring, Vec::new())])
}
