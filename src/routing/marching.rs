//! Marching squares for the isochrone grid: the contour of "time ≤ limit" as rings, with the
//! output of the `contour` crate (d3-contour's algorithm, `ContourBuilder` with `smooth`)
//! vertex for vertex, but without its costs: the crate wants the grid as `f64` values per
//! limit (the isochrone built a fresh negated copy per contour), looks every segment's end up
//! in two hash maps, allocates a `Vec` per fragment and prepends by shifting. Here the limit is
//! compared on the `f32` times in place, only the rows and columns around the cells within the
//! limit are scanned, the fragment ends are dense arrays indexed by edge and the fragments
//! linked lists in one reused arena. `tests` check it against the crate on random grids.

use geo::{Coord, LineString, MultiPolygon, Polygon};

/// Marching-squares segments per case, in half cells from the square's corner
/// (d3-contour's `cases`, ×2).
const CASES: [&[[(i32, i32); 2]]; 16] = [
    &[],
    &[[(2, 3), (1, 2)]],
    &[[(3, 2), (2, 3)]],
    &[[(3, 2), (1, 2)]],
    &[[(2, 1), (3, 2)]],
    &[[(2, 3), (1, 2)], [(2, 1), (3, 2)]],
    &[[(2, 1), (2, 3)]],
    &[[(2, 1), (1, 2)]],
    &[[(1, 2), (2, 1)]],
    &[[(2, 3), (2, 1)]],
    &[[(1, 2), (2, 1)], [(3, 2), (2, 3)]],
    &[[(3, 2), (2, 1)]],
    &[[(1, 2), (3, 2)]],
    &[[(2, 3), (3, 2)]],
    &[[(1, 2), (2, 3)]],
    &[],
];

const NONE: u32 = u32::MAX;

/// A grid's size and placement: `nx` × `ny` cells, cell `(i, j)`'s value at
/// `(ox + (i + ½)·dx, oy + (j + ½)·dy)` (`contour`'s `x_origin`, `y_origin`, `x_step`,
/// `y_step`).
#[derive(Debug, Clone, Copy)]
pub struct GridFrame {
    pub nx: usize,
    pub ny: usize,
    pub ox: f64,
    pub oy: f64,
    pub dx: f64,
    pub dy: f64,
}

/// A grid of times (ms, `f32`, row-major, `nx` per row; infinite where no road).
pub struct TimeGrid<'a> {
    pub times: &'a [f32],
    pub frame: GridFrame,
    /// Added to the limit for a cell without a road (its value for the interpolation).
    pub no_road_ms: f64,
}

struct Fragment {
    head: u32,
    tail: u32,
    start: u32,
    end: u32,
}

/// Reusable buffers (kept per thread by the caller).
#[derive(Default)]
pub struct Marching {
    by_start: Vec<u32>,
    by_end: Vec<u32>,
    fragments: Vec<Fragment>,
    free: Vec<u32>,
    /// Points in half cells, and the next point of their fragment.
    points: Vec<(i32, i32)>,
    next: Vec<u32>,
    rings: Vec<LineString<f64>>,
    /// The cells within the limit, a bit each, row by row; whether each row has any.
    bits: Vec<u64>,
    busy: Vec<bool>,
    /// The squares of one row with a segment.
    squares: Vec<isize>,
}

impl Marching {
    /// The polygons where the time is at most `limit_ms` (a cell without a road counts as
    /// `limit_ms + no_road_ms`), as `ContourBuilder::new(nx, ny, true)` with the grid's
    /// origin and steps returns them for the negated values and threshold.
    pub fn contour(&mut self, g: &TimeGrid<'_>, limit_ms: f64) -> MultiPolygon<f64> {
        self.contour_holes(g, limit_ms, true)
    }

