//! The HTTP API end to end: a real server on port 0, on SQLite and on PostgreSQL.

use balie_tests::{both, local, reservation, weekday_ahead, Backend, TestApp};
use serde_json::{json, Value};

both!(health_readiness_and_openapi_are_served, async |app: &TestApp| {
    assert_eq!(app.get("/healthz").await.status, 200);
    assert_eq!(app.get("/readyz").await.status, 200);
    let doc = app.get("/api/openapi.json").await;
    assert_eq!(doc.status, 200);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc.body["openapi"]);
    for path in [
        "/api/v1/infrastructuur",
        "/api/v1/infrastructuur/{id}/beschikbaarheid",
        "/api/v1/reservaties",
        "/api/v1/reeksen",
        "/api/v1/sessie",
    ] {
        assert!(doc.body["paths"][path].is_object(), "OpenAPI lacks {path}");
    }
    assert!(doc.body["components"]["schemas"]["Problem"].is_object());
});

both!(every_response_carries_security_headers, async |app: &TestApp| {
    let r = app.get("/").await;
    assert_eq!(r.status, 200);
    let csp = r.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    let api = app.get("/api/v1/infrastructuur").await;
    assert_eq!(api.header("cache-control"), Some("no-store"));
    assert!(api.header("server-timing").unwrap().starts_with("app;dur="));
});

