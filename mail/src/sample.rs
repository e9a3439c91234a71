//! A fictional appointment, reservation and survey invitation, for previews
//! (`examples/preview.rs`), tests and a "send me a test message" button: every field filled, in a
//! fictional municipality.

use jiff::Timestamp;

use crate::appointment::{AppointmentMail, CalendarRef, MessageKind, Mode, Person, Relation, ThirdParty};
use crate::lang::Language;
use crate::reservation::{
    AccessCode, Contact, CustomerType, PaymentSummary, PriceLine, ReservationMail, ReservationMessageKind, VatSubtotal,
};
use crate::structured::structured_communication;
use crate::survey::SurveyMail;

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

pub const RESERVATION_URL: &str = "https://balie.zemst.example/reservatie/Qm4Tz8KpL2";
pub const PIN: &str = "482917";
pub const QR_PAYLOAD: &str = "https://balie.zemst.example/deur/1042/Xk7Vb2Lq9RtW4yZp";
/// An IBAN that passes the check (the usual Belgian example account).
pub const IBAN: &str = "BE68539007547034";
pub const INVOICE_NUMBER: &str = "2026/0042";

/// Zaal De Linde on Saturday 28 November 2026, 14:00–18:00 Brussels time, for a youth
/// association's party: rent and coffee, € 300,50 with VAT, by invoice. The door code works from
/// 13:45 to 18:15. A cancellation was paid online and is refunded in full.
pub fn reservation(language: Language, kind: ReservationMessageKind) -> ReservationMail {
    let cancellation = kind == ReservationMessageKind::Cancellation;
    let lines = vec![
        PriceLine {
            description: "Huur zaal, weekendtarief".into(),
            quantity: "4 u".into(),
            amount_cents: 24_000,
            vat_basis_points: Some(0),
        },
        PriceLine {
            description: "Koffie, thee en water".into(),
            quantity: "25 personen".into(),
            amount_cents: 5_000,
            vat_basis_points: Some(2_100),
        },
    ];
    ReservationMail {
        language,
        municipality: "Gemeente Zemst".into(),
        municipality_address: Some("Brusselsesteenweg 2, 1980 Zemst".into()),
        enterprise_number: Some("0207.500.123".into()),
        recipient: Person::new("Lotte Janssens", "lotte.janssens@example.org"),
        organisation: Some("Chiro Zemst".into()),
        customer_type: Some(CustomerType::RecognisedAssociation),
        reservation_id: "1042".into(),
        resource_name: "Zaal De Linde".into(),
        address: "Kerkstraat 12, 1980 Zemst".into(),
        start: ts("2026-11-28T13:00:00Z"),
        end: ts("2026-11-28T17:00:00Z"),
        lines,
        vat: vec![
            VatSubtotal { vat_basis_points: 0, base_cents: 24_000, vat_cents: 0 },
            VatSubtotal { vat_basis_points: 2_100, base_cents: 5_000, vat_cents: 1_050 },
        ],
        vat_cents: 1_050,
        total_cents: 30_050,
        practical_info: "De zaal ligt op het gelijkvloers. U komt binnen via de zij-ingang in de Kerkstraat.\n                         Parkeren kan op het Kerkplein, op 100 meter.\n\n                         Huisregels: geen confetti, kaarsen of vuurwerk; na 22 uur speelt de muziek zacht.\n\n                         Bij vertrek: zet tafels en stoelen terug, doe de lichten uit en trek de deur achter u dicht. \
                         Uw afval neemt u mee."
            .into(),
        contact: Contact {
            name: "Jan Wouters, zaalbeheer".into(),
            email: Some("zalen@zemst.example".into()),
            phone: Some("015 00 12 34".into()),
        },
        access: Some(AccessCode {
            pin: PIN.into(),
            qr_payload: QR_PAYLOAD.into(),
            door: "Zij-ingang Kerkstraat".into(),
            valid_from: ts("2026-11-28T12:45:00Z"),
            valid_until: ts("2026-11-28T17:15:00Z"),
        }),
        key_pickup: None,
        payment: if cancellation {
            PaymentSummary::Paid { reference: "PAY-7F3K9Q".into() }
        } else {
            PaymentSummary::Invoice {
                number: INVOICE_NUMBER.into(),
                structured_communication: structured_communication(2_026_000_042),
                due_date: jiff::civil::date(2026, 11, 21),
                iban: IBAN.into(),
                amount_cents: 30_050,
                issue_date: Some(jiff::civil::date(2026, 11, 7)),
            }
        },
        refund_cents: cancellation.then_some(30_050),
        credit_note: None,
        calendar: CalendarRef {
            uid: "reservation-1042@balie.zemst.example".into(),
            sequence: if cancellation { 1 } else { 0 },
        },
        manage_url: Some(RESERVATION_URL.into()),
    }
}

pub const SURVEY_URL: &str = "https://balie.zemst.example/enquete#9f2c4e7a1b3d5f6081a2c3e4d5f60718";

/// The survey invitation after An Peeters' video call about waste on Tuesday 24 November 2026.
pub fn survey(language: Language) -> SurveyMail {
    SurveyMail {
        language,
        municipality: "Gemeente Zemst".into(),
        recipient: Person::new("An Peeters", "an.peeters@example.org"),
        service: "Afval en milieu".into(),
        day: jiff::civil::date(2026, 11, 24),
        survey_url: SURVEY_URL.into(),
    }
}

/// The evaluation invitation for An Peeters' use of the council chamber on Tuesday 24 November 2026.
pub fn evaluation(language: Language) -> crate::EvaluationMail {
    crate::EvaluationMail {
        language,
        municipality: "Gemeente Zemst".into(),
        recipient: Person::new("An Peeters", "an.peeters@example.org"),
        resource_name: "Raadzaal".into(),
        day: jiff::civil::date(2026, 11, 24),
        evaluation_url: "https://balie.zemst.example/evaluatie#5d1c0b7a9e3f4a2b8c6d0e1f2a3b4c5d".into(),
    }
}

/// What was done about the beamer An Peeters reported broken on Wednesday 25 November 2026.
pub fn defect_closed(language: Language) -> crate::DefectClosedMail {
    crate::DefectClosedMail {
        language,
        municipality: "Gemeente Zemst".into(),
        recipient_email: "an.peeters@example.org".into(),
        resource_name: "Raadzaal".into(),
        reported_day: jiff::civil::date(2026, 11, 25),
        description: "De beamer start niet.".into(),
        resolution: "De lamp van de beamer is vervangen.".into(),
    }
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("a valid sample timestamp")
}
