//! A generated, France-size, road-like graph for benchmarks and timing (no OSM extract of France
//! can be downloaded here). Deterministic: the same `(nodes, seed)` always gives the same graph.
//!
//! # Shape
//!
//! - **Where**: a jittered square lattice clipped to a coarse outline of mainland metropolitan
//!   France ([`FRANCE_OUTLINE`], ~550 000 km²; Corsica and the islands are left out, as a
//!   road graph without ferries would drop them anyway). The lattice step is chosen so that
//!   about `nodes` lattice points fall inside: for [`FRANCE_NODES`] (9 M) that is ≈ 250 m,
//!   ≈ 16 nodes/km², the density of a junction-level graph of France's ~1.1 M km of roads.
//!   Density is uniform (no cities), so search sizes are those of an average area.
//! - **Hierarchy**: every lattice line has a class, fixed by its distance in kilometres so the
//!   network looks the same at any `nodes`:
//!   - *motorway* every [`MOTORWAY_EVERY_KM`] (130 km/h, one in four 110 km/h), reachable only at
//!     interchanges where a primary or motorway line crosses it (≈ every 12 km); elsewhere
//!     local streets do not cross it;
//!   - *primary* every [`PRIMARY_EVERY_KM`] (80–90 km/h);
//!   - *secondary* every [`SECONDARY_EVERY_KM`] (60–80 km/h);
//!   - *local* streets everywhere else (30, 40 or 50 km/h), 8 % of them missing (dead ends,
//!     irregular blocks) and 5 % one-way (random direction).
//! - **Arcs**: length = straight distance between the jittered nodes × a curvature factor
//!   1.0–1.2 (roads are not straight), time = length / speed, rounded as in
//!   [`super::build`] (ms, dm).
//! - **Connectivity**: only the largest strongly connected component is kept (as
//!   [`super::build`] does), so every search can reach the whole country.
//!
//! Result at 9 M requested nodes (seed 1): see the README's routing section for node and arc
//! counts and timings. A 30-minute car search from a point settles tens of thousands of nodes
//! (local streets to the nearest primary, then 80–130 km/h corridors).
//!
//! # Stable API
//!
//! [`road_like`] (car graph), [`road_like_network`] (car + walk, for the file format) and
//! [`sample_nodes`] (seeded query origins) are relied on by other benchmarks (coverage): keep
//! their signatures.

use super::build::WALK_KMH;
use super::graph::{Arc, Graph, Profile, RoadNetwork};
use super::scc::largest_scc_graph;
use crate::geodesy::haversine_m;
use crate::testdata::Rng;

/// Node count of a France-size graph (junction level).
pub const FRANCE_NODES: usize = 9_000_000;
/// Spacing of motorway lines, km.
pub const MOTORWAY_EVERY_KM: f64 = 45.0;
/// Spacing of primary lines, km.
pub const PRIMARY_EVERY_KM: f64 = 12.0;
/// Spacing of secondary lines, km.
pub const SECONDARY_EVERY_KM: f64 = 3.0;

/// Coarse outline of mainland metropolitan France, `(lon, lat)` degrees, closed implicitly.
pub const FRANCE_OUTLINE: [(f64, f64); 34] = [
    (2.55, 51.08),  // Dunkerque
    (3.2, 50.75),   // Lille
    (4.15, 50.3),   // Maubeuge
    (4.85, 50.15),  // Givet
    (5.8, 49.55),   // Longwy
    (6.4, 49.47),   // Sarre
    (8.2, 48.97),   // Lauterbourg
    (7.8, 48.5),    // Strasbourg
    (7.6, 47.58),   // Bâle
    (6.9, 47.35),   // Jura
    (6.1, 46.15),   // Genève
    (6.8, 45.9),    // Mont Blanc
    (7.1, 45.2),    // Maurienne
    (6.9, 44.4),    // Ubaye
    (7.5, 43.78),   // Menton
    (6.2, 43.1),    // Hyères
    (5.0, 43.3),    // Marseille
    (4.2, 43.45),   // Camargue
    (3.2, 43.2),    // Narbonne
    (3.05, 42.5),   // Cerbère
    (1.7, 42.5),    // Andorre
    (0.7, 42.7),    // Val d'Aran
    (-1.78, 43.37), // Hendaye
    (-1.25, 44.6),  // Arcachon
    (-1.2, 46.2),   // La Rochelle
    (-2.2, 47.1),   // Saint-Nazaire
    (-4.35, 47.8),  // Penmarc'h
    (-4.78, 48.4),  // Brest
    (-3.5, 48.85),  // Trégor
    (-1.6, 48.65),  // Mont-Saint-Michel
    (-1.9, 49.7),   // Cotentin
    (-1.1, 49.35),  // Bessin
    (0.1, 49.45),   // Le Havre
    (1.6, 50.9),    // Boulogne
];

