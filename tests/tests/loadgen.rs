//! The load generator against an in-process server, in a loopback-only network namespace: two
//! three-party calls through the real signalling and SFU for a few seconds. Everything sent
//! arrives at both other participants, intact, without signalling errors.

use balie_loadgen::{api::Api, run, server::Server, traffic::Profile};
use balie_tests::{netns, Backend, TestApp, DEMO_STAFF};
use std::time::Duration;

#[test]
fn loadgen_runs_two_three_party_calls_without_loss() {
    netns::loopback_only();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
    runtime.block_on(async {
        let app = TestApp::spawn_with(Backend::Sqlite, |c| {
            c.media_ips = vec![std::net::Ipv4Addr::LOCALHOST.into()];
            c.join_burst = 1000;
        })
        .await;
        // In-process: the CPU figures would include the load generator, so none are taken.
        let server = Server::external(app.base.clone(), None);
        let (email, _, _, password) = DEMO_STAFF.iter().find(|s| s.2 == "agent").expect("demo agent");
        let api = Api::sign_in(&server.base, email, password).await.expect("sign in");
        let opts = run::Options {
            participants: 3,
            steps: vec![2],
            warmup: Duration::from_secs(1),
            measure: Duration::from_secs(3),
            // Lighter than the benchmark's 1.5 Mb/s: a debug build on a busy CI machine.
            profile: Profile { video_kbps: 500, fps: 15, keyframe_every: Duration::from_secs(2), keyframe_factor: 4 },
            settle_timeout: Duration::from_secs(30),
        };
        let mut load = run::Load::default();
        let steps = run::run(&server, &api, &mut load, &opts, None, |_| {}).await;
        load.stop().await;
        let steps = steps.expect("the load runs");
        let step = &steps[0];
        println!("{step:?}");
        assert_eq!((step.calls, step.participants), (2, 6));
        assert_eq!(step.corrupt, 0, "payloads altered on the way");
        assert_eq!(step.signalling_errors, 0, "the server answered with errors");
        assert!(step.loss_percent < 0.5, "loss {:.3} %", step.loss_percent);
        // Each packet reaches the two other participants of its call.
        let ratio = step.forwarded_pps / step.sent_pps;
        assert!((1.9..=2.1).contains(&ratio), "forwarded {ratio:.2}× what was sent, expected 2×");
        assert!(step.sent_percent_of_nominal > 90.0, "sent only {:.1} % of nominal", step.sent_percent_of_nominal);
        app.stop().await;
    });
}
