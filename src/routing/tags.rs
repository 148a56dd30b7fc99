//! OSM tags → what the `car` profile makes of a way ([`super::build`] reads the ways).
//!
//! The car rules follow Valhalla's `auto` costing (numbers read in Valhalla's sources:
//! `lua/graph.lua`, `src/mjolnir/speed_assigner.h`, `src/mjolnir/graphenhancer.cc`,
//! `valhalla/sif/osrm_car_duration.h`; rules restated here, no code taken). The complete table
//! with sources is in `docs/routing.md`.
//!
//! # Car
//! - **Class** by `highway` (links take their road's class): motorway 0, trunk 1, primary 2,
//!   secondary 3, tertiary 4, unclassified 5, residential 6, anything else drivable (service,
//!   living_street, road, track) 7.
//! - **Speed** (km/h): `maxspeed` when tagged (km/h, `N mph`, French implicit values
//!   `FR:urban` 50, `FR:rural` 80, `FR:motorway` 130, `FR:zone30` 30, `walk` 5; `none` keeps the
//!   default), capped at 140. Otherwise the class default, rural 105, 90, 75, 60, 50, 40, 35, 25
//!   and urban (road density above [`URBAN_DENSITY`], see [`super::density`]) 89, 73, 57, 49,
//!   40, 35, 30, 20; untagged links ×0.85 (motorway/trunk/primary links in urban areas ×0.8),
//!   untagged roundabouts ×0.5 (links and roundabouts rounded to whole km/h, as Valhalla
//!   stores them), `service=parking_aisle` 15, `driveway` / `drive-through` 10, tracks 5
//!   (`tracktype` grade1 20, grade2 15, grade3 12, grade4 10); rough surfaces ([`rough`]:
//!   tracks, paths and unpaved ways unless tagged paved) halve an untagged speed (whole km/h,
//!   rounded down: an untagged track is 2 km/h) and take 10 km/h (≥ 50) or 5 km/h (> 15) off a
//!   tagged one.
//! - **Ferries** (`route=ferry`, cars unless `motorcar`/`motor_vehicle`/`access` says no): the
//!   `duration` tag spread over the way, else 10 km/h under 2 km, 20 under 8 km, 30 beyond.
//! - **Direction**: `oneway` `yes`/`1`/`true` forward, `-1`/`reverse` backward, implied by
//!   `junction=roundabout|circular` and `highway=motorway` (unless `oneway=no`).
//! - **Access**: the most specific of `motorcar`, `motor_vehicle`, `vehicle`, `access` decides:
//!   `no`, `agricultural`, `forestry`, `emergency`, `psv`, `bus`, `discouraged` and `private`
//!   exclude the way; `destination`, `delivery`, `customers` keep it. `area=yes` is excluded.
//!
//! # Walk
//! In [`super::walk_tags`].

pub use super::walk_tags::walk_rule;

/// Road density (Valhalla's relative 0–15 scale) above which a road is urban.
pub const URBAN_DENSITY: u8 = 8;
/// Highest car speed, km/h (Valhalla's `top_speed` default).
pub const TOP_KMH: f64 = 140.0;

/// Rural and urban default speeds by class 0..=7, km/h.
const RURAL_KMH: [f64; 8] = [105.0, 90.0, 75.0, 60.0, 50.0, 40.0, 35.0, 25.0];
const URBAN_KMH: [f64; 8] = [89.0, 73.0, 57.0, 49.0, 40.0, 35.0, 30.0, 20.0];

/// What the car profile makes of a way, before the road density is known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CarWay {
    /// Road class 0 (motorway) ..= 7 (service and others).
    pub class: u8,
    /// `maxspeed`, km/h, when tagged and readable.
    pub tagged_kmh: Option<f64>,
    /// A fixed speed that density does not change (tracks, parking aisles, driveways), km/h.
    pub fixed_kmh: Option<f64>,
    pub link: bool,
    pub roundabout: bool,
    pub rough: bool,
    /// 1 forward only, -1 backward only, 0 both.
    pub dir: i8,
    /// A ferry: its `duration` in seconds when tagged (else `Some(None)`).
    pub ferry: Option<Option<f64>>,
}

