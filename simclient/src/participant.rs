//! One synthetic participant: a peer connection with a microphone and a camera track, and the
//! negotiation steps a signalling layer carries to the SFU and back.

use crate::keyframe_tap::{wants_keyframe, KeyframeTap};
use crate::payload::{self, FramePart, Kind};
use crate::record::Record;
use bytes::Bytes;
use rtc::interceptor::Slot;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::media_engine::{MIME_TYPE_OPUS, MIME_TYPE_VP8};
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp;
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    register_default_interceptors, MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler,
    RTCConfigurationBuilder, RTCIceCandidateInit, RTCPeerConnectionIceEvent, RTCPeerConnectionState,
    RTCSessionDescription, Registry, SettingEngineBuilder,
};

pub const AUDIO_PT: u8 = 111;
pub const VIDEO_PT: u8 = 96;
/// Payload sizes of [`Participant::send_tick`]'s packets.
const TICK_AUDIO_LEN: usize = 140;
const TICK_VIDEO_LEN: usize = 920;
/// Largest video payload: a frame is cut into packets of at most this (as browsers keep RTP
/// packets under a 1,200-byte MTU budget).
pub const MAX_VIDEO_PAYLOAD: usize = 1_160;

#[derive(Debug, thiserror::Error)]
#[error("{step}: {message}")]
pub struct Error {
    pub step: &'static str,
    pub message: String,
}

fn failed<E: std::fmt::Display>(step: &'static str) -> impl FnOnce(E) -> Error {
    move |err| Error { step, message: err.to_string() }
}

/// An ICE candidate as `RTCIceCandidate.toJSON()` gives it (and balie's signalling carries it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub candidate: String,
    #[serde(rename = "sdpMid")]
    pub sdp_mid: Option<String>,
    #[serde(rename = "sdpMLineIndex")]
    pub sdp_m_line_index: Option<u16>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// Written into every payload, so subscribers know whose packet they hold.
    pub id: u32,
    /// The only address the client binds (and so announces).
    pub bind: IpAddr,
    /// Keep every received packet in [`Record::received`] (tests); a load generator only sums.
    pub keep_packets: bool,
}

/// Sequence numbers and timestamps of this participant's two outgoing streams.
#[derive(Default)]
struct Outgoing {
    audio_ts: u32,
    video_ts: u32,
    audio_seq: u16,
    video_seq: u16,
}

pub struct Participant {
    pub id: u32,
    pub pc: Arc<dyn PeerConnection>,
    pub record: Arc<Mutex<Record>>,
    /// Serialises this participant's negotiation steps, like a browser's operations chain.
    pub negotiation: tokio::sync::Mutex<()>,
    /// PLI/FIR received for the camera.
    pub plis: Arc<AtomicU32>,
    pub sent_audio: AtomicU32,
    pub sent_video: AtomicU32,
    keyframe_wanted: Arc<AtomicBool>,
    audio: Arc<TrackLocalStaticRTP>,
    video: Arc<TrackLocalStaticRTP>,
    outgoing: Mutex<Outgoing>,
    candidates: Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<Candidate>>>,
    media_added: AtomicBool,
}

struct Handler {
    record: Arc<Mutex<Record>>,
    keep_packets: bool,
    candidates: tokio::sync::mpsc::UnboundedSender<Candidate>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        if let Ok(init) = event.candidate.to_json() {
            let _ = self.candidates.send(Candidate {
                candidate: init.candidate,
                sdp_mid: init.sdp_mid,
                sdp_m_line_index: init.sdp_mline_index,
            });
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        self.record.lock().unwrap().states.push(state);
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        tokio::spawn(receive(track, Arc::clone(&self.record), self.keep_packets));
    }
}

