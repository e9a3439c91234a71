//! Appointments (`/api/v1/afspraken`): the guide (topics → questions → services), free moments,
//! booking by a citizen (public) or by an agent on a citizen's behalf, and the agents' view.
//! Booking writes the appointment, its call and its e-mails in one transaction.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use balie_booking::appointments::record::Booked;
use balie_booking::appointments::{
    Actor, AppointmentRecord, AppointmentStatus, BookingRequest, Language, Mode, Question, Relation, ServiceSpec, Topic,
};
use balie_booking::outbox::NewMail;
use balie_booking::time::Period;
use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::now;
use crate::auth::{Agents, Authorized};
use crate::error::{ApiResult, Problem};
use crate::extract::{Json, Query};
use crate::mailer::Mailer;
use crate::state::AppState;

/// A service as citizens see it (not the agent pool).
#[derive(Serialize, ToSchema)]
pub struct PublicService {
    pub code: String,
    #[schema(value_type = Object)]
    pub name: balie_booking::appointments::Texts,
    #[schema(value_type = Object)]
    pub description: balie_booking::appointments::Texts,
    pub duration_minutes: i64,
    pub modes: Vec<Mode>,
    pub location: Option<String>,
    pub min_notice_minutes: i64,
    pub horizon_days: i64,
}

