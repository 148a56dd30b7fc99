//! CSV input (v1 `|` lists, or v0 `;` lists), `,` or `;` delimited, UTF-8 (invalid bytes are
//! replaced, not fatal). Each record keeps its line number in the file (header = line 1).

use std::path::PathBuf;

use super::{REQUIRED_COLUMNS, version_from_keys};
use crate::import::{ImportError, Parsed, Record, SchemaVersion};

/// The delimiter: `;` when the header line has more `;` than `,` (French spreadsheet exports).
fn sniff_delimiter(bytes: &[u8]) -> u8 {
    let first = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let semi = first.iter().filter(|b| **b == b';').count();
    let comma = first.iter().filter(|b| **b == b',').count();
    if semi > comma { b';' } else { b',' }
}

/// A CSV file read record by record: its header (byte-order mark and spaces trimmed), then each
/// record with the line it starts on. Shared by schema files and raw producer files (mapping).
pub(crate) struct Records<'a> {
    name: &'a str,
    reader: ::csv::Reader<&'a [u8]>,
    lines: LineCounter<'a>,
    record: ::csv::ByteRecord,
    pub(crate) header: Vec<String>,
}

impl<'a> Records<'a> {
    /// Opens `bytes` (`name` for errors), `,` or `;` delimited, rows of any length.
    pub(crate) fn open(name: &'a str, bytes: &'a [u8]) -> Result<Records<'a>, ImportError> {
        let mut reader = ::csv::ReaderBuilder::new()
            .delimiter(sniff_delimiter(bytes))
            .flexible(true)
            .has_headers(true)
            .from_reader(bytes);
        let header = reader
            .byte_headers()
            .map_err(|source| ImportError::Csv {
                path: PathBuf::from(name),
                line: 1,
                source,
            })?
            .iter()
            .map(|h| {
                let h = String::from_utf8_lossy(h);
                h.trim_start_matches('\u{feff}').trim().to_owned()
            })
            .collect();
        Ok(Records {
            name,
            reader,
            lines: LineCounter::new(bytes),
            record: ::csv::ByteRecord::new(),
            header,
        })
    }

    /// The next record and its 1-based line, `None` at the end.
    pub(crate) fn next_record(&mut self) -> Result<Option<(u64, &::csv::ByteRecord)>, ImportError> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => Ok(None),
            Ok(true) => {
                let start = self.record.position().map(|p| p.byte() as usize);
                Ok(Some((self.lines.line_of(start.unwrap_or(0)), &self.record)))
            }
            Err(source) => Err(ImportError::Csv {
                path: PathBuf::from(self.name),
                line: source.position().map(|p| p.line()).unwrap_or(0),
                source,
            }),
        }
    }
}

pub(crate) fn parse(name: &str, bytes: &[u8]) -> Result<Parsed, ImportError> {
    let path = || PathBuf::from(name);
    let mut rows = Records::open(name, bytes)?;
    let header = rows.header.clone();

    let version = version_from_keys(header.iter().map(String::as_str))
        .or_else(|| {
            header
                .iter()
                .any(|h| h == "services")
                .then_some(SchemaVersion::V1)
        })
        .ok_or_else(|| ImportError::Format {
            path: path(),
            reason: "header names no column of the lieux de médiation numérique schema (v0 or v1)"
                .to_owned(),
        })?;
    let missing: Vec<String> = REQUIRED_COLUMNS
        .iter()
        .filter(|c| !header.iter().any(|h| h == *c))
        .map(|c| (*c).to_owned())
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns {
            path: path(),
            columns: missing,
        });
    }

    let mut records = Vec::new();
    while let Some((loc, row)) = rows.next_record()? {
        let mut fields = crate::import::RecordFields::default();
        fields.reserve(header.len());
        for (h, v) in header.iter().zip(row.iter()) {
            if h.is_empty() || v.is_empty() {
                continue;
            }
            fields.insert(h.clone(), String::from_utf8_lossy(v).into_owned());
        }
        records.push(Record {
            loc,
            fields,
            notes: Vec::new(),
        });
    }
    Ok(Parsed { version, records })
}

/// Line numbers from byte offsets. The csv crate's record position points at the end of the
/// previous record (its line terminator, or blank lines skipped before the record), so its
/// `line()` is one short; the first byte of the record is found by skipping line breaks.
pub(crate) struct LineCounter<'a> {
    bytes: &'a [u8],
    /// Bytes before `at` have been counted.
    at: usize,
    /// Line number at `at` (1-based).
    line: u64,
}

impl<'a> LineCounter<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        LineCounter {
            bytes,
            at: 0,
            line: 1,
        }
    }

    /// The 1-based line of the first non-line-break byte at or after `offset`; offsets must not
    /// decrease between calls.
    pub(crate) fn line_of(&mut self, offset: usize) -> u64 {
        let mut start = offset.max(self.at);
        while matches!(self.bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let upto = start.min(self.bytes.len());
        self.line += self.bytes[self.at..upto]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        self.at = upto;
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_lines() {
        let cases: &[(&str, &[u64])] = &[
            (
                "id,nom,commune,code_postal,adresse,date_maj,services\na\nb\n",
                &[2, 3],
            ),
            (
                "id,nom,commune,code_postal,adresse,date_maj,services\r\na\r\nb\r\n",
                &[2, 3],
            ),
            // a quoted field over two lines, then a blank line
            (
                "id,nom,commune,code_postal,adresse,date_maj,services\n\"a\nA\",x\n\nb,y\nc",
                &[2, 5, 6],
            ),
        ];
        for (text, expected) in cases {
            let parsed = parse("t.csv", text.as_bytes()).expect("csv");
            let lines: Vec<u64> = parsed.records.iter().map(|r| r.loc).collect();
            assert_eq!(&lines, expected, "{text:?}");
        }
    }
}
