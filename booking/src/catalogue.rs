//! The catalogue: rooms and courts (OSLO *Infrastructuur*), their facilities, bookable extra
//! services, opening hours and price tables per customer type. Pure data and validation.

use jiff::civil::{Time, Weekday};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{Problems, Result};
use crate::time::GRANULARITY_MINUTES;

/// Who books, which decides price, booking window and whether a resource may be booked at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomerType {
    Resident,
    NonResident,
    RecognisedAssociation,
    OtherAssociation,
    Company,
}

impl CustomerType {
    pub const ALL: [CustomerType; 5] = [
        CustomerType::Resident,
        CustomerType::NonResident,
        CustomerType::RecognisedAssociation,
        CustomerType::OtherAssociation,
        CustomerType::Company,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerType::Resident => "resident",
            CustomerType::NonResident => "non_resident",
            CustomerType::RecognisedAssociation => "recognised_association",
            CustomerType::OtherAssociation => "other_association",
            CustomerType::Company => "company",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    Room,
    Court,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResourceType {
    MeetingRoom,
    MultipurposeRoom,
    PartyHall,
    TheatreHall,
    YouthRoom,
    RehearsalRoom,
    Classroom,
    SportsHall,
    SportsHallPart,
    BadmintonCourt,
    TennisCourt,
    PadelCourt,
}

/// OSLO: *Faciliteit*.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Equipment {
    Projector,
    Screen,
    Whiteboard,
    VideoConferencing,
    Wifi,
    Kitchen,
    Bar,
    SoundSystem,
    Stage,
    StageLighting,
    Piano,
    Showers,
    ChangingRooms,
    Nets,
    Scoreboard,
    Floodlights,
    Lift,
    AccessibleToilet,
}

/// How an extra service is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceUnit {
    PerBooking,
    PerPerson,
    PerHour,
}

/// A bookable extra such as catering, room set-up or cleaning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExtraService {
    /// Stable code, lowercase letters, digits and dashes (`catering-koffie`).
    pub code: String,
    pub name: String,
    pub description: String,
    pub unit: ServiceUnit,
    /// Price excluding VAT, euro cents.
    pub price_cents: i64,
    /// VAT rate in basis points: 2100 = 21 %.
    pub vat_basis_points: i64,
    #[serde(default)]
    pub retired: bool,
}

/// One opening interval on a weekday, in Brussels civil time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OpeningSlot {
    /// ISO weekday: 1 = Monday … 7 = Sunday.
    pub weekday: i8,
    #[schema(value_type = String, example = "08:00:00")]
    pub opens: Time,
    #[schema(value_type = String, example = "22:00:00")]
    pub closes: Time,
}

impl OpeningSlot {
    pub fn weekday(&self) -> Weekday {
        Weekday::from_monday_one_offset(self.weekday).expect("validated weekday")
    }
}

/// Hourly rent for one customer type, excluding VAT, euro cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Price {
    pub customer_type: CustomerType,
    /// Weekdays before 18:00.
    pub hourly_cents: i64,
    /// Weekdays from 18:00.
    pub evening_hourly_cents: i64,
    /// Saturday and Sunday, all day.
    pub weekend_hourly_cents: i64,
}

/// Everything that describes a resource; what an admin sends to create or update one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ResourceSpec {
    /// Stable, human-readable code (`zaal-de-linde`), unique.
    pub code: String,
    pub name: String,
    pub kind: ResourceKind,
    #[serde(rename = "type")]
    pub resource_type: ResourceType,
    #[serde(default)]
    pub description: String,
    pub address: String,
    /// OSLO: *Capaciteit* — the number of people allowed in.
    pub capacity: i64,
    pub wheelchair_accessible: bool,
    /// OSLO: *Faciliteit*.
    #[serde(default)]
    pub equipment: Vec<Equipment>,
    /// Codes of the extra services that can be booked with it.
    #[serde(default)]
    pub services: Vec<String>,
    /// The hall this resource is a part of: booking the hall blocks its parts and the reverse.
    #[serde(default)]
    pub part_of: Option<i64>,
    pub opening_hours: Vec<OpeningSlot>,
    /// Set-up time blocked before each reservation, minutes (a multiple of 15).
    #[serde(default)]
    pub buffer_before_minutes: i64,
    /// Clean-up time blocked after each reservation, minutes (a multiple of 15).
    #[serde(default)]
    pub buffer_after_minutes: i64,
    /// VAT on the rent in basis points (0 for exempt rent, 600 for sports infrastructure).
    #[serde(default)]
    pub vat_basis_points: i64,
    /// Price per customer type; a customer type without a price may not book this resource.
    pub prices: Vec<Price>,
    /// How to get in, rules of the house: sent with the confirmation.
    #[serde(default)]
    pub practical_info: String,
    /// Pictures shown with the details (a path on this site or an `https://` address).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<Photo>,
}

/// A picture of a resource and its text alternative (read aloud by screen readers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Photo {
    pub url: String,
    pub alt: String,
}

/// A resource as stored. A retired resource keeps its id and history but cannot be booked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Resource {
    pub id: i64,
    #[serde(flatten)]
    pub spec: ResourceSpec,
    /// Parts of this hall, if it is one.
    #[serde(default)]
    pub parts: Vec<i64>,
    pub retired: bool,
}

