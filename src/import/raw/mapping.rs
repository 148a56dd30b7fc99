//! A mapping config ([`super::rules`]) applied to a raw producer file: every row (a JSON object,
//! nested objects flattened to dotted columns, or a CSV record) becomes a schema record, with
//! its free-text hours converted ([`super::hours_fr`]), its address split when it holds the
//! postcode and commune, its id and date completed, and a note for what could not be mapped.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::hours_fr;
use super::rules::{Choice, Mapping, MappingOptions, Rule};
use crate::hours::Horaires;
use crate::import::format::{csv, json};
use crate::import::{ImportError, Parsed, Record, ReportKind};

/// Address fields are one line (geocoders read them): runs of whitespace (line breaks,
/// no-break spaces) become one space. Names are kept as published.
const ONE_LINE_FIELDS: [&str; 2] = ["adresse", "complement_adresse"];

/// A raw row: column → text value (nested objects also under dotted paths), borrowed from the
/// parsed object where it can be (a streamed import maps a million rows: no copy of every key
/// and value before the mapping picks the few it needs).
type RawRow<'v> = HashMap<Cow<'v, str>, Cow<'v, str>, foldhash::fast::RandomState>;

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
        let ctx = FileMapping::new(name, mapping, options);
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
    ctx: FileMapping<'a>,
}

impl<'a> RowMapper<'a> {
    pub(crate) fn new(name: &str, mapping: &'a Mapping, options: &'a MappingOptions) -> Self {
        RowMapper {
            ctx: FileMapping::new(name, mapping, options),
        }
    }

    /// The record of the raw object at `index` (a non-object maps as an empty row).
    pub(crate) fn map_value(&mut self, index: u64, item: &Value) -> Record {
        let mut row = RawRow::default();
        if let Value::Object(o) = item {
            row.reserve(o.len());
            flatten("", o, &mut row);
        }
        self.ctx.map_row(index, &row)
    }
}

/// Object → columns: scalars as text, arrays joined with `|`, nested objects both as JSON text
/// under their key and field by field under `key.field`.
fn flatten<'v>(prefix: &str, obj: &'v Map<String, Value>, row: &mut RawRow<'v>) {
    for (k, v) in obj {
        let key: Cow<'v, str> = if prefix.is_empty() {
            Cow::Borrowed(k.trim())
        } else {
            Cow::Owned(format!("{prefix}{}", k.trim()))
        };
        if let Value::Object(inner) = v {
            flatten(&format!("{key}."), inner, row);
        }
        let value = match v {
            Value::String(s) => Some(Cow::Borrowed(s.as_str())),
            v => json::value_to_string(v).map(Cow::Owned),
        };
        if let Some(s) = value.filter(|s| !s.trim().is_empty()) {
            row.insert(key, s);
        }
    }
}

fn raw_csv(name: &str, bytes: &[u8]) -> Result<Vec<(u64, RawRow<'static>)>, ImportError> {
    let mut rows = csv::Records::open(name, bytes)?;
    let header = rows.header.clone();
    let mut out = Vec::new();
    while let Some((loc, record)) = rows.next_record()? {
        let mut row = RawRow::default();
        row.reserve(header.len());
        for (h, v) in header.iter().zip(record.iter()) {
            let v = String::from_utf8_lossy(v);
            if !h.is_empty() && !v.trim().is_empty() {
                row.insert(Cow::Owned(h.clone()), Cow::Owned(v.into_owned()));
            }
        }
        out.push((loc, row));
    }
    Ok(out)
}

struct FileMapping<'a> {
    mapping: &'a Mapping,
    /// File stem of generated ids.
    stem: String,
    date_maj: NaiveDate,
    /// `date_maj` as the record gives it, and the reason of a row without date (formatted once
    /// per file, not once per row).
    date_maj_text: String,
    no_date_reason: String,
    options: &'a MappingOptions,
}

impl<'a> FileMapping<'a> {
    fn new(name: &str, mapping: &'a Mapping, options: &'a MappingOptions) -> Self {
        let stem = Path::new(name)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "lieu".to_owned());
        let today = chrono::Local::now().date_naive();
        let date_maj = options.date_maj.unwrap_or(today);
        FileMapping {
            mapping,
            stem,
            date_maj,
            date_maj_text: date_maj.format("%Y-%m-%d").to_string(),
            no_date_reason: format!("no date in the source: import date {date_maj} used"),
            options,
        }
    }
}

fn get<'r>(row: &'r RawRow<'_>, column: &str) -> Option<&'r str> {
    row.get(column.trim())
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
}

impl FileMapping<'_> {
    fn map_row(&self, loc: u64, row: &RawRow<'_>) -> Record {
        let mut out = Record {
            loc,
            fields: Default::default(),
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

    fn choices_for(&self, row: &RawRow<'_>, field: &str, modalites: &[String]) -> Vec<String> {
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

    fn hours(&self, row: &RawRow<'_>, out: &mut Record) {
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
            Some(Some((d, _))) if crate::import::normalize::is_placeholder_date(d) => (
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
            None => (self.date_maj, self.no_date_reason.clone()),
        };
        out.notes.push((
            "date_maj".to_owned(),
            ReportKind::Repaired,
            reason,
            raw.unwrap_or_default(),
        ));
        let text = if date == self.date_maj {
            self.date_maj_text.clone()
        } else {
            date.format("%Y-%m-%d").to_string()
        };
        out.fields.insert("date_maj".to_owned(), text);
    }
}

/// Whether `raw` can be OSM opening_hours at all: the grammar is ASCII outside `"comments"`,
/// so French free text with accents ("de 9h à 12h") is known not to parse without running
/// the parser, which takes most of a raw import's time to fail on such text.
fn may_be_osm(raw: &str) -> bool {
    raw.is_ascii() || raw.contains('"')
}

/// The choices' targets for one row, deduplicated in order.
fn apply_choices(choices: &[Choice], row: &RawRow<'_>, modalites: &[String]) -> Vec<String> {
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

/// Dates as producers write them (see [`crate::import::normalize::parse_date`]).
fn parse_source_date(raw: &str) -> Option<(NaiveDate, bool)> {
    crate::import::normalize::parse_date(raw)
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;
    use crate::import::SchemaVersion;
    use serde_json::json;

    fn row(pairs: &[(&str, &str)]) -> RawRow<'static> {
        pairs
            .iter()
            .map(|(k, v)| (Cow::Owned((*k).to_owned()), Cow::Owned((*v).to_owned())))
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
