//! The turn-aware (edge-based) Dijkstra of the car profile: labels on arcs, not nodes, so a
//! turn's cost and its restrictions ([`super::turns`]) depend on the arc a node is entered by.
//!
//! A node's time is its first arc label settled (the heap pops in time order), which is what
//! [`Tree`] reports; the search goes on from every arc into the node, since a later arrival may
//! be allowed a turn an earlier one is not. The search starts at the origin nodes with no arc
//! behind them: the first arc out of an origin costs no turn (the origin lies on a segment, and
//! either direction along it is a start, as in Valhalla).
//!
//! Cost against the node-based search: each arc is settled once instead of each node
//! (about 2.3 arcs per node on a car graph), and each relaxation reads the turn data; the
//! measured cost is in `docs/performance.md`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::graph::Graph;
use super::tree::{Attached, Origin, Reached, Tree, UNREACHED, give_back, take};

/// Per-arc labels (time, length) from the per-thread pool, and the arcs set, to reset.
struct Labels {
    time: Vec<u32>,
    length: Vec<u32>,
    touched: Vec<u32>,
}

impl Labels {
    fn new(m: usize) -> Labels {
        let (time, length) = take(m);
        Labels {
            time,
            length,
            touched: Vec::new(),
        }
    }

    /// Sets arc `b`'s label when `t` improves it.
    #[inline]
    fn improve(&mut self, b: usize, t: u32, len: u32) -> bool {
        if t >= self.time[b] {
            return false;
        }
        if self.time[b] == UNREACHED {
            self.touched.push(b as u32);
        }
        self.time[b] = t;
        self.length[b] = len;
        true
    }
}

impl Drop for Labels {
    fn drop(&mut self) {
        give_back(
            std::mem::take(&mut self.time),
            std::mem::take(&mut self.length),
            &self.touched,
        );
    }
}

/// What a heap entry `id` popped at `t` reaches: the node, and the arc it was entered by (none
/// for an origin at a node); `None` for a stale arc entry (a better time was found since).
#[inline]
fn arrival(g: &Graph, arcs: &Labels, id: u64, t: u32) -> Option<(u32, Option<usize>)> {
    let (m, n) = (g.arc_count() as u64, g.node_count() as u64);
    if id >= m + n {
        // an origin inside an arc: at the arc's head, turning from it
        let a = (id - m - n) as usize;
        return Some((g.targets[a], Some(a)));
    }
    if id >= m {
        return Some(((id - m) as u32, None));
    }
    let a = id as usize;
    (t <= arcs.time[a]).then(|| (g.targets[a], Some(a)))
}

/// Heap entry id of an origin: `m + node` at a node, `m + n + arc` inside an arc (arcs are
/// `0..m`). An origin inside an arc leaves the arc's own label alone: the arc's entry time is
/// for the places along it, which the origin did not pass.
#[inline]
fn origin_id(g: &Graph, o: &Origin) -> u64 {
    let (m, n) = (g.arc_count() as u64, g.node_count() as u64);
    match o.by_arc {
        Some(a) if u64::from(a) < m && g.targets[a as usize] == o.node => m + n + u64::from(a),
        _ => m + u64::from(o.node),
    }
}

