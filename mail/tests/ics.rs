//! Every kind of calendar object balie sends, read back by an independent parser (Python
//! `icalendar`): a request, a reschedule (SEQUENCE 1, new time) and a cancellation, all for one
//! appointment, as a calendar client would receive them in turn.

#[path = "support/python.rs"]
mod python;

use std::path::PathBuf;

use balie_mail::{sample, Language, MessageKind, Method, Mode, Renderer};
use serde_json::Value;

#[test]
fn request_reschedule_and_cancel_parse_and_update_one_event() {
    let renderer = Renderer::new(sample::sender()).unwrap();
    let now: jiff::Timestamp = "2026-11-01T09:00:00Z".parse().unwrap();
    let dir = tempfile::tempdir().unwrap();

    let mut mail = sample::appointment(Language::Fr, MessageKind::Confirmation, Mode::Hybrid);
    let request = renderer.render(MessageKind::Confirmation, &mail, now).unwrap();

    // Moved to Monday 30 November, 14:00–14:45 Brussels.
    mail.previous_start = Some(mail.start);
    mail.start = "2026-11-30T13:00:00Z".parse().unwrap();
    mail.end = "2026-11-30T13:45:00Z".parse().unwrap();
    mail.calendar.sequence = 1;
    let reschedule = renderer.render(MessageKind::Rescheduled, &mail, now).unwrap();

    mail.calendar.sequence = 2;
    let cancel = renderer.render(MessageKind::Cancellation, &mail, now).unwrap();

    let mut paths: Vec<PathBuf> = Vec::new();
    for (name, out) in [("request", &request), ("reschedule", &reschedule), ("cancel", &cancel)] {
        let ics = &out.calendar.as_ref().unwrap().ics;
        // RFC 5545 §3.1 on the raw bytes: CRLF only, no line over 75 octets.
        assert!(ics.ends_with("\r\n") && !ics.replace("\r\n", "").contains('\n'), "{name}: line ends");
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{name}: {} octets: {line:?}", line.len());
        }
        let path = dir.path().join(format!("{name}.ics"));
        std::fs::write(&path, ics).unwrap();
        paths.push(path);
    }
    assert_eq!(request.calendar.as_ref().unwrap().method, Method::Request);
    assert_eq!(cancel.calendar.as_ref().unwrap().method, Method::Cancel);

    let refs: Vec<&std::path::Path> = paths.iter().map(|p| p.as_path()).collect();
    let parsed = python::run_json(&python::ICALENDAR, "parse_ics.py", &refs);
    let cals = parsed.as_array().unwrap();
    assert_eq!(cals.len(), 3);
    let event = |i: usize| -> &Value {
        let events = cals[i]["events"].as_array().unwrap();
        assert_eq!(events.len(), 1, "one VEVENT per object");
        assert_eq!(events[0]["errors"], serde_json::json!([]), "icalendar reported errors");
        &events[0]
    };
    for cal in cals {
        assert_eq!(cal["version"], "2.0");
        assert_eq!(cal["errors"], serde_json::json!([]));
    }

    // The same UID throughout, so the client updates one entry; SEQUENCE only goes up.
    assert_eq!(cals[0]["method"], "REQUEST");
    assert_eq!(cals[1]["method"], "REQUEST");
    assert_eq!(cals[2]["method"], "CANCEL");
    for i in 0..3 {
        assert_eq!(event(i)["uid"], "appointment-42@balie.zemst.example");
        assert_eq!(event(i)["sequence"], i as u64);
        assert_eq!(event(i)["dtstamp"], "2026-11-01T09:00:00+00:00");
    }

    // UTC instants: 10:30 Brussels (UTC+1 in November) is 09:30Z.
    assert_eq!(event(0)["dtstart"], "2026-11-24T09:30:00+00:00");
    assert_eq!(event(0)["dtend"], "2026-11-24T10:00:00+00:00");
    assert_eq!(event(1)["dtstart"], "2026-11-30T13:00:00+00:00");
    assert_eq!(event(1)["dtend"], "2026-11-30T13:45:00+00:00");

    assert_eq!(event(0)["status"], "CONFIRMED");
    assert_eq!(event(2)["status"], "CANCELLED");

    // Text survives escaping and folding; the personal link is in the invitation, not in the
    // cancellation.
    let description = event(0)["description"].as_str().unwrap();
    assert!(description.contains(sample::JOIN_URL), "{description}");
    assert!(description.contains("ne le transférez à personne"), "{description}");
    assert!(description.contains("Où : Gemeentehuis, Loket 3, Brusselsesteenweg 2, 1980 Zemst"), "{description}");
    assert_eq!(event(0)["location"], "Gemeentehuis, Loket 3, Brusselsesteenweg 2, 1980 Zemst");
    assert_eq!(event(0)["url"], sample::JOIN_URL);
    assert_eq!(event(0)["summary"], "Nieuwe identiteitskaart – Gemeente Zemst");
    assert!(!event(2)["description"].as_str().unwrap().contains(sample::JOIN_URL));
    assert!(event(2)["url"].is_null());

    for i in 0..3 {
        let organizer = &event(i)["organizer"];
        assert_eq!(organizer["value"], "mailto:balie@zemst.example");
        assert_eq!(organizer["cn"], "Gemeente Zemst");
        let attendee = &event(i)["attendee"];
        assert_eq!(attendee["value"], "mailto:an.peeters@example.org");
        assert_eq!(attendee["cn"], "An Peeters");
    }
}

#[test]
fn a_video_invitation_puts_the_link_in_location() {
    let renderer = Renderer::new(sample::sender()).unwrap();
    let mail = sample::appointment(Language::Nl, MessageKind::ThirdPartyInvitation, Mode::Video);
    let out = renderer.render(MessageKind::ThirdPartyInvitation, &mail, jiff::Timestamp::now()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("invite.ics");
    std::fs::write(&path, &out.calendar.unwrap().ics).unwrap();

    let parsed = python::run_json(&python::ICALENDAR, "parse_ics.py", &[&path]);
    let event = &parsed[0]["events"][0];
    assert_eq!(parsed[0]["method"], "REQUEST");
    assert_eq!(event["location"], sample::JOIN_URL);
    assert_eq!(event["attendee"]["cn"], "Karim El Amrani");
}
