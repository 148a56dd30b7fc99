//! Candidate pairs (the sweep over latitude bands) and the groups of duplicates built from
//! them by complete linkage, with their principal; see the rules in [`super`].

use super::{MAX_DISTANCE_M, Place, principal_order, same_place};
use crate::geodesy::{EARTH_RADIUS_M, haversine_m};

const NONE: u32 = u32::MAX;

/// [`MAX_DISTANCE_M`] in degrees of latitude.
fn band_deg() -> f64 {
    (MAX_DISTANCE_M / EARTH_RADIUS_M).to_degrees()
}

/// Every pair of slots `(i, j)`, `i < j`, of places that are duplicates ([`same_place`]), sorted.
pub fn duplicate_pairs<P: Place>(lieux: &[P]) -> Vec<(u32, u32)> {
    let band = band_deg();
    // (band, lon, lat, slot) of every positioned place, sorted by band then longitude
    let mut pts: Vec<(i64, f64, f64, u32)> = lieux
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            l.position()
                .map(|p| ((p.lat / band).floor() as i64, p.lon, p.lat, i as u32))
        })
        .collect();
    pts.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut out = Vec::new();
    let mut next_band = 0usize; // start of the band after the current one
    for (k, &(b, lon, lat, slot)) in pts.iter().enumerate() {
        if k == next_band {
            next_band = k + pts[k..].partition_point(|p| p.0 == b);
        }
        // longitude window: MAX_DISTANCE_M at the band's latitude farthest from the equator
        let cos = (lat.abs() + band).min(89.9).to_radians().cos();
        let dlon = band / cos;
        let mut check = |other: &(i64, f64, f64, u32)| {
            let (a, c) = (slot.min(other.3), slot.max(other.3));
            if same_place(&lieux[a as usize], &lieux[c as usize]) {
                out.push((a, c));
            }
        };
        // same band: the places after this one up to lon + dlon
        for other in pts[k + 1..next_band]
            .iter()
            .take_while(|p| p.1 <= lon + dlon)
        {
            check(other);
        }
        // next band: the places within lon ± dlon
        let end = next_band + pts[next_band..].partition_point(|p| p.0 == b + 1);
        let next = &pts[next_band..end];
        let from = next.partition_point(|p| p.1 < lon - dlon);
        for other in next[from..].iter().take_while(|p| p.1 <= lon + dlon) {
            check(other);
        }
    }
    out.sort_unstable();
    out
}

/// One group of duplicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    /// Slot of the member with the smallest id: its id is the group id.
    pub first: u32,
    /// Slot of the principal member.
    pub principal: u32,
    /// Number of members (≥ 2).
    pub members: u32,
    /// Where the group's members start in [`Groups`]' member list (principal order).
    start: u32,
}

/// The groups of a dataset, as a side table of its slots.
#[derive(Debug, Clone, Default)]
pub struct Groups {
    /// Group index of each slot, [`NONE`] for a place without duplicate.
    of_slot: Vec<u32>,
    groups: Vec<Group>,
    /// The members of every group, group after group, each group's in principal order.
    order: Vec<u32>,
}

