//! `USER_CODE`: how REST names a customer's conversation with a channel.

use super::*;

/// Netlines' form of Bitrix24's `USER_CODE` (`connector|line|chat|user`): the
/// connector, the channel, the account the customer writes from and the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserCode {
    pub channel: ChannelId,
    pub customer_account: AccountId,
    pub customer: UserId,
}

impl UserCode {
    pub const CONNECTOR: &'static str = "network";

    /// `network|{channel}|{customer account}|{customer}`; anything else is `None`.
    pub fn parse(raw: &str) -> Option<Self> {
        let mut parts = raw.trim().split('|');
        if parts.next()? != Self::CONNECTOR {
            return None;
        }
        let mut id = || parts.next()?.parse::<i64>().ok().filter(|n| *n > 0);
        let code = UserCode {
            channel: ChannelId(id()?),
            customer_account: AccountId(id()?),
            customer: UserId(id()?),
        };
        parts.next().is_none().then_some(code)
    }

    pub fn of(c: &conversation::Model) -> Self {
        UserCode {
            channel: ChannelId(c.channel_id),
            customer_account: AccountId(c.customer_account_id),
            customer: UserId(c.customer_user_id),
        }
    }
}

impl std::fmt::Display for UserCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}|{}|{}|{}",
            Self::CONNECTOR,
            self.channel.0,
            self.customer_account.0,
            self.customer.0
        )
    }
}

/// The user code of conversation `id` (no rights checked: callers check them first).
pub async fn user_code_of(db: &impl ConnectionTrait, id: ConversationId) -> Result<UserCode, AppError> {
    conversation::Entity::find_by_id(id.0)
        .one(db)
        .await
        .or_internal()?
        .map(|c| UserCode::of(&c))
        .ok_or(AppError::NotFound)
}

/// The conversation an operator opens for a customer (`imopenlines.session.open`): the
/// newest one still going, else the newest finished one. `NotFound` both when there is
/// none and when the actor may not see it, so nobody learns who writes to whom.
pub async fn open_by_user_code(
    db: &impl ConnectionTrait,
    actor: &Actor,
    code: UserCode,
) -> Result<ConversationId, AppError> {
    let rows = conversation::Entity::find()
        .filter(conversation::Column::ChannelId.eq(code.channel.0))
        .filter(conversation::Column::CustomerAccountId.eq(code.customer_account.0))
        .filter(conversation::Column::CustomerUserId.eq(code.customer.0))
        .order_by_desc(conversation::Column::Id)
        .all(db)
        .await
        .or_internal()?;
    let found = rows
        .iter()
        .find(|c| c.status != ConversationStatus::Closed.as_str())
        .or_else(|| rows.first())
        .ok_or(AppError::NotFound)?;
    let id = ConversationId(found.id);
    match operator_conversation(db, actor, id).await {
        Ok(_) => Ok(id),
        Err(AppError::Forbidden) => Err(AppError::NotFound),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod user_code_tests {
    use super::*;

    #[test]
    fn user_codes_read_back_what_they_write_and_nothing_else() {
        let c = UserCode {
            channel: ChannelId(3),
            customer_account: AccountId(7),
            customer: UserId(11),
        };
        assert_eq!(c.to_string(), "network|3|7|11");
        assert_eq!(UserCode::parse("network|3|7|11"), Some(c));
        assert_eq!(UserCode::parse(" network|3|7|11 "), Some(c));
        for bad in [
            "",
            "network",
            "network|3|7",
            "network|3|7|11|1",
            "livechat|3|7|11",
            "network|x|7|11",
            "network|0|7|11",
            "network|-3|7|11",
            "network|3||11",
        ] {
            assert_eq!(UserCode::parse(bad), None, "{bad}");
        }
    }
}
