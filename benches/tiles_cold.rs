//! The cost of a new filter on the map (issue 19), printed figures: the first z5 tile
//! (5/16/11, Paris) of a filter whose cluster hierarchy is not built yet, as the server does it
//! (filter evaluation, [`Hierarchy::new`] over the version's [`ClusterBase`], the levels the tile
//! needs, MVT encoding), beside supercluster 9.1 (Node) building the same filtered places and
//! answering the same tile, in the same run; the two tiles are compared (cluster ids and point
//! counts).
//!
//! Data: one place per commune interior point (34 871, `../shared/data/communes`), and 1 M
//! places made from them (each commune 29 times, moved by up to ±0.03°), with seeded
//! attributes and filters ([`lieux::testdata::seed_attributes`], [`sample_filters`]).
//!
//! `cargo bench --bench tiles_cold` (`LIEUX_BENCH_SIZES=35000` skips the 1 M set,
//! `LIEUX_BENCH_RUNS` cold ticks per filter, default 5). supercluster runs when
//! `benches/supercluster/node_modules` is installed (`.ci/install.sh`: `install_bench_tools`).
//! The VM is shared: wall and thread-CPU times are both printed (medians).

#[path = "common/clock.rs"]
mod clock;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use clock::{env, median, timed};
use lieux::Dataset;
use lieux::coverage::commune_list;
use lieux::filter::Filter;
use lieux::http::AppState;
use lieux::model::{Lieu, Position};
use lieux::testdata::{Rng, lieu, sample_filters, seed_attributes};
use lieux::tiles::{ClusterBase, ClusterOptions, Hierarchy, TileCoord, mvt};

/// `copies` places per commune point, the copies moved by up to ±0.03°.
fn places(points: &[(f64, f64)], copies: usize, rng: &mut Rng) -> Vec<Lieu> {
    let mut out = Vec::with_capacity(points.len() * copies);
    for (i, &(lon, lat)) in points.iter().enumerate() {
        for k in 0..copies {
            let (dlon, dlat) = if k == 0 {
                (0.0, 0.0)
            } else {
                (rng.range(-0.03, 0.03), rng.range(-0.03, 0.03))
            };
            let mut l = lieu(
                format!("c{i:05}-{k:02}"),
                Position::new_checked(lon + dlon, lat + dlat),
            );
            seed_attributes(&mut l, rng);
            out.push(l);
        }
    }
    out
}

/// supercluster's build and tile over `points` (lon, lat): (wall ms, CPU ms) medians and the
/// tile's features (`cluster_id:point_count`, `-1:1` for a place, sorted), when Node and the
/// module are installed.
fn supercluster(points: &[(f64, f64)], runs: usize) -> Option<(f64, f64, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/supercluster");
    if !dir.join("node_modules/supercluster").is_dir() {
        return None;
    }
    let file = std::env::temp_dir().join(format!("lieux-sc-{}.f64", std::process::id()));
    let mut w = std::io::BufWriter::new(std::fs::File::create(&file).ok()?);
    for (lon, lat) in points {
        w.write_all(&lon.to_le_bytes()).ok()?;
        w.write_all(&lat.to_le_bytes()).ok()?;
    }
    w.flush().ok()?;
    drop(w);
    let out = Command::new("node")
        .arg(dir.join("cold.mjs"))
        .arg(&file)
        .arg(runs.to_string())
        .output()
        .ok();
    let _ = std::fs::remove_file(&file);
    let out = out?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let mut it = lines
        .next()?
        .split_whitespace()
        .filter_map(|v| v.parse::<f64>().ok());
    Some((it.next()?, it.next()?, lines.next()?.to_owned()))
}

/// Tile 5/16/11 of `h` as [`supercluster`] prints it.
fn tile_features(h: &Hierarchy) -> String {
    let mut f: Vec<String> = h
        .tile(5, 16, 11, mvt::BUFFER_PX)
        .iter()
        .map(|n| match n.is_cluster() {
            true => format!("{}:{}", n.id, n.count),
            false => "-1:1".to_owned(),
        })
        .collect();
    f.sort();
    f.join(" ")
}

