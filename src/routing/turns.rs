//! What turning costs by car: turn restrictions and turn durations at each node, for the
//! turn-aware search of [`super::turn_search`].
//!
//! A transition is a pair of arcs `a = u → v`, `b = v → w`. It is **forbidden** when:
//! - an OSM turn restriction forbids `u → v → w` (`no_*`, and every other exit of `v` for an
//!   `only_*`; via-node restrictions, built by [`super::build`] into node triples);
//! - `b` goes straight back along `a` (`w == u`) while `v` has another exit: U-turns only at
//!   dead ends, as Valhalla's `auto` costing allows them.
//!
//! Otherwise it **costs** (Valhalla's port of OSRM's car turn function,
//! `valhalla/sif/osrm_car_duration.h`, restated): where more than two roads meet at `v`, or
//! for a U-turn at a dead end, `7.5 s / (1 + e^-(13·k₁·θ/180 − 6.5·k₂))` with `θ` the turn angle (0 straight
//! on, 180 back) and `k₁ = 1/1.075, k₂ = 1.075` for a right turn, `k₁ = 1.075, k₂ = 1/1.075`
//! for a left one (right-hand traffic: right turns are cheaper); plus 20 s for a U-turn (turn
//! angle 160°–200°). A straight crossing costs nearly nothing, a right turn about 2.1 s, a left
//! one about 5.4 s, a U-turn about 27.5 s. The headings are those of the arcs' end segments
//! (an arc of the compact graph follows its shape: the heading it arrives with is its last
//! segment's, the one it leaves with its first's); a node where only two roads meet costs
//! nothing (Valhalla has no node there: it is a bend of one edge).
//!
//! Roads and U-turns are told by the arcs' end points ([`ArcEnd`]): the point an arc leaves
//! its tail towards and the point it arrives at its head from (the neighbouring way node, a
//! node or a shape point, by id), so the rules read the same on the compact graph as on one
//! where every way node is a node.

use std::ops::Range;
use std::sync::OnceLock;

/// Extra time of a U-turn, ms.
const UTURN_MS: u32 = 20_000;

/// Turn duration by clockwise turn angle (degrees), ms, right-hand traffic.
fn duration_table() -> &'static [u32; 360] {
    static TABLE: OnceLock<[u32; 360]> = OnceLock::new();
    TABLE.get_or_init(|| {
        const PENALTY_S: f64 = 7.5;
        const BIAS: f64 = 1.075;
        let mut t = [0u32; 360];
        for (angle, slot) in t.iter_mut().enumerate() {
            let a = angle as f64;
            // θ > 0: clockwise, a right turn; θ < 0: a left turn
            let theta = if a > 180.0 { a - 360.0 } else { a };
            let s = if theta >= 0.0 {
                PENALTY_S / (1.0 + (-((13.0 / BIAS) * theta / 180.0 - 6.5 * BIAS)).exp())
            } else {
                PENALTY_S / (1.0 + (-((13.0 * BIAS) * -theta / 180.0 - 6.5 / BIAS)).exp())
            };
            let uturn = (160..=200).contains(&angle);
            *slot = (s * 1000.0).round() as u32 + if uturn { UTURN_MS } else { 0 };
        }
        t
    })
}

/// What the turn rules need of an arc's two ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArcEnd {
    /// The arc's tail node.
    pub tail: u32,
    /// Heading of its first segment (leaving the tail), degrees clockwise from north.
    pub heading_out: u16,
    /// Heading of its last segment (arriving at the head).
    pub heading_in: u16,
    /// Id of its second point (the way node after the tail) and of its second-to-last one
    /// (the way node before the head): [`super::geometry::ArcPoint::id`].
    pub second: u32,
    pub before_head: u32,
}

impl ArcEnd {
    /// The ends of the arc whose points are `p`.
    pub fn of(p: &super::geometry::ArcPoints<'_>) -> ArcEnd {
        let deg = |q: super::geometry::ArcPoint| (f64::from(q.lon) * 1e-7, f64::from(q.lat) * 1e-7);
        let k = p.len();
        let (first, second) = (p.get(0), p.get(1));
        let (before, head) = (p.get(k - 2), p.get(k - 1));
        ArcEnd {
            tail: first.id,
            heading_out: bearing(deg(first), deg(second)),
            heading_in: bearing(deg(before), deg(head)),
            second: second.id,
            before_head: before.id,
        }
    }
}

