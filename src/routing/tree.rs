//! What the searches share: where they start ([`Origin`]), what they return ([`Tree`],
//! [`Reached`]), the places hanging off nodes ([`Attached`]), and the per-thread pool of
//! per-node (and per-arc) arrays.
//!
//! The arrays (time, length) are taken from a small per-thread pool and given back reset (only
//! the entries the search touched) when the [`Tree`] is dropped: at France size (9 M nodes)
//! allocating and filling two fresh 36 MB arrays cost more than the search itself (a 30-minute
//! search settles ~40 k nodes). Each thread keeps at most one pair per array size in use.

use std::cell::RefCell;

use super::graph::Graph;

/// Time of a node the search did not reach.
pub const UNREACHED: u32 = u32::MAX;

/// Where a search starts: a node, with the time and length already spent reaching it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Origin {
    pub node: u32,
    pub offset_ms: u32,
    pub offset_dm: u32,
    /// The arc the start point reaches `node` by, when it lies inside the arc's shape rather
    /// than on its last segment: a turn-aware search turns from that arc at `node` (as it
    /// would at the way node the point lies next to); `None`: the start is at `node` itself,
    /// free to leave by any arc. On a walk graph ([`super::walk_search`]): the arc the start
    /// lies on, whose destination-only flag the search starts with.
    pub by_arc: Option<u32>,
}

/// Shortest times (ms) and the lengths (dm) of those shortest paths, per node.
#[derive(Debug, Clone)]
pub struct Tree {
    pub time_ms: Vec<u32>,
    pub length_dm: Vec<u32>,
    /// Nodes settled, in settling order.
    pub settled: Vec<u32>,
    /// Did the limit stop the search (some node lies beyond it), rather than the roads running
    /// out (every node the origins reach is settled)?
    pub cut: bool,
    /// Nodes whose entries were set: what to reset before the arrays are reused.
    pub(crate) touched: Vec<u32>,
    /// Where the search started, when from a point on an arc (set by
    /// [`super::Router::tree`]): the isochrone draws the arc's shape from that point.
    pub start: Option<StartOnArc>,
    /// Turn-aware searches: when each arc was first entered (its time and length at its tail),
    /// for the places hanging inside an arc's shape ([`Attached::by_arc`]).
    pub(crate) entered: ArcEntries,
}

/// A search start on a road: arc `u → v`, the point's segment of the arc's shape and fraction
/// along it, and the walk from the query point to the road, ms (and metres).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StartOnArc {
    pub arc: u32,
    pub u: u32,
    pub v: u32,
    pub segment: u32,
    pub fraction: f64,
    pub walk_ms: u32,
    pub distance_m: f64,
}

impl Tree {
    /// Is one of `refused` (nodes a search first saw beyond its limit) still unreached, i.e.
    /// did the limit cut the search rather than the roads running out ([`Tree::cut`])?
    pub(crate) fn any_unreached(&self, refused: &[u32]) -> bool {
        refused
            .iter()
            .any(|&v| self.time_ms[v as usize] == UNREACHED)
    }

    /// When arc `a` (leaving `u`) holds the start point (it is the start arc or the same road
    /// the other way): the time along `a` from `u` to the point, ms, and the walk to the road.
    pub fn start_along(&self, g: &Graph, u: u32, a: usize) -> Option<(f64, f64)> {
        let s = self.start?;
        let v = g.targets[a];
        let (segment, fraction) = if a == s.arc as usize {
            (s.segment as usize, s.fraction)
        } else if (u, v) == (s.v, s.u) && g.geometry.mirrors(a, s.arc as usize) {
            (
                g.geometry.interior(a) - s.segment as usize,
                1.0 - s.fraction,
            )
        } else {
            return None;
        };
        let pts = g.arc_points(u, a);
        let (p, q) = (pts.get(segment), pts.get(segment + 1));
        let c0 = f64::from(p.ms) + fraction * f64::from(q.ms - p.ms);
        Some((c0, f64::from(s.walk_ms)))
    }
}