impl CarWay {
    /// A ferry of this `duration` (seconds, when tagged) and direction.
    pub fn ferry(duration_s: Option<f64>, dir: i8) -> CarWay {
        CarWay {
            class: 2,
            tagged_kmh: None,
            fixed_kmh: None,
            link: false,
            roundabout: false,
            rough: false,
            dir,
            ferry: Some(duration_s),
        }
    }

    /// Speed (km/h) on a stretch whose end lies in an urban (`urban`) or rural area; for
    /// ferries without a duration, `way_m` (the way's length) chooses the speed.
    pub fn kmh(&self, urban: bool, way_m: f64) -> f64 {
        if let Some(d) = self.ferry {
            return match d {
                Some(s) if s > 0.0 => (way_m / s * 3.6).clamp(1.0, TOP_KMH),
                _ if way_m < 2_000.0 => 10.0,
                _ if way_m < 8_000.0 => 20.0,
                _ => 30.0,
            };
        }
        if let Some(t) = self.tagged_kmh {
            let t = t.min(TOP_KMH);
            return match self.rough {
                true if t >= 50.0 => t - 10.0,
                true if t > 15.0 => t - 5.0,
                _ => t,
            };
        }
        if let Some(f) = self.fixed_kmh {
            // Valhalla halves whole km/h (`speed / 2` on an integer)
            return if self.rough { (f / 2.0).floor() } else { f };
        }
        let c = usize::from(self.class.min(7));
        let mut kmh = if self.link {
            // links keep the rural class speed, lowered (Valhalla's ramp factors)
            // (whole km/h, rounded: `speed * factor + 0.5` on an integer)
            let factor = if urban && c <= 2 { 0.8 } else { 0.85 };
            (RURAL_KMH[c] * factor + 0.5).floor()
        } else if urban {
            URBAN_KMH[c]
        } else {
            RURAL_KMH[c]
        };
        if self.roundabout && !self.link {
            kmh = (kmh * 0.5 + 0.5).floor();
        }
        if self.rough && !self.link {
            kmh = (kmh / 2.0).floor();
        }
        kmh.max(1.0)
    }
}

/// Road class of a drivable `highway` value (`None` if cars cannot use it) and whether it is a
/// link.
pub fn car_class(highway: &str) -> Option<(u8, bool)> {
    Some(match highway {
        "motorway" => (0, false),
        "motorway_link" => (0, true),
        "trunk" => (1, false),
        "trunk_link" => (1, true),
        "primary" => (2, false),
        "primary_link" => (2, true),
        "secondary" => (3, false),
        "secondary_link" => (3, true),
        "tertiary" => (4, false),
        "tertiary_link" => (4, true),
        "unclassified" => (5, false),
        "residential" => (6, false),
        "living_street" | "service" | "road" | "track" => (7, false),
        _ => return None,
    })
}

/// Parses an OSM `maxspeed` value into km/h.
pub fn parse_maxspeed(v: &str) -> Option<f64> {
    let v = v.trim();
    let fixed = match v {
        "FR:urban" => Some(50.0),
        "FR:rural" => Some(80.0),
        "FR:motorway" => Some(130.0),
        "FR:zone30" | "FR:zone:30" => Some(30.0),
        "FR:walk" | "walk" => Some(5.0),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    let (num, factor) = match v.strip_suffix("mph") {
        Some(n) => (n.trim(), 1.609_344),
        None => (v.strip_suffix("km/h").unwrap_or(v).trim(), 1.0),
    };
    num.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x > 0.0 && *x < 300.0)
        .map(|x| x * factor)
}

/// Access values that keep cars out (Valhalla's `access` table; `private` too, as a
/// destination-only road lieux cannot yet model).
const NO_ACCESS: &[&str] = &[
    "no",
    "private",
    "agricultural",
    "forestry",
    "emergency",
    "psv",
    "bus",
    "discouraged",
];

