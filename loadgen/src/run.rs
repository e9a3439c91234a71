//! Steps of load: grow to N calls, wait until every participant receives everyone else, warm
//! up, then measure a window: what was sent, what arrived, what the server spent.

use crate::api::Api;
use crate::server::{self, Server};
use crate::session::{self, Trouble};
use crate::traffic::{self, Profile};
use anyhow::{bail, Context};
use balie_simclient::{Kind, Participant, Settings, Summary};
use serde::Serialize;
use std::net::Ipv4Addr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

pub struct Options {
    pub participants: usize,
    pub steps: Vec<usize>,
    pub warmup: Duration,
    pub measure: Duration,
    pub profile: Profile,
    /// How long a new call may take until all its media flows.
    pub settle_timeout: Duration,
}

/// One measured step.
#[derive(Debug, Serialize)]
pub struct Step {
    pub calls: usize,
    pub participants: usize,
    pub seconds: f64,
    pub sent_pps: f64,
    /// Sent as a share of what the publishers should send: below ~98 % the load generator (or
    /// the machine) could not keep up, and the step measures less load than it claims.
    pub sent_percent_of_nominal: f64,
    pub forwarded_pps: f64,
    pub loss_percent: f64,
    pub corrupt: u64,
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    pub latency_max_ms: f64,
    pub server_cpu_percent: Option<f64>,
    pub packets_per_cpu_second: Option<f64>,
    pub server_rss_mib: Option<f64>,
    pub loadgen_cpu_percent: Option<f64>,
    pub signalling_errors: u64,
}

struct Member {
    participant: Arc<Participant>,
    others: Vec<u32>,
}

pub struct Load {
    members: Vec<Member>,
    stop: watch::Sender<bool>,
    trouble: Arc<Trouble>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Default for Load {
    fn default() -> Load {
        Load { members: Vec::new(), stop: watch::channel(false).0, trouble: Arc::default(), tasks: Vec::new() }
    }
}

impl Load {
    /// Creates one call and starts its participants' sessions and media; returns when all of
    /// them are admitted and have offered.
    async fn add_call(&mut self, server: &Server, api: &Api, number: usize, opts: &Options) -> anyhow::Result<()> {
        let links = api.create_call(number, opts.participants - 1).await?;
        let ws_url = format!("{}/api/v1/signalisatie", server.base.replacen("http", "ws", 1));
        let ids: Vec<u32> = links.iter().map(|l| l.participant_id as u32).collect();
        let mut admitted = Vec::new();
        for link in links {
            let id = link.participant_id as u32;
            let settings = Settings { id, bind: Ipv4Addr::LOCALHOST.into(), keep_packets: false };
            let participant = Participant::new(settings).await.context("client peer connection")?;
            let (tx, rx) = tokio::sync::oneshot::channel();
            admitted.push(rx);
            let session = session::run(
                ws_url.clone(),
                link,
                Arc::clone(&participant),
                self.stop.subscribe(),
                tx,
                Arc::clone(&self.trouble),
            );
            self.tasks.push(tokio::spawn(async move {
                if let Err(err) = session.await {
                    eprintln!("loadgen: a session failed: {err:#}");
                }
            }));
            self.tasks.push(tokio::spawn(traffic::send(Arc::clone(&participant), opts.profile, self.stop.subscribe())));
            self.members.push(Member { participant, others: ids.iter().copied().filter(|o| *o != id).collect() });
        }
        for rx in admitted {
            tokio::time::timeout(opts.settle_timeout, rx)
                .await
                .context("a participant was not admitted in time")?
                .context("a session ended before admission")?;
        }
        Ok(())
    }

    /// Waits until every participant receives audio and video from every other one.
    async fn settle(&self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let waiting = self.members.iter().filter(|m| !flowing(m)).count();
            if waiting == 0 {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("{waiting} of {} participants do not receive everyone within {timeout:?}", self.members.len());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn take_windows(&self) -> Summary {
        let mut summary = Summary::default();
        for member in &self.members {
            summary.add_window(&member.participant.record.lock().unwrap().take_window());
        }
        summary
    }

    fn sent(&self) -> u64 {
        self.members
            .iter()
            .map(|m| {
                u64::from(
                    m.participant.sent_audio.load(Ordering::Relaxed) + m.participant.sent_video.load(Ordering::Relaxed),
                )
            })
            .sum()
    }

    /// Tells every session to leave and every sender to stop, and closes the peer connections.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
        for member in &self.members {
            member.participant.close().await;
        }
    }
}

fn flowing(member: &Member) -> bool {
    let record = member.participant.record.lock().unwrap();
    member.others.iter().all(|o| {
        [Kind::Audio, Kind::Video].iter().all(|k| record.window.streams.get(&(*o, *k)).is_some_and(|s| s.received > 0))
    })
}

/// Runs every step on `load`, calling `report` after each.
pub async fn run(
    server: &Server,
    api: &Api,
    load: &mut Load,
    opts: &Options,
    stop_above_loss: Option<f64>,
    mut report: impl FnMut(&Step),
) -> anyhow::Result<Vec<Step>> {
    let mut steps = Vec::new();
    let mut calls = 0;
    for &target in &opts.steps {
        while calls < target {
            calls += 1;
            load.add_call(server, api, calls, opts).await.with_context(|| format!("call {calls}"))?;
        }
        load.settle(opts.settle_timeout).await?;
        tokio::time::sleep(opts.warmup).await;
        load.take_windows();
        let (sent_before, errors_before) = (load.sent(), load.trouble.errors.load(Ordering::Relaxed));
        let server_before = server.cpu_seconds();
        let self_before = server::cpu_seconds("/proc/self/stat");
        let started = Instant::now();
        tokio::time::sleep(opts.measure).await;
        let seconds = started.elapsed().as_secs_f64();
        let summary = load.take_windows();
        let server_cpu = server.cpu_seconds().zip(server_before).map(|(a, b)| a - b);
        let self_cpu = server::cpu_seconds("/proc/self/stat").zip(self_before).map(|(a, b)| a - b);
        let ms = |q: f64| summary.latency_us.value_at_quantile(q) as f64 / 1000.0;
        let step = Step {
            calls,
            participants: load.members.len(),
            seconds,
            sent_pps: (load.sent() - sent_before) as f64 / seconds,
            sent_percent_of_nominal: (load.sent() - sent_before) as f64
                / seconds
                / (opts.profile.nominal_packets_per_second() * load.members.len() as f64)
                * 100.0,
            forwarded_pps: summary.received as f64 / seconds,
            loss_percent: summary.loss() * 100.0,
            corrupt: summary.corrupt,
            latency_p50_ms: ms(0.50),
            latency_p99_ms: ms(0.99),
            latency_max_ms: summary.latency_us.max() as f64 / 1000.0,
            server_cpu_percent: server_cpu.map(|c| c / seconds * 100.0),
            packets_per_cpu_second: server_cpu.filter(|c| *c > 0.0).map(|c| summary.received as f64 / c),
            server_rss_mib: server.rss_kib().map(|k| k as f64 / 1024.0),
            loadgen_cpu_percent: self_cpu.map(|c| c / seconds * 100.0),
            signalling_errors: load.trouble.errors.load(Ordering::Relaxed) - errors_before,
        };
        report(&step);
        let over = stop_above_loss.is_some_and(|limit| step.loss_percent > limit);
        steps.push(step);
        if over {
            break;
        }
    }
    Ok(steps)
}
