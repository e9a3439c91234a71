//! Room evaluations and defect reports through the running server, on SQLite and PostgreSQL: the
//! day after a confirmed reservation the job invites its customer once (however often it runs);
//! the link is answered once (410 after); a defect comes with a photo whose EXIF (GPS) is gone
//! and which is stored as a JPEG of at most 2000 px; a text file dressed as a JPEG and an oversize
//! photo are refused; staff list and close the report, the reporter gets the "what we did" e-mail
//! and the address is erased; the managers see the numbers per room.

use std::time::Duration;

use balie_tests::{both, local, reservation, weekday_ahead, Resp, TestApp};
use serde_json::{json, Value};

const CUSTOMER: &str = "els.janssens@example.org";

/// A JPEG made with `image`, with an APP1 "Exif\0\0" segment carrying a GPS IFD spliced in by hand.
fn jpeg_with_gps_exif(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 251) as u8, (y % 241) as u8, 90]));
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80).encode_image(&img).unwrap();
    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes());
    // IFD0: GPSInfo (0x8825) → the GPS IFD at offset 26.
    for v in [1u16, 0x8825, 4] {
        tiff.extend_from_slice(&v.to_le_bytes());
    }
    for v in [1u32, 26, 0] {
        tiff.extend_from_slice(&v.to_le_bytes());
    }
    // GPS IFD: GPSLatitudeRef = "N".
    for v in [1u16, 1, 2] {
        tiff.extend_from_slice(&v.to_le_bytes());
    }
    tiff.extend_from_slice(&2u32.to_le_bytes());
    tiff.extend_from_slice(b"N\0\0\0");
    tiff.extend_from_slice(&0u32.to_le_bytes());
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn has_exif(bytes: &[u8]) -> bool {
    bytes.windows(2).any(|w| w == [0xFF, 0xE1]) || bytes.windows(4).any(|w| w == b"Exif")
}

