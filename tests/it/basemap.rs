//! The base map's endpoints: label glyphs (decoded), road tiles of a real extract (decoded by
//! GDAL's MVT driver), the page configuration.

use lieux::Dataset;
use lieux::http::AppState;

use crate::tiles::get;
use pbf_font_tools::Glyphs;
use pbf_font_tools::prost::Message;
use serde_json::Value;

fn error_parameter(body: &[u8]) -> String {
    let v: Value = serde_json::from_slice(body).expect("JSON error");
    v["error"]["parameter"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn glyph_ranges_of_the_embedded_font() {
    let st = AppState::new(Dataset::embedded().expect("embedded"));
    // MapLibre asks with the text-font array joined by commas, percent-encoded
    for (range, needed) in [
        (
            "0-255",
            &['A', 'z', '0', 'é', 'è', 'à', 'ç', 'ô', 'É', '«', '»', '\''][..],
        ),
        ("256-511", &['œ', 'Œ', 'Ÿ'][..]),
        ("8192-8447", &['’', '–', '…'][..]),
    ] {
        let path = format!("/fonts/Open%20Sans%20Regular,DejaVu%20Sans%20Book/{range}.pbf");
        let (status, headers, body) = get(&st, &path, &[]).await;
        assert_eq!(status, 200, "{range}");
        assert_eq!(
            headers.get("content-type").and_then(|v| v.to_str().ok()),
            Some("application/x-protobuf")
        );
        let glyphs = Glyphs::decode(&body[..]).expect("valid glyph protobuf");
        assert_eq!(glyphs.stacks.len(), 1);
        let stack = &glyphs.stacks[0];
        assert_eq!(stack.name, "DejaVu Sans Book");
        assert_eq!(stack.range, range);
        let (lo, hi) = range.split_once('-').expect("range");
        let (lo, hi): (u32, u32) = (lo.parse().expect("lo"), hi.parse().expect("hi"));
        for g in &stack.glyphs {
            assert!((lo..=hi).contains(&g.id), "glyph {} outside {range}", g.id);
            // an SDF bitmap has a 3 px buffer on each side (fontnik's layout MapLibre expects)
            let len = g.bitmap.as_ref().map_or(0, Vec::len);
            if g.width > 0 {
                assert_eq!(len as u32, (g.width + 6) * (g.height + 6), "glyph {}", g.id);
            }
        }
        for c in needed {
            let g = stack.glyphs.iter().find(|g| g.id == *c as u32);
            let g = g.unwrap_or_else(|| panic!("{c:?} missing from {range}"));
            assert!(g.advance > 0 && g.width > 0, "{c:?} is drawn");
        }
        // ETag and 304 (compression is the common reply code, tested on the place tiles)
        let tag = headers
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .expect("etag");
        assert_eq!(get(&st, &path, &[("if-none-match", tag)]).await.0, 304);
    }
    // a range not generated, a font not embedded: 404 naming which; a malformed range: 400
    let (status, _, body) = get(&st, "/fonts/DejaVu%20Sans%20Book/512-767.pbf", &[]).await;
    assert_eq!((status, error_parameter(&body).as_str()), (404, "range"));
    let (status, _, body) = get(&st, "/fonts/Noto%20Sans%20Regular/0-255.pbf", &[]).await;
    assert_eq!(
        (status, error_parameter(&body).as_str()),
        (404, "fontstack")
    );
    let (status, _, body) = get(&st, "/fonts/DejaVu%20Sans%20Book/0-256.pbf", &[]).await;
    assert_eq!((status, error_parameter(&body).as_str()), (400, "range"));
}

/// `lieux glyphs` run on Debian's DejaVu Sans gives the embedded files byte for byte (the data
/// is what the documented command makes).
#[test]
fn embedded_glyphs_are_regenerated_identically() {
    let font = std::path::Path::new("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
    if !font.exists() {
        eprintln!(
            "skipping: {} (Debian fonts-dejavu-core) is absent; .ci/run installs it",
            font.display()
        );
        return;
    }
    let out = std::env::temp_dir().join(format!("lieux-glyphs-{}", std::process::id()));
    crate::cli::run_ok(
        crate::cli::lieux()
            .args(["glyphs", "--font"])
            .arg(font)
            .arg("--out")
            .arg(&out),
    );
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/fonts/DejaVu Sans Book");
    for range in ["0-255", "256-511", "8192-8447"] {
        let name = format!("{range}.pbf.gz");
        let made = std::fs::read(out.join("DejaVu Sans Book").join(&name)).expect("generated");
        let embedded = std::fs::read(data.join(&name)).expect("embedded");
        assert!(
            made == embedded,
            "{name} differs from what lieux glyphs makes"
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}
