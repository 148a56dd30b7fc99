//! The offline base layer of the map page: département outlines dissolved from the commune
//! polygons of `../shared/data/communes/communes-france-polygons.geojson.gz` (IGN ADMIN EXPRESS,
//! Licence Ouverte 2.0), simplified, written as a small GeoJSON that the binary embeds.

use std::collections::BTreeMap;
use std::path::Path;

use geo::{BooleanOps, MultiPolygon, Simplify};

/// Failure of `lieux basemap`.
#[derive(Debug, thiserror::Error)]
pub enum BasemapError {
    #[error("cannot read {0}")]
    Read(String, #[source] std::io::Error),
    #[error("{0} is not a GeoJSON FeatureCollection of communes: {1}")]
    Format(String, String),
    #[error("cannot write {0}")]
    Write(String, #[source] std::io::Error),
}

/// Douglas-Peucker tolerance of the outlines, degrees (≈ 500 m: plenty at the zooms where
/// départements are the only context).
const TOLERANCE_DEG: f64 = 0.005;

/// Reads the commune polygons (gzip or plain GeoJSON), dissolves them per département, simplifies
/// and writes `out` (atomically). Returns the number of départements.
pub fn build(communes: &Path, out: &Path) -> Result<usize, BasemapError> {
    let name = communes.display().to_string();
    let raw =
        crate::gzip::read_maybe_gzip(communes).map_err(|e| BasemapError::Read(name.clone(), e))?;
    let text =
        String::from_utf8(raw).map_err(|e| BasemapError::Format(name.clone(), e.to_string()))?;
    let fc: geojson::FeatureCollection = text
        .parse()
        .map_err(|e: geojson::Error| BasemapError::Format(name.clone(), e.to_string()))?;
    let mut by_dep: BTreeMap<String, Vec<MultiPolygon<f64>>> = BTreeMap::new();
    for f in fc.features {
        let props = f.properties.as_ref();
        if props.and_then(|p| p.get("type")).and_then(|t| t.as_str()) != Some("COM") {
            continue; // ARM duplicate parts of Paris, Lyon, Marseille
        }
        let Some(dep) = props
            .and_then(|p| p.get("code_departement"))
            .and_then(|d| d.as_str())
        else {
            continue;
        };
        let Some(geom) = f.geometry else { continue };
        let mp = match geo::Geometry::<f64>::try_from(geom) {
            Ok(geo::Geometry::Polygon(p)) => MultiPolygon(vec![p]),
            Ok(geo::Geometry::MultiPolygon(mp)) => mp,
            _ => continue,
        };
        by_dep.entry(dep.to_owned()).or_default().push(mp);
    }
    if by_dep.is_empty() {
        return Err(BasemapError::Format(
            name,
            "no commune polygon with code_departement".into(),
        ));
    }
    let mut features = Vec::with_capacity(by_dep.len());
    for (dep, parts) in &by_dep {
        let union = dissolve(parts.clone());
        let rounded = round(clean(union).simplify(TOLERANCE_DEG));
        let mut f = geojson::Feature::from(geojson::Geometry::from(&rounded));
        f.set_property("code", dep.clone());
        features.push(f);
    }
    let n = features.len();
    let body = geojson::FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    }
    .to_string();
    let tmp = out.with_extension("tmp");
    std::fs::write(&tmp, body).map_err(|e| BasemapError::Write(tmp.display().to_string(), e))?;
    std::fs::rename(&tmp, out).map_err(|e| BasemapError::Write(out.display().to_string(), e))?;
    Ok(n)
}

/// Pairwise union (balanced), much faster than folding one polygon at a time.
fn dissolve(mut parts: Vec<MultiPolygon<f64>>) -> MultiPolygon<f64> {
    while parts.len() > 1 {
        let mut next = Vec::with_capacity(parts.len().div_ceil(2));
        let mut it = parts.into_iter();
        while let Some(a) = it.next() {
            next.push(match it.next() {
                Some(b) => a.union(&b),
                None => a,
            });
        }
        parts = next;
    }
    parts.pop().unwrap_or_else(|| MultiPolygon(Vec::new()))
}

/// Smallest island kept, square degrees (≈ 1 km²).
const MIN_AREA_DEG2: f64 = 1e-4;

/// Keeps exterior rings only (the union of independently simplified communes leaves slivers
/// and pinholes inside départements) and drops specks.
fn clean(mp: MultiPolygon<f64>) -> MultiPolygon<f64> {
    use geo::Area;
    let keep: Vec<geo::Polygon<f64>> =
        mp.0.into_iter()
            .map(|p| geo::Polygon::new(p.exterior().clone(), Vec::new()))
            .filter(|p| p.unsigned_area() >= MIN_AREA_DEG2)
            .collect();
    MultiPolygon(keep)
}

fn round(mp: MultiPolygon<f64>) -> MultiPolygon<f64> {
    use geo::MapCoords;
    mp.map_coords(|c| geo::Coord {
        x: (c.x * 1e4).round() / 1e4,
        y: (c.y * 1e4).round() / 1e4,
    })
}
