//! De-duplication: the same place published twice (by one producer once per service it offers,
//! or by several sources: France Services are also in regional and national files) is put in
//! one **group**; one member, the **principal**, stands for the group in listings
//! (`exclure_doublons=true`), every member stays in the dataset.
//!
//! **Rule** ([`same_place`]): two places are duplicates when
//! 1. both are positioned, within [`MAX_DISTANCE_M`] (great-circle), in the same commune (same
//!    `code_insee` when both have one, else the same `code_postal`), and neither position is
//!    only its commune's (geocoded at `municipality` precision: every such place of a commune
//!    sits on one point, which says nothing of where it is — and a million-row import with a
//!    few thousand of them would compare them all with each other);
//! 2. neither moves (`itinerance` Itinérant, or a name saying `Bus`, `itinérant(e)`, `mobile`):
//!    a mobile service is identified by its route, not by the home base it is published at — a
//!    France Services bus parked at the fixed site, or two buses of one operator, are other
//!    services;
//! 3. their names do not name different kinds of place (a `mairie` and the `médiathèque` it
//!    hosts; see [`text`]);
//! 4. their names are similar — Jaccard index of the name tokens ≥ [`NAME_SIMILARITY`] — or their
//!    addresses are equal once folded and the names still share enough
//!    (≥ [`NAME_SIMILARITY_SAME_ADDRESS`]). The words of the communes' names are left out of
//!    the comparison (every place of Saint-Genis-Laval would otherwise look alike), unless a
//!    name is nothing but its commune (`LA HAYE`).
//!
//! 5. their names do not carry different numbers (`Point 3` and `Point 4`, `Annexe 1` and
//!    `Annexe 2`, `Mairie du 3e` and `Mairie du 4e`; see [`text::NameTokens::numbers_conflict`]).
//!
//! **Groups** are cliques of that relation, built by complete linkage ([`Groups::new`]): every
//! pair of members is itself a duplicate pair, so no group is wider than [`MAX_DISTANCE_M`] and
//! a chain of places, each close to the next, never collapses into one group.
//!
//! **Principal** ([`principal_order`]): the most recent `date_maj`, then the source higher in
//! [`SOURCE_PRIORITY`], then the smallest id.
//!
//! **Filters apply to the group**: with `exclure_doublons=true` a group is listed when any of
//! its members matches the filter, through the first matching member in principal order
//! ([`Groups::listed`]); distances, positions and travel times are that member's. With no
//! filter that member is the principal.
//!
//! **Group id**: the smallest id among the members. It depends only on the members' ids, so it
//! does not change with load order, with places added elsewhere, or with a member's update; it
//! changes only if that smallest member leaves the group (or a new member with a smaller id
//! joins it).
//!
//! **Candidates** ([`duplicate_pairs`]): a sweep over places sorted by (latitude band of
//! [`MAX_DISTANCE_M`], longitude): each place is compared only with the places of its band and
//! the next one within the longitude window, so the work is O(n log n) plus the close pairs.
//! The tests check it against a brute-force scan of all pairs.

mod groups;
pub mod text;

use std::cmp::Ordering;

use crate::commune_table::fold;
use crate::geodesy::haversine_m;
use chrono::NaiveDate;

use crate::model::Precision;
use crate::model::{Itinerance, Lieu, Position};
pub use groups::{Group, Groups, duplicate_pairs};
use text::{NameTokens, address_key};

/// Largest distance between two records of one place, metres.
pub const MAX_DISTANCE_M: f64 = 200.0;
/// Name similarity (token Jaccard) that makes two close places in one commune the same place.
pub const NAME_SIMILARITY: f64 = 0.5;
/// Name similarity enough when the folded addresses are equal.
pub const NAME_SIMILARITY_SAME_ADDRESS: f64 = 0.25;

/// Source priority of the principal (after `date_maj`): the first entry whose words occur in a
/// place's folded `source` gives its rank; other sources come next, places without a source
/// last. The official France Services list first (`ANCT France Services (liste-fs-…)`,
/// `france-services`), then the national networks.
pub const SOURCE_PRIORITY: &[&str] =
    &["france services", "conseiller numerique", "aidants connect"];

/// What the rule reads of a place: a [`Lieu`], or a [`Fiche`] holding those fields alone (for
/// imports that stream their places to the snapshot and cannot keep whole records).
pub trait Place {
    fn id(&self) -> &str;
    fn nom(&self) -> &str;
    fn commune(&self) -> &str;
    fn adresse(&self) -> &str;
    fn code_postal(&self) -> &str;
    fn code_insee(&self) -> Option<&str>;
    fn position(&self) -> Option<Position>;
    /// The position is only its commune's (geocoded at `municipality` precision).
    fn approximate(&self) -> bool;
    /// `itinerance` says Itinérant.
    fn itinerant(&self) -> bool;
    fn date_maj(&self) -> NaiveDate;
    fn source(&self) -> Option<&str>;
}

