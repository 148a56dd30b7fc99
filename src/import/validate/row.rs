//! The report entries of the row being validated, and its fields read as text, lists and enums
//! (trimmed, mojibake repaired, unknown values dropped), each change reported.

use std::str::FromStr;

use crate::import::{Record, ReportKind, ReportRow, mojibake, split_list};

/// Report entries of the row being validated.
pub(super) struct RowReport<'a> {
    pub file: &'a str,
    pub loc: u64,
    pub id: String,
    pub entries: Vec<ReportRow>,
    pub rejected: bool,
}

impl RowReport<'_> {
    pub fn push(&mut self, field: &str, kind: ReportKind, reason: impl Into<String>, value: &str) {
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
    pub fn text(&mut self, record: &Record, field: &str) -> Option<String> {
        let raw = record.fields.get(field)?;
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return None;
        }
        if trimmed.len() != raw.len() {
            self.push(field, ReportKind::Repaired, "trimmed whitespace", raw);
        }
        // ASCII (most values) has neither a replacement character nor mojibake: one SIMD scan
        if trimmed.is_ascii() {
            return Some(trimmed.to_owned());
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

    pub fn required(&mut self, record: &Record, field: &str) -> Option<String> {
        let v = self.text(record, field);
        if v.is_none() {
            self.push(field, ReportKind::Rejected, "missing required field", "");
        }
        v
    }

    /// A free-text list (`|`-separated; `;` too when `semicolon`), deduplicated in order.
    pub fn list(&mut self, record: &Record, field: &str, semicolon: bool) -> Vec<String> {
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
    pub fn enums<T: FromStr + PartialEq + Copy, C: FromIterator<T>>(
        &mut self,
        record: &Record,
        field: &str,
        alias: impl Fn(&str) -> Option<T>,
    ) -> C {
        let Some(raw) = record.fields.get(field) else {
            return C::from_iter([]);
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
        out.into_iter().collect()
    }
}

pub(super) fn no_alias<T>(_: &str) -> Option<T> {
    None
}
