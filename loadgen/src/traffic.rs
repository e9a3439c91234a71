//! Synthetic media with a camera's and a microphone's rhythm: video frames at a steady frame
//! rate whose sizes vary around the target bitrate, a larger keyframe now and then (and whenever
//! a subscriber asks), and a 20 ms audio packet of Opus-like size.

use balie_simclient::Participant;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

#[derive(Debug, Clone, Copy)]
pub struct Profile {
    pub video_kbps: u64,
    pub fps: u32,
    /// A periodic keyframe, as encoders send after losses or scene changes.
    pub keyframe_every: Duration,
    /// How much larger than an average frame a keyframe is.
    pub keyframe_factor: u64,
}

impl Profile {
    fn average_frame(&self) -> u64 {
        self.video_kbps * 1000 / 8 / u64::from(self.fps.max(1))
    }
}

/// A tiny deterministic generator (xorshift): enough to vary frame sizes without a dependency.
struct Jitter(u64);

impl Jitter {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// A value within ±`percent` % of `around`.
    fn around(&mut self, around: u64, percent: u64) -> u64 {
        let span = around * percent / 100;
        around - span + self.next() % (2 * span + 1)
    }
}

/// Frame sizes in order: a keyframe (periodic) then interframes varying around the size that
/// keeps the average at the target bitrate.
struct Frames {
    jitter: Jitter,
    frame: u64,
    per_keyframe: u64,
    keyframe: u64,
    interframe: u64,
}

impl Frames {
    fn new(profile: &Profile, seed: u64) -> Frames {
        let per_keyframe = (profile.keyframe_every.as_secs_f64() * f64::from(profile.fps)).max(1.0) as u64;
        let average = profile.average_frame();
        let keyframe = average * profile.keyframe_factor;
        let interframe = (average * per_keyframe).saturating_sub(keyframe) / (per_keyframe - 1).max(1);
        Frames { jitter: Jitter(0x9E37_79B9_7F4A_7C15 ^ seed), frame: 0, per_keyframe, keyframe, interframe }
    }

    /// The next frame's size in bytes, and whether it is a periodic keyframe.
    fn next(&mut self) -> (usize, bool) {
        let periodic = self.frame.is_multiple_of(self.per_keyframe);
        self.frame += 1;
        let size = if periodic { self.keyframe } else { self.jitter.around(self.interframe, 25) };
        (size as usize, periodic)
    }
}

impl Profile {
    /// Packets per second one publisher sends when it keeps up: 50 audio packets plus the video
    /// frames' packets (counted over a minute of frames from the same generator).
    pub fn nominal_packets_per_second(&self) -> f64 {
        let mut frames = Frames::new(self, 1);
        let count = u64::from(self.fps.max(1)) * 60;
        let packets: usize =
            (0..count).map(|_| frames.next().0.div_ceil(balie_simclient::participant::MAX_VIDEO_PAYLOAD).max(1)).sum();
        50.0 + packets as f64 / 60.0
    }
}

/// Sends until `stop` turns true.
pub async fn send(participant: Arc<Participant>, profile: Profile, mut stop: watch::Receiver<bool>) {
    let mut jitter = Jitter(0x2545_F491_4F6C_DD1D ^ u64::from(participant.id));
    let mut frames = Frames::new(&profile, u64::from(participant.id));
    let mut audio = tokio::time::interval(Duration::from_millis(20));
    let mut video = tokio::time::interval(Duration::from_secs(1) / profile.fps.max(1));
    // An overloaded load generator sends less rather than in bursts; the report shows the rate
    // actually sent.
    audio.set_missed_tick_behavior(MissedTickBehavior::Delay);
    video.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = audio.tick() => participant.send_audio(jitter.around(100, 20) as usize).await,
            _ = video.tick() => {
                let (size, periodic) = frames.next();
                participant.send_video_frame(size, periodic).await;
            }
        }
    }
}
