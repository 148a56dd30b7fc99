//! Distances on the Earth, shared by the spatial index, the duplicate rule, routing and the
//! territories: great-circle (haversine) distances in metres on a sphere of radius
//! [`EARTH_RADIUS_M`] (the IUGG mean radius, as `geo::Haversine`; the error against the
//! ellipsoid is below 0.5 %), and points on the unit sphere, whose chord grows with the
//! great-circle distance (what lets [`crate::index`] rank by Euclidean distance in xyz).
//!
//! Pure functions, no dependency on the rest of the crate.

/// Mean Earth radius in metres (IUGG), the one `geo::Haversine` uses.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

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

/// Great-circle distance in metres for a squared chord on the unit sphere: the same value as the
/// haversine formula (`2 asin(c/2)` is the central angle), with one `sqrt` and one `asin` instead
/// of five trigonometric calls.
pub fn distance_for_chord2(chord2: f64) -> f64 {
    2.0 * EARTH_RADIUS_M * (chord2.sqrt() / 2.0).min(1.0).asin()
}

/// Chord length on the unit sphere for a great-circle distance in metres.
pub(crate) fn chord_for(distance_m: f64) -> f64 {
    let angle = (distance_m / EARTH_RADIUS_M).min(std::f64::consts::PI);
    2.0 * (angle / 2.0).sin()
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
        for (lon, lat) in [
            (4.8357, 45.764),
            (2.3523, 48.8566),
            (2.3522, 48.8566),
            (55.45, -21.0),
            (-177.0, -48.0),
        ] {
            let q = to_sphere(lon, lat);
            let c2 = (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2);
            let h = haversine_m(2.3522, 48.8566, lon, lat);
            assert!(
                (distance_for_chord2(c2) - h).abs() < 1e-6,
                "{lon},{lat}: {} vs {h}",
                distance_for_chord2(c2)
            );
        }
    }
}
