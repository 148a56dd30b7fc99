//! OSM tags → may a pedestrian use the way (the `walk` profile; [`super::build`] reads the
//! ways, [`super::tags`] has the car rules). Valhalla's `pedestrian` access (`lua/graph.lua`: the `highway`, `access` and `foot` tables of
//! `filter_tags_generic`; `src/sif/pedestriancost.cc`: `Allowed`), both ways (one-ways
//! ignored), at [`super::build::WALK_KMH`]:
//! - **By `highway`**: footway, pedestrian, path, steps, corridor, elevator, platform,
//!   living_street, residential(_link), service, unclassified, road, track, tertiary, secondary,
//!   primary and trunk (with their links); not motorway(_link), cycleway, bridleway, busway,
//!   bus_guideway or unknown values. `area=yes` drops a way, a pedestrian square's outline too
//!   (Valhalla's default `mjolnir.pedestrian_areas: false`: `pbfgraphparser.cc` skips the
//!   ways `lua/graph.lua` marks `pedestrian_area`); the streets crossing or bordering it stay.
//! - **`foot`** (or `pedestrian`) overrides the highway's default: `no`, `agricultural`,
//!   `forestry`, `discouraged` exclude; `yes`, `designated`, `permissive`, `use_sidepath`,
//!   `destination`, `delivery`, `customers`, `official`, `public`, `restricted`, `crossing`,
//!   `sidewalk`, `allowed`, `passable`, `footway`, `permit`, `residents` allow (even a
//!   cycleway or a motorway).
//! - **`access`** `no`, `agricultural`, `forestry`, `discouraged`, `emergency`, `psv`, or
//!   `impassable=yes`, exclude a way unless `foot` allows it. `access=private` keeps the way
//!   walkable behind the destination-only cost penalty of [`super::walk_cost`] (its time
//!   unchanged), and `foot=private` allows walking, as in Valhalla.
//! - **Hiking difficulty**: `sac_scale` above `hiking` (mountain, demanding mountain and the
//!   alpine grades) excludes the way, Valhalla's default `max_hiking_difficulty` of 1.
//! - Ferries at their car speed.

/// `foot` values that allow pedestrians (Valhalla's `foot` table, `true` entries).
const FOOT_YES: &[&str] = &[
    "yes",
    "private",
    "designated",
    "permissive",
    "use_sidepath",
    "destination",
    "delivery",
    "customers",
    "official",
    "public",
    "restricted",
    "crossing",
    "sidewalk",
    "allowed",
    "passable",
    "footway",
    "permit",
    "residents",
];

/// `access` values that keep everyone out unless `foot` says otherwise (Valhalla's `access`
/// table, `false` entries).
const ACCESS_NO: &[&str] = &[
    "no",
    "agricultural",
    "forestry",
    "discouraged",
    "emergency",
    "psv",
];

/// Is any of the `;`-separated values of an OSM tag in `set` (Valhalla's `any_in`)?
fn any_in(value: Option<&str>, set: &[&str]) -> bool {
    value.is_some_and(|v| v.split(';').any(|x| set.contains(&x.trim())))
}

/// Walk rule: may a pedestrian use the way?
pub fn walk_rule(tag: &dyn Fn(&str) -> Option<String>) -> bool {
    let foot = tag("foot").or_else(|| tag("pedestrian"));
    let foot = foot.as_deref();
    if any_in(foot, &["no", "agricultural", "forestry", "discouraged"]) {
        return false;
    }
    let allowed = any_in(foot, FOOT_YES);
    let access = tag("access");
    let closed =
        any_in(access.as_deref(), ACCESS_NO) || tag("impassable").as_deref() == Some("yes");
    if closed && !allowed {
        return false;
    }
    let Some(highway) = tag("highway") else {
        return tag("route").as_deref() == Some("ferry");
    };
    // every area, pedestrian squares too: Valhalla's `lua/graph.lua` marks `highway=pedestrian`
    // areas and its parser (`pbfgraphparser.cc`) drops them unless `mjolnir.pedestrian_areas`
    // (off by default) routes across them
    if tag("area").as_deref() == Some("yes") {
        return false;
    }
    if tag("sac_scale").is_some_and(|s| {
        let s = s.to_lowercase();
        s.contains("mountain_hiking") || s.contains("alpine_hiking")
    }) {
        return false;
    }
    match highway.as_str() {
        "footway" | "pedestrian" | "path" | "steps" | "corridor" | "elevator" | "platform"
        | "living_street" | "residential" | "residential_link" | "service" | "unclassified"
        | "road" | "track" | "tertiary" | "tertiary_link" | "secondary" | "secondary_link"
        | "primary" | "primary_link" | "trunk" | "trunk_link" => true,
        "cycleway" | "bridleway" | "motorway" | "motorway_link" | "busway" | "bus_guideway" => {
            allowed
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tags::tags;
    use super::*;

    #[test]
    fn walk_rules() {
        assert!(walk_rule(&tags(&[("highway", "footway")])));
        assert!(!walk_rule(&tags(&[("highway", "motorway")])));
        assert!(!walk_rule(&tags(&[("highway", "primary"), ("foot", "no")])));
        assert!(walk_rule(&tags(&[
            ("highway", "cycleway"),
            ("foot", "yes")
        ])));
        assert!(walk_rule(&tags(&[("route", "ferry")])));
        // Valhalla's pedestrian table: trunks are walkable, unless `foot` says no
        assert!(walk_rule(&tags(&[("highway", "trunk")])));
        assert!(!walk_rule(&tags(&[("highway", "trunk"), ("foot", "no")])));
        assert!(walk_rule(&tags(&[("highway", "corridor")])));
        assert!(!walk_rule(&tags(&[("highway", "busway")])));
        // hiking difficulty above T1 (`hiking`) is out, whatever `foot` says
        assert!(walk_rule(&tags(&[
            ("highway", "path"),
            ("sac_scale", "hiking")
        ])));
        for grade in [
            "mountain_hiking",
            "demanding_mountain_hiking",
            "alpine_hiking",
        ] {
            let t = [("highway", "path"), ("sac_scale", grade), ("foot", "yes")];
            assert!(!walk_rule(&tags(&t)), "{grade}");
        }
        // access closes a way unless `foot` opens it; `use_sidepath` still allows walking
        assert!(!walk_rule(&tags(&[
            ("highway", "track"),
            ("access", "forestry")
        ])));
        assert!(walk_rule(&tags(&[
            ("highway", "track"),
            ("access", "no"),
            ("foot", "permissive;yes")
        ])));
        assert!(walk_rule(&tags(&[
            ("highway", "secondary"),
            ("foot", "use_sidepath")
        ])));
        // private ways are walked (behind a cost penalty, `walk_cost`), as in Valhalla
        assert!(walk_rule(&tags(&[
            ("highway", "service"),
            ("access", "private")
        ])));
        assert!(walk_rule(&tags(&[
            ("highway", "path"),
            ("foot", "private")
        ])));
        // areas, pedestrian squares too, are not walked (Valhalla's default config)
        assert!(!walk_rule(&tags(&[
            ("highway", "footway"),
            ("area", "yes")
        ])));
        assert!(!walk_rule(&tags(&[
            ("highway", "pedestrian"),
            ("area", "yes")
        ])));
        assert!(walk_rule(&tags(&[("highway", "pedestrian")])));
    }
}
