//! OSM PBF → [`RoadNetwork`]: tag rules for the `car` and `walk` profiles, arcs between
//! consecutive way nodes, and the largest strongly connected component of each profile.
//!
//! Two passes over the file with `osmpbf`'s parallel `par_map_reduce`: first the routable ways
//! (tags and node references), then the coordinates of just the nodes those ways use. Every way
//! node becomes a graph node (no contraction of degree-2 chains: simple, and snapping to nodes
//! then follows road geometry; a contracted graph is the next step for France-size inputs).
//! Way segments with a node absent from the extract (clipped extracts) are dropped.
//!
//! Which ways each profile takes, at what speed and in which direction: the tag rules of
//! [`super::tags`].

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use osmpbf::{Element, ElementReader};

use super::graph::{Arc, Graph, GraphError, Profile, RoadNetwork};
pub use super::tags::{car_default_kmh, car_rule, parse_maxspeed, walk_rule};
use crate::geodesy::haversine_m;

/// Walking speed, km/h (walk profile, and the snap distance in every profile).
pub const WALK_KMH: f64 = 5.0;

/// A routable way: node references and what each profile makes of it.
#[derive(Debug, Clone)]
struct Way {
    /// OSM id: the same way in two extracts is read once.
    id: i64,
    refs: Vec<i64>,
    /// Car speed (km/h) and direction (1 forward only, -1 backward only, 0 both).
    car: Option<(f64, i8)>,
    walk: bool,
    /// The extracts holding the way, one bit each (bit `e`: the `e`-th extract given).
    extracts: u64,
}

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
}

/// Most extracts in one graph (one bit each in a node's membership mask).
pub const MAX_EXTRACTS: usize = 64;

/// Reads `osm` (PBF) and builds both profiles. `progress` shows an indicatif spinner on stderr.
pub fn build(osm: &Path, progress: bool) -> Result<(RoadNetwork, BuildStats), GraphError> {
    build_many(&[osm], progress)
}

