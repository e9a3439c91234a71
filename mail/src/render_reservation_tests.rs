//! Reservation rendering tests: every kind in every language, the door code and its QR image,
//! the invoice attachment, calendar objects, escaping, and the rules that refuse bad input.

use super::*;
use crate::message::Attachment;
use crate::reservation::{AccessCode, Contact, PaymentSummary, ReservationMail, ReservationMessageKind as Kind};
use crate::sample;

fn renderer() -> Renderer {
    Renderer::new(sample::sender()).unwrap()
}

fn now() -> Timestamp {
    "2026-11-07T10:00:00Z".parse().unwrap()
}

fn render(kind: Kind, mail: &ReservationMail) -> OutgoingMail {
    renderer().render_reservation(kind, mail, now()).unwrap_or_else(|e| panic!("{kind:?} {:?}: {e:#}", mail.language))
}

/// The sample for `kind`, with a door code or, when `key` is set, a key to fetch instead.
fn reservation(lang: Language, kind: Kind, key: bool) -> ReservationMail {
    let mut mail = sample::reservation(lang, kind);
    if key {
        mail.access = None;
        mail.key_pickup = Some("Het onthaal is open op werkdagen van 9 tot 12 uur.".into());
    }
    mail
}

fn inline(out: &OutgoingMail) -> Vec<&Attachment> {
    out.attachments.iter().filter(|a| a.content_id.is_some()).collect()
}

fn files(out: &OutgoingMail) -> Vec<&Attachment> {
    out.attachments.iter().filter(|a| a.content_id.is_none()).collect()
}

