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
    let member = Members::Word(member.to_vec());
    let g = Graph::packed(profile, vec![0; lon.len()], Vec::new(), arcs);
    let csr = Csr {
        offsets: g.offsets,
        targets: g.targets,
        weights: g.weights,
        lengths: g.lengths,
    };
    largest_scc_of_csr(profile, lon.to_vec(), lat.to_vec(), csr, &member)
}

/// The extracts whose arcs touch each node (bit `e`: extract `e`): a byte a node when the
/// extracts number 8 or fewer (France and its overseas regions are 6: 7 bytes a node less,
/// 0.7 GB at 100 M way nodes, while the arcs are built; issue 18).
pub(crate) enum Members {
    Byte(Vec<u8>),
    Word(Vec<u64>),
}

impl Members {
    /// No extract for each of `n` nodes, room for `extracts` extracts.
    pub fn new(n: usize, extracts: usize) -> Members {
        if extracts <= 8 {
            Members::Byte(vec![0; n])
        } else {
            Members::Word(vec![0; n])
        }
    }

    /// Adds the extracts `mask` (within the room given to [`Members::new`]) to node `u`.
    pub fn add(&mut self, u: usize, mask: u64) {
        match self {
            Members::Byte(m) => m[u] |= mask as u8,
            Members::Word(m) => m[u] |= mask,
        }
    }

