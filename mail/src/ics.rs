//! iCalendar (RFC 5545) objects for appointments, with the iTIP method (RFC 5546) that tells a
//! calendar client what to do: `REQUEST` adds or updates the entry with the same `UID`,
//! `CANCEL` removes it. A client applies a change only when its `SEQUENCE` is higher than the
//! one it has, so the caller keeps `UID` stable and bumps `SEQUENCE` on every change.
//!
//! Built with the `ics` crate; two things are done here because it does not:
//! - text values are escaped (`,` `;` `\` and newlines) with [`ics::escape_text`];
//! - lines are folded again: `ics` folds after 75 octets of content and then adds the leading
//!   space, so a continuation line is 76 octets, one more than RFC 5545 §3.1 allows.

use ics::components::Parameter;
use ics::properties::{
    Attendee, CalScale, Description, DtEnd, DtStart, Location, Method as MethodProp, Organizer, Sequence, Status,
    Summary, Transp, URL,
};
use ics::{escape_text, ICalendar};
use jiff::Timestamp;

use crate::appointment::Person;
use crate::message::Method;

const PRODID: &str = "-//balie//balie-mail//NL";
/// RFC 5545 §3.1: "Lines of text SHOULD NOT be longer than 75 octets, excluding the line break."
const MAX_LINE_OCTETS: usize = 75;

/// One appointment as a calendar event.
#[derive(Debug, Clone)]
pub struct CalendarEvent<'a> {
    pub method: Method,
    pub uid: &'a str,
    pub sequence: u32,
    /// DTSTAMP: when this object was made (the caller's `now`).
    pub stamp: Timestamp,
    pub start: Timestamp,
    pub end: Timestamp,
    pub summary: &'a str,
    pub description: &'a str,
    pub location: Option<&'a str>,
    /// The join link, for clients that show a "join" button from `URL`.
    pub url: Option<&'a str>,
    pub organizer: &'a Person,
    pub attendee: &'a Person,
}

/// The `.ics` text: CRLF line ends, folded at 75 octets, UTC times.
pub fn calendar(event: &CalendarEvent<'_>) -> String {
    let mut ev = ics::Event::new(event.uid, utc(event.stamp));
    ev.push(Sequence::new(event.sequence.to_string()));
    ev.push(DtStart::new(utc(event.start)));
    ev.push(DtEnd::new(utc(event.end)));
    ev.push(Summary::new(escape_text(event.summary)));
    ev.push(Description::new(escape_text(event.description)));
    if let Some(location) = event.location {
        ev.push(Location::new(escape_text(location)));
    }
    if let Some(url) = event.url {
        ev.push(URL::new(url));
    }
    ev.push(match event.method {
        Method::Request => Status::confirmed(),
        Method::Cancel => Status::cancelled(),
    });
    ev.push(Transp::opaque());

    let mut organizer = Organizer::new(mailto(&event.organizer.email));
    organizer.add(Parameter::new("CN", quoted(&event.organizer.name)));
    ev.push(organizer);

    let mut attendee = Attendee::new(mailto(&event.attendee.email));
    attendee.add(Parameter::new("CN", quoted(&event.attendee.name)));
    attendee.add(Parameter::new("ROLE", "REQ-PARTICIPANT"));
    attendee.add(Parameter::new("PARTSTAT", "NEEDS-ACTION"));
    // balie reads no iTIP replies (the From address is a no-reply box): ask clients not to send.
    attendee.add(Parameter::new("RSVP", "FALSE"));
    ev.push(attendee);

    let mut cal = ICalendar::new("2.0", PRODID);
    cal.push(CalScale::new("GREGORIAN"));
    cal.push(MethodProp::new(event.method.as_str()));
    cal.add_event(ev);
    fold(&cal.to_string())
}

