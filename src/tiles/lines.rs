//! Vector tiles of lines (the base map's roads): an R-tree of line pieces in Web Mercator, cut
//! per tile, simplified at the tile's resolution and encoded as one MVT layer with one
//! MultiLineString feature per class.
//!
//! Knows nothing of what the lines are: each [`TileLine`] carries its class name and the zoom it
//! is drawn from. A tile larger than [`MAX_TILE_BYTES`] drops its classes of highest `minzoom`
//! until it fits.

use geo::{LineString, MultiLineString, Simplify};
use geozero::ToMvt;
use geozero::mvt::{TagsBuilder, TileValue};
use rstar::{AABB, RTree, RTreeObject};

use super::{EXTENT, TileCoord, lonlat_to_unit};

/// Points per indexed piece: long roads are cut so a tile reads only what it shows.
const PIECE_POINTS: usize = 32;
/// Buffer around each tile, tile units (8 px of a 512 px tile), so line joins are not cut.
const BUFFER: f64 = 64.0;
/// Douglas-Peucker tolerance, tile units (half a pixel of a 512 px tile): the geometry is
/// simplified per zoom, since a tile unit is twice as long at each zoom out.
const TOLERANCE: f64 = 4.0;
/// Largest tile served; above it the classes drawn from the deepest zoom are left out.
pub const MAX_TILE_BYTES: usize = 500_000;

/// A line to draw: its class (the `classe` attribute), the first zoom it is drawn at, its
/// points `(lon, lat)` degrees.
#[derive(Debug, Clone)]
pub struct TileLine {
    pub class: &'static str,
    pub minzoom: u8,
    pub points: Vec<(f64, f64)>,
}

/// A piece of a line in the unit Web Mercator square.
struct Piece {
    class: u8,
    points: Vec<[f64; 2]>,
    envelope: AABB<[f64; 2]>,
}

