//! The coverage map: an SVG of France with every commune coloured by its time band, drawn as
//! its polygon when the simplified commune polygons are available
//! (`communes-france-polygons.geojson.gz`), else as a dot at its interior point. Metropolitan
//! France (Corsica included) fills the main frame; the five overseas départements (Guadeloupe,
//! Martinique, Guyane, La Réunion, Mayotte) are insets under the legend, each at its own scale.
//! Communes whose time is a straight-line estimate are drawn paler. Every text is in French
//! (`xml:lang="fr"`); the legend (`<g id="legende">`) wraps its title to the legend column, so
//! no text runs past the right edge (checked in Chromium by `tests/it/coverage_map.rs`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

use super::report::{BANDS, Row};
use super::{CoverageError, Method};

/// Map width (main frame), pixels.
const WIDTH: f64 = 900.0;
/// Width of the legend column on the right, which also holds the overseas insets.
const LEGEND: f64 = 270.0;
const COLOURS: [&str; 5] = ["#1a9850", "#91cf60", "#d9ef8b", "#fdae61", "#d73027"];
const NO_TIME: &str = "#bbbbbb";

/// A lon/lat box drawn into a pixel box (equirectangular at the box's middle latitude).
struct Frame {
    name: &'static str,
    lon0: f64,
    lon1: f64,
    lat0: f64,
    lat1: f64,
    /// Top-left corner of the frame on the page, pixels.
    x: f64,
    y: f64,
    /// Pixels per degree of longitude and of latitude.
    sx: f64,
    sy: f64,
}

impl Frame {
    /// Fits the box into `w` × `h` pixels at (`x`, `y`).
    fn fit(
        name: &'static str,
        [lon0, lat0, lon1, lat1]: [f64; 4],
        x: f64,
        y: f64,
        w: f64,
        h: f64,
    ) -> Frame {
        let kx = ((lat0 + lat1) / 2.0).to_radians().cos();
        let s = (w / ((lon1 - lon0) * kx)).min(h / (lat1 - lat0));
        Frame {
            name,
            lon0,
            lon1,
            lat0,
            lat1,
            x,
            y,
            sx: s * kx,
            sy: s,
        }
    }

    fn contains(&self, lon: f64, lat: f64) -> bool {
        (self.lon0..=self.lon1).contains(&lon) && (self.lat0..=self.lat1).contains(&lat)
    }

    fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            self.x + (lon - self.lon0) * self.sx,
            self.y + (self.lat1 - lat) * self.sy,
        )
    }

    /// Width and height on the page, pixels.
    fn size(&self) -> (f64, f64) {
        (
            (self.lon1 - self.lon0) * self.sx,
            (self.lat1 - self.lat0) * self.sy,
        )
    }
}

/// Metropolitan France and Corsica, then the overseas insets (two columns under the legend).
fn frames() -> Vec<Frame> {
    let main = Frame::fit(
        "France métropolitaine",
        [-5.3, 41.2, 9.8, 51.2],
        0.0,
        0.0,
        WIDTH,
        f64::MAX,
    );
    let (w, h) = (115.0, 120.0);
    let (c0, c1) = (WIDTH + 20.0, WIDTH + 20.0 + w + 10.0);
    let row = |i: f64| 330.0 + i * (h + 22.0);
    vec![
        main,
        Frame::fit(
            "Guadeloupe",
            [-61.85, 15.82, -60.98, 16.53],
            c0,
            row(0.0),
            w,
            h,
        ),
        Frame::fit(
            "Martinique",
            [-61.25, 14.38, -60.8, 14.89],
            c1,
            row(0.0),
            w,
            h,
        ),
        Frame::fit("Guyane", [-54.65, 2.1, -51.6, 5.8], c0, row(1.0), w, h),
        Frame::fit(
            "La Réunion",
            [55.2, -21.4, 55.85, -20.86],
            c1,
            row(1.0),
            w,
            h,
        ),
        Frame::fit(
            "Mayotte",
            [44.98, -13.02, 45.32, -12.62],
            c0,
            row(2.0),
            w,
            h,
        ),
    ]
}

/// `text` cut into lines of at most `width` characters, at spaces (a longer word stays whole).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn frame_of(frames: &[Frame], lon: f64, lat: f64) -> Option<&Frame> {
    frames.iter().find(|f| f.contains(lon, lat))
}

