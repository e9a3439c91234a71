//! The managers' survey dashboard (`/api/v1/dashboard/…`): satisfaction over time and by service,
//! agent (only with at least five answers), channel and call quality; the comments; a CSV export.

use axum::extract::State;
use axum::response::Response;
use balie_booking::store::{AnswerFilter, AnswerRow, CommentFilter};
use balie_booking::surveys::{Breakdown, Channel};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Authorized, Managers};
use crate::csv::{self, Csv};
use crate::error::{ApiResult, Problem};
use crate::extract::Query;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Filters {
    /// First day, `YYYY-MM-DD` (default: 90 days ago).
    #[param(value_type = Option<String>, format = Date)]
    van: Option<Date>,
    /// Last day (default: today).
    #[param(value_type = Option<String>, format = Date)]
    tot: Option<Date>,
    /// Only this service (its name as the dashboard lists it).
    dienst: Option<String>,
    /// Only this agent (staff id).
    medewerker: Option<i64>,
    kanaal: Option<Channel>,
    /// Comments only: text they contain.
    q: Option<String>,
}

impl Filters {
    fn filter(&self) -> ApiResult<AnswerFilter> {
        let mut p = balie_booking::error::Problems::default();
        let (from, to) = crate::routes::period::days(self.van, self.tot, &mut p);
        p.check(self.dienst.as_deref().is_none_or(|d| d.len() <= 200), "dienst", "is too long");
        p.check(self.q.as_deref().is_none_or(|q| q.chars().count() <= 200), "q", "is too long");
        p.into_result()?;
        Ok(AnswerFilter {
            from: Some(from),
            to: Some(to),
            service: self.dienst.clone().filter(|d| !d.is_empty()),
            agent_id: self.medewerker,
            channel: self.kanaal,
        })
    }
}

/// One agent's answers are shown only in groups of at least `MIN_GROUP`: filtering on an agent
/// must not single out a citizen's answer about a colleague through a short period.
fn guard_agent(filter: &AnswerFilter, answered: i64) -> ApiResult<()> {
    if filter.agent_id.is_some() && answered < balie_booking::surveys::MIN_GROUP {
        return Err(crate::error::ApiError::invalid(
            "medewerker",
            "fewer than 5 answers for this staff member in this period: not shown, to protect staff and citizens",
        ));
    }
    Ok(())
}

/// The guard for the views that list answers: counts them first (an index range on
/// (agent_id, day)) when an agent is chosen.
async fn guard_agent_listing(state: &AppState, filter: &AnswerFilter) -> ApiResult<()> {
    if filter.agent_id.is_none() {
        return Ok(());
    }
    guard_agent(filter, state.store.count_answers(filter).await?)
}

#[derive(Serialize, ToSchema)]
pub struct AgentBreakdown {
    pub key: String,
    /// The agent's name.
    pub label: String,
    pub n: i64,
    pub average: f64,
}

