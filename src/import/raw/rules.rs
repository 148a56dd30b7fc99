//! Mapping configs: the declarative `*.config.json` format of the national team's `mednum-cli`
//! that turns a producer's raw file (JSON array of objects, or CSV) into schema records.
//!
//! A config is a JSON object whose keys are schema fields (v0 or v1 names) plus `horaires` and
//! `semaine_ouverture`. Each field has one rule:
//!
//! | rule | meaning |
//! |---|---|
//! | `{"colonne": "C"}` | the value of column `C` (`""`: the producer has no such column) |
//! | `{"joindre": {"colonnes": [A, B], "séparateur": " "}}` | the non-empty values of `A`, `B` joined |
//! | `{"dissocier": {"colonne": [C], "séparateur": ",", "partie": 0}}` | part `partie` (0-based) of `C` split on the separator |
//! | `[{"colonnes": [..], "termes": [..], "sauf": [..], "cible": V}, ..]` | list fields: `V` is added when one of the columns contains one of the terms (case-insensitive substring) and none of the `sauf` terms; without `termes`, when the column is not empty; without `colonnes`, always. A choice may also require a `modalites_accompagnement` value among the row's |
//! | `"horaires": {"osm": C}` / `{"jours": [{"colonne": C, "osm": "Mo"}, ..]}` / `{"semaine": C}` | opening hours: an OSM column, one free-text column per day, or one free-text column for the week (tried in this order); free text is converted by [`super::hours_fr`] |
//! | `"semaine_ouverture": {"colonne": C}` | `Semaine paire` / `Semaine impaire`: restricts OSM hours to even / odd weeks |
//!
//! Column names may be dotted paths into nested objects (`geolocalisation.lat`). v0-era spellings
//! are accepted: `conditionAcces` (= `conditions_acces`) and `voie` (= `adresse`).
//!
//! The target schema is v0 when the config names a v0-only field (`labels_nationaux`,
//! `conditions_acces`, `publics_accueillis`, `courriel`, `voie`, …) or its `cible` values are v0
//! services; the mapped record then goes through the same v0→v1 conversion as v0 files.
//!
//! Semantics follow mednum-cli's documented behaviour (its field processors were read, not
//! copied). One deliberate difference: `sauf` terms are matched case-insensitively like
//! `termes` (mednum-cli lower-cases the value but not the `sauf` term, so a capitalised `sauf`
//! never excludes anything there).

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde_json::Value;

use super::hours_fr;
use crate::import::SchemaVersion;
use crate::import::format::v0;

/// A mapping config that cannot be used; `key` is the path of the offending config key.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("cannot read mapping {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("mapping {path}: not valid JSON (line {line}, column {column})")]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error("mapping: `{key}`: {reason}")]
    Key { key: String, reason: String },
}

fn key_err(key: impl Into<String>, reason: impl Into<String>) -> MappingError {
    MappingError::Key {
        key: key.into(),
        reason: reason.into(),
    }
}

/// How one schema field is produced from a raw row.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Rule {
    /// `colonne`; `None` for `""` (no such column at the producer).
    Column(Option<String>),
    /// `joindre`
    Join { columns: Vec<String>, sep: String },
    /// `dissocier`
    Split {
        column: String,
        sep: String,
        part: usize,
    },
    /// A list of `colonnes` / `termes` / `sauf` / `cible` choices.
    Choices(Vec<Choice>),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Choice {
    pub(super) columns: Option<Vec<String>>,
    /// Lower-cased.
    pub(super) terms: Option<Vec<String>>,
    /// Lower-cased.
    pub(super) except: Vec<String>,
    pub(super) target: String,
    /// Only when the row's `modalites_accompagnement` holds this value.
    pub(super) requires_modalite: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct HoursRule {
    pub(super) osm: Option<String>,
    /// (columns joined with ", ", OSM day).
    pub(super) days: Vec<(Vec<String>, hours_fr::Day)>,
    pub(super) week: Option<String>,
}

/// A parsed mapping config.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    pub(super) target: SchemaVersion,
    /// (record field name, rule), in config order.
    pub(super) fields: Vec<(String, Rule)>,
    pub(super) hours: Option<HoursRule>,
    pub(super) week_parity: Option<String>,
}

/// Options of a mapped import that the config cannot express.
#[derive(Debug, Clone, Default)]
pub struct MappingOptions {
    /// `date_maj` when the row has none or an unusable one (default: today).
    pub date_maj: Option<NaiveDate>,
    /// `source` when the config does not map one.
    pub source: Option<String>,
    /// Prefix of every id (`france-services-` + `id_fs`); generated ids are
    /// `<prefix or file stem>-<line or index>`.
    pub id_prefix: Option<String>,
}

