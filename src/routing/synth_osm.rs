//! The road network of the synthetic OSM extract that [`super::synth_pbf`] writes: OSM nodes,
//! ways and turn restrictions computed from their lattice position alone, so that an extract of
//! 100 M nodes is written without holding it (every function here is a pure function of the
//! position and the seed).
//!
//! # Shape
//!
//! - **Lattice**: one per outline (mainland, each island, each overseas territory), in a local
//!   equirectangular projection, with its origin on a road junction near the outline's centre
//!   so that even a small island at a coarse step gets a junction. Lattice points `(i, j)` are
//!   `step` apart; roads run along every [`ROAD_EVERY`]-th row and column, so about 7 points in
//!   16 are nodes and one node in seven is a junction, the others shape nodes (France's OSM roads
//!   have ~100 M way nodes for ~15 M ways, most of them shape nodes).
//! - **Classes by line**, spaced in kilometres (as [`super::synthetic`]) and, at coarse steps, in
//!   lines: motorway every 45 km (mainland only; two one-way carriageways, crossed by minor roads
//!   on bridges, joined to trunks and primaries at interchanges), primary every 12 km (one in four
//!   a trunk), secondary every 3 km, tertiary every km; the other lines are local roads whose
//!   every way draws its class: residential 32 %, service 18 %, track 18 %, unclassified 16 %,
//!   footway 8 %, path 8 % (shares of way counts in France's OSM, rounded).
//! - **Ways** end at a node with probability 2/13 (≈ 6.5 segments, France's ~6.7 nodes a way),
//!   and at roundabouts: 4 % of junctions of non-motorway lines below primary are a one-way ring
//!   (`junction=roundabout`) through the four neighbouring nodes.
//! - **Tags**: `maxspeed`, `oneway`, `access=private|destination`, `service=driveway`,
//!   `tracktype` on a share of ways (see [`way_tags`]); `highway=traffic_signals` on 15 % and
//!   `highway=stop` on 10 % of junctions of tertiary or greater roads.
//! - **Turn restrictions** (`type=restriction`) at 10 % of junctions of tertiary to trunk roads:
//!   `no_left_turn`, `no_right_turn`, `no_u_turn`, `no_straight_on`, `only_right_turn`,
//!   `only_straight_on` via the junction node, and one in eight via a way (two junctions along a
//!   way).

use crate::testdata::Rng;

/// Lattice points from one road to the next parallel one.
pub const ROAD_EVERY: usize = 4;
/// Share of lattice points that are road nodes: `1 − (1 − 1/ROAD_EVERY)²`.
pub const NODE_SHARE: f64 = 7.0 / 16.0;
/// Kilometres per degree of latitude.
const KM_PER_DEG: f64 = crate::geodesy::EARTH_RADIUS_M * std::f64::consts::PI / 180.0 / 1000.0;

/// Class of a lattice line (local lines draw a class per way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Line {
    Local,
    Tertiary,
    Secondary,
    Primary,
    Trunk,
    Motorway,
}

impl Line {
    fn minor(self) -> bool {
        self < Line::Primary
    }
}

/// Way orientation in [`Lattice::way_id`]: along a row, along a column, the backward
/// carriageway of a motorway row or column, a roundabout.
pub const ROW: u8 = 0;
pub const COL: u8 = 1;
pub const ROW_BACK: u8 = 2;
pub const COL_BACK: u8 = 3;
pub const RING: u8 = 4;

/// A seeded hash of a position: uniform `u64`.
fn hash(seed: u64, a: u64, b: u64, salt: u64) -> u64 {
    Rng::new(
        seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
            ^ salt.wrapping_mul(0x1656_67B1_9E37_79F9),
    )
    .next_u64()
}

