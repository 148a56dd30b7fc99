//! Douglas–Peucker simplification of the isochrone's rings: `geo`'s [`geo::Simplify`] for a
//! `Polygon`'s ring (the same splits, the same tie-breaks, the same rule that a ring keeps at
//! least 4 coordinates), on squared distances and in place. `geo` measures every vertex with
//! `hypot` and a division and copies the ring twice; its `hypot` was ~5 % of the server's
//! isochrone profile. Here squared distances pick the candidates and `geo`'s distance is taken
//! only for the near-farthest, so every decision is `geo`'s. `tests` check the answers equal
//! `geo`'s on random rings.

use geo::{Coord, Distance, Euclidean, Line, LineString};

/// A simplified ring keeps at least this many coordinates (`geo`'s `POLYGON_INITIAL_MIN`).
const RING_MIN: usize = 4;

/// Reusable buffers (kept per thread by the caller).
#[derive(Default)]
pub struct Simplifier {
    keep: Vec<bool>,
    /// Squared distances of the points of one range.
    d2: Vec<f64>,
    stack: Vec<(usize, usize)>,
}

/// Squared distance from `p` to the segment `s`–`e` (`geo`'s `line_segment_distance`, squared,
/// without its division: a filter, [`Simplifier::ring`] decides on `geo`'s own distance).
#[inline]
fn distance2(p: Coord<f64>, s: Coord<f64>, e: Coord<f64>, d2: f64, inv_d2: f64) -> f64 {
    let (px, py) = (p.x - s.x, p.y - s.y);
    if d2 == 0.0 {
        return px * px + py * py;
    }
    let (dx, dy) = (e.x - s.x, e.y - s.y);
    let along = px * dx + py * dy;
    if along <= 0.0 {
        return px * px + py * py;
    }
    if along >= d2 {
        let (qx, qy) = (p.x - e.x, p.y - e.y);
        return qx * qx + qy * qy;
    }
    let cross = py * dx - px * dy;
    cross * cross * inv_d2
}

impl Simplifier {
    /// Simplifies `ring` (closed) within `epsilon` (no change at 0 or below): the points
    /// `geo`'s `Polygon::simplify` keeps.
    ///
    /// Each split is `geo`'s: the farthest point (the last of equals) by `geo`'s distance.
    /// The squared distances find the few points that can be the farthest (within a
    /// rounding slack of the largest); only those are measured with `geo`'s `hypot`.
    pub fn ring(&mut self, ring: &mut LineString<f64>, epsilon: f64) {
        let pts = &mut ring.0;
        let n = pts.len();
        if epsilon <= 0.0 || n < 3 {
            return;
        }
        self.keep.clear();
        self.keep.resize(n, false);
        self.keep[0] = true;
        self.keep[n - 1] = true;
        let mut len = n;
        self.stack.clear();
        self.stack.push((0, n - 1));
        // depth first, the first half before the second: `geo`'s recursion order, which
        // decides where the 4-coordinate floor stops the culling
        while let Some((a, b)) = self.stack.pop() {
            if b - a < 2 {
                continue;
            }
            let (s, e) = (pts[a], pts[b]);
            let d2 = {
                let (dx, dy) = (e.x - s.x, e.y - s.y);
                dx * dx + dy * dy
            };
            let inv_d2 = 1.0 / d2;
            self.d2.clear();
            let mut max = 0.0f64;
            for &p in &pts[a + 1..b] {
                let d = distance2(p, s, e, d2, inv_d2);
                max = max.max(d);
                self.d2.push(d);
            }
            // both distances are within a few ulps of the true one: a point farther by
            // `geo`'s measure is within this slack of the largest squared distance
            let m = max.sqrt();
            let slack = 1e-9 * (1.0 + m + s.x.abs() + s.y.abs() + e.x.abs() + e.y.abs());
            let floor = if m > slack {
                (m - slack) * (m - slack)
            } else {
                0.0
            };
            let line = Line::new(s, e);
            let (mut far, mut far_d) = (0, 0.0);
            for (k, &d) in self.d2.iter().enumerate() {
                if d >= floor {
                    let exact = Euclidean.distance(pts[a + 1 + k], &line);
                    if exact >= far_d {
                        (far, far_d) = (a + 1 + k, exact);
                    }
                }
            }
            if far_d > epsilon {
                self.keep[far] = true;
                self.stack.push((far, b));
                self.stack.push((a, far));
                continue;
            }
            let culled = b - a - 1;
            if len - culled < RING_MIN {
                self.keep[a..=b].fill(true);
            } else {
                len -= culled;
            }
        }
        let mut k = 0;
        for i in 0..n {
            if self.keep[i] {
                pts[k] = pts[i];
                k += 1;
            }
        }
        pts.truncate(k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::Rng;
    use geo::{Polygon, Simplify};

    /// Random closed rings (random walks on a grid of half cells, with collinear runs,
    /// spikes, repeated points and tiny rings): the same points as `geo`'s
    /// `Polygon::simplify`.
    #[test]
    fn same_points_as_geo() {
        let mut rng = Rng::new(18);
        let mut s = Simplifier::default();
        let mut kept = 0;
        let mut culled = 0;
        for round in 0..3_000 {
            let n = 1 + rng.below(if round % 10 == 0 { 8 } else { 400 });
            let step = [0.5, 1.0, 0.25, 3.0][round % 4];
            let (mut x, mut y) = (0.0f64, 0.0f64);
            let mut pts: Vec<Coord<f64>> = (0..n)
                .map(|_| {
                    match rng.below(6) {
                        0 => x += step,
                        1 => x -= step,
                        2 => y += step,
                        3 => y -= step,
                        4 => (x, y) = (x + rng.below(7) as f64 * 0.1, y - 0.3),
                        _ => {}
                    }
                    Coord { x, y }
                })
                .collect();
            pts.push(pts[0]);
            let ring = LineString(pts);
            for eps in [0.0, 0.1, 0.3, 1.0, 2.5] {
                let want = Polygon::new(ring.clone(), vec![]).simplify(eps);
                let mut got = ring.clone();
                s.ring(&mut got, eps);
                assert_eq!(&got, want.exterior(), "round {round}, {n} points, {eps}");
                kept += got.0.len();
                culled += ring.0.len() - got.0.len();
            }
        }
        assert!(
            kept > 10_000 && culled > 10_000,
            "{kept} kept, {culled} culled"
        );
    }
}
