//! GeoJSON input: a FeatureCollection of Points whose properties are schema fields (v1 or v0).
//! The Point's coordinates win over `latitude`/`longitude` properties; a feature without
//! geometry falls back to them. Each record keeps its 0-based index in `features`.

use std::path::PathBuf;

use ::geojson::{GeoJson, GeometryValue};
use serde_json::Map;

use super::json;
use crate::import::{ImportError, Parsed, ReportKind};

pub(crate) fn parse(name: &str, bytes: &[u8]) -> Result<Parsed, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| ImportError::Format {
        path: PathBuf::from(name),
        reason: format!("not UTF-8 text: {e}"),
    })?;
    let geojson: GeoJson = text.parse().map_err(|source| ImportError::GeoJson {
        path: PathBuf::from(name),
        source: Box::new(source),
    })?;
    let GeoJson::FeatureCollection(collection) = geojson else {
        return Err(ImportError::Format {
            path: PathBuf::from(name),
            reason: "expected a GeoJSON FeatureCollection".to_owned(),
        });
    };
    let empty = Map::new();
    let version = json::detect_version(
        collection
            .features
            .iter()
            .map(|f| f.properties.as_ref().unwrap_or(&empty)),
    );
    let records = collection
        .features
        .iter()
        .enumerate()
        .map(|(i, feature)| {
            let props = feature.properties.as_ref().unwrap_or(&empty);
            let mut record = json::object_to_record(i as u64, props);
            if !record.fields.contains_key("id")
                && let Some(id) = &feature.id
            {
                let id = match id {
                    ::geojson::feature::Id::String(s) => s.clone(),
                    ::geojson::feature::Id::Number(n) => n.to_string(),
                };
                record.fields.insert("id".to_owned(), id);
            }
            match feature.geometry.as_ref().map(|g| &g.value) {
                Some(GeometryValue::Point { coordinates }) => match coordinates.as_slice() {
                    [lon, lat, ..] => {
                        record
                            .fields
                            .insert("longitude".to_owned(), lon.to_string());
                        record.fields.insert("latitude".to_owned(), lat.to_string());
                    }
                    _ => record.notes.push((
                        "geometry".to_owned(),
                        ReportKind::Dropped,
                        "Point without two coordinates".to_owned(),
                        String::new(),
                    )),
                },
                Some(other) => {
                    record.fields.remove("longitude");
                    record.fields.remove("latitude");
                    record.notes.push((
                        "geometry".to_owned(),
                        ReportKind::Dropped,
                        "geometry is not a Point: position dropped".to_owned(),
                        other.type_name().to_owned(),
                    ));
                }
                None => {}
            }
            record
        })
        .collect();
    Ok(Parsed { version, records })
}
