//! Offline fallback: a row is placed at a point inside its commune, found by INSEE code, else by
//! postcode and name, in the embedded commune table ([`crate::commune_table`]: every commune and the
//! Paris/Lyon/Marseille arrondissements, with an interior point from IGN ADMIN EXPRESS, i.e. a
//! point guaranteed inside the polygon, unlike a centroid). `precision: municipality`, no score.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::SourcePosition;
use super::{
    AddressQuery, GeocodeError, GeocodeHit, GeocodeStats, Geocoder, PositionOrigine, Precision,
    Tally,
};
use crate::commune_table::{CommuneEntry, CommuneTable, fold};
use crate::model::Position;

/// Places rows at their commune's interior point.
#[derive(Debug)]
pub struct CommuneGeocoder {
    table: &'static CommuneTable,
    /// (postcode, folded name) → index, built on the first row without a known INSEE code
    /// (folding the table's 35 k names was a fifth of the fixed cost of an import).
    by_postcode_name: OnceLock<PostcodeNames>,
    tally: Tally,
}

type PostcodeNames = HashMap<(&'static str, String), usize, foldhash::fast::RandomState>;

impl CommuneGeocoder {
    /// Over the embedded commune table.
    pub fn embedded() -> CommuneGeocoder {
        CommuneGeocoder::new(crate::commune_table::embedded())
    }

    pub fn new(table: &'static CommuneTable) -> CommuneGeocoder {
        CommuneGeocoder {
            table,
            by_postcode_name: OnceLock::new(),
            tally: Tally::default(),
        }
    }

    /// The row's commune: by INSEE code, else by postcode and name.
    pub fn find(&self, q: &AddressQuery) -> Option<&'static CommuneEntry> {
        let table = self.table;
        if let Some(c) = q.code_insee.as_deref().and_then(|c| table.by_code(c)) {
            return Some(c);
        }
        let map = self.by_postcode_name.get_or_init(|| {
            let n = table.all().iter().map(|c| c.codes_postaux.len()).sum();
            let mut map = PostcodeNames::with_capacity_and_hasher(n, Default::default());
            for (i, c) in table.all().iter().enumerate() {
                let name = fold(&c.nom);
                for cp in &c.codes_postaux {
                    map.insert((cp.as_str(), name.clone()), i);
                }
            }
            map
        });
        let key = (q.code_postal.as_str(), fold(&q.commune));
        map.get(&key).and_then(|i| table.all().get(*i))
    }
}

impl Geocoder for CommuneGeocoder {
    fn name(&self) -> &'static str {
        "commune"
    }

    fn geocode(
        &self,
        queries: &[AddressQuery],
        progress: &dyn Fn(u64),
    ) -> Result<Vec<Option<GeocodeHit>>, GeocodeError> {
        let out: Vec<Option<GeocodeHit>> = queries
            .iter()
            .map(|q| {
                let c = self.find(q)?;
                Some(GeocodeHit {
                    position: Position::new_checked(c.lon, c.lat)?,
                    origine: PositionOrigine {
                        source: SourcePosition::Commune,
                        precision: Precision::Municipality,
                        score: None,
                    },
                    label: format!("{} {}", c.code_insee, c.nom),
                    citycode: Some(c.code_insee.clone()),
                })
            })
            .collect();
        progress(queries.len() as u64);
        self.tally.ask(queries.len());
        Ok(self.tally.answer(out))
    }

    fn stats(&self) -> GeocodeStats {
        self.tally.stats()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(code_insee: Option<&str>, cp: &str, commune: &str) -> AddressQuery {
        AddressQuery {
            adresse: "1 place de la Mairie".into(),
            code_postal: cp.into(),
            commune: commune.into(),
            code_insee: code_insee.map(str::to_owned),
        }
    }

    #[test]
    fn by_code_then_postcode_and_name() {
        let g = CommuneGeocoder::embedded();
        let angers = g
            .find(&q(Some("49007"), "00000", ""))
            .map(|c| c.nom.as_str());
        assert_eq!(angers, Some("Angers"));
        let by_name = g
            .find(&q(None, "49000", "ANGERS"))
            .map(|c| c.code_insee.as_str());
        assert_eq!(by_name, Some("49007"));
        assert!(g.find(&q(None, "75001", "Angers")).is_none());
        let hits = g
            .geocode(
                &[q(Some("49007"), "49000", "Angers"), q(None, "", "")],
                &|_| {},
            )
            .unwrap_or_default();
        assert_eq!(hits.len(), 2);
        let h = hits[0].as_ref().map(|h| h.origine);
        assert_eq!(
            h.map(|o| (o.source, o.precision, o.score)),
            Some((SourcePosition::Commune, Precision::Municipality, None))
        );
        assert!(hits[1].is_none());
        assert_eq!(g.stats().placed, 1);
    }
}
