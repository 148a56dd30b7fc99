//! OSM PBF → [`RoadNetwork`]: tag rules for the `car` and `walk` profiles, arcs between
//! consecutive way nodes, and the largest strongly connected component of each profile.
//!
//! Two passes over the file with `osmpbf`'s parallel `par_map_reduce`: first the routable ways
//! (node references, and their tag rules, each distinct rule stored once), then the coordinates
//! of just the nodes those ways use; segments with a node absent (clipped extracts) are dropped.
//! Every way node is a node of the full graph, which [`super::contract`] makes compact.
//!
//! Which ways each profile takes, at what speed and in which direction: the tag rules of
//! [`super::tags`].

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicI32, AtomicU8};

use indicatif::{ProgressBar, ProgressStyle};

use super::contract::memory;
use super::density;
use super::graph::{Graph, GraphError, Profile, RoadNetwork, sort_runs};
use super::graph_write::GraphWriter;
use super::osm_read::{MISSING, Rules, Way, read_nodes, read_ways};
pub use super::osm_read::{NODE_SIGNALS, NODE_STOP};
use super::restrictions::{self, Restriction};
use super::scc::{Csr, Members, largest_scc_of_csr};
pub use super::tags::{CarWay, URBAN_DENSITY, car_class, car_rule, parse_maxspeed, walk_rule};
use crate::geodesy::haversine_m;

/// Walking speed, km/h (walk profile, and the snap distance in every profile): Valhalla's
/// pedestrian default (`kDefaultSpeedFoot`, `src/sif/pedestriancost.cc`).
pub const WALK_KMH: f64 = 5.1;
/// Time lost at a traffic signal or a stop sign by car, ms (Valhalla adds 2 s per signal,
/// `valhalla/sif/osrm_car_duration.h`; lieux gives stop signs the same).
pub const SIGNAL_MS: u32 = 2_000;

/// Counts of a build, for logs and reports.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildStats {
    /// Extracts read.
    pub extracts: usize,
    pub ways: usize,
    pub way_nodes: usize,
    pub missing_nodes: usize,
    /// Segments dropped for a missing node, summed over the profiles.
    pub dropped_segments: usize,
    /// Unconnected parts kept in the car and walk graphs (one per extract, fewer when extracts
    /// share roads).
    pub components: [usize; 2],
    /// Turn restrictions read (via-node ones; via-way ones are counted in `skipped`), and the
    /// forbidden `from, via, to` node triples they became in the car graph.
    pub restrictions: usize,
    pub restrictions_skipped: usize,
    pub forbidden_turns: usize,
    /// Car and walk `(nodes, arcs)` before [`super::contract`] made the graphs compact.
    pub uncontracted: [(usize, usize); 2],
    /// Car and walk `(nodes, arcs)` of the graphs built.
    pub graph: [(usize, usize); 2],
}

pub use super::scc::MAX_EXTRACTS;

/// Reads `osm` (PBF) and builds both profiles. `progress` shows an indicatif spinner on stderr.
pub fn build(osm: &Path, progress: bool) -> Result<(RoadNetwork, BuildStats), GraphError> {
    build_many(&[osm], progress)
}

/// Reads every extract of `osm` (PBF) into one network of both profiles, compact
/// ([`super::contract`]); [`build_uncontracted`] keeps every way node a node.
pub fn build_many<P: AsRef<Path>>(
    osm: &[P],
    progress: bool,
) -> Result<(RoadNetwork, BuildStats), GraphError> {
    collected(osm, progress, true)
}

/// [`build_many`] with every way node a graph node (no [`super::contract`]): the oracle the
/// compact graph is tested and measured against.
pub fn build_uncontracted<P: AsRef<Path>>(
    osm: &[P],
    progress: bool,
) -> Result<(RoadNetwork, BuildStats), GraphError> {
    collected(osm, progress, false)
}

