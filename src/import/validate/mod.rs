//! One raw record → a [`Lieu`] or a rejection, field by field against schema v1.0.2, with
//! every repair, dropped value and rejection written to the report.
//!
//! Policy: a row is rejected only when a required field (id, nom) is missing, or it says
//! nowhere it is (commune, code_postal and adresse are derived when they can be, see
//! [`super::position::place`]; a missing, unreadable or placeholder date_maj becomes the import date), or its id was already kept (ids are
//! registered only when a row is kept, so a rejected row does not block a later good one).
//! A missing or invalid `pivot` becomes the producers' placeholder `00000000000000`. An invalid
//! optional value is dropped and the row kept.

mod fields;
mod row;

use crate::model::Lieu;

use super::format::v0;
use super::position::shapes::CommuneShapes;
use super::{ImportOutcome, Parsed, Record, ReportKind, ReportRow, SchemaVersion, SeenIds};
use fields::build;
use row::RowReport;

/// Placeholder pivot when the producer has none.
pub(crate) const PIVOT_PLACEHOLDER: &str = "00000000000000";

/// Validates every record of a parsed file; `seen` carries ids across files.
pub(crate) fn validate_all(
    file: &str,
    parsed: Parsed,
    seen: &mut SeenIds,
    bar: Option<&indicatif::ProgressBar>,
    communes: Option<&CommuneShapes>,
) -> ImportOutcome {
    let mut out = ImportOutcome::default();
    out.lieux.reserve(parsed.records.len());
    seen.begin_file(file);
    let mut validator = Validator {
        file,
        version: parsed.version,
        seen,
        communes,
        today: crate::import::normalize::import_date(),
    };
    for (i, record) in parsed.records.into_iter().enumerate() {
        validator.push(record, &mut out);
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

/// Where validated rows go, one row at a time: the place kept (if any) together with the
/// row's report lines, so that a row's lines stay together whatever happens to it later
/// (geocoding, see [`super::staging`]).
pub(crate) trait RowSink {
    /// The row counts, updated by the validator.
    fn stats(&mut self) -> &mut super::ImportStats;
    /// One validated row: its place when kept, and its report lines.
    fn row(&mut self, lieu: Option<Lieu>, report: Vec<ReportRow>);
}

impl RowSink for ImportOutcome {
    fn stats(&mut self) -> &mut super::ImportStats {
        &mut self.stats
    }

    fn row(&mut self, lieu: Option<Lieu>, report: Vec<ReportRow>) {
        self.lieux.extend(lieu);
        self.report.extend(report);
    }
}

/// Validates records one at a time (files too large to hold parsed, see
/// [`super::stream`]): each row goes to a [`RowSink`].
pub(crate) struct Validator<'a> {
    pub file: &'a str,
    pub version: SchemaVersion,
    pub seen: &'a mut SeenIds,
    pub communes: Option<&'a CommuneShapes>,
    /// The import date, for rows whose `date_maj` is missing or unusable (read once per file,
    /// not once per row).
    pub today: chrono::NaiveDate,
}

impl Validator<'_> {
    pub(crate) fn push(&mut self, mut record: Record, sink: &mut impl RowSink) {
        let file = self.file;
        if self.version == SchemaVersion::V0 {
            v0::to_v1(&mut record);
        }
        sink.stats().rows += 1;
        let mut row = RowReport {
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
        let lieu = build(&record, &mut row, self.communes, self.today);
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
                        lieu.id = derived.into();
                    }
                }
                if let Some((f, l)) = self.seen.get(&lieu.id) {
                    let reason = format!("duplicate id: already kept from {f} at {l}");
                    let id = lieu.id.clone();
                    row.push("id", ReportKind::Rejected, reason, &id);
                    None
                } else {
                    self.seen.insert(lieu.id.to_string(), file, record.loc);
                    Some(lieu)
                }
            }
            None => None,
        };
        match kept {
            Some(lieu) => {
                let stats = sink.stats();
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
                sink.row(Some(lieu), row.entries);
            }
            None => {
                sink.stats().rejected += 1;
                // Repairs of a row that is not kept are noise: report why it was rejected.
                let mut entries = row.entries;
                entries.retain(|e| e.kind == ReportKind::Rejected);
                sink.row(None, entries);
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
