//! Query-string parsing into validated requests. Every failure names its parameter.

use chrono::{DateTime, Utc};

use crate::filter::{Filter, FilterError, PARAMETERS};
use crate::index::Bbox;
use crate::model::Position;

/// Largest `k` of `/v1/lieux/nearest`.
pub const MAX_K: usize = 1000;
/// Largest page (`limit`) of `/v1/lieux`.
pub const MAX_LIMIT: usize = 10_000;
/// Largest `radius_m` (1 000 km covers metropolitan France from its centre).
pub const MAX_RADIUS_M: f64 = 1_000_000.0;
/// Longest accepted query string, bytes.
pub const MAX_QUERY_BYTES: usize = 8 * 1024;

/// A bad parameter.
pub type ParamError = FilterError;

/// Decoded query pairs, in order.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub pairs: Vec<(String, String)>,
}

impl Query {
    /// Decodes `a=1&b=2` (percent-decoding, `+` as space). Rejects over-long strings.
    pub fn parse(raw: &str) -> Result<Query, ParamError> {
        if raw.len() > MAX_QUERY_BYTES {
            return Err(ParamError::new(
                "query",
                format!("query string longer than {MAX_QUERY_BYTES} bytes"),
            ));
        }
        let pairs = form_urlencoded::parse(raw.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Ok(Query { pairs })
    }

    /// Checks that every parameter is either one of `own` (at most once) or a filter.
    pub fn check_names(&self, own: &[&str]) -> Result<(), ParamError> {
        self.check(own, PARAMETERS)
    }

    /// [`Query::check_names`] for an endpoint that takes no filter: `own` alone.
    pub fn check_only(&self, own: &[&str]) -> Result<(), ParamError> {
        self.check(own, &[])
    }

    fn check(&self, own: &[&str], filters: &[&str]) -> Result<(), ParamError> {
        for (i, (k, _)) in self.pairs.iter().enumerate() {
            if own.contains(&k.as_str()) {
                if self.pairs[..i].iter().any(|(p, _)| p == k) {
                    return Err(ParamError::new(k.clone(), "given more than once"));
                }
            } else if !filters.contains(&k.as_str()) {
                let mut known: Vec<&str> = own.to_vec();
                known.extend_from_slice(filters);
                return Err(ParamError::new(
                    k.clone(),
                    format!("unknown parameter; expected one of: {}", known.join(", ")),
                ));
            }
        }
        Ok(())
    }

    /// The value of a non-filter parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The filters among the parameters.
    pub fn filter(&self, now: DateTime<Utc>) -> Result<Filter, ParamError> {
        Filter::from_pairs(
            self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            now,
        )
    }

    fn number(&self, name: &str) -> Result<Option<f64>, ParamError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => match v.trim().parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(Some(x)),
                _ => Err(ParamError::new(
                    name,
                    format!("expected a number, got {v:?}"),
                )),
            },
        }
    }

    /// An optional number within `[min, max]`.
    pub fn number_in(&self, name: &str, min: f64, max: f64) -> Result<Option<f64>, ParamError> {
        match self.number(name)? {
            Some(x) if !(min..=max).contains(&x) => Err(ParamError::new(
                name,
                format!("must be between {min} and {max}, got {x}"),
            )),
            other => Ok(other),
        }
    }

    /// An optional integer within `[min, max]`.
    pub fn integer_in(
        &self,
        name: &str,
        min: usize,
        max: usize,
    ) -> Result<Option<usize>, ParamError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => match v.trim().parse::<usize>() {
                Ok(x) if (min..=max).contains(&x) => Ok(Some(x)),
                _ => Err(ParamError::new(
                    name,
                    format!("expected an integer between {min} and {max}, got {v:?}"),
                )),
            },
        }
    }

    /// `lat` and `lon`: both or neither.
    pub fn position(&self) -> Result<Option<Position>, ParamError> {
        let lat = self.number_in("lat", -90.0, 90.0)?;
        let lon = self.number_in("lon", -180.0, 180.0)?;
        match (lat, lon) {
            (Some(lat), Some(lon)) => Ok(Some(Position { lon, lat })),
            (None, None) => Ok(None),
            (Some(_), None) => Err(ParamError::new("lon", "required with lat")),
            (None, Some(_)) => Err(ParamError::new("lat", "required with lon")),
        }
    }

    /// `bbox=minLon,minLat,maxLon,maxLat` in WGS84 degrees.
    pub fn bbox(&self) -> Result<Option<Bbox>, ParamError> {
        let Some(v) = self.get("bbox") else {
            return Ok(None);
        };
        let err = |m: &str| {
            ParamError::new(
                "bbox",
                format!("{m}; expected minLon,minLat,maxLon,maxLat in degrees, got {v:?}"),
            )
        };
        let n: Vec<f64> = v
            .split(',')
            .map(|s| s.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| err("not numbers"))?;
        let [min_lon, min_lat, max_lon, max_lat] = n[..] else {
            return Err(err("needs 4 numbers"));
        };
        if n.iter().any(|x| !x.is_finite()) {
            return Err(err("not finite"));
        }
        if !(-180.0..=180.0).contains(&min_lon) || !(-180.0..=180.0).contains(&max_lon) {
            return Err(err("longitudes must be within -180..180"));
        }
        if !(-90.0..=90.0).contains(&min_lat) || !(-90.0..=90.0).contains(&max_lat) {
            return Err(err("latitudes must be within -90..90"));
        }
        if min_lon > max_lon || min_lat > max_lat {
            return Err(err("inverted: min must not exceed max"));
        }
        Ok(Some(Bbox {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bbox_and_numbers() {
        let q = Query::parse("bbox=1,2,3,4&k=5&lat=91&x=1").expect("parse");
        assert_eq!(
            q.bbox().expect("ok"),
            Some(Bbox {
                min_lon: 1.0,
                min_lat: 2.0,
                max_lon: 3.0,
                max_lat: 4.0
            })
        );
        assert_eq!(q.integer_in("k", 1, 10).expect("ok"), Some(5));
        assert_eq!(
            q.number_in("lat", -90.0, 90.0)
                .expect_err("range")
                .parameter,
            "lat"
        );
        assert_eq!(
            q.check_names(&["bbox", "k", "lat"])
                .expect_err("unknown")
                .parameter,
            "x"
        );
        for bad in [
            "bbox=3,2,1,4",
            "bbox=1,2,3",
            "bbox=a,b,c,d",
            "bbox=1,2,3,NaN",
            "bbox=-200,0,0,0",
        ] {
            assert_eq!(
                Query::parse(bad)
                    .expect("parse")
                    .bbox()
                    .expect_err(bad)
                    .parameter,
                "bbox"
            );
        }
        assert_eq!(
            Query::parse("k=1&k=2")
                .expect("parse")
                .check_names(&["k"])
                .expect_err("twice")
                .parameter,
            "k"
        );
        assert_eq!(
            Query::parse("lat=1")
                .expect("parse")
                .position()
                .expect_err("lon")
                .parameter,
            "lon"
        );
    }
}
