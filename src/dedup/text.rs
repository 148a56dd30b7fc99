//! Names and addresses reduced to what identifies a place: folded words (case, accents,
//! punctuation and `St`/`Saint` ignored, [`crate::commune_table::fold`]), stop words dropped, the
//! many spellings of one kind of place as one token (`MSAP`, `Maison de services au public`,
//! `Espace France Services`, `EFS`… are all `franceservices`), street-type abbreviations
//! expanded.

use crate::commune_table::fold;

/// Words that carry no identity in a French place name or address.
const STOP_WORDS: &[&str] = &[
    "a",
    "au",
    "aux",
    "d",
    "de",
    "des",
    "du",
    "en",
    "et",
    "l",
    "la",
    "le",
    "les",
    "sur",
    "sous",
    "pour",
    "dans",
    "association",
];

/// Phrases (folded, longest first within a kind) replaced by one token before splitting: the
/// kinds of places that producers spell in many ways.
const PHRASES: &[(&str, &str)] = &[
    ("maison de services au public", "franceservices"),
    ("maison des services au public", "franceservices"),
    ("maison de service au public", "franceservices"),
    ("maison des services", "franceservices"),
    ("maison de services", "franceservices"),
    ("maison france services", "franceservices"),
    ("maison france service", "franceservices"),
    ("espace france services", "franceservices"),
    ("espace france service", "franceservices"),
    ("france services", "franceservices"),
    ("france service", "franceservices"),
    ("msap", "franceservices"),
    ("mfs", "franceservices"),
    ("efs", "franceservices"),
    ("conseilleres numeriques", "conseillernumerique"),
    ("conseillers numeriques", "conseillernumerique"),
    ("conseillere numerique", "conseillernumerique"),
    ("conseiller numerique", "conseillernumerique"),
    ("cnfs", "conseillernumerique"),
    ("centre communal d action sociale", "ccas"),
    ("point information jeunesse", "pij"),
    ("information jeunesse", "pij"),
    ("info jeunes", "pij"),
    ("espace public numerique", "epn"),
    ("cyber espace", "epn"),
    ("cyberespace", "epn"),
    ("cyber base", "epn"),
    ("cyberbase", "epn"),
    ("maison des jeunes et de la culture", "mjc"),
    ("centre socio culturel", "centresocial"),
    ("centre socioculturel", "centresocial"),
    ("centre social", "centresocial"),
    ("mission locale", "missionlocale"),
    ("bibliotheque", "mediatheque"),
    ("itinerante", "mobile"),
    ("itinerant", "mobile"),
    ("bus", "mobile"),
];

/// Tokens naming what kind of place a name is: two names with kinds and no kind in common
/// (a `mairie` and the `médiathèque` it hosts) are different places.
const KINDS: &[&str] = &[
    "franceservices",
    "conseillernumerique",
    "mairie",
    "mediatheque",
    "ccas",
    "pij",
    "epn",
    "mjc",
    "centresocial",
    "missionlocale",
];

/// Street-type abbreviations of addresses.
const STREET_TYPES: &[(&str, &str)] = &[
    ("av", "avenue"),
    ("ave", "avenue"),
    ("bd", "boulevard"),
    ("bld", "boulevard"),
    ("bvd", "boulevard"),
    ("pl", "place"),
    ("r", "rue"),
    ("rte", "route"),
    ("che", "chemin"),
    ("chem", "chemin"),
    ("imp", "impasse"),
    ("all", "allee"),
    ("sq", "square"),
    ("fg", "faubourg"),
    ("gal", "general"),
    ("gen", "general"),
    ("dr", "docteur"),
];

/// Number of words of `phrase` (space-separated) if `words` starts with them.
fn phrase_at(words: &[&str], phrase: &str) -> Option<usize> {
    let mut n = 0;
    for p in phrase.split(' ') {
        if words.get(n) != Some(&p) {
            return None;
        }
        n += 1;
    }
    Some(n)
}

/// Ordinals written out in words (folded), with their number.
const ORDINAL_WORDS: &[(&str, u32)] = &[
    ("premier", 1),
    ("premiere", 1),
    ("deuxieme", 2),
    ("troisieme", 3),
    ("quatrieme", 4),
    ("cinquieme", 5),
    ("sixieme", 6),
    ("septieme", 7),
    ("huitieme", 8),
    ("neuvieme", 9),
    ("dixieme", 10),
];

