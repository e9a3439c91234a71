//! `loadgen`: opens N calls of M synthetic participants on a balie server through the real
//! signalling (WebSocket) and SFU, every participant publishing VP8-like video and Opus-like audio
//! and receiving everyone else's, and reports forwarded packets per second, loss, latency and what
//! the server spent (CPU seconds, RSS).
//!
//! ```text
//! loadgen --spawn target/release/balie --server-cpus 0 --loadgen-cpus 1 --netns \
//!         --participants 3 --calls 5,10,20,30,40
//! ```
//! Runs as root with `--netns`: the load generator and the server it starts then live in a
//! private network namespace with only loopback (see the project's TESTING notes).

use anyhow::{bail, Context};
use balie_loadgen::{api, report, run, server, traffic};
use clap::Parser;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(name = "loadgen", about = "Load generator for balie's calls and SFU")]
struct Args {
    /// Start this balie binary (fresh SQLite database, free loopback port) and measure it.
    #[arg(long, conflicts_with = "server")]
    spawn: Option<PathBuf>,
    /// Or load an already running server at this base URL (its links must point there too).
    #[arg(long)]
    server: Option<String>,
    /// The running server's process id, to read its CPU time and memory.
    #[arg(long, requires = "server")]
    server_pid: Option<u32>,
    /// CPUs for the spawned server (taskset list, e.g. "0").
    #[arg(long)]
    server_cpus: Option<String>,
    /// CPUs for the load generator itself (e.g. "1").
    #[arg(long)]
    loadgen_cpus: Option<String>,
    /// Enter a private network namespace with only loopback first (needs root).
    #[arg(long)]
    netns: bool,
    /// Participants per call: the agent, a citizen, then guests.
    #[arg(long, default_value_t = 3)]
    participants: usize,
    /// Steps of total calls, comma-separated, each measured in turn.
    #[arg(long, value_delimiter = ',', default_value = "1,5,10")]
    calls: Vec<usize>,
    /// Stop growing once a step loses more than this share of packets (percent).
    #[arg(long)]
    stop_above_loss: Option<f64>,
    /// Seconds to let every step settle before measuring.
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// Seconds each step is measured.
    #[arg(long, default_value_t = 10)]
    measure: u64,
    /// Video bitrate per publisher, kbit/s.
    #[arg(long, default_value_t = 1500)]
    video_kbps: u64,
    /// Video frame rate.
    #[arg(long, default_value_t = 30)]
    fps: u32,
    /// Seconds between periodic keyframes.
    #[arg(long, default_value_t = 5)]
    keyframe_seconds: u64,
    #[arg(long, default_value = "agent@lindeveld.example")]
    agent_email: String,
    #[arg(long, env = "LOADGEN_AGENT_PASSWORD", default_value = "demo-agent-balie", hide_default_value = true)]
    agent_password: String,
    /// Also write the steps as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.participants < 2 {
        bail!("--participants must be at least 2 (someone has to receive)");
    }
    if args.calls.is_empty() || args.calls.windows(2).any(|w| w[1] < w[0]) {
        bail!("--calls must be a non-empty, non-decreasing list of call counts");
    }
    if args.netns {
        enter_loopback_namespace()?;
    }
    let mut threads = 2;
    if let Some(cpus) = &args.loadgen_cpus {
        threads = pin_to(cpus)?;
    }
    // Built after the namespace and the pinning: its threads inherit both.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build()?;
    runtime.block_on(drive(args))
}

async fn drive(args: Args) -> anyhow::Result<()> {
    let server = match (&args.spawn, &args.server) {
        (Some(binary), None) => server::Server::spawn(binary, args.server_cpus.as_deref(), 100_000).await?,
        (None, Some(base)) => server::Server::external(base.clone(), args.server_pid),
        _ => bail!("give --spawn PATH_TO_BALIE or --server URL"),
    };
    let api = api::Api::sign_in(&server.base, &args.agent_email, &args.agent_password).await?;
    let profile = traffic::Profile {
        video_kbps: args.video_kbps,
        fps: args.fps,
        keyframe_every: Duration::from_secs(args.keyframe_seconds.max(1)),
        keyframe_factor: 4,
    };
    let opts = run::Options {
        participants: args.participants,
        steps: args.calls.clone(),
        warmup: Duration::from_secs(args.warmup),
        measure: Duration::from_secs(args.measure.max(1)),
        profile,
        settle_timeout: Duration::from_secs(60),
    };
    report::header(&args.calls, args.participants, &profile);
    let mut load = run::Load::default();
    let threshold = args.stop_above_loss;
    let result = run::run(&server, &api, &mut load, &opts, threshold, report::row).await;
    load.stop().await;
    let steps = result?;
    report::footer(&steps);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&steps)?)
            .with_context(|| format!("write {}", path.display()))?;
    }
    Ok(())
}

/// A private network namespace whose only interface is loopback, so WebRTC touches nothing else.
fn enter_loopback_namespace() -> anyhow::Result<()> {
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET)
        .context("--netns needs root (unshare(CLONE_NEWNET) failed)")?;
    let status =
        std::process::Command::new("ip").args(["link", "set", "lo", "up"]).status().context("run `ip` (iproute2)")?;
    if !status.success() {
        bail!("`ip link set lo up` failed: {status}");
    }
    Ok(())
}

/// Pins this thread (and so every thread started after it) to a taskset-style CPU list;
/// returns how many CPUs that is.
fn pin_to(list: &str) -> anyhow::Result<usize> {
    let mut set = nix::sched::CpuSet::new();
    let mut count = 0;
    for part in list.split(',') {
        let (first, last) = match part.split_once('-') {
            Some((a, b)) => (a.trim().parse::<usize>()?, b.trim().parse::<usize>()?),
            None => (part.trim().parse::<usize>()?, part.trim().parse::<usize>()?),
        };
        for cpu in first..=last {
            set.set(cpu).with_context(|| format!("CPU {cpu}"))?;
            count += 1;
        }
    }
    nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(0), &set).context("pin the load generator")?;
    Ok(count.max(1))
}
