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

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::format::{csv, json, v0};
use super::hours_fr;
use super::{ImportError, Parsed, Record, ReportKind, SchemaVersion};
use crate::hours::Horaires;

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
enum Rule {
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
struct Choice {
    columns: Option<Vec<String>>,
    /// Lower-cased.
    terms: Option<Vec<String>>,
    /// Lower-cased.
    except: Vec<String>,
    target: String,
    /// Only when the row's `modalites_accompagnement` holds this value.
    requires_modalite: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct HoursRule {
    osm: Option<String>,
    /// (columns joined with ", ", OSM day).
    days: Vec<(Vec<String>, hours_fr::Day)>,
    week: Option<String>,
}

/// A parsed mapping config.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    target: SchemaVersion,
    /// (record field name, rule), in config order.
    fields: Vec<(String, Rule)>,
    hours: Option<HoursRule>,
    week_parity: Option<String>,
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

    fn rule(&self, field: &str) -> Option<&Rule> {
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

/// Address fields are one line (geocoders read them): runs of whitespace (line breaks,
/// no-break spaces) become one space. Names are kept as published.
const ONE_LINE_FIELDS: [&str; 2] = ["adresse", "complement_adresse"];

/// A raw row: column → text value (nested objects also under dotted paths).
type RawRow = HashMap<String, String>;

/// Reads a raw producer file (JSON array of objects, or CSV with a header line) and maps every
/// row with `mapping`. Rows keep their CSV line (header = 1) or 0-based JSON index.
pub(crate) fn parse_raw(
    name: &str,
    bytes: &[u8],
    mapping: &Mapping,
    options: &MappingOptions,
) -> Result<Parsed, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes.iter().copied().find(|b| !b.is_ascii_whitespace());
    let records = if first == Some(b'[') {
        let items = json::parse_array(name, bytes)?;
        let mut mapper = RowMapper::new(name, mapping, options);
        items
            .iter()
            .enumerate()
            .map(|(i, item)| mapper.map_value(i as u64, item))
            .collect()
    } else {
        let ctx = Ctx::new(name, mapping, options);
        raw_csv(name, bytes)?
            .into_iter()
            .map(|(loc, row)| ctx.map_row(loc, &row))
            .collect()
    };
    Ok(Parsed {
        version: mapping.target,
        records,
    })
}

/// A mapping applied row by row to a raw file's objects (streamed imports, see
/// [`super::stream`]).
pub(crate) struct RowMapper<'a> {
    ctx: Ctx<'a>,
    row: RawRow,
}

impl<'a> RowMapper<'a> {
    pub(crate) fn new(name: &str, mapping: &'a Mapping, options: &'a MappingOptions) -> Self {
        RowMapper {
            ctx: Ctx::new(name, mapping, options),
            row: RawRow::new(),
        }
    }

    /// The record of the raw object at `index` (a non-object maps as an empty row).
    pub(crate) fn map_value(&mut self, index: u64, item: &Value) -> Record {
        self.row.clear();
        if let Value::Object(o) = item {
            flatten("", o, &mut self.row);
        }
        self.ctx.map_row(index, &self.row)
    }
}

/// Object → columns: scalars as text, arrays joined with `|`, nested objects both as JSON text
/// under their key and field by field under `key.field`.
fn flatten(prefix: &str, obj: &Map<String, Value>, row: &mut RawRow) {
    for (k, v) in obj {
        let key = format!("{prefix}{}", k.trim());
        if let Value::Object(inner) = v {
            flatten(&format!("{key}."), inner, row);
        }
        if let Some(s) = json::value_to_string(v).filter(|s| !s.trim().is_empty()) {
            row.insert(key, s);
        }
    }
}

fn raw_csv(name: &str, bytes: &[u8]) -> Result<Vec<(u64, RawRow)>, ImportError> {
    let mut rows = csv::Records::open(name, bytes)?;
    let header = rows.header.clone();
    let mut out = Vec::new();
    while let Some((loc, record)) = rows.next_record()? {
        let mut row = RawRow::with_capacity(header.len());
        for (h, v) in header.iter().zip(record.iter()) {
            let v = String::from_utf8_lossy(v);
            if !h.is_empty() && !v.trim().is_empty() {
                row.insert(h.clone(), v.into_owned());
            }
        }
        out.push((loc, row));
    }
    Ok(out)
}

struct Ctx<'a> {
    mapping: &'a Mapping,
    /// File stem of generated ids.
    stem: String,
    date_maj: NaiveDate,
    options: &'a MappingOptions,
}

