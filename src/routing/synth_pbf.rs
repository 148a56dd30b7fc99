//! `lieux graph synth`: a synthetic OSM PBF with France's proportions, to prove the real build
//! (`lieux graph build`) at France's size where no France extract can be downloaded.
//!
//! Metropolitan France is one file: the mainland outline of [`super::synthetic`], Corsica and
//! Belle-Île (joined to the mainland by ferries, one with a `duration`), and the îles d'Yeu and
//! d'Ouessant with no ferry, parts the build drops (it keeps each extract's largest strongly
//! connected component). With `overseas`, Réunion, Martinique, Guadeloupe, Guyane (its coastal
//! strip) and Mayotte go to files of their own beside it, at the same road density, so that one
//! `lieux graph build` joins several extracts. The roads, tags and turn restrictions are those
//! of [`super::synth_osm`]; the PBF holds nothing else (no buildings or addresses).
//!
//! Streaming: nodes are written row by row of each lattice, then ways, each computed from its
//! position, so memory stays flat whatever the size. The writer is `pbf-craft`'s (`osmpbf`, the
//! reader of the build, only reads): DenseNodes, zlib blobs of 8 000 elements.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use pbf_craft::models::{Element, ElementType, Node, Relation, RelationMember, Tag, Way, WayNode};
use pbf_craft::writers::PbfWriter;

use super::synth_osm::{self, COL, COL_BACK, Lattice, Line, RING, ROW, ROW_BACK};
use super::synthetic::FRANCE_OUTLINE;

/// Node count of a France-size extract (France's OSM roads: ~100 M way nodes, ~15 M ways).
pub const FRANCE_WAY_NODES: u64 = 100_000_000;

/// One outline of a region.
struct Part {
    name: &'static str,
    outline: &'static [(f64, f64)],
    motorways: bool,
}

/// A ferry between two parts, landing at the road junctions nearest to two points.
struct Ferry {
    from: (usize, f64, f64),
    to: (usize, f64, f64),
    duration: Option<&'static str>,
}

/// The outlines of one extract and its ferries.
struct Region {
    name: &'static str,
    parts: &'static [Part],
    ferries: &'static [Ferry],
}

const CORSE: [(f64, f64); 8] = [
    (9.45, 43.0),
    (9.55, 42.1),
    (9.25, 41.4),
    (8.8, 41.6),
    (8.55, 42.2),
    (8.65, 42.6),
    (9.3, 42.75),
    (9.35, 42.95),
];
const BELLE_ILE: [(f64, f64); 4] = [(-3.26, 47.36), (-3.1, 47.39), (-3.05, 47.3), (-3.2, 47.28)];
const YEU: [(f64, f64); 4] = [
    (-2.40, 46.72),
    (-2.30, 46.73),
    (-2.28, 46.69),
    (-2.38, 46.68),
];
const OUESSANT: [(f64, f64); 4] = [
    (-5.13, 48.48),
    (-5.05, 48.48),
    (-5.04, 48.44),
    (-5.12, 48.44),
];

/// Metropolitan France: the parts and how they are joined.
const METROPOLE: Region = Region {
    name: "metropole",
    parts: &[
        Part {
            name: "mainland",
            outline: &FRANCE_OUTLINE,
            motorways: true,
        },
        Part {
            name: "corse",
            outline: &CORSE,
            motorways: false,
        },
        Part {
            name: "belle-ile",
            outline: &BELLE_ILE,
            motorways: false,
        },
        Part {
            name: "yeu",
            outline: &YEU,
            motorways: false,
        },
        Part {
            name: "ouessant",
            outline: &OUESSANT,
            motorways: false,
        },
    ],
    ferries: &[
        // Marseille – Ajaccio, overnight
        Ferry {
            from: (0, 5.37, 43.3),
            to: (1, 8.74, 41.93),
            duration: Some("11:30"),
        },
        // Quiberon – Le Palais: no duration, the speed follows the length
        Ferry {
            from: (0, -3.12, 47.48),
            to: (2, -3.15, 47.35),
            duration: None,
        },
    ],
};

