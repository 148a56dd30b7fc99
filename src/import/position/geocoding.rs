//! After validation: the rows kept without a usable position go through the import's
//! geocoders in order (BAN, then the commune fallback); each placed row gets its position and
//! its [`PositionOrigine`](crate::model::PositionOrigine), and one `info` line in the report
//! naming the rule (`geocoded_ban`, `commune_fallback`) or saying that no geocoder placed it
//! (`not_geocoded`).

use std::collections::HashMap;
use std::sync::Arc;

use crate::geocode::{AddressQuery, GeocodeHit, Geocoder, SourcePosition};
use crate::model::{Position, SourceAdresse};

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
/// found the address in (BAN's `result_citycode`), reported as `commune_from_geocoder`: the
/// report line is returned, for the caller to put among the row's lines.
fn settle_commune(
    out: &mut ImportOutcome,
    seen: &SeenIds,
    i: usize,
    hit: &GeocodeHit,
    communes: &CommuneShapes,
) -> Option<ReportRow> {
    let lieu = &out.lieux[i];
    let code = hit.citycode.as_deref()?;
    let (file, loc) = seen.location(&lieu.id).unwrap_or_default();
    if lieu.code_insee.as_deref() == Some(code) {
        // the geocoder confirms the guess
        out.lieux[i].commune_devinee = false;
        return None;
    }
    let c = communes.by_code(code)?;
    let row = ReportRow {
        file,
        line_or_index: loc,
        id: lieu.id.to_string(),
        field: "commune".to_owned(),
        kind: ReportKind::Repaired,
        reason: format!(
            "commune_from_geocoder: {} {} (the geocoder found the address there; the postcode alone named several communes)",
            c.code_insee, c.nom
        ),
        value: lieu.commune.to_string(),
    };
    let lieu = &mut out.lieux[i];
    lieu.commune = c.nom.as_str().into();
    lieu.commune_devinee = false;
    lieu.code_insee = Some(c.code_insee.as_str().into());
    if lieu.adresse == row.value {
        // the address was the guessed commune's name
        lieu.adresse = c.nom.as_str().into();
    }
    Some(row)
}

/// Puts each of `extra` after the last report line of its row (same file and line), or at the
/// end when the row has none: a row's lines stay together.
fn insert_in_rows(report: &mut Vec<ReportRow>, extra: Vec<ReportRow>) {
    if extra.is_empty() {
        return;
    }
    let mut pending: HashMap<(String, u64), Vec<ReportRow>> = HashMap::new();
    for r in extra {
        pending
            .entry((r.file.clone(), r.line_or_index))
            .or_default()
            .push(r);
    }
    let old = std::mem::take(report);
    let n = old.len();
    let mut it = old.into_iter().peekable();
    report.reserve(n + pending.len());
    while let Some(r) = it.next() {
        let last_of_row = it
            .peek()
            .is_none_or(|next| next.file != r.file || next.line_or_index != r.line_or_index);
        let key = (r.file.clone(), r.line_or_index);
        report.push(r);
        if last_of_row && let Some(rows) = pending.remove(&key) {
            report.extend(rows);
        }
    }
    let mut rest: Vec<ReportRow> = pending.into_values().flatten().collect();
    rest.sort_by(|a, b| (&a.file, a.line_or_index).cmp(&(&b.file, b.line_or_index)));
    report.extend(rest);
}

/// Is `row` the validator's `adresse_from_commune` line (a row kept without street address, the
/// commune name standing for it), which reverse geocoding replaces?
pub(crate) fn is_address_from_commune(row: &ReportRow) -> bool {
    row.field == "adresse" && row.reason.starts_with(super::place::ADDRESS_FROM_COMMUNE)
}

