//! Survey invitation tests: every language, the one personal link, escaping, what the message
//! promises (voluntary, short, anonymous, valid 14 days), and the rules that refuse bad input.

use super::*;
use crate::message::MailKind;
use crate::sample;
use crate::survey::SurveyMail;

const URL: &str = sample::SURVEY_URL;

fn renderer() -> Renderer {
    Renderer::new(sample::sender()).unwrap()
}

fn now() -> Timestamp {
    "2026-11-24T10:05:00Z".parse().unwrap()
}

fn render(mail: &SurveyMail) -> OutgoingMail {
    renderer().render_survey(mail, now()).unwrap_or_else(|e| panic!("{:?}: {e:#}", mail.language))
}

/// Template syntax or a `none` that reached the reader. CSS has `border:none`, so in HTML only
/// a `none` as text or as an attribute value counts.
fn assert_clean(what: &str, body: &str) {
    for leftover in ["{{", "}}", "{%", "%}", "{#"] {
        assert!(!body.contains(leftover), "{what}: template syntax {leftover:?} left:\n{body}");
    }
    if body.contains("<html") {
        for none in [">none", "none<", "\"none\"", " none ", "None"] {
            assert!(!body.contains(none), "{what}: {none:?} in\n{body}");
        }
    } else {
        assert!(!body.to_lowercase().contains("none"), "{what}: `none` in\n{body}");
    }
}

#[test]
fn renders_in_every_language_with_the_link_once_and_no_calendar() {
    let expect = [
        (
            Language::Nl,
            "Hoe was uw videogesprek met Gemeente Zemst?",
            "Op dinsdag 24 november 2026 had u een videogesprek met Gemeente Zemst (Afval en milieu).",
            "Vul de korte vragenlijst in",
        ),
        (
            Language::En,
            "How was your video call with Gemeente Zemst?",
            "On Tuesday 24 November 2026 you had a video call with Gemeente Zemst (Afval en milieu).",
            "Take the short survey",
        ),
        (
            Language::Fr,
            "Comment s'est passé votre appel vidéo avec Gemeente Zemst ?",
            "Le mardi 24 novembre 2026, vous avez eu un appel vidéo avec Gemeente Zemst (Afval en milieu).",
            "Répondre au court questionnaire",
        ),
    ];
    for (lang, subject, opening, button) in expect {
        let mail = sample::survey(lang);
        let out = render(&mail);
        assert_eq!(out.kind, MailKind::Survey);
        assert_eq!(out.kind.name(), "survey_invitation");
        assert_eq!(out.language, lang);
        assert_eq!(out.subject, subject);
        assert_eq!(out.to, mail.recipient);
        assert_eq!(out.from, sample::sender());
        assert!(out.calendar.is_none(), "{lang:?}: no .ics");
        assert!(out.attachments.is_empty(), "{lang:?}: no attachments");
        assert!(out.html.contains(&format!("<html lang=\"{}\">", lang.code())), "{lang:?}");
        assert!(out.html.contains(&format!("<title>{}</title>", subject.replace('\'', "&#x27;"))), "{lang:?}");
        for body in [&out.text, &out.html] {
            assert!(body.contains("An Peeters") && body.contains("Gemeente Zemst"), "{lang:?}:\n{body}");
            assert!(body.contains(opening), "{lang:?}:\n{body}");
        }
        for (part, body) in [("subject", &out.subject), ("text", &out.text), ("html", &out.html)] {
            assert_clean(&format!("{lang:?} {part}"), body);
        }
        assert!(!out.text.contains("\n\n\n") && out.text.ends_with('\n') && !out.text.ends_with("\n\n"));

        // The link exactly as given: once in the text, on a line of its own; in the HTML one
        // button (the only link) and the same address written out to copy.
        assert_eq!(out.text.matches(URL).count(), 1, "{lang:?}:\n{}", out.text);
        assert!(out.text.contains(&format!("\n{URL}\n")), "{lang:?}:\n{}", out.text);
        assert_eq!(out.html.matches("<a ").count(), 1, "{lang:?}: one link");
        assert_eq!(out.html.matches(&format!("<a href=\"{URL}\"")).count(), 1, "{lang:?}:\n{}", out.html);
        assert!(out.html.contains(&format!(">{button}</a>")), "{lang:?}:\n{}", out.html);
        assert!(out.html.contains(&format!(">{URL}</span>")), "{lang:?}: the address to copy");
        assert!(!out.subject.contains(URL), "{lang:?}: the link is not in the subject");
    }
}

