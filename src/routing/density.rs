//! Road density around each node, on Valhalla's relative 0–15 scale: what tells urban roads
//! (density above [`super::tags::URBAN_DENSITY`]) from rural ones when speeds are assigned.
//!
//! The measure restates Valhalla's (`src/mjolnir/graphenhancer.cc`, read, not copied): road
//! lengths are summed into a grid of 2^14 × 1e-7° cells (about 180 m × 120 m in France), each
//! road segment counted at both its ends; a cell's density is the road length (km, each segment
//! once) in the cells within 2 km (a disc of cells) over their area (km²), and the relative
//! value is `round(0.7 × density)`, at most 15. A node takes its cell's value.
//!
//! Sums over the disc use per-row prefix sums of the occupied cells, so the work per occupied
//! cell is one binary search pair per row of the disc (about 25 rows), not one look-up per
//! cell of the disc (about 600).

use std::collections::HashMap;

/// Cell side, 1e-7 degrees (a power of two: cells are coordinate bit shifts).
const CELL_SHIFT: u32 = 14;
/// Radius of the disc, metres.
const RADIUS_M: f64 = 2_000.0;
/// Metres per degree of latitude (Valhalla's constant).
const M_PER_DEG_LAT: f64 = 110_567.0;

fn cell(lon: i32, lat: i32) -> (i64, i64) {
    let x = (i64::from(lon) + 1_800_000_000) >> CELL_SHIFT;
    let y = (i64::from(lat) + 900_000_000) >> CELL_SHIFT;
    (x, y)
}

/// Relative road density (0..=15) at each node, from the road segments `(a, b, length_m)`
/// between nodes of `lon`/`lat` (1e-7 degrees).
pub fn relative(lon: &[i32], lat: &[i32], roads: impl Iterator<Item = (u32, u32, f64)>) -> Vec<u8> {
    let mut cells: HashMap<(i64, i64), f64> = HashMap::new();
    for (a, b, len) in roads {
        for u in [a, b] {
            *cells
                .entry(cell(lon[u as usize], lat[u as usize]))
                .or_default() += len;
        }
    }
    // per row: occupied x sorted, and prefix sums of their lengths
    let mut rows: HashMap<i64, (Vec<i64>, Vec<f64>)> = HashMap::new();
    let mut sorted: Vec<((i64, i64), f64)> = cells.iter().map(|(&k, &v)| (k, v)).collect();
    sorted.sort_by_key(|&((x, y), _)| (y, x));
    for ((x, y), v) in sorted {
        let row = rows.entry(y).or_insert_with(|| (Vec::new(), vec![0.0]));
        let last = row.1.last().copied().unwrap_or(0.0);
        row.0.push(x);
        row.1.push(last + v);
    }
    let size_deg = f64::from(1u32 << CELL_SHIFT) * 1e-7;
    let radius_lat_deg = RADIUS_M / M_PER_DEG_LAT;
    let mut value: HashMap<(i64, i64), u8> = HashMap::with_capacity(cells.len());
    for &(x, y) in cells.keys() {
        let lat_deg = (y << CELL_SHIFT) as f64 * 1e-7 - 90.0;
        let cos = lat_deg.to_radians().cos().max(0.05);
        let xn = (radius_lat_deg / cos / size_deg).ceil() as i64;
        let yn = (radius_lat_deg / size_deg).ceil() as i64;
        let mut total = 0.0;
        let mut count = 0usize;
        for dy in -yn..=yn {
            let rest = xn * yn - dy * dy;
            if rest < 0 {
                continue;
            }
            let half = (rest as f64).sqrt().floor() as i64;
            count += (2 * half + 1) as usize;
            if let Some((xs, prefix)) = rows.get(&(y + dy)) {
                let lo = xs.partition_point(|&v| v < x - half);
                let hi = xs.partition_point(|&v| v <= x + half);
                total += prefix[hi] - prefix[lo];
            }
        }
        let cell_km = size_deg * M_PER_DEG_LAT / 1_000.0;
        let area = cell_km * cell_km * cos * count.max(1) as f64;
        let density = total * 0.0005 / area;
        value.insert((x, y), (density * 0.7).round().min(15.0) as u8);
    }
    lon.iter()
        .zip(lat)
        .map(|(&x, &y)| value.get(&cell(x, y)).copied().unwrap_or(0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dense_grid_is_urban_and_a_lone_road_rural() {
        // a 4 km × 4 km grid of streets every 100 m: 2 × 41 streets of 4 km = 328 km of road
        // on 16 km², 20.5 km/km², relative 14 at its centre; density falls off at the edges
        let (mut lon, mut lat, mut roads) = (Vec::new(), Vec::new(), Vec::new());
        let step = 100.0 / M_PER_DEG_LAT * 1e7; // 100 m of latitude in 1e-7°
        let cos = 47f64.to_radians().cos();
        let id = |i: usize, j: usize| (i * 41 + j) as u32;
        for i in 0..41 {
            for j in 0..41 {
                lon.push((20_000_000.0 + j as f64 * step / cos) as i32);
                lat.push((470_000_000.0 + i as f64 * step) as i32);
                if j > 0 {
                    roads.push((id(i, j - 1), id(i, j), 100.0));
                }
                if i > 0 {
                    roads.push((id(i - 1, j), id(i, j), 100.0));
                }
            }
        }
        // and a lone 10 km road far away, one node every 500 m
        let base = lon.len() as u32;
        for k in 0..21 {
            lon.push(30_000_000 + k * 65_000);
            lat.push(450_000_000);
            if k > 0 {
                roads.push((base + k as u32 - 1, base + k as u32, 500.0));
            }
        }
        let d = relative(&lon, &lat, roads.into_iter());
        let centre = d[id(20, 20) as usize];
        assert!((12..=15).contains(&centre), "centre {centre}");
        assert!(centre > crate::routing::tags::URBAN_DENSITY);
        assert!(
            d[base as usize + 10] <= 1,
            "lone road {}",
            d[base as usize + 10]
        );
    }
}
