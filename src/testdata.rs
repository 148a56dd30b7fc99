//! Deterministic synthetic places for tests and benchmarks (no RNG crate: a fixed-seed
//! SplitMix64). Not part of the stable API.

use chrono::NaiveDate;

use crate::filter::Filter;
use crate::model::{Dispositif, EnumList, Frais, Lieu, Position, Service, ThinVec};

/// SplitMix64: small, fast, good enough for test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

const DAYS: [&str; 6] = ["Mo-Fr", "Tu-Sa", "Mo,We", "Mo-Th", "Sa", "Su"];

/// A varied opening_hours value: most are weekly schedules with seeded times (so most values
/// are distinct, as in real exports), one in fifty uses rules only the crate evaluates.
fn hours(rng: &mut Rng) -> String {
    let t = |rng: &mut Rng, h0: usize, span: usize| {
        let m = h0 * 60 + rng.below(span * 4) * 15;
        format!("{:02}:{:02}", m / 60, m % 60)
    };
    let mut rules = Vec::new();
    for _ in 0..1 + rng.below(2) {
        let days = DAYS[rng.below(DAYS.len())];
        let (a, b, c, d) = (t(rng, 8, 2), t(rng, 11, 2), t(rng, 13, 2), t(rng, 16, 3));
        rules.push(format!("{days} {a}-{b},{c}-{d}"));
    }
    match rng.below(50) {
        0 => rules.push("PH off".into()),
        1 => return "24/7".into(),
        _ => {}
    }
    rules.join("; ")
}

/// A plain place with the given id and position; every other field minimal.
pub fn lieu(id: String, position: Option<Position>) -> Lieu {
    // one word per id: two generated places never have similar names or equal addresses, so
    // they are never duplicates (crate::dedup)
    let word: String = id.chars().filter(char::is_ascii_alphanumeric).collect();
    Lieu {
        nom: format!("Lieu {word}").into(),
        adresse: format!("1 rue {word}").into(),
        id: id.into(),
        pivot: "00000000000000".into(),
        commune: "Commune".into(),
        code_postal: "75001".into(),
        code_insee: None,
        complement_adresse: None,
        position,
        position_origine: None,
        adresse_origine: None,
        commune_devinee: false,
        typologie: ThinVec::new(),
        telephone: None,
        courriels: ThinVec::new(),
        site_web: ThinVec::new(),
        horaires: None,
        presentation_resume: None,
        presentation_detail: None,
        source: None,
        itinerance: EnumList::new(),
        structure_parente: None,
        date_maj: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default(),
        services: EnumList::new(),
        publics_specifiquement_adresses: EnumList::new(),
        prise_en_charge_specifique: EnumList::new(),
        frais_a_charge: EnumList::new(),
        dispositif_programmes_nationaux: EnumList::new(),
        formations_labels: EnumList::new(),
        autres_formations_labels: ThinVec::new(),
        modalites_acces: EnumList::new(),
        modalites_accompagnement: EnumList::new(),
        fiche_acces_libre: None,
        prise_rdv: None,
    }
}

/// Seeded filter attributes: each service one in three, one `frais` of four, about one place in
/// ten a France Services.
pub fn seed_attributes(l: &mut Lieu, rng: &mut Rng) {
    l.services = Service::ALL
        .iter()
        .copied()
        .filter(|_| rng.below(3) == 0)
        .collect();
    l.frais_a_charge = [Frais::ALL[rng.below(Frais::ALL.len())]].into();
    if rng.below(10) == 0 {
        l.dispositif_programmes_nationaux
            .push(Dispositif::FranceServices);
    }
}

/// Filters a map user ticks, over places with [`seed_attributes`]: none, France Services (about
/// one place in ten), one service (one in three), two services (either: five in nine).
pub fn sample_filters() -> Vec<(&'static str, Filter)> {
    vec![
        ("none", Filter::default()),
        (
            "France Services",
            Filter {
                dispositif_programmes_nationaux: vec![Dispositif::FranceServices],
                ..Filter::default()
            },
        ),
        (
            "one service",
            Filter {
                services: vec![Service::ALL[0]],
                ..Filter::default()
            },
        ),
        (
            "two services",
            Filter {
                services: vec![Service::ALL[1], Service::ALL[4]],
                ..Filter::default()
            },
        ),
    ]
}

/// `n` places spread over metropolitan France (lon -5..9.5, lat 41.3..51.1), seeded; about one in
/// ten is a France Services, services and fees vary, three in four have opening hours (mostly distinct values), 1 % have no
/// position. Ids are `p000000`…; about 1 % share their position with another place (ties).
pub fn synthetic_lieux(n: usize, seed: u64) -> Vec<Lieu> {
    let mut rng = Rng::new(seed);
    let mut out: Vec<Lieu> = Vec::with_capacity(n);
    for i in 0..n {
        let position = if rng.below(100) == 0 {
            None
        } else if i > 0 && rng.below(100) == 0 {
            out[rng.below(i)].position
        } else {
            Some(Position {
                lon: rng.range(-5.0, 9.5),
                lat: rng.range(41.3, 51.1),
            })
        };
        let mut l = lieu(format!("p{i:06}"), position);
        l.code_insee = Some(
            format!("{:02}{:03}", 1 + rng.below(95), rng.below(1000))
                .replace("20", "21")
                .into(),
        );
        seed_attributes(&mut l, &mut rng);
        if rng.below(4) != 0 {
            l.horaires = hours(&mut rng).parse().ok();
        }
        if rng.below(5) == 0 {
            l.prise_rdv = Some("https://rdv.example".into());
        }
        out.push(l);
    }
    out
}
