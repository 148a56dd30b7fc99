//! The walk search on a graph with [`super::walk_cost`] flags: Dijkstra ordered by cost (time
//! plus the destination-only and steps penalties, as Valhalla's pedestrian search orders its
//! labels)
//! reporting each node's time along its cheapest path.
//!
//! The cost of an arc depends on whether the path is already inside a destination-only stretch
//! or on a flight of steps, so a node has four states: reached by a destination-only arc or
//! not, by steps or not. A start inside
//! a destination-only arc ([`Origin::by_arc`], set for walk origins by
//! [`super::origins`]) starts inside. A node's time is that of its cheaper state (between
//! equal costs the quicker), whatever the limit: when that one lies beyond the limit the node
//! is not reached, even if a dearer path is quicker, as Valhalla's matrix (one label per edge,
//! the cheapest) reports it; so the search runs on past the limit, by cost, until no path
//! within it is left to settle. Searches on a graph without flags go to the plain
//! node search of [`super::search`], which this one equals there.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use super::graph::Graph;
use super::tree::{Attached, Origin, Reached, Tree, UNREACHED};
use super::walk_cost::{
    ARC_ALLEY, ARC_DESTONLY, ARC_DRIVEWAY, ARC_STEPS, DESTONLY_PENALTY_MS, STEPS_PENALTY_MS,
};

/// A state: node `u` reached by an arc with flags `bits` (`4u + bits`): bit 0, inside a
/// destination-only stretch; bit 1, on a flight of steps.
type State = u32;

/// Best `(cost, time, length)` of each state seen.
type Labels = HashMap<State, (u32, u32, u32)>;

/// The state bits of an arc's flags.
#[inline]
fn bits(flags: u8) -> u32 {
    u32::from(flags & ARC_DESTONLY != 0) | (u32::from(flags & ARC_STEPS != 0) << 1)
}

/// The state bits a path starts with: those of the arc the start lies on.
fn starts_inside(g: &Graph, o: &Origin) -> u32 {
    o.by_arc.map_or(0, |a| bits(g.flags(a as usize)))
}

/// Cost (beyond the arc's time) and state of going from a state with bits `from` onto arc `a`
/// towards `v`: entering steps costs their penalty and no destination-only one, as in
/// Valhalla (once per flight, whatever the number of arcs it was cut into); a driveway's or
/// alley's time its factor.
#[inline]
fn step(g: &Graph, from: u32, a: usize, v: u32) -> (u32, State) {
    let flags = g.flags(a);
    let to = bits(flags);
    let penalty = if to & 2 != 0 {
        if from & 2 == 0 { STEPS_PENALTY_MS } else { 0 }
    } else if to & 1 != 0 && from & 1 == 0 {
        DESTONLY_PENALTY_MS
    } else {
        0
    };
    // driveways' time costs 5 times, alleys' twice
    let factor = if flags & ARC_DRIVEWAY != 0 {
        4
    } else if flags & ARC_ALLEY != 0 {
        1
    } else {
        0
    };
    (
        penalty.saturating_add(g.weights[a].saturating_mul(factor)),
        4 * v + to,
    )
}

/// Records `(cost, time, length)` for state `s` if it beats the one seen; true if so.
fn improve(labels: &mut Labels, s: State, label: (u32, u32, u32)) -> bool {
    match labels.get(&s) {
        Some(&(c, t, _)) if (c, t) <= (label.0, label.1) => false,
        _ => {
            labels.insert(s, label);
            true
        }
    }
}

/// Does another state of `s`'s node hold a cheaper label than `label`? Popped in cost order,
/// that state was settled first, or lies beyond the limit: either way the node's time is not
/// `s`'s (a node's time is that of its cheapest path, as Valhalla reports it).
fn cheaper_twin(labels: &Labels, s: State, label: (u32, u32)) -> bool {
    (0..4)
        .map(|b| (s & !3) | b)
        .filter(|&o| o != s)
        .any(|o| labels.get(&o).is_some_and(|&(c, t, _)| (c, t) < label))
}

