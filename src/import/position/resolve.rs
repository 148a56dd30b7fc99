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
        let stated = match by_code {
            Some(c) if contradicted.is_none() => Some(c),
            _ => code_postal
                .zip(commune)
                .and_then(|(cp, name)| shapes.by_name(cp, name)),
        };
        let (code_postal, postcode) = match code_postal.and_then(|cp| shapes.postcode(cp)) {
            Some((cp, indexes)) => (Some(cp), indexes),
            None => (None, &[][..]),
        };
        RowCommunes {
            shapes,
            by_code,
            contradicted,
            stated,
            code_postal,
            postcode,
        }
    }

    /// The communes that La Poste gives the row's postcode.
    pub fn of_postcode(&self) -> impl ExactSizeIterator<Item = &'a CommuneShape> + Clone + 'a {
        let all = self.shapes.all();
        self.postcode.iter().map(move |&i| &all[i as usize])
    }
}
