//! Isochrone polygons, built as Valhalla does: rasterise travel times on a grid in a local
//! metric projection, then trace contours (marching squares, the `contour` crate).
//!
//! Projection: equirectangular centred on the origin (x = Δlon·cos(lat₀)·R, y = Δlat·R), exact
//! enough over the ≤ 200 km of a 2-hour isochrone for polygons drawn on a grid of 100s of metres.
//! Rasterisation: every reached arc is sampled every cell (a two-way segment once); each sample lowers the time of
//! its cell and of the 8 around it to `time + distance / walking speed` (the last metres off the
//! road on foot). Unreached cells hold a time well beyond the largest contour, so the polygons
//! of one grid are nested (10 ⊂ 20 ⊂ 30 minutes) by construction.

use std::cell::RefCell;

use contour::ContourBuilder;
use geo::{Coord, LineString, MultiPolygon, Polygon};

use super::build::WALK_KMH;
use super::graph::Graph;
use super::search::{Tree, UNREACHED};
use crate::geodesy::EARTH_RADIUS_M;

/// Default grid cell of a profile, metres.
pub fn default_cell_m(profile: super::Profile) -> f64 {
    match profile {
        super::Profile::Car => 200.0,
        super::Profile::Walk => 50.0,
    }
}

/// Largest grid (cells per side); the cell grows beyond it.
const MAX_SIDE: usize = 2_000;

/// Cells per side aimed at by [`polygons`]: a search wider than `TARGET_SIDE` cells of the
/// profile's default gets coarser cells. A 30-minute car search at France scale spans
/// ~100–130 km, i.e. 500–650 cells of 200 m; at ~350–450 m the grid holds 4× fewer cells,
/// small enough (f32) to stay in the CPU's L2 cache while the splats hit it in settling order.
/// Measured by `benches/routing_france.rs` (polygon time and Jaccard against the 200 m grid).
/// Searches narrower than `TARGET_SIDE` default cells (every Andorra isochrone, walking
/// isochrones up to ~2 h) keep the default cell.
const TARGET_SIDE: f64 = 300.0;

/// The cell used for a search whose reached nodes span `span_m` metres (the larger side of
/// their box): `min_cell_m` unless that gives more than [`TARGET_SIDE`] cells per side.
fn scaled_cell(min_cell_m: f64, span_m: f64) -> f64 {
    min_cell_m.max(span_m / TARGET_SIDE)
}

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
/// `cell_m` is the finest cell: wide searches get coarser cells (about [`TARGET_SIDE`] per
/// side, see [`scaled_cell`]).
pub fn polygons(
    g: &Graph,
    tree: &Tree,
    origin: (f64, f64),
    limits_s: &[u32],
    cell_m: f64,
) -> Vec<MultiPolygon<f64>> {
    trace(g, tree, origin, limits_s, |span| scaled_cell(cell_m, span))
}

/// [`polygons`] on a grid of `cell_m` whatever the search's extent (up to `MAX_SIDE` cells
/// per side): the fine reference the scaled grid is checked against.
pub fn polygons_fixed_cell(
    g: &Graph,
    tree: &Tree,
    origin: (f64, f64),
    limits_s: &[u32],
    cell_m: f64,
) -> Vec<MultiPolygon<f64>> {
    trace(g, tree, origin, limits_s, |_| cell_m)
}

thread_local! {
    /// Per-thread grids reused across calls: a fresh multi-megabyte `Vec` per isochrone was
    /// page-faulted in (zeroed by the kernel) on every call.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

#[derive(Default)]
struct Scratch {
    /// Travel time per cell, ms (f32: half the bytes of f64 for the random-access splats;
    /// exact to < 1 ms up to 4.6 hours).
    times: Vec<f32>,
    /// Negated times for `contour` (which takes f64).
    values: Vec<f64>,
}

/// The grid: cell `(i, j)` has its centre at `(ox + (i + ½)·cell, oy + (j + ½)·cell)`.
struct Grid<'a> {
    times: &'a mut [f32],
    nx: usize,
    ny: usize,
    ox: f64,
    oy: f64,
    cell: f64,
    walk_ms_per_m: f64,
}

impl Grid<'_> {
    /// Lowers the time of the cell holding `(x, y)` and of the 8 around it to `t_ms` plus the
    /// walk from the point to each cell's centre.
    #[inline]
    fn splat(&mut self, x: f64, y: f64, t_ms: f64) {
        let fx = (x - self.ox) / self.cell;
        let fy = (y - self.oy) / self.cell;
        // floor without the libm call (`f64::floor` is not inlined on baseline x86-64)
        let ci = fx as isize - isize::from(fx < 0.0);
        let cj = fy as isize - isize::from(fy < 0.0);
        for dj in -1..=1isize {
            let j = cj + dj;
            if j < 0 || j as usize >= self.ny {
                continue;
            }
            let dy = (j as f64 + 0.5) * self.cell + self.oy - y;
            let row = j as usize * self.nx;
            for di in -1..=1isize {
                let i = ci + di;
                if i < 0 || i as usize >= self.nx {
                    continue;
                }
                let dx = (i as f64 + 0.5) * self.cell + self.ox - x;
                let t = (t_ms + (dx * dx + dy * dy).sqrt() * self.walk_ms_per_m) as f32;
                let v = &mut self.times[row + i as usize];
                if t < *v {
                    *v = t;
                }
            }
        }
    }
}