/// `20260330T080000Z`: UTC form (RFC 5545 §3.3.5 form #2), so no VTIMEZONE is needed and the
/// client converts to the reader's zone.
fn utc(at: Timestamp) -> String {
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

fn mailto(email: &str) -> String {
    format!("mailto:{}", email.trim())
}

/// A parameter value in double quotes (needed when it holds `:`, `;` or `,`, harmless
/// otherwise). DQUOTE and control characters cannot appear in a quoted value (RFC 5545 §3.1),
/// so they are dropped.
fn quoted(value: &str) -> String {
    let clean: String = value.chars().filter(|c| *c != '"' && !c.is_control()).collect();
    format!("\"{}\"", clean.trim())
}

/// Unfolds and folds every content line again at 75 octets including the continuation
/// line's leading space, never splitting a UTF-8 character.
fn fold(text: &str) -> String {
    let unfolded = text.replace("\r\n ", "").replace("\r\n\t", "");
    let mut out = String::with_capacity(unfolded.len() + unfolded.len() / 32);
    for line in unfolded.split("\r\n").filter(|l| !l.is_empty()) {
        let mut rest = line;
        let mut limit = MAX_LINE_OCTETS;
        loop {
            let cut = cut_at(rest, limit);
            out.push_str(&rest[..cut]);
            out.push_str("\r\n");
            rest = &rest[cut..];
            if rest.is_empty() {
                break;
            }
            out.push(' ');
            limit = MAX_LINE_OCTETS - 1;
        }
    }
    out
}

/// The largest char boundary at or below `limit` bytes (at least one char, so a line always
/// makes progress).
fn cut_at(s: &str, limit: usize) -> usize {
    if s.len() <= limit {
        return s.len();
    }
    let mut cut = limit;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    if cut == 0 {
        s.chars().next().map_or(s.len(), char::len_utf8)
    } else {
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event<'a>(
        method: Method,
        organizer: &'a Person,
        attendee: &'a Person,
        description: &'a str,
    ) -> CalendarEvent<'a> {
        CalendarEvent {
            method,
            uid: "appointment-42@balie.example",
            sequence: 3,
            stamp: "2026-03-01T12:00:00Z".parse().unwrap(),
            start: "2026-03-30T08:00:00Z".parse().unwrap(),
            end: "2026-03-30T08:30:00Z".parse().unwrap(),
            summary: "Nieuwe identiteitskaart; Gemeente Zemst",
            description,
            location: Some("Gemeentehuis, Loket 3"),
            url: None,
            organizer,
            attendee,
        }
    }

    #[test]
    fn request_has_method_sequence_utc_times_and_escaped_text() {
        let org = Person::new("Gemeente Zemst", "balie@zemst.example");
        let att = Person::new("Jan \"de Vos\"; Peeters", "jan@example.org");
        let ics = calendar(&event(Method::Request, &org, &att, "Regel 1\nRegel 2, met komma"));
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.starts_with("BEGIN:VCALENDAR\r\n"));
        for line in [
            "METHOD:REQUEST",
            "UID:appointment-42@balie.example",
            "SEQUENCE:3",
            "DTSTAMP:20260301T120000Z",
            "DTSTART:20260330T080000Z",
            "DTEND:20260330T083000Z",
            "STATUS:CONFIRMED",
            "SUMMARY:Nieuwe identiteitskaart\\; Gemeente Zemst",
            "DESCRIPTION:Regel 1\\nRegel 2\\, met komma",
            "ORGANIZER;CN=\"Gemeente Zemst\":mailto:balie@zemst.example",
        ] {
            assert!(unfolded.contains(&format!("\r\n{line}\r\n")), "missing {line} in\n{unfolded}");
        }
        assert!(unfolded.contains("CN=\"Jan de Vos; Peeters\""), "{unfolded}");
    }

    #[test]
    fn cancel_says_cancelled() {
        let p = Person::new("A", "a@example.org");
        let ics = calendar(&event(Method::Cancel, &p, &p, "x"));
        assert!(ics.contains("\r\nMETHOD:CANCEL\r\n") && ics.contains("\r\nSTATUS:CANCELLED\r\n"));
    }

    #[test]
    fn every_line_is_at_most_75_octets_and_ends_in_crlf() {
        let p = Person::new("A", "a@example.org");
        let long = "Uw persoonlijke link: https://balie.example/join/0123456789abcdef0123456789abcdef — \
                    stuur hem niet door. Één link per persoon, geldig vanaf 15 minuten vóór het begin.";
        let ics = calendar(&event(Method::Request, &p, &p, long));
        assert!(ics.ends_with("\r\n"));
        assert!(!ics.replace("\r\n", "").contains('\n'), "bare LF");
        let lines: Vec<&str> = ics.split("\r\n").collect();
        assert!(lines.iter().any(|l| l.starts_with(' ')), "the long description must be folded");
        for line in lines {
            assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        }
        // Folding is lossless.
        assert!(ics.replace("\r\n ", "").contains("vóór het begin."));
    }

    #[test]
    fn folding_never_splits_a_utf8_character() {
        let folded = fold(&format!("DESCRIPTION:{}\r\n", "é".repeat(100)));
        for line in folded.split("\r\n") {
            assert!(line.len() <= 75);
        }
        assert_eq!(folded.replace("\r\n ", ""), format!("DESCRIPTION:{}\r\n", "é".repeat(100)));
    }
}
