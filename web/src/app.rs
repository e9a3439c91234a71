//! Start-up, the router, serving and graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use balie_booking::calls::LinkWindow;
use balie_booking::Store;
use balie_media::Sfu;
use balie_signaling::Hub;
use jiff::SignedDuration;
use rand::RngCore;
use tokio::sync::watch;
use tower_governor::GovernorLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{self, Sessions};
use crate::config::Config;
use crate::error::problem;
use crate::http::{self, Limiter};
use crate::media::{media_config, IceConfig};
use crate::openapi::ApiDoc;
use crate::routes::{
    admin, agents, appointments, calls, catalogue, dashboard, doors, health, mail, payments, reservations, series,
    session, signaling, surveys,
};
use crate::state::AppState;

/// Demo staff accounts: e-mail, name, role, password. Printed at first start and in README.md.
pub const DEMO_STAFF: [(&str, &str, &str, &str); 3] = [
    ("agent@lindeveld.example", "An Peeters", "agent", "demo-agent-balie"),
    ("manager@lindeveld.example", "Bram De Smet", "manager", "demo-manager-balie"),
    ("beheer@lindeveld.example", "Chris Wouters", "resource-admin", "demo-beheer-balie"),
];

async fn seed_demo(store: &Store) -> anyhow::Result<()> {
    let now = crate::routes::now();
    if store.seed_demo_catalogue(now).await? {
        tracing::info!("seeded the demo municipality {}", balie_booking::demo::MUNICIPALITY);
    }
    if store.staff_count().await? == 0 {
        for (email, name, role, password) in DEMO_STAFF {
            let pw = password.to_string();
            let hash = tokio::task::spawn_blocking(move || auth::hash_password(&pw)).await??;
            store.create_staff(email, name, &hash, &[role], now).await?;
            // Deliberately printed: these are the public demo credentials, also in README.md.
            tracing::warn!("demo staff account: {email} / {password} ({role})");
        }
    }
    if store.seed_demo_appointments(now).await? {
        tracing::info!("seeded the demo appointment services and agents' hours");
    }
    Ok(())
}

async fn session_secret(config: &Config, store: &Store) -> anyhow::Result<Vec<u8>> {
    if !config.session_secret.is_empty() {
        anyhow::ensure!(
            config.session_secret.expose().len() >= 32,
            "BALIE_SESSION_SECRET must be at least 32 characters"
        );
        return Ok(config.session_secret.expose().as_bytes().to_vec());
    }
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    let stored = store.setting_or_insert("session_secret", &auth::hex(&key)).await?;
    Ok(stored.into_bytes())
}

/// Creates a staff account (the `add-staff` command); for production, where no demo accounts exist.
pub async fn add_staff(config: &Config, email: &str, name: &str, roles: &str, password: &str) -> anyhow::Result<i64> {
    let roles: Vec<&str> = roles.split(',').map(str::trim).filter(|r| !r.is_empty()).collect();
    anyhow::ensure!(!roles.is_empty(), "give at least one role: agent, manager, resource-admin");
    for r in &roles {
        anyhow::ensure!(auth::Role::parse(r).is_some(), "unknown role {r}: use agent, manager or resource-admin");
    }
    anyhow::ensure!(password.chars().count() >= 12, "the password must be at least 12 characters");
    anyhow::ensure!(email.contains('@') && !name.trim().is_empty(), "give a valid e-mail address and a name");
    let store = Store::connect(&config.database_url, 1).await?;
    let pw = password.to_string();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&pw)).await??;
    let id = store.create_staff(email, name.trim(), &hash, &roles, crate::routes::now()).await?;
    store.close().await;
    Ok(id)
}