/// Reads one remote track until it ends.
async fn receive(track: Arc<dyn TrackRemote>, record: Arc<Mutex<Record>>, keep_packets: bool) {
    let id = track.track_id().await;
    record.lock().unwrap().tracks.insert(id.clone(), false);
    // Like a browser's decoder: video before the first keyframe is useless, so it is discarded
    // and a keyframe is asked for (PLI), e.g. when the one the SFU started with arrived before
    // this side's DTLS was up.
    let mut decodable = false;
    let mut last_pli: Option<Instant> = None;
    while let Some(event) = track.poll().await {
        match event {
            TrackRemoteEvent::OnRtpPacket(packet) => {
                let arrived = payload::stamp_now();
                let Some(mut received) = payload::parse(&packet.payload) else { continue };
                if received.kind == Kind::Video && !decodable && !received.keyframe {
                    record.lock().unwrap().discarded_before_keyframe += 1;
                    if last_pli.is_none_or(|at| at.elapsed() > Duration::from_millis(200)) {
                        last_pli = Some(Instant::now());
                        let pli = PictureLossIndication { sender_ssrc: 0, media_ssrc: packet.header.ssrc };
                        let _ = track.write_rtcp(vec![Box::new(pli)]).await;
                    }
                    continue;
                }
                decodable = true;
                received.seq = packet.header.sequence_number;
                let latency_us = received.latency(arrived).as_micros() as u64;
                let mut record = record.lock().unwrap();
                record.window.add(&received, latency_us);
                if keep_packets {
                    record.received.push(received);
                }
            }
            TrackRemoteEvent::OnEnded => break,
            _ => {}
        }
    }
    record.lock().unwrap().tracks.insert(id, true);
}

fn local_track(id: u32, kind: RtpCodecKind, ssrc: u32, codec: RTCRtpCodec) -> Arc<TrackLocalStaticRTP> {
    let name = format!("{}-{id}", if kind == RtpCodecKind::Audio { "mic" } else { "camera" });
    Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
        format!("client-{id}"),
        name.clone(),
        name,
        kind,
        vec![RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters { ssrc: Some(ssrc), ..Default::default() },
            codec,
            ..Default::default()
        }],
    )))
}

pub fn opus() -> RTCRtpCodec {
    RTCRtpCodec { mime_type: MIME_TYPE_OPUS.into(), clock_rate: 48000, channels: 2, ..Default::default() }
}

pub fn vp8() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: MIME_TYPE_VP8.into(),
        clock_rate: 90000,
        rtcp_feedback: vec![
            RTCPFeedback { typ: "nack".into(), parameter: "".into() },
            RTCPFeedback { typ: "nack".into(), parameter: "pli".into() },
            RTCPFeedback { typ: "ccm".into(), parameter: "fir".into() },
        ],
        ..Default::default()
    }
}

