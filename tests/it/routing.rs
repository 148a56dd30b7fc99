//! Road routing on the real OSM extracts of `../shared/data/osm/`: graph build, Dijkstra against
//! a naive reference, one-way streets, limits, nesting, corrupt files, and the HTTP endpoints.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::OnceLock;

use geo::{Contains, Point};
use lieux::Dataset;
use lieux::http::{AppState, routes};
use lieux::model::{Dispositif, Position};
use lieux::routing::build::BuildStats;
use lieux::routing::search::{self, Origin, UNREACHED};
use lieux::routing::{Graph, GraphError, Profile, RoadNetwork, Router, isochrone};
use lieux::testdata::{Rng, synthetic_lieux};
use serde_json::Value;

use crate::cli::{lieux, run_failing, run_ok};
use crate::util::shared_data;

const EXTRACTS: [(&str, &str); 4] = [
    ("nantes", "nantes-centre-2014.osm.pbf"),
    ("paris", "paris-centre-small.osm.pbf"),
    ("monaco", "monaco-2020-07-19.osm.pbf"),
    ("andorra", "andorra-2020-05-01.osm.pbf"),
];

fn temp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("lieux-routing-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every extract built once per test process (through a file: build, save, load).
fn networks() -> Option<&'static HashMap<&'static str, (RoadNetwork, BuildStats)>> {
    static NETS: OnceLock<Option<HashMap<&'static str, (RoadNetwork, BuildStats)>>> =
        OnceLock::new();
    NETS.get_or_init(|| {
        let osm = shared_data()?.join("osm");
        let dir = temp_dir();
        let mut out = HashMap::new();
        for (name, file) in EXTRACTS {
            let started = std::time::Instant::now();
            let (net, stats) = lieux::routing::build::build(&osm.join(file), false)
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            let built = started.elapsed();
            let path = dir.join(format!("{name}.graph"));
            net.save(&path).unwrap();
            let started = std::time::Instant::now();
            let loaded = RoadNetwork::load(&path).unwrap();
            eprintln!(
                "{name}: car {} nodes / {} arcs, walk {} nodes / {} arcs, {} bytes, \
                 build {:?} (debug), load {:?}; {stats:?}",
                net.car.node_count(),
                net.car.arc_count(),
                net.walk.node_count(),
                net.walk.arc_count(),
                std::fs::metadata(&path).unwrap().len(),
                built,
                started.elapsed()
            );
            // the file also holds the snap grids, the same as computed from the graph
            assert_eq!(loaded, net.with_snap_grids(), "{name}: file round trip");
            out.insert(name, (loaded, stats));
        }
        Some(out)
    })
    .as_ref()
}

pub(crate) fn net(name: &str) -> Option<&'static RoadNetwork> {
    networks().map(|n| &n[name].0)
}

pub(crate) fn origin(node: u32) -> Origin {
    Origin {
        node,
        offset_ms: 0,
        offset_dm: 0,
        by_arc: None,
    }
}

/// Queue-based Bellman-Ford: the naive reference for Dijkstra (over arcs, turn by turn, on a
/// car graph).
fn bellman_ford(g: &Graph, s: u32) -> Vec<u32> {
    if g.turn_aware() {
        return lieux::routing::turn_search::reference(g, s);
    }
    if !g.arc_flags.is_empty() {
        // walk: by cost (destination-only penalty), reporting times
        return lieux::routing::walk_search::reference(g, &[origin(s)], u32::MAX - 1);
    }
    let mut d = vec![UNREACHED; g.node_count()];
    let mut queued = vec![false; g.node_count()];
    let mut q = VecDeque::from([s]);
    d[s as usize] = 0;
    while let Some(u) = q.pop_front() {
        queued[u as usize] = false;
        for a in g.arcs(u) {
            let v = g.targets[a] as usize;
            let nd = d[u as usize] + g.weights[a];
            if nd < d[v] {
                d[v] = nd;
                if !queued[v] {
                    queued[v] = true;
                    q.push_back(v as u32);
                }
            }
        }
    }
    d
}

