//! The cluster hierarchy (`src/tiles/cluster.rs`: levels built lazily over a base shared by
//! every filter, grid-indexed, lone places copied without a query) against the build it replaced,
//! kept here as the oracle: supercluster's greedy clustering with every level built at once and
//! one R-tree per level. On real data (the 34 875 commune centroids with seeded attributes, the
//! embedded France Services) and many filters: the same features at every zoom (positions,
//! point counts, cluster ids) and the same features in tiles, whichever zoom is asked first.

use std::sync::Arc;

use lieux::Dataset;
use lieux::filter::{Filter, TerritoireType};
use lieux::model::{Dispositif, Frais, Service};
use lieux::testdata::{Rng, lieu, sample_filters, seed_attributes};
use lieux::tiles::cluster::Node;
use lieux::tiles::{ClusterBase, ClusterOptions, Hierarchy, lonlat_to_unit};
use rstar::primitives::GeomWithData;
use rstar::{AABB, Envelope, RTree};

type Indexed = GeomWithData<[f64; 2], u32>;

/// The former build: `levels[z]` for `z` in `0..=max_zoom + 1`, each clustered from the next
/// with an R-tree radius query per unclustered feature.
fn oracle(points: &[(u32, f64, f64)], o: &ClusterOptions) -> Vec<Vec<Node>> {
    let base: Vec<Node> = points
        .iter()
        .map(|&(slot, lon, lat)| {
            let [x, y] = lonlat_to_unit(lon, lat);
            Node {
                x,
                y,
                count: 1,
                id: u64::from(slot),
            }
        })
        .collect();
    let n = base.len() as u64;
    let mut levels = vec![base];
    for z in (o.min_zoom..=o.max_zoom).rev() {
        let prev = levels.last().expect("a level");
        let tree = RTree::bulk_load(
            prev.iter()
                .enumerate()
                .map(|(i, p)| Indexed::new([p.x, p.y], i as u32))
                .collect(),
        );
        let r = o.radius / (o.extent * f64::from(1u32 << z));
        let mut taken = vec![false; prev.len()];
        let mut out = Vec::new();
        for (i, node) in prev.iter().enumerate() {
            if taken[i] {
                continue;
            }
            taken[i] = true;
            let neighbours: Vec<usize> = tree
                .locate_within_distance([node.x, node.y], r * r)
                .map(|e| e.data as usize)
                .filter(|&j| !taken[j])
                .collect();
            let count = node.count + neighbours.iter().map(|&j| prev[j].count).sum::<u32>();
            if neighbours.is_empty() || count < o.min_points {
                out.push(*node);
                for &j in &neighbours {
                    taken[j] = true;
                    out.push(prev[j]);
                }
                continue;
            }
            let (mut wx, mut wy) = (
                node.x * f64::from(node.count),
                node.y * f64::from(node.count),
            );
            for &j in &neighbours {
                taken[j] = true;
                wx += prev[j].x * f64::from(prev[j].count);
                wy += prev[j].y * f64::from(prev[j].count);
            }
            out.push(Node {
                x: wx / f64::from(count),
                y: wy / f64::from(count),
                count,
                id: ((i as u64) << 5) + u64::from(z) + 1 + n,
            });
        }
        levels.push(out);
    }
    levels.reverse();
    levels
}

/// Same features in the same order; positions equal but for the order of the sums.
fn same_level(got: &[Node], want: &[Node], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: feature count");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            g.count == w.count
                && g.id == w.id
                && (g.x - w.x).abs() <= 1e-12
                && (g.y - w.y).abs() <= 1e-12,
            "{what}: feature {i}: {g:?} != {w:?}"
        );
    }
}

/// `(id, count)` of the features of `level` in tile `z/x/y` with a 64 px buffer, sorted.
fn oracle_tile(level: &[Node], z: u8, x: u32, y: u32) -> Vec<(u64, u32)> {
    let z2 = f64::from(1u32 << z);
    let p = 64.0 / 512.0;
    let env = AABB::from_corners(
        [(f64::from(x) - p) / z2, (f64::from(y) - p) / z2],
        [(f64::from(x) + 1.0 + p) / z2, (f64::from(y) + 1.0 + p) / z2],
    );
    let mut out: Vec<(u64, u32)> = level
        .iter()
        .filter(|n| env.contains_point(&[n.x, n.y]))
        .map(|n| (n.id, n.count))
        .collect();
    out.sort_unstable();
    out
}

