//! The stored cells of the snapping index ([`super::snap`]), a type of its own so that the
//! graph that holds them ([`super::graph::Graph::snap_grid`]) does not depend on the index.

/// The cells of a [`super::snap::Snapper`], what its one sort computes: stored in the graph
/// file at build time ([`super::graph`]; [`super::snap`] computes and checks it) so that
/// `serve --graph` does not sort a France graph's hundred million segments at start-up.
/// Empty: not computed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapGrid {
    /// Occupied cells, sorted: `(cy << 32) | cx` (cells of 0.01°, two's complement).
    pub keys: Vec<u64>,
    /// `segments[starts[i]..starts[i + 1]]` are the segments touching cell `keys[i]`.
    pub starts: Vec<u32>,
    /// Segments by their first point (in the index's own point numbering), grouped by cell.
    pub segments: Vec<u32>,
}

impl SnapGrid {
    /// Not computed (a grid of an empty graph still has its one cell start).
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }
}
