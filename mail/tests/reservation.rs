//! Reservation messages read back by independent parsers: the whole message by Python's `email`
//! package (the inline QR image and its Content-ID, the attachments, the calendar part), the
//! `.ics` by Python's `icalendar`, and the QR code, as it arrives, by a QR decoder (rqrr).

#[path = "support/python.rs"]
mod python;

use std::path::Path;
use std::time::SystemTime;

use balie_mail::{mime, sample, Language, Method, Renderer, ReservationMessageKind};
use base64::Engine as _;
use serde_json::Value;

fn now() -> jiff::Timestamp {
    "2026-11-07T10:00:00Z".parse().unwrap()
}

fn bytes(part: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(part["data_base64"].as_str().expect("binary part")).unwrap()
}

/// What a phone camera would read from the PNG.
fn read_qr(png: &[u8]) -> String {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).expect("PNG data");
    let (w, h) = (info.width as usize, info.height as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().expect("the QR code decodes").1
}

fn ics_of(eml: &Value, dir: &Path, name: &str) -> Value {
    let calendar = python::parts(eml, "text/calendar");
    assert_eq!(calendar.len(), 1);
    let path = dir.join(name);
    std::fs::write(&path, calendar[0]["text"].as_str().unwrap()).unwrap();
    let parsed = python::run_json(&python::ICALENDAR, "parse_ics.py", &[&path]);
    assert_eq!(parsed[0]["errors"], serde_json::json!([]));
    assert_eq!(parsed[0]["events"].as_array().unwrap().len(), 1);
    assert_eq!(parsed[0]["events"][0]["errors"], serde_json::json!([]));
    parsed[0].clone()
}

#[test]
fn a_confirmation_arrives_with_the_qr_code_inline_and_attached_the_invoice_and_the_invitation() {
    let renderer = Renderer::new(sample::sender()).unwrap();
    let kind = ReservationMessageKind::Confirmation;
    let out = renderer.render_reservation(kind, &sample::reservation(Language::Nl, kind), now()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("confirmation.eml");
    std::fs::write(&path, mime::to_bytes(&out, SystemTime::now()).unwrap()).unwrap();

    let eml = python::parse_eml(&path);
    assert_eq!(eml["defects"], serde_json::json!([]), "the parser found defects");
    assert_eq!(eml["content_type"], "multipart/mixed");
    assert_eq!(eml["headers"]["Subject"], "Uw reservatie is bevestigd: Zaal De Linde op zaterdag 28 november 2026");
    assert_eq!(python::parts(&eml, "multipart/related").len(), 1);

    // The HTML body shows the image whose Content-ID it names.
    let htmls = python::parts(&eml, "text/html");
    let body = htmls.iter().find(|p| p["disposition"].is_null()).expect("the HTML body");
    let images = python::parts(&eml, "image/png");
    assert_eq!(images.len(), 2, "inline and attached");
    let shown = images.iter().find(|p| p["disposition"] == "inline").expect("an inline image");
    let content_id = shown["content_id"].as_str().unwrap();
    assert!(content_id.starts_with('<') && content_id.ends_with('>'), "{content_id}");
    let cid = &content_id[1..content_id.len() - 1];
    assert!(body["text"].as_str().unwrap().contains(&format!("src=\"cid:{cid}\"")), "{}", body["text"]);
    assert_eq!(shown["filename"], "toegangscode.png");
    let saved = images.iter().find(|p| p["disposition"] == "attachment").expect("an attached image");
    assert_eq!(saved["filename"], "toegangscode.png");
    assert!(saved["content_id"].is_null());
    assert_eq!(bytes(shown), bytes(saved));
    assert_eq!(read_qr(&bytes(shown)), sample::QR_PAYLOAD);

    // The PIN in both bodies, big in the HTML.
    let text = python::parts(&eml, "text/plain")[0]["text"].as_str().unwrap();
    assert!(text.contains(&format!("    {}\n", sample::PIN)), "{text}");
    assert!(body["text"].as_str().unwrap().contains(&format!(">{}</p>", sample::PIN)));

    // The invoice, a document of its own.
    let invoice = htmls.iter().find(|p| p["disposition"] == "attachment").expect("the invoice");
    assert_eq!(invoice["filename"], "factuur-2026-0042.html");
    let invoice = invoice["text"].as_str().unwrap();
    assert!(invoice.contains("+++202/6000/04236+++") && invoice.contains("BE68 5390 0754 7034"), "{invoice}");

    // And the calendar part still works: an invitation at the address, without the door code.
    assert_eq!(python::parts(&eml, "text/calendar")[0]["params"]["method"], "REQUEST");
    let ics = python::parts(&eml, "application/ics");
    assert_eq!(ics[0]["filename"], "invite.ics");
    let cal = ics_of(&eml, dir.path(), "invite.ics");
    assert_eq!(cal["method"], "REQUEST");
    let event = &cal["events"][0];
    assert_eq!(event["uid"], "reservation-1042@balie.zemst.example");
    assert_eq!(event["sequence"], 0);
    assert_eq!(event["dtstart"], "2026-11-28T13:00:00+00:00");
    assert_eq!(event["dtend"], "2026-11-28T17:00:00+00:00");
    assert_eq!(event["dtstamp"], "2026-11-07T10:00:00+00:00");
    assert_eq!(event["location"], "Kerkstraat 12, 1980 Zemst");
    assert_eq!(event["summary"], "Zaal De Linde – Gemeente Zemst");
    assert_eq!(event["status"], "CONFIRMED");
    assert_eq!(event["attendee"]["value"], "mailto:lotte.janssens@example.org");
    let description = event["description"].as_str().unwrap();
    assert!(description.contains("Deur: Zij-ingang Kerkstraat"), "{description}");
    assert!(!description.contains(sample::PIN), "{description}");
}

#[test]
fn a_cancellation_removes_the_same_event() {
    let renderer = Renderer::new(sample::sender()).unwrap();
    let kind = ReservationMessageKind::Cancellation;
    let out = renderer.render_reservation(kind, &sample::reservation(Language::En, kind), now()).unwrap();
    assert_eq!(out.calendar.as_ref().unwrap().method, Method::Cancel);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cancel.eml");
    std::fs::write(&path, mime::to_bytes(&out, SystemTime::now()).unwrap()).unwrap();

    let eml = python::parse_eml(&path);
    assert_eq!(eml["defects"], serde_json::json!([]));
    assert!(python::parts(&eml, "image/png").is_empty(), "a cancelled code is not sent");
    let text = python::parts(&eml, "text/plain")[0]["text"].as_str().unwrap();
    assert!(text.contains("You will get €300.50 back"), "{text}");
    let cal = ics_of(&eml, dir.path(), "cancel.ics");
    assert_eq!(cal["method"], "CANCEL");
    let event = &cal["events"][0];
    assert_eq!(event["uid"], "reservation-1042@balie.zemst.example");
    assert_eq!(event["sequence"], 1);
    assert_eq!(event["status"], "CANCELLED");
}
