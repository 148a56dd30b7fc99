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

/// Web Mercator tile `(x, y)` at zoom `z` holding `(lon, lat)`.
fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let [x, y] = lieux::tiles::lonlat_to_unit(lon, lat);
    let n = f64::from(1u32 << z);
    ((x * n) as u32, (y * n) as u32)
}

/// Distance in metres from `p` to the segment `a`–`b` (lon/lat degrees, local plane).
fn to_segment_m(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let k = p.1.to_radians().cos();
    let (px, py) = ((p.0 - a.0) * k, p.1 - a.1);
    let (bx, by) = ((b.0 - a.0) * k, b.1 - a.1);
    let t = ((px * bx + py * by) / (bx * bx + by * by).max(1e-18)).clamp(0.0, 1.0);
    ((px - t * bx).powi(2) + (py - t * by).powi(2)).sqrt() * 111_320.0
}

/// A feature of lines: its properties and lines of `(lon, lat)`.
type LinesFeature = (Value, Vec<Vec<(f64, f64)>>);

/// GeoJSON lines of `ogr2ogr` output.
fn geojson_lines(out: &std::process::Output) -> Vec<LinesFeature> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fc: Value = serde_json::from_slice(&out.stdout).expect("GeoJSON from GDAL");
    let pt = |c: &Value| (c[0].as_f64().expect("lon"), c[1].as_f64().expect("lat"));
    let line = |l: &Value| {
        l.as_array()
            .expect("line")
            .iter()
            .map(pt)
            .collect::<Vec<_>>()
    };
    fc["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| {
            let g = &f["geometry"];
            let coords = g["coordinates"].as_array().expect("coordinates");
            let lines = match g["type"].as_str() {
                Some("LineString") => vec![line(&g["coordinates"])],
                Some("MultiLineString") => coords.iter().map(line).collect(),
                other => panic!("unexpected geometry {other:?}"),
            };
            (f["properties"].clone(), lines)
        })
        .collect()
}