/// Is the way's surface rough (Valhalla's `PavedRough` or worse, which halves an untagged car
/// speed)? Valhalla's reading (`src/mjolnir/pbfgraphparser.cc`, the `surface`, `tracktype` and
/// `smoothness` handlers, then the defaults by class and use when none is tagged):
/// - `surface`, matched by substring in this order: `unpaved` rough; `paved`, `asphalt`,
///   `concrete`, `cement`, `chipseal`, `metal` smooth; `paving_stones`, `sett`, `tartan`,
///   `grass_paver` smooth enough; `cobblestone`, `brick`, `compacted`, `wood`, `boardwalk`,
///   `dirt`, `natural`, `earth`, `ground`, `mud`, `clay`, `laterite`, `gravel`, `pebblestone`,
///   `sand`, `grass`, `stepping_stones` rough;
/// - else `tracktype` (any grade, grade1 being `PavedRough`) rough;
/// - else `smoothness` `intermediate` or worse rough;
/// - else a `sac_scale` rough; roads from motorway to residential smooth; tracks (dirt),
///   footways, paths and bridleways (compacted) rough; other service ways smooth.
pub fn rough(tag: &dyn Fn(&str) -> Option<String>, highway: &str) -> bool {
    if let Some(s) = tag("surface") {
        let s = s.to_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| s.contains(w));
        if s.contains("unpaved") {
            return true;
        }
        if has(&[
            "paved", "pavement", "asphalt", "concrete", "cement", "chipseal", "metal",
        ]) || has(&[
            "tartan",
            "pavingstone",
            "paving_stones",
            "sett",
            "grass_paver",
        ]) {
            return false;
        }
        if has(&[
            "cobblestone",
            "brick",
            "compacted",
            "wood",
            "boardwalk",
            "dirt",
            "natural",
            "earth",
            "ground",
            "mud",
            "clay",
            "laterite",
            "gravel",
            "pebblestone",
            "sand",
            "grass",
            "stepping_stones",
        ]) {
            return true;
        }
        // an unknown surface: Valhalla falls back to its defaults below, tracktype unread
    } else if let Some(t) = tag("tracktype") {
        if matches!(
            t.as_str(),
            "grade1" | "grade2" | "grade3" | "grade4" | "grade5"
        ) {
            return true;
        }
    } else if let Some(q) = tag("smoothness") {
        match q.as_str() {
            "excellent" | "good" => return false,
            "intermediate" | "bad" | "very_bad" | "horrible" | "very_horrible" | "impassable" => {
                return true;
            }
            _ => {}
        }
    }
    if tag("sac_scale").is_some() {
        return true;
    }
    matches!(
        highway,
        "track" | "footway" | "pedestrian" | "path" | "bridleway"
    )
}

/// Duration of a ferry, seconds, from an OSM `duration` (`HH:MM`, `HH:MM:SS` or minutes).
pub fn parse_duration_s(v: &str) -> Option<f64> {
    let parts: Vec<f64> = v
        .trim()
        .split(':')
        .map(|p| {
            p.trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
        })
        .collect::<Option<_>>()?;
    let s = match parts.as_slice() {
        [m] => m * 60.0,
        [h, m] => h * 3600.0 + m * 60.0,
        [h, m, s] => h * 3600.0 + m * 60.0 + s,
        _ => return None,
    };
    (s > 0.0).then_some(s)
}

/// A ferry (`route=ferry` without `highway`): its `duration`, seconds, when tagged.
pub fn ferry(tag: &dyn Fn(&str) -> Option<String>) -> Option<Option<f64>> {
    (tag("route").as_deref() == Some("ferry") && tag("highway").is_none())
        .then(|| tag("duration").and_then(|d| parse_duration_s(&d)))
}

