//! The shapes of a compact graph's arcs (issue 18): the way nodes a chain of degree-2 nodes
//! went through when [`super::contract`] made it one arc, with the time and length at each.
//!
//! One shape serves both arcs of a two-way road (the reversed arc reads it backwards), so a
//! point is stored once: its coordinates, its length from the shape's first end (decimetres,
//! the same both ways), and its time along each direction (milliseconds: speeds and signal
//! delays may differ by direction, see [`super::build`]). Times and lengths are the sums of the
//! way-node segments' own rounded values, so a time read at a point is the time the
//! uncontracted graph gives that way node: snapping, isochrones and road lines see the same
//! road, segment by segment.

/// `arc_shape` of an arc with no shape (one straight segment).
pub const STRAIGHT: u32 = u32::MAX;
/// `arc_shape` bit of an arc running its shape backwards (from the shape's last point).
pub const REVERSED: u32 = 1 << 31;

/// The shapes of a graph's arcs. Empty (the default): every arc is straight.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Geometry {
    /// Per arc: its shape, `| REVERSED` when it runs the shape backwards, or [`STRAIGHT`].
    /// Empty when no arc has a shape.
    pub arc_shape: Vec<u32>,
    /// The interior points of shape `s` are `start[s]..start[s + 1]`.
    pub start: Vec<u32>,
    /// Point longitudes and latitudes, 1e-7 degrees.
    pub lon: Vec<i32>,
    pub lat: Vec<i32>,
    /// Length from the shape's first end to each point, decimetres.
    pub dm: Vec<u32>,
    /// Time from the shape's first end to each point along the forward arc, ms.
    pub ms_fwd: Vec<u32>,
    /// Time from the shape's last end to each point along the reversed arc, ms (0 for a
    /// one-way shape).
    pub ms_back: Vec<u32>,
}

/// A point along an arc: its position and the time and length from the arc's tail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArcPoint {
    /// 1e-7 degrees.
    pub lon: i32,
    pub lat: i32,
    /// From the arc's tail, ms.
    pub ms: u32,
    /// From the arc's tail, dm.
    pub dm: u32,
    /// Who the point is: a node number, or `nodes + index` of a shape point (the same for both
    /// arcs of a two-way shape), for telling a U-turn from a turn.
    pub id: u32,
}

impl Geometry {
    /// Shape number and direction of arc `a`, when it has one.
    #[inline]
    pub fn shape(&self, a: usize) -> Option<(usize, bool)> {
        match self.arc_shape.get(a) {
            Some(&s) if s != STRAIGHT => Some(((s & !REVERSED) as usize, s & REVERSED != 0)),
            _ => None,
        }
    }

    /// Do arcs `a` and `b` (between the same two nodes, opposite ways) follow the same road:
    /// both straight, or one shape read both ways?
    #[inline]
    pub fn mirrors(&self, a: usize, b: usize) -> bool {
        match (self.shape(a), self.shape(b)) {
            (None, None) => true,
            (Some((s, r)), Some((t, q))) => s == t && r != q,
            _ => false,
        }
    }

    /// Number of interior points of arc `a`.
    #[inline]
    pub fn interior(&self, a: usize) -> usize {
        self.shape(a)
            .map_or(0, |(s, _)| (self.start[s + 1] - self.start[s]) as usize)
    }

    /// Points stored.
    pub fn point_count(&self) -> usize {
        self.lon.len()
    }

    pub fn shape_count(&self) -> usize {
        self.start.len().saturating_sub(1)
    }

    /// Checks the shape references and offsets (a corrupt file is an error, not a panic).
    pub fn validate(&self, arcs: usize) -> Result<(), String> {
        let (s, p) = (self.shape_count(), self.point_count());
        if !self.arc_shape.is_empty() && self.arc_shape.len() != arcs {
            return Err("one shape reference per arc".into());
        }
        if self.start.first().is_some_and(|&x| x != 0)
            || self.start.last().map_or(p != 0, |&x| x as usize != p)
            || self.start.windows(2).any(|w| w[0] > w[1])
        {
            return Err("shape offsets do not span the points".into());
        }
        if [&self.dm, &self.ms_fwd, &self.ms_back]
            .iter()
            .any(|v| v.len() != p)
            || self.lat.len() != p
        {
            return Err("shape arrays of unequal lengths".into());
        }
        if self
            .arc_shape
            .iter()
            .any(|&x| x != STRAIGHT && (x & !REVERSED) as usize >= s)
        {
            return Err("arc shape out of range".into());
        }
        Ok(())
    }
}

