//! Part of [`super`] (routing.rs): its helpers and imports are used through `super::*`.

use super::*;

#[tokio::test]
async fn http_reachable_closest_isochrone_with_graph() {
    let Some(st) = andorra_state() else { return };
    let r = get(
        &st,
        "/v1/lieux/reachable?lat=42.5063&lon=1.5218&minutes=15&mode=car&isochrone=true",
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    let fs = v["features"].as_array().unwrap();
    assert!(!fs.is_empty());
    let mut last = 0.0;
    for f in fs {
        let d = f["properties"]["duration_s"].as_f64().unwrap();
        assert!(d >= last && d <= 900.0, "{d}");
        assert!(f["properties"]["distance_m"].as_f64().unwrap() >= 0.0);
        assert!(f["properties"].get("estimate").is_none());
        last = d;
    }
    assert!(v.get("estimate").is_none());
    assert_eq!(v["isochrone"]["geometry"]["type"], "MultiPolygon");

    let r = get(&st, "/v1/lieux/closest?lat=42.5063&lon=1.5218&k=3&dispositif_programmes_nationaux=France%20Services").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    let fs = v["features"].as_array().unwrap();
    assert_eq!(fs.len(), 3);
    for f in fs {
        assert!(
            f["properties"]["dispositif_programmes_nationaux"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x == "France Services")
        );
    }

    let r = get(
        &st,
        "/v1/isochrone?lat=42.5063&lon=1.5218&minutes=20,10&mode=walk",
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    let fs = v["features"].as_array().unwrap();
    assert_eq!(fs.len(), 2);
    assert_eq!(fs[0]["properties"]["minutes"], 10);
    assert_eq!(fs[1]["geometry"]["type"], "MultiPolygon");

    // `generalize=0`: the traced rings, as `isochrone::polygons` draws them; the default
    // (a quarter cell) and a wider tolerance keep fewer vertices
    let vertices = |v: &serde_json::Value| -> usize {
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|f| f["geometry"]["coordinates"].as_array().unwrap())
            .flat_map(|p| p.as_array().unwrap())
            .map(|r| r.as_array().unwrap().len())
            .sum()
    };
    let at = "/v1/isochrone?lat=42.5063&lon=1.5218&minutes=10,30";
    let traced = get(&st, &format!("{at}&generalize=0")).await.json();
    let n = net("andorra").unwrap();
    let router = lieux::routing::Router::new(
        n.clone(),
        &lieux::dataset::Dataset::new(Vec::new()),
        1_000.0,
    );
    let lieux::routing::Located::OnGraph(s) = router.locate(Profile::Car, 1.5218, 42.5063) else {
        panic!("Andorra la Vella is on the graph")
    };
    let tree = router.tree(Profile::Car, s, 1_800);
    let want = isochrone::polygons(
        &n.car,
        &tree,
        (1.5218, 42.5063),
        &[600, 1_800],
        isochrone::cell_m(Profile::Car, 1_800),
    );
    let want_vertices: usize = want
        .iter()
        .flat_map(|mp| &mp.0)
        .map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>())
        .sum();
    assert_eq!(vertices(&traced), want_vertices);
    let default = get(&st, at).await.json();
    let wide = get(&st, &format!("{at}&generalize=200")).await.json();
    assert!(
        vertices(&wide) < vertices(&default) && vertices(&default) < want_vertices,
        "{} / {} / {want_vertices}",
        vertices(&wide),
        vertices(&default)
    );
}

