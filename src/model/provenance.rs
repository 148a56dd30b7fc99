//! Position provenance: how a place's position was obtained (`source`, `precision`, `score`),
//! stored in the FlatGeobuf snapshot and shown in the GeoJSON properties. Set by the
//! import (producer coordinates, repaired or not) and by the geocoders ([`crate::geocode`]).

use std::fmt;
use std::str::FromStr;

/// Where a position comes from (`position.source` in the GeoJSON, `position_source` in the
/// snapshot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourcePosition {
    /// As given by the producer.
    Donnees,
    /// Given by the producer, repaired by a coordinate rule (decimal comma, swapped, Lambert-93…).
    Reparee,
    /// Geocoded from the address by a BAN geocoder.
    Ban,
    /// No usable address match: a point inside the row's commune (offline fallback).
    Commune,
}

/// How precise a position is (`position.precision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precision {
    /// The producer's own coordinates (precision unknown, usually the building).
    Producteur,
    Housenumber,
    Street,
    Locality,
    Municipality,
}

/// Defines `as_str`, `FromStr`, `Display` and serde-as-string for the two small enums above.
macro_rules! text_enum {
    ($name:ident { $($variant:ident => $text:literal,)+ }) => {
        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The word used in the snapshot and the API.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!("{s:?} is not a {}", stringify!($name))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

text_enum!(SourcePosition {
    Donnees => "donnees",
    Reparee => "reparee",
    Ban => "ban",
    Commune => "commune",
});

/// Where a place's `adresse` comes from when the producer gave no street address
/// (`position.adresse` in the GeoJSON, `adresse_source` in the snapshot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceAdresse {
    /// The commune name stands for the address (`adresse_from_commune` in the report).
    Commune,
    /// The address reverse geocoding found near the position
    /// (`adresse_from_reverse_geocoding`).
    GeocodageInverse,
}

text_enum!(SourceAdresse {
    Commune => "commune",
    GeocodageInverse => "geocodage_inverse",
});

text_enum!(Precision {
    Producteur => "producteur",
    Housenumber => "housenumber",
    Street => "street",
    Locality => "locality",
    Municipality => "municipality",
});

impl Precision {
    /// From a BAN `result_type` / `properties.type` (`housenumber`, `street`, `locality`,
    /// `municipality`); an unknown type counts as `locality`.
    pub fn from_ban_type(t: &str) -> Precision {
        match t {
            "housenumber" => Precision::Housenumber,
            "street" => Precision::Street,
            "municipality" => Precision::Municipality,
            _ => Precision::Locality,
        }
    }
}

/// How a place's position was obtained.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PositionOrigine {
    pub source: SourcePosition,
    pub precision: Precision,
    /// Geocoder score (0..1); absent for producer positions and the commune fallback.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

impl PositionOrigine {
    /// The producer's coordinates, as given (`reparee = false`) or repaired by a rule.
    pub fn producteur(reparee: bool) -> PositionOrigine {
        PositionOrigine {
            source: if reparee {
                SourcePosition::Reparee
            } else {
                SourcePosition::Donnees
            },
            precision: Precision::Producteur,
            score: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for s in SourcePosition::ALL {
            assert_eq!(s.as_str().parse::<SourcePosition>().ok(), Some(*s));
        }
        for p in Precision::ALL {
            assert_eq!(p.as_str().parse::<Precision>().ok(), Some(*p));
        }
        for a in SourceAdresse::ALL {
            assert_eq!(a.as_str().parse::<SourceAdresse>().ok(), Some(*a));
        }
        assert!("BAN".parse::<SourcePosition>().is_err());
        assert_eq!(Precision::from_ban_type("street"), Precision::Street);
        assert_eq!(Precision::from_ban_type("poi"), Precision::Locality);
    }
}
