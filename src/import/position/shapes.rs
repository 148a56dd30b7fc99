//! Commune polygons for the coordinate checks of an import: the file
//! `../shared/data/communes/communes-france-polygons.geojson.gz` (34 916 COM and ARM features,
//! properties `code_insee`, `type`, `nom`, `code_departement`, simplified MultiPolygons).
//!
//! A row's commune is found by its INSEE code, else by the département of its postcode and its
//! name compared without case, accents, hyphens, apostrophes and with `St`/`Ste` expanded.
//!
//! **Embedded shapes** ([`CommuneShapes::embedded`]): every import checks positions by default
//! against `data/communes-shapes.bin.gz`, the same polygons simplified to
//! [`EMBEDDED_TOLERANCE_DEG`] (Douglas-Peucker, ≈ 400 m), exterior rings only, written by
//! `lieux commune-shapes` ([`super::compact::write_compact`]). Format, gzip-compressed: the magic `LIEUXCS1`,
//! then per commune its 5-byte INSEE code, a ring count (u8) and per ring a point count
//! (LEB128) followed by the points as zigzag LEB128 deltas of (lon, lat) in 1e-4 degrees, the
//! first point of each commune relative to (0, 0). Names and postcodes come from the embedded
//! commune table ([`crate::commune_table::embedded`]), joined on the INSEE code. A file given with
//! `--communes` replaces the embedded shapes.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use geo::{Coord, MultiPolygon};

use rstar::{AABB, RTree, primitives::GeomWithData, primitives::Rectangle};

use crate::commune_table::CommuneEntry;

pub(super) use outline::{Outline, Reader};

use super::keys::{code_key, dep_key, departement_of_postcode, name_key_into, postcode_key};

/// Simplification tolerance of the embedded shapes, degrees (≈ 450 m of latitude): far below
/// the check's [`super::coords::MAX_OUTSIDE_KM`] tolerance, and the file stays within the
/// 5 MB data budget (see data/README.md).
pub const EMBEDDED_TOLERANCE_DEG: f64 = 0.004;

pub(super) const MAGIC: &[u8] = b"LIEUXCS1";

/// Commune polygons that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum CommuneShapesError {
    #[error("cannot read commune polygons {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a GeoJSON FeatureCollection of communes")]
    GeoJson {
        path: PathBuf,
        #[source]
        source: Box<geojson::Error>,
    },
    #[error("{path}: feature {index}: {reason}")]
    Feature {
        path: PathBuf,
        index: usize,
        reason: String,
    },
    #[error("compact commune shapes: {0}")]
    Compact(String),
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One commune.
#[derive(Debug, Clone)]
pub struct CommuneShape {
    pub code_insee: String,
    pub nom: String,
    /// La Poste postcodes of the commune (from the embedded commune table, borrowed: a copy per
    /// commune was 70 k allocations at the start of every import), ascending.
    pub codes_postaux: &'static [String],
    /// Legal population (embedded commune table; 0 when unknown).
    pub population: u64,
    /// The outline (see [`Outline`]): a row's check reads one commune's points, not a
    /// `MultiPolygon`'s vectors of vectors (at 1 M rows over random communes the pointer
    /// chasing was a cache miss per level).
    pub(super) outline: Outline,
    /// The bounding box of the outline, computed on first use (an import checks a few of the
    /// 35 k communes).
    bbox: OnceLock<Option<geo::Rect<f64>>>,
}

/// Kilometres per degree of latitude (mean Earth radius).
const KM_PER_DEG: f64 = 111.195;

