//! One raw record → a [`Lieu`] or a rejection, field by field against schema v1.0.2, with
//! every repair, dropped value and rejection written to the report.
//!
//! Policy: a row is rejected only when a required field (id, nom) is missing, or it says
//! nowhere it is (commune, code_postal and adresse are derived when they can be, see
//! [`super::place`]; a missing, unreadable or placeholder date_maj becomes the import date), or its id was already kept (ids are
//! registered only when a row is kept, so a rejected row does not block a later good one).
//! A missing or invalid `pivot` becomes the producers' placeholder `00000000000000`. An invalid
//! optional value is dropped and the row kept.

use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use crate::hours::Horaires;
use crate::model::PositionOrigine;
use crate::model::{FormationLabel, Lieu, Position};

use super::communes::Communes;
use super::{
    ImportError, ImportOutcome, Parsed, Record, ReportKind, ReportRow, SchemaVersion, SeenIds,
    split_list, v0,
};
use super::{coords, mojibake, place};

/// Placeholder pivot when the producer has none.
pub(crate) const PIVOT_PLACEHOLDER: &str = "00000000000000";

/// Validates every record of a parsed file; `seen` carries ids across files.
pub(crate) fn validate_all(
    file: &str,
    parsed: Parsed,
    seen: &mut SeenIds,
    bar: Option<&indicatif::ProgressBar>,
    communes: Option<&Communes>,
) -> ImportOutcome {
    let mut out = ImportOutcome::default();
    out.lieux.reserve(parsed.records.len());
    seen.begin_file(file);
    let mut validator = Validator {
        file,
        version: parsed.version,
        seen,
        communes,
    };
    for (i, record) in parsed.records.into_iter().enumerate() {
        validator.push(record, &mut out.stats, &mut out.lieux, &mut out.report);
        if let Some(bar) = bar
            && i % 256 == 0
        {
            bar.set_position(i as u64);
        }
    }
    if let Some(bar) = bar {
        bar.set_position(out.stats.rows as u64);
    }
    out
}

/// Validates records one at a time (files too large to hold parsed, see
/// [`super::stream`]): each kept place goes to `lieux`, each report line to `report`.
pub(crate) struct Validator<'a> {
    pub file: &'a str,
    pub version: SchemaVersion,
    pub seen: &'a mut SeenIds,
    pub communes: Option<&'a Communes>,
}

impl Validator<'_> {
    pub(crate) fn push(
        &mut self,
        mut record: Record,
        stats: &mut super::ImportStats,
        lieux: &mut impl Extend<Lieu>,
        report: &mut impl Extend<ReportRow>,
    ) {
        let file = self.file;
        if self.version == SchemaVersion::V0 {
            v0::to_v1(&mut record);
        }
        stats.rows += 1;
        let mut row = Row {
            file,
            loc: record.loc,
            id: record
                .fields
                .get("id")
                .map(|s| s.trim().to_owned())
                .unwrap_or_default(),
            entries: Vec::new(),
            rejected: false,
        };
        let lieu = build(&record, &mut row, self.communes);
        let kept = match lieu {
            Some(mut lieu) => {
                // An id repeated inside one file (an aggregator's sub-sources numbering their
                // rows alike) names another record: it gets a stable derived id. Across files,
                // or when the derived id is taken too (the same record twice), it is refused.
                if let Some((_, l)) = self.seen.get(&lieu.id)
                    && self.seen.in_current_file(&lieu.id)
                {
                    let derived = derived_id(&lieu);
                    if self.seen.get(&derived).is_none() {
                        let reason = format!(
                            "duplicate_id_renamed: id already kept at {l} of this file for another record; this one is {derived} (derived from its name, address and postcode)"
                        );
                        let id = lieu.id.clone();
                        row.push("id", ReportKind::Repaired, reason, &id);
                        lieu.id = derived;
                    }
                }
                if let Some((f, l)) = self.seen.get(&lieu.id) {
                    let reason = format!("duplicate id: already kept from {f} at {l}");
                    let id = lieu.id.clone();
                    row.push("id", ReportKind::Rejected, reason, &id);
                    None
                } else {
                    self.seen.insert(lieu.id.clone(), file, record.loc);
                    Some(lieu)
                }
            }
            None => None,
        };
        match kept {
            Some(lieu) => {
                stats.accepted += 1;
                if lieu.position.is_none() {
                    stats.without_coordinates += 1;
                }
                if row
                    .entries
                    .iter()
                    .any(|e| matches!(e.kind, ReportKind::Repaired | ReportKind::Dropped))
                {
                    stats.repaired += 1;
                }
                report.extend(row.entries);
                lieux.extend(Some(lieu));
            }
            None => {
                stats.rejected += 1;
                // Repairs of a row that is not kept are noise: report why it was rejected.
                report.extend(
                    row.entries
                        .into_iter()
                        .filter(|e| e.kind == ReportKind::Rejected),
                );
            }
        }
    }
}