    /// [`Marching::contour`], without the holes unless `keep_holes` (the test of which polygon
    /// holds each hole is then skipped).
    pub fn contour_holes(
        &mut self,
        g: &TimeGrid<'_>,
        limit_ms: f64,
        keep_holes: bool,
    ) -> MultiPolygon<f64> {
        let f = g.frame;
        let ny = f.ny as isize;
        let c = limit_ms;
        // one bit per cell within the limit (bit `i % 64` of word `i / 64` of its row; the
        // bits past `nx` stay 0), and which rows hold any
        let words = f.nx.div_ceil(64) + 1;
        self.bits.clear();
        self.bits.resize(words * f.ny, 0);
        self.busy.clear();
        // `t <= c` on the `f32` times exactly as `f64::from(t) <= c`: the largest f32 ≤ c
        let mut cf = c as f32;
        if f64::from(cf) > c {
            cf = cf.next_down();
        }
        for (row, bits) in g
            .times
            .chunks_exact(f.nx)
            .zip(self.bits.chunks_exact_mut(words))
        {
            let mut any = 0;
            for (chunk, word) in row.chunks(64).zip(bits.iter_mut()) {
                *word = chunk
                    .iter()
                    .enumerate()
                    .fold(0u64, |w, (k, &t)| w | u64::from(t <= cf) << k);
                any |= *word;
            }
            self.busy.push(any != 0);
        }
        if !self.busy.contains(&true) {
            return MultiPolygon(Vec::new());
        }
        let w = 2 * f.nx + 4;
        let size = ((2 * f.ny + 3) * w).div_ceil(2) + 1;
        if self.by_start.len() < size {
            self.by_start.resize(size, NONE);
            self.by_end.resize(size, NONE);
        }
        self.fragments.clear();
        self.free.clear();
        self.points.clear();
        self.next.clear();
        self.rings.clear();
        let zero = vec![0u64; words];
        let (bits, busy) = (
            std::mem::take(&mut self.bits),
            std::mem::take(&mut self.busy),
        );
        let mut mixed_squares = std::mem::take(&mut self.squares);
        let busy_row = |j: isize| j >= 0 && j < ny && busy[j as usize];
        // row `j`'s bits, zero outside the grid
        let row = |j: isize| -> &[u64] {
            if busy_row(j) {
                &bits[j as usize * words..(j as usize + 1) * words]
            } else {
                &zero
            }
        };
        for y in -1..ny {
            if !busy_row(y) && !busy_row(y + 1) {
                continue;
            }
            let (below, above) = (row(y), row(y + 1));
            // the squares not all inside nor all outside (every other square is case 0 or
            // 15: no segment), in the order of the scan: x = -1 (only its right corners in
            // the grid), then bit by bit
            mixed_squares.clear();
            if above[0] & 1 != 0 || below[0] & 1 != 0 {
                mixed_squares.push(-1isize);
            }
            for k in 0..words - 1 {
                let (a, b) = (above[k], below[k]);
                // the right corners: the next bit, across words
                let (ar, br) = (a >> 1 | above[k + 1] << 63, b >> 1 | below[k + 1] << 63);
                let mut mixed = (a ^ ar) | (a ^ b) | (a ^ br);
                while mixed != 0 {
                    mixed_squares.push((64 * k) as isize + mixed.trailing_zeros() as isize);
                    mixed &= mixed - 1;
                }
            }
            let bit = |r: &[u64], i: isize| -> usize {
                usize::from(i >= 0 && r[i as usize / 64] >> (i % 64) & 1 != 0)
            };
            for &x in &mixed_squares {
                let case = bit(above, x)
                    | bit(above, x + 1) << 1
                    | bit(below, x + 1) << 2
                    | bit(below, x) << 3;
                for &[a, b] in CASES[case] {
                    let start = (a.0 + 2 * x as i32, a.1 + 2 * y as i32);
                    let end = (b.0 + 2 * x as i32, b.1 + 2 * y as i32);
                    self.stitch(start, end, w);
                }
            }
        }
        (self.bits, self.busy, self.squares) = (bits, busy, mixed_squares);
        // fragments left open would leave stale ends behind (never with a finite grid)
        if self.fragments.len() != self.free.len() {
            self.by_start.fill(NONE);
            self.by_end.fill(NONE);
        }
        let mut polygons: Vec<Polygon<f64>> = Vec::new();
        let mut holes = Vec::new();
        for mut ring in self.rings.drain(..) {
            g.place(&mut ring, c);
            if area(&ring.0) > 0.0 {
                polygons.push(Polygon::new(ring, Vec::new()));
            } else if keep_holes {
                holes.push(ring);
            }
        }
        for hole in holes {
            if let Some(p) = polygons
                .iter_mut()
                .find(|p| contains(&p.exterior().0, &hole.0) != -1)
            {
                p.interiors_push(hole);
            }
        }
        MultiPolygon(polygons)
    }

    fn point(&mut self, p: (i32, i32)) -> u32 {
        self.points.push(p);
        self.next.push(NONE);
        (self.points.len() - 1) as u32
    }

    fn key(p: (i32, i32), w: usize) -> usize {
        ((p.1 + 1) as usize * w + (p.0 + 1) as usize) >> 1
    }

