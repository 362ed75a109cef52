//! The one rule for adding a message to a conversation: [`admit`], a pure function of
//! what the store says about the conversation ([`Facts`]) and who writes ([`Party`]).
//!
//! Both paths ask it: the batched writer ([`super::batch`], [`super::sqlite`]) for
//! every append of a batch, and the full path ([`super::full`]) for its one message.
//! The batched writer stores only what is admitted with no [`Duties`]; anything else
//! goes to the full path, which refuses with the verdict's error or does the duties.
//! Rights are asked through [`crate::backend::policy`].

use crate::backend::entities::conversation;
use crate::backend::policy;
use crate::backend::principal::Party;
use crate::domain::conversation::ConversationStatus;
use crate::domain::{AccountId, UserId};
use crate::error::{AppError, Code, Field};

/// A conversation as the rules (and the batch) need it.
#[derive(Clone, Debug)]
pub struct ConvFacts {
    pub id: i64,
    pub channel_id: i64,
    pub account_id: i64,
    pub customer_user_id: i64,
    pub customer_account_id: i64,
    pub operator_user_id: Option<i64>,
    pub status: ConversationStatus,
    pub last_seq: i64,
}

impl From<&conversation::Model> for ConvFacts {
    fn from(c: &conversation::Model) -> Self {
        Self {
            id: c.id,
            channel_id: c.channel_id,
            account_id: c.account_id,
            customer_user_id: c.customer_user_id,
            customer_account_id: c.customer_account_id,
            operator_user_id: c.operator_user_id,
            status: ConversationStatus::parse(&c.status),
            last_seq: c.last_seq,
        }
    }
}

/// What the store says about one conversation and its channel, read in the writing
/// transaction.
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    pub conversation: &'a ConvFacts,
    /// The code of the channel's Network connector (none: it has none any more).
    pub code: Option<&'a str>,
    /// The channel is connected and active.
    pub available: bool,
    /// The channel is outside its working hours with an offline message to send.
    pub offline_message: bool,
    /// The writing operator is in the channel's queue (admins need not be).
    pub serving: bool,
}

/// What must happen with an admitted message besides storing it. Only the full path
/// does these; the batched writer hands such appends over to it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Duties {
    /// The operator's first reply: the conversation becomes answered (`open`).
    pub answer: bool,
    /// Nobody is assigned: the replying operator takes it (within their capacity).
    pub take: bool,
    /// Outside working hours: the offline message may be due (once per closed period).
    pub offline_notice: bool,
}

impl Duties {
    /// Nothing beyond the append: the batched writer may store it.
    pub fn none(&self) -> bool {
        *self == Duties::default()
    }
}

/// The answer for one message.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// It may be stored, with these duties.
    Admit(Duties),
    /// It may not; the error says why, as the writer reports it.
    Refuse(AppError),
}

/// May `party` add a message to the conversation described by `facts`?
///
/// - A customer: the conversation is theirs (that user, that account) and of the
///   channel behind their code, the channel is open to them ([`policy::channel_open_to`]) and
///   the conversation is not closed. Outside working hours the offline message may be
///   due.
/// - An operator or admin: the conversation is one they may work on
///   ([`policy::may_operate`]), not closed, and not assigned to someone else; when it is
///   unassigned they take it, and their first reply answers it.
pub fn admit(facts: &Facts<'_>, party: &Party) -> Verdict {
    match admit_or_refuse(facts, party) {
        Ok(duties) => Verdict::Admit(duties),
        Err(e) => Verdict::Refuse(e),
    }
}

fn admit_or_refuse(f: &Facts<'_>, party: &Party) -> Result<Duties, AppError> {
    let c = f.conversation;
    match party {
        Party::Customer { customer, code } => {
            let theirs = c.customer_user_id == customer.user.0 && c.customer_account_id == customer.account.0;
            if !theirs || f.code != Some(code.as_str()) {
                return Err(AppError::NotFound);
            }
            policy::channel_open_to(customer, AccountId(c.account_id), f.available)?;
            not_closed(c)?;
            Ok(Duties {
                offline_notice: f.offline_message,
                ..Duties::default()
            })
        }
        Party::Operator { actor, .. } => {
            policy::may_operate(actor, AccountId(c.account_id), f.serving)?;
            not_closed(c)?;
            let take = match c.operator_user_id {
                None => true,
                Some(op) if UserId(op) == actor.user => false,
                Some(_) => {
                    return Err(AppError::Conflict {
                        field: Field::Conversation,
                        code: Code::ConversationTaken,
                    })
                }
            };
            Ok(Duties {
                answer: c.status == ConversationStatus::New,
                take,
                ..Duties::default()
            })
        }
    }
}