/// CSS class of a row: `b0`..`b4` by band (`b4`: beyond the last band), `bn` without time;
/// ` e` added for estimates.
fn class(r: &Row) -> String {
    let band = match r.seconds {
        None => "bn".to_owned(),
        Some(s) => {
            let i = BANDS
                .iter()
                .position(|&b| s <= u64::from(b) * 60)
                .unwrap_or(BANDS.len());
            format!("b{i}")
        }
    };
    if r.method() == Method::StraightLine {
        format!("{band} e")
    } else {
        band
    }
}

#[derive(Deserialize)]
struct Fc {
    features: Vec<Feature>,
}

#[derive(Deserialize)]
struct Feature {
    properties: Props,
    geometry: Option<Geometry>,
}

#[derive(Deserialize)]
struct Props {
    code_insee: String,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct Geometry {
    #[serde(rename = "type")]
    kind: String,
    coordinates: serde_json::Value,
}

/// Appends the rings of a Polygon's coordinates as SVG path commands.
fn rings(d: &mut String, frame: &Frame, polygon: &serde_json::Value) {
    let Some(rings) = polygon.as_array() else {
        return;
    };
    for ring in rings {
        let Some(pts) = ring.as_array() else { continue };
        let mut last: Option<(i64, i64)> = None;
        let mut n = 0;
        for p in pts {
            let (Some(lon), Some(lat)) = (
                p.get(0).and_then(|v| v.as_f64()),
                p.get(1).and_then(|v| v.as_f64()),
            ) else {
                continue;
            };
            let (x, y) = frame.project(lon, lat);
            // tenths of a pixel: drop points that round to the previous one
            let q = ((x * 10.0).round() as i64, (y * 10.0).round() as i64);
            if last == Some(q) {
                continue;
            }
            let _ = write!(
                d,
                "{}{:.1} {:.1}",
                if n == 0 { "M" } else { "L" },
                q.0 as f64 / 10.0,
                q.1 as f64 / 10.0
            );
            last = Some(q);
            n += 1;
        }
        if n > 0 {
            d.push('Z');
        }
    }
}

fn first_lon_lat(g: &Geometry) -> Option<(f64, f64)> {
    let mut v = &g.coordinates;
    while let Some(a) = v.as_array() {
        if a.len() >= 2 && a[0].is_number() {
            return Some((a[0].as_f64()?, a[1].as_f64()?));
        }
        v = a.first()?;
    }
    None
}

/// Writes the SVG map of `rows` to `out`: polygons from `polygons` if given and readable as
/// GeoJSON (gzip or not), else dots at `points` (`code_insee → (lon, lat)`). Returns the
/// number of communes drawn.
pub fn write_svg(
    rows: &[Row],
    points: &HashMap<String, (f64, f64)>,
    polygons: Option<&Path>,
    title: &str,
    out: &Path,
) -> Result<usize, CoverageError> {
    let by_code: HashMap<&str, &Row> = rows.iter().map(|r| (r.code_insee.as_str(), r)).collect();
    let frames = frames();
    let height = frames[0].size().1;
    let mut body = String::new();
    let mut drawn = 0;
    let mut done_with_polygons = false;
    if let Some(path) = polygons {
        let fc = read_polygons(path)?;
        for f in &fc.features {
            if f.properties.kind.as_deref().is_some_and(|k| k != "COM") {
                continue;
            }
            let (Some(r), Some(g)) = (by_code.get(f.properties.code_insee.as_str()), &f.geometry)
            else {
                continue;
            };
            let Some(frame) = first_lon_lat(g).and_then(|(x, y)| frame_of(&frames, x, y)) else {
                continue;
            };
            let mut d = String::new();
            match g.kind.as_str() {
                "Polygon" => rings(&mut d, frame, &g.coordinates),
                "MultiPolygon" => {
                    for p in g.coordinates.as_array().into_iter().flatten() {
                        rings(&mut d, frame, p);
                    }
                }
                _ => continue,
            }
            if !d.is_empty() {
                let _ = writeln!(body, r#"<path class="{}" d="{d}"/>"#, class(r));
                drawn += 1;
            }
        }
        done_with_polygons = true;
    }
    if !done_with_polygons {
        for r in rows {
            let Some(&(lon, lat)) = points.get(&r.code_insee) else {
                continue;
            };
            let Some(frame) = frame_of(&frames, lon, lat) else {
                continue;
            };
            let (x, y) = frame.project(lon, lat);
            let _ = writeln!(
                body,
                r#"<circle class="{}" cx="{x:.1}" cy="{y:.1}" r="1.6"/>"#,
                class(r)
            );
            drawn += 1;
        }
    }
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" xml:lang="fr" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" font-family="sans-serif">
<style>path,circle{{stroke:none}} .b0{{fill:{c0}}} .b1{{fill:{c1}}} .b2{{fill:{c2}}} .b3{{fill:{c3}}} .b4{{fill:{c4}}} .bn{{fill:{cn}}} .e{{fill-opacity:0.45}}</style>
<rect width="100%" height="100%" fill="#ffffff"/>
<title>{title}</title>
<g>
"##,
        w = WIDTH + LEGEND,
        h = height,
        c0 = COLOURS[0],
        c1 = COLOURS[1],
        c2 = COLOURS[2],
        c3 = COLOURS[3],
        c4 = COLOURS[4],
        cn = NO_TIME,
        title = xml_escape(title),
    );
    svg.push_str(&body);
    svg.push_str("</g>\n");
    // the insets' outlines and names
    for f in &frames[1..] {
        let (w, h) = f.size();
        let _ = writeln!(
            svg,
            r##"<rect x="{:.1}" y="{:.1}" width="{w:.1}" height="{h:.1}" fill="none" stroke="#999" stroke-width="0.5"/><text x="{:.1}" y="{:.1}" font-size="10">{}</text>"##,
            f.x,
            f.y,
            f.x,
            f.y + h + 11.0,
            xml_escape(f.name)
        );
    }
    // legend: the title wrapped to the column (about 7.5 px a character at 14 px, 5.5 at 10 px)
    let x = WIDTH + 20.0;
    svg.push_str("<g id=\"legende\">\n");
    let (head, tail) = match title.split_once(" (") {
        Some((h, t)) => (h, format!("({t}")),
        None => (title, String::new()),
    };
    let mut y = 24.0;
    for line in wrap(head, 30) {
        let _ = writeln!(
            svg,
            r#"<text x="{x}" y="{y}" font-size="14">{}</text>"#,
            xml_escape(&line)
        );
        y += 17.0;
    }
    for line in wrap(&tail, 42) {
        let _ = writeln!(
            svg,
            r#"<text x="{x}" y="{y}" font-size="10">{}</text>"#,
            xml_escape(&line)
        );
        y += 13.0;
    }
    let labels = [
        format!("≤ {} min", BANDS[0]),
        format!("{}–{} min", BANDS[0], BANDS[1]),
        format!("{}–{} min", BANDS[1], BANDS[2]),
        format!("{}–{} min", BANDS[2], BANDS[3]),
        format!("> {} min", BANDS[3]),
        "sans temps de trajet".to_owned(),
    ];
    let top = y + 6.0;
    for (i, l) in labels.iter().enumerate() {
        let y = top + 22.0 * i as f64;
        let cls = if i < 5 { format!("b{i}") } else { "bn".into() };
        let _ = writeln!(
            svg,
            r#"<rect class="{cls}" x="{x}" y="{y}" width="18" height="14"/><text x="{}" y="{}" font-size="12">{l}</text>"#,
            x + 26.0,
            y + 12.0
        );
    }
    let y = top + 22.0 * 6.0;
    let _ = writeln!(
        svg,
        r#"<rect class="b1 e" x="{x}" y="{y}" width="18" height="14"/><text x="{}" y="{}" font-size="12">plus pâle : estimation</text><text x="{}" y="{}" font-size="12">à vol d’oiseau</text>"#,
        x + 26.0,
        y + 12.0,
        x + 26.0,
        y + 26.0
    );
    for (i, line) in [
        "Communes : IGN ADMIN EXPRESS, INSEE 2026",
        "Routes © les contributeurs OpenStreetMap",
    ]
    .iter()
    .enumerate()
    {
        let _ = writeln!(
            svg,
            r#"<text x="{x}" y="{}" font-size="10">{line}</text>"#,
            y + 50.0 + 14.0 * i as f64
        );
    }
    svg.push_str("</g>\n");
    svg.push_str("</svg>\n");
    std::fs::write(out, svg).map_err(|e| CoverageError::Io(e, out.to_owned()))?;
    Ok(drawn)
}

fn read_polygons(path: &Path) -> Result<Fc, CoverageError> {
    let bytes =
        crate::gzip::read_maybe_gzip(path).map_err(|e| CoverageError::Io(e, path.to_owned()))?;
    serde_json::from_slice(&bytes).map_err(|e| CoverageError::Json(e, path.to_owned()))
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