#[test]
fn it_says_voluntary_short_anonymous_and_how_long_the_link_works() {
    let expect = [
        (
            Language::Nl,
            ["het duurt minder dan 2 minuten", "u mag dit bericht ook gewoon negeren"],
            "Uw antwoorden zijn anoniem: we bewaren ze zonder uw naam of e-mailadres, alleen met de dienst, \
             de medewerker, de datum en de technische kwaliteit van het gesprek.",
            "tot 14 dagen na het gesprek",
        ),
        (
            Language::En,
            ["it takes less than 2 minutes", "you are also welcome to simply ignore this message"],
            "Your answers are anonymous: we keep them without your name or e-mail address, only with the \
             service, the staff member, the date and the technical quality of the call.",
            "until 14 days after the call",
        ),
        (
            Language::Fr,
            ["cela prend moins de 2 minutes", "vous pouvez aussi tout simplement ignorer ce message"],
            "Vos réponses sont anonymes : nous les conservons sans votre nom ni votre adresse e-mail, \
             uniquement avec le service, le collaborateur, la date et la qualité technique de l'appel.",
            "jusqu'à 14 jours après l'appel",
        ),
    ];
    for (lang, voluntary, anonymous, valid) in expect {
        let out = render(&sample::survey(lang));
        let text = out.text.to_lowercase();
        for phrase in voluntary {
            assert!(text.contains(phrase), "{lang:?}: {phrase:?} in\n{}", out.text);
            assert!(out.html.to_lowercase().contains(phrase), "{lang:?}: {phrase:?} in\n{}", out.html);
        }
        assert!(out.text.contains(anonymous), "{lang:?}:\n{}", out.text);
        assert!(out.html.contains(anonymous), "{lang:?}:\n{}", out.html);
        assert!(out.text.contains(valid), "{lang:?}:\n{}", out.text);
        assert!(out.html.contains(valid), "{lang:?}:\n{}", out.html);
    }
}

#[test]
fn the_day_is_the_calendar_day_given_not_shifted_by_time_zones() {
    let mut mail = sample::survey(Language::Nl);
    mail.day = jiff::civil::date(2026, 3, 29); // the switch to summer time
    assert!(render(&mail).text.contains("Op zondag 29 maart 2026 had u"));
    let mail = SurveyMail { day: jiff::civil::date(2026, 12, 1), ..sample::survey(Language::Fr) };
    assert!(render(&mail).text.contains("Le mardi 1er décembre 2026, vous avez eu"));
}

#[test]
fn html_is_escaped_and_plain_text_is_not() {
    let mut mail = sample::survey(Language::En);
    mail.recipient.name = "<b>An</b> & Co".into();
    mail.service = "Waste \"<b>bulky</b>\"".into();
    let out = render(&mail);
    assert!(!out.html.contains("<b>"), "{}", out.html);
    assert!(out.html.contains("Dear &lt;b&gt;An&lt;/b&gt; &amp; Co,"), "{}", out.html);
    assert!(out.html.contains("(Waste &quot;&lt;b&gt;bulky&lt;/b&gt;&quot;)"), "{}", out.html);
    assert!(out.text.contains("Dear <b>An</b> & Co,"), "{}", out.text);
    assert!(out.text.contains("(Waste \"<b>bulky</b>\")"), "{}", out.text);
}

#[test]
fn a_newline_in_a_name_cannot_break_the_subject() {
    let mail = SurveyMail { municipality: "Gemeente\r\nBcc: x@evil.example".into(), ..sample::survey(Language::Nl) };
    let out = render(&mail);
    assert!(!out.subject.contains('\n') && !out.subject.contains('\r'), "{:?}", out.subject);
}

