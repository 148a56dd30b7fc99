//! Import of real files (`../shared/data`, skipped when absent) and small fixtures; snapshot
//! round trip and atomicity.

#![allow(clippy::panic)] // tests fail by panicking

use std::path::{Path, PathBuf};

use lieux::import::{
    ImportError, ReportKind, ReportRow, read_bytes, read_path, read_snapshot, run_import,
    write_snapshot,
};
use lieux::model::{
    Dispositif, Frais, Lieu, ModaliteAccompagnement, Position, PriseEnCharge, Public, Service,
    V1_COLUMNS,
};

fn shared() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if d.is_dir() {
        Some(d)
    } else {
        eprintln!("skipping: ../shared absent");
        None
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A fresh empty directory under the system temp dir, unique per test.
fn temp_dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lieux-it-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn by_id<'a>(lieux: &'a [Lieu], id: &str) -> &'a Lieu {
    lieux
        .iter()
        .find(|l| l.id == id)
        .unwrap_or_else(|| panic!("no lieu {id}"))
}

fn summary(rows: &[ReportRow]) -> Vec<(u64, String, String, ReportKind, String)> {
    rows.iter()
        .map(|r| {
            (
                r.line_or_index,
                r.id.clone(),
                r.field.clone(),
                r.kind,
                r.value.clone(),
            )
        })
        .collect()
}

const FRANCE_SERVICES: &str = "france-services/france-services-20221201.v1.csv";

#[test]
fn france_services_v1_csv() {
    let Some(d) = shared() else { return };
    let o = read_path(&d.join(FRANCE_SERVICES)).expect("import");
    // 2 683 rows; 26 have no commune, postcode nor address (nowhere to place them): rejected.
    // The 4 other rows without coordinates are kept without position, and so are the 4 whose
    // coordinates lie 9 to 155 km outside their commune (the embedded commune shapes).
    assert_eq!(o.stats.rows, 2683);
    assert_eq!(o.stats.accepted, 2657);
    assert_eq!(o.stats.rejected, 26);
    assert_eq!(o.stats.without_coordinates, 8);
    assert_eq!(o.lieux.iter().filter(|l| l.position.is_none()).count(), 8);
    assert_eq!(
        o.report
            .iter()
            .filter(|r| r.reason.starts_with("outside_commune: "))
            .count(),
        4
    );
    assert!(
        o.lieux
            .iter()
            .all(|l| l.dispositif_programmes_nationaux == [Dispositif::FranceServices])
    );
    let rejected: Vec<_> = o
        .report
        .iter()
        .filter(|r| r.kind == ReportKind::Rejected)
        .collect();
    // one rejection per row, naming what is missing
    assert_eq!(rejected.len(), 26);
    assert!(rejected.iter().all(|r| {
        r.reason
            .starts_with("no place: commune and code_postal missing and not derivable")
    }));
    // CSV line numbers: header is line 1, so the first data row is line 2.
    assert!(o.report.iter().all(|r| r.line_or_index >= 2));
    assert!(o.lieux.iter().filter(|l| l.horaires.is_some()).count() > 2000);
}

