//! Group semantics (issue 15) on the travel-time endpoints and coverage: every shared file
//! loaded together plus generated groups on the Paris-centre road graph whose principal does not
//! match a filter while another member, 40–95 m away, does. `closest` and `reachable` time the
//! listed member (first matching in principal order) from its own position, and coverage counts
//! and uses only listed members; checked against the group oracle of `dedup_groups.rs` and the
//! brute-force travel times of `honest_times.rs`.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use lieux::Dataset;
use lieux::coverage::{CoverageCommune, Method, Prepared, compute};
use lieux::http::AppState;
use lieux::index::haversine_m;
use lieux::model::{Dispositif, Lieu, Position, Service};
use lieux::routing::{Graph, Located, Profile, Router};
use lieux::territory::Territoire;
use lieux::testdata::{Rng, synthetic_lieux};

use crate::dedup_endpoints::everything;
use crate::dedup_groups::{
    combinations, groups_in_principal_order, oracle, parse_at, query, single_filters,
};
use crate::honest_times::get_ok as json;

/// Word of letters only for generated names: two groups never have similar names.
fn word(rng: &mut Rng) -> String {
    let mut s: String = (0..7)
        .map(|_| char::from(b'a' + rng.below(26) as u8))
        .collect();
    s[..1].make_ascii_uppercase();
    s
}

/// Groups of 2 or 3 records on the nodes of `g`, each member 40–95 m from the principal (so within 190 m of each other): the
/// principal (newest `date_maj`) is never a France Services, the other members are, so that
/// under that filter the group is listed through a member elsewhere. Services are drawn at
/// random per member, so that other filters list through any member. Returns the records and
/// the ids of each group.
fn generated_groups(g: &Graph, count: usize, seed: u64) -> (Vec<Lieu>, Vec<Vec<String>>) {
    let mut rng = Rng::new(seed);
    let mut base = synthetic_lieux(count * 3, seed).into_iter();
    let (mut out, mut ids) = (Vec::new(), Vec::new());
    let date = |y, m| NaiveDate::from_ymd_opt(y, m, 1).expect("date");
    for i in 0..count {
        let name = format!("{} {}", word(&mut rng), word(&mut rng));
        let (x, y) = g.coord(rng.below(g.node_count()) as u32);
        let around: Vec<(f64, f64)> = (0..g.node_count() as u32)
            .map(|u| g.coord(u))
            .filter(|&(a, b)| (40.0..95.0).contains(&haversine_m(x, y, a, b)))
            .collect();
        if around.len() < 2 {
            continue;
        }
        let members = 2 + rng.below(2);
        let mut group = Vec::new();
        for m in 0..members {
            let Some(mut l) = base.next() else { break };
            let (lon, lat) = if m == 0 {
                (x, y)
            } else {
                around[rng.below(around.len())]
            };
            l.id = format!("gen-{i:03}-{m}").into();
            l.nom = name.as_str().into();
            l.adresse = format!("{} rue {}", 1 + i, word(&mut rng)).into();
            l.code_insee = Some("75104".into());
            l.code_postal = "75004".into();
            l.position = Some(Position { lon, lat });
            l.date_maj = date(2025 - m as i32, 6);
            l.dispositif_programmes_nationaux = if m == 0 {
                Default::default()
            } else {
                [Dispositif::FranceServices].into()
            };
            l.services = Service::ALL
                .iter()
                .copied()
                .filter(|_| rng.below(2) == 0)
                .collect();
            group.push(l.id.to_string());
            out.push(l);
        }
        ids.push(group);
    }
    (out, ids)
}

/// Every shared file plus 60 generated groups on the Paris-centre graph, with its router (snap
/// limit 1 km) and the ids of each generated group, checked to form the intended groups (the
/// newest member their principal).
fn paris_with_groups(seed: u64) -> Option<(Dataset, Router, Vec<Vec<String>>)> {
    let all = everything()?;
    let n = crate::routing::net("paris")?;
    let (extra, generated) = generated_groups(&n.car, 60, seed);
    let mut lieux = all.to_vec();
    lieux.extend(extra);
    let ds = Dataset::new(lieux);
    assert!(generated.len() > 40);
    for g in &generated {
        let slots: Vec<u32> = g.iter().map(|id| ds.slot_of(id).expect("slot")).collect();
        assert_eq!(ds.groups().members_of(slots[0]), slots, "{g:?}");
        assert!(!ds.groups().is_hidden(slots[0]), "{g:?}: the principal");
    }
    let router = Router::new(n.clone(), &ds, 1_000.0);
    Some((ds, router, generated))
}