fn trace(
    g: &Graph,
    tree: &Tree,
    origin: (f64, f64),
    limits_s: &[u32],
    cell_for_span: impl Fn(f64) -> f64,
) -> Vec<MultiPolygon<f64>> {
    let Some(&max_s) = limits_s.iter().max() else {
        return Vec::new();
    };
    let proj = Projection::new(origin.0, origin.1);
    // extent of the reached nodes
    let (mut x0, mut y0, mut x1, mut y1) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for &u in &tree.settled {
        let (lon, lat) = g.coord(u);
        let (x, y) = proj.fwd(lon, lat);
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    let span = (x1 - x0).max(y1 - y0);
    let mut cell = cell_for_span(span).max(1.0);
    if span / cell > MAX_SIDE as f64 {
        cell = span / MAX_SIDE as f64;
    }
    let margin = 3.0 * cell;
    let (ox, oy) = (x0 - margin, y0 - margin);
    let nx = (((x1 - x0) + 2.0 * margin) / cell).ceil() as usize + 1;
    let ny = (((y1 - y0) + 2.0 * margin) / cell).ceil() as usize + 1;
    let limit_ms = f64::from(max_s) * 1000.0;
    SCRATCH.with_borrow_mut(|scratch| {
        scratch.times.clear();
        scratch.times.resize(nx * ny, f32::INFINITY);
        let mut grid = Grid {
            times: &mut scratch.times,
            nx,
            ny,
            ox,
            oy,
            cell,
            walk_ms_per_m: 1000.0 / (WALK_KMH / 3.6),
        };
        rasterise(g, tree, &proj, limit_ms, &mut grid);
        // contour keeps values >= threshold: negate times; unreached well beyond the largest limit
        let unreached = -(limit_ms * 1.5 + 60_000.0);
        scratch.values.clear();
        scratch.values.extend(scratch.times.iter().map(|&t| {
            if t.is_finite() {
                -f64::from(t)
            } else {
                unreached
            }
        }));
        let builder = ContourBuilder::new(nx, ny, true)
            .x_origin(ox)
            .y_origin(oy)
            .x_step(cell)
            .y_step(cell);
        let thresholds: Vec<f64> = limits_s.iter().map(|&s| -f64::from(s) * 1000.0).collect();
        let Ok(contours) = builder.contours(&scratch.values, &thresholds) else {
            return limits_s.iter().map(|_| MultiPolygon(Vec::new())).collect();
        };
        contours
            .into_iter()
            .map(|c| unproject(c.geometry(), &proj))
            .collect()
    })
}

/// Every reached arc sampled about once per cell (a two-way segment once), each sample splat.
fn rasterise(g: &Graph, tree: &Tree, proj: &Projection, limit_ms: f64, grid: &mut Grid<'_>) {
    let cell = grid.cell;
    for &u in &tree.settled {
        let tu = f64::from(tree.time_ms[u as usize]);
        let (lon, lat) = g.coord(u);
        let (ux, uy) = proj.fwd(lon, lat);
        grid.splat(ux, uy, tu);
        for a in g.arcs(u) {
            let v = g.targets[a];
            let w = f64::from(g.weights[a]);
            let tv = tree.time_ms[v as usize];
            // A two-way segment whose ends were both reached is sampled once, from its lower
            // end: the samples take the better of both ends, so the other direction would
            // write the same times (the splats dominate the polygon's cost at France size).
            if v < u
                && tv != UNREACHED
                && g.arcs(v)
                    .any(|b| g.targets[b] == u && g.weights[b] == g.weights[a])
            {
                continue;
            }
            let (vlon, vlat) = g.coord(v);
            let (vx, vy) = proj.fwd(vlon, vlat);
            let len_m = f64::from(g.lengths[a]) / 10.0;
            // about one sample per cell (each splat also covers the 8 cells around it);
            // truncation + 1 rather than `ceil`, a libm call on baseline x86-64
            let steps = (len_m / cell) as usize + 1;
            let inv_steps = 1.0 / steps as f64;
            // A reached far end is splat as a settled node with its own time, which is at most
            // `tu + w`: the sample at `f = 1` would repeat that splat exactly. Skipping it halves
            // the splats on arcs shorter than a cell (most streets at France scale).
            let last = if tv == UNREACHED { steps } else { steps - 1 };
            for s in 1..=last {
                let f = s as f64 * inv_steps;
                // the far end may be reached sooner from elsewhere
                let t = match tv {
                    UNREACHED => tu + f * w,
                    tv => (tu + f * w).min(f64::from(tv) + (1.0 - f) * w),
                };
                if t > limit_ms {
                    // beyond the limit from both ends; with an unreached far end, for good
                    if tv == UNREACHED {
                        break;
                    }
                    continue;
                }
                grid.splat(ux + f * (vx - ux), uy + f * (vy - uy), t);
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_scales_only_past_the_target_side() {
        for (min_cell, span, want) in [
            (200.0, 0.0, 200.0),
            (200.0, 40_000.0, 200.0),
            (200.0, 60_000.0, 200.0),
            (200.0, 120_000.0, 400.0),
            (50.0, 30_000.0, 100.0),
        ] {
            assert_eq!(scaled_cell(min_cell, span), want, "{min_cell} m, {span} m");
        }
    }
}
