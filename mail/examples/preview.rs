//! Prints one rendered sample message, to proofread templates:
//! `cargo run -p balie-mail --example preview -- [nl|en|fr] [confirmation|reminder|third_party_invitation|cancellation|rescheduled] [video|physical|hybrid] [text|html|ics|eml]`

use std::time::SystemTime;

use balie_mail::{mime, sample, Language, MessageKind, Mode, Renderer};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.to_string());
    let language = Language::parse(&arg(0, "nl")).expect("language: nl, en or fr");
    let kind = *MessageKind::ALL.iter().find(|k| k.name() == arg(1, "confirmation")).expect("unknown message kind");
    let mode = match arg(2, "video").as_str() {
        "physical" => Mode::Physical,
        "hybrid" => Mode::Hybrid,
        _ => Mode::Video,
    };
    let renderer = Renderer::new(sample::sender()).expect("templates compile");
    let mail = sample::appointment(language, kind, mode);
    let out = renderer.render(kind, &mail, jiff::Timestamp::now()).unwrap_or_else(|e| panic!("{e}"));
    match arg(3, "text").as_str() {
        "html" => println!("{}", out.html),
        "ics" => print!("{}", out.calendar.map(|c| c.ics).unwrap_or_default()),
        "eml" => print!("{}", String::from_utf8_lossy(&mime::to_bytes(&out, SystemTime::now()).expect("builds"))),
        _ => print!("Subject: {}\n\n{}", out.subject, out.text),
    }
}
