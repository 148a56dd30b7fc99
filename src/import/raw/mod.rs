//! Raw producer files: a producer's own JSON or CSV, mapped into schema records by a mednum-cli
//! mapping config (`lieux import --mapping`): the config format ([`rules`]), its application to
//! rows ([`mapping`]), and French free-text opening hours converted to OSM ([`hours_fr`]).

pub(crate) mod hours_fr;
pub(crate) mod mapping;
pub(crate) mod rules;
