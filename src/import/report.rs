//! The import report: one [`ReportRow`] per repair, dropped value, rejection or remark, and its
//! CSV form (`file,line_or_index,id,field,kind,reason,value`), written row by row by
//! [`ReportWriter`] as the rows are validated (`lieux import`) or at once by
//! [`write_report_csv`].

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{ImportError, ImportStats};

/// The report's field for a row's position (its `latitude` and `longitude` columns).
pub(crate) const COORDS: &str = "latitude,longitude";

/// What happened to a field (or a whole row) during import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportKind {
    /// The row was not kept.
    Rejected,
    /// The value was corrected; the row was kept.
    Repaired,
    /// An invalid optional value was dropped; the row was kept.
    Dropped,
    /// Worth knowing, nothing was changed (no coordinates, v0 value with no v1 equivalent, …).
    Info,
}

impl ReportKind {
    /// The word written in the report CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Rejected => "rejected",
            ReportKind::Repaired => "repaired",
            ReportKind::Dropped => "dropped",
            ReportKind::Info => "info",
        }
    }
}

impl fmt::Display for ReportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of the import report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    /// File name as given to the import.
    pub file: String,
    /// CSV: line number in the file (header = line 1); JSON/GeoJSON: 0-based index in the array.
    pub line_or_index: u64,
    /// The row's `id` (may be empty when missing).
    pub id: String,
    /// Schema field concerned (v1 name), or `row`.
    pub field: String,
    pub kind: ReportKind,
    /// What was wrong and what was done.
    pub reason: String,
    /// The value as found in the input.
    pub value: String,
}

/// The report CSV, written row by row to `<path>.tmp` and renamed over `path` by
/// [`ReportWriter::finish`]; dropped unfinished, the temp file is removed. A write error is
/// kept and returned by `finish` (rows are pushed through [`Extend`], which cannot fail).
pub struct ReportWriter {
    path: PathBuf,
    tmp: PathBuf,
    w: Option<::csv::Writer<Counted<BufWriter<File>>>>,
    /// Rows to insert into what was written, at byte offsets of it ([`ReportWriter::mark`]):
    /// the lines of rows that waited for the geocoders, put back in their rows' place.
    inserts: Vec<(u64, Vec<ReportRow>)>,
    error: Option<std::io::Error>,
    /// The rows written so far, counted for the end-of-import summary.
    pub summary: ReportSummary,
}