/// [`super::search::bounded`] on a graph with walk flags: every node whose cheapest path takes
/// at most `limit_ms`, with that path's time. The search goes on past the limit, by cost, as
/// long as a path within the limit waits in the heap: a cheaper path that ends past the limit
/// must be found first to keep its node out (so a node's time does not depend on the limit).
pub fn bounded(g: &Graph, origins: &[Origin], limit_ms: u32) -> Tree {
    let n = g.node_count();
    let mut tree = Tree::unreached(n);
    let mut labels = Labels::new();
    let mut heap = BinaryHeap::new();
    let mut refused = Vec::new();
    // heap entries within the limit
    let mut within = 0usize;
    for o in origins.iter().filter(|o| (o.node as usize) < n) {
        if o.offset_ms > limit_ms {
            refused.push(o.node);
        }
        let s = 4 * o.node + starts_inside(g, o);
        let label = (o.offset_ms, o.offset_ms, o.offset_dm);
        if improve(&mut labels, s, label) {
            within += usize::from(label.1 <= limit_ms);
            heap.push(Reverse((label.0, label.1, s)));
        }
    }
    while within > 0 {
        let Some(Reverse((c, t, s))) = heap.pop() else {
            break;
        };
        within -= usize::from(t <= limit_ms);
        let Some(&(bc, bt, len)) = labels.get(&s) else {
            continue;
        };
        if (c, t) > (bc, bt) {
            continue;
        }
        let u = s / 4;
        if t <= limit_ms
            && tree.time_ms[u as usize] == UNREACHED
            && !cheaper_twin(&labels, s, (c, t))
        {
            tree.settle(u, t, len);
        }
        for a in g.arcs(u) {
            let v = g.targets[a];
            let nt = t.saturating_add(g.weights[a]);
            let (penalty, ns) = step(g, s & 3, a, v);
            let nc = c.saturating_add(g.weights[a]).saturating_add(penalty);
            let label = (nc, nt, len.saturating_add(g.lengths[a]));
            if improve(&mut labels, ns, label) {
                if nt > limit_ms {
                    refused.push(v);
                } else {
                    within += 1;
                }
                heap.push(Reverse((nc, nt, ns)));
            }
        }
    }
    tree.cut = tree.any_unreached(&refused);
    tree
}

/// [`super::search::closest`] on a graph with walk flags: the `k` places first reached in
/// time, sorted by `(time, slot)`, each at the quickest of its nodes' times plus its offset
/// (as [`super::Router::reached`] times them). Ordered by cost, the search cannot stop at the
/// k-th place popped; it runs [`bounded`] with a limit doubled from 10 minutes until k places
/// lie within it (node times do not depend on the limit, so those are the k quickest).
pub fn closest<'a>(
    g: &Graph,
    origins: &[Origin],
    (k, max_ms): (usize, u32),
    places_at: impl Fn(u32) -> &'a [Attached],
    mut keep: impl FnMut(u32) -> bool,
) -> Vec<Reached> {
    if k == 0 {
        return Vec::new();
    }
    let mut limit = max_ms.min(600_000);
    loop {
        let tree = bounded(g, origins, limit);
        let mut out: Vec<Reached> = Vec::new();
        for &u in &tree.settled {
            let (t, len) = (tree.time_ms[u as usize], tree.length_dm[u as usize]);
            for p in places_at(u) {
                let time_ms = t.saturating_add(p.offset_ms);
                if time_ms <= limit && keep(p.slot) {
                    out.push(Reached {
                        slot: p.slot,
                        time_ms,
                        length_dm: len.saturating_add(p.offset_dm),
                    });
                }
            }
        }
        out.sort_by_key(|r| (r.slot, r.time_ms));
        out.dedup_by_key(|r| r.slot);
        out.sort_by_key(|r| (r.time_ms, r.slot));
        if out.len() >= k || limit >= max_ms || !tree.cut {
            out.truncate(k);
            return out;
        }
        limit = limit.saturating_mul(2).min(max_ms);
    }
}

