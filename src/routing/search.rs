//! Dijkstra on a [`Graph`]: bounded one-to-many (stops at a time limit) and "k closest places"
//! (stops once k matching places are settled). Binary heap with lazy deletion. A car graph is
//! searched turn by turn ([`super::turn_search`]: turn costs and restrictions); a walk graph
//! node by node, below, or by cost with its destination-only states when it has arc flags
//! ([`super::walk_search`]).
//!
//! Places are virtual targets hanging off their snapped node with their own offset (the snap
//! distance walked): when a node is settled its places enter the heap at `time + offset`, and a
//! place counts as settled when popped. This keeps "k closest" exact even when a place far from
//! its node is overtaken by a place on a later node.
//!
//! The per-node arrays come from the per-thread pool of [`super::tree`].

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::graph::Graph;
pub use super::tree::{Attached, Origin, Reached, StartOnArc, Tree, UNREACHED};
use super::tree::{give_back, take};

/// Every node reachable from `origins` within `limit_ms` (inclusive); other nodes `UNREACHED`.
pub fn bounded(g: &Graph, origins: &[Origin], limit_ms: u32) -> Tree {
    if g.turn_aware() {
        return super::turn_search::bounded(g, origins, limit_ms);
    }
    if !g.arc_flags.is_empty() {
        return super::walk_search::bounded(g, origins, limit_ms);
    }
    let n = g.node_count();
    let mut tree = Tree::unreached(n);
    let mut heap = BinaryHeap::new();
    // nodes first seen beyond the limit: the search was cut if one stays unreached
    let mut refused = Vec::new();
    for o in origins {
        let u = o.node as usize;
        if u < n && o.offset_ms > limit_ms {
            refused.push(o.node);
        }
        if u < n && o.offset_ms <= limit_ms && o.offset_ms < tree.time_ms[u] {
            if tree.time_ms[u] == UNREACHED {
                tree.touched.push(o.node);
            }
            tree.time_ms[u] = o.offset_ms;
            tree.length_dm[u] = o.offset_dm;
            heap.push(Reverse((o.offset_ms, o.node)));
        }
    }
    while let Some(Reverse((t, u))) = heap.pop() {
        if t > tree.time_ms[u as usize] {
            continue;
        }
        tree.settled.push(u);
        let len_u = tree.length_dm[u as usize];
        for a in g.arcs(u) {
            let v = g.targets[a] as usize;
            let nt = t.saturating_add(g.weights[a]);
            if nt > limit_ms && tree.time_ms[v] == UNREACHED {
                refused.push(v as u32);
            }
            if nt <= limit_ms && nt < tree.time_ms[v] {
                if tree.time_ms[v] == UNREACHED {
                    tree.touched.push(v as u32);
                }
                tree.time_ms[v] = nt;
                tree.length_dm[v] = len_u.saturating_add(g.lengths[a]);
                heap.push(Reverse((nt, v as u32)));
            }
        }
    }
    tree.cut = tree.any_unreached(&refused);
    tree
}

/// The `k` places closest to `origins` in time among those `keep` accepts, sorted by
/// `(time, slot)`, settled no later than `max_ms`. `places_at(node)` lists a node's places (a
/// place may hang off several nodes: its first settling counts).
pub fn closest<'a>(
    g: &Graph,
    origins: &[Origin],
    k: usize,
    max_ms: u32,
    places_at: impl Fn(u32) -> &'a [Attached],
    mut keep: impl FnMut(u32) -> bool,
) -> Vec<Reached> {
    if g.turn_aware() {
        return super::turn_search::closest(g, origins, (k, max_ms), (places_at, keep));
    }
    if !g.arc_flags.is_empty() {
        return super::walk_search::closest(g, origins, (k, max_ms), places_at, keep);
    }
    let n = g.node_count();
    let mut out = Vec::new();
    if k == 0 {
        return out;
    }
    let (mut time, mut length) = take(n);
    let mut touched = Vec::new();
    let mut done = std::collections::HashSet::new();
    // (time, kind (0 place before 1 node at equal time), id, length): places first so that a
    // place tied with a node is reported before the search moves on.
    let mut heap = BinaryHeap::new();
    for o in origins {
        let u = o.node as usize;
        if u < n && o.offset_ms < time[u] {
            if time[u] == UNREACHED {
                touched.push(o.node);
            }
            time[u] = o.offset_ms;
            length[u] = o.offset_dm;
            heap.push(Reverse((o.offset_ms, 1u8, o.node, o.offset_dm)));
        }
    }
    while let Some(Reverse((t, kind, id, len))) = heap.pop() {
        if t > max_ms {
            break;
        }
        if kind == 0 {
            if !done.insert(id) {
                continue;
            }
            out.push(Reached {
                slot: id,
                time_ms: t,
                length_dm: len,
            });
            if out.len() == k {
                break;
            }
            continue;
        }
        let u = id;
        if t > time[u as usize] {
            continue;
        }
        for p in places_at(u) {
            if keep(p.slot) {
                heap.push(Reverse((
                    t.saturating_add(p.offset_ms),
                    0,
                    p.slot,
                    len.saturating_add(p.offset_dm),
                )));
            }
        }
        for a in g.arcs(u) {
            let v = g.targets[a] as usize;
            let nt = t.saturating_add(g.weights[a]);
            if nt < time[v] {
                if time[v] == UNREACHED {
                    touched.push(v as u32);
                }
                time[v] = nt;
                length[v] = len.saturating_add(g.lengths[a]);
                heap.push(Reverse((nt, 1, v as u32, length[v])));
            }
        }
    }
    give_back(time, length, &touched);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::graph::{Arc, Profile};

    #[test]
    fn pooled_arrays_come_back_clean() {
        // a path 0 -> 1 -> 2 -> 3, 1 s per arc
        let arcs = (0..3)
            .map(|u| Arc {
                from: u,
                to: u + 1,
                weight_ms: 1_000,
                length_dm: 10,
            })
            .collect();
        let g = Graph::from_arcs(Profile::Car, vec![0; 4], vec![0; 4], arcs);
        let from = |node| {
            [Origin {
                node,
                offset_ms: 0,
                offset_dm: 0,
                by_arc: None,
            }]
        };
        let first = bounded(&g, &from(0), 10_000);
        assert_eq!(first.time_ms, vec![0, 1_000, 2_000, 3_000]);
        drop(first);
        // the recycled arrays hold nothing of the first search
        let second = bounded(&g, &from(2), 10_000);
        assert_eq!(
            second.time_ms,
            vec![UNREACHED, UNREACHED, 0, 1_000],
            "stale entries"
        );
        drop(second);
        let (t, l) = take(4);
        assert!(t.iter().chain(&l).all(|&x| x == UNREACHED));
    }
}