/// Checks the hierarchies of `filters` over `ds` against the oracle: tiles first (a zoom in the
/// middle, then deeper and shallower ones, as a map asks them), then every level.
fn check(ds: &Dataset, filters: &[(&str, Filter)]) {
    let o = ClusterOptions::default();
    let positions = |slot: u32| ds.lieu(slot).position.map(|p| (slot, p.lon, p.lat));
    let base = Arc::new(ClusterBase::new(
        (0..ds.lieux().len() as u32).filter_map(positions),
        o,
    ));
    for (name, filter) in filters {
        let points: Vec<(u32, f64, f64)> = ds.all_matching(filter).filter_map(positions).collect();
        let want = oracle(&points, &o);
        let h = Hierarchy::new(Arc::clone(&base), ds.all_matching(filter));
        assert_eq!(h.len(), points.len(), "{name}");
        for z in [5u8, 9, 2, 13, 0, 17, 19] {
            let z2 = f64::from(1u32 << z);
            // the tiles of the places, 150 of them at most
            let mut tiles: Vec<(u32, u32)> = points
                .iter()
                .map(|&(_, lon, lat)| {
                    let [x, y] = lonlat_to_unit(lon, lat);
                    ((x * z2) as u32, (y * z2) as u32)
                })
                .collect();
            tiles.sort_unstable();
            tiles.dedup();
            for &(x, y) in tiles.iter().step_by(tiles.len().div_ceil(150).max(1)) {
                let mut got: Vec<(u64, u32)> = h
                    .tile(z, x, y, 64.0)
                    .iter()
                    .map(|n| (n.id, n.count))
                    .collect();
                got.sort_unstable();
                let level = &want[usize::from(z.min(17))];
                assert_eq!(got, oracle_tile(level, z, x, y), "{name}: tile {z}/{x}/{y}");
            }
        }
        for (z, level) in want.iter().enumerate() {
            same_level(&h.level(z as u8), level, &format!("{name}, zoom {z}"));
        }
        let clusters_z8 = want[8].iter().filter(|n| n.count > 1).count();
        eprintln!(
            "{name}: {} places, {clusters_z8} clusters at z8",
            points.len()
        );
    }
}

#[test]
fn lazy_shared_hierarchies_match_the_full_build_on_communes() {
    let Some(centroids) = crate::util::commune_centroids() else {
        return;
    };
    // one place per commune, with seeded attributes as the benches give them
    let mut rng = Rng::new(19);
    let lieux = centroids
        .iter()
        .map(|(code, lon, lat)| {
            let mut l = lieu(
                format!("c{code}"),
                lieux::model::Position::new_checked(*lon, *lat),
            );
            l.code_insee = Some(code.as_str().into());
            seed_attributes(&mut l, &mut rng);
            l
        })
        .collect();
    let ds = Dataset::new(lieux);
    assert!(ds.positioned() > 34_000);
    let deps = |codes: &[&str]| {
        Some((
            TerritoireType::Departements,
            codes.iter().map(|c| c.to_string()).collect(),
        ))
    };
    let mut filters = sample_filters();
    filters.extend([
        (
            "frais",
            Filter {
                frais_a_charge: vec![Frais::ALL[0]],
                ..Filter::default()
            },
        ),
        (
            "Bretagne and Corse",
            Filter {
                territoires: deps(&["22", "29", "35", "56", "2A", "2B"]),
                ..Filter::default()
            },
        ),
        (
            "service in Nord and Pas-de-Calais",
            Filter {
                services: vec![Service::ALL[2]],
                territoires: deps(&["59", "62"]),
                ..Filter::default()
            },
        ),
        (
            "France Services with a service",
            Filter {
                services: vec![Service::ALL[3]],
                dispositif_programmes_nationaux: vec![Dispositif::FranceServices],
                ..Filter::default()
            },
        ),
    ]);
    check(&ds, &filters);
}

#[test]
fn lazy_shared_hierarchies_match_the_full_build_on_france_services() {
    let ds = Dataset::embedded().expect("embedded");
    let filters = [
        ("none", Filter::default()),
        (
            "La Réunion",
            Filter {
                territoires: Some((TerritoireType::Departements, vec!["974".into()])),
                ..Filter::default()
            },
        ),
        (
            "Auvergne-Rhône-Alpes and Île-de-France",
            Filter {
                territoires: Some((TerritoireType::Regions, vec!["84".into(), "11".into()])),
                ..Filter::default()
            },
        ),
    ];
    check(&ds, &filters);
}
