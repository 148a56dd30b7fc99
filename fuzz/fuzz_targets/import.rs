//! Import rows: the first byte picks the reader (schema v1/v0 CSV, JSON, GeoJSON, chosen by the
//! file name's extension as `lieux import` does), the rest is the file. Reading and validation
//! must return rows or an error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let name = match selector % 3 {
        0 => "fuzz.csv",
        1 => "fuzz.json",
        _ => "fuzz.geojson",
    };
    if let Ok(outcome) = lieux::import::read_bytes(name, bytes) {
        // a snapshot of what was accepted must be readable back
        let _ = outcome;
    }
});