/// Car rule: what cars make of a way, or `None`.
pub fn car_rule(tag: &dyn Fn(&str) -> Option<String>) -> Option<CarWay> {
    let access = tag("motorcar")
        .or_else(|| tag("motor_vehicle"))
        .or_else(|| tag("vehicle"))
        .or_else(|| tag("access"));
    if access.is_some_and(|a| NO_ACCESS.contains(&a.as_str())) {
        return None;
    }
    let oneway = tag("oneway");
    if let Some(duration) = ferry(tag) {
        let dir = match oneway.as_deref() {
            Some("yes" | "1" | "true") => 1,
            Some("-1" | "reverse") => -1,
            _ => 0,
        };
        return Some(CarWay::ferry(duration, dir));
    }
    let highway = tag("highway")?;
    let (class, link) = car_class(&highway)?;
    if tag("area").as_deref() == Some("yes") {
        return None;
    }
    let fixed_kmh = match (highway.as_str(), tag("service").as_deref()) {
        ("track", _) => Some(match tag("tracktype").as_deref() {
            Some("grade1") => 20.0,
            Some("grade2") => 15.0,
            Some("grade3") => 12.0,
            Some("grade4") => 10.0,
            _ => 5.0,
        }),
        ("service", Some("parking_aisle")) => Some(15.0),
        ("service", Some("driveway" | "drive-through")) => Some(10.0),
        _ => None,
    };
    let roundabout = matches!(tag("junction").as_deref(), Some("roundabout" | "circular"));
    let implied = highway == "motorway" || roundabout;
    let dir = match oneway.as_deref() {
        Some("yes" | "1" | "true") => 1,
        Some("-1" | "reverse") => -1,
        Some("no" | "false" | "0") => 0,
        _ if implied => 1,
        _ => 0,
    };
    Some(CarWay {
        class,
        tagged_kmh: tag("maxspeed").and_then(|m| parse_maxspeed(&m)),
        fixed_kmh,
        link,
        roundabout,
        rough: rough(tag, &highway),
        dir,
        ferry: None,
    })
}

/// Is the way one of the roads Valhalla counts in the road density (roads, ramps, plain
/// service roads; not tracks, living streets, driveways, parking aisles or ferries)?
pub fn counts_for_density(tag: &dyn Fn(&str) -> Option<String>) -> bool {
    let Some(highway) = tag("highway") else {
        return false;
    };
    match highway.as_str() {
        "service" => tag("service").is_none_or(|s| s == "alley" || s == "emergency_access"),
        "track" | "living_street" => false,
        h => car_class(h).is_some(),
    }
}