/// The node of `g` at `(lon, lat)` (OSM coordinates, 1e-7°).
fn node_at(g: &Graph, lon: i32, lat: i32) -> u32 {
    (0..g.node_count() as u32)
        .find(|&u| g.lon[u as usize] == lon && g.lat[u as usize] == lat)
        .unwrap_or_else(|| panic!("no node at {lon} {lat}"))
}

#[test]
fn monaco_no_left_turn_is_honoured() {
    // OSM relation 4261963 (Monaco, 2020 extract): no_left_turn from way 176527122 (one-way,
    // ending at node 25177185) into way 166399477 (Avenue des Castelans, one-way, starting
    // there); found with `osmium tags-filter … r/type=restriction`.
    let Some(n) = net("monaco") else { return };
    let g = &n.car;
    let u = node_at(g, 74_155_662, 437_263_241); // node 1704462556, the from-way's last but one
    let v = node_at(g, 74_157_810, 437_264_182); // node 25177185, via
    let w = node_at(g, 74_155_888, 437_264_177); // node 3226260243, the to-way's second
    assert!(
        g.restrictions.contains(&[u, v, w]),
        "the restriction is in the graph"
    );
    let arc = |a: u32, b: u32| g.arcs(a).find(|&x| g.targets[x] == b).unwrap();
    let direct = g.weights[arc(u, v)] + g.weights[arc(v, w)];
    let with = search::bounded(g, &[origin(u)], u32::MAX - 1).time_ms[w as usize];
    let free = g.clone().with_restrictions(Vec::new());
    let without = search::bounded(&free, &[origin(u)], u32::MAX - 1).time_ms[w as usize];
    eprintln!("monaco no_left_turn: {without} ms without the restriction, {with} ms with it");
    assert!(
        without >= direct && without < direct + 10_000,
        "{without} vs {direct}"
    );
    assert!(with > without + 10_000, "the turn is taken: {with} ms");
}

#[test]
fn all_extracts_build_and_nantes_drops_missing_nodes() {
    let Some(nets) = networks() else { return };
    for (name, (n, stats)) in nets {
        for (g, (full, _)) in [&n.car, &n.walk].into_iter().zip(stats.uncontracted) {
            assert!(g.node_count() > 200, "{name} {:?}", g.profile);
            // compact: way nodes between junctions are shape points (issue 18)
            assert!(
                full > 1000 && g.node_count() * 2 < full,
                "{name} {:?}",
                g.profile
            );
            // largest SCC only: every node reaches node 0 and back (turn rules aside: a car
            // may find a node of its component cut off by restrictions)
            let fwd = search::bounded(g, &[origin(0)], u32::MAX - 1);
            let missed = fwd.time_ms.iter().filter(|&&t| t == UNREACHED).count();
            let most = if g.turn_aware() { full / 200 } else { 0 };
            assert!(missed <= most, "{name} {:?}: {missed} unreached", g.profile);
        }
    }
    let restricted = nets
        .values()
        .filter(|(n, _)| !n.car.restrictions.is_empty())
        .count();
    assert_eq!(
        restricted, 3,
        "Monaco, Nantes and Andorra have turn restrictions"
    );
    let (_, nantes) = &nets["nantes"];
    assert!(nantes.missing_nodes > 0, "{nantes:?}");
    assert!(nantes.dropped_segments > 0, "{nantes:?}");
    let (andorra, _) = &nets["andorra"];
    assert!(andorra.car.node_count() > 2_000);
    assert!(andorra.walk.node_count() > andorra.car.node_count());
}

