//! The synthetic France PBF (`lieux graph synth`, issue #18) at a small size: an independent
//! reader (`osmpbf`; the writer is `pbf-craft`'s) reads back the counts written, and
//! `lieux graph build` on it and the overseas extracts gives one part per extract, keeps the
//! islands a ferry joins, drops the others and honours the turn restrictions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lieux::routing::Components;
use lieux::routing::build::build_many;
use lieux::routing::synth_pbf::{self, LINKED_ISLANDS, SynthOptions, UNLINKED_ISLANDS};
use osmpbf::{Element, ElementReader, RelMemberType};

use crate::cli::{lieux, run_ok};

/// What an independent reader finds in a PBF.
#[derive(Default)]
struct Read {
    nodes: HashMap<i64, (i32, i32)>,
    ways: HashMap<i64, Vec<i64>>,
    /// `(restriction, from, via node, to)` of the via-node restrictions.
    via_node: Vec<(String, i64, i64, i64)>,
    via_way: u64,
    relations: u64,
}

fn read(path: &Path) -> Read {
    let mut r = Read::default();
    ElementReader::from_path(path)
        .unwrap()
        .for_each(|e| match e {
            Element::DenseNode(n) => {
                r.nodes
                    .insert(n.id(), (n.decimicro_lon(), n.decimicro_lat()));
            }
            Element::Node(n) => {
                r.nodes
                    .insert(n.id(), (n.decimicro_lon(), n.decimicro_lat()));
            }
            Element::Way(w) => {
                r.ways.insert(w.id(), w.refs().collect());
            }
            Element::Relation(rel) => {
                r.relations += 1;
                let kind = rel
                    .tags()
                    .find(|t| t.0 == "restriction")
                    .map(|t| t.1.to_owned())
                    .unwrap();
                let (mut from, mut via, mut to) = (0, None, 0);
                for m in rel.members() {
                    match (m.role().unwrap(), m.member_type) {
                        ("from", _) => from = m.member_id,
                        ("to", _) => to = m.member_id,
                        ("via", RelMemberType::Node) => via = Some(m.member_id),
                        _ => {}
                    }
                }
                match via {
                    Some(v) => r.via_node.push((kind, from, v, to)),
                    None => r.via_way += 1,
                }
            }
        })
        .unwrap();
    r
}

fn bbox(outline: &[(f64, f64)]) -> [f64; 4] {
    outline.iter().fold(
        [f64::MAX, f64::MAX, f64::MIN, f64::MIN],
        |[a, b, c, d], &(x, y)| [a.min(x), b.min(y), c.max(x), d.max(y)],
    )
}

fn within(b: [f64; 4], lon: i32, lat: i32) -> bool {
    let (x, y) = (f64::from(lon) * 1e-7, f64::from(lat) * 1e-7);
    x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3]
}