/// v1 field names (the config keys a v1 mapping may use besides `horaires`).
const V1_FIELDS: [&str; 32] = crate::model::V1_COLUMNS;
/// v0-only field names, and their record name.
const V0_FIELDS: [(&str, &str); 8] = [
    ("labels_nationaux", "labels_nationaux"),
    ("labels_autres", "labels_autres"),
    ("conditions_acces", "conditions_acces"),
    ("conditionAcces", "conditions_acces"),
    ("publics_accueillis", "publics_accueillis"),
    ("courriel", "courriel"),
    ("accessibilite", "accessibilite"),
    ("voie", "adresse"),
];

impl Mapping {
    /// Reads a config file.
    pub fn from_path(path: &Path) -> Result<Mapping, MappingError> {
        let bytes = std::fs::read(path).map_err(|source| MappingError::Io {
            path: path.to_owned(),
            source,
        })?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|source| MappingError::Json {
            path: path.to_owned(),
            line: source.line(),
            column: source.column(),
            source,
        })?;
        Mapping::from_json(&value)
    }

    /// Parses a config already read as JSON.
    pub fn from_json(value: &Value) -> Result<Mapping, MappingError> {
        let Value::Object(obj) = value else {
            return Err(key_err("", "a mapping is a JSON object of schema fields"));
        };
        let mut fields = Vec::new();
        let mut hours = None;
        let mut week_parity = None;
        let mut v0_keys = false;
        for (key, rule) in obj {
            match key.as_str() {
                "horaires" => hours = Some(parse_hours(rule)?),
                "semaine_ouverture" => {
                    week_parity = column_of(rule, key)?;
                }
                k => {
                    let name = if let Some((_, to)) = V0_FIELDS.iter().find(|(f, _)| *f == k) {
                        v0_keys = true;
                        *to
                    } else if let Some(f) = V1_FIELDS.iter().find(|f| **f == k) {
                        f
                    } else {
                        return Err(key_err(k, "not a field of schema v1 or v0"));
                    };
                    fields.push((name.to_owned(), parse_rule(rule, k)?));
                }
            }
        }
        let v0_values = fields.iter().any(|(f, r)| match r {
            Rule::Choices(c) if f == "services" => {
                c.iter().any(|c| v0::is_v0_service(c.target.trim()))
            }
            _ => false,
        });
        let target = if v0_keys || v0_values {
            SchemaVersion::V0
        } else {
            SchemaVersion::V1
        };
        Ok(Mapping {
            target,
            fields,
            hours,
            week_parity,
        })
    }

    /// The schema the config's field names and `cible` values belong to.
    pub fn target(&self) -> SchemaVersion {
        self.target
    }

    pub(super) fn rule(&self, field: &str) -> Option<&Rule> {
        self.fields.iter().find(|(f, _)| f == field).map(|(_, r)| r)
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> Result<&'a str, MappingError> {
    v.as_str().ok_or_else(|| key_err(key, "expected a string"))
}

fn strings(v: &Value, key: &str) -> Result<Vec<String>, MappingError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, s)| str_of(s, &format!("{key}[{i}]")).map(str::to_owned))
            .collect(),
        _ => Err(key_err(key, "expected a string or an array of strings")),
    }
}

/// `{"colonne": C}` → `Some(C)` (`None` for `""`).
fn column_of(rule: &Value, key: &str) -> Result<Option<String>, MappingError> {
    let col = rule
        .get("colonne")
        .ok_or_else(|| key_err(key, "expected {\"colonne\": …}"))?;
    let c = str_of(col, &format!("{key}.colonne"))?.trim();
    Ok((!c.is_empty()).then(|| c.to_owned()))
}

fn parse_rule(rule: &Value, key: &str) -> Result<Rule, MappingError> {
    match rule {
        Value::Array(choices) => choices
            .iter()
            .enumerate()
            .map(|(i, c)| parse_choice(c, &format!("{key}[{i}]")))
            .collect::<Result<Vec<_>, _>>()
            .map(Rule::Choices),
        Value::Object(o) => {
            if o.contains_key("colonne") {
                return column_of(rule, key).map(Rule::Column);
            }
            if let Some(j) = o.get("joindre") {
                let k = format!("{key}.joindre");
                let columns = strings(
                    j.get("colonnes")
                        .ok_or_else(|| key_err(&k, "missing `colonnes`"))?,
                    &format!("{k}.colonnes"),
                )?;
                let sep = j
                    .get("séparateur")
                    .map(|s| str_of(s, &format!("{k}.séparateur")))
                    .transpose()?
                    .unwrap_or(" ")
                    .to_owned();
                return Ok(Rule::Join { columns, sep });
            }
            if let Some(d) = o.get("dissocier") {
                let k = format!("{key}.dissocier");
                let column = strings(
                    d.get("colonne")
                        .ok_or_else(|| key_err(&k, "missing `colonne`"))?,
                    &format!("{k}.colonne"),
                )?
                .into_iter()
                .next()
                .ok_or_else(|| key_err(format!("{k}.colonne"), "empty"))?;
                let sep = str_of(
                    d.get("séparateur")
                        .ok_or_else(|| key_err(&k, "missing `séparateur`"))?,
                    &format!("{k}.séparateur"),
                )?
                .to_owned();
                if sep.is_empty() {
                    return Err(key_err(format!("{k}.séparateur"), "empty separator"));
                }
                let part =
                    d.get("partie").and_then(Value::as_u64).ok_or_else(|| {
                        key_err(format!("{k}.partie"), "expected a part index ≥ 0")
                    })? as usize;
                return Ok(Rule::Split { column, sep, part });
            }
            Err(key_err(
                key,
                "expected `colonne`, `joindre`, `dissocier` or an array of choices",
            ))
        }
        _ => Err(key_err(key, "expected an object or an array of choices")),
    }
}