/// Area of an outline, km² (local projection).
pub fn area_km2(outline: &[(f64, f64)]) -> f64 {
    let lat0 = outline.iter().map(|p| p.1).sum::<f64>() / outline.len().max(1) as f64;
    let kx = KM_PER_DEG * lat0.to_radians().cos();
    let n = outline.len();
    (0..n)
        .map(|i| {
            let (a, b) = (outline[i], outline[(i + 1) % n]);
            (a.0 * kx) * (b.1 * KM_PER_DEG) - (b.0 * kx) * (a.1 * KM_PER_DEG)
        })
        .sum::<f64>()
        .abs()
        / 2.0
}

/// The lattice of one outline.
#[derive(Debug, Clone)]
pub struct Lattice {
    seed: u64,
    motorways: bool,
    /// km per degree of longitude at the outline's mean latitude.
    kx: f64,
    /// km of point (0, 0), and the step, km.
    x0: f64,
    y0: f64,
    pub step: f64,
    pub w: usize,
    pub h: usize,
    /// Lattice indices of the junction at the origin of line numbering.
    i0: usize,
    j0: usize,
    /// Inclusive `i` ranges inside the outline, per row.
    rows: Vec<Vec<(usize, usize)>>,
    node_base: i64,
    way_base: i64,
}

impl Lattice {
    /// The lattice of `outline` (`(lon, lat)` degrees) at `step` km; ids start at `id_base`.
    pub fn new(
        outline: &[(f64, f64)],
        step: f64,
        motorways: bool,
        seed: u64,
        id_base: i64,
    ) -> Self {
        let n = outline.len().max(1) as f64;
        let (clon, clat) = outline
            .iter()
            .fold((0.0, 0.0), |(a, b), p| (a + p.0 / n, b + p.1 / n));
        let kx = KM_PER_DEG * clat.to_radians().cos();
        let poly: Vec<(f64, f64)> = outline
            .iter()
            .map(|&(lon, lat)| (lon * kx, lat * KM_PER_DEG))
            .collect();
        let (x1, y1, x2, y2) = poly.iter().fold(
            (f64::MAX, f64::MAX, f64::MIN, f64::MIN),
            |(a, b, c, d), &(x, y)| (a.min(x), b.min(y), c.max(x), d.max(y)),
        );
        let (cx, cy) = (clon * kx, clat * KM_PER_DEG);
        let k = ROAD_EVERY as f64;
        // origin junction: the lattice point at the centre, its index a multiple of ROAD_EVERY
        let i0 = (((cx - x1) / step / k).ceil() * k) as usize;
        let j0 = (((cy - y1) / step / k).ceil() * k) as usize;
        let (x0, y0) = (cx - i0 as f64 * step, cy - j0 as f64 * step);
        let w = ((x2 - x0) / step).ceil() as usize + 1;
        let h = ((y2 - y0) / step).ceil() as usize + 1;
        let rows = (0..h)
            .map(|j| {
                let y = y0 + j as f64 * step;
                let m = poly.len();
                let mut xs: Vec<f64> = (0..m)
                    .filter_map(|e| {
                        let (a, b) = (poly[e], poly[(e + 1) % m]);
                        ((a.1 <= y) != (b.1 <= y))
                            .then(|| a.0 + (y - a.1) / (b.1 - a.1) * (b.0 - a.0))
                    })
                    .collect();
                xs.sort_by(f64::total_cmp);
                xs.chunks_exact(2)
                    .filter_map(|p| {
                        let a = ((p[0] - x0) / step).ceil().max(0.0) as usize;
                        let b = ((p[1] - x0) / step).floor();
                        (b >= 0.0 && (b as usize) >= a).then(|| (a, (b as usize).min(w - 1)))
                    })
                    .collect()
            })
            .collect();
        Lattice {
            seed,
            motorways,
            kx,
            x0,
            y0,
            step,
            w,
            h,
            i0,
            j0,
            rows,
            node_base: id_base,
            way_base: id_base,
        }
    }

    /// Inclusive `i` ranges inside the outline on row `j`.
    pub fn row_ranges(&self, j: usize) -> &[(usize, usize)] {
        self.rows.get(j).map_or(&[], Vec::as_slice)
    }

