//! Part of [`super`] (geocode.rs): its helpers and imports are used through `super::*`.

use super::*;

#[test]
fn offline_fallback_places_list_rows_without_coordinates_in_their_commune() {
    let Some(data) = shared_data() else { return };
    let fs = data.join("france-services");
    let raw = fs.join("liste-fs-20221201.csv");
    let mapping = Mapping::from_path(&fs.join("liste-fs-20221201.config.json")).unwrap();
    let options = ImportOptions {
        mapping: Some((
            mapping,
            MappingOptions {
                date_maj: chrono::NaiveDate::from_ymd_opt(2022, 12, 1),
                id_prefix: Some("france-services-".to_owned()),
                ..Default::default()
            },
        )),
        geocoders: vec![Arc::new(CommuneGeocoder::embedded())],
        ..Default::default()
    };
    // Which raw rows have no coordinates (independently of the importer).
    let mut rdr = csv::Reader::from_path(&raw).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let (id, lat, lon) = (col("id_fs"), col("latitude"), col("longitude"));
    let without: HashSet<String> = rdr
        .records()
        .map(Result::unwrap)
        .filter(|r| r[lat].trim().is_empty() || r[lon].trim().is_empty())
        .map(|r| format!("france-services-{}", &r[id]))
        .collect();
    assert_eq!(without.len(), 30);

    let out = lieux::import::read_bytes_with(
        &raw.display().to_string(),
        &std::fs::read(&raw).unwrap(),
        &options,
    )
    .unwrap();
    let polygons = polygons().unwrap();
    let placed: Vec<_> = out
        .lieux
        .iter()
        .filter(|l| without.contains(l.id.as_str()))
        .collect();
    // 26 of the 30 have no commune, postcode or address and are rejected; the others are kept
    // and placed inside their commune.
    assert_eq!(
        placed.len(),
        4,
        "{:?}",
        placed.iter().map(|l| &l.id).collect::<Vec<_>>()
    );
    for l in placed {
        let o = l.position_origine.unwrap();
        assert_eq!(
            (o.source, o.precision, o.score),
            (SourcePosition::Commune, Precision::Municipality, None)
        );
        assert_inside_its_commune(polygons, l);
        let report = out
            .report
            .iter()
            .find(|r| r.id == l.id && r.field == "latitude,longitude")
            .unwrap();
        assert_eq!(report.kind, lieux::import::ReportKind::Info);
        assert!(
            report.reason.starts_with("commune_fallback: "),
            "{}",
            report.reason
        );
    }
    // Rows whose coordinates lie far outside their commune (the embedded commune shapes check
    // every import) lose them and are placed at their commune too: the four of the list.
    let dropped: HashSet<&str> = out
        .report
        .iter()
        .filter(|r| r.reason.starts_with("outside_commune: "))
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(
        dropped,
        HashSet::from([
            "france-services-805",
            "france-services-880",
            "france-services-1707",
            "france-services-1820"
        ])
    );
    for l in out.lieux.iter().filter(|l| dropped.contains(l.id.as_str())) {
        assert_eq!(
            l.position_origine.map(|o| o.source),
            Some(SourcePosition::Commune)
        );
        assert_inside_its_commune(polygons, l);
    }
    // The other rows keep the producer's coordinates, marked as such.
    assert!(
        out.lieux
            .iter()
            .filter(|l| !without.contains(l.id.as_str()) && !dropped.contains(l.id.as_str()))
            .all(|l| l.position_origine.is_none_or(|o| matches!(
                o.source,
                SourcePosition::Donnees | SourcePosition::Reparee
            )))
    );
}

