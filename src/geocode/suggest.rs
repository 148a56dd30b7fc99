//! Address search for a person typing (`GET /v1/adresses`, and `adresse=` on the nearest
//! endpoints): the configured BAN geocoder's `/search/` ([`BanGeocoder::search`]) first, the
//! embedded commune table ([`crate::commune_table`]) as the offline fallback.
//!
//! The fallback answers when no geocoder is configured, when it fails (error, bad answer, or
//! its timeout, [`super::ban::BanOptions::timeout`]) and when it finds nothing. It recognises a
//! commune from the whole text (a name or postcode prefix, as `/v1/communes`), else from a
//! 5-digit postcode in the text, else from the text's last one to three words ("12 rue de la
//! Paix Angers" → Angers). Its score is 1 for an exact name or postcode, else the share of the
//! name typed; halved when the commune was recognised from part of a longer text.

use super::ban::BanGeocoder;
use crate::commune_table::{CommuneEntry, CommuneTable, fold};
use crate::error::error_chain;
use crate::geodesy::haversine_m;
use crate::model::Position;

/// Who answered (`source` in the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdresseSource {
    /// The configured BAN geocoder (`geocodeur`).
    Geocodeur,
    /// The embedded commune table (`communes`).
    Communes,
}

impl AdresseSource {
    pub const ALL: [AdresseSource; 2] = [AdresseSource::Geocodeur, AdresseSource::Communes];

    pub fn as_str(self) -> &'static str {
        match self {
            AdresseSource::Geocodeur => "geocodeur",
            AdresseSource::Communes => "communes",
        }
    }
}

/// What an answer designates (BAN's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdresseType {
    Housenumber,
    Street,
    /// A named place (BAN `locality`; any other BAN type is reported as this one).
    Locality,
    Municipality,
}

impl AdresseType {
    pub const ALL: [AdresseType; 4] = [
        AdresseType::Housenumber,
        AdresseType::Street,
        AdresseType::Locality,
        AdresseType::Municipality,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AdresseType::Housenumber => "housenumber",
            AdresseType::Street => "street",
            AdresseType::Locality => "locality",
            AdresseType::Municipality => "municipality",
        }
    }

    fn of_ban(kind: &str) -> AdresseType {
        match kind {
            "housenumber" => AdresseType::Housenumber,
            "street" => AdresseType::Street,
            "municipality" => AdresseType::Municipality,
            _ => AdresseType::Locality,
        }
    }
}

/// One answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// What to show ("12 Rue de la Paix 49000 Angers", "Angers (49000)").
    pub label: String,
    pub commune: Option<String>,
    pub code_insee: Option<String>,
    pub code_postal: Option<String>,
    pub kind: AdresseType,
    /// 0..1.
    pub score: f64,
    pub source: AdresseSource,
    pub position: Position,
}

/// The answers to one text, and who gave them.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestions {
    pub items: Vec<Suggestion>,
    /// The source of `items` (the last one asked when both found nothing).
    pub source: AdresseSource,
    /// Why the geocoder did not answer, when it was asked and failed (for the log).
    pub geocoder_error: Option<String>,
}