/// `build_to_file` writes each profile as soon as it is built and frees it: the same bytes as
/// the whole network built in memory and written by `to_bytes`, and the same counts (two
/// extracts in one graph, so the multi-extract path too).
#[test]
fn streamed_build_writes_the_same_file() {
    let Some(data) = shared_data() else { return };
    let osm = [
        data.join("osm/monaco-2020-07-19.osm.pbf"),
        data.join("osm/andorra-2020-05-01.osm.pbf"),
    ];
    let (net, stats) = lieux::routing::build::build_many(&osm, false).unwrap();
    let path = temp_dir().join("streamed.graph");
    let streamed = lieux::routing::build::build_to_file(&osm, &path, false).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 1_000_000, "{} bytes", bytes.len());
    assert!(bytes == net.to_bytes(), "streamed file differs");
    let counts = |g: &Graph| (g.node_count(), g.arc_count());
    assert_eq!(streamed.graph, [counts(&net.car), counts(&net.walk)]);
    assert_eq!(streamed.graph, stats.graph);
    assert_eq!(streamed.forbidden_turns, stats.forbidden_turns);
    assert!(!temp_dir().join("streamed.graph.tmp").exists());
    // the coordinates and way references parked while the car was contracted: read back, gone
    assert!(!temp_dir().join("streamed.graph.parked").exists());
    // an extract with no roads: an error, and neither the file nor its temporary left
    let empty = temp_dir().join("empty.osm.pbf");
    std::fs::write(&empty, b"").unwrap();
    let out = temp_dir().join("empty.graph");
    assert!(lieux::routing::build::build_to_file(&[&empty], &out, false).is_err());
    assert!(!out.exists() && !out.with_extension("graph.tmp").exists());
    assert!(!out.with_extension("graph.parked").exists());
}

#[test]
fn dijkstra_matches_bellman_ford() {
    for name in ["monaco", "andorra"] {
        let Some(n) = net(name) else { return };
        for g in [&n.car, &n.walk] {
            let mut rng = Rng::new(7);
            for _ in 0..4 {
                let s = rng.below(g.node_count()) as u32;
                let want = bellman_ford(g, s);
                let got = search::bounded(g, &[origin(s)], u32::MAX - 1);
                assert_eq!(got.time_ms, want, "{name} {:?} from {s}", g.profile);
                // bounded: exactly the nodes within the limit
                let limit = 300_000;
                let b = search::bounded(g, &[origin(s)], limit);
                if !g.arc_flags.is_empty() {
                    // walk by cost: a cheapest path beyond the limit keeps its node out
                    let want = lieux::routing::walk_search::reference(g, &[origin(s)], limit);
                    assert_eq!(b.time_ms, want, "{name} walk from {s} within {limit} ms");
                    continue;
                }
                for (t, w) in b.time_ms.iter().zip(&want) {
                    assert_eq!(*t, if *w <= limit { *w } else { UNREACHED });
                }
            }
        }
    }
}

#[test]
fn paris_one_way_streets_are_respected() {
    let Some(n) = net("paris") else { return };
    let g = &n.car;
    let mut found = None;
    'outer: for u in 0..g.node_count() as u32 {
        for a in g.arcs(u) {
            let v = g.targets[a];
            if !g.arcs(v).any(|b| g.targets[b] == u) {
                let uv = search::bounded(g, &[origin(u)], u32::MAX - 1).time_ms[v as usize];
                let vu = search::bounded(g, &[origin(v)], u32::MAX - 1).time_ms[u as usize];
                if uv != vu {
                    found = Some((u, v, uv, vu));
                    break 'outer;
                }
            }
        }
    }
    let (u, v, uv, vu) = found.expect("a one-way pair in central Paris");
    eprintln!("paris one-way: {u}->{v} {uv} ms, back {vu} ms");
    assert!(vu > uv);
    // walking ignores car one-way streets; only footways, pedestrian streets, steps and paths
    // tagged one-way are one-way on foot (Valhalla's rule): a few arcs
    let w = &n.walk;
    let one_way = (0..w.node_count() as u32)
        .flat_map(|x| w.arcs(x).map(move |a| (x, a)))
        .filter(|&(x, a)| !w.arcs(w.targets[a]).any(|b| w.targets[b] == x))
        .count();
    assert!(
        one_way > 0 && one_way * 20 < w.arc_count(),
        "{one_way} one-way walk arcs of {}",
        w.arc_count()
    );
}

