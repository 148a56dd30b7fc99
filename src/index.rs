//! Spatial index: two bulk-loaded `rstar` R-trees over the same points. Pure: no I/O, no errors.
//!
//! - Ranking by distance uses points on the unit sphere (x, y, z): the chord between two such
//!   points grows monotonically with their great-circle distance, so the R-tree's Euclidean
//!   nearest-neighbour order *is* the spherical order, with no projection error anywhere in
//!   France, overseas included.
//! - Bounding boxes use a lon/lat tree.
//!
//! Distances are great-circle (haversine) distances in metres on a sphere of radius
//! [`EARTH_RADIUS_M`] (the IUGG mean radius, as `geo::Haversine`); the error against the
//! ellipsoid is below 0.5 %.
//!
//! Items are identified by a `u32` slot (the place's position in the dataset). Results are sorted
//! by `(distance, slot)`; the dataset orders slots by id, so ties break by id.

use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};

/// Mean Earth radius in metres (IUGG), the one `geo::Haversine` uses.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

type SpherePoint = GeomWithData<[f64; 3], u32>;
type PlanePoint = GeomWithData<[f64; 2], u32>;

/// A bounding box in WGS84 degrees: `min_lon <= max_lon`, `min_lat <= max_lat` (no
/// antimeridian crossing).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bbox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl Bbox {
    /// Does the box contain the point (boundaries included)?
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        (self.min_lon..=self.max_lon).contains(&lon) && (self.min_lat..=self.max_lat).contains(&lat)
    }
}

/// One result: the slot of a place and its distance in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub slot: u32,
    pub distance_m: f64,
}

/// Unit-sphere coordinates of a lon/lat in degrees.
pub fn to_sphere(lon: f64, lat: f64) -> [f64; 3] {
    let (lon, lat) = (lon.to_radians(), lat.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// Great-circle distance in metres (haversine formula).
pub fn haversine_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}

/// Chord length on the unit sphere for a great-circle distance in metres.
fn chord_for(distance_m: f64) -> f64 {
    let angle = (distance_m / EARTH_RADIUS_M).min(std::f64::consts::PI);
    2.0 * (angle / 2.0).sin()
}

/// The index over the positioned places.
pub struct SpatialIndex {
    sphere: RTree<SpherePoint>,
    plane: RTree<PlanePoint>,
    lonlat: Vec<[f64; 2]>,
}

/// Relative slack when turning chord bounds into haversine ones, so that rounding differences
/// between the two formulas never drop a candidate; exact checks follow.
const SLACK: f64 = 1e-9;

impl SpatialIndex {
    /// Bulk-loads the trees. `points[slot]` is `Some((lon, lat))` for positioned places.
    pub fn new(points: &[Option<[f64; 2]>]) -> Self {
        let lonlat: Vec<[f64; 2]> = points
            .iter()
            .map(|p| p.unwrap_or([f64::NAN, f64::NAN]))
            .collect();
        let positioned = || {
            points
                .iter()
                .enumerate()
                .filter_map(|(i, p)| p.map(|p| (i as u32, p)))
        };
        let sphere = RTree::bulk_load(
            positioned()
                .map(|(i, [lon, lat])| SpherePoint::new(to_sphere(lon, lat), i))
                .collect(),
        );
        let plane = RTree::bulk_load(positioned().map(|(i, p)| PlanePoint::new(p, i)).collect());
        SpatialIndex {
            sphere,
            plane,
            lonlat,
        }
    }

    /// Number of indexed (positioned) places.
    pub fn len(&self) -> usize {
        self.sphere.size()
    }

    /// True when no place is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn distance(&self, slot: u32, lon: f64, lat: f64) -> f64 {
        let [plon, plat] = self.lonlat[slot as usize];
        haversine_m(lon, lat, plon, plat)
    }

    /// The `k` nearest places accepted by `keep`, within `max_m` metres if given, sorted by
    /// `(distance, slot)`. The filter runs before ranking: these are the k nearest matches.
    pub fn nearest(
        &self,
        lon: f64,
        lat: f64,
        k: usize,
        max_m: Option<f64>,
        mut keep: impl FnMut(u32) -> bool,
    ) -> Vec<Hit> {
        if k == 0 {
            return Vec::new();
        }
        let q = to_sphere(lon, lat);
        let max_chord2 = max_m.map(|m| (chord_for(m) * (1.0 + SLACK)).powi(2));
        let mut hits: Vec<Hit> = Vec::with_capacity(k + 1);
        // chord² of the k-th match: candidates beyond it (plus slack) cannot enter the top k.
        let mut bound2 = f64::INFINITY;
        for (item, d2) in self.sphere.nearest_neighbor_iter_with_distance_2(q) {
            if max_chord2.is_some_and(|m| d2 > m) || d2 > bound2 {
                break;
            }
            if !keep(item.data) {
                continue;
            }
            let distance_m = self.distance(item.data, lon, lat);
            if max_m.is_some_and(|m| distance_m > m) {
                continue;
            }
            hits.push(Hit {
                slot: item.data,
                distance_m,
            });
            if hits.len() == k {
                bound2 = d2 * (1.0 + 4.0 * SLACK) + 1e-24;
            }
        }
        sort_hits(&mut hits);
        hits.truncate(k);
        hits
    }

    /// Places inside `bbox` accepted by `keep`, sorted by slot.
    pub fn within_bbox(&self, bbox: &Bbox, mut keep: impl FnMut(u32) -> bool) -> Vec<u32> {
        let env = AABB::from_corners([bbox.min_lon, bbox.min_lat], [bbox.max_lon, bbox.max_lat]);
        let mut slots: Vec<u32> = self
            .plane
            .locate_in_envelope(env)
            .map(|p| p.data)
            .filter(|s| keep(*s))
            .collect();
        slots.sort_unstable();
        slots
    }

    /// Places within `radius_m` metres accepted by `keep`, sorted by `(distance, slot)`.
    pub fn within_radius(
        &self,
        lon: f64,
        lat: f64,
        radius_m: f64,
        mut keep: impl FnMut(u32) -> bool,
    ) -> Vec<Hit> {
        let q = to_sphere(lon, lat);
        let r2 = (chord_for(radius_m) * (1.0 + SLACK)).powi(2);
        let mut hits: Vec<Hit> = self
            .sphere
            .locate_within_distance(q, r2)
            .filter(|item| keep(item.data))
            .map(|item| Hit {
                slot: item.data,
                distance_m: self.distance(item.data, lon, lat),
            })
            .filter(|h| h.distance_m <= radius_m)
            .collect();
        sort_hits(&mut hits);
        hits
    }
}

