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
use webrtc::peer_connection::PeerConnection;

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
    /// When the live layers were last compared, and which were live then.
    liveness: Mutex<(Option<Instant>, Vec<u32>)>,
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
        let layers = lock(&self.layers);
        let picked = layers::pick(&layers, participants, Instant::now());
        tracing::debug!(publisher = ?self.publisher, ?picked, layers = ?*layers, "layer picked");
        picked
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

    /// Hands one packet to every subscriber; returns the SSRCs subscribers want keyframes on,
    /// and whether a layer paused or resumed (so the call's layer choices need a new look).
    fn fan_out(&self, packet: &rtp::Packet) -> (Vec<u32>, bool) {
        let size = packet.payload.len() as u64;
        let now = Instant::now();
        let liveness_changed = self.note_packet(packet.header.ssrc, size, now);
        let mut requests: Vec<u32> = self.sinks().iter().filter_map(|sink| sink.push(packet, now)).collect();
        requests.sort_unstable();
        requests.dedup();
        (requests, liveness_changed)
    }

    /// Counts a packet on its layer. Pauses show in the packets of the other layers: checked at
    /// most every 250 ms, comparing which layers are live with the last check.
    fn note_packet(&self, ssrc: u32, size: u64, now: Instant) -> bool {
        let mut layers = lock(&self.layers);
        let Some(layer) = layers.iter_mut().find(|l| l.ssrc == ssrc) else { return false };
        let resumed = !layer.is_live(now);
        layer.bytes += size;
        layer.last_packet = Some(now);
        if layers.len() < 2 {
            return false;
        }
        let mut checked = lock(&self.liveness);
        if !resumed && checked.0.is_some_and(|at| now.duration_since(at) < Duration::from_millis(250)) {
            return false;
        }
        let live: Vec<u32> = layers.iter().filter(|l| l.is_live(now)).map(|l| l.ssrc).collect();
        let changed = checked.1 != live;
        if changed {
            tracing::debug!(publisher = ?self.publisher, ?live, "live simulcast layers changed");
        }
        *checked = (Some(now), live);
        changed
    }

    fn add_layer(&self, ssrc: u32, rid: Option<String>) -> bool {
        let mut layers = lock(&self.layers);
        if layers.iter().any(|layer| layer.ssrc == ssrc) {
            return false;
        }
        tracing::debug!(publisher = ?self.publisher, ssrc, ?rid, "simulcast layer opened");
        layers.push(Layer { ssrc, rid, bytes: 0, last_packet: None });
        true
    }
}

/// Reads one remote track of `publisher` until it ends: publishes it to the call when its first
/// stream opens, forwards its packets, and unpublishes it at the end.
pub(crate) async fn read_track(inner: Weak<Inner>, publisher: PeerKey, track: Arc<dyn TrackRemote>) {
    tracing::debug!(?publisher, "track reader started");
    let mut source: Option<Arc<Source>> = None;
    // Streams that opened before the track's codec was known.
    let mut unopened: Vec<Layer> = Vec::new();
    while let Some(event) = track.poll().await {
        match event {
            TrackRemoteEvent::OnOpen(init) => match &source {
                None => {
                    unopened.push(Layer { ssrc: init.ssrc, rid: init.rid, bytes: 0, last_packet: None });
                    source = open(&inner, publisher, &track, &mut unopened, None).await;
                }
                Some(known) => {
                    if known.add_layer(init.ssrc, init.rid) {
                        let Some(sfu) = inner.upgrade() else { return };
                        sfu.retarget(known.publisher.call);
                    }
                }
            },
            TrackRemoteEvent::OnRtpPacket(packet) => {
                if source.is_none() && !unopened.is_empty() {
                    let payload_type = Some(packet.header.payload_type);
                    source = open(&inner, publisher, &track, &mut unopened, payload_type).await;
                }
                if let Some(source) = &source {
                    let (keyframes, liveness_changed) = source.fan_out(&packet);
                    if liveness_changed {
                        let Some(sfu) = inner.upgrade() else { return };
                        sfu.retarget(source.publisher.call);
                    }
                    for ssrc in keyframes {
                        source.request_keyframe(ssrc).await;
                    }
                }
            }
            TrackRemoteEvent::OnEnded => break,
            _ => {}
        }
    }
    tracing::debug!(?publisher, published = source.is_some(), "track reader ended");
    if let (Some(source), Some(sfu)) = (source, inner.upgrade()) {
        sfu.unpublish(&source).await;
    }
}

/// Publishes the track once its codec is known.
///
/// rtc 0.21.1 sometimes never records the codec of a stream on the remote track (the leak soak
/// hit it about once in a few hundred connections: `TrackRemote::codec(ssrc)` stays `None`), and
/// such a track was never forwarded. So the codec is also looked up by the payload type of the
/// first packet in the connection's negotiated receive parameters.
async fn open(
    inner: &Weak<Inner>,
    publisher: PeerKey,
    track: &Arc<dyn TrackRemote>,
    unopened: &mut Vec<Layer>,
    payload_type: Option<u8>,
) -> Option<Arc<Source>> {
    let mut codec = None;
    for layer in unopened.iter() {
        codec = track.codec(layer.ssrc).await;
        if codec.is_some() {
            break;
        }
    }
    if codec.is_none() {
        if let Some(payload_type) = payload_type {
            let pc = inner.upgrade()?.find(publisher).ok()?.pc.clone();
            codec = negotiated_codec(pc.as_ref(), payload_type).await;
        }
    }
    let Some(codec) = codec else {
        tracing::debug!(?publisher, "codec not known yet");
        return None;
    };
    tracing::debug!(?publisher, mime = %codec.mime_type, "publishing");
    let source = Arc::new(Source {
        id: NEXT_SOURCE_ID.fetch_add(1, Ordering::Relaxed),
        publisher,
        kind: track.kind().await,
        codec,
        remote: Arc::clone(track),
        layers: Mutex::new(std::mem::take(unopened)),
        sinks: Mutex::new(Vec::new()),
        keyframe_requested: Mutex::new(HashMap::new()),
        liveness: Mutex::new((None, Vec::new())),
    });
    inner.upgrade()?.publish(Arc::clone(&source)).await;
    Some(source)
}

/// The codec negotiated for `payload_type` on any receiver of `pc` (payload types are unique
/// within a connection's bundle).
async fn negotiated_codec(pc: &dyn PeerConnection, payload_type: u8) -> Option<RTCRtpCodec> {
    for receiver in pc.get_receivers().await {
        let Ok(parameters) = receiver.get_parameters().await else {
            continue;
        };
        let found = parameters.rtp_parameters.codecs.into_iter().find(|codec| codec.payload_type == payload_type);
        if let Some(found) = found {
            return Some(found.rtp_codec);
        }
    }
    None
}
