//! French territories from INSEE codes: département of a commune, région of a département,
//! and the [`Territoire`] (metropolitan France or one overseas territory) of a place or a point.
//! The département table is derived from `../shared/data/communes/communes-france.csv.gz`
//! (COG 2026).

/// `(code_departement, code_region)`, sorted by département code. The COM overseas
/// collectivities (975, 977, 978, 986, 987, 988) have no région and are absent.
pub const DEPARTEMENT_REGION: &[(&str, &str)] = &[
    ("01", "84"),
    ("02", "32"),
    ("03", "84"),
    ("04", "93"),
    ("05", "93"),
    ("06", "93"),
    ("07", "84"),
    ("08", "44"),
    ("09", "76"),
    ("10", "44"),
    ("11", "76"),
    ("12", "76"),
    ("13", "93"),
    ("14", "28"),
    ("15", "84"),
    ("16", "75"),
    ("17", "75"),
    ("18", "24"),
    ("19", "75"),
    ("21", "27"),
    ("22", "53"),
    ("23", "75"),
    ("24", "75"),
    ("25", "27"),
    ("26", "84"),
    ("27", "28"),
    ("28", "24"),
    ("29", "53"),
    ("2A", "94"),
    ("2B", "94"),
    ("30", "76"),
    ("31", "76"),
    ("32", "76"),
    ("33", "75"),
    ("34", "76"),
    ("35", "53"),
    ("36", "24"),
    ("37", "24"),
    ("38", "84"),
    ("39", "27"),
    ("40", "75"),
    ("41", "24"),
    ("42", "84"),
    ("43", "84"),
    ("44", "52"),
    ("45", "24"),
    ("46", "76"),
    ("47", "75"),
    ("48", "76"),
    ("49", "52"),
    ("50", "28"),
    ("51", "44"),
    ("52", "44"),
    ("53", "52"),
    ("54", "44"),
    ("55", "44"),
    ("56", "53"),
    ("57", "44"),
    ("58", "27"),
    ("59", "32"),
    ("60", "32"),
    ("61", "28"),
    ("62", "32"),
    ("63", "84"),
    ("64", "75"),
    ("65", "76"),
    ("66", "76"),
    ("67", "44"),
    ("68", "44"),
    ("69", "84"),
    ("70", "27"),
    ("71", "27"),
    ("72", "52"),
    ("73", "84"),
    ("74", "84"),
    ("75", "11"),
    ("76", "28"),
    ("77", "11"),
    ("78", "11"),
    ("79", "75"),
    ("80", "32"),
    ("81", "76"),
    ("82", "76"),
    ("83", "93"),
    ("84", "93"),
    ("85", "52"),
    ("86", "75"),
    ("87", "75"),
    ("88", "44"),
    ("89", "27"),
    ("90", "27"),
    ("91", "11"),
    ("92", "11"),
    ("93", "11"),
    ("94", "11"),
    ("95", "11"),
    ("971", "01"),
    ("972", "02"),
    ("973", "03"),
    ("974", "04"),
    ("976", "06"),
];

/// The département code of a commune INSEE code: 3 digits overseas (97x, 98x), else 2
/// (including `2A`/`2B`).
pub fn departement_of(code_insee: &str) -> Option<&str> {
    if code_insee.len() != 5 {
        return None;
    }
    let n = if code_insee.starts_with("97") || code_insee.starts_with("98") {
        3
    } else {
        2
    };
    code_insee.get(..n)
}

/// The région code of a département, when it belongs to one.
pub fn region_of_departement(dep: &str) -> Option<&'static str> {
    DEPARTEMENT_REGION
        .binary_search_by(|(d, _)| (*d).cmp(dep))
        .ok()
        .map(|i| DEPARTEMENT_REGION[i].1)
}

/// Is `code` a known région code?
pub fn is_region(code: &str) -> bool {
    DEPARTEMENT_REGION.iter().any(|(_, r)| *r == code)
}