    pub fn inside(&self, i: usize, j: usize) -> bool {
        self.row_ranges(j).iter().any(|&(a, b)| a <= i && i <= b)
    }

    /// Class of line number `l` (0 through the origin junction).
    fn line_class(&self, l: i64) -> Line {
        let spacing = ROAD_EVERY as f64 * self.step;
        let every = |km: f64, min: i64| ((km / spacing).round() as i64).max(min);
        let (m, p, s, t) = (
            every(45.0, 12),
            every(12.0, 6),
            every(3.0, 3),
            every(1.0, 2),
        );
        if self.motorways && l.rem_euclid(m) == m / 2 {
            Line::Motorway
        } else if l.rem_euclid(p) == p / 3 {
            if l.div_euclid(p).rem_euclid(4) == 0 {
                Line::Trunk
            } else {
                Line::Primary
            }
        } else if l.rem_euclid(s) == 0 {
            Line::Secondary
        } else if l.rem_euclid(t) == 0 {
            Line::Tertiary
        } else {
            Line::Local
        }
    }

    fn line_at(&self, t: usize, t0: usize) -> Option<Line> {
        let d = t as i64 - t0 as i64;
        (d.rem_euclid(ROAD_EVERY as i64) == 0).then(|| self.line_class(d / ROAD_EVERY as i64))
    }

    /// The road along row `j`, if any.
    pub fn row_line(&self, j: usize) -> Option<Line> {
        self.line_at(j, self.j0)
    }

    /// The road along column `i`, if any.
    pub fn col_line(&self, i: usize) -> Option<Line> {
        self.line_at(i, self.i0)
    }

    /// Node `slot` at `(i, j)`: 1 the road node, 2 the backward carriageway of a motorway, 3 a
    /// minor road's bridge over a motorway.
    pub fn node_id(&self, i: usize, j: usize, slot: i64) -> i64 {
        self.node_base + 4 * (j * self.w + i) as i64 + slot
    }

    /// The slots of the nodes at `(i, j)` (empty off the roads or outside), in id order.
    pub fn slots(&self, i: usize, j: usize) -> Vec<i64> {
        let (r, c) = (self.row_line(j), self.col_line(i));
        if (r.is_none() && c.is_none()) || !self.inside(i, j) {
            return Vec::new();
        }
        let m = Some(Line::Motorway);
        let bridge =
            (r == m && c.is_some_and(Line::minor)) || (c == m && r.is_some_and(Line::minor));
        let mut s = vec![1];
        if r == m || c == m {
            s.push(2);
        }
        if bridge {
            s.push(3);
        }
        s
    }