    /// d3-contour's `stitch`: joins the segment to the fragments ending where it starts or
    /// starting where it ends; a closed fragment becomes a ring.
    fn stitch(&mut self, start: (i32, i32), end: (i32, i32), w: usize) {
        let (sk, ek) = (Self::key(start, w), Self::key(end, w));
        let f = self.by_end[sk];
        if f != NONE {
            self.by_end[sk] = NONE;
            let g = self.by_start[ek];
            if g != NONE {
                self.by_start[ek] = NONE;
                if f == g {
                    let e = self.point(end);
                    let fr = &self.fragments[f as usize];
                    let (head, tail) = (fr.head, fr.tail);
                    self.next[tail as usize] = e;
                    self.free.push(f);
                    self.emit(head);
                } else {
                    // f then g, as one fragment (kept in f's slot)
                    let (g_head, g_tail, g_end) = {
                        let gr = &self.fragments[g as usize];
                        (gr.head, gr.tail, gr.end)
                    };
                    let f_tail = self.fragments[f as usize].tail;
                    self.next[f_tail as usize] = g_head;
                    let fr = &mut self.fragments[f as usize];
                    fr.tail = g_tail;
                    fr.end = g_end;
                    self.free.push(g);
                    self.by_start[fr.start as usize] = f;
                    self.by_end[g_end as usize] = f;
                }
            } else {
                let e = self.point(end);
                let fr = &mut self.fragments[f as usize];
                self.next[fr.tail as usize] = e;
                fr.tail = e;
                fr.end = ek as u32;
                self.by_end[ek] = f;
            }
        } else if self.by_start[ek] != NONE {
            let f = self.by_start[ek];
            self.by_start[ek] = NONE;
            let s = self.point(start);
            let fr = &mut self.fragments[f as usize];
            self.next[s as usize] = fr.head;
            fr.head = s;
            fr.start = sk as u32;
            self.by_start[sk] = f;
        } else {
            let (s, e) = (self.point(start), self.point(end));
            self.next[s as usize] = e;
            let fr = Fragment {
                head: s,
                tail: e,
                start: sk as u32,
                end: ek as u32,
            };
            let f = match self.free.pop() {
                Some(f) => {
                    self.fragments[f as usize] = fr;
                    f
                }
                None => {
                    self.fragments.push(fr);
                    (self.fragments.len() - 1) as u32
                }
            };
            self.by_start[sk] = f;
            self.by_end[ek] = f;
        }
    }

    /// The ring from point `head`, in cells (placed by [`TimeGrid::place`]).
    fn emit(&mut self, head: u32) {
        let mut ring = Vec::new();
        let mut p = head;
        while p != NONE {
            let (x, y) = self.points[p as usize];
            ring.push(Coord {
                x: f64::from(x) * 0.5,
                y: f64::from(y) * 0.5,
            });
            p = self.next[p as usize];
        }
        self.rings.push(LineString(ring));
    }
}

impl TimeGrid<'_> {
    /// `contour`'s value of cell `ix` for limit `c`: the negated time.
    fn value(&self, ix: usize, c: f64) -> f64 {
        let t = self.times[ix];
        if t.is_finite() {
            -f64::from(t)
        } else {
            -(c + self.no_road_ms)
        }
    }

    /// `contour`'s `smoooth_linear` then its grid transform, on a ring in cells.
    pub fn place(&self, ring: &mut LineString<f64>, c: f64) {
        let (f, value) = (self.frame, -c);
        let len = self.times.len();
        for p in &mut ring.0 {
            let (x, y) = (p.x, p.y);
            let xt = x.trunc() as usize;
            let yt = y.trunc() as usize;
            let ix = yt * f.nx + xt;
            if ix < len {
                let v1 = self.value(ix, c);
                if x > 0.0 && x < f.nx as f64 && (xt as f64 - x).abs() < f64::EPSILON {
                    let v0 = self.value(yt * f.nx + xt - 1, c);
                    p.x = x + (value - v0) / (v1 - v0) - 0.5;
                }
                if y > 0.0 && y < f.ny as f64 && (yt as f64 - y).abs() < f64::EPSILON {
                    let v0 = self.value((yt - 1) * f.nx + xt, c);
                    p.y = y + (value - v0) / (v1 - v0) - 0.5;
                }
            }
            p.x = p.x * f.dx + f.ox;
            p.y = p.y * f.dy + f.oy;
        }
    }
}

