//! Appointments with the municipality: video, at the counter, or hybrid. Pure domain: no IO, the
//! clock comes in as `now`; the store and the web layer build on it.
//!
//! # Layout
//! - [`texts`]: [`Language`] and [`Texts`] (Dutch required, English and French fall back to it).
//! - [`services`]: the catalogue reached by guiding questions: [`Topic`] → [`Question`] →
//!   [`ServiceSpec`] (duration, [`Mode`]s, pool of agents, notice, horizon, location).
//! - [`schedule`]: an agent's [`WeeklyHours`] in Brussels civil time, absences and booked
//!   appointments ([`AgentSchedule`]); DST-exact working periods.
//! - [`slots`]: [`free_slots`] across a pool, the one rule [`check_agent_free`] that the store
//!   also applies inside its transaction, and [`pick_agent`].
//! - [`request`]: parsing a [`BookingRequest`] into a sound [`Booking`]; third parties; consent.
//! - [`changes`]: who may reschedule or cancel, until when.
//! - [`reminders`]: when reminders go out (days keep the clock time across DST).
//! - [`record`]: an appointment as stored and shown, and what booking hands out.
//! - [`demo`]: the demo municipality's topics, questions, services and agent hours.

pub mod changes;
pub mod demo;
pub mod record;
pub mod reminders;
pub mod request;
pub mod schedule;
pub mod services;
pub mod slots;
pub mod texts;

pub use changes::{may_change, ChangeRefused, Move};
pub use record::{AppointmentRecord, AppointmentStatus, CitizenRecord, ThirdPartyRecord, Token};
pub use request::{Actor, Booking, BookingRequest, Relation, ThirdParty, ThirdPartyRequest, CONSENT_TEXT};
pub use schedule::{AgentSchedule, Booked, DayHours, TimeRange, WeeklyHours};
pub use services::{Mode, Question, ServiceSpec, Topic};
pub use slots::{check_agent_free, free_slots, pick_agent, AppointmentConflict, Slot};
pub use texts::{Language, Texts};

#[cfg(test)]
mod dst_tests;
#[cfg(test)]
mod request_tests;
#[cfg(test)]
mod slot_properties;
#[cfg(test)]
mod slots_tests;