/// Road tiles of the Paris-centre extract, fetched over HTTP and decoded by GDAL's MVT driver:
/// every point of Boulevard du Temple (read from the OSM file by GDAL's OSM driver) that the
/// graph holds lies on a road line of the z15 tile that covers it, georeferenced by GDAL from
/// the tile's z/x/y.
#[test]
fn road_tiles_hold_a_known_street_where_it_is() {
    let Some(data) = crate::util::shared_data() else {
        eprintln!("skipping: ../shared/data is absent");
        return;
    };
    let osm = data.join("osm/paris-centre-small.osm.pbf");
    let Some(street) = crate::util::gdal(
        "ogr2ogr",
        &[
            "-f",
            "GeoJSON",
            "/vsistdout/",
            osm.to_str().expect("path"),
            "lines",
            "-where",
            "name = 'Boulevard du Temple'",
        ],
    ) else {
        return;
    };
    let street: Vec<(f64, f64)> = geojson_lines(&street)
        .into_iter()
        .flat_map(|(_, ls)| ls.into_iter().flatten())
        .collect();
    assert!(
        street.len() >= 5,
        "Boulevard du Temple in the extract: {street:?}"
    );
    let (net, _) = lieux::routing::build::build(&osm, false).expect("graph");
    let ds = Dataset::embedded().expect("embedded");
    let router = lieux::routing::Router::new(net.clone(), &ds, 1_000.0);
    let server = crate::util::Server::start(AppState::with_router(ds, router));
    let dir = std::env::temp_dir().join(format!("lieux-road-tiles-{}", std::process::id()));
    let mut decoded: std::collections::HashMap<(u32, u32), Vec<LinesFeature>> = Default::default();
    let mut on_road = 0;
    for &p in &street {
        let (x, y) = tile_of(p.0, p.1, 15);
        let lines = decoded.entry((x, y)).or_insert_with(|| {
            let (status, headers, body) = crate::util::request(
                &server,
                "GET",
                &format!("/tiles/routes/15/{x}/{y}"),
                &[],
                b"",
            );
            assert_eq!(status, 200, "tile 15/{x}/{y}");
            assert_eq!(
                headers.get("content-type").map(String::as_str),
                Some("application/vnd.mapbox-vector-tile")
            );
            assert!(headers.contains_key("etag") && headers.contains_key("cache-control"));
            // GDAL georeferences a tile from its z/x/y path
            let path = dir.join(format!("15/{x}/{y}.pbf"));
            std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
            std::fs::write(&path, &body).expect("write tile");
            let out = crate::util::gdal(
                "ogr2ogr",
                &[
                    "-f",
                    "GeoJSON",
                    "-t_srs",
                    "EPSG:4326",
                    "/vsistdout/",
                    path.to_str().expect("path"),
                ],
            )
            .expect("GDAL");
            geojson_lines(&out)
        });
        let near = lines.iter().find(|(_, ls)| {
            ls.iter()
                .any(|l| l.windows(2).any(|w| to_segment_m(p, w[0], w[1]) < 2.0))
        });
        if let Some((props, _)) = near {
            on_road += 1;
            assert_ne!(props["classe"], "pieton", "a boulevard is a car road");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "{on_road} of {} points of Boulevard du Temple on a road line",
        street.len()
    );
    // the extract is clipped: the graph keeps the boulevard's nodes that are in it
    assert!(
        on_road * 10 >= street.len() * 9,
        "{on_road} of {} points of the boulevard on a road line",
        street.len()
    );
}

#[tokio::test]
async fn road_tile_answers() {
    // without a graph: 404 naming it
    let st = AppState::new(Dataset::embedded().expect("embedded"));
    let (status, _, body) = get(&st, "/tiles/routes/15/16599/11271", &[]).await;
    assert_eq!((status, error_parameter(&body).as_str()), (404, "graph"));
    let Some(data) = crate::util::shared_data() else {
        eprintln!("skipping: ../shared/data is absent");
        return;
    };
    let (net, _) =
        lieux::routing::build::build(&data.join("osm/paris-centre-small.osm.pbf"), false)
            .expect("graph");
    let ds = Dataset::embedded().expect("embedded");
    let router = lieux::routing::Router::new(net, &ds, 1_000.0);
    let st = AppState::with_router(ds, router);
    // below the first zoom of every class, and away from the extract: 204
    assert_eq!(get(&st, "/tiles/routes/10/518/352", &[]).await.0, 204);
    assert_eq!(get(&st, "/tiles/routes/15/0/0", &[]).await.0, 204);
    assert_eq!(get(&st, "/tiles/routes/21/0/0", &[]).await.0, 404);
    assert_eq!(
        error_parameter(&get(&st, "/tiles/routes/a/0/0", &[]).await.2),
        "z"
    );
    assert_eq!(
        error_parameter(&get(&st, "/tiles/routes/15/16599/11271?x=1", &[]).await.2),
        "x"
    );
    // main roads from z11, footways only from z15
    let classes = |body: &[u8]| -> std::collections::BTreeSet<String> {
        use geozero::mvt::Message;
        let t = geozero::mvt::Tile::decode(body).expect("mvt");
        let l = &t.layers[0];
        l.features
            .iter()
            .map(|f| match &l.values[f.tags[1] as usize].string_value {
                Some(s) => s.clone(),
                None => String::new(),
            })
            .collect()
    };
    let (status, _, z11) = get(&st, "/tiles/routes/11/1037/704", &[]).await;
    assert_eq!(status, 200);
    assert!(
        classes(&z11)
            .iter()
            .all(|c| c == "rapide" || c == "principale"),
        "{:?}",
        classes(&z11)
    );
    let (_, headers, z15) = get(&st, "/tiles/routes/15/16599/11271.mvt", &[]).await;
    assert!(classes(&z15).contains("pieton"), "{:?}", classes(&z15));
    assert!(classes(&z15).contains("locale"), "{:?}", classes(&z15));
    let tag = headers
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("etag");
    assert_eq!(
        get(
            &st,
            "/tiles/routes/15/16599/11271.mvt",
            &[("if-none-match", tag)]
        )
        .await
        .0,
        304
    );
}

/// The map page in chromium with the Paris-centre graph, at 1280×800 and 375×700: at town zoom
/// it draws road lines (car and footway layers) and place names, at zoom 10 commune names, in
/// glyphs fetched from `/fonts/`; the territory switcher takes it to Guadeloupe; no request
/// fails, no script error, no axe-core violation. Screenshots in target/browser-artifacts.
#[test]
fn map_page_draws_roads_and_labels_with_a_graph() {
    let Some(dir) = crate::browser::browser_ready() else {
        return;
    };
    let Some(data) = crate::util::shared_data() else {
        eprintln!("skipping: ../shared/data is absent");
        return;
    };
    let graph = std::env::temp_dir().join(format!("lieux-basemap-{}.graph", std::process::id()));
    crate::cli::run_ok(&mut crate::util::graph_build(
        &data.join("osm/paris-centre-small.osm.pbf"),
        &graph,
    ));
    // two places inside the extract (the embedded list has none there) and one in Guadeloupe
    let place = |id: &str, lon: f64, lat: f64, commune: &str, cp: &str| {
        serde_json::json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"id": id, "pivot": "00000000000000", "nom": format!("Espace numérique {id}"),
                "commune": commune, "code_postal": cp, "adresse": "1 rue de test", "date_maj": "2026-12-01",
                "services": ["Aide aux démarches administratives"], "dispositif_programmes_nationaux": "France Services"}})
    };
    let places = serde_json::json!({"type": "FeatureCollection", "features": [
        place("temple", 2.3662, 48.8660, "Paris", "75011"),
        place("republique", 2.3640, 48.8672, "Paris", "75010"),
        place("pointe-a-pitre", -61.5331, 16.2411, "Pointe-à-Pitre", "97110"),
    ]});
    let geojson = graph.with_extension("geojson");
    let snapshot = graph.with_extension("fgb");
    std::fs::write(&geojson, places.to_string()).expect("write places");
    crate::cli::run_ok(
        crate::cli::lieux()
            .arg("import")
            .arg(&geojson)
            .arg("--out")
            .arg(&snapshot),
    );
    let (mut server, addr) = crate::cli::start(&[
        "--graph",
        graph.to_str().expect("path"),
        "--snapshot",
        snapshot.to_str().expect("path"),
    ]);
    let (lon, lat) = (2.3655, 48.8655); // Boulevard du Temple, in the extract
    let v = crate::browser::run_node(
        &dir,
        "basemap.mjs",
        &[
            format!("http://{addr}"),
            crate::browser::artifacts().display().to_string(),
            lon.to_string(),
            lat.to_string(),
        ],
    );
    let _ = server.kill();
    for f in [&graph, &geojson, &snapshot] {
        let _ = std::fs::remove_file(f);
    }
    let _ = std::fs::remove_file(snapshot.with_extension("fgb.report.csv"));
    for viewport in ["1280x800", "375x700"] {
        let r = &v[viewport];
        let count = |state: &str, layer: &str| r[state][layer]["count"].as_u64().unwrap_or(0);
        assert!(
            count("town", "routes") > 0,
            "{viewport}: roads at town zoom: {r}"
        );
        assert!(
            count("town", "routes-pieton") > 0,
            "{viewport}: footways at zoom 16: {r}"
        );
        assert!(
            count("town", "lieux-noms") > 0,
            "{viewport}: place names: {r}"
        );
        assert!(
            count("region", "communes-noms") > 0,
            "{viewport}: commune names: {r}"
        );
        let communes = r["region"]["communes-noms"]["names"].to_string();
        assert!(
            communes.contains("\"Paris\""),
            "{viewport}: Paris among the commune names: {communes}"
        );
        assert!(
            r["fonts"].as_array().is_some_and(|f| f
                .iter()
                .any(|p| p.as_str().is_some_and(|p| p.ends_with("/0-255.pbf")))),
            "{viewport}: glyphs fetched: {}",
            r["fonts"]
        );
        let options = r["options"].to_string();
        for t in [
            "France métropolitaine",
            "Guadeloupe",
            "Martinique",
            "Guyane",
            "La Réunion",
            "Mayotte",
        ] {
            assert!(
                options.contains(t),
                "{viewport}: switcher offers {t}: {options}"
            );
        }
        assert_eq!(r["label"], "Territoire");
        let (cx, cy) = (
            r["center"][0].as_f64().unwrap_or(0.0),
            r["center"][1].as_f64().unwrap_or(0.0),
        );
        assert!(
            (-61.9..=-60.95).contains(&cx) && (15.8..=16.55).contains(&cy),
            "{viewport}: Guadeloupe centre {cx}, {cy}"
        );
        assert!(
            r["places"].as_u64().unwrap_or(0) > 0,
            "{viewport}: places in Guadeloupe: {r}"
        );
        assert_eq!(
            r["errors"],
            serde_json::json!([]),
            "{viewport}: script errors"
        );
        assert_eq!(
            r["failed"],
            serde_json::json!([]),
            "{viewport}: failed requests"
        );
        assert_eq!(
            r["axe"],
            serde_json::json!([]),
            "{viewport}: axe-core violations"
        );
    }
}

