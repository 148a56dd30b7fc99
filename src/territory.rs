//! French territories from INSEE codes: département of a commune, région of a département.
//! Table derived from `../shared/data/communes/communes-france.csv.gz` (COG 2026).

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

#[cfg(test)]
mod tests {
    use super::*;

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