#[derive(Serialize, ToSchema)]
pub struct AgentOption {
    pub id: i64,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct DashboardView {
    pub invited: i64,
    pub answered: i64,
    pub response_rate: Option<f64>,
    pub average: Option<f64>,
    pub by_week: Vec<Breakdown>,
    pub by_service: Vec<Breakdown>,
    pub by_agent: Vec<AgentBreakdown>,
    pub by_channel: Vec<Breakdown>,
    pub by_quality: Vec<Breakdown>,
    pub again: Vec<Breakdown>,
    /// For the filters.
    pub services: Vec<String>,
    pub agents: Vec<AgentOption>,
}

/// The satisfaction figures for the filters.
#[utoipa::path(get, path = "/api/v1/dashboard/tevredenheid", tag = "surveys", params(Filters),
    responses((status = 200, body = DashboardView), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn satisfaction(
    State(state): State<AppState>,
    _manager: Authorized<Managers>,
    Query(f): Query<Filters>,
) -> ApiResult<axum::Json<DashboardView>> {
    let filter = f.filter()?;
    let d = state.store.dashboard(&filter).await?;
    // Checked on the figures themselves: no second scan of the agent's answers.
    guard_agent(&filter, d.answered)?;
    let staff = state.store.staff_names().await?;
    let name = |id: &str| id.parse::<i64>().ok().and_then(|id| staff.get(&id).cloned()).unwrap_or_default();
    // The choices for the filters: every service and agent with answers in the period.
    let everything = AnswerFilter { from: filter.from, to: filter.to, ..Default::default() };
    let (_, marginals) = state.store.marginals(&everything).await?;
    let mut services: Vec<String> =
        marginals.iter().filter(|(kind, _, _)| kind == "service").map(|(_, key, _)| key.clone()).collect();
    services.sort();
    let mut agent_ids: Vec<i64> =
        marginals.iter().filter(|(kind, _, _)| kind == "agent").filter_map(|(_, key, _)| key.parse().ok()).collect();
    agent_ids.sort();
    Ok(axum::Json(DashboardView {
        invited: d.invited,
        answered: d.answered,
        response_rate: d.response_rate,
        average: d.average,
        by_week: d.by_week,
        by_service: d.by_service,
        by_agent: d
            .by_agent
            .into_iter()
            .map(|b| AgentBreakdown { label: name(&b.key), key: b.key, n: b.n, average: b.average })
            .collect(),
        by_channel: d.by_channel,
        by_quality: d.by_quality,
        again: d.again,
        services,
        agents: agent_ids
            .into_iter()
            .map(|id| AgentOption { id, name: staff.get(&id).cloned().unwrap_or_default() })
            .collect(),
    }))
}

impl Filters {
    /// `q` as the store's comment filter; `otherwise` when it is absent or blank.
    fn comments<'a>(&'a self, otherwise: CommentFilter<'a>) -> CommentFilter<'a> {
        match self.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            Some(q) => CommentFilter::Containing(q),
            None => otherwise,
        }
    }
}

/// The free-text comments for the filters (and `q`), newest first, at most 200.
#[utoipa::path(get, path = "/api/v1/dashboard/opmerkingen", tag = "surveys", params(Filters),
    responses((status = 200, body = Vec<AnswerRow>), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn comments(
    State(state): State<AppState>,
    _manager: Authorized<Managers>,
    Query(f): Query<Filters>,
) -> ApiResult<axum::Json<Vec<AnswerRow>>> {
    let filter = f.filter()?;
    guard_agent_listing(&state, &filter).await?;
    Ok(axum::Json(state.store.answers(&filter, f.comments(CommentFilter::Present), 200).await?))
}

/// The filtered answers as CSV (UTF-8, comma-separated, a header row), at most 100 000 rows.
#[utoipa::path(get, path = "/api/v1/dashboard/antwoorden.csv", tag = "surveys", params(Filters),
    responses((status = 200, content_type = "text/csv"), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn csv(
    State(state): State<AppState>,
    _manager: Authorized<Managers>,
    Query(f): Query<Filters>,
) -> ApiResult<Response> {
    let filter = f.filter()?;
    guard_agent_listing(&state, &filter).await?;
    let rows = state.store.answers(&filter, f.comments(CommentFilter::Any), 100_000).await?;
    let mut out = Csv::new("day,service,channel,overall,ease,quality,again,comment,rtt_ms,loss_permille");
    for r in &rows {
        out.row(&[
            r.day.to_string(),
            csv::text(&r.service),
            r.channel.clone(),
            r.overall.to_string(),
            csv::number(r.ease),
            csv::number(r.quality),
            r.again.clone().unwrap_or_default(),
            csv::text(r.comment.as_deref().unwrap_or("")),
            csv::number(r.rtt_ms),
            csv::number(r.loss_permille),
        ]);
    }
    Ok(out.into_response("enquete-antwoorden.csv"))
}
