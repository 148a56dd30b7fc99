//! The compact file of the embedded commune shapes (`data/communes-shapes.bin.gz`): its writer
//! (`lieux commune-shapes`) and the cursor [`super::shapes::CommuneShapes::from_compact`] reads
//! it with. The format is in the module doc of [`super::shapes`].

use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;

use geo::{Coord, LineString, Simplify};

use super::shapes::{CommuneShape, CommuneShapes, CommuneShapesError, MAGIC, departement_of_code};

/// A cursor over the compact format.
pub(super) struct Reader<'a> {
    pub(super) buf: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.buf.get(self.pos..self.pos + n)?;
        self.pos += n;
        Some(s)
    }
    pub(super) fn varint(&mut self) -> Option<u64> {
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
    pub(super) fn zigzag(&mut self) -> Option<i64> {
        let z = self.varint()?;
        Some((z >> 1) as i64 ^ -((z & 1) as i64))
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_zigzag(out: &mut Vec<u8>, v: i64) {
    put_varint(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// `lieux commune-shapes`: reads the commune polygons (GeoJSON, gzip or not), simplifies every
/// exterior ring to `tolerance` degrees and writes the compact format (see the module doc) to
/// `out`, atomically. Returns (communes, points).
pub fn write_compact(
    src: &Path,
    out: &Path,
    tolerance: f64,
) -> Result<(usize, usize), CommuneShapesError> {
    let communes = CommuneShapes::from_path(src)?;
    let mut buf = MAGIC.to_vec();
    let kept: Vec<(&CommuneShape, Vec<LineString<f64>>)> = communes
        .communes
        .iter()
        .filter(|c| c.code_insee.len() == 5)
        .map(|c| {
            let mut rings: Vec<LineString<f64>> = c
                .exteriors()
                .map(|r| LineString(r.to_vec()).simplify(tolerance))
                .filter(|r| r.0.len() >= 4)
                .collect();
            if rings.is_empty() {
                // a commune smaller than the tolerance: its bounding box
                if let Some(b) = c.bbox {
                    rings.push(
                        geo::Rect::new(b.min(), b.max())
                            .to_polygon()
                            .exterior()
                            .clone(),
                    );
                }
            }
            rings.truncate(255);
            (c, rings)
        })
        .collect();
    put_varint(&mut buf, kept.len() as u64);
    let mut points = 0;
    for (c, rings) in &kept {
        buf.extend_from_slice(c.code_insee.as_bytes());
        buf.push(rings.len() as u8);
        let (mut px, mut py) = (0i64, 0i64);
        for ring in rings {
            put_varint(&mut buf, ring.0.len() as u64);
            for p in &ring.0 {
                let (x, y) = ((p.x * 1e4).round() as i64, (p.y * 1e4).round() as i64);
                put_zigzag(&mut buf, x - px);
                put_zigzag(&mut buf, y - py);
                (px, py) = (x, y);
                points += 1;
            }
        }
    }
    let write = |source| CommuneShapesError::Write {
        path: out.to_owned(),
        source,
    };
    let tmp = out.with_extension("tmp");
    let file = std::fs::File::create(&tmp).map_err(write)?;
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::best());
    gz.write_all(&buf).map_err(write)?;
    gz.finish().map_err(write)?.sync_all().map_err(write)?;
    std::fs::rename(&tmp, out).map_err(write)?;
    Ok((kept.len(), points))
}

impl CommuneShapes {
    /// The embedded shapes (`data/communes-shapes.bin.gz`), read on first use.
    pub fn embedded() -> &'static CommuneShapes {
        static SHAPES: OnceLock<CommuneShapes> = OnceLock::new();
        SHAPES.get_or_init(|| {
            CommuneShapes::from_compact(include_bytes!("../../../data/communes-shapes.bin.gz"))
                .unwrap_or_else(|e| {
                    tracing::error!(%e, "embedded commune shapes unreadable: positions unchecked");
                    CommuneShapes::default()
                })
        })
    }

    /// Reads shapes written by [`write_compact`] (gzip).
    pub fn from_compact(gz: &[u8]) -> Result<CommuneShapes, CommuneShapesError> {
        let bad = |m: &str| CommuneShapesError::Compact(m.to_owned());
        let bytes = crate::gzip::gunzip_sized(gz)
            .map_err(|e| CommuneShapesError::Compact(e.to_string()))?;
        let rest = bytes.strip_prefix(MAGIC).ok_or_else(|| bad("bad magic"))?;
        let mut r = Reader { buf: rest, pos: 0 };
        let n = r.varint().ok_or_else(|| bad("truncated count"))?;
        let mut out = CommuneShapes::with_capacity(n.min(1 << 20) as usize);
        for _ in 0..n {
            let code = r.take(5).ok_or_else(|| bad("truncated code"))?;
            let code = String::from_utf8(code.to_vec()).map_err(|_| bad("code not UTF-8"))?;
            let rings = r.take(1).ok_or_else(|| bad("truncated rings"))?[0];
            let (mut x, mut y) = (0i64, 0i64);
            // exterior rings only, one after the other (see CommuneShape::points)
            let mut points = Vec::new();
            let mut ends = Vec::with_capacity(rings as usize);
            for _ in 0..rings {
                let len = r.varint().ok_or_else(|| bad("truncated ring"))? as usize;
                points.reserve(len);
                for _ in 0..len {
                    x += r.zigzag().ok_or_else(|| bad("truncated point"))?;
                    y += r.zigzag().ok_or_else(|| bad("truncated point"))?;
                    points.push(Coord {
                        x: x as f64 / 1e4,
                        y: y as f64 / 1e4,
                    });
                }
                ends.push((points.len() as u32, true));
            }
            let dep = departement_of_code(&code);
            // ARM codes (751xx, 6938x, 132xx) are arrondissements: found by code only
            let com = !crate::commune_table::is_arrondissement(&code);
            out.push_flat(code, String::new(), dep, com, points, ends);
        }
        out.finish();
        Ok(out)
    }
}