/// Reads every extract of `osm` (PBF) into one network of both profiles.
///
/// The extracts' ways and nodes are joined by OSM id: a way or node present in several extracts
/// (overlapping regions) is one, and a way clipped in one extract is completed by the nodes of
/// another. Of each extract, the largest strongly connected component of each profile is kept
/// (as for a single extract); extracts whose roads meet share that component, the others stay
/// separate, unconnected parts of the graph (see [`crate::routing::Components`]).
pub fn build_many<P: AsRef<Path>>(
    osm: &[P],
    progress: bool,
) -> Result<(RoadNetwork, BuildStats), GraphError> {
    let Some(first) = osm.first() else {
        return Err(GraphError::Invalid("no OSM extract given".into()));
    };
    if osm.len() > MAX_EXTRACTS {
        return Err(GraphError::Invalid(format!(
            "{} extracts given, at most {MAX_EXTRACTS} fit in one graph",
            osm.len()
        )));
    }
    let pb = if progress {
        let pb = ProgressBar::new_spinner();
        pb.set_style(
            ProgressStyle::with_template("{spinner} {elapsed} {msg} {pos}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        pb.enable_steady_tick(std::time::Duration::from_millis(200));
        pb
    } else {
        ProgressBar::hidden()
    };

    // Pass 1: routable ways, of every extract.
    let mut ways: Vec<Way> = Vec::new();
    for (e, path) in osm.iter().enumerate() {
        let path = path.as_ref();
        pb.set_message(format!("pass 1/2: ways of {}", path.display()));
        ways.extend(read_ways(path, 1u64 << e, &pb)?);
    }
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

    let mut ids: Vec<i64> = ways.iter().flat_map(|w| w.refs.iter().copied()).collect();
    ids.sort_unstable();
    ids.dedup();

    // Pass 2: coordinates of the nodes used (the first extract holding a node gives them).
    const MISSING: i32 = i32::MIN;
    let mut lon = vec![MISSING; ids.len()];
    let mut lat = vec![MISSING; ids.len()];
    for path in osm {
        let path = path.as_ref();
        pb.set_message(format!("pass 2/2: nodes of {}", path.display()));
        pb.set_position(0);
        for (i, x, y) in read_nodes(path, &ids, &pb)? {
            if lon[i as usize] == MISSING {
                lon[i as usize] = x;
                lat[i as usize] = y;
            }
        }
    }
    let mut stats = BuildStats {
        extracts: osm.len(),
        ways: ways.len(),
        way_nodes: ids.len(),
        missing_nodes: lon.iter().filter(|&&x| x == MISSING).count(),
        dropped_segments: 0,
        components: [0; 2],
    };

    pb.set_message("components");
    let mut graphs = Vec::new();
    for profile in Profile::ALL {
        let mut arcs = Vec::new();
        // the extracts each node's arcs come from
        let mut member = vec![0u64; ids.len()];
        for w in &ways {
            let (kmh, dir) = match profile {
                Profile::Car => match w.car {
                    Some(c) => c,
                    None => continue,
                },
                Profile::Walk if w.walk => (WALK_KMH, 0),
                Profile::Walk => continue,
            };
            for pair in w.refs.windows(2) {
                let (Ok(a), Ok(b)) = (ids.binary_search(&pair[0]), ids.binary_search(&pair[1]))
                else {
                    continue;
                };
                if lon[a] == MISSING || lon[b] == MISSING {
                    stats.dropped_segments += 1;
                    continue;
                }
                if a == b {
                    continue;
                }
                member[a] |= w.extracts;
                member[b] |= w.extracts;
                let len_m = haversine_m(
                    f64::from(lon[a]) * 1e-7,
                    f64::from(lat[a]) * 1e-7,
                    f64::from(lon[b]) * 1e-7,
                    f64::from(lat[b]) * 1e-7,
                );
                let weight_ms = (len_m / (kmh / 3.6) * 1000.0).round().max(1.0) as u32;
                let length_dm = (len_m * 10.0).round() as u32;
                let (a, b) = (a as u32, b as u32);
                if dir >= 0 {
                    arcs.push(Arc {
                        from: a,
                        to: b,
                        weight_ms,
                        length_dm,
                    });
                }
                if dir <= 0 {
                    arcs.push(Arc {
                        from: b,
                        to: a,
                        weight_ms,
                        length_dm,
                    });
                }
            }
        }
        let (g, parts) = largest_scc_per_extract(profile, &lon, &lat, arcs, &member);
        stats.components[graphs.len()] = parts;
        graphs.push(g);
    }
    pb.finish_and_clear();
    let walk = graphs.pop();
    let car = graphs.pop();
    match (car, walk) {
        (Some(car), Some(walk)) if car.node_count() > 0 && walk.node_count() > 0 => {
            Ok((RoadNetwork { car, walk }, stats))
        }
        _ => Err(GraphError::Empty(if osm.len() == 1 {
            first.as_ref().to_owned()
        } else {
            osm.iter()
                .map(|p| p.as_ref().display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
                .into()
        })),
    }
}

/// Pass 1 over one extract: its routable ways, members of `extract` (a one-bit mask).
fn read_ways(osm: &Path, extract: u64, pb: &ProgressBar) -> Result<Vec<Way>, GraphError> {
    let pbf_err = |e| GraphError::Pbf(osm.to_owned(), e);
    ElementReader::from_path(osm)
        .map_err(pbf_err)?
        .par_map_reduce(
            |el| match el {
                Element::Way(w) => {
                    let tags: Vec<(&str, &str)> = w.tags().collect();
                    let tag = |k: &str| -> Option<String> {
                        tags.iter()
                            .find(|(key, _)| *key == k)
                            .map(|(_, v)| (*v).to_owned())
                    };
                    let car = car_rule(&tag);
                    let walk = walk_rule(&tag);
                    if car.is_none() && !walk {
                        return Vec::new();
                    }
                    pb.inc(1);
                    vec![Way {
                        id: w.id(),
                        refs: w.refs().collect(),
                        car,
                        walk,
                        extracts: extract,
                    }]
                }
                _ => Vec::new(),
            },
            Vec::new,
            |mut a, mut b| {
                if a.len() < b.len() {
                    std::mem::swap(&mut a, &mut b);
                }
                a.extend(b);
                a
            },
        )
        .map_err(pbf_err)
}

/// Pass 2 over one extract: `(index in ids, lon, lat)` of the nodes of `ids` it holds.
fn read_nodes(
    osm: &Path,
    ids: &[i64],
    pb: &ProgressBar,
) -> Result<Vec<(u32, i32, i32)>, GraphError> {
    let pbf_err = |e| GraphError::Pbf(osm.to_owned(), e);
    let mut found: Vec<(u32, i32, i32)> = ElementReader::from_path(osm)
        .map_err(pbf_err)?
        .par_map_reduce(
            |el| {
                let (id, lon, lat) = match el {
                    Element::DenseNode(n) => (n.id(), n.decimicro_lon(), n.decimicro_lat()),
                    Element::Node(n) => (n.id(), n.decimicro_lon(), n.decimicro_lat()),
                    _ => return Vec::new(),
                };
                match ids.binary_search(&id) {
                    Ok(i) => {
                        pb.inc(1);
                        vec![(i as u32, lon, lat)]
                    }
                    Err(_) => Vec::new(),
                }
            },
            Vec::new,
            |mut a, mut b| {
                if a.len() < b.len() {
                    std::mem::swap(&mut a, &mut b);
                }
                a.extend(b);
                a
            },
        )
        .map_err(pbf_err)?;
    found.sort_unstable();
    Ok(found)
}

/// Keeps the largest strongly connected component of `arcs` (over nodes `0..lon.len()`),
/// renumbered densely in the original order.
pub(crate) fn largest_scc_graph(
    profile: Profile,
    lon: &[i32],
    lat: &[i32],
    arcs: Vec<Arc>,
) -> Graph {
    let mut member = vec![0u64; lon.len()];
    for a in &arcs {
        member[a.from as usize] = 1;
        member[a.to as usize] = 1;
    }
    largest_scc_per_extract(profile, lon, lat, arcs, &member).0
}

/// Keeps, for each extract, the largest strongly connected component among the nodes of its
/// arcs (`member[u]` has bit `e` when an arc of extract `e` touches `u`), renumbered densely in
/// the original order; extracts whose largest components are one keep it once. Returns the
/// graph and its number of components.
fn largest_scc_per_extract(
    profile: Profile,
    lon: &[i32],
    lat: &[i32],
    arcs: Vec<Arc>,
    member: &[u64],
) -> (Graph, usize) {
    let n = lon.len();
    let full = Graph::from_arcs(profile, vec![0; n], vec![0; n], arcs.clone());
    let comp = strongly_connected(&full);
    let mut keep = vec![false; n];
    let mut parts = 0;
    let mut size = vec![0usize; n];
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
    let mut new_id = vec![u32::MAX; n];
    let (mut nlon, mut nlat) = (Vec::new(), Vec::new());
    for u in 0..n {
        if member[u] != 0 && keep[comp[u] as usize] {
            new_id[u] = nlon.len() as u32;
            nlon.push(lon[u]);
            nlat.push(lat[u]);
        }
    }
    let kept = arcs
        .into_iter()
        .filter_map(|a| {
            let (f, t) = (new_id[a.from as usize], new_id[a.to as usize]);
            (f != u32::MAX && t != u32::MAX).then_some(Arc {
                from: f,
                to: t,
                ..a
            })
        })
        .collect();
    (Graph::from_arcs(profile, nlon, nlat, kept), parts)
}

/// Strongly connected components (iterative Tarjan): a component number per node.
pub fn strongly_connected(g: &Graph) -> Vec<u32> {
    const UNSEEN: u32 = u32::MAX;
    let n = g.node_count();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![UNSEEN; n];
    let mut stack: Vec<u32> = Vec::new();
    // Call stack of (node, next arc position).
    let mut calls: Vec<(u32, usize)> = Vec::new();
    let mut next_index = 0u32;
    let mut next_comp = 0u32;
    for root in 0..n as u32 {
        if index[root as usize] != UNSEEN {
            continue;
        }
        calls.push((root, g.arcs(root).start));
        index[root as usize] = next_index;
        low[root as usize] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root as usize] = true;
        while let Some(top) = calls.last_mut() {
            let u = top.0;
            if top.1 < g.arcs(u).end {
                let v = g.targets[top.1];
                top.1 += 1;
                if index[v as usize] == UNSEEN {
                    index[v as usize] = next_index;
                    low[v as usize] = next_index;
                    next_index += 1;
                    stack.push(v);
                    on_stack[v as usize] = true;
                    calls.push((v, g.arcs(v).start));
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
        let (g, parts) =
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