/// [`build_with`], both profiles' graphs kept.
fn collected<P: AsRef<Path>>(
    osm: &[P],
    progress: bool,
    contract: bool,
) -> Result<(RoadNetwork, BuildStats), GraphError> {
    let mut graphs = Vec::with_capacity(2);
    let stats = build_with(osm, progress, contract, None, &mut |g| {
        graphs.push(g);
        Ok(())
    })?;
    let walk = graphs.pop();
    let car = graphs.pop();
    match (car, walk) {
        (Some(car), Some(walk)) => Ok((RoadNetwork { car, walk }, stats)),
        _ => Err(GraphError::Invalid("a profile's graph is missing".into())),
    }
}

/// [`build_many`] straight into the graph file `out` (written atomically: a temporary file,
/// then renamed): each profile's section is written as soon as it is built and freed before
/// the next is built, so a France-size build never holds both graphs. The file is the one
/// [`RoadNetwork::save`] writes, byte for byte.
pub fn build_to_file<P: AsRef<Path>>(
    osm: &[P],
    out: &Path,
    progress: bool,
) -> Result<BuildStats, GraphError> {
    let tmp = out.with_extension("graph.tmp");
    let parked = out.with_extension("graph.parked");
    let io = |e| GraphError::Io(e, tmp.clone());
    let file = std::fs::File::create(&tmp).map_err(io)?;
    let mut w = GraphWriter::new(std::io::BufWriter::new(file), 2).map_err(io)?;
    let built = build_with(osm, progress, true, Some(&parked), &mut |g| {
        w.section(&g).map_err(io)?;
        let name = g.profile.as_str();
        drop(g);
        memory(&format!("{name} written"));
        Ok(())
    });
    let written = built.and_then(|stats| {
        let mut file = w.finish().map_err(io)?;
        std::io::Write::flush(&mut file).map_err(io)?;
        Ok(stats)
    });
    match written {
        Ok(stats) => {
            std::fs::rename(&tmp, out).map_err(|e| GraphError::Io(e, out.to_owned()))?;
            Ok(stats)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            let _ = std::fs::remove_file(&parked);
            Err(e)
        }
    }
}