/// `<id>~<8 hex digits>`: the id of a record whose id is already taken in its file, from a
/// hash (SHA-256) of its name, address, postcode and commune, so that it does not change from
/// one import of the file to the next.
fn derived_id(lieu: &Lieu) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [&lieu.nom, &lieu.adresse, &lieu.code_postal, &lieu.commune] {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    format!("{}~{}", lieu.id, hex::encode(&h.finalize()[..4]))
}

/// Report entries of the row being validated.
struct Row<'a> {
    file: &'a str,
    loc: u64,
    id: String,
    entries: Vec<ReportRow>,
    rejected: bool,
}

impl Row<'_> {
    fn push(&mut self, field: &str, kind: ReportKind, reason: impl Into<String>, value: &str) {
        if kind == ReportKind::Rejected {
            self.rejected = true;
        }
        self.entries.push(ReportRow {
            file: self.file.to_owned(),
            line_or_index: self.loc,
            id: self.id.clone(),
            field: field.to_owned(),
            kind,
            reason: reason.into(),
            value: value.to_owned(),
        });
    }

    /// The trimmed value of `field`, `None` when absent or blank; trimming is reported.
    fn text(&mut self, record: &Record, field: &str) -> Option<String> {
        let raw = record.fields.get(field)?;
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return None;
        }
        if trimmed.len() != raw.len() {
            self.push(field, ReportKind::Repaired, "trimmed whitespace", raw);
        }
        if mojibake::has_replacement(trimmed) {
            self.push(
                field,
                ReportKind::Info,
                "replacement_characters: U+FFFD in the text (characters lost to a wrong encoding upstream); kept as is",
                raw,
            );
        }
        if let Some(fixed) = mojibake::repair(trimmed) {
            self.push(
                field,
                ReportKind::Repaired,
                format!("mojibake: UTF-8 read as Windows-1252 undone ({fixed:?})"),
                raw,
            );
            return Some(fixed);
        }
        Some(trimmed.to_owned())
    }

    fn required(&mut self, record: &Record, field: &str) -> Option<String> {
        let v = self.text(record, field);
        if v.is_none() {
            self.push(field, ReportKind::Rejected, "missing required field", "");
        }
        v
    }

    /// A free-text list (`|`-separated; `;` too when `semicolon`), deduplicated in order.
    fn list(&mut self, record: &Record, field: &str, semicolon: bool) -> Vec<String> {
        let Some(raw) = record.fields.get(field) else {
            return Vec::new();
        };
        let mut out: Vec<String> = Vec::new();
        for item in split_list(raw, semicolon) {
            if !out.iter().any(|o| o == item) {
                out.push(item.to_owned());
            }
        }
        out
    }

    /// An enumerated list: unknown values are dropped (one report entry per field); `alias`
    /// maps known misspellings to the schema value (reported as a repair).
    fn enums<T: FromStr + PartialEq + Copy>(
        &mut self,
        record: &Record,
        field: &str,
        alias: impl Fn(&str) -> Option<T>,
    ) -> Vec<T> {
        let Some(raw) = record.fields.get(field) else {
            return Vec::new();
        };
        let mut out: Vec<T> = Vec::new();
        let mut unknown: Vec<&str> = Vec::new();
        for item in split_list(raw, true) {
            let value = match item.parse::<T>() {
                Ok(v) => Some(v),
                Err(_) => {
                    let a = alias(item);
                    if a.is_some() {
                        self.push(
                            field,
                            ReportKind::Repaired,
                            "variant spelling replaced by the schema value",
                            item,
                        );
                    }
                    a
                }
            };
            match value {
                Some(v) if !out.contains(&v) => out.push(v),
                Some(_) => {}
                None => unknown.push(item),
            }
        }
        if !unknown.is_empty() {
            let value = unknown.join("|");
            self.push(
                field,
                ReportKind::Dropped,
                format!("not an allowed value of {field}"),
                &value,
            );
        }
        out
    }
}

