//! The compact graph (issue 18): chains of way nodes where nothing else happens become one arc.
//!
//! [`super::build`] makes every OSM way node a node; [`compact`] then keeps as nodes only:
//! - where roads meet or end: a node with other than two neighbours, or with arcs that do not
//!   make one road through it (a two-way road is an arc each way to each neighbour, a one-way
//!   road one arc in from one neighbour and one out to the other; anything else, such as a
//!   road turning one-way there or two ways sharing a segment, keeps the node);
//! - every node a turn restriction names (`from`, `via`, `to`), so restrictions stay node
//!   triples and the turn-aware search reads them unchanged;
//! - every node the caller asks to keep ([`compact_keeping`]: where the walk flags of
//!   [`super::walk_cost`] change, so that an arc has one set of flags);
//! - one node of each closed ring of way nodes with no other node on it.
//!
//! The way nodes between become the arc's shape ([`super::geometry`]), with the time and
//! length reached at each: the arc's weight and length are the sums of its segments', and the
//! segments' own times stay readable, so a speed change along the road (a `maxspeed`, a town
//! limit) or a traffic-signal or stop delay (on the segment arriving at the signal) needs no
//! node: the time at every way node is what the uncontracted graph gives it. A degree-2 node
//! costs no turn ([`super::turns`]: a bend of one road) and allows no U-turn (it has another
//! exit), so the turn-aware search finds the same times at the kept nodes.
//!
//! [`compact`] takes a graph whose arcs are all straight (as [`super::build`] makes them) and
//! keeps node order: the kept nodes are numbered in their old order.

use std::collections::HashMap;

use super::geometry::{Geometry, REVERSED, STRAIGHT};
use super::graph::Graph;

/// One chain: from a kept node to a kept node, through the way nodes `points[start..end]` of
/// [`Chains`].
struct Chain {
    from: u32,
    to: u32,
    /// End of its points in [`Chains::points`] (each chain's start where the previous ends;
    /// `u32`: 20 bytes a chain, not 24).
    end: u32,
    weight: u32,
    length: u32,
}

/// The chains in the order found, their interior points in one vector (no vector per chain:
/// France's car graph has tens of millions of chains).
#[derive(Default)]
struct Chains {
    chains: Vec<Chain>,
    /// Old node numbers of the interior way nodes, with the time and length to each.
    points: Vec<(u32, u32, u32)>,
}

impl Chains {
    fn points(&self, i: usize) -> &[(u32, u32, u32)] {
        let start = if i == 0 { 0 } else { self.chains[i - 1].end };
        &self.points[start as usize..self.chains[i].end as usize]
    }
}

/// The compact graph of `g` (every arc straight): see the module doc.
pub fn compact(g: Graph) -> Graph {
    compact_keeping(g, &[])
}

/// [`compact`], keeping also the nodes `u` with `also[u]` (`also` empty or one per node).
pub fn compact_keeping(mut g: Graph, also: &[bool]) -> Graph {
    debug_assert!(
        g.geometry.arc_shape.is_empty(),
        "contracting a compact graph"
    );
    let n = g.node_count();
    let mut keep: Vec<bool> = {
        // the tails of the arcs into each node, ascending: the first two only, and how many
        // (capped at 3), as a node with more is kept (9 bytes a node, not a reversed CSR's 4
        // per node and 4 per arc: ~0.8 GB less for France's walk graph; issue 18)
        let mut into = vec![[0u32; 2]; n];
        let mut count = vec![0u8; n];
        for u in 0..n as u32 {
            for a in g.arcs(u) {
                let v = g.targets[a] as usize;
                if let Some(slot) = into[v].get_mut(count[v] as usize) {
                    *slot = u;
                }
                count[v] = (count[v] + 1).min(3);
            }
        }
        (0..n)
            .map(|v| {
                let c = count[v] as usize;
                c > 2 || !through(&g, v as u32, &into[v][..c])
            })
            .collect()
    };
    for &[u, v, w] in &g.restrictions {
        for x in [u, v, w] {
            keep[x as usize] = true;
        }
    }
    for (k, &a) in keep.iter_mut().zip(also) {
        *k |= a;
    }
    // chains from every kept node, then from one node of each ring left unvisited; both
    // vectors sized once (a doubling vector of France's chain points briefly holds 1.5× them
    // beside the uncontracted arcs): a chain per arc out of a kept node, a point per arc into
    // an unkept one (the rings' nodes kept below only make fewer points)
    let mut chains = Chains::default();
    let out_of_kept = (0..n as u32)
        .filter(|&u| keep[u as usize])
        .map(|u| g.arcs(u).len())
        .sum();
    chains.chains.reserve_exact(out_of_kept);
    let into_unkept = g.targets.iter().filter(|&&v| !keep[v as usize]).count();
    chains.points.reserve_exact(into_unkept);
    let mut visited = vec![false; n];
    for u in 0..n as u32 {
        if keep[u as usize] {
            chains_from(&g, u, &keep, &mut visited, &mut chains);
        }
    }
    for u in 0..n as u32 {
        if !keep[u as usize] && !visited[u as usize] {
            keep[u as usize] = true;
            chains_from(&g, u, &keep, &mut visited, &mut chains);
        }
    }
    drop(visited);
    // the chains hold the arcs now: only the nodes and restrictions are read on
    (g.offsets, g.targets, g.weights, g.lengths) = Default::default();
    memory(&format!("{} chains", g.profile.as_str()));
    assemble(g, keep, chains)
}

