//! The road graph: one CSR (compressed sparse row) graph per profile, and its binary file.
//!
//! # File format (version 5, all integers little-endian)
//!
//! ```text
//! magic      8 bytes  b"LIEUXRG\0"
//! version    u32      5
//! profiles   u32      number of sections that follow (2: car then walk)
//! section    profile u32 (1 car, 2 walk), nodes u32 (n), arcs u32 (m), restrictions u32 (r),
//!            shapes u32 (s), shape points u32 (p), flag words u32 (f: 0, or ⌈m / 4⌉),
//!            turn data u32 (t: 1 on a car graph, else 0), forbidden turns u32 (x),
//!            snap cells u32 (c), snap cell entries u32 (q),
//!            offsets (n + 1) × u32, targets m × u32, weights m × u32 (milliseconds),
//!            lengths m × u32 (decimetres), lon n × i32, lat n × i32 (1e-7 degrees, WGS84),
//!            restrictions r × 3 × u32 (forbidden turns `from, via, to` as node numbers),
//!            arc shapes m × u32, shape offsets (s + 1) × u32 (empty when s = 0), point lon
//!            p × i32, lat p × i32, length p × u32, time forward p × u32, time back p × u32
//!            (the arcs' geometry: [`super::geometry`]),
//!            arc flags f × u32 (one byte per arc, little-endian, zero-padded:
//!            [`super::walk_cost`]; none when no arc has a flag),
//!            when t = 1, the turn data ([`super::turns`]): headings m × u32 (out | in << 16),
//!            roads ⌈n / 4⌉ × u32 (one byte per node), second point m × u32, point before
//!            the head m × u32, forbidden (arc in, arc out) pairs x × 2 × u32,
//!            the snap grid ([`super::snap::SnapGrid`]): cell keys c × 2 × u32 (low, high),
//!            cell starts (c + 1) × u32, cell entries q × u32
//! crc32      u32      CRC-32 (IEEE, `crc32fast`) of every byte before it
//! ```
//!
//! The graph is compact (issue 18, [`super::contract`]): nodes only where roads meet, end or
//! where a turn restriction needs one; the way nodes between are the arcs' shape points.
//! Versions 1 to 4 (4 without the stored turn data and snap grid; 3 also without the arc
//! flags; 1 and 2 every way node a node; 1 also without turn costs) are refused with an error
//! asking for a rebuild: reading them would silently serve another graph.
//!
//! One file holds both profiles, so `serve --graph FILE` needs one path and one read. The turn
//! tables and the snap grid are derived data, stored at build time because computing them
//! (trigonometry and two sorts of a hundred million items) took most of a France-size
//! start-up. Loading ([`super::graph_read`]) streams the file into the arrays with its
//! checksum and a structural validation (offsets monotone, targets in range, stored tables
//! fitting the graph): a corrupt file is a [`GraphError`], never a panic at query time.
//! Writing is [`super::graph_write`], streamed.

use std::path::PathBuf;

use super::geometry::{ArcPoints, Geometry};
use super::snap_grid::SnapGrid;
use super::turns::{ArcEnd, Turns};

/// File magic.
pub const MAGIC: &[u8; 8] = b"LIEUXRG\0";
/// Current file version.
pub const VERSION: u32 = 5;

/// Why a graph could not be built, read or written.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("I/O error on {1}")]
    Io(#[source] std::io::Error, PathBuf),
    #[error("{0} is not a readable OSM PBF file")]
    Pbf(PathBuf, #[source] osmpbf::Error),
    #[error("not a lieux road graph (bad magic)")]
    BadMagic,
    #[error(
        "road graph version {0} cannot be read by this build (it reads version {VERSION}): \
         rebuild the graph with `lieux graph build`"
    )]
    Version(u32),
    #[error("road graph truncated: {0}")]
    Truncated(&'static str),
    #[error("road graph checksum mismatch (file corrupt)")]
    Checksum,
    #[error("road graph invalid: {0}")]
    Invalid(String),
    #[error("no routable road in {0}")]
    Empty(PathBuf),
}

/// Travel profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    Car,
    Walk,
}

impl Profile {
    pub const ALL: [Profile; 2] = [Profile::Car, Profile::Walk];

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Car => "car",
            Profile::Walk => "walk",
        }
    }

    pub(crate) fn code(self) -> u32 {
        match self {
            Profile::Car => 1,
            Profile::Walk => 2,
        }
    }

    pub(crate) fn from_code(c: u32) -> Option<Profile> {
        match c {
            1 => Some(Profile::Car),
            2 => Some(Profile::Walk),
            _ => None,
        }
    }
}

