//! What a synthetic participant puts in its RTP payloads, and how a receiver reads it back.
//!
//! Every payload names its publisher, counts per stream and carries the send time, so a receiver
//! can tell loss (gaps in the counter), corruption (the filler is a function of the counter) and
//! latency (publisher and subscriber share this process's clock). Video payloads start with a
//! real VP8 payload descriptor (RFC 7741) and frame tag, because the SFU parses them to find
//! keyframes.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Bytes before the filler: descriptor, frame tag, kind, publisher, counter, send time.
pub const VIDEO_HEADER: usize = 3 + 4 + 4 + 8;
/// Bytes before the filler: kind, publisher, counter, send time.
pub const AUDIO_HEADER: usize = 1 + 4 + 4 + 8;

/// The clock every stamp counts from: one per process, so sender and receiver agree.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Nanoseconds since [`epoch`]: what a payload carries as its send time.
pub fn stamp_now() -> u64 {
    epoch().elapsed().as_nanos() as u64
}

fn filler(counter: u32, len: usize) -> impl Iterator<Item = u8> {
    (0..len).map(move |i| (counter as usize * 7 + i) as u8)
}

/// An audio payload of `len` bytes (at least [`AUDIO_HEADER`]).
pub fn audio(publisher: u32, counter: u32, stamp: u64, len: usize) -> Vec<u8> {
    let mut payload = Vec::with_capacity(len.max(AUDIO_HEADER));
    payload.push(b'A');
    payload.extend_from_slice(&publisher.to_be_bytes());
    payload.extend_from_slice(&counter.to_be_bytes());
    payload.extend_from_slice(&stamp.to_be_bytes());
    payload.extend(filler(counter, len.saturating_sub(AUDIO_HEADER)));
    payload
}

/// Where a video packet sits in its frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FramePart {
    /// The first packet of a keyframe: S=1 and the frame tag's key-frame bit.
    KeyframeStart,
    /// The first packet of an interframe.
    InterframeStart,
    /// Any later packet of a frame (S=0: no frame tag a parser may read).
    Continuation,
}

/// A video payload of `len` bytes (at least [`VIDEO_HEADER`]).
pub fn video(publisher: u32, counter: u32, stamp: u64, part: FramePart, len: usize) -> Vec<u8> {
    let (descriptor, tag) = match part {
        FramePart::KeyframeStart => (0x10, 0x00),
        FramePart::InterframeStart => (0x10, 0x01),
        FramePart::Continuation => (0x00, 0x01),
    };
    let mut payload = Vec::with_capacity(len.max(VIDEO_HEADER));
    payload.extend_from_slice(&[descriptor, tag, b'V']);
    payload.extend_from_slice(&publisher.to_be_bytes());
    payload.extend_from_slice(&counter.to_be_bytes());
    payload.extend_from_slice(&stamp.to_be_bytes());
    payload.extend(filler(counter, len.saturating_sub(VIDEO_HEADER)));
    payload
}

/// Audio or video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Audio,
    Video,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Audio => "audio",
            Kind::Video => "video",
        })
    }
}

/// One payload as a subscriber read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub kind: Kind,
    pub publisher: u32,
    pub counter: u32,
    /// The first packet of a keyframe.
    pub keyframe: bool,
    /// The first packet of a frame (keyframe or not).
    pub frame_start: bool,
    /// Every byte is what the publisher sent for this counter.
    pub intact: bool,
    /// Send time ([`stamp_now`] at the publisher).
    pub stamp: u64,
    /// RTP sequence number as it arrived (the SFU may rewrite it; the counter is the truth).
    pub seq: u16,
}

impl Received {
    /// Time from the publisher's send to `now_stamp` (a [`stamp_now`] taken at arrival).
    pub fn latency(&self, now_stamp: u64) -> Duration {
        Duration::from_nanos(now_stamp.saturating_sub(self.stamp))
    }
}

/// Reads a payload made by [`audio`] or [`video`]; `None` for anything else.
pub fn parse(payload: &[u8]) -> Option<Received> {
    let (kind, frame_start, keyframe, body) = match payload.first()? {
        b'A' => (Kind::Audio, false, false, payload.get(1..)?),
        first @ (0x10 | 0x00) if payload.get(2) == Some(&b'V') => {
            let start = first & 0x10 != 0;
            (Kind::Video, start, start && payload[1] & 1 == 0, payload.get(3..)?)
        }
        _ => return None,
    };
    let publisher = u32::from_be_bytes(body.get(0..4)?.try_into().ok()?);
    let counter = u32::from_be_bytes(body.get(4..8)?.try_into().ok()?);
    let stamp = u64::from_be_bytes(body.get(8..16)?.try_into().ok()?);
    let intact = body[16..].iter().copied().eq(filler(counter, body.len() - 16));
    Some(Received { kind, publisher, counter, keyframe, frame_start, intact, stamp, seq: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_read_back_as_written() {
        let a = parse(&audio(7, 42, 1234, 100)).unwrap();
        assert_eq!((a.kind, a.publisher, a.counter, a.stamp, a.intact), (Kind::Audio, 7, 42, 1234, true));
        let v = parse(&video(300, 9, 55, FramePart::KeyframeStart, 1200)).unwrap();
        assert_eq!((v.kind, v.publisher, v.counter, v.keyframe, v.frame_start), (Kind::Video, 300, 9, true, true));
        let c = parse(&video(300, 10, 56, FramePart::Continuation, 1200)).unwrap();
        assert!(!c.keyframe && !c.frame_start && c.intact);
        let i = parse(&video(300, 11, 57, FramePart::InterframeStart, 1200)).unwrap();
        assert!(!i.keyframe && i.frame_start);
    }

    #[test]
    fn a_changed_byte_is_noticed() {
        let mut payload = video(1, 2, 3, FramePart::InterframeStart, 500);
        payload[400] ^= 1;
        assert!(!parse(&payload).unwrap().intact);
    }

    #[test]
    fn foreign_payloads_are_ignored() {
        assert_eq!(parse(b""), None);
        assert_eq!(parse(&[0x90, 0x80, 0x01]), None);
        assert_eq!(parse(b"A12"), None);
    }
}
