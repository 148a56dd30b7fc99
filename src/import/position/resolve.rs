//! The communes a row names, looked up once per row: the coordinate check
//! ([`super::coords::repair`]), the INSEE code / postcode contradiction and the derivations
//! ([`super::place::complete`]) all read the same [`RowCommunes`] instead of each looking the
//! commune up again by its codes and name.

use super::shapes::{CommuneShape, CommuneShapes, contradicts};

/// What a row says about its commune, resolved against the commune shapes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowCommunes<'a> {
    pub shapes: &'a CommuneShapes,
    /// The commune of the row's INSEE code.
    pub by_code: Option<&'a CommuneShape>,
    /// `by_code`, when the postcode is of another département and not one of its own (an INSEE
    /// code copied from a namesake): see [`CommuneShapes::contradicted`].
    pub contradicted: Option<&'a CommuneShape>,
    /// The commune the position is checked against: the INSEE code's unless the postcode
    /// contradicts it, else the one of this name in the postcode's département.
    pub stated: Option<&'a CommuneShape>,
    /// The row's postcode, when it has five digits.
    pub code_postal: Option<&'a str>,
    /// The communes of the postcode (indexes into [`CommuneShapes::all`]).
    postcode: &'a [u32],
    /// When no commune is `stated`: the communes of the row's name in other départements than
    /// the postcode's (indexes into [`CommuneShapes::all`]); the postcode contradicts them.
    elsewhere: &'a [u32],
    /// When no commune is `stated` and La Poste does not know the postcode (a CEDEX code): the
    /// communes of its département.
    departement: &'a [u32],
    /// The row's postcode as given, when it has five digits (known to La Poste or not), as a
    /// number: see [`RowCommunes::given_postcode`].
    given_postcode: Option<u32>,
}

impl<'a> RowCommunes<'a> {
    pub fn new(
        shapes: &'a CommuneShapes,
        code_insee: Option<&str>,
        code_postal: Option<&str>,
        commune: Option<&str>,
    ) -> RowCommunes<'a> {
        let by_code = code_insee.and_then(|c| shapes.by_code(c));
        let contradicted = by_code
            .zip(code_postal)
            .and_then(|(c, cp)| contradicts(c, cp));
        let mut stated = match by_code {
            Some(c) if contradicted.is_none() => Some(c),
            _ => code_postal
                .zip(commune)
                .and_then(|(cp, name)| shapes.by_name(cp, name)),
        };
        let given_postcode = code_postal.and_then(super::keys::postcode_key);
        let (code_postal, postcode) = match code_postal.and_then(|cp| shapes.postcode(cp)) {
            Some((cp, indexes)) => (Some(cp), indexes),
            None => (None, &[][..]),
        };
        // Not found in the postcode's département: the name may be of a commune elsewhere,
        // whose own postcode it is (a commune served by a neighbouring département's post
        // office) or that the postcode contradicts.
        let mut elsewhere = &[][..];
        if stated.is_none()
            && by_code.is_none()
            && let (Some(cp), Some(name)) =
                (code_postal.filter(|_| given_postcode.is_some()), commune)
        {
            let all = shapes.all();
            let named = shapes.named(name);
            match named
                .iter()
                .map(|&i| &all[i as usize])
                .find(|c| c.codes_postaux.iter().any(|p| p == cp))
            {
                Some(c) => stated = Some(c),
                None => elsewhere = named,
            }
        }
        let departement = match (stated, code_postal, given_postcode) {
            (None, None, Some(cp)) => super::keys::departement_of_postcode(&format!("{cp:05}"))
                .map_or(&[][..], |d| shapes.of_departement(&d)),
            _ => &[],
        };
        RowCommunes {
            shapes,
            departement,
            given_postcode,
            by_code,
            contradicted,
            stated,
            code_postal,
            postcode,
            elsewhere,
        }
    }

    /// The row's postcode as given, when it has five digits (known to La Poste or not).
    pub fn given_postcode(&self) -> Option<String> {
        self.given_postcode.map(|cp| format!("{cp:05}"))
    }

    /// The communes of the postcode's département, when La Poste does not know the postcode
    /// and no commune is found.
    pub fn of_departement(&self) -> impl ExactSizeIterator<Item = &'a CommuneShape> + Clone + 'a {
        let all = self.shapes.all();
        self.departement.iter().map(move |&i| &all[i as usize])
    }

    /// The communes of the row's name in other départements than its postcode's, when none
    /// of that name is in the postcode's.
    pub fn named_elsewhere(&self) -> impl ExactSizeIterator<Item = &'a CommuneShape> + Clone + 'a {
        let all = self.shapes.all();
        self.elsewhere.iter().map(move |&i| &all[i as usize])
    }

    /// The communes that La Poste gives the row's postcode.
    pub fn of_postcode(&self) -> impl ExactSizeIterator<Item = &'a CommuneShape> + Clone + 'a {
        let all = self.shapes.all();
        self.postcode.iter().map(move |&i| &all[i as usize])
    }
}
