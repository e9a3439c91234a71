//! Per-participant numbers from the engine's stats report.

use crate::peer::Peer;
use crate::PeerStats;
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use std::time::Instant;
use webrtc::peer_connection::{RTCStatsReportEntry, StatsSelector};

/// The byte counters at the previous stats call, to turn totals into bitrates.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    at: Instant,
    bytes_in: u64,
    bytes_out: u64,
}

/// Bits per second between two byte totals.
fn bitrate(bytes_now: u64, bytes_then: u64, seconds: f64) -> u64 {
    if seconds <= 0.0 {
        return 0;
    }
    (bytes_now.saturating_sub(bytes_then) as f64 * 8.0 / seconds) as u64
}

pub(crate) async fn collect(peer: &Peer) -> PeerStats {
    let now = Instant::now();
    let report = peer.pc.get_stats(now, StatsSelector::None).await;
    let mut stats = PeerStats { peer: Some(peer.key), ..PeerStats::default() };
    let (mut bytes_in, mut bytes_out) = (0u64, 0u64);
    let (mut uplink_lost, mut downlink_lost) = (0u64, 0u64);
    let mut downlink_fraction: f64 = 0.0;
    let mut rtts = Vec::new();
    let mut pair_rtt = None;
    for entry in report.iter() {
        match entry {
            RTCStatsReportEntry::InboundRtp(inbound) => {
                let received = &inbound.received_rtp_stream_stats;
                stats.packets_in += received.packets_received;
                bytes_in += inbound.bytes_received;
                uplink_lost += received.packets_lost.max(0) as u64;
                // rtc 0.21.1 fills `jitter` straight from the receiver report, i.e. in RTP
                // timestamp units rather than the seconds its docs promise: convert with the
                // clock rate of the only codecs the SFU accepts (Opus 48 kHz, video 90 kHz).
                let clock_rate = match inbound.received_rtp_stream_stats.rtp_stream_stats.kind {
                    RtpCodecKind::Audio => 48_000.0,
                    _ => 90_000.0,
                };
                let jitter_ms = received.jitter / clock_rate * 1000.0;
                stats.jitter_ms = Some(stats.jitter_ms.map_or(jitter_ms, |j: f64| j.max(jitter_ms)));
            }
            RTCStatsReportEntry::OutboundRtp(outbound) => {
                stats.packets_out += outbound.sent_rtp_stream_stats.packets_sent;
                bytes_out += outbound.sent_rtp_stream_stats.bytes_sent;
            }
            RTCStatsReportEntry::RemoteInboundRtp(remote) => {
                downlink_lost += remote.received_rtp_stream_stats.packets_lost.max(0) as u64;
                downlink_fraction = downlink_fraction.max(remote.fraction_lost);
                if remote.round_trip_time_measurements > 0 {
                    rtts.push(remote.round_trip_time * 1000.0);
                }
            }
            RTCStatsReportEntry::IceCandidatePair(pair) if pair.nominated && pair.current_round_trip_time > 0.0 => {
                pair_rtt = Some(pair.current_round_trip_time * 1000.0);
            }
            _ => {}
        }
    }
    stats.packets_lost = uplink_lost + downlink_lost;
    let uplink_fraction = if stats.packets_in + uplink_lost > 0 {
        uplink_lost as f64 / (stats.packets_in + uplink_lost) as f64
    } else {
        0.0
    };
    // The worse direction is what the agent needs to see.
    stats.fraction_lost = uplink_fraction.max(downlink_fraction);
    stats.rtt_ms = if rtts.is_empty() { pair_rtt } else { Some(rtts.iter().sum::<f64>() / rtts.len() as f64) };

    let previous = {
        let mut traffic = peer.traffic.lock().unwrap_or_else(|e| e.into_inner());
        traffic.replace(Sample { at: now, bytes_in, bytes_out })
    };
    let since = previous.unwrap_or(Sample { at: peer.joined, bytes_in: 0, bytes_out: 0 });
    let seconds = now.duration_since(since.at).as_secs_f64();
    stats.bitrate_in_bps = bitrate(bytes_in, since.bytes_in, seconds);
    stats.bitrate_out_bps = bitrate(bytes_out, since.bytes_out, seconds);
    stats
}

#[cfg(test)]
mod tests {
    use super::bitrate;

    #[test]
    fn bitrate_is_bits_per_second_and_never_negative() {
        assert_eq!(bitrate(2000, 1000, 2.0), 4000);
        assert_eq!(bitrate(500, 1000, 1.0), 0, "counters reset: no negative rate");
        assert_eq!(bitrate(500, 0, 0.0), 0);
    }
}
