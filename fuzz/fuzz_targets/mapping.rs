//! Mapping configs and the raw files they map (`lieux import RAW --mapping CONFIG.json`), and the
//! French free-text hours converter they call. Input: a little-endian u16 giving the config's
//! length, the config (JSON), then the raw file; the raw file's first byte picks CSV or JSON.
//! Config reading, mapping and validation must return rows or an error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lieux::import::{ImportOptions, Mapping, MappingOptions};

fuzz_target!(|data: &[u8]| {
    let Some((len, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let len = usize::from(u16::from_le_bytes(*len)).min(rest.len());
    let (config, raw) = rest.split_at(len);
    // the free-text hours converter sees every text the fuzzer makes
    if let Ok(text) = std::str::from_utf8(raw) {
        let _ = lieux::import::parse_week_hours(text);
        let _ = lieux::import::parse_day_hours(text);
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(config) else {
        return;
    };
    let Ok(mapping) = Mapping::from_json(&value) else {
        return;
    };
    let Some((&selector, bytes)) = raw.split_first() else {
        return;
    };
    let name = if selector % 2 == 0 { "raw.json" } else { "raw.csv" };
    let options = ImportOptions {
        mapping: Some((mapping, MappingOptions::default())),
        communes: None,
    };
    let _ = lieux::import::read_bytes_with(name, bytes, &options);
});
