//! The compact file of the embedded commune shapes (`data/communes-shapes.bin.gz`): its writer
//! (`lieux commune-shapes`) and the cursor [`super::shapes::CommuneShapes::from_compact`] reads
//! it with. The format is in the module doc of [`super::shapes`].

use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;

use geo::{LineString, Simplify};

use super::shapes::{
    CommuneShape, CommuneShapes, CommuneShapesError, MAGIC, Outline, Reader, departement_of_code,
};

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
                .outline
                .exteriors()
                .into_iter()
                .map(|r| LineString(r).simplify(tolerance))
                .filter(|r| r.0.len() >= 4)
                .collect();
            if rings.is_empty() {
                // a commune smaller than the tolerance: its bounding box
                if let Some(b) = c.bbox() {
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
            let gz = include_bytes!("../../../data/communes-shapes.bin.gz");
            crate::gzip::gunzip_sized(gz)
                .map_err(|e| CommuneShapesError::Compact(e.to_string()))
                // the decompressed file lives as long as the shapes, which are a static: the
                // communes borrow their outlines from it (see shapes::Outline::Compact)
                .and_then(|bytes| CommuneShapes::from_compact(Vec::leak(bytes)))
                .unwrap_or_else(|e| {
                    tracing::error!(%e, "embedded commune shapes unreadable: positions unchecked");
                    CommuneShapes::default()
                })
        })
    }

    /// Reads shapes written by [`write_compact`] (decompressed): every commune's outline stays
    /// in `bytes`, checked here and decoded as rows are checked against it.
    fn from_compact(bytes: &'static [u8]) -> Result<CommuneShapes, CommuneShapesError> {
        let bad = |m: &str| CommuneShapesError::Compact(m.to_owned());
        let rest = bytes.strip_prefix(MAGIC).ok_or_else(|| bad("bad magic"))?;
        let mut r = Reader { buf: rest, pos: 0 };
        let n = r.varint().ok_or_else(|| bad("truncated count"))?;
        let mut out = CommuneShapes::with_capacity(n.min(1 << 20) as usize);
        let table = crate::commune_table::embedded().all();
        for i in 0..n as usize {
            let code = r.take(5).ok_or_else(|| bad("truncated code"))?;
            let code = std::str::from_utf8(code).map_err(|_| bad("code not UTF-8"))?;
            let start = r.pos;
            let rings = r.take(1).ok_or_else(|| bad("truncated rings"))?[0];
            for _ in 0..rings {
                let len = r.varint().ok_or_else(|| bad("truncated ring"))?;
                let coords = usize::try_from(len.saturating_mul(2)).map_err(|_| bad("ring"))?;
                r.skip_varints(coords)
                    .ok_or_else(|| bad("truncated point"))?;
            }
            // the table lists the communes in the file's order: its row by position, by code
            // only if that fails (35 k hash look-ups at random were 8 % of a small import)
            let row = table
                .get(i)
                .filter(|t| t.code_insee == code)
                .or_else(|| crate::commune_table::embedded().by_code(code));
            let dep = departement_of_code(code);
            // ARM codes (751xx, 6938x, 132xx) are arrondissements: found by code only
            let com = !crate::commune_table::is_arrondissement(code);
            let outline = Outline::Compact(&rest[start..r.pos]);
            out.push_outline(code.to_owned(), String::new(), dep, com, row, outline);
        }
        out.finish();
        Ok(out)
    }
}
