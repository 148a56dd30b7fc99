//! Reading the road graph file ([`super::graph`] describes the format; [`super::graph_write`]
//! writes it): streamed from the file straight into the arrays, the checksum computed on the
//! way. No copy of the whole file is held (a France graph is gigabytes: the read buffer used
//! to double the start-up's peak memory), and the derived data the file stores (turn tables,
//! snap grid) is taken as read instead of computed (issue 18: `serve --graph` start-up).
//!
//! A structural error (a count that runs past the end of the file, an array out of range) does
//! not stop the checksum: the rest of the file is hashed, and a mismatch is reported as
//! [`GraphError::Checksum`] (or [`GraphError::Truncated`] when the arrays ran past the end),
//! so a corrupt file is told as such rather than by whichever array it broke.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::geometry::Geometry;
use super::graph::{Graph, GraphError, MAGIC, Profile, RoadNetwork, VERSION};
use super::snap_grid::SnapGrid;
use super::turns::{StoredTurns, Turns};

impl RoadNetwork {
    /// Parses and validates the file format of [`super::graph`].
    pub fn from_bytes(bytes: &[u8]) -> Result<RoadNetwork, GraphError> {
        read(bytes, bytes.len() as u64, Path::new(""))
    }

    /// Reads a graph file, streamed ([`super::graph_read`]): its two sections side by side
    /// when the file is sound, else in order (for the error that says what is wrong).
    pub fn load(path: &Path) -> Result<RoadNetwork, GraphError> {
        let io = |e| GraphError::Io(e, path.to_owned());
        let file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if let Some(net) = side_by_side(path, len) {
            return Ok(net);
        }
        read(file, len, path)
    }
}

/// Reads the car and walk sections of a graph file in two threads (each its own file handle,
/// its own checksum, the two combined): `None` unless the file is sound, the caller then reads
/// it in order to tell what is wrong. At France size a section is gigabytes: the read, the
/// conversion and the page faults of its arrays are half of the start-up.
fn side_by_side(path: &Path, len: u64) -> Option<RoadNetwork> {
    let mut head = [0u8; 16 + 44];
    std::fs::File::open(path).ok()?.read_exact(&mut head).ok()?;
    let word = |i: usize| u32::from_le_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
    if &head[..8] != MAGIC || word(8) != VERSION || word(12) != 2 {
        return None;
    }
    let counts: Vec<u64> = (0..10).map(|i| u64::from(word(20 + 4 * i))).collect();
    let split = 16 + section_len(&counts)?;
    if split.checked_add(4)? > len {
        return None;
    }
    let stream = |from: u64, to: u64| -> Option<Stream<std::fs::File>> {
        let mut f = std::fs::File::open(path).ok()?;
        std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(from)).ok()?;
        Some(Stream::new(f, from, to, path))
    };
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| {
            let mut s = stream(split, len - 4)?;
            let g = section(&mut s).ok().filter(|_| s.pos == s.body)?;
            let stored = s.finish().ok()?;
            Some((g, s.crc, stored))
        });
        let first = stream(0, split).and_then(|mut s| {
            s.bytes(16).ok()?;
            let g = section(&mut s).ok().filter(|_| s.pos == s.body)?;
            Some((g, s.crc))
        });
        (first, second.join().ok().flatten())
    });
    let ((a, mut crc), (b, crc_b, stored)) = (first?, second?);
    crc.combine(&crc_b);
    if crc.finalize() != stored {
        return None;
    }
    match (a.profile, b.profile) {
        (Profile::Car, Profile::Walk) => Some(RoadNetwork { car: a, walk: b }),
        (Profile::Walk, Profile::Car) => Some(RoadNetwork { car: b, walk: a }),
        _ => None,
    }
}

/// Bytes of a section whose header counts (after the profile) are `c`: the format of
/// [`super::graph`].
fn section_len(c: &[u64]) -> Option<u64> {
    let [n, m, nr, ns, np, nf, nt, nx, nc, nq] = c.try_into().ok()?;
    let shapes = if ns == 0 { 0 } else { ns + 1 } + 5 * np;
    let turns = if nt == 1 {
        3 * m + n.div_ceil(4) + 2 * nx
    } else {
        0
    };
    let words = (n + 1) + 3 * m + 2 * n + 3 * nr + m + shapes + nf + turns + 3 * nc + 1 + nq;
    Some(44 + 4 * words)
}