/// Suffixes of a number written in digits: `3`, `3e`, `3eme`, `1er`, `1ere`, `2nd`, `2nde`.
const ORDINAL_SUFFIXES: &[&str] = &["", "e", "em", "eme", "ieme", "er", "ere", "nd", "nde"];

/// The number a folded word stands for (`3`, `3e`, `3eme`, `1er`, `troisieme`), if any.
/// Five-digit numbers are left out: in a name they are postcodes, which say where a place is,
/// not which one of several it is.
fn number_of(word: &str) -> Option<u32> {
    // most words are neither: one byte test before the table (this runs on every word of both
    // names of every candidate pair)
    let first = *word.as_bytes().first()?;
    if !first.is_ascii_digit() {
        if !word.ends_with("ieme") && !word.starts_with("premi") {
            return None;
        }
        return ORDINAL_WORDS
            .iter()
            .find(|(w, _)| *w == word)
            .map(|(_, n)| *n);
    }
    let digits = word.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits == 5 || digits > 9 || !ORDINAL_SUFFIXES.contains(&&word[digits..]) {
        return None;
    }
    word[..digits].parse().ok()
}

/// A place name as a sorted set of significant tokens, and the numbers it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameTokens(Vec<String>, Vec<u32>);

impl NameTokens {
    /// Tokens of `name`: folded, kind phrases as one token, stop words dropped; and the numbers
    /// and ordinals of the name (`Point 3`, `Mairie du 4e`, `Annexe premier étage`), sorted.
    pub fn new(name: &str) -> NameTokens {
        let folded = fold(name);
        let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
        let mut numbers: Vec<u32> = words.iter().filter_map(|w| number_of(w)).collect();
        numbers.sort_unstable();
        numbers.dedup();
        let mut out: Vec<String> = Vec::with_capacity(words.len());
        let mut i = 0;
        while i < words.len() {
            // the first (longest) phrase starting at word i, else the word itself
            let (token, len) = PHRASES
                .iter()
                .find_map(|(phrase, token)| phrase_at(&words[i..], phrase).map(|n| (*token, n)))
                .unwrap_or((words[i], 1));
            if !STOP_WORDS.contains(&token) {
                out.push(token.to_owned());
            }
            i += len;
        }
        out.sort_unstable();
        out.dedup();
        NameTokens(out, numbers)
    }

    /// The tokens not in `other` (e.g. a name without the words of its commune); the numbers
    /// are kept.
    pub fn without(&self, other: &NameTokens) -> NameTokens {
        NameTokens(
            self.0.iter().filter(|w| !other.has(w)).cloned().collect(),
            self.1.clone(),
        )
    }

    /// The numbers and ordinals of the name, sorted.
    pub fn numbers(&self) -> &[u32] {
        &self.1
    }

    /// Both names carry numbers and neither set holds the other: `Point 3` and `Point 4`,
    /// `Annexe 1` and `Annexe 2`, `Mairie du 3e` and `Mairie du 4e` are two places. A name
    /// with a number and one without (`France services Paris 15e`, `France services Paris`)
    /// do not conflict; neither do `Annexe 2` and `Annexe 2, 12 rue Haute`.
    pub fn numbers_conflict(&self, other: &NameTokens) -> bool {
        let (a, b) = (&self.1, &other.1);
        let subset = |x: &[u32], y: &[u32]| x.iter().all(|n| y.binary_search(n).is_ok());
        !a.is_empty() && !b.is_empty() && !subset(a, b) && !subset(b, a)
    }

    /// No token.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The tokens, sorted.
    pub fn tokens(&self) -> &[String] {
        &self.0
    }

    fn has(&self, token: &str) -> bool {
        self.0.binary_search_by(|w| w.as_str().cmp(token)).is_ok()
    }

    /// Jaccard index of the two token sets: |A ∩ B| / |A ∪ B| (0 when both are empty).
    pub fn jaccard(&self, other: &NameTokens) -> f64 {
        let common = self.0.iter().filter(|w| other.has(w)).count();
        let union = self.0.len() + other.0.len() - common;
        if union == 0 {
            0.0
        } else {
            common as f64 / union as f64
        }
    }

    /// Does the name say the place moves (`Bus`, `itinérant(e)`, `mobile`)?
    pub fn is_mobile(&self) -> bool {
        self.has("mobile")
    }

    /// Both names name a kind of place ([`KINDS`]) and no kind is common to both.
    pub fn kinds_conflict(&self, other: &NameTokens) -> bool {
        let mine: Vec<&str> = KINDS.iter().copied().filter(|k| self.has(k)).collect();
        let theirs: Vec<&str> = KINDS.iter().copied().filter(|k| other.has(k)).collect();
        !mine.is_empty() && !theirs.is_empty() && !mine.iter().any(|k| theirs.contains(k))
    }
}