fn no_alias<T>(_: &str) -> Option<T> {
    None
}

fn build(record: &Record, row: &mut Row<'_>, communes: Option<&Communes>) -> Option<Lieu> {
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
            let today = import_date();
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
                let today = import_date();
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
                let today = import_date();
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

    // An INSEE code of another département than the postcode is not used for the check; the
    // position decides which of the two is wrong (see `Communes::contradicted`).
    let contradicted = communes
        .and_then(|c| c.contradicted(code_insee.as_deref(), code_postal.as_deref()))
        .map(|c| (c.code_insee.clone(), c.nom.clone()));
    let place = coords::Place {
        code_insee: code_insee.as_deref().filter(|_| contradicted.is_none()),
        code_postal: code_postal.as_deref(),
        commune: commune.as_deref(),
    };
    let (position, position_origine) = position(record, row, place, communes);
    let mut code_insee = code_insee;
    if let Some((code, nom)) = &contradicted {
        let cp = code_postal.as_deref().unwrap_or("");
        let near = position
            .zip(communes.and_then(|c| c.by_code(code)))
            .map(|(p, c)| c.distance_km(p.lon, p.lat) <= coords::MAX_OUTSIDE_KM);
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
                code_insee = None;
            }
            None => row.push(
                "code_insee",
                ReportKind::Info,
                format!("code_insee_other_departement: {code} ({nom}) is of another département than postcode {cp}; no position to tell which is right"),
                code,
            ),
        }
    }
    let mut given = place::Given {
        commune,
        code_postal,
        code_insee,
        adresse,
    };
    if let Some(communes) = communes {
        place::complete(
            &mut given,
            position,
            communes,
            &mut |field, kind, reason| row.push(field, kind, reason, ""),
        );
    }
    let place::Given {
        commune,
        code_postal,
        code_insee,
        adresse,
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
        complement_adresse: row.text(record, "complement_adresse"),
        typologie: row.enums(record, "typologie", no_alias),
        site_web: row.list(record, "site_web", false),
        presentation_resume: row.text(record, "presentation_resume"),
        presentation_detail: row.text(record, "presentation_detail"),
        source: row.text(record, "source"),
        itinerance: row.enums(record, "itinerance", no_alias),
        structure_parente: row.text(record, "structure_parente"),
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
        autres_formations_labels: row.list(record, "autres_formations_labels", false),
        modalites_acces: row.enums(record, "modalites_acces", no_alias),
        modalites_accompagnement: row.enums(record, "modalites_accompagnement", no_alias),
        fiche_acces_libre: row.text(record, "fiche_acces_libre"),
        prise_rdv: row.text(record, "prise_rdv"),
        courriels,
        telephone,
        horaires,
        position,
        position_origine,
        code_insee,
        pivot,
        // Required fields last: `?` only after every field has been reported.
        id: id?,
        nom: nom?,
        commune: commune?,
        adresse: adresse?,
        code_postal: code_postal?,
        date_maj: date_maj?,
    };
    (!row.rejected).then_some(lieu)
}