impl std::str::FromStr for Profile {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "car" => Ok(Profile::Car),
            "walk" => Ok(Profile::Walk),
            _ => Err(()),
        }
    }
}

/// A directed graph in CSR form: the arcs leaving node `u` are `offsets[u]..offsets[u + 1]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    pub profile: Profile,
    pub offsets: Vec<u32>,
    pub targets: Vec<u32>,
    /// Travel time of each arc, milliseconds.
    pub weights: Vec<u32>,
    /// Length of each arc, decimetres.
    pub lengths: Vec<u32>,
    /// Node longitudes, 1e-7 degrees.
    pub lon: Vec<i32>,
    /// Node latitudes, 1e-7 degrees.
    pub lat: Vec<i32>,
    /// Forbidden turns `[from, via, to]` (node numbers), car only.
    pub restrictions: Vec<[u32; 3]>,
    /// Turn costs and restrictions derived from the above (car only; empty on foot).
    pub turns: Turns,
    /// The arcs' shapes (way nodes between the arcs' ends); empty: every arc straight.
    pub geometry: Geometry,
    /// Per arc: its [`super::walk_cost`] flags (destination-only); empty: none has any.
    pub arc_flags: Vec<u8>,
    /// The snapping index's cells as the graph file stores them ([`super::snap::SnapGrid`]);
    /// empty: computed when needed.
    pub snap_grid: SnapGrid,
}

/// An arc before CSR packing.
#[derive(Debug, Clone, Copy)]
pub struct Arc {
    pub from: u32,
    pub to: u32,
    pub weight_ms: u32,
    pub length_dm: u32,
}

impl Graph {
    /// Packs arcs into CSR (arcs sorted by source, stable).
    pub fn from_arcs(profile: Profile, lon: Vec<i32>, lat: Vec<i32>, arcs: Vec<Arc>) -> Graph {
        Graph::packed(profile, lon, lat, arcs).with_restrictions(Vec::new())
    }

    /// [`Graph::from_arcs`] without the turn data (left empty): for a graph that is filtered or
    /// contracted before it is searched. Arcs sorted by `(from, to)`, stable, placed by a
    /// counting sort on `from` (no sorted copy of the arcs, no merge-sort buffer).
    pub(crate) fn packed(profile: Profile, lon: Vec<i32>, lat: Vec<i32>, arcs: Vec<Arc>) -> Graph {
        let (n, m) = (lon.len(), arcs.len());
        let offsets = offsets_of(n, arcs.iter().map(|a| a.from));
        let (mut targets, mut weights, mut lengths) = (vec![0u32; m], vec![0u32; m], vec![0u32; m]);
        // the next free slot of each node's run, in arc order (stable)
        let mut next: Vec<u32> = offsets[..n].to_vec();
        for a in arcs {
            let i = next[a.from as usize] as usize;
            next[a.from as usize] += 1;
            (targets[i], weights[i], lengths[i]) = (a.to, a.weight_ms, a.length_dm);
        }
        drop(next);
        sort_runs(&offsets, &mut targets, &mut weights, &mut lengths);
        Graph {
            profile,
            offsets,
            targets,
            weights,
            lengths,
            lon,
            lat,
            restrictions: Vec::new(),
            turns: Turns::default(),
            geometry: Geometry::default(),
            arc_flags: Vec::new(),
            snap_grid: SnapGrid::default(),
        }
    }

    /// The graph with these forbidden turns (`[from, via, to]` node triples), its turn data
    /// derived again. A car graph searches turn by turn ([`super::turn_search`]); a walk graph
    /// keeps no turn data.
    pub fn with_restrictions(mut self, mut restrictions: Vec<[u32; 3]>) -> Graph {
        restrictions.sort_unstable();
        restrictions.dedup();
        if self.profile == Profile::Car {
            let ends = (0..self.node_count() as u32)
                .flat_map(|u| self.arcs(u).map(move |a| (u, a)))
                .map(|(u, a)| ArcEnd::of(&self.arc_points(u, a)))
                .collect();
            self.turns = Turns::new(&self.offsets, &self.targets, ends, &restrictions);
            self.restrictions = restrictions;
        }
        self
    }

