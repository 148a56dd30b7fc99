//! Schema files: CSV, JSON and GeoJSON readers (v1, or v0 converted by [`v0`]), each turning a
//! file into raw records for validation. The format is chosen from the file name, else from the
//! content. Raw producer files (`--mapping`) go through [`super::mapping`] instead, which uses
//! the CSV and JSON readers of this folder.

pub(crate) mod csv;
pub(crate) mod geojson;
pub(crate) mod json;
pub(crate) mod v0;

use super::{ImportError, Parsed, SchemaVersion};

/// Input formats, chosen from the extension, or from the content when there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Json,
    GeoJson,
}

fn detect_format(name: &str, bytes: &[u8]) -> Format {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".geojson") {
        return Format::GeoJson;
    }
    if lower.ends_with(".json") {
        // A FeatureCollection saved as .json is still GeoJSON.
        return if first_non_space(bytes) == Some(b'{') {
            Format::GeoJson
        } else {
            Format::Json
        };
    }
    if lower.ends_with(".csv") {
        return Format::Csv;
    }
    match first_non_space(bytes) {
        Some(b'[') => Format::Json,
        Some(b'{') => Format::GeoJson,
        _ => Format::Csv,
    }
}

fn first_non_space(bytes: &[u8]) -> Option<u8> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes.iter().copied().find(|b| !b.is_ascii_whitespace())
}

/// Parses a schema file (v0 or v1, CSV, JSON or GeoJSON) into raw records.
pub(crate) fn parse(name: &str, bytes: &[u8]) -> Result<Parsed, ImportError> {
    match detect_format(name, bytes) {
        Format::Csv => csv::parse(name, bytes),
        Format::Json => json::parse(name, bytes),
        Format::GeoJson => geojson::parse(name, bytes),
    }
}

/// Guesses the schema version from field names (and, for JSON, v0 service values).
pub(crate) fn version_from_keys<'a>(
    keys: impl IntoIterator<Item = &'a str>,
) -> Option<SchemaVersion> {
    let mut v1 = false;
    for k in keys {
        match k {
            "labels_nationaux" | "publics_accueillis" | "conditions_acces" | "courriel"
            | "labels_autres" | "accessibilite" | "cle_ban" => return Some(SchemaVersion::V0),
            "dispositif_programmes_nationaux"
            | "courriels"
            | "frais_a_charge"
            | "publics_specifiquement_adresses"
            | "prise_en_charge_specifique"
            | "modalites_acces"
            | "formations_labels"
            | "autres_formations_labels"
            | "fiche_acces_libre"
            | "itinerance" => v1 = true,
            _ => {}
        }
    }
    v1.then_some(SchemaVersion::V1)
}

/// Required columns (a CSV without one of them is not a file of places).
pub(crate) const REQUIRED_COLUMNS: [&str; 6] =
    ["id", "nom", "commune", "code_postal", "adresse", "date_maj"];
