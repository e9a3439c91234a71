// The connection-quality indicator of the call screen: from this page's own WebRTC statistics
// (round-trip time to the server and packet loss of what it receives), every 2 seconds. In words
// and bars, not colour alone.

import { onLanguageChange, t } from "../common/i18n.js";

/** good / fair / poor from round-trip time (seconds) and the fraction of packets lost. */
export function grade(rtt, loss) {
  if (rtt == null && loss == null) return "unknown";
  if ((rtt ?? 0) < 0.3 && (loss ?? 0) < 0.02) return "good";
  if ((rtt ?? 0) < 0.6 && (loss ?? 0) < 0.08) return "fair";
  return "poor";
}

/** Starts watching `pc`; returns a function that stops. */
export function watchQuality(pc, element) {
  let previous = { lost: 0, received: 0 };
  let current = "unknown";
  const render = () => {
    element.dataset.quality = current;
    element.textContent = t(`quality.${current}`);
  };
  render();
  onLanguageChange(render);
  const timer = setInterval(async () => {
    if (pc.connectionState === "closed") return;
    let rtt = null;
    let lost = 0;
    let received = 0;
    const stats = await pc.getStats();
    stats.forEach((s) => {
      if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded" && s.currentRoundTripTime != null) rtt = s.currentRoundTripTime;
      if (s.type === "inbound-rtp") {
        lost += s.packetsLost ?? 0;
        received += s.packetsReceived ?? 0;
      }
    });
    const dLost = Math.max(0, lost - previous.lost);
    const dReceived = Math.max(0, received - previous.received);
    previous = { lost, received };
    const loss = dLost + dReceived > 0 ? dLost / (dLost + dReceived) : null;
    const next = pc.connectionState === "connected" ? grade(rtt, loss) : "unknown";
    if (next !== current) {
      current = next;
      render();
    }
  }, 2000);
  return () => clearInterval(timer);
}