/// The tags of a way given as pairs, as the rules read them (for tests).
#[cfg(test)]
pub(crate) fn tags<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |k| {
        pairs
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| (*v).to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maxspeed_and_duration_forms() {
        for (v, want) in [
            ("50", Some(50.0)),
            ("30 mph", Some(30.0 * 1.609_344)),
            ("FR:urban", Some(50.0)),
            ("FR:rural", Some(80.0)),
            ("FR:motorway", Some(130.0)),
            ("FR:zone30", Some(30.0)),
            ("none", None),
            ("signals", None),
            ("70 km/h", Some(70.0)),
        ] {
            assert_eq!(parse_maxspeed(v), want, "{v}");
        }
        assert_eq!(parse_duration_s("00:45"), Some(2_700.0));
        assert_eq!(parse_duration_s("1:02:03"), Some(3_723.0));
        assert_eq!(parse_duration_s("20"), Some(1_200.0));
        assert_eq!(parse_duration_s("soon"), None);
    }

    fn car(pairs: &[(&str, &str)]) -> Option<CarWay> {
        car_rule(&tags(pairs))
    }

    #[test]
    fn car_speeds_as_valhalla_assigns_them() {
        let kmh = |pairs: &[(&str, &str)], urban| car(pairs).map(|c| c.kmh(urban, 0.0));
        assert_eq!(kmh(&[("highway", "motorway")], false), Some(105.0));
        assert_eq!(kmh(&[("highway", "primary")], true), Some(57.0));
        assert_eq!(kmh(&[("highway", "residential")], true), Some(30.0));
        assert_eq!(kmh(&[("highway", "residential")], false), Some(35.0));
        // a tagged limit holds in town and out
        assert_eq!(
            kmh(&[("highway", "primary"), ("maxspeed", "90")], true),
            Some(90.0)
        );
        assert_eq!(
            kmh(&[("highway", "primary"), ("maxspeed", "200")], false),
            Some(140.0)
        );
        // links: rural class speed lowered, more in town for the big classes
        assert_eq!(kmh(&[("highway", "motorway_link")], false), Some(89.0));
        assert_eq!(kmh(&[("highway", "motorway_link")], true), Some(84.0));
        assert_eq!(kmh(&[("highway", "tertiary_link")], true), Some(43.0));
        // roundabouts halve an untagged speed; rough surfaces too
        let r = [("highway", "secondary"), ("junction", "roundabout")];
        assert_eq!(kmh(&r, true), Some(25.0));
        assert_eq!(car(&r).map(|c| c.dir), Some(1));
        assert_eq!(
            kmh(&[("highway", "unclassified"), ("surface", "gravel")], false),
            Some(20.0)
        );
        let primary_50 = |surface| {
            [
                ("highway", "primary"),
                ("maxspeed", "50"),
                ("surface", surface),
            ]
        };
        assert_eq!(kmh(&primary_50("cobblestone"), true), Some(40.0));
        // Valhalla reads sett and paving stones as paved, not rough
        assert_eq!(kmh(&primary_50("sett"), true), Some(50.0));
        // tracks are rough unless a paved surface is tagged (Valhalla's default surface
        // for a track is dirt, any tracktype is rough): whole km/h halved
        assert_eq!(kmh(&[("highway", "track")], false), Some(2.0));
        assert_eq!(
            kmh(&[("highway", "track"), ("tracktype", "grade1")], false),
            Some(10.0)
        );
        assert_eq!(
            kmh(&[("highway", "track"), ("tracktype", "grade2")], false),
            Some(7.0)
        );
        assert_eq!(
            kmh(&[("highway", "track"), ("surface", "asphalt")], false),
            Some(5.0)
        );
        // smoothness speaks when neither surface nor tracktype does
        let smooth = |q| [("highway", "unclassified"), ("smoothness", q)];
        assert_eq!(kmh(&smooth("intermediate"), false), Some(20.0));
        assert_eq!(kmh(&smooth("good"), false), Some(40.0));
        // an unclassified road with a sac_scale is a path to Valhalla: rough
        assert_eq!(
            kmh(
                &[("highway", "unclassified"), ("sac_scale", "hiking")],
                false
            ),
            Some(20.0)
        );
        assert_eq!(
            kmh(
                &[("highway", "service"), ("service", "parking_aisle")],
                true
            ),
            Some(15.0)
        );
        assert_eq!(kmh(&[("highway", "living_street")], true), Some(20.0));
    }

    #[test]
    fn roads_counted_for_density() {
        assert!(counts_for_density(&tags(&[("highway", "residential")])));
        assert!(!counts_for_density(&tags(&[
            ("highway", "service"),
            ("service", "driveway")
        ])));
        assert!(!counts_for_density(&tags(&[("highway", "footway")])));
    }

    #[test]
    fn car_access_and_ferries() {
        assert_eq!(
            car(&[("highway", "residential"), ("oneway", "-1")]).map(|c| c.dir),
            Some(-1)
        );
        assert_eq!(car(&[("highway", "service"), ("access", "private")]), None);
        assert_eq!(
            car(&[("highway", "service"), ("motor_vehicle", "agricultural")]),
            None
        );
        assert!(
            car(&[
                ("highway", "service"),
                ("access", "no"),
                ("motor_vehicle", "yes")
            ])
            .is_some()
        );
        assert!(car(&[("highway", "residential"), ("access", "destination")]).is_some());
        assert!(car(&[("highway", "residential"), ("motor_vehicle", "delivery")]).is_some());
        assert_eq!(car(&[("highway", "footway")]), None);
        let ferry = car(&[("route", "ferry"), ("duration", "00:30")]);
        assert_eq!(ferry.map(|c| c.kmh(true, 10_000.0)), Some(20.0));
        let ferry = car(&[("route", "ferry")]);
        assert_eq!(ferry.map(|c| c.kmh(true, 1_000.0)), Some(10.0));
        assert_eq!(ferry.map(|c| c.kmh(true, 9_000.0)), Some(30.0));
        assert_eq!(car(&[("route", "ferry"), ("motor_vehicle", "no")]), None);
    }
}
