//! The roads of a [`RoadNetwork`] as polylines, for drawing them (the base map's road tiles).
//!
//! The graph keeps no OSM `highway` tag, only each arc's length and travel time, so a road's
//! class is its **car speed** (what the tag rules of [`super::tags`] made of `highway` and
//! `maxspeed`): [`RoadClass`]. Arcs only the walk profile has (footways, paths, steps,
//! pedestrian streets) are [`RoadClass::Pieton`]. Both directions of a road are one line, and
//! chains of segments of one class through way nodes where nothing else meets are joined into
//! one polyline. The segments are those of the arcs' shapes ([`super::geometry`]), each with
//! its own speed, so the lines follow the road geometry and change class where the speed does.

use std::collections::{HashMap, HashSet};

use super::graph::{Graph, RoadNetwork};

/// What a road is drawn as, from its car speed (km/h, `maxspeed` or the `highway` default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoadClass {
    /// 90 km/h and more: motorways, trunk roads, fast primary roads.
    Rapide,
    /// 65 to 90 km/h: primary and secondary roads out of towns.
    Principale,
    /// 45 to 65 km/h: tertiary and unclassified roads, 50 km/h town streets.
    Secondaire,
    /// 25 to 45 km/h: residential streets, 30 km/h zones.
    Locale,
    /// Under 25 km/h: service ways, living streets.
    Desserte,
    /// Walk profile only: footways, paths, steps, pedestrian streets.
    Pieton,
}

impl RoadClass {
    pub const ALL: [RoadClass; 6] = [
        RoadClass::Rapide,
        RoadClass::Principale,
        RoadClass::Secondaire,
        RoadClass::Locale,
        RoadClass::Desserte,
        RoadClass::Pieton,
    ];

    /// The `classe` attribute of the road tiles.
    pub fn as_str(self) -> &'static str {
        match self {
            RoadClass::Rapide => "rapide",
            RoadClass::Principale => "principale",
            RoadClass::Secondaire => "secondaire",
            RoadClass::Locale => "locale",
            RoadClass::Desserte => "desserte",
            RoadClass::Pieton => "pieton",
        }
    }

    /// The class of a car arc of `length_dm` decimetres travelled in `weight_ms`.
    pub fn of_car_arc(length_dm: u32, weight_ms: u32) -> RoadClass {
        // dm/ms × 360 = km/h
        let kmh = f64::from(length_dm) * 360.0 / f64::from(weight_ms.max(1));
        match kmh {
            k if k >= 89.5 => RoadClass::Rapide,
            k if k >= 64.5 => RoadClass::Principale,
            k if k >= 44.5 => RoadClass::Secondaire,
            k if k >= 24.5 => RoadClass::Locale,
            _ => RoadClass::Desserte,
        }
    }
}

/// One drawn road: its class and its points, `(lon, lat)` degrees.
#[derive(Debug, Clone, PartialEq)]
pub struct RoadLine {
    pub class: RoadClass,
    pub points: Vec<(f64, f64)>,
}

/// A way node by its coordinates (1e-7 degrees): the two graphs' nodes and shape points
/// compare by them.
type Point = (i32, i32);

/// Every road of `net` once: the car graph's roads by speed class, then the walk graph's
/// segments no car road has.
pub fn road_lines(net: &RoadNetwork) -> Vec<RoadLine> {
    let car = &net.car;
    let mut edges: HashMap<(Point, Point), RoadClass> = HashMap::new();
    for_segments(car, |p, q, dm, ms| {
        let class = RoadClass::of_car_arc(dm, ms);
        // both directions of a two-way road are one line, of the faster class
        let e = edges.entry((p.min(q), p.max(q))).or_insert(class);
        *e = (*e).min(class);
    });
    let car_segments: HashSet<(Point, Point)> = edges.keys().copied().collect();
    let mut lines = chain(edges);
    let mut walk_edges = HashMap::new();
    for_segments(&net.walk, |p, q, _, _| {
        let key = (p.min(q), p.max(q));
        if !car_segments.contains(&key) {
            walk_edges.insert(key, RoadClass::Pieton);
        }
    });
    lines.extend(chain(walk_edges));
    lines
}

/// Every segment of every arc's shape (way node to way node), with its length (dm) and time
/// (ms): `f(from, to, dm, ms)`.
fn for_segments(g: &Graph, mut f: impl FnMut(Point, Point, u32, u32)) {
    for u in 0..g.node_count() as u32 {
        for a in g.arcs(u) {
            let pts = g.arc_points(u, a);
            for i in 0..pts.len() - 1 {
                let (p, q) = (pts.get(i), pts.get(i + 1));
                if (p.lon, p.lat) != (q.lon, q.lat) {
                    f((p.lon, p.lat), (q.lon, q.lat), q.dm - p.dm, q.ms - p.ms);
                }
            }
        }
    }
}

