//! What a streamed import ([`super::stream`]) holds between validation and the snapshot, for
//! the steps that need the whole set: geocoding (batches of the rows without a position) and
//! the duplicates report (every positioned place against every other).
//!
//! - A place with a position goes straight to the snapshot with its report lines; its
//!   [`Fiche`] (the ten fields the duplicate rule reads, a fraction of a place) is kept for the
//!   duplicates report.
//! - With geocoders, a row that waits for them (no position; or its address is the commune's
//!   name, for reverse geocoding) is held in memory with all its report lines and the report's
//!   [`ReportWriter::mark`] where they belong; once geocoded, its lines (as geocoding rewrote
//!   them) go back there. The report CSV thus lists every row's lines together, in file order,
//!   exactly as an in-memory import does.

use crate::dedup::Fiche;
use crate::model::{Lieu, SourceAdresse};

use super::report::ReportWriter;
use super::validate::RowSink;
use super::{ImportOutcome, ImportStats, ReportRow};
use crate::snapshot::SnapshotWriter;

/// The rows of a streamed import on their way to the snapshot and the report.
pub(crate) struct Staging<'a> {
    pub snapshot: &'a mut SnapshotWriter,
    pub report: &'a mut ReportWriter,
    pub geocoding: bool,
    pub fiches: Vec<Fiche>,
    pub stats: ImportStats,
    /// Places waiting for the geocoders, and their report lines.
    pub waiting: ImportOutcome,
    /// Per waiting place (same order as `waiting.lieux`): its file and line, and the report
    /// mark its lines go back to.
    marks: Vec<((String, u64), u64)>,
}

impl<'a> Staging<'a> {
    pub fn new(
        snapshot: &'a mut SnapshotWriter,
        report: &'a mut ReportWriter,
        geocoding: bool,
    ) -> Staging<'a> {
        Staging {
            snapshot,
            report,
            geocoding,
            fiches: Vec::new(),
            stats: ImportStats::default(),
            waiting: ImportOutcome::default(),
            marks: Vec::new(),
        }
    }

    /// Sends one place on to the snapshot (keeping its fiche when it is positioned).
    pub fn write(&mut self, lieu: &Lieu) {
        if lieu.position.is_some() {
            self.fiches.push(Fiche::from(lieu));
        }
        self.snapshot.push(lieu);
    }

    /// Once geocoded (`waiting` as [`super::position::geocoding::place_missing`] left it): the
    /// places go to the snapshot, and each row's report lines back to its mark.
    pub fn flush_waiting(&mut self) {
        let waiting = std::mem::take(&mut self.waiting);
        for lieu in &waiting.lieux {
            self.write(lieu);
        }
        let marks: std::collections::HashMap<(&str, u64), u64> = self
            .marks
            .iter()
            .map(|((f, l), m)| ((f.as_str(), *l), *m))
            .collect();
        // the lines of one row are consecutive (geocoding inserts its own lines in the row's)
        let mut group: Vec<ReportRow> = Vec::new();
        let mut groups: Vec<(u64, Vec<ReportRow>)> = Vec::new();
        for row in waiting.report {
            let same = group
                .last()
                .is_some_and(|g| g.file == row.file && g.line_or_index == row.line_or_index);
            if !same && !group.is_empty() {
                let g = std::mem::take(&mut group);
                groups.push((
                    marks
                        .get(&(g[0].file.as_str(), g[0].line_or_index))
                        .copied()
                        .unwrap_or(u64::MAX),
                    g,
                ));
            }
            group.push(row);
        }
        if !group.is_empty() {
            groups.push((
                marks
                    .get(&(group[0].file.as_str(), group[0].line_or_index))
                    .copied()
                    .unwrap_or(u64::MAX),
                group,
            ));
        }
        // stable: rows of one mark keep their order; a line of no waiting row goes last
        groups.sort_by_key(|(m, _)| *m);
        let end = self.report.mark();
        for (mark, rows) in groups {
            self.report.insert_at(mark.min(end), rows);
        }
        self.marks.clear();
    }
}

impl RowSink for Staging<'_> {
    fn stats(&mut self) -> &mut ImportStats {
        &mut self.stats
    }

    fn row(&mut self, lieu: Option<Lieu>, report: Vec<ReportRow>) {
        match lieu {
            // waiting: no position (geocoding), or the commune name for address (reverse
            // geocoding)
            Some(lieu)
                if self.geocoding
                    && (lieu.position.is_none()
                        || lieu.adresse_origine == Some(SourceAdresse::Commune)) =>
            {
                let mark = self.report.mark();
                let key = report
                    .first()
                    .map(|r| (r.file.clone(), r.line_or_index))
                    .unwrap_or_default();
                self.marks.push((key, mark));
                self.waiting.lieux.push(lieu);
                self.waiting.report.extend(report);
            }
            lieu => {
                if let Some(lieu) = lieu {
                    self.write(&lieu);
                }
                self.report.extend(report);
            }
        }
    }
}
