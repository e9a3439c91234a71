//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "balie API",
        description = "Video counter with embedded room and court booking for Flemish municipalities. \
                       Paths follow the OSLO Zaalreservatie vocabulary; errors are RFC 9457 problem details.",
        license(name = "EUPL-1.2")
    ),
    tags(
        (name = "catalogue", description = "Rooms and courts (OSLO: Infrastructuur), services, availability"),
        (name = "reservations", description = "Quotes, holds, reservations (OSLO: Infrastructuurreservatie) and season series"),
        (name = "staff", description = "Staff sessions"),
        (name = "appointments", description = "Appointments: guide, free moments, booking (citizen or agent), agenda"),
        (name = "mail", description = "The e-mail outbox: waiting, delivered and failed messages"),
        (name = "operations", description = "Health and readiness")
    )
)]
pub struct ApiDoc;
