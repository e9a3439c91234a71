//! Survey invitations and answers on both backends: a link is used once, an answer keeps no
//! trace of the person, the e-mail invitation is withdrawn when answered first, and the
//! dashboard's grouped scan and response rate add up.

mod common;

use balie_booking::calls::{CallRequest, NewParticipant, ParticipantRole};
use balie_booking::outbox::{DeliveryStatus, NewMail};
use balie_booking::store::{AnswerFilter, CommentFilter, NewInvitation, SurveyContext};
use balie_booking::surveys::{Again, Answer, Channel, Dashboard};
use balie_booking::{Error, Store};
use common::*;
use jiff::civil::date;

on_both_backends! {
    a_survey_link_is_answered_once_without_the_person =>
        sqlite_a_survey_link_is_answered_once_without_the_person,
        postgres_a_survey_link_is_answered_once_without_the_person;
    the_dashboard_adds_up =>
        sqlite_the_dashboard_adds_up, postgres_the_dashboard_adds_up;
    comments_are_searched_in_the_database =>
        sqlite_comments_are_searched_in_the_database, postgres_comments_are_searched_in_the_database;
}

async fn a_call(store: &Store) -> i64 {
    seeded(store).await;
    let agent = store.create_staff("agent@example.org", "An Agent", "x", &["agent"], now()).await.unwrap();
    let request = CallRequest {
        title: "Afval".into(),
        period: span(date(2026, 11, 23), (10, 0), (10, 30)),
        participants: vec![NewParticipant {
            name: "Jan".into(),
            role: ParticipantRole::Citizen,
            email: Some("jan@example.org".into()),
        }],
    };
    let window = balie_booking::calls::LinkWindow::default();
    store.create_call(&request, (agent, "An Agent"), window, now()).await.unwrap().0.id
}

fn invitation(call_id: i64, token: &str, agent: i64, mail: bool) -> NewInvitation {
    NewInvitation {
        token: token.into(),
        call_id,
        email: Some("jan@example.org".into()),
        context: SurveyContext {
            service: "afval-en-milieu".into(),
            agent_id: Some(agent),
            channel: Channel::Video,
            day: date(2026, 11, 23),
            language: "nl".into(),
            rtt_ms: Some(20),
            loss_permille: Some(0),
        },
        expires_at: now() + minutes(14 * 24 * 60),
        mail: mail.then(|| NewMail {
            kind: "survey_invitation".into(),
            recipient: "jan@example.org".into(),
            subject: "Hoe was uw gesprek?".into(),
            body: format!("link {token}"),
            appointment_id: None,
            reservation_id: None,
            not_before: Some(now() + minutes(60)),
        }),
    }
}

async fn a_survey_link_is_answered_once_without_the_person(store: Store) {
    let call = a_call(&store).await;
    let inv = invitation(call, "tok-1-0123456789abcdef", 7, true);
    assert_eq!(store.invite_to_survey(std::slice::from_ref(&inv), now()).await.unwrap(), 1);
    assert_eq!(store.invite_to_survey(&[inv], now()).await.unwrap(), 0, "inviting twice changes nothing");
    assert_eq!(store.mails(DeliveryStatus::Pending, 10).await.unwrap().len(), 1);
    let view = store.survey("tok-1-0123456789abcdef", now()).await.unwrap();
    assert_eq!((view.service.as_str(), view.channel), ("afval-en-milieu", Channel::Video));
    assert!(matches!(store.survey("tok-unknown", now()).await, Err(Error::NotFound { .. })));
    let answer =
        Answer { overall: 4, ease: Some(5), quality: None, again: Some(Again::Yes), comment: Some(" Vlot! ".into()) };
    store.answer_survey("tok-1-0123456789abcdef", &answer, now()).await.unwrap();
    assert!(matches!(store.answer_survey("tok-1-0123456789abcdef", &answer, now()).await, Err(Error::State(_))));
    assert!(matches!(store.survey("tok-1-0123456789abcdef", now()).await, Err(Error::State(_))), "410, not 404");
    assert!(store.mails(DeliveryStatus::Pending, 10).await.unwrap().is_empty(), "the e-mail invitation is withdrawn");
    let rows = store.answers(&AnswerFilter::default(), CommentFilter::Present, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].comment.as_deref(), Some("Vlot!"));
    // A bad answer names its fields; an expired link is closed.
    let bad = Answer { overall: 9, ..answer.clone() };
    let inv2 = invitation(call, "tok-2-0123456789abcdef", 7, false);
    store.invite_to_survey(&[inv2], now()).await.unwrap();
    expect_invalid(store.answer_survey("tok-2-0123456789abcdef", &bad, now()).await, "overall");
    let later = now() + minutes(15 * 24 * 60);
    assert!(matches!(store.answer_survey("tok-2-0123456789abcdef", &answer, later).await, Err(Error::State(_))));
}