/// Reference latitude of the local projection, degrees.
const LAT0: f64 = 46.5;
/// Kilometres per degree of latitude (sphere of the crate's Earth radius).
const KM_PER_DEG: f64 = crate::geodesy::EARTH_RADIUS_M * std::f64::consts::PI / 180.0 / 1000.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    Local,
    Secondary,
    Primary,
    Motorway,
}

fn project(lon: f64, lat: f64) -> (f64, f64) {
    (lon * KM_PER_DEG * LAT0.to_radians().cos(), lat * KM_PER_DEG)
}

fn unproject(x: f64, y: f64) -> (f64, f64) {
    (x / (KM_PER_DEG * LAT0.to_radians().cos()), y / KM_PER_DEG)
}

/// Projected outline, km.
fn outline_km() -> Vec<(f64, f64)> {
    FRANCE_OUTLINE.iter().map(|&(x, y)| project(x, y)).collect()
}

/// Shoelace area, km².
fn area_km2(poly: &[(f64, f64)]) -> f64 {
    let n = poly.len();
    (0..n)
        .map(|i| {
            let (a, b) = (poly[i], poly[(i + 1) % n]);
            a.0 * b.1 - b.0 * a.1
        })
        .sum::<f64>()
        .abs()
        / 2.0
}

/// Sorted x where the horizontal line `y` crosses the polygon (even-odd rule).
fn crossings(poly: &[(f64, f64)], y: f64) -> Vec<f64> {
    let n = poly.len();
    let mut xs: Vec<f64> = (0..n)
        .filter_map(|i| {
            let (a, b) = (poly[i], poly[(i + 1) % n]);
            ((a.1 <= y) != (b.1 <= y)).then(|| a.0 + (y - a.1) / (b.1 - a.1) * (b.0 - a.0))
        })
        .collect();
    xs.sort_by(f64::total_cmp);
    xs
}

fn line_class(index: usize, step_km: f64) -> Class {
    let every = |km: f64| ((km / step_km).round() as usize).max(1);
    // offsets keep the classes' lines apart from the outline's edges and from each other
    let (m, p, s) = (
        every(MOTORWAY_EVERY_KM),
        every(PRIMARY_EVERY_KM),
        every(SECONDARY_EVERY_KM),
    );
    if index % m == m / 2 {
        Class::Motorway
    } else if index % p == p / 3 {
        Class::Primary
    } else if index.is_multiple_of(s) {
        Class::Secondary
    } else {
        Class::Local
    }
}

/// Edge of the lattice before the profile is applied.
struct Edge {
    a: u32,
    b: u32,
    class: Class,
    kmh: f64,
    /// 1 forward only, -1 backward only, 0 both.
    dir: i8,
    length_m: f64,
}

