//! The walk profile's cost as Valhalla's `pedestrian` costing orders its search (issue 18):
//! a cost that is the travel time plus penalties that add no time, so that the search takes
//! the cheapest path and reports that path's time.
//!
//! - **Destination-only roads** ([`ARC_DESTONLY`]): a way whose `access`, `motor_vehicle`,
//!   `motorcar` or `vehicle` is `private`, `destination`, `customers`, `delivery`, `permit` or
//!   `residents` (Valhalla's `private` and `no_thru_traffic` tables, `lua/graph.lua`), or a
//!   driveway, parking aisle or drive-through (`service=*` on a way that keeps that use:
//!   `pbfgraphparser.cc`), never a ferry (`directededgebuilder.cc`). Valhalla flags the edge
//!   for every mode, pedestrians included, and its costing adds 600 s of cost, no time, when a
//!   path enters such an edge from one that is not (`pedestriancost.cc`,
//!   `kDefaultDestinationOnlyPenalty`, `base_transition_cost`): once per destination-only
//!   stretch entered, nothing while inside it, nothing to a start inside it. A French
//!   pedestrian street tagged `motor_vehicle=destination` (deliveries) is such a stretch: a
//!   walk crosses it only when going round is more than 10 minutes longer, and reaches what
//!   lies inside it.
//!
//! - **Steps** ([`ARC_STEPS`], `highway=steps`): 30 s of cost, no time, for each flight taken
//!   (`kDefaultStepPenaltyFoot`, returned by `TransitionCost` for every edge of steps entered,
//!   instead of the other transition costs: entering steps that are destination-only costs
//!   the 30 s only). Valhalla's walkers take 30 s of detour to avoid a flight; Monaco, a town of
//!   stairways, is where it shows.
//! - **Driveways and alleys** ([`ARC_DRIVEWAY`], [`ARC_ALLEY`]: `service=driveway`,
//!   `service=alley` on a way that keeps that use): their time costs 5 and 2 times
//!   (`kDefaultDrivewayFactor`, `kDefaultAlleyFactor`, applied in `EdgeCost`). Valhalla's
//!   5 s alley entry penalty, its living-street factor (0.96) and its 5 s maneuver penalty
//!   (a change of street name) are left out: traced on Monaco and Paris, they move the sets by
//!   less than 0.005.
//!
//! [`Segments`] records the flags of the way segments when the graph is built; the compact
//! graph keeps a node where they change ([`changes_at`]), and each arc takes the flags of its
//! segments ([`arc_flags`]), stored per arc in the graph file ([`super::graph`]).

use super::graph::Graph;

/// Arc flag: a destination-only road (see the module doc).
pub const ARC_DESTONLY: u8 = 1;
/// Arc flag: steps (`highway=steps`).
pub const ARC_STEPS: u8 = 2;
/// Arc flag: a driveway (`service=driveway` keeping that use): its time costs 5 times.
pub const ARC_DRIVEWAY: u8 = 4;
/// Arc flag: an alley (`service=alley` keeping that use): its time costs twice.
pub const ARC_ALLEY: u8 = 8;

/// Cost of entering a destination-only stretch from outside, ms (Valhalla's
/// `kDefaultDestinationOnlyPenalty`, 600 s, in cost only).
pub const DESTONLY_PENALTY_MS: u32 = 600_000;
/// Cost of taking a flight of steps, ms (Valhalla's `kDefaultStepPenaltyFoot`, 30 s, in cost
/// only).
pub const STEPS_PENALTY_MS: u32 = 30_000;

/// `access`-like values that make a way destination-only (Valhalla's `private` table).
const DEST_VALUES: &[&str] = &[
    "private",
    "destination",
    "customers",
    "delivery",
    "permit",
    "residents",
];

/// `highway` values whose own use overrides a `service=*` use (Valhalla's `lua/graph.lua`:
/// tracks, living streets, cycleways, footways, paths, steps… keep theirs).
const OWN_USE: &[&str] = &[
    "construction",
    "track",
    "living_street",
    "cycleway",
    "footway",
    "elevator",
    "steps",
    "path",
    "pedestrian",
    "platform",
    "bridleway",
];

/// The walk flags of a way ([`ARC_DESTONLY`], [`ARC_STEPS`]), from its tags.
pub fn walk_flags(tag: &dyn Fn(&str) -> Option<String>) -> u8 {
    if tag("route").as_deref() == Some("ferry") {
        return 0;
    }
    let steps = if tag("highway").as_deref() == Some("steps") {
        ARC_STEPS
    } else {
        0
    };
    let any_in =
        |k: &str| tag(k).is_some_and(|v| v.split(';').any(|x| DEST_VALUES.contains(&x.trim())));
    let by_access = ["access", "motor_vehicle", "motorcar", "vehicle"]
        .iter()
        .any(|k| any_in(k));
    let service =
        tag("service").filter(|_| !tag("highway").is_some_and(|h| OWN_USE.contains(&h.as_str())));
    let by_use = matches!(
        service.as_deref(),
        Some("driveway" | "parking_aisle" | "drive-through")
    );
    let factor = match service.as_deref() {
        Some("driveway") => ARC_DRIVEWAY,
        Some("alley") => ARC_ALLEY,
        _ => 0,
    };
    steps | factor | if by_access || by_use { ARC_DESTONLY } else { 0 }
}