/// Does exactly one road go through `v`: two neighbours, and either an arc each way to each
/// (two-way) or one in from one and one out to the other (one-way)?
fn through(g: &Graph, v: u32, sources: &[u32]) -> bool {
    let outs: Vec<u32> = g.arcs(v).map(|a| g.targets[a]).collect();
    if outs.contains(&v) || sources.contains(&v) {
        return false;
    }
    match (outs.as_slice(), sources) {
        ([x], [y]) => x != y,
        ([x1, y1], [x2, y2]) => x1 != y1 && ((x1, y1) == (x2, y2) || (x1, y1) == (y2, x2)),
        _ => false,
    }
}

/// Follows every arc out of kept node `u` through the unkept nodes to the next kept one.
fn chains_from(g: &Graph, u: u32, keep: &[bool], visited: &mut [bool], out: &mut Chains) {
    for a0 in g.arcs(u) {
        let (mut prev, mut a) = (u, a0);
        let (mut weight, mut length) = (0u32, 0u32);
        loop {
            weight = weight.saturating_add(g.weights[a]);
            length = length.saturating_add(g.lengths[a]);
            let v = g.targets[a];
            if keep[v as usize] {
                out.chains.push(Chain {
                    from: u,
                    to: v,
                    end: out.points.len() as u32,
                    weight,
                    length,
                });
                break;
            }
            visited[v as usize] = true;
            out.points.push((v, weight, length));
            // the one arc going on (not back where it came from)
            let Some(next) = g.arcs(v).find(|&b| g.targets[b] != prev) else {
                unreachable!("a through node has an arc going on")
            };
            (prev, a) = (v, next);
        }
    }
}

