//! Room evaluation and defect-closed message tests: every language, the one personal link,
//! escaping, what the messages promise, and the rules that refuse bad input.

use super::*;
use crate::evaluation::{DefectClosedMail, EvaluationMail};
use crate::message::MailKind;
use crate::sample;

const URL: &str = "https://balie.zemst.example/evaluatie#5d1c0b7a9e3f4a2b8c6d0e1f2a3b4c5d";

fn renderer() -> Renderer {
    Renderer::new(sample::sender()).unwrap()
}

fn now() -> Timestamp {
    "2026-11-25T09:00:00Z".parse().unwrap()
}

fn evaluation(language: Language) -> EvaluationMail {
    EvaluationMail {
        language,
        municipality: "Gemeente Zemst".into(),
        recipient: Person::new("An Peeters", "an.peeters@example.org"),
        resource_name: "Raadzaal".into(),
        day: jiff::civil::date(2026, 11, 24),
        evaluation_url: URL.into(),
    }
}

fn closed(language: Language) -> DefectClosedMail {
    DefectClosedMail {
        language,
        municipality: "Gemeente Zemst".into(),
        recipient_email: "an.peeters@example.org".into(),
        resource_name: "Raadzaal".into(),
        reported_day: jiff::civil::date(2026, 11, 25),
        description: "De beamer start niet.".into(),
        resolution: "De lamp van de beamer is vervangen.".into(),
    }
}

fn assert_clean(what: &str, body: &str) {
    for leftover in ["{{", "}}", "{%", "%}", "{#"] {
        assert!(!body.contains(leftover), "{what}: template syntax {leftover:?} left:\n{body}");
    }
    assert!(!body.contains("None") && !body.contains(">none<"), "{what}: none in\n{body}");
}

#[test]
fn the_evaluation_renders_in_every_language_with_the_link_once() {
    let expect = [
        (
            Language::Nl,
            "Hoe was uw reservatie van Raadzaal?",
            "Op dinsdag 24 november 2026 gebruikte u Raadzaal",
            "Geef uw evaluatie",
        ),
        (
            Language::En,
            "How was your booking of Raadzaal?",
            "On Tuesday 24 November 2026 you used Raadzaal",
            "Give your evaluation",
        ),
        (
            Language::Fr,
            "Comment s'est passée votre réservation de Raadzaal ?",
            "Le mardi 24 novembre 2026, vous avez utilisé Raadzaal",
            "Donner votre évaluation",
        ),
    ];
    for (lang, subject, opening, button) in expect {
        let mail = evaluation(lang);
        let out = renderer().render_evaluation(&mail, now()).unwrap();
        assert_eq!((out.kind, out.kind.name(), out.language), (MailKind::Evaluation, "room_evaluation", lang));
        assert_eq!(out.subject, subject);
        assert_eq!(out.to, mail.recipient);
        assert!(out.calendar.is_none() && out.attachments.is_empty());
        assert!(out.html.contains(&format!("<html lang=\"{}\">", lang.code())), "{lang:?}");
        for body in [&out.text, &out.html] {
            assert!(body.contains(opening), "{lang:?}:\n{body}");
            assert!(body.contains("14"), "{lang:?}: how long the link works");
        }
        for (part, body) in [("subject", &out.subject), ("text", &out.text), ("html", &out.html)] {
            assert_clean(&format!("{lang:?} {part}"), body);
        }
        assert_eq!(out.text.matches(URL).count(), 1, "{lang:?}:\n{}", out.text);
        assert!(out.text.contains(&format!("\n{URL}\n")));
        assert_eq!(out.html.matches("<a ").count(), 1, "{lang:?}: one link");
        assert!(out.html.contains(&format!("<a href=\"{URL}\"")));
        assert!(out.html.contains(&format!(">{button}</a>")), "{lang:?}:\n{}", out.html);
        assert!(!out.subject.contains(URL));
        assert!(!format!("{mail:?}").contains(URL), "the link stays out of logs");
    }
}