#[test]
fn offline_fallback_keeps_every_list_row_in_its_commune() {
    // Every row of the list, coordinates removed, placed by the commune fallback alone: inside
    // the commune polygon, and (the oracle) within the commune's extent of the true position.
    let Some(data) = shared_data() else { return };
    let rows = fs_rows(&data);
    let out = import_with(&rows, vec![Arc::new(CommuneGeocoder::embedded())]);
    let polygons = polygons().unwrap();
    let mut outside = Vec::new();
    let mut unplaced = 0;
    for l in &out.lieux {
        let Some(p) = l.position else {
            unplaced += 1;
            continue;
        };
        let c = polygons
            .find(
                l.code_insee.as_deref(),
                Some(&l.code_postal),
                Some(&l.commune),
            )
            .unwrap_or_else(|| panic!("{} {}", l.id, l.commune));
        if c.distance_km(p.lon, p.lat) > 0.0 {
            outside.push(l.id.clone());
        }
    }
    eprintln!(
        "offline fallback: {unplaced} of {} not placed",
        out.lieux.len()
    );
    assert!(outside.is_empty(), "{outside:?}");
    assert!(unplaced <= 10, "{unplaced}");
    // The oracle: where the list's own point lies in its commune (the polygons, within 1 km),
    // the fallback point is no farther from it than the commune's size allows (3 × the radius of
    // a disc of the commune's area, + 1 km).
    let table = lieux::commune_table::embedded();
    let area: HashMap<&str, f64> = table
        .all()
        .iter()
        .map(|c| (c.code_insee.as_str(), c.area_km2))
        .collect();
    let (mut checked, mut far) = (0, Vec::new());
    for l in &out.lieux {
        let (Some(&truth), Some(p)) = (rows.truth.get(l.id.as_str()), l.position) else {
            continue;
        };
        let Some(c) = polygons.find(
            l.code_insee.as_deref(),
            Some(&l.code_postal),
            Some(&l.commune),
        ) else {
            continue;
        };
        let Some(&a) = area.get(c.code_insee.as_str()) else {
            continue;
        };
        if c.distance_km(truth.0, truth.1) > 1.0 {
            continue; // the list's point is elsewhere (the data notes 3 sites > 10 km away)
        }
        checked += 1;
        let bound_m = 3000.0 * (a / std::f64::consts::PI).sqrt() + 1000.0;
        let d = haversine_m(truth, (p.lon, p.lat));
        if d > bound_m {
            far.push((l.id.clone(), d.round(), bound_m.round()));
        }
    }
    assert!(checked >= 2600, "{checked}");
    assert!(far.is_empty(), "{far:?}");
}

