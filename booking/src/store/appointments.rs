//! Appointments: the question-guided catalogue, agents' hours, free slots, and the race-proof
//! booking that creates the appointment, its call and its e-mails in one transaction.

use jiff::{SignedDuration, Timestamp};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::calls::{insert_call, new_token};
use super::outbox::enqueue;
use super::{begin_with_row_locks, secs, ts, Store};
use crate::appointments::schedule::Booked as BookedPeriod;
use crate::appointments::{
    self, check_agent_free, AgentSchedule, AppointmentRecord, AppointmentStatus, Booking, CitizenRecord, Language,
    Mode, Question, Relation, ServiceSpec, Slot, ThirdPartyRecord, Token, Topic, WeeklyHours,
};
use crate::calls::{LinkWindow, NewParticipant, ParticipantRole};
use crate::error::{Error, Result};
use crate::outbox::NewMail;
use crate::time::{self, Period};

fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Corrupt(format!("serialising: {e}")))
}

fn parse<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::Corrupt(format!("{what}: {e}")))
}

const APPOINTMENT_COLUMNS: &str = "a.id, a.service, a.mode, a.agent_id, s.name AS agent_name, a.starts_at, a.ends_at, \
     a.status, a.citizen_name, a.citizen_email, a.citizen_phone, a.language, a.booked_by, a.call_id, a.sequence, \
     a.created_at";

fn appointment_from_row(r: &AnyRow, third_parties: Vec<ThirdPartyRecord>) -> Result<AppointmentRecord> {
    let mode: String = r.try_get("mode")?;
    let status: String = r.try_get("status")?;
    let language: String = r.try_get("language")?;
    Ok(AppointmentRecord {
        id: r.try_get("id")?,
        service: r.try_get("service")?,
        mode: Mode::parse(&mode).ok_or_else(|| Error::Corrupt(format!("appointment mode {mode}")))?,
        agent_id: r.try_get("agent_id")?,
        agent_name: r.try_get("agent_name")?,
        period: Store::row_period(r, "starts_at", "ends_at")?,
        status: AppointmentStatus::parse(&status)
            .ok_or_else(|| Error::Corrupt(format!("appointment status {status}")))?,
        citizen: CitizenRecord {
            name: r.try_get("citizen_name")?,
            email: r.try_get("citizen_email")?,
            phone: r.try_get("citizen_phone")?,
            language: Language::parse(&language).unwrap_or_default(),
        },
        third_parties,
        call_id: r.try_get("call_id")?,
        sequence: r.try_get("sequence")?,
        booked_by: r.try_get("booked_by")?,
        created_at: ts(r.try_get("created_at")?),
    })
}

/// Hours, absences and booked appointments of `agents` around `window`, read on `conn` (inside
/// the booking transaction, after the agents' locks, so nothing committed is missed).
pub(crate) async fn schedules(
    conn: &mut sqlx::AnyConnection,
    agents: &[i64],
    window: Period,
) -> Result<Vec<AgentSchedule>> {
    let mut out = Vec::new();
    for &agent_id in agents {
        let hours = match sqlx::query("SELECT hours FROM agent_hours WHERE agent_id = $1")
            .bind(agent_id)
            .fetch_optional(&mut *conn)
            .await?
        {
            Some(row) => parse::<WeeklyHours>(&row.try_get::<String, _>("hours")?, "agent hours")?,
            // Without hours an agent takes no appointments.
            None => WeeklyHours(Vec::new()),
        };
        let absences = sqlx::query(
            "SELECT starts_at, ends_at FROM agent_absences WHERE agent_id = $1 AND starts_at < $3 AND ends_at > $2",
        )
        .bind(agent_id)
        .bind(secs(window.start))
        .bind(secs(window.end))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Store::row_period(r, "starts_at", "ends_at"))
        .collect::<Result<Vec<_>>>()?;
        let booked = sqlx::query(
            "SELECT id, starts_at, ends_at FROM appointments \
             WHERE agent_id = $1 AND status = 'booked' AND starts_at < $3 AND ends_at > $2",
        )
        .bind(agent_id)
        .bind(secs(window.start))
        .bind(secs(window.end))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok(BookedPeriod { appointment_id: r.try_get("id")?, period: Store::row_period(r, "starts_at", "ends_at")? })
        })
        .collect::<Result<Vec<_>>>()?;
        out.push(AgentSchedule { agent_id, hours, absences, booked });
    }
    Ok(out)
}