/// The reference for [`bounded`], by fixpoint rather than by a heap: each state's label (the
/// cheapest, then quickest) recomputed from its incoming arcs, sweep after sweep, until none
/// changes. A node's time is that of its cheapest state if within `limit_ms`, else
/// `UNREACHED`.
pub fn reference(g: &Graph, origins: &[Origin], limit_ms: u32) -> Vec<u32> {
    let n = g.node_count();
    // the arcs into each node: (tail, arc)
    let mut into: Vec<Vec<(u32, usize)>> = vec![Vec::new(); n];
    for u in 0..n as u32 {
        for a in g.arcs(u) {
            into[g.targets[a] as usize].push((u, a));
        }
    }
    let mut start = vec![(u32::MAX, u32::MAX); 4 * n];
    for o in origins {
        let s = (4 * o.node + starts_inside(g, o)) as usize;
        start[s] = start[s].min((o.offset_ms, o.offset_ms));
    }
    let mut best = start.clone();
    let mut changed = true;
    while changed {
        changed = false;
        for s in 0..4 * n as u32 {
            let mut l = start[s as usize];
            for &(u, a) in &into[(s / 4) as usize] {
                for from in 0..4 {
                    let (c, t) = best[(4 * u + from) as usize];
                    let (penalty, ns) = step(g, from, a, s / 4);
                    if c == u32::MAX || ns != s {
                        continue;
                    }
                    let w = g.weights[a];
                    l = l.min((
                        c.saturating_add(w).saturating_add(penalty),
                        t.saturating_add(w),
                    ));
                }
            }
            if l != best[s as usize] {
                best[s as usize] = l;
                changed = true;
            }
        }
    }
    (0..n)
        .map(|u| {
            best[4 * u..4 * u + 4]
                .iter()
                .min()
                .map_or(u32::MAX, |l| l.1)
        })
        .map(|t| if t <= limit_ms { t } else { UNREACHED })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::graph::{Arc, Profile};
    use crate::testdata::Rng;

    fn origin(node: u32, by_arc: Option<u32>) -> Origin {
        Origin {
            node,
            offset_ms: 0,
            offset_dm: 0,
            by_arc,
        }
    }

    /// Two-way arcs `(u, v, seconds, destination-only)`.
    fn graph(n: usize, roads: &[(u32, u32, u32, bool)]) -> Graph {
        let mut arcs = Vec::new();
        let mut flagged = Vec::new();
        for &(u, v, s, d) in roads {
            for (a, b) in [(u, v), (v, u)] {
                arcs.push(Arc {
                    from: a,
                    to: b,
                    weight_ms: s * 1000,
                    length_dm: s * 14,
                });
                if d {
                    flagged.push((a, b));
                }
            }
        }
        let mut g = Graph::from_arcs(Profile::Walk, vec![0; n], vec![0; n], arcs);
        g.arc_flags = (0..n as u32)
            .flat_map(|u| g.arcs(u).map(move |a| (u, a)))
            .map(|(u, a)| u8::from(flagged.contains(&(u, g.targets[a]))))
            .collect();
        g
    }

    #[test]
    fn steps_cost_30_s_each_flight() {
        // 0 -(10 s, steps)- 1, or round by 2 in 20 + 15 s: round (35 s < 40 s of cost)
        let mut g = graph(
            3,
            &[(0, 1, 10, false), (0, 2, 20, false), (2, 1, 15, false)],
        );
        let steps = |g: &Graph, u: u32, v: u32| g.arcs(u).find(|&a| g.targets[a] == v);
        for (u, v) in [(0, 1), (1, 0)] {
            let a = steps(&g, u, v).unwrap_or_default();
            g.arc_flags[a] = ARC_STEPS;
        }
        let t = bounded(&g, &[origin(0, None)], 3_600_000);
        assert_eq!(t.time_ms[1], 35_000);
        assert_eq!(reference(&g, &[origin(0, None)], 3_600_000)[1], 35_000);
        // round by 2 in 45 s: the steps (40 s of cost)
        g.weights
            .iter_mut()
            .filter(|w| **w == 20_000)
            .for_each(|w| *w = 30_000);
        let t = bounded(&g, &[origin(0, None)], 3_600_000);
        assert_eq!(t.time_ms[1], 10_000);
        // a driveway's 10 s cost 50 s: round by 2 (45 s) again
        for f in g.arc_flags.iter_mut().filter(|f| **f == ARC_STEPS) {
            *f = ARC_DRIVEWAY;
        }
        let t = bounded(&g, &[origin(0, None)], 3_600_000);
        assert_eq!(t.time_ms[1], 45_000);
    }

    #[test]
    fn a_destination_only_street_is_crossed_only_when_going_round_costs_more_than_10_minutes() {
        // 0 -(60 s, destination-only)- 1, or round by 2: 0 - 2 - 1 in 100 + 100 s
        let g = graph(
            3,
            &[(0, 1, 60, true), (0, 2, 100, false), (2, 1, 100, false)],
        );
        let t = bounded(&g, &[origin(0, None)], 3_600_000);
        assert_eq!(t.time_ms[1], 200_000, "goes round (140 s longer)");
        // going round 700 s longer: through the street, at its time
        let g = graph(
            3,
            &[(0, 1, 60, true), (0, 2, 400, false), (2, 1, 400, false)],
        );
        let t = bounded(&g, &[origin(0, None)], 3_600_000);
        assert_eq!(t.time_ms[1], 60_000);
        // a start inside the street pays nothing to walk along it
        let g = graph(
            3,
            &[(0, 1, 60, true), (0, 2, 100, false), (2, 1, 100, false)],
        );
        let inside = g.arcs(0).find(|&a| g.targets[a] == 1).map(|a| a as u32);
        let t = bounded(&g, &[origin(0, inside)], 3_600_000);
        assert_eq!(t.time_ms[1], 60_000);
        // the penalty is paid once per stretch: 0 - 1 - 3 both destination-only
        let g = graph(
            4,
            &[
                (0, 1, 60, true),
                (1, 3, 60, true),
                (0, 2, 400, false),
                (2, 3, 400, false),
            ],
        );
        let t = bounded(&g, &[origin(0, None)], 3_600_000);
        assert_eq!((t.time_ms[1], t.time_ms[3]), (60_000, 120_000));
        // a limit cuts on time, not cost: node 1 inside the street is reached at 60 s
        let t = bounded(&g, &[origin(0, None)], 90_000);
        assert_eq!(t.time_ms[1], 60_000);
        assert!(t.cut);
        // and the times do not depend on the limit
        for limit in [60_000, 119_999, 120_000, 1_000_000] {
            let t = bounded(&g, &[origin(0, None)], limit);
            assert_eq!(
                t.time_ms[3],
                if limit >= 120_000 { 120_000 } else { UNREACHED }
            );
        }
        // a node whose cheapest path lies beyond the limit is not reached by a dearer, quicker
        // one (Valhalla's one label per edge): 1 is 200 s round, 60 s through the street
        let g = graph(
            3,
            &[(0, 1, 60, true), (0, 2, 100, false), (2, 1, 100, false)],
        );
        let t = bounded(&g, &[origin(0, None)], 150_000);
        assert_eq!(t.time_ms[1], UNREACHED);
        assert!(t.cut);
    }

    #[test]
    fn equals_bellman_ford_over_states_on_random_graphs() {
        let mut rng = Rng::new(18);
        for round in 0..2000 {
            let n = 3 + rng.below(12) as u32;
            let roads: Vec<(u32, u32, u32, bool)> = (0..n + rng.below(2 * n as usize) as u32)
                .map(|_| {
                    let u = rng.below(n as usize) as u32;
                    let v = rng.below(n as usize) as u32;
                    (u, v, 1 + rng.below(900) as u32, rng.below(3) == 0)
                })
                .collect();
            let mut g = graph(n as usize, &roads);
            for f in g.arc_flags.iter_mut() {
                *f |= [0, 0, ARC_STEPS, ARC_DRIVEWAY, ARC_ALLEY][rng.below(5)];
            }
            let s = rng.below(n as usize) as u32;
            let by_arc = g
                .arcs(s)
                .next()
                .filter(|_| rng.below(2) == 0)
                .map(|a| a as u32);
            let limit = 200_000 + rng.below(1_500_000) as u32;
            let o = [origin(s, by_arc)];
            let t = bounded(&g, &o, limit);
            assert_eq!(t.time_ms, reference(&g, &o, limit), "round {round}");
        }
    }
}
