//! One raw record → a [`Lieu`], field by field (see the policy in [`super`]): required fields,
//! codes, date, pivot, position (through [`crate::import::position::coords`] and
//! [`crate::import::position::place`]), phone, hours, e-mails, enumerated lists.

use std::str::FromStr;

use crate::hours::Horaires;
use crate::model::{FormationLabel, Lieu, Position, PositionOrigine, Text};

use super::PIVOT_PLACEHOLDER;
use super::row::{RowReport, no_alias};
use crate::import::normalize::{
    is_placeholder_date, normalize_code_insee, normalize_code_postal, normalize_pivot,
    normalize_telephone, parse_date, single_spaced,
};
use crate::import::position::resolve::RowCommunes;
use crate::import::position::shapes::CommuneShapes;
use crate::import::position::{coords, place};
use crate::import::report::COORDS;
use crate::import::{Record, ReportKind};

pub(super) fn build(
    record: &Record,
    row: &mut RowReport<'_>,
    communes: Option<&CommuneShapes>,
    today: chrono::NaiveDate,
) -> Option<Lieu> {
    for (field, kind, reason, value) in &record.notes {
        row.push(field, *kind, reason.clone(), value);
    }

    let id = row.required(record, "id");
    let nom = row.required(record, "nom");
    let commune = row.text(record, "commune");
    let adresse = row.text(record, "adresse");

    // missing or invalid: derived from the commune or the position below (see `place`)
    let code_postal =
        row.text(record, "code_postal")
            .and_then(|raw| match normalize_code_postal(&raw) {
                Some(cp) => {
                    if cp != raw {
                        row.push(
                            "code_postal",
                            ReportKind::Repaired,
                            format!("normalised to {cp} (lost leading zero or separators)"),
                            &raw,
                        );
                    }
                    Some(cp)
                }
                None => {
                    row.push(
                        "code_postal",
                        ReportKind::Dropped,
                        "not a 5-digit postcode",
                        &raw,
                    );
                    None
                }
            });

    // missing, unreadable or a placeholder (1970-01-01): the import date, reported
    let date_maj = Some(match row.text(record, "date_maj") {
        None => {
            row.push(
                "date_maj",
                ReportKind::Repaired,
                format!("date_maj_missing: import date {today} used"),
                "",
            );
            today
        }
        Some(raw) => match parse_date(&raw) {
            Some((d, _)) if is_placeholder_date(d) => {
                row.push(
                    "date_maj",
                    ReportKind::Repaired,
                    format!("date_maj_placeholder: {d} is a placeholder, import date {today} used"),
                    &raw,
                );
                today
            }
            Some((d, exact)) => {
                if !exact {
                    row.push(
                        "date_maj",
                        ReportKind::Repaired,
                        format!("converted to the date {}", d.format("%Y-%m-%d")),
                        &raw,
                    );
                }
                d
            }
            None => {
                row.push(
                    "date_maj",
                    ReportKind::Repaired,
                    format!("date_maj_unreadable: not a date, import date {today} used"),
                    &raw,
                );
                today
            }
        },
    });

    let pivot = match record.fields.get("pivot").map(|s| s.trim()) {
        None | Some("") => {
            row.push(
                "pivot",
                ReportKind::Repaired,
                format!("missing pivot: placeholder {PIVOT_PLACEHOLDER}"),
                "",
            );
            PIVOT_PLACEHOLDER.to_owned()
        }
        Some(raw) => {
            let raw = raw.to_owned();
            match normalize_pivot(&raw) {
                Some(p) => {
                    if p != raw {
                        row.push(
                            "pivot",
                            ReportKind::Repaired,
                            "removed spaces and dots",
                            &raw,
                        );
                    }
                    p
                }
                None => {
                    row.push(
                        "pivot",
                        ReportKind::Repaired,
                        format!(
                            "not a SIRET/RNA/RIDET (9 to 14 letters or digits): placeholder {PIVOT_PLACEHOLDER}"
                        ),
                        &raw,
                    );
                    PIVOT_PLACEHOLDER.to_owned()
                }
            }
        }
    };

    let code_insee =
        row.text(record, "code_insee")
            .and_then(|raw| match normalize_code_insee(&raw) {
                Some(c) => {
                    if c != raw {
                        row.push(
                            "code_insee",
                            ReportKind::Repaired,
                            format!("normalised to {c}"),
                            &raw,
                        );
                    }
                    Some(c)
                }
                None => {
                    row.push(
                        "code_insee",
                        ReportKind::Dropped,
                        "not an INSEE commune code",
                        &raw,
                    );
                    None
                }
            });

    // The communes the row names, looked up once for the checks and derivations below. An
    // INSEE code of another département than the postcode is not used for the check; the
    // position decides which of the two is wrong (see `CommuneShapes::contradicted`).
    let row_communes = communes.map(|c| {
        RowCommunes::new(
            c,
            code_insee.as_deref(),
            code_postal.as_deref(),
            commune.as_deref(),
        )
    });
    let contradicted = row_communes.and_then(|r| r.contradicted);
    let (position, position_origine) = position(record, row, row_communes.as_ref());
    let mut drop_code_insee = false;
    if let Some(c) = contradicted {
        let (code, nom) = (&c.code_insee, &c.nom);
        let cp = code_postal.as_deref().unwrap_or("");
        let near = position.map(|p| c.distance_km(p.lon, p.lat) <= coords::MAX_OUTSIDE_KM);
        match near {
            Some(true) => row.push(
                "code_postal",
                ReportKind::Info,
                format!("code_postal_other_departement: {cp} is not a postcode of {code} {nom}, where the position lies"),
                cp,
            ),
            Some(false) => {
                row.push(
                    "code_insee",
                    ReportKind::Dropped,
                    format!("code_insee_other_departement: {code} ({nom}) is of another département than postcode {cp} and the position is not in it"),
                    code,
                );
                drop_code_insee = true;
            }
            None => row.push(
                "code_insee",
                ReportKind::Info,
                format!("code_insee_other_departement: {code} ({nom}) is of another département than postcode {cp}; no position to tell which is right"),
                code,
            ),
        }
    }
    // No INSEE code and no commune of that name in the postcode's département, but some in
    // others: the postcode contradicts the commune (the position, when near one of them, says
    // the postcode is the wrong one).
    if let Some(rc) = row_communes.as_ref().filter(|rc| rc.stated.is_none())
        && let Some(cp) = rc.given_postcode()
        && rc.named_elsewhere().len() > 0
    {
        let near = position.and_then(|p| {
            rc.named_elsewhere()
                .find(|c| c.within_km(p.lon, p.lat, coords::MAX_OUTSIDE_KM))
        });
        let reason = match near {
            Some(c) => format!(
                "code_postal_other_departement: {cp} is not a postcode of {} {}, where the position lies",
                c.code_insee, c.nom
            ),
            None => format!(
                "code_postal_other_departement: no commune {:?} in the département of postcode {cp}; that name is of {}",
                commune.as_deref().unwrap_or(""),
                rc.named_elsewhere()
                    .take(5)
                    .map(|c| format!("{} {}", c.code_insee, c.nom))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        row.push("code_postal", ReportKind::Info, reason, &cp);
    }
    let mut given = place::Given {
        commune,
        code_postal,
        code_insee: code_insee.filter(|_| !drop_code_insee),
        adresse,
        ..Default::default()
    };
    if let Some(rc) = &row_communes {
        place::complete(&mut given, position, rc, &mut |field, kind, reason| {
            row.push(field, kind, reason, "")
        });
    }
    let place::Given {
        commune,
        code_postal,
        code_insee,
        adresse,
        adresse_origine,
        commune_devinee,
    } = given;
    for (field, value) in [
        ("commune", &commune),
        ("adresse", &adresse),
        ("code_postal", &code_postal),
    ] {
        if value.is_none() && !row.rejected {
            row.push(field, ReportKind::Rejected, "missing required field", "");
        }
    }

    let telephone = row.text(record, "telephone").and_then(|raw| {
        let cp = code_postal.as_deref().unwrap_or("");
        match normalize_telephone(&raw, cp) {
            Some(t) => {
                if t != raw {
                    row.push(
                        "telephone",
                        ReportKind::Repaired,
                        format!("international form {t}"),
                        &raw,
                    );
                }
                Some(t)
            }
            None => {
                row.push(
                    "telephone",
                    ReportKind::Dropped,
                    "not a French phone number",
                    &raw,
                );
                None
            }
        }
    });

    let horaires = row.text(record, "horaires").and_then(|raw| {
        match Horaires::from_str(&single_spaced(&raw)) {
            Ok(h) => {
                if h.raw() != raw {
                    row.push(
                        "horaires",
                        ReportKind::Repaired,
                        "collapsed runs of spaces",
                        &raw,
                    );
                }
                Some(h)
            }
            Err(e) => {
                row.push("horaires", ReportKind::Dropped, e.to_string(), &raw);
                None
            }
        }
    });

    let mut courriels = row.list(record, "courriels", true);
    let bad: Vec<String> = courriels
        .iter()
        .filter(|c| !c.contains('@'))
        .cloned()
        .collect();
    if !bad.is_empty() {
        courriels.retain(|c| c.contains('@'));
        row.push(
            "courriels",
            ReportKind::Dropped,
            "not an e-mail address",
            &bad.join("|"),
        );
    }

    let lieu = Lieu {
        complement_adresse: row.text(record, "complement_adresse").map(Text::from),
        typologie: row.enums(record, "typologie", no_alias),
        site_web: row
            .list(record, "site_web", false)
            .into_iter()
            .map(Text::from)
            .collect(),
        presentation_resume: row.text(record, "presentation_resume").map(Text::from),
        presentation_detail: row.text(record, "presentation_detail").map(Text::from),
        source: row.text(record, "source").map(Text::from),
        itinerance: row.enums(record, "itinerance", no_alias),
        structure_parente: row.text(record, "structure_parente").map(Text::from),
        services: row.enums(record, "services", no_alias),
        publics_specifiquement_adresses: row.enums(
            record,
            "publics_specifiquement_adresses",
            no_alias,
        ),
        prise_en_charge_specifique: row.enums(record, "prise_en_charge_specifique", no_alias),
        frais_a_charge: row.enums(record, "frais_a_charge", no_alias),
        dispositif_programmes_nationaux: row.enums(
            record,
            "dispositif_programmes_nationaux",
            no_alias,
        ),
        formations_labels: row.enums(record, "formations_labels", formation_alias),
        autres_formations_labels: row
            .list(record, "autres_formations_labels", false)
            .into_iter()
            .map(Text::from)
            .collect(),
        modalites_acces: row.enums(record, "modalites_acces", no_alias),
        modalites_accompagnement: row.enums(record, "modalites_accompagnement", no_alias),
        fiche_acces_libre: row.text(record, "fiche_acces_libre").map(Text::from),
        prise_rdv: row.text(record, "prise_rdv").map(Text::from),
        courriels: courriels.into_iter().map(Text::from).collect(),
        telephone: telephone.map(Text::from),
        horaires,
        position,
        position_origine,
        adresse_origine,
        commune_devinee,
        code_insee: code_insee.map(Text::from),
        pivot: pivot.into(),
        // Required fields last: `?` only after every field has been reported.
        id: id?.into(),
        nom: nom?.into(),
        commune: commune?.into(),
        adresse: adresse?.into(),
        code_postal: code_postal?.into(),
        date_maj: date_maj?,
    };
    (!row.rejected).then_some(lieu)
}

/// "Étapes numériques (La Poste)" (national library spelling) → the schema value.
fn formation_alias(s: &str) -> Option<FormationLabel> {
    (s == "Étapes numériques (La Poste)").then_some(FormationLabel::EtapesNumeriquesLaPoste)
}

/// The row's position through [`coords::repair`]; each rule that fires is reported.
/// A position kept after a repair rule fired is `reparee`, otherwise `donnees`.
fn position(
    record: &Record,
    row: &mut RowReport<'_>,
    communes: Option<&RowCommunes<'_>>,
) -> (Option<Position>, Option<PositionOrigine>) {
    let get = |f: &str| record.fields.get(f).map(|s| s.trim()).unwrap_or("");
    let (lat, lon) = (get("latitude"), get("longitude"));
    let value = format!("{lat} / {lon}");
    let mut fixes = Vec::new();
    let p = coords::repair(lat, lon, communes, &mut fixes);
    if p.is_none() && fixes.is_empty() {
        row.push(
            COORDS,
            ReportKind::Info,
            "no coordinates: kept without position",
            "",
        );
    }
    let reparee = fixes.iter().any(|(k, _)| *k == ReportKind::Repaired);
    for (kind, reason) in fixes {
        row.push(COORDS, kind, reason, &value);
    }
    (p, p.map(|_| PositionOrigine::producteur(reparee)))
}