impl Resource {
    pub fn price_for(&self, customer: CustomerType) -> Option<&Price> {
        self.spec.prices.iter().find(|p| p.customer_type == customer)
    }
}

fn is_code(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_quarter(t: Time) -> bool {
    t.second() == 0 && t.subsec_nanosecond() == 0 && i64::from(t.minute()) % GRANULARITY_MINUTES == 0
}

impl ResourceSpec {
    /// Checks every field; the catalogue-wide rules (unique code, existing hall and services) are
    /// checked by the store against what exists.
    pub fn validate(&self) -> Result<()> {
        let mut p = Problems::default();
        p.check(is_code(&self.code), "code", "use 1–64 lowercase letters, digits or dashes");
        p.check(!self.name.trim().is_empty() && self.name.len() <= 200, "name", "must be 1–200 characters");
        p.check(self.address.len() <= 300, "address", "must be at most 300 characters");
        p.check(self.description.len() <= 4000, "description", "must be at most 4000 characters");
        p.check(self.practical_info.len() <= 4000, "practical_info", "must be at most 4000 characters");
        p.check(self.photos.len() <= 12, "photos", "at most 12 photos");
        for (i, photo) in self.photos.iter().enumerate() {
            let url = &photo.url;
            // Only our own paths or https: a `javascript:` or `data:` address never reaches a page.
            let safe = (url.starts_with('/') && !url.starts_with("//") || url.starts_with("https://"))
                && url.len() <= 500
                && !url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>');
            p.check(safe, &format!("photos[{i}].url"), "must be a path on this site or an https:// address");
            p.check(
                !photo.alt.trim().is_empty() && photo.alt.len() <= 300,
                &format!("photos[{i}].alt"),
                "must describe the picture in 1–300 characters",
            );
        }
        p.check((1..=10_000).contains(&self.capacity), "capacity", "must be between 1 and 10000");
        for (field, v) in
            [("buffer_before_minutes", self.buffer_before_minutes), ("buffer_after_minutes", self.buffer_after_minutes)]
        {
            p.check(
                (0..=crate::availability::MAX_BUFFER_MINUTES).contains(&v) && v % GRANULARITY_MINUTES == 0,
                field,
                "must be a multiple of 15 between 0 and 240",
            );
        }
        p.check((0..=2100).contains(&self.vat_basis_points), "vat_basis_points", "must be between 0 and 2100");
        for (i, s) in self.opening_hours.iter().enumerate() {
            p.check(
                (1..=7).contains(&s.weekday),
                &format!("opening_hours[{i}].weekday"),
                "must be 1 (Monday) to 7 (Sunday)",
            );
            p.check(
                is_quarter(s.opens) && is_quarter(s.closes),
                &format!("opening_hours[{i}]"),
                "opening and closing times must fall on a quarter hour",
            );
            p.check(s.closes > s.opens, &format!("opening_hours[{i}].closes"), "must be after opens");
        }
        for (i, a) in self.opening_hours.iter().enumerate() {
            for b in &self.opening_hours[i + 1..] {
                p.check(
                    a.weekday != b.weekday || a.closes <= b.opens || b.closes <= a.opens,
                    &format!("opening_hours[{i}]"),
                    "overlaps another opening interval on the same weekday",
                );
            }
        }
        for (i, price) in self.prices.iter().enumerate() {
            for (f, v) in [
                ("hourly_cents", price.hourly_cents),
                ("evening_hourly_cents", price.evening_hourly_cents),
                ("weekend_hourly_cents", price.weekend_hourly_cents),
            ] {
                p.check(
                    (0..=1_000_000).contains(&v),
                    &format!("prices[{i}].{f}"),
                    "must be between 0 and 1000000 cents",
                );
            }
            p.check(
                self.prices.iter().filter(|q| q.customer_type == price.customer_type).count() == 1,
                &format!("prices[{i}].customer_type"),
                "appears more than once",
            );
        }
        for (i, code) in self.services.iter().enumerate() {
            p.check(is_code(code), &format!("services[{i}]"), "is not a service code");
        }
        let mut eq = self.equipment.clone();
        eq.sort();
        eq.dedup();
        p.check(eq.len() == self.equipment.len(), "equipment", "lists an item twice");
        p.into_result()
    }
}

impl ExtraService {
    pub fn validate(&self) -> Result<()> {
        let mut p = Problems::default();
        p.check(is_code(&self.code), "code", "use 1–64 lowercase letters, digits or dashes");
        p.check(!self.name.trim().is_empty() && self.name.len() <= 200, "name", "must be 1–200 characters");
        p.check((0..=1_000_000).contains(&self.price_cents), "price_cents", "must be between 0 and 1000000");
        p.check((0..=2100).contains(&self.vat_basis_points), "vat_basis_points", "must be between 0 and 2100");
        p.into_result()
    }
}

/// How far ahead a customer type may book (priority rules: associations first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BookingWindow {
    pub customer_type: CustomerType,
    /// Days ahead of today that the start of a reservation may lie, at most 366.
    pub max_days_ahead: i64,
}

impl BookingWindow {
    pub fn validate(&self) -> Result<()> {
        let mut p = Problems::default();
        p.check((0..=366).contains(&self.max_days_ahead), "max_days_ahead", "must be between 0 and 366");
        p.into_result()
    }
}
