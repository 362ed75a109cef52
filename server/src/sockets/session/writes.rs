//! What a socket writes: messages (through the writer) and read receipts (batched on a task of their own).

use super::*;

/// Read receipts waiting per socket.
pub(super) const READ_QUEUE: usize = 64;

/// A socket's read receipts, stored one after another outside its loop; of several
/// receipts waiting for one conversation only the highest seq is stored. Errors go back
/// to the socket. Ends with the socket (its sender is dropped).
pub(super) async fn receipts(
    state: AppState,
    notes: mpsc::Sender<Box<ServerMsg>>,
    mut rx: mpsc::Receiver<(Party, ConversationId, i64)>,
) {
    let mut batch = Vec::with_capacity(READ_QUEUE);
    while rx.recv_many(&mut batch, READ_QUEUE).await > 0 {
        let mut latest: Vec<(Party, ConversationId, i64)> = Vec::new();
        for (side, c, seq) in batch.drain(..) {
            match latest.iter_mut().find(|(_, x, _)| *x == c) {
                Some(l) => {
                    l.0 = side;
                    l.2 = l.2.max(seq);
                }
                None => latest.push((side, c, seq)),
            }
        }
        for (side, c, seq) in latest {
            let r = reads::mark_read(&state.db, state.hub.as_ref(), &side.viewer(), c, seq).await;
            if let Err(e) = r {
                if notes.send(Box::new(error(None, e))).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Stores a message from the socket's party.
pub(super) async fn send(
    state: &AppState,
    party: &Party,
    client_id: &str,
    conversation: Option<ConversationId>,
    body: &str,
) -> Result<Ack, AppError> {
    let client_id = ClientMsgId::parse(client_id)?;
    let body = MessageBody::parse(body)?;
    let target = match (party, conversation) {
        (_, Some(id)) => Target::Existing(id),
        (Party::Customer { .. }, None) => Target::New,
        (Party::Operator { .. }, None) => {
            return Err(AppError::Invalid {
                field: Field::Conversation,
                code: Code::Required,
            })
        }
    };
    state
        .messages
        .append(Append {
            party: party.clone(),
            target,
            client_id,
            body,
        })
        .await
}

pub(super) fn error(client_id: Option<String>, error: AppError) -> ServerMsg {
    ServerMsg::Error { client_id, error }
}
