//! A test participant: publishes synthetic Opus-like audio and VP8-like video, receives what the
//! SFU forwards, answers server offers, and records everything for assertions.

use balie_media::{IceCandidate, PeerKey, Sfu};
use bytes::Bytes;
use rtc::interceptor::{Attribute, Interceptor, Packet, Slot, StreamInfo, TaggedPacket};
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::media_engine::{MIME_TYPE_OPUS, MIME_TYPE_VP8};
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp;
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use rtc::sansio::Protocol;
use std::collections::{HashMap, VecDeque};
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
const AUDIO_FILLER: usize = 120;
const VIDEO_FILLER: usize = 900;

/// The payload a publisher sends as packet `counter`: recognisable, and checkable byte for byte.
pub fn audio_payload(publisher: u8, counter: u32) -> Vec<u8> {
    let mut payload = vec![b'A', publisher];
    payload.extend_from_slice(&counter.to_be_bytes());
    payload.extend((0..AUDIO_FILLER).map(|i| (counter as usize + i) as u8));
    payload
}

/// VP8 payload descriptor (S=1, PID=0), frame tag (0 = keyframe, 1 = interframe), then the body.
pub fn video_payload(publisher: u8, counter: u32, keyframe: bool) -> Vec<u8> {
    let mut payload = vec![0x10, if keyframe { 0x00 } else { 0x01 }, b'V', publisher];
    payload.extend_from_slice(&counter.to_be_bytes());
    payload.extend((0..VIDEO_FILLER).map(|i| (counter as usize * 7 + i) as u8));
    payload
}

/// One packet as a subscriber saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub kind: char,
    pub publisher: u8,
    pub counter: u32,
    pub keyframe: bool,
    /// The payload equals what the publisher sent for that counter.
    pub intact: bool,
    pub seq: u16,
}

fn parse(payload: &[u8]) -> Option<Received> {
    let (kind, keyframe, body) = match payload.first()? {
        b'A' => ('A', false, payload),
        0x10 => ('V', payload.get(1)? & 1 == 0, payload.get(2..)?),
        _ => return None,
    };
    let publisher = *body.get(1)?;
    let counter = u32::from_be_bytes(body.get(2..6)?.try_into().ok()?);
    let expected =
        if kind == 'A' { audio_payload(publisher, counter) } else { video_payload(publisher, counter, keyframe) };
    Some(Received { kind, publisher, counter, keyframe, intact: expected == payload, seq: 0 })
}

#[derive(Default)]
pub struct Record {
    pub received: Vec<Received>,
    pub offers: Vec<String>,
    pub states: Vec<RTCPeerConnectionState>,
    /// Remote tracks by track id, and whether each has ended.
    pub tracks: HashMap<String, bool>,
    /// Video packets that arrived before the first keyframe of their track (and made this
    /// client ask for one).
    pub discarded_before_keyframe: usize,
}

pub struct Client {
    pub key: PeerKey,
    pub id: u8,
    pub pc: Arc<dyn PeerConnection>,
    pub record: Arc<Mutex<Record>>,
    /// Serialises this client's own negotiation steps, like a browser's operations chain.
    pub negotiation: tokio::sync::Mutex<()>,
    pub plis: Arc<AtomicU32>,
    keyframe_wanted: Arc<AtomicBool>,
    audio: Arc<TrackLocalStaticRTP>,
    video: Arc<TrackLocalStaticRTP>,
    pub sent_audio: AtomicU32,
    pub sent_video: AtomicU32,
    pub candidates: Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<IceCandidate>>>,
}