/// `closest` and `reachable` on the Paris-centre graph, every shared file loaded plus generated
/// groups: the answer holds the oracle's members, timed from their own positions (road time,
/// or straight-line estimate off the graph), ranked with the rest.
#[tokio::test]
async fn closest_and_reachable_time_the_listed_member() {
    let Some((ds, router, generated)) = paris_with_groups(1515) else {
        return;
    };
    let st = AppState::with_router(ds, router);
    let (ds, router) = st.dataset_and_router();
    let (ds, router) = (&*ds, &*router.expect("router"));
    let groups = groups_in_principal_order(ds);
    let now = Utc::now();
    let fs = vec![(
        "dispositif_programmes_nationaux".to_owned(),
        "France Services".to_owned(),
    )];
    let mut filters = vec![Vec::new(), fs.clone()];
    for s in [Service::ALL[0], Service::ALL[3], Service::ALL[6]] {
        filters.push(vec![("services".into(), s.as_str().into())]);
        let mut both = fs.clone();
        both.push(("services".into(), s.as_str().into()));
        filters.push(both);
    }
    let mut rng = Rng::new(77);
    let mut seen = crate::honest_times::Seen::default();
    let mut through_member = 0;
    for pairs in &filters {
        let q = query(pairs);
        let listed: HashSet<u32> = oracle(ds, &groups, &parse_at(pairs, now))
            .into_iter()
            .collect();
        for profile in Profile::ALL {
            // query points beside generated groups: their principal's position
            for _ in 0..3 {
                let g = &generated[rng.below(generated.len())];
                let p = ds
                    .lieu(ds.slot_of(&g[0]).expect("slot"))
                    .position
                    .expect("pos");
                let at = (p.lon, p.lat);
                let terr = Territoire::of_point(at.0, at.1);
                let want = crate::estimate_floor::oracle(router, ds, profile, at, |s| {
                    listed.contains(&s) && Some(ds.territoire(s)) == terr
                });
                through_member += want
                    .iter()
                    .take(20)
                    .filter(|w| ds.groups().is_hidden(w.0))
                    .count();
                let mode = profile.as_str();
                for k in [1, 5, 20] {
                    let path = format!(
                        "/v1/lieux/closest?lat={}&lon={}&k={k}&mode={mode}{q}",
                        at.1, at.0
                    );
                    let v = json(&st, &path).await;
                    let want = &want[..k.min(want.len())];
                    crate::honest_times::check(&v, want, ds, router, profile, &path, &mut seen);
                }
                let minutes: &[u32] = match profile {
                    Profile::Car => &[1, 3],
                    Profile::Walk => &[5, 15],
                };
                for &m in minutes {
                    let path = format!(
                        "/v1/lieux/reachable?lat={}&lon={}&minutes={m}&mode={mode}{q}",
                        at.1, at.0
                    );
                    let v = json(&st, &path).await;
                    let limit = f64::from(m * 60);
                    let want: Vec<_> = want.iter().copied().filter(|w| w.1 <= limit).collect();
                    crate::honest_times::check(&v, &want, ds, router, profile, &path, &mut seen);
                }
            }
        }
    }
    eprintln!("closest/reachable by group: {seen:?}, {through_member} listed through a member");
    assert!(seen.road > 100, "{seen:?}");
    assert!(
        through_member > 10,
        "{through_member} listed through a member"
    );
}

