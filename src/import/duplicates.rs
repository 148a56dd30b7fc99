//! Duplicates found inside one import, as `info` rows of its report: the operator sees which
//! rows publish a place already in the file (or in another file of the same import) before the
//! snapshot is served. Nothing is removed: every member is kept, as in the served dataset.
//! The groups are [`crate::dedup`]'s, the same the server builds.

use super::{ReportKind, ReportRow};
use crate::dedup::{Groups, Place, evidence};

/// One `info` row per place of `lieux` that duplicates another one and is not its group's
/// principal; `location` gives the file and line (or JSON index) of a kept place by id.
pub(crate) fn report_rows<P: Place>(
    lieux: &[P],
    location: impl Fn(&str) -> Option<(String, u64)>,
) -> Vec<ReportRow> {
    let groups = Groups::new(lieux);
    let mut rows: Vec<ReportRow> = (0..lieux.len() as u32)
        .filter_map(|slot| {
            let g = groups.of(slot).filter(|g| g.principal != slot)?;
            let lieu = &lieux[slot as usize];
            let principal = &lieux[g.principal as usize];
            let (file, line_or_index) = location(lieu.id()).unwrap_or_default();
            Some(ReportRow {
                file,
                line_or_index,
                id: lieu.id().to_owned(),
                field: "id".into(),
                kind: ReportKind::Info,
                // every member of a group is a duplicate of every other (complete linkage), so
                // of the principal: the evidence says why this pair was joined
                reason: format!(
                    "duplicate of {} (group {}, {} records of one place; {}): kept, listed under {} when exclure_doublons=true",
                    principal.id(),
                    lieux[g.first as usize].id(),
                    g.members,
                    evidence(lieu, principal)
                        .map_or_else(|| "joined through the group".to_owned(), |e| e.to_string()),
                    principal.id()
                ),
                value: lieu.nom().to_owned(),
            })
        })
        .collect();
    rows.sort_by(|a, b| (&a.file, a.line_or_index).cmp(&(&b.file, b.line_or_index)));
    rows
}
