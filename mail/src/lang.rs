//! Languages and the few words we format ourselves: Brussels dates and times and the names of a
//! third party's relation. A full i18n library would be a heavy dependency for a dozen words
//! per language; everything longer lives in the templates.

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use serde::{Deserialize, Serialize};

use crate::appointment::Relation;
use crate::reservation::CustomerType;

/// A no-break space: between an amount and `€`, and as the French thousands separator, so a
/// price never breaks over two lines.
const NBSP: char = '\u{a0}';

/// Appointments happen in the municipality, so times are always shown in its civil time,
/// whatever the recipient's computer says.
pub const TIME_ZONE: &str = "Europe/Brussels";

/// The language of a message. Dutch is the default: balie serves a Flemish municipality.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    #[default]
    Nl,
    En,
    Fr,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::Nl, Language::En, Language::Fr];

    /// The ISO 639-1 code, also the templates' folder name and the HTML `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Language::Nl => "nl",
            Language::En => "en",
            Language::Fr => "fr",
        }
    }

    /// Reads `nl`, `en`, `fr` and regional tags such as `nl-BE` or `fr_BE`; anything else is `None`
    /// (the caller falls back to [`Language::default`]).
    pub fn parse(tag: &str) -> Option<Language> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "nl" => Some(Language::Nl),
            "en" => Some(Language::En),
            "fr" => Some(Language::Fr),
            _ => None,
        }
    }

    /// `dinsdag 24 november 2026` / `Tuesday 24 November 2026` / `mardi 24 novembre 2026`.
    pub fn date(self, at: Timestamp) -> String {
        self.civil_date(brussels(at).date())
    }

    /// A calendar date as [`Language::date`] writes it (an invoice's due date has no time).
    pub fn civil_date(self, date: Date) -> String {
        let (weekday, month) = (self.weekday(date.weekday()), self.month(date.month()));
        // French writes the first day of a month as an ordinal: « le 1er décembre ».
        let day = if self == Language::Fr && date.day() == 1 { "1er".to_string() } else { date.day().to_string() };
        format!("{weekday} {day} {month} {}", date.year())
    }

    /// `10:30` in nl and en; `10h30`, as Belgian French writes it.
    pub fn time(self, at: Timestamp) -> String {
        let z = brussels(at);
        match self {
            Language::Fr => format!("{}h{:02}", z.hour(), z.minute()),
            _ => format!("{:02}:{:02}", z.hour(), z.minute()),
        }
    }

    /// Date and time: `dinsdag 24 november 2026 om 10:30`.
    pub fn date_time(self, at: Timestamp) -> String {
        let at_word = match self {
            Language::Nl => "om",
            Language::En => "at",
            Language::Fr => "à",
        };
        format!("{} {at_word} {}", self.date(at), self.time(at))
    }

    /// A period: `zaterdag 28 november 2026, van 14:00 tot 18:00`, or with both dates when it
    /// ends on another day: `van zaterdag 28 november 2026 om 20:00 tot zondag 29 november 2026
    /// om 01:00`.
    pub fn period(self, start: Timestamp, end: Timestamp) -> String {
        if brussels(start).date() == brussels(end).date() {
            let (from, to) = (self.time(start), self.time(end));
            match self {
                Language::Nl => format!("{}, van {from} tot {to}", self.date(start)),
                Language::En => format!("{}, {from} to {to}", self.date(start)),
                Language::Fr => format!("{}, de {from} à {to}", self.date(start)),
            }
        } else {
            let (from, to) = (self.date_time(start), self.date_time(end));
            match self {
                Language::Nl => format!("van {from} tot {to}"),
                Language::En => format!("from {from} to {to}"),
                Language::Fr => format!("du {from} au {to}"),
            }
        }
    }

    /// When a door code works, said against the day of the reservation (`day_of`): only the
    /// times when it is all on that day (`van 09:45 tot 12:15`), else as [`Language::period`].
    pub fn window(self, from: Timestamp, until: Timestamp, day_of: Timestamp) -> String {
        let day = brussels(day_of).date();
        if brussels(from).date() == day && brussels(until).date() == day {
            let (from, to) = (self.time(from), self.time(until));
            match self {
                Language::Nl => format!("van {from} tot {to}"),
                Language::En => format!("from {from} to {to}"),
                Language::Fr => format!("de {from} à {to}"),
            }
        } else {
            self.period(from, until)
        }
    }

    /// Euro cents as Belgians write them: `€ 1.234,50` in Dutch, `€1,234.50` in English,
    /// `1 234,50 €` in French (no-break spaces).
    pub fn money(self, cents: i64) -> String {
        let sign = if cents < 0 { "-" } else { "" };
        let (euros, cents) = (cents.unsigned_abs() / 100, cents.unsigned_abs() % 100);
        let (thousands, decimal) = match self {
            Language::Nl => ('.', ','),
            Language::En => (',', '.'),
            Language::Fr => (NBSP, ','),
        };
        let digits = euros.to_string();
        let mut grouped = String::new();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(thousands);
            }
            grouped.push(digit);
        }
        match self {
            Language::Nl => format!("{sign}€{NBSP}{grouped}{decimal}{cents:02}"),
            Language::En => format!("{sign}€{grouped}{decimal}{cents:02}"),
            Language::Fr => format!("{sign}{grouped}{decimal}{cents:02}{NBSP}€"),
        }
    }

    /// A VAT rate in basis points: `21 %`, `5,5 %` (`21%`, `5.5%` in English).
    pub fn percent(self, basis_points: i64) -> String {
        let whole = basis_points / 100;
        let fraction = (basis_points % 100).abs();
        let number = match (fraction, self) {
            (0, _) => whole.to_string(),
            (_, Language::En) => format!("{whole}.{}", format!("{fraction:02}").trim_end_matches('0')),
            _ => format!("{whole},{}", format!("{fraction:02}").trim_end_matches('0')),
        };
        match self {
            Language::En => format!("{number}%"),
            _ => format!("{number}{NBSP}%"),
        }
    }

    /// The rate a customer was charged, as a label: `Inwoner`, `Resident`, `Habitant`.
    pub fn customer_type(self, customer: CustomerType) -> &'static str {
        match (self, customer) {
            (Language::Nl, CustomerType::Resident) => "Inwoner",
            (Language::Nl, CustomerType::NonResident) => "Niet-inwoner",
            (Language::Nl, CustomerType::RecognisedAssociation) => "Erkende vereniging",
            (Language::Nl, CustomerType::OtherAssociation) => "Andere vereniging",
            (Language::Nl, CustomerType::Company) => "Bedrijf",
            (Language::En, CustomerType::Resident) => "Resident",
            (Language::En, CustomerType::NonResident) => "Non-resident",
            (Language::En, CustomerType::RecognisedAssociation) => "Recognised association",
            (Language::En, CustomerType::OtherAssociation) => "Other association",
            (Language::En, CustomerType::Company) => "Company",
            (Language::Fr, CustomerType::Resident) => "Habitant",
            (Language::Fr, CustomerType::NonResident) => "Non-habitant",
            (Language::Fr, CustomerType::RecognisedAssociation) => "Association agréée",
            (Language::Fr, CustomerType::OtherAssociation) => "Autre association",
            (Language::Fr, CustomerType::Company) => "Entreprise",
        }
    }

    /// The relation as it follows "as" in a sentence: `als tolk`, `as an interpreter`,
    /// `en tant qu'interprète` (the template writes the preposition).
    pub fn relation(self, relation: &Relation) -> String {
        let word = match (self, relation) {
            (_, Relation::Other(text)) => return text.trim().to_string(),
            (Language::Nl, Relation::Family) => "familielid",
            (Language::Nl, Relation::Caregiver) => "mantelzorger",
            (Language::Nl, Relation::Interpreter) => "tolk",
            (Language::Nl, Relation::Professional) => "deskundige",
            (Language::En, Relation::Family) => "a family member",
            (Language::En, Relation::Caregiver) => "a caregiver",
            (Language::En, Relation::Interpreter) => "an interpreter",
            (Language::En, Relation::Professional) => "a professional",
            (Language::Fr, Relation::Family) => "membre de la famille",
            (Language::Fr, Relation::Caregiver) => "aidant proche",
            (Language::Fr, Relation::Interpreter) => "interprète",
            (Language::Fr, Relation::Professional) => "professionnel",
        };
        word.to_string()
    }

    fn weekday(self, day: Weekday) -> &'static str {
        let i = day.to_monday_zero_offset() as usize;
        match self {
            Language::Nl => ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"][i],
            Language::En => ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][i],
            Language::Fr => ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"][i],
        }
    }

    fn month(self, month: i8) -> &'static str {
        let i = (month - 1) as usize;
        match self {
            Language::Nl => [
                "januari",
                "februari",
                "maart",
                "april",
                "mei",
                "juni",
                "juli",
                "augustus",
                "september",
                "oktober",
                "november",
                "december",
            ][i],
            Language::En => [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ][i],
            Language::Fr => [
                "janvier",
                "février",
                "mars",
                "avril",
                "mai",
                "juin",
                "juillet",
                "août",
                "septembre",
                "octobre",
                "novembre",
                "décembre",
            ][i],
        }
    }
}

