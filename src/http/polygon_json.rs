//! Isochrone polygons written as GeoJSON text straight into the answer: coordinates at a fixed
//! 6 decimals (~0.1 m) formatted from integers, no `serde_json::Value` tree per vertex. The
//! numbers are the ones `serde_json` wrote from `(x * 1e6).round() / 1e6` before (the shortest
//! decimal of that double reads back as the same double as its 6-decimal form).

use std::fmt::Write;

use geo::{LineString, MultiPolygon};

/// Appends `x` rounded to 6 decimals (half away from zero, trailing zeros dropped).
fn push_coord(out: &mut String, x: f64) {
    let k = (x * 1e6).round();
    if !k.is_finite() || k.abs() >= 9e15 {
        // (never for degrees) the shortest round-trip form
        let _ = write!(out, "{}", k / 1e6);
        return;
    }
    if k.is_sign_negative() {
        out.push('-');
    }
    let k = k.abs() as u64;
    let (int, frac) = (k / 1_000_000, k % 1_000_000);
    // digits written backwards into a buffer: no formatter per number
    let mut buf = [0u8; 24];
    let mut at = buf.len();
    let mut push = |d: u64| {
        at -= 1;
        buf[at] = b'0' + d as u8;
    };
    if frac == 0 {
        push(0);
    } else {
        let mut f = frac;
        let mut digits = 6;
        while f % 10 == 0 {
            f /= 10;
            digits -= 1;
        }
        for _ in 0..digits {
            push(f % 10);
            f /= 10;
        }
    }
    at -= 1;
    buf[at] = b'.';
    let mut i = int;
    loop {
        at -= 1;
        buf[at] = b'0' + (i % 10) as u8;
        i /= 10;
        if i == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&buf[at..]).unwrap_or_default());
}

fn push_ring(out: &mut String, ring: &LineString<f64>) {
    out.push('[');
    for (i, c) in ring.0.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        push_coord(out, c.x);
        out.push(',');
        push_coord(out, c.y);
        out.push(']');
    }
    out.push(']');
}

/// Appends `{"type":"MultiPolygon","coordinates":[…]}`.
pub fn push_multipolygon(out: &mut String, mp: &MultiPolygon<f64>) {
    out.push_str(r#"{"type":"MultiPolygon","coordinates":["#);
    for (i, p) in mp.0.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        push_ring(out, p.exterior());
        for r in p.interiors() {
            out.push(',');
            push_ring(out, r);
        }
        out.push(']');
    }
    out.push_str("]}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::Rng;
    use geo::{Coord, Polygon};

    /// What the isochrone answers wrote before: a `serde_json` tree of the rounded numbers.
    fn oracle(mp: &MultiPolygon<f64>) -> serde_json::Value {
        let round = |x: f64| (x * 1e6).round() / 1e6;
        let ring = |ls: &LineString<f64>| -> Vec<[f64; 2]> {
            ls.0.iter().map(|c| [round(c.x), round(c.y)]).collect()
        };
        let polys: Vec<Vec<Vec<[f64; 2]>>> =
            mp.0.iter()
                .map(|p| {
                    std::iter::once(ring(p.exterior()))
                        .chain(p.interiors().iter().map(ring))
                        .collect()
                })
                .collect();
        serde_json::json!({"type": "MultiPolygon", "coordinates": polys})
    }

    /// Random coordinates (degrees of every size and sign, exact halves of the 6th decimal,
    /// whole numbers): the same numbers, bit for bit, as the `serde_json` tree wrote.
    #[test]
    fn same_numbers_as_serde_json() {
        let mut rng = Rng::new(3);
        let mut coord = |k: usize| -> f64 {
            let r = rng.below(1 << 30) as f64 / f64::from(1 << 30);
            match k % 5 {
                0 => (r - 0.5) * 360.0,
                1 => (r - 0.5) * 2e-5,
                2 => (rng.below(2_000_001) as f64 - 1e6) * 1e-6 + 5e-7,
                3 => (rng.below(361) as f64) - 180.0,
                _ => 42.5 + r * 1e-3,
            }
        };
        for round in 0..200 {
            let ring = |n: usize, coord: &mut dyn FnMut(usize) -> f64| -> LineString<f64> {
                (0..n)
                    .map(|k| Coord {
                        x: coord(k + round),
                        y: coord(k + round + 1),
                    })
                    .collect::<Vec<_>>()
                    .into()
            };
            let mp = MultiPolygon(
                (0..round % 4)
                    .map(|p| {
                        let holes = (0..p).map(|_| ring(4 + p, &mut coord)).collect();
                        Polygon::new(ring(5 + round % 30, &mut coord), holes)
                    })
                    .collect(),
            );
            let mut text = String::new();
            push_multipolygon(&mut text, &mp);
            let parsed: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
            assert_eq!(parsed, oracle(&mp), "{text}");
            let (a, b) = (parsed.to_string(), oracle(&mp).to_string());
            assert_eq!(a, b, "bit for bit");
        }
    }
}