    /// The time of turning from arc `a` (`u → v`) onto arc `b` (leaving `v`), ms, or `None`
    /// when forbidden ([`Turns::cost`]).
    #[inline]
    pub fn turn_cost(&self, a: usize, _u: u32, v: u32, b: usize) -> Option<u32> {
        self.turns.cost(&self.offsets, a, v, b)
    }

    /// The points of arc `a` (leaving `u`) from `u` to its head: its shape points between,
    /// each with the time and length from `u` ([`super::geometry`]).
    #[inline]
    pub fn arc_points(&self, u: u32, a: usize) -> ArcPoints<'_> {
        let v = self.targets[a];
        ArcPoints {
            geometry: &self.geometry,
            nodes: self.node_count() as u32,
            shape: self.geometry.shape(a),
            tail: (u, self.lon[u as usize], self.lat[u as usize]),
            head: (v, self.lon[v as usize], self.lat[v as usize]),
            weight_ms: self.weights[a],
            length_dm: self.lengths[a],
        }
    }

    /// The [`super::walk_cost`] flags of arc `a`.
    #[inline]
    pub fn flags(&self, a: usize) -> u8 {
        self.arc_flags.get(a).copied().unwrap_or(0)
    }

    /// Does the search take turns into account (car)?
    pub fn turn_aware(&self) -> bool {
        self.profile == Profile::Car
    }

    pub fn node_count(&self) -> usize {
        self.lon.len()
    }

    pub fn arc_count(&self) -> usize {
        self.targets.len()
    }

    /// Arc indices leaving `u`.
    pub fn arcs(&self, u: u32) -> std::ops::Range<usize> {
        self.offsets[u as usize] as usize..self.offsets[u as usize + 1] as usize
    }

    /// `(lon, lat)` of node `u`, degrees.
    pub fn coord(&self, u: u32) -> (f64, f64) {
        (
            f64::from(self.lon[u as usize]) * 1e-7,
            f64::from(self.lat[u as usize]) * 1e-7,
        )
    }

    /// `(min_lon, min_lat, max_lon, max_lat)` of the nodes, degrees.
    pub fn bbox(&self) -> [f64; 4] {
        let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for u in 0..self.node_count() as u32 {
            let (x, y) = self.coord(u);
            b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
        }
        b
    }

    pub(crate) fn validate(&self) -> Result<(), GraphError> {
        let n = self.node_count();
        let m = self.arc_count();
        if self.offsets.first() != Some(&0) || self.offsets.last() != Some(&(m as u32)) {
            return Err(GraphError::Invalid("offsets do not span the arcs".into()));
        }
        if self.offsets.windows(2).any(|w| w[0] > w[1]) {
            return Err(GraphError::Invalid("offsets not monotone".into()));
        }
        if self.targets.iter().any(|&t| t as usize >= n) {
            return Err(GraphError::Invalid("arc target out of range".into()));
        }
        if !self.arc_flags.is_empty() && self.arc_flags.len() != m {
            return Err(GraphError::Invalid(
                "arc flags do not match the arcs".into(),
            ));
        }
        self.geometry.validate(m).map_err(GraphError::Invalid)
    }
}

/// The graphs of every profile, as stored in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoadNetwork {
    pub car: Graph,
    pub walk: Graph,
}

impl RoadNetwork {
    pub fn graph(&self, profile: Profile) -> &Graph {
        match profile {
            Profile::Car => &self.car,
            Profile::Walk => &self.walk,
        }
    }
}

/// CSR offsets of `n` nodes for arcs leaving the nodes `from` (one item per arc): node `u`'s
/// arcs are `offsets[u]..offsets[u + 1]`.
/// Sorts each node's run of arcs (CSR) by target, stable: the arc order of [`Graph::packed`].
pub(crate) fn sort_runs(
    offsets: &[u32],
    targets: &mut [u32],
    weights: &mut [u32],
    lengths: &mut [u32],
) {
    let mut run: Vec<(u32, u32, u32)> = Vec::new();
    for u in 0..offsets.len().saturating_sub(1) {
        let r = offsets[u] as usize..offsets[u + 1] as usize;
        if targets[r.clone()].windows(2).all(|w| w[0] <= w[1]) {
            continue;
        }
        run.clear();
        run.extend(r.clone().map(|i| (targets[i], weights[i], lengths[i])));
        run.sort_by_key(|x| x.0);
        for (i, x) in r.zip(&run) {
            (targets[i], weights[i], lengths[i]) = *x;
        }
    }
}

