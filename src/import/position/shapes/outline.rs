//! A commune's outline as the checks read it: decoded points (a GeoJSON file given with
//! `--communes`), or the commune's bytes in the embedded compact file, decoded point by point
//! while a row is checked (the format is in the module doc of [`super`]).
//!
//! Why not decode the embedded file once: its 401 k points are 6.4 MB as `f64` pairs and 70 k
//! allocations at the start of every import (1.7 MB as varints), while an import of a few
//! hundred rows checks a few hundred communes; a check reads a dozen points on average, and
//! 2 bytes a coordinate are fewer cache lines to fetch than 8.

use std::ops::ControlFlow;

use geo::Coord;

/// The points of a commune's rings.
#[derive(Debug, Clone)]
pub(in crate::import::position) enum Outline {
    /// Every ring's points, one after the other, in one allocation, and per ring the end of its
    /// points and whether it is an exterior ring (holes count for inside or not, only
    /// exteriors for the distance to the outline).
    Flat {
        points: Box<[Coord<f64>]>,
        rings: Box<[(u32, bool)]>,
    },
    /// The commune's part of the decompressed compact file, from its ring count: exterior
    /// rings only, zigzag LEB128 deltas of 1e-4 degrees, the first point relative to (0, 0).
    /// Checked whole when the file was read ([`skip_varints`]).
    Compact(&'static [u8]),
}

/// A cursor over the compact format.
pub(in crate::import::position) struct Reader<'a> {
    pub(in crate::import::position) buf: &'a [u8],
    pub(in crate::import::position) pos: usize,
}

impl<'a> Reader<'a> {
    pub(in crate::import::position) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.buf.get(self.pos..self.pos + n)?;
        self.pos += n;
        Some(s)
    }
    pub(in crate::import::position) fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.buf.get(self.pos)?;
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    pub(in crate::import::position) fn zigzag(&mut self) -> Option<i64> {
        let z = self.varint()?;
        Some((z >> 1) as i64 ^ -((z & 1) as i64))
    }
    /// Moves past `n` varints without decoding them (each ends with a byte below 0x80);
    /// `None` if the buffer ends first.
    pub(in crate::import::position) fn skip_varints(&mut self, n: usize) -> Option<()> {
        if n == 0 {
            return Some(());
        }
        let mut left = n;
        let rest = self.buf.get(self.pos..)?;
        for (k, &b) in rest.iter().enumerate() {
            if b < 0x80 {
                left -= 1;
                if left == 0 {
                    self.pos += k + 1;
                    return Some(());
                }
            }
        }
        None
    }
}

/// The decoding state of a compact outline: the byte cursor and the last point, which the
/// next ring's first delta is relative to.
pub(in crate::import::position) struct Cursor<'a> {
    r: Reader<'a>,
    x: i64,
    y: i64,
}

/// One ring's points, in order.
pub(in crate::import::position) enum Ring<'a, 'c> {
    Flat(std::slice::Iter<'a, Coord<f64>>),
    Compact(&'c mut Cursor<'a>, usize),
}

impl Iterator for Ring<'_, '_> {
    type Item = Coord<f64>;

    #[inline]
    fn next(&mut self) -> Option<Coord<f64>> {
        match self {
            Ring::Flat(it) => it.next().copied(),
            Ring::Compact(c, left) => {
                *left = left.checked_sub(1)?;
                // the file was checked when read: a short read is not possible here
                c.x += c.r.zigzag().unwrap_or(0);
                c.y += c.r.zigzag().unwrap_or(0);
                Some(Coord {
                    x: c.x as f64 / 1e4,
                    y: c.y as f64 / 1e4,
                })
            }
        }
    }
}

impl Outline {
    /// Calls `f` with each ring (exterior or not, its points), in order, until it breaks. A
    /// ring `f` does not read to its end is skipped to it.
    #[inline]
    pub(in crate::import::position) fn for_each_ring(
        &self,
        mut f: impl FnMut(bool, &mut Ring<'_, '_>) -> ControlFlow<()>,
    ) {
        match self {
            Outline::Flat { points, rings } => {
                let mut start = 0usize;
                for &(end, exterior) in rings.iter() {
                    let end = end as usize;
                    let mut ring = Ring::Flat(points[start..end].iter());
                    start = end;
                    if f(exterior, &mut ring).is_break() {
                        return;
                    }
                }
            }
            Outline::Compact(bytes) => {
                let Some((&rings, rest)) = bytes.split_first() else {
                    return;
                };
                let mut c = Cursor {
                    r: Reader { buf: rest, pos: 0 },
                    x: 0,
                    y: 0,
                };
                for _ in 0..rings {
                    let len = c.r.varint().unwrap_or(0) as usize;
                    let mut ring = Ring::Compact(&mut c, len);
                    if f(true, &mut ring).is_break() {
                        return;
                    }
                    ring.for_each(drop);
                }
            }
        }
    }

    /// The exterior rings' points (for the compact writer and the tests' geo oracles).
    pub(in crate::import::position) fn exteriors(&self) -> Vec<Vec<Coord<f64>>> {
        let mut out = Vec::new();
        self.for_each_ring(|exterior, ring| {
            if exterior {
                out.push(ring.collect());
            }
            ControlFlow::Continue(())
        });
        out
    }

    /// The bounding box of every ring's points.
    pub(in crate::import::position) fn bbox(&self) -> Option<geo::Rect<f64>> {
        let mut b: Option<(Coord<f64>, Coord<f64>)> = None;
        self.for_each_ring(|_, ring| {
            for p in ring {
                let (min, max) = b.get_or_insert((p, p));
                (min.x, min.y) = (min.x.min(p.x), min.y.min(p.y));
                (max.x, max.y) = (max.x.max(p.x), max.y.max(p.y));
            }
            ControlFlow::Continue(())
        });
        b.map(|(min, max)| geo::Rect::new(min, max))
    }
}
