//! The communes file of `../shared/data/communes/communes-france.csv.gz` (gzip or plain CSV):
//! only rows of type `COM` (34 875 communes; ARM/COMD/COMA would count people twice).

use std::path::Path;

use super::CoverageError;

/// A commune: INSEE code, name, 2026 population and interior point (a point inside its
/// polygon; `None` for the few communes without geometry).
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageCommune {
    pub code_insee: String,
    pub nom: String,
    pub code_departement: String,
    pub code_region: String,
    pub population: u64,
    /// `(lon, lat)`, WGS84 degrees.
    pub point: Option<(f64, f64)>,
}

/// Reads the communes (type `COM`) of `path`, in file order.
pub fn read(path: &Path) -> Result<Vec<CoverageCommune>, CoverageError> {
    let bytes =
        crate::gzip::read_maybe_gzip(path).map_err(|e| CoverageError::Io(e, path.to_owned()))?;
    parse(&bytes, path)
}

fn parse(bytes: &[u8], path: &Path) -> Result<Vec<CoverageCommune>, CoverageError> {
    let csv_err = |e| CoverageError::Csv(e, path.to_owned());
    let mut rdr = csv::Reader::from_reader(bytes);
    let headers = rdr.headers().map_err(csv_err)?.clone();
    let col = |name: &'static str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| CoverageError::MissingColumn(name, path.to_owned()))
    };
    let (code, typ, nom, dep, reg, pop, lon, lat) = (
        col("code_insee")?,
        col("type")?,
        col("nom")?,
        col("code_departement")?,
        col("code_region")?,
        col("population")?,
        col("interior_lon")?,
        col("interior_lat")?,
    );
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(csv_err)?;
        let get = |i: usize| rec.get(i).unwrap_or("");
        if get(typ) != "COM" {
            continue;
        }
        let point = match (get(lon).parse::<f64>(), get(lat).parse::<f64>()) {
            (Ok(x), Ok(y)) if (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y) => {
                Some((x, y))
            }
            _ => None,
        };
        out.push(CoverageCommune {
            code_insee: get(code).to_owned(),
            nom: get(nom).to_owned(),
            code_departement: get(dep).to_owned(),
            code_region: get(reg).to_owned(),
            population: get(pop).parse().unwrap_or(0),
            point,
        });
    }
    Ok(out)
}
