//! Appointments in the demo municipality *Lindeveld*: topics, guiding questions, services and the
//! demo agent's working week. Staff ids are given by the database, so the seed looks up the
//! accounts in [`DEMO_AGENT_EMAILS`] and passes their ids to [`services`].

use super::schedule::{DayHours, TimeRange, WeeklyHours};
use super::services::{Mode, Question, ServiceSpec, Topic, DEFAULT_CANCEL_NOTICE_MINUTES};
use super::texts::Texts;

/// The staff accounts (created by the web layer's demo seed) that handle every demo service.
pub const DEMO_AGENT_EMAILS: [&str; 1] = ["agent@lindeveld.example"];

const TOWN_HALL: &str = "Gemeentehuis Lindeveld, Marktplein 1, 9999 Lindeveld";

pub fn topics() -> Vec<Topic> {
    let t = |code: &str, nl, en, fr| Topic { code: code.into(), label: Texts::new(nl, en, fr) };
    vec![
        t("vrije-tijd", "Vrije tijd, zalen en sport", "Leisure, rooms and sports", "Loisirs, salles et sport"),
        t(
            "wonen-en-milieu",
            "Wonen, bouwen en milieu",
            "Housing, building and environment",
            "Logement, construction et environnement",
        ),
        t("burgerzaken", "Documenten en burgerzaken", "Documents and civil affairs", "Documents et état civil"),
        t("welzijn", "Welzijn en ondersteuning", "Welfare and support", "Bien-être et soutien"),
    ]
}

pub fn questions() -> Vec<Question> {
    let q = |code: &str, topic: &str, service: &str, nl, en, fr| Question {
        code: code.into(),
        topic: topic.into(),
        label: Texts::new(nl, en, fr),
        service: service.into(),
    };
    vec![
        q(
            "zaal-huren",
            "vrije-tijd",
            "zaal-of-sportveld-huren",
            "Ik wil een zaal huren voor een feest, vergadering of voorstelling",
            "I want to rent a room for a party, meeting or performance",
            "Je veux louer une salle pour une fête, une réunion ou un spectacle",
        ),
        q(
            "sportveld-huren",
            "vrije-tijd",
            "zaal-of-sportveld-huren",
            "Ik wil een sporthal of sportveld huren, ook voor een heel seizoen",
            "I want to rent a sports hall or court, also for a whole season",
            "Je veux louer une salle de sport ou un terrain, aussi pour toute une saison",
        ),
        q(
            "vergunning",
            "wonen-en-milieu",
            "bouwen-en-verbouwen",
            "Ik wil bouwen of verbouwen en heb een vraag over een omgevingsvergunning",
            "I want to build or renovate and have a question about a planning permit",
            "Je veux construire ou rénover et j'ai une question sur un permis d'urbanisme",
        ),
        q(
            "architect",
            "wonen-en-milieu",
            "bouwen-en-verbouwen",
            "Ik wil mijn bouwplannen samen met mijn architect bespreken",
            "I want to discuss my building plans together with my architect",
            "Je veux discuter de mes plans avec mon architecte",
        ),
        q(
            "afval",
            "wonen-en-milieu",
            "afval-en-milieu",
            "Ik heb een vraag over afval, het recyclagepark of een milieupremie",
            "I have a question about waste, the recycling park or an environmental grant",
            "J'ai une question sur les déchets, le parc à conteneurs ou une prime environnementale",
        ),
        q(
            "identiteitskaart",
            "burgerzaken",
            "identiteitskaart-en-paspoort",
            "Ik heb een nieuwe identiteitskaart of kids-ID nodig",
            "I need a new identity card or kids-ID",
            "J'ai besoin d'une nouvelle carte d'identité ou kids-ID",
        ),
        q(
            "paspoort",
            "burgerzaken",
            "identiteitskaart-en-paspoort",
            "Ik wil een paspoort aanvragen",
            "I want to apply for a passport",
            "Je veux demander un passeport",
        ),
        q(
            "financiele-hulp",
            "welzijn",
            "sociale-dienstverlening",
            "Ik heb financiële of sociale ondersteuning nodig",
            "I need financial or social support",
            "J'ai besoin d'un soutien financier ou social",
        ),
        q(
            "zorg-thuis",
            "welzijn",
            "sociale-dienstverlening",
            "Ik zoek hulp of zorg thuis, voor mezelf of een familielid",
            "I am looking for help or care at home, for myself or a family member",
            "Je cherche de l'aide ou des soins à domicile, pour moi ou un proche",
        ),
    ]
}

