//! Survey invitations and anonymous answers.
//!
//! The survey token is not stored, only its SHA-256; the web layer derives it from the call
//! participant's link (a keyed hash), so the call page can claim its survey after the call without
//! the server keeping any raw token.

use jiff::civil::Date;
use jiff::Timestamp;
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

use super::outbox::enqueue;
use super::{secs, ts, Store};
use crate::calls::token_hash;
use crate::error::{Error, Result};
use crate::outbox::NewMail;
use crate::surveys::{Answer, Channel};

/// What a survey is about, copied to its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SurveyContext {
    pub service: String,
    pub agent_id: Option<i64>,
    pub channel: Channel,
    #[schema(value_type = String)]
    pub day: Date,
    /// `nl`, `en` or `fr`.
    pub language: String,
    /// The call's technical quality as the SFU measured it.
    pub rtt_ms: Option<i64>,
    pub loss_permille: Option<i64>,
}

/// A new invitation; `mail` is the e-mail invitation to send at `mail.not_before` unless the
/// survey is answered first.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub token: String,
    pub call_id: i64,
    pub email: Option<String>,
    pub context: SurveyContext,
    pub expires_at: Timestamp,
    pub mail: Option<NewMail>,
}

/// What the survey page shows before the questions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SurveyView {
    pub service: String,
    #[schema(value_type = String)]
    pub day: Date,
    pub channel: Channel,
    pub language: String,
}

fn channel(s: &str) -> Result<Channel> {
    match s {
        "video" => Ok(Channel::Video),
        "hybrid" => Ok(Channel::Hybrid),
        other => Err(Error::Corrupt(format!("survey channel {other}"))),
    }
}