/// The points of one arc from its tail to its head (both included), see
/// [`super::Graph::arc_points`].
#[derive(Debug, Clone, Copy)]
pub struct ArcPoints<'g> {
    pub(crate) geometry: &'g Geometry,
    /// Nodes in the graph (point ids above it are shape points).
    pub(crate) nodes: u32,
    pub(crate) shape: Option<(usize, bool)>,
    pub(crate) tail: (u32, i32, i32),
    pub(crate) head: (u32, i32, i32),
    pub(crate) weight_ms: u32,
    pub(crate) length_dm: u32,
}

impl ArcPoints<'_> {
    /// Points, ends included (2 for a straight arc).
    #[inline]
    pub fn len(&self) -> usize {
        2 + self.shape.map_or(0, |(s, _)| {
            (self.geometry.start[s + 1] - self.geometry.start[s]) as usize
        })
    }

    /// Never: an arc has two ends.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Point `i` (0: the tail, `len() - 1`: the head).
    #[inline]
    pub fn get(&self, i: usize) -> ArcPoint {
        let last = self.len() - 1;
        if i == 0 {
            let (id, lon, lat) = self.tail;
            return ArcPoint {
                lon,
                lat,
                ms: 0,
                dm: 0,
                id,
            };
        }
        if i >= last {
            let (id, lon, lat) = self.head;
            return ArcPoint {
                lon,
                lat,
                ms: self.weight_ms,
                dm: self.length_dm,
                id,
            };
        }
        let g = self.geometry;
        let Some((s, reversed)) = self.shape else {
            unreachable!("a straight arc has two points")
        };
        let first = g.start[s] as usize;
        let k = last - 1; // interior points
        let (p, ms, dm) = if reversed {
            let p = first + (k - i);
            (p, g.ms_back[p], self.length_dm.saturating_sub(g.dm[p]))
        } else {
            let p = first + (i - 1);
            (p, g.ms_fwd[p], g.dm[p])
        };
        ArcPoint {
            lon: g.lon[p],
            lat: g.lat[p],
            ms,
            dm,
            id: self.nodes + p as u32,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = ArcPoint> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The interior points' longitudes and latitudes (1e-7 degrees), in storage order (the
    /// tail's end first whatever the arc's direction): for what needs them all, in any order.
    #[inline]
    pub fn interior_lon_lat(&self) -> (&[i32], &[i32]) {
        let g = self.geometry;
        match self.shape {
            Some((s, _)) => {
                let (a, b) = (g.start[s] as usize, g.start[s + 1] as usize);
                (&g.lon[a..b], &g.lat[a..b])
            }
            None => (&[], &[]),
        }
    }

    /// The points after the tail, head included: `get(1..len())` without its per-point
    /// bounds and direction checks (the isochrone walks every point of every arc reached).
    #[inline]
    pub fn after_tail(&self) -> impl Iterator<Item = ArcPoint> + '_ {
        let g = self.geometry;
        let (first, k, reversed) = match self.shape {
            Some((s, r)) => (
                g.start[s] as usize,
                (g.start[s + 1] - g.start[s]) as usize,
                r,
            ),
            None => (0, 0, false),
        };
        let (lon, lat) = (&g.lon[first..first + k], &g.lat[first..first + k]);
        let (dm, fwd, back) = (
            &g.dm[first..first + k],
            &g.ms_fwd[first..first + k],
            &g.ms_back[first..first + k],
        );
        let (nodes, length_dm) = (self.nodes, self.length_dm);
        let interior = (0..k).map(move |i| {
            let j = if reversed { k - 1 - i } else { i };
            ArcPoint {
                lon: lon[j],
                lat: lat[j],
                ms: if reversed { back[j] } else { fwd[j] },
                dm: if reversed {
                    length_dm.saturating_sub(dm[j])
                } else {
                    dm[j]
                },
                id: nodes + (first + j) as u32,
            }
        });
        let (id, lon, lat) = self.head;
        interior.chain(std::iter::once(ArcPoint {
            lon,
            lat,
            ms: self.weight_ms,
            dm: self.length_dm,
            id,
        }))
    }
}
