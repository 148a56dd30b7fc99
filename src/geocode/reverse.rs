//! Reverse geocoding: the street address at a point, for rows that have coordinates but no
//! address. BAN protocol, as api-adresse.data.gouv.fr and addok (with `addok-csv`) speak it:
//! `POST {base}/reverse/csv/`, multipart form `data` = a CSV file `i,lat,lon`; the answer is the
//! same CSV with `result_latitude`, `result_longitude`, `result_label`, `result_distance`,
//! `result_type`, `result_housenumber`, `result_name`, `result_citycode`… appended (empty when
//! nothing is near). Rows of at most [`BanOptions::batch_size`] per request, decisions cached
//! like the forward ones (key `reverse|lat|lon`, 6 decimals).
//!
//! An answer is kept when it is an address (`housenumber`, `street` or `locality`, not a mere
//! `municipality`) within [`MAX_REVERSE_M`] metres of the point.
//!
//! [`BanOptions::batch_size`]: super::ban::BanOptions::batch_size

use std::sync::atomic::Ordering;

use super::ban::BanGeocoder;
use super::{GeocodeError, GeocodeHit, PositionOrigine, Precision, ReverseHit, SourcePosition};
use crate::model::Position;

/// Farthest address (metres from the point) taken as the place's address: a building's
/// entrance is rarely farther from its own address point.
pub const MAX_REVERSE_M: f64 = 150.0;

impl ReverseHit {
    /// As the cache stores decisions: the address point, the address as label (the full
    /// label and the distance after a tab), the precision.
    fn to_cached(&self, at: Position) -> GeocodeHit {
        GeocodeHit {
            position: at,
            origine: PositionOrigine {
                source: SourcePosition::Ban,
                precision: self.precision,
                score: Some(self.distance_m),
            },
            label: format!("{}\t{}", self.adresse, self.label),
            citycode: self.citycode.clone(),
        }
    }

    fn from_cached(hit: &GeocodeHit) -> Option<ReverseHit> {
        let (adresse, label) = hit.label.split_once('\t')?;
        Some(ReverseHit {
            adresse: adresse.to_owned(),
            label: label.to_owned(),
            distance_m: hit.origine.score?,
            precision: hit.origine.precision,
            citycode: hit.citycode.clone(),
        })
    }
}

/// Cache key of a point (a decision per point to the 6th decimal, ~0.1 m).
fn key(p: Position) -> String {
    format!("reverse|{:.6}|{:.6}", p.lat, p.lon)
}

impl BanGeocoder {
    /// The address at each point (`None`: nothing near enough), in order; cached. `progress` is
    /// called with the number of points done.
    pub fn reverse(
        &self,
        points: &[Position],
        progress: &dyn Fn(u64),
    ) -> Result<Vec<Option<ReverseHit>>, GeocodeError> {
        let mut out: Vec<Option<ReverseHit>> = vec![None; points.len()];
        let mut todo: Vec<usize> = Vec::new();
        {
            let cache = self.cache();
            let mut hits = 0;
            for (i, p) in points.iter().enumerate() {
                match cache.get(&key(*p)) {
                    Some(decided) => {
                        out[i] = decided.as_ref().and_then(ReverseHit::from_cached);
                        hits += 1;
                    }
                    None => todo.push(i),
                }
            }
            self.cache_hits.fetch_add(hits, Ordering::Relaxed);
            progress(hits);
        }
        for chunk in todo.chunks(self.options.batch_size.max(1)) {
            let asked: Vec<Position> = chunk.iter().map(|&i| points[i]).collect();
            let answers = self.reverse_batch(&asked)?;
            progress(chunk.len() as u64);
            let mut cache = self.cache();
            for (&i, answer) in chunk.iter().zip(answers) {
                cache.insert(
                    key(points[i]),
                    answer.as_ref().map(|(hit, at)| hit.to_cached(*at)),
                );
                out[i] = answer.map(|(hit, _)| hit);
            }
            cache.save()?;
        }
        Ok(out)
    }

    /// One `/reverse/csv/` request: the kept answer of each point, with the address point.
    fn reverse_batch(
        &self,
        points: &[Position],
    ) -> Result<Vec<Option<(ReverseHit, Position)>>, GeocodeError> {
        let url = format!("{}/reverse/csv/", self.base);
        let mut data = String::from("i,lat,lon\n");
        for (i, p) in points.iter().enumerate() {
            data.push_str(&format!("{i},{},{}\n", p.lat, p.lon));
        }
        let part = reqwest::blocking::multipart::Part::bytes(data.into_bytes())
            .file_name("lieux.csv")
            .mime_str("text/csv")
            .map_err(self.http_err(&url))?;
        let form = reqwest::blocking::multipart::Form::new().part("data", part);
        self.batches.fetch_add(1, Ordering::Relaxed);
        let body = self.send(&url, self.client.post(&url).multipart(form))?;
        parse_reverse(&body, points.len()).map_err(|reason| GeocodeError::Answer { url, reason })
    }
}

