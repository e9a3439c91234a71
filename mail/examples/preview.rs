//! Prints one rendered sample message, to proofread templates:
//! `cargo run -p balie-mail --example preview -- [nl|en|fr] [confirmation|reminder|third_party_invitation|cancellation|rescheduled] [video|physical|hybrid] [text|html|ics|eml]`
//!
//! A reservation message (the sample: a hall with a door code, paid by invoice) by its kind's
//! name; the third argument is then ignored, and the output may also be `invoice` (the attached
//! invoice document) or `qr` (the QR code PNG, to redirect into a file):
//! `cargo run -p balie-mail --example preview -- nl reservation_confirmation - html`
//! (kinds: reservation_confirmation, reservation_access_reminder, reservation_cancellation,
//! reservation_invoice).
//!
//! The survey invitation after a video call (the third argument is ignored too):
//! `cargo run -p balie-mail --example preview -- nl survey_invitation - html`
//! Likewise the room evaluation and the defect-closed message: `room_evaluation`, `defect_closed`.

use std::io::Write as _;
use std::time::SystemTime;

use balie_mail::{mime, sample, Language, MailKind, Mode, Renderer};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.to_string());
    let language = Language::parse(&arg(0, "nl")).expect("language: nl, en or fr");
    let kind = MailKind::parse(&arg(1, "confirmation")).expect("unknown message kind");
    let mode = match arg(2, "video").as_str() {
        "physical" => Mode::Physical,
        "hybrid" => Mode::Hybrid,
        _ => Mode::Video,
    };
    let renderer = Renderer::new(sample::sender()).expect("templates compile");
    let now = jiff::Timestamp::now();
    let out = match kind {
        MailKind::Appointment(kind) => renderer.render(kind, &sample::appointment(language, kind, mode), now),
        MailKind::Reservation(kind) => renderer.render_reservation(kind, &sample::reservation(language, kind), now),
        MailKind::Survey => renderer.render_survey(&sample::survey(language), now),
        MailKind::Evaluation => renderer.render_evaluation(&sample::evaluation(language), now),
        MailKind::DefectClosed => renderer.render_defect_closed(&sample::defect_closed(language), now),
    }
    .unwrap_or_else(|e| panic!("{e}"));
    let attachment = |suffix: &str| {
        let found = out.attachments.iter().find(|a| a.content_id.is_none() && a.filename.ends_with(suffix));
        found.map(|a| a.data().expect("base64")).unwrap_or_default()
    };
    match arg(3, "text").as_str() {
        "html" => println!("{}", out.html),
        "ics" => print!("{}", out.calendar.map(|c| c.ics).unwrap_or_default()),
        "eml" => print!("{}", String::from_utf8_lossy(&mime::to_bytes(&out, SystemTime::now()).expect("builds"))),
        "invoice" => print!("{}", String::from_utf8_lossy(&attachment(".html"))),
        "qr" => std::io::stdout().write_all(&attachment(".png")).expect("stdout"),
        _ => print!("Subject: {}\n\n{}", out.subject, out.text),
    }
}
