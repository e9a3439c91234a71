//! A test participant: balie-simclient's synthetic participant, with its signalling carried
//! straight to the `Sfu` handle (the web crate's WebSocket layer is not under test here).

use balie_media::{IceCandidate, PeerKey, Sfu};
use balie_simclient::{Candidate, Participant, Settings};
use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[allow(unused_imports)] // used by some of the test binaries that share this module
pub use balie_simclient::Kind;

pub struct Client {
    pub key: PeerKey,
    participant: Arc<Participant>,
}

impl Deref for Client {
    type Target = Participant;
    fn deref(&self) -> &Participant {
        &self.participant
    }
}

impl Client {
    /// A client bound to 127.0.0.1 only, keeping every packet it receives.
    pub async fn new(key: PeerKey) -> Arc<Client> {
        let settings = Settings { id: key.participant as u32, bind: Ipv4Addr::LOCALHOST.into(), keep_packets: true };
        let participant = Participant::new(settings).await.expect("client peer connection");
        Arc::new(Client { key, participant })
    }

    /// Adds the mic and camera and offers them; on glare waits for the server offer to be
    /// answered (by the signalling loop) and offers again.
    pub async fn publish(&self, sfu: &Sfu) {
        self.add_media().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let chain = self.negotiation.lock().await;
            let offer = self.create_offer().await.unwrap();
            match sfu.offer(self.key, offer.sdp.clone()).await {
                Ok(answer) => {
                    self.apply_offer(offer, answer).await.unwrap();
                    break;
                }
                Err(err) if err.is_glare() && Instant::now() < deadline => {
                    drop(chain);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(err) => panic!("offer of {:?} refused: {err}", self.key),
            }
        }
    }

    /// Answers a server offer (called by the signalling loop).
    pub async fn answer_server(&self, sfu: &Sfu, sdp: String) {
        let Some(answer) = self.participant.answer(sdp).await else {
            eprintln!("client {:?} ignores a server offer", self.key);
            return;
        };
        match sfu.answer(self.key, answer).await {
            // The participant left while this answer was on its way.
            Ok(()) | Err(balie_media::Error::UnknownPeer(_)) => {}
            Err(err) => eprintln!("server refused the answer of {:?}: {err}", self.key),
        }
    }
}

/// Routes the SFU's events to the test clients, like the signalling layer would.
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
            match event {
                balie_media::MediaEvent::Offer { sdp, .. } => client.answer_server(&sfu, sdp).await,
                // Per candidate a task, as a real signalling layer handles peers concurrently.
                balie_media::MediaEvent::Candidate { candidate, .. } => {
                    tokio::spawn(async move {
                        let candidate = Candidate {
                            candidate: candidate.candidate,
                            sdp_mid: candidate.sdp_mid,
                            sdp_m_line_index: candidate.sdp_m_line_index,
                        };
                        if let Err(err) = client.add_candidate(candidate).await {
                            eprintln!("client {:?} could not add a server candidate: {err}", client.key);
                        }
                    });
                }
                balie_media::MediaEvent::State { .. } => {}
            }
        }
    })
}

/// Starts trickling a client's candidates to the SFU.
pub fn trickle_to_sfu(client: &Arc<Client>, sfu: &Sfu) {
    let mut candidates = client.take_candidates().expect("trickle once");
    let (sfu, key) = (sfu.clone(), client.key);
    tokio::spawn(async move {
        while let Some(c) = candidates.recv().await {
            let candidate =
                IceCandidate { candidate: c.candidate, sdp_mid: c.sdp_mid, sdp_m_line_index: c.sdp_m_line_index };
            if let Err(err) = sfu.candidate(key, candidate).await {
                eprintln!("candidate for {key:?} refused: {err}");
            }
        }
    });
}