/// "same tile", or how many of the tile's features each side has that the other lacks.
fn diff(ours: &str, theirs: &str) -> String {
    if ours == theirs {
        return "same tile".into();
    }
    let count = |s: &str| {
        let mut m = std::collections::BTreeMap::<String, i64>::new();
        for f in s.split(' ') {
            *m.entry(f.to_owned()).or_default() += 1;
        }
        m
    };
    let (a, b) = (count(ours), count(theirs));
    let only = |x: &std::collections::BTreeMap<String, i64>,
                y: &std::collections::BTreeMap<String, i64>| {
        x.iter()
            .map(|(k, n)| (n - y.get(k).copied().unwrap_or(0)).max(0))
            .sum::<i64>()
    };
    let total: i64 = a.values().sum();
    format!(
        "tiles differ: {} of {total} features only here, {} only in supercluster's",
        only(&a, &b),
        only(&b, &a)
    )
}

/// CPU time of the whole process (server threads included) and its system part, ms.
fn process_cpu_ms() -> (f64, f64) {
    // SAFETY: getrusage writes into the struct we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1e3 + t.tv_usec as f64 / 1e3;
    (ms(ru.ru_utime) + ms(ru.ru_stime), ms(ru.ru_stime))
}

/// The query string of `filter` (the parameters [`sample_filters`] sets), checked to parse
/// back to it.
fn query(filter: &Filter) -> String {
    let mut pairs = form_urlencoded::Serializer::new(String::new());
    if !filter.dispositif_programmes_nationaux.is_empty() {
        pairs.append_pair("dispositif_programmes_nationaux", "France Services");
    }
    if !filter.services.is_empty() {
        let names: Vec<&str> = filter.services.iter().map(|s| s.as_str()).collect();
        pairs.append_pair("services", &names.join(","));
    }
    let q = pairs.finish();
    let back = Filter::from_pairs(
        form_urlencoded::parse(q.as_bytes())
            .collect::<Vec<_>>()
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref())),
        chrono::Utc::now(),
    );
    assert_eq!(
        format!("{:?}", back.ok()),
        format!("{:?}", Some(filter)),
        "{q}"
    );
    q
}

/// `GET path` over a new connection: (status, body bytes).
fn get(addr: SocketAddr, path: &str) -> Option<(u16, usize)> {
    let mut c = TcpStream::connect(addr).ok()?;
    write!(
        c,
        "GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = Vec::new();
    c.read_to_end(&mut answer).ok()?;
    let status = std::str::from_utf8(answer.get(9..12)?).ok()?.parse().ok()?;
    Some((status, answer.len()))
}

/// The server on a loopback port (its own runtime, for the rest of the process): cold ticks
/// over HTTP, each filter twice under two cache keys (`exclure_doublons=false` adds a key, not
/// a place: the generated places have no duplicates). Wall ms of the client, process CPU ms
/// (its system part: the first touch of the levels' fresh memory), then a warm request.
fn http_ticks(ds: Dataset) -> Vec<(&'static str, String)> {
    let (tx, rx) = std::sync::mpsc::channel();
    let state = AppState::new(ds);
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Runtime::new() else {
            return;
        };
        let on_bound = move |a| {
            let _ = tx.send(a);
        };
        let never = std::future::pending::<()>();
        let _ = rt.block_on(lieux::http::serve(
            state,
            ([127, 0, 0, 1], 0).into(),
            on_bound,
            never,
        ));
    });
    let Ok(addr) = rx.recv() else {
        return Vec::new();
    };
    // the version's base, built by the first tile request
    let (first, w, c, sys) = timed_process(|| {
        get(
            addr,
            "/tiles/lieux/5/16/11?territoire_type=departements&territoires=75",
        )
    });
    eprintln!(
        "HTTP: first tile request of the version (base built) {w:.0} / {c:.0} (system {sys:.0}) ms, {first:?}"
    );
    let mut out = Vec::new();
    for (name, filter) in sample_filters() {
        let q = query(&filter);
        let sep = if q.is_empty() { "" } else { "&" };
        let mut cells = Vec::new();
        for extra in ["", "exclure_doublons=false"] {
            let path = format!(
                "/tiles/lieux/5/16/11?{q}{}{extra}",
                if extra.is_empty() { "" } else { sep }
            );
            let (answer, w, c, sys) = timed_process(|| get(addr, &path));
            assert_eq!(answer.map(|a| a.0), Some(200), "{path}");
            cells.push(format!("{w:.1} / {c:.1} ({sys:.1})"));
        }
        let (_, warm, _, _) = timed_process(|| get(addr, &format!("/tiles/lieux/5/16/11?{q}")));
        out.push((name, format!("{}; warm {warm:.1}", cells.join(", "))));
    }
    out
}