/// The demo services, handled by the agents with staff ids `agents`.
pub fn services(agents: &[i64]) -> Vec<ServiceSpec> {
    let s = |code: &str, name: Texts, description: Texts, duration_minutes, modes: &[Mode], location: Option<&str>| {
        ServiceSpec {
            code: code.into(),
            name,
            description,
            duration_minutes,
            modes: modes.to_vec(),
            agents: agents.to_vec(),
            min_notice_minutes: 120,
            horizon_days: 60,
            cancel_notice_minutes: DEFAULT_CANCEL_NOTICE_MINUTES,
            location: location.map(str::to_string),
        }
    };
    let counter = |desk: &str| Some(format!("{TOWN_HALL}, {desk}"));
    vec![
        s(
            "zaal-of-sportveld-huren",
            Texts::new("Zaal of sportveld huren", "Renting a room or court", "Louer une salle ou un terrain"),
            Texts::new(
                "We zoeken samen de zaal of het veld dat past, en boeken het meteen.",
                "Together we find the room or court that fits, and book it right away.",
                "Ensemble, nous trouvons la salle ou le terrain qui convient et le réservons aussitôt.",
            ),
            30,
            &[Mode::Video, Mode::Hybrid],
            counter("vergaderzaal De Linde").as_deref(),
        ),
        s(
            "bouwen-en-verbouwen",
            Texts::new("Bouwen en verbouwen", "Building and renovation", "Construire et rénover"),
            Texts::new(
                "Vragen over vergunningen en bouwplannen; uw architect kan via video deelnemen.",
                "Questions about permits and building plans; your architect can join by video.",
                "Questions sur les permis et les plans; votre architecte peut participer par vidéo.",
            ),
            45,
            &[Mode::Video, Mode::Physical, Mode::Hybrid],
            counter("dienst Omgeving, loket 3").as_deref(),
        ),
        s(
            "identiteitskaart-en-paspoort",
            Texts::new("Identiteitskaart en paspoort", "Identity card and passport", "Carte d'identité et passeport"),
            Texts::new(
                "Aanvragen en afhalen; breng een recente pasfoto mee.",
                "Apply and collect; bring a recent passport photo.",
                "Demande et retrait; apportez une photo d'identité récente.",
            ),
            15,
            &[Mode::Physical],
            counter("dienst Burgerzaken, loket 1").as_deref(),
        ),
        s(
            "sociale-dienstverlening",
            Texts::new("Sociale dienstverlening", "Social services", "Services sociaux"),
            Texts::new(
                "Een vertrouwelijk gesprek met een maatschappelijk werker.",
                "A confidential talk with a social worker.",
                "Un entretien confidentiel avec un assistant social.",
            ),
            30,
            &[Mode::Video, Mode::Physical],
            counter("Sociaal Huis, gespreksruimte 2").as_deref(),
        ),
        s(
            "afval-en-milieu",
            Texts::new("Afval en milieu", "Waste and environment", "Déchets et environnement"),
            Texts::new(
                "Ophaling, recyclagepark, composteren en milieupremies.",
                "Collection, recycling park, composting and environmental grants.",
                "Collecte, parc à conteneurs, compostage et primes environnementales.",
            ),
            15,
            &[Mode::Video],
            None,
        ),
    ]
}

/// The demo agent's week: Monday to Friday 08:30–12:00 and 13:00–16:30, Wednesday afternoon off,
/// Thursday also 17:00–19:00 for people who work during the day.
pub fn agent_hours() -> WeeklyHours {
    let morning = TimeRange::hm((8, 30), (12, 0));
    let afternoon = TimeRange::hm((13, 0), (16, 30));
    let evening = TimeRange::hm((17, 0), (19, 0));
    let day = |weekday, ranges: &[TimeRange]| DayHours { weekday, ranges: ranges.to_vec() };
    WeeklyHours(vec![
        day(1, &[morning, afternoon]),
        day(2, &[morning, afternoon]),
        day(3, &[morning]),
        day(4, &[morning, afternoon, evening]),
        day(5, &[morning, afternoon]),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appointments::services::validate_catalogue;

    #[test]
    fn demo_catalogue_is_valid() {
        validate_catalogue(&topics(), &questions(), &services(&[1])).unwrap();
        agent_hours().validate("hours").unwrap();
    }

    #[test]
    fn every_topic_has_a_question_and_every_service_is_reachable() {
        let (qs, ss) = (questions(), services(&[1]));
        assert!(topics().iter().all(|t| qs.iter().any(|q| q.topic == t.code)));
        assert!(ss.iter().all(|s| qs.iter().any(|q| q.service == s.code)));
    }

    #[test]
    fn wednesday_afternoon_is_off_and_thursday_evening_is_open() {
        let h = agent_hours();
        assert_eq!(h.on(jiff::civil::Weekday::Wednesday).len(), 1);
        assert_eq!(h.on(jiff::civil::Weekday::Thursday).last(), Some(&TimeRange::hm((17, 0), (19, 0))));
        assert!(h.on(jiff::civil::Weekday::Saturday).is_empty());
    }
}
