//! HTTP routes, one module per resource of the API. Paths follow the Flemish OSLO
//! *Zaalreservatie* vocabulary (infrastructuur, reservaties, …); see docs/api.md for the mapping.

pub mod admin;
pub mod agents;
pub mod appointments;
pub mod calls;
pub mod catalogue;
pub mod console;
pub mod dashboard;
pub mod doors;
pub mod evaluations;
pub mod health;
pub mod mail;
pub mod payments;
pub mod period;
pub mod reservations;
pub mod room_exports;
pub mod series;
pub mod session;
pub mod signaling;
pub mod surveys;

use jiff::Timestamp;

/// The clock of the web layer; the domain takes it as a value.
pub fn now() -> Timestamp {
    Timestamp::now()
}
