//! GDAL, an independent FlatGeobuf reader, reads the embedded snapshot: every place, every
//! column, every position (and the null geometries) as `lieux` itself reads them.

use std::process::Command;

use lieux::model::V1_COLUMNS;

#[test]
fn gdal_reads_the_snapshot_like_we_do() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/france-services-20221201.fgb");
    let out = match Command::new("ogr2ogr")
        .args(["-f", "CSV", "/vsistdout/"])
        .arg(&path)
        .args(["-lco", "GEOMETRY=AS_WKT"])
        .output()
    {
        Ok(out) => out,
        Err(_) => {
            eprintln!("skipping: ogr2ogr (Debian gdal-bin) is not installed; .ci/run installs it");
            return;
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ds = lieux::Dataset::embedded().expect("embedded");
    let mut rdr = csv::Reader::from_reader(&out.stdout[..]);
    let headers = rdr.headers().expect("headers").clone();
    for c in V1_COLUMNS {
        assert!(headers.iter().any(|h| h == c), "GDAL sees no column {c}");
    }
    let mut n = 0;
    let mut null_geometries = 0;
    for rec in rdr.records() {
        let rec = rec.expect("record");
        let get = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .map(|i| rec[i].to_owned())
                .unwrap_or_default()
        };
        let id = get("id");
        let slot = ds
            .slot_of(&id)
            .unwrap_or_else(|| panic!("GDAL row {id} unknown to lieux"));
        let lieu = ds.lieu(slot);
        for c in V1_COLUMNS {
            if c == "latitude" || c == "longitude" {
                // GDAL prints doubles in its own shortest form: compare as numbers
                let ours: Option<f64> = lieu.column(c).and_then(|v| v.parse().ok());
                let theirs: Option<f64> = get(c).parse().ok();
                assert_eq!(ours, theirs, "{id} {c}");
            } else {
                assert_eq!(lieu.column(c).unwrap_or_default(), get(c), "{id} {c}");
            }
        }
        let wkt = get("WKT");
        match lieu.position {
            None => {
                assert!(wkt.is_empty(), "{id}: {wkt}");
                null_geometries += 1;
            }
            Some(p) => {
                let inner = wkt.trim_start_matches("POINT (").trim_end_matches(')');
                let xy: Vec<f64> = inner.split(' ').filter_map(|v| v.parse().ok()).collect();
                // WKT is printed with 15 significant digits
                assert!(
                    xy.len() == 2 && (xy[0] - p.lon).abs() < 1e-12 && (xy[1] - p.lat).abs() < 1e-12,
                    "{id}: {wkt}"
                );
            }
        }
        n += 1;
    }
    assert_eq!(n, ds.lieux().len());
    assert_eq!(null_geometries, ds.lieux().len() - ds.positioned());
}