/// Coverage with the generated groups: the places it counts are the listed members, and each
/// commune's nearest place is one of them, at the oracle's time (road or straight line).
#[test]
fn coverage_counts_and_times_the_listed_members() {
    let Some((ds, router, generated)) = paris_with_groups(1616) else {
        return;
    };
    let n = router.network();
    let groups = groups_in_principal_order(&ds);
    let prepared = Prepared::new(&n.car);
    // "communes" on every generated member, and a few far from the graph
    let mut communes: Vec<CoverageCommune> = generated
        .iter()
        .flatten()
        .map(|id| {
            ds.lieu(ds.slot_of(id).expect("slot"))
                .position
                .expect("pos")
        })
        .chain([(4.85, 45.75), (-1.55, 47.22), (2.5, 48.7)].map(|(lon, lat)| Position { lon, lat }))
        .enumerate()
        .map(|(i, p)| CoverageCommune {
            code_insee: format!("{:05}", i),
            nom: format!("c{i}"),
            code_departement: "75".into(),
            code_region: "11".into(),
            population: 100,
            point: Some((p.lon, p.lat)),
        })
        .collect();
    communes.sort_by(|a, b| a.code_insee.cmp(&b.code_insee));
    let now = Utc::now();
    let mut filters = vec![
        Vec::new(),
        vec![(
            "dispositif_programmes_nationaux".to_owned(),
            "France Services".to_owned(),
        )],
    ];
    // random combinations that some generated member matches
    let generated_slots: Vec<u32> = generated
        .iter()
        .flatten()
        .map(|id| ds.slot_of(id).expect("slot"))
        .collect();
    let singles = single_filters(&ds);
    let mut rng = Rng::new(16);
    while filters.len() < 6 {
        let pairs = combinations(&singles, &mut rng, 1).remove(0);
        let f = parse_at(&pairs, now);
        if generated_slots
            .iter()
            .any(|&s| f.matches(ds.lieu(s), ds.timezone(s)))
        {
            filters.push(pairs);
        }
    }
    let mut counts: HashMap<Method, usize> = HashMap::new();
    let mut through_member = 0;
    for pairs in &filters {
        let filter = parse_at(pairs, now);
        let listed = oracle(&ds, &groups, &filter);
        let (times, stats) = compute(&prepared, &ds, &filter, communes.clone(), 1_000.0, || {});
        assert_eq!(stats.places, listed.len(), "{pairs:?}");
        let keep: HashSet<u32> = listed.iter().copied().collect();
        for t in &times {
            *counts.entry(t.method).or_default() += 1;
            let at = t.commune.point.expect("point");
            let Some(place) = t.place else {
                assert!(
                    keep.iter().all(|&s| ds.lieu(s).position.is_none()),
                    "{pairs:?}"
                );
                continue;
            };
            assert!(
                keep.contains(&place),
                "{pairs:?}: {} is not listed",
                ds.lieu(place).id
            );
            through_member += usize::from(ds.groups().is_hidden(place));
            let on_graph = matches!(router.locate(Profile::Car, at.0, at.1), Located::OnGraph(_));
            let want = match on_graph {
                true => crate::estimate_floor::oracle(&router, &ds, Profile::Car, at, |s| {
                    keep.contains(&s)
                }),
                false => Vec::new(),
            };
            let seconds = t.seconds.expect("seconds");
            match t.method {
                Method::Road => {
                    let best = want.iter().find(|w| !w.2).expect("a road time");
                    assert!(
                        (seconds - best.1).abs() < 0.002,
                        "{pairs:?}: {seconds} vs {best:?}"
                    );
                }
                _ => {
                    assert!(want.iter().all(|w| w.2), "{pairs:?}: a road time exists");
                    let p = ds.lieu(place).position.expect("pos");
                    let d = haversine_m(at.0, at.1, p.lon, p.lat);
                    let nearest = keep
                        .iter()
                        .filter_map(|&s| ds.lieu(s).position)
                        .map(|q| haversine_m(at.0, at.1, q.lon, q.lat))
                        .fold(f64::MAX, f64::min);
                    assert!((d - nearest).abs() < 0.5, "{pairs:?}: {d} vs {nearest}");
                }
            }
        }
    }
    eprintln!("coverage methods: {counts:?}, {through_member} places listed through a member");
    assert!(through_member > 20, "{through_member}");
    assert!(
        counts.get(&Method::Road).copied().unwrap_or(0) > 100,
        "{counts:?}"
    );
}