impl ReportWriter {
    pub fn create(path: &Path) -> Result<ReportWriter, ImportError> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let file = File::create(&tmp).map_err(|source| ImportError::Write {
            path: path.to_owned(),
            source,
        })?;
        let mut out = ReportWriter {
            path: path.to_owned(),
            tmp,
            w: Some(::csv::Writer::from_writer(Counted {
                inner: BufWriter::with_capacity(1 << 16, file),
                n: 0,
            })),
            inserts: Vec::new(),
            error: None,
            summary: ReportSummary::default(),
        };
        out.write(&[
            "file",
            "line_or_index",
            "id",
            "field",
            "kind",
            "reason",
            "value",
        ]);
        Ok(out)
    }

    fn write(&mut self, record: &[&str]) {
        if self.error.is_some() {
            return;
        }
        if let Some(w) = &mut self.w
            && let Err(e) = w.write_record(record)
        {
            self.error = Some(e.into());
        }
    }

    /// Where the next row will be written: rows given to [`ReportWriter::insert_at`] with
    /// this mark are written there, before what follows (in the file [`ReportWriter::finish`]
    /// renames into place).
    pub(crate) fn mark(&mut self) -> u64 {
        let Some(w) = &mut self.w else { return 0 };
        // the csv writer's buffer into the counter (which does not flush the file)
        if let Err(e) = w.flush() {
            self.error.get_or_insert(e);
        }
        w.get_ref().n
    }

    /// Rows to write at `mark` (marks in increasing order), counted in the summary now.
    pub(crate) fn insert_at(&mut self, mark: u64, rows: Vec<ReportRow>) {
        for r in &rows {
            self.summary.add(&r.field, r.kind, &r.reason);
        }
        self.inserts.push((mark, rows));
    }

    /// Flushes and renames the report into place.
    pub fn finish(mut self) -> Result<(), ImportError> {
        let path = self.path.clone();
        let err = |source| ImportError::Write {
            path: path.clone(),
            source,
        };
        if let Some(e) = self.error.take() {
            return Err(err(e));
        }
        let w = self
            .w
            .take()
            .ok_or_else(|| err(std::io::ErrorKind::Other.into()))?;
        let mut inner = w.into_inner().map_err(|e| err(e.into_error()))?.inner;
        inner.flush().map_err(err)?;
        drop(inner);
        if !self.inserts.is_empty() {
            self.splice().map_err(err)?;
        }
        std::fs::rename(&self.tmp, &self.path).map_err(err)
    }

    /// Rewrites the temp file with the inserted rows at their marks (a copy of the written
    /// bytes between them: no CSV is parsed again).
    fn splice(&mut self) -> std::io::Result<()> {
        let mut merged = self.tmp.clone().into_os_string();
        merged.push(".merge");
        let merged = PathBuf::from(merged);
        let result = (|| {
            use std::io::Read;
            let mut from = File::open(&self.tmp)?;
            let mut to = File::create(&merged)?;
            let mut at = 0;
            for (mark, rows) in std::mem::take(&mut self.inserts) {
                std::io::copy(&mut (&mut from).take(mark - at), &mut to)?;
                at = mark;
                let mut w = ::csv::Writer::from_writer(BufWriter::new(&mut to));
                for r in &rows {
                    w.write_record(r.fields().iter().map(|f| f.as_bytes()))?;
                }
                w.flush()?;
            }
            std::io::copy(&mut from, &mut to)?;
            to.flush()
        })();
        match result {
            Ok(()) => std::fs::rename(&merged, &self.tmp),
            Err(e) => {
                let _ = std::fs::remove_file(&merged);
                Err(e)
            }
        }
    }
}