impl RTreeObject for Piece {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// Lines indexed for tiling.
pub struct LineTiles {
    layer: &'static str,
    /// `(class name, minzoom)` by class index.
    classes: Vec<(&'static str, u8)>,
    tree: RTree<Piece>,
}

impl LineTiles {
    /// Indexes `lines` for the MVT layer named `layer`.
    pub fn new(layer: &'static str, lines: Vec<TileLine>) -> LineTiles {
        let mut classes: Vec<(&'static str, u8)> = Vec::new();
        let mut pieces = Vec::new();
        for line in lines {
            let class = match classes.iter().position(|(c, _)| *c == line.class) {
                Some(i) => i,
                None => {
                    classes.push((line.class, line.minzoom));
                    classes.len() - 1
                }
            };
            let unit: Vec<[f64; 2]> = line
                .points
                .iter()
                .map(|&(lon, lat)| lonlat_to_unit(lon, lat))
                .collect();
            // pieces share their end points, so the line stays joined
            let mut start = 0;
            while start + 1 < unit.len() {
                let end = (start + PIECE_POINTS).min(unit.len() - 1);
                let points = unit[start..=end].to_vec();
                let envelope = AABB::from_points(points.iter());
                pieces.push(Piece {
                    class: class as u8,
                    points,
                    envelope,
                });
                start = end;
            }
        }
        LineTiles {
            layer,
            classes,
            tree: RTree::bulk_load(pieces),
        }
    }

    /// Smallest `minzoom` of the classes (no tile is drawn above it).
    pub fn minzoom(&self) -> Option<u8> {
        self.classes.iter().map(|c| c.1).min()
    }

    /// The classes and their `minzoom`, in the order first seen.
    pub fn classes(&self) -> &[(&'static str, u8)] {
        &self.classes
    }

    /// Encodes tile `c`; `None` when nothing is drawn there (or at that zoom).
    pub fn encode(&self, c: TileCoord) -> Option<Vec<u8>> {
        let mut max_minzoom = c.z;
        loop {
            let bytes = self.encode_up_to(c, max_minzoom)?;
            if bytes.len() <= MAX_TILE_BYTES {
                return Some(bytes);
            }
            // too large: leave out the classes drawn from the deepest zoom, and try again
            let deepest = self
                .classes
                .iter()
                .map(|cl| cl.1)
                .filter(|&z| z <= max_minzoom)
                .max()?;
            max_minzoom = deepest.checked_sub(1)?;
        }
    }

    /// Tile `c` with the classes whose `minzoom` is at most `max_minzoom`.
    fn encode_up_to(&self, c: TileCoord, max_minzoom: u8) -> Option<Vec<u8>> {
        let z2 = f64::from(1u32 << c.z);
        let extent = f64::from(EXTENT);
        let to_tile = |p: &[f64; 2]| {
            [
                extent * (p[0] * z2 - f64::from(c.x)),
                extent * (p[1] * z2 - f64::from(c.y)),
            ]
        };
        let pad = BUFFER / extent / z2;
        let (x0, y0) = (f64::from(c.x) / z2, f64::from(c.y) / z2);
        let query = AABB::from_corners(
            [x0 - pad, y0 - pad],
            [x0 + 1.0 / z2 + pad, y0 + 1.0 / z2 + pad],
        );
        let (lo, hi) = (-BUFFER, extent + BUFFER);
        let inside = |a: &[f64; 2], b: &[f64; 2]| {
            a[0].max(b[0]) >= lo
                && a[0].min(b[0]) <= hi
                && a[1].max(b[1]) >= lo
                && a[1].min(b[1]) <= hi
        };
        let mut by_class: Vec<Vec<LineString<f64>>> = vec![Vec::new(); self.classes.len()];
        for piece in self.tree.locate_in_envelope_intersecting(query) {
            if self.classes[piece.class as usize].1 > max_minzoom {
                continue;
            }
            let pts: Vec<[f64; 2]> = piece.points.iter().map(to_tile).collect();
            // the runs of segments that touch the buffered tile (coordinates past the edge
            // are valid MVT; the renderer clips)
            let mut run: Vec<[f64; 2]> = Vec::new();
            for w in pts.windows(2) {
                if inside(&w[0], &w[1]) {
                    if run.is_empty() {
                        run.push(w[0]);
                    }
                    run.push(w[1]);
                } else if !run.is_empty() {
                    push_run(
                        &mut by_class[piece.class as usize],
                        std::mem::take(&mut run),
                    );
                }
            }
            push_run(&mut by_class[piece.class as usize], run);
        }
        let mut tags = TagsBuilder::new();
        let mut features = Vec::new();
        for (class, lines) in by_class.into_iter().enumerate() {
            if lines.is_empty() {
                continue;
            }
            let geometry = geo::Geometry::MultiLineString(MultiLineString(lines));
            let Ok(mut f) = geometry.to_mvt_unscaled() else {
                continue;
            };
            let (k, v) =
                tags.insert_ref("classe", TileValue::Str(self.classes[class].0.to_owned()));
            f.tags = vec![k, v];
            features.push(f);
        }
        if features.is_empty() {
            return None;
        }
        Some(super::encode_layer(self.layer, features, tags))
    }
}

/// Simplifies a run of tile coordinates, rounds it to tile units and keeps it if it still has
/// a length.
fn push_run(out: &mut Vec<LineString<f64>>, run: Vec<[f64; 2]>) {
    if run.len() < 2 {
        return;
    }
    let line: LineString<f64> = run.into_iter().map(|p| (p[0], p[1])).collect();
    let mut coords: Vec<(f64, f64)> = Vec::new();
    for c in line.simplify(TOLERANCE).0 {
        let p = (c.x.round(), c.y.round());
        if coords.last() != Some(&p) {
            coords.push(p);
        }
    }
    if coords.len() >= 2 {
        out.push(coords.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geozero::mvt::Message;

    #[test]
    fn lines_by_zoom_and_tile() {
        // a 30-point line along 48.85° N from 2.30° to 2.40° E, and a footway drawn from z15
        let road: Vec<(f64, f64)> = (0..30)
            .map(|i| (2.30 + f64::from(i) / 290.0, 48.85))
            .collect();
        let path = vec![(2.35, 48.85), (2.35, 48.86)];
        let tiles = LineTiles::new(
            "routes",
            vec![
                TileLine {
                    class: "locale",
                    minzoom: 13,
                    points: road,
                },
                TileLine {
                    class: "pieton",
                    minzoom: 15,
                    points: path,
                },
            ],
        );
        assert_eq!(tiles.minzoom(), Some(13));
        let tile_of = |z: u8| {
            let [x, y] = lonlat_to_unit(2.351, 48.8502);
            let n = f64::from(1u32 << z);
            TileCoord::new_checked(z, (x * n) as u32, (y * n) as u32).expect("tile")
        };
        assert!(tiles.encode(tile_of(12)).is_none(), "nothing below minzoom");
        let decode = |b: Vec<u8>| geozero::mvt::Tile::decode(&b[..]).expect("mvt");
        let t13 = decode(tiles.encode(tile_of(13)).expect("z13"));
        assert_eq!(t13.layers[0].name, "routes");
        assert_eq!(t13.layers[0].features.len(), 1, "the footway waits for z15");
        let t15 = decode(tiles.encode(tile_of(15)).expect("z15"));
        assert_eq!(t15.layers[0].features.len(), 2);
        assert!(
            t15.layers[0].features.iter().all(|f| f.r#type == Some(2)),
            "lines"
        );
        // a straight line is simplified to its two ends at z13
        let g = &t13.layers[0].features[0].geometry;
        assert_eq!(g.len(), 3 + 3, "MoveTo 1, LineTo 1: {g:?}");
        // far away: empty
        assert!(
            tiles
                .encode(TileCoord::new_checked(13, 0, 0).expect("tile"))
                .is_none()
        );
    }
}
