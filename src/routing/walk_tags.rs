//! OSM tags → may a pedestrian use the way (the `walk` profile; [`super::build`] reads the
//! ways, [`super::tags`] has the car rules). Valhalla's `pedestrian` access (`lua/graph.lua`: the `highway`, `access` and `foot` tables of
//! `filter_tags_generic`; `src/sif/pedestriancost.cc`: `Allowed`), car one-ways
//! ignored (see **Direction**), at [`super::build::WALK_KMH`]:
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
//! - **Direction** ([`walk_dir`]): both ways, except where Valhalla's `lua/graph.lua` keeps
//!   `oneway` for pedestrians: on footways, pedestrian streets, steps and paths (and on any way
//!   with an `oneway:foot` tag), a `oneway=yes|1|true|-1` (or a roundabout) is one-way on foot
//!   too, unless `oneway:foot=no` or `foot:backward` opens the other way; `oneway:foot=yes|-1`
//!   alone makes any way one-way on foot.

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

/// `oneway`-like value → one-way or not (Valhalla's `oneway` table; `None`: not a value it
/// knows).
fn oneway_value(v: Option<&str>) -> Option<bool> {
    match v? {
        "no" | "false" | "reversible" | "alternating" => Some(false),
        "-1" | "yes" | "true" | "1" => Some(true),
        _ => None,
    }
}

/// The direction a pedestrian may walk a way: 1 along it only, -1 against it only, 0 both
/// (Valhalla's `lua/graph.lua`, `filter_tags_generic`: `pedestrian_forward`/`_backward`).
pub fn walk_dir(tag: &dyn Fn(&str) -> Option<String>) -> i8 {
    let oneway = tag("oneway");
    let oneway_foot = tag("oneway:foot");
    let (oneway, oneway_foot) = (oneway.as_deref(), oneway_foot.as_deref());
    let (mut forward, mut backward) = (true, false);
    // the reverse way opened explicitly; then `oneway:foot` says which way
    let mut foot_way = None;
    if (oneway == Some("yes") && oneway_foot == Some("no"))
        || tag("foot:backward").as_deref() == Some("yes")
    {
        backward = true;
        foot_way = oneway_value(oneway_foot);
    }
    let roundabout = matches!(tag("junction").as_deref(), Some("roundabout" | "circular"));
    if roundabout || oneway_value(oneway) == Some(true) {
        let foot_only = matches!(
            tag("highway").as_deref(),
            Some("footway" | "pedestrian" | "steps" | "path")
        ) || oneway_foot.is_some();
        if !foot_only {
            backward = forward;
        } else if backward {
            match foot_way {
                Some(true) => forward = false,
                Some(false) => forward = true,
                None => {}
            }
        }
    } else if !backward && matches!(oneway_foot, None | Some("no")) {
        backward = forward;
    }
    if let Some(b) = tag("foot:backward") {
        backward = any_in(Some(&b), FOOT_YES);
    }
    if oneway == Some("-1") {
        (forward, backward) = (backward, forward);
    }
    if oneway_foot == Some("-1") {
        (forward, backward) = (backward, forward);
    }
    match (forward, backward) {
        (true, false) => 1,
        (false, true) => -1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tags::tags;
    use super::*;

    #[test]
    fn walk_directions() {
        let dir = |t: &[(&str, &str)]| walk_dir(&tags(t));
        // a car one-way is walked both ways, on a pedestrian street it is one-way on foot too
        assert_eq!(dir(&[("highway", "residential"), ("oneway", "yes")]), 0);
        assert_eq!(dir(&[("highway", "pedestrian"), ("oneway", "yes")]), 1);
        assert_eq!(dir(&[("highway", "footway"), ("oneway", "-1")]), -1);
        assert_eq!(dir(&[("highway", "steps"), ("oneway", "1")]), 1);
        assert_eq!(dir(&[("highway", "path"), ("junction", "roundabout")]), 1);
        assert_eq!(dir(&[("highway", "pedestrian")]), 0);
        assert_eq!(dir(&[("highway", "pedestrian"), ("oneway", "no")]), 0);
        // `oneway:foot` opens it, or makes any way one-way on foot
        let open = [
            ("highway", "pedestrian"),
            ("oneway", "yes"),
            ("oneway:foot", "no"),
        ];
        assert_eq!(dir(&open), 0);
        let foot = [
            ("highway", "residential"),
            ("oneway", "yes"),
            ("oneway:foot", "yes"),
        ];
        assert_eq!(dir(&foot), 1);
        assert_eq!(
            dir(&[("highway", "residential"), ("oneway:foot", "yes")]),
            1
        );
        assert_eq!(
            dir(&[("highway", "residential"), ("oneway:foot", "-1")]),
            -1
        );
        let back = [
            ("highway", "footway"),
            ("oneway", "yes"),
            ("foot:backward", "yes"),
        ];
        assert_eq!(dir(&back), 0);
    }

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