fn read(r: impl Read, len: u64, path: &Path) -> Result<RoadNetwork, GraphError> {
    let mut s = Stream::new(r, 0, len.saturating_sub(4), path);
    if len < 8 || s.bytes(8)? != MAGIC {
        return Err(GraphError::BadMagic);
    }
    if len < 20 {
        return Err(GraphError::Truncated("header"));
    }
    let version = s.u32("header")?;
    if version != VERSION {
        return Err(GraphError::Version(version));
    }
    let parsed = sections(&mut s);
    let trailing = parsed.is_ok() && s.pos < s.body;
    // whatever the parse found, the checksum decides whether the file is corrupt
    let stored = s.finish()?;
    match (parsed, s.crc.clone().finalize() == stored) {
        (_, false) if s.short => Err(GraphError::Truncated("arrays")),
        (_, false) => Err(GraphError::Checksum),
        (Ok(_), true) if trailing => Err(GraphError::Invalid("trailing bytes".into())),
        (parsed, true) => parsed,
    }
}

fn sections<R: Read>(s: &mut Stream<R>) -> Result<RoadNetwork, GraphError> {
    let count = s.u32("header")?;
    let mut graphs = Vec::new();
    for _ in 0..count {
        graphs.push(section(s)?);
    }
    let take = |p: Profile, graphs: &mut Vec<Graph>| {
        graphs
            .iter()
            .position(|g| g.profile == p)
            .map(|i| graphs.swap_remove(i))
            .ok_or_else(|| GraphError::Invalid(format!("no {} section", p.as_str())))
    };
    let car = take(Profile::Car, &mut graphs)?;
    let walk = take(Profile::Walk, &mut graphs)?;
    Ok(RoadNetwork { car, walk })
}

fn section<R: Read>(s: &mut Stream<R>) -> Result<Graph, GraphError> {
    let profile = Profile::from_code(s.u32("section")?)
        .ok_or_else(|| GraphError::Invalid("unknown profile".into()))?;
    let mut head = [0usize; 10];
    for h in &mut head {
        *h = s.u32("section")? as usize;
    }
    let [n, m, nr, ns, np, nf, nt, nx, nc, nq] = head;
    let signed = |v: Vec<u32>| v.into_iter().map(|x| x as i32).collect();
    let mut g = Graph {
        profile,
        offsets: s.u32s(n + 1)?,
        targets: s.u32s(m)?,
        weights: s.u32s(m)?,
        lengths: s.u32s(m)?,
        lon: signed(s.u32s(n)?),
        lat: signed(s.u32s(n)?),
        restrictions: Vec::new(),
        turns: Turns::default(),
        geometry: Geometry::default(),
        arc_flags: Vec::new(),
        snap_grid: SnapGrid::default(),
    };
    let triples = s.u32s(nr.checked_mul(3).ok_or(GraphError::Truncated("arrays"))?)?;
    let arc_shape = s.u32s(m)?;
    g.geometry = Geometry {
        start: s.u32s(if ns == 0 { 0 } else { ns + 1 })?,
        lon: signed(s.u32s(np)?),
        lat: signed(s.u32s(np)?),
        dm: s.u32s(np)?,
        ms_fwd: s.u32s(np)?,
        ms_back: s.u32s(np)?,
        arc_shape: if ns == 0 { Vec::new() } else { arc_shape },
    };
    if nf != 0 {
        if nf != m.div_ceil(4) {
            return Err(GraphError::Invalid(
                "arc flags do not match the arcs".into(),
            ));
        }
        let words = s.u32s(nf)?;
        g.arc_flags = words.iter().flat_map(|w| w.to_le_bytes()).take(m).collect();
    }
    let turns = match nt {
        0 => None,
        1 => {
            let headings = s.u32s(m)?;
            let roads = s.u32s(n.div_ceil(4))?;
            let stored = StoredTurns {
                heading_out: headings.iter().map(|&h| h as u16).collect(),
                heading_in: headings.iter().map(|&h| (h >> 16) as u16).collect(),
                second: s.u32s(m)?,
                before_head: s.u32s(m)?,
                roads: roads.iter().flat_map(|w| w.to_le_bytes()).take(n).collect(),
                forbidden: pairs(
                    s.u32s(nx.checked_mul(2).ok_or(GraphError::Truncated("arrays"))?)?,
                ),
            };
            Some(stored)
        }
        _ => return Err(GraphError::Invalid("unknown turn data flag".into())),
    };
    let keys = s.u32s(nc.checked_mul(2).ok_or(GraphError::Truncated("arrays"))?)?;
    g.snap_grid = SnapGrid {
        keys: keys
            .chunks_exact(2)
            .map(|k| u64::from(k[0]) | (u64::from(k[1]) << 32))
            .collect(),
        starts: s.u32s(nc + 1)?,
        segments: s.u32s(nq)?,
    };
    g.validate()?;
    let triples: Vec<[u32; 3]> = triples
        .chunks_exact(3)
        .map(|t| [t[0], t[1], t[2]])
        .collect();
    if triples.iter().flatten().any(|&u| u as usize >= n) {
        return Err(GraphError::Invalid("restriction node out of range".into()));
    }
    let g = match turns {
        Some(t) if profile == Profile::Car => {
            Turns::check(&t, n, m).map_err(GraphError::Invalid)?;
            Graph {
                turns: Turns::stored(&g.offsets, t),
                restrictions: triples,
                ..g
            }
        }
        Some(_) => return Err(GraphError::Invalid("turn data on foot".into())),
        None => g.with_restrictions(triples),
    };
    g.snap_grid.check(&g).map_err(GraphError::Invalid)?;
    Ok(g)
}