fn not_closed(c: &ConvFacts) -> Result<(), AppError> {
    if c.status == ConversationStatus::Closed {
        return Err(AppError::Invalid {
            field: Field::Conversation,
            code: Code::ConversationClosed,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::principal::{Actor, Customer};
    use crate::domain::channel::ChannelCode;
    use crate::domain::{Role, Slug};

    const CODE: &str = "0123456789abcdef0123456789abcdef";

    fn conv() -> ConvFacts {
        ConvFacts {
            id: 7,
            channel_id: 3,
            account_id: 1,
            customer_user_id: 20,
            customer_account_id: 2,
            operator_user_id: Some(10),
            status: ConversationStatus::Open,
            last_seq: 4,
        }
    }

    fn facts(c: &ConvFacts) -> Facts<'_> {
        Facts {
            conversation: c,
            code: Some(CODE),
            available: true,
            offline_message: false,
            serving: true,
        }
    }

    fn customer(user: i64, account: i64) -> Party {
        Party::Customer {
            customer: Customer {
                user: UserId(user),
                user_name: "Cleo".into(),
                account: AccountId(account),
                account_name: "Borealis".into(),
                account_slug: "borealis".into(),
            },
            code: ChannelCode::parse(CODE).expect("a valid code"),
        }
    }

    fn operator(user: i64, account: i64, role: Role) -> Party {
        Party::Operator {
            actor: Actor {
                user: UserId(user),
                account: AccountId(account),
                slug: Slug::parse("acme").expect("a valid slug"),
                account_name: "Acme".into(),
                role,
            },
            name: "Olga".into(),
        }
    }

    fn refused(v: Verdict) -> AppError {
        match v {
            Verdict::Refuse(e) => e,
            Verdict::Admit(d) => panic!("admitted with {d:?}"),
        }
    }

    #[test]
    fn a_customer_continues_their_open_conversation_with_no_duties() {
        let c = conv();
        assert_eq!(
            admit(&facts(&c), &customer(20, 2)),
            Verdict::Admit(Duties::default())
        );
    }

    #[test]
    fn someone_elses_conversation_is_not_found_for_a_customer() {
        let c = conv();
        assert_eq!(refused(admit(&facts(&c), &customer(21, 2))), AppError::NotFound);
        // The same person writing from another of their accounts.
        assert_eq!(refused(admit(&facts(&c), &customer(20, 5))), AppError::NotFound);
    }

    #[test]
    fn a_conversation_of_another_channel_is_not_found_for_a_customer() {
        let c = conv();
        let f = Facts {
            code: Some("fedcba9876543210fedcba9876543210"),
            ..facts(&c)
        };
        assert_eq!(refused(admit(&f, &customer(20, 2))), AppError::NotFound);
        let gone = Facts {
            code: None,
            ..facts(&c)
        };
        assert_eq!(refused(admit(&gone, &customer(20, 2))), AppError::NotFound);
    }

    #[test]
    fn a_customer_may_not_write_to_their_own_accounts_channel() {
        let mut c = conv();
        c.account_id = 2;
        assert_eq!(
            refused(admit(&facts(&c), &customer(20, 2))),
            AppError::Invalid {
                field: Field::Account,
                code: Code::OwnAccount
            }
        );
    }

    #[test]
    fn an_unavailable_channel_refuses_customers() {
        let c = conv();
        let f = Facts {
            available: false,
            ..facts(&c)
        };
        assert_eq!(
            refused(admit(&f, &customer(20, 2))),
            AppError::Invalid {
                field: Field::Channel,
                code: Code::ChannelUnavailable
            }
        );
    }

    #[test]
    fn a_closed_conversation_takes_no_more_messages_from_either_side() {
        let mut c = conv();
        c.status = ConversationStatus::Closed;
        let closed = AppError::Invalid {
            field: Field::Conversation,
            code: Code::ConversationClosed,
        };
        assert_eq!(refused(admit(&facts(&c), &customer(20, 2))), closed);
        assert_eq!(
            refused(admit(&facts(&c), &operator(10, 1, Role::Operator))),
            closed
        );
    }

    #[test]
    fn outside_working_hours_the_offline_message_is_a_duty() {
        let c = conv();
        let f = Facts {
            offline_message: true,
            ..facts(&c)
        };
        let Verdict::Admit(d) = admit(&f, &customer(20, 2)) else {
            panic!("refused")
        };
        assert!(d.offline_notice && !d.none());
    }

    #[test]
    fn the_assigned_operator_replies_with_no_duties() {
        let c = conv();
        assert_eq!(
            admit(&facts(&c), &operator(10, 1, Role::Operator)),
            Verdict::Admit(Duties::default())
        );
    }

    #[test]
    fn an_operator_who_left_the_queue_is_forbidden_but_an_admin_is_not() {
        let mut c = conv();
        c.operator_user_id = Some(11);
        let f = Facts {
            serving: false,
            ..facts(&c)
        };
        assert_eq!(
            refused(admit(&f, &operator(11, 1, Role::Operator))),
            AppError::Forbidden
        );
        assert_eq!(
            refused(admit(&f, &operator(11, 1, Role::Employee))),
            AppError::Forbidden
        );
        assert_eq!(
            admit(&f, &operator(11, 1, Role::Admin)),
            Verdict::Admit(Duties::default())
        );
    }

    #[test]
    fn another_accounts_operator_is_told_not_found() {
        let c = conv();
        assert_eq!(
            refused(admit(&facts(&c), &operator(10, 9, Role::Admin))),
            AppError::NotFound
        );
    }

    #[test]
    fn a_conversation_assigned_to_someone_else_is_taken() {
        let c = conv();
        assert_eq!(
            refused(admit(&facts(&c), &operator(12, 1, Role::Operator))),
            AppError::Conflict {
                field: Field::Conversation,
                code: Code::ConversationTaken
            }
        );
    }

    #[test]
    fn a_waiting_conversation_is_taken_and_answered_by_the_first_reply() {
        let mut c = conv();
        c.operator_user_id = None;
        c.status = ConversationStatus::New;
        let Verdict::Admit(d) = admit(&facts(&c), &operator(12, 1, Role::Operator)) else {
            panic!("refused")
        };
        assert!(d.take && d.answer && !d.offline_notice);
    }

    #[test]
    fn operators_may_reply_while_the_channel_is_unavailable() {
        let c = conv();
        let f = Facts {
            available: false,
            ..facts(&c)
        };
        assert_eq!(
            admit(&f, &operator(10, 1, Role::Operator)),
            Verdict::Admit(Duties::default())
        );
    }
}