/// The whole Brussels day(s) around `period`: what an agent's load on that day is counted over.
pub(crate) fn days_around(period: Period) -> Result<Period> {
    let first = time::local(period.start).date();
    let last = time::local(period.end).date();
    let start = time::instant(first, jiff::civil::Time::midnight());
    let end = time::instant(
        last.tomorrow().map_err(|e| Error::invalid("start", e.to_string()))?,
        jiff::civil::Time::midnight(),
    );
    Ok(Period { start, end })
}

/// Who takes `period`: `keep` while it is free (a moved appointment stays with its agent),
/// otherwise the least-loaded free agent of the pool; when nobody can, why (for the pool's first
/// agent, usually the only one).
pub(crate) fn choose_agent(
    service: &ServiceSpec,
    schedules: &[AgentSchedule],
    period: Period,
    now: Timestamp,
    keep: Option<i64>,
) -> Result<i64> {
    let free = appointments::slots::free_agents(service, schedules, period, now);
    if let Some(agent) = keep.filter(|a| free.contains(a)) {
        return Ok(agent);
    }
    let loads = appointments::slots::loads_on(schedules, time::local(period.start).date());
    appointments::pick_agent(&free, &loads).ok_or_else(|| {
        schedules
            .first()
            .and_then(|s| check_agent_free(s, period, now, service).err().map(Error::from))
            .unwrap_or_else(|| Error::State("no agent can take this appointment".into()))
    })
}

pub(crate) async fn staff_name(conn: &mut sqlx::AnyConnection, id: i64) -> Result<String> {
    Ok(sqlx::query("SELECT name FROM staff WHERE id = $1").bind(id).fetch_one(conn).await?.try_get(0)?)
}

impl Store {
    /// Begins a transaction holding the locks of `service`'s pool (sorted and distinct: the order
    /// the locks are taken in) and reads its agents' schedules around `period` under them.
    pub(crate) async fn lock_pool(
        &self,
        service: &ServiceSpec,
        period: Period,
    ) -> Result<(sqlx::Transaction<'static, sqlx::Any>, Vec<AgentSchedule>)> {
        let mut pool = service.agents.clone();
        pool.sort_unstable();
        pool.dedup();
        let mut tx = begin_with_row_locks(&self.pool, self.backend, "agent_hours", "agent_id", &pool).await?;
        let schedules = schedules(&mut tx, &pool, days_around(period)?).await?;
        Ok((tx, schedules))
    }

