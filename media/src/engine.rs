//! Builds the webrtc peer connections the SFU owns: codecs, interceptors, and the sockets.

use crate::ports::Lease;
use crate::{Error, MediaConfig};
use rtc::ice::mdns::MulticastDnsMode;
use rtc::interceptor::{Attribute, Interceptor, Packet, Slot, StreamInfo, TaggedPacket};
use rtc::peer_connection::configuration::media_engine::{MIME_TYPE_H264, MIME_TYPE_OPUS, MIME_TYPE_VP8};
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp_transceiver::rtp_sender::{RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RtpCodecKind};
use rtc::sansio::Protocol;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use webrtc::peer_connection::{
    register_default_interceptors, MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler,
    RTCConfigurationBuilder, Registry, SettingEngineBuilder,
};

/// The codecs the SFU forwards. Deliberately few: every subscriber must accept the publisher's
/// codec unchanged (no transcoding), so offering exotic ones would only create tracks some
/// participants cannot decode. No RTX: browsers then retransmit NACKed packets on the media SSRC,
/// which the SFU forwards like any other packet.
fn media_engine() -> Result<MediaEngine, Error> {
    let video_feedback = || {
        [("goog-remb", ""), ("ccm", "fir"), ("nack", ""), ("nack", "pli")]
            .into_iter()
            .map(|(typ, parameter)| RTCPFeedback { typ: typ.to_owned(), parameter: parameter.to_owned() })
            .collect::<Vec<_>>()
    };
    let codec = |mime: &str, clock_rate, channels, fmtp: &str, feedback, payload_type| RTCRtpCodecParameters {
        rtp_codec: RTCRtpCodec {
            mime_type: mime.to_owned(),
            clock_rate,
            channels,
            sdp_fmtp_line: fmtp.to_owned(),
            rtcp_feedback: feedback,
        },
        payload_type,
    };
    let mut engine = MediaEngine::default();
    engine
        .register_codec(codec(MIME_TYPE_OPUS, 48000, 2, "minptime=10;useinbandfec=1", vec![], 111), RtpCodecKind::Audio)
        .map_err(Error::engine)?;
    for video in [
        codec(MIME_TYPE_VP8, 90000, 0, "", video_feedback(), 96),
        codec(
            MIME_TYPE_H264,
            90000,
            0,
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
            video_feedback(),
            125,
        ),
        codec(
            MIME_TYPE_H264,
            90000,
            0,
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
            video_feedback(),
            102,
        ),
    ] {
        engine.register_codec(video, RtpCodecKind::Video).map_err(Error::engine)?;
    }
    Ok(engine)
}

/// Builds one participant's peer connection, bound to the configured addresses only.
pub(crate) async fn build_peer_connection(
    config: &MediaConfig,
    lease: Lease,
    handler: Arc<dyn PeerConnectionEventHandler>,
) -> Result<Arc<dyn PeerConnection>, Error> {
    let mut media_engine = media_engine()?;
    // NACK, RTCP reports, TWCC and the simulcast header extensions (mid, rid) Chromium needs.
    let registry = register_default_interceptors(Registry::new(), &mut media_engine)
        .map_err(Error::engine)?
        // Application-most, so the report and NACK interceptors have seen everything first.
        .with(Slot::from(14_000), KeyframeRequestTap::default());

    let settings = SettingEngineBuilder::new()
        // mDNS would open a multicast socket on every interface; the SFU announces plain
        // addresses, so it has no use for it.
        .with_multicast_dns_mode(MulticastDnsMode::Disabled)
        // Both sides offer on this connection (server offers for subscriptions, the page for
        // publishing). The DTLS role is fixed by the first exchange: when the page answered a
        // server offer with `setup:active`, the server is the DTLS server. rtc 0.21.1 answers
        // with its configured role every time, so it must be the server's (`passive`), or the
        // page's later offer gets `setup:active` back and Chromium fails "to set SSL role".
        .with_answering_dtls_role(rtc::peer_connection::transport::RTCDtlsRole::Server)
        .build();

    let udp: Vec<SocketAddr> = config.bind_ips.iter().map(|ip| SocketAddr::new(*ip, lease.0)).collect();
    let tcp: Vec<SocketAddr> = match config.tcp_port {
        Some(port) => config.bind_ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect(),
        None => Vec::new(),
    };

    let pc = PeerConnectionBuilder::new()
        // No STUN/TURN servers: the SFU's host candidates are its announced addresses.
        .with_configuration(RTCConfigurationBuilder::new().build())
        .with_media_engine(media_engine)
        .with_interceptor_registry(registry)
        .with_setting_engine(settings)
        .with_handler(handler)
        .with_udp_addrs(udp)
        .with_tcp_addrs(tcp)
        .build()
        .await
        .map_err(Error::engine)?;
    Ok(Arc::new(pc))
}

/// Hands inbound keyframe requests (PLI, FIR) from subscribers to the application so they can be
/// relayed to the publisher. Inbound RTCP otherwise ends inside the interceptor chain.
#[derive(Default)]
struct KeyframeRequestTap {
    read: VecDeque<TaggedPacket>,
    write: VecDeque<TaggedPacket>,
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for KeyframeRequestTap {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = rtc::shared::error::Error;
    type Time = Instant;

    fn handle_read(&mut self, mut msg: TaggedPacket) -> Result<(), Self::Error> {
        if let Packet::Rtcp(packets) = &msg.message.packet {
            let requests: Vec<_> =
                packets.iter().filter(|packet| is_keyframe_request(packet.as_ref())).cloned().collect();
            if requests.is_empty() {
                // Reports and NACKs were consumed by the interceptors before this one.
                return Ok(());
            }
            msg.message.packet = Packet::Rtcp(requests);
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

impl Interceptor for KeyframeRequestTap {
    fn bind_local_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_local_stream(&mut self, _info: &StreamInfo) {}
    fn bind_remote_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _info: &StreamInfo) {}
}

pub(crate) fn is_keyframe_request(packet: &dyn rtc::rtcp::Packet) -> bool {
    let any = packet.as_any();
    any.is::<PictureLossIndication>() || any.is::<FullIntraRequest>()
}