both!(bad_input_gets_problem_json_naming_the_field, async |app: &TestApp| {
    let agent = app.login_as("agent").await;
    // Malformed JSON.
    let r = app.request("POST", "/api/v1/offertes", None, None).await;
    r.problem(415);
    let r = app
        .http
        .post(format!("{}/api/v1/offertes", app.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // A wrong type deep inside names the path.
    let id = app.resource_id("vergaderzaal-de-linde").await;
    let r = app.post("/api/v1/offertes", &json!({"resource_id": id, "period": {"start": "2027-13-45T10:00:00Z", "end": "2027-01-04T10:00:00Z"}, "customer_type": "resident", "attendees": 2})).await;
    r.problem(400);
    assert_eq!(r.fields(), ["period.start"], "{}", r.body);
    // End before start.
    let day = weekday_ahead(7);
    let r = app.post("/api/v1/offertes", &json!({"resource_id": id, "period": {"start": local(&day, "12:00"), "end": local(&day, "10:00")}, "customer_type": "resident", "attendees": 2})).await;
    r.problem(400);
    assert_eq!(r.fields(), ["period"], "{}", r.body);
    // Several semantic problems at once: all named.
    let mut body = reservation(id, &local(&day, "10:00"), &local(&day, "12:00"));
    body["customer"]["email"] = json!("not-an-address");
    body["customer"]["name"] = json!("");
    let r = agent.post("/api/v1/reservaties", &body).await;
    r.problem(422);
    let fields = r.fields();
    assert!(fields.contains(&"customer.email".into()) && fields.contains(&"customer.name".into()), "{fields:?}");
    // Attendees over capacity, unknown service.
    let r = app.post("/api/v1/offertes", &json!({"resource_id": id, "period": {"start": local(&day, "10:00"), "end": local(&day, "12:00")}, "customer_type": "resident", "attendees": 500, "services": [{"code": "geluidstechnicus"}]})).await;
    r.problem(422);
    assert!(r.fields().contains(&"attendees".into()) && r.fields().contains(&"services[0].code".into()), "{}", r.body);
    // Unknown query parameter and bad enum values.
    let r = app.get("/api/v1/infrastructuur?capacity=10").await;
    r.problem(400);
    assert!(r.body["errors"][0]["reason"].as_str().unwrap().contains("capacity"), "{}", r.body);
    let r = app.get("/api/v1/infrastructuur?equipment=projector,jacuzzi").await;
    r.problem(400);
    assert_eq!(r.fields(), ["equipment"]);
    let r = app.get("/api/v1/infrastructuur?per_page=1000").await;
    r.problem(422);
    assert_eq!(r.fields(), ["per_page"]);
    // Unknown ids and paths.
    app.get("/api/v1/infrastructuur/999999").await.problem(404);
    agent.get("/api/v1/reservaties/999999").await.problem(404);
    app.get("/api/v1/nothing-here").await.problem(404);
    app.request("PATCH", "/api/v1/diensten", None, None).await.problem(405);
});

both!(staff_endpoints_check_session_and_role, async |app: &TestApp| {
    let id = app.resource_id("vergaderzaal-de-linde").await;
    let day = weekday_ahead(7);
    let body = reservation(id, &local(&day, "10:00"), &local(&day, "12:00"));
    app.post("/api/v1/reservaties", &body).await.problem(401);
    let manager = app.login_as("manager").await;
    manager.post("/api/v1/reservaties", &body).await.problem(403);
    let agent = app.login_as("agent").await;
    let spec = app.get(&format!("/api/v1/infrastructuur/{id}")).await.body;
    agent.put(&format!("/api/v1/infrastructuur/{id}"), &spec_of(&spec)).await.problem(403);
    // The role is checked before the body is read: a refused caller learns nothing about it.
    agent.put(&format!("/api/v1/infrastructuur/{id}"), &json!({})).await.problem(403);
    app.post("/api/v1/reservaties", &json!({"nonsense": true})).await.problem(401);
    // A forged or foreign cookie is no session.
    let forged = format!("{}x", agent.cookie);
    app.request("GET", "/api/v1/sessie", Some(&forged), None).await.problem(401);
});

fn spec_of(resource: &Value) -> Value {
    let mut s = resource.clone();
    for k in ["id", "parts", "retired"] {
        s.as_object_mut().unwrap().remove(k);
    }
    s
}

both!(sign_in_sets_a_strict_http_only_cookie_and_logout_revokes_it, async |app: &TestApp| {
    let r =
        app.post("/api/v1/sessie", &json!({"email": "agent@lindeveld.example", "password": "demo-agent-balie"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let cookie = r.header("set-cookie").unwrap().to_string();
    assert!(cookie.starts_with("balie_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"), "{cookie}");
    assert_eq!(r.body["roles"], json!(["agent"]));
    let c = cookie.split(';').next().unwrap();
    let me = app.request("GET", "/api/v1/sessie", Some(c), None).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["name"], "An Peeters");
    let out = app.request("DELETE", "/api/v1/sessie", Some(c), None).await;
    assert_eq!(out.status, 204);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    // The old token is refused even though its signature and expiry are fine.
    app.request("GET", "/api/v1/sessie", Some(c), None).await.problem(401);
});

both!(repeated_wrong_passwords_lock_the_account, async |app: &TestApp| {
    let wrong = json!({"email": "beheer@lindeveld.example", "password": "guess"});
    for _ in 0..5 {
        let r = app.post("/api/v1/sessie", &wrong).await;
        r.problem(401);
    }
    let r = app
        .post("/api/v1/sessie", &json!({"email": "beheer@lindeveld.example", "password": "demo-beheer-balie"}))
        .await;
    r.problem(429);
    assert_eq!(r.body["type"], "/problems/account-locked");
    // An unknown address answers exactly like a wrong password.
    let r = app.post("/api/v1/sessie", &json!({"email": "nobody@lindeveld.example", "password": "x"})).await;
    r.problem(401);
    assert_eq!(r.body["type"], "/problems/bad-credentials");
});

both!(search_filters_sort_and_paginate, async |app: &TestApp| {
    let names = |r: &Value| -> Vec<String> {
        r["items"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap().to_string()).collect()
    };
    let all = app.get("/api/v1/infrastructuur?per_page=100").await;
    assert_eq!(all.status, 200);
    assert!(all.body["total"].as_u64().unwrap() >= 16);
    let big = app.get("/api/v1/infrastructuur?min_capacity=150&sort=capacity_desc").await;
    let caps: Vec<i64> =
        big.body["items"].as_array().unwrap().iter().map(|i| i["capacity"].as_i64().unwrap()).collect();
    assert!(!caps.is_empty() && caps.iter().all(|&c| c >= 150) && caps.windows(2).all(|w| w[0] >= w[1]), "{caps:?}");
    let r =
        app.get("/api/v1/infrastructuur?wheelchair_accessible=true&equipment=kitchen,sound_system&per_page=100").await;
    let found = names(&r.body);
    assert!(
        found.contains(&"feestzaal-het-anker".into()) && !found.contains(&"jeugdlokaal-de-sprong".into()),
        "{found:?}"
    );
    let r = app.get("/api/v1/infrastructuur?type=badminton_court,tennis_court&per_page=100").await;
    assert_eq!(names(&r.body).len(), 4);
    let r = app.get("/api/v1/infrastructuur?services=geluidstechnicus").await;
    assert_eq!(names(&r.body), ["theaterzaal-de-schakel"]);
    // Companies may not book the youth room.
    let r = app.get("/api/v1/infrastructuur?customer_type=company&per_page=100").await;
    assert!(!names(&r.body).contains(&"jeugdlokaal-de-sprong".into()));
    // Pagination.
    let p1 = app.get("/api/v1/infrastructuur?per_page=5&page=1").await;
    let p2 = app.get("/api/v1/infrastructuur?per_page=5&page=2").await;
    assert_eq!(names(&p1.body).len(), 5);
    assert!(names(&p1.body).iter().all(|n| !names(&p2.body).contains(n)));
    // Free in a period: a booked court drops out, its neighbour stays.
    let agent = app.login_as("agent").await;
    let day = weekday_ahead(10);
    let court = app.resource_id("badminton-1").await;
    let r = agent.post("/api/v1/reservaties", &reservation(court, &local(&day, "19:00"), &local(&day, "20:00"))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let q = format!(
        "/api/v1/infrastructuur?type=badminton_court&free_from={}&free_until={}",
        urlenc(&local(&day, "19:30")),
        urlenc(&local(&day, "20:30"))
    );
    assert_eq!(names(&app.get(&q).await.body), ["badminton-2"]);
});

fn urlenc(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

both!(availability_and_calendar_show_bookings_a_year_ahead, async |app: &TestApp| {
    let id = app.resource_id("raadzaal").await;
    let day = weekday_ahead(14);
    let agent = app.login_as("agent").await;
    let r = agent.post("/api/v1/reservaties", &reservation(id, &local(&day, "10:00"), &local(&day, "12:00"))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let from = local(&day, "00:00");
    let a = app
        .get(&format!(
            "/api/v1/infrastructuur/{id}/beschikbaarheid?from={}&until={}",
            urlenc(&from),
            urlenc(&local(&day, "23:59"))
        ))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["busy"][0]["reason"], "hold");
    assert_eq!(a.body["busy"][0]["period"]["start"], local(&day, "10:00"));
    // Raadzaal has 15-minute set-up and clean-up buffers: free time ends 09:30 and resumes 12:30.
    let free: Vec<(String, String)> = a.body["free"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["start"].as_str().unwrap().into(), p["end"].as_str().unwrap().into()))
        .collect();
    assert_eq!(free, [(local(&day, "08:00"), local(&day, "09:30")), (local(&day, "12:30"), local(&day, "22:00"))]);
    // A year ahead is fine, more is refused.
    let year = app
        .get(&format!(
            "/api/v1/infrastructuur/{id}/beschikbaarheid?from={}&until={}",
            urlenc(&from),
            urlenc(&local(&weekday_ahead(14 + 365), "00:00"))
        ))
        .await;
    assert!(year.status == 200, "{}", year.body);
    let too_long = app
        .get(&format!(
            "/api/v1/infrastructuur/{id}/beschikbaarheid?from={}&until={}",
            urlenc(&from),
            urlenc(&local(&weekday_ahead(14 + 400), "00:00"))
        ))
        .await;
    too_long.problem(422);
    assert_eq!(too_long.fields(), ["until"]);
    // Calendar forms.
    let month = &day[..7];
    let cal = app.get(&format!("/api/v1/infrastructuur/{id}/kalender?month={month}")).await;
    assert_eq!(cal.status, 200, "{}", cal.body);
    let cell = cal.body.as_array().unwrap().iter().find(|c| c["date"] == day.as_str()).unwrap();
    assert_eq!(cell["status"], "partial");
    assert_eq!(cell["open_minutes"], 14 * 60);
    let week = app.get(&format!("/api/v1/infrastructuur/{id}/kalender?week=2027-W10")).await;
    assert_eq!(week.body.as_array().unwrap().len(), 7);
    assert_eq!(week.body[5]["status"], "closed", "the raadzaal is closed on Saturdays");
    app.get(&format!("/api/v1/infrastructuur/{id}/kalender?month=2027-13")).await.problem(422);
});

both!(reservation_lifecycle_and_conflicts_over_http, async |app: &TestApp| {
    let agent = app.login_as("agent").await;
    let id = app.resource_id("vergaderzaal-de-eik").await;
    let day = weekday_ahead(20);
    let r = agent.post("/api/v1/reservaties", &reservation(id, &local(&day, "14:00"), &local(&day, "16:00"))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "hold");
    assert!(r.body["hold_expires_at"].is_string());
    assert_eq!(r.header("location"), Some(format!("/api/v1/reservaties/{}", r.body["id"]).as_str()));
    let rid = r.body["id"].as_i64().unwrap();
    // A partial overlap is refused with 409 naming the interval, and nothing is written.
    let before = agent.get(&format!("/api/v1/reservaties?resource_id={id}")).await.body.as_array().unwrap().len();
    let c = agent.post("/api/v1/reservaties", &reservation(id, &local(&day, "15:00"), &local(&day, "17:00"))).await;
    c.problem(409);
    assert_eq!(c.body["clashes"][0]["resource_id"], id);
    assert_eq!(c.body["clashes"][0]["period"]["start"], local(&day, "14:00"));
    assert!(c.body["detail"].as_str().unwrap().contains(&local(&day, "14:00")), "{}", c.body["detail"]);
    let after = agent.get(&format!("/api/v1/reservaties?resource_id={id}")).await.body.as_array().unwrap().len();
    assert_eq!(before, after);
    // Confirm, confirm again, cancel; then the slot is free again.
    let ok = agent.post(&format!("/api/v1/reservaties/{rid}/bevestiging"), &json!({})).await;
    assert_eq!((ok.status, ok.body["status"].as_str()), (200, Some("confirmed")), "{}", ok.body);
    assert_eq!(agent.post(&format!("/api/v1/reservaties/{rid}/bevestiging"), &json!({})).await.status, 200);
    let x = agent.post(&format!("/api/v1/reservaties/{rid}/annulering"), &json!({})).await;
    assert_eq!(x.body["status"], "cancelled");
    agent.post(&format!("/api/v1/reservaties/{rid}/bevestiging"), &json!({})).await.problem(409);
    let again = agent.post("/api/v1/reservaties", &reservation(id, &local(&day, "15:00"), &local(&day, "17:00"))).await;
    assert_eq!(again.status, 201, "{}", again.body);
    // The stored quote travels with the reservation.
    assert_eq!(again.body["quote"]["currency"], "EUR");
    assert_eq!(again.body["quote"]["lines"][0]["quantity"], 120);
    // Outside opening hours and in the past: 422 naming the field.
    agent
        .post("/api/v1/reservaties", &reservation(id, &local(&day, "06:00"), &local(&day, "07:00")))
        .await
        .problem(422);
    let past = agent
        .post("/api/v1/reservaties", &reservation(id, "2020-01-06T10:00:00+01:00", "2020-01-06T11:00:00+01:00"))
        .await;
    past.problem(422);
    assert_eq!(past.fields(), ["period.start"]);
});

both!(booking_the_hall_blocks_its_parts_and_the_reverse, async |app: &TestApp| {
    let agent = app.login_as("agent").await;
    let hall = app.resource_id("sporthal-de-vijver").await;
    let zone_a = app.resource_id("sporthal-de-vijver-zone-a").await;
    let zone_b = app.resource_id("sporthal-de-vijver-zone-b").await;
    let day = weekday_ahead(30);
    assert_eq!(
        agent
            .post("/api/v1/reservaties", &reservation(zone_a, &local(&day, "18:00"), &local(&day, "19:00")))
            .await
            .status,
        201
    );
    assert_eq!(
        agent
            .post("/api/v1/reservaties", &reservation(zone_b, &local(&day, "18:00"), &local(&day, "19:00")))
            .await
            .status,
        201
    );
    let r = agent.post("/api/v1/reservaties", &reservation(hall, &local(&day, "18:30"), &local(&day, "20:00"))).await;
    r.problem(409);
    assert_eq!(r.body["clashes"].as_array().unwrap().len(), 2);
    assert_eq!(
        agent
            .post("/api/v1/reservaties", &reservation(hall, &local(&day, "20:00"), &local(&day, "21:00")))
            .await
            .status,
        201
    );
    agent
        .post("/api/v1/reservaties", &reservation(zone_b, &local(&day, "20:30"), &local(&day, "21:30")))
        .await
        .problem(409);
});

both!(quotes_price_day_evening_weekend_services_and_vat, async |app: &TestApp| {
    let hall = app.resource_id("feestzaal-het-anker").await;
    let day = weekday_ahead(21);
    // 16:00–20:00 on a weekday: 2 h day (45.00) + 2 h evening (56.25) for a resident, rent is
    // VAT-exempt; 60 people coffee at 2.50 with 12 % VAT; cleaning 60.00 with 21 %.
    let q = app
        .post(
            "/api/v1/offertes",
            &json!({
                "resource_id": hall, "period": {"start": local(&day, "16:00"), "end": local(&day, "20:00")},
                "customer_type": "resident", "attendees": 60,
                "services": [{"code": "catering-koffie"}, {"code": "schoonmaak"}]
            }),
        )
        .await;
    assert_eq!(q.status, 200, "{}", q.body);
    let amounts: Vec<(String, i64)> = q.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["code"].as_str().unwrap().into(), l["amount_cents"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        amounts,
        [
            ("day".into(), 9000),
            ("evening".into(), 11250),
            ("catering-koffie".into(), 15000),
            ("schoonmaak".into(), 6000)
        ]
    );
    assert_eq!(q.body["subtotal_cents"], 41250);
    assert_eq!(q.body["vat_cents"], 1800 + 1260);
    assert_eq!(q.body["total_cents"], 41250 + 3060);
    // Weekend rate for a company.
    let mut sat: jiff::civil::Date = day.parse().unwrap();
    while sat.weekday() != jiff::civil::Weekday::Saturday {
        sat = sat.tomorrow().unwrap();
    }
    let q = app.post("/api/v1/offertes", &json!({
        "resource_id": hall, "period": {"start": local(&sat.to_string(), "12:00"), "end": local(&sat.to_string(), "13:30")},
        "customer_type": "company", "attendees": 10
    })).await;
    assert_eq!(q.body["lines"][0]["code"], "weekend");
    assert_eq!(q.body["total_cents"], 13500 * 3 / 2);
});

both!(bookings_across_the_dst_change_keep_local_hours, async |app: &TestApp| {
    // The next last Sunday of March or October after today: Brussels changes offset that night.
    let admin = app.login_as("resource-admin").await;
    let mut d = balie_booking::time::local(jiff::Timestamp::now()).date().tomorrow().unwrap();
    loop {
        let last_sunday = d.weekday() == jiff::civil::Weekday::Sunday
            && d.month() != d.checked_add(jiff::Span::new().days(7)).unwrap().month();
        if last_sunday && (d.month() == 3 || d.month() == 10) {
            break;
        }
        d = d.tomorrow().unwrap();
    }
    let day = d.to_string();
    let court = app.resource_id("tennis-2").await;
    let mut body = reservation(court, &local(&day, "10:00"), &local(&day, "12:00"));
    body["customer"] = json!({"customer_type": "recognised_association", "name": "Jan Claes", "email": "jan@tcl.example", "organisation": "TC Lindeveld"});
    let r = admin.post("/api/v1/reservaties", &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let expected_offset = if d.month() == 3 { "+02:00" } else { "+01:00" };
    assert_eq!(r.body["period"]["start"], format!("{day}T10:00:00{expected_offset}"));
    assert_eq!(r.body["quote"]["lines"][0]["quantity"], 120, "two hours, not one or three");
    // The day is 23 or 25 hours long; opening 08:00–22:00 is 14 hours of local time.
    let cal = app.get(&format!("/api/v1/infrastructuur/{court}/kalender?month={}", &day[..7])).await;
    let cell = cal.body.as_array().unwrap().iter().find(|c| c["date"] == day.as_str()).unwrap().clone();
    assert_eq!(cell["open_minutes"], 14 * 60);
    assert_eq!(cell["free_minutes"], 12 * 60);
});

both!(season_series_books_free_weeks_and_reports_clashes, async |app: &TestApp| {
    let admin = app.login_as("resource-admin").await;
    let agent = app.login_as("agent").await;
    let court = app.resource_id("badminton-2").await;
    let first = weekday_ahead(35);
    let first_date: jiff::civil::Date = first.parse().unwrap();
    let third = first_date.checked_add(jiff::Span::new().days(14)).unwrap().to_string();
    let taken =
        agent.post("/api/v1/reservaties", &reservation(court, &local(&third, "19:30"), &local(&third, "20:30"))).await;
    assert_eq!(taken.status, 201, "{}", taken.body);
    let last = first_date.checked_add(jiff::Span::new().days(7 * 9)).unwrap().to_string();
    let r = admin.post("/api/v1/reeksen", &json!({
        "resource_id": court,
        "customer": {"customer_type": "recognised_association", "name": "Sofie Maes", "email": "sofie@bclindeveld.example", "organisation": "BC Lindeveld"},
        "attendees": 4, "first_date": first, "last_date": last, "starts": "19:00", "ends": "21:00"
    })).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["booked"], 9);
    assert_eq!(r.body["not_booked"], 1);
    let occ = r.body["occurrences"].as_array().unwrap();
    assert_eq!(occ.len(), 10);
    assert_eq!(occ[2]["status"], "conflict");
    assert_eq!(occ[2]["clashes"][0]["period"]["start"], local(&third, "19:30"));
    let series = r.body["series_id"].as_i64().unwrap();
    let sixth = first_date.checked_add(jiff::Span::new().days(35)).unwrap().to_string();
    let x = admin.post(&format!("/api/v1/reeksen/{series}/annulering"), &json!({"from": sixth})).await;
    assert_eq!(x.body["cancelled"], 5, "{}", x.body);
    let left = agent.get(&format!("/api/v1/reservaties?series_id={series}&status=confirmed")).await;
    assert_eq!(left.body.as_array().unwrap().len(), 4);
    // Agents may not book series.
    let by_agent = json!({
        "resource_id": court,
        "customer": {"customer_type": "recognised_association", "name": "Sofie Maes", "email": "sofie@bclindeveld.example", "organisation": "BC Lindeveld"},
        "attendees": 4, "first_date": last, "last_date": last, "starts": "10:00", "ends": "11:00"
    });
    agent.post("/api/v1/reeksen", &by_agent).await.problem(403);
    admin.post("/api/v1/reeksen/424242/annulering", &json!({"from": sixth})).await.problem(404);
});

both!(resource_admins_keep_the_catalogue_current, async |app: &TestApp| {
    let admin = app.login_as("resource-admin").await;
    let linde =
        app.get(&format!("/api/v1/infrastructuur/{}", app.resource_id("vergaderzaal-de-linde").await)).await.body;
    let mut spec = spec_of(&linde);
    spec["code"] = json!("vergaderzaal-de-wilg");
    spec["name"] = json!("Vergaderzaal De Wilg");
    let r = admin.post("/api/v1/infrastructuur", &spec).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    // Same code again: 422 naming the field, not a 500.
    admin.post("/api/v1/infrastructuur", &spec).await.problem(422);
    spec["capacity"] = json!(30);
    spec["equipment"] = json!(["projector", "piano"]);
    let u = admin.put(&format!("/api/v1/infrastructuur/{id}"), &spec).await;
    assert_eq!((u.status, u.body["capacity"].as_i64()), (200, Some(30)), "{}", u.body);
    spec["capacity"] = json!(0);
    spec["opening_hours"][0]["closes"] = json!("07:00:00");
    let bad = admin.put(&format!("/api/v1/infrastructuur/{id}"), &spec).await;
    bad.problem(422);
    assert!(
        bad.fields().contains(&"capacity".into()) && bad.fields().contains(&"opening_hours[0].closes".into()),
        "{}",
        bad.body
    );
    // Maintenance makes time busy.
    let day = weekday_ahead(9);
    let m = admin.post(&format!("/api/v1/infrastructuur/{id}/onderhoud"), &json!({"period": {"start": local(&day, "08:00"), "end": local(&day, "12:00")}, "reason": "Schilderwerken"})).await;
    assert_eq!(m.status, 201, "{}", m.body);
    let agent = app.login_as("agent").await;
    let c = agent.post("/api/v1/reservaties", &reservation(id, &local(&day, "09:00"), &local(&day, "10:00"))).await;
    c.problem(409);
    assert_eq!(c.body["clashes"][0]["reason"], "maintenance");
    let held = agent.post("/api/v1/reservaties", &reservation(id, &local(&day, "13:00"), &local(&day, "14:00"))).await;
    assert_eq!(held.status, 201);
    admin
        .post(
            &format!("/api/v1/infrastructuur/{id}/onderhoud"),
            &json!({"period": {"start": local(&day, "13:00"), "end": local(&day, "15:00")}, "reason": "Lekkage"}),
        )
        .await
        .problem(409);
    // Booking windows: residents 182 days by default; shorten to 30 and a 60-day booking fails.
    let w = admin.put("/api/v1/boekingsvensters/resident", &json!({"max_days_ahead": 30})).await;
    assert_eq!(w.status, 200, "{}", w.body);
    let far = weekday_ahead(60);
    let r = agent.post("/api/v1/reservaties", &reservation(id, &local(&far, "10:00"), &local(&far, "11:00"))).await;
    r.problem(422);
    assert!(r.body["errors"][0]["reason"].as_str().unwrap().contains("30 days"), "{}", r.body);
    admin.put("/api/v1/boekingsvensters/martians", &json!({"max_days_ahead": 30})).await.problem(422);
    // Services.
    let s = admin.put("/api/v1/diensten/bloemen", &json!({"code": "bloemen", "name": "Bloemstuk", "description": "", "unit": "per_booking", "price_cents": 2500, "vat_basis_points": 2100})).await;
    assert_eq!(s.status, 200, "{}", s.body);
    assert!(app.get("/api/v1/diensten").await.body.as_array().unwrap().iter().any(|x| x["code"] == "bloemen"));
    // Retire: no new bookings, history stays.
    let ret = admin.delete(&format!("/api/v1/infrastructuur/{id}")).await;
    assert_eq!(ret.body["retired"], true);
    agent
        .post("/api/v1/reservaties", &reservation(id, &local(&day, "16:00"), &local(&day, "17:00")))
        .await
        .problem(409);
    assert_eq!(agent.get(&format!("/api/v1/reservaties/{}", held.body["id"])).await.status, 200);
    assert!(app.get("/api/v1/infrastructuur?per_page=100&q=wilg").await.body["items"].as_array().unwrap().is_empty());
});

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.rate_per_second = 1;
        c.rate_burst = 5;
        c.login_per_minute = 2;
    })
    .await;
    let statuses: Vec<u16> =
        futures::future::join_all((0..8).map(|_| app.get("/api/v1/diensten"))).await.iter().map(|r| r.status).collect();
    assert!(statuses.iter().filter(|&&s| s == 200).count() <= 6, "{statuses:?}");
    let r = app.get("/api/v1/diensten").await;
    r.problem(429);
    assert!(r.header("retry-after").is_some());
    // Health checks are never rate limited.
    assert_eq!(app.get("/healthz").await.status, 200);
    let wrong = json!({"email": "agent@lindeveld.example", "password": "nope"});
    let mut last = 0;
    for _ in 0..4 {
        last = app.post("/api/v1/sessie", &wrong).await.status;
    }
    assert_eq!(last, 429);
    app.stop().await;
}
