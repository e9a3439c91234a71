//! One participant's signalling session over balie's WebSocket protocol (docs/signaling.md):
//! join with the link's token, pass the lobby (the agent admits the others), offer once, answer
//! the server's offers, trickle candidates both ways, leave when told to.

use crate::api::Link;
use anyhow::{bail, Context};
use balie_simclient::{Candidate, Participant};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

/// Things that went wrong in sessions, summed over all of them.
#[derive(Default)]
pub struct Trouble {
    pub errors: AtomicU64,
    pub ended: AtomicU64,
}

/// Runs the session until `stop` turns true or the server ends it. `admitted` is signalled when
/// the participant is in the call and has sent its offer.
pub async fn run(
    ws_url: String,
    link: Link,
    participant: Arc<Participant>,
    mut stop: watch::Receiver<bool>,
    admitted: tokio::sync::oneshot::Sender<()>,
    trouble: Arc<Trouble>,
) -> anyhow::Result<()> {
    let (socket, _) = tokio_tungstenite::connect_async(ws_url.as_str()).await.context("open the signalling socket")?;
    let (mut tx, mut rx) = socket.split();
    let send = |value: Value| Message::Text(value.to_string().into());
    tx.send(send(json!({"type": "join", "v": 1, "token": link.token(), "resume": false}))).await?;
    let mut candidates = participant.take_candidates().context("candidates taken twice")?;
    let is_agent = link.role == "agent";
    let mut in_call = false;
    let mut admitted = Some(admitted);
    let mut let_in: HashSet<i64> = HashSet::new();

    loop {
        tokio::select! {
            _ = stop.changed() => {
                let _ = tx.send(send(json!({"type": "leave"}))).await;
                let _ = tx.close().await;
                return Ok(());
            }
            Some(candidate) = candidates.recv() => {
                tx.send(send(json!({"type": "candidate", "candidate": candidate}))).await?;
            }
            frame = rx.next() => {
                let Some(frame) = frame else { bail!("the server closed the socket") };
                let Message::Text(text) = frame? else { continue };
                let message: Value = serde_json::from_str(&text)?;
                match message["type"].as_str().unwrap_or("") {
                    "welcome" if is_agent => in_call = true,
                    "admitted" => in_call = true,
                    "lobby" => {
                        for waiting in message["waiting"].as_array().into_iter().flatten() {
                            let Some(id) = waiting["id"].as_i64() else { continue };
                            if let_in.insert(id) {
                                tx.send(send(json!({"type": "admit", "participant": id}))).await?;
                            }
                        }
                    }
                    "answer" => {
                        let sdp = message["sdp"].as_str().unwrap_or_default().to_string();
                        participant.accept_answer(sdp).await?;
                    }
                    "offer" => {
                        let sdp = message["sdp"].as_str().unwrap_or_default().to_string();
                        if let Some(answer) = participant.answer(sdp).await {
                            tx.send(send(json!({"type": "answer", "sdp": answer}))).await?;
                        }
                    }
                    "candidate" => {
                        let candidate: Candidate = serde_json::from_value(message["candidate"].clone())?;
                        let participant = Arc::clone(&participant);
                        let trouble = Arc::clone(&trouble);
                        tokio::spawn(async move {
                            if participant.add_candidate(candidate).await.is_err() {
                                trouble.errors.fetch_add(1, Ordering::Relaxed);
                            }
                        });
                    }
                    "error" => {
                        trouble.errors.fetch_add(1, Ordering::Relaxed);
                        eprintln!("loadgen: participant {} got an error: {text}", link.participant_id);
                    }
                    "ended" => {
                        trouble.ended.fetch_add(1, Ordering::Relaxed);
                        bail!("participant {} was ended: {text}", link.participant_id);
                    }
                    _ => {}
                }
                if in_call {
                    if let Some(admitted) = admitted.take() {
                        // Publish: one offer with the microphone and camera. The server offers
                        // from then on (when others' streams come and go); this side never
                        // offers again, so offers cannot cross.
                        participant.add_media().await?;
                        let _chain = participant.negotiation.lock().await;
                        let sdp = participant.offer().await?;
                        tx.send(send(json!({"type": "offer", "sdp": sdp}))).await?;
                        let _ = admitted.send(());
                    }
                }
            }
        }
    }
}