impl Groups {
    /// Groups the places `lieux` (in any order: groups, group ids and principals depend only
    /// on the places, not on their order).
    ///
    /// **Complete linkage**: a group is a set of records in which *every* pair is a duplicate
    /// pair ([`same_place`]), so no two members are more than [`MAX_DISTANCE_M`] apart and a
    /// chain of places each close to the next never becomes one group. The pairs are taken
    /// closest first (ties by the members' ids, so the load order plays no part); two groups
    /// merge when every member of one is a duplicate of every member of the other.
    pub fn new<P: Place>(lieux: &[P]) -> Groups {
        let pairs = duplicate_pairs(lieux);
        if pairs.is_empty() {
            return Groups::default();
        }
        let is_pair = |a: u32, b: u32| pairs.binary_search(&(a.min(b), a.max(b))).is_ok();
        let distance =
            |a: u32, b: u32| match (lieux[a as usize].position(), lieux[b as usize].position()) {
                (Some(p), Some(q)) => haversine_m(p.lon, p.lat, q.lon, q.lat),
                _ => f64::INFINITY,
            };
        let id = |s: u32| lieux[s as usize].id();
        let ids_of = |(a, b): (u32, u32)| {
            if id(a) <= id(b) {
                (id(a), id(b))
            } else {
                (id(b), id(a))
            }
        };
        let mut edges: Vec<(f64, u32, u32)> =
            pairs.iter().map(|&(a, b)| (distance(a, b), a, b)).collect();
        edges.sort_unstable_by(|x, y| {
            x.0.total_cmp(&y.0)
                .then_with(|| ids_of((x.1, x.2)).cmp(&ids_of((y.1, y.2))))
        });
        // clusters being built: cluster index of each slot, members of each cluster
        let mut cluster_of = vec![NONE; lieux.len()];
        let mut clusters: Vec<Vec<u32>> = Vec::new();
        for &(_, a, b) in &edges {
            let (ca, cb) = (cluster_of[a as usize], cluster_of[b as usize]);
            if ca != NONE && ca == cb {
                continue;
            }
            let ma: &[u32] = if ca == NONE {
                std::slice::from_ref(&a)
            } else {
                &clusters[ca as usize]
            };
            let mb: &[u32] = if cb == NONE {
                std::slice::from_ref(&b)
            } else {
                &clusters[cb as usize]
            };
            if !ma.iter().all(|&x| mb.iter().all(|&y| is_pair(x, y))) {
                continue;
            }
            // merge into a's cluster (or a new one)
            let target = if ca == NONE {
                clusters.push(vec![a]);
                let c = (clusters.len() - 1) as u32;
                cluster_of[a as usize] = c;
                c
            } else {
                ca
            };
            let moved = if cb == NONE {
                vec![b]
            } else {
                std::mem::take(&mut clusters[cb as usize])
            };
            for &m in &moved {
                cluster_of[m as usize] = target;
            }
            clusters[target as usize].extend(moved);
        }
        // groups in the order of their smallest slot, members in principal order
        let mut members: Vec<Vec<u32>> = clusters.into_iter().filter(|c| c.len() >= 2).collect();
        for m in &mut members {
            m.sort_unstable_by(|&x, &y| principal_order(&lieux[x as usize], &lieux[y as usize]));
        }
        members.sort_unstable_by_key(|m| m.iter().copied().min());
        let mut of_slot = vec![NONE; lieux.len()];
        let mut groups = Vec::with_capacity(members.len());
        let mut order = Vec::new();
        for m in members {
            let g = groups.len() as u32;
            for &s in &m {
                of_slot[s as usize] = g;
            }
            let first = m
                .iter()
                .copied()
                .min_by(|&x, &y| id(x).cmp(id(y)))
                .unwrap_or(m[0]);
            groups.push(Group {
                first,
                principal: m[0],
                members: m.len() as u32,
                start: order.len() as u32,
            });
            order.extend(m);
        }
        Groups {
            of_slot,
            groups,
            order,
        }
    }

    /// The group of the place in `slot`, if it has duplicates.
    pub fn of(&self, slot: u32) -> Option<Group> {
        let g = *self.of_slot.get(slot as usize)?;
        (g != NONE).then(|| self.groups[g as usize])
    }

    /// Is the place in `slot` a duplicate that is not its group's principal (not listed by
    /// `exclure_doublons=true` when no filter is given)?
    pub fn is_hidden(&self, slot: u32) -> bool {
        self.of(slot).is_some_and(|g| g.principal != slot)
    }

    /// The members of `group`, in principal order (the principal first).
    pub fn members(&self, group: &Group) -> &[u32] {
        &self.order[group.start as usize..(group.start + group.members) as usize]
    }