/// Every node reachable from `origins` within `limit_ms` (inclusive), turn by turn.
pub fn bounded(g: &Graph, origins: &[Origin], limit_ms: u32) -> Tree {
    let (n, m) = (g.node_count(), g.arc_count());
    let mut tree = Tree::unreached(n);
    let mut arcs = Labels::new(m);
    // (time, id, length) packed in one integer, ordered as the tuple: one comparison per
    // sift step instead of three (the heap's pops were ~7 % of an isochrone)
    let key =
        |t: u32, id: u64, len: u32| u128::from(t) << 96 | u128::from(id) << 32 | u128::from(len);
    let mut heap: BinaryHeap<Reverse<u128>> = BinaryHeap::new();
    // origins and arcs first met beyond the limit
    let mut refused_nodes = Vec::new();
    let mut expanded = Vec::new();
    let mut refused = Vec::new();
    for o in origins.iter().filter(|o| (o.node as usize) < n) {
        if o.offset_ms > limit_ms {
            refused_nodes.push(o.node);
        } else {
            heap.push(Reverse(key(o.offset_ms, origin_id(g, o), o.offset_dm)));
        }
    }
    while let Some(Reverse(k)) = heap.pop() {
        let (t, id, len) = ((k >> 96) as u32, (k >> 32) as u64, k as u32);
        let Some((v, from)) = arrival(g, &arcs, id, t) else {
            continue;
        };
        if tree.time_ms[v as usize] == UNREACHED {
            tree.settle(v, t, len);
        }
        // an origin starts with no turn behind it, even at a node an arc reached sooner
        if from.is_none() && !started(&mut expanded, v) {
            continue;
        }
        for (b, turn) in exits(g, from, v) {
            let nt = t.saturating_add(turn).saturating_add(g.weights[b]);
            if nt > limit_ms {
                refused.push(b);
                let entry = t.saturating_add(turn);
                if entry <= limit_ms {
                    tree.entered.beyond.push((b as u32, entry, len));
                }
                continue;
            }
            let nl = len.saturating_add(g.lengths[b]);
            if arcs.improve(b, nt, nl) {
                heap.push(Reverse(key(nt, b as u64, nl)));
            }
        }
    }
    tree.cut = tree.any_unreached(&refused_nodes) || reaches_new_node(g, &tree, &arcs, refused);
    tree.entered.beyond.sort_unstable();
    tree.entered.time = std::mem::take(&mut arcs.time);
    tree.entered.length = std::mem::take(&mut arcs.length);
    tree.entered.touched = std::mem::take(&mut arcs.touched);
    tree
}

/// Whether going on from the arcs refused at the limit (those not reached within it) would
/// reach a node the search did not: was the search cut by its limit? A node already reached
/// may lead on, entered by a refused arc, to a turn the arrivals within the limit could not
/// take, so the refused arcs are followed (turn rules only, times do not matter) until a new
/// node or nothing new; usually the first refused arc already leads to a new node.
fn reaches_new_node(g: &Graph, tree: &Tree, arcs: &Labels, refused: Vec<usize>) -> bool {
    let unreached = |b: usize| tree.time_ms[g.targets[b] as usize] == UNREACHED;
    if refused.iter().any(|&b| unreached(b)) {
        return true;
    }
    let mut seen: std::collections::HashSet<usize> = refused.iter().copied().collect();
    let mut stack: Vec<usize> = refused
        .into_iter()
        .filter(|&b| arcs.time[b] == UNREACHED)
        .collect();
    while let Some(a) = stack.pop() {
        let (u, v) = (source(g, a), g.targets[a]);
        for b in g.arcs(v) {
            if arcs.time[b] != UNREACHED || g.turn_cost(a, u, v, b).is_none() {
                continue;
            }
            if unreached(b) {
                return true;
            }
            if seen.insert(b) {
                stack.push(b);
            }
        }
    }
    false
}

/// The arcs out of `v` a search may take after arriving by arc `from` (any of them from an
/// origin), with the time of the turn onto each, ms.
#[inline]
fn exits(g: &Graph, from: Option<usize>, v: u32) -> impl Iterator<Item = (usize, u32)> + '_ {
    let u = from.map(|a| source(g, a));
    g.arcs(v).filter_map(move |b| match (from, u) {
        (Some(a), Some(u)) => g.turn_cost(a, u, v, b).map(|c| (b, c)),
        _ => Some((b, 0)),
    })
}

/// Marks origin `v` started; false if it already was (from a smaller or equal offset).
fn started(expanded: &mut Vec<u32>, v: u32) -> bool {
    if expanded.contains(&v) {
        return false;
    }
    expanded.push(v);
    true
}