/// Connects the database, applies migrations, seeds the demo and prepares session keys.
pub async fn prepare(config: &Config) -> anyhow::Result<AppState> {
    let store = Store::connect(&config.database_url, config.db_connections)
        .await
        .with_context(|| format!("opening database {}", crate::config::redact_url(&config.database_url)))?;
    if config.seed_demo {
        seed_demo(&store).await.context("seeding the demo municipality")?;
    }
    let secret = session_secret(config, &store).await?;
    anyhow::ensure!(
        config.session_idle_minutes > 0 && config.session_absolute_hours > 0,
        "session lifetimes must be positive"
    );
    anyhow::ensure!(config.hold_ttl_seconds > 0, "BALIE_HOLD_TTL_SECONDS must be positive");
    let sessions = Sessions::new(
        &secret,
        SignedDuration::from_mins(config.session_idle_minutes),
        SignedDuration::from_hours(config.session_absolute_hours),
        config.secure_cookies(),
    );
    let decoy_hash: Arc<str> = tokio::task::spawn_blocking(auth::decoy_hash).await?.into();
    anyhow::ensure!(
        config.link_open_before_minutes >= 0 && config.link_close_after_minutes >= 0,
        "link windows cannot be negative"
    );
    anyhow::ensure!(config.reconnect_grace_seconds >= 0, "BALIE_RECONNECT_GRACE_SECONDS cannot be negative");
    anyhow::ensure!(config.max_participants >= 2, "BALIE_MAX_PARTICIPANTS must be at least 2");
    let ice = IceConfig::new(config)?;
    let mailer = crate::mailer::Mailer::from_config(config)?;
    anyhow::ensure!(
        config.reminders_minutes.iter().all(|m| (1..=43_200).contains(m)),
        "BALIE_REMINDERS_MINUTES: each between 1 and 43200 (30 days)"
    );
    tracing::info!(transport = %mailer.describe(), "e-mail");
    let (sfu, media_events) = Sfu::start(media_config(config)?).await.context("starting the media server")?;
    let settings = balie_signaling::Settings {
        max_participants: config.max_participants,
        reconnect_grace: SignedDuration::from_secs(config.reconnect_grace_seconds),
    };
    // The PIN digests' key is its own, generated once and kept in the database: unlike the
    // session secret it must never change, or every issued door PIN would stop working.
    let pin_key = {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        store.setting_or_insert("access_pin_key", &auth::hex(&key)).await?.into_bytes()
    };
    let payments = crate::payments::service::from_config(config, pin_key)?;
    anyhow::ensure!(
        (1..=7 * 24 * 60).contains(&config.survey_mail_after_minutes),
        "BALIE_SURVEY_MAIL_AFTER_MINUTES: between 1 and 10080 (a week)"
    );
    let surveys =
        Arc::new(crate::surveys::Surveys::new(&secret, SignedDuration::from_mins(config.survey_mail_after_minutes)));
    let (hub, mut ended) = Hub::start(sfu.clone(), media_events, settings);
    let state = AppState {
        store,
        sessions: Arc::new(sessions),
        hold_ttl: SignedDuration::from_secs(config.hold_ttl_seconds),
        decoy_hash,
        hub,
        sfu,
        ice: Arc::new(ice),
        link_window: LinkWindow {
            open_before: SignedDuration::from_mins(config.link_open_before_minutes),
            close_after: SignedDuration::from_mins(config.link_close_after_minutes),
        },
        public_url: config.public_url.trim_end_matches('/').into(),
        metrics: Default::default(),
        metrics_token: (!config.metrics_token.is_empty()).then(|| config.metrics_token.expose().into()),
        mailer: Arc::new(mailer),
        reminders: config.reminders_minutes.clone().into(),
        payments,
        surveys,
    };
    let after = state.clone();
    tokio::spawn(async move {
        while let Some(call) = ended.recv().await {
            match after.store.end_call(call, crate::routes::now()).await {
                Ok(()) => tracing::info!(call, "call ended; its links no longer open it"),
                Err(e) => tracing::error!(call, error = %e, "recording the end of a call"),
            }
            if let Err(e) = crate::surveys::call_ended(&after, call).await {
                tracing::error!(call, error = %format!("{e:#}"), "inviting to the survey after a call");
            }
        }
    });
    Ok(state)
}