/// Nodes (lon, lat in 1e-7 degrees) and edges of the lattice.
fn lattice(nodes: usize, seed: u64) -> (Vec<i32>, Vec<i32>, Vec<Edge>) {
    let poly = outline_km();
    let step = (area_km2(&poly) / nodes.max(1) as f64).sqrt();
    let (x0, y0, x1, y1) = poly.iter().fold(
        (f64::MAX, f64::MAX, f64::MIN, f64::MIN),
        |(a, b, c, d), &(x, y)| (a.min(x), b.min(y), c.max(x), d.max(y)),
    );
    let w = ((x1 - x0) / step).ceil() as usize + 1;
    let h = ((y1 - y0) / step).ceil() as usize + 1;
    let mut rng = Rng::new(seed);
    let mut id = vec![u32::MAX; w * h];
    let (mut lon, mut lat) = (Vec::new(), Vec::new());
    for j in 0..h {
        let y = y0 + j as f64 * step;
        let xs = crossings(&poly, y);
        for pair in xs.chunks_exact(2) {
            let i0 = ((pair[0] - x0) / step).ceil().max(0.0) as usize;
            let i1 = (((pair[1] - x0) / step).floor() as usize).min(w - 1);
            for i in i0..=i1 {
                let x = x0 + i as f64 * step;
                let jx = x + rng.range(-0.3, 0.3) * step;
                let jy = y + rng.range(-0.3, 0.3) * step;
                let (lo, la) = unproject(jx, jy);
                id[j * w + i] = lon.len() as u32;
                lon.push((lo * 1e7).round() as i32);
                lat.push((la * 1e7).round() as i32);
            }
        }
    }
    let coord = |u: u32| {
        (
            f64::from(lon[u as usize]) * 1e-7,
            f64::from(lat[u as usize]) * 1e-7,
        )
    };
    let cols: Vec<Class> = (0..w).map(|i| line_class(i, step)).collect();
    let rows: Vec<Class> = (0..h).map(|j| line_class(j, step)).collect();
    let mut edges = Vec::new();
    for j in 0..h {
        for i in 0..w {
            let a = id[j * w + i];
            if a == u32::MAX {
                continue;
            }
            // horizontal edge lies on row j, vertical edge on column i
            let right = (i + 1 < w).then(|| (id[j * w + i + 1], rows[j], cols[i], cols[i + 1]));
            let up = (j + 1 < h).then(|| (id[(j + 1) * w + i], cols[i], rows[j], rows[j + 1]));
            for (b, class, cross_a, cross_b) in [right, up].into_iter().flatten() {
                if b == u32::MAX {
                    continue;
                }
                // A road that is not itself a motorway or primary meets a motorway only at an
                // interchange: not at all if either end lies on a motorway line it crosses.
                if class < Class::Primary
                    && (cross_a == Class::Motorway || cross_b == Class::Motorway)
                {
                    continue;
                }
                let (kmh, dir) = match class {
                    Class::Motorway => (if rng.below(4) == 0 { 110.0 } else { 130.0 }, 0),
                    Class::Primary => (rng.range(80.0, 90.0).round(), 0),
                    Class::Secondary => (rng.range(60.0, 80.0).round(), 0),
                    Class::Local => {
                        if rng.below(100) < 8 {
                            continue;
                        }
                        let dir = match rng.below(100) {
                            0..=2 => 1,
                            3..=4 => -1,
                            _ => 0,
                        };
                        ([30.0, 40.0, 50.0][rng.below(3)], dir)
                    }
                };
                let ((alon, alat), (blon, blat)) = (coord(a), coord(b));
                let length_m = haversine_m(alon, alat, blon, blat) * rng.range(1.0, 1.2);
                edges.push(Edge {
                    a,
                    b,
                    class,
                    kmh,
                    dir,
                    length_m,
                });
            }
        }
    }
    (lon, lat, edges)
}

fn arcs_of(edges: &[Edge], profile: Profile) -> Vec<Arc> {
    let mut arcs = Vec::with_capacity(edges.len() * 2);
    for e in edges {
        let (kmh, dir) = match profile {
            Profile::Car => (e.kmh, e.dir),
            Profile::Walk if e.class == Class::Motorway => continue,
            Profile::Walk => (WALK_KMH, 0),
        };
        let weight_ms = (e.length_m / (kmh / 3.6) * 1000.0).round().max(1.0) as u32;
        let length_dm = (e.length_m * 10.0).round() as u32;
        if dir >= 0 {
            arcs.push(Arc {
                from: e.a,
                to: e.b,
                weight_ms,
                length_dm,
            });
        }
        if dir <= 0 {
            arcs.push(Arc {
                from: e.b,
                to: e.a,
                weight_ms,
                length_dm,
            });
        }
    }
    arcs
}

/// A road-like car graph of about `nodes` nodes over mainland France (see the module docs),
/// reduced to its largest strongly connected component. Deterministic in `(nodes, seed)`.
pub fn road_like(nodes: usize, seed: u64) -> Graph {
    let (lon, lat, edges) = lattice(nodes, seed);
    let arcs = arcs_of(&edges, Profile::Car);
    drop(edges);
    largest_scc_graph(Profile::Car, &lon, &lat, arcs)
}