async fn the_dashboard_adds_up(store: Store) {
    let call = a_call(&store).await;
    let mut invitations = Vec::new();
    for i in 0..10 {
        let mut inv = invitation(call, &format!("tok-{i:02}-0123456789abcdef"), if i < 6 { 1 } else { 2 }, false);
        inv.context.day = date(2026, 11, 16 + (i % 2) * 7);
        if i == 9 {
            inv.context.rtt_ms = Some(900);
        }
        invitations.push(inv);
    }
    store.invite_to_survey(&invitations, now()).await.unwrap();
    for i in 0..8 {
        let a = Answer { overall: 1 + (i % 5), ease: None, quality: None, again: None, comment: None };
        store.answer_survey(&format!("tok-{i:02}-0123456789abcdef"), &a, now()).await.unwrap();
    }
    let all = AnswerFilter::default();
    let d = Dashboard::from_groups(&store.answer_groups(&all).await.unwrap(), store.invited(&all).await.unwrap());
    assert_eq!((d.invited, d.answered), (10, 8));
    assert_eq!(d.response_rate, Some(0.8));
    // Scores 1,2,3,4,5,1,2,3 → 21 / 8.
    assert_eq!(d.average, Some(21.0 / 8.0));
    assert_eq!(d.by_agent.len(), 1, "agent 2 has only 2 answers: hidden");
    assert_eq!(d.by_agent[0].n, 6);
    assert_eq!(d.by_week.len(), 2);
    // The marginals (kept with each answer) give the same unfiltered dashboard as the scan, and
    // so does rebuilding them from the answers.
    assert_eq!(store.dashboard(&all).await.unwrap(), d);
    store.rebuild_survey_marginals().await.unwrap();
    assert_eq!(store.dashboard(&all).await.unwrap(), d);
    let one_agent = AnswerFilter { agent_id: Some(2), ..Default::default() };
    assert_eq!(store.invited(&one_agent).await.unwrap(), 4);
    let week = AnswerFilter { from: Some(date(2026, 11, 20)), to: Some(date(2026, 11, 30)), ..Default::default() };
    let d = Dashboard::from_groups(&store.answer_groups(&week).await.unwrap(), store.invited(&week).await.unwrap());
    assert_eq!((d.invited, d.answered), (5, 4));
    assert_eq!(store.dashboard(&week).await.unwrap(), d);
    let agent_two = AnswerFilter { agent_id: Some(1), ..Default::default() };
    let scanned = Dashboard::from_groups(
        &store.answer_groups(&agent_two).await.unwrap(),
        store.invited(&agent_two).await.unwrap(),
    );
    assert_eq!(store.dashboard(&agent_two).await.unwrap(), scanned);
    assert_eq!(store.count_answers(&agent_two).await.unwrap(), 6);
    assert_eq!(store.count_answers(&AnswerFilter { agent_id: Some(2), ..week.clone() }).await.unwrap(), 1);
    let service = AnswerFilter { service: Some("afval-en-milieu".into()), channel: Some(Channel::Video), ..week };
    assert_eq!(store.count_answers(&service).await.unwrap(), 4);
    let nobody = AnswerFilter { service: Some("paspoorten".into()), ..Default::default() };
    assert_eq!(store.count_answers(&nobody).await.unwrap(), 0);
}

async fn comments_are_searched_in_the_database(store: Store) {
    let call = a_call(&store).await;
    let comments =
        ["Vlot en VRIENDELIJK", "100% tevreden", "geluid_viel weg", "C:\\pad", "vriendelijke balie", "École fermée"];
    let invitations: Vec<_> =
        (0..7).map(|i| invitation(call, &format!("tok-c{i}-0123456789abcdef"), 1, false)).collect();
    store.invite_to_survey(&invitations, now()).await.unwrap();
    for (i, comment) in comments.iter().map(|c| Some(c.to_string())).chain([None]).enumerate() {
        let a = Answer { overall: 4, ease: None, quality: None, again: None, comment };
        store.answer_survey(&format!("tok-c{i}-0123456789abcdef"), &a, now()).await.unwrap();
    }
    let found = |q: &'static str| {
        let store = store.clone();
        async move {
            let rows = store.answers(&AnswerFilter::default(), CommentFilter::Containing(q), 10).await.unwrap();
            let mut found: Vec<String> = rows.into_iter().filter_map(|r| r.comment).collect();
            found.sort();
            found
        }
    };
    assert_eq!(found("vriendelijk").await, ["Vlot en VRIENDELIJK", "vriendelijke balie"], "case-insensitive");
    assert_eq!(found("%").await, ["100% tevreden"], "% matches itself");
    assert_eq!(found("_").await, ["geluid_viel weg"], "_ matches itself");
    assert_eq!(found("\\").await, ["C:\\pad"], "the escape character matches itself");
    assert!(found("paspoort").await.is_empty());
    assert_eq!(found("École").await, ["École fermée"], "letters beyond ASCII, as typed");
    assert_eq!(
        found("école FERMÉE").await,
        ["École fermée"],
        "any case, on both databases (SQLite's LOWER is ASCII-only)"
    );
    assert_eq!(store.answers(&AnswerFilter::default(), CommentFilter::Present, 10).await.unwrap().len(), 6);
    assert_eq!(store.answers(&AnswerFilter::default(), CommentFilter::Any, 10).await.unwrap().len(), 7);
    assert_eq!(store.answers(&AnswerFilter::default(), CommentFilter::Any, 2).await.unwrap().len(), 2, "limit");
}
