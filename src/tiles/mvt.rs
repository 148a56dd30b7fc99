//! Mapbox Vector Tile encoding of one tile of a [`Hierarchy`] (geozero's MVT types and geometry
//! encoder; the only file that names them).

use geozero::ToMvt;
use geozero::mvt::{TagsBuilder, TileValue};

use super::cluster::{Hierarchy, Node, abbreviate};
use super::{EXTENT, LAYER, TileCoord};
use crate::dataset::Dataset;
use crate::model::join_list;

/// Buffer around each tile, in pixels of a 512 px tile, so symbols at edges are not cut.
pub const BUFFER_PX: f64 = 64.0;

/// Encodes tile `c` of hierarchy `h` over `ds`; `None` when the tile holds no feature.
///
/// Places carry `id`, `nom`, `dispositif_programmes_nationaux`, `typologie`, `itinerance` (lists
/// joined with `|`); clusters carry supercluster's `cluster`, `cluster_id`, `point_count`,
/// `point_count_abbreviated`, so MapLibre styles written for client-side clustering work as is.
pub fn encode(ds: &Dataset, h: &Hierarchy, c: TileCoord) -> Option<Vec<u8>> {
    let nodes = h.tile(c.z, c.x, c.y, BUFFER_PX);
    if nodes.is_empty() {
        return None;
    }
    let z2 = f64::from(1u32 << c.z);
    let extent = f64::from(EXTENT);
    let mut tags = TagsBuilder::new();
    let mut features = Vec::with_capacity(nodes.len());
    for n in &nodes {
        let tx = (extent * (n.x * z2 - f64::from(c.x))).round();
        let ty = (extent * (n.y * z2 - f64::from(c.y))).round();
        let Ok(mut f) = geo::Geometry::Point(geo::Point::new(tx, ty)).to_mvt_unscaled() else {
            continue;
        };
        f.tags = feature_tags(ds, n, &mut tags);
        f.id = Some(n.id);
        features.push(f);
    }
    Some(super::encode_layer(LAYER, features, tags))
}

fn feature_tags(ds: &Dataset, n: &Node, tags: &mut TagsBuilder) -> Vec<u32> {
    let mut out = Vec::with_capacity(10);
    let mut put = |k: &str, v: TileValue| {
        let (ki, vi) = tags.insert_ref(k, v);
        out.push(ki);
        out.push(vi);
    };
    if n.is_cluster() {
        put("cluster", TileValue::Bool(true));
        put("cluster_id", TileValue::Uint(n.id));
        put("point_count", TileValue::Uint(u64::from(n.count)));
        put(
            "point_count_abbreviated",
            TileValue::Str(abbreviate(n.count)),
        );
    } else {
        let lieu = ds.lieu(n.id as u32);
        put("id", TileValue::Str(lieu.id.as_str().to_owned()));
        put("nom", TileValue::Str(lieu.nom.as_str().to_owned()));
        for (k, v) in [
            (
                "dispositif_programmes_nationaux",
                join_list(&lieu.dispositif_programmes_nationaux),
            ),
            ("typologie", join_list(&lieu.typologie)),
            ("itinerance", join_list(&lieu.itinerance)),
        ] {
            if !v.is_empty() {
                put(k, TileValue::Str(v));
            }
        }
    }
    out
}
