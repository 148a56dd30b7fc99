//! Names and addresses reduced to what identifies a place: folded words (case, accents,
//! punctuation and `St`/`Saint` ignored, [`crate::communes::fold`]), stop words dropped, the
//! many spellings of one kind of place as one token (`MSAP`, `Maison de services au public`,
//! `Espace France Services`, `EFS`… are all `franceservices`), street-type abbreviations
//! expanded.

use crate::communes::fold;

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

/// A place name as a sorted set of significant tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameTokens(Vec<String>);

impl NameTokens {
    /// Tokens of `name`: folded, kind phrases as one token, stop words dropped.
    pub fn new(name: &str) -> NameTokens {
        let folded = fold(name);
        let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
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
        NameTokens(out)
    }

    /// The tokens not in `other` (e.g. a name without the words of its commune).
    pub fn without(&self, other: &NameTokens) -> NameTokens {
        NameTokens(self.0.iter().filter(|w| !other.has(w)).cloned().collect())
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
