//! Commune polygons for the coordinate checks of an import: the file
//! `../shared/data/communes/communes-france-polygons.geojson.gz` (34 916 COM and ARM features,
//! properties `code_insee`, `type`, `nom`, `code_departement`, simplified MultiPolygons).
//!
//! A row's commune is found by its INSEE code, else by the département of its postcode and its
//! name compared without case, accents, hyphens, apostrophes and with `St`/`Ste` expanded.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use geo::{
    BoundingRect, Closest, ClosestPoint, Contains, Distance, Haversine, MultiPolygon, Point,
};

/// Commune polygons that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum CommunesError {
    #[error("cannot read commune polygons {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a GeoJSON FeatureCollection of communes")]
    GeoJson {
        path: PathBuf,
        #[source]
        source: Box<geojson::Error>,
    },
    #[error("{path}: feature {index}: {reason}")]
    Feature {
        path: PathBuf,
        index: usize,
        reason: String,
    },
}

/// One commune.
#[derive(Debug, Clone)]
pub struct Commune {
    pub code_insee: String,
    pub nom: String,
    shape: MultiPolygon<f64>,
    bbox: Option<geo::Rect<f64>>,
}

impl Commune {
    /// 0 inside, else the great-circle distance (km) to the nearest point of the polygon.
    pub fn distance_km(&self, lon: f64, lat: f64) -> f64 {
        let p = Point::new(lon, lat);
        if self.bbox.is_some_and(|b| b.contains(&p)) && self.shape.contains(&p) {
            return 0.0;
        }
        match self.shape.closest_point(&p) {
            Closest::Intersection(_) => 0.0,
            Closest::SinglePoint(q) => Haversine.distance(p, q) / 1000.0,
            Closest::Indeterminate => f64::INFINITY,
        }
    }
}

/// The commune polygons, by INSEE code and by (département, normalised name).
#[derive(Debug, Default)]
pub struct Communes {
    communes: Vec<Commune>,
    by_code: HashMap<String, usize>,
    by_name: HashMap<(String, String), usize>,
}

impl Communes {
    /// Reads the polygons (GeoJSON, gzip-compressed when the name ends with `.gz`).
    pub fn from_path(path: &Path) -> Result<Communes, CommunesError> {
        let io = |source| CommunesError::Io {
            path: path.to_owned(),
            source,
        };
        let raw = crate::gzip::read_maybe_gzip(path).map_err(io)?;
        let text = String::from_utf8(raw)
            .map_err(|e| io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
        let fc: geojson::FeatureCollection = text.parse().map_err(|e| CommunesError::GeoJson {
            path: path.to_owned(),
            source: Box::new(e),
        })?;
        let mut out = Communes::default();
        for (index, f) in fc.features.into_iter().enumerate() {
            let bad = |reason: &str| CommunesError::Feature {
                path: path.to_owned(),
                index,
                reason: reason.to_owned(),
            };
            let prop = |k: &str| {
                f.property(k)
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
                    .ok_or_else(|| bad(&format!("no {k} property")))
            };
            let code_insee = prop("code_insee")?;
            let nom = prop("nom")?;
            let dep = prop("code_departement")?;
            let kind = prop("type")?;
            let Some(geometry) = f.geometry.as_ref() else {
                continue;
            };
            let shape: geo::Geometry<f64> = geometry
                .value
                .clone()
                .try_into()
                .map_err(|_| bad("geometry is not a polygon"))?;
            let shape = match shape {
                geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
                geo::Geometry::MultiPolygon(m) => m,
                _ => return Err(bad("geometry is not a polygon")),
            };
            let i = out.communes.len();
            out.by_code.insert(code_insee.clone(), i);
            if kind == "COM" {
                out.by_name.entry((dep, normalise(&nom))).or_insert(i);
            }
            out.communes.push(Commune {
                code_insee,
                nom,
                bbox: shape.bounding_rect(),
                shape,
            });
        }
        Ok(out)
    }

    pub fn len(&self) -> usize {
        self.communes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.communes.is_empty()
    }

    /// The commune by INSEE code, else by postcode département + name.
    pub fn find(
        &self,
        code_insee: Option<&str>,
        code_postal: Option<&str>,
        commune: Option<&str>,
    ) -> Option<&Commune> {
        if let Some(i) = code_insee.and_then(|c| self.by_code.get(c)) {
            return self.communes.get(*i);
        }
        let dep = departement_of_postcode(code_postal?)?;
        let i = self.by_name.get(&(dep, normalise(commune?)))?;
        self.communes.get(*i)
    }
}

/// Département code of a postcode: `97x` overseas, `2A`/`2B` for Corsica (200xx–201xx: 2A).
fn departement_of_postcode(cp: &str) -> Option<String> {
    let cp = cp.trim();
    if cp.len() != 5 || !cp.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(match &cp[..2] {
        "97" | "98" => cp[..3].to_owned(),
        "20" => {
            if cp[2..3] < *"2" {
                "2A".to_owned()
            } else {
                "2B".to_owned()
            }
        }
        d => d.to_owned(),
    })
}

/// Upper case, no accents, words separated by one space, `ST`/`STE` expanded.
pub(crate) fn normalise(name: &str) -> String {
    let mut s = String::with_capacity(name.len());
    for c in name.chars() {
        let base = match c {
            'à' | 'â' | 'ä' | 'á' | 'À' | 'Â' | 'Ä' => 'A',
            'ç' | 'Ç' => 'C',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'E',
            'î' | 'ï' | 'í' | 'Î' | 'Ï' => 'I',
            'ô' | 'ö' | 'ó' | 'Ô' | 'Ö' => 'O',
            'ù' | 'û' | 'ü' | 'ú' | 'Ù' | 'Û' | 'Ü' => 'U',
            'ÿ' | 'Ÿ' => 'Y',
            'œ' | 'Œ' => {
                s.push_str("OE");
                continue;
            }
            'æ' | 'Æ' => {
                s.push_str("AE");
                continue;
            }
            c if c.is_alphanumeric() => c.to_ascii_uppercase(),
            _ => ' ',
        };
        s.push(base);
    }
    s.split_whitespace()
        .map(|w| match w {
            "ST" => "SAINT",
            "STE" => "SAINTE",
            w => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_departements() {
        assert_eq!(
            normalise("St-Étienne-du-Rouvray"),
            "SAINT ETIENNE DU ROUVRAY"
        );
        assert_eq!(normalise("L'Haÿ-les-Roses"), "L HAY LES ROSES");
        assert_eq!(departement_of_postcode("20090").as_deref(), Some("2A"));
        assert_eq!(departement_of_postcode("20224").as_deref(), Some("2B"));
        assert_eq!(departement_of_postcode("97200").as_deref(), Some("972"));
        assert_eq!(departement_of_postcode("49000").as_deref(), Some("49"));
        assert_eq!(departement_of_postcode("4900"), None);
    }
}