/// The [`Place`] methods that read a field of the same name, for [`Lieu`] and [`Fiche`].
macro_rules! same_fields {
    () => {
        fn id(&self) -> &str {
            &self.id
        }
        fn nom(&self) -> &str {
            &self.nom
        }
        fn commune(&self) -> &str {
            &self.commune
        }
        fn adresse(&self) -> &str {
            &self.adresse
        }
        fn code_postal(&self) -> &str {
            &self.code_postal
        }
        fn code_insee(&self) -> Option<&str> {
            self.code_insee.as_deref()
        }
        fn position(&self) -> Option<Position> {
            self.position
        }
        fn date_maj(&self) -> NaiveDate {
            self.date_maj
        }
        fn source(&self) -> Option<&str> {
            self.source.as_deref()
        }
    };
}

impl Place for Lieu {
    same_fields!();
    fn approximate(&self) -> bool {
        self.position_origine
            .is_some_and(|o| o.precision == Precision::Municipality)
    }
    fn itinerant(&self) -> bool {
        self.itinerance.contains(&Itinerance::Itinerant)
    }
}

/// The fields of a place that the rule reads, a fraction of a [`Lieu`]'s size.
#[derive(Debug, Clone, PartialEq)]
pub struct Fiche {
    pub id: String,
    pub nom: String,
    pub commune: String,
    pub adresse: String,
    pub code_postal: String,
    pub code_insee: Option<String>,
    pub position: Option<Position>,
    pub approximate: bool,
    pub itinerant: bool,
    pub date_maj: NaiveDate,
    pub source: Option<String>,
}

impl From<&Lieu> for Fiche {
    fn from(l: &Lieu) -> Fiche {
        Fiche {
            id: l.id.to_string(),
            nom: l.nom.to_string(),
            commune: l.commune.to_string(),
            adresse: l.adresse.to_string(),
            code_postal: l.code_postal.to_string(),
            code_insee: l.code_insee.as_deref().map(str::to_owned),
            position: l.position,
            approximate: l.approximate(),
            itinerant: l.itinerant(),
            date_maj: l.date_maj,
            source: l.source.as_deref().map(str::to_owned),
        }
    }
}

impl Place for Fiche {
    same_fields!();
    fn approximate(&self) -> bool {
        self.approximate
    }
    fn itinerant(&self) -> bool {
        self.itinerant
    }
}

/// Rank of a source in [`SOURCE_PRIORITY`] (lower wins).
pub fn source_rank(source: Option<&str>) -> usize {
    match source {
        None => SOURCE_PRIORITY.len() + 1,
        Some(s) => {
            let f = format!(" {} ", fold(s));
            SOURCE_PRIORITY
                .iter()
                .position(|p| f.contains(&format!(" {p} ")))
                .unwrap_or(SOURCE_PRIORITY.len())
        }
    }
}

/// Order of precedence inside a group: `Less` when `a` should be the principal rather than `b`
/// (more recent `date_maj`, then higher source priority, then smaller id).
pub fn principal_order<P: Place>(a: &P, b: &P) -> Ordering {
    b.date_maj()
        .cmp(&a.date_maj())
        .then_with(|| source_rank(a.source()).cmp(&source_rank(b.source())))
        .then_with(|| a.id().cmp(b.id()))
}

fn same_commune<P: Place>(a: &P, b: &P) -> bool {
    match (a.code_insee(), b.code_insee()) {
        (Some(x), Some(y)) => x == y,
        _ => a.code_postal() == b.code_postal(),
    }
}

fn moves<P: Place>(l: &P, name: &NameTokens) -> bool {
    l.itinerant() || name.is_mobile()
}

/// Why two records were found to be one place: what an operator reads to audit a merge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evidence {
    /// Great-circle distance between the two positions, metres.
    pub distance_m: f64,
    /// Jaccard index of the name tokens (the commune's words left out, see the module doc).
    pub name_score: f64,
    /// The folded addresses are equal (what lowers the name bar to
    /// [`NAME_SIMILARITY_SAME_ADDRESS`]).
    pub same_address: bool,
}

impl std::fmt::Display for Evidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.0} m apart, name similarity {:.2}",
            self.distance_m, self.name_score
        )?;
        if self.same_address {
            f.write_str(", same address")?;
        }
        Ok(())
    }
}