/// `reachable`'s `isochrone` member is the contour `/v1/isochrone` draws for the same point,
/// limit, mode, `generalize` and `denoise` (it was the raw traced polygon, never simplified).
#[tokio::test]
async fn http_reachable_polygon_is_the_isochrone_contour() {
    let Some(st) = andorra_state() else { return };
    for (mode, minutes) in [("car", 15), ("walk", 20), ("car", 30)] {
        for extra in [
            "",
            "&generalize=0",
            "&generalize=150&denoise=1",
            "&denoise=0.5",
        ] {
            let at = format!("lat=42.5063&lon=1.5218&minutes={minutes}&mode={mode}{extra}");
            let r = get(&st, &format!("/v1/lieux/reachable?{at}&isochrone=true")).await;
            assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
            let iso = get(&st, &format!("/v1/isochrone?{at}")).await;
            assert_eq!(iso.status, 200, "{}", String::from_utf8_lossy(&iso.body));
            assert_eq!(
                r.json()["isochrone"],
                iso.json()["features"][0],
                "{mode} {minutes} min {extra:?}"
            );
        }
    }
    // the traced polygon has more vertices than the default's quarter-cell simplification
    let count = |v: &serde_json::Value| v["isochrone"].to_string().matches("],[").count();
    let base = "/v1/lieux/reachable?lat=42.5063&lon=1.5218&minutes=30&isochrone=true";
    let default = get(&st, base).await.json();
    let traced = get(&st, &format!("{base}&generalize=0")).await.json();
    assert!(
        count(&default) < count(&traced),
        "{} / {}",
        count(&default),
        count(&traced)
    );
    let bad = get(&st, &format!("{base}&denoise=2")).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["parameter"], "denoise");
}

/// `denoise=1` (Valhalla's default) keeps each contour's largest ring, no island and no hole:
/// the default answer's largest exterior ring (geo's area as the oracle), unchanged.
#[tokio::test]
async fn http_isochrone_denoise_keeps_the_largest_ring() {
    use geo::Area;
    let Some(st) = andorra_state() else { return };
    let rings = |f: &serde_json::Value| -> Vec<Vec<geo::LineString<f64>>> {
        f["geometry"]["coordinates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                p.as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        r.as_array()
                            .unwrap()
                            .iter()
                            .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()))
                            .collect::<Vec<_>>()
                            .into()
                    })
                    .collect()
            })
            .collect()
    };
    let area = |r: &geo::LineString<f64>| geo::Polygon::new(r.clone(), vec![]).unsigned_area();
    let at = "/v1/isochrone?lat=42.5063&lon=1.5218&minutes=10,20,30";
    let all = get(&st, at).await.json();
    let one = get(&st, &format!("{at}&denoise=1")).await.json();
    let half = get(&st, &format!("{at}&denoise=0")).await.json();
    assert_eq!(half, all, "denoise=0 is the default");
    let (mut extra_rings, fs) = (0, all["features"].as_array().unwrap());
    for (f, g) in fs.iter().zip(one["features"].as_array().unwrap()) {
        let (all, one) = (rings(f), rings(g));
        extra_rings += all.iter().map(Vec::len).sum::<usize>() - 1;
        let largest = all
            .iter()
            .map(|p| &p[0])
            .max_by(|a, b| area(a).total_cmp(&area(b)))
            .unwrap();
        assert_eq!(one, vec![vec![largest.clone()]], "{}", f["properties"]);
    }
    assert!(
        extra_rings > 0,
        "the default answer has islands or holes to drop"
    );
}

