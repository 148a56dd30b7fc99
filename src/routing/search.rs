//! Dijkstra on a [`Graph`]: bounded one-to-many (stops at a time limit) and "k closest places"
//! (stops once k matching places are settled). Binary heap with lazy deletion.
//!
//! Places are virtual targets hanging off their snapped node with their own offset (the snap
//! distance walked): when a node is settled its places enter the heap at `time + offset`, and a
//! place counts as settled when popped. This keeps "k closest" exact even when a place far from
//! its node is overtaken by a place on a later node.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::graph::Graph;

/// Time of a node the search did not reach.
pub const UNREACHED: u32 = u32::MAX;

/// Where a search starts: a node, with the time and length already spent reaching it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Origin {
    pub node: u32,
    pub offset_ms: u32,
    pub offset_dm: u32,
}

/// Shortest times (ms) and the lengths (dm) of those shortest paths, per node.
#[derive(Debug, Clone)]
pub struct Tree {
    pub time_ms: Vec<u32>,
    pub length_dm: Vec<u32>,
    /// Nodes settled, in settling order.
    pub settled: Vec<u32>,
}

/// A place attached to a node: its slot and its offset from the node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attached {
    pub slot: u32,
    pub offset_ms: u32,
    pub offset_dm: u32,
}

/// A place reached by a search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reached {
    pub slot: u32,
    pub time_ms: u32,
    pub length_dm: u32,
}

/// Every node reachable from `origins` within `limit_ms` (inclusive); other nodes `UNREACHED`.
pub fn bounded(g: &Graph, origins: &[Origin], limit_ms: u32) -> Tree {
    let n = g.node_count();
    let mut tree = Tree {
        time_ms: vec![UNREACHED; n],
        length_dm: vec![UNREACHED; n],
        settled: Vec::new(),
    };
    let mut heap = BinaryHeap::new();
    for o in origins {
        let u = o.node as usize;
        if u < n && o.offset_ms <= limit_ms && o.offset_ms < tree.time_ms[u] {
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
            if nt <= limit_ms && nt < tree.time_ms[v] {
                tree.time_ms[v] = nt;
                tree.length_dm[v] = len_u.saturating_add(g.lengths[a]);
                heap.push(Reverse((nt, v as u32)));
            }
        }
    }
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
    let n = g.node_count();
    let mut out = Vec::new();
    if k == 0 {
        return out;
    }
    let mut time = vec![UNREACHED; n];
    let mut length = vec![UNREACHED; n];
    let mut done = std::collections::HashSet::new();
    // (time, kind (0 place before 1 node at equal time), id, length): places first so that a
    // place tied with a node is reported before the search moves on.
    let mut heap = BinaryHeap::new();
    for o in origins {
        let u = o.node as usize;
        if u < n && o.offset_ms < time[u] {
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
                time[v] = nt;
                length[v] = len.saturating_add(g.lengths[a]);
                heap.push(Reverse((nt, 1, v as u32, length[v])));
            }
        }
    }
    out
}