    /// Is the place in `slot`, which matches a filter, the member listed for its group under
    /// that filter (`matches`): no member before it in principal order matches? A place
    /// without duplicates is always listed. So a group is listed when any member matches,
    /// through its best matching member.
    pub fn listed(&self, slot: u32, matches: impl Fn(u32) -> bool) -> bool {
        match self.of(slot) {
            None => true,
            Some(g) => self
                .members(&g)
                .iter()
                .take_while(|&&m| m != slot)
                .all(|&m| !matches(m)),
        }
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// No group at all.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Every group, in the order of their smallest member slot.
    pub fn iter(&self) -> impl Iterator<Item = &Group> {
        self.groups.iter()
    }

    /// Slots of the members of the group of `slot` (itself included), sorted.
    pub fn members_of(&self, slot: u32) -> Vec<u32> {
        match self.of(slot) {
            Some(g) => {
                let mut m = self.members(&g).to_vec();
                m.sort_unstable();
                m
            }
            None => vec![slot],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::tests::at;
    use crate::dedup::{Fiche, SOURCE_PRIORITY, evidence, source_rank};
    use crate::model::Lieu;
    use chrono::NaiveDate;

    #[test]
    fn sweep_equals_brute_force_on_dense_places() {
        // 1 500 places in a 0.03° square (bands and longitude windows crossed everywhere), at
        // 45° and at 70° of latitude, with few names and communes so that many pairs match
        let names = ["Médiathèque", "France services", "Mairie", "EPN"];
        for lat0 in [45.0, 70.0, -21.1] {
            let mut rng = crate::testdata::Rng::new(5);
            let lieux: Vec<Lieu> = (0..1500)
                .map(|i| {
                    let mut l = at(
                        &format!("p{i:04}"),
                        names[rng.below(names.len())],
                        2.0 + rng.range(0.0, 0.03),
                        lat0 + rng.range(0.0, 0.03),
                    );
                    l.code_insee = Some(format!("0700{}", rng.below(2)).into());
                    l
                })
                .collect();
            let mut brute = Vec::new();
            for i in 0..lieux.len() {
                for j in i + 1..lieux.len() {
                    if same_place(&lieux[i], &lieux[j]) {
                        brute.push((i as u32, j as u32));
                    }
                }
            }
            assert!(brute.len() > 1000, "{}", brute.len());
            assert_eq!(duplicate_pairs(&lieux), brute, "latitude {lat0}");
        }
    }

    #[test]
    fn groups_principal_and_stable_id() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
        let mut a = at("fs-2", "France services Thueyts", 4.2200, 44.6760);
        a.date_maj = d(2022, 12, 1);
        a.source = Some("ANCT France Services (liste-fs-20221201)".into());
        let mut b = at("hinaura-9", "France Services Thueyts", 4.2201, 44.6760);
        b.date_maj = d(2022, 12, 1);
        b.source = Some("Hinaura".into());
        let mut c = at("fs-1", "France services de Thueyts", 4.2202, 44.6760);
        c.date_maj = d(2021, 1, 1);
        let other = at("z", "Médiathèque", 4.2200, 44.6760);
        let mut lieux = vec![a, b, c, other];
        lieux.sort_by(|x, y| x.id.cmp(&y.id));
        let g = Groups::new(&lieux);
        assert_eq!(g.len(), 1);
        let ids: Vec<&str> = lieux.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["fs-1", "fs-2", "hinaura-9", "z"]);
        let group = g.of(0).expect("grouped");
        assert_eq!(group.first, 0, "group id = smallest id fs-1");
        assert_eq!(
            group.principal, 1,
            "same date: the France Services list wins"
        );
        assert_eq!(group.members, 3);
        assert!(g.is_hidden(0) && !g.is_hidden(1) && g.is_hidden(2) && !g.is_hidden(3));
        assert_eq!(g.members_of(2), [0, 1, 2]);
        assert_eq!(g.of(3), None);
        assert_eq!(source_rank(Some("Hinaura")), SOURCE_PRIORITY.len());
        assert_eq!(source_rank(Some("conseiller-numerique")), 1);
        assert_eq!(source_rank(None), SOURCE_PRIORITY.len() + 1);
    }

    #[test]
    fn fiches_group_like_the_places_they_come_from() {
        let ds = crate::Dataset::embedded().expect("embedded");
        let fiches: Vec<Fiche> = ds.lieux().iter().map(Fiche::from).collect();
        let (a, b) = (Groups::new(ds.lieux()), Groups::new(&fiches));
        assert!(a.len() >= 7, "the embedded list has duplicates");
        assert_eq!(a.iter().collect::<Vec<_>>(), b.iter().collect::<Vec<_>>());
    }

    /// Groups as sets of ids, sorted: what must not depend on the load order.
    fn id_groups(lieux: &[Lieu]) -> Vec<Vec<String>> {
        let g = Groups::new(lieux);
        let mut out: Vec<Vec<String>> = g
            .iter()
            .map(|grp| {
                let mut ids: Vec<String> = g
                    .members(grp)
                    .iter()
                    .map(|&s| lieux[s as usize].id.to_string())
                    .collect();
                ids.sort();
                ids
            })
            .collect();
        out.sort();
        out
    }

    /// Metres to degrees of latitude / of longitude at `lat`.
    fn dlat(m: f64) -> f64 {
        (m / EARTH_RADIUS_M).to_degrees()
    }
    fn dlon(m: f64, lat: f64) -> f64 {
        dlat(m) / lat.to_radians().cos()
    }

    #[test]
    fn grid_of_numbered_places_never_merges_and_twins_always_do() {
        // a 20 × 20 grid of places 120 m apart (below MAX_DISTANCE_M) whose names differ by a
        // number only; every third place is published twice, 30 m away, under the same name
        let (lat0, lon0) = (45.75, 4.85);
        let mut lieux = Vec::new();
        for i in 0..20 {
            for j in 0..20 {
                let n = i * 20 + j;
                // names share every word but the number (token Jaccard 0.6 without it)
                let name = match n % 3 {
                    0 => format!("Point numérique de la vallée {n}"),
                    1 => format!("Annexe numérique de la vallée n°{n}"),
                    _ => format!("Mairie annexe du {n}e arrondissement"),
                };
                let (lat, lon) = (
                    lat0 + dlat(120.0 * i as f64),
                    lon0 + dlon(120.0 * j as f64, lat0),
                );
                lieux.push(at(&format!("g{n:03}"), &name, lon, lat));
                if n % 3 == 0 {
                    lieux.push(at(
                        &format!("g{n:03}-bis"),
                        &name,
                        lon + dlon(30.0, lat),
                        lat,
                    ));
                }
            }
        }
        let want: Vec<Vec<String>> = (0..400)
            .filter(|n| n % 3 == 0)
            .map(|n| vec![format!("g{n:03}"), format!("g{n:03}-bis")])
            .collect();
        assert_eq!(id_groups(&lieux), want);
        let mut rng = crate::testdata::Rng::new(11);
        for _ in 0..5 {
            for i in (1..lieux.len()).rev() {
                lieux.swap(i, rng.below(i + 1));
            }
            assert_eq!(id_groups(&lieux), want, "shuffled input");
        }
    }

    #[test]
    fn chains_of_close_places_never_make_a_wide_group() {
        // 300 places of one name on a line, 90 m from the next (each pair within 200 m is a
        // duplicate pair): connected components would make one group 27 km wide
        let mut rng = crate::testdata::Rng::new(3);
        let mut lieux: Vec<Lieu> = (0..300)
            .map(|i| {
                let jitter = rng.range(-20.0, 20.0);
                at(
                    &format!("c{i:03}"),
                    "Médiathèque",
                    4.85 + dlon(90.0 * i as f64 + jitter, 45.75),
                    45.75,
                )
            })
            .collect();
        let groups = id_groups(&lieux);
        assert!(!groups.is_empty());
        let g = Groups::new(&lieux);
        for grp in g.iter() {
            let m = g.members(grp);
            for (i, &a) in m.iter().enumerate() {
                for &b in &m[i + 1..] {
                    assert!(
                        same_place(&lieux[a as usize], &lieux[b as usize]),
                        "{} / {} grouped but not duplicates",
                        lieux[a as usize].id,
                        lieux[b as usize].id
                    );
                }
            }
        }
        let widest = g
            .iter()
            .map(|grp| {
                let m = g.members(grp);
                let p = |s: u32| lieux[s as usize].position.expect("positioned");
                m.iter()
                    .flat_map(|&a| m.iter().map(move |&b| (a, b)))
                    .map(|(a, b)| haversine_m(p(a).lon, p(a).lat, p(b).lon, p(b).lat))
                    .fold(0.0, f64::max)
            })
            .fold(0.0, f64::max);
        assert!(widest <= MAX_DISTANCE_M, "widest group {widest} m");
        lieux.reverse();
        assert_eq!(id_groups(&lieux), groups, "reversed input");
    }

    #[test]
    fn listed_member_is_the_first_matching_in_principal_order() {
        let mut a = at("a", "France services Thueyts", 4.2200, 44.6760);
        a.date_maj = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
        let b = at("b", "France Services Thueyts", 4.2201, 44.6760);
        let c = at("c", "France services de Thueyts", 4.2202, 44.6760);
        let lieux = vec![a, b, c];
        let g = Groups::new(&lieux);
        let grp = g.of(0).expect("grouped");
        assert_eq!(g.members(&grp), [0, 1, 2], "a is the most recent, then ids");
        assert!(g.listed(0, |_| true));
        assert!(!g.listed(1, |_| true));
        assert!(g.listed(1, |s| s != 0), "a does not match: b is listed");
        assert!(!g.listed(2, |s| s != 0));
        assert!(g.listed(2, |s| s == 2));
        let e = evidence(&lieux[0], &lieux[2]).expect("duplicates");
        assert!(e.distance_m > 10.0 && e.distance_m < 20.0, "{e}");
        assert_eq!(e.name_score, 1.0);
        assert!(
            e.to_string()
                .starts_with("16 m apart, name similarity 1.00"),
            "{e}"
        );
    }
}
