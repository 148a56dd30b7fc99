//! GDAL, an independent FlatGeobuf reader, reads the embedded snapshot: every place, every
//! column, every position (and the null geometries) as `lieux` itself reads them.

use std::process::Command;

use lieux::model::V1_COLUMNS;

#[test]
fn gdal_reads_the_snapshot_like_we_do() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/france-services-20221201.fgb");
    let ds = lieux::Dataset::embedded().expect("embedded");
    assert_gdal_reads_as_loaded(&path, &ds);
}

/// Every real dataset of `../shared/data` that imports without a mapping (the schema v1
/// CSV, the national v0 exports): imported, written as a snapshot, loaded back; every
/// column of every place, its position and provenance as loaded (the compact store of #19:
/// enumerated lists inline, shared opening hours) equal both the imported places and GDAL's
/// read of the file.
#[test]
fn real_datasets_round_trip_through_a_snapshot_as_gdal_reads_them() {
    let Some(data) = crate::util::shared_data() else {
        return;
    };
    let files = [
        "france-services/france-services-20221201.v1.csv",
        "cartographie-nationale-v0/hinaura-687.json",
        "cartographie-nationale-v0/charente-20230711.json",
        "cartographie-nationale-v0/nouvelle-caledonie-20240320.json",
        "cartographie-nationale-v0/bus-france-services-charente-20231003.json",
    ];
    let dir = std::env::temp_dir().join(format!("lieux-gdal-round-trip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for file in files {
        let imported = lieux::import::read_path(&data.join(file))
            .expect(file)
            .lieux;
        assert!(imported.len() > 10, "{file}: {} places", imported.len());
        let bytes = lieux::snapshot::encode_snapshot(&imported).expect("encodes");
        let path = dir.join("snapshot.fgb");
        std::fs::write(&path, &bytes).expect("writes");
        let ds = lieux::Dataset::from_snapshot(&bytes).expect("loads");
        assert_eq!(ds.lieux().len(), imported.len(), "{file}");
        for lieu in &imported {
            let slot = ds.slot_of(&lieu.id).expect("loaded");
            let loaded = ds.lieu(slot);
            for c in V1_COLUMNS
                .iter()
                .chain(&["position_origine", "adresse_origine"])
            {
                let (ours, theirs) = match *c {
                    "position_origine" => (
                        format!("{:?}", loaded.position_origine),
                        format!("{:?}", lieu.position_origine),
                    ),
                    "adresse_origine" => (
                        format!("{:?}", loaded.adresse_origine),
                        format!("{:?}", lieu.adresse_origine),
                    ),
                    _ => (loaded.column(c).expect("v1"), lieu.column(c).expect("v1")),
                };
                assert_eq!(ours, theirs, "{file} {} {c}", lieu.id);
            }
        }
        if !assert_gdal_reads_as_loaded(&path, &ds) {
            break;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// GDAL's read of the snapshot at `path` has every column of every place of `ds`, and the
/// same positions; false (with a message) when GDAL is not installed.
fn assert_gdal_reads_as_loaded(path: &std::path::Path, ds: &lieux::Dataset) -> bool {
    let out = match Command::new("ogr2ogr")
        .args(["-f", "CSV", "/vsistdout/"])
        .arg(path)
        .args(["-lco", "GEOMETRY=AS_WKT"])
        .output()
    {
        Ok(out) => out,
        Err(_) => {
            eprintln!("skipping: ogr2ogr (Debian gdal-bin) is not installed; .ci/run installs it");
            return false;
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
                // GDAL prints doubles with 15 significant digits: compare as numbers
                let ours: Option<f64> = lieu.column(c).and_then(|v| v.parse().ok());
                let theirs: Option<f64> = get(c).parse().ok();
                match (ours, theirs) {
                    (Some(a), Some(b)) => assert!((a - b).abs() < 1e-12, "{id} {c}: {a} {b}"),
                    _ => assert_eq!(ours, theirs, "{id} {c}"),
                }
            } else {
                assert_eq!(lieu.column(c).unwrap_or_default(), get(c), "{id} {c}");
            }
        }
        let origine = lieu.position_origine.as_ref();
        assert_eq!(
            origine.map(|o| o.source.to_string()).unwrap_or_default(),
            get("position_source"),
            "{id}"
        );
        assert_eq!(
            lieu.adresse_origine
                .as_ref()
                .map(|a| a.to_string())
                .unwrap_or_default(),
            get("adresse_source"),
            "{id}"
        );
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
    true
}

/// `ogrinfo -so` output line `Feature Count: N`.
fn feature_count(stdout: &[u8]) -> Option<usize> {
    String::from_utf8_lossy(stdout)
        .lines()
        .find_map(|l| l.trim().strip_prefix("Feature Count:"))
        .and_then(|n| n.trim().parse().ok())
}

#[test]
fn gdal_reads_a_bbox_of_lieux_fgb_over_http_ranges() {
    let ds = lieux::Dataset::embedded().expect("embedded");
    let server = crate::util::Server::start(lieux::http::AppState::new(
        lieux::Dataset::embedded().expect("embedded"),
    ));
    let url = format!("/vsicurl/{}/v1/lieux.fgb", server.url());
    // whole file, then Brittany, then a box around Lyon
    let boxes: [Option<[f64; 4]>; 3] = [
        None,
        Some([-5.2, 47.2, -1.0, 48.95]),
        Some([4.6, 45.5, 5.1, 45.95]),
    ];
    for b in boxes {
        let mut args = vec!["-ro".to_owned(), "-so".into(), "-al".into()];
        if let Some(b) = b {
            args.push("-spat".into());
            args.extend(b.iter().map(|v| v.to_string()));
        }
        args.push(url.clone());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let Some(out) = crate::util::gdal("ogrinfo", &args) else {
            return;
        };
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want = match b {
            None => ds.positioned(),
            Some([min_lon, min_lat, max_lon, max_lat]) => ds
                .within_bbox(
                    &lieux::index::Bbox {
                        min_lon,
                        min_lat,
                        max_lon,
                        max_lat,
                    },
                    // the FlatGeobuf file holds every place, duplicates included
                    &lieux::filter::Filter {
                        inclure_doublons: true,
                        ..Default::default()
                    },
                )
                .len(),
        };
        assert!(want > 0);
        eprintln!("ogrinfo {b:?}: {want} features");
        assert_eq!(
            feature_count(&out.stdout),
            Some(want),
            "{b:?}\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        if b.is_none() {
            let text = String::from_utf8_lossy(&out.stdout);
            for c in V1_COLUMNS {
                assert!(text.contains(&format!("\n{c}: ")), "no column {c}: {text}");
            }
        }
    }
}

#[test]
fn gdal_oapif_reads_every_place_and_copies_them_to_geopackage() {
    let ds = lieux::Dataset::embedded().expect("embedded");
    let server = crate::util::Server::start(lieux::http::AppState::new(
        lieux::Dataset::embedded().expect("embedded"),
    ));
    let source = format!("OAPIF:{}", server.url());
    let Some(out) = crate::util::gdal("ogrinfo", &["-ro", "-so", &source, "lieux"]) else {
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("ogrinfo OAPIF: {:?}", feature_count(&out.stdout));
    // every place served by default (one per group of duplicates, crate::dedup), those without
    // a position included (null geometry)
    let served: Vec<String> = ds
        .all_matching(&lieux::filter::Filter::default())
        .map(|s| ds.lieu(s).id.to_string())
        .collect();
    assert!(
        served.len() < ds.lieux().len(),
        "the 2022 list has duplicates"
    );
    assert_eq!(feature_count(&out.stdout), Some(served.len()), "{text}");
    assert!(text.contains("Geometry: Point"), "{text}");

    let dir = std::env::temp_dir().join(format!("lieux-oapif-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let gpkg = dir.join("lieux.gpkg");
    let _ = std::fs::remove_file(&gpkg);
    let gpkg = gpkg.to_str().expect("utf-8 path");
    let out = crate::util::gdal("ogr2ogr", &["-f", "GPKG", gpkg, &source, "lieux"])
        .expect("ogr2ogr beside ogrinfo");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = crate::util::gdal("ogrinfo", &["-ro", "-so", gpkg, "lieux"]).expect("ogrinfo");
    eprintln!("ogrinfo GeoPackage: {:?}", feature_count(&out.stdout));
    assert_eq!(feature_count(&out.stdout), Some(served.len()));
    // and the ids are exactly ours
    let out = crate::util::gdal(
        "ogr2ogr",
        &[
            "-f",
            "CSV",
            "/vsistdout/",
            gpkg,
            "-sql",
            "SELECT id FROM lieux ORDER BY id",
        ],
    )
    .expect("ogr2ogr");
    // (GDAL 3.6 writes a stray empty header field here: read loosely)
    let ids: Vec<String> = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(&out.stdout[..])
        .records()
        .map(|r| r.expect("record")[0].to_owned())
        .collect();
    assert_eq!(ids, served);
    let _ = std::fs::remove_dir_all(&dir);
}
