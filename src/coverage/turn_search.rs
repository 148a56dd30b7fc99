//! The multi-source search of [`super::search`], turn by turn (car graphs): labels on arcs,
//! so the turn costs and restrictions of [`crate::routing::turns`] apply as in the forward
//! searches of [`crate::routing::turn_search`].
//!
//! The label of arc `a = u → v` is the shortest time from the start of `a` to a place: `a`'s
//! weight, then either the place's offset at `v` or a turn allowed at `v` onto arc `b` and
//! `b`'s label. A node's time is its best source offset or the best label of its arcs out (a
//! trip starts with no turn behind it, as a forward search from that node does). Searching
//! backwards from the places settles each arc once, like the forward turn-aware search.

use super::radix::RadixHeap;
use super::search::{NO_PLACE, NearestPlaces, ReverseGraph, Source};
use crate::routing::Graph;
use crate::routing::search::UNREACHED;

/// One backward run from every source, turn by turn.
pub fn nearest_places_turns(g: &Graph, sources: &[Source]) -> NearestPlaces {
    let (n, m) = (g.node_count(), g.arc_count());
    // arcs into each node (the reverse graph's entries), and each arc's source
    let rev = ReverseGraph::of(g);
    let mut tail = vec![0u32; m];
    for (&a, &u) in rev.arcs.iter().zip(&rev.sources) {
        tail[a as usize] = u;
    }
    let (first, into) = (&rev.offsets, &rev.arcs);
    let ins = |v: u32| &into[first[v as usize] as usize..first[v as usize + 1] as usize];

    let mut node_time = vec![UNREACHED; n];
    let mut node_place = vec![NO_PLACE; n];
    let mut time = vec![UNREACHED; m];
    let mut place = vec![NO_PLACE; m];
    let mut done = vec![false; m];
    let mut heap = RadixHeap::default();
    let relax =
        |a: usize, t: u32, p: u32, heap: &mut RadixHeap, labels: (&mut [u32], &mut [u32])| {
            let (time, place) = labels;
            if (t, p) < (time[a], place[a]) {
                let improves = t < time[a];
                time[a] = t;
                place[a] = p;
                if improves {
                    heap.push(t, a as u32);
                }
            }
        };
    for s in sources.iter().filter(|s| (s.node as usize) < n) {
        let v = s.node as usize;
        if let Some(b) = s
            .by_arc
            .filter(|&b| (b as usize) < m && tail[b as usize] == s.node)
        {
            // inside arc b: from b's tail, by turning onto b
            relax(
                b as usize,
                s.offset_ms,
                s.place,
                &mut heap,
                (&mut time, &mut place),
            );
            continue;
        }
        if (s.offset_ms, s.place) < (node_time[v], node_place[v]) {
            node_time[v] = s.offset_ms;
            node_place[v] = s.place;
        }
        for &a in ins(s.node) {
            let a = a as usize;
            relax(
                a,
                s.offset_ms.saturating_add(g.weights[a]),
                s.place,
                &mut heap,
                (&mut time, &mut place),
            );
        }
    }
    while let Some((t, b)) = heap.pop() {
        let b = b as usize;
        if t > time[b] || done[b] {
            continue;
        }
        done[b] = true;
        let p = place[b];
        let v = tail[b];
        for &a in ins(v) {
            let a = a as usize;
            if done[a] {
                continue;
            }
            let Some(turn) = g.turn_cost(a, tail[a], v, b) else {
                continue;
            };
            let nt = t.saturating_add(turn).saturating_add(g.weights[a]);
            relax(a, nt, p, &mut heap, (&mut time, &mut place));
        }
    }
    let at_node = node_time
        .iter()
        .copied()
        .zip(node_place.iter().copied())
        .collect();
    for a in 0..m {
        let u = tail[a] as usize;
        if (time[a], place[a]) < (node_time[u], node_place[u]) {
            node_time[u] = time[a];
            node_place[u] = place[a];
        }
    }
    let settled = node_time.iter().filter(|&&t| t != UNREACHED).count();
    NearestPlaces {
        time_ms: node_time,
        place: node_place,
        settled,
        arc_time_ms: time,
        arc_place: place,
        at_node,
        on_road: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::search::tests::random_sources;
    use crate::routing::search::{Origin, bounded};
    use crate::routing::turn_search::tests::random_graph;
    use crate::testdata::Rng;

    #[test]
    fn matches_forward_turn_aware_searches() {
        let mut rng = Rng::new(17);
        for round in 0..20 {
            let g = random_graph(&mut rng, 3 + round % 6);
            let n = g.node_count();
            let count = 1 + rng.below(4);
            let sources = random_sources(&mut rng, n, count);
            let got = nearest_places_turns(&g, &sources);
            for u in 0..n as u32 {
                let o = [Origin {
                    node: u,
                    offset_ms: 0,
                    offset_dm: 0,
                    by_arc: None,
                }];
                let fwd = bounded(&g, &o, u32::MAX - 1);
                let want = sources
                    .iter()
                    .filter(|s| fwd.time_ms[s.node as usize] != UNREACHED)
                    .map(|s| fwd.time_ms[s.node as usize] + s.offset_ms)
                    .min()
                    .unwrap_or(UNREACHED);
                assert_eq!(got.time_ms[u as usize], want, "round {round} node {u}");
            }
        }
    }
}