/// Parts of metropolitan France that no ferry joins: the build drops them.
pub const UNLINKED_ISLANDS: [(&str, &[(f64, f64)]); 2] = [("yeu", &YEU), ("ouessant", &OUESSANT)];
/// Parts joined to the mainland by a ferry: the build keeps them.
pub const LINKED_ISLANDS: [(&str, &[(f64, f64)]); 2] =
    [("corse", &CORSE), ("belle-ile", &BELLE_ILE)];

const OVERSEAS: [Region; 5] = [
    Region {
        name: "reunion",
        parts: &[Part {
            name: "reunion",
            outline: &[
                (55.22, -21.0),
                (55.6, -20.88),
                (55.84, -21.15),
                (55.78, -21.35),
                (55.4, -21.38),
                (55.25, -21.2),
            ],
            motorways: false,
        }],
        ferries: &[],
    },
    Region {
        name: "martinique",
        parts: &[Part {
            name: "martinique",
            outline: &[
                (-61.2, 14.88),
                (-60.95, 14.75),
                (-60.82, 14.45),
                (-61.1, 14.4),
                (-61.25, 14.6),
            ],
            motorways: false,
        }],
        ferries: &[],
    },
    Region {
        name: "guadeloupe",
        parts: &[Part {
            name: "guadeloupe",
            outline: &[
                (-61.8, 16.35),
                (-61.55, 16.45),
                (-61.2, 16.5),
                (-61.25, 16.25),
                (-61.55, 16.2),
                (-61.6, 15.95),
                (-61.8, 16.05),
            ],
            motorways: false,
        }],
        ferries: &[],
    },
    Region {
        name: "guyane",
        parts: &[Part {
            name: "guyane",
            outline: &[
                (-54.0, 5.7),
                (-53.0, 5.5),
                (-52.2, 5.1),
                (-51.7, 4.4),
                (-51.9, 4.3),
                (-52.4, 4.8),
                (-53.2, 5.25),
                (-54.0, 5.35),
            ],
            motorways: false,
        }],
        ferries: &[],
    },
    Region {
        name: "mayotte",
        parts: &[Part {
            name: "mayotte",
            outline: &[
                (45.05, -12.65),
                (45.22, -12.7),
                (45.2, -13.0),
                (45.1, -12.99),
                (45.03, -12.8),
            ],
            motorways: false,
        }],
        ferries: &[],
    },
];

/// What to write.
#[derive(Debug, Clone, Copy)]
pub struct SynthOptions {
    /// Road nodes of metropolitan France (about: the lattice step is chosen for it).
    pub nodes: u64,
    pub seed: u64,
    /// Also write the five overseas territories, each to a file beside `out`.
    pub overseas: bool,
}

/// Counts of one written extract.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SynthStats {
    pub nodes: u64,
    pub ways: u64,
    pub relations: u64,
    /// Turn restrictions via a node, via a way.
    pub via_node: u64,
    pub via_way: u64,
    pub ferries: u64,
    pub roundabouts: u64,
    /// Nodes tagged `highway=traffic_signals`, `highway=stop`.
    pub signals: u64,
    pub stops: u64,
    /// Node count of each part, by name.
    pub parts: Vec<(&'static str, u64)>,
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("writing {0}: {1:#}")]
    Write(PathBuf, anyhow::Error),
    #[error("no road junction near a landing of the {0} ferry (too few nodes?)")]
    NoLanding(&'static str),
}

/// Lattice step, km, that gives metropolitan France about `nodes` road nodes.
pub fn step_km(nodes: u64) -> f64 {
    let area: f64 = METROPOLE
        .parts
        .iter()
        .map(|p| synth_osm::area_km2(p.outline))
        .sum();
    (area * synth_osm::NODE_SHARE / nodes.max(1) as f64).sqrt()
}

/// Writes metropolitan France to `out` (and the overseas territories beside it, named
/// `STEM-TERRITORY.osm.pbf`): the paths written and their counts. `progress`: a bar on stderr.
pub fn write(
    out: &Path,
    opts: &SynthOptions,
    progress: bool,
) -> Result<Vec<(PathBuf, SynthStats)>, SynthError> {
    let step = step_km(opts.nodes);
    let mut written = vec![(
        out.to_owned(),
        write_region(out, &METROPOLE, 0, step, opts.seed, progress)?,
    )];
    if opts.overseas {
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = name.strip_suffix(".osm.pbf").unwrap_or(&name).to_owned();
        for (r, region) in OVERSEAS.iter().enumerate() {
            let path = out.with_file_name(format!("{stem}-{}.osm.pbf", region.name));
            let stats = write_region(&path, region, r + 1, step, opts.seed, progress)?;
            written.push((path, stats));
        }
    }
    Ok(written)
}

