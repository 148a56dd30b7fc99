//! Coordinate repair: every fix or rejection names the rule that fired, in the import report.
//!
//! | rule | input | action |
//! |---|---|---|
//! | `decimal_comma` | `49,04334998` | repaired |
//! | `pair_in_one_field` | latitude `"47.29,0.02"` (a "lat,lon" string), the other field empty, equal, or the pair's second half cut (`"41.93414,8"`) | repaired: first half is the latitude |
//! | `nested_object` | `{"lon": 166.46, "lat": -22.23}` in a field | repaired |
//! | `lambert93` | x/y in metres in EPSG:2154's extent (x 0–1 300 000, y 6 000 000–7 200 000) | reprojected to WGS84 with `proj4rs` |
//! | `zero_zero` | (0, 0) | position dropped |
//! | `out_of_range` | not a longitude/latitude | position dropped |
//! | `swapped` | the point is not in its commune but (lat, lon) read the other way round is (or, without commune polygons, the swapped point is in metropolitan France and the given one in no French territory) | repaired |
//! | `outside_commune` | more than [`MAX_OUTSIDE_KM`] km outside the commune's polygon (and, for a commune found by name only, from every commune of the postcode) | position dropped (the row is kept without coordinates) |
//! | `outside_postcode` | the commune is not found (no INSEE code, a misspelled name, a name of another département than the postcode) and the point is more than [`MAX_OUTSIDE_KM`] km from every commune of the postcode (of its département when La Poste does not know the postcode: a CEDEX code) and every commune of that name in another département | position dropped |
//!
//! The commune checks use the polygons of [`super::shapes::CommuneShapes`]: the embedded shapes by
//! default, or `lieux import --communes`; the row's commune ([`RowCommunes::stated`]) is found by
//! INSEE code, else by postcode département and name, else the postcode's communes stand for it.

use serde_json::Value;

use super::resolve::RowCommunes;
use super::shapes::CommuneShape;
use crate::import::ReportKind;
use crate::model::Position;

/// Tolerance of the commune check: simplified polygons (≈ 50 m) and places at a commune's edge
/// (a town hall annex across the boundary) stay within it.
pub const MAX_OUTSIDE_KM: f64 = 5.0;

/// One report entry: kind, reason (starting with the rule name).
pub(crate) type Fix = (ReportKind, String);

/// A coordinate, and whether it used a decimal comma.
pub(crate) fn parse_coord(s: &str) -> Option<(f64, bool)> {
    if let Ok(v) = s.parse::<f64>() {
        return v.is_finite().then_some((v, false));
    }
    if s.matches(',').count() == 1 && !s.contains('.') {
        let v = s.replace(',', ".").parse::<f64>().ok()?;
        return v.is_finite().then_some((v, true));
    }
    None
}

/// `"47.29,0.02"` / `"47.29, 0.02"` → (47.29, 0.02).
fn pair(s: &str) -> Option<(f64, Option<f64>)> {
    let (a, b) = s.split_once(',')?;
    if b.contains(',') {
        return None;
    }
    let a = a.trim().parse::<f64>().ok().filter(|v| v.is_finite())?;
    let b = b.trim().parse::<f64>().ok().filter(|v| v.is_finite());
    Some((a, b))
}

/// `{"lon": …, "lat": …}` (also `lng`, `longitude`, `latitude`).
fn nested(s: &str) -> Option<(f64, f64)> {
    let v: Value = serde_json::from_str(s).ok()?;
    let num = |keys: &[&str]| {
        keys.iter().find_map(|k| {
            let x = v.get(k)?;
            x.as_f64().or_else(|| x.as_str()?.trim().parse().ok())
        })
    };
    Some((
        num(&["lon", "lng", "longitude"])?,
        num(&["lat", "latitude"])?,
    ))
}

/// Lambert-93 (EPSG:2154) metres → WGS84 degrees.
fn lambert93_to_wgs84(x: f64, y: f64) -> Option<(f64, f64)> {
    use std::sync::OnceLock;
    static PROJ: OnceLock<Option<(proj4rs::Proj, proj4rs::Proj)>> = OnceLock::new();
    let (from, to) = PROJ
        .get_or_init(|| {
            let from = proj4rs::Proj::from_proj_string(
                "+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 \
                 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
            )
            .ok()?;
            let to =
                proj4rs::Proj::from_proj_string("+proj=longlat +ellps=WGS84 +datum=WGS84 +no_defs")
                    .ok()?;
            Some((from, to))
        })
        .as_ref()?;
    let (lon, lat) = proj4rs::adaptors::transform_xy(from, to, x, y).ok()?;
    Some((lon.to_degrees(), lat.to_degrees()))
}

