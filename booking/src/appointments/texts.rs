//! Languages and short translated texts for what citizens read in the booking flow (topic and
//! question labels, service names). Dutch is required and the fallback: balie serves a Flemish
//! municipality, and a missing translation must never show an empty button.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::Problems;

/// The citizen's language. Same codes and serde form as `balie_mail::Language`, so the web layer
/// can hand it on unchanged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    #[default]
    Nl,
    En,
    Fr,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::Nl, Language::En, Language::Fr];

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Language::Nl => "nl",
            Language::En => "en",
            Language::Fr => "fr",
        }
    }

    /// Reads `nl`, `en`, `fr` and regional tags such as `nl-BE` or `fr_BE`.
    pub fn parse(tag: &str) -> Option<Language> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Language::ALL.into_iter().find(|l| l.code() == primary)
    }
}

/// A text in Dutch with optional English and French translations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Texts {
    pub nl: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fr: Option<String>,
}

impl Texts {
    pub fn new(nl: &str, en: &str, fr: &str) -> Texts {
        Texts { nl: nl.into(), en: Some(en.into()), fr: Some(fr.into()) }
    }

    /// The text in `lang`, or the Dutch one when that translation is missing or blank.
    pub fn get(&self, lang: Language) -> &str {
        let translated = match lang {
            Language::Nl => None,
            Language::En => self.en.as_deref(),
            Language::Fr => self.fr.as_deref(),
        };
        translated.filter(|t| !t.trim().is_empty()).unwrap_or(&self.nl)
    }

    /// Dutch must be present; every language at most `max` characters.
    pub(crate) fn check(&self, field: &str, max: usize, p: &mut Problems) {
        p.check(!self.nl.trim().is_empty(), &format!("{field}.nl"), "is required");
        for (lang, text) in [("nl", Some(&self.nl)), ("en", self.en.as_ref()), ("fr", self.fr.as_ref())] {
            if let Some(t) = text {
                p.check(
                    t.chars().count() <= max,
                    &format!("{field}.{lang}"),
                    &format!("must be at most {max} characters"),
                );
            }
        }
    }
}

/// A fixed text in the three languages, for texts that live in code (the consent text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StaticTexts {
    pub nl: &'static str,
    pub en: &'static str,
    pub fr: &'static str,
}

impl StaticTexts {
    pub fn get(&self, lang: Language) -> &'static str {
        match lang {
            Language::Nl => self.nl,
            Language::En => self.en,
            Language::Fr => self.fr,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_or_blank_translation_falls_back_to_dutch() {
        let t = Texts { nl: "Afval".into(), en: Some("Waste".into()), fr: Some("  ".into()) };
        assert_eq!(t.get(Language::En), "Waste");
        assert_eq!(t.get(Language::Fr), "Afval");
        assert_eq!(Texts { nl: "Afval".into(), en: None, fr: None }.get(Language::En), "Afval");
    }

    #[test]
    fn language_reads_regional_tags_and_defaults_to_dutch() {
        assert_eq!(Language::parse("fr_BE"), Some(Language::Fr));
        assert_eq!(Language::parse("NL-be"), Some(Language::Nl));
        assert_eq!(Language::parse("de"), None);
        assert_eq!(Language::default(), Language::Nl);
        assert_eq!(serde_json::to_string(&Language::En).unwrap(), "\"en\"");
    }

    #[test]
    fn dutch_text_is_required() {
        let mut p = Problems::default();
        Texts { nl: " ".into(), en: Some("x".repeat(11)), fr: None }.check("name", 10, &mut p);
        let crate::Error::Invalid(errors) = p.into_result().unwrap_err() else { panic!() };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name.nl", "name.en"]);
    }
}