/// Arc entry times and lengths of a turn-aware search (empty for a node search): per arc, its
/// best label less its weight, and the arcs the limit refused with their entry.
#[derive(Debug, Clone, Default)]
pub(crate) struct ArcEntries {
    /// Per arc: its label (time at its head, ms; [`UNREACHED`] if none) and length (dm).
    pub(crate) time: Vec<u32>,
    pub(crate) length: Vec<u32>,
    pub(crate) touched: Vec<u32>,
    /// Arcs entered within the limit whose head lies beyond it: `(arc, entry ms, entry dm)`.
    pub(crate) beyond: Vec<(u32, u32, u32)>,
}

impl Tree {
    /// When arc `a` (of weight `weight_ms`, length `length_dm`) was first entered: `(ms, dm)`.
    pub fn arc_entry(&self, a: u32, weight_ms: u32, length_dm: u32) -> Option<(u32, u32)> {
        let e = &self.entered;
        match e.time.get(a as usize) {
            Some(&t) if t != UNREACHED => Some((
                t.saturating_sub(weight_ms),
                e.length[a as usize].saturating_sub(length_dm),
            )),
            _ => {
                // sorted: the first entry of arc a is its earliest
                let i = e.beyond.partition_point(|b| b.0 < a);
                e.beyond.get(i).filter(|b| b.0 == a).map(|b| (b.1, b.2))
            }
        }
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        give_back(
            std::mem::take(&mut self.time_ms),
            std::mem::take(&mut self.length_dm),
            &self.touched,
        );
        give_back(
            std::mem::take(&mut self.entered.time),
            std::mem::take(&mut self.entered.length),
            &self.entered.touched,
        );
    }
}

/// Most array pairs kept per thread (one per array size in use: car nodes, car arcs, walk
/// nodes).
const POOL_PAIRS: usize = 3;

thread_local! {
    static POOL: RefCell<Vec<(Vec<u32>, Vec<u32>)>> = const { RefCell::new(Vec::new()) };
}

impl Tree {
    /// A tree of `n` nodes, none reached yet (arrays from the pool).
    pub(crate) fn unreached(n: usize) -> Tree {
        let (time_ms, length_dm) = take(n);
        Tree {
            time_ms,
            length_dm,
            settled: Vec::new(),
            cut: false,
            touched: Vec::new(),
            start: None,
            entered: ArcEntries::default(),
        }
    }

    /// Settles unreached node `u` at `time_ms`, `length_dm`.
    pub(crate) fn settle(&mut self, u: u32, time_ms: u32, length_dm: u32) {
        self.time_ms[u as usize] = time_ms;
        self.length_dm[u as usize] = length_dm;
        self.touched.push(u);
        self.settled.push(u);
    }
}

/// Two arrays of `n` entries, all `UNREACHED`.
pub(crate) fn take(n: usize) -> (Vec<u32>, Vec<u32>) {
    let pooled = POOL.with(|p| {
        let mut p = p.borrow_mut();
        let i = p.iter().position(|(t, _)| t.len() == n)?;
        Some(p.swap_remove(i))
    });
    pooled.unwrap_or_else(|| (vec![UNREACHED; n], vec![UNREACHED; n]))
}

/// Resets the `touched` entries and keeps the arrays for the next search on this thread.
pub(crate) fn give_back(mut time: Vec<u32>, mut length: Vec<u32>, touched: &[u32]) {
    if time.is_empty() || time.len() != length.len() {
        return;
    }
    for &u in touched {
        if let (Some(t), Some(l)) = (time.get_mut(u as usize), length.get_mut(u as usize)) {
            *t = UNREACHED;
            *l = UNREACHED;
        }
    }
    // a panic while the pool is borrowed cannot happen (no code runs inside); stay safe anyway
    let _ = POOL.try_with(|p| {
        if let Ok(mut p) = p.try_borrow_mut() {
            if p.len() >= POOL_PAIRS {
                p.remove(0);
            }
            p.push((std::mem::take(&mut time), std::mem::take(&mut length)));
        }
    });
}

/// A place attached to a node: its slot and its offset from the node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attached {
    pub slot: u32,
    pub offset_ms: u32,
    pub offset_dm: u32,
    /// The arc leaving the node the place lies along, when it lies inside the arc's shape
    /// rather than on its first segment: a turn-aware search reaches it when it turns onto
    /// that arc (from the arc's entry time), not when it reaches the node.
    pub by_arc: Option<u32>,
}

/// A place reached by a search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reached {
    pub slot: u32,
    pub time_ms: u32,
    pub length_dm: u32,
}