/// First id of part `k` of region `r`: every region and part has its own id range (ids are
/// unique across the extracts, as OSM's are).
fn id_base(r: usize, k: usize) -> i64 {
    ((r * 8 + k + 1) as i64) << 37
}

fn tags(t: &[(&str, &str)]) -> Vec<Tag> {
    t.iter()
        .map(|&(k, v)| Tag {
            key: k.to_owned(),
            value: v.to_owned(),
        })
        .collect()
}

fn way(id: i64, refs: Vec<i64>, t: &[(&str, &str)]) -> Element {
    Element::Way(Way {
        id,
        way_nodes: refs.into_iter().map(WayNode::new_without_coords).collect(),
        tags: tags(t),
        ..Way::default()
    })
}

fn write_region(
    out: &Path,
    region: &Region,
    r: usize,
    step: f64,
    seed: u64,
    progress: bool,
) -> Result<SynthStats, SynthError> {
    let err = |e| SynthError::Write(out.to_owned(), e);
    let lattices: Vec<Lattice> = region
        .parts
        .iter()
        .enumerate()
        .map(|(k, p)| {
            Lattice::new(
                p.outline,
                step,
                p.motorways,
                seed ^ ((r * 8 + k) as u64),
                id_base(r, k),
            )
        })
        .collect();
    let rows: u64 = lattices.iter().map(|l| l.h as u64).sum();
    let pb = if progress {
        ProgressBar::new(2 * rows)
    } else {
        ProgressBar::hidden()
    };
    pb.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {percent}% {elapsed} (ETA {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut w = PbfWriter::from_path(out, true).map_err(err)?;
    let mut s = SynthStats::default();

    // nodes, in id order
    for (lat, part) in lattices.iter().zip(region.parts) {
        pb.set_message(format!("{}: nodes of {}", region.name, part.name));
        let before = s.nodes;
        for j in 0..lat.h {
            for &(a, b) in lat.row_ranges(j) {
                for i in a..=b {
                    for slot in lat.slots(i, j) {
                        let (lon, la) = lat.coord(i, j, slot);
                        let tag = if slot == 1 {
                            lat.junction_tag(i, j)
                        } else {
                            None
                        };
                        match tag {
                            Some("traffic_signals") => s.signals += 1,
                            Some(_) => s.stops += 1,
                            None => {}
                        }
                        w.write(Element::Node(Node {
                            id: lat.node_id(i, j, slot),
                            latitude: (la * 1e9).round() as i64,
                            longitude: (lon * 1e9).round() as i64,
                            tags: tag.map(|v| tags(&[("highway", v)])).unwrap_or_default(),
                            ..Node::default()
                        }))
                        .map_err(err)?;
                        s.nodes += 1;
                    }
                }
            }
            pb.inc(1);
        }
        s.parts.push((part.name, s.nodes - before));
    }

    // ways, in id order, and the turn restrictions met at junctions
    let mut restrictions = Vec::new();
    for (lat, part) in lattices.iter().zip(region.parts) {
        pb.set_message(format!("{}: ways of {}", region.name, part.name));
        for j in 0..lat.h {
            for &(a, b) in lat.row_ranges(j) {
                for i in a..=b {
                    for e in ways_at(lat, i, j, &mut s) {
                        w.write(e).map_err(err)?;
                        s.ways += 1;
                    }
                    restrictions.extend(lat.restriction(i, j));
                }
            }
            pb.inc(1);
        }
    }
    for (n, f) in region.ferries.iter().enumerate() {
        let land = |(k, lon, lat): (usize, f64, f64)| {
            lattices
                .get(k)
                .and_then(|l| l.landing(lon, lat))
                .ok_or(SynthError::NoLanding(region.parts[k].name))
        };
        let (a, b) = (land(f.from)?, land(f.to)?);
        let mut t = vec![
            ("route", "ferry"),
            ("motor_vehicle", "yes"),
            ("foot", "yes"),
        ];
        if let Some(d) = f.duration {
            t.push(("duration", d));
        }
        w.write(way(id_base(r, 7) + n as i64, vec![a.0, b.0], &t))
            .map_err(err)?;
        s.ways += 1;
        s.ferries += 1;
    }

    pb.set_message(format!("{}: relations", region.name));
    for (n, (kind, from, via, to)) in restrictions.into_iter().enumerate() {
        let member = |id, t, role: &str| RelationMember {
            member_id: id,
            member_type: t,
            role: role.to_owned(),
        };
        let via = match via {
            Ok(node) => {
                s.via_node += 1;
                member(node, ElementType::Node, "via")
            }
            Err(way) => {
                s.via_way += 1;
                member(way, ElementType::Way, "via")
            }
        };
        w.write(Element::Relation(Relation {
            id: id_base(r, 0) + n as i64 + 1,
            tags: tags(&[("type", "restriction"), ("restriction", kind)]),
            members: vec![
                member(from, ElementType::Way, "from"),
                via,
                member(to, ElementType::Way, "to"),
            ],
            ..Relation::default()
        }))
        .map_err(err)?;
        s.relations += 1;
    }
    w.finish().map_err(err)?;
    drop(w);
    pb.finish_and_clear();
    s.bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    Ok(s)
}

/// The way along line `o`/`line` (class `class`) starting at point `t`, if one does, and the
/// backward carriageway beside it (orientation `back`) on a motorway.
fn line_way(
    lat: &Lattice,
    o: u8,
    class: Line,
    line: usize,
    t: usize,
    back: Option<u8>,
) -> Option<(Element, Option<Element>)> {
    if !lat.starts(o, line, t) {
        return None;
    }
    let span = lat.span(o, line, t);
    let (first, last) = (*span.start(), *span.end());
    let at = |t: usize| if o == ROW { (t, line) } else { (line, t) };
    let mut refs = Vec::with_capacity(last - first + 2);
    for t in span {
        let (a, b) = at(t);
        let ids = lat.refs_at(o, class, a, b);
        // a way begins at the last node of an interchange point, where the previous one ended
        let skip = if t == first {
            ids.len().saturating_sub(1)
        } else {
            0
        };
        refs.extend(&ids[skip..]);
    }
    let (i, j) = at(first);
    let id = lat.way_id(i, j, o);
    let forward = way(id, refs, &synth_osm::way_tags(lat, class, id));
    let backward = back.map(|b| {
        let refs = (first..=last)
            .rev()
            .map(|t| {
                let (a, c) = at(t);
                lat.node_id(a, c, 2)
            })
            .collect();
        let id = lat.way_id(i, j, b);
        way(id, refs, &synth_osm::way_tags(lat, class, id))
    });
    Some((forward, backward))
}

/// The ways starting at `(i, j)`, in id order: along the row, along the column, the backward
/// carriageways of motorways, a roundabout.
fn ways_at(lat: &Lattice, i: usize, j: usize, s: &mut SynthStats) -> Vec<Element> {
    let mut out = Vec::new();
    let row = lat.row_line(j).and_then(|class| {
        let back = (class == Line::Motorway).then_some(ROW_BACK);
        line_way(lat, ROW, class, j, i, back)
    });
    let col = lat.col_line(i).and_then(|class| {
        let back = (class == Line::Motorway).then_some(COL_BACK);
        line_way(lat, COL, class, i, j, back)
    });
    let (row, row_back) = row.map_or((None, None), |(f, b)| (Some(f), b));
    let (col, col_back) = col.map_or((None, None), |(f, b)| (Some(f), b));
    out.extend([row, col, row_back, col_back].into_iter().flatten());
    if lat.roundabout(i, j) {
        let (r, c) = (lat.row_line(j), lat.col_line(i));
        let highway = match r.max(c) {
            Some(Line::Secondary) => "secondary",
            Some(Line::Tertiary) => "tertiary",
            _ => "residential",
        };
        let ring = [(i + 1, j), (i, j + 1), (i - 1, j), (i, j - 1), (i + 1, j)];
        let refs = ring.iter().map(|&(a, b)| lat.node_id(a, b, 1)).collect();
        out.push(way(
            lat.way_id(i, j, RING),
            refs,
            &[("highway", highway), ("junction", "roundabout")],
        ));
        s.roundabouts += 1;
    }
    out
}
