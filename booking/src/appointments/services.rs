//! The service catalogue a citizen reaches by guiding questions: topic → question → service.
//! Several questions may lead to one service, so citizens can start from their own words
//! ("I need a new identity card") instead of the municipality's organisation chart.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::texts::{Language, Texts};
use crate::error::{Problems, Result};

/// Longest appointment: a working day.
pub const MAX_DURATION_MINUTES: i64 = 8 * 60;
/// Longest booking horizon, a little over a year so that yearly appointments can be made.
pub const MAX_HORIZON_DAYS: i64 = 400;
/// Longest minimum notice and cancel notice: 30 days.
pub const MAX_NOTICE_MINUTES: i64 = 30 * 24 * 60;
/// Default for [`ServiceSpec::cancel_notice_minutes`]: a citizen may change until 24 h before.
pub const DEFAULT_CANCEL_NOTICE_MINUTES: i64 = 24 * 60;

/// How the citizen meets the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Everyone joins by video.
    Video,
    /// The citizen comes to a counter in the town hall.
    Physical,
    /// The citizen sits with the agent in a town-hall meeting room, others (an architect, an
    /// interpreter) join by video; the room's device is a participant of the call.
    Hybrid,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Video, Mode::Physical, Mode::Hybrid];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Video => "video",
            Mode::Physical => "physical",
            Mode::Hybrid => "hybrid",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The label on the button the citizen chooses.
    pub fn label(self, lang: Language) -> &'static str {
        match (self, lang) {
            (Mode::Video, Language::Nl) => "Videogesprek",
            (Mode::Video, Language::En) => "Video call",
            (Mode::Video, Language::Fr) => "Appel vidéo",
            (Mode::Physical, Language::Nl) => "Aan het loket",
            (Mode::Physical, Language::En) => "At the counter",
            (Mode::Physical, Language::Fr) => "Au guichet",
            (Mode::Hybrid, Language::Nl) => "Hybride: in het gemeentehuis, anderen via video",
            (Mode::Hybrid, Language::En) => "Hybrid: at the town hall, others by video",
            (Mode::Hybrid, Language::Fr) => "Hybride : à la maison communale, d'autres par vidéo",
        }
    }

    /// Whether the citizen has to come to the town hall.
    pub fn has_place(self) -> bool {
        self != Mode::Video
    }
}

/// The first choice in the guided flow, e.g. "Wonen en bouwen".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Topic {
    pub code: String,
    pub label: Texts,
}

/// A citizen's question under a topic, leading to the service that answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Question {
    pub code: String,
    /// Code of the [`Topic`] it is listed under.
    pub topic: String,
    pub label: Texts,
    /// Code of the [`ServiceSpec`] it leads to.
    pub service: String,
}

/// A bookable service: how long an appointment takes, how people may meet and who handles it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ServiceSpec {
    /// Stable code, lowercase letters, digits and dashes (`bouwen-en-verbouwen`).
    pub code: String,
    pub name: Texts,
    pub description: Texts,
    pub duration_minutes: i64,
    /// Allowed modes, in the order the booking flow offers them.
    pub modes: Vec<Mode>,
    /// Staff ids of the agents in the pool that handles this service.
    pub agents: Vec<i64>,
    /// How long before its start an appointment must be booked at the latest.
    #[serde(default)]
    pub min_notice_minutes: i64,
    /// How many days ahead (after today, Brussels) appointments may be booked.
    pub horizon_days: i64,
    /// Until how long before the start a citizen may reschedule or cancel by their link.
    #[serde(default = "default_cancel_notice")]
    pub cancel_notice_minutes: i64,
    /// Where physical and hybrid appointments take place (town-hall address, counter or room).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

fn default_cancel_notice() -> i64 {
    DEFAULT_CANCEL_NOTICE_MINUTES
}