#[test]
fn cartographie_nationale_v0_json() {
    let Some(d) = shared() else { return };
    let dir = d.join("cartographie-nationale-v0");
    let expected = [
        ("hinaura-687.json", 687),
        ("charente-20230711.json", 188),
        ("bus-france-services-charente-20231003.json", 12),
        ("nouvelle-caledonie-20240320.json", 90),
    ];
    // Positions more than 5 km outside the row's commune (found by INSEE code, else by name in
    // the postcode's département), else outside every commune of its postcode, are dropped: 3
    // in Hinaura (8.3 to 127.1 km off), 1 in Charente (49.3 km from Cognac), the bus stop
    // placed in Bouches-du-Rhône; the Nouvelle-Calédonie rows that carry the INSEE code of
    // Mont-Dore (Puy-de-Dôme) keep their position and lose that code. Four Hinaura rows and
    // one Charente row have a wrong postcode of their own département (01500 for
    // Bourg-en-Bresse, 63340 for Pont-du-Château, 16120 for Segonzac…) and a position inside
    // the commune they name: kept (their positions were dropped while the embedded shapes
    // found no commune by name).
    for ((file, rows), without) in expected.into_iter().zip([3, 1, 1, 0]) {
        let o = read_path(&dir.join(file)).expect(file);
        assert_eq!(o.stats.rows, rows, "{file}");
        assert_eq!(o.stats.accepted, rows, "{file}");
        assert_eq!(o.stats.without_coordinates, without, "{file}");
    }

    // hinaura row 0: v0 services, publics and conditions mapped to v1, in schema order.
    let o = read_path(&dir.join("hinaura-687.json")).expect("hinaura");
    let l = by_id(&o.lieux, "0");
    assert_eq!(
        l.services,
        [
            Service::AideAuxDemarchesAdministratives,
            Service::AccesInternetEtMaterielInformatique
        ]
    );
    assert_eq!(
        l.publics_specifiquement_adresses,
        [Public::Jeunes, Public::FamillesEtOuEnfants, Public::Seniors]
    );
    assert_eq!(
        l.prise_en_charge_specifique,
        [
            PriseEnCharge::Surdite,
            PriseEnCharge::HandicapsMentaux,
            PriseEnCharge::Illettrisme,
            PriseEnCharge::DeficienceVisuelle
        ]
    );
    assert_eq!(l.frais_a_charge, [Frais::Gratuit]);
    assert_eq!(l.code_postal, "74360");
    // Every service of the file is a v1 value (nothing dropped).
    assert!(
        !o.report
            .iter()
            .any(|r| r.field == "services" && r.kind == ReportKind::Dropped)
    );
    // "Adhésion" / "Pass numérique" have no v1 frais value: noted, not invented.
    assert!(o.report.iter().any(|r| r.field == "frais_a_charge"
        && r.kind == ReportKind::Info
        && r.value.contains("Accepte le Pass numérique")));

    // charente: labels_nationaux CNFS → Conseillers numériques (109 rows name CNFS).
    let o = read_path(&dir.join("charente-20230711.json")).expect("charente");
    let count = |d: Dispositif| {
        o.lieux
            .iter()
            .filter(|l| l.dispositif_programmes_nationaux.contains(&d))
            .count()
    };
    assert_eq!(count(Dispositif::ConseillersNumeriques), 109);
    assert_eq!(count(Dispositif::FranceServices), 83);
    assert_eq!(count(Dispositif::AidantsConnect), 68);
    assert_eq!(
        o.lieux
            .iter()
            .filter(|l| l.fiche_acces_libre.is_some())
            .count(),
        46
    );

    // bus: "CNFS;France Services;APTIC" + labels_autres "ZRR".
    let o = read_path(&dir.join("bus-france-services-charente-20231003.json")).expect("bus");
    for l in &o.lieux {
        assert_eq!(
            l.dispositif_programmes_nationaux,
            [
                Dispositif::ConseillersNumeriques,
                Dispositif::FranceServices
            ]
        );
        assert_eq!(l.autres_formations_labels, ["APTIC", "ZRR"]);
    }

    // Nouvelle-Calédonie: +687 phones kept, southern hemisphere positions.
    let o = read_path(&dir.join("nouvelle-caledonie-20240320.json")).expect("nc");
    let l = by_id(&o.lieux, "0");
    assert_eq!(l.telephone.as_deref(), Some("+687445728"));
    assert_eq!(
        l.position,
        Some(Position {
            lon: 166.468099,
            lat: -22.233939
        })
    );
}