    /// `(lon, lat)` of node `slot` at `(i, j)`, degrees.
    pub fn coord(&self, i: usize, j: usize, slot: i64) -> (f64, f64) {
        let hx = hash(self.seed, i as u64, j as u64, 1);
        let jx = ((hx >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.4;
        let jy = ((hx & 0xFFFF) as f64 / 65536.0 - 0.5) * 0.4;
        let (mut x, mut y) = (
            self.x0 + (i as f64 + jx) * self.step,
            self.y0 + (j as f64 + jy) * self.step,
        );
        if slot == 2 {
            // the backward carriageway, a quarter step beside
            if self.row_line(j) == Some(Line::Motorway) {
                y += self.step / 4.0;
            }
            if self.col_line(i) == Some(Line::Motorway) {
                x += self.step / 4.0;
            }
        }
        (x / self.kx, y / KM_PER_DEG)
    }

    /// `(i, j)` of a lattice point `t` along a line: row `line` when `o` is [`ROW`], column
    /// `line` otherwise.
    fn at(o: u8, line: usize, t: usize) -> (usize, usize) {
        if o == ROW { (t, line) } else { (line, t) }
    }

    /// A one-way ring of four nodes around this junction.
    pub fn roundabout(&self, i: usize, j: usize) -> bool {
        let (Some(r), Some(c)) = (self.row_line(j), self.col_line(i)) else {
            return false;
        };
        r < Line::Primary
            && c < Line::Primary
            && i > 0
            && j > 0
            && [(i, j), (i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1)]
                .iter()
                .all(|&(a, b)| self.inside(a, b))
            && hash(self.seed, i as u64, j as u64, 2) % 100 < 4
    }

    /// Whether a way along line `o`/`line` ends (and the next begins) at point `t`.
    fn breaks(&self, o: u8, line: usize, t: usize) -> bool {
        let (i, j) = Self::at(o, line, t);
        hash(self.seed, i as u64, j as u64, 3 + u64::from(o)) % 13 < 2
    }

    /// Whether point `t` of line `o`/`line` is on a way segment's end (inside, not a
    /// roundabout's centre).
    fn on_way(&self, o: u8, line: usize, t: usize) -> bool {
        let (i, j) = Self::at(o, line, t);
        i < self.w && j < self.h && self.inside(i, j) && !self.roundabout(i, j)
    }

    /// Whether a way along line `o`/`line` (a road line) starts at point `t`.
    pub fn starts(&self, o: u8, line: usize, t: usize) -> bool {
        self.on_way(o, line, t)
            && self.on_way(o, line, t + 1)
            && (t == 0 || !self.on_way(o, line, t - 1) || self.breaks(o, line, t))
    }

    /// Points `t` of the way starting at `t`: up to the next break or gap.
    pub fn span(&self, o: u8, line: usize, start: usize) -> std::ops::RangeInclusive<usize> {
        let mut t = start + 1;
        while !self.breaks(o, line, t) && self.on_way(o, line, t + 1) {
            t += 1;
        }
        start..=t
    }

    /// Start of the way holding the segment from point `t` to `t + 1` of line `o`/`line`.
    fn way_start(&self, o: u8, line: usize, mut t: usize) -> usize {
        while t > 0 && !self.starts(o, line, t) {
            t -= 1;
        }
        t
    }

    /// OSM id of the way of orientation `o` starting at `(i, j)`.
    pub fn way_id(&self, i: usize, j: usize, o: u8) -> i64 {
        self.way_base + 8 * (j * self.w + i) as i64 + i64::from(o)
    }

    /// Id of the way along line `o` holding the segment from `(i, j)` to the next point.
    fn way_of(&self, o: u8, i: usize, j: usize) -> i64 {
        let (line, t) = if o == ROW { (j, i) } else { (i, j) };
        let s = self.way_start(o, line, t);
        let (a, b) = Self::at(o, line, s);
        self.way_id(a, b, o)
    }

    /// Node ids of point `(i, j)` on a way along line `o` of class `class` (two at an
    /// interchange, where a trunk or primary meets both carriageways).
    pub fn refs_at(&self, o: u8, class: Line, i: usize, j: usize) -> Vec<i64> {
        let across = if o == ROW {
            self.col_line(i)
        } else {
            self.row_line(j)
        };
        let id = |s| self.node_id(i, j, s);
        match (class, across) {
            (Line::Motorway, _) => vec![id(1)],
            (Line::Trunk | Line::Primary, Some(Line::Motorway)) => vec![id(1), id(2)],
            (_, Some(Line::Motorway)) => vec![id(3)],
            _ => vec![id(1)],
        }
    }

    /// The node tags of junction `(i, j)`'s road node: traffic signals or a stop sign.
    pub fn junction_tag(&self, i: usize, j: usize) -> Option<&'static str> {
        let (r, c) = (self.row_line(j)?, self.col_line(i)?);
        if r == Line::Motorway || c == Line::Motorway || self.roundabout(i, j) {
            return None;
        }
        let x = hash(self.seed, i as u64, j as u64, 9) % 100;
        match (r.min(c), r.max(c)) {
            (lo, _) if lo >= Line::Tertiary && x < 15 => Some("traffic_signals"),
            (Line::Local, hi) if hi >= Line::Tertiary && x < 10 => Some("stop"),
            _ => None,
        }
    }

    /// The turn restriction at junction `(i, j)`, if any: its tags and `(from, via, to)`
    /// members, the via being a node (`Ok`) or a way (`Err`).
    pub fn restriction(
        &self,
        i: usize,
        j: usize,
    ) -> Option<(&'static str, i64, Result<i64, i64>, i64)> {
        let ok = |r: Option<Line>| r.is_some_and(|r| (Line::Tertiary..=Line::Trunk).contains(&r));
        if !ok(self.row_line(j)) || !ok(self.col_line(i)) || i == 0 || j == 0 {
            return None;
        }
        if self.roundabout(i, j) {
            return None;
        }
        let around = [(i, j), (i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1)];
        if !around.iter().all(|&(a, b)| self.inside(a, b)) {
            return None;
        }
        let x = hash(self.seed, i as u64, j as u64, 10);
        if x % 100 >= 10 {
            return None;
        }
        // arriving from the west along the row
        let from = self.way_of(ROW, i - 1, j);
        let via = Ok(self.node_id(i, j, 1));
        let (north, south, east) = (
            self.way_of(COL, i, j),
            self.way_of(COL, i, j - 1),
            self.way_of(ROW, i, j),
        );
        if (x >> 8).is_multiple_of(8) {
            // north along column i, east along the row to the next junction, north again
            let i2 = i + ROAD_EVERY;
            let fits = i2 + 1 < self.w
                && self.inside(i2, j + 1)
                && self.way_of(ROW, i2 - 1, j) == east
                && self.col_line(i2).is_some()
                && !self.roundabout(i2, j);
            return fits.then(|| ("no_left_turn", south, Err(east), self.way_of(COL, i2, j)));
        }
        Some(match (x >> 16) % 20 {
            0..=7 => ("no_left_turn", from, via, north),
            8..=10 => ("no_right_turn", from, via, south),
            11..=13 => ("no_u_turn", from, via, from),
            14..=15 => ("only_right_turn", from, via, south),
            16..=17 if east != from => ("only_straight_on", from, via, east),
            18..=19 if east != from => ("no_straight_on", from, via, east),
            _ => ("no_left_turn", from, via, north),
        })
    }

    /// The road junction nearest to `(lon, lat)` where two tertiary to trunk roads cross (a
    /// ferry landing): `(node id, lon, lat)`.
    pub fn landing(&self, lon: f64, lat: f64) -> Option<(i64, f64, f64)> {
        let k = ROAD_EVERY as i64;
        let ci = ((lon * self.kx - self.x0) / self.step) as i64;
        let cj = ((lat * KM_PER_DEG - self.y0) / self.step) as i64;
        let mut best: Option<(f64, i64, f64, f64)> = None;
        for dj in -60..=60 {
            for di in -60..=60 {
                let (i, j) = (ci + di * k, cj + dj * k);
                let (i, j) = (
                    i - (i - self.i0 as i64).rem_euclid(k),
                    j - (j - self.j0 as i64).rem_euclid(k),
                );
                if i < 1 || j < 1 || i as usize + 1 >= self.w || j as usize + 1 >= self.h {
                    continue;
                }
                let (i, j) = (i as usize, j as usize);
                let good = |l: Option<Line>| {
                    l.is_some_and(|l| (Line::Tertiary..=Line::Trunk).contains(&l))
                };
                if !self.inside(i, j) || !good(self.row_line(j)) || !good(self.col_line(i)) {
                    continue;
                }
                let (x, y) = self.coord(i, j, 1);
                let d = (x - lon).powi(2) + (y - lat).powi(2);
                if best.is_none_or(|b| d < b.0) {
                    best = Some((d, self.node_id(i, j, 1), x, y));
                }
            }
        }
        best.map(|(_, id, x, y)| (id, x, y))
    }
}

/// The class and tags of a way of orientation `o` starting at `(i, j)` on a line of class
/// `line`: `highway` value first.
pub fn way_tags(lat: &Lattice, line: Line, way_id: i64) -> Vec<(&'static str, &'static str)> {
    let x = hash(lat.seed, way_id as u64, 0, 11);
    let pct = |salt: u32| (x >> (salt * 7)) % 100;
    let mut t: Vec<(&'static str, &'static str)> = Vec::with_capacity(4);
    match line {
        Line::Motorway => {
            t.push(("highway", "motorway"));
            t.push(("oneway", "yes"));
            t.push(("maxspeed", if pct(1) < 25 { "110" } else { "130" }));
        }
        Line::Trunk | Line::Primary | Line::Secondary | Line::Tertiary => {
            t.push((
                "highway",
                match line {
                    Line::Trunk => "trunk",
                    Line::Primary => "primary",
                    Line::Secondary => "secondary",
                    _ => "tertiary",
                },
            ));
            match pct(1) {
                0..=24 => t.push(("maxspeed", "80")),
                25..=39 => t.push(("maxspeed", "50")),
                40..=44 if line >= Line::Primary => t.push(("maxspeed", "90")),
                45..=47 => t.push(("maxspeed", "FR:urban")),
                _ => {}
            }
        }
        Line::Local => match pct(0) {
            0..=31 => {
                t.push(("highway", "residential"));
                if pct(1) < 8 {
                    t.push(("oneway", if pct(2) < 90 { "yes" } else { "-1" }));
                }
                match pct(3) {
                    0..=14 => t.push(("maxspeed", "30")),
                    15..=19 => t.push(("maxspeed", "FR:zone30")),
                    _ => {}
                }
                if pct(4) < 2 {
                    t.push(("access", "destination"));
                }
            }
            32..=49 => {
                t.push(("highway", "service"));
                if pct(1) < 10 {
                    t.push(("access", "private"));
                } else if pct(1) < 30 {
                    t.push(("service", "driveway"));
                }
            }
            50..=67 => {
                t.push(("highway", "track"));
                let grades = ["grade1", "grade2", "grade3", "grade4", "grade5"];
                t.push(("tracktype", grades[(pct(1) % 5) as usize]));
            }
            68..=83 => {
                t.push(("highway", "unclassified"));
                if pct(1) < 10 {
                    t.push(("maxspeed", "80"));
                }
            }
            84..=91 => t.push(("highway", "footway")),
            _ => t.push(("highway", "path")),
        },
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square() -> Vec<(f64, f64)> {
        vec![(2.0, 46.0), (3.0, 46.0), (3.0, 47.0), (2.0, 47.0)]
    }

    #[test]
    fn ways_tile_each_road_line() {
        let l = Lattice::new(&square(), 0.5, true, 3, 0);
        // every segment of a road row belongs to exactly one way, whose span holds it
        for j in (0..l.h).filter(|&j| l.row_line(j).is_some()) {
            let mut covered = vec![0u32; l.w];
            for i in 0..l.w {
                if l.starts(ROW, j, i) {
                    for t in l.span(ROW, j, i) {
                        if t < *l.span(ROW, j, i).end() {
                            covered[t] += 1;
                        }
                    }
                    assert_eq!(l.way_of(ROW, i, j), l.way_id(i, j, ROW));
                }
            }
            for (i, &c) in covered.iter().enumerate().take(l.w.saturating_sub(1)) {
                let seg = l.on_way(ROW, j, i) && l.on_way(ROW, j, i + 1);
                assert_eq!(c, u32::from(seg), "row {j} point {i}");
            }
        }
        // node ids are distinct and ascend in (j, i, slot) order
        let mut last = i64::MIN;
        for j in 0..l.h {
            for i in 0..l.w {
                for s in l.slots(i, j) {
                    assert!(l.node_id(i, j, s) > last);
                    last = l.node_id(i, j, s);
                }
            }
        }
    }
}