/// Turn data of a graph, derived from its arcs, their end segments and restrictions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Turns {
    /// Heading of each arc's first and last segment, degrees clockwise from north.
    heading_out: Vec<u16>,
    heading_in: Vec<u16>,
    /// Source node of each arc (the searches pop arcs and need where they come from).
    tail: Vec<u32>,
    /// Each arc's second and second-to-last point ids ([`ArcEnd`]).
    second: Vec<u32>,
    before_head: Vec<u32>,
    /// Number of distinct neighbours of each node (roads meeting there), at most 255.
    roads: Vec<u8>,
    /// One bit per arc: the arc starts a forbidden pair.
    restricted: Vec<u64>,
    /// Forbidden `(arc in, arc out)` pairs, sorted.
    forbidden: Vec<(u32, u32)>,
}

/// The part of [`Turns`] a graph file stores: what [`Turns::new`] computes with trigonometry
/// and sorts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StoredTurns {
    pub heading_out: Vec<u16>,
    pub heading_in: Vec<u16>,
    pub second: Vec<u32>,
    pub before_head: Vec<u32>,
    pub roads: Vec<u8>,
    pub forbidden: Vec<(u32, u32)>,
}

impl Turns {
    /// Derives the turn data of a CSR graph (`offsets`, `targets`) from its arcs' `ends` (in
    /// arc order) with the forbidden node triples `restrictions`.
    pub fn new(
        offsets: &[u32],
        targets: &[u32],
        ends: Vec<ArcEnd>,
        restrictions: &[[u32; 3]],
    ) -> Turns {
        let n = offsets.len().saturating_sub(1);
        let arcs = |u: u32| arcs_of(offsets, u);
        // the roads meeting at a node: its distinct neighbouring way nodes
        let mut neighbours: Vec<(u32, u32)> = Vec::with_capacity(2 * targets.len());
        for (a, e) in ends.iter().enumerate() {
            neighbours.push((e.tail, e.second));
            neighbours.push((targets[a], e.before_head));
        }
        neighbours.sort_unstable();
        neighbours.dedup();
        let mut roads = vec![0u8; n];
        for (u, _) in neighbours {
            roads[u as usize] = roads[u as usize].saturating_add(1);
        }
        let mut forbidden: Vec<(u32, u32)> = Vec::new();
        for &[u, v, w] in restrictions {
            if u as usize >= n || v as usize >= n || w as usize >= n {
                continue;
            }
            // the one-segment arcs u → v and v → w (restriction nodes are kept as nodes, so the
            // way nodes a restriction names are always neighbours)
            let into = arcs(u).filter(|&a| targets[a] == v && ends[a].before_head == u);
            for a in into {
                forbidden.extend(
                    arcs(v)
                        .filter(|&b| targets[b] == w && ends[b].second == w)
                        .map(|b| (a as u32, b as u32)),
                );
            }
        }
        forbidden.sort_unstable();
        forbidden.dedup();
        let mut restricted = vec![0u64; targets.len().div_ceil(64)];
        for &(a, _) in &forbidden {
            restricted[a as usize / 64] |= 1 << (a % 64);
        }
        Turns {
            heading_out: ends.iter().map(|e| e.heading_out).collect(),
            heading_in: ends.iter().map(|e| e.heading_in).collect(),
            tail: ends.iter().map(|e| e.tail).collect(),
            second: ends.iter().map(|e| e.second).collect(),
            before_head: ends.iter().map(|e| e.before_head).collect(),
            roads,
            restricted,
            forbidden,
        }
    }

    /// Turn data read back from a graph file ([`super::graph`]): the stored arrays, with the
    /// arcs' tails and the restricted-arc bits derived again from `offsets` (one linear pass
    /// each, no sort: what [`Turns::new`] spends its time on is stored).
    pub(crate) fn stored(offsets: &[u32], stored: StoredTurns) -> Turns {
        let m = stored.second.len();
        let mut tail = Vec::with_capacity(m);
        for (u, w) in offsets.windows(2).enumerate() {
            tail.extend(std::iter::repeat_n(u as u32, (w[1] - w[0]) as usize));
        }
        let mut restricted = vec![0u64; m.div_ceil(64)];
        for &(a, _) in &stored.forbidden {
            restricted[a as usize / 64] |= 1 << (a % 64);
        }
        Turns {
            heading_out: stored.heading_out,
            heading_in: stored.heading_in,
            tail,
            second: stored.second,
            before_head: stored.before_head,
            roads: stored.roads,
            restricted,
            forbidden: stored.forbidden,
        }
    }

