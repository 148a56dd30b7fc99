//! The graph builder's input: an OpenStreetMap PBF file (blob headers, compressed blocks,
//! string tables, dense nodes, ways). `lieux graph build` reads a path, so the bytes go through
//! a temporary file; any outcome but a panic is fine.
#![no_main]

use std::io::Write;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn path() -> &'static std::path::Path {
    static PATH: OnceLock<std::path::PathBuf> = OnceLock::new();
    PATH.get_or_init(|| std::env::temp_dir().join(format!("lieux-fuzz-{}.osm.pbf", std::process::id())))
}

fuzz_target!(|data: &[u8]| {
    let p = path();
    let written = std::fs::File::create(p).and_then(|mut f| f.write_all(data));
    if written.is_err() {
        return;
    }
    let _ = lieux::routing::build::build(p, false);
});
