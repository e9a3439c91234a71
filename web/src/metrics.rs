//! Prometheus metrics at `/metrics`: live calls, media peers, and per-participant media quality
//! from the SFU (bitrate, loss, round-trip time, jitter), refreshed every few seconds. One
//! registry per server instance (prometheus-client has no global state), so tests may run many.

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use balie_media::Sfu;
use balie_signaling::Hub;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::error::problem;
use crate::state::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PeerLabels {
    call: i64,
    participant: i64,
}

type FloatFamily = Family<PeerLabels, Gauge<f64, AtomicU64>>;

pub struct Metrics {
    registry: Registry,
    calls_live: Gauge,
    media_peers: Gauge,
    bitrate_in: Family<PeerLabels, Gauge>,
    bitrate_out: Family<PeerLabels, Gauge>,
    packets_lost: Family<PeerLabels, Gauge>,
    fraction_lost: FloatFamily,
    rtt: FloatFamily,
    jitter: FloatFamily,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("balie");
        let m = Metrics {
            calls_live: Gauge::default(),
            media_peers: Gauge::default(),
            bitrate_in: Family::default(),
            bitrate_out: Family::default(),
            packets_lost: Family::default(),
            fraction_lost: Family::default(),
            rtt: Family::default(),
            jitter: Family::default(),
            registry: Registry::default(),
        };
        registry.register("calls_live", "Calls with a live signalling task", m.calls_live.clone());
        registry.register("media_peers", "Peer connections held by the SFU", m.media_peers.clone());
        registry.register("peer_bitrate_in_bps", "Media received from a participant, bits/s", m.bitrate_in.clone());
        registry.register("peer_bitrate_out_bps", "Media sent to a participant, bits/s", m.bitrate_out.clone());
        registry.register("peer_packets_lost", "Packets lost on a participant's streams", m.packets_lost.clone());
        registry.register("peer_fraction_lost", "Fraction of packets lost (last report)", m.fraction_lost.clone());
        registry.register("peer_rtt_milliseconds", "Round-trip time to a participant", m.rtt.clone());
        registry.register("peer_jitter_milliseconds", "Jitter of a participant's streams", m.jitter.clone());
        Metrics { registry, ..m }
    }
}

impl Metrics {
    /// Reads the hub and the SFU; participants who left disappear from the families.
    pub async fn refresh(&self, hub: &Hub, sfu: &Sfu) {
        let calls = hub.live_call_ids();
        self.calls_live.set(calls.len() as i64);
        self.media_peers.set(sfu.peer_count() as i64);
        for family in [&self.bitrate_in, &self.bitrate_out, &self.packets_lost] {
            family.clear();
        }
        for family in [&self.fraction_lost, &self.rtt, &self.jitter] {
            family.clear();
        }
        for call in calls {
            for s in sfu.stats(call).await {
                let Some(peer) = s.peer else { continue };
                let l = PeerLabels { call: peer.call, participant: peer.participant };
                self.bitrate_in.get_or_create(&l).set(s.bitrate_in_bps as i64);
                self.bitrate_out.get_or_create(&l).set(s.bitrate_out_bps as i64);
                self.packets_lost.get_or_create(&l).set(s.packets_lost as i64);
                self.fraction_lost.get_or_create(&l).set(s.fraction_lost);
                if let Some(rtt) = s.rtt_ms {
                    self.rtt.get_or_create(&l).set(rtt);
                }
                if let Some(j) = s.jitter_ms {
                    self.jitter.get_or_create(&l).set(j);
                }
            }
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).expect("writing to a String");
        out
    }
}

/// `GET /metrics`: from this machine (a local scraper or a sidecar), or with
/// `Authorization: Bearer <BALIE_METRICS_TOKEN>`. Call ids and media quality are not for everyone.
pub async fn serve(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let bearer =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let token_ok = match (&state.metrics_token, bearer) {
        (Some(expected), Some(given)) => constant_time_eq(expected.as_bytes(), given.as_bytes()),
        _ => false,
    };
    if !peer.ip().is_loopback() && !token_ok {
        return problem(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Unauthorized",
            "Metrics are served to this machine, or with the metrics bearer token.".into(),
        )
        .into_response_with(None);
    }
    state.metrics.refresh(&state.hub, &state.sfu).await;
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.render())
        .into_response()
}

/// Compares without an early exit, so response timing does not reveal how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