pub(crate) fn is_code(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

const CODE_RULE: &str = "use 1–64 lowercase letters, digits or dashes";

impl ServiceSpec {
    pub fn offers(&self, mode: Mode) -> bool {
        self.modes.contains(&mode)
    }

    /// Checks every field; that the agents exist is checked by the store.
    pub fn validate(&self) -> Result<()> {
        let mut p = Problems::default();
        self.check(&mut p);
        p.into_result()
    }

    fn check(&self, p: &mut Problems) {
        p.check(is_code(&self.code), "code", CODE_RULE);
        self.name.check("name", 200, p);
        self.description.check("description", 4000, p);
        p.check(
            (1..=MAX_DURATION_MINUTES).contains(&self.duration_minutes),
            "duration_minutes",
            "must be between 1 and 480 minutes",
        );
        p.check(!self.modes.is_empty(), "modes", "at least one mode");
        p.check(self.modes.iter().collect::<HashSet<_>>().len() == self.modes.len(), "modes", "lists a mode twice");
        p.check(!self.agents.is_empty(), "agents", "at least one agent");
        p.check(
            self.agents.iter().collect::<HashSet<_>>().len() == self.agents.len(),
            "agents",
            "lists an agent twice",
        );
        for (i, id) in self.agents.iter().enumerate() {
            p.check(*id > 0, &format!("agents[{i}]"), "is not a staff id");
        }
        for (field, v) in
            [("min_notice_minutes", self.min_notice_minutes), ("cancel_notice_minutes", self.cancel_notice_minutes)]
        {
            p.check((0..=MAX_NOTICE_MINUTES).contains(&v), field, "must be between 0 and 43200 minutes (30 days)");
        }
        p.check((1..=MAX_HORIZON_DAYS).contains(&self.horizon_days), "horizon_days", "must be between 1 and 400");
        let location = self.location.as_deref().map(str::trim).unwrap_or("");
        p.check(
            !self.modes.iter().any(|m| m.has_place()) || !location.is_empty(),
            "location",
            "is required for physical and hybrid appointments",
        );
        p.check(location.chars().count() <= 300, "location", "must be at most 300 characters");
    }
}

impl Topic {
    fn check(&self, field: &str, p: &mut Problems) {
        p.check(is_code(&self.code), &format!("{field}.code"), CODE_RULE);
        self.label.check(&format!("{field}.label"), 200, p);
    }
}

/// Checks a whole catalogue: each entry, unique codes, and that every question points to an
/// existing topic and service. Field paths are `topics[i]…`, `questions[i]…`, `services[i]…`.
pub fn validate_catalogue(topics: &[Topic], questions: &[Question], services: &[ServiceSpec]) -> Result<()> {
    let mut p = Problems::default();
    for (i, t) in topics.iter().enumerate() {
        t.check(&format!("topics[{i}]"), &mut p);
        p.check(!topics[..i].iter().any(|o| o.code == t.code), &format!("topics[{i}].code"), "is used twice");
    }
    for (i, q) in questions.iter().enumerate() {
        let f = format!("questions[{i}]");
        p.check(is_code(&q.code), &format!("{f}.code"), CODE_RULE);
        p.check(!questions[..i].iter().any(|o| o.code == q.code), &format!("{f}.code"), "is used twice");
        q.label.check(&format!("{f}.label"), 300, &mut p);
        p.check(topics.iter().any(|t| t.code == q.topic), &format!("{f}.topic"), "is not a known topic");
        p.check(services.iter().any(|s| s.code == q.service), &format!("{f}.service"), "is not a known service");
    }
    for (i, s) in services.iter().enumerate() {
        // Reuse the single-service rules, with paths prefixed by the service's position.
        let mut one = Problems::default();
        s.check(&mut one);
        if let Err(crate::Error::Invalid(errors)) = one.into_result() {
            for e in errors {
                p.push(crate::error::FieldError::new(format!("services[{i}].{}", e.field), e.reason));
            }
        }
        p.check(!services[..i].iter().any(|o| o.code == s.code), &format!("services[{i}].code"), "is used twice");
    }
    p.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn spec() -> ServiceSpec {
        ServiceSpec {
            code: "afval".into(),
            name: Texts::new("Afval", "Waste", "Déchets"),
            description: Texts::new("Vragen over afval", "Questions about waste", "Questions sur les déchets"),
            duration_minutes: 15,
            modes: vec![Mode::Video],
            agents: vec![1],
            min_notice_minutes: 60,
            horizon_days: 60,
            cancel_notice_minutes: DEFAULT_CANCEL_NOTICE_MINUTES,
            location: None,
        }
    }

    fn fields(r: Result<()>) -> Vec<String> {
        match r {
            Err(Error::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn a_sound_service_is_valid() {
        spec().validate().unwrap();
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let s = ServiceSpec {
            code: "Afval!".into(),
            duration_minutes: 481,
            modes: vec![],
            agents: vec![],
            min_notice_minutes: -1,
            horizon_days: 0,
            ..spec()
        };
        assert_eq!(
            fields(s.validate()),
            ["code", "duration_minutes", "modes", "agents", "min_notice_minutes", "horizon_days"]
        );
    }

    #[test]
    fn physical_and_hybrid_services_need_a_location() {
        let s = ServiceSpec { modes: vec![Mode::Video, Mode::Hybrid], ..spec() };
        assert_eq!(fields(s.validate()), ["location"]);
        ServiceSpec { location: Some("Marktplein 1, loket 3".into()), ..s }.validate().unwrap();
    }

    #[test]
    fn duplicate_modes_and_agents_are_refused() {
        let s = ServiceSpec { modes: vec![Mode::Video, Mode::Video], agents: vec![3, 3, 0], ..spec() };
        assert_eq!(fields(s.validate()), ["modes", "agents", "agents[2]"]);
    }

    #[test]
    fn modes_serialise_lowercase_and_have_dutch_labels() {
        assert_eq!(serde_json::to_string(&Mode::Physical).unwrap(), "\"physical\"");
        assert_eq!(serde_json::from_str::<Mode>("\"hybrid\"").unwrap(), Mode::Hybrid);
        assert_eq!(Mode::Physical.label(Language::Nl), "Aan het loket");
        assert_eq!(Mode::parse("video"), Some(Mode::Video));
    }

    #[test]
    fn cancel_notice_defaults_to_a_day() {
        let mut json = serde_json::to_value(spec()).unwrap();
        json.as_object_mut().unwrap().remove("cancel_notice_minutes");
        let s: ServiceSpec = serde_json::from_value(json).unwrap();
        assert_eq!(s.cancel_notice_minutes, 24 * 60);
    }

    #[test]
    fn questions_must_point_to_known_topics_and_services() {
        let topics = [Topic { code: "milieu".into(), label: Texts::new("Milieu", "Environment", "Environnement") }];
        let q = |topic: &str, service: &str| Question {
            code: "vraag".into(),
            topic: topic.into(),
            label: Texts::new("Vraag", "Question", "Question"),
            service: service.into(),
        };
        validate_catalogue(&topics, &[q("milieu", "afval")], &[spec()]).unwrap();
        let bad_service = ServiceSpec { horizon_days: 0, ..spec() };
        assert_eq!(
            fields(validate_catalogue(&topics, &[q("wonen", "bouwen")], &[bad_service])),
            ["questions[0].topic", "questions[0].service", "services[0].horizon_days"]
        );
    }
}