/// "Étapes numériques (La Poste)" (national library spelling) → the schema value.
fn formation_alias(s: &str) -> Option<FormationLabel> {
    (s == "Étapes numériques (La Poste)").then_some(FormationLabel::EtapesNumeriquesLaPoste)
}

pub(crate) const COORDS: &str = "latitude,longitude";

/// The row's position through [`super::coords::repair`]; each rule that fires is reported.
/// A position kept after a repair rule fired is `reparee`, otherwise `donnees`.
fn position(
    record: &Record,
    row: &mut Row<'_>,
    place: coords::Place<'_>,
    communes: Option<&Communes>,
) -> (Option<Position>, Option<PositionOrigine>) {
    let get = |f: &str| record.fields.get(f).map(|s| s.trim()).unwrap_or("");
    let (lat, lon) = (get("latitude"), get("longitude"));
    let value = format!("{lat} / {lon}");
    let mut fixes = Vec::new();
    let p = coords::repair(lat, lon, place, communes, &mut fixes);
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

/// `^\d{5}$`, repairing separators, a lost leading zero (4 digits) and a JSON float (`1000.0`).
pub(crate) fn normalize_code_postal(raw: &str) -> Option<String> {
    let s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let s = s.strip_suffix(".0").unwrap_or(&s);
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match s.len() {
        5 => Some(s.to_owned()),
        4 => Some(format!("0{s}")),
        _ => None,
    }
}

/// `^([013-9]\d|2[AB1-9])\d{3}$`, repairing a lost leading zero and a lower-case Corsican code.
pub(crate) fn normalize_code_insee(raw: &str) -> Option<String> {
    let s = raw.trim().to_ascii_uppercase();
    let s = if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
        format!("0{s}")
    } else {
        s
    };
    let b = s.as_bytes();
    let ok = b.len() == 5
        && match (b[0], b[1]) {
            (b'2', b'A' | b'B' | b'1'..=b'9') => true,
            (b'0' | b'1' | b'3'..=b'9', c) => c.is_ascii_digit(),
            _ => false,
        }
        && b[2..].iter().all(u8::is_ascii_digit);
    ok.then_some(s)
}

/// `^[a-zA-Z0-9]{9,14}$`, after removing spaces and dots (SIRET written `123 456 789 00012`).
pub(crate) fn normalize_pivot(raw: &str) -> Option<String> {
    let s: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '.')
        .collect();
    ((9..=14).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(s)
}

const PHONE_PREFIXES: [&str; 10] = [
    "+33", "+590", "+594", "+262", "+596", "+269", "+687", "+689", "+508", "+681",
];

fn valid_telephone(s: &str) -> bool {
    PHONE_PREFIXES.iter().any(|p| {
        s.strip_prefix(p).is_some_and(|rest| {
            (6..=9).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_digit())
        })
    })
}

/// The schema's international form, from national forms (`01 23 45 67 89`, `0590…` with the
/// overseas prefix chosen by postcode) or `0033…`; `None` when not a phone number.
pub(crate) fn normalize_telephone(raw: &str, code_postal: &str) -> Option<String> {
    let s: String = raw
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '.' | '-' | '/' | '(' | ')')))
        .collect();
    let s = match s.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => s,
    };
    // "+33 (0)1 …" written "+3301…"
    let s = match s.strip_prefix("+330") {
        Some(rest) if rest.len() == 9 => format!("+33{rest}"),
        _ => s,
    };
    if s.starts_with('+') {
        return valid_telephone(&s).then_some(s);
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let department = code_postal.get(..3).unwrap_or("");
    let candidate = if s.len() == 10 && s.starts_with('0') {
        let prefix = match department {
            "971" | "977" | "978" => "+590",
            "972" => "+596",
            "973" => "+594",
            "974" | "976" => "+262",
            _ => "+33",
        };
        format!("{prefix}{}", &s[1..])
    } else {
        // Overseas collectivities without a trunk 0.
        let prefix = match department {
            "988" => "+687",
            "987" => "+689",
            "975" => "+508",
            "986" => "+681",
            _ => return None,
        };
        format!("{prefix}{s}")
    };
    valid_telephone(&candidate).then_some(candidate)
}

