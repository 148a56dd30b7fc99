//! Shared helpers: where the shared data lives, and the commune points.

use std::io::Read;
use std::path::PathBuf;

/// `../shared/data`, or `None` (with a message) when the shared folder is absent.
pub fn shared_data() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!(
            "skipping: ../shared/data is absent (tests on real data need it beside the repo)"
        );
        None
    }
}

/// `(code_insee, lon, lat)` centroids of the 34 875 communes (type COM) that have coordinates.
pub fn commune_centroids() -> Option<Vec<(String, f64, f64)>> {
    let path = shared_data()?.join("communes/communes-france.csv.gz");
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).ok()?)
        .read_to_string(&mut text)
        .ok()?;
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let headers = rdr.headers().ok()?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (code, typ, lon, lat) = (
        col("code_insee")?,
        col("type")?,
        col("centroid_lon")?,
        col("centroid_lat")?,
    );
    let mut out = Vec::new();
    let mut com = 0;
    for rec in rdr.records() {
        let rec = rec.ok()?;
        if &rec[typ] != "COM" {
            continue;
        }
        com += 1;
        if let (Ok(x), Ok(y)) = (rec[lon].parse::<f64>(), rec[lat].parse::<f64>()) {
            out.push((rec[code].to_owned(), x, y));
        }
    }
    assert_eq!(
        com, 34_875,
        "communes-france.csv.gz should hold 34 875 COM rows"
    );
    Some(out)
}
