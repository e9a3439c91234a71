//! The fictional demo municipality *Lindeveld*: what `cargo run` serves on an empty database.

use jiff::civil::time;

use crate::catalogue::{
    BookingWindow, CustomerType as C, Equipment as E, ExtraService, OpeningSlot, Price, ResourceKind, ResourceSpec,
    ResourceType as T, ServiceUnit,
};

pub const MUNICIPALITY: &str = "Gemeente Lindeveld";

pub fn services() -> Vec<ExtraService> {
    let s = |code: &str, name: &str, description: &str, unit, price_cents, vat_basis_points| ExtraService {
        code: code.into(),
        name: name.into(),
        description: description.into(),
        unit,
        price_cents,
        vat_basis_points,
        retired: false,
    };
    vec![
        s(
            "catering-koffie",
            "Koffie, thee en water",
            "Doorlopend koffie, thee en water",
            ServiceUnit::PerPerson,
            250,
            1200,
        ),
        s(
            "receptie-drank",
            "Receptie met drank",
            "Cava, fruitsap en water, één uur",
            ServiceUnit::PerPerson,
            600,
            2100,
        ),
        s(
            "zaalopstelling",
            "Zaalopstelling",
            "Tafels en stoelen opgesteld volgens uw plan",
            ServiceUnit::PerBooking,
            3500,
            2100,
        ),
        s(
            "schoonmaak",
            "Eindschoonmaak",
            "Wij kuisen na; u hoeft alleen de afval mee te nemen",
            ServiceUnit::PerBooking,
            6000,
            2100,
        ),
        s(
            "geluidstechnicus",
            "Geluidstechnicus",
            "Een technicus bedient licht en geluid",
            ServiceUnit::PerHour,
            4500,
            2100,
        ),
        s(
            "sportmateriaal",
            "Sportmateriaal",
            "Rackets, ballen of shuttles voor wie er geen heeft, klaar op het veld",
            ServiceUnit::PerBooking,
            500,
            600,
        ),
    ]
}

pub fn booking_windows() -> Vec<BookingWindow> {
    [
        (C::RecognisedAssociation, 365),
        (C::Resident, 182),
        (C::OtherAssociation, 182),
        (C::NonResident, 120),
        (C::Company, 90),
    ]
    .into_iter()
    .map(|(customer_type, max_days_ahead)| BookingWindow { customer_type, max_days_ahead })
    .collect()
}

fn hours(weekday_open: (i8, i8), weekend_open: Option<(i8, i8)>) -> Vec<OpeningSlot> {
    let mut out = Vec::new();
    for d in 1..=7 {
        let span = if d <= 5 { Some(weekday_open) } else { weekend_open };
        if let Some((o, c)) = span {
            out.push(OpeningSlot { weekday: d, opens: time(o, 0, 0, 0), closes: time(c, 0, 0, 0) });
        }
    }
    out
}

/// Resident, non-resident, recognised association, other association, company: cents per hour
/// on weekdays; evening +25 %, weekend +50 %. `None` means that customer type may not book.
fn prices(table: [Option<i64>; 5]) -> Vec<Price> {
    C::ALL
        .into_iter()
        .zip(table)
        .filter_map(|(customer_type, rate)| {
            rate.map(|r| Price {
                customer_type,
                hourly_cents: r,
                evening_hourly_cents: r + r / 4,
                weekend_hourly_cents: r + r / 2,
            })
        })
        .collect()
}

struct R {
    code: &'static str,
    name: &'static str,
    kind: ResourceKind,
    t: T,
    capacity: i64,
    wheelchair: bool,
    equipment: &'static [E],
    services: &'static [&'static str],
    address: &'static str,
    buffers: (i64, i64),
    vat: i64,
    prices: [Option<i64>; 5],
    hours: Vec<OpeningSlot>,
    part_of: Option<&'static str>,
    description: &'static str,
}