#[test]
fn the_defect_closed_message_quotes_the_report_and_says_what_was_done() {
    let expect = [
        (Language::Nl, "Uw melding over Raadzaal: dit hebben we gedaan", "Op woensdag 25 november 2026 meldde u"),
        (Language::En, "Your report about Raadzaal: what we did", "On Wednesday 25 November 2026 you reported"),
        (
            Language::Fr,
            "Votre signalement concernant Raadzaal : ce que nous avons fait",
            "Le mercredi 25 novembre 2026, vous avez signalé",
        ),
    ];
    for (lang, subject, opening) in expect {
        let out = renderer().render_defect_closed(&closed(lang), now()).unwrap();
        assert_eq!((out.kind, out.kind.name()), (MailKind::DefectClosed, "defect_closed"));
        assert_eq!(out.subject, subject);
        assert_eq!(out.to.email, "an.peeters@example.org");
        for body in [&out.text, &out.html] {
            assert!(body.contains(opening), "{lang:?}:\n{body}");
            assert!(body.contains("De beamer start niet.") && body.contains("De lamp van de beamer is vervangen."));
        }
        assert_eq!(out.html.matches("<a ").count(), 0, "no links");
        for (part, body) in [("subject", &out.subject), ("text", &out.text), ("html", &out.html)] {
            assert_clean(&format!("{lang:?} {part}"), body);
        }
    }
}

#[test]
fn staff_and_citizen_text_is_escaped_in_html_and_not_in_text() {
    let mail = DefectClosedMail {
        description: "<script>alert(1)</script> & co".into(),
        resolution: "Fixed \"<b>it</b>\"".into(),
        ..closed(Language::En)
    };
    let out = renderer().render_defect_closed(&mail, now()).unwrap();
    assert!(!out.html.contains("<script>") && !out.html.contains("<b>it"), "{}", out.html);
    assert!(out.html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"), "{}", out.html);
    assert!(out.text.contains("<script>alert(1)</script> & co") && out.text.contains("Fixed \"<b>it</b>\""));
    let mail = EvaluationMail { resource_name: "Zaal\r\nBcc: x@evil.example".into(), ..evaluation(Language::Nl) };
    let out = renderer().render_evaluation(&mail, now()).unwrap();
    assert!(!out.subject.contains('\n') && !out.subject.contains('\r'), "{:?}", out.subject);
}

#[test]
fn bad_input_is_refused_as_permanent() {
    let r = renderer();
    let with_url = |url: &str| EvaluationMail { evaluation_url: url.into(), ..evaluation(Language::Nl) };
    for mail in [
        EvaluationMail { resource_name: " ".into(), ..evaluation(Language::Nl) },
        EvaluationMail { recipient: Person::new("", "an@example.org"), ..evaluation(Language::Nl) },
        with_url(""),
        with_url("https://balie.zemst.example/enquete#abc"),
        with_url("https://balie.zemst.example/evaluatie"),
        with_url("https://balie.zemst.example/evaluatie#ab\"c"),
        with_url("javascript:alert(1)//evaluatie#abc"),
    ] {
        let err = r.render_evaluation(&mail, now()).unwrap_err();
        assert!(err.is_permanent(), "{err}");
    }
    let err = r
        .render_evaluation(
            &EvaluationMail { recipient: Person::new("An", "not-an-address"), ..evaluation(Language::Nl) },
            now(),
        )
        .unwrap_err();
    assert!(matches!(err, MailError::Address { .. }));
    for mail in [
        DefectClosedMail { resolution: "\n".into(), ..closed(Language::Nl) },
        DefectClosedMail { description: "".into(), ..closed(Language::Nl) },
        DefectClosedMail { recipient_email: "nobody".into(), ..closed(Language::Nl) },
    ] {
        assert!(r.render_defect_closed(&mail, now()).unwrap_err().is_permanent());
    }
}

#[test]
fn both_kinds_survive_the_outbox_round_trip() {
    for out in [
        renderer().render_evaluation(&evaluation(Language::Fr), now()).unwrap(),
        renderer().render_defect_closed(&closed(Language::En), now()).unwrap(),
    ] {
        let back: OutgoingMail = serde_json::from_str(&serde_json::to_string(&out).unwrap()).unwrap();
        assert_eq!(back, out);
    }
    assert_eq!(MailKind::parse("room_evaluation"), Some(MailKind::Evaluation));
    assert_eq!(MailKind::parse("defect_closed"), Some(MailKind::DefectClosed));
}
