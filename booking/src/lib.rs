//! balie's booking domain and its storage.
//!
//! # Layout
//! Pure domain modules (no IO; the clock comes in as a value):
//! - [`time`]: UTC instants, Brussels civil time, [`time::Period`] and interval arithmetic.
//! - [`catalogue`]: rooms and courts (OSLO *Infrastructuur*), facilities, services, prices.
//! - [`availability`]: free/busy time and the one rule that decides whether a period can be booked.
//! - [`pricing`]: quotes with line items and VAT in integer cents.
//! - [`reservation`]: the reservation lifecycle (hold → confirmed → cancelled / expired).
//! - [`series`]: weekly season series.
//! - [`search`]: catalogue filters and sorting.
//! - [`demo`]: the fictional demo municipality.
//! - [`appointments`]: question-guided appointments: services, agents' hours, free slots, requests.
//! - [`outbox`]: e-mails waiting for delivery and their retry policy.
//! - [`payments`]: payment statuses and their order, structured communications, refund policy.
//! - [`surveys`]: the satisfaction survey's answers and the dashboard's privacy rule.
//! - [`evaluations`]: room and court evaluations after use, defect reports and their photos.
//! - [`access`]: door codes (PIN + QR), what a door decides, and its brute-force lock.
//!
//! IO lives in one place:
//! - [`store`]: sqlx on SQLite or PostgreSQL, including the race-proof reservation insert.
//!
//! [`error::Error`] is the layer's one error type.

pub mod access;
pub mod appointments;
pub mod availability;
pub mod calls;
pub mod catalogue;
pub mod demo;
pub mod error;
pub mod evaluations;
pub mod outbox;
pub mod payments;
pub mod pricing;
pub mod reservation;
pub mod search;
pub mod series;
pub mod store;
pub mod surveys;
pub mod time;

pub use error::{Error, Result};
pub use store::Store;