impl<'a> Ctx<'a> {
    fn new(name: &str, mapping: &'a Mapping, options: &'a MappingOptions) -> Self {
        let stem = Path::new(name)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "lieu".to_owned());
        let today = chrono::Local::now().date_naive();
        Ctx {
            mapping,
            stem,
            date_maj: options.date_maj.unwrap_or(today),
            options,
        }
    }
}

fn get<'r>(row: &'r RawRow, column: &str) -> Option<&'r str> {
    row.get(column.trim())
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
}

impl Ctx<'_> {
    fn map_row(&self, loc: u64, row: &RawRow) -> Record {
        let mut out = Record {
            loc,
            fields: HashMap::new(),
            notes: Vec::new(),
        };
        let note =
            |out: &mut Record, field: &str, kind: ReportKind, reason: String, value: &str| {
                out.notes
                    .push((field.to_owned(), kind, reason, value.to_owned()));
            };
        // Scalar fields first, then choice lists (services may depend on modalites).
        for (field, rule) in &self.mapping.fields {
            let value = match rule {
                Rule::Column(None) => None,
                Rule::Column(Some(c)) => get(row, c).map(str::to_owned),
                Rule::Join { columns, sep } => {
                    let parts: Vec<&str> = columns.iter().filter_map(|c| get(row, c)).collect();
                    (!parts.is_empty()).then(|| parts.join(sep))
                }
                Rule::Split { column, sep, part } => get(row, column).and_then(|v| {
                    let piece = v.split(sep.as_str()).nth(*part).map(str::trim);
                    if piece.is_none() {
                        note(
                            &mut out,
                            field,
                            ReportKind::Info,
                            format!("no part {part} after splitting {column:?} on {sep:?}"),
                            v,
                        );
                    }
                    piece.filter(|p| !p.is_empty()).map(str::to_owned)
                }),
                Rule::Choices(_) => continue,
            };
            if let Some(mut v) = value {
                if ONE_LINE_FIELDS.contains(&field.as_str()) {
                    let collapsed = v.split_whitespace().collect::<Vec<_>>().join(" ");
                    if collapsed != v {
                        note(
                            &mut out,
                            field,
                            ReportKind::Repaired,
                            "line breaks and repeated spaces collapsed".to_owned(),
                            &v,
                        );
                        v = collapsed;
                    }
                }
                out.fields.insert(field.clone(), v);
            }
        }
        let modalites = self.choices_for(row, "modalites_accompagnement", &[]);
        for (field, rule) in &self.mapping.fields {
            if let Rule::Choices(choices) = rule {
                let values = if field == "modalites_accompagnement" {
                    modalites.clone()
                } else {
                    apply_choices(choices, row, &modalites)
                };
                if !values.is_empty() {
                    out.fields.insert(field.clone(), values.join("|"));
                }
            }
        }

        self.address_parts(&mut out);
        self.hours(row, &mut out);
        self.id_and_date(&mut out);
        if let Some(s) = &self.options.source
            && !out.fields.contains_key("source")
        {
            out.fields.insert("source".to_owned(), s.clone());
        }
        out
    }

    fn choices_for(&self, row: &RawRow, field: &str, modalites: &[String]) -> Vec<String> {
        match self.mapping.rule(field) {
            Some(Rule::Choices(c)) => apply_choices(c, row, modalites),
            _ => Vec::new(),
        }
    }

    /// Postcode and commune from the address when the config has no column for them
    /// (`"8 rue de la Boétie - 33000 Bordeaux"`, `"1 Rue …, 51200, Épernay, Marne, FRA"`).
    fn address_parts(&self, out: &mut Record) {
        let has = |out: &Record, f: &str| out.fields.contains_key(f);
        if has(out, "code_postal") && has(out, "commune") {
            return;
        }
        let Some(adresse) = out.fields.get("adresse").cloned() else {
            return;
        };
        let Some((street, cp, commune)) = split_address(&adresse) else {
            return;
        };
        let mut found = Vec::new();
        if !has(out, "code_postal") {
            out.fields.insert("code_postal".to_owned(), cp.clone());
            found.push(format!("code_postal {cp}"));
        }
        if !has(out, "commune") && !commune.is_empty() {
            out.fields.insert("commune".to_owned(), commune.clone());
            found.push(format!("commune {commune}"));
        }
        if !street.is_empty() {
            out.fields.insert("adresse".to_owned(), street);
        }
        out.notes.push((
            "adresse".to_owned(),
            ReportKind::Repaired,
            format!("{} taken from the address", found.join(" and ")),
            adresse,
        ));
    }

    fn hours(&self, row: &RawRow, out: &mut Record) {
        let Some(h) = &self.mapping.hours else {
            return;
        };
        let parity = self
            .mapping
            .week_parity
            .as_deref()
            .and_then(|c| get(row, c));
        // 1. A column already in OSM syntax.
        if let Some(raw) = h.osm.as_deref().and_then(|c| get(row, c)) {
            if raw.parse::<Horaires>().is_ok() {
                let value = match parity {
                    Some(p) => {
                        let week = if p.trim().eq_ignore_ascii_case("semaine paire") {
                            "week 2-52/2"
                        } else {
                            "week 1-53/2"
                        };
                        out.notes.push((
                            "horaires".to_owned(),
                            ReportKind::Repaired,
                            format!("{p}: restricted to {week}"),
                            raw.to_owned(),
                        ));
                        format!("{week} {raw}")
                    }
                    None => raw.to_owned(),
                };
                out.fields.insert("horaires".to_owned(), value);
                return;
            }
            // Not OSM: try it as French free text.
            self.free_text(raw, out);
            return;
        }
        // 2. One column per day.
        if !h.days.is_empty() {
            let mut week = hours_fr::Week::default();
            let mut raw_all = Vec::new();
            let mut problems = Vec::new();
            for (cols, day) in &h.days {
                let texts: Vec<&str> = cols.iter().filter_map(|c| get(row, c)).collect();
                if texts.is_empty() {
                    continue;
                }
                let text = texts.join(", ");
                raw_all.push(format!("{}: {text}", day.osm()));
                match hours_fr::parse_day(&text) {
                    Ok(ranges) => week.set(*day, ranges),
                    Err(e) => problems.push(format!("{}: {e}", day.osm())),
                }
            }
            let raw = raw_all.join(" / ");
            if !problems.is_empty() {
                out.notes.push((
                    "horaires".to_owned(),
                    ReportKind::Dropped,
                    format!("opening hours not converted ({})", problems.join("; ")),
                    raw,
                ));
                return;
            }
            if let Some(osm) = week.to_osm() {
                if osm != raw {
                    out.notes.push((
                        "horaires".to_owned(),
                        ReportKind::Repaired,
                        format!("per-day hours converted to {osm}"),
                        raw,
                    ));
                }
                out.fields.insert("horaires".to_owned(), osm);
                return;
            }
        }
        // 3. Free text for the whole week.
        if let Some(raw) = h.week.as_deref().and_then(|c| get(row, c)) {
            self.free_text(raw, out);
        }
    }

    fn free_text(&self, raw: &str, out: &mut Record) {
        // A "free-text" column may already hold OSM syntax (numi).
        if may_be_osm(raw) && raw.parse::<Horaires>().is_ok() {
            out.fields.insert("horaires".to_owned(), raw.to_owned());
            return;
        }
        match hours_fr::parse_week(raw) {
            Ok(osm) => {
                out.notes.push((
                    "horaires".to_owned(),
                    ReportKind::Repaired,
                    format!("free-text hours converted to {osm}"),
                    raw.to_owned(),
                ));
                out.fields.insert("horaires".to_owned(), osm);
            }
            Err(e) => out.notes.push((
                "horaires".to_owned(),
                ReportKind::Dropped,
                format!("opening hours not converted: {e}"),
                raw.to_owned(),
            )),
        }
    }

    fn id_and_date(&self, out: &mut Record) {
        match out.fields.get("id").cloned() {
            Some(id) => {
                if let Some(p) = &self.options.id_prefix {
                    out.fields.insert("id".to_owned(), format!("{p}{id}"));
                }
            }
            None => {
                let prefix = self
                    .options
                    .id_prefix
                    .clone()
                    .unwrap_or_else(|| format!("{}-", self.stem));
                let id = format!("{prefix}{}", out.loc);
                out.notes.push((
                    "id".to_owned(),
                    ReportKind::Repaired,
                    format!("no id in the source: generated {id}"),
                    String::new(),
                ));
                out.fields.insert("id".to_owned(), id);
            }
        }
        let raw = out.fields.get("date_maj").cloned();
        let (date, reason) = match raw.as_deref().map(parse_source_date) {
            Some(Some((d, _))) if super::normalize::is_placeholder_date(d) => (
                self.date_maj,
                format!(
                    "date_maj_placeholder: {d} is a placeholder, import date {} used",
                    self.date_maj
                ),
            ),
            Some(Some((d, exact))) => {
                if exact {
                    return;
                }
                (d, format!("converted to the date {}", d.format("%Y-%m-%d")))
            }
            Some(None) => (
                self.date_maj,
                format!("not a date: import date {} used", self.date_maj),
            ),
            None => (
                self.date_maj,
                format!("no date in the source: import date {} used", self.date_maj),
            ),
        };
        out.notes.push((
            "date_maj".to_owned(),
            ReportKind::Repaired,
            reason,
            raw.unwrap_or_default(),
        ));
        out.fields
            .insert("date_maj".to_owned(), date.format("%Y-%m-%d").to_string());
    }
}