#[test]
fn schema_examples() {
    let Some(d) = shared() else { return };
    // v1: every column comes back as the same string.
    let path = d.join("schema/exemple-valide-v1.csv");
    let o = read_path(&path).expect("v1 example");
    assert_eq!(o.stats.accepted, 1);
    // The schema's example is made up: INSEE code 51454 (Reims) with a point in
    // Aix-en-Provence. The commune check of every import drops that position.
    assert_eq!(o.report.len(), 1, "{:?}", o.report);
    assert!(
        o.report[0].reason.starts_with("outside_commune: 64")
            && o.report[0].reason.contains(" km outside 51454 Reims"),
        "{:?}",
        o.report
    );
    let mut reader = csv::Reader::from_path(&path).expect("csv");
    let header = reader.headers().expect("header").clone();
    let record = reader.records().next().expect("row").expect("row");
    assert_eq!(header.len(), 32);
    for (name, value) in header.iter().zip(record.iter()) {
        // the dropped position: empty columns
        let value = if name == "latitude" || name == "longitude" {
            ""
        } else {
            value
        };
        assert_eq!(o.lieux[0].column(name).as_deref(), Some(value), "{name}");
    }

    // v0: renamed fields and mapped values.
    let o = read_path(&d.join("schema/exemple-valide-v0.csv")).expect("v0 example");
    assert_eq!(o.stats.accepted, 1);
    let l = &o.lieux[0];
    assert_eq!(l.column("typologie").as_deref(), Some("TIERS_LIEUX|ASSO"));
    assert_eq!(l.courriels, ["contact@laquincaillerie.tl"]);
    assert_eq!(l.site_web.len(), 2);
    assert_eq!(
        l.services,
        [
            Service::AideAuxDemarchesAdministratives,
            Service::MaitriseDesOutilsNumeriquesDuQuotidien
        ]
    );
    assert_eq!(
        l.publics_specifiquement_adresses,
        [Public::FamillesEtOuEnfants]
    );
    assert_eq!(
        l.prise_en_charge_specifique,
        [PriseEnCharge::DeficienceVisuelle]
    );
    assert_eq!(l.frais_a_charge, [Frais::Payant]);
    assert_eq!(
        l.dispositif_programmes_nationaux,
        [
            Dispositif::FranceServices,
            Dispositif::PointDAccesNumeriqueCaf
        ]
    );
    assert_eq!(
        l.autres_formations_labels,
        ["APTIC", "SudLabs", "Nièvre médiation numérique"]
    );
    assert_eq!(
        l.modalites_accompagnement,
        [
            ModaliteAccompagnement::EnAutonomie,
            ModaliteAccompagnement::AccompagnementIndividuel
        ]
    );
    assert!(l.fiche_acces_libre.is_some());
    assert_eq!(l.structure_parente.as_deref(), Some("Pôle emploi"));
    // frais_a_charge, and the example's point (Aix-en-Provence) far from its commune
    assert_eq!(o.report.len(), 2, "{:?}", o.report);
    assert_eq!(o.report[0].field, "frais_a_charge");
    assert!(
        o.report[1].reason.starts_with("outside_"),
        "{:?}",
        o.report[1]
    );
}

#[test]
fn geojson_fixture() {
    let o = read_path(&fixture("lieux-v1.geojson")).expect("geojson");
    assert_eq!(o.stats.rows, 3);
    assert_eq!(o.stats.accepted, 2);
    assert_eq!(o.stats.rejected, 1);
    assert_eq!(o.stats.without_coordinates, 1);
    let l = by_id(&o.lieux, "geo-1");
    assert_eq!(
        l.position,
        Some(Position {
            lon: 4.03,
            lat: 49.25
        })
    );
    assert_eq!(
        l.services,
        [
            Service::AideAuxDemarchesAdministratives,
            Service::LoisirsEtCreationsNumeriques
        ]
    );
    assert!(l.horaires.is_some());
    let l = by_id(&o.lieux, "geo-2");
    assert_eq!(l.position, None);
    assert_eq!(l.column("date_maj").as_deref(), Some("2024-04-02"));
    let s = summary(&o.report);
    let e = |i, id: &str, f: &str, k, v: &str| (i, id.to_owned(), f.to_owned(), k, v.to_owned());
    for expected in [
        e(1, "geo-2", "latitude,longitude", ReportKind::Info, ""),
        e(
            1,
            "geo-2",
            "date_maj",
            ReportKind::Repaired,
            "2024-04-02T08:00:00+02:00",
        ),
        // rejected for its missing name; its unreadable date ("hier") alone would have become
        // the import date, a repair not reported for a row that is not kept
        e(2, "geo-3", "nom", ReportKind::Rejected, ""),
    ] {
        assert!(s.contains(&expected), "missing {expected:?} in {s:?}");
    }
    assert_eq!(s.len(), 3, "{s:?}");
}

