//! Recognises the first packet of a keyframe, so a subscriber starts or switches layers where the
//! decoder can start too.

/// The codecs the SFU can see keyframes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    Vp8,
    H264,
    /// Audio, or a video codec whose payload the SFU does not parse: every packet is a valid
    /// starting point (for audio that is true; for unknown video the decoder copes as it can).
    Opaque,
}

impl Codec {
    pub(crate) fn from_mime(mime: &str) -> Codec {
        if mime.eq_ignore_ascii_case("video/VP8") {
            Codec::Vp8
        } else if mime.eq_ignore_ascii_case("video/H264") {
            Codec::H264
        } else {
            Codec::Opaque
        }
    }

    /// Whether `payload` (an RTP payload in this codec) starts a keyframe.
    pub(crate) fn starts_keyframe(self, payload: &[u8]) -> bool {
        match self {
            Codec::Vp8 => vp8_starts_keyframe(payload),
            Codec::H264 => h264_starts_keyframe(payload),
            Codec::Opaque => true,
        }
    }
}

/// RFC 7741 §4.2 payload descriptor, then the VP8 frame tag's inverse key-frame bit (RFC 6386
/// §9.1). Only the first packet of partition 0 (S=1, PID=0) carries the frame tag.
fn vp8_starts_keyframe(payload: &[u8]) -> bool {
    let Some(&first) = payload.first() else {
        return false;
    };
    let extended = first & 0x80 != 0;
    let start = first & 0x10 != 0;
    let partition = first & 0x07;
    if !start || partition != 0 {
        return false;
    }
    let mut at = 1;
    if extended {
        let Some(&ext) = payload.get(at) else {
            return false;
        };
        at += 1;
        if ext & 0x80 != 0 {
            // PictureID: one byte, or two when its M bit is set.
            let Some(&picture) = payload.get(at) else {
                return false;
            };
            at += if picture & 0x80 != 0 { 2 } else { 1 };
        }
        if ext & 0x40 != 0 {
            at += 1; // TL0PICIDX
        }
        if ext & 0x30 != 0 {
            at += 1; // TID/Y/KEYIDX
        }
    }
    payload.get(at).is_some_and(|tag| tag & 0x01 == 0)
}

/// RFC 6184: an IDR slice or a sequence parameter set (which encoders send right before an IDR)
/// as a single NAL unit, inside a STAP-A aggregate, or as the start of an FU-A fragment.
fn h264_starts_keyframe(payload: &[u8]) -> bool {
    const IDR: u8 = 5;
    const SPS: u8 = 7;
    const STAP_A: u8 = 24;
    const FU_A: u8 = 28;
    let is_key = |nal_type: u8| nal_type == IDR || nal_type == SPS;
    let Some(&header) = payload.first() else {
        return false;
    };
    match header & 0x1F {
        STAP_A => {
            let mut at = 1;
            while at + 2 < payload.len() {
                let size = usize::from(u16::from_be_bytes([payload[at], payload[at + 1]]));
                let Some(&nal) = payload.get(at + 2) else {
                    return false;
                };
                if size > 0 && is_key(nal & 0x1F) {
                    return true;
                }
                at += 2 + size;
            }
            false
        }
        FU_A => payload.get(1).is_some_and(|fu| fu & 0x80 != 0 && is_key(fu & 0x1F)),
        nal_type => is_key(nal_type),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vp8_keyframe_without_extension() {
        // S=1 PID=0, then a frame tag with P=0.
        assert!(Codec::Vp8.starts_keyframe(&[0x10, 0x00, 0x9d, 0x01, 0x2a]));
        // Interframe: P=1.
        assert!(!Codec::Vp8.starts_keyframe(&[0x10, 0x01]));
        // Not the start of the partition.
        assert!(!Codec::Vp8.starts_keyframe(&[0x00, 0x00]));
    }

    #[test]
    fn vp8_keyframe_with_two_byte_picture_id_and_tl0_and_tid() {
        // X=1 S=1; I=1 L=1 T=1; PictureID with M=1 (two bytes); TL0PICIDX; TID; frame tag P=0.
        let key = [0x90, 0xE0, 0x80, 0x01, 0x05, 0x20, 0x00];
        assert!(Codec::Vp8.starts_keyframe(&key));
        let delta = [0x90, 0xE0, 0x80, 0x01, 0x05, 0x20, 0x01];
        assert!(!Codec::Vp8.starts_keyframe(&delta));
    }

    #[test]
    fn vp8_truncated_input_is_not_a_keyframe_and_does_not_panic() {
        for bytes in [&[][..], &[0x90], &[0x90, 0x80], &[0x90, 0x80, 0x80], &[0x10]] {
            assert!(!Codec::Vp8.starts_keyframe(bytes));
        }
    }

    #[test]
    fn h264_idr_sps_stap_a_and_fu_a() {
        assert!(Codec::H264.starts_keyframe(&[0x65, 0x88])); // IDR
        assert!(Codec::H264.starts_keyframe(&[0x67, 0x42])); // SPS
        assert!(!Codec::H264.starts_keyframe(&[0x41, 0x9a])); // non-IDR slice
                                                              // STAP-A holding SPS (size 2) and PPS (size 1).
        assert!(Codec::H264.starts_keyframe(&[0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x01, 0x68]));
        // FU-A start of an IDR, and a middle fragment of one.
        assert!(Codec::H264.starts_keyframe(&[0x7c, 0x85, 0x00]));
        assert!(!Codec::H264.starts_keyframe(&[0x7c, 0x05, 0x00]));
        // Truncated aggregates do not panic.
        assert!(!Codec::H264.starts_keyframe(&[0x78, 0xff]));
        assert!(!Codec::H264.starts_keyframe(&[]));
    }

    #[test]
    fn codec_from_mime_is_case_insensitive() {
        assert_eq!(Codec::from_mime("video/vp8"), Codec::Vp8);
        assert_eq!(Codec::from_mime("video/H264"), Codec::H264);
        assert_eq!(Codec::from_mime("audio/opus"), Codec::Opaque);
        assert!(Codec::Opaque.starts_keyframe(&[]));
    }
}