impl Participant {
    /// A participant bound to `settings.bind` only, with a mic and a camera track not yet added.
    pub async fn new(settings: Settings) -> Result<Arc<Participant>, Error> {
        let id = settings.id;
        let mut engine = MediaEngine::default();
        engine
            .register_codec(RTCRtpCodecParameters { rtp_codec: opus(), payload_type: AUDIO_PT }, RtpCodecKind::Audio)
            .map_err(failed("register opus"))?;
        engine
            .register_codec(RTCRtpCodecParameters { rtp_codec: vp8(), payload_type: VIDEO_PT }, RtpCodecKind::Video)
            .map_err(failed("register vp8"))?;
        let registry = register_default_interceptors(Registry::new(), &mut engine)
            .map_err(failed("interceptors"))?
            .with(Slot::from(14_000), KeyframeTap::default());
        let record = Arc::new(Mutex::new(Record::default()));
        let (candidates_tx, candidates_rx) = tokio::sync::mpsc::unbounded_channel();
        let handler = Arc::new(Handler {
            record: Arc::clone(&record),
            keep_packets: settings.keep_packets,
            candidates: candidates_tx,
        });
        let pc = PeerConnectionBuilder::new()
            .with_configuration(RTCConfigurationBuilder::new().build())
            .with_media_engine(engine)
            .with_interceptor_registry(registry)
            .with_setting_engine(
                SettingEngineBuilder::new().with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled).build(),
            )
            .with_handler(handler)
            .with_udp_addrs(vec![std::net::SocketAddr::new(settings.bind, 0).to_string()])
            .build()
            .await
            .map_err(failed("peer connection"))?;
        let pc: Arc<dyn PeerConnection> = Arc::new(pc);
        let audio = local_track(id, RtpCodecKind::Audio, 1000u32.wrapping_add(id), opus());
        let video = local_track(id, RtpCodecKind::Video, 2_000_000_000u32.wrapping_add(id), vp8());
        Ok(Arc::new(Participant {
            id,
            pc,
            record,
            negotiation: tokio::sync::Mutex::new(()),
            plis: Arc::new(AtomicU32::new(0)),
            sent_audio: AtomicU32::new(0),
            sent_video: AtomicU32::new(0),
            keyframe_wanted: Arc::new(AtomicBool::new(true)),
            audio,
            video,
            outgoing: Mutex::new(Outgoing::default()),
            candidates: Mutex::new(Some(candidates_rx)),
            media_added: AtomicBool::new(false),
        }))
    }

    /// Adds the microphone and camera to the peer connection (once) and starts listening for
    /// keyframe requests.
    pub async fn add_media(&self) -> Result<(), Error> {
        if self.media_added.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        self.pc.add_track(self.audio.clone()).await.map_err(failed("add audio"))?;
        self.pc.add_track(self.video.clone()).await.map_err(failed("add video"))?;
        let video = Arc::clone(&self.video);
        let plis = Arc::clone(&self.plis);
        let wanted = Arc::clone(&self.keyframe_wanted);
        tokio::spawn(async move {
            while let Some(event) = video.poll().await {
                if let TrackLocalEvent::OnRtcpPacket(packets) = event {
                    if packets.iter().any(|p| wants_keyframe(p.as_ref())) {
                        plis.fetch_add(1, Ordering::SeqCst);
                        wanted.store(true, Ordering::SeqCst);
                    }
                }
            }
        });
        Ok(())
    }

    /// An offer for the current tracks, not yet applied (see [`Participant::apply_offer`]).
    pub async fn create_offer(&self) -> Result<RTCSessionDescription, Error> {
        self.pc.create_offer(None).await.map_err(failed("create offer"))
    }

    /// Applies an accepted offer and the answer to it.
    pub async fn apply_offer(&self, offer: RTCSessionDescription, answer: String) -> Result<(), Error> {
        self.pc.set_local_description(offer).await.map_err(failed("set local offer"))?;
        let answer = RTCSessionDescription::answer(answer).map_err(failed("parse answer"))?;
        self.pc.set_remote_description(answer).await.map_err(failed("set remote answer"))
    }

    /// Creates an offer and applies it locally, for signalling that sends it and later delivers
    /// the answer to [`Participant::accept_answer`].
    pub async fn offer(&self) -> Result<String, Error> {
        let offer = self.create_offer().await?;
        let sdp = offer.sdp.clone();
        self.pc.set_local_description(offer).await.map_err(failed("set local offer"))?;
        Ok(sdp)
    }

    pub async fn accept_answer(&self, sdp: String) -> Result<(), Error> {
        let answer = RTCSessionDescription::answer(sdp).map_err(failed("parse answer"))?;
        self.pc.set_remote_description(answer).await.map_err(failed("set remote answer"))
    }

    /// Answers a server offer. `None` when the offer cannot be applied (e.g. the participant
    /// already closed, as a closed browser tab would ignore it).
    pub async fn answer(&self, sdp: String) -> Option<String> {
        let _chain = self.negotiation.lock().await;
        self.record.lock().unwrap().offers.push(sdp.clone());
        let offer = RTCSessionDescription::offer(sdp).ok()?;
        self.pc.set_remote_description(offer).await.ok()?;
        let answer = self.pc.create_answer(None).await.ok()?;
        self.pc.set_local_description(answer.clone()).await.ok()?;
        Some(answer.sdp)
    }

    /// Adds a remote candidate. Candidates can race ahead of the description they belong to;
    /// this retries for a second before giving up.
    pub async fn add_candidate(&self, candidate: Candidate) -> Result<(), Error> {
        let init = RTCIceCandidateInit {
            candidate: candidate.candidate,
            sdp_mid: candidate.sdp_mid,
            sdp_mline_index: candidate.sdp_m_line_index,
            ..Default::default()
        };
        let mut last = None;
        for _ in 0..50 {
            match self.pc.add_ice_candidate(init.clone()).await {
                Ok(()) => return Ok(()),
                Err(err) => last = Some(err),
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(Error { step: "add candidate", message: last.map(|e| e.to_string()).unwrap_or_default() })
    }

    /// This participant's own candidates, as gathered (once: the receiver moves to the caller).
    pub fn take_candidates(&self) -> Option<tokio::sync::mpsc::UnboundedReceiver<Candidate>> {
        self.candidates.lock().unwrap().take()
    }

    /// Sends one audio and one single-packet video frame; the frame is a keyframe when one was
    /// asked for. The tests' rhythm: one call per tick.
    pub async fn send_tick(&self) {
        self.send_audio(TICK_AUDIO_LEN).await;
        self.send_video_frame(TICK_VIDEO_LEN, false).await;
    }

    /// One 20 ms audio packet of `len` bytes.
    pub async fn send_audio(&self, len: usize) {
        let counter = self.sent_audio.fetch_add(1, Ordering::Relaxed);
        let (seq, ts) = {
            let mut out = self.outgoing.lock().unwrap();
            out.audio_seq = out.audio_seq.wrapping_add(1);
            out.audio_ts = out.audio_ts.wrapping_add(960);
            (out.audio_seq, out.audio_ts)
        };
        let packet = rtp::Packet {
            header: rtp::header::Header {
                version: 2,
                payload_type: AUDIO_PT,
                sequence_number: seq,
                timestamp: ts,
                ssrc: 1000u32.wrapping_add(self.id),
                ..Default::default()
            },
            payload: Bytes::from(payload::audio(self.id, counter, payload::stamp_now(), len)),
        };
        let _ = self.audio.write_rtp(packet).await;
    }

    /// One video frame of `bytes`, cut into packets of at most [`MAX_VIDEO_PAYLOAD`]; a keyframe
    /// when `keyframe` or when a subscriber asked for one. Returns whether it was a keyframe.
    pub async fn send_video_frame(&self, bytes: usize, keyframe: bool) -> bool {
        let keyframe = self.keyframe_wanted.swap(false, Ordering::Relaxed) || keyframe;
        let packets = bytes.div_ceil(MAX_VIDEO_PAYLOAD).max(1);
        let ts = {
            let mut out = self.outgoing.lock().unwrap();
            out.video_ts = out.video_ts.wrapping_add(3000);
            out.video_ts
        };
        for index in 0..packets {
            let len = if index + 1 < packets { MAX_VIDEO_PAYLOAD } else { bytes - MAX_VIDEO_PAYLOAD * index };
            let part = match (index, keyframe) {
                (0, true) => FramePart::KeyframeStart,
                (0, false) => FramePart::InterframeStart,
                _ => FramePart::Continuation,
            };
            let counter = self.sent_video.fetch_add(1, Ordering::Relaxed);
            let seq = {
                let mut out = self.outgoing.lock().unwrap();
                out.video_seq = out.video_seq.wrapping_add(1);
                out.video_seq
            };
            let packet = rtp::Packet {
                header: rtp::header::Header {
                    version: 2,
                    payload_type: VIDEO_PT,
                    sequence_number: seq,
                    timestamp: ts,
                    ssrc: 2_000_000_000u32.wrapping_add(self.id),
                    marker: index + 1 == packets,
                    ..Default::default()
                },
                payload: Bytes::from(payload::video(self.id, counter, payload::stamp_now(), part, len)),
            };
            let _ = self.video.write_rtp(packet).await;
        }
        keyframe
    }

    pub async fn close(&self) {
        let _ = self.pc.close().await;
    }
}