/// [`road_like`] for both profiles: the car graph, and a walk graph on the same lattice
/// (every street but motorways, both ways at [`WALK_KMH`]). For file size and load-time benchmarks.
pub fn road_like_network(nodes: usize, seed: u64) -> RoadNetwork {
    let (lon, lat, edges) = lattice(nodes, seed);
    let car = largest_scc_graph(Profile::Car, &lon, &lat, arcs_of(&edges, Profile::Car));
    let walk = largest_scc_graph(Profile::Walk, &lon, &lat, arcs_of(&edges, Profile::Walk));
    RoadNetwork { car, walk }
}

/// `count` distinct-seeded nodes of `g` (uniform over nodes, hence over the area), for query
/// origins. Empty if the graph is.
pub fn sample_nodes(g: &Graph, count: usize, seed: u64) -> Vec<u32> {
    let n = g.node_count();
    if n == 0 {
        return Vec::new();
    }
    let mut rng = Rng::new(seed ^ 0x5EED_0F0F_1C00);
    (0..count).map(|_| rng.below(n) as u32).collect()
}

#[cfg(test)]
mod tests {
    use super::super::scc::strongly_connected;
    use super::super::search::{Origin, bounded};
    use super::*;

    #[test]
    fn outline_area_is_mainland_france() {
        // mainland metropolitan France: ≈ 543 900 km²
        let a = area_km2(&outline_km());
        assert!((480_000.0..620_000.0).contains(&a), "{a}");
        assert_eq!(
            crossings(&outline_km(), project(2.35, 48.85).1).len() % 2,
            0
        );
    }

    #[test]
    fn small_graph_is_road_like() {
        // 200 k nodes ≈ 1.7 km step: every other line a secondary road, the rest local streets
        let g = road_like(200_000, 7);
        let n = g.node_count();
        // the largest component keeps most of the requested nodes
        assert!((170_000..220_000).contains(&n), "{n} nodes");
        // one strongly connected component
        let comp = strongly_connected(&g);
        assert!(comp.iter().all(|&c| c == comp[0]));
        // inside France's bbox
        let [x0, y0, x1, y1] = g.bbox();
        assert!(
            x0 > -5.0 && x1 < 8.3 && y0 > 42.3 && y1 < 51.1,
            "{x0} {y0} {x1} {y1}"
        );
        // one-way arcs exist: some arc has no reverse arc
        let has_reverse = |u: u32, v: u32| g.arcs(v).any(|a| g.targets[a] == u);
        let one_way = (0..n as u32)
            .flat_map(|u| g.arcs(u).map(move |a| (u, a)))
            .filter(|&(u, a)| !has_reverse(u, g.targets[a]))
            .count();
        assert!(one_way > n / 100, "{one_way} one-way arcs");
        // a hierarchy of speeds: a few arcs above 100 km/h, many below 55
        let kmh: Vec<f64> = (0..g.arc_count())
            .map(|a| f64::from(g.lengths[a]) / 10.0 / (f64::from(g.weights[a]) / 1000.0) * 3.6)
            .collect();
        let fast = kmh.iter().filter(|&&v| v > 100.0).count();
        let slow = kmh.iter().filter(|&&v| v < 55.0).count();
        assert!(fast > 0 && fast < kmh.len() / 20, "{fast} fast arcs");
        assert!(slow > kmh.len() / 4, "{slow} slow arcs of {}", kmh.len());
        // deterministic
        assert_eq!(road_like(200_000, 7), g);
        assert_ne!(road_like(200_000, 8), g);
    }

    #[test]
    fn thirty_minutes_reaches_a_region_not_the_country() {
        // 1 M nodes ≈ 740 m step: a 30-minute search reaches a few hundred km², not France
        let g = road_like(1_000_000, 1);
        let origin = sample_nodes(&g, 1, 3)[0];
        let tree = bounded(
            &g,
            &[Origin {
                node: origin,
                offset_ms: 0,
                offset_dm: 0,
                by_arc: None,
            }],
            1_800_000,
        );
        let settled = tree.settled.len();
        assert!(
            settled > 1_000 && settled < g.node_count() / 20,
            "{settled} of {} settled",
            g.node_count()
        );
        // no node farther than 130 km/h × 30 min ≈ 65 km (straight line) was reached
        let (olon, olat) = g.coord(origin);
        for &u in &tree.settled {
            let (lon, lat) = g.coord(u);
            assert!(haversine_m(olon, olat, lon, lat) <= 65_000.0 + 1.0);
        }
    }
}