impl CommuneShape {
    /// Is the point within `km` of the commune (inside, or at most `km` from its outline)?
    ///
    /// The check every imported row goes through, so it is cheap: a bounding-box rejection,
    /// the point-in-polygon test, then, for points just outside, the squared distance to each
    /// segment on a local equirectangular plane (no square root, no trigonometry per segment;
    /// within 0.1 % of the great-circle distance at these few kilometres). Measured with
    /// `benches/import.sh`: geo's `closest_point` + haversine per row cost a quarter of the
    /// import's CPU.
    pub fn within_km(&self, lon: f64, lat: f64, km: f64) -> bool {
        let Some(b) = self.bbox() else {
            return false;
        };
        let kx = KM_PER_DEG * lat.to_radians().cos();
        let (dx, dy) = (km / kx.max(1e-9), km / KM_PER_DEG);
        if lon < b.min().x - dx
            || lon > b.max().x + dx
            || lat < b.min().y - dy
            || lat > b.max().y + dy
        {
            return false;
        }
        if self.contains(lon, lat) {
            return true;
        }
        let km2 = km * km;
        let mut near = false;
        self.for_each_segment(|a, b| {
            // the segment and the point on a plane centred on the point, in km
            let (ax, ay) = ((a.x - lon) * kx, (a.y - lat) * KM_PER_DEG);
            let (bx, by) = ((b.x - lon) * kx, (b.y - lat) * KM_PER_DEG);
            near = segment_distance2(ax, ay, bx, by) <= km2;
            if near {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        near
    }

    /// Is the point inside the commune (inside an exterior ring and outside its holes)? The
    /// even-odd rule over every ring; a point on the outline may fall either way (the checks
    /// then find it at 0 km).
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        let Some(b) = self.bbox() else {
            return false;
        };
        if lon < b.min().x || lon > b.max().x || lat < b.min().y || lat > b.max().y {
            return false;
        }
        let mut inside = false;
        // each edge (pi, pj) of a ring, pj the point before pi, the first point's edge with
        // the last one taken at the end (the order does not change an even-odd count)
        let mut edge = |pi: Coord<f64>, pj: Coord<f64>| {
            if (pi.y > lat) != (pj.y > lat)
                && lon < (pj.x - pi.x) * (lat - pi.y) / (pj.y - pi.y) + pi.x
            {
                inside = !inside;
            }
        };
        self.outline.for_each_ring(|_, ring| {
            let Some(first) = ring.next() else {
                return ControlFlow::Continue(());
            };
            let mut pj = first;
            for pi in ring {
                edge(pi, pj);
                pj = pi;
            }
            edge(first, pj);
            ControlFlow::Continue(())
        });
        inside
    }

    /// The bounding box of the outline.
    pub(super) fn bbox(&self) -> Option<geo::Rect<f64>> {
        *self.bbox.get_or_init(|| self.outline.bbox())
    }

    /// Calls `f` with each segment of the exterior rings, in order, until it breaks.
    fn for_each_segment(&self, mut f: impl FnMut(Coord<f64>, Coord<f64>) -> ControlFlow<()>) {
        self.outline.for_each_ring(|exterior, ring| {
            if !exterior {
                return ControlFlow::Continue(());
            }
            let Some(mut a) = ring.next() else {
                return ControlFlow::Continue(());
            };
            for b in ring {
                f(a, b)?;
                a = b;
            }
            ControlFlow::Continue(())
        });
    }

    /// 0 inside, else the distance (km) to the nearest point of the outline, on the same local
    /// plane as [`CommuneShape::within_km`] (for report messages and the nearest commune).
    pub fn distance_km(&self, lon: f64, lat: f64) -> f64 {
        if self.contains(lon, lat) {
            return 0.0;
        }
        let kx = KM_PER_DEG * lat.to_radians().cos();
        let mut d2 = f64::INFINITY;
        self.for_each_segment(|a, b| {
            let (ax, ay) = ((a.x - lon) * kx, (a.y - lat) * KM_PER_DEG);
            let (bx, by) = ((b.x - lon) * kx, (b.y - lat) * KM_PER_DEG);
            d2 = d2.min(segment_distance2(ax, ay, bx, by));
            ControlFlow::Continue(())
        });
        d2.sqrt()
    }
}

/// Squared distance from the origin to the segment (a, b) of a plane.
fn segment_distance2(ax: f64, ay: f64, bx: f64, by: f64) -> f64 {
    let (ex, ey) = (bx - ax, by - ay);
    let len2 = ex * ex + ey * ey;
    let t = if len2 > 0.0 {
        (-(ax * ex + ay * ey) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (ax + t * ex, ay + t * ey);
    cx * cx + cy * cy
}

/// A hash map with a fast hasher: every imported row looks its commune up (SipHash on `String`
/// keys cost 3 % of an import).
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// The commune polygons, by INSEE code, by (département, normalised name), by postcode and by
/// position.
#[derive(Debug, Default)]
pub struct CommuneShapes {
    pub(super) communes: Vec<CommuneShape>,
    /// [`code_key`] → index.
    by_code: FastMap<u32, u32>,
    /// Normalised name → the communes proper (not arrondissements) of that name, the first
    /// of each département only (homonyms in one département: the first one wins), in file
    /// order: found by name in a postcode's département, or in every département.
    by_name: FastMap<String, Vec<u32>>,
    /// Per commune, its département ([`dep_key`]) as the name map compares it; 0 for none.
    name_deps: Vec<u32>,
    /// The key being built (one buffer for the 35 k names).
    name_buf: String,
    /// Postcode as a number → the postcode and its communes' indexes.
    by_postcode: FastMap<u32, (&'static str, Vec<u32>)>,
    /// Built on first use: only rows that lack their commune ask where a point is.
    rtree: OnceLock<RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>>,
    /// Département ([`dep_key`]) → its communes, built on first use: only rows with a postcode
    /// La Poste does not know (a CEDEX code) and no commune found ask.
    by_departement: OnceLock<FastMap<u32, Vec<u32>>>,
}

/// Département of an INSEE commune code (`2A`/`2B` kept, `97x`/`98x` on three characters).
pub(super) fn departement_of_code(code: &str) -> Option<String> {
    crate::territory::departement_of(code).map(str::to_owned)
}

impl CommuneShapes {
    /// Reads the polygons (GeoJSON, gzip-compressed when the name ends with `.gz`).
    pub fn from_path(path: &Path) -> Result<CommuneShapes, CommuneShapesError> {
        let io = |source| CommuneShapesError::Io {
            path: path.to_owned(),
            source,
        };
        let raw = crate::gzip::read_maybe_gzip(path).map_err(io)?;
        let text = String::from_utf8(raw)
            .map_err(|e| io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
        let fc: geojson::FeatureCollection =
            text.parse().map_err(|e| CommuneShapesError::GeoJson {
                path: path.to_owned(),
                source: Box::new(e),
            })?;
        let mut out = CommuneShapes::default();
        for (index, f) in fc.features.into_iter().enumerate() {
            let bad = |reason: &str| CommuneShapesError::Feature {
                path: path.to_owned(),
                index,
                reason: reason.to_owned(),
            };
            let prop = |k: &str| {
                f.property(k)
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
                    .ok_or_else(|| bad(&format!("no {k} property")))
            };
            let code_insee = prop("code_insee")?;
            let nom = prop("nom")?;
            let dep = prop("code_departement")?;
            let kind = prop("type")?;
            let Some(geometry) = f.geometry.as_ref() else {
                continue;
            };
            let shape: geo::Geometry<f64> = geometry
                .value
                .clone()
                .try_into()
                .map_err(|_| bad("geometry is not a polygon"))?;
            let shape = match shape {
                geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
                geo::Geometry::MultiPolygon(m) => m,
                _ => return Err(bad("geometry is not a polygon")),
            };
            out.push(code_insee, nom, Some(dep), kind == "COM", shape);
        }
        out.finish();
        Ok(out)
    }

    /// Adds one commune (postcodes and population from the embedded table); `com`: a commune
    /// proper (`COM`), found by name (arrondissements are found by code only).
    pub(super) fn push(
        &mut self,
        code_insee: String,
        nom: String,
        dep: Option<String>,
        com: bool,
        shape: MultiPolygon<f64>,
    ) {
        let mut points = Vec::new();
        let mut rings = Vec::new();
        for poly in &shape.0 {
            for (ring, exterior) in std::iter::once((poly.exterior(), true))
                .chain(poly.interiors().iter().map(|r| (r, false)))
            {
                points.extend_from_slice(&ring.0);
                rings.push((points.len() as u32, exterior));
            }
        }
        let row = crate::commune_table::embedded().by_code(&code_insee);
        let outline = Outline::Flat {
            points: points.into_boxed_slice(),
            rings: rings.into_boxed_slice(),
        };
        self.push_outline(code_insee, nom, dep, com, row, outline);
    }

    /// [`CommuneShapes::push`] with the outline ready and the commune's row of the embedded
    /// table (postcodes, population, and the name when `nom` is empty).
    pub(super) fn push_outline(
        &mut self,
        code_insee: String,
        nom: String,
        dep: Option<String>,
        com: bool,
        row: Option<&'static CommuneEntry>,
        outline: Outline,
    ) {
        let i = self.communes.len() as u32;
        if let Some(k) = code_key(&code_insee) {
            self.by_code.insert(k, i);
        }
        // the compact file has no names: the table's (keyed by the empty name, no commune
        // was ever found by name)
        let nom = if nom.is_empty() {
            row.map(|r| r.nom.clone()).unwrap_or_default()
        } else {
            nom
        };
        let dep = dep.filter(|_| com).and_then(|d| dep_key(&d)).unwrap_or(0);
        self.name_deps.push(dep);
        if dep != 0 {
            let mut key = std::mem::take(&mut self.name_buf);
            name_key_into(&nom, &mut key);
            match self.by_name.get_mut(key.as_str()) {
                Some(v) => {
                    if !v.iter().any(|&j| self.name_deps[j as usize] == dep) {
                        v.push(i);
                    }
                }
                None => {
                    self.by_name.insert(key.clone(), vec![i]);
                }
            }
            self.name_buf = key;
        }
        for cp in row.map(|r| r.codes_postaux.as_slice()).unwrap_or_default() {
            if let Some(k) = postcode_key(cp) {
                let (_, v) = self
                    .by_postcode
                    .entry(k)
                    .or_insert_with(|| (cp.as_str(), Vec::new()));
                v.push(i);
            }
        }
        self.communes.push(CommuneShape {
            nom,
            codes_postaux: row.map_or(&[][..], |r| r.codes_postaux.as_slice()),
            population: row.map_or(0, |r| r.population),
            code_insee,
            outline,
            bbox: OnceLock::new(),
        });
    }

    /// Empty, with room for `n` communes (the embedded file says how many: growing the vector
    /// and the maps by doubling touched twice their pages at the start of every import).
    pub(super) fn with_capacity(n: usize) -> CommuneShapes {
        CommuneShapes {
            communes: Vec::with_capacity(n),
            by_code: FastMap::with_capacity_and_hasher(n, Default::default()),
            by_name: FastMap::with_capacity_and_hasher(n, Default::default()),
            name_deps: Vec::with_capacity(n),
            by_postcode: FastMap::with_capacity_and_hasher(n / 6, Default::default()),
            ..CommuneShapes::default()
        }
    }

    /// Once every commune is in: the maps are not grown again.
    pub(super) fn finish(&mut self) {
        self.by_code.shrink_to_fit();
        self.by_name.shrink_to_fit();
        self.by_postcode.shrink_to_fit();
    }

    /// The spatial index of the communes' bounding boxes, built on first use (a 20 000-row
    /// import whose rows all name their commune never needs it: 2 % of its CPU).
    fn rtree(&self) -> &RTree<GeomWithData<Rectangle<[f64; 2]>, usize>> {
        self.rtree.get_or_init(|| {
            let rects = self
                .communes
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    let b = c.bbox()?;
                    Some(GeomWithData::new(
                        Rectangle::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]),
                        i,
                    ))
                })
                .collect();
            RTree::bulk_load(rects)
        })
    }

    /// Every commune, in file order.
    pub fn all(&self) -> &[CommuneShape] {
        &self.communes
    }

    /// The commune of `code_insee` when `code_postal` contradicts it: the postcode is of
    /// another département and not one of the commune's own postcodes (an INSEE code copied
    /// from a namesake: `63236` Mont-Dore, Puy-de-Dôme, for Le Mont-Dore, postcode 98800).
    pub fn contradicted(
        &self,
        code_insee: Option<&str>,
        code_postal: Option<&str>,
    ) -> Option<&CommuneShape> {
        contradicts(self.by_code(code_insee?)?, code_postal?)
    }

    /// The communes that La Poste gives this postcode.
    pub fn of_postcode(&self, code_postal: &str) -> Vec<&CommuneShape> {
        self.postcode(code_postal)
            .map(|(_, v)| v.iter().map(|&i| &self.communes[i as usize]).collect())
            .unwrap_or_default()
    }

    /// A postcode La Poste gives some commune, and the indexes of its communes (in
    /// [`CommuneShapes::all`]).
    pub(super) fn postcode(&self, code_postal: &str) -> Option<(&str, &[u32])> {
        let (cp, v) = self.by_postcode.get(&postcode_key(code_postal)?)?;
        Some((cp, v.as_slice()))
    }

    /// The commune by INSEE code.
    pub fn by_code(&self, code_insee: &str) -> Option<&CommuneShape> {
        let i = *self.by_code.get(&code_key(code_insee)?)?;
        self.communes.get(i as usize)
    }

    /// The commune whose shape holds the point (the smallest when shapes overlap, as a
    /// commune and the arrondissement inside it do), else the nearest within `max_km`.
    pub fn at(&self, lon: f64, lat: f64, max_km: f64) -> Option<&CommuneShape> {
        let rtree = self.rtree();
        let inside = rtree
            .locate_all_at_point([lon, lat])
            .map(|g| &self.communes[g.data])
            .filter(|c| c.contains(lon, lat))
            .min_by(|a, b| area(a).total_cmp(&area(b)));
        if inside.is_some() {
            return inside;
        }
        // a degree of latitude is 111 km; longitude degrees are shorter: search a box
        let d = max_km / 111.0 / lat.to_radians().cos().max(0.05);
        let envelope = AABB::from_corners([lon - d, lat - d], [lon + d, lat + d]);
        rtree
            .locate_in_envelope_intersecting(envelope)
            .map(|g| &self.communes[g.data])
            .filter(|c| c.within_km(lon, lat, max_km))
            .map(|c| (c.distance_km(lon, lat), c))
            .filter(|(km, _)| *km <= max_km)
            .min_by(|a, b| {
                a.0.total_cmp(&b.0)
                    .then_with(|| a.1.code_insee.cmp(&b.1.code_insee))
            })
            .map(|(_, c)| c)
    }

    pub fn len(&self) -> usize {
        self.communes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.communes.is_empty()
    }

    /// The commune by INSEE code, else by postcode département + name.
    pub fn find(
        &self,
        code_insee: Option<&str>,
        code_postal: Option<&str>,
        commune: Option<&str>,
    ) -> Option<&CommuneShape> {
        if let Some(c) = code_insee.and_then(|c| self.by_code(c)) {
            return Some(c);
        }
        self.by_name(code_postal?, commune?)
    }

    /// The communes (not arrondissements) named `commune` in any département (indexes into
    /// [`CommuneShapes::all`]).
    pub(super) fn named(&self, commune: &str) -> &[u32] {
        self.with_name_key(commune, |key| self.by_name.get(key))
            .map_or(&[], Vec::as_slice)
    }

    /// `f` with the name map's key of `commune`, in a reused buffer: every row without INSEE
    /// code looks its commune up by name.
    fn with_name_key<T>(&self, commune: &str, f: impl FnOnce(&str) -> T) -> T {
        thread_local! {
            static KEY: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        KEY.with_borrow_mut(|key| {
            name_key_into(commune, key);
            f(key)
        })
    }

    /// The communes of a département (indexes into [`CommuneShapes::all`]).
    pub(super) fn of_departement(&self, dep: &str) -> &[u32] {
        let map = self.by_departement.get_or_init(|| {
            let mut map: FastMap<u32, Vec<u32>> = FastMap::default();
            for (i, c) in self.communes.iter().enumerate() {
                if let Some(d) = crate::territory::departement_of(&c.code_insee).and_then(dep_key) {
                    map.entry(d).or_default().push(i as u32);
                }
            }
            map
        });
        dep_key(dep)
            .and_then(|d| map.get(&d))
            .map_or(&[], Vec::as_slice)
    }

    /// The commune by postcode département and name.
    pub(super) fn by_name(&self, code_postal: &str, commune: &str) -> Option<&CommuneShape> {
        let dep = dep_key(&departement_of_postcode(code_postal)?)?;
        let i = self.with_name_key(commune, |key| {
            self.by_name
                .get(key)?
                .iter()
                .copied()
                .find(|&i| self.name_deps[i as usize] == dep)
        })?;
        self.communes.get(i as usize)
    }
}

/// Is `code_postal` of another département than commune `c`, and not one of its own postcodes?
pub(super) fn contradicts<'a>(c: &'a CommuneShape, code_postal: &str) -> Option<&'a CommuneShape> {
    let dep = departement_of_postcode(code_postal)?;
    let own = departement_of_code(&c.code_insee)?;
    // Corsica: postcodes 20xxx are split 2A/2B by range, INSEE codes by letter
    let corsica = |d: &str| d == "2A" || d == "2B";
    let same = dep == own || (corsica(&dep) && corsica(&own));
    (!same && !c.codes_postaux.iter().any(|p| p == code_postal)).then_some(c)
}

fn area(c: &CommuneShape) -> f64 {
    c.bbox().map_or(f64::INFINITY, |b| b.width() * b.height())
}

mod outline;
#[cfg(test)]
mod tests;