    /// The extracts of node `u`.
    pub fn get(&self, u: usize) -> u64 {
        match self {
            Members::Byte(m) => u64::from(m[u]),
            Members::Word(m) => m[u],
        }
    }
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
/// France scale the uncontracted arcs are the largest item of a build); the arcs and the
/// coordinates are filtered in place, and the components take one number per node (the
/// step sets the peak memory of a France-size build: issue 18).
pub(crate) fn largest_scc_of_csr(
    profile: Profile,
    mut lon: Vec<i32>,
    mut lat: Vec<i32>,
    csr: Csr,
    member: &Members,
) -> (Graph, usize, Vec<u32>) {
    let n = lon.len();
    let Csr {
        offsets,
        mut targets,
        mut weights,
        mut lengths,
    } = csr;
    // the components numbered as on the packed graph (runs sorted by target)
    let mut comp = components(&offsets, &targets);
    let mut keep = vec![false; n];
    let mut parts = 0;
    let mut size = vec![0u32; n];
    let present = (0..n).fold(0u64, |all, u| all | member.get(u));
    for e in 0..MAX_EXTRACTS {
        let bit = 1u64 << e;
        if present & bit == 0 {
            continue;
        }
        size.iter_mut().for_each(|s| *s = 0);
        for u in 0..n {
            if member.get(u) & bit != 0 {
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
    // each node's new number, in place of its component (renumbering is monotone: the kept
    // nodes' coordinates and runs move down in place, in order)
    let mut kept = 0;
    for u in 0..n {
        comp[u] = if member.get(u) != 0 && keep[comp[u] as usize] {
            (lon[kept], lat[kept]) = (lon[u], lat[u]);
            kept += 1;
            kept as u32 - 1
        } else {
            u32::MAX
        };
    }
    drop(keep);
    let new_id = comp;
    for v in [&mut lon, &mut lat] {
        v.truncate(kept);
        v.shrink_to_fit();
    }
    let mut kept_offsets = Vec::with_capacity(kept + 1);
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
        lon,
        lat,
        restrictions: Vec::new(),
        turns: Default::default(),
        geometry: Default::default(),
        arc_flags: Vec::new(),
        snap_grid: Default::default(),
    };
    (g, parts, new_id)
}

/// Strongly connected components: a component number per node, in the order Tarjan's
/// algorithm completes them.
pub fn strongly_connected(g: &Graph) -> Vec<u32> {
    components(&g.offsets, &g.targets)
}

/// [`strongly_connected`] on a CSR adjacency: node `u`'s arcs are `offsets[u]..offsets[u + 1]`.
///
/// Pearce's space-efficient variant of Tarjan ("A space-efficient algorithm for finding
/// strongly connected components", 2016, `PEA_FIND_SCC2`), made iterative: one number per
/// node (its visit rank while open, then its component, counted down from `n`) where Tarjan
/// keeps an index, a low link, an on-stack flag and a component. Same depth-first order, so
/// the components complete, and are numbered, as Tarjan's.
fn components(offsets: &[u32], targets: &[u32]) -> Vec<u32> {
    let n = offsets.len() - 1;
    // 0: unseen; 1..index: the rank of an open node (lowered to what it reaches); above:
    // `n + 1 - c` for the node of the c-th component completed (0-based)
    let mut rank = vec![0u32; n];
    // the open nodes still roots of their component (a bit per node)
    let mut root = vec![0u64; n.div_ceil(64)];
    let set_root = |root: &mut [u64], v: u32, on: bool| {
        let (word, bit) = (v as usize / 64, 1u64 << (v % 64));
        if on {
            root[word] |= bit;
        } else {
            root[word] &= !bit;
        }
    };
    // closed nodes waiting for their component's root to close
    let mut waiting: Vec<u32> = Vec::new();
    // call stack of (node, next arc position): as deep as a road network's longest path
    let mut calls: Vec<(u32, u32)> = Vec::new();
    let mut index = 1u32;
    let mut c = n as u32;
    for start in 0..n as u32 {
        if rank[start as usize] != 0 {
            continue;
        }
        rank[start as usize] = index;
        index += 1;
        set_root(&mut root, start, true);
        calls.push((start, offsets[start as usize]));
        while let Some(top) = calls.last_mut() {
            let v = top.0;
            if top.1 < offsets[v as usize + 1] {
                let w = targets[top.1 as usize];
                top.1 += 1;
                if rank[w as usize] == 0 {
                    rank[w as usize] = index;
                    index += 1;
                    set_root(&mut root, w, true);
                    calls.push((w, offsets[w as usize]));
                } else if rank[w as usize] < rank[v as usize] {
                    rank[v as usize] = rank[w as usize];
                    set_root(&mut root, v, false);
                }
                continue;
            }
            calls.pop();
            if root[v as usize / 64] & (1u64 << (v % 64)) != 0 {
                index -= 1;
                while let Some(&w) = waiting.last()
                    && rank[v as usize] <= rank[w as usize]
                {
                    waiting.pop();
                    rank[w as usize] = c;
                    index -= 1;
                }
                rank[v as usize] = c;
                c -= 1;
            } else {
                waiting.push(v);
            }
            if let Some(&(parent, _)) = calls.last()
                && rank[v as usize] < rank[parent as usize]
            {
                rank[parent as usize] = rank[v as usize];
                set_root(&mut root, parent, false);
            }
        }
    }
    // numbered from 0 in completion order
    for r in &mut rank {
        *r = n as u32 - *r;
    }
    rank
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Textbook recursive Tarjan (index, low link, on-stack flag): the oracle of
    /// [`components`]' numbering.
    fn tarjan(offsets: &[u32], targets: &[u32]) -> Vec<u32> {
        struct T<'a> {
            offsets: &'a [u32],
            targets: &'a [u32],
            index: Vec<Option<u32>>,
            low: Vec<u32>,
            on_stack: Vec<bool>,
            stack: Vec<u32>,
            comp: Vec<u32>,
            next: (u32, u32),
        }
        fn visit(t: &mut T, v: usize) {
            t.index[v] = Some(t.next.0);
            t.low[v] = t.next.0;
            t.next.0 += 1;
            t.stack.push(v as u32);
            t.on_stack[v] = true;
            for a in t.offsets[v] as usize..t.offsets[v + 1] as usize {
                let w = t.targets[a] as usize;
                match t.index[w] {
                    None => {
                        visit(t, w);
                        t.low[v] = t.low[v].min(t.low[w]);
                    }
                    Some(i) if t.on_stack[w] => t.low[v] = t.low[v].min(i),
                    Some(_) => {}
                }
            }
            if Some(t.low[v]) == t.index[v] {
                while let Some(w) = t.stack.pop() {
                    t.on_stack[w as usize] = false;
                    t.comp[w as usize] = t.next.1;
                    if w as usize == v {
                        break;
                    }
                }
                t.next.1 += 1;
            }
        }
        let n = offsets.len() - 1;
        let mut t = T {
            offsets,
            targets,
            index: vec![None; n],
            low: vec![0; n],
            on_stack: vec![false; n],
            stack: Vec::new(),
            comp: vec![0; n],
            next: (0, 0),
        };
        for v in 0..n {
            if t.index[v].is_none() {
                visit(&mut t, v);
            }
        }
        t.comp
    }

    /// On random sparse digraphs (road-like: mostly two-way, some one-way, loops and repeated
    /// arcs), the space-efficient components are numbered exactly as Tarjan's, and two nodes
    /// share one exactly when each reaches the other (brute force).
    #[test]
    fn components_match_tarjan_and_mutual_reachability() {
        let mut rng = crate::testdata::Rng::new(18);
        for round in 0..300 {
            let n = 1 + rng.below(40);
            let mut arcs: Vec<(u32, u32)> = Vec::new();
            for _ in 0..rng.below(3 * n) {
                let (a, b) = (rng.below(n) as u32, rng.below(n) as u32);
                arcs.push((a, b));
                if rng.below(3) > 0 {
                    arcs.push((b, a));
                }
            }
            arcs.sort_unstable();
            let offsets = crate::routing::graph::offsets_of(n, arcs.iter().map(|a| a.0));
            let targets: Vec<u32> = arcs.iter().map(|a| a.1).collect();
            let comp = components(&offsets, &targets);
            assert_eq!(comp, tarjan(&offsets, &targets), "round {round}");
            let mut reach = vec![vec![false; n]; n];
            for (s, row) in reach.iter_mut().enumerate() {
                let mut todo = vec![s];
                row[s] = true;
                while let Some(u) = todo.pop() {
                    for &v in &targets[offsets[u] as usize..offsets[u + 1] as usize] {
                        if !row[v as usize] {
                            row[v as usize] = true;
                            todo.push(v as usize);
                        }
                    }
                }
            }
            for u in 0..n {
                for v in 0..n {
                    let mutual = reach[u][v] && reach[v][u];
                    assert_eq!(comp[u] == comp[v], mutual, "round {round}: {u} {v}");
                }
            }
        }
    }

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