    /// The arrays a graph file stores, borrowed (the rest is derived on reading:
    /// [`Turns::stored`]): headings out and in, second and before-head ids, roads, forbidden.
    #[allow(clippy::type_complexity)]
    pub(crate) fn arrays(&self) -> (&[u16], &[u16], &[u32], &[u32], &[u8], &[(u32, u32)]) {
        (
            &self.heading_out,
            &self.heading_in,
            &self.second,
            &self.before_head,
            &self.roads,
            &self.forbidden,
        )
    }

    /// Do these arrays fit a graph of `n` nodes and `m` arcs (a file read back)?
    pub(crate) fn check(s: &StoredTurns, n: usize, m: usize) -> Result<(), String> {
        let lens = [s.heading_in.len(), s.second.len(), s.before_head.len()];
        if s.heading_out.len() != m || lens.iter().any(|&l| l != m) || s.roads.len() != n {
            return Err("turn data does not match the graph".into());
        }
        if s.forbidden.windows(2).any(|w| w[0] >= w[1])
            || s.forbidden
                .iter()
                .any(|&(a, b)| a as usize >= m || b as usize >= m)
        {
            return Err("forbidden turns out of range or unsorted".into());
        }
        Ok(())
    }

    /// Is there any turn data (a car graph's)?
    pub fn is_empty(&self) -> bool {
        self.tail.is_empty() && self.roads.is_empty()
    }

    /// The source node of arc `a`.
    #[inline]
    pub fn tail(&self, a: usize) -> u32 {
        self.tail[a]
    }

    /// Forbidden transitions held (for reports and tests).
    pub fn forbidden_count(&self) -> usize {
        self.forbidden.len()
    }

    /// The time of the transition from arc `a` (into `v`) to arc `b` (leaving `v`), ms, or
    /// `None` when it is forbidden, on the CSR graph (`offsets`) it was made for.
    #[inline]
    pub fn cost(&self, offsets: &[u32], a: usize, v: u32, b: usize) -> Option<u32> {
        // back to the way node it came from: a U-turn
        let from = self.before_head[a];
        let back = self.second[b] == from;
        if back && arcs_of(offsets, v).any(|c| self.second[c] != from) {
            return None;
        }
        if self.restricted[a / 64] & (1 << (a % 64)) != 0
            && self.forbidden.binary_search(&(a as u32, b as u32)).is_ok()
        {
            return None;
        }
        // only where roads meet (a bend of one road is no turn) or when going back
        if self.roads[v as usize] > 2 || back {
            let angle =
                (360 + u32::from(self.heading_out[b]) - u32::from(self.heading_in[a])) % 360;
            Some(duration_table()[angle as usize])
        } else {
            Some(0)
        }
    }
}

/// Arc indices leaving `u` in a CSR graph.
#[inline]
fn arcs_of(offsets: &[u32], u: u32) -> Range<usize> {
    offsets[u as usize] as usize..offsets[u as usize + 1] as usize
}

/// Initial bearing from `p` to `q` (`(lon, lat)` degrees), whole degrees clockwise from north.
fn bearing(p: (f64, f64), q: (f64, f64)) -> u16 {
    let (la1, la2) = (p.1.to_radians(), q.1.to_radians());
    let dl = (q.0 - p.0).to_radians();
    let y = dl.sin() * la2.cos();
    let x = la1.cos() * la2.sin() - la1.sin() * la2.cos() * dl.cos();
    (y.atan2(x).to_degrees().round().rem_euclid(360.0) as u16) % 360
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn right_turns_are_cheaper_and_u_turns_dearest() {
        let t = duration_table();
        assert!(t[0] < 20, "straight on: {}", t[0]);
        assert!((2_000..2_200).contains(&t[90]), "right: {}", t[90]);
        assert!((5_300..5_500).contains(&t[270]), "left: {}", t[270]);
        assert!(t[180] > 27_000 && t[180] < 28_000, "U-turn: {}", t[180]);
        assert!(t[45] < t[315] && t[135] < t[225]);
        assert_eq!(bearing((2.0, 48.0), (2.0, 48.1)), 0);
        assert_eq!(bearing((2.0, 48.0), (2.1, 48.0)), 90);
        assert_eq!(bearing((2.0, 48.0), (1.9, 48.0)), 270);
    }
}
