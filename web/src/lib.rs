//! balie's web application.
//!
//! # Layout
//! - [`config`]: the one [`Config`](config::Config), from flags and `BALIE_…` variables.
//! - [`app`]: start-up (database, demo data, session keys), the router, serving and shutdown.
//! - [`routes`]: one module per API resource; handlers are thin, the domain decides.
//! - [`auth`]: staff passwords, session tokens and roles.
//! - [`error`]: [`ApiError`](error::ApiError), rendered as RFC 9457 problem+json.
//! - [`extract`]: JSON and query extractors that name the bad field.
//! - [`http`]: security headers, server timing, access log, rate limits.
//! - [`jobs`]: background loops (hold expiry, clean-ups).
//! - [`media`]: the media server's configuration and the ICE servers handed to browsers.
//! - [`assets`]: the embedded front end (the call page).
//! - [`metrics`]: Prometheus metrics at `/metrics`.
//! - [`openapi`]: the generated OpenAPI 3.1 document.

pub mod app;
pub mod assets;
pub mod auth;
pub mod config;
pub mod confirmations;
mod csv;
pub mod error;
pub mod evaluations;
pub mod extract;
pub mod http;
pub mod jobs;
pub mod mailer;
pub mod media;
pub mod metrics;
pub mod openapi;
pub mod panel;
pub mod payments;
pub mod photos;
pub mod routes;
pub mod state;
pub mod surveys;

pub use app::{serve, spawn, Running};
pub use config::Config;
pub use state::AppState;
