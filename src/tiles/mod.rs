//! Vector tiles of the places, clustered on the server. Knows nothing about HTTP.
//!
//! - [`TileCoord`]: validated `z/x/y` (XYZ scheme, Web Mercator).
//! - [`cluster`]: supercluster's hierarchical greedy clustering: a base shared by every filter
//!   of a dataset version, and per filter the zoom levels its tiles need, built on first use.
//! - `grid`: the uniform grid the clustering and the tiles query.
//! - [`mvt`]: encoding one tile of a hierarchy as a Mapbox Vector Tile.
//! - [`labels`]: tiles of point labels, each from its own zoom.
//! - [`lines`]: tiles of lines (the base map's roads), cut, simplified per zoom and encoded.

pub mod cluster;
mod grid;
pub mod labels;
pub mod lines;
pub mod mvt;

pub use cluster::{ClusterBase, ClusterOptions, Hierarchy};

/// Deepest zoom served; beyond supercluster's `maxZoom` (16) every place is single.
pub const MAX_ZOOM: u8 = 20;
/// Name of the vector layer.
pub const LAYER: &str = "lieux";
/// Tile extent in tile units.
pub const EXTENT: u32 = 4096;

/// A tile address in the XYZ scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileCoord {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

impl TileCoord {
    /// `Some` when `z <= MAX_ZOOM` and `x, y < 2^z`.
    pub fn new_checked(z: u8, x: u32, y: u32) -> Option<TileCoord> {
        let n = 1u64 << z.min(31);
        (z <= MAX_ZOOM && u64::from(x) < n && u64::from(y) < n).then_some(TileCoord { z, x, y })
    }
}

/// One MVT tile of one layer named `name` (version 2, extent [`EXTENT`]).
pub(crate) fn encode_layer(
    name: &str,
    features: Vec<geozero::mvt::tile::Feature>,
    tags: geozero::mvt::TagsBuilder,
) -> Vec<u8> {
    use geozero::mvt::Message;
    let (keys, values) = tags.into_tags();
    let layer = geozero::mvt::tile::Layer {
        version: 2,
        name: name.to_owned(),
        features,
        keys,
        values: values.into_iter().map(Into::into).collect(),
        extent: Some(EXTENT),
    };
    geozero::mvt::Tile {
        layers: vec![layer],
    }
    .encode_to_vec()
}

/// Web Mercator position of a lon/lat in the unit square: x east, y south, both in `[0, 1]`.
pub fn lonlat_to_unit(lon: f64, lat: f64) -> [f64; 2] {
    let x = lon / 360.0 + 0.5;
    let s = lat.to_radians().sin();
    let y = 0.5 - 0.25 * ((1.0 + s) / (1.0 - s)).ln() / std::f64::consts::PI;
    [x, y.clamp(0.0, 1.0)]
}

/// Inverse of [`lonlat_to_unit`].
pub fn unit_to_lonlat(x: f64, y: f64) -> [f64; 2] {
    let lon = (x - 0.5) * 360.0;
    let y2 = (180.0 - y * 360.0).to_radians();
    let lat = (2.0 * y2.exp().atan()).to_degrees() - 90.0;
    [lon, lat]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coords_and_projection() {
        assert!(TileCoord::new_checked(0, 0, 0).is_some());
        assert!(TileCoord::new_checked(3, 7, 7).is_some());
        assert!(TileCoord::new_checked(3, 8, 0).is_none());
        assert!(TileCoord::new_checked(21, 0, 0).is_none());
        let [x, y] = lonlat_to_unit(2.3522, 48.8566);
        let [lon, lat] = unit_to_lonlat(x, y);
        assert!((lon - 2.3522).abs() < 1e-9 && (lat - 48.8566).abs() < 1e-9);
        assert_eq!(lonlat_to_unit(0.0, 0.0), [0.5, 0.5]);
    }
}
