//! Reading places from files: schema v1 CSV / JSON / GeoJSON and v0 JSON / CSV, validated and
//! repaired field by field, written to the FlatGeobuf snapshot the server loads
//! ([`crate::snapshot`]).
//!
//! Pipeline: one module per format ([`format`]: `csv`, `json`, `geojson`) turns a file into raw
//! records (field → string, with the CSV line or JSON index); `v0` renames and maps the values of
//! the older schema; `validate` turns each raw record into a
//! [`Lieu`] or a rejection, and writes every repair into the report. [`crate::snapshot`] writes
//! and reads the snapshot.
//!
//! Whole-file failures (I/O, not CSV/JSON at all, missing required columns) are
//! [`ImportError`]s; a bad row is not an error, it goes to the report.

mod duplicates;
mod format;
mod merge;
mod mojibake;
mod normalize;
pub mod position;
mod raw;
mod report;
mod staging;
mod stream;
mod summary;
mod validate;

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::model::Lieu;
use crate::snapshot::SnapshotError;

pub use crate::snapshot::{SnapshotWriter, encode_indexed};
pub use merge::merge_by_source;
pub use position::coords::MAX_OUTSIDE_KM;
pub use position::shapes::{CommuneShape, CommuneShapes, CommuneShapesError};
pub use raw::hours_fr::{
    Unclear as UnclearHours, parse_day as parse_day_hours, parse_week as parse_week_hours,
};
pub use raw::rules::{Mapping, MappingError, MappingOptions};
pub use report::{ReportKind, ReportRow, write_report_csv};
pub use summary::ReportSummary;

/// Failure of a whole file (a bad row is not an error: it goes to the report).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a valid CSV file (line {line})")]
    Csv {
        path: PathBuf,
        line: u64,
        #[source]
        source: ::csv::Error,
    },
    #[error("{path}: not valid JSON (line {line}, column {column})")]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}: not a valid GeoJSON FeatureCollection")]
    GeoJson {
        path: PathBuf,
        #[source]
        source: Box<::geojson::Error>,
    },
    #[error("{path}: {reason}")]
    Format { path: PathBuf, reason: String },
    #[error("{path}: missing required columns: {}", columns.join(", "))]
    MissingColumns { path: PathBuf, columns: Vec<String> },
    #[error("no place accepted from {}: every row was rejected (see the report)", files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    NothingAccepted { files: Vec<PathBuf> },
    #[error("invalid snapshot: {0}")]
    Snapshot(String),
    #[error(transparent)]
    Mapping(#[from] MappingError),
    #[error(transparent)]
    Communes(#[from] CommuneShapesError),
    #[error(transparent)]
    Geocode(#[from] crate::geocode::GeocodeError),
}

impl From<SnapshotError> for ImportError {
    /// The snapshot's errors as the import has always reported them.
    fn from(e: SnapshotError) -> ImportError {
        match e {
            SnapshotError::Invalid(reason) => ImportError::Snapshot(reason),
            SnapshotError::Write { path, source } => ImportError::Write { path, source },
            SnapshotError::Read(source) => ImportError::Snapshot(format!("cannot read: {source}")),
        }
    }
}

/// Reads a snapshot ([`crate::snapshot::read_snapshot`]), failing with an [`ImportError`].
pub fn read_snapshot(bytes: &[u8]) -> Result<Vec<Lieu>, ImportError> {
    Ok(crate::snapshot::read_snapshot(bytes)?)
}

/// Writes a snapshot atomically ([`crate::snapshot::write_snapshot`]), failing with an
/// [`ImportError`].
pub fn write_snapshot(path: &Path, lieux: &[Lieu]) -> Result<(), ImportError> {
    Ok(crate::snapshot::write_snapshot(path, lieux)?)
}

/// What an import applies beyond the schema: a producer mapping (raw files), coordinate checks.
#[derive(Debug, Default)]
pub struct ImportOptions {
    /// Raw producer files are mapped with this config (`--mapping`) instead of being read as
    /// schema files.
    pub mapping: Option<(Mapping, MappingOptions)>,
    /// Commune polygons (`--communes`) replacing the embedded shapes
    /// ([`CommuneShapes::embedded`]) that every import checks positions against (swapped axes,
    /// points far outside their commune or postcode), see [`position::coords`].
    pub communes: Option<CommuneShapes>,
    /// Geocoders tried in order on the rows kept without a usable position (`--geocoder`);
    /// none: such rows stay without position.
    pub geocoders: Vec<std::sync::Arc<dyn crate::geocode::Geocoder>>,
}

impl ImportOptions {
    /// The commune shapes positions are checked against: `--communes`, else the embedded ones.
    pub fn communes(&self) -> &CommuneShapes {
        self.communes
            .as_ref()
            .unwrap_or_else(|| CommuneShapes::embedded())
    }
}

/// Schema version of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaVersion {
    /// v0.1.0: `;` lists, `labels_nationaux`, `conditions_acces`, `publics_accueillis`, …
    V0,
    /// v1.0.2: `|` lists, the 32 columns of [`crate::model::V1_COLUMNS`].
    V1,
}

/// Row counts of an import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportStats {
    /// Rows (records, features) read.
    pub rows: usize,
    /// Rows kept.
    pub accepted: usize,
    /// Kept rows with at least one repaired or dropped value.
    pub repaired: usize,
    /// Rows not kept.
    pub rejected: usize,
    /// Kept rows without a usable position (kept in the dataset, not in the spatial index).
    pub without_coordinates: usize,
}

