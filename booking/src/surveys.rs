//! The satisfaction survey after a call: what an answer holds and which answers are valid, and
//! the privacy rule of the dashboard. Pure: no IO.
//!
//! An answer is anonymous by construction: it keeps the service, the agent, the channel, the day
//! and the call's technical quality, never who answered. Groups smaller than [`MIN_GROUP`] are
//! not shown per agent, so a manager cannot single out one citizen's answer about a colleague.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{Problems, Result};

/// The smallest group of answers shown on its own (per agent).
pub const MIN_GROUP: i64 = 5;
/// Longest free-text comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;

/// Would use the video counter again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Again {
    Yes,
    Maybe,
    No,
}

impl Again {
    pub fn as_str(self) -> &'static str {
        match self {
            Again::Yes => "yes",
            Again::Maybe => "maybe",
            Again::No => "no",
        }
    }
    pub fn parse(s: &str) -> Option<Again> {
        [Again::Yes, Again::Maybe, Again::No].into_iter().find(|a| a.as_str() == s)
    }
}

/// How the call took place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Video,
    Hybrid,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Video => "video",
            Channel::Hybrid => "hybrid",
        }
    }
}

/// What a participant answers. Only `overall` is required: every other question may be skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// Overall satisfaction, 1 (very unhappy) to 5 (very happy).
    pub overall: i64,
    /// Joining was easy, 1–5.
    #[serde(default)]
    pub ease: Option<i64>,
    /// Sound and picture, 1–5.
    #[serde(default)]
    pub quality: Option<i64>,
    #[serde(default)]
    pub again: Option<Again>,
    /// What could be better.
    #[serde(default)]
    pub comment: Option<String>,
}

impl Answer {
    pub fn validate(&self) -> Result<()> {
        let mut p = Problems::default();
        let score = |v: i64| (1..=5).contains(&v);
        p.check(score(self.overall), "overall", "must be 1 to 5");
        p.check(self.ease.is_none_or(score), "ease", "must be 1 to 5");
        p.check(self.quality.is_none_or(score), "quality", "must be 1 to 5");
        if let Some(c) = &self.comment {
            p.check(c.chars().count() <= MAX_COMMENT_CHARS, "comment", "must be at most 2000 characters");
            p.check(
                !c.chars().any(|ch| ch.is_control() && ch != '\n' && ch != '\r' && ch != '\t'),
                "comment",
                "must not contain control characters",
            );
        }
        p.into_result()
    }

    /// The comment as stored: trimmed, `None` when empty.
    pub fn comment(&self) -> Option<String> {
        self.comment.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(String::from)
    }
}

/// The technical quality of a call as the SFU measured it, in three grades for the dashboard.
pub fn quality_grade(rtt_ms: Option<i64>, loss_permille: Option<i64>) -> &'static str {
    match (rtt_ms, loss_permille) {
        (None, None) => "unknown",
        (rtt, loss) if rtt.unwrap_or(0) <= 150 && loss.unwrap_or(0) <= 10 => "good",
        (rtt, loss) if rtt.unwrap_or(0) <= 400 && loss.unwrap_or(0) <= 50 => "fair",
        _ => "poor",
    }
}

/// One group of answers on the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Breakdown {
    /// The week (`2026-W48`), service, agent id, channel or quality grade.
    pub key: String,
    pub n: i64,
    /// Average overall satisfaction, 1–5.
    pub average: f64,
}

/// Everything the dashboard shows, computed from the grouped answers.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Dashboard {
    pub invited: i64,
    pub answered: i64,
    /// `answered / invited`, when anyone was invited.
    pub response_rate: Option<f64>,
    pub average: Option<f64>,
    pub by_week: Vec<Breakdown>,
    pub by_service: Vec<Breakdown>,
    /// Only agents with at least [`MIN_GROUP`] answers.
    pub by_agent: Vec<Breakdown>,
    pub by_channel: Vec<Breakdown>,
    /// Technical quality of the call (good / fair / poor / unknown) against satisfaction.
    pub by_quality: Vec<Breakdown>,
    /// Would use the video counter again: yes / maybe / no / (not answered).
    pub again: Vec<Breakdown>,
}

/// The ISO week of a day, `2026-W48`.
pub fn iso_week(day: jiff::civil::Date) -> String {
    let w = day.iso_week_date();
    format!("{}-W{:02}", w.year(), w.week())
}

impl Dashboard {
    /// The dashboard from daily totals and per-(kind, key) totals (see `Store::marginals`): the
    /// same numbers as [`Dashboard::from_groups`] over the same answers without filters.
    pub fn from_marginals(
        days: &[(jiff::civil::Date, crate::store::Tally)],
        marginals: &[(String, String, crate::store::Tally)],
        invited: i64,
    ) -> Dashboard {
        use std::collections::BTreeMap;
        let mut total = crate::store::Tally::default();
        let mut weeks: BTreeMap<String, crate::store::Tally> = BTreeMap::new();
        for (day, t) in days {
            total.merge(t);
            weeks.entry(iso_week(*day)).or_default().merge(t);
        }
        let list = |kind: &str, min: i64| -> Vec<Breakdown> {
            let mut out: Vec<Breakdown> = marginals
                .iter()
                .filter(|(k, key, t)| k == kind && !key.is_empty() && t.n >= min)
                .map(|(_, key, t)| Breakdown { key: key.clone(), n: t.n, average: t.average().unwrap_or(0.0) })
                .collect();
            out.sort_by(|a, b| a.key.cmp(&b.key));
            out
        };
        Dashboard {
            invited,
            answered: total.n,
            response_rate: (invited > 0).then(|| total.n as f64 / invited as f64),
            average: total.average(),
            by_week: weeks
                .into_iter()
                .map(|(key, t)| Breakdown { key, n: t.n, average: t.average().unwrap_or(0.0) })
                .collect(),
            by_service: list("service", 1),
            by_agent: list("agent", MIN_GROUP),
            by_channel: list("channel", 1),
            by_quality: list("grade", 1),
            again: list("again", 1),
        }
    }

