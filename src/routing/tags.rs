//! OSM tags → what the `car` and `walk` profiles make of a way ([`super::build`] reads the ways).
//!
//! # Car
//! Default speeds (km/h) by `highway`, used when `maxspeed` is absent or unreadable:
//! motorway 130, motorway_link 70, trunk 110, trunk_link 60, primary 80, primary_link 50,
//! secondary 70, secondary_link 50, tertiary 60, tertiary_link 40, unclassified 50, road 40,
//! residential 30, living_street 15, service 20. `maxspeed` is read as km/h, `N mph`, or the
//! French implicit values `FR:urban` 50, `FR:rural` 80, `FR:motorway` 130, `FR:zone30` 30,
//! `FR:walk` 6; `walk` 6; `none` keeps the class default. Oneway: `yes`/`1`/`true` forward,
//! `-1`/`reverse` backward, implied by `junction=roundabout|circular` and `highway=motorway`
//! (unless `oneway=no`). Excluded: `motorcar`, else `motor_vehicle`, else `vehicle`, else
//! `access` in `no`/`private`/`agricultural`/`forestry`/`delivery`/`emergency`, and `area=yes`.
//!
//! # Walk
//! 5 km/h both ways on footway, pedestrian, path, steps, living_street, residential, service,
//! unclassified, road, track, tertiary/secondary/primary (and links), and on cycleway,
//! bridleway, trunk/trunk_link or motorway only with `foot=yes|designated|permissive`.
//! Excluded: `foot=no|private|use_sidepath`, or `access=no|private` without a `foot` permission.

/// Default car speed of a highway class, km/h; `None` if cars cannot use it.
pub fn car_default_kmh(highway: &str) -> Option<f64> {
    Some(match highway {
        "motorway" => 130.0,
        "motorway_link" => 70.0,
        "trunk" => 110.0,
        "trunk_link" => 60.0,
        "primary" => 80.0,
        "primary_link" => 50.0,
        "secondary" => 70.0,
        "secondary_link" => 50.0,
        "tertiary" => 60.0,
        "tertiary_link" => 40.0,
        "unclassified" => 50.0,
        "road" => 40.0,
        "residential" => 30.0,
        "living_street" => 15.0,
        "service" => 20.0,
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
        "FR:walk" | "walk" => Some(6.0),
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

const NO_ACCESS: &[&str] = &[
    "no",
    "private",
    "agricultural",
    "forestry",
    "delivery",
    "emergency",
];

/// Car rule: speed (km/h) and direction, or `None`.
pub fn car_rule(tag: &dyn Fn(&str) -> Option<String>) -> Option<(f64, i8)> {
    let highway = tag("highway")?;
    let default = car_default_kmh(&highway)?;
    if tag("area").as_deref() == Some("yes") {
        return None;
    }
    let access = tag("motorcar")
        .or_else(|| tag("motor_vehicle"))
        .or_else(|| tag("vehicle"))
        .or_else(|| tag("access"));
    if access.is_some_and(|a| NO_ACCESS.contains(&a.as_str())) {
        return None;
    }
    let speed = tag("maxspeed")
        .and_then(|m| parse_maxspeed(&m))
        .unwrap_or(default);
    let implied = highway == "motorway"
        || matches!(tag("junction").as_deref(), Some("roundabout" | "circular"));
    let dir = match tag("oneway").as_deref() {
        Some("yes" | "1" | "true") => 1,
        Some("-1" | "reverse") => -1,
        Some("no" | "false" | "0") => 0,
        _ if implied => 1,
        _ => 0,
    };
    Some((speed, dir))
}

/// Walk rule: may a pedestrian use the way?
pub fn walk_rule(tag: &dyn Fn(&str) -> Option<String>) -> bool {
    let Some(highway) = tag("highway") else {
        return false;
    };
    let foot = tag("foot");
    let allowed = matches!(foot.as_deref(), Some("yes" | "designated" | "permissive"));
    if matches!(foot.as_deref(), Some("no" | "private" | "use_sidepath")) {
        return false;
    }
    if !allowed && matches!(tag("access").as_deref(), Some("no" | "private")) {
        return false;
    }
    match highway.as_str() {
        "footway" | "pedestrian" | "path" | "steps" | "living_street" | "residential"
        | "service" | "unclassified" | "road" | "track" | "tertiary" | "tertiary_link"
        | "secondary" | "secondary_link" | "primary" | "primary_link" => true,
        "cycleway" | "bridleway" | "trunk" | "trunk_link" | "motorway" | "motorway_link" => allowed,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn maxspeed_forms() {
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
    }

    #[test]
    fn car_and_walk_rules() {
        assert_eq!(
            car_rule(&tags(&[("highway", "motorway")])),
            Some((130.0, 1))
        );
        assert_eq!(
            car_rule(&tags(&[("highway", "residential"), ("oneway", "-1")])),
            Some((30.0, -1))
        );
        assert_eq!(
            car_rule(&tags(&[
                ("highway", "primary"),
                ("junction", "roundabout"),
                ("maxspeed", "FR:urban")
            ])),
            Some((50.0, 1))
        );
        assert_eq!(
            car_rule(&tags(&[("highway", "service"), ("access", "private")])),
            None
        );
        assert_eq!(
            car_rule(&tags(&[
                ("highway", "service"),
                ("access", "no"),
                ("motor_vehicle", "yes")
            ])),
            Some((20.0, 0))
        );
        assert_eq!(car_rule(&tags(&[("highway", "footway")])), None);
        assert!(walk_rule(&tags(&[("highway", "footway")])));
        assert!(!walk_rule(&tags(&[("highway", "motorway")])));
        assert!(!walk_rule(&tags(&[("highway", "primary"), ("foot", "no")])));
        assert!(walk_rule(&tags(&[
            ("highway", "cycleway"),
            ("foot", "yes")
        ])));
    }
}