impl std::fmt::Display for ImportStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} rows: {} kept ({} with repairs, {} without coordinates), {} rejected",
            self.rows, self.accepted, self.repaired, self.without_coordinates, self.rejected
        )
    }
}

/// The result of reading one or more files.
#[derive(Debug, Default)]
pub struct ImportOutcome {
    pub lieux: Vec<Lieu>,
    pub report: Vec<ReportRow>,
    pub stats: ImportStats,
}

/// A record's fields (foldhash: SipHash on a dozen keys a row showed in the import's profile).
pub(crate) type RecordFields = HashMap<String, String, foldhash::fast::RandomState>;

/// A raw record: field name → value as text, before validation.
#[derive(Debug, Clone, Default)]
pub(crate) struct Record {
    /// CSV line (header = 1) or 0-based JSON index.
    pub loc: u64,
    pub fields: RecordFields,
    /// Remarks of the format reader (e.g. a non-Point GeoJSON geometry): (field, kind, reason, value).
    pub notes: Vec<(String, ReportKind, String, String)>,
}

/// A parsed file, before validation.
pub(crate) struct Parsed {
    pub version: SchemaVersion,
    pub records: Vec<Record>,
}

/// Id uniqueness across the files of one import: id → (file, line_or_index) of the kept row.
#[derive(Debug, Default)]
pub(crate) struct SeenIds {
    /// File names, each once (an id points at its file by index: 1 M ids do not hold 1 M
    /// copies of the file name).
    files: Vec<String>,
    /// foldhash: every row looks its id up two or three times (SipHash showed in profiles).
    ids: HashMap<String, (u32, u64), foldhash::fast::RandomState>,
}

impl SeenIds {
    /// Where `id` was kept: (file, line_or_index).
    pub(crate) fn get(&self, id: &str) -> Option<(&str, u64)> {
        let (f, loc) = self.ids.get(id)?;
        Some((self.files.get(*f as usize).map_or("", String::as_str), *loc))
    }

    /// [`SeenIds::get`], owned.
    pub(crate) fn location(&self, id: &str) -> Option<(String, u64)> {
        self.get(id).map(|(f, l)| (f.to_owned(), l))
    }

    /// Starts a file: ids kept from now on belong to it (the same path given twice is two
    /// files).
    pub(crate) fn begin_file(&mut self, file: &str) {
        self.files.push(file.to_owned());
    }

    /// Was `id` kept from the file being read?
    pub(crate) fn in_current_file(&self, id: &str) -> bool {
        self.ids
            .get(id)
            .is_some_and(|(f, _)| *f as usize + 1 == self.files.len())
    }

    pub(crate) fn insert(&mut self, id: String, file: &str, loc: u64) {
        if self.files.last().map(String::as_str) != Some(file) {
            self.files.push(file.to_owned());
        }
        let f = (self.files.len() - 1) as u32;
        self.ids.insert(id, (f, loc));
    }
}

fn parse_bytes(name: &str, bytes: &[u8], options: &ImportOptions) -> Result<Parsed, ImportError> {
    if let Some((mapping, mapping_options)) = &options.mapping {
        return raw::mapping::parse_raw(name, bytes, mapping, mapping_options);
    }
    format::parse(name, bytes)
}

/// Reads one file (`.csv`, `.json`, `.geojson`; v0 or v1, detected from the content).
pub fn read_path(path: &Path) -> Result<ImportOutcome, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io {
        path: path.to_owned(),
        source,
    })?;
    read_bytes(&path.display().to_string(), &bytes)
}

/// Reads one file already in memory; `name` chooses the format by its extension and names the
/// file in the report.
pub fn read_bytes(name: &str, bytes: &[u8]) -> Result<ImportOutcome, ImportError> {
    read_bytes_with(name, bytes, &ImportOptions::default())
}