/// `YYYY-MM-DD` (exact = `true`), or a full ISO date-time / `DD/MM/YYYY` (exact = `false`).
pub(crate) fn parse_date(raw: &str) -> Option<(NaiveDate, bool)> {
    let raw = raw.trim();
    if raw.len() == 10
        && let Ok(d) = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
    {
        return Some((d, true));
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(raw) {
        return Some((dt.date_naive(), false));
    }
    // ISO and slashed year-first date-times (`2020/06/30 14:16:50.898`), French day-first
    // ones (`30/06/2020 14:16`, `30-06-2020`, `30.06.2020`)
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S%.f",
        "%Y/%m/%d %H:%M",
        "%d/%m/%Y %H:%M:%S%.f",
        "%d/%m/%Y %H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(raw, f) {
            return Some((dt.date(), false));
        }
    }
    ["%Y/%m/%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(raw, f).ok())
        .map(|d| (d, false))
}

/// A date no place was updated on: the Unix epoch and the other zeros of spreadsheets and
/// databases (1899-12-30, 1900-01-01, 0001-01-01), any date before 1990.
pub(crate) fn is_placeholder_date(d: NaiveDate) -> bool {
    d < NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or_default()
}

/// The date of an import, for rows whose `date_maj` is missing or unusable.
fn import_date() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Writes the report as CSV: `file,line_or_index,id,field,kind,reason,value`.
pub fn write_report_csv(path: &Path, rows: &[ReportRow]) -> Result<(), ImportError> {
    let mut w = super::stream::ReportWriter::create(path)?;
    w.extend(rows.iter().cloned());
    w.finish()
}