#[tokio::test]
async fn config_and_commune_tiles() {
    let st = AppState::new(Dataset::embedded().expect("embedded"));
    let (status, _, body) = get(&st, "/config.json", &[]).await;
    assert_eq!(status, 200);
    let cfg: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(cfg["basemap_style"], Value::Null, "offline by default");
    assert_eq!(cfg["routes"], Value::Null, "no graph, no road tiles");
    assert_eq!(cfg["font"], "DejaVu Sans Book");
    let codes: Vec<&str> = cfg["territoires"]
        .as_array()
        .expect("territoires")
        .iter()
        .filter_map(|t| t["code"].as_str())
        .collect();
    assert_eq!(
        codes,
        [
            "metropole",
            "guadeloupe",
            "martinique",
            "guyane",
            "la-reunion",
            "mayotte"
        ]
    );
    let style =
        "https://data.geopf.fr/annexes/ressources/vectorTiles/styles/PLAN.IGN/standard.json";
    let st = st.with_basemap_style(Some(style.into()));
    let cfg: Value = serde_json::from_slice(&get(&st, "/config.json", &[]).await.2).expect("json");
    assert_eq!(cfg["basemap_style"], style);
    assert_eq!(
        error_parameter(&get(&st, "/config.json?x=1", &[]).await.2),
        "x"
    );

    // commune names: Paris from zoom 5, a village of 200 people only from zoom 10
    let names = |body: &[u8]| -> Vec<String> {
        use geozero::mvt::Message;
        let t = geozero::mvt::Tile::decode(body).expect("mvt");
        assert_eq!(t.layers[0].name, "communes");
        t.layers[0]
            .values
            .iter()
            .filter_map(|v| v.string_value.clone())
            .collect()
    };
    let table = lieux::commune_table::embedded();
    let paris = table.by_code("75056").expect("Paris");
    let village = table
        .all()
        .iter()
        .find(|c| c.population > 0 && c.population < 300)
        .expect("a village");
    for (c, z_absent, z_present) in [(paris, 4, 5), (village, 9, 10)] {
        for (z, present) in [(z_absent, false), (z_present, true)] {
            let (x, y) = tile_of(c.lon, c.lat, z);
            let (status, _, body) = get(&st, &format!("/tiles/communes/{z}/{x}/{y}"), &[]).await;
            let listed = status == 200 && names(&body).contains(&c.nom);
            assert_eq!(listed, present, "{} at zoom {z}", c.nom);
        }
    }
}