/// [`read_bytes`] with a mapping and coordinate checks.
pub fn read_bytes_with(
    name: &str,
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<ImportOutcome, ImportError> {
    let parsed = parse_bytes(name, bytes, options)?;
    let mut seen = SeenIds::default();
    let mut out = validate::validate_all(name, parsed, &mut seen, None, Some(options.communes()));
    position::geocoding::place_missing(
        &mut out,
        &seen,
        &options.geocoders,
        options.communes(),
        false,
    )?;
    out.report
        .extend(duplicates::report_rows(&out.lieux, |id| seen.location(id)));
    Ok(out)
}

/// `lieux import`: reads every file (ids unique across files: later duplicates are rejected),
/// writes the snapshot atomically to `out` and the report CSV to `report` (default
/// `<out>.report.csv`). `progress` shows a bar per file on stderr when it is a terminal.
///
/// Nothing is written when a file cannot be read or when every row is rejected.
pub fn run_import(
    files: &[PathBuf],
    out: &Path,
    report: Option<&Path>,
    progress: bool,
) -> Result<ImportStats, ImportError> {
    run_import_with(files, out, report, progress, &ImportOptions::default())
}

/// [`run_import`] with a mapping and coordinate checks.
pub fn run_import_with(
    files: &[PathBuf],
    out: &Path,
    report: Option<&Path>,
    progress: bool,
    options: &ImportOptions,
) -> Result<ImportStats, ImportError> {
    run_import_summarised(files, out, report, progress, options).map(|(stats, _)| stats)
}

/// [`run_import_with`], and the summary of the report rows it wrote (counted as they were
/// written: the same numbers as [`ReportSummary::of_csv`] on the report file).
pub fn run_import_summarised(
    files: &[PathBuf],
    out: &Path,
    report: Option<&Path>,
    progress: bool,
    options: &ImportOptions,
) -> Result<(ImportStats, ReportSummary), ImportError> {
    let show = progress && std::io::stderr().is_terminal();
    let report_path = match report {
        Some(p) => p.to_owned(),
        None => {
            let mut s = out.as_os_str().to_owned();
            s.push(".report.csv");
            PathBuf::from(s)
        }
    };
    // Files are streamed (see `stream`): the report goes to a temp file as rows are validated
    // and is renamed into place only once the snapshot is written, so a file that cannot be
    // read still leaves nothing behind.
    let mut report = report::ReportWriter::create(&report_path)?;
    // Places go straight into the snapshot's temp file: 1 M places never sit in memory (see
    // `staging` for what waits for geocoding and the duplicates report).
    let mut snapshot = SnapshotWriter::create(out)?;
    let geocoding = !options.geocoders.is_empty();
    let mut staging = staging::Staging::new(&mut snapshot, &mut report, geocoding);
    let mut seen = SeenIds::default();
    for path in files {
        let bar = show.then(|| {
            let bar = indicatif::ProgressBar::new(0);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{msg} [{bar:40}] {bytes}/{total_bytes} ({elapsed})",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(path.display().to_string());
            bar
        });
        stream::import_path(path, options, &mut seen, &mut staging, bar.as_ref())?;
        if let Some(bar) = bar {
            bar.finish();
        }
    }

    // Geocoding: the rows that waited, with their report lines, which then go back in place.
    staging.waiting.stats = staging.stats;
    position::geocoding::place_missing(
        &mut staging.waiting,
        &seen,
        &options.geocoders,
        options.communes(),
        show,
    )?;
    let stats = staging.waiting.stats;
    staging.flush_waiting();
    let duplicates = duplicates::report_rows(&staging.fiches, |id| seen.location(id));
    drop(staging);
    report.extend(duplicates);
    drop(seen);

    if snapshot.count() == 0 {
        return Err(ImportError::NothingAccepted {
            files: files.to_vec(),
        });
    }
    snapshot.finish()?;
    // The report comes second: if it cannot be written the new snapshot is already in place
    // (complete and valid), and the error says which file failed.
    let summary = std::mem::take(&mut report.summary);
    report.finish()?;
    Ok((stats, summary))
}

/// The import's progress bar on stderr: `msg [=====>    ] pos/len rows (elapsed)`.
pub(crate) fn progress_bar(len: usize, msg: String) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} rows ({elapsed})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(msg);
    bar
}

/// Splits a list value on the v1 separator `|` (and `;` when `v0_too`), trimming items and
/// dropping empty ones.
pub(crate) fn split_list(value: &str, v0_too: bool) -> impl Iterator<Item = &str> {
    value
        .split(move |c| c == '|' || (v0_too && c == ';'))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}
