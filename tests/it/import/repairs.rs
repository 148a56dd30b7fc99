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

/// A postcode of another département than the commune the row names (no INSEE code) is
/// reported, whether the position lies in the named commune (kept: the postcode is the wrong
/// one, even when a commune of that postcode is just across the border) or with the postcode's
/// communes; a postcode La Poste does not know has its département checked. Oracle: the
/// embedded commune table (name → INSEE code and postcodes).
#[test]
fn postcode_of_another_departement_than_the_commune_is_reported() {
    let table = lieux::commune_table::embedded();
    let named = |nom: &str| {
        table
            .all()
            .iter()
            .find(|c| c.nom == nom)
            .unwrap_or_else(|| panic!("{nom} in the table"))
    };
    let villeneuve = named("Villeneuve-lès-Avignon");
    let angers = named("Angers");
    for (c, cp) in [(villeneuve, "84000"), (angers, "75001")] {
        assert!(!c.codes_postaux.iter().any(|p| p == cp));
        assert_ne!(&c.code_insee[..2], &cp[..2]);
    }
    let csv = "id,nom,commune,code_postal,adresse,date_maj,latitude,longitude,itinerance\n\
        across-border,Tiers-lieu,Villeneuve-lès-Avignon,84000,1 rue A,2024-01-01,43.9664,4.7966,Fixe\n\
        far,Mairie,Angers,75001,1 rue B,2024-01-01,47.4711,-0.5511,Fixe\n\
        with-postcode,Mairie,Angers,75001,1 rue C,2024-01-01,48.8640,2.3360,Fixe\n\
        right,Mairie,Angers,49000,1 rue D,2024-01-01,47.4711,-0.5511,Fixe\n";
    let o = lieux::import::read_bytes("other-dep.csv", csv.as_bytes()).expect("import");
    let line = |id: &str| {
        o.report
            .iter()
            .find(|r| r.id == id && r.field == "code_postal")
            .map(|r| r.reason.clone())
    };
    // the point lies in the named commune: position kept, postcode reported
    for (id, c) in [("across-border", villeneuve), ("far", angers)] {
        assert!(by_id(&o.lieux, id).position.is_some(), "{id}");
        let reason = line(id).unwrap_or_else(|| panic!("{id}: no postcode line"));
        assert!(
            reason.starts_with("code_postal_other_departement:") && reason.contains(&c.code_insee),
            "{id}: {reason}"
        );
    }
    // the point agrees with the postcode: reported too, naming the commune elsewhere
    let reason = line("with-postcode").expect("postcode line");
    assert!(
        reason.starts_with("code_postal_other_departement: no commune")
            && reason.contains(&angers.code_insee),
        "{reason}"
    );
    assert!(by_id(&o.lieux, "with-postcode").position.is_some());
    // a CEDEX postcode (not La Poste's) and a misspelled commune: the point is checked against
    // the communes of the postcode's département
    let csv = "id,nom,commune,code_postal,adresse,date_maj,latitude,longitude,itinerance\n\
        cedex-far,Sous-préfecture,Tohnon-les-Bainsx,74203,1 rue A,2024-01-01,47.179542,7.278089,Fixe\n\
        cedex-near,Sous-préfecture,Tohnon-les-Bainsx,74203,1 rue A,2024-01-01,46.372406,6.476887,Fixe\n";
    let c = lieux::import::read_bytes("cedex.csv", csv.as_bytes()).expect("import");
    assert!(by_id(&c.lieux, "cedex-far").position.is_none());
    assert!(by_id(&c.lieux, "cedex-near").position.is_some());
    let far = c
        .report
        .iter()
        .find(|r| r.id == "cedex-far" && r.field == "latitude,longitude")
        .expect("position line");
    assert!(
        far.reason.starts_with("outside_postcode:"),
        "{}",
        far.reason
    );
    assert!(
        c.report
            .iter()
            .all(|r| r.id != "cedex-near" || r.field == "pivot")
    );
    assert_eq!(line("right"), None);
    assert!(
        o.report
            .iter()
            .all(|r| r.id != "right" || r.field == "pivot"),
        "{:?}",
        o.report
    );
}