#[test]
fn basemap_style_must_be_an_http_url() {
    let out = crate::cli::lieux()
        .args([
            "serve",
            "--basemap-style",
            "file:///etc/passwd",
            "--bind",
            "127.0.0.1:0",
        ])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("http:// or https://"));
}

/// `serve --basemap-style URL`: the page draws that style (answered by the browser script, no
/// internet), its layers first, the places' layers and their names on top, with our glyphs since
/// the style has none; the offline layers are gone.
#[test]
fn map_page_draws_a_configured_style() {
    let Some(dir) = crate::browser::browser_ready() else {
        return;
    };
    let style = "https://tiles.example.test/styles/plan/style.json";
    let (mut server, addr) = crate::cli::start(&["--basemap-style", style]);
    let v = crate::browser::run_node(
        &dir,
        "basemap-style.mjs",
        &[
            format!("http://{addr}"),
            crate::browser::artifacts().display().to_string(),
            style.to_owned(),
        ],
    );
    let _ = server.kill();
    assert_eq!(v["fetched"], 1, "the style was fetched: {v}");
    let layers: Vec<&str> = v["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .filter_map(|l| l.as_str())
        .collect();
    assert_eq!(
        &layers[..2],
        ["externe-fond", "externe-terre"],
        "{layers:?}"
    );
    for id in ["clusters", "clusters-count", "lieux", "lieux-noms"] {
        assert!(layers.contains(&id), "{id} on top of the style: {layers:?}");
    }
    for id in ["departements", "communes-noms", "routes"] {
        assert!(
            !layers.contains(&id),
            "{id} is an offline layer: {layers:?}"
        );
    }
    assert!(
        v["glyphs"]
            .as_str()
            .is_some_and(|g| g.ends_with("/fonts/{fontstack}/{range}.pbf")),
        "{v}"
    );
    assert!(v["places"].as_u64().unwrap_or(0) > 0, "places drawn: {v}");
    assert_eq!(v["errors"], serde_json::json!([]));
}
