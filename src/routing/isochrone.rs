//! Isochrone polygons, drawn as Valhalla draws them (`src/thor/isochrone.cc`,
//! `midgard/gridded_data.h`): rasterise travel times on a grid, then trace contours.
//!
//! - **Grid.** Square in degrees (equirectangular around the origin: x = Δlon·cos(lat₀)·R,
//!   y = Δlat·R), the cell chosen from the largest limit and the profile as Valhalla does
//!   ([`cell_m`]: 0.001° up to 15 minutes by car and for every walk, 0.002° at 20–30 minutes by
//!   car, up to 0.005°), and placed so that the origin sits at a cell's centre.
//! - **Times.** Every reached arc (a two-way segment once) is cut into pieces of a quarter cell
//!   along its shape (issue 18: the times at its way nodes are its own, [`super::geometry`];
//!   the arc holding the start point is also timed from the point);
//!   every cell a piece crosses takes the piece's later time if lower than what it holds. The
//!   time along an arc is interpolated from its ends (the better of both ends on a two-way
//!   segment); an arc leaving the search is followed to its end with times beyond the limit,
//!   as Valhalla's search runs 10 minutes past the largest contour. Nothing is added for the
//!   last metres walked off the road: Valhalla adds none either.
//! - **Contours.** Per limit, marching squares on the cell centres ([`super::marching`]: the
//!   `contour` crate's algorithm and output, without its per-limit copy of the grid); a
//!   cell no road crosses counts as one minute beyond that limit (Valhalla's rule), so a
//!   polygon reaches most of the way across the cells beyond its last road. A hole is kept only
//!   if a road crosses it (reached past the limit): the holes that cells without roads leave
//!   inside the reached area (parks, a mountainside between two reached valleys) are filled,
//!   as Valhalla's default `denoise` fills every hole. Islands and road-crossed holes are kept
//!   unless a `denoise` share is asked ([`super::denoise::denoised`]: Valhalla's default, 1, keeps only the
//!   largest ring).
//! - **Generalisation** ([`generalized`]). The rings may be simplified as Valhalla's
//!   `generalize` does (Douglas–Peucker as `geo`'s `Simplify`, [`super::simplify`], in metres on the projected
//!   grid), by default by a quarter of the cell, Valhalla's default: every vertex of the
//!   marching squares stays within that tolerance of its simplified ring.
//!
//! Unreached cells are beyond every limit, so the unsimplified polygons of one grid are nested
//! (10 ⊂ 20 ⊂ 30 minutes); generalised, they are nested up to the tolerance (two contours
//! running within a few metres of each other, along a cell without roads, may cross by less
//! than the tolerance).

use std::cell::RefCell;

use geo::{Coord, LineString, MultiPolygon, Polygon};

use super::extent::reached_box;
use super::graph::Graph;
use super::marching::{GridFrame, Marching, TimeGrid};
use super::search::{Tree, UNREACHED};
use super::simplify::Simplifier;
use crate::geodesy::EARTH_RADIUS_M;

/// Metres per degree of latitude on the sphere of [`EARTH_RADIUS_M`].
const M_PER_DEG: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

/// Valhalla searches this far past the largest contour (`METRIC_PADDING`, 10 minutes) and
/// sizes its grid for it; arcs leaving the search are followed at most this far.
const PADDING_MS: f64 = 600_000.0;

/// A cell no road crosses counts as this much beyond each limit (Valhalla: one minute).
const NO_ROAD_MS: f64 = 60_000.0;

/// The grid cell (its north–south side, metres; its east–west side spans as many degrees) for
/// isochrones up to `max_limit_s`: Valhalla's rule, 1/300 of the distance covered in the limit
/// plus 10 minutes at 70 mph by car or 5 mph on foot, rounded to 0.001° within 0.001–0.005°.
pub fn cell_m(profile: super::Profile, max_limit_s: u32) -> f64 {
    let mph = match profile {
        super::Profile::Car => 70.0,
        super::Profile::Walk => 5.0,
    };
    let reach_m = (f64::from(max_limit_s) + PADDING_MS / 1000.0) * mph * 0.447_04;
    let deg = reach_m / 110_567.0 / 300.0;
    let deg = if deg < 0.001 {
        0.001
    } else if deg > 0.005 {
        0.005
    } else {
        (deg * 1000.0).round() / 1000.0
    };
    deg * M_PER_DEG
}

