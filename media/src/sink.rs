//! One subscriber's copy of one published track: the local track on the subscriber's peer
//! connection, the forwarding state, and the tasks that write RTP and read keyframe requests.

use crate::engine::is_keyframe_request;
use crate::forwarder::Forwarder;
use crate::keyframe::Codec;
use crate::source::Source;
use crate::PeerKey;
use rtc::rtp;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::rtp_transceiver::RtpSender;

/// Packets queued for one subscriber. A subscriber that cannot keep up loses packets here (and
/// NACKs or asks for a keyframe) instead of slowing the publisher's reader, which serves everyone.
const QUEUE: usize = 512;

pub(crate) struct Sink {
    pub(crate) subscriber: PeerKey,
    pub(crate) sender: Arc<dyn RtpSender>,
    ssrc: u32,
    /// The subscriber's connection is up (DTLS done): writes before that are lost.
    connected: Arc<AtomicBool>,
    state: Mutex<SinkState>,
    queue: mpsc::Sender<rtp::Packet>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

struct SinkState {
    forwarder: Forwarder,
    /// The payload type negotiated on the subscriber's leg; `None` until the subscriber has
    /// answered the offer that added this track, and nothing is sent before that.
    payload_type: Option<u8>,
}

impl Sink {
    pub(crate) fn new(
        subscriber: PeerKey,
        source: &Arc<Source>,
        track: Arc<TrackLocalStaticRTP>,
        sender: Arc<dyn RtpSender>,
        ssrc: u32,
        connected: Arc<AtomicBool>,
    ) -> Arc<Sink> {
        let (queue, mut packets) = mpsc::channel::<rtp::Packet>(QUEUE);
        let sink = Arc::new(Sink {
            subscriber,
            sender,
            ssrc,
            connected,
            state: Mutex::new(SinkState {
                forwarder: Forwarder::new(Codec::from_mime(&source.codec.mime_type), source.codec.clock_rate),
                payload_type: None,
            }),
            queue,
            tasks: Mutex::new(Vec::new()),
        });

        let writer_track = Arc::clone(&track);
        let writer = tokio::spawn(async move {
            while let Some(packet) = packets.recv().await {
                if let Err(err) = writer_track.write_rtp(packet).await {
                    tracing::debug!(%err, "subscriber track refused a packet");
                }
            }
        });
        // Weak: the task must not keep the source (and through it every sink) alive.
        let feedback = tokio::spawn(relay_keyframe_requests(track, Arc::downgrade(source), Arc::downgrade(&sink)));
        sink.tasks().extend([writer, feedback]);
        sink
    }

    fn tasks(&self) -> std::sync::MutexGuard<'_, Vec<JoinHandle<()>>> {
        self.tasks.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn state(&self) -> std::sync::MutexGuard<'_, SinkState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn is_active(&self) -> bool {
        self.state().payload_type.is_some()
    }

    /// Starts sending, with the payload type the subscriber accepted.
    pub(crate) fn activate(&self, payload_type: u8) {
        self.state().payload_type = Some(payload_type);
    }

    pub(crate) fn set_target(&self, ssrc: u32) {
        self.state().forwarder.set_target(ssrc);
    }

    /// The layer a keyframe request from this subscriber is about.
    fn wanted_layer(&self) -> Option<u32> {
        let state = self.state();
        state.forwarder.current().or(state.forwarder.target())
    }

    /// Queues `packet` for this subscriber if it carries the chosen layer; returns the SSRC to
    /// request a keyframe on, if the subscriber is waiting for one.
    pub(crate) fn push(&self, packet: &rtp::Packet, now: Instant) -> Option<u32> {
        if !self.connected.load(Ordering::Acquire) {
            return None;
        }
        let mut state = self.state();
        let payload_type = state.payload_type?;
        let header = &packet.header;
        let step =
            state.forwarder.on_packet(header.ssrc, header.sequence_number, header.timestamp, &packet.payload, now);
        drop(state);
        if let Some(out) = step.out {
            let mut packet = packet.clone();
            packet.header.ssrc = self.ssrc;
            packet.header.payload_type = payload_type;
            packet.header.sequence_number = out.seq;
            packet.header.timestamp = out.timestamp;
            // Extension ids are negotiated per leg; the publisher's ids mean nothing here.
            packet.header.extension = false;
            packet.header.extension_profile = 0;
            packet.header.extensions.clear();
            if self.queue.try_send(packet).is_err() {
                tracing::trace!(subscriber = ?self.subscriber, "subscriber queue full, packet dropped");
            }
        }
        step.request_keyframe
    }

    /// Stops the tasks; the local track is removed from the peer connection by the caller.
    pub(crate) fn close(&self) {
        for task in self.tasks().drain(..) {
            task.abort();
        }
    }
}

/// Relays PLI/FIR from the subscriber to the publisher, for the layer the subscriber gets.
async fn relay_keyframe_requests(track: Arc<TrackLocalStaticRTP>, source: Weak<Source>, sink: Weak<Sink>) {
    while let Some(event) = track.poll().await {
        let TrackLocalEvent::OnRtcpPacket(packets) = event else {
            continue;
        };
        if !packets.iter().any(|packet| is_keyframe_request(packet.as_ref())) {
            continue;
        }
        let (Some(source), Some(sink)) = (source.upgrade(), sink.upgrade()) else {
            return;
        };
        if let Some(ssrc) = sink.wanted_layer() {
            source.request_keyframe(ssrc).await;
        }
    }
}
