//! Part of [`super`] (import.rs): its helpers and imports are used through `super::*`.
//!
//! The streamed `lieux import` and the in-memory import behind `POST /v1/imports` write the
//! same report, line for line, on every shared file: with a geocoder, the rows that wait for it
//! keep their lines in their place (they were held back by reason text and written at the
//! end, apart from the row's other lines).

use std::sync::Arc;

use lieux::geocode::offline::CommuneGeocoder;
use lieux::import::{ImportOptions, Mapping, MappingOptions, read_bytes_with, run_import_with};
use lieux::model::SourcePosition;

use super::*;

/// The report CSV's records.
fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut rdr = ::csv::Reader::from_path(path).expect("report");
    rdr.records()
        .map(|r| r.expect("record").iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn streamed_and_in_memory_imports_write_the_same_report() {
    let Some(d) = shared() else { return };
    let mut cases: Vec<(PathBuf, Option<PathBuf>)> = crate::util::mapping_configs(&d)
        .into_iter()
        .map(|config| {
            let name = config.file_name().unwrap().to_string_lossy().into_owned();
            let stem = name.trim_end_matches(".config.json").to_owned();
            (config.with_file_name(format!("{stem}.json")), Some(config))
        })
        .collect();
    cases.push((d.join(FRANCE_SERVICES), None));
    for f in std::fs::read_dir(d.join("cartographie-nationale-v0")).expect("v0 folder") {
        let p = f.expect("entry").path();
        if p.extension().is_some_and(|e| e == "json") {
            cases.push((p, None));
        }
    }
    assert!(cases.len() >= 20, "{}", cases.len());
    let dir = temp_dir("same-report");
    // the France Services list with every 10th row stripped of its coordinates, every 20th of
    // its commune and INSEE code too: rows that wait for the geocoder all along the file
    let mut rdr = ::csv::Reader::from_path(d.join(FRANCE_SERVICES)).expect("france services");
    let headers = rdr.headers().expect("header").clone();
    let col = |n: &str| headers.iter().position(|h| h == n).expect(n);
    let mut w = ::csv::Writer::from_path(dir.join("stripped.csv")).expect("stripped");
    w.write_record(&headers).expect("write");
    for (i, r) in rdr.records().enumerate() {
        let mut r: Vec<String> = r.expect("row").iter().map(str::to_owned).collect();
        if i % 10 == 0 {
            r[col("latitude")].clear();
            r[col("longitude")].clear();
        }
        if i % 20 == 0 {
            r[col("commune")].clear();
            r[col("code_insee")].clear();
        }
        w.write_record(&r).expect("write");
    }
    w.flush().expect("flush");
    cases.push((dir.join("stripped.csv"), None));
    let (mut waited, mut lines) = (0, 0);
    for (raw, config) in cases {
        let options = ImportOptions {
            mapping: config.map(|c| {
                let options = MappingOptions {
                    date_maj: chrono::NaiveDate::from_ymd_opt(2024, 1, 1),
                    ..Default::default()
                };
                (Mapping::from_path(&c).expect("config"), options)
            }),
            geocoders: vec![Arc::new(CommuneGeocoder::embedded())],
            ..Default::default()
        };
        let name = raw.display().to_string();
        let bytes = std::fs::read(&raw).expect("raw");
        let memory = read_bytes_with(&name, &bytes, &options).expect("in memory");
        let out = dir.join("out.fgb");
        let report = dir.join("out.report.csv");
        let stats = run_import_with(
            std::slice::from_ref(&raw),
            &out,
            Some(&report),
            false,
            &options,
        )
        .expect("streamed");
        assert_eq!(stats, memory.stats, "{name}");
        let streamed = csv_rows(&report);
        let expected = crate::util::report_records(&memory.report);
        if let Some(k) =
            (0..streamed.len().max(expected.len())).find(|&k| streamed.get(k) != expected.get(k))
        {
            panic!(
                "{name}: report line {k} differs:\n streamed  {:?}\n in memory {:?}",
                streamed.get(k),
                expected.get(k)
            );
        }
        // the same places, at the same positions
        let mut a = read_snapshot(&std::fs::read(&out).expect("snapshot")).expect("read");
        let mut b = memory.lieux;
        a.sort_by(|x, y| x.id.cmp(&y.id));
        b.sort_by(|x, y| x.id.cmp(&y.id));
        assert_eq!(a.len(), b.len(), "{name}");
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(
                (&x.id, x.position, &x.adresse),
                (&y.id, y.position, &y.adresse)
            );
        }
        // rows that waited for the geocoder: placed by it, or left without position
        waited += b
            .iter()
            .filter(|l| {
                l.position.is_none()
                    || l.position_origine.is_some_and(|o| {
                        matches!(o.source, SourcePosition::Ban | SourcePosition::Commune)
                    })
            })
            .count();
        lines += expected.len();
    }
    eprintln!("{lines} report lines alike; {waited} rows went through the geocoder");
    assert!(waited > 250, "{waited}");
    let _ = std::fs::remove_dir_all(&dir);
}
