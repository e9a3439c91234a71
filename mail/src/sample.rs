//! A fictional appointment, for previews (`examples/preview.rs`), tests and a "send me a test
//! message" button: every field filled, in a fictional municipality.

use jiff::Timestamp;

use crate::appointment::{AppointmentMail, CalendarRef, MessageKind, Mode, Person, Relation, ThirdParty};
use crate::lang::Language;

pub const JOIN_URL: &str = "https://balie.zemst.example/join/Zk3vQ9x2LmN8pR4tW7yB1c";
pub const MANAGE_URL: &str = "https://balie.zemst.example/afspraak/7Hq2Ws9e";

/// The municipality's sending address.
pub fn sender() -> Person {
    Person::new("Gemeente Zemst", "balie@zemst.example")
}

/// Tuesday 24 November 2026, 10:30–11:00 Brussels time, with Sofie Claes. A third-party
/// invitation goes to an interpreter invited by the citizen; a reschedule moved it from
/// Friday 20 November 14:00.
pub fn appointment(language: Language, kind: MessageKind, mode: Mode) -> AppointmentMail {
    let third_party = kind == MessageKind::ThirdPartyInvitation;
    AppointmentMail {
        language,
        municipality: "Gemeente Zemst".into(),
        recipient: if third_party {
            Person::new("Karim El Amrani", "karim@example.org")
        } else {
            Person::new("An Peeters", "an.peeters@example.org")
        },
        service: "Nieuwe identiteitskaart".into(),
        agent_name: "Sofie Claes".into(),
        start: ts("2026-11-24T09:30:00Z"),
        end: ts("2026-11-24T10:00:00Z"),
        previous_start: (kind == MessageKind::Rescheduled).then(|| ts("2026-11-20T13:00:00Z")),
        mode,
        location: mode.has_place().then(|| "Gemeentehuis, Loket 3, Brusselsesteenweg 2, 1980 Zemst".into()),
        join_url: mode.has_video().then(|| JOIN_URL.into()),
        manage_url: (!third_party).then(|| MANAGE_URL.into()),
        third_party: third_party
            .then(|| ThirdParty { relation: Relation::Interpreter, invited_by: "An Peeters".into() }),
        calendar: CalendarRef {
            uid: "appointment-42@balie.zemst.example".into(),
            sequence: match kind {
                MessageKind::Rescheduled => 1,
                MessageKind::Cancellation => 2,
                _ => 0,
            },
        },
    }
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("a valid sample timestamp")
}
