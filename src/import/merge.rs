//! Merging an import into the places already served (`POST /v1/imports`, and any caller that
//! replaces one source's places): with a source name, only that source's places are replaced
//! and a new row may not take the id of a place another source keeps; without one, the import
//! replaces everything.

use std::collections::HashSet;

use super::{ImportOutcome, ReportKind, ReportRow};
use crate::model::Lieu;

/// The places to serve after importing `outcome` (read from the file `name`) over `current`.
/// With `source`, every imported place gets `source = NAME`, the current places of other
/// sources are kept, and imported rows whose id such a place holds are moved to the report as
/// rejected (the counts of `outcome.stats` follow). Without it, the imported places alone.
pub fn merge_by_source(
    current: &[Lieu],
    outcome: &mut ImportOutcome,
    name: &str,
    source: Option<&str>,
) -> Vec<Lieu> {
    let Some(src) = source else {
        return outcome.lieux.clone();
    };
    for l in &mut outcome.lieux {
        l.source = Some(src.into());
    }
    let mut all: Vec<Lieu> = current
        .iter()
        .filter(|l| l.source.as_deref() != Some(src))
        .cloned()
        .collect();
    reject_taken_ids(outcome, &all, name, src);
    all.extend(outcome.lieux.iter().cloned());
    all
}

/// With a source, a new row may not take the id of a place another source keeps.
fn reject_taken_ids(outcome: &mut ImportOutcome, kept: &[Lieu], name: &str, src: &str) {
    let taken: HashSet<&str> = kept.iter().map(|l| l.id.as_str()).collect();
    let before = outcome.lieux.len();
    let mut rejected = Vec::new();
    outcome.lieux.retain(|l| {
        let free = !taken.contains(l.id.as_str());
        if !free {
            rejected.push(l.id.to_string());
        }
        free
    });
    for id in rejected {
        outcome.report.push(ReportRow {
            file: name.to_owned(),
            line_or_index: 0,
            reason: format!("id already used by a place of another source (not {src:?})"),
            field: "id".to_owned(),
            kind: ReportKind::Rejected,
            value: id.clone(),
            id,
        });
    }
    let n = before - outcome.lieux.len();
    outcome.stats.accepted -= n;
    outcome.stats.rejected += n;
}
