//! What a participant saw: negotiation, connection states, tracks, and the packets that arrived,
//! kept one by one (tests) and summed per measurement window (load generator).

use crate::payload::{Kind, Received};
use hdrhistogram::Histogram;
use std::collections::HashMap;
use webrtc::peer_connection::RTCPeerConnectionState;

#[derive(Default)]
pub struct Record {
    /// Every packet, in arrival order, when the participant was made with `keep_packets`.
    pub received: Vec<Received>,
    /// Offers the server sent, in order.
    pub offers: Vec<String>,
    pub states: Vec<RTCPeerConnectionState>,
    /// Remote tracks by track id, and whether each has ended.
    pub tracks: HashMap<String, bool>,
    /// Video packets that arrived before the first keyframe of their track (and made this
    /// participant ask for one).
    pub discarded_before_keyframe: usize,
    /// Since the last [`Record::take_window`].
    pub window: Window,
}

/// Packets per stream, corruption and latency over a stretch of time.
pub struct Window {
    pub streams: HashMap<(u32, Kind), StreamWindow>,
    /// Publisher-to-subscriber latency in microseconds.
    pub latency_us: Histogram<u64>,
    /// Packets whose bytes differ from what was sent.
    pub corrupt: u64,
}

impl Default for Window {
    fn default() -> Self {
        Window {
            streams: HashMap::new(),
            latency_us: Histogram::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds"),
            corrupt: 0,
        }
    }
}

/// One publisher's stream of one kind, as this subscriber received it in a window.
#[derive(Debug, Clone, Copy)]
pub struct StreamWindow {
    pub received: u64,
    pub lowest: u32,
    pub highest: u32,
}

impl StreamWindow {
    /// Packets the publisher sent between the lowest and highest counter seen.
    pub fn expected(&self) -> u64 {
        u64::from(self.highest.wrapping_sub(self.lowest)) + 1
    }

    /// Expected but not received (never negative: duplicates from retransmission do not count).
    pub fn lost(&self) -> u64 {
        self.expected().saturating_sub(self.received)
    }
}

impl Window {
    pub fn add(&mut self, packet: &Received, latency_us: u64) {
        let stream = self.streams.entry((packet.publisher, packet.kind)).or_insert(StreamWindow {
            received: 0,
            lowest: packet.counter,
            highest: packet.counter,
        });
        stream.received += 1;
        stream.lowest = stream.lowest.min(packet.counter);
        stream.highest = stream.highest.max(packet.counter);
        if !packet.intact {
            self.corrupt += 1;
        }
        self.latency_us.saturating_record(latency_us.max(1));
    }

    /// The window's totals, which add up across subscribers.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        summary.add_window(self);
        summary
    }
}

/// Totals over any number of windows (subscribers, calls).
pub struct Summary {
    pub received: u64,
    pub expected: u64,
    pub lost: u64,
    pub corrupt: u64,
    pub latency_us: Histogram<u64>,
}

impl Default for Summary {
    fn default() -> Self {
        let Window { latency_us, .. } = Window::default();
        Summary { received: 0, expected: 0, lost: 0, corrupt: 0, latency_us }
    }
}

impl Summary {
    pub fn add_window(&mut self, window: &Window) {
        for stream in window.streams.values() {
            self.received += stream.received;
            self.expected += stream.expected();
            self.lost += stream.lost();
        }
        self.corrupt += window.corrupt;
        // Same bounds on both sides, so adding cannot fail.
        let _ = self.latency_us.add(&window.latency_us);
    }

    /// Lost packets as a fraction of expected ones (0 when nothing was expected).
    pub fn loss(&self) -> f64 {
        if self.expected == 0 {
            0.0
        } else {
            self.lost as f64 / self.expected as f64
        }
    }
}

impl Record {
    /// The window so far, and a fresh one from now on.
    pub fn take_window(&mut self) -> Window {
        std::mem::take(&mut self.window)
    }
}