/// Largest grid (cells per side); the cell grows beyond it.
const MAX_SIDE: usize = 2_000;

/// Cells per side aimed at by [`polygons`]: a search wider than `TARGET_SIDE` cells of the
/// profile's cell gets coarser cells. A 30-minute car search at France scale spans
/// ~100–130 km, i.e. 450–600 cells of 0.002°; at ~350–450 m the grid holds ~3× fewer cells,
/// small enough (f32) to stay in the CPU's L2 cache while the arcs are drawn in settling order.
/// Measured by `benches/routing_france.rs` (polygon time and Jaccard against the fine grid).
/// Searches narrower than `TARGET_SIDE` cells (every Andorra isochrone, walking isochrones up
/// to ~2 h) keep Valhalla's cell.
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
        Projection {
            lon0,
            lat0,
            kx: M_PER_DEG * lat0.to_radians().cos(),
            ky: M_PER_DEG,
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
/// `cell_m` is the finest cell's north–south side ([`cell_m`]): wide searches get coarser
/// cells (about [`TARGET_SIDE`] per side, see [`scaled_cell`]).
pub fn polygons(
    g: &Graph,
    tree: &Tree,
    origin: (f64, f64),
    limits_s: &[u32],
    cell_m: f64,
) -> Vec<MultiPolygon<f64>> {
    trace(
        g,
        tree,
        origin,
        limits_s,
        |span| scaled_cell(cell_m, span),
        |_| 0.0,
        true,
    )
}

/// How much [`generalized`] simplifies the rings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    /// A quarter of the grid's cell (Valhalla's default `generalize`).
    QuarterCell,
    /// This many metres (0: the rings as traced).
    Metres(f64),
}

/// [`polygons`] with every ring simplified (Douglas–Peucker) within `tolerance`; without the
/// holes unless `holes`: the outer rings only are what `denoise=1` answers (a hole lies inside
/// its polygon, smaller than the largest ring, and `denoise=1` drops it), and then no hole is
/// placed in its polygon, checked for roads or simplified.
pub fn generalized(
    g: &Graph,
    tree: &Tree,
    origin: (f64, f64),
    limits_s: &[u32],
    cell_m: f64,
    tolerance: Tolerance,
    holes: bool,
) -> Vec<MultiPolygon<f64>> {
    let tolerance_m = |cell: f64| match tolerance {
        Tolerance::QuarterCell => cell / 4.0,
        Tolerance::Metres(m) => m,
    };
    let scaled = |span| scaled_cell(cell_m, span);
    trace(g, tree, origin, limits_s, scaled, tolerance_m, holes)
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
    trace(g, tree, origin, limits_s, |_| cell_m, |_| 0.0, true)
}