/// Metropolitan France (Corsica included) or one overseas territory: the area a nearest
/// search stays in. A place's territory comes from its INSEE code (or postcode), a query
/// point's from its coordinates ([`Territoire::of_point`]). `repr(u8)`: the dataset keeps one
/// byte per place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Territoire {
    Metropole,
    Guadeloupe,
    Martinique,
    Guyane,
    LaReunion,
    SaintPierreEtMiquelon,
    Mayotte,
    SaintBarthelemy,
    SaintMartin,
    WallisEtFutuna,
    PolynesieFrancaise,
    NouvelleCaledonie,
}

/// A point farther than this from every territory's box belongs to none
/// ([`Territoire::of_point`]), metres.
pub const SEA_MARGIN_M: f64 = 200_000.0;

impl Territoire {
    /// Every territory, in `repr` order.
    pub const ALL: &'static [Territoire] = &[
        Territoire::Metropole,
        Territoire::Guadeloupe,
        Territoire::Martinique,
        Territoire::Guyane,
        Territoire::LaReunion,
        Territoire::SaintPierreEtMiquelon,
        Territoire::Mayotte,
        Territoire::SaintBarthelemy,
        Territoire::SaintMartin,
        Territoire::WallisEtFutuna,
        Territoire::PolynesieFrancaise,
        Territoire::NouvelleCaledonie,
    ];

    /// The name used in the API (`territoire=` and the answer's `territoire` member).
    pub fn as_str(self) -> &'static str {
        match self {
            Territoire::Metropole => "metropole",
            Territoire::Guadeloupe => "guadeloupe",
            Territoire::Martinique => "martinique",
            Territoire::Guyane => "guyane",
            Territoire::LaReunion => "la-reunion",
            Territoire::SaintPierreEtMiquelon => "saint-pierre-et-miquelon",
            Territoire::Mayotte => "mayotte",
            Territoire::SaintBarthelemy => "saint-barthelemy",
            Territoire::SaintMartin => "saint-martin",
            Territoire::WallisEtFutuna => "wallis-et-futuna",
            Territoire::PolynesieFrancaise => "polynesie-francaise",
            Territoire::NouvelleCaledonie => "nouvelle-caledonie",
        }
    }

    /// The territory named `name` ([`Territoire::as_str`]).
    pub fn from_name(name: &str) -> Option<Territoire> {
        Territoire::ALL.iter().copied().find(|t| t.as_str() == name)
    }

    /// The territory of a place from its INSEE code, or its postcode when the INSEE code is
    /// missing: 971 Guadeloupe, 972 Martinique, 973 Guyane, 974 La Réunion, 975
    /// Saint-Pierre-et-Miquelon, 976 Mayotte, 977 Saint-Barthélemy, 978 Saint-Martin, 986
    /// Wallis-et-Futuna, 987 Polynésie française, 988 Nouvelle-Calédonie; anything else is
    /// metropolitan. Saint-Barthélemy and Saint-Martin have Guadeloupe postcodes (97133,
    /// 97150: theirs when the INSEE code is absent) and had Guadeloupe INSEE codes until 2007
    /// (97123, 97127: theirs); the INSEE code 97133 is Trois-Rivières, in Guadeloupe.
    pub fn of_codes(code_insee: Option<&str>, code_postal: &str) -> Territoire {
        let (code, insee) = match code_insee.filter(|c| c.len() >= 3) {
            Some(c) => (c, true),
            None => (code_postal, false),
        };
        match code.get(..3) {
            // INSEE 97133 is Trois-Rivières, postcode 97133 Saint-Barthélemy
            Some("971") => match (code, insee) {
                ("97123", true) | ("97133", false) => Territoire::SaintBarthelemy,
                ("97127", true) | ("97150", false) => Territoire::SaintMartin,
                _ => Territoire::Guadeloupe,
            },
            Some("972") => Territoire::Martinique,
            Some("973") => Territoire::Guyane,
            Some("974") => Territoire::LaReunion,
            Some("975") => Territoire::SaintPierreEtMiquelon,
            Some("976") => Territoire::Mayotte,
            Some("977") => Territoire::SaintBarthelemy,
            Some("978") => Territoire::SaintMartin,
            Some("986") => Territoire::WallisEtFutuna,
            Some("987") => Territoire::PolynesieFrancaise,
            Some("988") => Territoire::NouvelleCaledonie,
            _ => Territoire::Metropole,
        }
    }

    /// The IANA time zone of the territory (Europe/Paris for metropolitan France).
    pub fn timezone(self) -> chrono_tz::Tz {
        use chrono_tz::Tz;
        match self {
            Territoire::Metropole => Tz::Europe__Paris,
            Territoire::Guadeloupe => Tz::America__Guadeloupe,
            Territoire::Martinique => Tz::America__Martinique,
            Territoire::Guyane => Tz::America__Cayenne,
            Territoire::LaReunion => Tz::Indian__Reunion,
            Territoire::SaintPierreEtMiquelon => Tz::America__Miquelon,
            Territoire::Mayotte => Tz::Indian__Mayotte,
            Territoire::SaintBarthelemy => Tz::America__St_Barthelemy,
            Territoire::SaintMartin => Tz::America__Marigot,
            Territoire::WallisEtFutuna => Tz::Pacific__Wallis,
            Territoire::PolynesieFrancaise => Tz::Pacific__Tahiti,
            Territoire::NouvelleCaledonie => Tz::Pacific__Noumea,
        }
    }

    /// The box `[min_lon, min_lat, max_lon, max_lat]` (WGS84 degrees) holding the territory's
    /// land, islands included, with a few kilometres to spare. The boxes are disjoint; none
    /// crosses the antimeridian. Metropolitan France's box also holds bits of its neighbours
    /// (a point in Geneva or Brussels searches French places).
    pub fn bbox(self) -> [f64; 4] {
        match self {
            Territoire::Metropole => [-5.6, 41.2, 9.8, 51.2],
            Territoire::Guadeloupe => [-61.9, 15.8, -60.95, 16.55],
            Territoire::Martinique => [-61.25, 14.38, -60.8, 14.9],
            Territoire::Guyane => [-54.65, 2.1, -51.6, 5.8],
            Territoire::LaReunion => [55.2, -21.4, 55.85, -20.85],
            Territoire::SaintPierreEtMiquelon => [-56.45, 46.7, -56.1, 47.15],
            Territoire::Mayotte => [44.95, -13.05, 45.35, -12.6],
            Territoire::SaintBarthelemy => [-62.96, 17.86, -62.78, 17.97],
            Territoire::SaintMartin => [-63.16, 18.04, -62.96, 18.13],
            Territoire::WallisEtFutuna => [-178.25, -14.4, -176.1, -13.15],
            Territoire::PolynesieFrancaise => [-155.0, -28.0, -134.0, -7.5],
            Territoire::NouvelleCaledonie => [163.5, -22.9, 168.2, -19.0],
        }
    }

    /// Great-circle distance from a point to the territory's box, metres (0 inside).
    pub fn distance_to_bbox_m(self, lon: f64, lat: f64) -> f64 {
        let [w, s, e, n] = self.bbox();
        let lat_in = lat.clamp(s, n);
        if (w..=e).contains(&lon) {
            return crate::geodesy::haversine_m(lon, lat, lon, lat_in);
        }
        // outside the longitudes: the nearer of the two sides, whichever way round the
        // antimeridian (a point at 179.99° E is 190 km from Wallis-et-Futuna's western side)
        let side = |x: f64| crate::geodesy::haversine_m(lon, lat, x, lat_in);
        side(w).min(side(e))
    }

    /// The territory of a query point: the one whose box holds it; for a point at sea, the
    /// territory whose box is nearest if within [`SEA_MARGIN_M`] (200 km); `None` farther
    /// than that from every box (the search then covers every territory).
    pub fn of_point(lon: f64, lat: f64) -> Option<Territoire> {
        let mut best: Option<(f64, Territoire)> = None;
        for &t in Territoire::ALL {
            let d = t.distance_to_bbox_m(lon, lat);
            if d == 0.0 {
                return Some(t);
            }
            if d <= SEA_MARGIN_M && best.is_none_or(|(b, _)| d < b) {
                best = Some((d, t));
            }
        }
        best.map(|(_, t)| t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn territories_of_codes_and_points() {
        let t = Territoire::of_codes;
        assert_eq!(t(Some("23096"), "23000"), Territoire::Metropole);
        assert_eq!(t(Some("2A004"), "20000"), Territoire::Metropole);
        assert_eq!(t(None, "97400"), Territoire::LaReunion);
        assert_eq!(t(Some("97611"), "97600"), Territoire::Mayotte);
        assert_eq!(t(None, "97133"), Territoire::SaintBarthelemy);
        assert_eq!(t(Some("97701"), "97133"), Territoire::SaintBarthelemy);
        assert_eq!(t(None, "97150"), Territoire::SaintMartin);
        assert_eq!(t(Some("97105"), "97100"), Territoire::Guadeloupe);
        assert_eq!(
            t(Some("97133"), "97114"),
            Territoire::Guadeloupe,
            "Trois-Rivières"
        );
        assert_eq!(
            t(Some("97123"), "97133"),
            Territoire::SaintBarthelemy,
            "before 2007"
        );
        assert_eq!(t(None, "98800"), Territoire::NouvelleCaledonie);
        assert_eq!(t(Some("98735"), "98714"), Territoire::PolynesieFrancaise);
        assert_eq!(t(None, "98000"), Territoire::Metropole, "Monaco");
        for (i, &x) in Territoire::ALL.iter().enumerate() {
            assert_eq!(x as usize, i);
            assert_eq!(Territoire::from_name(x.as_str()), Some(x));
            let [w, s, e, n] = x.bbox();
            assert!(w < e && s < n);
            for &y in &Territoire::ALL[i + 1..] {
                let [w2, s2, e2, n2] = y.bbox();
                assert!(
                    e < w2 || e2 < w || n < s2 || n2 < s,
                    "{x:?} and {y:?} overlap"
                );
            }
        }
        let p = Territoire::of_point;
        assert_eq!(p(2.0, 46.1), Some(Territoire::Metropole), "Creuse");
        assert_eq!(p(9.45, 42.7), Some(Territoire::Metropole), "Bastia");
        assert_eq!(p(45.23, -12.78), Some(Territoire::Mayotte));
        assert_eq!(p(55.45, -20.88), Some(Territoire::LaReunion));
        assert_eq!(p(-149.57, -17.53), Some(Territoire::PolynesieFrancaise));
        assert_eq!(p(-3.0, 46.0), Some(Territoire::Metropole), "Bay of Biscay");
        assert_eq!(
            p(-61.35, 15.45),
            Some(Territoire::Guadeloupe),
            "off Dominica"
        );
        assert_eq!(
            p(179.99, -13.5),
            Some(Territoire::WallisEtFutuna),
            "antimeridian"
        );
        assert_eq!(p(-30.0, 30.0), None, "mid-Atlantic");
        assert_eq!(p(13.4, 52.5), None, "Berlin");
    }

    #[test]
    fn lookups() {
        assert_eq!(departement_of("2A004"), Some("2A"));
        assert_eq!(departement_of("97411"), Some("974"));
        assert_eq!(departement_of("01001"), Some("01"));
        assert_eq!(region_of_departement("2B"), Some("94"));
        assert_eq!(region_of_departement("974"), Some("04"));
        assert_eq!(region_of_departement("988"), None);
        assert!(DEPARTEMENT_REGION.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