/// The compact graph of the kept nodes and the chains between them.
///
/// Everything but the new graph is freed as soon as it is read no more, and all of it before
/// the turn data is derived (the peak of a France-size build: at 30 M way nodes the chains,
/// their points and the uncontracted coordinates were ~1.3 GB beside the turn data's arrays).
fn assemble(g: Graph, keep: Vec<bool>, all: Chains) -> Graph {
    let Graph {
        profile,
        lon: old_lon,
        lat: old_lat,
        restrictions,
        ..
    } = g;
    let mut new_id = vec![u32::MAX; keep.len()];
    let kept = keep.iter().filter(|&&k| k).count();
    let (mut lon, mut lat) = (Vec::with_capacity(kept), Vec::with_capacity(kept));
    for (u, _) in keep.iter().enumerate().filter(|(_, k)| **k) {
        new_id[u] = lon.len() as u32;
        lon.push(old_lon[u]);
        lat.push(old_lat[u]);
    }
    drop(keep);
    let chains = &all.chains;
    // first the shape of each chain: a new one, or the reverse of an earlier one found by its
    // first and last way node (the reverse chain looks it up by (last, first)); then the
    // points, into vectors sized once
    let mut start: Vec<u32> = vec![0];
    let mut shapes: HashMap<(u32, u32), u32> = HashMap::new();
    let mut arc_shape = Vec::with_capacity(chains.len());
    for i in 0..chains.len() {
        let points = all.points(i);
        let (Some(first), Some(last)) = (points.first(), points.last()) else {
            arc_shape.push(STRAIGHT);
            continue;
        };
        if let Some(&s) = shapes.get(&(last.0, first.0))
            && start[s as usize] as usize + points.len() == start[s as usize + 1] as usize
        {
            arc_shape.push(s | REVERSED);
            continue;
        }
        let s = start.len() as u32 - 1;
        shapes.insert((first.0, last.0), s);
        start.push(start[s as usize] + points.len() as u32);
        arc_shape.push(s);
    }
    drop(shapes);
    let p = start.last().copied().unwrap_or(0) as usize;
    let mut geo = Geometry {
        lon: Vec::with_capacity(p),
        lat: Vec::with_capacity(p),
        dm: Vec::with_capacity(p),
        ms_fwd: Vec::with_capacity(p),
        ms_back: vec![0; p],
        start,
        arc_shape: Vec::new(),
    };
    for (i, &s) in arc_shape.iter().enumerate() {
        if s == STRAIGHT {
            continue;
        }
        let points = all.points(i);
        if s & REVERSED != 0 {
            // the other direction of a two-way shape: its times, from the shape's far end
            let start = geo.start[(s & !REVERSED) as usize] as usize;
            let k = points.len();
            for (j, p) in points.iter().enumerate() {
                geo.ms_back[start + k - 1 - j] = p.1;
            }
            continue;
        }
        for &(v, ms, dm) in points {
            geo.lon.push(old_lon[v as usize]);
            geo.lat.push(old_lat[v as usize]);
            geo.dm.push(dm);
            geo.ms_fwd.push(ms);
        }
    }
    drop((old_lon, old_lat));
    // CSR, arcs sorted by (from, to) as `Graph::from_arcs` does (stable)
    let mut order: Vec<u32> = (0..chains.len() as u32).collect();
    order.sort_by_key(|&i| {
        let c = &chains[i as usize];
        (new_id[c.from as usize], new_id[c.to as usize])
    });
    let nn = lon.len();
    let offsets = super::graph::offsets_of(nn, chains.iter().map(|c| new_id[c.from as usize]));
    if geo.lon.is_empty() {
        geo = Geometry::default();
    } else {
        geo.arc_shape = order.iter().map(|&i| arc_shape[i as usize]).collect();
    }
    drop(arc_shape);
    let triples = restrictions
        .iter()
        .map(|t| t.map(|x| new_id[x as usize]))
        .collect();
    drop(restrictions);
    let arcs = |f: fn(&Chain) -> u32| order.iter().map(|&i| f(&chains[i as usize])).collect();
    let targets = order
        .iter()
        .map(|&i| new_id[chains[i as usize].to as usize])
        .collect();
    let (weights, lengths) = (arcs(|c| c.weight), arcs(|c| c.length));
    drop((all, order, new_id));
    memory(&format!("{} turns", profile.as_str()));
    Graph {
        profile,
        offsets,
        targets,
        weights,
        lengths,
        lon,
        lat,
        restrictions: Vec::new(),
        turns: Default::default(),
        geometry: geo,
        arc_flags: Vec::new(),
        snap_grid: Default::default(),
    }
    .with_restrictions(triples)
}