/// Whether `raw` can be OSM opening_hours at all: the grammar is ASCII outside `"comments"`,
/// so French free text with accents ("de 9h à 12h") is known not to parse without running
/// the parser, which takes most of a raw import's time to fail on such text.
fn may_be_osm(raw: &str) -> bool {
    raw.is_ascii() || raw.contains('"')
}

/// The choices' targets for one row, deduplicated in order.
fn apply_choices(choices: &[Choice], row: &RawRow, modalites: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in choices {
        if let Some(m) = &c.requires_modalite
            && !modalites.iter().any(|x| x == m)
        {
            continue;
        }
        let hit = match &c.columns {
            None => true,
            Some(cols) => cols.iter().any(|col| {
                let Some(v) = get(row, col) else {
                    return false;
                };
                match &c.terms {
                    None => true,
                    Some(terms) => {
                        let v = v.to_lowercase();
                        terms.iter().any(|t| v.contains(t.as_str()))
                            && !c.except.iter().any(|s| v.contains(s.as_str()))
                    }
                }
            }),
        };
        if hit && !out.contains(&c.target) {
            out.push(c.target.clone());
        }
    }
    out
}

/// `(street, postcode, commune)` from an address holding a 5-digit postcode followed by the
/// commune (`"Mairie de Corscia 20224 CORSCIA"`, `"8 rue X - 33000 Bordeaux"`,
/// `"1 Rue X, 51200, Épernay, Marne, Grand Est, FRA"`).
fn split_address(adresse: &str) -> Option<(String, String, String)> {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let re = RE
        .get_or_init(|| regex::Regex::new(r"(?:^|[\s,\-])(\d{5})(?:\s*,\s*|\s+)([^,\d][^,]*)").ok())
        .as_ref()?;
    let caps = re.captures_iter(adresse).last()?;
    let whole = caps.get(0)?;
    let cp = caps.get(1)?.as_str().to_owned();
    let commune = caps.get(2)?.as_str().trim().to_owned();
    let street = adresse[..whole.start()]
        .trim()
        .trim_end_matches([',', '-'])
        .trim()
        .to_owned();
    Some((street, cp, commune))
}

