//! Strongly connected components: what [`super::build`] keeps of each extract (its largest
//! component per profile), with the iterative Tarjan that finds them.

use super::graph::{Arc, Graph, Profile};

/// Most extracts in one graph (one bit each in a node's membership mask).
pub const MAX_EXTRACTS: usize = 64;

/// Keeps the largest strongly connected component of `arcs` (over nodes `0..lon.len()`),
/// renumbered densely in the original order.
pub fn largest_scc_graph(profile: Profile, lon: &[i32], lat: &[i32], arcs: Vec<Arc>) -> Graph {
    let mut member = vec![0u64; lon.len()];
    for a in &arcs {
        member[a.from as usize] = 1;
        member[a.to as usize] = 1;
    }
    largest_scc_per_extract(profile, lon, lat, arcs, &member)
        .0
        .with_restrictions(Vec::new())
}

/// Keeps, for each extract, the largest strongly connected component among the nodes of its
/// arcs (`member[u]` has bit `e` when an arc of extract `e` touches `u`), renumbered densely in
/// the original order; extracts whose largest components are one keep it once. Returns the
/// graph (without turn data: [`Graph::packed`]), its number of components and the new number
/// of each node (`u32::MAX`: dropped).
pub(crate) fn largest_scc_per_extract(
    profile: Profile,
    lon: &[i32],
    lat: &[i32],
    arcs: Vec<Arc>,
    member: &[u64],
) -> (Graph, usize, Vec<u32>) {
    let g = Graph::packed(profile, vec![0; lon.len()], Vec::new(), arcs);
    let csr = Csr {
        offsets: g.offsets,
        targets: g.targets,
        weights: g.weights,
        lengths: g.lengths,
    };
    largest_scc_of_csr(profile, lon, lat, csr, member)
}

/// Arcs in CSR over every node, each node's run sorted by target (stable): the arcs of
/// [`Graph::packed`] before their nodes are filtered.
pub(crate) struct Csr {
    pub offsets: Vec<u32>,
    pub targets: Vec<u32>,
    pub weights: Vec<u32>,
    pub lengths: Vec<u32>,
}

/// [`largest_scc_per_extract`] on arcs already in CSR (no vector of arcs besides them: at
/// France scale the uncontracted arcs are the largest item of a build); the arcs are filtered
/// in place.
pub(crate) fn largest_scc_of_csr(
    profile: Profile,
    lon: &[i32],
    lat: &[i32],
    csr: Csr,
    member: &[u64],
) -> (Graph, usize, Vec<u32>) {
    let n = lon.len();
    let Csr {
        offsets,
        mut targets,
        mut weights,
        mut lengths,
    } = csr;
    // the components numbered as on the packed graph (runs sorted by target)
    let comp = tarjan(&offsets, &targets);
    let mut keep = vec![false; n];
    let mut parts = 0;
    let mut size = vec![0u32; n];
    let present = member.iter().fold(0u64, |all, m| all | m);
    for e in 0..MAX_EXTRACTS {
        let bit = 1u64 << e;
        if present & bit == 0 {
            continue;
        }
        size.iter_mut().for_each(|s| *s = 0);
        for u in 0..n {
            if member[u] & bit != 0 {
                size[comp[u] as usize] += 1;
            }
        }
        if let Some(best) = (0..n)
            .filter(|&c| size[c] > 0)
            .max_by_key(|&c| (size[c], std::cmp::Reverse(c)))
            && !keep[best]
        {
            keep[best] = true;
            parts += 1;
        }
    }
    drop(size);
    let mut new_id = vec![u32::MAX; n];
    let (mut nlon, mut nlat) = (Vec::new(), Vec::new());
    for u in 0..n {
        if member[u] != 0 && keep[comp[u] as usize] {
            new_id[u] = nlon.len() as u32;
            nlon.push(lon[u]);
            nlat.push(lat[u]);
        }
    }
    drop((comp, keep));
    // in place, in order: the kept nodes' runs keep their order (renumbering is monotone)
    let mut kept_offsets = Vec::with_capacity(nlon.len() + 1);
    kept_offsets.push(0u32);
    let mut w = 0;
    for u in 0..n {
        if new_id[u] == u32::MAX {
            continue;
        }
        for a in offsets[u] as usize..offsets[u + 1] as usize {
            let t = new_id[targets[a] as usize];
            if t != u32::MAX {
                (targets[w], weights[w], lengths[w]) = (t, weights[a], lengths[a]);
                w += 1;
            }
        }
        kept_offsets.push(w as u32);
    }
    drop(offsets);
    for v in [&mut targets, &mut weights, &mut lengths] {
        v.truncate(w);
        v.shrink_to_fit();
    }
    let g = Graph {
        profile,
        offsets: kept_offsets,
        targets,
        weights,
        lengths,
        lon: nlon,
        lat: nlat,
        restrictions: Vec::new(),
        turns: Default::default(),
        geometry: Default::default(),
        arc_flags: Vec::new(),
    };
    (g, parts, new_id)
}