/// The source node of arc `a`.
#[inline]
fn source(g: &Graph, a: usize) -> u32 {
    g.turns.tail(a)
}

/// [`super::search::closest`] turn by turn: the `k` places first settled, no later than
/// `max_ms`, among those `keep` accepts.
pub fn closest<'a>(
    g: &Graph,
    origins: &[Origin],
    (k, max_ms): (usize, u32),
    places: (impl Fn(u32) -> &'a [Attached], impl FnMut(u32) -> bool),
) -> Vec<Reached> {
    let (places_at, mut keep) = places;
    let (n, m) = (g.node_count(), g.arc_count());
    let mut out = Vec::new();
    if k == 0 {
        return out;
    }
    let mut nodes = Tree::unreached(n);
    let mut arcs = Labels::new(m);
    let mut done = std::collections::HashSet::new();
    let mut expanded = Vec::new();
    // (time, kind (0 place before 1 arc or origin), id, length)
    let mut heap: BinaryHeap<Reverse<(u32, u8, u64, u32)>> = BinaryHeap::new();
    for o in origins.iter().filter(|o| (o.node as usize) < n) {
        heap.push(Reverse((o.offset_ms, 1, origin_id(g, o), o.offset_dm)));
    }
    while let Some(Reverse((t, kind, id, len))) = heap.pop() {
        if t > max_ms {
            break;
        }
        if kind == 0 {
            if !done.insert(id as u32) {
                continue;
            }
            out.push(Reached {
                slot: id as u32,
                time_ms: t,
                length_dm: len,
            });
            if out.len() == k {
                break;
            }
            continue;
        }
        let Some((v, from)) = arrival(g, &arcs, id, t) else {
            continue;
        };
        let first = nodes.time_ms[v as usize] == UNREACHED;
        if from.is_none() && !started(&mut expanded, v) {
            continue;
        }
        if first {
            nodes.settle(v, t, len);
            for p in places_at(v).iter().filter(|p| p.by_arc.is_none()) {
                if keep(p.slot) {
                    heap.push(Reverse((
                        t.saturating_add(p.offset_ms),
                        0,
                        u64::from(p.slot),
                        len.saturating_add(p.offset_dm),
                    )));
                }
            }
        }
        for (b, turn) in exits(g, from, v) {
            let (nt, nl) = (t.saturating_add(turn), len.saturating_add(g.lengths[b]));
            if arcs.improve(b, nt.saturating_add(g.weights[b]), nl) {
                heap.push(Reverse((arcs.time[b], 1, b as u64, nl)));
                // the places inside arc b's shape, from this entry onto it
                let on_b = places_at(v).iter().filter(|p| p.by_arc == Some(b as u32));
                for p in on_b {
                    if keep(p.slot) {
                        heap.push(Reverse((
                            nt.saturating_add(p.offset_ms),
                            0,
                            u64::from(p.slot),
                            len.saturating_add(p.offset_dm),
                        )));
                    }
                }
            }
        }
    }
    out
}