/// `(output, wall ms, process CPU ms, its system part)` of `f`.
fn timed_process<T>(f: impl FnOnce() -> T) -> (T, f64, f64, f64) {
    let (t, (c, sys)) = (std::time::Instant::now(), process_cpu_ms());
    let out = f();
    let (c2, sys2) = process_cpu_ms();
    (out, t.elapsed().as_secs_f64() * 1e3, c2 - c, sys2 - sys)
}

fn main() {
    let sizes = std::env::var("LIEUX_BENCH_SIZES").unwrap_or_else(|_| "35000,1000000".into());
    let runs = env("LIEUX_BENCH_RUNS", 5).max(1);
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/communes/communes-france.csv.gz");
    let Ok(list) = commune_list::read(&path) else {
        eprintln!("skipping: {} is absent", path.display());
        return;
    };
    let points: Vec<(f64, f64)> = list.iter().filter_map(|c| c.point).collect();
    let o = ClusterOptions::default();
    let tile = TileCoord::new_checked(5, 16, 11).expect("a tile");
    println!(
        "| places | filter | matching | lieux cold tick, wall / CPU ms | supercluster 9.1 load + getTile, wall / CPU ms | CPU ratio |"
    );
    println!("|---|---|---|---|---|---|");
    for size in sizes
        .split(',')
        .filter_map(|s| s.trim().parse::<usize>().ok())
    {
        let copies = ((size as f64 / points.len() as f64).round() as usize).max(1);
        let mut rng = Rng::new(19);
        let ds = Dataset::new(places(&points, copies, &mut rng));
        let positions = |slot: u32| ds.lieu(slot).position.map(|p| (slot, p.lon, p.lat));
        let (base, base_wall, base_cpu) = timed(|| {
            Arc::new(ClusterBase::new(
                (0..ds.lieux().len() as u32).filter_map(positions),
                o,
            ))
        });
        eprintln!(
            "{} places: shared base (once per dataset version) {base_wall:.0} / {base_cpu:.0} ms",
            ds.positioned()
        );
        // where the unfiltered cold tick goes: the filter, the places' bitset, then each level
        // (asking deeper tiles first builds one level at a time)
        let (slots, w, c) = timed(|| ds.all_matching(&Filter::default()).collect::<Vec<_>>());
        let mut steps = vec![format!("filter {w:.0}/{c:.0}")];
        let (h, w, c) = timed(|| Hierarchy::new(Arc::clone(&base), slots));
        steps.push(format!("bitset {w:.0}/{c:.0}"));
        for z in (5..=16u8).rev() {
            let (_, w, c) = timed(|| h.tile(z, 0, 0, 64.0));
            steps.push(format!("z{z} {w:.0}/{c:.0}"));
        }
        eprintln!("unfiltered, wall/CPU ms: {}", steps.join(", "));
        for (name, filter) in sample_filters() {
            let (mut wall, mut cpu) = (Vec::new(), Vec::new());
            let mut matching = 0;
            for _ in 0..runs {
                let (bytes, w, c) = timed(|| {
                    let h = Hierarchy::new(Arc::clone(&base), ds.all_matching(&filter));
                    matching = h.len();
                    mvt::encode(&ds, &h, tile)
                });
                assert!(bytes.is_some_and(|b| !b.is_empty()));
                wall.push(w);
                cpu.push(c);
            }
            let (w, c) = (median(&mut wall), median(&mut cpu));
            let lonlat: Vec<(f64, f64)> = ds
                .all_matching(&filter)
                .filter_map(|s| ds.lieu(s).position.map(|p| (p.lon, p.lat)))
                .collect();
            let sc_runs = if size > 100_000 { 1 } else { runs };
            let sc = supercluster(&lonlat, sc_runs);
            let (sc_text, ratio) = match sc {
                Some((sw, sc, features)) => {
                    let ours =
                        tile_features(&Hierarchy::new(Arc::clone(&base), ds.all_matching(&filter)));
                    let same = diff(&ours, &features);
                    (
                        format!("{sw:.0} / {sc:.0}, {same}"),
                        format!("{:.0}×", sc / c),
                    )
                }
                None => ("(not installed)".into(), "".into()),
            };
            println!(
                "| {} | {name} | {matching} | {w:.1} / {c:.1} | {sc_text} | {ratio} |",
                ds.positioned()
            );
        }
        let n = ds.positioned();
        drop(base);
        for (name, cells) in http_ticks(ds) {
            println!(
                "| {n} | {name}, over HTTP: 2 cold keys, wall / CPU (system); warm wall | | {cells} | | |"
            );
        }
    }
}