impl Store {
    /// Records invitations (once per token: a repeated call changes nothing) and counts them for
    /// the response rate. Returns how many were new.
    pub async fn invite_to_survey(&self, invitations: &[NewInvitation], now: Timestamp) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        let mut new = 0;
        for inv in invitations {
            let c = &inv.context;
            let id: Option<i64> = sqlx::query(
                "INSERT INTO survey_invitations (token_hash, call_id, email, language, service, agent_id, channel, day, \
                 rtt_ms, loss_permille, mail_after, expires_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                 ON CONFLICT (token_hash) DO NOTHING RETURNING id",
            )
            .bind(token_hash(&inv.token))
            .bind(inv.call_id)
            .bind(&inv.email)
            .bind(&c.language)
            .bind(&c.service)
            .bind(c.agent_id)
            .bind(c.channel.as_str())
            .bind(c.day.to_string())
            .bind(c.rtt_ms)
            .bind(c.loss_permille)
            .bind(inv.mail.as_ref().and_then(|m| m.not_before).map(secs))
            .bind(secs(inv.expires_at))
            .bind(secs(now))
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
            let Some(id) = id else { continue };
            new += 1;
            sqlx::query(
                "INSERT INTO survey_invited (day, service, agent_id, channel, invited) VALUES ($1, $2, $3, $4, 1) \
                 ON CONFLICT (day, service, agent_id, channel) DO UPDATE SET invited = survey_invited.invited + 1",
            )
            .bind(c.day.to_string())
            .bind(&c.service)
            .bind(c.agent_id.unwrap_or(0))
            .bind(c.channel.as_str())
            .execute(&mut *tx)
            .await?;
            if let Some(mail) = &inv.mail {
                let mail_id = enqueue(&mut tx, mail, now).await?;
                sqlx::query("UPDATE outbox SET survey_invitation_id = $1 WHERE id = $2")
                    .bind(id)
                    .bind(mail_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(new)
    }

    /// The survey behind `token`: [`Error::NotFound`] for an unknown token, [`Error::State`]
    /// when it was answered or has expired (the web layer answers 410).
    pub async fn survey(&self, token: &str, now: Timestamp) -> Result<SurveyView> {
        let row = sqlx::query(
            "SELECT service, day, channel, language, answered_at, expires_at FROM survey_invitations \
             WHERE token_hash = $1",
        )
        .bind(token_hash(token))
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| Error::not_found("survey", "that link"))?;
        if row.try_get::<Option<i64>, _>("answered_at")?.is_some() {
            return Err(Error::State(ANSWERED.into()));
        }
        if ts(row.try_get("expires_at")?) <= now {
            return Err(Error::State("this survey has closed".into()));
        }
        let day: String = row.try_get("day")?;
        Ok(SurveyView {
            service: row.try_get("service")?,
            day: day.parse().map_err(|_| Error::Corrupt(format!("survey day {day}")))?,
            channel: channel(&row.try_get::<String, _>("channel")?)?,
            language: row.try_get("language")?,
        })
    }

    /// Stores an answer without the person and uses the link up; the e-mail invitation, if not
    /// sent yet, is withdrawn and the address erased. Answering twice is refused.
    pub async fn answer_survey(&self, token: &str, answer: &Answer, now: Timestamp) -> Result<()> {
        answer.validate()?;
        self.survey(token, now).await?;
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE survey_invitations SET answered_at = $1, email = NULL \
             WHERE token_hash = $2 AND answered_at IS NULL AND expires_at > $1 \
             RETURNING id, service, agent_id, channel, day, language, rtt_ms, loss_permille",
        )
        .bind(secs(now))
        .bind(token_hash(token))
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| Error::State(ANSWERED.into()))?;
        let id: i64 = row.try_get("id")?;
        sqlx::query(
            "INSERT INTO survey_answers (service, agent_id, channel, day, overall, ease, quality, again, comment, \
             language, rtt_ms, loss_permille, created_at, comment_folded) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(row.try_get::<String, _>("service")?)
        .bind(row.try_get::<Option<i64>, _>("agent_id")?)
        .bind(row.try_get::<String, _>("channel")?)
        .bind(row.try_get::<String, _>("day")?)
        .bind(answer.overall)
        .bind(answer.ease)
        .bind(answer.quality)
        .bind(answer.again.map(|a| a.as_str()))
        .bind(answer.comment())
        .bind(row.try_get::<String, _>("language")?)
        .bind(row.try_get::<Option<i64>, _>("rtt_ms")?)
        .bind(row.try_get::<Option<i64>, _>("loss_permille")?)
        .bind(secs(now))
        .bind(answer.comment().map(|c| c.to_lowercase()))
        .execute(&mut *tx)
        .await?;
        let (rtt, loss) = (row.try_get::<Option<i64>, _>("rtt_ms")?, row.try_get::<Option<i64>, _>("loss_permille")?);
        let day: String = row.try_get("day")?;
        let keys = [
            ("all", String::new()),
            ("service", row.try_get::<String, _>("service")?),
            ("agent", row.try_get::<Option<i64>, _>("agent_id")?.map(|a| a.to_string()).unwrap_or_default()),
            ("channel", row.try_get::<String, _>("channel")?),
            ("grade", crate::surveys::quality_grade(rtt, loss).to_string()),
            ("again", answer.again.map(|a| a.as_str()).unwrap_or("unanswered").to_string()),
        ];
        for (kind, key) in keys {
            if kind == "agent" && key.is_empty() {
                continue;
            }
            sqlx::query(
                "INSERT INTO survey_marginals (day, kind, key, n, total) VALUES ($1, $2, $3, 1, $4) \
                 ON CONFLICT (day, kind, key) DO UPDATE SET n = survey_marginals.n + 1, \
                 total = survey_marginals.total + excluded.total",
            )
            .bind(&day)
            .bind(kind)
            .bind(key)
            .bind(answer.overall)
            .execute(&mut *tx)
            .await?;
        }
        withdraw_invitation_mail(&mut tx, id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// "Skip" on the survey: no e-mail invitation later (withdrawn if still waiting, the address
    /// erased). The link stays open until it expires, for whoever changes their mind; skipping
    /// twice is harmless. Unknown is [`Error::NotFound`], answered or closed [`Error::State`].
    pub async fn skip_survey(&self, token: &str, now: Timestamp) -> Result<()> {
        self.survey(token, now).await?;
        let mut tx = self.begin_write().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "UPDATE survey_invitations SET email = NULL WHERE token_hash = $1 AND answered_at IS NULL RETURNING id",
        )
        .bind(token_hash(token))
        .fetch_optional(&mut *tx)
        .await?;
        let id = id.ok_or_else(|| Error::State(ANSWERED.into()))?;
        withdraw_invitation_mail(&mut tx, id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records what was purged (never the purged data itself).
    pub async fn log_purge(&self, subject: &str, detail: &str, now: Timestamp) -> Result<()> {
        sqlx::query("INSERT INTO purge_log (at, subject, detail) VALUES ($1, $2, $3)")
            .bind(secs(now))
            .bind(subject)
            .bind(detail)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Which answers the dashboard looks at.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AnswerFilter {
    /// First and last day, inclusive (`None`: open-ended).
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub service: Option<String>,
    pub agent_id: Option<i64>,
    pub channel: Option<Channel>,
}

/// One group of answers: how many, and the sum of their overall scores (the average is
/// `sum / n`; sums keep the arithmetic exact when groups are merged).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, ToSchema)]
pub struct Tally {
    pub n: i64,
    pub sum: i64,
}

impl Tally {
    fn add(&mut self, n: i64, sum: i64) {
        self.n += n;
        self.sum += sum;
    }
}

/// One row of the grouped scan the dashboard is computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerGroup {
    pub day: Date,
    pub service: String,
    pub agent_id: Option<i64>,
    pub channel: String,
    pub grade: String,
    pub again: Option<String>,
    pub tally: Tally,
}

/// An answer as the comments list and the CSV export show it (no agent: see `MIN_GROUP`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AnswerRow {
    #[schema(value_type = String)]
    pub day: Date,
    pub service: String,
    pub channel: String,
    pub overall: i64,
    pub ease: Option<i64>,
    pub quality: Option<i64>,
    pub again: Option<String>,
    pub comment: Option<String>,
    pub rtt_ms: Option<i64>,
    pub loss_permille: Option<i64>,
}

/// Which answers' comments the list and the export keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentFilter<'a> {
    Any,
    /// Only answers with a comment.
    Present,
    /// Only comments containing this text, in any case (all of Unicode, on both databases); `%`
    /// and `_` match themselves.
    Containing(&'a str),
}

/// A value bound to one placeholder of a [`Where`].
enum Bound {
    Text(String),
    Int(i64),
}

/// The WHERE clause of a filter, with only the conditions that are set. Written as
/// `($n IS NULL OR col = $n)`, one statement for every filter, neither SQLite nor PostgreSQL
/// could use the (service, day) and (agent_id, day) indexes, and a one-agent view over a year
/// scanned every answer (docs/benchmarks.md).
struct Where {
    conditions: Vec<String>,
    values: Vec<Bound>,
}

impl Where {
    fn of(f: &AnswerFilter) -> Where {
        let mut w = Where { conditions: vec!["1 = 1".into()], values: Vec::new() };
        if let Some(from) = f.from {
            w.push("day >=", Bound::Text(from.to_string()));
        }
        if let Some(to) = f.to {
            w.push("day <=", Bound::Text(to.to_string()));
        }
        if let Some(service) = &f.service {
            w.push("service =", Bound::Text(service.clone()));
        }
        if let Some(agent) = f.agent_id {
            w.push("agent_id =", Bound::Int(agent));
        }
        if let Some(channel) = f.channel {
            w.push("channel =", Bound::Text(channel.as_str().into()));
        }
        w
    }

    /// Adds `<left> $n` with the next placeholder.
    fn push(&mut self, left: &str, value: Bound) {
        self.values.push(value);
        self.conditions.push(format!("{left} ${}", self.values.len()));
    }

    fn comments(&mut self, c: CommentFilter<'_>) {
        match c {
            CommentFilter::Any => {}
            CommentFilter::Present => self.conditions.push("comment IS NOT NULL".into()),
            CommentFilter::Containing(text) => {
                // Against the comment as stored lowercased by balie (migration 0011), with the
                // search lowercased the same way: both folded by Rust, whatever the database's
                // LOWER does (SQLite's folds ASCII only).
                let folded = text.to_lowercase();
                let escaped = folded.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
                self.push("comment_folded LIKE", Bound::Text(format!("%{escaped}%")));
                let last = self.conditions.last_mut().expect("just pushed");
                last.push_str(" ESCAPE '\\'");
            }
        }
    }

    /// The next free placeholder number (for a LIMIT after the conditions).
    fn next(&self) -> usize {
        self.values.len() + 1
    }

    fn sql(&self) -> String {
        self.conditions.join(" AND ")
    }

    fn bind<'q>(
        self,
        mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        for value in self.values {
            q = match value {
                Bound::Text(t) => q.bind(t),
                Bound::Int(i) => q.bind(i),
            };
        }
        q
    }
}

/// Said when a survey link is used again after its answer.
const ANSWERED: &str = "this survey was answered already: thank you";

/// The call-quality grade of an answer in SQL; the same thresholds as
/// [`crate::surveys::quality_grade`] (the store suite checks the marginals kept with each answer,
/// which use that one, against the grouped scan and the rebuild, which use this).
const GRADE: &str = "CASE WHEN rtt_ms IS NULL AND loss_permille IS NULL THEN 'unknown' \
                     WHEN COALESCE(rtt_ms, 0) <= 150 AND COALESCE(loss_permille, 0) <= 10 THEN 'good' \
                     WHEN COALESCE(rtt_ms, 0) <= 400 AND COALESCE(loss_permille, 0) <= 50 THEN 'fair' \
                     ELSE 'poor' END";

/// Withdraws the e-mail invitation of survey invitation `id` if it still waits (answered or
/// skipped: no reminder of a survey that is done with).
async fn withdraw_invitation_mail(tx: &mut sqlx::AnyConnection, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM outbox WHERE survey_invitation_id = $1 AND status = 'pending'")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

fn parse_day(s: &str) -> Result<Date> {
    s.parse().map_err(|_| Error::Corrupt(format!("survey day {s}")))
}

impl Store {
    /// The filtered answers grouped by day, service, agent, channel, quality grade and "again",
    /// in one scan: every breakdown of the dashboard is summed from these groups.
    pub async fn answer_groups(&self, f: &AnswerFilter) -> Result<Vec<AnswerGroup>> {
        let filter = Where::of(f);
        let sql = format!(
            "SELECT day, service, agent_id, channel, again, \
               {GRADE} AS grade, \
               COUNT(*) AS n, CAST(SUM(overall) AS BIGINT) AS total \
             FROM survey_answers WHERE {} \
             GROUP BY day, service, agent_id, channel, again, grade",
            filter.sql()
        );
        let rows = filter.bind(sqlx::query(&sql)).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(AnswerGroup {
                    day: parse_day(&r.try_get::<String, _>("day")?)?,
                    service: r.try_get("service")?,
                    agent_id: r.try_get("agent_id")?,
                    channel: r.try_get("channel")?,
                    grade: r.try_get("grade")?,
                    again: r.try_get("again")?,
                    tally: Tally { n: r.try_get("n")?, sum: r.try_get("total")? },
                })
            })
            .collect()
    }

    /// The dashboard for `f`. Without a service, agent or channel filter it is computed from the
    /// daily marginals (a few dozen rows a day, however many answers); with one, from the grouped
    /// scan of the (far fewer) matching answers.
    pub async fn dashboard(&self, f: &AnswerFilter) -> Result<crate::surveys::Dashboard> {
        let invited = self.invited(f).await?;
        if f.service.is_some() || f.agent_id.is_some() || f.channel.is_some() {
            return Ok(crate::surveys::Dashboard::from_groups(&self.answer_groups(f).await?, invited));
        }
        let (days, marginals) = self.marginals(f).await?;
        Ok(crate::surveys::Dashboard::from_marginals(&days, &marginals, invited))
    }

    /// The per-day totals and the per-(kind, key) totals of the marginals in `f`'s period.
    pub async fn marginals(&self, f: &AnswerFilter) -> Result<(Vec<(Date, Tally)>, Vec<(String, String, Tally)>)> {
        // Only the period: the marginals are per day, and a plain day range is served by the
        // (day, kind, key) primary key.
        let period = || Where::of(&AnswerFilter { from: f.from, to: f.to, ..Default::default() });
        let filter = period();
        let sql = format!("SELECT day, n, total FROM survey_marginals WHERE kind = 'all' AND {}", filter.sql());
        let rows = filter.bind(sqlx::query(&sql)).fetch_all(&self.pool).await?;
        let days = rows
            .iter()
            .map(|r| {
                Ok((
                    parse_day(&r.try_get::<String, _>("day")?)?,
                    Tally { n: r.try_get("n")?, sum: r.try_get("total")? },
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let filter = period();
        let sql = format!(
            "SELECT kind, key, CAST(SUM(n) AS BIGINT) AS n, CAST(SUM(total) AS BIGINT) AS total FROM survey_marginals \
             WHERE kind <> 'all' AND {} GROUP BY kind, key",
            filter.sql()
        );
        let rows = filter.bind(sqlx::query(&sql)).fetch_all(&self.pool).await?;
        let marginals = rows
            .iter()
            .map(|r| {
                Ok((r.try_get("kind")?, r.try_get("key")?, Tally { n: r.try_get("n")?, sum: r.try_get("total")? }))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((days, marginals))
    }

    /// Rebuilds the daily marginals from the answers (after answers were loaded in bulk, by an
    /// import or a benchmark; [`Store::answer_survey`] keeps them in step otherwise).
    pub async fn rebuild_survey_marginals(&self) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM survey_marginals").execute(&mut *tx).await?;
        for (kind, key, only) in [
            ("all", "''", ""),
            ("service", "service", ""),
            ("agent", "CAST(agent_id AS TEXT)", "WHERE agent_id IS NOT NULL"),
            ("channel", "channel", ""),
            ("grade", GRADE, ""),
            ("again", "COALESCE(again, 'unanswered')", ""),
        ] {
            let group = if kind == "all" { "day".to_string() } else { format!("day, {key}") };
            sqlx::query(&format!(
                "INSERT INTO survey_marginals (day, kind, key, n, total) \
                 SELECT day, '{kind}', {key}, COUNT(*), CAST(SUM(overall) AS BIGINT) FROM survey_answers {only} \
                 GROUP BY {group}"
            ))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// How many were invited under the filter (the response rate's denominator).
    pub async fn invited(&self, f: &AnswerFilter) -> Result<i64> {
        let filter = Where::of(f);
        let sql =
            format!("SELECT CAST(COALESCE(SUM(invited), 0) AS BIGINT) FROM survey_invited WHERE {}", filter.sql());
        Ok(filter.bind(sqlx::query(&sql)).fetch_one(&self.pool).await?.try_get(0)?)
    }

    /// How many answers match the filter (an index range count: the agent guard's question).
    pub async fn count_answers(&self, f: &AnswerFilter) -> Result<i64> {
        let filter = Where::of(f);
        let sql = format!("SELECT COUNT(*) FROM survey_answers WHERE {}", filter.sql());
        Ok(filter.bind(sqlx::query(&sql)).fetch_one(&self.pool).await?.try_get(0)?)
    }

    /// The filtered answers, newest first, at most `limit`, with `comments` deciding which
    /// comments count (the comments list keeps only answers with one).
    pub async fn answers(&self, f: &AnswerFilter, comments: CommentFilter<'_>, limit: i64) -> Result<Vec<AnswerRow>> {
        let mut filter = Where::of(f);
        filter.comments(comments);
        let sql = format!(
            "SELECT day, service, channel, overall, ease, quality, again, comment, rtt_ms, loss_permille \
             FROM survey_answers WHERE {} ORDER BY id DESC LIMIT ${}",
            filter.sql(),
            filter.next()
        );
        let rows = filter.bind(sqlx::query(&sql)).bind(limit).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(AnswerRow {
                    day: parse_day(&r.try_get::<String, _>("day")?)?,
                    service: r.try_get("service")?,
                    channel: r.try_get("channel")?,
                    overall: r.try_get("overall")?,
                    ease: r.try_get("ease")?,
                    quality: r.try_get("quality")?,
                    again: r.try_get("again")?,
                    comment: r.try_get("comment")?,
                    rtt_ms: r.try_get("rtt_ms")?,
                    loss_permille: r.try_get("loss_permille")?,
                })
            })
            .collect()
    }
}

impl Tally {
    /// The average overall score, when there are answers.
    pub fn average(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum as f64 / self.n as f64)
    }

    pub fn merge(&mut self, other: &Tally) {
        self.add(other.n, other.sum);
    }
}