fn parse_choice(c: &Value, key: &str) -> Result<Choice, MappingError> {
    let Value::Object(o) = c else {
        return Err(key_err(key, "a choice is an object with `cible`"));
    };
    for k in o.keys() {
        if !matches!(
            k.as_str(),
            "colonnes" | "termes" | "sauf" | "cible" | "modalites_accompagnement"
        ) {
            return Err(key_err(format!("{key}.{k}"), "unknown key in a choice"));
        }
    }
    let target = str_of(
        o.get("cible")
            .ok_or_else(|| key_err(key, "missing `cible`"))?,
        &format!("{key}.cible"),
    )?
    .to_owned();
    let lower = |v: Vec<String>| v.into_iter().map(|s| s.to_lowercase()).collect::<Vec<_>>();
    Ok(Choice {
        columns: o
            .get("colonnes")
            .map(|v| strings(v, &format!("{key}.colonnes")))
            .transpose()?,
        terms: o
            .get("termes")
            .map(|v| strings(v, &format!("{key}.termes")).map(lower))
            .transpose()?,
        except: o
            .get("sauf")
            .map(|v| strings(v, &format!("{key}.sauf")).map(lower))
            .transpose()?
            .unwrap_or_default(),
        target,
        requires_modalite: o
            .get("modalites_accompagnement")
            .map(|v| str_of(v, &format!("{key}.modalites_accompagnement")).map(str::to_owned))
            .transpose()?,
    })
}

fn parse_hours(rule: &Value) -> Result<HoursRule, MappingError> {
    let Value::Object(o) = rule else {
        return Err(key_err(
            "horaires",
            "expected an object with `osm`, `jours` or `semaine`",
        ));
    };
    let mut h = HoursRule::default();
    for (k, v) in o {
        let key = format!("horaires.{k}");
        match k.as_str() {
            "osm" => h.osm = Some(str_of(v, &key)?.to_owned()),
            "semaine" => h.week = Some(str_of(v, &key)?.to_owned()),
            "jours" => {
                let Value::Array(days) = v else {
                    return Err(key_err(key, "expected an array of {colonne, osm}"));
                };
                for (i, d) in days.iter().enumerate() {
                    let k = format!("{key}[{i}]");
                    let cols = strings(
                        d.get("colonne")
                            .ok_or_else(|| key_err(&k, "missing `colonne`"))?,
                        &format!("{k}.colonne"),
                    )?;
                    let osm = str_of(
                        d.get("osm").ok_or_else(|| key_err(&k, "missing `osm`"))?,
                        &format!("{k}.osm"),
                    )?;
                    let day = hours_fr::Day::from_osm(osm).ok_or_else(|| {
                        key_err(format!("{k}.osm"), "expected one of Mo Tu We Th Fr Sa Su")
                    })?;
                    h.days.push((cols, day));
                }
            }
            _ => return Err(key_err(key, "expected `osm`, `jours` or `semaine`")),
        }
    }
    Ok(h)
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_name_the_key() {
        let cases = [
            (json!({"nom": {"colone": "x"}}), "nom"),
            (json!({"not_a_field": {"colonne": "x"}}), "not_a_field"),
            (json!({"services": [{"colonnes": ["a"]}]}), "services[0]"),
            (
                json!({"horaires": {"jours": [{"colonne": "L", "osm": "Lu"}]}}),
                "horaires.jours[0].osm",
            ),
            (
                json!({"latitude": {"dissocier": {"colonne": ["g"], "séparateur": ","}}}),
                "latitude.dissocier.partie",
            ),
        ];
        for (config, key) in cases {
            match Mapping::from_json(&config) {
                Err(MappingError::Key { key: k, .. }) => assert_eq!(k, key, "{config}"),
                other => panic!("{config}: {other:?}"),
            }
        }
    }
}