/// Rows kept with a position and no street address (`adresse_from_commune`): the first geocoder
/// that reverse geocodes ([`Geocoder::reverse`]) gives them the address at their point
/// (`adresse_from_reverse_geocoding`). Found nothing near, or failed (server down, timeout): the
/// commune name stays, and the row's report line says why. Never fails the import.
fn reverse_addresses(
    out: &mut ImportOutcome,
    seen: &SeenIds,
    geocoders: &[Arc<dyn Geocoder>],
    show_progress: bool,
) {
    let lines: HashMap<(&str, u64), usize> = out
        .report
        .iter()
        .enumerate()
        .filter(|(_, r)| is_address_from_commune(r))
        .map(|(k, r)| ((r.file.as_str(), r.line_or_index), k))
        .collect();
    if lines.is_empty() {
        return;
    }
    // (place, its report line, its position)
    let rows: Vec<(usize, usize, Position)> = out
        .lieux
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let p = l.position?;
            let (file, loc) = seen.get(&l.id)?;
            Some((i, *lines.get(&(file, loc))?, p))
        })
        .collect();
    let points: Vec<Position> = rows.iter().map(|r| r.2).collect();
    for g in geocoders {
        let bar = show_progress
            .then(|| progress_bar(points.len(), format!("reverse geocoding ({})", g.name())));
        let answer = g.reverse(&points, &|n| {
            if let Some(bar) = &bar {
                bar.inc(n);
            }
        });
        if let Some(bar) = bar {
            bar.finish();
        }
        let Some(answer) = answer else {
            continue;
        };
        let hits = match answer {
            Ok(hits) => hits,
            Err(e) => {
                tracing::warn!(geocoder = g.name(), "reverse geocoding failed: {e}");
                for &(_, k, _) in &rows {
                    out.report[k].reason.push_str(&format!(
                        "; reverse geocoding failed ({e}): the commune name is kept"
                    ));
                }
                return;
            }
        };
        let mut found = 0;
        for (&(i, k, _), hit) in rows.iter().zip(hits) {
            let line = &mut out.report[k];
            match hit {
                Some(h) => {
                    found += 1;
                    line.reason = format!(
                        "adresse_from_reverse_geocoding: no street address, {:?} found {:.0} m from the position ({}: {})",
                        h.adresse,
                        h.distance_m,
                        g.name(),
                        h.label
                    );
                    out.lieux[i].adresse = h.adresse.into();
                    out.lieux[i].adresse_origine = Some(SourceAdresse::GeocodageInverse);
                }
                None => line.reason.push_str(&format!(
                    "; reverse geocoding ({}) found no address within {} m",
                    g.name(),
                    crate::geocode::reverse::MAX_REVERSE_M
                )),
            }
        }
        tracing::info!(
            geocoder = g.name(),
            rows = rows.len(),
            found,
            "reverse geocoding done"
        );
        return;
    }
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
    reverse_addresses(out, seen, geocoders, show_progress);
    let geocoders: Vec<&Arc<dyn Geocoder>> = geocoders.iter().filter(|g| g.places()).collect();
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
    // the lines of rows that had no "no coordinates" line (their position was dropped), put
    // among their rows' lines at the end
    let mut appended = Vec::new();
    let mut note = |out: &mut ImportOutcome, i: usize, reason: String| {
        let lieu = &out.lieux[i];
        let (file, loc) = seen.location(&lieu.id).unwrap_or_default();
        let row = ReportRow {
            value: AddressQuery::of(lieu).text(),
            file,
            line_or_index: loc,
            id: lieu.id.to_string(),
            field: COORDS.to_owned(),
            kind: ReportKind::Info,
            reason,
        };
        match no_coords.remove(&(row.file.clone(), row.line_or_index)) {
            Some(k) => out.report[k] = row,
            None => appended.push(row),
        }
    };

    // the commune_from_geocoder lines, put among their rows' lines at the end
    let mut settled = Vec::new();
    for &g in &geocoders {
        if remaining.is_empty() {
            break;
        }
        // a guessed commune is no filter: the geocoder is asked the address and postcode alone
        let queries: Vec<AddressQuery> = remaining
            .iter()
            .map(|&i| {
                let mut q = AddressQuery::of(&out.lieux[i]);
                if out.lieux[i].commune_devinee {
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
                    if out.lieux[i].commune_devinee {
                        settled.extend(settle_commune(out, seen, i, &hit, communes));
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
    settled.extend(appended);
    insert_in_rows(&mut out.report, settled);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::sync::Arc;
    use std::time::Duration;

    use crate::geocode::Geocoder;
    use crate::geocode::ban::{BanGeocoder, BanOptions};
    use crate::geocode::offline::CommuneGeocoder;
    use crate::import::{ImportOptions, ReportKind, read_bytes_with};

    /// A server that answers every request with HTTP 500 (`hang`: never answers), on a free
    /// port of 127.0.0.1; serves until the test process exits.
    fn failing_server(hang: bool) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { continue };
                std::thread::spawn(move || {
                    // the whole request (until the client pauses), then the answer
                    let _ = s.set_read_timeout(Some(Duration::from_millis(300)));
                    let mut buf = [0u8; 65536];
                    while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
                    if hang {
                        std::thread::sleep(Duration::from_secs(30));
                    } else {
                        let _ = s.write_all(
                            b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 4\r\nconnection: close\r\n\r\noops",
                        );
                    }
                });
            }
        });
        url
    }

    /// A row with coordinates in Angers and no address, imported through a reverse geocoder
    /// that fails: the row is kept, with the commune name for address, and the report says so.
    #[test]
    fn a_failing_reverse_geocoder_loses_no_row() {
        let csv = "id,nom,commune,code_postal,adresse,date_maj,latitude,longitude,services\n\
                   1,Mairie annexe,Angers,49000,,2024-01-01,47.4711,-0.5511,\n\
                   2,Médiathèque,Angers,49000,1 rue de la Paix,2024-01-01,47.4711,-0.5511,\n";
        for hang in [false, true] {
            let options = BanOptions {
                timeout: Duration::from_secs(2),
                ..BanOptions::default()
            };
            let ban = BanGeocoder::new(&failing_server(hang), None, options).expect("client");
            let geocoders: Vec<Arc<dyn Geocoder>> =
                vec![Arc::new(ban), Arc::new(CommuneGeocoder::embedded())];
            let options = ImportOptions {
                geocoders,
                ..ImportOptions::default()
            };
            let out = read_bytes_with("fail.csv", csv.as_bytes(), &options).expect("import");
            assert_eq!(out.lieux.len(), 2, "hang {hang}");
            let row = out.lieux.iter().find(|l| l.id == "1").expect("row 1 kept");
            assert_eq!(row.adresse, "Angers");
            assert!(row.position.is_some());
            let line = out
                .report
                .iter()
                .find(|r| r.id == "1" && r.field == "adresse")
                .expect("address line");
            assert_eq!(line.kind, ReportKind::Repaired);
            assert!(
                line.reason.starts_with("adresse_from_commune:")
                    && line.reason.contains("reverse geocoding failed"),
                "{}",
                line.reason
            );
            // the row with an address is not asked
            let other = out.lieux.iter().find(|l| l.id == "2").expect("row 2 kept");
            assert_eq!(other.adresse, "1 rue de la Paix");
        }
    }
}