async fn not_found() -> Response {
    problem(StatusCode::NOT_FOUND, "not-found", "Not found", "There is nothing at this address.".into())
        .into_response_with(None)
}

async fn method_not_allowed() -> Response {
    problem(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        "This address does not accept that method.".into(),
    )
    .into_response_with(None)
}

/// The whole application, and the rate limiters whose state the background jobs trim.
pub fn router(state: AppState, config: &Config) -> (Router, Vec<Limiter>) {
    let api_limiter = http::limiter(Duration::from_secs(1) / config.rate_per_second.max(1) as u32, config.rate_burst);
    let login_limiter =
        http::limiter(Duration::from_secs(60) / config.login_per_minute.max(1) as u32, config.login_per_minute as u32);

    // Joining a call checks a link token, like a sign-in checks a password: limited per address
    // on its own, so a family joining and reconnecting behind one router is not starved by staff
    // sign-ins, while guessing stays slow (not that 160-bit tokens can be guessed).
    let join_limiter = http::limiter(Duration::from_secs(2), config.join_burst);
    let login =
        OpenApiRouter::new().routes(routes!(session::login)).layer(GovernorLayer { config: login_limiter.clone() });
    let (api, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(catalogue::search, catalogue::create))
        .routes(routes!(catalogue::get, catalogue::update, catalogue::retire))
        .routes(routes!(catalogue::availability))
        .routes(routes!(catalogue::calendar))
        .routes(routes!(admin::maintenance, admin::add_maintenance))
        .routes(routes!(admin::remove_maintenance))
        .routes(routes!(admin::services))
        .routes(routes!(admin::put_service))
        .routes(routes!(admin::booking_windows))
        .routes(routes!(admin::put_booking_window))
        .routes(routes!(reservations::quote))
        .routes(routes!(reservations::hold, reservations::list))
        .routes(routes!(reservations::get))
        .routes(routes!(reservations::confirm))
        .routes(routes!(reservations::cancel))
        .routes(routes!(series::book))
        .routes(routes!(series::cancel_from))
        .routes(routes!(calls::create))
        .routes(routes!(calls::get))
        .routes(routes!(calls::invite))
        .routes(routes!(mail::list))
        .routes(routes!(appointments::guide))
        .routes(routes!(appointments::moments))
        .routes(routes!(appointments::book, appointments::agenda))
        .routes(routes!(appointments::book_on_behalf))
        .routes(routes!(appointments::get))
        .routes(routes!(appointments::cancel))
        .routes(routes!(appointments::reschedule))
        .routes(routes!(appointments::view_by_link))
        .routes(routes!(appointments::cancel_by_link))
        .routes(routes!(appointments::reschedule_by_link))
        .routes(routes!(agents::hours, agents::put_hours))
        .routes(routes!(agents::absences, agents::add_absence))
        .routes(routes!(agents::remove_absence))
        .routes(routes!(appointments::device_link))
        .routes(routes!(crate::routes::console::agent_link))
        .routes(routes!(crate::routes::console::resend))
        .routes(routes!(crate::routes::console::notes, crate::routes::console::put_notes))
        .routes(routes!(appointments::add_third_party))
        .routes(routes!(appointments::remove_third_party))
        .routes(routes!(appointments::add_third_party_by_link))
        .routes(routes!(appointments::remove_third_party_by_link))
        .routes(routes!(calls::revoke))
        .routes(routes!(surveys::claim))
        .routes(routes!(surveys::open))
        .routes(routes!(surveys::answer))
        .routes(routes!(surveys::skip))
        .routes(routes!(crate::routes::evaluations::open))
        .routes(routes!(crate::routes::evaluations::answer))
        .merge(crate::routes::evaluations::uploads())
        .routes(routes!(crate::routes::evaluations::defects))
        .routes(routes!(crate::routes::evaluations::photo))
        .routes(routes!(crate::routes::evaluations::close))
        .routes(routes!(crate::routes::evaluations::rooms))
        .routes(routes!(crate::routes::room_exports::evaluations))
        .routes(routes!(crate::routes::room_exports::defects))
        .routes(routes!(dashboard::satisfaction))
        .routes(routes!(dashboard::comments))
        .routes(routes!(dashboard::csv))
        .routes(routes!(payments::webhook))
        .routes(routes!(payments::start, payments::of_reservation))
        .routes(routes!(payments::qr))
        .routes(routes!(payments::status))
        .routes(routes!(payments::simulator_get, payments::simulator_answer))
        .routes(routes!(doors::whoami))
        .routes(routes!(doors::attempt))
        .routes(routes!(doors::list, doors::create))
        .routes(routes!(doors::issue_key))
        .routes(routes!(doors::log))
        .routes(routes!(calls::link_info))
        .routes(routes!(session::me, session::logout))
        .layer(GovernorLayer { config: api_limiter.clone() })
        .merge(login)
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .split_for_parts();
    let openapi_json = openapi.to_pretty_json().expect("OpenAPI document serialises");

    let app = api
        .route(
            "/api/openapi.json",
            get(move || async move { ([(header::CONTENT_TYPE, "application/json")], openapi_json.clone()) }),
        )
        .route("/api/v1/signalisatie", get(signaling::upgrade).layer(GovernorLayer { config: join_limiter.clone() }))
        .route("/metrics", get(crate::metrics::serve))
        .merge(crate::assets::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::renew_session))
        .layer(axum::middleware::from_fn(http::access_log))
        .layer(axum::middleware::from_fn(http::server_timing))
        .layer(axum::middleware::from_fn(http::security_headers))
        .layer(DefaultBodyLimit::max(256 * 1024))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        .with_state(state);
    (app, vec![api_limiter, login_limiter, join_limiter])
}

