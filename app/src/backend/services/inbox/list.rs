//! The inbox's list (filtered, paged by a cursor without gaps or repeats) and one conversation's detail.

use super::*;

pub(super) const PAGE: u64 = 50;

pub(super) fn cursor_of(c: &conversation::Model) -> String {
    format!("{}_{}", c.updated_at, c.id)
}

pub(super) fn parse_cursor(s: &str) -> Option<(i64, i64)> {
    let (a, b) = s.split_once('_')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// One page of the inbox, newest activity first; `cursor` continues after a page.
pub async fn inbox(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: InboxFilter,
    cursor: Option<&str>,
) -> Result<InboxPage, AppError> {
    let channels: Vec<i64> = visible_channels(db, actor)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let q = conversation::Entity::find()
        .filter(conversation::Column::AccountId.eq(actor.account.0))
        .filter(conversation::Column::ChannelId.is_in(channels));
    let q = match filter {
        InboxFilter::All => q,
        InboxFilter::Mine => q
            .filter(conversation::Column::OperatorUserId.eq(actor.user.0))
            .filter(active()),
        // As `ConversationView::shown_status`: every conversation not finished is either
        // waiting (nobody holds it) or open (someone does), whatever its first answer.
        InboxFilter::Waiting => q
            .filter(active())
            .filter(conversation::Column::OperatorUserId.is_null()),
        InboxFilter::Open => q
            .filter(active())
            .filter(conversation::Column::OperatorUserId.is_not_null()),
        InboxFilter::Closed => q.filter(conversation::Column::Status.eq(ConversationStatus::Closed.as_str())),
        InboxFilter::Pinned => q.filter(
            conversation::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(conversation_pin::Column::ConversationId)
                    .from(conversation_pin::Entity)
                    .and_where(conversation_pin::Column::UserId.eq(actor.user.0))
                    .to_owned(),
            ),
        ),
    };
    let (rows, next) = page_of(db, q, cursor).await?;
    Ok(InboxPage {
        items: conversation_views(db, &rows).await?,
        next,
    })
}

/// One page of the conversations `q` selects, newest activity first, after `cursor`;
/// with the cursor of the next page when there is one.
pub(crate) async fn page_of(
    db: &impl ConnectionTrait,
    mut q: sea_orm::Select<conversation::Entity>,
    cursor: Option<&str>,
) -> Result<(Vec<conversation::Model>, Option<String>), AppError> {
    if let Some((u, i)) = cursor.and_then(parse_cursor) {
        q = q.filter(
            Condition::any().add(conversation::Column::UpdatedAt.lt(u)).add(
                Condition::all()
                    .add(conversation::Column::UpdatedAt.eq(u))
                    .add(conversation::Column::Id.lt(i)),
            ),
        );
    }
    let mut rows = q
        .order_by_desc(conversation::Column::UpdatedAt)
        .order_by_desc(conversation::Column::Id)
        .limit(PAGE + 1)
        .all(db)
        .await
        .or_internal()?;
    let more = rows.len() as u64 > PAGE;
    rows.truncate(PAGE as usize);
    let next = if more { rows.last().map(cursor_of) } else { None };
    Ok((rows, next))
}

/// A conversation as the inbox opens it: header, last messages, what "Start new
/// conversation" would do.
pub async fn detail(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: ConversationId,
) -> Result<ConversationDetail, AppError> {
    let c = operator_conversation(db, actor, id).await?;
    let messages = crate::backend::services::conversations::messages_before(
        db,
        &Viewer::Operator(actor),
        id,
        i64::MAX,
        PAGE,
    )
    .await?;
    let customer_conversations = conversation::Entity::find()
        .filter(conversation::Column::ChannelId.eq(c.channel_id))
        .filter(conversation::Column::CustomerUserId.eq(c.customer_user_id))
        .filter(conversation::Column::CustomerAccountId.eq(c.customer_account_id))
        .count(db)
        .await
        .or_internal()? as i64;
    Ok(ConversationDetail {
        has_older: messages.first().is_some_and(|m| m.seq > 1),
        conversation: conversation_view(db, &c).await?,
        messages,
        split: split_rule_of(db, &c).await?,
        customer_conversations,
        notes: crate::backend::services::notes::of(db, c.id).await?,
    })
}
