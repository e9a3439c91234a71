//! Appointments (`/api/v1/afspraken`): the guide (topics → questions → services), free moments,
//! booking by a citizen (public) or by an agent on a citizen's behalf, and the agents' view.
//! Booking writes the appointment, its call and its e-mails in one transaction.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use balie_booking::appointments::record::Booked;
use balie_booking::appointments::{
    Actor, AppointmentRecord, BookingRequest, Language, Mode, Question, Relation, ServiceSpec, Topic,
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

/// The citizen's confirmation and each third party's invitation.
fn confirmation_mails(
    state: &AppState,
    service: &ServiceSpec,
    booked: &Booked,
    now: Timestamp,
) -> balie_booking::Result<Vec<NewMail>> {
    let a = &booked.appointment;
    let citizen = balie_mail::Person::new(a.citizen.name.clone(), a.citizen.email.clone());
    let base = base_mail(state, service, a, citizen, a.citizen.language);
    let mut mails = Vec::new();
    let confirmation = balie_mail::AppointmentMail {
        join_url: booked.citizen_join.as_ref().map(|t| join_url(state, &t.0)),
        manage_url: Some(manage_url(state, &booked.manage_token.0)),
        ..base.clone()
    };
    mails.push(render(state, balie_mail::MessageKind::Confirmation, &confirmation, now, a.id)?);
    for (party, join) in a.third_parties.iter().zip(&booked.third_party_joins) {
        let invitation = balie_mail::AppointmentMail {
            recipient: balie_mail::Person::new(party.name.clone(), party.email.clone()),
            join_url: join.as_ref().map(|t| join_url(state, &t.0)),
            manage_url: None,
            third_party: Some(balie_mail::ThirdParty {
                relation: mail_relation(&party.relation),
                invited_by: a.citizen.name.clone(),
            }),
            ..base.clone()
        };
        mails.push(render(state, balie_mail::MessageKind::ThirdPartyInvitation, &invitation, now, a.id)?);
    }
    Ok(mails)
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

fn join_url(state: &AppState, token: &str) -> String {
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

fn mail_language(language: Language) -> balie_mail::Language {
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
