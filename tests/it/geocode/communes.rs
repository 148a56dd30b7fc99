//! Part of [`super`] (geocode.rs): its helpers and imports are used through `super::*`.

use super::*;
use lieux::model::SourceAdresse;

#[test]
fn offline_fallback_on_every_raw_producer_file() {
    // Every raw file of mednum-cli-sources with its config and the commune checks, as
    // `lieux import --mapping … --communes … --geocoder offline` runs it: rows kept without a
    // position (none given, (0, 0), far outside their commune…) get a point inside their
    // commune's polygon, and one report line saying so.
    let Some(data) = shared_data() else { return };
    let polygons = polygons().unwrap();
    let configs = crate::util::mapping_configs(&data);
    assert!(configs.len() >= 16, "{configs:?}");
    let mut options = ImportOptions {
        communes: Some(
            Communes::from_path(&data.join("communes/communes-france-polygons.geojson.gz"))
                .unwrap(),
        ),
        geocoders: vec![Arc::new(CommuneGeocoder::embedded())],
        ..Default::default()
    };
    let (mut placed_total, mut left_total) = (0, 0);
    for config in &configs {
        let raw = PathBuf::from(config.to_string_lossy().replace(".config.json", ".json"));
        let date = chrono::NaiveDate::from_ymd_opt(2024, 1, 1);
        options.mapping = Some((
            Mapping::from_path(config).unwrap(),
            MappingOptions {
                date_maj: date,
                ..Default::default()
            },
        ));
        let bytes = std::fs::read(&raw).unwrap();
        let out =
            lieux::import::read_bytes_with(&raw.display().to_string(), &bytes, &options).unwrap();
        let placed: Vec<_> = out
            .lieux
            .iter()
            .filter(|l| {
                l.position_origine
                    .is_some_and(|o| o.source == SourcePosition::Commune)
            })
            .collect();
        for l in &placed {
            assert_inside_its_commune(polygons, l);
            let lines = out
                .report
                .iter()
                .filter(|r| r.id == l.id && r.reason.starts_with("commune_fallback: "))
                .count();
            assert_eq!(lines, 1, "{}", l.id);
        }
        let left = out.stats.without_coordinates;
        let not_geocoded = out
            .report
            .iter()
            .filter(|r| r.reason.starts_with("not_geocoded: "))
            .count();
        assert_eq!(left, not_geocoded, "{}", raw.display());
        eprintln!(
            "{}: {} kept, {} placed at their commune, {left} left without position",
            raw.file_name().unwrap().to_string_lossy(),
            out.stats.accepted,
            placed.len()
        );
        placed_total += placed.len();
        left_total += left;
    }
    eprintln!("all sources: {placed_total} placed at their commune, {left_total} left");
    assert!(placed_total >= 10, "{placed_total}");
}

