//! Coverage (`lieux::coverage`): the multi-source search checked against one single-source
//! search per point on a real extract; the real communes with the embedded France Services
//! checked against a brute-force great-circle scan; the command's files.

use std::collections::HashMap;

use lieux::Dataset;
use lieux::coverage::commune_list as communes;
use lieux::coverage::report::{BANDS, CoverageReport, Level, Row, totals};
use lieux::coverage::{Method, Prepared, compute, road_time, search_from_places};
use lieux::filter::Filter;
use lieux::index::haversine_m;
use lieux::model::{Dispositif, Position};
use lieux::routing::{
    DETOUR_FACTOR, ESTIMATE_CAR_KMH, Located, Profile, RoadNetwork, Router, build,
};
use lieux::testdata::{Rng, lieu};

use crate::cli::{lieux, run_ok};
use crate::util::shared_data;

fn graph(file: &str) -> Option<RoadNetwork> {
    let path = shared_data()?.join("osm").join(file);
    Some(
        build::build(&path, false)
            .unwrap_or_else(|e| panic!("{file}: {e}"))
            .0,
    )
}

/// `n` places at seeded graph nodes, moved by up to ~300 m (so snap legs vary).
fn places_on(net: &RoadNetwork, n: usize, seed: u64) -> Vec<lieux::model::Lieu> {
    let g = &net.car;
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| {
            let (lon, lat) = g.coord(rng.below(g.node_count()) as u32);
            lieu(
                format!("road-{i:03}"),
                Some(Position {
                    lon: lon + rng.range(-0.003, 0.003),
                    lat: lat + rng.range(-0.002, 0.002),
                }),
            )
        })
        .collect()
}

#[test]
fn multi_source_equals_one_search_per_point_on_andorra() {
    let Some(net) = graph("andorra-2020-05-01.osm.pbf") else {
        return;
    };
    let ds = Dataset::new(places_on(&net, 25, 3));
    let max_snap_m = 1000.0;
    let router = Router::new(net.clone(), &ds, max_snap_m);
    let g = &net.car;
    let prepared = Prepared::new(g);
    let filter = Filter::default();
    let (nearest, on_graph) = search_from_places(g, &prepared.snapper, &ds, &filter, max_snap_m);
    assert_eq!(on_graph, 25, "every place was put near a road");
    let mut rng = Rng::new(11);
    let (mut road, mut unique, mut off) = (0, 0, 0);
    for i in 0..400 {
        let (lon, lat) = g.coord(rng.below(g.node_count()) as u32);
        // some points far from any road (up to ~2 km away), most close to one
        let spread = if i % 5 == 0 { 0.03 } else { 0.004 };
        let pt = (
            lon + rng.range(-spread, spread),
            lat + rng.range(-spread, spread),
        );
        let got = road_time(g, &prepared.snapper, &nearest, pt, max_snap_m);
        match router.locate(Profile::Car, pt.0, pt.1) {
            Located::OnGraph(s) => {
                let want = router.closest(Profile::Car, s, 2, |_| true);
                let (t, slot) = got.unwrap_or_else(|| panic!("{pt:?}: no road time"));
                assert_eq!(t, want[0].time_ms, "{pt:?}: time to the nearest place");
                if want.len() < 2 || want[1].time_ms > want[0].time_ms {
                    assert_eq!(slot, want[0].slot, "{pt:?}: nearest place");
                    unique += 1;
                }
                road += 1;
            }
            Located::Outside | Located::TooFar { .. } => {
                assert_eq!(got, None, "{pt:?} is not on the graph");
                off += 1;
            }
        }
    }
    eprintln!("andorra: {road} points by road ({unique} without ties), {off} off the graph");
    assert!(
        road > 250 && off > 10,
        "both cases exercised: {road} / {off}"
    );
}

/// France Services positions (slot, lon, lat) of a dataset, for the brute-force scan.
fn positions(ds: &Dataset, keep: impl Fn(&lieux::model::Lieu) -> bool) -> Vec<(u32, f64, f64)> {
    ds.lieux()
        .iter()
        .enumerate()
        .filter(|(_, l)| keep(l))
        .filter_map(|(i, l)| l.position.map(|p| (i as u32, p.lon, p.lat)))
        .collect()
}

