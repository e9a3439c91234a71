//! Parsing booking requests and third parties.

use serde_json::json;

use super::demo;
use super::request::*;
use super::services::{Mode, ServiceSpec};
use super::slots_tests::ts;
use super::texts::Language;
use crate::error::Error;

/// "Bouwen en verbouwen": video, physical, hybrid; 45 minutes.
fn building() -> ServiceSpec {
    demo::services(&[1])[1].clone()
}

fn request() -> BookingRequest {
    serde_json::from_value(json!({
        "service": "bouwen-en-verbouwen",
        "mode": "hybrid",
        "start": "2026-05-11T09:00:00+02:00",
        "name": "  Els Janssens ",
        "email": "els@example.be",
        "phone": "+32 470 12 34 56",
        "consent": true,
        "third_parties": [
            {"name": "Architect Peeters", "email": "info@architect.example", "relation": {"other": "architect"}}
        ]
    }))
    .unwrap()
}

fn fields(r: Result<Booking, Error>) -> Vec<String> {
    match r {
        Err(Error::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected invalid, got {other:?}"),
    }
}

#[test]
fn a_sound_request_parses_into_a_booking() {
    let b = request().parse(&building(), Actor::Citizen, 15).unwrap();
    assert_eq!(b.citizen.name, "Els Janssens");
    assert_eq!(b.citizen.language, Language::Nl);
    assert_eq!(b.period.start, ts("2026-05-11T07:00:00Z"));
    assert_eq!(b.period.minutes(), 45);
    assert_eq!(b.third_parties[0].relation, Relation::Other("architect".into()));
    assert_eq!(b.by, Actor::Citizen);
}

#[test]
fn every_bad_field_is_listed_with_its_json_path() {
    let r = BookingRequest {
        service: "afval-en-milieu".into(),
        mode: Mode::Video,
        start: ts("2026-05-11T07:05:00Z"),
        name: " ".into(),
        email: "els-at-example.be".into(),
        phone: Some("12ab".into()),
        language: Language::Fr,
        consent: false,
        third_parties: vec![],
    };
    let physical_only = demo::services(&[1])[2].clone();
    assert_eq!(
        fields(r.parse(&physical_only, Actor::Citizen, 15)),
        ["service", "mode", "start", "name", "email", "phone", "consent"]
    );
}

#[test]
fn third_parties_need_distinct_addresses_other_than_the_citizens() {
    let mut r = request();
    let tp = |name: &str, email: &str, relation| ThirdPartyRequest { name: name.into(), email: email.into(), relation };
    r.third_parties = vec![
        tp("Jan", "jan@example.be", Relation::Family),
        tp("Jan again", "JAN@example.be", Relation::Caregiver),
        tp("Els", "Els@Example.be", Relation::Interpreter),
        tp("", "nope", Relation::Other(" ".into())),
        tp("Five", "five@example.be", Relation::Professional),
    ];
    assert_eq!(
        fields(r.parse(&building(), Actor::Citizen, 15)),
        [
            "third_parties",
            "third_parties[1].email",
            "third_parties[2].email",
            "third_parties[3].name",
            "third_parties[3].email",
            "third_parties[3].relation"
        ]
    );
}

#[test]
fn a_long_free_text_relation_is_refused() {
    let mut r = request();
    r.third_parties[0].relation = Relation::Other("x".repeat(61));
    assert_eq!(fields(r.parse(&building(), Actor::Citizen, 15)), ["third_parties[0].relation"]);
}

#[test]
fn phone_is_optional_and_language_defaults_to_dutch() {
    let mut r = request();
    r.phone = Some("  ".into());
    assert_eq!(r.parse(&building(), Actor::Agent { staff_id: 1 }, 15).unwrap().citizen.phone, None);
    r.phone = Some("12345".into());
    assert_eq!(fields(r.parse(&building(), Actor::Citizen, 15)), ["phone"]);
    r.phone = Some("0".repeat(21));
    assert_eq!(fields(r.parse(&building(), Actor::Citizen, 15)), ["phone"]);
}

#[test]
fn a_third_party_added_later_is_checked_against_the_appointment() {
    let b = request().parse(&building(), Actor::Citizen, 15).unwrap();
    let add =
        |email: &str| ThirdPartyRequest { name: "Tolk".into(), email: email.into(), relation: Relation::Interpreter };
    let ok = add("tolk@example.be").parse(&b.citizen, &b.third_parties).unwrap();
    assert_eq!(ok.email.as_str(), "tolk@example.be");
    let dup = add("INFO@architect.example").parse(&b.citizen, &b.third_parties);
    assert!(matches!(dup, Err(Error::Invalid(f)) if f[0].field == "third_party.email"));
    let full = vec![ok.clone(), ok.clone(), ok.clone(), ok];
    assert!(
        matches!(add("x@example.be").parse(&b.citizen, &full), Err(Error::Invalid(f)) if f[0].field == "third_parties")
    );
}

#[test]
fn actor_and_relation_serialise_for_the_web_and_mail_layers() {
    assert_eq!(serde_json::to_value(Actor::Agent { staff_id: 4 }).unwrap(), json!({"role": "agent", "staff_id": 4}));
    assert_eq!(serde_json::to_value(Actor::Citizen).unwrap(), json!({"role": "citizen"}));
    assert_eq!(serde_json::to_value(Relation::Caregiver).unwrap(), json!("caregiver"));
    assert_eq!(serde_json::to_value(Relation::Other("architect".into())).unwrap(), json!({"other": "architect"}));
}

#[test]
fn consent_text_exists_in_three_languages() {
    for lang in Language::ALL {
        assert!(CONSENT_TEXT.get(lang).len() > 100);
    }
    assert!(CONSENT_TEXT.nl.starts_with("Ik geef de gemeente toestemming"));
}
