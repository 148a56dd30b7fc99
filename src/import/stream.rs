//! `lieux import` without holding whole files in memory (issue 7 benchmark: 1 M raw rows in
//! ≤ 1 GB).
//!
//! - A raw producer file in JSON (`--mapping`) is read through a buffered reader and its array
//!   elements are mapped and validated one at a time ([`each_json_element`]); nothing of the
//!   file is kept but the places accepted. Other files (schema files, CSV) are read whole and
//!   validated record by record as before: they are the sizes producers publish.
//! - Each place accepted goes straight into the snapshot's temp file
//!   ([`crate::snapshot::SnapshotWriter`]) and each report row into `<report>.tmp`
//!   ([`super::report::ReportWriter`]); both are renamed into place only when the import succeeds.
//!
//! Memory is then the ids seen (uniqueness across files) plus one row: 1 M raw rows import in
//! a few hundred MB where holding the places alone took 1.4 GB. A step that needs the whole set
//! (de-duplication across rows) must follow the same rule: keep a compact key per place
//! during the stream and apply its decisions when the snapshot is written, not a `Vec<Lieu>`.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::de::{Deserializer as _, SeqAccess, Visitor};
use serde_json::Value;

use super::raw::mapping::RowMapper;
use super::validate::{RowSink, Validator};
use super::{ImportError, ImportOptions, Record, SeenIds};

/// Raw rows handed from the reader thread to the validating one at a time.
const BATCH: usize = 512;

/// Reads `path` and validates its records into `sink` (row by row, each place with its report
/// lines); `bar` (if any) follows the bytes read.
pub(crate) fn import_path(
    path: &Path,
    options: &ImportOptions,
    seen: &mut SeenIds,
    sink: &mut impl RowSink,
    bar: Option<&indicatif::ProgressBar>,
) -> Result<(), ImportError> {
    let io_err = |source| ImportError::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io_err)?;
    if let (Some(bar), Ok(meta)) = (bar, file.metadata()) {
        bar.set_length(meta.len());
    }
    let mut reader = BufReader::with_capacity(
        1 << 20,
        Counting {
            inner: file,
            bar,
            n: 0,
        },
    );
    let name = path.display().to_string();
    skip_bom(&mut reader).map_err(io_err)?;
    let first = first_non_space(&mut reader).map_err(io_err)?;
    match &options.mapping {
        Some((mapping, mapping_options)) if first == Some(b'[') => {
            seen.begin_file(&name);
            let mut validator = Validator {
                file: &name,
                version: mapping.target(),
                seen,
                communes: Some(options.communes()),
                today: crate::import::normalize::import_date(),
            };
            // Two stages on two threads: parsing and mapping the raw rows here, validating and
            // writing them on the caller's thread (each stage is about half of the work).
            std::thread::scope(|scope| {
                let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Record>>(8);
                let name = name.as_str();
                let reader = scope.spawn(move || {
                    let mut mapper = RowMapper::new(name, mapping, mapping_options);
                    let mut batch = Vec::with_capacity(BATCH);
                    let parsed = each_json_element(name, reader, |i, item| {
                        batch.push(mapper.map_value(i, &item));
                        if batch.len() == BATCH {
                            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                            // The receiver only goes away once this thread is done.
                            let _ = tx.send(full);
                        }
                    });
                    if !batch.is_empty() {
                        let _ = tx.send(batch);
                    }
                    parsed
                });
                for batch in rx {
                    for record in batch {
                        validator.push(record, sink);
                    }
                }
                reader.join().unwrap_or_else(|_| {
                    Err(ImportError::Format {
                        path: PathBuf::from(name),
                        reason: "the reader thread failed".to_owned(),
                    })
                })
            })
        }
        _ => {
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes).map_err(io_err)?;
            let parsed = super::parse_bytes(&name, &bytes, options)?;
            drop(bytes);
            seen.begin_file(&name);
            let mut validator = Validator {
                file: &name,
                version: parsed.version,
                seen,
                communes: Some(options.communes()),
                today: crate::import::normalize::import_date(),
            };
            for record in parsed.records {
                validator.push(record, sink);
            }
            Ok(())
        }
    }
}

/// A reader that moves a progress bar.
struct Counting<'b, R> {
    inner: R,
    bar: Option<&'b indicatif::ProgressBar>,
    n: u64,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n += k as u64;
        if let Some(bar) = self.bar {
            bar.set_position(self.n);
        }
        Ok(k)
    }
}

fn skip_bom(r: &mut impl BufRead) -> std::io::Result<()> {
    if r.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        r.consume(3);
    }
    Ok(())
}

/// The first byte that is not ASCII whitespace, leaving it unread (whitespace is consumed).
fn first_non_space(r: &mut impl BufRead) -> std::io::Result<Option<u8>> {
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let b = buf[i];
                r.consume(i);
                return Ok(Some(b));
            }
            None => {
                let n = buf.len();
                r.consume(n);
            }
        }
    }
}

/// Calls `each(index, element)` for every element of the top-level JSON array read from
/// `reader`, one element in memory at a time.
pub(crate) fn each_json_element(
    name: &str,
    reader: impl Read,
    each: impl FnMut(u64, Value),
) -> Result<(), ImportError> {
    struct Elements<F>(F);
    impl<'de, F: FnMut(u64, Value)> Visitor<'de> for Elements<F> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON array of objects")
        }
        fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
            let mut i = 0;
            while let Some(item) = seq.next_element::<Value>()? {
                (self.0)(i, item);
                i += 1;
            }
            Ok(())
        }
    }
    let json_err = |source: serde_json::Error| ImportError::Json {
        path: PathBuf::from(name),
        line: source.line(),
        column: source.column(),
        source,
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    (&mut de)
        .deserialize_seq(Elements(each))
        .map_err(json_err)?;
    de.end().map_err(json_err)
}
