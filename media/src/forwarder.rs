//! Per-subscriber forwarding state for one published track: which layer goes out, and how its
//! sequence numbers and timestamps are rewritten so the subscriber sees one continuous stream.
//!
//! Pure: the caller passes packets and the time in, and applies the rewrite itself.

use crate::keyframe::Codec;
use std::time::{Duration, Instant};

/// How often a subscriber waiting for a keyframe asks again, in case a PLI was lost.
const KEYFRAME_RETRY: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rewritten {
    pub seq: u16,
    pub timestamp: u32,
}

/// What to do with one incoming packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Step {
    /// `Some`: send it, renumbered. `None`: drop it (another layer, or no keyframe yet).
    pub out: Option<Rewritten>,
    /// Ask the publisher for a keyframe on this SSRC.
    pub request_keyframe: Option<u32>,
}

#[derive(Debug)]
pub(crate) struct Forwarder {
    codec: Codec,
    clock_rate: u32,
    /// The layer (SSRC) being sent now.
    current: Option<u32>,
    /// The layer the subscriber should get; differs from `current` until a keyframe arrives on it.
    target: Option<u32>,
    seq_offset: u16,
    ts_offset: u32,
    last: Option<(Rewritten, Instant)>,
    last_keyframe_request: Option<Instant>,
}

impl Forwarder {
    pub(crate) fn new(codec: Codec, clock_rate: u32) -> Self {
        Forwarder {
            codec,
            clock_rate,
            current: None,
            target: None,
            seq_offset: 0,
            ts_offset: 0,
            last: None,
            last_keyframe_request: None,
        }
    }

    pub(crate) fn target(&self) -> Option<u32> {
        self.target
    }

    pub(crate) fn current(&self) -> Option<u32> {
        self.current
    }

    /// Chooses the layer to send. The switch happens at the next keyframe on that layer.
    pub(crate) fn set_target(&mut self, ssrc: u32) {
        if self.target != Some(ssrc) {
            self.target = Some(ssrc);
            // Ask at once rather than after the retry interval.
            self.last_keyframe_request = None;
        }
    }

    #[cfg(test)]
    pub(crate) fn waiting_for_keyframe(&self) -> bool {
        self.target.is_some() && self.current != self.target
    }

    pub(crate) fn on_packet(&mut self, ssrc: u32, seq: u16, timestamp: u32, payload: &[u8], now: Instant) -> Step {
        let mut step = Step { out: None, request_keyframe: None };
        let Some(target) = self.target else {
            return step;
        };
        if ssrc == target && self.current != Some(target) {
            if self.codec.starts_keyframe(payload) {
                self.switch_to(target, seq, timestamp, now);
            } else {
                let due = self.last_keyframe_request.is_none_or(|at| now.duration_since(at) >= KEYFRAME_RETRY);
                if due {
                    self.last_keyframe_request = Some(now);
                    step.request_keyframe = Some(target);
                }
            }
        }
        if self.current != Some(ssrc) {
            return step;
        }
        let out =
            Rewritten { seq: seq.wrapping_add(self.seq_offset), timestamp: timestamp.wrapping_add(self.ts_offset) };
        // Only a newer packet moves the reference point; a late or retransmitted one must not
        // pull the next switch's numbering backwards.
        let newer = self.last.is_none_or(|(last, _)| (out.seq.wrapping_sub(last.seq) as i16) > 0);
        if newer {
            self.last = Some((out, now));
        }
        step.out = Some(out);
        step
    }