#[tokio::test]
async fn http_errors_and_too_far_from_roads() {
    let Some(st) = andorra_state() else { return };
    for (path, param) in [
        ("/v1/lieux/reachable?lat=42.5&lon=1.5&minutes=0", "minutes"),
        (
            "/v1/lieux/reachable?lat=42.5&lon=1.5&minutes=121",
            "minutes",
        ),
        ("/v1/lieux/reachable?lat=42.5&lon=1.5&mode=bike", "mode"),
        ("/v1/lieux/reachable?lon=1.5", "lat"),
        (
            "/v1/lieux/reachable?lat=42.5&lon=1.5&isochrone=maybe",
            "isochrone",
        ),
        ("/v1/lieux/closest?lat=42.5&lon=1.5&k=0", "k"),
        ("/v1/lieux/closest?lat=42.5&lon=1.5&zz=1", "zz"),
        ("/v1/isochrone?lat=42.5&lon=1.5&minutes=10,abc", "minutes"),
        (
            "/v1/isochrone?lat=42.5&lon=1.5&minutes=1,2,3,4,5,6,7",
            "minutes",
        ),
        (
            "/v1/isochrone?lat=42.5&lon=1.5&services=Prendre%20en%20main%20un%20ordinateur",
            "services",
        ),
        ("/v1/isochrone?lat=42.5&lon=1.5&generalize=-1", "generalize"),
        (
            "/v1/isochrone?lat=42.5&lon=1.5&generalize=2001",
            "generalize",
        ),
        (
            "/v1/isochrone?lat=42.5&lon=1.5&generalize=abc",
            "generalize",
        ),
        (
            "/v1/isochrone?lat=42.5&lon=1.5&generalize=NaN",
            "generalize",
        ),
        ("/v1/isochrone?lat=42.5&lon=1.5&denoise=-0.1", "denoise"),
        ("/v1/isochrone?lat=42.5&lon=1.5&denoise=1.5", "denoise"),
        ("/v1/isochrone?lat=42.5&lon=1.5&denoise=abc", "denoise"),
    ] {
        let r = get(&st, path).await;
        assert_eq!(
            r.status,
            400,
            "{path}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(r.json()["error"]["parameter"], param, "{path}");
    }
    // a point inside the graph's extent but more than 1 km from any road: 422
    let n = net("andorra").unwrap();
    let snapper = lieux::routing::snap::Snapper::new(&n.car);
    let [x0, y0, x1, y1] = n.car.bbox();
    let mut rng = Rng::new(1);
    let far = (0..20_000)
        .map(|_| (rng.range(x0, x1), rng.range(y0, y1)))
        .find(|&(x, y)| snapper.snap(x, y, 1_500.0).is_none())
        .expect("a mountain point far from roads");
    for ep in ["lieux/reachable", "lieux/closest", "isochrone"] {
        let r = get(&st, &format!("/v1/{ep}?lat={}&lon={}", far.1, far.0)).await;
        assert_eq!(r.status, 422, "{ep}: {}", String::from_utf8_lossy(&r.body));
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("road")
        );
    }
    // the snap leg is walked: ~300 m off the road costs at least ~3.5 min more than on it
    let snapper = lieux::routing::snap::Snapper::new(&n.car);
    let on = snapper.snap(1.5218, 42.5063, 1_000.0).unwrap();
    let mut rng = Rng::new(4);
    let off = (0..20_000)
        .map(|_| {
            (
                1.5218 + rng.range(-0.05, 0.05),
                42.5063 + rng.range(-0.05, 0.05),
            )
        })
        .find_map(|(x, y)| snapper.snap(x, y, 1_000.0).filter(|s| s.distance_m > 300.0))
        .expect("a point 300 m off-road");
    for leg in lieux::routing::origins(&n.car, off) {
        assert!(leg.offset_ms >= 216_000, "{leg:?}");
    }
    assert!(on.distance_m < 50.0, "{on:?}");
    let h = get(&st, "/health").await.json();
    assert_eq!(h["graph"]["car_nodes"], n.car.node_count());
    // outside the graph (Paris): straight-line estimate
    let r = get(&st, "/v1/lieux/closest?lat=48.85&lon=2.35&k=2").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["estimate"], "straight_line");
}

#[tokio::test]
async fn http_estimates_without_graph() {
    let st = AppState::new(Dataset::new(synthetic_lieux(3_000, 11)));
    let r = get(
        &st,
        "/v1/lieux/reachable?lat=47.2&lon=-1.55&minutes=120&mode=car",
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(v["estimate"], "straight_line");
    let fs = v["features"].as_array().unwrap();
    assert!(!fs.is_empty());
    let mut last = 0.0;
    for f in fs {
        assert_eq!(f["properties"]["estimate"], "straight_line");
        let d = f["properties"]["duration_s"].as_f64().unwrap();
        assert!(d >= last && d <= 7_200.0);
        // 50 km/h on 1.3 × the straight line
        let dist = f["properties"]["distance_m"].as_f64().unwrap();
        assert!((dist / (50.0 / 3.6) - d).abs() < 0.2, "{dist} {d}");
        last = d;
    }
    let r = get(&st, "/v1/lieux/closest?lat=47.2&lon=-1.55&k=4&mode=walk").await;
    let v = r.json();
    assert_eq!(v["features"].as_array().unwrap().len(), 4);
    assert!(
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["properties"]["estimate"] == "straight_line")
    );
    let r = get(&st, "/v1/isochrone?lat=47.2&lon=-1.55&minutes=10,30").await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["features"][1]["properties"]["estimate"], "straight_line");
}

