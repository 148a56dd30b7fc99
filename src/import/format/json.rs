//! JSON input: an array of flat objects (v1 or v0, keys absent when empty). Numbers are kept as
//! their JSON text, arrays are joined with `|`. Each record keeps its 0-based array index.

use std::collections::HashSet;
use std::path::PathBuf;

use serde_json::{Map, Value};

use super::{v0, version_from_keys};
use crate::import::{ImportError, Parsed, Record, RecordFields, ReportKind, SchemaVersion};

/// The top-level JSON array of `bytes` (a byte-order mark is skipped), for schema files and raw
/// producer files (mapping) alike.
pub(crate) fn parse_array(name: &str, bytes: &[u8]) -> Result<Vec<Value>, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let value: Value = serde_json::from_slice(bytes).map_err(|source| ImportError::Json {
        path: PathBuf::from(name),
        line: source.line(),
        column: source.column(),
        source,
    })?;
    match value {
        Value::Array(items) => Ok(items),
        _ => Err(ImportError::Format {
            path: PathBuf::from(name),
            reason: "expected a JSON array of objects".to_owned(),
        }),
    }
}

pub(crate) fn parse(name: &str, bytes: &[u8]) -> Result<Parsed, ImportError> {
    let items = parse_array(name, bytes)?;
    let empty = Map::new();
    let objects: Vec<&Map<String, Value>> = items
        .iter()
        .map(|v| v.as_object().unwrap_or(&empty))
        .collect();
    let version = detect_version(objects.iter().copied());
    let records = items
        .iter()
        .zip(&objects)
        .enumerate()
        .map(|(i, (item, obj))| {
            let mut record = object_to_record(i as u64, obj);
            if !item.is_object() {
                record.notes.push((
                    "row".to_owned(),
                    ReportKind::Rejected,
                    "array element is not an object".to_owned(),
                    item.to_string(),
                ));
            }
            record
        })
        .collect();
    Ok(Parsed { version, records })
}

/// v0 when any object has a v0-only key or v0 `services` values; v1 otherwise.
pub(crate) fn detect_version<'a>(
    objects: impl Iterator<Item = &'a Map<String, Value>> + Clone,
) -> SchemaVersion {
    let keys: HashSet<&str> = objects
        .clone()
        .flat_map(|o| o.keys().map(String::as_str))
        .collect();
    if let Some(v) = version_from_keys(keys.iter().copied()) {
        return v;
    }
    let v0_services = objects.filter_map(|o| o.get("services")).any(|s| match s {
        Value::String(s) => s.split([';', '|']).any(|x| v0::is_v0_service(x.trim())),
        Value::Array(a) => a
            .iter()
            .any(|x| x.as_str().is_some_and(|x| v0::is_v0_service(x.trim()))),
        _ => false,
    });
    if v0_services {
        SchemaVersion::V0
    } else {
        SchemaVersion::V1
    }
}

/// Flattens one object into a record: strings as is, numbers and booleans as text, arrays
/// joined with `|`, nulls and empty strings left out.
pub(crate) fn object_to_record(loc: u64, obj: &Map<String, Value>) -> Record {
    let mut fields = RecordFields::default();
    fields.reserve(obj.len());
    for (k, v) in obj {
        if let Some(s) = value_to_string(v).filter(|s| !s.is_empty()) {
            fields.insert(k.trim().to_owned(), s);
        }
    }
    Record {
        loc,
        fields,
        notes: Vec::new(),
    }
}

pub(crate) fn value_to_string(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(value_to_string)
                .collect::<Vec<_>>()
                .join("|"),
        ),
        Value::Object(_) => Some(v.to_string()),
    }
}
