//! After validation: the rows kept without a usable position go through the import's
//! geocoders in order (BAN, then the commune fallback); each placed row gets its position and
//! its [`PositionOrigine`](crate::model::PositionOrigine), and one `info` line in the report
//! naming the rule (`geocoded_ban`, `commune_fallback`) or saying that no geocoder placed it
//! (`not_geocoded`).

use std::collections::HashMap;
use std::sync::Arc;

use crate::geocode::{AddressQuery, GeocodeHit, Geocoder, SourcePosition};

use super::shapes::CommuneShapes;

use crate::import::report::COORDS;
use crate::import::{ImportError, ImportOutcome, ReportKind, ReportRow, SeenIds, progress_bar};

/// Reason of the validator's entry for a row without coordinates (replaced once geocoded).
const NO_COORDINATES: &str = "no coordinates";

fn reason(hit: &GeocodeHit) -> String {
    let o = hit.origine;
    match o.source {
        SourcePosition::Commune => format!(
            "commune_fallback: placed at a point inside its commune {} (precision {})",
            hit.label, o.precision
        ),
        _ => format!(
            "geocoded_{}: {:?} ({}{})",
            o.source,
            hit.label,
            o.precision,
            o.score
                .map(|s| format!(", score {s:.2}"))
                .unwrap_or_default()
        ),
    }
}

/// A row whose commune was a guess among the communes of its postcode
/// (`commune_from_postcode_ambiguous`, see [`super::place`]) takes the commune the geocoder
/// found the address in (BAN's `result_citycode`), reported as `commune_from_geocoder`.
fn settle_commune(
    out: &mut ImportOutcome,
    seen: &SeenIds,
    i: usize,
    hit: &GeocodeHit,
    communes: &CommuneShapes,
) {
    let lieu = &out.lieux[i];
    let Some(code) = hit.citycode.as_deref() else {
        return;
    };
    let (file, loc) = seen.location(&lieu.id).unwrap_or_default();
    if lieu.code_insee.as_deref() == Some(code) {
        return;
    }
    let Some(c) = communes.by_code(code) else {
        return;
    };
    let row = ReportRow {
        file,
        line_or_index: loc,
        id: lieu.id.clone(),
        field: "commune".to_owned(),
        kind: ReportKind::Repaired,
        reason: format!(
            "commune_from_geocoder: {} {} (the geocoder found the address there; the postcode alone named several communes)",
            c.code_insee, c.nom
        ),
        value: lieu.commune.clone(),
    };
    let lieu = &mut out.lieux[i];
    lieu.commune = c.nom.clone();
    lieu.code_insee = Some(c.code_insee.clone());
    if lieu.adresse == row.value {
        // the address was the guessed commune's name
        lieu.adresse = c.nom.clone();
    }
    out.report.push(row);
}

/// Is `row` the validator's "no coordinates" line of a kept row (the line geocoding replaces)?
pub(crate) fn is_no_coordinates(row: &ReportRow) -> bool {
    row.field == COORDS && row.kind == ReportKind::Info && row.reason.starts_with(NO_COORDINATES)
}

/// Places what it can of `out`'s rows without position; `seen` gives each kept id its file and
/// line for the report. A geocoder failure (server unreachable, bad answer) fails the import.
pub(crate) fn place_missing(
    out: &mut ImportOutcome,
    seen: &SeenIds,
    geocoders: &[Arc<dyn Geocoder>],
    communes: &CommuneShapes,
    show_progress: bool,
) -> Result<(), ImportError> {
    let mut remaining: Vec<usize> = (0..out.lieux.len())
        .filter(|&i| out.lieux[i].position.is_none())
        .collect();
    if geocoders.is_empty() || remaining.is_empty() {
        return Ok(());
    }
    // The validator's "no coordinates" line of each row, to be replaced by what happened.
    let mut no_coords: HashMap<(String, u64), usize> = HashMap::new();
    for (k, r) in out.report.iter().enumerate() {
        if is_no_coordinates(r) {
            no_coords.insert((r.file.clone(), r.line_or_index), k);
        }
    }
    // rows whose commune is a guess among the communes of their postcode
    let guessed: std::collections::HashSet<String> = out
        .report
        .iter()
        .filter(|r| r.field == "commune" && r.reason.starts_with(super::place::COMMUNE_GUESSED))
        .map(|r| r.id.clone())
        .collect();
    let mut note = |out: &mut ImportOutcome, i: usize, reason: String| {
        let lieu = &out.lieux[i];
        let (file, loc) = seen.location(&lieu.id).unwrap_or_default();
        let row = ReportRow {
            value: AddressQuery::of(lieu).text(),
            file,
            line_or_index: loc,
            id: lieu.id.clone(),
            field: COORDS.to_owned(),
            kind: ReportKind::Info,
            reason,
        };
        match no_coords.remove(&(row.file.clone(), row.line_or_index)) {
            Some(k) => out.report[k] = row,
            None => out.report.push(row),
        }
    };

    for g in geocoders {
        if remaining.is_empty() {
            break;
        }
        // a guessed commune is no filter: the geocoder is asked the address and postcode alone
        let queries: Vec<AddressQuery> = remaining
            .iter()
            .map(|&i| {
                let mut q = AddressQuery::of(&out.lieux[i]);
                if guessed.contains(&out.lieux[i].id) {
                    q.commune.clear();
                    q.code_insee = None;
                }
                q
            })
            .collect();
        let bar =
            show_progress.then(|| progress_bar(queries.len(), format!("geocoding ({})", g.name())));
        let hits = g.geocode(&queries, &|n| {
            if let Some(bar) = &bar {
                bar.inc(n);
            }
        })?;
        if let Some(bar) = bar {
            bar.finish();
        }
        let mut still = Vec::new();
        for (&i, hit) in remaining.iter().zip(hits) {
            match hit {
                Some(hit) => {
                    if guessed.contains(&out.lieux[i].id) {
                        settle_commune(out, seen, i, &hit, communes);
                    }
                    let lieu = &mut out.lieux[i];
                    lieu.position = Some(hit.position);
                    lieu.position_origine = Some(hit.origine);
                    out.stats.without_coordinates = out.stats.without_coordinates.saturating_sub(1);
                    note(out, i, reason(&hit));
                }
                None => still.push(i),
            }
        }
        let s = g.stats();
        tracing::info!(
            geocoder = g.name(),
            rows = queries.len(),
            placed = queries.len() - still.len(),
            requests = s.requests,
            cache_hits = s.cache_hits,
            "geocoding done"
        );
        remaining = still;
    }
    let names: Vec<&str> = geocoders.iter().map(|g| g.name()).collect();
    for i in remaining {
        note(
            out,
            i,
            format!(
                "not_geocoded: no geocoder placed this address ({}); kept without position",
                names.join(", ")
            ),
        );
    }
    Ok(())
}
