//! The coverage map (`map.svg` of `lieux coverage`) rendered in Chromium (issue 17): its texts
//! are French and its legend, title included, lies inside the SVG's own box; a screenshot goes
//! to `target/browser-artifacts/coverage-map.png`.

use std::collections::HashMap;

use lieux::coverage::report::Row;
use lieux::routing::Profile;

use crate::browser::{artifacts, browser_ready, run_node};

/// One row per commune of the embedded table, times spread over the bands, a few estimated or
/// without time, drawn as dots at the communes' points.
fn rows_and_points() -> (Vec<Row>, HashMap<String, (f64, f64)>) {
    let table = lieux::commune_table::embedded();
    let mut rows = Vec::new();
    let mut points = HashMap::new();
    for (i, c) in table.all().iter().enumerate() {
        let seconds = (i % 7 != 0).then_some((i as u64 * 37) % 3600);
        let method = match (seconds, i % 5) {
            (None, _) => "none",
            (_, 0) => "straight_line",
            _ => "road",
        };
        rows.push(Row {
            code_insee: c.code_insee.clone(),
            nom: c.nom.clone(),
            code_departement: String::new(),
            code_region: String::new(),
            population: c.population,
            minutes: seconds.map(|s| s as f64 / 60.0),
            seconds,
            lieu_id: seconds.map(|_| "x".to_owned()),
            method: method.to_owned(),
        });
        points.insert(c.code_insee.clone(), (c.lon, c.lat));
    }
    (rows, points)
}

#[test]
fn legend_is_french_and_inside_the_map() {
    let Some(dir) = browser_ready() else { return };
    let (rows, points) = rows_and_points();
    // the longest title the command writes: walking, two filters
    let title = lieux::coverage::cli::map_title(
        Profile::Walk,
        &[
            (
                "dispositif_programmes_nationaux".into(),
                "France Services".into(),
            ),
            ("frais_a_charge".into(), "Gratuit".into()),
        ],
    );
    let svg_path = artifacts().join("coverage-map.svg");
    let drawn = lieux::coverage::map::write_svg(&rows, &points, None, &title, &svg_path).unwrap();
    assert!(drawn > 30_000, "{drawn}");
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    for english in [
        "no time",
        "paler",
        "Roads",
        "Time by",
        "nearest",
        "straight-line",
    ] {
        assert!(!svg.contains(english), "English left in the map: {english}");
    }
    let png = artifacts().join("coverage-map.png");
    let v = run_node(
        &dir,
        "coverage-map.mjs",
        &[
            svg_path.to_string_lossy().into_owned(),
            png.to_string_lossy().into_owned(),
        ],
    );
    assert_eq!(v["lang"], "fr");
    // the map inlined in a page, as a site embeds it: no WCAG 2.1 AA violation
    assert_eq!(v["axe"], serde_json::json!([]), "axe-core: {}", v["axe"]);
    let (w, h) = (v["width"].as_f64().unwrap(), v["height"].as_f64().unwrap());
    let inside = |b: &serde_json::Value, what: &str| {
        let (x, y) = (b["x"].as_f64().unwrap(), b["y"].as_f64().unwrap());
        let (bw, bh) = (b["width"].as_f64().unwrap(), b["height"].as_f64().unwrap());
        assert!(bw > 0.0 && bh > 0.0, "{what}: empty {b}");
        assert!(
            x >= 0.0 && y >= 0.0 && x + bw <= w && y + bh <= h,
            "{what} {b} outside the {w}×{h} map"
        );
    };
    inside(&v["legend"], "legend");
    let texts = v["texts"].as_array().unwrap();
    assert!(texts.len() >= 15, "{}", texts.len());
    for t in texts {
        inside(t, t["text"].as_str().unwrap_or(""));
    }
    let all: String = texts
        .iter()
        .map(|t| t["text"].as_str().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" | ");
    for french in [
        "Temps à pied",
        "sans temps de trajet",
        "vol d’oiseau",
        "La Réunion",
    ] {
        assert!(all.contains(french), "{french} missing: {all}");
    }
    eprintln!(
        "coverage map {w}×{h}, legend {}; screenshot {}",
        v["legend"],
        png.display()
    );
}