const GEMEENTEHUIS: &str = "Marktplein 1, 9999 Lindeveld";
const CC: &str = "Cultuurcentrum De Schakel, Kerkstraat 14, 9999 Lindeveld";
const SPORT: &str = "Sportcentrum De Vijver, Vijverlaan 3, 9999 Lindeveld";
const JEUGD: &str = "Jeugdhuis De Sprong, Molenweg 7, 9999 Lindeveld";

/// The demo's illustration of a resource type (web/static/img/zalen/, served under /static/).
fn photo(t: T, name: &str) -> crate::catalogue::Photo {
    let (file, what) = match t {
        T::SportsHall | T::SportsHallPart => ("sporthal", "sporthal met lijnen voor zaalsporten"),
        T::BadmintonCourt | T::TennisCourt | T::PadelCourt => ("terrein", "speelveld met net"),
        T::PartyHall | T::TheatreHall => ("feestzaal", "zaal met podium en tafels"),
        _ => ("vergaderzaal", "zaal met een tafel, stoelen en een scherm"),
    };
    crate::catalogue::Photo {
        url: format!("/static/img/zalen/{file}.svg"),
        alt: format!("{name}: {what} (illustratie)"),
    }
}

/// Resources with the code of the hall they belong to; halls come before their parts.
pub fn resources() -> Vec<(ResourceSpec, Option<&'static str>)> {
    let office = hours((8, 22), None);
    let culture = hours((9, 23), Some((9, 23)));
    let sport = hours((8, 23), Some((8, 22)));
    let std_rooms = [Some(1200), Some(1800), Some(600), Some(900), Some(3000)];
    let list = vec![
        R {
            code: "vergaderzaal-de-linde",
            name: "Vergaderzaal De Linde",
            kind: ResourceKind::Room,
            t: T::MeetingRoom,
            capacity: 12,
            wheelchair: true,
            equipment: &[E::Projector, E::Screen, E::Whiteboard, E::Wifi, E::VideoConferencing, E::AccessibleToilet],
            services: &["catering-koffie", "schoonmaak"],
            address: GEMEENTEHUIS,
            buffers: (0, 15),
            vat: 0,
            prices: std_rooms,
            hours: office.clone(),
            part_of: None,
            description: "Lichte vergaderzaal op het gelijkvloers van het gemeentehuis.",
        },
        R {
            code: "vergaderzaal-de-eik",
            name: "Vergaderzaal De Eik",
            kind: ResourceKind::Room,
            t: T::MeetingRoom,
            capacity: 24,
            wheelchair: false,
            equipment: &[E::Projector, E::Whiteboard, E::Wifi],
            services: &["catering-koffie"],
            address: GEMEENTEHUIS,
            buffers: (0, 15),
            vat: 0,
            prices: std_rooms,
            hours: office.clone(),
            part_of: None,
            description: "Vergaderzaal op de eerste verdieping, alleen met de trap bereikbaar.",
        },
        R {
            code: "raadzaal",
            name: "Raadzaal",
            kind: ResourceKind::Room,
            t: T::MeetingRoom,
            capacity: 60,
            wheelchair: true,
            equipment: &[
                E::Projector,
                E::Screen,
                E::SoundSystem,
                E::VideoConferencing,
                E::Lift,
                E::AccessibleToilet,
                E::Wifi,
            ],
            services: &["catering-koffie", "zaalopstelling"],
            address: GEMEENTEHUIS,
            buffers: (15, 15),
            vat: 0,
            prices: [Some(2500), Some(3500), Some(1200), Some(1800), Some(6000)],
            hours: office.clone(),
            part_of: None,
            description: "De raadzaal van het gemeentehuis, met micro's aan elke plaats.",
        },
        R {
            code: "feestzaal-het-anker",
            name: "Feestzaal Het Anker",
            kind: ResourceKind::Room,
            t: T::PartyHall,
            capacity: 150,
            wheelchair: true,
            equipment: &[E::Kitchen, E::Bar, E::SoundSystem, E::Wifi, E::AccessibleToilet],
            services: &["catering-koffie", "receptie-drank", "zaalopstelling", "schoonmaak"],
            address: "Ankerstraat 2, 9999 Lindeveld",
            buffers: (60, 60),
            vat: 0,
            prices: [Some(4500), Some(6500), Some(2500), Some(3500), Some(9000)],
            hours: hours((10, 23), Some((10, 23))),
            part_of: None,
            description: "Feestzaal met volledig uitgeruste keuken en toog.",
        },
        R {
            code: "theaterzaal-de-schakel",
            name: "Theaterzaal De Schakel",
            kind: ResourceKind::Room,
            t: T::TheatreHall,
            capacity: 280,
            wheelchair: true,
            equipment: &[E::Stage, E::StageLighting, E::SoundSystem, E::Piano, E::Lift, E::AccessibleToilet],
            services: &["geluidstechnicus", "zaalopstelling", "schoonmaak"],
            address: CC,
            buffers: (60, 30),
            vat: 0,
            prices: [Some(6000), Some(9000), Some(3000), Some(4500), Some(15000)],
            hours: culture.clone(),
            part_of: None,
            description: "Theaterzaal met podium, trekkenwand en vleugelpiano.",
        },
        R {
            code: "repetitielokaal-de-noot",
            name: "Repetitielokaal De Noot",
            kind: ResourceKind::Room,
            t: T::RehearsalRoom,
            capacity: 25,
            wheelchair: true,
            equipment: &[E::Piano, E::SoundSystem],
            services: &["schoonmaak"],
            address: CC,
            buffers: (0, 0),
            vat: 0,
            prices: [Some(800), Some(1200), Some(400), Some(600), None],
            hours: culture.clone(),
            part_of: None,
            description: "Geluidsgeïsoleerd lokaal voor koren, bands en muziekles.",
        },
        R {
            code: "polyvalente-zaal-ter-beke",
            name: "Polyvalente zaal Ter Beke",
            kind: ResourceKind::Room,
            t: T::MultipurposeRoom,
            capacity: 80,
            wheelchair: true,
            equipment: &[E::Kitchen, E::Projector, E::Screen, E::SoundSystem, E::AccessibleToilet],
            services: &["catering-koffie", "receptie-drank", "zaalopstelling", "schoonmaak"],
            address: "Beekstraat 40, 9999 Lindeveld",
            buffers: (30, 30),
            vat: 0,
            prices: [Some(2000), Some(3000), Some(1000), Some(1500), Some(4500)],
            hours: culture.clone(),
            part_of: None,
            description: "Zaal voor infoavonden, recepties en workshops in deelgemeente Ter Beke.",
        },
        R {
            code: "leslokaal-academie",
            name: "Leslokaal Academie",
            kind: ResourceKind::Room,
            t: T::Classroom,
            capacity: 30,
            wheelchair: false,
            equipment: &[E::Whiteboard, E::Projector, E::Wifi],
            services: &[],
            address: "Schoolstraat 5, 9999 Lindeveld",
            buffers: (0, 0),
            vat: 0,
            prices: [Some(900), Some(1300), Some(500), Some(700), Some(2000)],
            hours: hours((17, 22), Some((9, 17))),
            part_of: None,
            description: "Klaslokaal van de academie, vrij na de lesuren.",
        },
        R {
            code: "jeugdlokaal-de-sprong",
            name: "Jeugdlokaal De Sprong",
            kind: ResourceKind::Room,
            t: T::YouthRoom,
            capacity: 40,
            wheelchair: false,
            equipment: &[E::Kitchen, E::SoundSystem, E::Wifi],
            services: &["schoonmaak"],
            address: JEUGD,
            buffers: (0, 30),
            vat: 0,
            prices: [Some(700), None, Some(0), Some(500), None],
            hours: hours((14, 23), Some((10, 23))),
            part_of: None,
            description: "Lokaal voor jeugdwerkingen en fuiven van jongeren uit Lindeveld.",
        },
        R {
            code: "ontmoetingsruimte-t-kapelleke",
            name: "Ontmoetingsruimte 't Kapelleke",
            kind: ResourceKind::Room,
            t: T::MultipurposeRoom,
            capacity: 35,
            wheelchair: true,
            equipment: &[E::Kitchen, E::Wifi, E::AccessibleToilet],
            services: &["catering-koffie", "schoonmaak"],
            address: "Kapelweg 1, 9999 Lindeveld",
            buffers: (0, 30),
            vat: 0,
            prices: std_rooms,
            hours: culture.clone(),
            part_of: None,
            description: "Gezellige ontmoetingsruimte in een gerenoveerde kapel.",
        },
        R {
            code: "werkruimte-bibliotheek",
            name: "Werkruimte Bibliotheek",
            kind: ResourceKind::Room,
            t: T::MeetingRoom,
            capacity: 8,
            wheelchair: true,
            equipment: &[E::Whiteboard, E::Wifi, E::Screen, E::Lift],
            services: &[],
            address: "Kerkstraat 10, 9999 Lindeveld",
            buffers: (0, 0),
            vat: 0,
            prices: [Some(500), Some(800), Some(0), Some(400), Some(1500)],
            hours: hours((9, 20), Some((9, 13))),
            part_of: None,
            description: "Stille werkruimte in de bibliotheek voor kleine groepen.",
        },
        R {
            code: "sporthal-de-vijver",
            name: "Sporthal De Vijver (volledige hal)",
            kind: ResourceKind::Court,
            t: T::SportsHall,
            capacity: 300,
            wheelchair: true,
            equipment: &[E::Showers, E::ChangingRooms, E::Scoreboard, E::Nets, E::AccessibleToilet],
            services: &["schoonmaak"],
            address: SPORT,
            buffers: (0, 0),
            vat: 600,
            prices: [Some(3600), Some(5400), Some(1800), Some(2700), Some(7200)],
            hours: sport.clone(),
            part_of: None,
            description: "Sporthal van 44 × 24 m, te splitsen in drie zones met scheidingsnetten.",
        },
        R {
            code: "sporthal-de-vijver-zone-a",
            name: "Sporthal De Vijver — zone A",
            kind: ResourceKind::Court,
            t: T::SportsHallPart,
            capacity: 100,
            wheelchair: true,
            equipment: &[E::Showers, E::ChangingRooms, E::Nets],
            services: &["sportmateriaal"],
            address: SPORT,
            buffers: (0, 0),
            vat: 600,
            prices: [Some(1300), Some(1900), Some(650), Some(950), Some(2600)],
            hours: sport.clone(),
            part_of: Some("sporthal-de-vijver"),
            description: "Een derde van de sporthal, aan de kant van de tribune.",
        },
        R {
            code: "sporthal-de-vijver-zone-b",
            name: "Sporthal De Vijver — zone B",
            kind: ResourceKind::Court,
            t: T::SportsHallPart,
            capacity: 100,
            wheelchair: true,
            equipment: &[E::Showers, E::ChangingRooms, E::Nets],
            services: &["sportmateriaal"],
            address: SPORT,
            buffers: (0, 0),
            vat: 600,
            prices: [Some(1300), Some(1900), Some(650), Some(950), Some(2600)],
            hours: sport.clone(),
            part_of: Some("sporthal-de-vijver"),
            description: "Het middelste derde van de sporthal.",
        },
        R {
            code: "sporthal-de-vijver-zone-c",
            name: "Sporthal De Vijver — zone C",
            kind: ResourceKind::Court,
            t: T::SportsHallPart,
            capacity: 100,
            wheelchair: true,
            equipment: &[E::Showers, E::ChangingRooms, E::Nets],
            services: &["sportmateriaal"],
            address: SPORT,
            buffers: (0, 0),
            vat: 600,
            prices: [Some(1300), Some(1900), Some(650), Some(950), Some(2600)],
            hours: sport.clone(),
            part_of: Some("sporthal-de-vijver"),
            description: "Een derde van de sporthal, aan de kant van de kleedkamers.",
        },
        R {
            code: "badminton-1",
            name: "Badmintonterrein 1",
            kind: ResourceKind::Court,
            t: T::BadmintonCourt,
            capacity: 4,
            wheelchair: true,
            equipment: &[E::Nets, E::Showers, E::ChangingRooms],
            services: &["sportmateriaal"],
            address: SPORT,
            buffers: (0, 0),
            vat: 600,
            prices: [Some(800), Some(1100), Some(500), Some(700), Some(1500)],
            hours: sport.clone(),
            part_of: None,
            description: "Badmintonterrein in de kleine zaal.",
        },
        R {
            code: "badminton-2",
            name: "Badmintonterrein 2",
            kind: ResourceKind::Court,
            t: T::BadmintonCourt,
            capacity: 4,
            wheelchair: true,
            equipment: &[E::Nets, E::Showers, E::ChangingRooms],
            services: &["sportmateriaal"],
            address: SPORT,
            buffers: (0, 0),
            vat: 600,
            prices: [Some(800), Some(1100), Some(500), Some(700), Some(1500)],
            hours: sport.clone(),
            part_of: None,
            description: "Badmintonterrein in de kleine zaal.",
        },
        R {
            code: "tennis-1",
            name: "Tennisterrein 1 (gravel)",
            kind: ResourceKind::Court,
            t: T::TennisCourt,
            capacity: 4,
            wheelchair: false,
            equipment: &[E::Nets, E::Floodlights],
            services: &["sportmateriaal"],
            address: "Sportpark Ter Beke, Beekstraat 60, 9999 Lindeveld",
            buffers: (0, 0),
            vat: 600,
            prices: [Some(1000), Some(1400), Some(600), Some(800), Some(2000)],
            hours: hours((8, 22), Some((8, 22))),
            part_of: None,
            description: "Buitenterrein met verlichting.",
        },
        R {
            code: "tennis-2",
            name: "Tennisterrein 2 (hardcourt)",
            kind: ResourceKind::Court,
            t: T::TennisCourt,
            capacity: 4,
            wheelchair: true,
            equipment: &[E::Nets, E::Floodlights],
            services: &["sportmateriaal"],
            address: "Sportpark Ter Beke, Beekstraat 60, 9999 Lindeveld",
            buffers: (0, 0),
            vat: 600,
            prices: [Some(1000), Some(1400), Some(600), Some(800), Some(2000)],
            hours: hours((8, 22), Some((8, 22))),
            part_of: None,
            description: "Buitenterrein, ook geschikt voor rolstoeltennis.",
        },
        R {
            code: "padel-1",
            name: "Padelterrein",
            kind: ResourceKind::Court,
            t: T::PadelCourt,
            capacity: 4,
            wheelchair: false,
            equipment: &[E::Floodlights],
            services: &["sportmateriaal"],
            address: "Sportpark Ter Beke, Beekstraat 60, 9999 Lindeveld",
            buffers: (0, 0),
            vat: 600,
            prices: [Some(1600), Some(2000), Some(1000), Some(1200), Some(2400)],
            hours: hours((8, 22), Some((8, 22))),
            part_of: None,
            description: "Overdekt padelterrein.",
        },
    ];
    list.into_iter()
        .map(|r| {
            let spec = ResourceSpec {
                code: r.code.into(),
                name: r.name.into(),
                kind: r.kind,
                resource_type: r.t,
                description: r.description.into(),
                address: r.address.into(),
                capacity: r.capacity,
                wheelchair_accessible: r.wheelchair,
                equipment: r.equipment.to_vec(),
                services: r.services.iter().map(|s| s.to_string()).collect(),
                part_of: None,
                opening_hours: r.hours,
                buffer_before_minutes: r.buffers.0,
                buffer_after_minutes: r.buffers.1,
                vat_basis_points: r.vat,
                prices: prices(r.prices),
                practical_info: format!(
                    "Adres: {}. Haal de sleutel niet op: de deur opent met de toegangscode uit uw bevestiging. \
                     Laat de ruimte achter zoals u ze aantrof en sluit ramen en deuren.",
                    r.address
                ),
                photos: vec![photo(r.t, r.name)],
            };
            (spec, r.part_of)
        })
        .collect()
}
