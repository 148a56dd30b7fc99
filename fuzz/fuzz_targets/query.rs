//! Query strings (parameters and filters) of every query endpoint: the first byte picks the
//! endpoint, the rest is the query string.
#![no_main]

#[path = "common/http.rs"]
mod http_api;

use libfuzzer_sys::fuzz_target;

const ENDPOINTS: &[&str] = &[
    "/v1/lieux/nearest?",
    "/v1/lieux?",
    "/v1/lieux.csv?",
    "/v1/lieux/reachable?",
    "/v1/lieux/closest?",
    "/v1/isochrone?",
    "/collections/lieux/items?",
    "/v1/stats?",
    "/tiles/lieux?",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, query)) = data.split_first() else {
        return;
    };
    let mut uri = ENDPOINTS[usize::from(selector) % ENDPOINTS.len()].as_bytes().to_vec();
    uri.extend_from_slice(query);
    http_api::get(&uri);
});
