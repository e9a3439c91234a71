//! Languages and the few words we format ourselves: Brussels dates and times and the names of a
//! third party's relation. A full i18n library would be a heavy dependency for a dozen words
//! per language; everything longer lives in the templates.

use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use serde::{Deserialize, Serialize};

use crate::appointment::Relation;

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
        let z = brussels(at);
        let (weekday, month) = (self.weekday(z.weekday()), self.month(z.month()));
        // French writes the first day of a month as an ordinal: « le 1er décembre ».
        let day = if self == Language::Fr && z.day() == 1 { "1er".to_string() } else { z.day().to_string() };
        format!("{weekday} {day} {month} {}", z.year())
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
    fn language_tags_are_read_leniently() {
        assert_eq!(Language::parse("nl-BE"), Some(Language::Nl));
        assert_eq!(Language::parse("FR_be"), Some(Language::Fr));
        assert_eq!(Language::parse("en"), Some(Language::En));
        assert_eq!(Language::parse("de"), None);
        assert_eq!(Language::default(), Language::Nl);
    }
}
