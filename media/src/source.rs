//! A track a participant publishes: its layers, its subscribers, and the task that reads it.

use crate::layers::{self, Layer};
use crate::sfu::Inner;
use crate::sink::Sink;
use crate::PeerKey;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp;
use rtc::rtp_transceiver::rtp_sender::{RTCRtpCodec, RtpCodecKind};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};

/// Keyframes are expensive for the publisher's uplink; several subscribers asking at once (a
/// join, a layer switch, a loss burst) get one.
const KEYFRAME_REQUEST_INTERVAL: Duration = Duration::from_millis(300);

static NEXT_SOURCE_ID: AtomicU64 = AtomicU64::new(1);

pub(crate) struct Source {
    pub(crate) id: u64,
    pub(crate) publisher: PeerKey,
    pub(crate) kind: RtpCodecKind,
    pub(crate) codec: RTCRtpCodec,
    remote: Arc<dyn TrackRemote>,
    layers: Mutex<Vec<Layer>>,
    sinks: Mutex<Vec<Arc<Sink>>>,
    keyframe_requested: Mutex<HashMap<u32, Instant>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Source {
    pub(crate) fn attach(&self, sink: Arc<Sink>) {
        lock(&self.sinks).push(sink);
    }

    pub(crate) fn detach(&self, subscriber: PeerKey) {
        lock(&self.sinks).retain(|sink| sink.subscriber != subscriber);
    }

    pub(crate) fn sinks(&self) -> Vec<Arc<Sink>> {
        lock(&self.sinks).clone()
    }

    /// The layer subscribers of a call of `participants` members should get.
    pub(crate) fn pick_layer(&self, participants: usize) -> Option<u32> {
        layers::pick(&lock(&self.layers), participants)
    }

    /// Sends a PLI to the publisher for `ssrc`, unless one went out very recently.
    pub(crate) async fn request_keyframe(&self, ssrc: u32) {
        let now = Instant::now();
        {
            let mut sent = lock(&self.keyframe_requested);
            if sent.get(&ssrc).is_some_and(|at| now.duration_since(*at) < KEYFRAME_REQUEST_INTERVAL) {
                return;
            }
            sent.insert(ssrc, now);
        }
        let pli = PictureLossIndication { sender_ssrc: 0, media_ssrc: ssrc };
        if let Err(err) = self.remote.write_rtcp(vec![Box::new(pli)]).await {
            tracing::debug!(%err, publisher = ?self.publisher, "keyframe request not sent");
        }
    }

    /// Hands one packet to every subscriber; returns the SSRCs subscribers want keyframes on.
    fn fan_out(&self, packet: &rtp::Packet) -> Vec<u32> {
        let size = packet.payload.len() as u64;
        if let Some(layer) = lock(&self.layers).iter_mut().find(|l| l.ssrc == packet.header.ssrc) {
            layer.bytes += size;
        }
        let now = Instant::now();
        let mut requests: Vec<u32> = self.sinks().iter().filter_map(|sink| sink.push(packet, now)).collect();
        requests.sort_unstable();
        requests.dedup();
        requests
    }

    fn add_layer(&self, ssrc: u32, rid: Option<String>) -> bool {
        let mut layers = lock(&self.layers);
        if layers.iter().any(|layer| layer.ssrc == ssrc) {
            return false;
        }
        layers.push(Layer { ssrc, rid, bytes: 0 });
        true
    }
}

/// Reads one remote track of `publisher` until it ends: publishes it to the call when its first
/// stream opens, forwards its packets, and unpublishes it at the end.
pub(crate) async fn read_track(inner: Weak<Inner>, publisher: PeerKey, track: Arc<dyn TrackRemote>) {
    let mut source: Option<Arc<Source>> = None;
    while let Some(event) = track.poll().await {
        match event {
            TrackRemoteEvent::OnOpen(init) => match &source {
                None => {
                    let Some(codec) = track.codec(init.ssrc).await else {
                        tracing::warn!(?publisher, "remote track without a codec ignored");
                        continue;
                    };
                    let opened = Arc::new(Source {
                        id: NEXT_SOURCE_ID.fetch_add(1, Ordering::Relaxed),
                        publisher,
                        kind: track.kind().await,
                        codec,
                        remote: Arc::clone(&track),
                        layers: Mutex::new(vec![Layer { ssrc: init.ssrc, rid: init.rid, bytes: 0 }]),
                        sinks: Mutex::new(Vec::new()),
                        keyframe_requested: Mutex::new(HashMap::new()),
                    });
                    let Some(sfu) = inner.upgrade() else { return };
                    sfu.publish(Arc::clone(&opened)).await;
                    source = Some(opened);
                }
                Some(known) => {
                    if known.add_layer(init.ssrc, init.rid) {
                        let Some(sfu) = inner.upgrade() else { return };
                        sfu.retarget(known.publisher.call);
                    }
                }
            },
            TrackRemoteEvent::OnRtpPacket(packet) => {
                if let Some(source) = &source {
                    for ssrc in source.fan_out(&packet) {
                        source.request_keyframe(ssrc).await;
                    }
                }
            }
            TrackRemoteEvent::OnEnded => break,
            _ => {}
        }
    }
    if let (Some(source), Some(sfu)) = (source, inner.upgrade()) {
        sfu.unpublish(&source).await;
    }
}