#[test]
fn dirty_csv_report() {
    let o = read_path(&fixture("dirty-v1.csv")).expect("dirty");
    let e = |line, id: &str, field: &str, kind, value: &str| {
        (
            line,
            id.to_owned(),
            field.to_owned(),
            kind,
            value.to_owned(),
        )
    };
    use ReportKind::*;
    assert_eq!(
        summary(&o.report),
        [
            e(2, "dirty-1", "pivot", Repaired, "434 933 123 00029"),
            e(3, "dirty-2", "code_postal", Repaired, "1000"),
            e(4, "dirty-3", "telephone", Dropped, "12 34"),
            e(5, "dirty-4", "horaires", Dropped, "tous les jours"),
            e(6, "dirty-5", "nom", Rejected, ""),
            // a second record under dirty-1's id, in the same file: renamed, kept
            e(7, "dirty-1", "id", Repaired, "dirty-1"),
            e(8, "dirty-6", "latitude,longitude", Info, ""),
            e(8, "dirty-6", "telephone", Repaired, "01 23 45 67 89"),
            e(9, "dirty-7", "latitude,longitude", Repaired, "48,85 / 2,35"),
            // Reims with a point in Paris
            e(9, "dirty-7", "latitude,longitude", Dropped, "48,85 / 2,35"),
            // same Médiathèque, same address and position in Reims as dirty-1 (crate::dedup)
            e(4, "dirty-3", "id", Info, "Médiathèque"),
            e(5, "dirty-4", "id", Info, "Médiathèque"),
        ]
    );
    assert_eq!(o.stats.rows, 8);
    assert_eq!(o.stats.accepted, 7);
    assert_eq!(o.stats.rejected, 1);
    assert_eq!(o.stats.repaired, 7);
    // dirty-6 has none; dirty-7's point is in Paris, 130 km from Reims
    assert_eq!(o.stats.without_coordinates, 2);
    assert_eq!(by_id(&o.lieux, "dirty-1").pivot, "43493312300029");
    assert_eq!(by_id(&o.lieux, "dirty-1").nom, "Médiathèque");
    assert_eq!(by_id(&o.lieux, "dirty-2").code_postal, "01000");
    assert_eq!(by_id(&o.lieux, "dirty-3").telephone, None);
    assert!(by_id(&o.lieux, "dirty-4").horaires.is_none());
    assert_eq!(
        by_id(&o.lieux, "dirty-6").telephone.as_deref(),
        Some("+33123456789")
    );
    // "48,85" / "2,35" read with a decimal comma is Paris; the row says Reims: dropped
    assert_eq!(by_id(&o.lieux, "dirty-7").position, None);
}

#[test]
fn whole_file_errors() {
    let err = read_bytes("x.csv", b"id,nom\n1,a\n").expect_err("missing columns");
    match err {
        ImportError::MissingColumns { columns, .. } => {
            assert_eq!(columns, ["commune", "code_postal", "adresse", "date_maj"])
        }
        ImportError::Format { .. } => {}
        e => panic!("unexpected {e:?}"),
    }
    let err = read_bytes("x.csv", b"id,nom,services\n1,a,b\n").expect_err("missing columns");
    assert!(matches!(err, ImportError::MissingColumns { .. }), "{err:?}");
    let err = read_bytes("x.json", b"[{\"id\": 1},\n{oops}]").expect_err("bad json");
    assert!(matches!(err, ImportError::Json { line: 2, .. }), "{err:?}");
    let err = read_bytes("x.json", b"{\"id\": 1}").expect_err("not an array");
    assert!(matches!(err, ImportError::GeoJson { .. }), "{err:?}");
    let err = read_bytes(
        "x.geojson",
        b"{\"type\": \"Point\", \"coordinates\": [1, 2]}",
    )
    .expect_err("not a collection");
    assert!(matches!(err, ImportError::Format { .. }), "{err:?}");
    let err = read_path(Path::new("/nonexistent/lieux.csv")).expect_err("io");
    assert!(matches!(err, ImportError::Io { .. }), "{err:?}");
}

fn assert_same_columns(a: &[Lieu], b: &[Lieu]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        for c in V1_COLUMNS {
            assert_eq!(x.column(c), y.column(c), "{} {c}", x.id);
        }
    }
}

