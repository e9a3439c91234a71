//! The signalling WebSocket (`/api/v1/signalisatie`). The token comes in the first message, not
//! the URL, so it never reaches an access log. Everything after `join` goes to the call's task
//! in the hub; this module only checks the link, enforces the per-connection limits and moves
//! frames.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use balie_booking::calls::{check_link, ParticipantRole, Refusal};
use balie_signaling::limits::{RateLimit, MAX_FRAME_BYTES};
use balie_signaling::protocol::{self, ClientMessage, ErrorCode, Role, ServerMessage, PROTOCOL_VERSION};
use balie_signaling::{Admission, Outbound};
use futures::{SinkExt, StreamExt};

use super::now;
use crate::state::AppState;

/// A socket must say who it is this soon after opening.
const JOIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Frames up to this size are read and, if over [`MAX_FRAME_BYTES`], answered with `too_large`;
/// bigger ones close the socket.
const TRANSPORT_LIMIT: usize = 16 * MAX_FRAME_BYTES;

pub async fn upgrade(State(state): State<AppState>, ws: WebSocketUpgrade) -> Response {
    ws.max_message_size(TRANSPORT_LIMIT).max_frame_size(TRANSPORT_LIMIT).on_upgrade(move |socket| serve(state, socket))
}

fn text(msg: &ServerMessage) -> Message {
    Message::Text(Utf8Bytes::from(serde_json::to_string(msg).expect("server messages serialise")))
}

/// How long a closing socket waits for the client's half of the closing handshake.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

async fn refuse(socket: &mut WebSocket, code: ErrorCode, message: &str) {
    let _ = socket.send(text(&ServerMessage::error(code, message, Some("join")))).await;
    let _ = socket.send(Message::Close(Some(CloseFrame { code: 4000, reason: Utf8Bytes::from(code.as_str()) }))).await;
    // Wait for the client's Close before dropping the connection: dropping a TCP socket with
    // unread input resets it, and a reset can destroy the error message in the client's buffer.
    let _ = tokio::time::timeout(CLOSE_WAIT, async { while let Some(Ok(_)) = socket.recv().await {} }).await;
}

/// Reads `join` and checks the link; on success, who joins and whether they resume.
async fn join(state: &AppState, socket: &mut WebSocket) -> Option<(i64, Admission, bool)> {
    let first = match tokio::time::timeout(JOIN_TIMEOUT, socket.recv()).await {
        Ok(Some(Ok(Message::Text(t)))) => t,
        Ok(Some(Ok(_))) => {
            refuse(socket, ErrorCode::JoinFirst, "the first message must be a join message").await;
            return None;
        }
        _ => return None,
    };
    let (v, token, resume, device_check) = match protocol::parse(first.as_str()) {
        Ok(ClientMessage::Join { v, token, resume, device_check }) => (v, token, resume, device_check),
        Ok(_) => {
            refuse(socket, ErrorCode::JoinFirst, "the first message must be a join message").await;
            return None;
        }
        Err(e) => {
            refuse(socket, ErrorCode::Malformed, &e).await;
            return None;
        }
    };
    if v != PROTOCOL_VERSION {
        let msg = format!("this server speaks protocol version {PROTOCOL_VERSION}; please reload the page");
        refuse(socket, ErrorCode::UnsupportedVersion, &msg).await;
        return None;
    }
    let found = match state.store.participant_by_token(&token).await {
        Ok(found) => found,
        Err(e) => {
            tracing::error!(error = %e, "looking up a call link");
            refuse(socket, ErrorCode::Internal, "something went wrong on our side; please try again").await;
            return None;
        }
    };
    let checked = match &found {
        None => Err(Refusal::Unknown),
        Some((p, ended_at)) => check_link(p, *ended_at, now()),
    };
    if let Err(refusal) = checked {
        let (code, message) = match refusal {
            Refusal::Unknown => (ErrorCode::TokenUnknown, "this link is not valid".to_string()),
            Refusal::Revoked => (ErrorCode::TokenRevoked, "this link has been withdrawn".to_string()),
            Refusal::NotYetValid { from } => {
                (ErrorCode::TokenNotYetValid, format!("this link opens at {}", balie_booking::time::format_local(from)))
            }
            Refusal::Expired => (ErrorCode::TokenExpired, "this link has expired".to_string()),
            Refusal::CallEnded => (ErrorCode::CallEnded, "this call has ended".to_string()),
        };
        refuse(socket, code, &message).await;
        return None;
    }
    let (p, _) = found.expect("checked");
    let role = match p.role {
        ParticipantRole::Agent => Role::Agent,
        ParticipantRole::Citizen => Role::Citizen,
        ParticipantRole::Guest => Role::Guest,
    };
    Some((p.call_id, Admission { id: p.id, name: p.name, role, device_check }, resume))
}

async fn serve(state: AppState, mut socket: WebSocket) {
    let Some((call, who, resume)) = join(&state, &mut socket).await else { return };
    let participant = who.id;
    let ice = state.ice.servers_for(participant, now());
    let (conn, mut outbound) = state.hub.connect(call, who, resume, ice);
    tracing::info!(call, participant, conn, "signalling socket joined");
    let (mut sink, mut stream) = socket.split();
    let mut rate = RateLimit::default();
    loop {
        tokio::select! {
            frame = stream.next() => match frame {
                Some(Ok(Message::Text(t))) => {
                    if t.len() > MAX_FRAME_BYTES {
                        let msg = format!("a message may be at most {MAX_FRAME_BYTES} bytes");
                        if sink.send(text(&ServerMessage::error(ErrorCode::TooLarge, msg, None))).await.is_err() { break }
                        continue;
                    }
                    if !rate.allow(now()) {
                        let err = ServerMessage::error(ErrorCode::RateLimited, "too many messages; slow down", None);
                        if sink.send(text(&err)).await.is_err() { break }
                        continue;
                    }
                    match protocol::parse(t.as_str()) {
                        Ok(msg) => state.hub.receive(call, conn, msg),
                        Err(e) => {
                            let err = ServerMessage::error(ErrorCode::Malformed, e, None);
                            if sink.send(text(&err)).await.is_err() { break }
                        }
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    let err = ServerMessage::error(ErrorCode::Malformed, "send JSON text frames, not binary", None);
                    if sink.send(text(&err)).await.is_err() { break }
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                // Closed, or a protocol violation such as a frame over the size limit.
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
            },
            out = outbound.recv() => match out {
                Some(Outbound::Message(m)) => if sink.send(text(&m)).await.is_err() { break },
                Some(Outbound::Close) | None => {
                    let _ = sink.send(Message::Close(Some(CloseFrame { code: 1000, reason: Utf8Bytes::from_static("bye") }))).await;
                    // As in `refuse`: let the client finish the closing handshake.
                    let _ = tokio::time::timeout(CLOSE_WAIT, async { while let Some(Ok(_)) = stream.next().await {} }).await;
                    break;
                }
            },
        }
    }
    state.hub.disconnect(call, conn);
    tracing::info!(call, participant, conn, "signalling socket closed");
}