#[test]
fn synthetic_france_builds_with_islands_restrictions_and_overseas() {
    let dir = std::env::temp_dir().join(format!("lieux-synth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("france.osm.pbf");
    let options = SynthOptions {
        nodes: 40_000,
        seed: 5,
        overseas: true,
    };
    let written = synth_pbf::write(&out, &options, false).unwrap();
    assert_eq!(written.len(), 6, "metropole and five overseas territories");

    // the counts written, read back by osmpbf
    let mut reads = Vec::new();
    for (path, s) in &written {
        let r = read(path);
        assert_eq!(r.nodes.len() as u64, s.nodes, "{}", path.display());
        assert_eq!(r.ways.len() as u64, s.ways, "{}", path.display());
        assert_eq!(r.relations, s.relations, "{}", path.display());
        assert_eq!(r.via_node.len() as u64, s.via_node);
        assert_eq!(r.via_way, s.via_way);
        // every way node is in the file
        assert!(r.ways.values().flatten().all(|n| r.nodes.contains_key(n)));
        reads.push(r);
    }
    let metro = &written[0].1;
    assert!(
        (36_000..48_000).contains(&metro.nodes),
        "{} nodes for 40 000 asked",
        metro.nodes
    );
    // France's proportions: ~6.7 way nodes a way
    let per_way = metro.nodes as f64 / metro.ways as f64;
    assert!((4.5..8.0).contains(&per_way), "{per_way} nodes a way");
    assert!(metro.via_node > 20 && metro.via_way > 0 && metro.ferries == 2);
    assert!(metro.roundabouts > 0 && metro.signals > 0 && metro.stops > 0);
    for (name, _) in UNLINKED_ISLANDS.iter().chain(&LINKED_ISLANDS) {
        let n = metro.parts.iter().find(|p| p.0 == *name).unwrap().1;
        assert!(n > 0, "{name} has nodes in the PBF");
    }

    // the command writes the same file
    let again = dir.join("again.osm.pbf");
    let log = run_ok(
        lieux()
            .args(["graph", "synth", "--nodes", "40000", "--seed", "5", "--out"])
            .arg(&again),
    );
    assert!(log.contains(&format!("{} nodes", metro.nodes)), "{log}");
    assert_eq!(std::fs::read(&again).unwrap(), std::fs::read(&out).unwrap());

    // one build of the six extracts
    let files: Vec<PathBuf> = written.iter().map(|w| w.0.clone()).collect();
    let (net, stats) = build_many(&files, false).unwrap();
    assert_eq!(stats.extracts, 6);
    assert_eq!(stats.components, [6, 6], "one part per extract");
    assert_eq!(Components::new(&net.car).count(), 6);
    let via_node: u64 = written.iter().map(|w| w.1.via_node).sum();
    let via_way: u64 = written.iter().map(|w| w.1.via_way).sum();
    assert_eq!(stats.restrictions as u64, via_node);
    assert_eq!(stats.restrictions_skipped as u64, via_way);
    assert_eq!(stats.missing_nodes, 0);

    // islands: ferries keep Corse and Belle-Île, Yeu and Ouessant have no ferry and are dropped
    let g = &net.car;
    let count_in = |outline: &[(f64, f64)]| {
        let b = bbox(outline);
        (0..g.node_count())
            .filter(|&u| within(b, g.lon[u], g.lat[u]))
            .count()
    };
    for (name, outline) in LINKED_ISLANDS {
        assert!(count_in(outline) > 0, "{name} kept");
    }
    for (name, outline) in UNLINKED_ISLANDS {
        assert_eq!(count_in(outline), 0, "{name} dropped");
        let b = bbox(outline);
        let in_pbf = reads[0]
            .ways
            .values()
            .flatten()
            .filter(|n| within(b, reads[0].nodes[n].0, reads[0].nodes[n].1))
            .count();
        assert!(in_pbf > 0, "{name} has roads in the PBF");
    }

    // every no_left_turn the generator wrote forbids its turn in the car graph
    let index: HashMap<(i32, i32), u32> = (0..g.node_count() as u32)
        .map(|u| ((g.lon[u as usize], g.lat[u as usize]), u))
        .collect();
    let r = &reads[0];
    let neighbours = |way: i64, via: i64| -> Vec<u32> {
        let refs = &r.ways[&way];
        (0..refs.len())
            .filter(|&k| refs[k] == via)
            .flat_map(|k| [k.wrapping_sub(1), k + 1])
            .filter_map(|k| refs.get(k))
            .filter_map(|n| index.get(&r.nodes[n]).copied())
            .collect()
    };
    let mut checked = 0;
    for (kind, from, via, to) in r.via_node.iter().filter(|x| x.0 == "no_left_turn") {
        let Some(&v) = index.get(&r.nodes[via]) else {
            continue;
        };
        for u in neighbours(*from, *via) {
            for w in neighbours(*to, *via) {
                assert!(
                    g.restrictions.contains(&[u, v, w]),
                    "{kind} {from} {via} {to}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 10, "{checked} forbidden turns checked");
    assert!(stats.forbidden_turns >= checked);
    let _ = std::fs::remove_dir_all(&dir);
}
