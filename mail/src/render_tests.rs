//! Rendering tests: content in each language, Brussels time across DST, escaping, and the rules
//! per kind and mode.

use super::*;
use crate::appointment::{CalendarRef, Mode, Relation, ThirdParty};

const JOIN: &str = "https://balie.zemst.example/join/Zk3vQ9x2LmN8pR4tW7yB1c";
const MANAGE: &str = "https://balie.zemst.example/afspraak/7Hq2Ws9e";

fn renderer() -> Renderer {
    Renderer::new(Person::new("Gemeente Zemst", "balie@zemst.example")).unwrap()
}

/// A video appointment on Monday 30 March 2026, 10:00–10:30 Brussels (summer time, UTC+2).
fn video(language: Language) -> AppointmentMail {
    AppointmentMail {
        language,
        municipality: "Gemeente Zemst".into(),
        recipient: Person::new("An Peeters", "an.peeters@example.org"),
        service: "Nieuwe identiteitskaart".into(),
        agent_name: "Sofie Claes".into(),
        start: "2026-03-30T08:00:00Z".parse().unwrap(),
        end: "2026-03-30T08:30:00Z".parse().unwrap(),
        previous_start: None,
        mode: Mode::Video,
        location: None,
        join_url: Some(JOIN.into()),
        manage_url: Some(MANAGE.into()),
        third_party: None,
        calendar: CalendarRef { uid: "appointment-42@balie.zemst.example".into(), sequence: 0 },
    }
}

fn physical(language: Language) -> AppointmentMail {
    AppointmentMail {
        mode: Mode::Physical,
        location: Some("Gemeentehuis, Loket 3, Brusselsesteenweg 2, 1980 Zemst".into()),
        ..video(language)
    }
}

fn third_party(mut mail: AppointmentMail) -> AppointmentMail {
    mail.recipient = Person::new("Karim Tolk", "karim@example.org");
    mail.third_party = Some(ThirdParty { relation: Relation::Interpreter, invited_by: "An Peeters".into() });
    mail.manage_url = None;
    mail
}