/// Strongly connected components (iterative Tarjan): a component number per node.
pub fn strongly_connected(g: &Graph) -> Vec<u32> {
    tarjan(&g.offsets, &g.targets)
}

/// [`strongly_connected`] on a CSR adjacency: node `u`'s arcs are `offsets[u]..offsets[u + 1]`.
fn tarjan(offsets: &[u32], targets: &[u32]) -> Vec<u32> {
    const UNSEEN: u32 = u32::MAX;
    let n = offsets.len() - 1;
    let arcs_of = |u: u32| offsets[u as usize]..offsets[u as usize + 1];
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![UNSEEN; n];
    let mut stack: Vec<u32> = Vec::new();
    // Call stack of (node, next arc position): as deep as a road network's longest path
    let mut calls: Vec<(u32, u32)> = Vec::new();
    let mut next_index = 0u32;
    let mut next_comp = 0u32;
    for root in 0..n as u32 {
        if index[root as usize] != UNSEEN {
            continue;
        }
        calls.push((root, arcs_of(root).start));
        index[root as usize] = next_index;
        low[root as usize] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root as usize] = true;
        while let Some(top) = calls.last_mut() {
            let u = top.0;
            if top.1 < arcs_of(u).end {
                let v = targets[top.1 as usize];
                top.1 += 1;
                if index[v as usize] == UNSEEN {
                    index[v as usize] = next_index;
                    low[v as usize] = next_index;
                    next_index += 1;
                    stack.push(v);
                    on_stack[v as usize] = true;
                    calls.push((v, arcs_of(v).start));
                } else if on_stack[v as usize] {
                    low[u as usize] = low[u as usize].min(index[v as usize]);
                }
            } else {
                calls.pop();
                if let Some(&(parent, _)) = calls.last() {
                    low[parent as usize] = low[parent as usize].min(low[u as usize]);
                }
                if low[u as usize] == index[u as usize] {
                    while let Some(w) = stack.pop() {
                        on_stack[w as usize] = false;
                        comp[w as usize] = next_comp;
                        if w == u {
                            break;
                        }
                    }
                    next_comp += 1;
                }
            }
        }
    }
    comp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scc_of_a_one_way_tail() {
        // 0 <-> 1 <-> 2 -> 3: the largest component is {0, 1, 2}.
        let arc = |from, to| Arc {
            from,
            to,
            weight_ms: 1,
            length_dm: 1,
        };
        let arcs = vec![arc(0, 1), arc(1, 0), arc(1, 2), arc(2, 1), arc(2, 3)];
        let g = largest_scc_graph(Profile::Car, &[0, 1, 2, 3], &[0; 4], arcs);
        assert_eq!(g.node_count(), 3);
        assert_eq!(g.arc_count(), 4);
    }

    #[test]
    fn each_extract_keeps_its_largest_component() {
        let arc = |from, to| Arc {
            from,
            to,
            weight_ms: 1,
            length_dm: 1,
        };
        let both = |a, b| [arc(a, b), arc(b, a)];
        // extract 0: {0, 1, 2} and a stray pair {3, 4}; extract 1: {5, 6}, not joined to 0;
        // extract 2: {6, 7}, joined to extract 1's roads at node 6
        let arcs: Vec<Arc> = [both(0, 1), both(1, 2), both(3, 4), both(5, 6), both(6, 7)].concat();
        let member = [1, 1, 1, 1, 1, 2, 2 | 4, 4];
        let lon: Vec<i32> = (0..8).collect();
        let (g, parts, _) =
            largest_scc_per_extract(Profile::Car, &lon, &[0; 8], arcs.clone(), &member);
        assert_eq!(parts, 2, "extracts 1 and 2 share a component");
        assert_eq!(g.lon, vec![0, 1, 2, 5, 6, 7], "the stray pair is dropped");
        assert_eq!(g.arc_count(), 8);
        let c = crate::routing::Components::new(&g);
        assert_eq!(c.count(), 2);
        assert_ne!(c.of(0), c.of(3));
        assert_eq!(c.of(3), c.of(5));
        // one extract: the largest component only, as before
        let one = largest_scc_graph(Profile::Car, &lon, &[0; 8], arcs);
        assert_eq!(one.lon, vec![0, 1, 2]);
    }
}