/// The date `at` falls on in Brussels.
pub fn brussels_date(at: Timestamp) -> Date {
    brussels(at).date()
}

fn brussels(at: Timestamp) -> Zoned {
    // The tz database is bundled (jiff's `tzdb-bundle-always`), so the lookup cannot fail on a
    // machine without /usr/share/zoneinfo; UTC is only a guard against a broken build.
    let tz = TimeZone::get(TIME_ZONE).unwrap_or(TimeZone::UTC);
    at.to_zoned(tz)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn dates_are_brussels_civil_time_in_each_language() {
        // 24 November 2026 is in winter time: UTC+1.
        let at = ts("2026-11-24T09:30:00Z");
        assert_eq!(Language::Nl.date_time(at), "dinsdag 24 november 2026 om 10:30");
        assert_eq!(Language::En.date_time(at), "Tuesday 24 November 2026 at 10:30");
        assert_eq!(Language::Fr.date_time(at), "mardi 24 novembre 2026 à 10h30");
    }

    #[test]
    fn summer_time_starts_on_the_last_sunday_of_march() {
        // 29 March 2026 is the switch; on Monday 30 March Brussels is UTC+2.
        assert_eq!(Language::Nl.time(ts("2026-03-30T08:00:00Z")), "10:00");
        assert_eq!(Language::Nl.time(ts("2026-03-28T08:00:00Z")), "09:00");
        assert_eq!(Language::Nl.date(ts("2026-03-30T08:00:00Z")), "maandag 30 maart 2026");
    }

    #[test]
    fn the_date_follows_brussels_not_utc_around_midnight() {
        // 23:30 UTC on 31 December is already New Year's Day in Brussels.
        assert_eq!(Language::En.date(ts("2026-12-31T23:30:00Z")), "Friday 1 January 2027");
        assert_eq!(Language::Fr.date(ts("2026-12-31T23:30:00Z")), "vendredi 1er janvier 2027");
    }

    #[test]
    fn periods_name_the_day_once_or_both_days_when_they_cross_midnight() {
        let (start, end) = (ts("2026-11-28T13:00:00Z"), ts("2026-11-28T17:00:00Z"));
        assert_eq!(Language::Nl.period(start, end), "zaterdag 28 november 2026, van 14:00 tot 18:00");
        assert_eq!(Language::En.period(start, end), "Saturday 28 November 2026, 14:00 to 18:00");
        assert_eq!(Language::Fr.period(start, end), "samedi 28 novembre 2026, de 14h00 à 18h00");
        // 20:00 until 01:00 the next night, Brussels time.
        let (start, end) = (ts("2026-11-28T19:00:00Z"), ts("2026-11-29T00:00:00Z"));
        assert_eq!(
            Language::Nl.period(start, end),
            "van zaterdag 28 november 2026 om 20:00 tot zondag 29 november 2026 om 01:00"
        );
        assert_eq!(
            Language::Fr.period(start, end),
            "du samedi 28 novembre 2026 à 20h00 au dimanche 29 novembre 2026 à 1h00"
        );
    }

    #[test]
    fn a_window_on_the_day_itself_is_just_two_times() {
        let day = ts("2026-11-28T09:00:00Z");
        let (from, until) = (ts("2026-11-28T08:45:00Z"), ts("2026-11-28T11:15:00Z"));
        assert_eq!(Language::Nl.window(from, until, day), "van 09:45 tot 12:15");
        assert_eq!(Language::En.window(from, until, day), "from 09:45 to 12:15");
        assert_eq!(Language::Fr.window(from, until, day), "de 9h45 à 12h15");
        let late = ts("2026-11-28T23:30:00Z");
        assert_eq!(
            Language::En.window(from, late, day),
            "from Saturday 28 November 2026 at 09:45 to Sunday 29 November 2026 at 00:30"
        );
    }

    #[test]
    fn money_is_written_the_belgian_way_in_each_language() {
        assert_eq!(Language::Nl.money(123_450), "€\u{a0}1.234,50");
        assert_eq!(Language::En.money(123_450), "€1,234.50");
        assert_eq!(Language::Fr.money(123_450), "1\u{a0}234,50\u{a0}€");
        assert_eq!(Language::Nl.money(5), "€\u{a0}0,05");
        assert_eq!(Language::Nl.money(-2_500), "-€\u{a0}25,00");
        assert_eq!(Language::En.money(100_000_000), "€1,000,000.00");
        assert_eq!(Language::Nl.percent(2_100), "21\u{a0}%");
        assert_eq!(Language::Fr.percent(550), "5,5\u{a0}%");
        assert_eq!(Language::En.percent(0), "0%");
        assert_eq!(Language::En.percent(1_225), "12.25%");
    }

    #[test]
    fn a_due_date_is_written_like_any_date() {
        let date = jiff::civil::date(2026, 12, 1);
        assert_eq!(Language::Nl.civil_date(date), "dinsdag 1 december 2026");
        assert_eq!(Language::Fr.civil_date(date), "mardi 1er décembre 2026");
    }

    #[test]
    fn language_tags_are_read_leniently() {
        assert_eq!(Language::parse("nl-BE"), Some(Language::Nl));
        assert_eq!(Language::parse("FR_be"), Some(Language::Fr));
        assert_eq!(Language::parse("en"), Some(Language::En));
        assert_eq!(Language::parse("de"), None);
        assert_eq!(Language::default(), Language::Nl);
    }
}
