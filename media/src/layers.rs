//! Which simulcast layer a subscriber gets.

use std::time::{Duration, Instant};

/// A layer that sent nothing for this long is paused: a browser drops its top layers when its
/// bandwidth estimate falls (or before it has ramped up), and a subscriber left on a paused layer
/// would see a frozen picture.
pub(crate) const PAUSED_AFTER: Duration = Duration::from_millis(1_000);

/// One simulcast encoding of a published video track as the SFU sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layer {
    pub ssrc: u32,
    pub rid: Option<String>,
    /// Bytes received so far: ranks layers whose names say nothing about their quality.
    pub bytes: u64,
    /// When its last packet arrived.
    pub last_packet: Option<Instant>,
}

impl Layer {
    pub(crate) fn is_live(&self, now: Instant) -> bool {
        self.last_packet.is_some_and(|at| now.saturating_duration_since(at) < PAUSED_AFTER)
    }
}

/// The layer to send to each subscriber of a call with `participants` members, among the layers
/// that are sending at `now` (all of them while none is, e.g. before the first packets).
///
/// The highest layer while the call is small (≤ 3, the common counter-plus-citizen case), the
/// middle one up to 6, the lowest beyond: a subscriber's downlink carries every other
/// participant's video, so the per-stream share shrinks as the call grows.
pub(crate) fn pick(layers: &[Layer], participants: usize, now: Instant) -> Option<u32> {
    let live: Vec<Layer> = layers.iter().filter(|layer| layer.is_live(now)).cloned().collect();
    let ranked = rank(if live.is_empty() { layers } else { &live });
    let index = match participants {
        0..=3 => ranked.len().checked_sub(1)?,
        4..=6 => ranked.len() / 2,
        _ => 0,
    };
    ranked.get(index).map(|layer| layer.ssrc)
}

/// Orders layers from lowest to highest quality: by rid where the rids are a naming scheme
/// browsers and apps commonly use (q/h/f, l/m/h, 0/1/2), otherwise by bytes received.
fn rank(layers: &[Layer]) -> Vec<&Layer> {
    let rids: Vec<String> =
        layers.iter().map(|layer| layer.rid.clone().unwrap_or_default().to_ascii_lowercase()).collect();
    let quarter_half_full = rids.iter().any(|rid| rid == "q" || rid == "f");
    let named_rank = |rid: &str| -> Option<u32> {
        match rid {
            "q" | "l" | "low" => Some(0),
            "h" if quarter_half_full => Some(1),
            "m" | "mid" => Some(1),
            "h" | "f" | "high" | "full" => Some(2),
            numeric => numeric.parse().ok(),
        }
    };
    let mut ranked: Vec<(&Layer, Option<u32>)> =
        layers.iter().zip(&rids).map(|(layer, rid)| (layer, named_rank(rid))).collect();
    if ranked.iter().all(|(_, rank)| rank.is_some()) {
        ranked.sort_by_key(|(_, rank)| *rank);
    } else {
        ranked.sort_by_key(|(layer, _)| layer.bytes);
    }
    ranked.into_iter().map(|(layer, _)| layer).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paused_layer_is_passed_over_until_it_sends_again() {
        let now = Instant::now();
        let sent = |ssrc, rid: &str, ago: u64| Layer {
            ssrc,
            rid: Some(rid.into()),
            bytes: 1,
            last_packet: Some(now - Duration::from_millis(ago)),
        };
        // The browser stopped sending "f" two seconds ago (its bandwidth estimate fell).
        let layers = [sent(1, "q", 10), sent(2, "h", 20), sent(3, "f", 2_000)];
        assert_eq!(pick(&layers, 3, now), Some(2));
        // "f" is back.
        let layers = [sent(1, "q", 10), sent(2, "h", 20), sent(3, "f", 5)];
        assert_eq!(pick(&layers, 3, now), Some(3));
        // Nothing has sent yet: rank all.
        let quiet = [sent(1, "q", 5_000), sent(2, "f", 5_000)];
        assert_eq!(pick(&quiet, 3, now), Some(2));
    }

    fn layer(ssrc: u32, rid: &str, bytes: u64) -> Layer {
        Layer { ssrc, rid: (!rid.is_empty()).then(|| rid.to_owned()), bytes, last_packet: None }
    }

    #[test]
    fn small_calls_get_the_highest_layer() {
        let layers = [layer(1, "f", 0), layer(2, "h", 0), layer(3, "q", 0)];
        assert_eq!(pick(&layers, 2, Instant::now()), Some(1));
        assert_eq!(pick(&layers, 3, Instant::now()), Some(1));
    }

    #[test]
    fn larger_calls_step_down() {
        let layers = [layer(1, "q", 0), layer(2, "h", 0), layer(3, "f", 0)];
        assert_eq!(pick(&layers, 5, Instant::now()), Some(2));
        assert_eq!(pick(&layers, 9, Instant::now()), Some(1));
    }

    #[test]
    fn h_means_high_in_the_low_mid_high_scheme() {
        let layers = [layer(1, "h", 0), layer(2, "m", 0), layer(3, "l", 0)];
        assert_eq!(pick(&layers, 2, Instant::now()), Some(1));
        assert_eq!(pick(&layers, 10, Instant::now()), Some(3));
    }

    #[test]
    fn unknown_names_are_ranked_by_bytes() {
        let layers = [layer(1, "alpha", 900), layer(2, "beta", 90_000), layer(3, "", 9)];
        assert_eq!(pick(&layers, 2, Instant::now()), Some(2));
        assert_eq!(pick(&layers, 10, Instant::now()), Some(3));
    }

    #[test]
    fn a_single_layer_is_always_picked_and_none_gives_none() {
        assert_eq!(pick(&[layer(5, "", 0)], 8, Instant::now()), Some(5));
        assert_eq!(pick(&[], 2, Instant::now()), None);
    }
}
