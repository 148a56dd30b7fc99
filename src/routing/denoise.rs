//! Valhalla's `denoise` for isochrone contours: a contour's rings (islands and holes) smaller
//! than a share of its largest ring are dropped ([`denoised`]).

use geo::{LineString, MultiPolygon, Polygon};

/// `mp` without its rings (islands and holes) smaller than `denoise` × the area of its largest
/// ring, as Valhalla's `denoise` (0–1; its default, 1, keeps only the largest ring: no island,
/// no hole). A dropped hole is filled. 0 keeps every ring. Areas are compared in degrees², whose
/// ratios are the ratios in metres on the isochrone's local projection (a linear map).
pub fn denoised(mp: MultiPolygon<f64>, denoise: f64) -> MultiPolygon<f64> {
    if denoise <= 0.0 {
        return mp;
    }
    let largest =
        mp.0.iter()
            .map(|p| ring_area(p.exterior()))
            .fold(0.0, f64::max);
    let keep = |r: &LineString<f64>| ring_area(r) >= denoise * largest;
    MultiPolygon(
        mp.0.into_iter()
            .filter(|p| keep(p.exterior()))
            .map(|p| {
                let (exterior, holes) = p.into_inner();
                Polygon::new(exterior, holes.into_iter().filter(|h| keep(h)).collect())
            })
            .collect(),
    )
}

/// The area a ring encloses: the marching squares' shoelace ([`super::marching::area`]).
fn ring_area(ring: &LineString<f64>) -> f64 {
    if ring.0.is_empty() {
        return 0.0;
    }
    super::marching::area(&ring.0).abs() / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denoise_drops_rings_below_a_share_of_the_largest() {
        let square = |x: f64, y: f64, side: f64| -> LineString<f64> {
            vec![
                (x, y),
                (x + side, y),
                (x + side, y + side),
                (x, y + side),
                (x, y),
            ]
            .into()
        };
        // a 10×10 square with a 2×2 hole, and a 6×6 island: areas 100, 4 and 36
        let mp = MultiPolygon(vec![
            Polygon::new(square(0.0, 0.0, 10.0), vec![square(4.0, 4.0, 2.0)]),
            Polygon::new(square(20.0, 0.0, 6.0), vec![]),
        ]);
        assert_eq!(ring_area(&square(1.0, 1.0, 3.0)), 9.0);
        assert_eq!(denoised(mp.clone(), 0.0), mp, "0 keeps every ring");
        let some = denoised(mp.clone(), 0.3);
        assert_eq!(some.0.len(), 2, "the island (36 % of the largest) stays");
        assert!(some.0[0].interiors().is_empty(), "the hole (4 %) is filled");
        let one = denoised(mp, 1.0);
        assert_eq!(one.0.len(), 1, "1 keeps the largest ring only");
        assert_eq!(one.0[0].exterior(), &square(0.0, 0.0, 10.0));
        assert!(one.0[0].interiors().is_empty());
    }
}
