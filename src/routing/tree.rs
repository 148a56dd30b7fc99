//! What the searches share: where they start ([`Origin`]), what they return ([`Tree`],
//! [`Reached`]), the places hanging off nodes ([`Attached`]), and the per-thread pool of
//! per-node (and per-arc) arrays.
//!
//! The arrays (time, length) are taken from a small per-thread pool and given back reset (only
//! the entries the search touched) when the [`Tree`] is dropped: at France size (9 M nodes)
//! allocating and filling two fresh 36 MB arrays cost more than the search itself (a 30-minute
//! search settles ~40 k nodes). Each thread keeps at most one pair per array size in use.

use std::cell::RefCell;

/// Time of a node the search did not reach.
pub const UNREACHED: u32 = u32::MAX;

/// Where a search starts: a node, with the time and length already spent reaching it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Origin {
    pub node: u32,
    pub offset_ms: u32,
    pub offset_dm: u32,
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
}

impl Drop for Tree {
    fn drop(&mut self) {
        give_back(
            std::mem::take(&mut self.time_ms),
            std::mem::take(&mut self.length_dm),
            &self.touched,
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
}

/// A place reached by a search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reached {
    pub slot: u32,
    pub time_ms: u32,
    pub length_dm: u32,
}