/// Twice the signed area of `ring` (`contour`'s `area`: its sign tells exteriors from holes;
/// also [`super::denoise`]'s ring areas). `ring` is not empty.
pub(super) fn area(ring: &[Coord<f64>]) -> f64 {
    let n = ring.len();
    let mut a = ring[n - 1].y * ring[0].x - ring[n - 1].x * ring[0].y;
    for i in 1..n {
        a += ring[i - 1].y * ring[i].x - ring[i - 1].x * ring[i].y;
    }
    a
}

/// `contour`'s `contains`: 1 if `hole` is inside `ring`, -1 outside, 0 on its boundary (the
/// first point of `hole` not on the boundary decides).
fn contains(ring: &[Coord<f64>], hole: &[Coord<f64>]) -> i32 {
    hole.iter()
        .map(|p| ring_contains(ring, p))
        .find(|&c| c != 0)
        .unwrap_or(0)
}

fn ring_contains(ring: &[Coord<f64>], p: &Coord<f64>) -> i32 {
    let (x, y) = (p.x, p.y);
    let mut contains = -1;
    let mut j = ring.len() - 1;
    for i in 0..ring.len() {
        let (pi, pj) = (ring[i], ring[j]);
        if segment_contains(&pi, &pj, p) {
            return 0;
        }
        if ((pi.y > y) != (pj.y > y)) && (x < (pj.x - pi.x) * (y - pi.y) / (pj.y - pi.y) + pi.x) {
            contains = -contains;
        }
        j = i;
    }
    contains
}

fn segment_contains(a: &Coord<f64>, b: &Coord<f64>, c: &Coord<f64>) -> bool {
    let collinear = ((b.x - a.x) * (c.y - a.y) - (c.x - a.x) * (b.y - a.y)).abs() < f64::EPSILON;
    let within = |p: f64, q: f64, r: f64| p <= q && q <= r || r <= q && q <= p;
    collinear
        && if (a.x - b.x).abs() < f64::EPSILON {
            within(a.y, c.y, b.y)
        } else {
            within(a.x, c.x, b.x)
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::Rng;
    use contour::ContourBuilder;

    /// The `contour` crate's answer, as the isochrone asked it before: negated values.
    fn oracle(g: &TimeGrid<'_>, c: f64) -> MultiPolygon<f64> {
        let values: Vec<f64> = (0..g.times.len()).map(|i| g.value(i, c)).collect();
        let f = g.frame;
        let b = ContourBuilder::new(f.nx, f.ny, true)
            .x_origin(f.ox)
            .y_origin(f.oy)
            .x_step(f.dx)
            .y_step(f.dy);
        let mut cs = b.contours(&values, &[-c]).expect("a grid of nx × ny");
        cs.swap_remove(0).geometry().clone()
    }

    /// Random grids (blobs of times with gaps, saddles, holes, cells touching the border):
    /// the same polygons, vertex for vertex, as the `contour` crate.
    #[test]
    fn same_rings_as_the_contour_crate() {
        let mut rng = Rng::new(5);
        let mut m = Marching::default();
        let mut rings = 0;
        for round in 0..300 {
            // (a border of cells without roads, as the isochrone's grid has: the crate's
            // stitching keys collide on the border)
            let (nx, ny) = (3 + rng.below(40), 3 + rng.below(40));
            let empty = rng.below(100) as f64 / 100.0;
            let times: Vec<f32> = (0..nx * ny)
                .map(|k| {
                    let (i, j) = (k % nx, k / nx);
                    let border = i == 0 || j == 0 || i == nx - 1 || j == ny - 1;
                    if border || (rng.below(1000) as f64) < empty * 1000.0 {
                        f32::INFINITY
                    } else {
                        rng.below(600_000) as f32
                    }
                })
                .collect();
            let g = TimeGrid {
                times: &times,
                frame: GridFrame {
                    nx,
                    ny,
                    ox: -1234.5 + round as f64,
                    oy: 987.25,
                    dx: 163.7,
                    dy: 220.1,
                },
                no_road_ms: 60_000.0,
            };
            for c in [0.0, 120_000.0, 300_000.0, 450_000.0, 599_999.0, 1e9] {
                let got = m.contour(&g, c);
                assert_eq!(got, oracle(&g, c), "round {round}, {nx}×{ny}, limit {c}");
                rings += got.0.iter().map(|p| 1 + p.interiors().len()).sum::<usize>();
            }
        }
        assert!(rings > 1_000, "{rings} rings: too few compared");
    }
}
