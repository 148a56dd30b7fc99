//! The import report: one [`ReportRow`] per repair, dropped value, rejection or remark, and its
//! CSV form (`file,line_or_index,id,field,kind,reason,value`), written row by row by
//! [`ReportWriter`] as the rows are validated (`lieux import`) or at once by
//! [`write_report_csv`].

use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::ImportError;

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
    w: Option<::csv::Writer<BufWriter<File>>>,
    error: Option<std::io::Error>,
    /// The rows written so far, counted for the end-of-import summary.
    pub summary: super::ReportSummary,
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
            w: Some(::csv::Writer::from_writer(BufWriter::with_capacity(
                1 << 16,
                file,
            ))),
            error: None,
            summary: super::ReportSummary::default(),
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

    /// Flushes and renames the report into place.
    pub fn finish(mut self) -> Result<(), ImportError> {
        let err = |source| ImportError::Write {
            path: self.path.clone(),
            source,
        };
        if let Some(e) = self.error.take() {
            return Err(err(e));
        }
        let w = self
            .w
            .take()
            .ok_or_else(|| err(std::io::ErrorKind::Other.into()))?;
        let mut inner = w.into_inner().map_err(|e| err(e.into_error()))?;
        inner.flush().map_err(err)?;
        drop(inner);
        std::fs::rename(&self.tmp, &self.path).map_err(err)
    }
}

impl Extend<ReportRow> for ReportWriter {
    fn extend<I: IntoIterator<Item = ReportRow>>(&mut self, rows: I) {
        for r in rows {
            self.summary.add(&r.field, r.kind, &r.reason);
            let line = r.line_or_index.to_string();
            self.write(&[
                r.file.as_str(),
                &line,
                &r.id,
                &r.field,
                r.kind.as_str(),
                &r.reason,
                &r.value,
            ]);
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