#[test]
fn snapshot_round_trip() {
    let Some(d) = shared() else { return };
    let o = read_path(&d.join(FRANCE_SERVICES)).expect("import");
    let dir = temp_dir("round-trip");
    let out = dir.join("fs.fgb");
    write_snapshot(&out, &o.lieux).expect("write");
    assert!(!dir.join("fs.fgb.tmp").exists());
    let bytes = std::fs::read(&out).expect("read");
    let t = std::time::Instant::now();
    let back = read_snapshot(&bytes).expect("read snapshot");
    eprintln!(
        "snapshot: {} places, {} bytes, read in {:?} (debug build)",
        back.len(),
        bytes.len(),
        t.elapsed()
    );
    assert_same_columns(&o.lieux, &back);
    assert_eq!(back.iter().filter(|l| l.position.is_none()).count(), 8);
    assert_eq!(
        back.iter().filter(|l| l.horaires.is_some()).count(),
        o.lieux.iter().filter(|l| l.horaires.is_some()).count()
    );

    // Optional GDAL oracle.
    if let Ok(out_gdal) = std::process::Command::new("ogrinfo")
        .args(["-so", "-al"])
        .arg(&out)
        .output()
    {
        let text = String::from_utf8_lossy(&out_gdal.stdout);
        assert!(text.contains("Feature Count: 2657"), "{text}");
        assert!(text.contains("prise_rdv"), "{text}");
    } else {
        eprintln!("skipping GDAL oracle: ogrinfo not found");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn snapshot_round_trip_fixtures() {
    // Small, always-available round trip (v0 + v1 + GeoJSON shapes, with and without position).
    let mut lieux = read_path(&fixture("dirty-v1.csv")).expect("dirty").lieux;
    lieux.extend(
        read_path(&fixture("lieux-v1.geojson"))
            .expect("geojson")
            .lieux,
    );
    let dir = temp_dir("round-trip-fixtures");
    let out = dir.join("x.fgb");
    write_snapshot(&out, &lieux).expect("write");
    let back = read_snapshot(&std::fs::read(&out).expect("read")).expect("snapshot");
    assert_same_columns(&lieux, &back);
    assert!(read_snapshot(b"not a flatgeobuf").is_err());
    let bytes = std::fs::read(&out).expect("read");
    assert!(read_snapshot(&bytes[..bytes.len() - 10]).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn snapshot_write_is_atomic() {
    let dir = temp_dir("atomic");
    let lieux = read_path(&fixture("dirty-v1.csv")).expect("dirty").lieux;

    // Missing directory: error, nothing created.
    let missing = dir.join("no-such-dir");
    let err = write_snapshot(&missing.join("x.fgb"), &lieux).expect_err("missing dir");
    assert!(matches!(err, ImportError::Write { .. }), "{err:?}");
    assert!(!missing.exists());

    // A failed import (unreadable input) leaves the existing snapshot and report untouched.
    let out = dir.join("lieux.fgb");
    let stats = run_import(&[fixture("dirty-v1.csv")], &out, None, false).expect("import");
    assert_eq!(stats.accepted, 7);
    let report = dir.join("lieux.fgb.report.csv");
    let before = std::fs::read(&out).expect("snapshot");
    let report_before = std::fs::read(&report).expect("report");
    let err = run_import(
        &[fixture("dirty-v1.csv"), dir.join("absent.csv")],
        &out,
        None,
        false,
    )
    .expect_err("unreadable input");
    assert!(matches!(err, ImportError::Io { .. }), "{err:?}");
    assert_eq!(std::fs::read(&out).expect("snapshot"), before);
    assert_eq!(std::fs::read(&report).expect("report"), report_before);

    // Every row rejected: error, nothing touched.
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "id,nom,commune,code_postal,adresse,date_maj,services\n,,,,,,\n",
    )
    .expect("write");
    let err = run_import(&[bad], &out, None, false).expect_err("nothing accepted");
    assert!(
        matches!(err, ImportError::NothingAccepted { .. }),
        "{err:?}"
    );
    assert_eq!(std::fs::read(&out).expect("snapshot"), before);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn run_import_keeps_ids_unique_across_files() {
    let dir = temp_dir("across");
    let out = dir.join("lieux.fgb");
    let report = dir.join("report.csv");
    let stats = run_import(
        &[fixture("dirty-v1.csv"), fixture("dirty-v1.csv")],
        &out,
        Some(&report),
        true,
    )
    .expect("import");
    // The second copy only brings duplicates (and its own row without nom): an id repeated
    // inside one file is renamed, one repeated across files refused.
    assert_eq!(stats.rows, 16);
    assert_eq!(stats.accepted, 7);
    assert_eq!(stats.rejected, 9);
    let lieux = read_snapshot(&std::fs::read(&out).expect("snapshot")).expect("read");
    assert_eq!(lieux.len(), 7);
    let mut r = csv::Reader::from_path(&report).expect("report");
    assert_eq!(
        r.headers().expect("header").iter().collect::<Vec<_>>(),
        [
            "file",
            "line_or_index",
            "id",
            "field",
            "kind",
            "reason",
            "value"
        ]
    );
    let rows = r.records().count();
    // 10 rows for the first copy (dirty-7's position is dropped: a point in Paris for Reims);
    // the second: 7 duplicates + 1 missing nom; then the two rows publishing dirty-1's place
    // again (dirty-3, dirty-4: crate::dedup).
    assert_eq!(rows, 10 + 8 + 2);
    let _ = std::fs::remove_dir_all(&dir);
}

mod repairs;
mod same_report;