fn in_lambert93_extent(x: f64, y: f64) -> bool {
    (0.0..=1_300_000.0).contains(&x) && (6_000_000.0..=7_200_000.0).contains(&y)
}

/// Metropolitan France (with Corsica), generously.
fn in_metropole(lon: f64, lat: f64) -> bool {
    (-5.5..=10.0).contains(&lon) && (41.0..=51.5).contains(&lat)
}

/// Any French territory (metropole, DROM, COM), as boxes.
fn in_french_territory(lon: f64, lat: f64) -> bool {
    const BOXES: [(f64, f64, f64, f64); 10] = [
        (-5.5, 41.0, 10.0, 51.5),       // metropole, Corsica
        (-63.2, 15.8, -60.8, 18.2),     // Guadeloupe, Saint-Martin, Saint-Barthélemy
        (-61.3, 14.3, -60.7, 15.0),     // Martinique
        (-54.7, 2.0, -51.5, 6.0),       // Guyane
        (55.1, -21.5, 55.9, -20.8),     // La Réunion
        (44.9, -13.1, 45.4, -12.5),     // Mayotte
        (-56.5, 46.7, -56.1, 47.2),     // Saint-Pierre-et-Miquelon
        (163.5, -22.8, 168.2, -19.5),   // Nouvelle-Calédonie
        (-155.0, -28.0, -134.0, -7.0),  // Polynésie française
        (-178.3, -14.4, -176.1, -13.2), // Wallis-et-Futuna
    ];
    BOXES
        .iter()
        .any(|(a, b, c, d)| (*a..=*c).contains(&lon) && (*b..=*d).contains(&lat))
}