/// Rows with an address and a postcode shared by several communes but no commune, INSEE code
/// or coordinates (the national programme's export of issue 16): the commune is first a guess
/// (the postcode's most populated commune), then the geocoder's (`result_citycode`).
#[test]
fn the_geocoder_settles_a_commune_the_postcode_leaves_open() {
    let _serial = serial();
    let Some(a) = addok() else { return };
    let shapes = lieux::import::CommuneShapes::embedded();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(lieux::model::V1_COLUMNS).unwrap();
    let mut truth: HashMap<String, String> = HashMap::new();
    for r in &a.rows.records {
        let cp = r["code_postal"].as_str();
        let Some(code) = Some(r["code_insee"].as_str()).filter(|c| !c.is_empty()) else {
            continue;
        };
        if r["adresse"].is_empty() || shapes.of_postcode(cp).len() < 2 || !a.indexed.contains(code)
        {
            continue;
        }
        truth.insert(r["id"].clone(), code.to_owned());
        let row: Vec<&str> = lieux::model::V1_COLUMNS
            .iter()
            .map(|c| match *c {
                "commune" | "code_insee" | "latitude" | "longitude" => "",
                c => r.get(c).map_or("", String::as_str),
            })
            .collect();
        w.write_record(&row).unwrap();
    }
    assert!(truth.len() > 200, "{}", truth.len());
    let csv = w.into_inner().unwrap();
    // Without a geocoder the guess stays, and each guessed row carries the flag (#16: typed,
    // not read back from the report's wording)
    let unsettled =
        lieux::import::read_bytes_with("sans-commune.csv", &csv, &Default::default()).unwrap();
    let guessed_lines: std::collections::HashSet<&str> = unsettled
        .report
        .iter()
        .filter(|r| r.reason.starts_with("commune_from_postcode_ambiguous: "))
        .map(|r| r.id.as_str())
        .collect();
    let flagged: std::collections::HashSet<&str> = unsettled
        .lieux
        .iter()
        .filter(|l| l.commune_devinee)
        .map(|l| l.id.as_str())
        .collect();
    assert!(flagged.len() > 100, "{}", flagged.len());
    assert_eq!(flagged, guessed_lines);
    let ban = Arc::new(BanGeocoder::new(&a.url, None, BanOptions::default()).unwrap());
    let out = lieux::import::read_bytes_with(
        "sans-commune.csv",
        &csv,
        &ImportOptions {
            geocoders: vec![ban],
            ..Default::default()
        },
    )
    .unwrap();
    // settled (or confirmed) by the geocoder: no longer a guess
    let still: Vec<&str> = out
        .lieux
        .iter()
        .filter(|l| {
            l.commune_devinee
                && l.position_origine
                    .is_some_and(|o| o.source == lieux::model::SourcePosition::Ban)
        })
        .map(|l| l.id.as_str())
        .collect();
    assert!(still.is_empty(), "{still:?}");
    assert_eq!(
        out.stats.accepted,
        truth.len(),
        "no row lost for its missing commune"
    );
    let right = out
        .lieux
        .iter()
        .filter(|l| l.code_insee.as_deref() == truth.get(l.id.as_str()).map(String::as_str))
        .count();
    let settled = out
        .report
        .iter()
        .filter(|r| r.reason.starts_with("commune_from_geocoder: "))
        .count();
    eprintln!(
        "{right} of {} communes right, {settled} settled by the geocoder",
        truth.len()
    );
    for l in out
        .lieux
        .iter()
        .filter(|l| l.code_insee.as_deref() != truth.get(l.id.as_str()).map(String::as_str))
        .take(12)
    {
        eprintln!(
            "  {} want {} got {:?} {} placed {:?}",
            l.id,
            truth[l.id.as_str()],
            l.code_insee,
            l.commune,
            l.position_origine.map(|o| o.source)
        );
    }
    assert!(settled > 0);
    assert!(
        right * 100 >= truth.len() * 90,
        "{right} of {}",
        truth.len()
    );
}

/// 300 France Services rows with coordinates and no address (CSV), and for each id the address
/// the index holds at its point (folded).
fn rows_without_address(a: &super::Addok) -> (Vec<u8>, HashMap<String, String>) {
    let number = regex::Regex::new(r"^(\d+)\s*(bis|ter|[a-d])?\b[\s,\-/\d]*(.*)$").unwrap();
    let columns = [
        "id",
        "nom",
        "commune",
        "code_postal",
        "code_insee",
        "adresse",
        "latitude",
        "longitude",
        "date_maj",
        "services",
    ];
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(columns).unwrap();
    // id → the address the index holds at the row's point
    let mut expected: HashMap<String, String> = HashMap::new();
    for r in &a.rows.records {
        let Some(c) = number.captures(&r["adresse"]) else {
            continue;
        };
        if r["code_insee"].is_empty()
            || c[3].trim().is_empty()
            || !a.rows.truth.contains_key(&r["id"])
        {
            continue;
        }
        let street = format!(
            "{}{} {}",
            &c[1],
            c.get(2).map_or("", |m| m.as_str()),
            c[3].trim()
        );
        expected.insert(r["id"].clone(), lieux::commune_table::fold(&street));
        let record: Vec<&str> = columns
            .iter()
            .map(|&k| if k == "adresse" { "" } else { r[k].as_str() })
            .collect();
        w.write_record(record).unwrap();
        if expected.len() == 300 {
            break;
        }
    }
    (w.into_inner().unwrap(), expected)
}