/// An address folded, street types expanded, stop words dropped: `"16 Rue st Liesne"` and
/// `"16 rue Saint-Liesne"` are equal. Empty for an empty address.
pub fn address_key(address: &str) -> String {
    fold(address)
        .split(' ')
        .filter(|w| !w.is_empty() && !STOP_WORDS.contains(w))
        .map(|w| {
            STREET_TYPES
                .iter()
                .find(|(abbr, _)| *abbr == w)
                .map_or(w, |(_, full)| full)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str) -> NameTokens {
        NameTokens::new(name)
    }

    #[test]
    fn names_fold_to_the_same_tokens() {
        for (a, b) in [
            ("France services La Lechère", "Msap La Léchère"),
            (
                "France services Montagnes du Giffre",
                "Maison de Services Au Public des Montagnes du Giffre",
            ),
            (
                "France services Chaudes Aigues",
                "France Services de Chaudes Aigues",
            ),
            ("Mairie Sermoyer", "Mairie de Sermoyer"),
            ("France services Noirétable", "France Services à Noirétable"),
        ] {
            assert_eq!(t(a), t(b), "{a} / {b}");
            assert_eq!(t(a).jaccard(&t(b)), 1.0);
        }
        assert_eq!(
            t("Espace France Services Pays d'Huriel").tokens(),
            ["franceservices", "huriel", "pays"]
        );
    }

    #[test]
    fn similarity_kinds_and_mobility() {
        let fs = t("France services Saint-Gervais");
        let cn = t("Conseiller Numérique Saint Gervais d'Auvergne");
        assert!((fs.jaccard(&cn) - 2.0 / 5.0).abs() < 1e-12);
        assert!(fs.kinds_conflict(&cn));
        assert!(t("Mairie de Desingy").kinds_conflict(&t("Bibliothèque municipale de Desingy")));
        assert!(!t("Médiathèque de Seyssel").kinds_conflict(&t("Médiathèque Victor Hugo")));
        assert!(!t("APEJ").kinds_conflict(&t("France services Omega")));
        assert!(t("Bus France services Pimms Médiation Rennes").is_mobile());
        assert!(t("France services Ebreuil - Antenne itinérante").is_mobile());
        assert!(!t("France services Pimms Médiation Rennes").is_mobile());
        assert_eq!(t("").jaccard(&t("")), 0.0);
    }

    #[test]
    fn numbers_and_ordinals_tell_places_apart() {
        for (a, b) in [
            ("Point 3", "Point 4"),
            ("Annexe 1", "Annexe 2"),
            ("Mairie du 3e", "Mairie du 4e"),
            (
                "Mairie du 3ème arrondissement",
                "Mairie du 4ème arrondissement",
            ),
            ("Mairie annexe 1er", "Mairie annexe 2nd"),
            ("Espace premier étage", "Espace deuxième étage"),
            ("Médiathèque 12", "Médiathèque 2"),
        ] {
            assert!(t(a).numbers_conflict(&t(b)), "{a} / {b}");
        }
        for (a, b) in [
            ("Point 3", "Point n°3"),
            ("Mairie du 3e", "Mairie du troisième"),
            ("France services Paris 15e", "France services Paris"),
            ("Annexe 2", "Annexe 2, 12 rue Haute"),
            ("France services 75015", "France services Paris 15"),
            ("Médiathèque", "Médiathèque"),
        ] {
            assert!(!t(a).numbers_conflict(&t(b)), "{a} / {b}");
        }
        assert_eq!(t("Mairie du 1er, 3ème étage, 75001").numbers(), [1, 3]);
        assert_eq!(t("Les 3e4").numbers(), [] as [u32; 0]);
    }

    #[test]
    fn addresses_fold_abbreviations() {
        assert_eq!(
            address_key("16 Rue st Liesne"),
            address_key("16 Rue Saint Liesne")
        );
        assert_eq!(
            address_key("235 AV DU GENERAL DE GAULLE"),
            address_key("235 Avenue du Général de Gaulle")
        );
        assert_eq!(
            address_key("1 PL de l'Hôtel-de-Ville"),
            "1 place hotel ville"
        );
        assert_ne!(address_key("1 rue Pouget"), address_key("11 rue Pouget"));
        assert_eq!(address_key(" - "), "");
    }
}
