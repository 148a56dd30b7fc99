//! Where a row is, completed before anything is rejected: the required `commune`,
//! `code_postal` and `adresse` are derived from what the row does carry, each derivation
//! reported as a repair. Only a row that says nowhere it is (no commune, postcode, INSEE code
//! nor a position inside a commune) is rejected.
//!
//! | rule | when | derived |
//! |---|---|---|
//! | `commune_from_code_insee` | no commune, a known INSEE code | the commune's name |
//! | `commune_from_postcode` | no commune, a postcode of one commune | its name and INSEE code |
//! | `commune_from_position` | no commune, a position inside a commune (or within [`NEAR_KM`]) | its name and INSEE code, and the postcode if none |
//! | `commune_from_postcode_ambiguous` | no commune nor position, a postcode shared by several communes | the most populated one, named as a guess; with a geocoder, the address is then asked without it and the commune the geocoder finds it in replaces the guess (`commune_from_geocoder`, [`super::geocoding`]) |
//! | `code_postal_from_commune` | no postcode, a commune known by INSEE code or position | its postcode (the first when it has several, named) |
//! | `adresse_from_commune` | no street address | the commune name stands for it (a geocoder then places the row at the commune); with a BAN geocoder, a row with a position takes the address reverse geocoding finds within 150 m of it (`adresse_from_reverse_geocoding`, [`super::geocoding`]) |
//!
//! Communes come from [`CommuneShapes`] (the embedded shapes, or `--communes`), postcodes from the
//! embedded La Poste table joined to them.

use super::resolve::RowCommunes;
use super::shapes::CommuneShape;
use crate::import::ReportKind;
use crate::model::{Position, SourceAdresse};

/// The rule of a commune guessed among the several communes of a postcode: its report row is
/// what the geocoding step ([`super::geocoding`]) and the streamed import's staging look for.
pub(crate) const COMMUNE_GUESSED: &str = "commune_from_postcode_ambiguous";

/// The rule of an address that is the commune name: its report row is what reverse geocoding
/// ([`super::geocoding`]) replaces when a geocoder is configured.
pub(crate) const ADDRESS_FROM_COMMUNE: &str = "adresse_from_commune";

/// Distance (km) within which a position outside every commune shape (a pier, a point on the
/// coast beyond a simplified outline) still names the nearest commune.
pub const NEAR_KM: f64 = 2.0;

/// What the row gives about where it is (normalised, `None` when absent or invalid).
#[derive(Debug, Clone, Default)]
pub(crate) struct Given {
    pub commune: Option<String>,
    pub code_postal: Option<String>,
    pub code_insee: Option<String>,
    pub adresse: Option<String>,
    /// Set when the address is derived (the commune name for it).
    pub adresse_origine: Option<SourceAdresse>,
    /// Set when the commune is a guess among the communes of the postcode.
    pub commune_devinee: bool,
}

/// Completes `given` in place from the communes the row names (`row`, resolved from the same
/// INSEE code and postcode; an INSEE code dropped since is not used); `report(field, kind,
/// reason)` receives each derivation and, when the row cannot be placed, the rejection.
pub(crate) fn complete(
    given: &mut Given,
    position: Option<Position>,
    row: &RowCommunes<'_>,
    report: &mut impl FnMut(&str, ReportKind, String),
) {
    let communes = row.shapes;
    // The commune the row designates without doubt: by INSEE code, else by its position.
    let by_code = row
        .by_code
        .filter(|c| given.code_insee.as_deref() == Some(c.code_insee.as_str()));
    let at_position = || position.and_then(|p| communes.at(p.lon, p.lat, NEAR_KM));

    if given.commune.is_none() {
        let postcode_communes = row.of_postcode();
        let (found, rule): (Option<&CommuneShape>, &str) = if let Some(c) = by_code {
            (Some(c), "commune_from_code_insee")
        } else if postcode_communes.len() == 1 {
            (postcode_communes.clone().next(), "commune_from_postcode")
        } else if let Some(c) = at_position() {
            (Some(c), "commune_from_position")
        } else {
            let best = postcode_communes.clone().max_by(|a, b| {
                a.population
                    .cmp(&b.population)
                    .then(b.code_insee.cmp(&a.code_insee))
            });
            (best, COMMUNE_GUESSED)
        };
        if let Some(c) = found {
            let detail = match rule {
                "commune_from_code_insee" => format!("INSEE code {}", c.code_insee),
                "commune_from_postcode" => {
                    format!("postcode {}", given.code_postal.as_deref().unwrap_or(""))
                }
                "commune_from_position" => "the position lies in it".to_owned(),
                _ => format!(
                    "{} communes share postcode {}: the most populated chosen, geocode the address to settle it",
                    postcode_communes.len(),
                    given.code_postal.as_deref().unwrap_or("")
                ),
            };
            report(
                "commune",
                ReportKind::Repaired,
                format!("{rule}: {} {} ({detail})", c.code_insee, c.nom),
            );
            given.commune = Some(c.nom.clone());
            given.commune_devinee = rule == COMMUNE_GUESSED;
            if given.code_insee.is_none() {
                given.code_insee = Some(c.code_insee.clone());
            }
        }
    }

    if given.code_postal.is_none() {
        let commune = by_code.or_else(at_position).or_else(|| {
            given
                .code_insee
                .as_deref()
                .and_then(|c| communes.by_code(c))
        });
        if let Some((c, cp)) = commune.and_then(|c| Some((c, c.codes_postaux.first()?))) {
            let several = if c.codes_postaux.len() > 1 {
                format!(", the first of its {}", c.codes_postaux.len())
            } else {
                String::new()
            };
            report(
                "code_postal",
                ReportKind::Repaired,
                format!(
                    "code_postal_from_commune: {cp} ({} {}{several})",
                    c.code_insee, c.nom
                ),
            );
            given.code_postal = Some(cp.clone());
        }
    }

    if given.adresse.is_none()
        && let Some(commune) = &given.commune
    {
        report(
            "adresse",
            ReportKind::Repaired,
            format!(
                "{ADDRESS_FROM_COMMUNE}: no street address, the commune name {commune:?} stands for it"
            ),
        );
        given.adresse = Some(commune.clone());
        given.adresse_origine = Some(SourceAdresse::Commune);
    }

    if given.commune.is_none() || given.code_postal.is_none() {
        let missing: Vec<&str> = [
            ("commune", given.commune.is_none()),
            ("code_postal", given.code_postal.is_none()),
        ]
        .iter()
        .filter(|(_, m)| *m)
        .map(|(f, _)| *f)
        .collect();
        report(
            missing[0],
            ReportKind::Rejected,
            format!(
                "no place: {} missing and not derivable (no known INSEE code, postcode or position inside a commune)",
                missing.join(" and ")
            ),
        );
    }
}