/// Dates as producers write them (see [`super::normalize::parse_date`]).
fn parse_source_date(raw: &str) -> Option<(NaiveDate, bool)> {
    super::normalize::parse_date(raw)
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(pairs: &[(&str, &str)]) -> RawRow {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn choices_terms_sauf_and_defaults() {
        let m = Mapping::from_json(&json!({
            "frais_a_charge": [
                {"colonnes": ["T"], "termes": ["gratuit"], "sauf": ["Gratuit sous condition"], "cible": "Gratuit"},
                {"colonnes": ["T"], "termes": ["sous condition"], "cible": "Gratuit sous condition"}
            ],
            "services": [
                {"cible": "Aide aux démarches administratives"},
                {"colonnes": ["W"], "cible": "Accès internet et matériel informatique"}
            ]
        }))
        .expect("mapping");
        assert_eq!(m.target(), SchemaVersion::V1);
        let Some(Rule::Choices(frais)) = m.rule("frais_a_charge") else {
            panic!("choices")
        };
        let r = row(&[("T", "GRATUIT sous condition d'âge")]);
        assert_eq!(apply_choices(frais, &r, &[]), ["Gratuit sous condition"]);
        let r = row(&[("T", "Entrée gratuite")]);
        assert_eq!(apply_choices(frais, &r, &[]), ["Gratuit"]);
        let Some(Rule::Choices(services)) = m.rule("services") else {
            panic!("choices")
        };
        assert_eq!(apply_choices(services, &row(&[]), &[]).len(), 1);
        assert_eq!(apply_choices(services, &row(&[("W", "x")]), &[]).len(), 2);
    }

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

    #[test]
    fn free_text_that_cannot_be_osm() {
        // Only text the opening_hours grammar could accept goes to its parser.
        for (raw, may) in [
            ("Mercredi de 14h à 15H30", false),
            ("Mo-Fr 09:00-12:00", true),
            ("Mo 09:00-12:00 \"fermé en août\"", true),
        ] {
            assert_eq!(may_be_osm(raw), may, "{raw}");
            if !may {
                assert!(raw.parse::<Horaires>().is_err(), "{raw}");
            }
        }
        assert!(
            "Mo 09:00-12:00 \"fermé en août\""
                .parse::<Horaires>()
                .is_ok()
        );
    }

    #[test]
    fn address_split() {
        let cases = [
            (
                "Mairie de Corscia 20224 CORSCIA",
                Some(("Mairie de Corscia", "20224", "CORSCIA")),
            ),
            (
                "8 rue de la Boétie - 33000 Bordeaux",
                Some(("8 rue de la Boétie", "33000", "Bordeaux")),
            ),
            (
                "1 Rue Jean Chandon Moët, 51200, Épernay, Marne, Grand Est, FRA",
                Some(("1 Rue Jean Chandon Moët", "51200", "Épernay")),
            ),
            ("12 rue des Lilas", None),
        ];
        for (a, expected) in cases {
            let got = split_address(a);
            let got = got
                .as_ref()
                .map(|(s, c, m)| (s.as_str(), c.as_str(), m.as_str()));
            assert_eq!(got, expected, "{a}");
        }
    }
}
