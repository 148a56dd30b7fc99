//! Tile coordinates: `/tiles/lieux/{z}/{x}/{y}[.mvt|.pbf][?filters]` with fuzzed segments.
#![no_main]

#[path = "common/http.rs"]
mod http_api;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut uri = b"/tiles/lieux/".to_vec();
    uri.extend_from_slice(data);
    http_api::get(&uri);
});
