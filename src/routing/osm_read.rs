//! The two passes of [`super::build`] over an OSM PBF, with `osmpbf`'s parallel
//! `par_map_reduce`: the routable ways (node references and their tag rules, each distinct rule
//! stored once) and car turn restrictions, then the coordinates and signal/stop flags of just
//! the nodes those ways use.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicI32, AtomicU8, Ordering};

use indicatif::ProgressBar;
use osmpbf::{Element, ElementReader};

use super::graph::GraphError;
use super::restrictions::{self, Restriction};
use super::tags::{CarWay, car_rule, walk_rule};
use super::walk_tags::walk_dir;

/// Node flag: `highway=traffic_signals`.
pub const NODE_SIGNALS: u8 = 1;
/// Node flag: `highway=stop`.
pub const NODE_STOP: u8 = 2;

/// Coordinate of a node no extract holds.
pub(crate) const MISSING: i32 = i32::MIN;

/// A routable way: node references and what each profile makes of it.
#[derive(Debug, Clone)]
pub(crate) struct Way {
    /// OSM id: the same way in two extracts is read once.
    pub id: i64,
    pub refs: Vec<i64>,
    /// Its [`Rule`]: an index into [`Rules::table`] (France has millions of ways and a few
    /// hundred distinct rules).
    pub rule: u32,
    /// The extracts holding the way, one bit each (bit `e`: the `e`-th extract given).
    pub extracts: u64,
}

/// What each profile makes of a way: car rules (speed, direction), walk, ferry (`route=ferry`,
/// its `duration` in seconds when tagged), counted in the road density (Valhalla's roads, ramps
/// and plain service roads).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rule {
    pub car: Option<CarWay>,
    pub walk: bool,
    /// The walk direction when walked ([`walk_dir`]: 1 forward, -1 backward, 0 both).
    pub walk_dir: i8,
    /// Its walk flags ([`super::walk_cost`]).
    pub walk_flags: u8,
    pub ferry: Option<Option<f64>>,
    pub dense: bool,
}

/// The distinct [`Rule`]s of the ways read, each stored once.
#[derive(Default)]
pub(crate) struct Rules {
    pub table: Vec<Rule>,
    /// Rules by their car class and direction (equal rules share them), then compared whole.
    by_part: HashMap<[i16; 2], Vec<u32>>,
}

impl Rules {
    fn intern(&mut self, rule: Rule) -> u32 {
        let part = rule.car.map_or([-1, 0], |c| [c.class.into(), c.dir.into()]);
        let same = self.by_part.entry(part).or_default();
        if let Some(&i) = same.iter().find(|&&i| self.table[i as usize] == rule) {
            return i;
        }
        self.table.push(rule);
        same.push(self.table.len() as u32 - 1);
        self.table.len() as u32 - 1
    }
}

/// Pass 1 over one extract: its routable ways, members of `extract` (a one-bit mask), as a
/// vector and full chunks of them, and its car turn restrictions (`None` for one lieux cannot
/// use: via a way, or malformed).
pub(crate) type Pass1 = (Vec<Way>, Vec<Vec<Way>>, Vec<Option<Restriction>>);

/// Ways in a chunk of pass 1.
const CHUNK: usize = 1 << 16;

/// A file whose reads advance a progress bar by the bytes read.
struct Counted<'a> {
    file: std::fs::File,
    pb: &'a ProgressBar,
}

impl std::io::Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.pb.inc(n as u64);
        Ok(n)
    }
}

/// An `osmpbf` reader of `osm` that advances `pb` by the bytes read.
fn reader<'a>(
    osm: &Path,
    pb: &'a ProgressBar,
) -> Result<ElementReader<std::io::BufReader<Counted<'a>>>, GraphError> {
    let file = std::fs::File::open(osm).map_err(|e| GraphError::Io(e, osm.to_owned()))?;
    Ok(ElementReader::new(std::io::BufReader::new(Counted {
        file,
        pb,
    })))
}