impl From<&ServiceSpec> for PublicService {
    fn from(s: &ServiceSpec) -> Self {
        PublicService {
            code: s.code.clone(),
            name: s.name.clone(),
            description: s.description.clone(),
            duration_minutes: s.duration_minutes,
            modes: s.modes.clone(),
            location: s.location.clone(),
            min_notice_minutes: s.min_notice_minutes,
            horizon_days: s.horizon_days,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Guide {
    #[schema(value_type = Vec<Object>)]
    pub topics: Vec<Topic>,
    #[schema(value_type = Vec<Object>)]
    pub questions: Vec<Question>,
    pub services: Vec<PublicService>,
    /// The consent text to show before booking, per language.
    #[schema(value_type = Object)]
    pub consent: serde_json::Value,
}

/// The guiding questions and the services they lead to.
#[utoipa::path(get, path = "/api/v1/afspraken/gids", tag = "appointments", responses((status = 200, body = Guide)))]
pub async fn guide(State(state): State<AppState>) -> ApiResult<axum::Json<Guide>> {
    let (topics, questions) = state.store.appointment_guide().await?;
    let services = state.store.appointment_services().await?.iter().map(PublicService::from).collect();
    let consent = serde_json::to_value(balie_booking::appointments::CONSENT_TEXT).unwrap_or_default();
    Ok(axum::Json(Guide { topics, questions, services, consent }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MomentParams {
    /// First day (Brussels), `YYYY-MM-DD`; default today.
    #[param(value_type = Option<String>, format = Date)]
    van: Option<Date>,
    /// Number of days, 1–31 (default 7).
    dagen: Option<i64>,
}

/// Free moments of a service: starts on a quarter-hour grid when some agent of its pool works,
/// is not absent and has no other appointment, within the minimum notice and the horizon.
#[utoipa::path(get, path = "/api/v1/afspraken/diensten/{code}/momenten", tag = "appointments",
    params(("code" = String, Path), MomentParams),
    responses((status = 200, body = [Period], description = "start and end in Brussels time"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn moments(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(p): Query<MomentParams>,
) -> ApiResult<axum::Json<Vec<Period>>> {
    let days = p.dagen.unwrap_or(7);
    let mut problems = balie_booking::error::Problems::default();
    problems.check((1..=31).contains(&days), "dagen", "must be between 1 and 31");
    problems.into_result()?;
    let service = state.store.appointment_service(&code).await?;
    let now = now();
    let first = p.van.unwrap_or_else(|| balie_booking::time::local(now).date());
    let from = balie_booking::time::instant(first, jiff::civil::Time::midnight());
    let last = first
        .checked_add(jiff::Span::new().days(days))
        .map_err(|_| balie_booking::Error::invalid("van", "out of range"))?;
    let to = balie_booking::time::instant(last, jiff::civil::Time::midnight());
    let slots = state.store.appointment_slots(&service, from, to, now).await?;
    Ok(axum::Json(slots.into_iter().map(|s| Period { start: s.start, end: s.end }).collect()))
}

/// What a citizen gets back: the appointment, and the personal link to see, move or cancel it
/// (also in the confirmation e-mail).
#[derive(Serialize, ToSchema)]
pub struct CitizenBooked {
    pub appointment: AppointmentRecord,
    pub manage_url: String,
}

/// Book an appointment (citizen self-service). The confirmation, with the personal call link and
/// a calendar invitation, goes by e-mail; each third party gets an invitation with a link of
/// their own.
#[utoipa::path(post, path = "/api/v1/afspraken", tag = "appointments", request_body = BookingRequest,
    responses((status = 201, body = CitizenBooked), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn book(State(state): State<AppState>, Json(request): Json<BookingRequest>) -> ApiResult<Response> {
    let booked = book_as(&state, &request, Actor::Citizen).await?;
    let body =
        CitizenBooked { manage_url: manage_url(&state, &booked.manage_token.0), appointment: booked.appointment };
    // The answer holds a capability link: never cached.
    Ok((StatusCode::CREATED, [(header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response())
}

/// Book on behalf of a citizen who phoned or came to the counter. The citizen's links go to the
/// citizen by e-mail, not to the agent.
#[utoipa::path(post, path = "/api/v1/afspraken/namens", tag = "appointments", request_body = BookingRequest,
    responses((status = 201, body = AppointmentRecord), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn book_on_behalf(
    State(state): State<AppState>,
    staff: Authorized<Agents>,
    Json(request): Json<BookingRequest>,
) -> ApiResult<Response> {
    let booked = book_as(&state, &request, Actor::Agent { staff_id: staff.id() }).await?;
    Ok((StatusCode::CREATED, axum::Json(booked.appointment)).into_response())
}

async fn book_as(state: &AppState, request: &BookingRequest, by: Actor) -> ApiResult<Booked> {
    let service = state.store.appointment_service(&request.service).await.map_err(|e| match e {
        balie_booking::Error::NotFound { .. } => balie_booking::Error::invalid("service", "no such service"),
        other => other,
    })?;
    let booking = request.parse(&service, by, balie_booking::appointments::slots::DEFAULT_STEP_MINUTES)?;
    let now = now();
    let booked = state
        .store
        .book_appointment(&booking, &service, state.link_window, now, |booked| {
            confirmation_mails(state, &service, booked, now)
        })
        .await?;
    state.mailer.wake();
    tracing::info!(appointment = booked.appointment.id, service = %service.code, mode = booked.appointment.mode.as_str(), "appointment booked");
    Ok(booked)
}

/// The citizen's confirmation and each third party's invitation, and everyone's reminders.
fn confirmation_mails(
    state: &AppState,
    service: &ServiceSpec,
    booked: &Booked,
    now: Timestamp,
) -> balie_booking::Result<Vec<NewMail>> {
    let kind = balie_mail::MessageKind::Confirmation;
    let mut mails = mails_for(state, service, &booked.appointment, kind, Some(booked), None, now)?;
    mails.extend(reminder_mails(state, service, booked, now)?);
    Ok(mails)
}

/// The reminders, written now (only now are the links at hand: just their hashes are kept) and
/// held in the outbox until their moment. Moving or cancelling the appointment drops them.
fn reminder_mails(
    state: &AppState,
    service: &ServiceSpec,
    booked: &Booked,
    now: Timestamp,
) -> balie_booking::Result<Vec<NewMail>> {
    let mut mails = Vec::new();
    for at in
        balie_booking::appointments::reminders::reminder_times(booked.appointment.period.start, &state.reminders, now)
    {
        let kind = balie_mail::MessageKind::Reminder;
        let reminders = mails_for(state, service, &booked.appointment, kind, Some(booked), None, now)?;
        mails.extend(reminders.into_iter().map(|m| NewMail { not_before: Some(at), ..m }));
    }
    Ok(mails)
}

/// The messages about `a` to the citizen and every third party: `kind` for the citizen, and for
/// a third party the same except that a confirmation becomes an invitation. `links` carries the
/// raw tokens when there are (new) links to send; a cancellation has none.
fn mails_for(
    state: &AppState,
    service: &ServiceSpec,
    a: &AppointmentRecord,
    kind: balie_mail::MessageKind,
    links: Option<&Booked>,
    previous_start: Option<Timestamp>,
    now: Timestamp,
) -> balie_booking::Result<Vec<NewMail>> {
    use balie_mail::MessageKind;
    let citizen = balie_mail::Person::new(a.citizen.name.clone(), a.citizen.email.clone());
    let base =
        balie_mail::AppointmentMail { previous_start, ..base_mail(state, service, a, citizen, a.citizen.language) };
    let mut mails = Vec::new();
    let (join, manage) = (links.and_then(|l| l.citizen_join.as_ref()), links.map(|l| &l.manage_token));
    mails.push(citizen_mail(state, &base, a, kind, join, manage, now)?);
    let party_kind = if kind == MessageKind::Confirmation { MessageKind::ThirdPartyInvitation } else { kind };
    for (i, party) in a.third_parties.iter().enumerate() {
        let join = links.and_then(|l| l.third_party_joins.get(i).cloned().flatten());
        mails.push(party_mail(state, &base, a, party, party_kind, join.as_ref(), now)?);
    }
    Ok(mails)
}

/// One message to the citizen of `a`, with their call and manage links if there are any to send.
fn citizen_mail(
    state: &AppState,
    base: &balie_mail::AppointmentMail,
    a: &AppointmentRecord,
    kind: balie_mail::MessageKind,
    join: Option<&balie_booking::appointments::Token>,
    manage: Option<&balie_booking::appointments::Token>,
    now: Timestamp,
) -> balie_booking::Result<NewMail> {
    let to_citizen = balie_mail::AppointmentMail {
        join_url: join.map(|t| join_url(state, &t.0)),
        manage_url: manage.map(|t| manage_url(state, &t.0)),
        ..base.clone()
    };
    render(state, kind, &to_citizen, now, a.id)
}

/// The citizen's confirmation again, with new links (an agent resent it), and their reminders
/// still to come carrying the same links.
pub(super) fn citizen_resend_mails(
    state: &AppState,
    service: &ServiceSpec,
    a: &AppointmentRecord,
    join: Option<&balie_booking::appointments::Token>,
    manage: Option<&balie_booking::appointments::Token>,
    now: Timestamp,
) -> balie_booking::Result<Vec<NewMail>> {
    use balie_mail::MessageKind;
    let citizen = balie_mail::Person::new(a.citizen.name.clone(), a.citizen.email.clone());
    let base = base_mail(state, service, a, citizen, a.citizen.language);
    let mut mails = vec![citizen_mail(state, &base, a, MessageKind::Confirmation, join, manage, now)?];
    for at in balie_booking::appointments::reminders::reminder_times(a.period.start, &state.reminders, now) {
        let reminder = citizen_mail(state, &base, a, MessageKind::Reminder, join, manage, now)?;
        mails.push(NewMail { not_before: Some(at), ..reminder });
    }
    Ok(mails)
}

/// One message to a third party of `a`, with their own call link if there is one to send.
fn party_mail(
    state: &AppState,
    base: &balie_mail::AppointmentMail,
    a: &AppointmentRecord,
    party: &balie_booking::appointments::ThirdPartyRecord,
    kind: balie_mail::MessageKind,
    join: Option<&balie_booking::appointments::Token>,
    now: Timestamp,
) -> balie_booking::Result<NewMail> {
    let to_party = balie_mail::AppointmentMail {
        recipient: balie_mail::Person::new(party.name.clone(), party.email.clone()),
        join_url: join.map(|t| join_url(state, &t.0)),
        manage_url: None,
        third_party: Some(balie_mail::ThirdParty {
            relation: mail_relation(&party.relation),
            invited_by: a.citizen.name.clone(),
        }),
        ..base.clone()
    };
    render(state, kind, &to_party, now, a.id)
}

/// A third party added later (or their invitation resent): their invitation and their reminders
/// still to come.
pub(super) fn new_party_mails(
    state: &AppState,
    service: &ServiceSpec,
    a: &AppointmentRecord,
    party: &balie_booking::appointments::ThirdPartyRecord,
    join: Option<&balie_booking::appointments::Token>,
    now: Timestamp,
) -> balie_booking::Result<Vec<NewMail>> {
    let citizen = balie_mail::Person::new(a.citizen.name.clone(), a.citizen.email.clone());
    let base = base_mail(state, service, a, citizen, a.citizen.language);
    let mut mails = vec![party_mail(state, &base, a, party, balie_mail::MessageKind::ThirdPartyInvitation, join, now)?];
    for at in balie_booking::appointments::reminders::reminder_times(a.period.start, &state.reminders, now) {
        let reminder = party_mail(state, &base, a, party, balie_mail::MessageKind::Reminder, join, now)?;
        mails.push(NewMail { not_before: Some(at), ..reminder });
    }
    Ok(mails)
}

/// Parses a third party to add to `a`, against the citizen and the ones already there.
fn parse_party(
    a: &AppointmentRecord,
    request: &balie_booking::appointments::ThirdPartyRequest,
) -> balie_booking::Result<balie_booking::appointments::ThirdParty> {
    use balie_booking::appointments::request::{Citizen, EmailAddress};
    use balie_booking::appointments::ThirdParty;
    let email =
        |e: &str| EmailAddress::parse(e).ok_or_else(|| balie_booking::Error::Corrupt(format!("stored e-mail {e}")));
    let citizen = Citizen {
        name: a.citizen.name.clone(),
        email: email(&a.citizen.email)?,
        phone: a.citizen.phone.clone(),
        language: a.citizen.language,
    };
    let existing = a
        .third_parties
        .iter()
        .map(|t| Ok(ThirdParty { name: t.name.clone(), email: email(&t.email)?, relation: t.relation.clone() }))
        .collect::<balie_booking::Result<Vec<_>>>()?;
    request.parse(&citizen, &existing)
}

async fn add_party(
    state: &AppState,
    id: i64,
    request: &balie_booking::appointments::ThirdPartyRequest,
) -> ApiResult<balie_booking::appointments::ThirdPartyRecord> {
    let a = state.store.appointment(id).await?;
    let party = parse_party(&a, request)?;
    let service = state.store.appointment_service(&a.service).await?;
    let now = now();
    let added = state
        .store
        .add_third_party(id, &party, state.link_window, now, |after, record, token| {
            new_party_mails(state, &service, after, record, token, now)
        })
        .await?;
    state.mailer.wake();
    Ok(added)
}

async fn remove_party(state: &AppState, id: i64, party: i64) -> ApiResult<()> {
    let a = state.store.appointment(id).await?;
    if let Some(participant) = state.store.remove_third_party(id, party, now()).await? {
        if let Some(call) = a.call_id {
            // Out of a running call at once, as a revoked link is.
            state.hub.revoke(call, participant);
        }
    }
    Ok(())
}

fn base_mail(
    state: &AppState,
    service: &ServiceSpec,
    a: &AppointmentRecord,
    recipient: balie_mail::Person,
    language: Language,
) -> balie_mail::AppointmentMail {
    let host =
        state.public_url.split("://").nth(1).unwrap_or(&state.public_url).split(['/', ':']).next().unwrap_or("balie");
    balie_mail::AppointmentMail {
        language: mail_language(language),
        municipality: balie_booking::demo::MUNICIPALITY.to_string(),
        recipient,
        service: service.name.get(language).to_string(),
        agent_name: a.agent_name.clone(),
        start: a.period.start,
        end: a.period.end,
        previous_start: None,
        mode: mail_mode(a.mode),
        location: service.location.clone().filter(|_| a.mode.has_place()),
        join_url: None,
        manage_url: None,
        third_party: None,
        calendar: balie_mail::CalendarRef { uid: format!("appointment-{}@{host}", a.id), sequence: a.sequence as u32 },
    }
}

fn render(
    state: &AppState,
    kind: balie_mail::MessageKind,
    mail: &balie_mail::AppointmentMail,
    now: Timestamp,
    appointment: i64,
) -> balie_booking::Result<NewMail> {
    let rendered = state
        .mailer
        .renderer
        .render(kind, mail, now)
        .map_err(|e| balie_booking::Error::invalid("email", e.to_string()))?;
    Mailer::to_row(&rendered, Some(appointment)).map_err(|e| balie_booking::Error::Corrupt(e.to_string()))
}

pub(super) fn join_url(state: &AppState, token: &str) -> String {
    format!("{}/gesprek#{token}", state.public_url)
}

fn manage_url(state: &AppState, token: &str) -> String {
    format!("{}/afspraak#{token}", state.public_url)
}

fn mail_mode(mode: Mode) -> balie_mail::Mode {
    match mode {
        Mode::Video => balie_mail::Mode::Video,
        Mode::Physical => balie_mail::Mode::Physical,
        Mode::Hybrid => balie_mail::Mode::Hybrid,
    }
}

pub(crate) fn mail_language(language: Language) -> balie_mail::Language {
    match language {
        Language::Nl => balie_mail::Language::Nl,
        Language::En => balie_mail::Language::En,
        Language::Fr => balie_mail::Language::Fr,
    }
}

fn mail_relation(relation: &Relation) -> balie_mail::Relation {
    match relation {
        Relation::Family => balie_mail::Relation::Family,
        Relation::Caregiver => balie_mail::Relation::Caregiver,
        Relation::Interpreter => balie_mail::Relation::Interpreter,
        Relation::Professional => balie_mail::Relation::Professional,
        Relation::Other(text) => balie_mail::Relation::Other(text.clone()),
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AgendaParams {
    /// First day (Brussels), `YYYY-MM-DD`; default today.
    #[param(value_type = Option<String>, format = Date)]
    van: Option<Date>,
    /// Number of days, 1–31 (default 1).
    dagen: Option<i64>,
    /// Only this agent's appointments.
    agent: Option<i64>,
}

/// The agenda: appointments starting in the days asked, by start.
#[utoipa::path(get, path = "/api/v1/afspraken", tag = "appointments", params(AgendaParams),
    responses((status = 200, body = [AppointmentRecord]), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn agenda(
    State(state): State<AppState>,
    _staff: Authorized<Agents>,
    Query(p): Query<AgendaParams>,
) -> ApiResult<axum::Json<Vec<AppointmentRecord>>> {
    let days = p.dagen.unwrap_or(1);
    let mut problems = balie_booking::error::Problems::default();
    problems.check((1..=31).contains(&days), "dagen", "must be between 1 and 31");
    problems.into_result()?;
    let first = p.van.unwrap_or_else(|| balie_booking::time::local(now()).date());
    let last = first
        .checked_add(jiff::Span::new().days(days))
        .map_err(|_| balie_booking::Error::invalid("van", "out of range"))?;
    let window = Period {
        start: balie_booking::time::instant(first, jiff::civil::Time::midnight()),
        end: balie_booking::time::instant(last, jiff::civil::Time::midnight()),
    };
    Ok(axum::Json(state.store.appointments_between(window, p.agent).await?))
}

/// One appointment with its third parties.
#[utoipa::path(get, path = "/api/v1/afspraken/{id}", tag = "appointments", params(("id" = i64, Path)),
    responses((status = 200, body = AppointmentRecord), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    _staff: Authorized<Agents>,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<AppointmentRecord>> {
    Ok(axum::Json(state.store.appointment(id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTime {
    /// The new start (on the quarter-hour grid, like a booking).
    #[schema(value_type = String, format = DateTime)]
    pub start: Timestamp,
}

/// The period a move to `start` asks for, checked like a booking's start.
fn new_period(service: &ServiceSpec, start: Timestamp) -> balie_booking::Result<Period> {
    if !balie_booking::appointments::slots::on_grid(start, balie_booking::appointments::slots::DEFAULT_STEP_MINUTES) {
        return Err(balie_booking::Error::invalid("start", "must be on the quarter hour (Brussels time)"));
    }
    Ok(balie_booking::appointments::slots::appointment_period(service, start))
}

async fn cancel_as(state: &AppState, id: i64, actor: Actor) -> ApiResult<AppointmentRecord> {
    let current = state.store.appointment(id).await?;
    let service = state.store.appointment_service(&current.service).await?;
    let now = now();
    let cancelled = state
        .store
        .cancel_appointment(id, actor, &service, now, |a| {
            mails_for(state, &service, a, balie_mail::MessageKind::Cancellation, None, None, now)
        })
        .await?;
    state.mailer.wake();
    disconnect_participants(state, &cancelled).await;
    tracing::info!(appointment = id, "appointment cancelled");
    Ok(cancelled)
}

/// Takes everyone but the agent out of the appointment's call if they are connected (waiting
/// early in the lobby, say): after a cancellation, or a move that replaced their links.
async fn disconnect_participants(state: &AppState, a: &AppointmentRecord) {
    let Some(call) = a.call_id else { return };
    match state.store.call(call).await {
        Ok(record) => {
            for p in record.participants.iter().filter(|p| p.role != balie_booking::calls::ParticipantRole::Agent) {
                state.hub.revoke(call, p.id);
            }
        }
        Err(e) => tracing::warn!(call, error = %e, "reading a call to disconnect its participants"),
    }
}

async fn move_as(state: &AppState, id: i64, start: Timestamp, actor: Actor) -> ApiResult<Booked> {
    let current = state.store.appointment(id).await?;
    let service = state.store.appointment_service(&current.service).await?;
    let period = new_period(&service, start)?;
    let now = now();
    let moved = state
        .store
        .reschedule_appointment(
            id,
            balie_booking::appointments::Move { period, by: actor },
            &service,
            state.link_window,
            now,
            |booked, previous| {
                let kind = balie_mail::MessageKind::Rescheduled;
                let mut mails =
                    mails_for(state, &service, &booked.appointment, kind, Some(booked), Some(previous), now)?;
                mails.extend(reminder_mails(state, &service, booked, now)?);
                Ok(mails)
            },
        )
        .await?;
    state.mailer.wake();
    disconnect_participants(state, &moved.appointment).await;
    tracing::info!(appointment = id, "appointment moved");
    Ok(moved)
}

/// Cancel an appointment (agent, until its start). Everyone gets a cancellation with an .ics
/// CANCEL; the call's links stop working.
#[utoipa::path(post, path = "/api/v1/afspraken/{id}/annuleren", tag = "appointments", params(("id" = i64, Path)),
    responses((status = 200, body = AppointmentRecord), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn cancel(
    State(state): State<AppState>,
    staff: Authorized<Agents>,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<AppointmentRecord>> {
    Ok(axum::Json(cancel_as(&state, id, Actor::Agent { staff_id: staff.id() }).await?))
}

/// Move an appointment (agent, until its start). Everyone gets the new time with new links and
/// an updated invitation; the old links stop working.
#[utoipa::path(post, path = "/api/v1/afspraken/{id}/verplaatsen", tag = "appointments", params(("id" = i64, Path)),
    request_body = NewTime,
    responses((status = 200, body = AppointmentRecord), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn reschedule(
    State(state): State<AppState>,
    staff: Authorized<Agents>,
    Path(id): Path<i64>,
    Json(body): Json<NewTime>,
) -> ApiResult<axum::Json<AppointmentRecord>> {
    Ok(axum::Json(move_as(&state, id, body.start, Actor::Agent { staff_id: staff.id() }).await?.appointment))
}

/// The citizen's manage link, sent in the body (it lives in the page's URL fragment).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ByLink {
    pub token: String,
    /// For a move: the new start.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub start: Option<Timestamp>,
}

async fn by_link(state: &AppState, token: &str) -> ApiResult<AppointmentRecord> {
    // 64 hex characters at most: anything else cannot be a link and is not looked up.
    if token.is_empty() || token.len() > 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(balie_booking::Error::not_found("appointment", "link").into());
    }
    let a = state.store.appointment_by_manage_token(token).await?;
    // Over (its call ended, or its end plus the links' grace passed): the link is dead for good.
    let call_ended = match a.call_id {
        Some(call) => state.store.call(call).await?.ended_at.is_some() && a.status == AppointmentStatus::Booked,
        None => false,
    };
    if call_ended || now() > a.period.end + state.link_window.close_after {
        return Err(crate::error::ApiError::Gone(
            "This appointment is over, so its personal link no longer works. To book a new one, start from the municipality's website.".into(),
        ));
    }
    Ok(a)
}

/// The appointment behind a citizen's manage link.
#[utoipa::path(post, path = "/api/v1/afspraak-link", tag = "appointments", request_body = ByLink,
    responses((status = 200, body = AppointmentRecord), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn view_by_link(State(state): State<AppState>, Json(body): Json<ByLink>) -> ApiResult<Response> {
    let a = by_link(&state, &body.token).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], axum::Json(a)).into_response())
}

/// Cancel through the citizen's manage link (until the service's cancel notice, default 24 h).
#[utoipa::path(post, path = "/api/v1/afspraak-link/annuleren", tag = "appointments", request_body = ByLink,
    responses((status = 200, body = AppointmentRecord), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn cancel_by_link(State(state): State<AppState>, Json(body): Json<ByLink>) -> ApiResult<Response> {
    let a = by_link(&state, &body.token).await?;
    let cancelled = cancel_as(&state, a.id, Actor::Citizen).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], axum::Json(cancelled)).into_response())
}

/// Move through the citizen's manage link (until the cancel notice); answers the new manage link
/// (the old one stops working, as do the old call links).
#[utoipa::path(post, path = "/api/v1/afspraak-link/verplaatsen", tag = "appointments", request_body = ByLink,
    responses((status = 200, body = CitizenBooked), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn reschedule_by_link(State(state): State<AppState>, Json(body): Json<ByLink>) -> ApiResult<Response> {
    let a = by_link(&state, &body.token).await?;
    let start =
        body.start.ok_or_else(|| balie_booking::Error::invalid("start", "is required to move an appointment"))?;
    let moved = move_as(&state, a.id, start, Actor::Citizen).await?;
    let out = CitizenBooked { manage_url: manage_url(&state, &moved.manage_token.0), appointment: moved.appointment };
    Ok(([(header::CACHE_CONTROL, "no-store")], axum::Json(out)).into_response())
}

/// Add a third party (family, caregiver, interpreter, professional) to an appointment: they get
/// an invitation with a call link of their own.
#[utoipa::path(post, path = "/api/v1/afspraken/{id}/derden", tag = "appointments", params(("id" = i64, Path)),
    request_body = balie_booking::appointments::ThirdPartyRequest,
    responses((status = 201, body = balie_booking::appointments::ThirdPartyRecord),
              (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn add_third_party(
    State(state): State<AppState>,
    _staff: Authorized<Agents>,
    Path(id): Path<i64>,
    Json(body): Json<balie_booking::appointments::ThirdPartyRequest>,
) -> ApiResult<Response> {
    Ok((StatusCode::CREATED, axum::Json(add_party(&state, id, &body).await?)).into_response())
}

/// Remove a third party: their link stops working at once (also in a running call).
#[utoipa::path(delete, path = "/api/v1/afspraken/{id}/derden/{party}", tag = "appointments",
    params(("id" = i64, Path), ("party" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn remove_third_party(
    State(state): State<AppState>,
    _staff: Authorized<Agents>,
    Path((id, party)): Path<(i64, i64)>,
) -> ApiResult<StatusCode> {
    remove_party(&state, id, party).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A third party added through the citizen's manage link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyByLink {
    pub token: String,
    pub third_party: balie_booking::appointments::ThirdPartyRequest,
}

/// The citizen adds a third party through their manage link.
#[utoipa::path(post, path = "/api/v1/afspraak-link/derden", tag = "appointments", request_body = PartyByLink,
    responses((status = 201, body = balie_booking::appointments::ThirdPartyRecord),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn add_third_party_by_link(
    State(state): State<AppState>,
    Json(body): Json<PartyByLink>,
) -> ApiResult<Response> {
    let a = by_link(&state, &body.token).await?;
    Ok((StatusCode::CREATED, axum::Json(add_party(&state, a.id, &body.third_party).await?)).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveByLink {
    pub token: String,
    pub third_party: i64,
}

/// The citizen removes a third party through their manage link.
#[utoipa::path(post, path = "/api/v1/afspraak-link/derden/verwijderen", tag = "appointments", request_body = RemoveByLink,
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn remove_third_party_by_link(
    State(state): State<AppState>,
    Json(body): Json<RemoveByLink>,
) -> ApiResult<StatusCode> {
    let a = by_link(&state, &body.token).await?;
    remove_party(&state, a.id, body.third_party).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The meeting-room device's link of a hybrid appointment.
#[derive(Serialize, ToSchema)]
pub struct DeviceLink {
    pub url: String,
}

/// A fresh link for the meeting room's device of a hybrid appointment (the agent opens it on the
/// room's screen; the previous one stops working). Shown once, never cached.
#[utoipa::path(post, path = "/api/v1/afspraken/{id}/zaaltoestel", tag = "appointments", params(("id" = i64, Path)),
    responses((status = 200, body = DeviceLink), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn device_link(
    State(state): State<AppState>,
    _staff: Authorized<Agents>,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let token = state.store.rotate_device_link(id, state.link_window).await?;
    let body = DeviceLink { url: join_url(&state, &token.0) };
    Ok(([(header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response())
}