fn invoice_html(out: &OutgoingMail) -> String {
    let invoice = files(out).into_iter().find(|a| a.content_type.starts_with("text/html")).expect("an invoice");
    String::from_utf8(invoice.data().unwrap()).unwrap()
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
fn every_kind_renders_in_every_language_with_and_without_a_door_code() {
    let r = renderer();
    for (lang, kind) in all_reservation_templates() {
        for key in [false, true] {
            let mail = reservation(lang, kind, key);
            let what = format!("{lang:?} {kind:?} key={key}");
            let out = r.render_reservation(kind, &mail, now()).unwrap_or_else(|e| panic!("{what}: {e:#}"));
            assert_eq!(out.kind, kind, "{what}");
            assert_eq!(out.kind.name(), kind.name());
            assert!(!out.subject.is_empty() && !out.subject.contains('\n'), "{what}");
            assert!(out.subject.contains("Zaal De Linde"), "{what}: {}", out.subject);
            assert!(out.text.contains("Lotte Janssens") && out.text.contains("Gemeente Zemst"), "{what}");
            assert!(out.html.contains(&format!("<html lang=\"{}\">", lang.code())), "{what}");
            assert!(out.text.contains("Kerkstraat 12, 1980 Zemst") && out.text.contains("1042"), "{what}");
            for (part, body) in [("subject", &out.subject), ("text", &out.text), ("html", &out.html)] {
                assert_clean(&format!("{what} {part}"), body);
            }
            assert!(!out.text.contains("\n\n\n") && out.text.ends_with('\n') && !out.text.ends_with("\n\n"));
            assert_eq!(out.calendar.as_ref().map(|c| c.method), kind.method(), "{what}");
            if let Some(calendar) = &out.calendar {
                assert_clean(&format!("{what} ics"), &calendar.ics);
            }

            // The door code: in the messages that tell how to get in, nowhere else.
            let with_code = kind.shows_access() && !key;
            for body in [&out.text, &out.html] {
                assert_eq!(body.contains(sample::PIN), with_code, "{what}: PIN");
            }
            assert_eq!(inline(&out).len(), usize::from(with_code), "{what}: inline QR");
            let pngs = files(&out).iter().filter(|a| a.content_type == "image/png").count();
            assert_eq!(pngs, usize::from(with_code), "{what}: QR attachment");
            if kind.shows_access() && key {
                let key_sentence = match lang {
                    Language::Nl => "u haalt vooraf de sleutel op aan het onthaal",
                    Language::En => "please collect the key from the reception desk beforehand",
                    Language::Fr => "venez chercher la clé à l'accueil au préalable",
                };
                assert!(out.text.contains(key_sentence) && out.html.contains(key_sentence), "{what}:\n{}", out.text);
                assert!(out.text.contains("werkdagen van 9 tot 12 uur"), "{what}");
                assert!(!out.html.contains("cid:"), "{what}");
            }

            // The invoice goes with the invoice message and with a confirmation paid by invoice.
            let invoice = matches!(kind, Kind::Invoice | Kind::Confirmation);
            let htmls = files(&out).iter().filter(|a| a.content_type.starts_with("text/html")).count();
            assert_eq!(htmls, usize::from(invoice), "{what}: invoice attachment");
            if invoice {
                assert_clean(&format!("{what} invoice"), &invoice_html(&out));
            }
        }
    }
}

#[test]
fn subjects_in_each_language() {
    let expect = [
        (Language::Nl, Kind::Confirmation, "Uw reservatie is bevestigd: Zaal De Linde op zaterdag 28 november 2026"),
        (
            Language::Nl,
            Kind::AccessReminder,
            "Herinnering: uw reservatie van Zaal De Linde op zaterdag 28 november 2026",
        ),
        (Language::Nl, Kind::Cancellation, "Geannuleerd: uw reservatie van Zaal De Linde op zaterdag 28 november 2026"),
        (Language::Nl, Kind::Invoice, "Factuur 2026/0042 voor uw reservatie van Zaal De Linde"),
        (Language::En, Kind::Confirmation, "Your booking is confirmed: Zaal De Linde on Saturday 28 November 2026"),
        (Language::En, Kind::Invoice, "Invoice 2026/0042 for your booking of Zaal De Linde"),
        (
            Language::Fr,
            Kind::Confirmation,
            "Votre réservation est confirmée : Zaal De Linde le samedi 28 novembre 2026",
        ),
        (Language::Fr, Kind::Cancellation, "Annulée : votre réservation de Zaal De Linde le samedi 28 novembre 2026"),
    ];
    for (lang, kind, subject) in expect {
        assert_eq!(render(kind, &sample::reservation(lang, kind)).subject, subject);
    }
}

#[test]
fn the_door_code_is_big_in_html_on_its_own_line_in_text_with_its_window() {
    let expect = [
        (Language::Nl, "Geldig van 13:45 tot 18:15", "Deur: Zij-ingang Kerkstraat"),
        (Language::En, "Valid from 13:45 to 18:15", "Door: Zij-ingang Kerkstraat"),
        (Language::Fr, "Valable de 13h45 à 18h15", "Porte : Zij-ingang Kerkstraat"),
    ];
    for (lang, window, door) in expect {
        for kind in [Kind::Confirmation, Kind::AccessReminder] {
            let out = render(kind, &sample::reservation(lang, kind));
            assert!(out.text.contains(&format!("\n\n    {}\n\n", sample::PIN)), "{lang:?}:\n{}", out.text);
            assert!(out.text.contains(window) && out.text.contains(door), "{lang:?} {kind:?}:\n{}", out.text);
            assert!(out.html.contains(window) && out.html.contains(door), "{lang:?} {kind:?}");
            assert!(
                out.html.contains(&format!(
                    "font-size:44px;line-height:1.2;font-weight:bold;letter-spacing:8px;color:#0b5394;\">{}</p>",
                    sample::PIN
                )),
                "{}",
                out.html
            );
        }
    }
}

#[test]
fn a_door_code_for_a_night_names_both_days() {
    let mut mail = sample::reservation(Language::Nl, Kind::Confirmation);
    mail.start = "2026-11-28T19:00:00Z".parse().unwrap(); // 20:00 Brussels
    mail.end = "2026-11-29T00:00:00Z".parse().unwrap(); // 01:00 the next day
    let access = mail.access.as_mut().unwrap();
    access.valid_from = "2026-11-28T18:45:00Z".parse().unwrap();
    access.valid_until = "2026-11-29T00:15:00Z".parse().unwrap();
    let out = render(Kind::Confirmation, &mail);
    assert!(
        out.text.contains("van zaterdag 28 november 2026 om 20:00 tot zondag 29 november 2026 om 01:00"),
        "{}",
        out.text
    );
    assert!(
        out.text.contains("Geldig van zaterdag 28 november 2026 om 19:45 tot zondag 29 november 2026 om 01:15."),
        "{}",
        out.text
    );
}

#[test]
fn the_qr_image_is_inline_with_a_matching_content_id_and_also_attached() {
    let out = render(Kind::Confirmation, &sample::reservation(Language::Nl, Kind::Confirmation));
    let image = inline(&out)[0];
    let cid = image.content_id.as_deref().unwrap();
    assert!(cid.starts_with("qr.") && cid.ends_with("@zemst.example"), "{cid}");
    assert_eq!(format!("<{}>", cid.trim_start_matches("qr.")), out.message_id);
    assert!(out.html.contains(&format!("<img src=\"cid:{cid}\"")), "{}", out.html);
    assert_eq!((image.filename.as_str(), image.content_type.as_str()), ("toegangscode.png", "image/png"));
    let attached = files(&out).into_iter().find(|a| a.content_type == "image/png").unwrap();
    assert_eq!(attached.data().unwrap(), image.data().unwrap());
    assert_eq!(image.data().unwrap(), crate::qr::qr_png(sample::QR_PAYLOAD));
    // The payload is for the door, not for the reader's eyes.
    assert!(!out.text.contains(sample::QR_PAYLOAD) && !out.html.contains(sample::QR_PAYLOAD));

    let other = render(Kind::Confirmation, &sample::reservation(Language::Nl, Kind::Confirmation));
    assert_ne!(inline(&other)[0].content_id, image.content_id, "a content id per message");
    let en = render(Kind::AccessReminder, &sample::reservation(Language::En, Kind::AccessReminder));
    assert_eq!(inline(&en)[0].filename, "access-code.png");
}

#[test]
fn the_confirmation_has_the_info_sheet() {
    let out = render(Kind::Confirmation, &sample::reservation(Language::Nl, Kind::Confirmation));
    for body in [&out.text, &out.html] {
        for needle in [
            "Praktische info",
            "Kerkstraat 12, 1980 Zemst",
            "U komt binnen via de zij-ingang in de Kerkstraat.",
            "Huisregels: geen confetti",
            "trek de deur achter u dicht",
            "Jan Wouters, zaalbeheer",
            "015 00 12 34",
            "zalen@zemst.example",
        ] {
            assert!(body.contains(needle), "missing {needle:?}:\n{body}");
        }
    }
    // Lines of a paragraph stay together; paragraphs are paragraphs.
    assert!(out.html.contains(
        "<p>De zaal ligt op het gelijkvloers. U komt binnen via de zij-ingang in de Kerkstraat.<br>Parkeren kan"
    ));
    assert!(out.html.contains("<p>Huisregels: geen confetti"));
    assert!(out.text.contains("in de Kerkstraat.\nParkeren kan op het Kerkplein, op 100 meter.\n\nHuisregels:"));
    // The invoice's payment details, in the mail itself too.
    for needle in ["+++202/6000/04236+++", "BE68 5390 0754 7034", "zaterdag 21 november 2026", "€\u{a0}300,50"] {
        assert!(out.text.contains(needle) && out.html.contains(needle), "missing {needle:?}");
    }
    assert!(out.text.contains("De factuur (2026/0042) zit als bijlage bij deze e-mail."), "{}", out.text);
}

#[test]
fn the_confirmation_calendar_is_a_request_at_the_address_without_the_door_code() {
    let out = render(Kind::Confirmation, &sample::reservation(Language::Nl, Kind::Confirmation));
    let calendar = out.calendar.unwrap();
    assert_eq!(calendar.method, Method::Request);
    let ics = calendar.ics.replace("\r\n ", "");
    for line in [
        "METHOD:REQUEST",
        "UID:reservation-1042@balie.zemst.example",
        "SEQUENCE:0",
        "DTSTART:20261128T130000Z",
        "DTEND:20261128T170000Z",
        "LOCATION:Kerkstraat 12\\, 1980 Zemst",
        "SUMMARY:Zaal De Linde – Gemeente Zemst",
        "STATUS:CONFIRMED",
    ] {
        assert!(ics.contains(&format!("\r\n{line}\r\n")), "missing {line}:\n{ics}");
    }
    assert!(!ics.contains(sample::PIN) && !ics.contains(sample::QR_PAYLOAD), "{ics}");
    assert!(ics.contains("Deur: Zij-ingang Kerkstraat. Uw toegangscode staat in de bevestigingsmail."), "{ics}");
}

#[test]
fn the_cancellation_removes_the_calendar_entry_and_names_the_refund() {
    let expect = [
        (Language::Nl, "U krijgt €\u{a0}300,50 terug"),
        (Language::En, "You will get €300.50 back"),
        (Language::Fr, "Nous vous remboursons 300,50\u{a0}€"),
    ];
    for (lang, refund) in expect {
        let mail = sample::reservation(lang, Kind::Cancellation);
        let out = render(Kind::Cancellation, &mail);
        let calendar = out.calendar.as_ref().unwrap();
        assert_eq!(calendar.method, Method::Cancel);
        assert!(calendar.ics.contains("\r\nMETHOD:CANCEL\r\n") && calendar.ics.contains("\r\nSTATUS:CANCELLED\r\n"));
        assert!(calendar.ics.contains("\r\nSEQUENCE:1\r\n"));
        assert!(out.text.contains(refund), "{lang:?}:\n{}", out.text);
        assert!(out.attachments.is_empty(), "{lang:?}: no QR, no invoice");

        let out = render(Kind::Cancellation, &ReservationMail { refund_cents: None, ..mail.clone() });
        assert!(!out.text.contains("300"), "{lang:?}: no refund, no amount:\n{}", out.text);
        let out = render(Kind::Cancellation, &ReservationMail { refund_cents: Some(0), ..mail });
        assert!(!out.text.contains("300"), "{lang:?}: a refund of 0 is none");
    }
}

#[test]
fn the_invoice_is_a_printable_html_attachment() {
    let expect = [
        (Language::Nl, "factuur-2026-0042.html", "Gelieve"),
        (Language::En, "invoice-2026-0042.html", "Please pay"),
        (Language::Fr, "facture-2026-0042.html", "Veuillez payer"),
    ];
    for (lang, filename, please) in expect {
        let out = render(Kind::Invoice, &sample::reservation(lang, Kind::Invoice));
        assert!(out.calendar.is_none() && inline(&out).is_empty());
        let attached = files(&out);
        assert_eq!(attached.len(), 1);
        assert_eq!(attached[0].filename, filename);
        assert_eq!(attached[0].content_type, "text/html; charset=utf-8");
        let invoice = invoice_html(&out);
        assert!(invoice.starts_with("<!DOCTYPE html>\n<html lang=\"") && invoice.contains("@page"), "{lang:?}");
        assert!(invoice.contains(please), "{lang:?}");
        let money = |cents| lang.money(cents);
        for needle in [
            "Gemeente Zemst".to_string(),
            "Brusselsesteenweg 2, 1980 Zemst".into(),
            "0207.500.123".into(),
            "Chiro Zemst".into(),
            "Lotte Janssens".into(),
            "lotte.janssens@example.org".into(),
            "2026/0042".into(),
            "+++202/6000/04236+++".into(),
            "BE68 5390 0754 7034".into(),
            lang.civil_date(jiff::civil::date(2026, 11, 21)),
            lang.civil_date(jiff::civil::date(2026, 11, 7)),
            "Huur zaal, weekendtarief".into(),
            "25 personen".into(),
            lang.percent(2_100),
            money(24_000),
            money(29_000), // subtotal
            money(1_050),  // VAT
            money(30_050), // total
            "Zaal De Linde".into(),
        ] {
            assert!(invoice.contains(&needle), "{lang:?}: missing {needle:?}\n{invoice}");
        }
    }
}

#[test]
fn an_invoice_after_a_deposit_asks_for_the_rest_and_is_dated_today_by_default() {
    let mut mail = sample::reservation(Language::Nl, Kind::Invoice);
    let PaymentSummary::Invoice { amount_cents, issue_date, .. } = &mut mail.payment else { unreachable!() };
    *amount_cents = 20_050;
    *issue_date = None;
    let out = render(Kind::Invoice, &mail);
    let invoice = invoice_html(&out);
    assert!(invoice.contains("Al betaald</th><td class=\"num\">-€\u{a0}100,00"), "{invoice}");
    assert!(invoice.contains("Te betalen</th><td class=\"num\">€\u{a0}200,50"), "{invoice}");
    // `now` is Saturday 7 November 2026.
    assert!(invoice.contains("Factuurdatum</th><td>zaterdag 7 november 2026"), "{invoice}");
    assert!(out.text.contains("€\u{a0}200,50 (u betaalde al €\u{a0}100,00)"), "{}", out.text);
}

#[test]
fn paid_and_free_reservations_ask_for_nothing() {
    let mut mail = sample::reservation(Language::Nl, Kind::Confirmation);
    mail.payment = PaymentSummary::Paid { reference: "PAY-7F3K9Q".into() };
    let out = render(Kind::Confirmation, &mail);
    assert!(out.text.contains("U hebt dit bedrag al betaald (referentie PAY-7F3K9Q)."), "{}", out.text);
    assert!(!out.text.contains("Mededeling") && !out.text.contains("+++"));
    assert_eq!(files(&out).len(), 1, "the QR code only, no invoice");

    mail.payment = PaymentSummary::Free;
    mail.lines.clear();
    mail.vat.clear();
    (mail.vat_cents, mail.total_cents) = (0, 0);
    let out = render(Kind::Confirmation, &mail);
    assert!(out.text.contains("Deze reservatie is gratis."), "{}", out.text);
    assert!(!out.text.contains('€') && !out.html.contains('€'));
}

#[test]
fn html_is_escaped_and_plain_text_is_not() {
    let mut mail = sample::reservation(Language::En, Kind::Confirmation);
    mail.recipient.name = "<b>Lotte</b> & Co".into();
    mail.organisation = Some("<script>alert('x')</script>".into());
    mail.practical_info = "Bring <i>slippers</i> & a \"smile\"".into();
    mail.contact.name = "Jan <Wouters>".into();
    let out = render(Kind::Confirmation, &mail);
    let invoice = invoice_html(&out);
    for html in [&out.html, &invoice] {
        assert!(!html.contains("<b>Lotte") && !html.contains("<script>") && !html.contains("<Wouters>"), "{html}");
        assert!(html.contains("&lt;b&gt;Lotte&lt;/b&gt; &amp; Co"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("Jan &lt;Wouters&gt;"));
    }
    assert!(out.html.contains("Bring &lt;i&gt;slippers&lt;/i&gt; &amp; a &quot;smile&quot;"), "{}", out.html);
    assert!(out.text.contains("Dear <b>Lotte</b> & Co,"), "{}", out.text);
    assert!(out.text.contains("For:      <script>alert('x')</script>"));
    assert!(out.text.contains("Bring <i>slippers</i> & a \"smile\""));
}

#[test]
fn a_newline_in_a_name_cannot_break_the_subject() {
    let mut mail = sample::reservation(Language::Nl, Kind::Confirmation);
    mail.resource_name = "Zaal\r\nBcc: x@evil.example".into();
    let out = render(Kind::Confirmation, &mail);
    assert!(!out.subject.contains('\n') && !out.subject.contains('\r'), "{:?}", out.subject);
}

#[test]
fn bad_input_is_refused_as_permanent() {
    let r = renderer();
    let base = || sample::reservation(Language::Nl, Kind::Confirmation);
    let with_access = |change: &dyn Fn(&mut AccessCode)| {
        let mut mail = base();
        change(mail.access.as_mut().unwrap());
        mail
    };
    let with_invoice = |change: &dyn Fn(&mut String, &mut String, &mut i64)| {
        let mut mail = base();
        let PaymentSummary::Invoice { number, structured_communication, amount_cents, .. } = &mut mail.payment else {
            unreachable!()
        };
        change(number, structured_communication, amount_cents);
        mail
    };
    let cases: Vec<(&str, ReservationMail)> = vec![
        ("5-digit PIN", with_access(&|a| a.pin = "12345".into())),
        ("7-digit PIN", with_access(&|a| a.pin = "1234567".into())),
        ("letter in PIN", with_access(&|a| a.pin = "12345a".into())),
        ("non-ASCII digits", with_access(&|a| a.pin = "١٢٣٤٥٦".into())),
        ("spaces in PIN", with_access(&|a| a.pin = "123 45".into())),
        ("empty QR", with_access(&|a| a.qr_payload.clear())),
        ("QR too long", with_access(&|a| a.qr_payload = "x".repeat(crate::qr::MAX_PAYLOAD + 1))),
        ("no door", with_access(&|a| a.door = " ".into())),
        ("window backwards", with_access(&|a| a.valid_until = a.valid_from)),
        ("window too late", with_access(&|a| a.valid_from = "2026-11-28T13:15:00Z".parse().unwrap())),
        ("window too short", with_access(&|a| a.valid_until = "2026-11-28T16:00:00Z".parse().unwrap())),
        ("no code, no key", ReservationMail { access: None, ..base() }),
        ("code and key", ReservationMail { key_pickup: Some("Onthaal".into()), ..base() }),
        ("bad check digits", with_invoice(&|_, s, _| *s = "+++202/6000/04237+++".into())),
        ("no communication", with_invoice(&|_, s, _| s.clear())),
        ("invoice number", with_invoice(&|n, _, _| *n = "2026 <0042>".into())),
        ("nothing to pay", with_invoice(&|_, _, a| *a = 0)),
        ("more than the total", with_invoice(&|_, _, a| *a = 30_051)),
        ("IBAN", {
            let mut mail = base();
            let PaymentSummary::Invoice { iban, .. } = &mut mail.payment else { unreachable!() };
            *iban = "BE68539007547035".into();
            mail
        }),
        ("lines and total", ReservationMail { total_cents: 30_000, ..base() }),
        ("VAT per rate", ReservationMail { vat_cents: 1_000, total_cents: 30_000, ..base() }),
        ("negative VAT", ReservationMail { vat: vec![], vat_cents: -1, total_cents: 28_999, ..base() }),
        ("free but not", ReservationMail { payment: PaymentSummary::Free, ..base() }),
        ("refund over total", ReservationMail { refund_cents: Some(30_051), ..base() }),
        (
            "paid without reference",
            ReservationMail { payment: PaymentSummary::Paid { reference: " ".into() }, ..base() },
        ),
        (
            "contact unreachable",
            ReservationMail { contact: Contact { name: "Jan".into(), email: None, phone: None }, ..base() },
        ),
        (
            "contact phone",
            ReservationMail {
                contact: Contact { name: "Jan".into(), email: None, phone: Some("call me".into()) },
                ..base()
            },
        ),
        (
            "contact e-mail",
            ReservationMail {
                contact: Contact { name: "Jan".into(), email: Some("nope".into()), phone: None },
                ..base()
            },
        ),
        ("ends before start", ReservationMail { end: "2026-11-28T12:00:00Z".parse().unwrap(), ..base() }),
        ("no address", ReservationMail { address: " ".into(), ..base() }),
        (
            "uid with a space",
            ReservationMail { calendar: crate::CalendarRef { uid: "a b".into(), sequence: 0 }, ..base() },
        ),
        ("recipient", ReservationMail { recipient: Person::new("X", "not-an-address"), ..base() }),
    ];
    for (why, mail) in cases {
        let err = r.render_reservation(Kind::Confirmation, &mail, now()).expect_err(why);
        assert!(err.is_permanent(), "{why}: {err}");
    }
    // An invoice message needs an invoice.
    let mut mail = sample::reservation(Language::Nl, Kind::Invoice);
    mail.payment = PaymentSummary::Paid { reference: "PAY-1".into() };
    assert!(matches!(r.render_reservation(Kind::Invoice, &mail, now()), Err(MailError::Invalid(_))));
}

/// A cancellation or a reminder says nothing about paying, so a caller may leave the payment
/// as it is (e.g. `Free` for a paid reservation cancelled without refund) without the message
/// failing; an invoice's own fields must still be right.
#[test]
fn only_the_messages_that_show_the_costs_need_a_payment_that_fits_them() {
    let r = renderer();
    for kind in [Kind::Cancellation, Kind::AccessReminder] {
        let mail = ReservationMail { payment: PaymentSummary::Free, ..sample::reservation(Language::Nl, kind) };
        assert!(r.render_reservation(kind, &mail, now()).is_ok(), "{kind:?}");
        assert!(r.render_reservation(Kind::Confirmation, &mail, now()).is_err());
        let mut mail = sample::reservation(Language::Nl, Kind::Invoice);
        let PaymentSummary::Invoice { iban, .. } = &mut mail.payment else { unreachable!() };
        *iban = "BE00 0000 0000 0000".into();
        assert!(r.render_reservation(kind, &mail, now()).is_err(), "{kind:?}: a bad IBAN is a bug anywhere");
    }
}

#[test]
fn only_the_access_messages_need_a_way_in() {
    let r = renderer();
    for kind in Kind::ALL {
        let mail = ReservationMail { access: None, key_pickup: None, ..sample::reservation(Language::Fr, kind) };
        assert_eq!(r.render_reservation(kind, &mail, now()).is_ok(), !kind.shows_access(), "{kind:?}");
    }
}

#[test]
fn input_and_output_survive_json_and_debug_hides_the_secrets() {
    let mail = sample::reservation(Language::Nl, Kind::Confirmation);
    let back: ReservationMail = serde_json::from_str(&serde_json::to_string(&mail).unwrap()).unwrap();
    assert_eq!(back, mail);
    let debug = format!("{mail:?}");
    for secret in [sample::PIN, sample::QR_PAYLOAD, sample::RESERVATION_URL] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }

    let out = render(Kind::Confirmation, &mail);
    let json = serde_json::to_string(&out).unwrap();
    assert!(json.contains("\"kind\":\"reservation_confirmation\""), "{json}");
    let back: OutgoingMail = serde_json::from_str(&json).unwrap();
    assert_eq!(back, out);
    let debug = format!("{out:?}");
    assert!(!debug.contains(sample::PIN) && !debug.contains(&out.attachments[0].data_base64), "{debug}");
    assert!(debug.contains("toegangscode.png") && debug.contains("factuur-2026-0042.html"), "{debug}");
}

#[test]
fn the_payment_serde_form_is_tagged_by_type() {
    let json = serde_json::to_value(sample::reservation(Language::Nl, Kind::Invoice).payment).unwrap();
    assert_eq!(json["type"], "invoice");
    assert_eq!(json["due_date"], "2026-11-21");
    assert_eq!(serde_json::to_value(PaymentSummary::Free).unwrap(), serde_json::json!({"type": "free"}));
}

#[test]
fn cancelling_an_invoiced_booking_credits_the_invoice_with_a_credit_note() {
    let expect = [
        (
            Language::Nl,
            "creditnota-2026000003.html",
            "factuur 2026000042 wordt gecrediteerd",
            "Op die factuur betaalt u nog",
            "Creditnota",
        ),
        (Language::En, "credit-note-2026000003.html", "invoice 2026000042 is credited", "You still owe", "Credit note"),
        (
            Language::Fr,
            "note-de-credit-2026000003.html",
            "facture 2026000042 est créditée",
            "Il reste",
            "Note de crédit",
        ),
    ];
    for (lang, filename, credited, remaining, title) in expect {
        let base = sample::reservation(lang, Kind::Cancellation);
        let half = base.total_cents / 2;
        let credit = crate::CreditNoteSummary {
            number: "2026000003".into(),
            invoice_number: "2026000042".into(),
            amount_cents: half,
            remaining_cents: base.total_cents - half,
            issue_date: "2026-11-24".parse().unwrap(),
        };
        let mail = ReservationMail { refund_cents: None, credit_note: Some(credit.clone()), ..base.clone() };
        let out = render(Kind::Cancellation, &mail);
        assert!(out.text.contains(credited) && out.text.contains(remaining), "{lang:?}:\n{}", out.text);
        assert!(out.html.contains(credited), "{lang:?}: in the HTML part too");
        let files = files(&out);
        assert_eq!(files.len(), 1, "{lang:?}: the credit note only");
        assert_eq!(files[0].filename, filename);
        let note = String::from_utf8(files[0].data().unwrap()).unwrap();
        assert!(
            note.contains(title) && note.contains("2026000003") && note.contains("2026000042"),
            "{lang:?}:\n{note}"
        );
        assert!(note.contains(&format!("-{}", lang.money(half))), "{lang:?}: the credited amount:\n{note}");
        assert_clean(&format!("{lang:?} credit note"), &note);
        assert_clean(&format!("{lang:?} cancellation"), &out.html);
        // Credited in full: nothing more to pay.
        let full = crate::CreditNoteSummary { amount_cents: base.total_cents, remaining_cents: 0, ..credit.clone() };
        let out = render(
            Kind::Cancellation,
            &ReservationMail { credit_note: Some(full), refund_cents: None, ..base.clone() },
        );
        assert!(!out.text.contains(remaining), "{lang:?}: nothing remains:\n{}", out.text);
        // Not on a confirmation, and checked: crediting more than the total is refused.
        let confirmation =
            render(Kind::Confirmation, &ReservationMail { credit_note: Some(credit.clone()), ..base.clone() });
        assert!(confirmation.attachments.iter().all(|a| !a.filename.contains("credit")));
        let too_much = crate::CreditNoteSummary { amount_cents: base.total_cents + 1, remaining_cents: 0, ..credit };
        let refused = Renderer::new(Person::new("Gemeente", "balie@example.be")).unwrap().render_reservation(
            Kind::Cancellation,
            &ReservationMail { credit_note: Some(too_much), ..base },
            "2026-11-24T10:00:00Z".parse().unwrap(),
        );
        assert!(matches!(refused, Err(crate::MailError::Invalid(_))), "{lang:?}");
    }
}