pub(crate) fn read_ways(
    osm: &Path,
    extract: u64,
    rules: &std::sync::Mutex<Rules>,
    pb: &ProgressBar,
) -> Result<Pass1, GraphError> {
    let pbf_err = |e| GraphError::Pbf(osm.to_owned(), e);
    reader(osm, pb)?
        .par_map_reduce(
            |el| match el {
                Element::Relation(r) => match restrictions::of_relation(&r) {
                    Some(r) => (Vec::new(), Vec::new(), vec![r]),
                    None => (Vec::new(), Vec::new(), Vec::new()),
                },
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
                        return (Vec::new(), Vec::new(), Vec::new());
                    }
                    let rule = Rule {
                        car,
                        walk,
                        walk_dir: if walk { walk_dir(&tag) } else { 0 },
                        walk_flags: super::walk_cost::walk_flags(&tag),
                        ferry: super::tags::ferry(&tag),
                        dense: super::tags::counts_for_density(&tag),
                    };
                    let rule = rules.lock().unwrap_or_else(|e| e.into_inner()).intern(rule);
                    let way = Way {
                        id: w.id(),
                        refs: w.refs().collect(),
                        rule,
                        extracts: extract,
                    };
                    (vec![way], Vec::new(), Vec::new())
                }
                _ => (Vec::new(), Vec::new(), Vec::new()),
            },
            || (Vec::new(), Vec::new(), Vec::new()),
            |(a, ca, ra), (b, cb, rb)| {
                let mut chunks = concat(ca, cb);
                let mut ways = concat(a, b);
                if ways.len() >= CHUNK {
                    chunks.push(std::mem::take(&mut ways));
                }
                (ways, chunks, concat(ra, rb))
            },
        )
        .map_err(pbf_err)
}

/// `a` and `b` in one vector, the longer one extended.
fn concat<T>(mut a: Vec<T>, mut b: Vec<T>) -> Vec<T> {
    if a.len() < b.len() {
        std::mem::swap(&mut a, &mut b);
    }
    a.extend(b);
    a
}

/// The [`NODE_SIGNALS`] / [`NODE_STOP`] flags of a node's `highway` tag.
fn node_flags<'a>(mut tags: impl Iterator<Item = (&'a str, &'a str)>) -> u8 {
    match tags.find(|(k, _)| *k == "highway").map(|(_, v)| v) {
        Some("traffic_signals") => NODE_SIGNALS,
        Some("stop") => NODE_STOP,
        _ => 0,
    }
}

/// Pass 2 over one extract: the coordinates (`lonlat`) and [`NODE_SIGNALS`] / [`NODE_STOP`]
/// flags of the nodes of `ids` it holds that no earlier extract gave, stored at their index.
pub(crate) fn read_nodes(
    osm: &Path,
    ids: &[i64],
    [lon, lat]: [&[AtomicI32]; 2],
    flags: &[AtomicU8],
    pb: &ProgressBar,
) -> Result<(), GraphError> {
    let pbf_err = |e| GraphError::Pbf(osm.to_owned(), e);
    reader(osm, pb)?
        .par_map_reduce(
            |el| {
                let (id, x, y) = match &el {
                    Element::DenseNode(n) => (n.id(), n.decimicro_lon(), n.decimicro_lat()),
                    Element::Node(n) => (n.id(), n.decimicro_lon(), n.decimicro_lat()),
                    _ => return,
                };
                let Ok(i) = ids.binary_search(&id) else {
                    return;
                };
                // one extract holds a node once: the first extract's values win
                if lon[i]
                    .compare_exchange(MISSING, x, Ordering::Relaxed, Ordering::Relaxed)
                    .is_err()
                {
                    return;
                }
                lat[i].store(y, Ordering::Relaxed);
                let f = match &el {
                    Element::DenseNode(n) => node_flags(n.tags()),
                    Element::Node(n) => node_flags(n.tags()),
                    _ => 0,
                };
                flags[i].store(f, Ordering::Relaxed);
            },
            || (),
            |(), ()| (),
        )
        .map_err(pbf_err)
}