    pub fn from_groups(groups: &[crate::store::AnswerGroup], invited: i64) -> Dashboard {
        use std::collections::BTreeMap;
        let mut total = crate::store::Tally::default();
        let mut maps: [BTreeMap<String, crate::store::Tally>; 6] = Default::default();
        for g in groups {
            total.merge(&g.tally);
            let keys = [
                iso_week(g.day),
                g.service.clone(),
                g.agent_id.map(|a| a.to_string()).unwrap_or_default(),
                g.channel.clone(),
                g.grade.clone(),
                g.again.clone().unwrap_or_else(|| "unanswered".into()),
            ];
            for (map, key) in maps.iter_mut().zip(keys) {
                map.entry(key).or_default().merge(&g.tally);
            }
        }
        let list = |map: &BTreeMap<String, crate::store::Tally>, min: i64| -> Vec<Breakdown> {
            map.iter()
                .filter(|(k, t)| !k.is_empty() && t.n >= min)
                .map(|(k, t)| Breakdown { key: k.clone(), n: t.n, average: t.average().unwrap_or(0.0) })
                .collect()
        };
        let [weeks, services, agents, channels, grades, again] = &maps;
        Dashboard {
            invited,
            answered: total.n,
            response_rate: (invited > 0).then(|| total.n as f64 / invited as f64),
            average: total.average(),
            by_week: list(weeks, 1),
            by_service: list(services, 1),
            by_agent: list(agents, MIN_GROUP),
            by_channel: list(channels, 1),
            by_quality: list(grades, 1),
            again: list(again, 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(overall: i64) -> Answer {
        Answer { overall, ease: None, quality: None, again: None, comment: None }
    }

    #[test]
    fn only_overall_is_required_and_scores_are_one_to_five() {
        assert!(answer(1).validate().is_ok());
        assert!(answer(5).validate().is_ok());
        assert!(answer(0).validate().is_err());
        assert!(answer(6).validate().is_err());
        let all = Answer { ease: Some(6), quality: Some(0), ..answer(3) };
        let crate::Error::Invalid(fields) = all.validate().unwrap_err() else { panic!() };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["ease", "quality"]);
    }

    #[test]
    fn comments_are_bounded_and_trimmed() {
        let long = Answer { comment: Some("é".repeat(2001)), ..answer(4) };
        assert!(long.validate().is_err());
        let ok = Answer { comment: Some("é".repeat(2000)), ..answer(4) };
        assert!(ok.validate().is_ok());
        assert!(Answer { comment: Some("a\u{0}b".into()), ..answer(4) }.validate().is_err());
        assert_eq!(Answer { comment: Some("  \n ".into()), ..answer(4) }.comment(), None);
        assert_eq!(Answer { comment: Some(" Goed \n".into()), ..answer(4) }.comment().as_deref(), Some("Goed"));
    }

    #[test]
    fn agents_with_fewer_than_five_answers_are_not_shown() {
        use crate::store::{AnswerGroup, Tally};
        let g = |agent: i64, n: i64, sum: i64, day: &str| AnswerGroup {
            day: day.parse().unwrap(),
            service: "afval".into(),
            agent_id: Some(agent),
            channel: "video".into(),
            grade: "good".into(),
            again: Some("yes".into()),
            tally: Tally { n, sum },
        };
        let d = Dashboard::from_groups(
            &[g(1, 3, 12, "2026-11-23"), g(1, 2, 10, "2026-11-30"), g(2, 4, 8, "2026-11-23")],
            18,
        );
        assert_eq!(d.answered, 9);
        assert_eq!(d.response_rate, Some(0.5));
        assert_eq!(d.by_agent.len(), 1, "agent 2 has 4 answers: hidden");
        assert_eq!((d.by_agent[0].key.as_str(), d.by_agent[0].n, d.by_agent[0].average), ("1", 5, 4.4));
        assert_eq!(d.by_week.iter().map(|b| b.key.as_str()).collect::<Vec<_>>(), ["2026-W48", "2026-W49"]);
        assert_eq!(d.by_service[0].n, 9, "the service still counts every answer");
        assert_eq!(Dashboard::from_groups(&[], 0).response_rate, None);
    }

    #[test]
    fn quality_grades() {
        assert_eq!(quality_grade(None, None), "unknown");
        assert_eq!(quality_grade(Some(40), Some(0)), "good");
        assert_eq!(quality_grade(Some(300), Some(5)), "fair");
        assert_eq!(quality_grade(Some(40), Some(80)), "poor");
    }
}