struct Handler {
    record: Arc<Mutex<Record>>,
    candidates: tokio::sync::mpsc::UnboundedSender<IceCandidate>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        if let Ok(init) = event.candidate.to_json() {
            let _ = self.candidates.send(IceCandidate {
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
        let record = Arc::clone(&self.record);
        tokio::spawn(async move {
            let id = track.track_id().await;
            record.lock().unwrap().tracks.insert(id.clone(), false);
            // Like a browser's decoder: video before the first keyframe is useless, so it is
            // discarded and a keyframe is asked for (PLI), e.g. when the one the SFU started with
            // arrived before this side's DTLS was up.
            let mut decodable = false;
            let mut last_pli: Option<Instant> = None;
            while let Some(event) = track.poll().await {
                match event {
                    TrackRemoteEvent::OnRtpPacket(packet) => {
                        let Some(mut received) = parse(&packet.payload) else { continue };
                        if received.kind == 'V' && !decodable && !received.keyframe {
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
                        record.lock().unwrap().received.push(received);
                    }
                    TrackRemoteEvent::OnEnded => break,
                    _ => {}
                }
            }
            record.lock().unwrap().tracks.insert(id, true);
        });
    }
}

fn local_track(id: u8, kind: RtpCodecKind, ssrc: u32, codec: RTCRtpCodec) -> Arc<TrackLocalStaticRTP> {
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

impl Client {
    /// A client bound to 127.0.0.1 only, with a mic and a camera track not yet negotiated.
    pub async fn new(key: PeerKey) -> Arc<Client> {
        let id = key.participant as u8;
        let mut engine = MediaEngine::default();
        engine
            .register_codec(RTCRtpCodecParameters { rtp_codec: opus(), payload_type: AUDIO_PT }, RtpCodecKind::Audio)
            .unwrap();
        engine
            .register_codec(RTCRtpCodecParameters { rtp_codec: vp8(), payload_type: VIDEO_PT }, RtpCodecKind::Video)
            .unwrap();
        let registry = register_default_interceptors(Registry::new(), &mut engine)
            .unwrap()
            .with(Slot::from(14_000), KeyframeTap::default());
        let record = Arc::new(Mutex::new(Record::default()));
        let (candidates_tx, candidates_rx) = tokio::sync::mpsc::unbounded_channel();
        let handler = Arc::new(Handler { record: Arc::clone(&record), candidates: candidates_tx });
        let pc = PeerConnectionBuilder::new()
            .with_configuration(RTCConfigurationBuilder::new().build())
            .with_media_engine(engine)
            .with_interceptor_registry(registry)
            .with_setting_engine(
                SettingEngineBuilder::new().with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled).build(),
            )
            .with_handler(handler)
            .with_udp_addrs(vec!["127.0.0.1:0"])
            .build()
            .await
            .expect("client peer connection");
        let pc: Arc<dyn PeerConnection> = Arc::new(pc);
        let audio = local_track(id, RtpCodecKind::Audio, 1000 + u32::from(id), opus());
        let video = local_track(id, RtpCodecKind::Video, 2000 + u32::from(id), vp8());
        Arc::new(Client {
            key,
            id,
            pc,
            record,
            negotiation: tokio::sync::Mutex::new(()),
            plis: Arc::new(AtomicU32::new(0)),
            keyframe_wanted: Arc::new(AtomicBool::new(true)),
            audio,
            video,
            sent_audio: AtomicU32::new(0),
            sent_video: AtomicU32::new(0),
            candidates: Mutex::new(Some(candidates_rx)),
        })
    }

    /// Adds the mic and camera and offers them; on glare waits for the server offer to be
    /// answered (by the signalling loop) and offers again.
    pub async fn publish(self: &Arc<Self>, sfu: &Sfu) {
        self.pc.add_track(self.audio.clone()).await.unwrap();
        self.pc.add_track(self.video.clone()).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let _chain = self.negotiation.lock().await;
            let offer = self.pc.create_offer(None).await.unwrap();
            match sfu.offer(self.key, offer.sdp.clone()).await {
                Ok(answer) => {
                    self.pc.set_local_description(offer).await.unwrap();
                    self.pc.set_remote_description(RTCSessionDescription::answer(answer).unwrap()).await.unwrap();
                    break;
                }
                Err(err) if err.is_glare() && Instant::now() < deadline => {
                    drop(_chain);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(err) => panic!("offer of {:?} refused: {err}", self.key),
            }
        }
        self.spawn_feedback_reader();
    }

    /// Answers a server offer (called by the signalling loop). A client that already closed (it
    /// left while the offer was on its way) ignores it, as a closed browser tab would.
    pub async fn answer(&self, sfu: &Sfu, sdp: String) {
        let _chain = self.negotiation.lock().await;
        self.record.lock().unwrap().offers.push(sdp.clone());
        let offer = RTCSessionDescription::offer(sdp).expect("server offer parses");
        if let Err(err) = self.pc.set_remote_description(offer).await {
            eprintln!("client {:?} ignores a server offer: {err}", self.key);
            return;
        }
        let Ok(answer) = self.pc.create_answer(None).await else { return };
        if self.pc.set_local_description(answer.clone()).await.is_err() {
            return;
        }
        match sfu.answer(self.key, answer.sdp).await {
            // The participant left while this answer was on its way.
            Ok(()) | Err(balie_media::Error::UnknownPeer(_)) => {}
            Err(err) => eprintln!("server refused the answer of {:?}: {err}", self.key),
        }
    }

    pub async fn add_candidate(&self, candidate: IceCandidate) {
        let init = RTCIceCandidateInit {
            candidate: candidate.candidate,
            sdp_mid: candidate.sdp_mid,
            sdp_mline_index: candidate.sdp_m_line_index,
            ..Default::default()
        };
        // Candidates can race ahead of the offer they belong to; retry briefly.
        for _ in 0..50 {
            if self.pc.add_ice_candidate(init.clone()).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        eprintln!("client {:?} could not add a server candidate", self.key);
    }

    fn spawn_feedback_reader(&self) {
        let video = Arc::clone(&self.video);
        let plis = Arc::clone(&self.plis);
        let wanted = Arc::clone(&self.keyframe_wanted);
        tokio::spawn(async move {
            while let Some(event) = video.poll().await {
                if let TrackLocalEvent::OnRtcpPacket(packets) = event {
                    let any = packets
                        .iter()
                        .any(|p| p.as_any().is::<PictureLossIndication>() || p.as_any().is::<FullIntraRequest>());
                    if any {
                        plis.fetch_add(1, Ordering::SeqCst);
                        wanted.store(true, Ordering::SeqCst);
                    }
                }
            }
        });
    }

    /// Sends one audio and one video packet; video is a keyframe when one was asked for.
    pub async fn send_tick(&self, tick: u32) {
        let audio_counter = self.sent_audio.fetch_add(1, Ordering::SeqCst);
        let audio = rtp::Packet {
            header: rtp::header::Header {
                version: 2,
                payload_type: AUDIO_PT,
                sequence_number: audio_counter as u16,
                timestamp: tick.wrapping_mul(960),
                ssrc: 1000 + u32::from(self.id),
                ..Default::default()
            },
            payload: Bytes::from(audio_payload(self.id, audio_counter)),
        };
        let _ = self.audio.write_rtp(audio).await;
        let keyframe = self.keyframe_wanted.swap(false, Ordering::SeqCst);
        let video_counter = self.sent_video.fetch_add(1, Ordering::SeqCst);
        let video = rtp::Packet {
            header: rtp::header::Header {
                version: 2,
                payload_type: VIDEO_PT,
                sequence_number: video_counter as u16,
                timestamp: tick.wrapping_mul(1800),
                ssrc: 2000 + u32::from(self.id),
                marker: true,
                ..Default::default()
            },
            payload: Bytes::from(video_payload(self.id, video_counter, keyframe)),
        };
        let _ = self.video.write_rtp(video).await;
    }

    pub async fn close(&self) {
        let _ = self.pc.close().await;
    }
}

/// Marks inbound PLI/FIR for the application, as the SFU does (see the SFU's engine module).
#[derive(Default)]
struct KeyframeTap {
    read: VecDeque<TaggedPacket>,
    write: VecDeque<TaggedPacket>,
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for KeyframeTap {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = rtc::shared::error::Error;
    type Time = Instant;

    fn handle_read(&mut self, mut msg: TaggedPacket) -> Result<(), Self::Error> {
        if let Packet::Rtcp(packets) = &msg.message.packet {
            let wanted: Vec<_> = packets
                .iter()
                .filter(|p| p.as_any().is::<PictureLossIndication>() || p.as_any().is::<FullIntraRequest>())
                .cloned()
                .collect();
            if wanted.is_empty() {
                return Ok(());
            }
            msg.message.packet = Packet::Rtcp(wanted);
            msg.message.add(Attribute::DeliverToApplication);
        }
        self.read.push_back(msg);
        Ok(())
    }
    fn poll_read(&mut self) -> Option<TaggedPacket> {
        self.read.pop_front()
    }
    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Self::Error> {
        self.write.push_back(msg);
        Ok(())
    }
    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.write.pop_front()
    }
}

impl Interceptor for KeyframeTap {
    fn bind_local_stream(&mut self, _: &StreamInfo) {}
    fn unbind_local_stream(&mut self, _: &StreamInfo) {}
    fn bind_remote_stream(&mut self, _: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _: &StreamInfo) {}
}

/// Routes the SFU's events to the test clients, like the signalling layer would; trickles the
/// clients' candidates to the SFU.
pub fn spawn_signalling(
    sfu: Sfu,
    mut events: tokio::sync::mpsc::UnboundedReceiver<balie_media::MediaEvent>,
    clients: Arc<Mutex<HashMap<PeerKey, Arc<Client>>>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            let peer = match &event {
                balie_media::MediaEvent::Offer { peer, .. }
                | balie_media::MediaEvent::Candidate { peer, .. }
                | balie_media::MediaEvent::State { peer, .. } => *peer,
            };
            let Some(client) = clients.lock().unwrap().get(&peer).cloned() else { continue };
            let sfu = sfu.clone();
            // Per event a task, as a real signalling layer handles peers concurrently.
            match event {
                balie_media::MediaEvent::Offer { sdp, .. } => client.answer(&sfu, sdp).await,
                balie_media::MediaEvent::Candidate { candidate, .. } => {
                    tokio::spawn(async move { client.add_candidate(candidate).await });
                }
                balie_media::MediaEvent::State { .. } => {}
            }
        }
    })
}

/// Starts trickling a client's candidates to the SFU.
pub fn trickle_to_sfu(client: &Arc<Client>, sfu: &Sfu) {
    let mut candidates = client.candidates.lock().unwrap().take().expect("trickle once");
    let (sfu, key) = (sfu.clone(), client.key);
    tokio::spawn(async move {
        while let Some(candidate) = candidates.recv().await {
            if let Err(err) = sfu.candidate(key, candidate).await {
                eprintln!("candidate for {key:?} refused: {err}");
            }
        }
    });
}