/// Logs (debug) the process's resident and peak memory as a build phase starts: where the
/// memory of a France-size build goes (`RUST_LOG=lieux=debug lieux graph build …`).
pub(crate) fn memory(phase: &str) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let mb = |key: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? / 1024)
    };
    tracing::debug!(
        phase,
        rss_mb = mb("VmRSS:"),
        peak_mb = mb("VmHWM:"),
        "graph build memory"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::graph::{Arc, Profile};
    use crate::routing::search::{Origin, UNREACHED, bounded};
    use crate::routing::turn_search::tests::random_graph;
    use crate::testdata::Rng;

    /// A random grid with its streets cut into way nodes: the compact graph gives every kept
    /// node the time the full graph gives it, car (turns) and walk.
    #[test]
    fn kept_nodes_keep_their_times_on_random_graphs() {
        let mut rng = Rng::new(7);
        for round in 0..20 {
            let grid = random_graph(&mut rng, 3 + round % 4);
            let full = subdivide(&grid, &mut rng);
            for profile in [Profile::Car, Profile::Walk] {
                let full = Graph {
                    profile,
                    ..full.clone()
                }
                .with_restrictions(full.restrictions.clone());
                let small = compact(full.clone());
                assert!(small.node_count() < full.node_count(), "round {round}");
                // kept nodes by coordinates
                let old: HashMap<(i32, i32), u32> = (0..full.node_count() as u32)
                    .map(|u| ((full.lon[u as usize], full.lat[u as usize]), u))
                    .collect();
                let to_old: Vec<u32> = (0..small.node_count())
                    .map(|u| old[&(small.lon[u], small.lat[u])])
                    .collect();
                for s in 0..small.node_count() as u32 {
                    let o = |node| {
                        [Origin {
                            node,
                            offset_ms: 0,
                            offset_dm: 0,
                            by_arc: None,
                        }]
                    };
                    let want = bounded(&full, &o(to_old[s as usize]), u32::MAX - 1);
                    let got = bounded(&small, &o(s), u32::MAX - 1);
                    for (u, &t) in got.time_ms.iter().enumerate() {
                        let w = want.time_ms[to_old[u] as usize];
                        assert_eq!(t, w, "round {round} {profile:?} {s} → {u}");
                    }
                    // every way node: at the time of the full graph along the arcs (on foot;
                    // by car a turn at the tail may forbid the arc the point is on: no sooner)
                    let mut along: HashMap<u32, u32> = HashMap::new();
                    for u in 0..small.node_count() as u32 {
                        let tu = got.time_ms[u as usize];
                        for a in small.arcs(u).filter(|_| tu != UNREACHED) {
                            for p in small.arc_points(u, a).iter() {
                                let e = along.entry(old[&(p.lon, p.lat)]).or_insert(UNREACHED);
                                *e = (*e).min(tu + p.ms);
                            }
                        }
                    }
                    for (&x, &t) in &along {
                        let w = want.time_ms[x as usize];
                        match profile {
                            Profile::Walk => assert_eq!(t, w, "round {round} way node {x}"),
                            Profile::Car => assert!(t <= w, "round {round} way node {x}"),
                        }
                    }
                }
            }
        }
    }

    /// `g` with each arc cut into 1–3 pieces through new way nodes (both directions of a
    /// two-way street through the same nodes), restrictions kept.
    fn subdivide(g: &Graph, rng: &mut Rng) -> Graph {
        let (mut lon, mut lat) = (g.lon.clone(), g.lat.clone());
        let mut made: HashMap<(u32, u32), Vec<u32>> = HashMap::new();
        let mut arcs = Vec::new();
        for u in 0..g.node_count() as u32 {
            for a in g.arcs(u) {
                let v = g.targets[a];
                let mids = match made.get(&(v, u)) {
                    Some(m) => m.iter().rev().copied().collect(),
                    None => {
                        let k = rng.below(3) as i32;
                        let m: Vec<u32> = (1..=k)
                            .map(|i| {
                                let f = |x: i32, y: i32| x + (y - x) * i / (k + 1) + 37 * i;
                                lon.push(f(g.lon[u as usize], g.lon[v as usize]));
                                lat.push(f(g.lat[u as usize], g.lat[v as usize]));
                                lon.len() as u32 - 1
                            })
                            .collect();
                        made.insert((u, v), m.clone());
                        m
                    }
                };
                let path: Vec<u32> = std::iter::once(u).chain(mids).chain([v]).collect();
                let pieces = path.len() as u32 - 1;
                for w in path.windows(2) {
                    arcs.push(Arc {
                        from: w[0],
                        to: w[1],
                        weight_ms: g.weights[a] / pieces,
                        length_dm: g.lengths[a] / pieces,
                    });
                }
            }
        }
        // a restriction u → v → w names the way nodes next to v
        let path = |u: u32, v: u32| match made.get(&(u, v)) {
            Some(m) => m.clone(),
            None => made[&(v, u)].iter().rev().copied().collect(),
        };
        let triples = g
            .restrictions
            .iter()
            .map(|&[u, v, w]| {
                let before = path(u, v).last().copied().unwrap_or(u);
                let after = path(v, w).first().copied().unwrap_or(w);
                [before, v, after]
            })
            .collect();
        Graph::from_arcs(g.profile, lon, lat, arcs).with_restrictions(triples)
    }
}