/// Sorts by `(distance, slot)`.
pub fn sort_hits(hits: &mut [Hit]) {
    hits.sort_unstable_by(|a, b| {
        a.distance_m
            .total_cmp(&b.distance_m)
            .then(a.slot.cmp(&b.slot))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_matches_geo() {
        use geo::{Distance, Haversine, Point};
        let cases = [
            (2.35, 48.85, -1.55, 47.21),
            (55.45, -20.88, 166.45, -22.27),
            (0.0, 0.0, 0.0, 0.0),
        ];
        for (a, b, c, d) in cases {
            let ours = haversine_m(a, b, c, d);
            let theirs = Haversine.distance(Point::new(a, b), Point::new(c, d));
            assert!((ours - theirs).abs() < 1e-6, "{ours} vs {theirs}");
        }
    }

    #[test]
    fn chord_order_is_great_circle_order() {
        // Paris → Lyon (392 km) vs Paris → Nantes (343 km)
        let p = to_sphere(2.3522, 48.8566);
        let chord = |q: [f64; 3]| {
            ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt()
        };
        let lyon = chord(to_sphere(4.8357, 45.764));
        let nantes = chord(to_sphere(-1.5536, 47.2184));
        assert!(nantes < lyon);
        assert!((chord_for(haversine_m(2.3522, 48.8566, 4.8357, 45.764)) - lyon).abs() < 1e-12);
    }

    #[test]
    fn empty_and_small() {
        let idx = SpatialIndex::new(&[
            None,
            Some([2.0, 48.0]),
            Some([2.0, 48.0]),
            Some([3.0, 48.0]),
        ]);
        assert_eq!(idx.len(), 3);
        let hits = idx.nearest(2.0, 48.0, 2, None, |_| true);
        assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), vec![1, 2]);
        let hits = idx.nearest(2.0, 48.0, 5, None, |s| s != 1);
        assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), vec![2, 3]);
        assert!(idx.nearest(2.0, 48.0, 5, Some(1.0), |s| s == 3).is_empty());
        let bbox = Bbox {
            min_lon: 1.0,
            min_lat: 47.0,
            max_lon: 2.0,
            max_lat: 48.0,
        };
        assert_eq!(idx.within_bbox(&bbox, |_| true), vec![1, 2]);
        assert_eq!(idx.within_radius(3.0, 48.0, 10.0, |_| true).len(), 1);
    }
}