/// Joins undirected edges `(p < q) → class` into polylines: a line goes on through a point
/// where exactly two edges meet and the next edge has its class.
fn chain(edges: HashMap<(Point, Point), RoadClass>) -> Vec<RoadLine> {
    let mut list: Vec<((Point, Point), RoadClass)> = edges.into_iter().collect();
    list.sort_unstable_by_key(|&(e, c)| (c, e)); // deterministic output
    let mut adjacency: HashMap<Point, Vec<usize>> = HashMap::new();
    for (i, &((u, v), _)) in list.iter().enumerate() {
        adjacency.entry(u).or_default().push(i);
        adjacency.entry(v).or_default().push(i);
    }
    let mut used = vec![false; list.len()];
    let mut lines = Vec::new();
    // a node where the line stops: not exactly two edges, or two of different classes
    let stops = |n: Point| match adjacency.get(&n).map(Vec::as_slice) {
        Some([a, b]) => list[*a].1 != list[*b].1,
        _ => true,
    };
    let walk_from = |start: Point, first: usize, used: &mut [bool]| {
        let class = list[first].1;
        let mut nodes = vec![start];
        let (mut at, mut edge) = (start, first);
        loop {
            used[edge] = true;
            let (u, v) = list[edge].0;
            at = if u == at { v } else { u };
            nodes.push(at);
            if stops(at) {
                break;
            }
            let next = adjacency
                .get(&at)
                .and_then(|es| es.iter().copied().find(|&e| !used[e]));
            match next {
                Some(e) => edge = e,
                None => break, // a closed ring, back at its start
            }
        }
        RoadLine {
            class,
            points: nodes
                .iter()
                .map(|&(x, y)| (f64::from(x) * 1e-7, f64::from(y) * 1e-7))
                .collect(),
        }
    };
    // lines between stops first, then rings (every node inside a chain)
    for pass_rings in [false, true] {
        for i in 0..list.len() {
            if used[i] {
                continue;
            }
            let (u, v) = list[i].0;
            let start = if stops(u) {
                u
            } else if stops(v) {
                v
            } else if pass_rings {
                u
            } else {
                continue;
            };
            lines.push(walk_from(start, i, &mut used));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::graph::{Arc, Profile};

    fn arc(from: u32, to: u32, length_dm: u32, kmh: f64) -> Arc {
        let weight_ms = (f64::from(length_dm) * 360.0 / kmh).round() as u32;
        Arc {
            from,
            to,
            weight_ms,
            length_dm,
        }
    }

    #[test]
    fn classes_chains_and_footways() {
        // 0 - 1 - 2 - 3 two-way at 30 km/h, 3 - 4 one-way at 110 km/h, 2 - 5 at 50 km/h
        let lon: Vec<i32> = (0..6).map(|i| i * 1_000_000).collect();
        let lat = vec![0; 6];
        let mut arcs = Vec::new();
        for (a, b) in [(0, 1), (1, 2), (2, 3)] {
            arcs.push(arc(a, b, 1000, 30.0));
            arcs.push(arc(b, a, 1000, 30.0));
        }
        arcs.push(arc(3, 4, 1000, 110.0));
        arcs.push(arc(2, 5, 1000, 50.0));
        let car = Graph::from_arcs(Profile::Car, lon.clone(), lat.clone(), arcs);
        // the walk graph has the car roads 0-1-2 plus a footway 1 - 5, numbered otherwise
        let wlon = vec![lon[5], lon[2], lon[1], lon[0]];
        let walk = Graph::from_arcs(
            Profile::Walk,
            wlon,
            vec![0; 4],
            vec![
                arc(3, 2, 1000, 5.0),
                arc(2, 1, 1000, 5.0),
                arc(2, 0, 1000, 5.0),
            ],
        );
        let lines = road_lines(&RoadNetwork { car, walk });
        let mut got: Vec<(RoadClass, Vec<f64>)> = lines
            .iter()
            .map(|l| {
                let mut xs: Vec<f64> = l
                    .points
                    .iter()
                    .map(|p| (p.0 * 10.0).round() / 10.0)
                    .collect();
                if xs.first() > xs.last() {
                    xs.reverse();
                }
                (l.class, xs)
            })
            .collect();
        got.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
        // node 2 has three edges: the 30 km/h road stops there
        assert_eq!(
            got,
            vec![
                (RoadClass::Rapide, vec![0.3, 0.4]),
                (RoadClass::Secondaire, vec![0.2, 0.5]),
                (RoadClass::Locale, vec![0.0, 0.1, 0.2]),
                (RoadClass::Locale, vec![0.2, 0.3]),
                (RoadClass::Pieton, vec![0.1, 0.5]),
            ]
        );
        assert_eq!(RoadClass::of_car_arc(1000, 0), RoadClass::Rapide);
    }
}