fn pairs(v: Vec<u32>) -> Vec<(u32, u32)> {
    v.chunks_exact(2).map(|p| (p[0], p[1])).collect()
}

/// The file read in order, hashed as it goes.
struct Stream<R> {
    r: R,
    crc: crc32fast::Hasher,
    /// Bytes read so far.
    pos: u64,
    /// Length of everything before the checksum.
    body: u64,
    /// A count asked for more bytes than the file holds.
    short: bool,
    buf: Vec<u8>,
    path: PathBuf,
}

impl<R: Read> Stream<R> {
    /// A stream at byte `pos` of a file, to read up to byte `body`.
    fn new(r: R, pos: u64, body: u64, path: &Path) -> Stream<R> {
        Stream {
            r,
            crc: crc32fast::Hasher::new(),
            pos,
            body,
            short: false,
            buf: vec![0; 1 << 16],
            path: path.to_owned(),
        }
    }

    fn io(&self, e: std::io::Error) -> GraphError {
        match e.kind() {
            std::io::ErrorKind::UnexpectedEof => GraphError::Truncated("arrays"),
            _ => GraphError::Io(e, self.path.clone()),
        }
    }

    /// Reads the next `n` bytes (at most the buffer's size) of the body, hashed.
    fn bytes(&mut self, n: usize) -> Result<&[u8], GraphError> {
        if self.pos + n as u64 > self.body {
            self.short = true;
            return Err(GraphError::Truncated("arrays"));
        }
        if let Err(e) = self.r.read_exact(&mut self.buf[..n]) {
            return Err(self.io(e));
        }
        self.pos += n as u64;
        self.crc.update(&self.buf[..n]);
        Ok(&self.buf[..n])
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, GraphError> {
        let b = self.bytes(4).map_err(|_| GraphError::Truncated(what))?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The next `count` little-endian `u32`s (no allocation before the file is known to hold
    /// them: a corrupt count is not a memory bomb).
    fn u32s(&mut self, count: usize) -> Result<Vec<u32>, GraphError> {
        let total = (count as u64).saturating_mul(4);
        if self.pos.saturating_add(total) > self.body {
            self.short = true;
            return Err(GraphError::Truncated("arrays"));
        }
        let mut out = Vec::with_capacity(count);
        let mut left = total as usize;
        while left > 0 {
            let k = left.min(self.buf.len());
            let b = self.bytes(k)?;
            out.extend(
                b.chunks_exact(4)
                    .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            );
            left -= k;
        }
        Ok(out)
    }

    /// Hashes what is left of the body and reads the stored checksum.
    fn finish(&mut self) -> Result<u32, GraphError> {
        while self.pos < self.body {
            let k = (self.body - self.pos).min(self.buf.len() as u64) as usize;
            self.bytes(k)?;
        }
        let mut crc = [0u8; 4];
        if let Err(e) = self.r.read_exact(&mut crc) {
            return Err(self.io(e));
        }
        Ok(u32::from_le_bytes(crc))
    }
}