pub(crate) fn offsets_of(n: usize, from: impl Iterator<Item = u32>) -> Vec<u32> {
    let mut offsets = vec![0u32; n + 1];
    for u in from {
        offsets[u as usize + 1] += 1;
    }
    for i in 0..n {
        offsets[i + 1] += offsets[i];
    }
    offsets
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny(profile: Profile) -> Graph {
        Graph::from_arcs(
            profile,
            vec![0, 10, 20],
            vec![0, 0, 5],
            vec![
                Arc {
                    from: 0,
                    to: 1,
                    weight_ms: 100,
                    length_dm: 10,
                },
                Arc {
                    from: 1,
                    to: 2,
                    weight_ms: 200,
                    length_dm: 20,
                },
                Arc {
                    from: 2,
                    to: 0,
                    weight_ms: 300,
                    length_dm: 30,
                },
            ],
        )
    }

    #[test]
    fn round_trip_and_corruption() {
        let net = RoadNetwork {
            car: tiny(Profile::Car),
            walk: tiny(Profile::Walk),
        };
        let bytes = net.to_bytes();
        // the file holds the snap grids too (derived data, the ones computed from the graph)
        assert_eq!(
            RoadNetwork::from_bytes(&bytes).ok(),
            Some(net.with_snap_grids())
        );
        assert!(matches!(
            RoadNetwork::from_bytes(&bytes[..bytes.len() - 9]),
            Err(GraphError::Truncated(_))
        ));
        // a flipped bit in an array (the car's first weight) fails the checksum
        let mut flipped = bytes.clone();
        flipped[16 + 44 + 4 * 7] ^= 1;
        assert!(matches!(
            RoadNetwork::from_bytes(&flipped),
            Err(GraphError::Checksum)
        ));
        // in a count (restrictions: 65 536 more), the arrays run past the end of the file
        let mut flipped = bytes.clone();
        flipped[30] ^= 1;
        assert!(matches!(
            RoadNetwork::from_bytes(&flipped),
            Err(GraphError::Truncated(_))
        ));
        // stored derived data that does not fit the graph is refused even with a good checksum
        let mut bad = RoadNetwork {
            car: tiny(Profile::Car),
            walk: tiny(Profile::Walk),
        }
        .with_snap_grids();
        bad.walk.snap_grid.segments[0] = 1; // arc 0's last point: no segment
        let e = RoadNetwork::from_bytes(&bad.to_bytes()).err();
        assert!(matches!(e, Some(GraphError::Invalid(_))), "{e:?}");
        assert!(matches!(
            RoadNetwork::from_bytes(b"PBF\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"),
            Err(GraphError::BadMagic)
        ));
        // version 1 (before turn costs), 2 (before the compact graph), 3 (before the arc
        // flags) and 4 (before the stored turn data and snap grid) files are refused, naming
        // the fix
        for old in [1u32, 2, 3, 4] {
            let mut v = bytes.clone();
            v[8..12].copy_from_slice(&old.to_le_bytes());
            let e = RoadNetwork::from_bytes(&v).err();
            assert!(
                matches!(e, Some(GraphError::Version(x)) if x == old),
                "{e:?}"
            );
            assert!(e.is_some_and(|e| e.to_string().contains("lieux graph build")));
        }
        // restrictions survive the round trip
        let net = RoadNetwork {
            car: tiny(Profile::Car).with_restrictions(vec![[0, 1, 2]]),
            walk: tiny(Profile::Walk),
        };
        let back = RoadNetwork::from_bytes(&net.to_bytes()).ok();
        assert_eq!(
            back.as_ref().map(|n| n.car.turns.forbidden_count()),
            Some(1)
        );
        assert_eq!(back, Some(net.with_snap_grids()));
        // arc flags too, and a flag array of the wrong size is refused
        let mut walk = tiny(Profile::Walk);
        walk.arc_flags = vec![0, 1, 0];
        let net = RoadNetwork {
            car: tiny(Profile::Car),
            walk,
        };
        let bytes = net.to_bytes();
        assert_eq!(
            RoadNetwork::from_bytes(&bytes).ok(),
            Some(net.clone().with_snap_grids())
        );
        let mut bad = net;
        bad.walk.arc_flags.extend([0; 5]);
        assert!(RoadNetwork::from_bytes(&bad.to_bytes()).is_err());
    }
}
