//! OSM turn restrictions → the forbidden turns of the car graph ([`super::turns`] applies them).
//!
//! Read: relations `type=restriction` with `restriction=no_*` or `only_*` (or
//! `restriction:motorcar=…`, which wins), a `from` way, one `via` node and a `to` way;
//! `except=…motorcar…` skips the relation. Via-way restrictions (a `via` way, or several via
//! members) are counted as skipped: a forbidden sequence of several arcs needs a search state
//! lieux does not keep. `no_*` forbids `from → via → to`; `only_*` forbids every other exit of
//! the via node for arrivals from the from-way.

use osmpbf::{RelMemberType, Relation};

/// A via-node turn restriction: `from` way, `via` node, `to` way (OSM ids), and whether it is an
/// `only_*` one (every other exit of the via node is forbidden).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Restriction {
    pub from: i64,
    pub via: i64,
    pub to: i64,
    pub only: bool,
}

/// The car turn restriction of a relation: `None` when it is none (another relation type, not a
/// `no_*`/`only_*`, or not for cars), `Some(None)` when lieux cannot use it (via a way,
/// members missing).
pub fn of_relation(r: &Relation<'_>) -> Option<Option<Restriction>> {
    let tags: Vec<(&str, &str)> = r.tags().collect();
    let tag = |k: &str| tags.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
    if tag("type") != Some("restriction")
        || tag("except").is_some_and(|e| e.split(';').any(|x| x.trim() == "motorcar"))
    {
        return None;
    }
    let kind = tag("restriction:motorcar").or_else(|| tag("restriction"))?;
    let only = kind.starts_with("only_");
    if !only && !kind.starts_with("no_") {
        return None;
    }
    let (mut from, mut via, mut to, mut vias) = (None, None, None, 0);
    for m in r.members() {
        match (m.role().unwrap_or(""), m.member_type) {
            ("from", RelMemberType::Way) => from = Some(m.member_id),
            ("to", RelMemberType::Way) => to = Some(m.member_id),
            ("via", RelMemberType::Node) => {
                via = Some(m.member_id);
                vias += 1;
            }
            ("via", _) => vias += 2,
            _ => {}
        }
    }
    Some(match (from, via, to) {
        (Some(from), Some(via), Some(to)) if vias == 1 => Some(Restriction {
            from,
            via,
            to,
            only,
        }),
        _ => None,
    })
}

/// A restriction with its nodes as indices into the node ids: the via node and its neighbours
/// along the from-way and along the to-way (both when the via node is inside the way).
pub struct IndexedRestriction {
    from: Vec<u32>,
    via: u32,
    to: Vec<u32>,
    only: bool,
}

/// The restrictions as node indices (`ids`: the sorted OSM node ids; `refs(way)`: a way's node
/// ids), those whose via node is not a way node left out: what [`triples`] needs once the ids
/// are freed (at France scale they are 8 bytes a way node, freed before the car's arcs are
/// built: issue 18).
pub fn indexed<'w>(
    restrictions: &[Restriction],
    refs: impl Fn(i64) -> Option<&'w [i64]>,
    ids: &[i64],
) -> Vec<IndexedRestriction> {
    let index = |id: i64| ids.binary_search(&id).ok().map(|i| i as u32);
    // the neighbours of `via` along a way, as indices
    let next_to = |way: i64, via: i64| -> Vec<u32> {
        let Some(w) = refs(way) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, &r) in w.iter().enumerate() {
            if r != via {
                continue;
            }
            for j in [i.wrapping_sub(1), i + 1] {
                if let Some(&n) = w.get(j) {
                    out.extend(index(n));
                }
            }
        }
        out
    };
    restrictions
        .iter()
        .filter_map(|r| {
            Some(IndexedRestriction {
                via: index(r.via)?,
                from: next_to(r.from, r.via),
                to: next_to(r.to, r.via),
                only: r.only,
            })
        })
        .collect()
}

/// The forbidden `[from, via, to]` node triples of the restrictions on the car arcs `arcs`:
/// `from` is the from-way's node next to the via node, `to` the to-way's.
pub fn triples(
    restrictions: &[IndexedRestriction],
    arcs: impl IntoIterator<Item = (u32, u32)>,
) -> Vec<[u32; 3]> {
    // the car exits of the via nodes of `only_*` restrictions
    let mut exits: std::collections::HashMap<u32, Vec<u32>> = std::collections::HashMap::new();
    for r in restrictions.iter().filter(|r| r.only) {
        exits.entry(r.via).or_default();
    }
    for (from, to) in arcs {
        if let Some(e) = exits.get_mut(&from) {
            e.push(to);
        }
    }
    let mut out = Vec::new();
    for r in restrictions {
        let v = r.via;
        for &u in &r.from {
            if r.only {
                let others = exits.get(&v).into_iter().flatten();
                out.extend(others.filter(|x| !r.to.contains(x)).map(|&x| [u, v, x]));
            } else {
                out.extend(r.to.iter().map(|&w| [u, v, w]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::graph::Arc;

    fn triples<'w>(
        restrictions: &[Restriction],
        refs: impl Fn(i64) -> Option<&'w [i64]>,
        ids: &[i64],
        arcs: impl IntoIterator<Item = (u32, u32)>,
    ) -> Vec<[u32; 3]> {
        super::triples(&indexed(restrictions, refs, ids), arcs)
    }

    fn pairs(arcs: &[Arc]) -> impl Iterator<Item = (u32, u32)> + '_ {
        arcs.iter().map(|a| (a.from, a.to))
    }

    #[test]
    fn no_and_only_restrictions_become_triples() {
        // ids 10..=14: a cross at 12 (ways 1: 10-11-12, 2: 12-13, 3: 12-14)
        let ids = [10, 11, 12, 13, 14];
        let ways: [(i64, Vec<i64>); 3] =
            [(1, vec![10, 11, 12]), (2, vec![12, 13]), (3, vec![14, 12])];
        let refs = |id: i64| ways.iter().find(|w| w.0 == id).map(|w| w.1.as_slice());
        let arc = |from, to| Arc {
            from,
            to,
            weight_ms: 1,
            length_dm: 1,
        };
        let arcs = [arc(2, 1), arc(2, 3), arc(2, 4), arc(1, 2)];
        let no = Restriction {
            from: 1,
            via: 12,
            to: 2,
            only: false,
        };
        assert_eq!(triples(&[no], refs, &ids, pairs(&arcs)), vec![[1, 2, 3]]);
        let only = Restriction { only: true, ..no };
        let mut got = triples(&[only], refs, &ids, pairs(&arcs));
        got.sort_unstable();
        assert_eq!(
            got,
            vec![[1, 2, 1], [1, 2, 4]],
            "every other exit, U-turn included"
        );
        let missing = Restriction { to: 9, ..no };
        assert!(triples(&[missing], refs, &ids, pairs(&arcs)).is_empty());
    }
}