/// Up to `limit` answers for `text`, those near `near` first when given.
pub fn search(
    geocoder: Option<&BanGeocoder>,
    text: &str,
    limit: usize,
    near: Option<Position>,
) -> Suggestions {
    let mut geocoder_error = None;
    if let Some(g) = geocoder {
        match g.search(text, limit, near) {
            Ok(answers) if !answers.is_empty() => {
                let items = answers
                    .into_iter()
                    .take(limit)
                    .map(|a| Suggestion {
                        label: a.label,
                        commune: Some(a.city).filter(|s| !s.is_empty()),
                        code_insee: Some(a.citycode).filter(|s| !s.is_empty()),
                        code_postal: Some(a.postcode).filter(|s| !s.is_empty()),
                        kind: AdresseType::of_ban(&a.kind),
                        score: round4(a.score.clamp(0.0, 1.0)),
                        source: AdresseSource::Geocodeur,
                        position: a.position,
                    })
                    .collect();
                return Suggestions {
                    items,
                    source: AdresseSource::Geocodeur,
                    geocoder_error: None,
                };
            }
            Ok(_) => {}
            Err(e) => geocoder_error = Some(error_chain(&e)),
        }
    }
    Suggestions {
        items: communes(crate::commune_table::embedded(), text, limit, near),
        source: AdresseSource::Communes,
        geocoder_error,
    }
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// The commune fallback (see the module doc).
pub fn communes(
    table: &CommuneTable,
    text: &str,
    limit: usize,
    near: Option<Position>,
) -> Vec<Suggestion> {
    let text = text.trim();
    let mut found: Vec<(f64, &CommuneEntry, Option<&str>)> = ranked(table, text, limit);
    if found.is_empty() {
        found = within(table, text);
    }
    if let Some(at) = near {
        let d = |c: &CommuneEntry| haversine_m(at.lon, at.lat, c.lon, c.lat);
        found.sort_by(|a, b| b.0.total_cmp(&a.0).then(d(a.1).total_cmp(&d(b.1))));
    }
    found
        .into_iter()
        .take(limit)
        .map(|(score, c, cp)| {
            let code_postal = cp
                .map(str::to_owned)
                .or_else(|| c.codes_postaux.first().cloned());
            let label = match &code_postal {
                Some(cp) => format!("{} ({cp})", c.nom),
                None => c.nom.clone(),
            };
            Suggestion {
                label,
                commune: Some(c.nom.clone()),
                code_insee: Some(c.code_insee.clone()),
                code_postal,
                kind: AdresseType::Municipality,
                score: round4(score),
                source: AdresseSource::Communes,
                position: Position {
                    lon: c.lon,
                    lat: c.lat,
                },
            }
        })
        .collect()
}

/// The communes named in a longer text ("12 rue de la Paix 49000 Angers"): those of its 5-digit
/// postcode and those whose exact name ends it (one to three words). Score 0.5 for both, or
/// for the name when the text has no postcode; 0.4 for the name alone beside another
/// postcode; 0.3 for the postcode alone. Ties: the table's order (most populated first).
fn within<'t>(
    table: &'t CommuneTable,
    text: &str,
) -> Vec<(f64, &'t CommuneEntry, Option<&'t str>)> {
    let postcode = text
        .split(|c: char| !c.is_ascii_digit())
        .find(|t| t.len() == 5);
    let folded = fold(text);
    let mut candidates: Vec<&CommuneEntry> = Vec::new();
    if let Some(cp) = postcode {
        candidates.extend(
            table
                .search(cp, usize::MAX)
                .into_iter()
                .filter(|c| c.codes_postaux.iter().any(|p| p == cp)),
        );
    }
    let words: Vec<&str> = folded
        .split(' ')
        .filter(|w| !w.is_empty() && !w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    for n in 1..=words.len().min(3) {
        let tail = words[words.len() - n..].join(" ");
        candidates.extend(
            table
                .search(&tail, 50)
                .into_iter()
                .filter(|c| fold(&c.nom) == tail),
        );
    }
    let mut out: Vec<(f64, &CommuneEntry, Option<&str>)> = Vec::new();
    for c in candidates {
        if out.iter().any(|(_, o, _)| o.code_insee == c.code_insee) {
            continue;
        }
        let name = fold(&c.nom);
        let named = folded == name || folded.ends_with(&format!(" {name}"));
        let cp = postcode.and_then(|cp| c.codes_postaux.iter().find(|p| p.as_str() == cp));
        let score = match (named, cp.is_some(), postcode.is_some()) {
            (true, true, _) | (true, false, false) => 0.5,
            (true, false, true) => 0.4,
            _ => 0.3,
        };
        out.push((score, c, cp.map(String::as_str)));
    }
    // stable: the table's order within a score
    out.sort_by(|a, b| b.0.total_cmp(&a.0));
    out
}

/// The table's search of `q` with scores and the postcode matched, if `q` is one.
fn ranked<'t>(
    table: &'t CommuneTable,
    q: &str,
    limit: usize,
) -> Vec<(f64, &'t CommuneEntry, Option<&'t str>)> {
    let digits = !q.is_empty() && q.chars().all(|c| c.is_ascii_digit());
    let fq = fold(q);
    // more than `limit`, so the proximity order has candidates to choose from
    table
        .search(q, limit.max(20))
        .into_iter()
        .map(|c| {
            if digits {
                let exact = c.codes_postaux.iter().find(|p| p.as_str() == q);
                let share = q.len() as f64 / 5.0;
                let score = if exact.is_some() { 1.0 } else { share };
                (score, c, exact.map(String::as_str))
            } else {
                let name = fold(&c.nom);
                let score = if name == fq {
                    1.0
                } else {
                    (fq.chars().count() as f64 / name.chars().count().max(1) as f64).min(0.99)
                };
                (score, c, None)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commune_fallback_finds_the_commune_of_an_address() {
        let t = crate::commune_table::embedded();
        let names = |text: &str| -> Vec<(String, f64)> {
            communes(t, text, 3, None)
                .into_iter()
                .map(|s| (s.code_insee.unwrap_or_default(), s.score))
                .collect()
        };
        assert_eq!(names("Angers").first(), Some(&("49007".to_owned(), 1.0)));
        assert_eq!(
            names("12 rue de la Paix Angers").first(),
            Some(&("49007".to_owned(), 0.5))
        );
        let by_cp = communes(t, "12 rue de la Paix 49000", 3, None);
        assert_eq!(
            by_cp.first().and_then(|s| s.code_postal.clone()),
            Some("49000".to_owned())
        );
        // the name decides between the communes of one postcode
        assert_eq!(
            names("1 place du Marché 23300 Saint-Agnant-de-Versillat").first(),
            Some(&("23177".to_owned(), 0.5))
        );
        assert!(names("zzzzqqq xxyy").is_empty());
        for s in communes(t, "saint", 20, None) {
            assert!((0.0..=1.0).contains(&s.score));
            assert_eq!(s.kind, AdresseType::Municipality);
        }
    }

    #[test]
    fn near_ranks_equal_scores_by_distance() {
        let t = crate::commune_table::embedded();
        // several communes are named Saint-Denis: near Réunion, the Réunion one first
        let near = Position {
            lon: 55.45,
            lat: -20.88,
        };
        let first = communes(t, "Saint-Denis", 5, Some(near));
        assert_eq!(
            first.first().and_then(|s| s.code_insee.clone()),
            Some("97411".to_owned())
        );
    }
}