#[test]
fn real_communes_with_embedded_france_services_on_monaco() {
    let Some(data) = shared_data() else { return };
    let Some(net) = graph("monaco-2020-07-19.osm.pbf") else {
        return;
    };
    let list = communes::read(&data.join("communes/communes-france.csv.gz")).unwrap();
    assert_eq!(list.len(), 34_875);
    assert_eq!(
        list.iter().map(|c| c.population).sum::<u64>(),
        68_350_798,
        "national population (COM rows)"
    );
    // The embedded France Services plus three places on the Monaco graph, so that the French
    // communes the extract covers (its edge roads in Beausoleil) get road times.
    let mut lieux = Dataset::embedded().unwrap().lieux().to_vec();
    let mut extra = places_on(&net, 3, 5);
    for l in &mut extra {
        l.dispositif_programmes_nationaux = [Dispositif::FranceServices].into();
    }
    lieux.extend(extra);
    let ds = Dataset::new(lieux);
    let filter = Filter {
        dispositif_programmes_nationaux: vec![Dispositif::FranceServices],
        ..Filter::default()
    };
    let max_snap_m = 1000.0;
    let prepared = Prepared::new(&net.car);
    let (times, stats) = compute(&prepared, &ds, &filter, list.clone(), max_snap_m, || {});
    assert_eq!(times.len(), 34_875);
    // the three added places, plus any 2022 France Services within the snap limit of a road
    assert!(stats.places_on_graph >= 3, "{stats:?}");
    let router = Router::new(net.clone(), &ds, max_snap_m);
    // one place per group of duplicates, as the filter selects them (crate::dedup)
    let fs: Vec<(u32, f64, f64)> = positions(&ds, |l| {
        l.dispositif_programmes_nationaux
            .contains(&Dispositif::FranceServices)
    })
    .into_iter()
    .filter(|(s, _, _)| !ds.groups().is_hidden(*s))
    .collect();
    let speed = ESTIMATE_CAR_KMH / 3.6;
    let mut counts: HashMap<Method, usize> = HashMap::new();
    for t in &times {
        *counts.entry(t.method).or_default() += 1;
        let c = &t.commune;
        match t.method {
            Method::None => assert!(c.point.is_none(), "{}: has a point", c.code_insee),
            Method::StraightLine => {
                let (lon, lat) = c.point.unwrap();
                let (slot, d) = fs
                    .iter()
                    .map(|&(s, x, y)| (s, haversine_m(lon, lat, x, y)))
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .unwrap();
                let want = d * DETOUR_FACTOR / speed;
                let got = t.seconds.unwrap();
                assert!(
                    (got - want).abs() < 1e-6 * want.max(1.0),
                    "{}: {got} s, brute force {want} s",
                    c.code_insee
                );
                let got_d = {
                    let p = ds.lieu(t.place.unwrap()).position.unwrap();
                    haversine_m(lon, lat, p.lon, p.lat)
                };
                assert!(
                    t.place == Some(slot) || (got_d - d).abs() < 1e-6,
                    "{}: nearest place",
                    c.code_insee
                );
            }
            Method::Road => {
                let (lon, lat) = c.point.unwrap();
                let Located::OnGraph(s) = router.locate(Profile::Car, lon, lat) else {
                    panic!("{}: road time but not on the graph", c.code_insee)
                };
                let want = router.closest(Profile::Car, s, 1, |slot| {
                    ds.lieu(slot)
                        .dispositif_programmes_nationaux
                        .contains(&Dispositif::FranceServices)
                });
                assert_eq!(
                    t.seconds,
                    Some(f64::from(want[0].time_ms) / 1000.0),
                    "{}",
                    c.code_insee
                );
            }
        }
    }
    eprintln!("monaco extract: {counts:?}");
    assert_eq!(
        counts.get(&Method::None),
        Some(&4),
        "4 communes have no coordinates"
    );
    assert!(
        counts.get(&Method::Road).copied().unwrap_or(0) >= 1,
        "Beausoleil by road"
    );

    // Totals: départements and régions add up to France; bands nest.
    let rows: Vec<Row> = times.iter().map(|t| Row::from_time(t, &ds)).collect();
    let france = &totals(&rows, Level::France, 30)[0];
    assert_eq!(france.population, 68_350_798);
    assert_eq!(france.population_without_time, 731);
    for level in [Level::Region, Level::Departement] {
        let parts = totals(&rows, level, 30);
        assert_eq!(
            parts.iter().map(|t| t.population).sum::<u64>(),
            france.population
        );
        assert_eq!(parts.iter().map(|t| t.within).sum::<u64>(), france.within);
        assert_eq!(
            parts
                .iter()
                .map(|t| t.population_straight_line)
                .sum::<u64>(),
            france.population_straight_line
        );
    }
    assert!(france.within_bands.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(
        france.within, france.within_bands[2],
        "30 min is the third band"
    );
    let by_hand: u64 = rows
        .iter()
        .filter(|r| r.seconds.is_some_and(|s| s <= 20 * 60))
        .map(|r| r.population)
        .sum();
    assert_eq!(france.within_bands[1], by_hand);
    assert_eq!(BANDS, [10, 20, 30, 45]);
}

#[test]
fn command_writes_csv_totals_and_map_on_monaco() {
    let Some(data) = shared_data() else { return };
    let dir = std::env::temp_dir().join(format!("lieux-coverage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let graph_path = dir.join("monaco.graph");
    run_ok(&mut crate::util::graph_build(
        &data.join("osm/monaco-2020-07-19.osm.pbf"),
        &graph_path,
    ));
    let out = dir.join("out");
    let stderr = run_ok(
        lieux()
            .args(["coverage", "--minutes", "20", "--graph"])
            .arg(&graph_path)
            .args([
                "--filter",
                "dispositif_programmes_nationaux=France Services",
            ])
            .arg("--communes")
            .arg(data.join("communes/communes-france.csv.gz"))
            .arg("--polygons")
            .arg(data.join("communes/communes-france-polygons.geojson.gz"))
            .arg("--out")
            .arg(&out),
    );
    assert!(stderr.contains("34875 communes"), "{stderr}");
    let report = CoverageReport::load(&out).unwrap();
    assert_eq!(report.rows.len(), 34_875);
    assert_eq!(report.meta.minutes, 20);
    assert_eq!(report.meta.mode, "car");
    // every commune with a time names its place, an embedded France Services
    let ds = Dataset::embedded().unwrap();
    for r in &report.rows {
        assert_eq!(r.seconds.is_some(), r.lieu_id.is_some(), "{}", r.code_insee);
        if let Some(id) = &r.lieu_id {
            assert!(ds.slot_of(id).is_some(), "{id}");
        }
        if let (Some(s), Some(m)) = (r.seconds, r.minutes) {
            assert!((s as f64 / 60.0 - m).abs() <= 0.06, "{}", r.code_insee);
        }
    }
    // totals.csv: France first, its 20-minute population equals a sum over communes.csv
    let totals_csv = std::fs::read_to_string(out.join("totals.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(totals_csv.as_bytes());
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let recs: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(&recs[0][col("level")], "france");
    let within: u64 = report
        .rows
        .iter()
        .filter(|r| r.seconds.is_some_and(|s| s <= 1200))
        .map(|r| r.population)
        .sum();
    assert_eq!(
        recs[0][col("population_20min")].parse::<u64>().unwrap(),
        within
    );
    // --minutes 20 has its own columns, equal to the 20-minute band; header names are unique
    assert_eq!(
        &recs[0][col("population_within")],
        &recs[0][col("population_20min")]
    );
    let mut names: Vec<&str> = h.iter().collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), h.len(), "duplicate columns in totals.csv");
    assert_eq!(
        recs.iter()
            .filter(|r| &r[col("level")] == "departement")
            .count(),
        101
    );
    assert_eq!(
        recs.iter().filter(|r| &r[col("level")] == "region").count(),
        18
    );
    // the map: an SVG with one polygon per commune of the polygon file (COM with a geometry),
    // the overseas départements in their insets included
    let svg = std::fs::read_to_string(out.join("map.svg")).unwrap();
    assert!(svg.starts_with("<svg"));
    let fc: serde_json::Value = serde_json::from_reader(flate2::read::GzDecoder::new(
        std::fs::File::open(data.join("communes/communes-france-polygons.geojson.gz")).unwrap(),
    ))
    .unwrap();
    let with_polygon = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["type"] == "COM" && !f["geometry"].is_null())
        .count();
    assert_eq!(svg.matches("<path class=").count(), with_polygon);
    for inset in [
        "Guadeloupe",
        "Martinique",
        "Guyane",
        "La Réunion",
        "Mayotte",
    ] {
        assert!(svg.contains(&format!(">{inset}</text>")), "{inset} inset");
    }
    // the server reads the folder back
    let out_s = out.to_str().unwrap();
    let (mut child, addr) = crate::cli::start(&["--coverage", out_s]);
    let (status, body) = crate::cli::http_get(
        &addr,
        "/v1/coverage?group_by=region&dispositif_programmes_nationaux=France%20Services",
    );
    assert_eq!(status, 200, "{body}");
    // per commune over HTTP, page by page following `next`, equals the CLI's communes.csv
    // read as text (every column), in its order
    let csv_text = std::fs::read_to_string(out.join("communes.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(csv_text.as_bytes());
    let ch = rdr.headers().unwrap().clone();
    let want: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let mut got: Vec<serde_json::Value> = Vec::new();
    let mut next = Some(
        "/v1/coverage?group_by=commune&limit=1000&dispositif_programmes_nationaux=France%20Services"
            .to_owned(),
    );
    let mut pages = 0;
    while let Some(path) = next.take() {
        let (status, body) = crate::cli::http_get(&addr, &path);
        assert_eq!(status, 200, "{path}: {body}");
        let page: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(page["group_by"], "commune");
        assert_eq!(page["numberMatched"], want.len());
        let communes = page["communes"].as_array().unwrap();
        assert_eq!(page["numberReturned"], communes.len());
        assert!(communes.len() <= 1000);
        got.extend(communes.iter().cloned());
        next = page["next"].as_str().map(str::to_owned);
        pages += 1;
    }
    assert_eq!(pages, want.len().div_ceil(1000));
    assert_eq!(got.len(), want.len());
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut within_http = 0u64;
    for (g, w) in got.iter().zip(&want) {
        for (i, column) in ch.iter().enumerate() {
            let expected = &w[i];
            let actual = text(&g[column]);
            if column == "minutes" && !expected.is_empty() {
                // the CSV writes 12.0 as "12.0", JSON as 12.0: compare numbers
                let (a, b): (f64, f64) = (actual.parse().unwrap(), expected.parse().unwrap());
                assert_eq!(a, b, "{column} of {}", &w[0]);
            } else {
                assert_eq!(actual, expected, "{column} of {}", &w[0]);
            }
        }
        if g["within"] == true {
            within_http += g["population"].as_u64().unwrap();
        }
    }
    assert_eq!(within_http, within);
    let (status, bad) = crate::cli::http_get(
        &addr,
        "/v1/coverage?group_by=commune&limit=1001&dispositif_programmes_nationaux=France%20Services",
    );
    assert_eq!(status, 400, "{bad}");
    child.kill().ok();
    child.wait().ok();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["minutes"], 20);
    assert_eq!(v["france"]["population_within"], within);
    std::fs::remove_dir_all(&dir).ok();
}

async fn get(state: &lieux::http::AppState, path: &str) -> (u16, serde_json::Value) {
    let res = warp::test::request()
        .method("GET")
        .path(path)
        .reply(&lieux::http::routes(state.clone()))
        .await;
    let v = serde_json::from_slice(res.body())
        .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {:?}", res.body()));
    (res.status().as_u16(), v)
}

#[tokio::test]
async fn endpoint_serves_the_figures_of_the_computation() {
    use lieux::coverage::report::RunMeta;
    use lieux::http::AppState;
    let Some(data) = shared_data() else { return };
    let Some(net) = graph("monaco-2020-07-19.osm.pbf") else {
        return;
    };
    let ds = Dataset::embedded().unwrap();
    let filters = vec![(
        "dispositif_programmes_nationaux".to_owned(),
        "France Services".to_owned(),
    )];
    let filter = lieux::coverage::cli::filter_of(&filters).unwrap();
    let list = communes::read(&data.join("communes/communes-france.csv.gz")).unwrap();
    let prepared = Prepared::new(&net.car);
    let (times, _) = compute(&prepared, &ds, &filter, list, 1000.0, || {});
    let rows: Vec<Row> = times.iter().map(|t| Row::from_time(t, &ds)).collect();
    let report = CoverageReport {
        meta: RunMeta {
            mode: "car".into(),
            minutes: 30,
            filters,
            graph: "monaco.graph".into(),
            max_snap_m: 1000.0,
            dataset_version: ds.version().into(),
            computed_at: "2026-11-29T06:00:00+00:00".into(),
            places: 0,
            places_on_graph: 0,
            nodes: 0,
            nodes_settled: 0,
            index_ms: 0.0,
            search_ms: 0.0,
            communes_ms: 0.0,
        },
        rows: rows.clone(),
    };
    // the files round-trip
    let dir = std::env::temp_dir().join(format!("lieux-coverage-http-{}", std::process::id()));
    report.save(&dir).unwrap();
    let loaded = CoverageReport::load(&dir).unwrap();
    assert_eq!(loaded.rows.len(), rows.len());
    assert_eq!(loaded.meta, report.meta);
    std::fs::remove_dir_all(&dir).ok();

    let without = AppState::new(Dataset::embedded().unwrap());
    let (status, v) = get(&without, "/v1/coverage").await;
    assert_eq!(status, 404, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("coverage"));

    let state = AppState::new(ds).with_coverage(loaded);
    let fs = "dispositif_programmes_nationaux=France%20Services";
    let (status, v) = get(
        &state,
        &format!("/v1/coverage?group_by=region&minutes=25&{fs}"),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["minutes"], 25);
    assert_eq!(v["group_by"], "region");
    // independent sums over the rows, per région
    let mut want: HashMap<&str, (u64, u64, u64)> = HashMap::new();
    for r in &rows {
        let e = want.entry(r.code_region.as_str()).or_default();
        e.0 += r.population;
        if r.seconds.is_some_and(|s| s <= 25 * 60) {
            e.1 += r.population;
        }
        if r.method == "straight_line" {
            e.2 += r.population;
        }
    }
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), want.len());
    for g in groups {
        let w = want[g["code"].as_str().unwrap()];
        assert_eq!(g["population"], w.0, "{g}");
        assert_eq!(g["population_within"], w.1, "{g}");
        assert_eq!(g["population_straight_line"], w.2, "{g}");
    }
    assert_eq!(v["france"]["population"], 68_350_798u64);

    // bad parameters are 400 naming them; other filters are 404
    for (q, param) in [
        (format!("minutes=0&{fs}"), "minutes"),
        (format!("minutes=121&{fs}"), "minutes"),
        (format!("group_by=canton&{fs}"), "group_by"),
        (format!("group_by=commune&limit=0&{fs}"), "limit"),
        (format!("group_by=commune&limit=1001&{fs}"), "limit"),
        (format!("group_by=commune&offset=-1&{fs}"), "offset"),
        (format!("group_by=region&limit=10&{fs}"), "limit"),
        (format!("offset=10&{fs}"), "offset"),
        (
            "dispositif_programmes_nationaux=Nope".to_owned(),
            "dispositif_programmes_nationaux",
        ),
        (format!("k=3&{fs}"), "k"),
    ] {
        let (status, v) = get(&state, &format!("/v1/coverage?{q}")).await;
        assert_eq!(status, 400, "{q}: {v}");
        assert_eq!(v["error"]["parameter"], param, "{q}: {v}");
    }
    let (status, v) = get(&state, "/v1/coverage").await;
    assert_eq!(status, 404, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("France Services")
    );
    let (_, doc) = get(&state, "/openapi.json").await;
    assert!(doc["paths"]["/v1/coverage"]["get"].is_object());
}