    /// Seeds the demo's appointment catalogue and the demo agents' hours when there is none;
    /// needs the demo staff accounts. Returns whether it did.
    pub async fn seed_demo_appointments(&self, now: Timestamp) -> Result<bool> {
        let count: i64 =
            sqlx::query("SELECT COUNT(*) FROM appointment_services").fetch_one(&self.pool).await?.try_get(0)?;
        if count > 0 {
            return Ok(false);
        }
        let mut agents = Vec::new();
        for email in appointments::demo::DEMO_AGENT_EMAILS {
            if let Some(staff) = self.staff_by_email(email).await? {
                agents.push(staff.id);
            }
        }
        if agents.is_empty() {
            return Ok(false);
        }
        let topics = appointments::demo::topics();
        let questions = appointments::demo::questions();
        let services = appointments::demo::services(&agents);
        appointments::services::validate_catalogue(&topics, &questions, &services)?;
        let mut tx = self.pool.begin().await?;
        let topic_rows = topics.iter().map(|t| Ok((t.code.clone(), json(t)?))).collect::<Result<Vec<_>>>()?;
        let question_rows = questions.iter().map(|q| Ok((q.code.clone(), json(q)?))).collect::<Result<Vec<_>>>()?;
        for (table, rows) in [("appointment_topics", topic_rows), ("appointment_questions", question_rows)] {
            for (position, (code, spec)) in rows.iter().enumerate() {
                sqlx::query(&format!("INSERT INTO {table} (code, position, spec) VALUES ($1, $2, $3)"))
                    .bind(code)
                    .bind(position as i64)
                    .bind(spec)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        for s in &services {
            sqlx::query("INSERT INTO appointment_services (code, spec, updated_at) VALUES ($1, $2, $3)")
                .bind(&s.code)
                .bind(json(s)?)
                .bind(secs(now))
                .execute(&mut *tx)
                .await?;
        }
        let hours = json(&appointments::demo::agent_hours())?;
        for agent in &agents {
            sqlx::query("INSERT INTO agent_hours (agent_id, hours) VALUES ($1, $2)")
                .bind(agent)
                .bind(&hours)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Topics and their questions, in catalogue order.
    pub async fn appointment_guide(&self) -> Result<(Vec<Topic>, Vec<Question>)> {
        let topics = self.specs("SELECT spec FROM appointment_topics ORDER BY position", "topic").await?;
        let questions = self.specs("SELECT spec FROM appointment_questions ORDER BY position", "question").await?;
        Ok((topics, questions))
    }

    pub async fn appointment_services(&self) -> Result<Vec<ServiceSpec>> {
        self.specs("SELECT spec FROM appointment_services ORDER BY code", "service").await
    }

    /// The `spec` column of every row `select` returns, parsed as `T` (`what` names it in errors).
    async fn specs<T: serde::de::DeserializeOwned>(&self, select: &str, what: &str) -> Result<Vec<T>> {
        sqlx::query(select)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| parse(&r.try_get::<String, _>("spec")?, what))
            .collect()
    }

    pub async fn appointment_service(&self, code: &str) -> Result<ServiceSpec> {
        let row = sqlx::query("SELECT spec FROM appointment_services WHERE code = $1")
            .bind(code)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| Error::not_found("service", code))?;
        parse(&row.try_get::<String, _>("spec")?, "service")
    }

    /// Free slots of `service` starting in `[from, to)`.
    pub async fn appointment_slots(
        &self,
        service: &ServiceSpec,
        from: Timestamp,
        to: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<Slot>> {
        let mut conn = self.pool.acquire().await?;
        let window = Period { start: from, end: to + SignedDuration::from_mins(service.duration_minutes) };
        let schedules = schedules(&mut conn, &service.agents, days_around(window)?).await?;
        Ok(appointments::free_slots(service, &schedules, from, to, now, appointments::slots::DEFAULT_STEP_MINUTES))
    }

    /// Books `booking` with a free agent of the service's pool, race-proof: the pool's agents
    /// are locked before their schedules are read, then [`check_agent_free`] (the same rule
    /// as the slot list) decides, so two bookings can never give one agent overlapping
    /// appointments. A video or hybrid appointment gets its call and personal links. `mails`
    /// renders the messages to send (it sees the links); they go into the outbox in the same
    /// transaction, so a committed booking always has its e-mails and a refused one has none.
    pub async fn book_appointment(
        &self,
        booking: &Booking,
        service: &ServiceSpec,
        window: LinkWindow,
        now: Timestamp,
        mails: impl FnOnce(&appointments::record::Booked) -> Result<Vec<NewMail>>,
    ) -> Result<appointments::record::Booked> {
        let (mut tx, schedules) = self.lock_pool(service, booking.period).await?;
        let agent_id = choose_agent(service, &schedules, booking.period, now, None)?;
        let agent_name = staff_name(&mut tx, agent_id).await?;

        // The call: the agent, the citizen, then each third party, each with a personal link.
        let (call_id, links) = if booking.mode == Mode::Physical {
            (None, Vec::new())
        } else {
            let citizen = NewParticipant {
                name: booking.citizen.name.clone(),
                role: ParticipantRole::Citizen,
                email: Some(booking.citizen.email.as_str().to_string()),
            };
            let guests = booking.third_parties.iter().map(|t| NewParticipant {
                name: t.name.clone(),
                role: ParticipantRole::Guest,
                email: Some(t.email.as_str().to_string()),
            });
            // Hybrid: the meeting room's device takes part too (the agent opens its link there).
            let device = (booking.mode == Mode::Hybrid).then(|| NewParticipant {
                name: format!("{} (zaaltoestel)", service.location.as_deref().unwrap_or("Vergaderzaal")),
                role: ParticipantRole::Guest,
                email: None,
            });
            let participants: Vec<NewParticipant> = std::iter::once(citizen).chain(guests).chain(device).collect();
            let title = service.name.nl.clone();
            let (call_id, created) =
                insert_call(&mut tx, &title, booking.period, (agent_id, &agent_name), &participants, window, now)
                    .await?;
            // Skip the agent's own link: agents open calls from their console.
            (Some(call_id), created.into_iter().skip(1).collect::<Vec<_>>())
        };

        let device_participant = if booking.mode == Mode::Hybrid { links.last().map(|(pid, _)| *pid) } else { None };
        let manage_token = new_token();
        let booked_by = match booking.by {
            appointments::Actor::Agent { staff_id } => Some(staff_id),
            appointments::Actor::Citizen => None,
        };
        let id: i64 = sqlx::query(
            "INSERT INTO appointments (service, mode, agent_id, starts_at, ends_at, citizen_name, citizen_email, \
             citizen_phone, language, booked_by, call_id, manage_token_hash, created_at, device_participant_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
        )
        .bind(&booking.service)
        .bind(booking.mode.as_str())
        .bind(agent_id)
        .bind(secs(booking.period.start))
        .bind(secs(booking.period.end))
        .bind(&booking.citizen.name)
        .bind(booking.citizen.email.as_str())
        .bind(booking.citizen.phone.as_deref())
        .bind(booking.citizen.language.code())
        .bind(booked_by)
        .bind(call_id)
        .bind(crate::calls::token_hash(&manage_token))
        .bind(secs(now))
        .bind(device_participant)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let mut third_parties = Vec::new();
        for (i, t) in booking.third_parties.iter().enumerate() {
            let participant_id = links.get(i + 1).map(|(pid, _)| *pid);
            let tp_id: i64 = sqlx::query(
                "INSERT INTO appointment_third_parties (appointment_id, name, email, relation, participant_id) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(id)
            .bind(&t.name)
            .bind(t.email.as_str())
            .bind(json(&t.relation)?)
            .bind(participant_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
            third_parties.push(ThirdPartyRecord {
                id: tp_id,
                name: t.name.clone(),
                email: t.email.as_str().to_string(),
                relation: t.relation.clone(),
                participant_id,
            });
        }
        let appointment = AppointmentRecord {
            id,
            service: booking.service.clone(),
            mode: booking.mode,
            agent_id,
            agent_name,
            period: booking.period,
            status: AppointmentStatus::Booked,
            citizen: CitizenRecord {
                name: booking.citizen.name.clone(),
                email: booking.citizen.email.as_str().to_string(),
                phone: booking.citizen.phone.clone(),
                language: booking.citizen.language,
            },
            third_parties,
            call_id,
            sequence: 0,
            booked_by,
            created_at: now,
        };
        let mut tokens = links.into_iter().map(|(_, token)| Some(Token(token)));
        let citizen_join = tokens.next().flatten();
        let third_party_joins =
            (0..appointment.third_parties.len()).map(|_| tokens.next().flatten()).collect::<Vec<_>>();
        let booked = appointments::record::Booked {
            appointment,
            manage_token: Token(manage_token),
            citizen_join,
            third_party_joins,
        };
        for mail in mails(&booked)? {
            enqueue(&mut tx, &NewMail { appointment_id: Some(id), ..mail }, now).await?;
        }
        tx.commit().await?;
        Ok(booked)
    }

    /// The appointment whose video call is `call_id`, if any (a call may also stand alone).
    pub async fn appointment_of_call(&self, call_id: i64) -> Result<Option<AppointmentRecord>> {
        let row = sqlx::query("SELECT id FROM appointments WHERE call_id = $1")
            .bind(call_id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some(self.appointment(r.try_get("id")?).await?)),
            None => Ok(None),
        }
    }

    pub async fn appointment(&self, id: i64) -> Result<AppointmentRecord> {
        let row = sqlx::query(&format!(
            "SELECT {APPOINTMENT_COLUMNS} FROM appointments a JOIN staff s ON s.id = a.agent_id WHERE a.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| Error::not_found("appointment", id))?;
        let third_parties = sqlx::query(
            "SELECT id, name, email, relation, participant_id FROM appointment_third_parties \
             WHERE appointment_id = $1 AND removed_at IS NULL ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(ThirdPartyRecord {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                email: r.try_get("email")?,
                relation: parse::<Relation>(&r.try_get::<String, _>("relation")?, "relation")?,
                participant_id: r.try_get("participant_id")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        appointment_from_row(&row, third_parties)
    }

    /// A new link for the meeting room's device of hybrid appointment `id` (the old one stops
    /// working): for the agent to open on the room's screen. Returns the raw token.
    pub async fn rotate_device_link(&self, id: i64, window: LinkWindow) -> Result<Token> {
        let a = self.appointment(id).await?;
        if a.status != AppointmentStatus::Booked {
            return Err(Error::State("the appointment is cancelled".into()));
        }
        let row = sqlx::query("SELECT device_participant_id FROM appointments WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        let participant: i64 = row
            .try_get::<Option<i64>, _>("device_participant_id")?
            .ok_or_else(|| Error::State("only a hybrid appointment has a meeting-room device".into()))?;
        let token = new_token();
        let valid = window.around(a.period);
        // Only while the appointment is still booked: a cancellation that committed meanwhile
        // revoked this link, and it must stay revoked.
        let done = sqlx::query(
            "UPDATE call_participants SET token_hash = $2, valid_from = $3, valid_until = $4, revoked_at = NULL \
             WHERE id = $1 AND EXISTS (SELECT 1 FROM appointments WHERE device_participant_id = $1 AND status = 'booked')",
        )
        .bind(participant)
        .bind(crate::calls::token_hash(&token))
        .bind(secs(valid.start))
        .bind(secs(valid.end))
        .execute(&self.pool)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(Error::State("the appointment is cancelled".into()));
        }
        Ok(Token(token))
    }

    /// The appointment a citizen's manage link belongs to.
    pub async fn appointment_by_manage_token(&self, token: &str) -> Result<AppointmentRecord> {
        let row = sqlx::query("SELECT id FROM appointments WHERE manage_token_hash = $1")
            .bind(crate::calls::token_hash(token))
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| Error::not_found("appointment", "link"))?;
        self.appointment(row.try_get("id")?).await
    }

    /// Agents' appointments starting in `window`, by start.
    pub async fn appointments_between(&self, window: Period, agent: Option<i64>) -> Result<Vec<AppointmentRecord>> {
        let ids: Vec<i64> = sqlx::query(
            "SELECT id FROM appointments WHERE starts_at >= $1 AND starts_at < $2 AND ($3 IS NULL OR agent_id = $3) \
             ORDER BY starts_at, id",
        )
        .bind(secs(window.start))
        .bind(secs(window.end))
        .bind(agent)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<std::result::Result<_, _>>()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.appointment(id).await?);
        }
        Ok(out)
    }
}