/// The name and address part of the rule (conditions 2–4), for two places already known to be
/// close and in the same commune: the name score and whether the addresses are equal, when the
/// names say one place.
fn similar<P: Place>(a: &P, b: &P, full: bool) -> Option<(f64, bool)> {
    let (na, nb) = (NameTokens::new(a.nom()), NameTokens::new(b.nom()));
    if moves(a, &na) || moves(b, &nb) || na.kinds_conflict(&nb) || na.numbers_conflict(&nb) {
        return None;
    }
    let communes = NameTokens::new(&format!("{} {}", a.commune(), b.commune()));
    let (ra, rb) = (na.without(&communes), nb.without(&communes));
    let j = if ra.is_empty() || rb.is_empty() {
        na.jaccard(&nb)
    } else {
        ra.jaccard(&rb)
    };
    let same_address = || {
        let ka = address_key(a.adresse());
        !ka.is_empty() && ka == address_key(b.adresse())
    };
    if j >= NAME_SIMILARITY {
        // the addresses matter only to the report (`full`): the grouping skips them
        return Some((j, full && same_address()));
    }
    (j >= NAME_SIMILARITY_SAME_ADDRESS && same_address()).then_some((j, true))
}

/// The rule; `full` also compares the addresses of names similar enough without them (for
/// [`Evidence::same_address`]).
fn check<P: Place>(a: &P, b: &P, full: bool) -> Option<Evidence> {
    let (Some(p), Some(q)) = (a.position(), b.position()) else {
        return None;
    };
    if a.approximate() || b.approximate() || !same_commune(a, b) {
        return None;
    }
    let distance_m = haversine_m(p.lon, p.lat, q.lon, q.lat);
    if distance_m > MAX_DISTANCE_M {
        return None;
    }
    let (name_score, same_address) = similar(a, b, full)?;
    Some(Evidence {
        distance_m,
        name_score,
        same_address,
    })
}

/// Why `a` and `b` are two records of the same place, or `None` when they are not (the whole
/// rule, see the module doc).
pub fn evidence<P: Place>(a: &P, b: &P) -> Option<Evidence> {
    check(a, b, true)
}

/// Are `a` and `b` two records of the same place (the whole rule, see the module doc)?
pub fn same_place<P: Place>(a: &P, b: &P) -> bool {
    check(a, b, false).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Position;
    use crate::testdata::lieu;

    pub(super) fn at(id: &str, nom: &str, lon: f64, lat: f64) -> Lieu {
        let mut l = lieu(id.into(), Some(Position { lon, lat }));
        l.nom = nom.into();
        l.code_insee = Some("07322".into());
        l
    }

    #[test]
    fn rule_distance_commune_mobility_kinds() {
        let a = at("a", "France services Thueyts", 4.2200, 44.6760);
        let mut b = at("b", "France Services Thueyts", 4.2201, 44.6761);
        assert!(same_place(&a, &b));
        b.code_insee = Some("07001".into());
        assert!(!same_place(&a, &b), "other commune");
        let far = at("c", "France services Thueyts", 4.2200, 44.6790); // 333 m north
        assert!(!same_place(&a, &far));
        let bus = at("d", "Bus France services Thueyts", 4.2200, 44.6760);
        assert!(!same_place(&a, &bus));
        let mut fixe_itinerant = at("e", "France services Thueyts", 4.2200, 44.6760);
        fixe_itinerant.itinerance = [Itinerance::Itinerant].into();
        assert!(!same_place(&a, &fixe_itinerant));
        let mairie = at("f", "Mairie de Thueyts", 4.2200, 44.6760);
        let biblio = at("g", "Bibliothèque de Thueyts", 4.2200, 44.6760);
        assert!(!same_place(&mairie, &biblio));
    }

    #[test]
    fn same_address_lowers_the_name_bar() {
        let mut a = at("a", "Médiathèque de Seyssel", 5.8300, 45.9600);
        let mut b = at("b", "Médiathèque Victor Hugo", 5.8301, 45.9600);
        a.adresse = "14 Rue du Mont des Princes".into();
        b.adresse = "14 rue du Mont des Princes".into();
        assert!(same_place(&a, &b));
        b.adresse = "16 rue du Mont des Princes".into();
        assert!(!same_place(&a, &b));
    }

    #[test]
    fn commune_points_never_make_duplicates() {
        let a = at("a", "Médiathèque de Thueyts", 4.2200, 44.6760);
        let mut b = at("b", "Médiathèque de Thueyts", 4.2200, 44.6760);
        assert!(same_place(&a, &b));
        b.position_origine = Some(crate::model::PositionOrigine {
            source: crate::model::SourcePosition::Commune,
            precision: Precision::Municipality,
            score: None,
        });
        assert!(!same_place(&a, &b));
        assert!(!same_place(&Fiche::from(&b), &Fiche::from(&a)));
    }
}