/// A writer that counts the bytes written to it; its `flush` does not flush `inner` (only
/// [`ReportWriter::finish`] does), so that [`ReportWriter::mark`] costs no system call.
struct Counted<W> {
    inner: W,
    n: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let k = self.inner.write(buf)?;
        self.n += k as u64;
        Ok(k)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl ReportRow {
    /// The row's CSV fields, in the report's column order.
    fn fields(&self) -> [Cow<'_, str>; 7] {
        [
            Cow::Borrowed(self.file.as_str()),
            Cow::Owned(self.line_or_index.to_string()),
            Cow::Borrowed(self.id.as_str()),
            Cow::Borrowed(self.field.as_str()),
            Cow::Borrowed(self.kind.as_str()),
            Cow::Borrowed(self.reason.as_str()),
            Cow::Borrowed(self.value.as_str()),
        ]
    }
}

impl Extend<ReportRow> for ReportWriter {
    fn extend<I: IntoIterator<Item = ReportRow>>(&mut self, rows: I) {
        for r in rows {
            self.summary.add(&r.field, r.kind, &r.reason);
            let fields = r.fields();
            self.write(&fields.each_ref().map(|f| f.as_ref()));
        }
    }
}

impl Drop for ReportWriter {
    fn drop(&mut self) {
        if self.w.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes the report as CSV: `file,line_or_index,id,field,kind,reason,value`.
pub fn write_report_csv(path: &Path, rows: &[ReportRow]) -> Result<(), ImportError> {
    let mut w = ReportWriter::create(path)?;
    w.extend(rows.iter().cloned());
    w.finish()
}

// ---- The end-of-import summary ----
// The end-of-import summary: rows read, kept as is, kept with repairs (by field and rule),
// kept without position, rejected (by reason), duplicates. It is counted from the report rows
// themselves, so it always says the same as the report: `lieux import` counts the rows as it
// writes them to the CSV (reading the CSV back cost 4 % of a 200 000-row import),
// `POST /v1/imports` counts the rows of its JSON report.

/// Counts per (field, rule) of each kind of report row.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReportSummary {
    /// Values repaired, by `field: rule`.
    pub repaired: BTreeMap<String, usize>,
    /// Optional values dropped, by `field: rule`.
    pub dropped: BTreeMap<String, usize>,
    /// Rows rejected, by `field: reason` (one row may have several).
    pub rejected: BTreeMap<String, usize>,
    /// Rows kept as duplicates of another row of the import (see [`crate::dedup`]).
    pub duplicates: usize,
}

/// The rule of a report reason: its identifier before `:` (`outside_commune: 9.0 km…` →
/// `outside_commune`), else its first words up to one that carries a value (a number, a quoted
/// or `+` value, an opening-hours day code): `normalised to 01000 (…)` → `normalised to`,
/// `per-day hours converted to Mo-Fr …` → `per-day hours converted to`.
///
/// Borrowed from `reason` (no allocation) unless its words are separated by more than one space:
/// every report row goes through it.
fn rule(reason: &str) -> Cow<'_, str> {
    if reason.starts_with("duplicate of ") {
        return Cow::Borrowed("duplicate");
    }
    if let Some((head, _)) = reason.split_once(':')
        && !head.contains(' ')
    {
        return Cow::Borrowed(head);
    }
    // the rule's words as a range of `reason`, and whether they are single-spaced there
    let (mut start, mut end, mut count, mut letters) = (None, 0, 0, 0);
    for w in reason.split_whitespace() {
        let first = w.chars().next().unwrap_or(' ');
        let day_code = first.is_uppercase() && (w.len() <= 2 || w.contains(['-', ',']));
        if first.is_ascii_digit() || "\"+(«".contains(first) || day_code {
            break;
        }
        // byte offset of `w` in `reason` (split_whitespace yields subslices)
        let at = w.as_ptr() as usize - reason.as_ptr() as usize;
        let (w, last) = match w.strip_suffix(':') {
            Some(head) => (head, true),
            None => (w, false),
        };
        start.get_or_insert(at);
        end = at + w.len();
        count += 1;
        letters += w.len();
        if last || count == 5 {
            break;
        }
    }
    let Some(start) = start else {
        return Cow::Borrowed("");
    };
    let span = &reason[start..end];
    let single_spaced = span.len() == letters + count - 1
        && span.bytes().filter(|&b| b == b' ').count() == count - 1;
    if single_spaced {
        Cow::Borrowed(span)
    } else {
        Cow::Owned(span.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

impl ReportSummary {
    /// Counts one report row.
    pub fn add(&mut self, field: &str, kind: ReportKind, reason: &str) {
        let map = match kind {
            ReportKind::Repaired => &mut self.repaired,
            ReportKind::Dropped => &mut self.dropped,
            ReportKind::Rejected => &mut self.rejected,
            ReportKind::Info if reason.starts_with("duplicate of ") => {
                self.duplicates += 1;
                return;
            }
            ReportKind::Info => return,
        };
        // `field: rule`, looked up in a reused buffer: allocated only for a new key (a million
        // rows, a few dozen keys)
        thread_local! {
            static KEY: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        let rule = rule(reason);
        KEY.with_borrow_mut(|key| {
            key.clear();
            key.push_str(field);
            key.push_str(": ");
            key.push_str(&rule);
            match map.get_mut(key.as_str()) {
                Some(n) => *n += 1,
                None => {
                    map.insert(key.clone(), 1);
                }
            }
        });
    }

    /// The summary of report rows in memory.
    pub fn of_rows(rows: &[ReportRow]) -> ReportSummary {
        let mut s = ReportSummary::default();
        for r in rows {
            s.add(&r.field, r.kind, &r.reason);
        }
        s
    }

    /// The summary of a report CSV written by an import.
    pub fn of_csv(path: &Path) -> Result<ReportSummary, ImportError> {
        let io = |source| ImportError::Io {
            path: path.to_owned(),
            source,
        };
        let mut rdr = ::csv::Reader::from_path(path).map_err(|e| io(std::io::Error::other(e)))?;
        let mut s = ReportSummary::default();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| io(std::io::Error::other(e)))?;
            let kind = match rec.get(4).unwrap_or("") {
                "repaired" => ReportKind::Repaired,
                "dropped" => ReportKind::Dropped,
                "rejected" => ReportKind::Rejected,
                _ => ReportKind::Info,
            };
            s.add(rec.get(3).unwrap_or(""), kind, rec.get(5).unwrap_or(""));
        }
        Ok(s)
    }

    /// The summary as text, after the row counts of `stats`.
    pub fn render(&self, stats: &ImportStats) -> String {
        let mut out = format!(
            "{} rows read\n  kept as is            {}\n  kept with repairs     {}\n  kept without position {}\n  rejected              {}\n  duplicates (kept)     {}\n",
            stats.rows,
            stats.accepted - stats.repaired,
            stats.repaired,
            stats.without_coordinates,
            stats.rejected,
            self.duplicates
        );
        for (title, map) in [
            ("repairs", &self.repaired),
            ("dropped values", &self.dropped),
            ("rejections", &self.rejected),
        ] {
            if map.is_empty() {
                continue;
            }
            out.push_str(&format!("{title}:\n"));
            let mut by_count: Vec<_> = map.iter().collect();
            by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            for (k, n) in by_count {
                out.push_str(&format!("  {n:>7}  {k}\n"));
            }
        }
        out
    }
}

#[cfg(test)]
mod summary_tests {
    use super::*;

    #[test]
    fn rules_group_reasons_without_their_values() {
        assert_eq!(
            rule("normalised to 01000 (lost leading zero or separators)"),
            "normalised to"
        );
        assert_eq!(
            rule("per-day hours converted to Mo-Fr 09:00-12:00"),
            "per-day hours converted to"
        );
        assert_eq!(
            rule("not a French phone number"),
            "not a French phone number"
        );
        assert_eq!(
            rule("missing pivot: placeholder 00000000000000"),
            "missing pivot"
        );
        assert_eq!(
            rule("international form +33123456789"),
            "international form"
        );
        assert_eq!(
            rule("outside_commune: 9.0 km outside 42023 Bourg-Argental"),
            "outside_commune"
        );
        assert_eq!(rule("missing required field"), "missing required field");
        // borrowed when single-spaced, rebuilt otherwise: the same rule either way
        assert!(matches!(rule("missing required field"), Cow::Borrowed(_)));
        assert_eq!(rule("missing  required\tfield"), "missing required field");
        assert_eq!(
            rule("missing\u{a0}required field: x"),
            "missing required field"
        );
        assert_eq!(
            rule("duplicate of fs-1 (group fs-1, 2 records of one place; …)"),
            "duplicate"
        );
        let mut s = ReportSummary::default();
        s.add(
            "code_postal",
            ReportKind::Repaired,
            "normalised to 01000 (lost leading zero)",
        );
        s.add(
            "code_postal",
            ReportKind::Repaired,
            "normalised to 02000 (lost leading zero)",
        );
        s.add("nom", ReportKind::Rejected, "missing required field");
        s.add(
            "id",
            ReportKind::Info,
            "duplicate of x (group x, 2 records of one place)",
        );
        s.add(
            "latitude,longitude",
            ReportKind::Info,
            "no coordinates: kept without position",
        );
        assert_eq!(s.repaired["code_postal: normalised to"], 2);
        assert_eq!(s.rejected["nom: missing required field"], 1);
        assert_eq!(s.duplicates, 1);
        assert!(s.dropped.is_empty());
    }
}