    /// Continues the outgoing numbering from the last packet sent, so the subscriber's jitter
    /// buffer sees no jump: the new layer's first packet gets the next sequence number and a
    /// timestamp advanced by the wall-clock time since the last packet.
    fn switch_to(&mut self, ssrc: u32, seq: u16, timestamp: u32, now: Instant) {
        if let Some((last, at)) = self.last {
            let elapsed = now.duration_since(at).as_secs_f64();
            let ticks = (elapsed * f64::from(self.clock_rate)).max(1.0) as u32;
            self.seq_offset = last.seq.wrapping_add(1).wrapping_sub(seq);
            self.ts_offset = last.timestamp.wrapping_add(ticks).wrapping_sub(timestamp);
        }
        self.current = Some(ssrc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = &[0x10, 0x00]; // VP8: S=1, PID=0, P=0
    const DELTA: &[u8] = &[0x10, 0x01];

    #[test]
    fn audio_passes_through_unchanged_from_the_first_packet() {
        let mut f = Forwarder::new(Codec::Opaque, 48000);
        f.set_target(7);
        let now = Instant::now();
        let step = f.on_packet(7, 1000, 5000, b"x", now);
        assert_eq!(step.out, Some(Rewritten { seq: 1000, timestamp: 5000 }));
        assert_eq!(step.request_keyframe, None);
        assert_eq!(f.on_packet(8, 1, 1, b"x", now).out, None, "other SSRCs are dropped");
    }

    #[test]
    fn video_waits_for_a_keyframe_and_asks_for_one_at_a_bounded_rate() {
        let mut f = Forwarder::new(Codec::Vp8, 90000);
        f.set_target(1);
        let t0 = Instant::now();
        let first = f.on_packet(1, 10, 100, DELTA, t0);
        assert_eq!(first, Step { out: None, request_keyframe: Some(1) });
        let soon = f.on_packet(1, 11, 100, DELTA, t0 + Duration::from_millis(10));
        assert_eq!(soon.request_keyframe, None, "not again within the retry interval");
        let later = f.on_packet(1, 12, 100, DELTA, t0 + KEYFRAME_RETRY);
        assert_eq!(later.request_keyframe, Some(1));
        let key = f.on_packet(1, 13, 200, KEY, t0 + KEYFRAME_RETRY);
        assert_eq!(key.out, Some(Rewritten { seq: 13, timestamp: 200 }));
        assert!(!f.waiting_for_keyframe());
        assert!(f.on_packet(1, 14, 200, DELTA, t0 + KEYFRAME_RETRY).out.is_some());
    }

    #[test]
    fn a_layer_switch_happens_at_a_keyframe_and_keeps_numbering_continuous() {
        let mut f = Forwarder::new(Codec::Vp8, 90000);
        f.set_target(1);
        let t0 = Instant::now();
        f.on_packet(1, 500, 9000, KEY, t0);
        f.on_packet(1, 501, 9000, DELTA, t0);
        f.set_target(2);
        // Layer 2 before its keyframe: still layer 1 goes out, and a keyframe is requested.
        let pending = f.on_packet(2, 40000, 123_456, DELTA, t0);
        assert_eq!(pending, Step { out: None, request_keyframe: Some(2) });
        assert!(f.on_packet(1, 502, 12000, DELTA, t0).out.is_some());
        // The keyframe on layer 2: continues at 503, timestamp advanced by ~10 ms of 90 kHz.
        let t1 = t0 + Duration::from_millis(10);
        let switched = f.on_packet(2, 40001, 123_456, KEY, t1).out.unwrap();
        assert_eq!(switched.seq, 503);
        assert_eq!(switched.timestamp, 12000 + 900);
        assert_eq!(f.on_packet(1, 503, 15000, DELTA, t1).out, None, "old layer is dropped now");
        assert_eq!(f.on_packet(2, 40002, 126_456, DELTA, t1).out.unwrap().seq, 504);
    }

    #[test]
    fn sequence_numbers_wrap_around() {
        let mut f = Forwarder::new(Codec::Opaque, 48000);
        f.set_target(1);
        let now = Instant::now();
        assert_eq!(f.on_packet(1, u16::MAX, 0, b"", now).out.unwrap().seq, u16::MAX);
        assert_eq!(f.on_packet(1, 0, 960, b"", now).out.unwrap().seq, 0);
        f.set_target(2);
        assert_eq!(f.on_packet(2, 7, 0, b"", now).out.unwrap().seq, 1);
    }

    #[test]
    fn nothing_is_sent_without_a_target() {
        let mut f = Forwarder::new(Codec::Opaque, 48000);
        assert_eq!(f.on_packet(1, 1, 1, b"", Instant::now()), Step { out: None, request_keyframe: None });
    }
}
