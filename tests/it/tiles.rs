//! Clustered vector tiles, decoded: at every zoom the clusters and single places of all tiles add
//! up to the matching places, each single place appears once, filters apply to clusters.

use std::collections::{BTreeSet, HashMap};

use geozero::mvt::{Message, Tile, tile};
use lieux::Dataset;
use lieux::http::{AppState, routes};
use lieux::tiles::lonlat_to_unit;
use serde_json::Value;

/// GET `path` with `headers` on the routes of `st`: status, headers, body.
pub async fn get(
    st: &AppState,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, http::HeaderMap, Vec<u8>) {
    let mut req = warp::test::request().method("GET").path(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.reply(&routes(st.clone())).await;
    (r.status().as_u16(), r.headers().clone(), r.body().to_vec())
}

/// Decoded features of one tile: (x, y in tile units, properties).
fn decode(bytes: &[u8]) -> Vec<(i64, i64, HashMap<String, tile::Value>)> {
    let t = Tile::decode(bytes).expect("valid MVT");
    assert_eq!(t.layers.len(), 1);
    let layer = &t.layers[0];
    assert_eq!(layer.name, "lieux");
    assert_eq!(layer.extent, Some(4096));
    let zz = |v: u32| i64::from((v >> 1) as i32 ^ -((v & 1) as i32));
    layer
        .features
        .iter()
        .map(|f| {
            assert_eq!(f.r#type, Some(1), "points");
            assert_eq!(f.geometry.len(), 3, "one MoveTo");
            assert_eq!(f.geometry[0], 9);
            let props = f
                .tags
                .chunks(2)
                .map(|kv| {
                    (
                        layer.keys[kv[0] as usize].clone(),
                        layer.values[kv[1] as usize].clone(),
                    )
                })
                .collect();
            (zz(f.geometry[1]), zz(f.geometry[2]), props)
        })
        .collect()
}

/// Tiles at zoom `z` that contain at least one of the places, and their neighbours (a place
/// within half a tile unit of an edge rounds into the next tile).
pub(crate) fn tiles_with_places(
    ds: &Dataset,
    z: u8,
    keep: impl Fn(&lieux::model::Lieu) -> bool,
) -> BTreeSet<(u32, u32)> {
    let n = f64::from(1u32 << z);
    let max = (1i64 << z) - 1;
    let mut out = BTreeSet::new();
    for p in ds
        .lieux()
        .iter()
        .filter(|l| keep(l))
        .filter_map(|l| l.position)
    {
        let [x, y] = lonlat_to_unit(p.lon, p.lat);
        let (tx, ty) = ((x * n) as i64, (y * n) as i64);
        for dx in -1..=1 {
            for dy in -1..=1 {
                let (a, b) = (tx + dx, ty + dy);
                if (0..=max).contains(&a) && (0..=max).contains(&b) {
                    out.insert((a as u32, b as u32));
                }
            }
        }
    }
    out
}

/// Sum of places over the features lying inside their tile (not in the buffer), and the ids of
/// single places.
pub(crate) async fn count_zoom(
    st: &AppState,
    z: u8,
    tiles: &BTreeSet<(u32, u32)>,
    query: &str,
) -> (u64, Vec<String>) {
    let mut total = 0u64;
    let mut singles = Vec::new();
    for (x, y) in tiles {
        let (status, _, body) = get(st, &format!("/tiles/lieux/{z}/{x}/{y}{query}"), &[]).await;
        if status == 204 {
            continue;
        }
        assert_eq!(status, 200);
        for (tx, ty, p) in decode(&body) {
            if !(0..4096).contains(&tx) || !(0..4096).contains(&ty) {
                continue; // buffer: counted in its own tile
            }
            if p.get("cluster").and_then(|v| v.bool_value) == Some(true) {
                let n = p
                    .get("point_count")
                    .and_then(|v| v.uint_value)
                    .expect("point_count");
                assert!(n >= 2);
                assert!(p.contains_key("cluster_id") && p.contains_key("point_count_abbreviated"));
                total += n;
            } else {
                let id = p
                    .get("id")
                    .and_then(|v| v.string_value.clone())
                    .expect("id");
                assert!(p.contains_key("nom"));
                singles.push(id);
                total += 1;
            }
        }
    }
    (total, singles)
}

#[tokio::test]
async fn every_place_once_per_zoom() {
    let ds = Dataset::embedded().expect("embedded");
    let positioned = ds.positioned() as u64;
    let st = AppState::new(Dataset::embedded().expect("embedded"));
    for z in [0u8, 2, 4, 6, 8, 17] {
        let tiles = tiles_with_places(&ds, z, |_| true);
        // every positioned place, duplicates included (crate::dedup)
        let (total, singles) = count_zoom(&st, z, &tiles, "?exclure_doublons=false").await;
        assert_eq!(total, positioned, "zoom {z}");
        let unique: BTreeSet<&String> = singles.iter().collect();
        assert_eq!(
            unique.len(),
            singles.len(),
            "zoom {z}: a single place twice"
        );
        if z == 17 {
            assert_eq!(
                singles.len() as u64,
                positioned,
                "beyond maxZoom 16 every place is single"
            );
        }
    }
}

#[tokio::test]
async fn filters_apply_to_clusters() {
    let ds = Dataset::embedded().expect("embedded");
    let st = AppState::new(Dataset::embedded().expect("embedded"));
    let in_974 = |l: &lieux::model::Lieu| {
        l.code_insee
            .as_deref()
            .is_some_and(|c| c.starts_with("974"))
    };
    let want = ds
        .lieux()
        .iter()
        .filter(|l| in_974(l) && l.position.is_some())
        .count() as u64;
    assert!(want > 5);
    for z in [3u8, 9] {
        let tiles = tiles_with_places(&ds, z, |_| true);
        let (total, _) = count_zoom(
            &st,
            z,
            &tiles,
            "?territoire_type=departements&territoires=974",
        )
        .await;
        assert_eq!(total, want, "zoom {z}");
    }
}

#[tokio::test]
async fn tile_errors_caching_and_tilejson() {
    let st = AppState::new(Dataset::embedded().expect("embedded"));
    assert_eq!(get(&st, "/tiles/lieux/21/0/0", &[]).await.0, 404);
    assert_eq!(get(&st, "/tiles/lieux/3/8/0", &[]).await.0, 404);
    let (status, _, body) = get(&st, "/tiles/lieux/a/0/0", &[]).await;
    assert_eq!(status, 400);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).expect("json")["error"]["parameter"],
        "z"
    );
    assert_eq!(
        get(&st, "/tiles/lieux/3/4/2?services=nope", &[]).await.0,
        400
    );
    // the middle of the Pacific holds no France Services
    assert_eq!(get(&st, "/tiles/lieux/6/2/30", &[]).await.0, 204);
    let (status, headers, body) = get(&st, "/tiles/lieux/5/16/11.mvt", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(
        headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/vnd.mapbox-vector-tile")
    );
    assert!(!decode(&body).is_empty());
    let tag = headers
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("etag")
        .to_owned();
    assert_eq!(
        get(&st, "/tiles/lieux/5/16/11.mvt", &[("if-none-match", &tag)])
            .await
            .0,
        304
    );
    let (_, h, gz) = get(
        &st,
        "/tiles/lieux/5/16/11.mvt",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(
        h.get("content-encoding").and_then(|v| v.to_str().ok()),
        Some("gzip")
    );
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut plain)
        .expect("gzip");
    assert_eq!(plain, body);

    let (status, _, body) = get(
        &st,
        "/tiles/lieux?dispositif_programmes_nationaux=France%20Services",
        &[("host", "example.org:8080")],
    )
    .await;
    assert_eq!(status, 200);
    let tj: Value = serde_json::from_slice(&body).expect("tilejson");
    assert_eq!(tj["tilejson"], "3.0.0");
    assert_eq!(
        tj["tiles"][0],
        "http://example.org:8080/tiles/lieux/{z}/{x}/{y}?dispositif_programmes_nationaux=France%20Services"
    );
    assert_eq!(tj["vector_layers"][0]["id"], "lieux");
    assert!(tj["vector_layers"][0]["fields"]["point_count"].is_string());
    let b = tj["bounds"].as_array().expect("bounds");
    assert!(
        b[0].as_f64() < Some(-60.0) && b[2].as_f64() > Some(55.0),
        "overseas included: {b:?}"
    );
}

#[tokio::test]
async fn stats_per_territory() {
    let st = AppState::new(Dataset::embedded().expect("embedded"));
    let n = st.dataset().lieux().len() as u64;
    for group in ["departement", "region"] {
        let path = format!("/v1/stats?group_by={group}&exclure_doublons=false");
        let (status, _, body) = get(&st, &path, &[]).await;
        assert_eq!(status, 200);
        let v: Value = serde_json::from_slice(&body).expect("json");
        let sum: u64 = v["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .filter_map(|g| g["count"].as_u64())
            .sum();
        assert_eq!(sum, n);
        assert_eq!(v["total"], n);
    }
    let (_, _, body) = get(
        &st,
        "/v1/stats?group_by=departement&territoire_type=regions&territoires=53",
        &[],
    )
    .await;
    let v: Value = serde_json::from_slice(&body).expect("json");
    let codes: Vec<&str> = v["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["code"].as_str())
        .collect();
    assert_eq!(codes, ["22", "29", "35", "56"]);
    assert_eq!(get(&st, "/v1/stats?group_by=commune", &[]).await.0, 400);
}