fn now() -> Timestamp {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

fn render(kind: MessageKind, mail: &AppointmentMail) -> OutgoingMail {
    renderer().render(kind, mail, now()).unwrap_or_else(|e| panic!("{kind:?} {:?}: {e:#}", mail.language))
}

#[test]
fn every_kind_renders_in_every_language_and_mode() {
    let r = renderer();
    for (lang, kind) in all_templates() {
        for mail in [video(lang), physical(lang), AppointmentMail { mode: Mode::Hybrid, ..physical(lang) }] {
            let mail = if kind == MessageKind::ThirdPartyInvitation { third_party(mail) } else { mail };
            let out = r.render(kind, &mail, now()).unwrap_or_else(|e| panic!("{lang:?} {kind:?}: {e:#}"));
            assert!(!out.subject.is_empty() && !out.subject.contains('\n'), "{lang:?} {kind:?}");
            assert!(out.text.contains(mail.recipient.name.as_str()), "{lang:?} {kind:?}\n{}", out.text);
            assert!(out.text.contains("Gemeente Zemst"), "{lang:?} {kind:?}");
            assert!(out.html.contains(&format!("<html lang=\"{}\">", lang.code())), "{lang:?} {kind:?}");
            // `None` printed by a template would read "none" (CSS has `border:none`, hence `>`).
            for body in [&out.subject, &out.text] {
                assert!(!body.to_lowercase().contains("none"), "{lang:?} {kind:?}: {body}");
            }
            assert!(!out.html.contains(">none") && !out.html.contains("\"none\""), "{lang:?} {kind:?}");
            assert!(!out.text.contains("\n\n\n") && out.text.ends_with('\n') && !out.text.ends_with("\n\n"));
            assert_eq!(out.calendar.is_some(), kind != MessageKind::Reminder, "{lang:?} {kind:?}");
        }
    }
}

#[test]
fn confirmation_has_the_personal_link_and_its_rules_in_each_language() {
    let expect = [
        (Language::Nl, "stuur hem niet door", "15 minuten voor het begin", "maandag 30 maart 2026", "10:00"),
        (
            Language::En,
            "do not forward it",
            "15 minutes before the appointment starts",
            "Monday 30 March 2026",
            "10:00",
        ),
        (Language::Fr, "ne le transférez à personne", "15 minutes avant le début", "lundi 30 mars 2026", "10h00"),
    ];
    for (lang, forward, opens, date, time) in expect {
        let out = render(MessageKind::Confirmation, &video(lang));
        for body in [&out.text, &out.html] {
            assert!(body.contains(JOIN), "{lang:?}: no join link");
            assert!(body.contains(MANAGE), "{lang:?}: no manage link");
            assert!(body.contains(forward) && body.contains(opens), "{lang:?}:\n{body}");
            assert!(body.contains(date) && body.contains(time), "{lang:?}: {date} {time} missing");
        }
        assert!(out.html.contains(&format!("href=\"{JOIN}\"")));
        assert!(out.subject.contains(date), "{lang:?}: {}", out.subject);
        let ics = out.calendar.unwrap().ics.replace("\r\n ", "");
        assert!(ics.contains("DESCRIPTION:") && ics.contains(JOIN), "{lang:?}: {ics}");
    }
}

#[test]
fn times_are_brussels_time_on_both_sides_of_the_dst_switch() {
    // Same UTC hour, a week apart: 08:00Z is 09:00 in winter time (UTC+1, Monday 23 March)
    // and 10:00 in summer time (UTC+2, Monday 30 March; the switch is Sunday 29 March).
    let mut winter = video(Language::Nl);
    winter.start = "2026-03-23T08:00:00Z".parse().unwrap();
    winter.end = "2026-03-23T08:30:00Z".parse().unwrap();
    let out = render(MessageKind::Confirmation, &winter);
    assert!(out.text.contains("maandag 23 maart 2026, van 09:00 tot 09:30"), "{}", out.text);

    let out = render(MessageKind::Confirmation, &video(Language::Nl));
    assert!(out.text.contains("maandag 30 maart 2026, van 10:00 tot 10:30"), "{}", out.text);
    assert_eq!(out.subject, "Uw afspraak is bevestigd: maandag 30 maart 2026 om 10:00");
    // The calendar keeps UTC: the reader's client converts.
    let ics = out.calendar.unwrap().ics;
    assert!(ics.contains("\r\nDTSTART:20260330T080000Z\r\n") && ics.contains("\r\nDTEND:20260330T083000Z\r\n"));
}

#[test]
fn html_is_escaped_and_plain_text_is_not() {
    let mut mail = video(Language::En);
    mail.recipient.name = "<script>alert('x')</script> & Co".into();
    mail.service = "ID card \"express\"".into();
    let out = render(MessageKind::Confirmation, &mail);
    assert!(!out.html.contains("<script>"), "{}", out.html);
    assert!(out.html.contains("&lt;script&gt;"), "{}", out.html);
    assert!(out.html.contains("&amp; Co"));
    assert!(out.text.contains("Dear <script>alert('x')</script> & Co,"), "{}", out.text);
    assert!(out.text.contains("ID card \"express\""));
}

#[test]
fn physical_appointments_say_where_to_go_and_have_no_link() {
    let mut mail = physical(Language::Nl);
    mail.join_url = Some(JOIN.into()); // given by mistake: must not appear
    let out = render(MessageKind::Confirmation, &mail);
    for body in [&out.text, &out.html] {
        assert!(body.contains("Gemeentehuis, Loket 3, Brusselsesteenweg 2, 1980 Zemst"));
        assert!(body.contains("Meld u bij aankomst aan bij het onthaal"), "{body}");
        assert!(!body.contains(JOIN) && !body.contains("videogesprek"), "{body}");
    }
    let ics = out.calendar.unwrap().ics.replace("\r\n ", "");
    assert!(ics.contains("LOCATION:Gemeentehuis\\, Loket 3\\, Brusselsesteenweg 2\\, 1980 Zemst"), "{ics}");
    assert!(!ics.contains(JOIN));
}

#[test]
fn hybrid_appointments_have_both_the_place_and_the_link() {
    let mail = AppointmentMail { mode: Mode::Hybrid, ..physical(Language::Fr) };
    let out = render(MessageKind::Reminder, &mail);
    assert!(out.text.contains(JOIN) && out.text.contains("Gemeentehuis, Loket 3"));
    assert!(out.text.contains("sur place ou par vidéo"), "{}", out.text);
}

#[test]
fn cancellation_is_a_calendar_cancel_without_the_link() {
    for lang in Language::ALL {
        let out = render(MessageKind::Cancellation, &video(lang));
        let cal = out.calendar.unwrap();
        assert_eq!(cal.method, Method::Cancel);
        assert!(cal.ics.contains("\r\nMETHOD:CANCEL\r\n") && cal.ics.contains("\r\nSTATUS:CANCELLED\r\n"));
        for body in [&out.text, &out.html, &cal.ics.replace("\r\n ", "")] {
            assert!(!body.contains(JOIN), "{lang:?}: a cancelled link must not be sent");
        }
    }
    // A cancelled video appointment needs no join link in the input either.
    let mail = AppointmentMail { join_url: None, ..video(Language::Nl) };
    assert!(renderer().render(MessageKind::Cancellation, &mail, now()).is_ok());
}

#[test]
fn reschedule_shows_the_old_and_new_time_and_keeps_the_uid() {
    let mut mail = video(Language::Nl);
    mail.previous_start = Some("2026-03-27T13:00:00Z".parse().unwrap());
    mail.calendar.sequence = 1;
    let out = render(MessageKind::Rescheduled, &mail);
    assert!(out.text.contains("vrijdag 27 maart 2026 om 14:00"), "{}", out.text);
    assert!(out.subject.contains("maandag 30 maart 2026 om 10:00"));
    let ics = out.calendar.unwrap().ics;
    assert!(ics.contains("\r\nMETHOD:REQUEST\r\n") && ics.contains("\r\nSEQUENCE:1\r\n"));
    assert!(ics.contains("\r\nUID:appointment-42@balie.zemst.example\r\n"));
}

#[test]
fn third_party_invitation_names_the_citizen_and_the_relation() {
    let expect = [
        (Language::Nl, "An Peeters nodigt u uit om als tolk deel te nemen"),
        (Language::En, "An Peeters invites you to take part as an interpreter"),
        (Language::Fr, "An Peeters vous invite à participer comme interprète"),
    ];
    for (lang, sentence) in expect {
        let out = render(MessageKind::ThirdPartyInvitation, &third_party(video(lang)));
        assert!(out.text.contains(sentence), "{lang:?}:\n{}", out.text);
        assert!(out.text.contains(JOIN) && !out.text.contains(MANAGE));
        assert_eq!(out.to.email, "karim@example.org");
    }
}

#[test]
fn a_reminder_has_no_calendar_object() {
    let out = render(MessageKind::Reminder, &video(Language::En));
    assert!(out.calendar.is_none());
    assert!(out.subject.starts_with("Reminder: your appointment on Monday 30 March 2026"));
}

#[test]
fn bad_input_is_refused_as_permanent() {
    let r = renderer();
    let cases = [
        AppointmentMail { join_url: None, ..video(Language::Nl) },
        AppointmentMail { location: None, ..physical(Language::Nl) },
        AppointmentMail { end: "2026-03-30T07:00:00Z".parse().unwrap(), ..video(Language::Nl) },
        AppointmentMail { recipient: Person::new("X", "not-an-address"), ..video(Language::Nl) },
        AppointmentMail { calendar: CalendarRef { uid: "has space".into(), sequence: 0 }, ..video(Language::Nl) },
    ];
    for mail in cases {
        let err = r.render(MessageKind::Confirmation, &mail, now()).unwrap_err();
        assert!(err.is_permanent(), "{err}");
    }
    let err = r.render(MessageKind::ThirdPartyInvitation, &video(Language::Nl), now()).unwrap_err();
    assert!(matches!(err, MailError::Invalid(_)), "{err}");
    assert!(Renderer::new(Person::new("X", "nope")).is_err());
}

#[test]
fn a_newline_in_a_name_cannot_break_the_subject() {
    let mail = third_party(AppointmentMail { ..video(Language::Nl) });
    let mail = AppointmentMail {
        third_party: Some(ThirdParty { relation: Relation::Family, invited_by: "An\r\nBcc: x@evil.example".into() }),
        ..mail
    };
    let out = render(MessageKind::ThirdPartyInvitation, &mail);
    assert!(!out.subject.contains('\n') && !out.subject.contains('\r'), "{:?}", out.subject);
}

#[test]
fn outgoing_mail_survives_a_json_round_trip_and_debug_hides_links() {
    let out = render(MessageKind::Confirmation, &video(Language::Nl));
    let json = serde_json::to_string(&out).unwrap();
    let back: OutgoingMail = serde_json::from_str(&json).unwrap();
    assert_eq!(back, out);
    assert!(!format!("{out:?}").contains(JOIN), "{out:?}");
    assert!(!format!("{:?}", video(Language::Nl)).contains(JOIN));

    let input: AppointmentMail = serde_json::from_str(&serde_json::to_string(&video(Language::Fr)).unwrap()).unwrap();
    assert_eq!(input, video(Language::Fr));
}

#[test]
fn message_ids_are_unique_and_use_the_sender_domain() {
    let a = render(MessageKind::Confirmation, &video(Language::Nl));
    let b = render(MessageKind::Confirmation, &video(Language::Nl));
    assert_ne!(a.message_id, b.message_id);
    assert!(a.message_id.starts_with('<') && a.message_id.ends_with("@zemst.example>"), "{}", a.message_id);
}