/// Rows with coordinates and no address (#16): with a BAN geocoder, each takes the address
/// that addok's `/reverse/csv/` finds at its point. Oracle: the France Services list's own
/// address of the row (number and street, as the index was built from it), which addok
/// indexed at the row's coordinates.
#[test]
fn reverse_geocoding_gives_rows_without_address_their_street() {
    let _serial = serial();
    let Some(a) = addok() else { return };
    let (csv, expected) = rows_without_address(a);
    let ban = Arc::new(BanGeocoder::new(&a.url, None, BanOptions::default()).unwrap());
    let options = ImportOptions {
        geocoders: vec![ban.clone(), Arc::new(CommuneGeocoder::embedded())],
        ..Default::default()
    };
    let out = lieux::import::read_bytes_with("sans-adresse.csv", &csv, &options).unwrap();
    assert_eq!(out.lieux.len(), expected.len(), "every row kept");
    assert_eq!(
        ban.stats().batches,
        1,
        "one /reverse/csv/ request for {} rows",
        expected.len()
    );
    let reasons: HashMap<&str, &str> = out
        .report
        .iter()
        .filter(|r| r.field == "adresse")
        .map(|r| (r.id.as_str(), r.reason.as_str()))
        .collect();
    let mut same = 0;
    // the provenance says where each address comes from (#16), and a snapshot keeps it
    let bytes = lieux::snapshot::encode_snapshot(&out.lieux).unwrap();
    let back = lieux::snapshot::read_snapshot(&bytes).unwrap();
    let origin_back: HashMap<&str, Option<SourceAdresse>> = back
        .iter()
        .map(|l| (l.id.as_str(), l.adresse_origine))
        .collect();
    for l in &out.lieux {
        let reason = reasons.get(l.id.as_str()).copied().unwrap_or_default();
        assert_eq!(origin_back[l.id.as_str()], l.adresse_origine, "{}", l.id);
        if reason.starts_with("adresse_from_reverse_geocoding:") {
            assert_eq!(l.adresse_origine, Some(SourceAdresse::GeocodageInverse));
            assert_ne!(l.adresse, l.commune, "{}", l.id);
            assert!(reason.contains(&format!("{:?}", l.adresse)), "{reason}");
            same += usize::from(lieux::commune_table::fold(&l.adresse) == expected[l.id.as_str()]);
        } else {
            // nothing within reach: the commune name stays, and the report says reverse
            // geocoding was tried
            assert_eq!(l.adresse_origine, Some(SourceAdresse::Commune));
            assert_eq!(l.adresse, l.commune, "{}", l.id);
            assert!(reason.contains("reverse geocoding"), "{}: {reason}", l.id);
        }
    }
    // another place's address may be nearer (two places in one building, numbers a few
    // metres apart): the large majority get their own
    assert!(
        same * 10 >= expected.len() * 9,
        "{same} of {} rows got their own address",
        expected.len()
    );
}

/// The live `POST /v1/imports` of a server started with `--geocoder URL` reverse geocodes like
/// `lieux import --geocoder URL` (#16): the served places have the street address at their
/// point and say where it comes from.
#[test]
fn live_imports_reverse_geocode_with_the_servers_geocoder() {
    let _serial = serial();
    let Some(a) = addok() else { return };
    let (csv, expected) = rows_without_address(a);
    // ids of their own: the embedded dataset served holds the France Services' ids
    let csv = String::from_utf8(csv)
        .unwrap()
        .replace("france-services-", "sans-adresse-");
    let expected: HashMap<String, String> = expected
        .into_iter()
        .map(|(id, a)| (id.replace("france-services-", "sans-adresse-"), a))
        .collect();
    let server = crate::util::Server::start(
        lieux::http::AppState::new(lieux::dataset::Dataset::embedded().unwrap())
            .with_geocoder(BanGeocoder::new(&a.url, None, BanOptions::default()).unwrap())
            .with_imports(Some(crate::live::TOKEN.to_owned()), None),
    );
    let (status, _, v) =
        crate::live::import(&server, "?source=sans-adresse&format=csv", csv.as_bytes());
    let text = v.to_string();
    assert_eq!(status, 200, "{}", &text[..text.len().min(2000)]);
    let reversed: Vec<&str> = v["report"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["reason"]
                .as_str()
                .is_some_and(|s| s.starts_with("adresse_from_reverse_geocoding:"))
        })
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert!(
        reversed.len() * 10 >= expected.len() * 8,
        "{} of {} rows reverse geocoded",
        reversed.len(),
        expected.len()
    );
    let mut same = 0;
    for id in &reversed {
        let (status, _, body) =
            crate::util::request(&server, "GET", &format!("/v1/lieux/{id}"), &[], b"");
        assert_eq!(status, 200, "{id}");
        let f: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let p = &f["properties"];
        assert_eq!(p["position"]["adresse"], "geocodage_inverse", "{id}: {p}");
        assert_ne!(p["adresse"], p["commune"], "{id}");
        let adresse = p["adresse"].as_str().unwrap_or_default();
        same += usize::from(lieux::commune_table::fold(adresse) == expected[&id.to_string()]);
    }
    assert!(
        same * 10 >= reversed.len() * 9,
        "{same} of {}",
        reversed.len()
    );
}