/// Reads, repairs and checks one row's coordinates against the communes the row names
/// (`None`: no commune shapes, only the territory check). `None` with a report entry when
/// unusable; `None` without an entry when the row has no coordinates at all (the caller
/// reports it).
pub(crate) fn repair(
    lat_raw: &str,
    lon_raw: &str,
    communes: Option<&RowCommunes<'_>>,
    fixes: &mut Vec<Fix>,
) -> Option<Position> {
    let value = format!("{lat_raw} / {lon_raw}");
    let mut fix = |kind: ReportKind, reason: String| fixes.push((kind, reason));

    // Shapes that hold both numbers in one field.
    let (lat, lon) = if let Some((lon, lat)) = [lat_raw, lon_raw]
        .iter()
        .find_map(|s| s.trim_start().starts_with('{').then(|| nested(s)).flatten())
    {
        fix(
            ReportKind::Repaired,
            "nested_object: longitude and latitude read from a {lon, lat} object".to_owned(),
        );
        (lat, lon)
    } else if lat_raw.is_empty() && lon_raw.is_empty() {
        return None;
    } else if let Some((a, b)) =
        // The first half must have a decimal point: "47,5" is a decimal comma, not a pair.
        pair(lat_raw)
            .filter(|_| lat_raw.split(',').next().is_some_and(|a| a.contains('.')))
    {
        // "lat,lon" in the latitude field; its second half may be cut ("41.93414,8") when the
        // longitude field has the full value.
        let lon = match (parse_coord(lon_raw), b) {
            (Some((l, _)), _) if lon_raw != lat_raw => l,
            (_, Some(b)) => b,
            _ => {
                fix(ReportKind::Dropped, "incomplete: no longitude".to_owned());
                return None;
            }
        };
        fix(
            ReportKind::Repaired,
            "pair_in_one_field: the latitude field held \"lat,lon\"; first half kept as latitude"
                .to_owned(),
        );
        (a, lon)
    } else {
        if lat_raw.is_empty() || lon_raw.is_empty() {
            fix(
                ReportKind::Dropped,
                "incomplete: one coordinate is missing".to_owned(),
            );
            return None;
        }
        let (Some((lat, c1)), Some((lon, c2))) = (parse_coord(lat_raw), parse_coord(lon_raw))
        else {
            fix(
                ReportKind::Dropped,
                "not_numbers: coordinates are not numbers".to_owned(),
            );
            return None;
        };
        if c1 || c2 {
            fix(
                ReportKind::Repaired,
                "decimal_comma: decimal comma replaced by a point".to_owned(),
            );
        }
        (lat, lon)
    };

    if lat == 0.0 && lon == 0.0 {
        fix(
            ReportKind::Dropped,
            "zero_zero: (0, 0) is not a place".to_owned(),
        );
        return None;
    }
    // Lambert-93: x is in the longitude field (either way round is accepted).
    let (lon, lat) = if in_lambert93_extent(lon, lat) || in_lambert93_extent(lat, lon) {
        let (x, y) = if in_lambert93_extent(lon, lat) {
            (lon, lat)
        } else {
            (lat, lon)
        };
        match lambert93_to_wgs84(x, y) {
            Some((lo, la)) => {
                fix(
                    ReportKind::Repaired,
                    format!(
                        "lambert93: EPSG:2154 x={x} y={y} reprojected to WGS84 {la:.6}, {lo:.6}"
                    ),
                );
                (lo, la)
            }
            None => {
                fix(
                    ReportKind::Dropped,
                    "lambert93: reprojection failed".to_owned(),
                );
                return None;
            }
        }
    } else {
        (lon, lat)
    };
    let Some(mut p) = Position::new_checked(lon, lat) else {
        fix(
            ReportKind::Dropped,
            format!("out_of_range: not a longitude/latitude ({value})"),
        );
        return None;
    };

    let commune = communes.and_then(|rc| rc.stated);
    // Without a resolved commune (no INSEE code, a misspelled name, a postcode of another
    // département than the name or the INSEE code), the point is checked against every
    // commune of its postcode, the INSEE code's and those of its name in other départements
    // (one of the two is wrong, and the postcode is reported: `code_postal_other_departement`).
    let postcode_communes: Vec<&CommuneShape> = match (commune, communes) {
        (None, Some(rc)) => {
            let mut v: Vec<&CommuneShape> = rc
                .of_postcode()
                .chain(rc.of_departement())
                .chain(rc.named_elsewhere())
                .collect();
            // the INSEE code's commune is an alternative, not a check of its own: a postcode
            // whose communes are unknown (Nouvelle-Calédonie's) leaves the point unchecked
            if !v.is_empty() {
                v.extend(rc.contradicted);
            }
            v
        }
        _ => Vec::new(),
    };
    let targets: &[&CommuneShape] = match &commune {
        Some(c) => std::slice::from_ref(c),
        None => &postcode_communes,
    };
    // A commune found by its name only (no INSEE code) is typed text like the postcode: a
    // point near it, or else near any commune of the postcode, is plausible, the producer got
    // one of the two right (real rows with a wrong postcode lie in their named commune; a
    // place may sit in a neighbour of the same postcode). An INSEE code is held to.
    let by_name_only = communes
        .filter(|rc| commune.is_some() && (rc.by_code.is_none() || rc.contradicted.is_some()));
    let near = |lon: f64, lat: f64| {
        targets
            .iter()
            .any(|c| c.within_km(lon, lat, MAX_OUTSIDE_KM))
            || by_name_only
                .into_iter()
                .flat_map(|rc| rc.of_postcode())
                .any(|c| c.within_km(lon, lat, MAX_OUTSIDE_KM))
    };
    // the exact distance, for the report
    let outside = |lon: f64, lat: f64| {
        targets
            .iter()
            .map(|c| c.distance_km(lon, lat))
            .fold(f64::INFINITY, f64::min)
    };
    let what = || match commune {
        Some(c) => format!("{} {}", c.code_insee, c.nom),
        None if communes.is_some_and(|rc| rc.of_departement().len() > 0) => format!(
            "every commune of the département of postcode {} (not a La Poste postcode){}",
            communes
                .and_then(|rc| rc.given_postcode())
                .unwrap_or_default(),
            match communes.map(|rc| rc.named_elsewhere().len()) {
                Some(n) if n > 0 => format!(" and the {n} of its name in other départements"),
                _ => String::new(),
            }
        ),
        None => format!(
            "every commune of postcode {} ({}){}",
            communes.and_then(|rc| rc.code_postal).unwrap_or(""),
            communes
                .into_iter()
                .flat_map(|rc| rc.of_postcode())
                .map(|c| c.nom.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            match communes.map(|rc| rc.named_elsewhere().len()) {
                Some(n) if n > 0 => format!(" and the {n} of its name in other départements"),
                _ => String::new(),
            }
        ),
    };
    let checked = !targets.is_empty();
    if checked && !near(p.lon, p.lat) {
        let d = outside(p.lon, p.lat);
        if Position::new_checked(p.lat, p.lon).is_some() && near(p.lat, p.lon) {
            fix(
                ReportKind::Repaired,
                format!(
                    "swapped: latitude and longitude exchanged (the given point is {d:.1} km outside {}, the swapped one is in it)",
                    what()
                ),
            );
            p = Position {
                lon: p.lat,
                lat: p.lon,
            };
        } else {
            let rule = if commune.is_some() {
                "outside_commune"
            } else {
                "outside_postcode"
            };
            fix(
                ReportKind::Dropped,
                format!(
                    "{rule}: {d:.1} km outside {} (tolerance {MAX_OUTSIDE_KM} km)",
                    what()
                ),
            );
            return None;
        }
    } else if !checked && !in_french_territory(p.lon, p.lat) && in_metropole(p.lat, p.lon) {
        fix(
            ReportKind::Repaired,
            "swapped: latitude and longitude exchanged (the given point is in no French territory, the swapped one is in metropolitan France)".to_owned(),
        );
        p = Position {
            lon: p.lat,
            lat: p.lon,
        };
    }
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambert93_origin_and_a_known_point() {
        // The projection's origin: (700 000, 6 600 000) is 3°E, 46.5°N by definition.
        let (lon, lat) = lambert93_to_wgs84(700_000.0, 6_600_000.0).expect("proj");
        assert!(
            (lon - 3.0).abs() < 1e-9 && (lat - 46.5).abs() < 1e-9,
            "{lon} {lat}"
        );
    }

    fn run(lat: &str, lon: &str) -> (Option<(f64, f64)>, Vec<String>) {
        let mut fixes = Vec::new();
        let p = repair(lat, lon, None, &mut fixes);
        (
            p.map(|p| (p.lat, p.lon)),
            fixes
                .into_iter()
                .map(|(_, r)| r.split(':').next().unwrap_or_default().to_owned())
                .collect(),
        )
    }

    #[test]
    fn rules() {
        assert_eq!(
            run("49,04334998", "3,953037972"),
            (
                Some((49.04334998, 3.953037972)),
                vec!["decimal_comma".to_owned()]
            )
        );
        assert_eq!(
            run("47.29212184845607,0.02176010906045345", ""),
            (
                Some((47.29212184845607, 0.02176010906045345)),
                vec!["pair_in_one_field".to_owned()]
            )
        );
        assert_eq!(
            run("41.93414,8", "8.7555"),
            (
                Some((41.93414, 8.7555)),
                vec!["pair_in_one_field".to_owned()]
            )
        );
        assert_eq!(
            run(r#"{"lon":166.468099,"lat":-22.233939}"#, ""),
            (
                Some((-22.233939, 166.468099)),
                vec!["nested_object".to_owned()]
            )
        );
        assert_eq!(run("47,5", ""), (None, vec!["incomplete".to_owned()]));
        assert_eq!(run("0", "0"), (None, vec!["zero_zero".to_owned()]));
        assert_eq!(
            run("2.35", "48.85"),
            (Some((48.85, 2.35)), vec!["swapped".to_owned()])
        );
        assert_eq!(run("abc", "1"), (None, vec!["not_numbers".to_owned()]));
        assert_eq!(run("", "1"), (None, vec!["incomplete".to_owned()]));
        assert_eq!(run("", ""), (None, vec![]));
        let (p, rules) = run("6692424,50691385", "475198,121680863");
        assert_eq!(rules, ["decimal_comma", "lambert93"]);
        let (lat, lon) = p.expect("reprojected");
        // Maine-et-Loire (49), near Angers
        assert!(
            (47.0..47.8).contains(&lat) && (-1.4..0.3).contains(&lon),
            "{lat} {lon}"
        );
    }
}