thread_local! {
    /// Per-thread grids reused across calls: a fresh multi-megabyte `Vec` per isochrone was
    /// page-faulted in (zeroed by the kernel) on every call.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

#[derive(Default)]
struct Scratch {
    /// Travel time per cell, ms (f32: half the bytes of f64 for the random-access marks;
    /// exact to < 1 ms up to 4.6 hours).
    times: Vec<f32>,
    /// The marching squares' stitching buffers.
    marching: Marching,
    simplifier: Simplifier,
}

/// The grid: cell `(i, j)` has its centre at `(ox + (i + ½)·dx, oy + (j + ½)·dy)`.
struct Grid {
    times: Vec<f32>,
    f: GridFrame,
    /// `1 / dx`, `1 / dy`: cells found by multiplications, not divisions.
    inv: (f64, f64),
}

impl Grid {
    /// The cell holding `(x, y)`, unclamped.
    #[inline]
    fn cell(&self, x: f64, y: f64) -> (isize, isize) {
        let fx = (x - self.f.ox) * self.inv.0;
        let fy = (y - self.f.oy) * self.inv.1;
        // floor without the libm call (`f64::floor` is not inlined on baseline x86-64)
        (
            fx as isize - isize::from(fx < 0.0),
            fy as isize - isize::from(fy < 0.0),
        )
    }

    #[inline]
    fn lower(&mut self, (i, j): (isize, isize), t: f32) {
        if i >= 0 && j >= 0 && (i as usize) < self.f.nx && (j as usize) < self.f.ny {
            let v = &mut self.times[j as usize * self.f.nx + i as usize];
            if t < *v {
                *v = t;
            }
        }
    }

    /// Does a cell whose centre lies inside `ring` hold a road time (one past `c_ms`: the
    /// ring is a hole of the contour of `c_ms`)?
    fn any_road_in(&self, ring: &LineString<f64>, c_ms: f64) -> bool {
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for p in &ring.0 {
            (x0, y0, x1, y1) = (x0.min(p.x), y0.min(p.y), x1.max(p.x), y1.max(p.y));
        }
        let (i0, j0) = self.cell(x0, y0);
        let (i1, j1) = self.cell(x1, y1);
        let clamp = |k: isize, n: usize| k.clamp(0, n as isize - 1) as usize;
        for j in clamp(j0, self.f.ny)..=clamp(j1, self.f.ny) {
            let y = self.f.oy + (j as f64 + 0.5) * self.f.dy;
            for i in clamp(i0, self.f.nx)..=clamp(i1, self.f.nx) {
                let t = f64::from(self.times[j * self.f.nx + i]);
                if t.is_finite() && t > c_ms {
                    let x = self.f.ox + (i as f64 + 0.5) * self.f.dx;
                    if inside(ring, x, y) {
                        return true;
                    }
                }
            }
        }
        false
    }

    /// Lowers to `t` every cell the segment `a`–`b` crosses (a grid traversal, Amanatides and
    /// Woo; Valhalla's Bresenham `Intersect`).
    /// `from` is `a`'s cell; returns `b`'s.
    fn segment(
        &mut self,
        from: (isize, isize),
        a: (f64, f64),
        b: (f64, f64),
        t: f32,
    ) -> (isize, isize) {
        let (mut c, end) = (from, self.cell(b.0, b.1));
        self.lower(c, t);
        if c == end {
            return end;
        }
        let (vx, vy) = (b.0 - a.0, b.1 - a.1);
        let (si, sj) = (if vx > 0.0 { 1 } else { -1 }, if vy > 0.0 { 1 } else { -1 });
        // parameter along the segment of the next vertical / horizontal cell boundary
        let next = |k: isize, s: isize, o: f64, d: f64, p: f64, v: f64| -> f64 {
            if v == 0.0 {
                f64::INFINITY
            } else {
                (o + (k + isize::from(s > 0)) as f64 * d - p) / v
            }
        };
        let (mut tx, mut ty) = (
            next(c.0, si, self.f.ox, self.f.dx, a.0, vx),
            next(c.1, sj, self.f.oy, self.f.dy, a.1, vy),
        );
        let (dtx, dty) = (self.f.dx / vx.abs(), self.f.dy / vy.abs());
        let steps = (end.0 - c.0).unsigned_abs() + (end.1 - c.1).unsigned_abs();
        for _ in 0..steps {
            if tx < ty {
                c.0 += si;
                tx += dtx;
            } else {
                c.1 += sj;
                ty += dty;
            }
            self.lower(c, t);
        }
        end
    }
}

fn trace(
    g: &Graph,
    tree: &Tree,
    origin: (f64, f64),
    limits_s: &[u32],
    cell_for_span: impl Fn(f64) -> f64,
    tolerance_for_cell: impl Fn(f64) -> f64,
    holes: bool,
) -> Vec<MultiPolygon<f64>> {
    let Some(&max_s) = limits_s.iter().max() else {
        return Vec::new();
    };
    let proj = Projection::new(origin.0, origin.1);
    // extent of the reached nodes and shape points, and of the origin
    // (the projection is monotonic per axis: the box of the projected points is the
    // projected box of their integer coordinates)
    let (mut x0, mut y0, mut x1, mut y1) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    if let Some([lon0, lat0, lon1, lat1]) = reached_box(g, tree) {
        let deg = |e: i32| f64::from(e) * 1e-7;
        let (a, b) = (
            proj.fwd(deg(lon0), deg(lat0)),
            proj.fwd(deg(lon1), deg(lat1)),
        );
        (x0, y0, x1, y1) = (a.0.min(0.0), a.1.min(0.0), b.0.max(0.0), b.1.max(0.0));
    }
    let span = (x1 - x0).max(y1 - y0);
    let mut dy = cell_for_span(span).max(1.0);
    if span / dy > MAX_SIDE as f64 {
        dy = span / MAX_SIDE as f64;
    }
    // square in degrees, as Valhalla's grid
    let dx = dy * proj.kx / proj.ky;
    // the origin at a cell's centre; a margin for the arcs followed past the last nodes
    let (mi, mj) = ((4.0 - x0 / dx).ceil(), (4.0 - y0 / dy).ceil());
    let (ox, oy) = (-(mi + 0.5) * dx, -(mj + 0.5) * dy);
    let nx = (mi + (x1 / dx).ceil() + 5.0) as usize;
    let ny = (mj + (y1 / dy).ceil() + 5.0) as usize;
    let limit_ms = f64::from(max_s) * 1000.0;
    let tolerance_m = tolerance_for_cell(dy);
    SCRATCH.with_borrow_mut(|scratch| {
        let mut times = std::mem::take(&mut scratch.times);
        times.clear();
        times.resize(nx * ny, f32::INFINITY);
        let f = GridFrame {
            nx,
            ny,
            ox,
            oy,
            dx,
            dy,
        };
        let mut grid = Grid {
            times,
            f,
            inv: (1.0 / dx, 1.0 / dy),
        };
        grid.lower(grid.cell(0.0, 0.0), 0.0);
        rasterise(g, tree, &proj, limit_ms + PADDING_MS, &mut grid);
        // (value i at i + ½, the cell's centre)
        let view = TimeGrid {
            times: &grid.times,
            frame: f,
            no_road_ms: NO_ROAD_MS,
        };
        let polys = limits_s
            .iter()
            .map(|&s| {
                let c = f64::from(s) * 1000.0;
                finish(
                    scratch.marching.contour_holes(&view, c, holes),
                    &mut scratch.simplifier,
                    &proj,
                    &grid,
                    c,
                    tolerance_m,
                )
            })
            .collect();
        scratch.times = grid.times;
        polys
    })
}

/// Projected contour polygons of limit `c_ms` to WGS84, without the holes no road crosses,
/// simplified within `tolerance_m` (none at 0).
fn finish(
    mp: MultiPolygon<f64>,
    simplifier: &mut Simplifier,
    proj: &Projection,
    grid: &Grid,
    c_ms: f64,
    tolerance_m: f64,
) -> MultiPolygon<f64> {
    let unproject = |mut ls: LineString<f64>| {
        for c in &mut ls.0 {
            (c.x, c.y) = proj.inv(c.x, c.y);
        }
        ls
    };
    MultiPolygon(
        mp.0.into_iter()
            .map(|p| {
                let (mut exterior, holes) = p.into_inner();
                let mut holes: Vec<_> = holes
                    .into_iter()
                    .filter(|r| grid.any_road_in(r, c_ms))
                    .collect();
                // (a ring keeps at least 4 coordinates: `geo`'s `Polygon` simplification)
                for r in std::iter::once(&mut exterior).chain(&mut holes) {
                    simplifier.ring(r, tolerance_m);
                }
                Polygon::new(
                    unproject(exterior),
                    holes.into_iter().map(unproject).collect(),
                )
            })
            .collect(),
    )
}

/// Every reached arc cut into pieces of a quarter cell along its shape (a two-way road once),
/// each piece drawn with its later time; arcs leaving the search followed up to `horizon_ms`.
fn rasterise(g: &Graph, tree: &Tree, proj: &Projection, horizon_ms: f64, grid: &mut Grid) {
    let piece = 0.25 * grid.f.dy;
    // pieces per dm of shape (a multiplication per shape point, not two divisions), and
    // `1 / steps` for the usual counts (the same quotients)
    let pieces_per_dm = 0.1 / piece;
    let inv_steps: [f64; 64] = std::array::from_fn(|k| 1.0 / k.max(1) as f64);
    // `f64::min`/`max` without their NaN handling (times are never NaN)
    let (min, max) = (
        |a: f64, b: f64| if b < a { b } else { a },
        |a: f64, b: f64| if b > a { b } else { a },
    );
    for &u in &tree.settled {
        let tu = f64::from(tree.time_ms[u as usize]);
        let (lon, lat) = g.coord(u);
        let (ux, uy) = proj.fwd(lon, lat);
        for a in g.arcs(u) {
            let v = g.targets[a];
            let w = f64::from(g.weights[a]);
            let inv_w = 1.0 / w.max(1.0);
            let tv = tree.time_ms[v as usize];
            // the far end, reached, counts only through a reverse arc (not up a one-way)
            let back = if tv == UNREACHED {
                None
            } else {
                g.arcs(v)
                    .find(|&b| {
                        g.targets[b] == u
                            && g.lengths[b] == g.lengths[a]
                            && g.geometry.mirrors(a, b)
                    })
                    .map(|b| (f64::from(tv), f64::from(g.weights[b])))
            };
            // the arc holding the start point: also timed from the point itself
            let start = tree.start_along(g, u, a);
            // A two-way segment whose ends were both reached is drawn once, from its lower end:
            // the pieces take the better of both ends, so the other direction draws the same.
            if v < u && start.is_none() && back.is_some_and(|(_, wb)| wb == w) {
                continue;
            }
            // `c`: time along the arc from `u`, ms (the way nodes' own along a shape)
            let time = |c: f64| {
                let t = match back {
                    None => tu + c,
                    Some((tv, wb)) => min(tu + c, tv + (1.0 - c * inv_w) * wb),
                };
                match start {
                    Some((c0, walk)) if c >= c0 => min(t, walk + c - c0),
                    _ => t,
                }
            };
            let pts = g.arc_points(u, a);
            let mut prev = (ux, uy);
            // the cell of `prev`, when known
            let mut prev_cell = None;
            let (mut t_prev, mut c_prev, mut dm_prev) = (time(0.0), 0.0, 0);
            'shape: for q in pts.after_tail() {
                let (qx, qy) = proj.fwd(f64::from(q.lon) * 1e-7, f64::from(q.lat) * 1e-7);
                let (x0, y0, c0) = (prev.0, prev.1, c_prev);
                // Valhalla draws an arc shorter than 1.5 pieces in one piece
                let steps = ((f64::from(q.dm - dm_prev) * pieces_per_dm + 0.5) as usize).max(1);
                let inv = match inv_steps.get(steps) {
                    Some(&inv) => inv,
                    None => 1.0 / steps as f64,
                };
                for s in 1..=steps {
                    let f = s as f64 * inv;
                    let c = c0 + f * (f64::from(q.ms) - c0);
                    let t = time(c);
                    let at = (x0 + f * (qx - x0), y0 + f * (qy - y0));
                    let later = max(t, t_prev);
                    if later <= horizon_ms {
                        let from = prev_cell.unwrap_or_else(|| grid.cell(prev.0, prev.1));
                        prev_cell = Some(grid.segment(from, prev, at, later as f32));
                    } else {
                        prev_cell = None;
                        if back.is_none() && start.is_none() {
                            // only later from here on
                            break 'shape;
                        }
                    }
                    (prev, t_prev) = (at, t);
                }
                (c_prev, dm_prev) = (f64::from(q.ms), q.dm);
            }
        }
    }
}

/// Is `(x, y)` inside the closed `ring` (crossing number)?
fn inside(ring: &LineString<f64>, x: f64, y: f64) -> bool {
    let mut odd = false;
    for w in ring.0.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a.y > y) != (b.y > y) && x < a.x + (y - a.y) / (b.y - a.y) * (b.x - a.x) {
            odd = !odd;
        }
    }
    odd
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
    fn cell_follows_valhallas_rule() {
        use crate::routing::Profile::{Car, Walk};
        // (limit + 10 min) at 70 mph by car or 5 mph on foot, / 300, rounded to 0.001°
        // within 0.001–0.005° (`src/thor/isochrone.cc`, as pyvalhalla 3.9.1 runs it)
        for (profile, minutes, deg) in [
            (Car, 3, 0.001),
            (Car, 15, 0.001),
            (Car, 20, 0.002),
            (Car, 30, 0.002),
            (Car, 60, 0.004),
            (Car, 180, 0.005),
            (Walk, 30, 0.001),
            (Walk, 120, 0.001),
        ] {
            let got = cell_m(profile, minutes * 60) / M_PER_DEG;
            assert!(
                (got - deg).abs() < 1e-9,
                "{profile:?} {minutes} min: {got}°"
            );
        }
    }

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
