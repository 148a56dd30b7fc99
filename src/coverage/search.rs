//! Multi-source search: for every node of a graph, the travel time **to** the nearest source
//! (a place) and which one, in one Dijkstra run from all sources at once on the reverse graph.
//!
//! Direction: citizens travel to the place, so the time that matters for node `v` is the
//! shortest path `v → place`. Searching the reverse graph (every arc `a → b` becomes `b → a`)
//! from the places gives exactly those times in one run (one-way streets included).
//!
//! Queue: a monotone [`RadixHeap`] keyed by milliseconds (exact, no comparisons).

use std::collections::HashMap;

use super::radix::RadixHeap;
use crate::routing::Graph;
use crate::routing::search::UNREACHED;
use crate::routing::snap::Snap;

/// No place (node not reached).
pub const NO_PLACE: u32 = u32::MAX;

/// The reverse of a [`Graph`] in CSR form: `sources[offsets[v]..offsets[v + 1]]` are the nodes
/// with an arc **into** `v`, with that arc's weight (ms).
pub struct ReverseGraph {
    pub offsets: Vec<u32>,
    pub sources: Vec<u32>,
    pub weights: Vec<u32>,
    /// The forward arc (index into the graph's arcs) of each reverse entry.
    pub arcs: Vec<u32>,
}

impl ReverseGraph {
    /// Transposes `g` (counting sort by target: linear time).
    pub fn of(g: &Graph) -> ReverseGraph {
        let n = g.node_count();
        let mut offsets = vec![0u32; n + 1];
        for &t in &g.targets {
            offsets[t as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut fill: Vec<u32> = offsets[..n].to_vec();
        let mut sources = vec![0u32; g.arc_count()];
        let mut weights = vec![0u32; g.arc_count()];
        let mut arcs = vec![0u32; g.arc_count()];
        for u in 0..n as u32 {
            for a in g.arcs(u) {
                let t = g.targets[a] as usize;
                let i = fill[t] as usize;
                sources[i] = u;
                weights[i] = g.weights[a];
                arcs[i] = a as u32;
                fill[t] += 1;
            }
        }
        ReverseGraph {
            offsets,
            sources,
            weights,
            arcs,
        }
    }

    pub fn node_count(&self) -> usize {
        self.offsets.len() - 1
    }
}

/// A search source: a place reachable from `node` in `offset_ms` (its snap leg).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    pub node: u32,
    pub offset_ms: u32,
    pub place: u32,
    /// The arc leaving `node` the place lies inside (turn-aware searches: reached by turning
    /// onto it, see [`crate::routing::search::Attached::by_arc`]).
    pub by_arc: Option<u32>,
}

/// Per node: time to the nearest source (ms, [`UNREACHED`] if none) and that source's place
/// ([`NO_PLACE`] if none). Among equally near places the smallest place number is kept when
/// they meet at a node (as the single-source search reports ties in slot order).
pub struct NearestPlaces {
    pub time_ms: Vec<u32>,
    pub place: Vec<u32>,
    /// Nodes settled (reached).
    pub settled: usize,
    /// Turn-aware searches: per arc, the time from its tail to the nearest place and that
    /// place; per node, its nearest place without leaving by an arc (a place at the node);
    /// for the points that reach a node by an arc and must turn there
    /// ([`crate::routing::search::Origin::by_arc`]). Empty for node searches.
    pub arc_time_ms: Vec<u32>,
    pub arc_place: Vec<u32>,
    pub at_node: Vec<(u32, u32)>,
    /// The places on each snapped road (the snap's arc number): a point on the same road is
    /// also timed straight along it ([`crate::routing::snap::Snap::along`]), as the router does.
    pub on_road: HashMap<u32, Vec<(u32, Snap)>>,
}

/// One Dijkstra run from every source on the reverse graph.
pub fn nearest_places(rev: &ReverseGraph, sources: &[Source]) -> NearestPlaces {
    let n = rev.node_count();
    let mut time = vec![UNREACHED; n];
    let mut place = vec![NO_PLACE; n];
    let mut heap = RadixHeap::default();
    for s in sources {
        let u = s.node as usize;
        if u < n && (s.offset_ms, s.place) < (time[u], place[u]) {
            time[u] = s.offset_ms;
            place[u] = s.place;
            heap.push(s.offset_ms, s.node);
        }
    }
    let mut settled = 0usize;
    let mut done = vec![false; n];
    while let Some((t, u)) = heap.pop() {
        let ui = u as usize;
        if t > time[ui] || done[ui] {
            continue;
        }
        done[ui] = true;
        settled += 1;
        let p = place[ui];
        let (a, b) = (rev.offsets[ui] as usize, rev.offsets[ui + 1] as usize);
        for i in a..b {
            let v = rev.sources[i] as usize;
            let nt = t.saturating_add(rev.weights[i]);
            if !done[v] && (nt, p) < (time[v], place[v]) {
                let improves = nt < time[v];
                time[v] = nt;
                place[v] = p;
                if improves {
                    heap.push(nt, v as u32);
                }
            }
        }
    }
    NearestPlaces {
        time_ms: time,
        place,
        settled,
        arc_time_ms: Vec::new(),
        arc_place: Vec::new(),
        at_node: Vec::new(),
        on_road: HashMap::new(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `count` places on random nodes of `0..n`, with their snap offsets.
    pub(crate) fn random_sources(rng: &mut Rng, n: usize, count: usize) -> Vec<Source> {
        (0..count)
            .map(|p| Source {
                node: rng.below(n) as u32,
                offset_ms: rng.below(5_000) as u32,
                place: p as u32,
                by_arc: None,
            })
            .collect()
    }
    use crate::routing::graph::{Arc, Profile};
    use crate::testdata::Rng;

    /// Bellman-Ford style relaxation to a fixed point: the slow, obvious reference.
    fn reference(g: &Graph, sources: &[Source]) -> Vec<u32> {
        let n = g.node_count();
        let mut time = vec![UNREACHED; n];
        for s in sources {
            time[s.node as usize] = time[s.node as usize].min(s.offset_ms);
        }
        loop {
            let mut changed = false;
            for u in 0..n as u32 {
                for a in g.arcs(u) {
                    let v = g.targets[a] as usize;
                    // u → v: u reaches a place through v
                    if time[v] != UNREACHED && time[v] + g.weights[a] < time[u as usize] {
                        time[u as usize] = time[v] + g.weights[a];
                        changed = true;
                    }
                }
            }
            if !changed {
                return time;
            }
        }
    }

    #[test]
    fn matches_relaxation_on_random_directed_graphs() {
        let mut rng = Rng::new(42);
        for round in 0..30 {
            let n = 50 + rng.below(200);
            let arcs: Vec<Arc> = (0..n * 3)
                .map(|_| Arc {
                    from: rng.below(n) as u32,
                    to: rng.below(n) as u32,
                    weight_ms: rng.below(100_000) as u32,
                    length_dm: 0,
                })
                .collect();
            let g = Graph::from_arcs(Profile::Car, vec![0; n], vec![0; n], arcs);
            let count = 1 + rng.below(5);
            let sources = random_sources(&mut rng, n, count);
            let got = nearest_places(&ReverseGraph::of(&g), &sources);
            assert_eq!(got.time_ms, reference(&g, &sources), "round {round}");
            assert_eq!(
                got.settled,
                got.time_ms.iter().filter(|&&t| t != UNREACHED).count()
            );
        }
    }
}