/// A dataset of places on (or up to ~50 m off) random graph nodes, plus a few far away.
fn places_on(g: &Graph, count: usize, seed: u64) -> Dataset {
    let mut rng = Rng::new(seed);
    let mut lieux = synthetic_lieux(count, seed);
    for (i, l) in lieux.iter_mut().enumerate() {
        let (lon, lat) = g.coord(rng.below(g.node_count()) as u32);
        let jitter = if i % 3 == 0 { 0.0005 } else { 0.0 };
        l.position = Some(Position {
            lon: lon + rng.range(-jitter, jitter),
            lat: lat + rng.range(-jitter, jitter),
        });
        if i % 50 == 0 {
            l.position = Some(Position {
                lon: lon + 1.0,
                lat,
            });
        }
    }
    Dataset::new(lieux)
}

#[test]
fn reachable_within_limit_and_closest_match_full_search() {
    let Some(n) = net("andorra") else { return };
    for profile in Profile::ALL {
        let g = n.graph(profile);
        let ds = places_on(g, 2_000, 3);
        let router = Router::new(n.clone(), &ds, 1_000.0);
        let mut rng = Rng::new(5);
        for _ in 0..3 {
            let (lon, lat) = g.coord(rng.below(g.node_count()) as u32);
            let lieux::routing::Located::OnGraph(s) = router.locate(profile, lon, lat) else {
                panic!("node not on graph")
            };
            let full = search::bounded(g, &lieux::routing::origins(g, s), u32::MAX - 1);
            let mut all: Vec<(u32, u32)> = (0..ds.lieux().len() as u32)
                .filter_map(|slot| {
                    let p = router.place_snap(profile, slot)?;
                    // through the arc's ends, or straight along the origin's road
                    let t = p
                        .arrivals(g)
                        .iter()
                        .filter_map(|l| Some(l.reached_in(g, &full)?.0))
                        .chain(s.along(g, &p).map(|(t, _)| t))
                        .min()?;
                    Some((t, slot))
                })
                .collect();
            all.sort_unstable();
            for limit_s in [300, 600, 1_800] {
                let tree = router.tree(profile, s, limit_s);
                let got: Vec<(u32, u32)> = router
                    .reached(profile, &tree, limit_s, |_| true)
                    .iter()
                    .map(|r| (r.time_ms, r.slot))
                    .collect();
                let want: Vec<(u32, u32)> = all
                    .iter()
                    .copied()
                    .filter(|(t, _)| *t <= limit_s * 1000)
                    .collect();
                assert_eq!(got, want, "{profile:?} within {limit_s} s");
                // just beyond the limit: absent
                if let Some(beyond) = all.iter().find(|(t, _)| *t > limit_s * 1000) {
                    assert!(!got.iter().any(|(_, s)| *s == beyond.1));
                }
            }
            // 10-min set inside the 30-min set
            let t30 = router.tree(profile, s, 1_800);
            let r10 = router.reached(profile, &router.tree(profile, s, 600), 600, |_| true);
            let r30 = router.reached(profile, &t30, 1_800, |_| true);
            assert!(r10.iter().all(|a| r30.iter().any(|b| b.slot == a.slot)));
            // k closest = prefix of the full order (among France Services)
            let fs = |slot: u32| {
                ds.lieu(slot)
                    .dispositif_programmes_nationaux
                    .contains(&Dispositif::FranceServices)
            };
            let closest: Vec<(u32, u32)> = router
                .closest(profile, s, 5, fs)
                .iter()
                .map(|r| (r.time_ms, r.slot))
                .collect();
            let want: Vec<(u32, u32)> = all
                .iter()
                .copied()
                .filter(|(_, slot)| fs(*slot))
                .take(5)
                .collect();
            assert_eq!(closest, want, "{profile:?} closest");
            // unplaceable places (1° east) are never snapped
            assert!(router.place_snap(profile, 0).is_none());
        }
    }
}