#[test]
fn cli_import_geocodes_and_the_server_shows_provenance() {
    let _serial = serial();
    let Some(a) = addok() else { return };
    // 300 rows of the list without coordinates, and one that no geocoder can place: the
    // commune fallback needs a known commune, this one has none.
    let mut rdr = csv::Reader::from_reader(&a.rows.without_coordinates[..]);
    let headers = rdr.headers().unwrap().clone();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers).unwrap();
    for rec in rdr.records().take(300) {
        w.write_record(&rec.unwrap()).unwrap();
    }
    let mut odd: Vec<String> = headers.iter().map(|_| String::new()).collect();
    for (h, v) in [
        ("id", "nulle-part"),
        ("pivot", "00000000000000"),
        ("nom", "Lieu introuvable"),
        ("commune", "Xqzwville"),
        ("code_postal", "99999"),
        ("adresse", "Xqzw Vbnkj"),
        ("date_maj", "2024-01-01"),
    ] {
        let i = headers.iter().position(|x| x == h).unwrap();
        odd[i] = v.to_owned();
    }
    w.write_record(&odd).unwrap();
    let dir = a.dir.join("cli");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("lieux.csv");
    std::fs::write(&input, w.into_inner().unwrap()).unwrap();
    let snapshot = dir.join("lieux.fgb");
    crate::cli::run_ok(
        crate::cli::lieux()
            .arg("import")
            .arg(&input)
            .arg("--out")
            .arg(&snapshot)
            .args(["--geocoder", &a.url, "--geocoder-cache"])
            .arg(dir.join("cache.jsonl")),
    );

    // The report CSV: one line per row saying how it was placed.
    let report = std::fs::read_to_string(dir.join("lieux.fgb.report.csv")).unwrap();
    let count = |rule: &str| report.lines().filter(|l| l.contains(rule)).count();
    assert!(count("geocoded_ban: ") >= 290, "{report}");
    assert_eq!(count("geocoded_ban: ") + count("commune_fallback: "), 300);
    assert_eq!(count("not_geocoded: "), 1);
    assert!(
        report
            .lines()
            .any(|l| l.contains("nulle-part") && l.contains("not_geocoded"))
    );

    // GDAL reads the provenance columns of the snapshot.
    if let Some(out) = crate::util::gdal(
        "ogr2ogr",
        &["-f", "CSV", "/vsistdout/", snapshot.to_str().unwrap()],
    ) {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut rdr = csv::Reader::from_reader(&out.stdout[..]);
        let h = rdr.headers().unwrap().clone();
        let col = |n: &str| h.iter().position(|x| x == n).unwrap();
        let (source, precision, score) = (
            col("position_source"),
            col("position_precision"),
            col("position_score"),
        );
        let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 301);
        let ban = rows.iter().filter(|r| &r[source] == "ban").count();
        assert!(ban >= 290);
        assert!(
            rows.iter()
                .filter(|r| &r[source] == "ban")
                .all(
                    |r| r[score].parse::<f64>().is_ok_and(|s| s >= 0.4) && !r[precision].is_empty()
                )
        );
    }

    // The server shows it in the GeoJSON properties.
    let ds = lieux::Dataset::from_snapshot(&std::fs::read(&snapshot).unwrap()).unwrap();
    let server = crate::util::Server::start(lieux::http::AppState::new(ds));
    let (status, _, body) =
        crate::util::request(&server, "GET", "/v1/lieux/france-services-1", &[], b"");
    assert_eq!(status, 200);
    let f: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let p = &f["properties"]["position"];
    assert_eq!(p["source"], "ban", "{f}");
    assert_eq!(p["precision"], "housenumber", "{f}");
    assert!(p["score"].as_f64().is_some_and(|s| s >= 0.9), "{f}");
    // ... with the words the OpenAPI document lists.
    let (_, _, doc) = crate::util::request(&server, "GET", "/openapi.json", &[], b"");
    let doc: serde_json::Value = serde_json::from_slice(&doc).unwrap();
    let schema = &doc["components"]["schemas"]["Feature"]["properties"]["properties"]["properties"]
        ["position"]["properties"];
    for key in ["source", "precision"] {
        let words = schema[key]["enum"].as_array().unwrap();
        assert!(words.contains(&p[key]), "{key} {} not in {words:?}", p[key]);
    }
    let (_, _, body) = crate::util::request(&server, "GET", "/v1/lieux/nulle-part", &[], b"");
    let f: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(
        f["geometry"].is_null() && f["properties"].get("position").is_none(),
        "{f}"
    );
    // The schema CSV export keeps its 32 columns.
    let (_, _, body) = crate::util::request(&server, "GET", "/v1/lieux.csv", &[], b"");
    let header = String::from_utf8(body)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(header.split(',').count(), 32, "{header}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn producer_coordinates_are_donnees_or_reparee() {
    // Three rows of the list: as published, with a decimal comma, with latitude and longitude
    // exchanged (both repaired by coordinate rules).
    let Some(data) = shared_data() else { return };
    let mut rdr =
        csv::Reader::from_path(data.join("france-services/france-services-20221201.v1.csv"))
            .unwrap();
    let headers = rdr.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let (lat, lon) = (col("latitude"), col("longitude"));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().take(3).map(Result::unwrap).collect();
    for (k, rec) in rows.iter().enumerate() {
        let mut v: Vec<String> = rec.iter().map(str::to_owned).collect();
        match k {
            1 => v[lat] = v[lat].replace('.', ","),
            2 => v.swap(lat, lon),
            _ => {}
        }
        w.write_record(&v).unwrap();
    }
    let out = lieux::import::read_bytes_with(
        "t.csv",
        &w.into_inner().unwrap(),
        &ImportOptions::default(),
    )
    .unwrap();
    let got: Vec<_> = out
        .lieux
        .iter()
        .map(|l| l.position_origine.map(|o| (o.source, o.precision, o.score)))
        .collect();
    let p = |s| Some((s, Precision::Producteur, None));
    assert_eq!(
        got,
        [
            p(SourcePosition::Donnees),
            p(SourcePosition::Reparee),
            p(SourcePosition::Reparee)
        ]
    );
    for (l, rec) in out.lieux.iter().zip(&rows) {
        let pos = l.position.unwrap();
        assert_eq!(
            (pos.lat, pos.lon),
            (rec[lat].parse().unwrap(), rec[lon].parse().unwrap())
        );
    }
}