/// A server running in the background (used by `serve` and by tests on port 0).
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    jobs: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Stops accepting, lets in-flight requests finish, stops the jobs and closes the database.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        self.server.await.context("server task")??;
        for j in self.jobs {
            let _ = j.await;
        }
        self.state.sfu.close().await;
        self.state.store.close().await;
        Ok(())
    }
}

pub async fn spawn(config: Config) -> anyhow::Result<Running> {
    let state = prepare(&config).await?;
    let listener =
        tokio::net::TcpListener::bind(config.listen).await.with_context(|| format!("binding {}", config.listen))?;
    let addr = listener.local_addr()?;
    let (app, limiters) = router(state.clone(), &config);
    let (stop, stopped) = watch::channel(false);
    let mut jobs = crate::jobs::spawn(state.store.clone(), limiters, stopped.clone());
    jobs.push(crate::mailer::spawn(Arc::clone(&state.mailer), state.store.clone(), stopped.clone()));
    jobs.push(crate::jobs::spawn_payments(state.clone(), stopped.clone()));
    jobs.push(crate::jobs::spawn_quality(state.clone(), stopped.clone()));
    jobs.push(crate::jobs::spawn_retention(
        state.store.clone(),
        config.retention_days,
        config.reservation_retention_days,
        stopped.clone(),
    ));
    jobs.push(crate::jobs::spawn_evaluations(state.clone(), stopped.clone()));
    // Lives as long as the hub: it ends when the last call's task is gone.
    crate::panel::spawn(state.clone());
    let mut on_stop = stopped;
    let server = tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = on_stop.changed().await;
            })
            .await
    });
    Ok(Running { addr, state, stop, server, jobs })
}

/// Serves until `shutdown` completes, then shuts down gracefully.
pub async fn serve(config: Config, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let running = spawn(config).await?;
    tracing::info!("balie listens on http://{}", running.addr);
    shutdown.await;
    running.stop().await?;
    tracing::info!("stopped");
    Ok(())
}