/// The second implementation, for tests: times from node `s` by a queue-based Bellman-Ford
/// over arc states, with the restrictions checked on the graph's triples and U-turns on its
/// arcs' end points (only the turn durations come from [`Graph::turn_cost`]). Quadratic at worst: small
/// graphs and extracts only.
pub fn reference(g: &Graph, s: u32) -> Vec<u32> {
    let banned: std::collections::HashSet<[u32; 3]> = g.restrictions.iter().copied().collect();
    let mut tail = vec![0u32; g.arc_count()];
    for u in 0..g.node_count() as u32 {
        g.arcs(u).for_each(|a| tail[a] = u);
    }
    let mut d = vec![UNREACHED; g.arc_count()];
    let mut queued = vec![false; g.arc_count()];
    let mut q: std::collections::VecDeque<usize> = g.arcs(s).collect();
    for b in g.arcs(s) {
        d[b] = g.weights[b];
        queued[b] = true;
    }
    // the way nodes next to each arc's ends (its shape's, on a compact graph)
    let second = |b: usize| g.arc_points(tail[b], b).get(1).id;
    let before_head = |a: usize| {
        let p = g.arc_points(tail[a], a);
        p.get(p.len() - 2).id
    };
    while let Some(a) = q.pop_front() {
        queued[a] = false;
        let (u, v) = (tail[a], g.targets[a]);
        let from = before_head(a);
        let dead_end = g.arcs(v).all(|c| second(c) == from);
        for b in g.arcs(v) {
            let w = g.targets[b];
            let banned = banned.contains(&[u, v, w]) && from == u && second(b) == w;
            if banned || (second(b) == from && !dead_end) {
                continue;
            }
            let Some(turn) = g.turn_cost(a, u, v, b) else {
                continue;
            };
            let nd = d[a].saturating_add(turn).saturating_add(g.weights[b]);
            if nd < d[b] {
                d[b] = nd;
                if !queued[b] {
                    queued[b] = true;
                    q.push_back(b);
                }
            }
        }
    }
    let mut node = vec![UNREACHED; g.node_count()];
    node[s as usize] = 0;
    for (a, &t) in d.iter().enumerate() {
        let v = g.targets[a] as usize;
        node[v] = node[v].min(t);
    }
    node
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::routing::graph::{Arc, Profile};
    use crate::testdata::Rng;

    /// A small random car graph: a jittered grid, some one-way, some restricted turns.
    pub(crate) fn random_graph(rng: &mut Rng, side: u32) -> Graph {
        let id = |x: u32, y: u32| y * side + x;
        let (mut lon, mut lat, mut arcs) = (Vec::new(), Vec::new(), Vec::new());
        for y in 0..side {
            for x in 0..side {
                lon.push((x as f64 * 10_000.0 + rng.range(-3_000.0, 3_000.0)) as i32);
                lat.push((y as f64 * 10_000.0 + rng.range(-3_000.0, 3_000.0)) as i32);
            }
        }
        let mut road = |a: u32, b: u32, rng: &mut Rng| {
            if rng.below(10) == 0 {
                return; // a missing street
            }
            let weight_ms = 5_000 + rng.below(20_000) as u32;
            let oneway = rng.below(5);
            if oneway != 0 {
                arcs.push(Arc {
                    from: a,
                    to: b,
                    weight_ms,
                    length_dm: 1_000,
                });
            }
            if oneway != 1 {
                arcs.push(Arc {
                    from: b,
                    to: a,
                    weight_ms,
                    length_dm: 1_000,
                });
            }
        };
        for y in 0..side {
            for x in 0..side {
                if x + 1 < side {
                    road(id(x, y), id(x + 1, y), rng);
                }
                if y + 1 < side {
                    road(id(x, y), id(x, y + 1), rng);
                }
            }
        }
        let g = Graph::from_arcs(Profile::Car, lon, lat, arcs);
        let mut triples = Vec::new();
        for u in 0..g.node_count() as u32 {
            for a in g.arcs(u) {
                let v = g.targets[a];
                for b in g.arcs(v) {
                    if rng.below(6) == 0 {
                        triples.push([u, v, g.targets[b]]);
                    }
                }
            }
        }
        g.with_restrictions(triples)
    }

    #[test]
    fn matches_bellman_ford_over_arcs_on_random_graphs() {
        let mut rng = Rng::new(18);
        for round in 0..30 {
            let g = random_graph(&mut rng, 3 + round % 5);
            for &[u, v, w] in &g.restrictions {
                let arc = |x: u32, y: u32| g.arcs(x).find(|&a| g.targets[a] == y);
                if let (Some(a), Some(b)) = (arc(u, v), arc(v, w)) {
                    assert_eq!(g.turn_cost(a, u, v, b), None, "{u} {v} {w} allowed");
                }
            }
            assert!(g.turns.forbidden_count() > 0 || g.arc_count() < 4);
            for s in 0..g.node_count() as u32 {
                let want = reference(&g, s);
                let o = [Origin {
                    node: s,
                    offset_ms: 0,
                    offset_dm: 0,
                    by_arc: None,
                }];
                let got = bounded(&g, &o, u32::MAX - 1);
                assert_eq!(got.time_ms, want, "round {round} from {s}");
                let limit = 40_000;
                let cut = bounded(&g, &o, limit);
                for (t, w) in cut.time_ms.iter().zip(&want) {
                    assert_eq!(*t, if *w <= limit { *w } else { UNREACHED });
                }
                assert_eq!(cut.cut, want.iter().any(|&w| w != UNREACHED && w > limit));
                // two origins: each starts free of turns, the better one counts
                let s2 = (s + 1) % g.node_count() as u32;
                let two = [
                    o[0],
                    Origin {
                        node: s2,
                        offset_ms: 7_000,
                        offset_dm: 0,
                        by_arc: None,
                    },
                ];
                let other = reference(&g, s2);
                let both: Vec<u32> = want
                    .iter()
                    .zip(&other)
                    .map(|(&a, &b)| a.min(b.saturating_add(7_000)))
                    .collect();
                assert_eq!(
                    bounded(&g, &two, u32::MAX - 1).time_ms,
                    both,
                    "round {round} two"
                );
                // closest over one place per node: the nodes in time order
                let places: Vec<Attached> = (0..g.node_count() as u32)
                    .map(|slot| Attached {
                        slot,
                        offset_ms: 0,
                        offset_dm: 0,
                        by_arc: None,
                    })
                    .collect();
                let k = 4;
                let near = closest(
                    &g,
                    &o,
                    (k, u32::MAX - 1),
                    (|u| &places[u as usize..=u as usize], |_| true),
                );
                let mut order: Vec<(u32, u32)> = want
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| **t != UNREACHED)
                    .map(|(u, &t)| (t, u as u32))
                    .collect();
                order.sort_unstable();
                let got: Vec<u32> = near.iter().map(|r| r.time_ms).collect();
                let want: Vec<u32> = order.iter().take(k).map(|p| p.0).collect();
                assert_eq!(got, want, "round {round} closest from {s}");
            }
        }
    }

    #[test]
    fn a_restriction_forces_the_way_round() {
        // a square 0-1-2-3 (two-way), 10 s a side; no left turn 0 → 1 → 2
        let at = [(0, 0), (0, 10_000), (10_000, 10_000), (10_000, 0)];
        let mut arcs = Vec::new();
        for i in 0..4u32 {
            let j = (i + 1) % 4;
            for (from, to) in [(i, j), (j, i)] {
                arcs.push(Arc {
                    from,
                    to,
                    weight_ms: 10_000,
                    length_dm: 100,
                });
            }
        }
        let lon = at.iter().map(|p| p.0).collect();
        let lat = at.iter().map(|p| p.1).collect();
        let free = Graph::from_arcs(Profile::Car, lon, lat, arcs);
        let o = [Origin {
            node: 0,
            offset_ms: 0,
            offset_dm: 0,
            by_arc: None,
        }];
        let t_free = bounded(&free, &o, u32::MAX - 1).time_ms[2];
        assert_eq!(t_free, 20_000, "a bend where two roads meet costs nothing");
        let banned = free.clone().with_restrictions(vec![[0, 1, 2]]);
        let t = bounded(&banned, &o, u32::MAX - 1).time_ms[2];
        assert_eq!(t, 20_000, "the other way round the square");
        let both = free.with_restrictions(vec![[0, 1, 2], [0, 3, 2]]);
        let t = bounded(&both, &o, u32::MAX - 1).time_ms[2];
        assert_eq!(t, UNREACHED, "no way in: U-turns only at dead ends");
    }
}