// ---- CLI ----

#[test]
fn cli_graph_build_and_serve_refuses_a_corrupt_graph() {
    let Some(data) = shared_data() else { return };
    let dir = temp_dir();
    let out = dir.join("cli-monaco.graph");
    let stderr = run_ok(&mut crate::util::graph_build(
        &data.join("osm/monaco-2020-07-19.osm.pbf"),
        &out,
    ));
    assert!(stderr.contains("car 672 nodes"), "{stderr}");
    assert!(
        stderr.contains("would be car 4631 nodes"),
        "uncontracted counts: {stderr}"
    );
    assert!(RoadNetwork::load(&out).is_ok());

    let text = dir.join("cli-not.osm.pbf");
    std::fs::write(&text, "not a pbf\n".repeat(20)).unwrap();
    let stderr = run_failing(&mut crate::util::graph_build(
        &text,
        &dir.join("cli-never.graph"),
    ));
    assert!(stderr.contains("not a readable OSM PBF file"), "{stderr}");
    assert!(!dir.join("cli-never.graph").exists());

    let mut bytes = std::fs::read(&out).unwrap();
    bytes.truncate(bytes.len() - 100);
    let corrupt = dir.join("cli-corrupt.graph");
    std::fs::write(&corrupt, bytes).unwrap();
    let stderr = run_failing(
        lieux()
            .args(["serve", "--bind", "127.0.0.1:0", "--graph"])
            .arg(&corrupt),
    );
    assert!(stderr.contains("road graph truncated"), "{stderr}");
}

/// `serve --blocking-threads N` bounds the threads road searches run on: after 64 isochrones
/// asked 16 at a time, the process has at most its main thread, one worker per core and N
/// blocking threads. tokio's own bound (512) let a load grow a thread per concurrent search,
/// each keeping its search arrays and grid (benches/load.sh: ~28 threads, ~400 MiB on Andorra).
#[test]
fn road_searches_run_on_a_bounded_pool() {
    let Some(data) = shared_data() else { return };
    let dir = temp_dir();
    let graph = dir.join("pool-monaco.graph");
    run_ok(&mut crate::util::graph_build(
        &data.join("osm/monaco-2020-07-19.osm.pbf"),
        &graph,
    ));
    let (mut child, addr) = crate::cli::start(&[
        "--graph",
        graph.to_str().unwrap(),
        "--blocking-threads",
        "2",
    ]);
    std::thread::scope(|s| {
        for i in 0..16u32 {
            let addr = &addr;
            s.spawn(move || {
                for j in 0..4u32 {
                    let lat = 43.731 + 0.001 * f64::from(i % 8);
                    let lon = 7.418 + 0.002 * f64::from(j);
                    let path = format!("/v1/isochrone?lat={lat:.4}&lon={lon:.4}&minutes=5,10");
                    let (status, body) = crate::cli::http_get(addr, &path);
                    assert_eq!(status, 200, "{path}: {body}");
                }
            });
        }
    });
    let threads = std::fs::read_dir(format!("/proc/{}/task", child.id())).map(Iterator::count);
    let _ = child.kill();
    let _ = child.wait();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match threads {
        Ok(n) => assert!(n <= 1 + cores + 2, "{n} threads with {cores} cores"),
        Err(e) => eprintln!("skipping the thread count: no /proc ({e})"),
    }
}