/// A multipart/form-data body built by hand: text fields, then files (name, file name, type, bytes).
async fn upload(app: &TestApp, texts: &[(&str, &str)], files: &[(&str, &str, &str, Vec<u8>)]) -> Resp {
    let boundary = "----balie-test-boundary-7c1f";
    let mut body = Vec::new();
    for (name, value) in texts {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    for (name, file, ty, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\
                 Content-Type: {ty}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let resp = app
        .http
        .post(format!("{}/api/v1/evaluatie/defect", app.base))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .expect("request reaches the server");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.unwrap_or_default();
    Resp { status, headers, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
}

/// Waits (up to 15 s) for an e-mail to `rcpt` containing `marker`, and returns it.
async fn wait_mail(app: &TestApp, rcpt: &str, marker: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(m) = app.mails_to(rcpt).into_iter().find(|m| m.contains(marker)) {
            return m;
        }
        assert!(std::time::Instant::now() < deadline, "no e-mail to {rcpt} with {marker:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The tokens of every `/evaluatie#` link in a queued message.
fn evaluation_tokens(body: &str) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for after in body.split("/evaluatie#").skip(1) {
        let token: String = after.chars().take_while(char::is_ascii_hexdigit).collect();
        if token.len() == 32 {
            out.insert(token);
        }
    }
    out
}

async fn a_confirmed_reservation(app: &TestApp, resource: i64, day: &str, from: &str, to: &str, email: &str) -> i64 {
    let agent = app.login_as("agent").await;
    let mut body = reservation(resource, &local(day, from), &local(day, to));
    body["customer"]["email"] = json!(email);
    let r = agent.post("/api/v1/reservaties", &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    let ok = agent.post(&format!("/api/v1/reservaties/{id}/bevestiging"), &json!({})).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    id
}

async fn texts(app: &TestApp, sql: &str) -> Vec<Option<String>> {
    let pool = sqlx::AnyPool::connect(app.database_url()).await.unwrap();
    let rows = sqlx::query(sql).fetch_all(&pool).await.unwrap();
    pool.close().await;
    rows.iter().map(|r| sqlx::Row::try_get::<Option<String>, _>(r, 0).unwrap()).collect()
}

both!(a_used_room_is_evaluated_once_and_a_defect_is_reported_fixed_and_told, async |app: &TestApp| {
    let room = app.resource_id("raadzaal").await;
    let day = weekday_ahead(3);
    a_confirmed_reservation(app, room, &day, "10:00", "12:00", CUSTOMER).await;
    // A customer without a real address is not mailed.
    a_confirmed_reservation(app, room, &day, "14:00", "16:00", "geen-adres@balie.invalid").await;
    let today = balie_booking::time::local(jiff::Timestamp::now()).date();

    // The job, run on the day after (twice): one invitation.
    let day_after: jiff::civil::Date = day.parse::<jiff::civil::Date>().unwrap().tomorrow().unwrap();
    let job_now = balie_booking::time::instant(day_after, jiff::civil::time(9, 0, 0, 0));
    let before = balie_booking::time::instant(day.parse().unwrap(), jiff::civil::time(9, 0, 0, 0));
    assert_eq!(balie_web::evaluations::invite_due(app.state(), before).await.unwrap(), 0, "not before the day after");
    assert_eq!(balie_web::evaluations::invite_due(app.state(), job_now).await.unwrap(), 1);
    assert_eq!(balie_web::evaluations::invite_due(app.state(), job_now).await.unwrap(), 0, "once per reservation");
    // Queued for the job's clock (the day after), so still waiting in the outbox.
    let pending = app.store().mails(balie_booking::outbox::DeliveryStatus::Pending, 100).await.unwrap();
    let invitations: Vec<_> = pending.iter().filter(|m| m.kind == "room_evaluation").collect();
    assert_eq!(invitations.len(), 1, "one e-mail: {invitations:?}");
    assert_eq!(invitations[0].recipient, CUSTOMER);
    assert_eq!(invitations[0].subject, "Hoe was uw reservatie van Raadzaal?");
    let body = app.store().mail_body(invitations[0].id).await.unwrap().unwrap();
    let tokens = evaluation_tokens(&body);
    assert_eq!(tokens.len(), 1, "one link: {tokens:?}");
    let token = tokens.into_iter().next().unwrap();

    // The link: what it is about.
    let opened = app.post("/api/v1/evaluatie", &json!({"token": token})).await;
    assert_eq!((opened.status, opened.body["status"].as_str()), (200, Some("open")), "{}", opened.body);
    assert_eq!(opened.body["resource_name"], "Raadzaal");
    assert_eq!(opened.body["day"], day);
    app.post("/api/v1/evaluatie", &json!({"token": "0123456789abcdef0123456789abcdef"})).await.problem(404);
    app.post("/api/v1/evaluatie", &json!({"token": token, "extra": 1})).await.problem(400);

    // A defect with a photo carrying EXIF with a GPS position, larger than 2000 px.
    let photo = jpeg_with_gps_exif(2400, 900);
    assert!(has_exif(&photo));
    let description = "De beamer start niet.";
    let r = upload(
        app,
        &[("token", &token), ("description", description)],
        &[("photo", "IMG_0001.jpg", "image/jpeg", photo)],
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let report_id = r.body["report_id"].as_i64().unwrap();

    // A text file renamed .jpg (and sent as image/jpeg) is refused, naming the field.
    let fake = upload(
        app,
        &[("token", &token), ("description", "Lamp")],
        &[("photo", "foto.jpg", "image/jpeg", b"Dit is geen foto maar een tekstbestand.\n".to_vec())],
    )
    .await;
    fake.problem(422);
    assert_eq!(fake.fields(), ["photo[0]"], "{}", fake.body);
    // An oversize photo: 413 with a clear problem.
    let mut big = jpeg_with_gps_exif(16, 16);
    big.resize(5 * 1024 * 1024 + 10, 0);
    let too_big =
        upload(app, &[("token", &token), ("description", "Lamp")], &[("photo", "groot.jpg", "image/jpeg", big)]).await;
    too_big.problem(413);
    assert_eq!(too_big.fields(), ["photo[0]"], "{}", too_big.body);
    assert!(too_big.body["detail"].as_str().unwrap().contains("5 MB"), "{}", too_big.body);
    // No description, four photos, a missing token, JSON instead of multipart.
    let small = || ("photo", "a.jpg", "image/jpeg", jpeg_with_gps_exif(8, 8));
    let bad = upload(app, &[("token", &token), ("description", " ")], &[small()]).await;
    bad.problem(422);
    assert_eq!(bad.fields(), ["description"]);
    let four = upload(app, &[("token", &token), ("description", "x")], &[small(), small(), small(), small()]).await;
    four.problem(422);
    assert_eq!(four.fields(), ["photo[3]"]);
    upload(app, &[("description", "x")], &[]).await.problem(404);
    app.post("/api/v1/evaluatie/defect", &json!({"token": token, "description": "x"})).await.problem(415);

    // Staff: resource admins list the open reports and see the photo, re-encoded and without EXIF.
    app.login_as("agent").await.get("/api/v1/defecten").await.problem(403);
    app.get("/api/v1/defecten").await.problem(401);
    let admin = app.login_as("resource-admin").await;
    let open = admin.get("/api/v1/defecten?status=open").await;
    assert_eq!(open.status, 200, "{}", open.body);
    let reports = open.body.as_array().unwrap();
    assert_eq!(reports.len(), 1, "the refused uploads made no report: {}", open.body);
    assert_eq!((reports[0]["id"].as_i64(), reports[0]["resource_name"].as_str()), (Some(report_id), Some("Raadzaal")));
    assert_eq!(reports[0]["description"], description);
    assert!(reports[0].get("reporter_email").is_none(), "staff do not see the address");
    let photo_id = reports[0]["photos"][0].as_i64().unwrap();
    admin.get("/api/v1/defecten?status=maybe").await.problem(400);
    let got = app
        .http
        .get(format!("{}/api/v1/defecten/{report_id}/fotos/{photo_id}", app.base))
        .header("cookie", &admin.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "image/jpeg");
    assert_eq!(got.headers()["x-content-type-options"], "nosniff");
    assert_eq!(got.headers()["content-disposition"], "inline");
    let stored = got.bytes().await.unwrap().to_vec();
    assert!(stored.starts_with(&[0xFF, 0xD8, 0xFF]), "a JPEG");
    assert!(!has_exif(&stored), "no APP1 segment, no Exif bytes");
    let decoded = image::load_from_memory_with_format(&stored, image::ImageFormat::Jpeg).expect("a valid JPEG");
    assert_eq!((decoded.width(), decoded.height()), (2000, 750), "downsized to 2000 px on the long side");
    admin.get(&format!("/api/v1/defecten/{report_id}/fotos/{}", photo_id + 1000)).await.problem(404);

    // The evaluation, answered once.
    let bad = app.post("/api/v1/evaluatie/antwoord", &json!({"token": token, "score": 6})).await;
    bad.problem(422);
    assert_eq!(bad.fields(), ["score"]);
    let answer = json!({"token": token, "score": 4, "comment": "Proper, maar de beamer was stuk."});
    assert_eq!(app.post("/api/v1/evaluatie/antwoord", &answer).await.status, 201);
    app.post("/api/v1/evaluatie/antwoord", &answer).await.problem(410);
    app.post("/api/v1/evaluatie", &json!({"token": token})).await.problem(410);
    upload(app, &[("token", &token), ("description", "Nog iets")], &[]).await.problem(410);

    // Closing: the reporter is told what was done, and the address is erased.
    admin.post(&format!("/api/v1/defecten/{report_id}/afsluiten"), &json!({"resolution": " "})).await.problem(422);
    let resolution = "De lamp van de beamer is vervangen.";
    let closed =
        admin.post(&format!("/api/v1/defecten/{report_id}/afsluiten"), &json!({"resolution": resolution})).await;
    assert_eq!(closed.status, 200, "{}", closed.body);
    assert_eq!(
        (closed.body["status"].as_str(), closed.body["resolution"].as_str()),
        (Some("closed"), Some(resolution))
    );
    admin
        .post(&format!("/api/v1/defecten/{report_id}/afsluiten"), &json!({"resolution": resolution}))
        .await
        .problem(409);
    admin.post("/api/v1/defecten/999999/afsluiten", &json!({"resolution": resolution})).await.problem(404);
    let told = wait_mail(app, CUSTOMER, "Uw melding over Raadzaal").await;
    assert!(told.contains(resolution) && told.contains(description), "{told}");
    assert_eq!(
        texts(app, "SELECT reporter_email FROM defect_reports").await,
        [None],
        "the reporter's address is erased"
    );
    assert!(texts(app, "SELECT email FROM room_evaluations").await.iter().all(Option::is_none));
    let comments = texts(app, "SELECT comment FROM room_evaluation_answers").await;
    assert_eq!(comments, [Some("Proper, maar de beamer was stuk.".to_string())]);
    assert_eq!(admin.get("/api/v1/defecten").await.body.as_array().unwrap().len(), 0);
    assert_eq!(admin.get("/api/v1/defecten?status=closed").await.body.as_array().unwrap().len(), 1);

    // The managers' numbers per room.
    admin.get("/api/v1/dashboard/zalen").await.problem(403);
    let manager = app.login_as("manager").await;
    let d = manager.get(&format!("/api/v1/dashboard/zalen?van={today}&tot={day}")).await;
    assert_eq!(d.status, 200, "{}", d.body);
    let rooms = d.body["rooms"].as_array().unwrap();
    assert_eq!(rooms.len(), 1, "{}", d.body);
    assert_eq!(rooms[0]["resource_id"], room);
    assert_eq!(rooms[0]["resource_name"], "Raadzaal");
    assert_eq!((rooms[0]["n"].as_i64(), rooms[0]["average"].as_f64()), (Some(1), Some(4.0)));
    assert_eq!((rooms[0]["defects_open"].as_i64(), rooms[0]["defects_closed"].as_i64()), (Some(0), Some(1)));
    manager.get(&format!("/api/v1/dashboard/zalen?van={day}&tot={today}")).await.problem(422);
    manager.get("/api/v1/dashboard/zalen?from=2026-01-01").await.problem(400);

    // The same as CSV: the evaluations and the defect reports of the period.
    let csv = |path: String, cookie: String| async move {
        let r = app.http.get(format!("{}{path}", app.base)).header("cookie", cookie).send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        (status, headers, r.text().await.unwrap())
    };
    let (status, headers, text) =
        csv(format!("/api/v1/dashboard/zalen/evaluaties.csv?van={today}&tot={day}"), manager.cookie.clone()).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(headers["content-disposition"], "attachment; filename=\"zaalevaluaties.csv\"");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(
        text,
        format!("day,room_id,room,score,comment\r\n{day},{room},Raadzaal,4,\"Proper, maar de beamer was stuk.\"\r\n")
    );
    let (status, _, text) =
        csv(format!("/api/v1/dashboard/zalen/defecten.csv?van={today}&tot={day}"), manager.cookie.clone()).await;
    assert_eq!(status, 200, "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "id,reported_at,room_id,room,status,description,resolution,closed_at,photos");
    assert_eq!(lines.len(), 2, "{text}");
    let fields: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(fields.len(), 9, "{text}");
    assert_eq!(
        (fields[0], fields[2], fields[3], fields[4]),
        (&*report_id.to_string(), &*room.to_string(), "Raadzaal", "closed")
    );
    assert_eq!((fields[5], fields[6], fields[8]), (description, resolution, "1"));
    assert!(fields[1].starts_with(&today.to_string()) && fields[7].starts_with(&today.to_string()), "{text}");
    assert!(!text.contains(CUSTOMER), "never the reporter's address");
    // A period without any: the header only; a bad period: 422; not for resource admins.
    let (_, _, empty) =
        csv("/api/v1/dashboard/zalen/defecten.csv?van=2020-01-01&tot=2020-01-31".into(), manager.cookie.clone()).await;
    assert_eq!(empty, "id,reported_at,room_id,room,status,description,resolution,closed_at,photos\r\n");
    manager.get(&format!("/api/v1/dashboard/zalen/evaluaties.csv?van={day}&tot={today}")).await.problem(422);
    admin.get("/api/v1/dashboard/zalen/defecten.csv").await.problem(403);
    app.get("/api/v1/dashboard/zalen/evaluaties.csv").await.problem(401);
});