/// A point's key: its coordinates, 1e-7°.
fn key(lon: i32, lat: i32) -> u64 {
    (u64::from(lon as u32) << 32) | u64::from(lat as u32)
}

/// The flags of the way segments that have some, by their ends' coordinates (either order):
/// what survives the renumberings of the build (components, contraction).
#[derive(Debug, Default)]
pub struct Segments {
    table: Vec<(u64, u64, u8)>,
}

impl Segments {
    /// Records segment `a`–`b` (coordinates) with `flags` (nothing when 0).
    pub fn add(&mut self, a: (i32, i32), b: (i32, i32), flags: u8) {
        if flags != 0 {
            let (p, q) = (key(a.0, a.1), key(b.0, b.1));
            self.table.push((p.min(q), p.max(q), flags));
        }
    }

    /// Ready for [`Segments::get`]: sorted, a segment of two ways holding both's flags.
    pub fn seal(&mut self) {
        self.table.sort_unstable();
        self.table.dedup_by(|b, a| {
            let same = (a.0, a.1) == (b.0, b.1);
            if same {
                a.2 |= b.2;
            }
            same
        });
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The flags of segment `a`–`b` (0 when not recorded).
    pub fn get(&self, a: (i32, i32), b: (i32, i32)) -> u8 {
        let (p, q) = (key(a.0, a.1), key(b.0, b.1));
        let k = (p.min(q), p.max(q));
        self.table
            .binary_search_by(|e| (e.0, e.1).cmp(&k))
            .map_or(0, |i| self.table[i].2)
    }
}

/// The flags of each arc of `g` (its first segment's), or nothing when no arc has any.
pub fn arc_flags(g: &Graph, segments: &Segments) -> Vec<u8> {
    if segments.is_empty() {
        return Vec::new();
    }
    let mut out = vec![0u8; g.arc_count()];
    for u in 0..g.node_count() as u32 {
        for a in g.arcs(u) {
            let pts = g.arc_points(u, a);
            let (p, q) = (pts.get(0), pts.get(1));
            out[a] = segments.get((p.lon, p.lat), (q.lon, q.lat));
        }
    }
    if out.iter().all(|&f| f == 0) {
        out.clear();
    }
    out
}

/// Per node of `g` (every arc one segment): do its arcs differ in flags? The compact graph
/// keeps those nodes, so that each arc has one set of flags.
pub fn changes_at(g: &Graph, segments: &Segments) -> Vec<bool> {
    let mut first: Vec<Option<u8>> = vec![None; g.node_count()];
    let mut mixed = vec![false; g.node_count()];
    if segments.is_empty() {
        return mixed;
    }
    for u in 0..g.node_count() as u32 {
        for a in g.arcs(u) {
            let v = g.targets[a];
            let f = segments.get(
                (g.lon[u as usize], g.lat[u as usize]),
                (g.lon[v as usize], g.lat[v as usize]),
            );
            for x in [u as usize, v as usize] {
                match first[x] {
                    None => first[x] = Some(f),
                    Some(g) if g != f => mixed[x] = true,
                    _ => {}
                }
            }
        }
    }
    mixed
}

#[cfg(test)]
mod tests {
    use super::super::tags::tags;
    use super::*;

    #[test]
    fn destination_only_ways() {
        let f = |t: &[(&str, &str)]| walk_flags(&tags(t));
        assert_eq!(
            f(&[("highway", "pedestrian"), ("motor_vehicle", "destination")]),
            ARC_DESTONLY
        );
        assert_eq!(
            f(&[("highway", "service"), ("access", "private")]),
            ARC_DESTONLY
        );
        assert_eq!(
            f(&[("highway", "residential"), ("vehicle", "no;delivery")]),
            ARC_DESTONLY
        );
        assert_eq!(
            f(&[("highway", "service"), ("service", "driveway")]),
            ARC_DESTONLY | ARC_DRIVEWAY
        );
        assert_eq!(
            f(&[("highway", "service"), ("service", "alley")]),
            ARC_ALLEY
        );
        assert_eq!(
            f(&[("highway", "service"), ("service", "parking_aisle")]),
            ARC_DESTONLY
        );
        // a footway keeps its own use, `foot` is not an access to motor traffic
        assert_eq!(f(&[("highway", "footway"), ("service", "driveway")]), 0);
        assert_eq!(f(&[("highway", "footway"), ("foot", "private")]), 0);
        assert_eq!(f(&[("highway", "pedestrian"), ("motor_vehicle", "no")]), 0);
        assert_eq!(f(&[("route", "ferry"), ("access", "private")]), 0);
        assert_eq!(f(&[("highway", "steps")]), ARC_STEPS);
        assert_eq!(
            f(&[("highway", "steps"), ("access", "private")]),
            ARC_STEPS | ARC_DESTONLY
        );
    }

    #[test]
    fn segments_either_way() {
        let mut s = Segments::default();
        s.add((1, 2), (3, 4), ARC_DESTONLY);
        s.add((5, 6), (7, 8), 0);
        s.seal();
        assert_eq!(s.get((3, 4), (1, 2)), ARC_DESTONLY);
        assert_eq!(s.get((1, 2), (3, 4)), ARC_DESTONLY);
        assert_eq!(s.get((5, 6), (7, 8)), 0);
        assert_eq!(s.get((-1, 2), (3, 4)), 0);
    }
}