/// `horaires` with each run of whitespace made one space: producers type `Sa  10:00-13:00`,
/// which the opening_hours grammar refuses but whose meaning is plain.
fn single_spaced(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::super::coords::parse_coord;
    use super::*;

    #[test]
    fn horaires_runs_of_spaces_are_collapsed_into_valid_hours() {
        let raw = "Mo-Fr  09:00-12:00,14:00-17:00;  Sa   10:00-13:00";
        let fixed = single_spaced(raw);
        assert_eq!(fixed, "Mo-Fr 09:00-12:00,14:00-17:00; Sa 10:00-13:00");
        assert!(raw.parse::<Horaires>().is_err());
        assert!(Horaires::parse_with_crate(&fixed).is_ok());
    }

    #[test]
    fn telephone_repairs() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("+33180059880", "75001", Some("+33180059880")),
            ("01 80 05 98 80", "75001", Some("+33180059880")),
            ("01.80.05.98.80", "75001", Some("+33180059880")),
            ("0033 1 80 05 98 80", "75001", Some("+33180059880")),
            ("+33 (0)1 80 05 98 80", "75001", Some("+33180059880")),
            ("0590 12 34 56", "97100", Some("+590590123456")),
            ("0590 12 34 56 7", "97100", None), // 11 digits
            ("0696 12 34 56", "97200", Some("+596696123456")),
            ("0696123456", "97200", Some("+596696123456")),
            ("0594123456", "97300", Some("+594594123456")),
            ("0262123456", "97400", Some("+262262123456")),
            ("0269123456", "97600", Some("+262269123456")),
            ("44 57 28", "98800", Some("+687445728")),
            ("123", "75001", None),
            ("not a phone", "75001", None),
            ("+1 555 123 4567", "75001", None),
        ];
        for (raw, cp, expected) in cases {
            assert_eq!(
                normalize_telephone(raw, cp).as_deref(),
                *expected,
                "{raw} ({cp})"
            );
        }
    }

    #[test]
    fn code_repairs() {
        let postcodes: &[(&str, Option<&str>)] = &[
            ("75001", Some("75001")),
            ("1000", Some("01000")),
            ("1000.0", Some("01000")),
            ("75 001", Some("75001")),
            ("750", None),
            ("7500A", None),
        ];
        for (raw, expected) in postcodes {
            assert_eq!(normalize_code_postal(raw).as_deref(), *expected, "{raw}");
        }
        let insee: &[(&str, Option<&str>)] = &[
            ("51454", Some("51454")),
            ("1053", Some("01053")),
            ("2a004", Some("2A004")),
            ("2B033", Some("2B033")),
            ("20004", None), // "20" is not a département (Corsica is 2A/2B)
            ("2C004", None),
            ("0null", None),
            ("123456", None),
        ];
        for (raw, expected) in insee {
            assert_eq!(normalize_code_insee(raw).as_deref(), *expected, "{raw}");
        }
        let pivots: &[(&str, Option<&str>)] = &[
            ("43493312300029", Some("43493312300029")),
            ("434 933 123 00029", Some("43493312300029")),
            ("434.933.123.00029", Some("43493312300029")),
            ("W123456789", Some("W123456789")),
            ("12345", None),
            ("434933123000290", None),
        ];
        for (raw, expected) in pivots {
            assert_eq!(normalize_pivot(raw).as_deref(), *expected, "{raw}");
        }
    }

    #[test]
    fn date_and_coordinate_repairs() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).expect("date");
        let dates: &[(&str, Option<(NaiveDate, bool)>)] = &[
            ("2022-12-01", Some((d(2022, 12, 1), true))),
            ("2022-12-01T10:00:00+01:00", Some((d(2022, 12, 1), false))),
            ("2022-12-01T23:30:00.000Z", Some((d(2022, 12, 1), false))),
            ("2022-12-01 10:00:00", Some((d(2022, 12, 1), false))),
            ("01/12/2022", Some((d(2022, 12, 1), false))),
            ("2020/06/30 14:16:50.898", Some((d(2020, 6, 30), false))),
            ("2020/06/30", Some((d(2020, 6, 30), false))),
            ("30/06/2020 14:16:50", Some((d(2020, 6, 30), false))),
            ("30/06/2020 14:16", Some((d(2020, 6, 30), false))),
            ("30-06-2020", Some((d(2020, 6, 30), false))),
            ("30.06.2020", Some((d(2020, 6, 30), false))),
            ("2020-06-30 14:16", Some((d(2020, 6, 30), false))),
            ("20200630", Some((d(2020, 6, 30), false))),
            (" 2020-06-30 ", Some((d(2020, 6, 30), true))),
            ("2022-13-01", None),
            ("hier", None),
        ];
        for (raw, expected) in dates {
            assert_eq!(parse_date(raw), *expected, "{raw}");
        }
        for placeholder in ["1970-01-01", "1900-01-01", "1899-12-30", "0001-01-01"] {
            let (p, _) = parse_date(placeholder).expect(placeholder);
            assert!(is_placeholder_date(p), "{placeholder}");
        }
        assert!(!is_placeholder_date(d(2014, 5, 2)));
        let coords: &[(&str, Option<(f64, bool)>)] = &[
            ("48.85", Some((48.85, false))),
            ("48,85", Some((48.85, true))),
            ("-0.5", Some((-0.5, false))),
            ("1,234.5", None),
            ("NaN", None),
            ("abc", None),
        ];
        for (raw, expected) in coords {
            assert_eq!(parse_coord(raw), *expected, "{raw}");
        }
    }
}
