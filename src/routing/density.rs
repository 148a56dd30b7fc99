//! Road density around each node, on Valhalla's relative 0–15 scale: what tells urban roads
//! (density above [`super::tags::URBAN_DENSITY`]) from rural ones when speeds are assigned.
//!
//! The measure restates Valhalla's (`src/mjolnir/graphenhancer.cc`, read, not copied): road
//! lengths are summed into a grid of 2^14 × 1e-7° cells (about 180 m × 120 m in France), each
//! road segment counted at both its ends; a cell's density is the road length (km, each segment
//! once) in the cells within 2 km (a disc of cells) over their area (km²), and the relative
//! value is `round(0.7 × density)`, at most 15. A node takes its cell's value.
//!
//! Sums over the disc use per-row prefix sums of the occupied cells, read by two pointers that
//! slide along each row (the disc's span in a row moves right with the cell), so the work per
//! occupied cell is a few steps per row of the disc (about 25 rows), not one look-up per cell of
//! the disc (about 600) nor a binary search per row: France's ~25 M occupied cells take seconds
//! (the binary searches took minutes on the synthetic France).

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
    let key = |(x, y): (i64, i64)| ((y as u64) << 32) | x as u64;
    let mut cells: HashMap<u64, f64> = HashMap::new();
    for (a, b, len) in roads {
        for u in [a, b] {
            *cells
                .entry(key(cell(lon[u as usize], lat[u as usize])))
                .or_default() += len;
        }
    }
    // occupied cells sorted by (y, x); per row a prefix sum of their lengths, at index k + r
    // for the cell k of row r (each row's prefix starts at 0)
    let mut sorted: Vec<(u64, f64)> = cells.into_iter().collect();
    sorted.sort_unstable_by_key(|c| c.0);
    let x_of = |k: u64| (k & 0xFFFF_FFFF) as i64;
    let mut rows: Vec<(i64, usize, usize)> = Vec::new();
    let mut prefix: Vec<f64> = Vec::with_capacity(sorted.len() + 1);
    for (k, &(c, v)) in sorted.iter().enumerate() {
        let y = (c >> 32) as i64;
        if rows.last().is_none_or(|r| r.0 != y) {
            rows.push((y, k, k));
            prefix.push(0.0);
        }
        if let Some(r) = rows.last_mut() {
            r.2 = k + 1;
        }
        let last = prefix.last().copied().unwrap_or(0.0);
        prefix.push(last + v);
    }
    let keys: Vec<u64> = sorted.into_iter().map(|c| c.0).collect();
    let size_deg = f64::from(1u32 << CELL_SHIFT) * 1e-7;
    let radius_lat_deg = RADIUS_M / M_PER_DEG_LAT;
    let mut value = vec![0u8; keys.len()];
    let mut total: Vec<f64> = Vec::new();
    for &(y, s, e) in &rows {
        let lat_deg = (y << CELL_SHIFT) as f64 * 1e-7 - 90.0;
        let cos = lat_deg.to_radians().cos().max(0.05);
        let xn = (radius_lat_deg / cos / size_deg).ceil() as i64;
        let yn = (radius_lat_deg / size_deg).ceil() as i64;
        total.clear();
        total.resize(e - s, 0.0);
        let mut count = 0usize;
        for dy in -yn..=yn {
            let rest = xn * yn - dy * dy;
            if rest < 0 {
                continue;
            }
            let half = (rest as f64).sqrt().floor() as i64;
            count += (2 * half + 1) as usize;
            let Ok(o) = rows.binary_search_by_key(&(y + dy), |row| row.0) else {
                continue;
            };
            let (_, os, oe) = rows[o];
            // the window [x − half, x + half] slides right with x: two pointers
            let (mut lo, mut hi) = (os, os);
            for k in s..e {
                let x = x_of(keys[k]);
                while lo < oe && x_of(keys[lo]) < x - half {
                    lo += 1;
                }
                while hi < oe && x_of(keys[hi]) <= x + half {
                    hi += 1;
                }
                total[k - s] += prefix[hi + o] - prefix[lo + o];
            }
        }
        let cell_km = size_deg * M_PER_DEG_LAT / 1_000.0;
        let area = cell_km * cell_km * cos * count.max(1) as f64;
        for k in s..e {
            let density = total[k - s] * 0.0005 / area;
            value[k] = (density * 0.7).round().min(15.0) as u8;
        }
    }
    lon.iter()
        .zip(lat)
        .map(|(&x, &y)| keys.binary_search(&key(cell(x, y))).map_or(0, |k| value[k]))
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