/// Reads every extract of `osm` (PBF) into one network of both profiles.
///
/// The extracts' ways and nodes are joined by OSM id: a way or node present in several extracts
/// (overlapping regions) is one, and a way clipped in one extract is completed by the nodes of
/// another. Of each extract, the largest strongly connected component of each profile is kept
/// (as for a single extract); extracts whose roads meet share that component, the others stay
/// separate, unconnected parts of the graph (see [`crate::routing::Components`]).
///
/// Each profile's graph goes to `emit` as soon as it is built (car, then walk), and the data
/// only the car needs (node ids, road density, node flags, restrictions) is freed before the
/// walk graph is built. With `park`, what only the walk reads on (the ways' node references
/// and the coordinates) waits in that file while the car is contracted.
fn build_with<P: AsRef<Path>>(
    osm: &[P],
    progress: bool,
    contract: bool,
    park: Option<&Path>,
    emit: &mut dyn FnMut(Graph) -> Result<(), GraphError>,
) -> Result<BuildStats, GraphError> {
    let Some(first) = osm.first() else {
        return Err(GraphError::Invalid("no OSM extract given".into()));
    };
    if osm.len() > MAX_EXTRACTS {
        return Err(GraphError::Invalid(format!(
            "{} extracts given, at most {MAX_EXTRACTS} fit in one graph",
            osm.len()
        )));
    }
    // the read passes advance by the bytes read (an ETA per pass); later phases are spinners
    let total_bytes: u64 = osm
        .iter()
        .map(|p| std::fs::metadata(p.as_ref()).map_or(0, |m| m.len()))
        .sum();
    let pb = if progress {
        ProgressBar::new(total_bytes)
    } else {
        ProgressBar::hidden()
    };
    pb.set_style(
        ProgressStyle::with_template(
            "{elapsed:>4} {msg} [{bar:25}] {binary_bytes}/{binary_total_bytes} (ETA {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let spinner = |pb: &ProgressBar, msg: &str| {
        memory(msg);
        pb.set_style(
            ProgressStyle::with_template("{elapsed:>4} {spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        pb.enable_steady_tick(std::time::Duration::from_millis(200));
        pb.set_message(msg.to_owned());
    };

    // Pass 1: routable ways, of every extract, read in chunks and joined once (no growing
    // vector of millions of ways).
    let mut chunks: Vec<Vec<Way>> = Vec::new();
    let mut restrictions: Vec<Restriction> = Vec::new();
    let mut skipped = 0;
    let rules = std::sync::Mutex::new(Rules::default());
    for (e, path) in osm.iter().enumerate() {
        let path = path.as_ref();
        pb.set_message(format!("pass 1/2: ways of {}", path.display()));
        let (w, c, r) = read_ways(path, 1u64 << e, &rules, &pb)?;
        chunks.extend(c);
        chunks.push(w);
        skipped += r.iter().filter(|r| r.is_none()).count();
        restrictions.extend(r.into_iter().flatten());
    }
    let mut ways: Vec<Way> = Vec::with_capacity(chunks.iter().map(Vec::len).sum());
    for c in chunks {
        ways.extend(c);
    }
    restrictions.sort_unstable();
    restrictions.dedup();
    let rules = rules.into_inner().unwrap_or_else(|e| e.into_inner()).table;
    // the same way in several extracts is one way, member of each
    ways.sort_by_key(|w| (w.id, w.extracts));
    ways.dedup_by(|later, kept| {
        let same = later.id == kept.id;
        if same {
            kept.extracts |= later.extracts;
        }
        same
    });
    // par_map_reduce order depends on thread timing: sort for a deterministic graph.
    ways.sort_by(|a, b| (&a.refs, a.id).cmp(&(&b.refs, b.id)));

    // sized once: a growing vector of France's 130 M references would briefly hold three times them
    let mut ids: Vec<i64> = Vec::with_capacity(ways.iter().map(|w| w.refs.len()).sum());
    ids.extend(ways.iter().flat_map(|w| w.refs.iter().copied()));
    ids.sort_unstable();
    ids.dedup();
    ids.shrink_to_fit();
    // the ways' references as node indices, in one flat vector (way `i`'s are
    // `nodes[start[i]..start[i + 1]]`), the OSM ids kept only for the ways restrictions name
    let named: std::collections::HashSet<i64> =
        restrictions.iter().flat_map(|r| [r.from, r.to]).collect();
    let mut named_refs: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut nodes: Vec<u32> = Vec::with_capacity(ways.iter().map(|w| w.refs.len()).sum());
    let mut start: Vec<usize> = Vec::with_capacity(ways.len() + 1);
    start.push(0);
    for w in &mut ways {
        let refs = std::mem::take(&mut w.refs);
        // every reference is in `ids`, made of them
        nodes.extend(
            refs.iter()
                .map(|r| ids.binary_search(r).unwrap_or(0) as u32),
        );
        start.push(nodes.len());
        if named.contains(&w.id) {
            named_refs.insert(w.id, refs);
        }
    }
    drop(named);
    // what the profiles read of each way from here: 16 bytes, not a `Way`'s 48
    // (extended, not collected: a collect would keep the `Way`s' allocation, 3 times the size)
    let mut ways = {
        let mut uses: Vec<WayUse> = Vec::with_capacity(ways.len());
        uses.extend(ways.into_iter().map(|w| WayUse {
            rule: w.rule,
            extracts: w.extracts,
        }));
        uses
    };

    // Pass 2: coordinates of the nodes used (the first extract holding a node gives them),
    // stored in place as the blobs are decoded.
    pb.set_position(0);
    let lon: Vec<AtomicI32> = (0..ids.len()).map(|_| AtomicI32::new(MISSING)).collect();
    let lat: Vec<AtomicI32> = (0..ids.len()).map(|_| AtomicI32::new(MISSING)).collect();
    let flags: Vec<AtomicU8> = (0..ids.len()).map(|_| AtomicU8::new(0)).collect();
    for path in osm {
        let path = path.as_ref();
        memory("pass 2");
        pb.set_message(format!("pass 2/2: nodes of {}", path.display()));
        read_nodes(path, &ids, [&lon, &lat], &flags, &pb)?;
    }
    // same layout: collected in place
    let mut lon: Vec<i32> = lon.into_iter().map(AtomicI32::into_inner).collect();
    let mut lat: Vec<i32> = lat.into_iter().map(AtomicI32::into_inner).collect();
    let flags: Vec<u8> = flags.into_iter().map(AtomicU8::into_inner).collect();
    let mut stats = BuildStats {
        extracts: osm.len(),
        ways: ways.len(),
        way_nodes: ids.len(),
        missing_nodes: lon.iter().filter(|&&x| x == MISSING).count(),
        dropped_segments: 0,
        components: [0; 2],
        restrictions: restrictions.len(),
        restrictions_skipped: skipped,
        forbidden_turns: 0,
        uncontracted: [(0, 0); 2],
        graph: [(0, 0); 2],
    };

    let node_m = |a: usize, b: usize| segment_m(&lon, &lat, a, b);
    let segments = |i: usize| way_segments(&nodes[start[i]..start[i + 1]], &lon);
    spinner(&pb, "road density");
    let mut dense = density::relative(
        &lon,
        &lat,
        (0..ways.len())
            .filter(|&i| rules[ways[i].rule as usize].dense)
            .flat_map(|i| segments(i).map(|(a, b)| (a as u32, b as u32, node_m(a, b)))),
    );

    // the restrictions as node indices: the node ids (8 bytes each) are read no more
    let mut restrictions = restrictions::indexed(
        &restrictions,
        |id| named_refs.get(&id).map(Vec::as_slice),
        &ids,
    );
    drop((ids, named_refs));
    memory("components");
    pb.set_message("components");
    let mut flags = flags;
    for (p, profile) in Profile::ALL.into_iter().enumerate() {
        // borrowed for this profile only: the last one frees what they read
        let refs_of = |i: usize| &nodes[start[i]..start[i + 1]];
        let node_m = |a: usize, b: usize| segment_m(&lon, &lat, a, b);
        let segments = |i: usize| way_segments(refs_of(i), &lon);
        // the way's direction in this profile (1 forward, -1 backward, 0 both), if it has one
        let dir_of = |w: &WayUse| match profile {
            Profile::Car => rules[w.rule as usize].car.map(|c| c.dir),
            Profile::Walk => {
                let r = &rules[w.rule as usize];
                r.walk.then_some(r.walk_dir)
            }
        };
        // the arcs go straight into CSR (France: hundreds of millions of arcs, never a vector
        // of `Arc`s besides): first each node's arc count and the extracts its arcs come from
        let n = lon.len();
        let mut member = Members::new(n, osm.len());
        let mut offsets = vec![0u32; n + 1];
        for (i, w) in ways.iter().enumerate() {
            let Some(dir) = dir_of(w) else {
                continue;
            };
            for (a, b) in segments(i) {
                member.add(a, w.extracts);
                member.add(b, w.extracts);
                offsets[a + 1] += u32::from(dir >= 0);
                offsets[b + 1] += u32::from(dir <= 0);
            }
        }
        for u in 0..n {
            offsets[u + 1] += offsets[u];
        }
        let m = offsets[n] as usize;
        let (mut targets, mut weights, mut lengths) = (vec![0u32; m], vec![0u32; m], vec![0u32; m]);
        // the next free slot of each node's run, in way order (as `Graph::packed` places them):
        // its start, advanced in place (no second vector of n slots)
        let mut place = |from: usize, to: usize, weight_ms: u32, length_dm: u32| {
            let i = offsets[from] as usize;
            offsets[from] += 1;
            (targets[i], weights[i], lengths[i]) = (to as u32, weight_ms, length_dm);
        };
        // the walk flags of the segments that have some (by coordinates: the nodes are
        // renumbered below)
        let mut flagged = super::walk_cost::Segments::default();
        for (i, w) in ways.iter().enumerate() {
            let Some(dir) = dir_of(w) else {
                continue;
            };
            let rule = &rules[w.rule as usize];
            let way_m: f64 = if rule.ferry.is_some() {
                segments(i).map(|(a, b)| node_m(a, b)).sum()
            } else {
                0.0
            };
            // speed (km/h) and delay (ms) of a stretch ending at node `to`
            let cost = |to: usize| -> (f64, u32) {
                match (profile, rule.car) {
                    (Profile::Car, Some(c)) => {
                        let stop = flags[to] & (NODE_SIGNALS | NODE_STOP) != 0 && c.ferry.is_none();
                        (
                            c.kmh(dense[to] > URBAN_DENSITY, way_m),
                            if stop { SIGNAL_MS } else { 0 },
                        )
                    }
                    _ => match rule.ferry {
                        // its `duration` over its length, else by length (Valhalla's
                        // `speed_assigner.h`: 10 km/h under 2 km, 20 under 8 km, 30 beyond)
                        Some(d) => (CarWay::ferry(d, 0).kmh(false, way_m), 0),
                        None => (WALK_KMH, 0),
                    },
                }
            };
            for pair in refs_of(i).windows(2) {
                let (a, b) = (pair[0] as usize, pair[1] as usize);
                if lon[a] == MISSING || lon[b] == MISSING {
                    stats.dropped_segments += 1;
                    continue;
                }
                if a == b {
                    continue;
                }
                if profile == Profile::Walk {
                    flagged.add((lon[a], lat[a]), (lon[b], lat[b]), rule.walk_flags);
                }
                let len_m = haversine_m(
                    f64::from(lon[a]) * 1e-7,
                    f64::from(lat[a]) * 1e-7,
                    f64::from(lon[b]) * 1e-7,
                    f64::from(lat[b]) * 1e-7,
                );
                let weight = |to: usize| {
                    let (kmh, delay_ms) = cost(to);
                    ((len_m / (kmh / 3.6) * 1000.0).round().max(1.0) as u32)
                        .saturating_add(delay_ms)
                };
                let length_dm = (len_m * 10.0).round() as u32;
                if dir >= 0 {
                    place(a, b, weight(b), length_dm);
                }
                if dir <= 0 {
                    place(b, a, weight(a), length_dm);
                }
            }
        }
        // each run's end is the next one's start
        offsets.copy_within(0..n, 1);
        offsets[0] = 0;
        sort_runs(&offsets, &mut targets, &mut weights, &mut lengths);
        let csr = Csr {
            offsets,
            targets,
            weights,
            lengths,
        };
        let triples = match profile {
            Profile::Car => restrictions::triples(
                &restrictions,
                (0..n as u32).flat_map(|u| {
                    let run =
                        csr.offsets[u as usize] as usize..csr.offsets[u as usize + 1] as usize;
                    csr.targets[run].iter().map(move |&v| (u, v))
                }),
            ),
            Profile::Walk => Vec::new(),
        };
        if profile == Profile::Car {
            // what only the car reads: freed before its components, contraction and the walk
            (dense, flags, restrictions) = Default::default();
        }
        memory(&format!("{} components", profile.as_str()));
        // the coordinates go into the graph (filtered in place); what only the walk reads
        // from here waits in a file meanwhile (the components and the car's contraction are
        // the peaks of a France-size build)
        let (graph_lon, graph_lat) = if p + 1 == Profile::ALL.len() {
            // the last profile: the ways are read no more
            (ways, nodes, start) = Default::default();
            (std::mem::take(&mut lon), std::mem::take(&mut lat))
        } else if let Some(path) = park {
            park_arrays(path, &nodes, &start, &lon, &lat)?;
            (nodes, start) = Default::default();
            (std::mem::take(&mut lon), std::mem::take(&mut lat))
        } else {
            (lon.clone(), lat.clone())
        };
        let (g, parts, new_id) = largest_scc_of_csr(profile, graph_lon, graph_lat, csr, &member);
        drop(member);
        let kept = |u: u32| Some(new_id[u as usize]).filter(|&v| v != u32::MAX);
        let triples = triples
            .iter()
            .filter_map(|&[u, v, w]| Some([kept(u)?, kept(v)?, kept(w)?]))
            .collect();
        drop(new_id);
        stats.uncontracted[p] = (g.node_count(), g.arc_count());
        memory(&format!("{} contraction", profile.as_str()));
        // the turn data is derived once, on the graph served (compact reads the triples only)
        flagged.seal();
        let mut g = if contract {
            let also = super::walk_cost::changes_at(&g, &flagged);
            let g = Graph {
                restrictions: triples,
                ..g
            };
            super::contract::compact_keeping(g, &also)
        } else {
            g.with_restrictions(triples)
        };
        g.arc_flags = super::walk_cost::arc_flags(&g, &flagged);
        drop(flagged);
        if profile == Profile::Car {
            stats.forbidden_turns = g.turns.forbidden_count();
        }
        stats.components[p] = parts;
        if g.node_count() == 0 {
            return Err(GraphError::Empty(if osm.len() == 1 {
                first.as_ref().to_owned()
            } else {
                osm.iter()
                    .map(|p| p.as_ref().display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
                    .into()
            }));
        }
        stats.graph[p] = (g.node_count(), g.arc_count());
        emit(g)?;
        if p + 1 < Profile::ALL.len()
            && let Some(path) = park
        {
            (nodes, start, lon, lat) = unpark_arrays(path, stats.way_nodes, ways.len())?;
        }
    }
    memory("done");
    pb.finish_and_clear();
    Ok(stats)
}

/// Writes the way references, way starts and coordinates to `path` (see [`unpark_arrays`]).
fn park_arrays(
    path: &Path,
    nodes: &[u32],
    start: &[usize],
    lon: &[i32],
    lat: &[i32],
) -> Result<(), GraphError> {
    use std::io::Write;
    let io = |e| GraphError::Io(e, path.to_owned());
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
    w.write_all(&(nodes.len() as u64).to_le_bytes())
        .map_err(io)?;
    // France's references number far under 2^32 (~130 M)
    let words = (nodes.iter().copied())
        .chain(start.iter().map(|&x| x as u32))
        .chain(lon.iter().chain(lat).map(|&x| x as u32));
    for x in words {
        w.write_all(&x.to_le_bytes()).map_err(io)?;
    }
    w.flush().map_err(io)
}

/// Reads back (and deletes) what [`park_arrays`] wrote: `nodes` way references, `ways + 1`
/// way starts, the coordinates of `way_nodes` nodes.
#[allow(clippy::type_complexity)]
fn unpark_arrays(
    path: &Path,
    way_nodes: usize,
    ways: usize,
) -> Result<(Vec<u32>, Vec<usize>, Vec<i32>, Vec<i32>), GraphError> {
    use std::io::Read;
    let io = |e| GraphError::Io(e, path.to_owned());
    let mut r = std::io::BufReader::new(std::fs::File::open(path).map_err(io)?);
    let mut word = [0u8; 8];
    r.read_exact(&mut word).map_err(io)?;
    fn read<T>(
        r: &mut impl Read,
        n: usize,
        of: impl Fn(u32) -> T,
    ) -> Result<Vec<T>, std::io::Error> {
        let mut v = Vec::with_capacity(n);
        let mut x = [0u8; 4];
        for _ in 0..n {
            r.read_exact(&mut x)?;
            v.push(of(u32::from_le_bytes(x)));
        }
        Ok(v)
    }
    let refs = u64::from_le_bytes(word) as usize;
    let arrays = (
        read(&mut r, refs, |x| x).map_err(io)?,
        read(&mut r, ways + 1, |x| x as usize).map_err(io)?,
        read(&mut r, way_nodes, |x| x as i32).map_err(io)?,
        read(&mut r, way_nodes, |x| x as i32).map_err(io)?,
    );
    std::fs::remove_file(path).map_err(io)?;
    Ok(arrays)
}

/// What the profiles read of a way once its references are node indices.
struct WayUse {
    rule: u32,
    extracts: u64,
}

/// Length of the segment between nodes `a` and `b`, metres.
fn segment_m(lon: &[i32], lat: &[i32], a: usize, b: usize) -> f64 {
    haversine_m(
        f64::from(lon[a]) * 1e-7,
        f64::from(lat[a]) * 1e-7,
        f64::from(lon[b]) * 1e-7,
        f64::from(lat[b]) * 1e-7,
    )
}

/// The segments of a way (its node indices `refs`) as node index pairs, both ends present.
fn way_segments<'a>(refs: &'a [u32], lon: &'a [i32]) -> impl Iterator<Item = (usize, usize)> + 'a {
    refs.windows(2)
        .map(|p| (p[0] as usize, p[1] as usize))
        .filter(|&(a, b)| a != b && lon[a] != MISSING && lon[b] != MISSING)
}
