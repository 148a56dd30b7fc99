//! Part of [`super`] (import.rs): its helpers and imports are used through `super::*`.

use super::*;

#[test]
fn embedded_default_snapshot_loads() {
    let lieux = read_snapshot(lieux::DEFAULT_SNAPSHOT).expect("embedded snapshot");
    assert_eq!(lieux.len(), 2657);
    // 4 rows without coordinates, 4 whose coordinates lie outside their commune
    assert_eq!(lieux.iter().filter(|l| l.position.is_none()).count(), 8);
    assert!(
        lieux
            .iter()
            .all(|l| l.dispositif_programmes_nationaux == [Dispositif::FranceServices])
    );
}

/// A v0 export whose list fields are joined with `,` instead of `;` keeps every value: the
/// Hinaura export rewritten that way imports to the same services, labels, publics, fees and
/// modalities as the original, each rewritten field reported as a repair.
#[test]
fn v0_lists_joined_with_commas_are_split() {
    let Some(d) = shared() else { return };
    let path = d.join("cartographie-nationale-v0/hinaura-687.json");
    let text = std::fs::read_to_string(&path).expect("read");
    let mut rows: Vec<serde_json::Value> = serde_json::from_str(&text).expect("json");
    let fields = [
        "services",
        "labels_nationaux",
        "conditions_acces",
        "publics_accueillis",
        "modalites_accompagnement",
    ];
    let mut rewritten = 0;
    for r in &mut rows {
        for f in fields {
            if let Some(v) = r
                .get(f)
                .and_then(|v| v.as_str())
                .filter(|v| v.contains(';'))
            {
                let commas = v.replace(';', ",");
                r[f] = serde_json::Value::String(commas);
                rewritten += 1;
            }
        }
    }
    assert!(rewritten > 500, "{rewritten}");
    let original = read_path(&path).expect("original");
    let commas =
        lieux::import::read_bytes("hinaura-commas.json", &serde_json::to_vec(&rows).unwrap())
            .expect("rewritten");
    assert_eq!(original.lieux.len(), commas.lieux.len());
    for (a, b) in original.lieux.iter().zip(&commas.lieux) {
        for c in [
            "services",
            "dispositif_programmes_nationaux",
            "formations_labels",
            "frais_a_charge",
            "publics_specifiquement_adresses",
            "prise_en_charge_specifique",
            "modalites_accompagnement",
        ] {
            assert_eq!(a.column(c), b.column(c), "{} {c}", a.id);
        }
    }
    let repaired = commas
        .report
        .iter()
        .filter(|r| r.reason.starts_with("v0_list_commas"))
        .count();
    assert!(repaired * 10 >= rewritten * 9, "{repaired} of {rewritten}");
}

/// The end-of-import summary counts the report itself: the CLI's (read back from the report
/// CSV) and the in-memory one of `POST /v1/imports` agree, and the command prints it.
#[test]
fn import_summary_says_what_the_report_says() {
    let dir = temp_dir("summary");
    let out = dir.join("lieux.fgb");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_lieux"))
        .args(["import", fixture("dirty-v1.csv").to_str().unwrap(), "--out"])
        .arg(&out)
        .output()
        .expect("lieux import");
    assert!(output.status.success());
    let from_csv =
        lieux::import::ReportSummary::of_csv(&dir.join("lieux.fgb.report.csv")).expect("csv");
    let o = read_path(&fixture("dirty-v1.csv")).expect("dirty");
    let in_memory = lieux::import::ReportSummary::of_rows(&o.report);
    assert_eq!(from_csv, in_memory);
    // and the tally the streamed import keeps as it writes the report
    let (_, tallied) = lieux::import::run_import_summarised(
        &[fixture("dirty-v1.csv")],
        &dir.join("again.fgb"),
        None,
        false,
        &lieux::import::ImportOptions::default(),
    )
    .expect("import");
    assert_eq!(tallied, from_csv);
    assert_eq!(in_memory.rejected["nom: missing required field"], 1);
    assert_eq!(in_memory.repaired["id: duplicate_id_renamed"], 1);
    assert_eq!(in_memory.dropped["latitude,longitude: outside_commune"], 1);
    assert_eq!(in_memory.duplicates, 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    for line in [
        "8 rows read",
        "kept with repairs     7",
        "kept without position 2",
        "rejected              1",
        "duplicates (kept)     2",
        "1  latitude,longitude: outside_commune",
    ] {
        assert!(stderr.contains(line), "{line:?} not in {stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Text decoded with the wrong encoding upstream: a double-encoded name is repaired, U+FFFD
/// replacement characters are reported (the row is kept as published).
#[test]
fn mojibake_is_repaired_or_reported() {
    let text = std::fs::read_to_string(fixture("dirty-v1.csv")).expect("fixture");
    let text = text
        .replacen("Médiathèque,Reims", "MÃ©diathÃ¨que,Reims", 1)
        .replacen("Médiathèque,Bourg", "M\u{FFFD}diath\u{FFFD}que,Bourg", 1);
    let o = lieux::import::read_bytes("mojibake.csv", text.as_bytes()).expect("import");
    assert_eq!(by_id(&o.lieux, "dirty-1").nom, "Médiathèque");
    assert_eq!(by_id(&o.lieux, "dirty-2").nom, "M\u{FFFD}diath\u{FFFD}que");
    let reasons: Vec<(&str, &str)> = o
        .report
        .iter()
        .filter(|r| r.field == "nom")
        .map(|r| (r.id.as_str(), r.reason.as_str()))
        .collect();
    assert!(
        reasons
            .iter()
            .any(|(id, r)| *id == "dirty-1" && r.starts_with("mojibake:")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|(id, r)| *id == "dirty-2" && r.starts_with("replacement_characters:")),
        "{reasons:?}"
    );
}
