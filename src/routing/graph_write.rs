//! Writing the road graph file ([`super::graph`] describes the format and reads it): streamed
//! through a buffer with its checksum, never the whole file in memory (a France graph is
//! gigabytes, as much again as the graphs it is written from).

use std::path::Path;

use super::graph::{Graph, GraphError, MAGIC, RoadNetwork, VERSION};
use super::snap_grid::SnapGrid;

impl RoadNetwork {
    /// Serialises to the file format of [`super::graph`].
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // writing to a vector does not fail
        let _ = self.write_to(&mut out);
        out
    }

    /// Writes the file format of [`super::graph`] to `w`, a megabyte at a time (no copy of the whole file
    /// in memory: a France graph is gigabytes).
    pub fn write_to(&self, w: &mut impl std::io::Write) -> std::io::Result<()> {
        let mut out = GraphWriter::new(w, 2)?;
        out.section(&self.car)?;
        out.section(&self.walk)?;
        out.finish().map(|_| ())
    }

    /// The network with each graph's snap grid computed (what a file read back holds: the
    /// grids are stored in it).
    pub fn with_snap_grids(mut self) -> RoadNetwork {
        for g in [&mut self.car, &mut self.walk] {
            if g.snap_grid.is_empty() {
                g.snap_grid = SnapGrid::of(g);
            }
        }
        self
    }

    /// Writes a graph file atomically (temporary file, then rename).
    pub fn save(&self, path: &Path) -> Result<(), GraphError> {
        let tmp = path.with_extension("graph.tmp");
        let io = |e| GraphError::Io(e, tmp.clone());
        let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp).map_err(io)?);
        self.write_to(&mut file).map_err(io)?;
        std::io::Write::flush(&mut file).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(|e| GraphError::Io(e, path.to_owned()))
    }
}

/// The graph file written a profile's section at a time: [`super::build::build_to_file`] frees
/// each graph once written.
pub struct GraphWriter<W: std::io::Write> {
    out: Sink<W>,
}

impl<W: std::io::Write> GraphWriter<W> {
    /// Starts a file of `profiles` sections on `w` (its header).
    pub fn new(w: W, profiles: u32) -> std::io::Result<Self> {
        let mut out = Sink {
            w,
            crc: crc32fast::Hasher::new(),
            buf: Vec::with_capacity(1 << 20),
        };
        out.put(MAGIC)?;
        out.put(&VERSION.to_le_bytes())?;
        out.put(&profiles.to_le_bytes())?;
        Ok(GraphWriter { out })
    }

    /// Writes the section of `g` (sections go in the order the reader expects: car, walk).
    pub fn section(&mut self, g: &Graph) -> std::io::Result<()> {
        let out = &mut self.out;
        let geo = &g.geometry;
        let (m, np) = (g.arc_count() as u32, geo.point_count() as u32);
        let head = [g.profile.code(), g.node_count() as u32, m];
        let head = head.into_iter().chain([g.restrictions.len() as u32]);
        let flags = g.arc_flags.chunks(4).map(|c| {
            let mut w = [0u8; 4];
            w[..c.len()].copy_from_slice(c);
            u32::from_le_bytes(w)
        });
        let nf = flags.len() as u32;
        // derived data stored for a quick start-up: computed here when the graph lacks it
        let computed;
        let grid = if g.snap_grid.is_empty() {
            computed = SnapGrid::of(g);
            &computed
        } else {
            &g.snap_grid
        };
        let turns = !g.turns.is_empty();
        let (h_out, h_in, second, before_head, roads, forbidden) = g.turns.arrays();
        let counts = [geo.shape_count() as u32, np, nf, u32::from(turns)];
        let counts = counts.into_iter().chain([forbidden.len() as u32]);
        let cells = [grid.keys.len() as u32, grid.segments.len() as u32];
        out.u32s(head.chain(counts).chain(cells))?;
        for arr in [&g.offsets, &g.targets, &g.weights, &g.lengths] {
            out.u32s(arr.iter().copied())?;
        }
        out.u32s(g.lon.iter().chain(&g.lat).map(|&x| x as u32))?;
        out.u32s(g.restrictions.iter().flatten().copied())?;
        if geo.arc_shape.is_empty() {
            out.u32s((0..m).map(|_| super::geometry::STRAIGHT))?;
        }
        out.u32s(geo.arc_shape.iter().chain(&geo.start).copied())?;
        out.u32s(geo.lon.iter().chain(&geo.lat).map(|&x| x as u32))?;
        out.u32s(
            geo.dm
                .iter()
                .chain(&geo.ms_fwd)
                .chain(&geo.ms_back)
                .copied(),
        )?;
        out.u32s(flags)?;
        if turns {
            let h = h_out.iter().zip(h_in);
            out.u32s(h.map(|(&o, &i)| u32::from(o) | (u32::from(i) << 16)))?;
            out.u32s(roads.chunks(4).map(|c| {
                let mut w = [0u8; 4];
                w[..c.len()].copy_from_slice(c);
                u32::from_le_bytes(w)
            }))?;
            out.u32s(second.iter().chain(before_head).copied())?;
            out.u32s(forbidden.iter().flat_map(|&(a, b)| [a, b]))?;
        }
        out.u32s(grid.keys.iter().flat_map(|&k| [k as u32, (k >> 32) as u32]))?;
        out.u32s(grid.starts.iter().chain(&grid.segments).copied())
    }

    /// Ends the file (its checksum) and gives the writer back.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        let crc = self.out.crc.clone().finalize();
        self.out.w.write_all(&crc.to_le_bytes())?;
        Ok(self.out.w)
    }
}

/// A writer that hashes what goes through it (CRC-32), buffered.
struct Sink<W> {
    w: W,
    crc: crc32fast::Hasher,
    buf: Vec<u8>,
}

impl<W: std::io::Write> Sink<W> {
    fn put(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= 1 << 20 {
            self.flush()?;
        }
        Ok(())
    }

    fn u32s(&mut self, it: impl Iterator<Item = u32>) -> std::io::Result<()> {
        it.map(u32::to_le_bytes).try_for_each(|b| self.put(&b))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.crc.update(&self.buf);
        self.w.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }
}