#[test]
fn bad_input_is_refused_as_permanent() {
    let r = renderer();
    let with_url = |url: &str| SurveyMail { survey_url: url.into(), ..sample::survey(Language::Nl) };
    let cases = [
        SurveyMail { municipality: " ".into(), ..sample::survey(Language::Nl) },
        SurveyMail { recipient: Person::new("", "an@example.org"), ..sample::survey(Language::Nl) },
        SurveyMail { service: "\n".into(), ..sample::survey(Language::Nl) },
        with_url(""),
        with_url("ftp://balie.zemst.example/enquete#abc"),
        with_url("javascript:alert(1)//enquete#abc"),
        with_url("balie.zemst.example/enquete#abc"),
        with_url("https://balie.zemst.example/afspraak#abc"),
        with_url("https://balie.zemst.example/enquete"),
        with_url("https://balie.zemst.example/enquete#"),
        with_url("https://balie.zemst.example/enquete?t=abc"),
        with_url("https:///enquete#abc"),
        with_url("https://balie.zemst.example/enquete#ab#c"),
        with_url("https://balie.zemst.example/enquete#ab c"),
        with_url("https://balie.zemst.example/enquete#abc\n"),
        with_url(" https://balie.zemst.example/enquete#abc"),
        with_url("https://balie.zemst.example/enquete#abc\"onclick=\"x"),
        with_url("https://balie.zemst.example/enquete#{{ x }}"),
        with_url("https://balie.zemst.example/enquête#abc"),
        with_url("https://balie.zemst.example/enquete#abc/def"),
    ];
    for mail in cases {
        let err = mail.check().unwrap_err();
        assert!(matches!(err, MailError::Invalid(_)), "{:?}: {err}", mail.survey_url);
        let err = r.render_survey(&mail, now()).unwrap_err();
        assert!(err.is_permanent(), "{err}");
    }
    // The recipient's address is checked when rendering, as for every message.
    let mail = SurveyMail { recipient: Person::new("An", "not-an-address"), ..sample::survey(Language::Nl) };
    assert!(mail.check().is_ok());
    let err = r.render_survey(&mail, now()).unwrap_err();
    assert!(matches!(err, MailError::Address { .. }) && err.is_permanent(), "{err}");
}

#[test]
fn development_and_prefixed_links_are_accepted() {
    for url in [
        URL,
        "http://localhost:8080/enquete#9f2c4e7a",
        "https://www.zemst.example/balie/enquete#9f2c4e7a",
        "https://balie.zemst.example/enquete#Zk3v-Q9x_2",
    ] {
        let mail = SurveyMail { survey_url: url.into(), ..sample::survey(Language::En) };
        assert!(mail.check().is_ok(), "{url}");
        let out = render(&mail);
        assert_eq!(out.text.matches(url).count(), 1, "{url}");
        assert!(out.html.contains(&format!("href=\"{url}\"")), "{url}");
    }
}

#[test]
fn survives_a_json_round_trip_and_debug_hides_the_link() {
    let mail = sample::survey(Language::Fr);
    let json = serde_json::to_string(&mail).unwrap();
    assert!(json.contains(r#""day":"2026-11-24""#), "{json}");
    let back: SurveyMail = serde_json::from_str(&json).unwrap();
    assert_eq!(back, mail);
    // Without a language it is Dutch, as for the other messages.
    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    value.as_object_mut().unwrap().remove("language");
    let back: SurveyMail = serde_json::from_value(value).unwrap();
    assert_eq!(back.language, Language::Nl);

    let debug = format!("{mail:?}");
    assert!(!debug.contains(URL) && !debug.contains("9f2c4e7a"), "{debug}");
    assert!(debug.contains("survey_url") && debug.contains("Afval en milieu"), "{debug}");

    let out = render(&mail);
    let back: OutgoingMail = serde_json::from_str(&serde_json::to_string(&out).unwrap()).unwrap();
    assert_eq!(back, out);
    assert_eq!(back.kind, MailKind::Survey);
    assert!(!format!("{out:?}").contains(URL), "{out:?}");
}

#[test]
fn message_ids_are_unique_and_use_the_sender_domain() {
    let (a, b) = (render(&sample::survey(Language::Nl)), render(&sample::survey(Language::Nl)));
    assert_ne!(a.message_id, b.message_id);
    assert!(a.message_id.ends_with("@zemst.example>"), "{}", a.message_id);
}