#[test]
fn isochrones_are_nested() {
    let Some(n) = net("andorra") else { return };
    let ds = Dataset::new(Vec::new());
    let router = Router::new(n.clone(), &ds, 1_000.0);
    for (profile, lon, lat) in [
        (Profile::Car, 1.5218, 42.5063),
        (Profile::Walk, 1.5218, 42.5063),
    ] {
        let lieux::routing::Located::OnGraph(s) = router.locate(profile, lon, lat) else {
            panic!("Andorra la Vella is on the graph")
        };
        let tree = router.tree(profile, s, 1_800);
        let started = std::time::Instant::now();
        let polys = isochrone::polygons(
            n.graph(profile),
            &tree,
            (lon, lat),
            &[600, 1_800],
            isochrone::cell_m(profile, 1_800),
        );
        eprintln!("{profile:?} polygons in {:?} (debug)", started.elapsed());
        assert_eq!(polys.len(), 2);
        assert!(!polys[0].0.is_empty() && !polys[1].0.is_empty());
        assert!(polys[0].contains(&Point::new(lon, lat)));
        // every node reached well within a limit (80 %: the grid blurs the edge by a cell or
        // two) lies inside that limit's polygon
        for (poly, limit_ms) in [(&polys[0], 600_000), (&polys[1], 1_800_000)] {
            let g = n.graph(profile);
            for &u in &tree.settled {
                if tree.time_ms[u as usize] <= limit_ms * 4 / 5 {
                    let (x, y) = g.coord(u);
                    assert!(
                        poly.contains(&Point::new(x, y)),
                        "{profile:?}: node {u} at {} ms outside the {limit_ms} ms polygon",
                        tree.time_ms[u as usize]
                    );
                }
            }
        }
        let mut rng = Rng::new(9);
        let (mut inside10, mut inside30) = (0, 0);
        for _ in 0..4_000 {
            let p = Point::new(lon + rng.range(-0.3, 0.3), lat + rng.range(-0.2, 0.2));
            let (a, b) = (polys[0].contains(&p), polys[1].contains(&p));
            assert!(
                !a || b,
                "{profile:?}: {p:?} in the 10-min polygon, not in the 30-min"
            );
            inside10 += usize::from(a);
            inside30 += usize::from(b);
        }
        assert!(inside30 > inside10, "{profile:?}: {inside10} / {inside30}");
    }
}

#[test]
fn corrupt_truncated_and_non_pbf_files_are_clean_errors() {
    let Some(n) = net("monaco") else { return };
    let bytes = n.to_bytes();
    assert!(matches!(
        RoadNetwork::from_bytes(&bytes[..bytes.len() / 2]),
        Err(GraphError::Truncated(_))
    ));
    let mut bad = bytes.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x40;
    assert!(matches!(
        RoadNetwork::from_bytes(&bad),
        Err(GraphError::Checksum)
    ));
    assert!(matches!(
        RoadNetwork::from_bytes(b""),
        Err(GraphError::BadMagic)
    ));
    let dir = temp_dir();
    let text = dir.join("not.osm.pbf");
    std::fs::write(&text, "this is not a PBF file, just text\n".repeat(10)).unwrap();
    let e = lieux::routing::build::build(&text, false).expect_err("not PBF");
    assert!(matches!(e, GraphError::Pbf(..)), "{e:?}");
    assert!(matches!(
        RoadNetwork::load(&dir.join("absent.graph")),
        Err(GraphError::Io(..))
    ));
}

// ---- HTTP ----

pub(crate) struct Res {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

impl Res {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

pub(crate) async fn get(state: &AppState, path: &str) -> Res {
    let res = warp::test::request()
        .method("GET")
        .path(path)
        .reply(&routes(state.clone()))
        .await;
    Res {
        status: res.status().as_u16(),
        body: res.body().to_vec(),
    }
}

pub(crate) fn andorra_state() -> Option<AppState> {
    let n = net("andorra")?;
    let ds = places_on(&n.car, 1_000, 12);
    let router = Router::new(n.clone(), &ds, 1_000.0);
    Some(AppState::with_router(ds, router))
}

mod compact;
mod http;
mod walk_costs;
mod walk_rules;