/// The kept answers of a `/reverse/csv/` answer, by row index.
fn parse_reverse(body: &str, n: usize) -> Result<Vec<Option<(ReverseHit, Position)>>, String> {
    let body = body.strip_prefix('\u{feff}').unwrap_or(body);
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(body.as_bytes());
    let headers = r.headers().map_err(|e| e.to_string())?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("no column {name} in the answer CSV"))
    };
    let (i_col, lat, lon, label, distance, kind, number, name) = (
        column("i")?,
        column("result_latitude")?,
        column("result_longitude")?,
        column("result_label")?,
        column("result_distance")?,
        column("result_type")?,
        column("result_housenumber")?,
        column("result_name")?,
    );
    let citycode = column("result_citycode").ok();
    let mut out = vec![None; n];
    for record in r.records() {
        let record = record.map_err(|e| e.to_string())?;
        let get = |c: usize| record.get(c).unwrap_or("").trim();
        let slot = get(i_col)
            .parse::<usize>()
            .ok()
            .and_then(|i| out.get_mut(i))
            .ok_or_else(|| format!("row index {:?} is not one we sent", get(i_col)))?;
        let num = |c: usize| get(c).parse::<f64>().ok();
        let (Some(la), Some(lo), Some(d)) = (num(lat), num(lon), num(distance)) else {
            continue; // nothing near
        };
        let precision = match get(kind) {
            "housenumber" => Precision::Housenumber,
            "street" => Precision::Street,
            "locality" => Precision::Locality,
            _ => continue, // a municipality is no street address
        };
        let adresse = match (precision, get(number)) {
            (Precision::Housenumber, n) if !n.is_empty() && !get(name).starts_with(n) => {
                format!("{n} {}", get(name))
            }
            _ => get(name).to_owned(),
        };
        let (Some(at), false, true) = (
            Position::new_checked(lo, la),
            adresse.is_empty(),
            d <= MAX_REVERSE_M,
        ) else {
            continue;
        };
        *slot = Some((
            ReverseHit {
                adresse,
                label: get(label).to_owned(),
                distance_m: d,
                precision,
                citycode: citycode
                    .map(get)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned),
            },
            at,
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_kept_when_addresses_near_the_point() {
        // the columns addok-csv 1.1 writes (checked against a local addok 1.2.1)
        let body = "\u{feff}i,lat,lon,result_latitude,result_longitude,result_label,result_distance,result_type,result_id,result_housenumber,result_name,result_postcode,result_city,result_citycode,result_context\n\
            0,47.4711,-0.5511,47.471,-0.551,12 Rue de la Paix 49000 Angers,13,housenumber,49007_0,12,Rue de la Paix,49000,Angers,49007,Angers\n\
            1,47.46,-0.56,47.46,-0.56,Angers,0,municipality,49007,,Angers,49000,Angers,49007,\n\
            2,43.0,5.0,,,,,,,,,,,,\n\
            3,47.0,-0.5,47.01,-0.5,Rue Loin 49000 Angers,1100,street,x,,Rue Loin,49000,Angers,49007,\n\
            4,47.0,-0.5,47.0,-0.5,La Croix 49000 Angers,40,locality,x,,La Croix,49000,Angers,49007,\n";
        let out = parse_reverse(body, 5).expect("parsed");
        let first = out[0]
            .as_ref()
            .map(|(h, _)| (h.adresse.as_str(), h.distance_m));
        assert_eq!(first, Some(("12 Rue de la Paix", 13.0)));
        assert_eq!(
            out[0].as_ref().and_then(|(h, _)| h.citycode.as_deref()),
            Some("49007")
        );
        assert!(out[1].is_none(), "a municipality is not an address");
        assert!(out[2].is_none(), "nothing near");
        assert!(out[3].is_none(), "too far");
        let locality = out[4]
            .as_ref()
            .map(|(h, _)| (h.adresse.as_str(), h.precision));
        assert_eq!(locality, Some(("La Croix", Precision::Locality)));
        assert!(
            parse_reverse("i,lat\n0,1\n", 1).is_err(),
            "not a reverse answer"
        );
        assert!(parse_reverse(body, 2).is_err(), "a row we did not send");
    }

    #[test]
    fn cached_form_round_trips() {
        let hit = ReverseHit {
            adresse: "12 Rue de la Paix".into(),
            label: "12 Rue de la Paix 49000 Angers".into(),
            distance_m: 13.0,
            precision: Precision::Housenumber,
            citycode: Some("49007".into()),
        };
        let at = Position::new_checked(-0.551, 47.471).expect("position");
        assert_eq!(ReverseHit::from_cached(&hit.to_cached(at)), Some(hit));
    }
}

/// A BAN geocoder used for reverse geocoding only: the live `POST /v1/imports` of a server
/// started with `--geocoder URL` gives rows with coordinates and no street address the address
/// at their point, as `lieux import --geocoder URL` does, but places no row by its address
/// (that stays `geocoder=offline`, the commune fallback).
#[derive(Debug)]
pub struct ReverseOnly(pub std::sync::Arc<BanGeocoder>);

impl super::Geocoder for ReverseOnly {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn geocode(
        &self,
        queries: &[super::AddressQuery],
        _progress: &dyn Fn(u64),
    ) -> Result<Vec<Option<GeocodeHit>>, GeocodeError> {
        Ok(vec![None; queries.len()])
    }

    fn places(&self) -> bool {
        false
    }

    fn reverse(
        &self,
        points: &[Position],
        progress: &dyn Fn(u64),
    ) -> Option<Result<Vec<Option<ReverseHit>>, GeocodeError>> {
        super::Geocoder::reverse(self.0.as_ref(), points, progress)
    }

    fn stats(&self) -> super::GeocodeStats {
        self.0.stats()
    }
}
