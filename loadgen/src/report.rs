//! The printed report: a Markdown table, one row per step, that can go into docs/benchmarks.md.

use crate::run::Step;
use crate::traffic::Profile;

pub fn header(steps: &[usize], participants: usize, profile: &Profile) {
    println!(
        "loadgen: steps {steps:?} calls × {participants} participants; video {} kbit/s at {} fps (keyframe every {:?}), audio 50 packets/s",
        profile.video_kbps, profile.fps, profile.keyframe_every
    );
    println!();
    println!(
        "nominal: {:.0} packets/s per publisher; a step counts when loss < 0.5 % and ≥ 98 % of nominal was sent",
        profile.nominal_packets_per_second()
    );
    println!();
    println!("| calls | participants | sent pkt/s (% nominal) | forwarded pkt/s | loss % | latency p50 / p99 / max ms | server CPU % | pkt per server CPU-s | server RSS MiB | loadgen CPU % | errors |");
    println!("|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|");
}

fn opt(value: Option<f64>, decimals: usize) -> String {
    value.map_or("–".into(), |v| format!("{v:.decimals$}"))
}

pub fn row(step: &Step) {
    println!(
        "| {} | {} | {:.0} ({:.1}) | {:.0} | {:.3} | {:.2} / {:.2} / {:.1} | {} | {} | {} | {} | {} |",
        step.calls,
        step.participants,
        step.sent_pps,
        step.sent_percent_of_nominal,
        step.forwarded_pps,
        step.loss_percent,
        step.latency_p50_ms,
        step.latency_p99_ms,
        step.latency_max_ms,
        opt(step.server_cpu_percent, 0),
        opt(step.packets_per_cpu_second, 0),
        opt(step.server_rss_mib, 1),
        opt(step.loadgen_cpu_percent, 0),
        step.signalling_errors + step.corrupt,
    );
}

pub fn footer(steps: &[Step]) {
    let counts = |s: &&Step| s.loss_percent < 0.5 && s.sent_percent_of_nominal >= 98.0;
    let best = steps.iter().filter(counts).map(|s| s.calls).max();
    let fast = steps.iter().filter(counts).filter(|s| s.latency_p99_ms < 5.0).map(|s| s.calls).max();
    println!();
    match best {
        Some(calls) => println!("largest step with < 0.5 % loss at full rate: {calls} calls"),
        None => println!("no step stayed under 0.5 % loss at full rate"),
    }
    match fast {
        Some(calls) => println!("largest such step with latency p99 < 5 ms: {calls} calls"),
        None => println!("no such step kept latency p99 under 5 ms"),
    }
    if steps.iter().any(|s| s.corrupt > 0) {
        println!("WARNING: corrupted payloads arrived");
    }
}
