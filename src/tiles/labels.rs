//! Vector tiles of point labels (the base map's commune names): each label is drawn from its
//! own zoom on, so a tile at zoom `z` holds the labels whose `minzoom` is at most `z`.
//! Placement and collisions are the renderer's (MapLibre sorts by `symbol-sort-key`).

use geozero::ToMvt;
use geozero::mvt::{TagsBuilder, TileValue};

use super::{EXTENT, TileCoord, lonlat_to_unit};

/// Buffer around each tile, tile units (32 px of a 512 px tile), so a label near an edge is
/// in both tiles and the renderer keeps one.
const BUFFER: f64 = 256.0;

/// A point label: position, first zoom, and its attributes.
#[derive(Debug, Clone)]
pub struct PointLabel {
    pub lon: f64,
    pub lat: f64,
    pub minzoom: u8,
    pub properties: Vec<(&'static str, TileValue)>,
}

/// Encodes the labels of tile `c` as layer `layer`; `None` when none is drawn there.
pub fn encode(layer: &str, labels: &[PointLabel], c: TileCoord) -> Option<Vec<u8>> {
    let z2 = f64::from(1u32 << c.z);
    let extent = f64::from(EXTENT);
    let mut tags = TagsBuilder::new();
    let mut features = Vec::new();
    for l in labels.iter().filter(|l| l.minzoom <= c.z) {
        let [ux, uy] = lonlat_to_unit(l.lon, l.lat);
        let (tx, ty) = (
            extent * (ux * z2 - f64::from(c.x)),
            extent * (uy * z2 - f64::from(c.y)),
        );
        if !(-BUFFER..extent + BUFFER).contains(&tx) || !(-BUFFER..extent + BUFFER).contains(&ty) {
            continue;
        }
        let point = geo::Geometry::Point(geo::Point::new(tx.round(), ty.round()));
        let Ok(mut f) = point.to_mvt_unscaled() else {
            continue;
        };
        for (k, v) in &l.properties {
            let (ki, vi) = tags.insert_ref(k, v.clone());
            f.tags.push(ki);
            f.tags.push(vi);
        }
        features.push(f);
    }
    (!features.is_empty()).then(|| super::encode_layer(layer, features, tags))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geozero::mvt::Message;

    #[test]
    fn labels_by_zoom_and_tile() {
        let label = |lon, lat, minzoom, nom: &str| PointLabel {
            lon,
            lat,
            minzoom,
            properties: vec![("nom", TileValue::Str(nom.into()))],
        };
        let labels = [
            label(2.35, 48.86, 5, "Paris"),
            label(2.44, 48.86, 10, "Montreuil"),
        ];
        let tile = |z: u8| {
            let [x, y] = lonlat_to_unit(2.35, 48.86);
            let n = f64::from(1u32 << z);
            TileCoord::new_checked(z, (x * n) as u32, (y * n) as u32).expect("tile")
        };
        let names = |b: Option<Vec<u8>>| {
            let t = geozero::mvt::Tile::decode(&b.expect("tile")[..]).expect("mvt");
            t.layers[0]
                .values
                .iter()
                .filter_map(|v| v.string_value.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(encode("communes", &labels, tile(6))), ["Paris"]);
        assert_eq!(
            names(encode("communes", &labels, tile(10))),
            ["Paris", "Montreuil"]
        );
        assert!(encode("communes", &labels, tile(4)).is_none());
        assert!(
            encode(
                "communes",
                &labels,
                TileCoord::new_checked(10, 0, 0).expect("tile")
            )
            .is_none()
        );
    }
}
