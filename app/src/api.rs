//! Types and server functions shared by the pages and the server.
//!
//! Reads go through server functions (so the hydrated pages can refetch them);
//! writes from forms go to plain form endpoints in the `server` crate, so every form
//! also works with JavaScript disabled.

pub mod accounts;
pub mod session;

use crate::domain::{AccountId, Role, UserId};
use serde::{Deserialize, Serialize};

/// JSON answers of the server functions, read back with `serde_json::from_str`.
///
/// server_fn's own `Json` reads answers with `from_slice`, while the resources a page
/// hydrates from read the same types with `from_str`: every answer type was compiled
/// into the browser's wasm twice, once per serde_json reader (about 4 KB of the customer
/// chat page on the wire). With this encoding both go through the one reader. The bytes
/// on the wire are the same as `Json`'s.
pub struct JsonText;

impl server_fn::ContentType for JsonText {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl server_fn::FormatType for JsonText {
    const FORMAT_TYPE: server_fn::Format = server_fn::Format::Text;
}

impl<T: Serialize> server_fn::Encodes<T> for JsonText {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<server_fn::Bytes, Self::Error> {
        serde_json::to_vec(output).map(server_fn::Bytes::from)
    }
}

impl<T: serde::de::DeserializeOwned> server_fn::Decodes<T> for JsonText {
    type Error = serde_json::Error;

    fn decode(bytes: server_fn::Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(serde::de::Error::custom)?;
        serde_json::from_str(text)
    }
}

/// What every server function answers with (`output = Answer`): a POST whose answer is
/// [`JsonText`].
pub type Answer = server_fn::codec::Post<JsonText>;

/// The signed-in user, as the pages see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: UserId,
    pub email: String,
    pub name: String,
    /// The time zone chosen on the profile (used where the browser's is unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// One account on the Network page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub id: AccountId,
    pub name: String,
    pub slug: String,
    /// The signed-in user's role in it.
    pub role: Role,
}

/// One member of an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
}

/// The account's home page: the account, the viewer, and its members.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub account: AccountSummary,
    pub me: UserId,
    pub members: Vec<MemberView>,
    /// Storage the account's files use and may use (admins only).
    #[serde(default)]
    pub storage: Option<StorageView>,
    /// Invitations waiting for their answer (admins only).
    #[serde(default)]
    pub invitations: Vec<InvitationView>,
}

/// An invitation of the account, waiting (admins see them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub expires_at: i64,
}

/// An invitation waiting for the signed-in user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyInvitationView {
    pub id: i64,
    pub account_name: String,
    pub role: Role,
    pub invited_by: String,
}

/// Bytes of files an account (or a user) has stored, and its quota.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageView {
    pub used: i64,
    pub quota: i64,
}

pub mod channels;

use crate::domain::ChannelId;

/// A channel's Network connector, as listed in the Contact Center.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorSummary {
    pub code: String,
    pub connected: bool,
    pub name: String,
}

/// One quick answer (saved reply) of an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickAnswerView {
    pub id: i64,
    pub title: String,
    pub body: String,
}

/// The quick answers page: admins manage the list, operators read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickAnswersView {
    pub account: AccountSummary,
    pub can_manage: bool,
    pub items: Vec<QuickAnswerView>,
}

/// One open channel in the Contact Center.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelView {
    pub id: ChannelId,
    pub name: String,
    pub active: bool,
    pub operators: Vec<UserId>,
    /// The queue's operators by name (what operators, who get no member list, see).
    #[serde(default)]
    pub operator_names: Vec<String>,
    pub network: Option<ConnectorSummary>,
    pub distribution: crate::domain::channel::Distribution,
    /// Most simultaneous conversations per operator.
    pub capacity: u16,
    /// Time to take in seconds (0: off).
    #[serde(default)]
    pub take_seconds: u16,
}

/// The Contact Center of one account as the viewer may see it: admins see every channel
/// and can manage them; operators see the channels they are in, read-only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactCenterView {
    pub account: AccountSummary,
    pub can_manage: bool,
    pub channels: Vec<ChannelView>,
    /// The account's members (to choose operators from); empty for non-admins.
    pub members: Vec<MemberView>,
}

/// The settings form of one Network connector (admins only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorSettingsView {
    pub account: AccountSummary,
    pub channel_id: ChannelId,
    pub channel_name: String,
    pub channel_active: bool,
    pub connected: bool,
    pub code: String,
    pub link: String,
    pub name: String,
    pub description: String,
    pub welcome_message: String,
    pub avatar_url: Option<String>,
    pub multi_chat: bool,
    pub chat_limit: u8,
    #[serde(default)]
    pub ask_rating: bool,
    /// Other accounts' apps may send messages from the channel (REST).
    #[serde(default)]
    pub rest_messages: bool,
}

/// The working-hours and automatic-messages page of a connected channel (admins).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoursSettingsView {
    pub account: AccountSummary,
    pub channel_id: ChannelId,
    pub channel_name: String,
    pub connector_name: String,
    pub hours: crate::domain::hours::Hours,
    /// Open now or not, when hours are on.
    pub availability: Option<crate::domain::hours::Availability>,
    /// The rating request (#11), set on the Network settings page.
    pub ask_rating: bool,
    /// Every zone the server knows, for the list.
    pub time_zones: Vec<String>,
}

/// The statistics page: figures of a period for the whole account (admins) or the
/// operator's own conversations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsView {
    pub account: AccountSummary,
    pub is_admin: bool,
    /// Every channel of the account (for the filter).
    pub channels: Vec<(ChannelId, String)>,
    /// The period shown, `YYYY-MM-DD` (local dates, both included).
    pub from: String,
    pub to: String,
    pub channel: Option<ChannelId>,
    pub time_zone: String,
    pub time_zones: Vec<String>,
    pub figures: crate::domain::stats::Figures,
}

/// What any signed-in user with the code may know about a channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelCard {
    pub code: String,
    pub name: String,
    pub description: String,
    pub avatar_url: Option<String>,
    /// False when the connector is disconnected or the open channel is inactive.
    pub available: bool,
    /// The first message every customer gets (shown before they write).
    #[serde(default)]
    pub welcome: String,
    /// The channel's working hours, when it has any: open now or not, and when that changes.
    #[serde(default)]
    pub hours: Option<crate::domain::hours::Availability>,
}

/// URL of an avatar rendition.
pub fn avatar_url(key: &str, size: u32) -> String {
    format!("/avatars/{key}/{size}.png")
}

pub mod chat;

/// One of the user's accounts on the customer's account picker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickerAccount {
    pub name: String,
    pub slug: String,
    pub role: Role,
    /// Why this account cannot write to the channel (it is the channel's own account).
    pub disabled: Option<crate::error::Code>,
}

/// The link page: the channel's card and the accounts to write from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickerView {
    pub card: ChannelCard,
    pub accounts: Vec<PickerAccount>,
    /// False for a visitor who is not signed in: they see the card and the way in.
    #[serde(default)]
    pub signed_in: bool,
}

/// Everything the chat page shows on load.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatView {
    pub card: ChannelCard,
    pub account_name: String,
    pub account_slug: String,
    pub user_name: String,
    /// Newest first.
    pub conversations: Vec<crate::protocol::ConversationView>,
    /// The conversation shown (the requested one, else the newest).
    pub selected: Option<crate::domain::ConversationId>,
    /// The last messages of the selected conversation, oldest first.
    pub messages: Vec<crate::protocol::MessageView>,
    /// Whether older messages exist before the first one shown.
    pub has_older: bool,
    /// The channel's limit of simultaneous conversations (None: one at a time).
    pub limit: Option<i64>,
    /// A fresh id for the no-JavaScript form's message, so a resubmitted form is stored once.
    pub form_client_id: String,
    /// Whether a finished conversation asks the customer for a rating.
    #[serde(default)]
    pub ask_rating: bool,
}

pub mod inbox;

/// Which conversations the inbox lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxFilter {
    /// Every conversation the viewer may see.
    #[default]
    All,
    /// Assigned to the viewer and not finished.
    Mine,
    /// Not answered and not assigned: in the queue.
    Waiting,
    /// Answered and not finished.
    Open,
    Closed,
    /// Pinned by the viewer.
    Pinned,
}

impl InboxFilter {
    pub const ALL: [InboxFilter; 6] = [
        Self::All,
        Self::Mine,
        Self::Waiting,
        Self::Open,
        Self::Closed,
        Self::Pinned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Mine => "mine",
            Self::Waiting => "waiting",
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Pinned => "pinned",
        }
    }

    pub fn parse(s: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .unwrap_or_default()
    }

    /// Whether a conversation belongs in this list for viewer `me` (`pinned`: by them).
    pub fn matches(self, c: &crate::protocol::ConversationView, me: UserId, pinned: bool) -> bool {
        use crate::domain::conversation::ConversationStatus as S;
        match self {
            Self::All => true,
            Self::Mine => c.operator == Some(me) && c.status != S::Closed,
            Self::Waiting => c.shown_status() == S::New,
            Self::Open => c.shown_status() == S::Open,
            Self::Closed => c.shown_status() == S::Closed,
            Self::Pinned => pinned,
        }
    }
}

/// One operator of a channel's queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorView {
    pub id: UserId,
    pub name: String,
    /// Conversations assigned and not finished.
    pub load: i64,
    /// Has an inbox open now.
    pub online: bool,
}

/// A channel as the inbox knows it: its queue settings and operators.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueView {
    pub id: ChannelId,
    pub name: String,
    pub distribution: crate::domain::channel::Distribution,
    pub capacity: u16,
    pub operators: Vec<OperatorView>,
}

/// What "Start new conversation" would do in a conversation right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitRule {
    /// Multiple chats allowed and under the limit: a parallel conversation opens.
    Parallel,
    /// One chat at a time: the current conversation closes and a new one opens.
    ClosesCurrent,
    /// At the limit of simultaneous conversations: not available.
    AtLimit,
    /// The conversation is finished.
    Closed,
}

/// One page of the inbox list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxPage {
    pub items: Vec<crate::protocol::ConversationView>,
    /// Cursor for the next (older) page.
    pub next: Option<String>,
}

/// One conversation found by a search, with the latest message that matched (none when
/// only the customer's name did).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    pub conversation: crate::protocol::ConversationView,
    #[serde(default)]
    pub snippet: Option<String>,
    #[serde(default)]
    pub seq: Option<i64>,
}

/// A page of search results, newest activity first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchPage {
    pub items: Vec<SearchHit>,
    /// Cursor for the next (older) page.
    pub next: Option<String>,
}

/// A conversation opened in the inbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationDetail {
    pub conversation: crate::protocol::ConversationView,
    /// The last messages, oldest first.
    pub messages: Vec<crate::protocol::MessageView>,
    pub has_older: bool,
    pub split: SplitRule,
    /// How many conversations this customer (from this account) has had with the channel.
    #[serde(default)]
    pub customer_conversations: i64,
    /// The operators' internal notes, oldest first.
    #[serde(default)]
    pub notes: Vec<crate::protocol::NoteView>,
}

/// Everything the inbox shows on load.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxView {
    pub account: AccountSummary,
    pub me: UserId,
    pub me_name: String,
    pub filter: InboxFilter,
    pub page: InboxPage,
    pub queues: Vec<QueueView>,
    pub open: Option<ConversationDetail>,
    /// The conversations the viewer has pinned (in this account).
    #[serde(default)]
    pub pinned: Vec<crate::domain::ConversationId>,
    /// A search asked for in the address (`?q=`): what was typed, and its first page or
    /// why it could not run.
    #[serde(default)]
    pub search: Option<SearchOutcome>,
    /// The id the uploader's plain form sends (the script makes its own after that).
    #[serde(default)]
    pub form_client_id: String,
}

/// A search the inbox shows: what was typed, and its results or its error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchOutcome {
    pub query: String,
    pub result: Result<SearchPage, crate::error::Code>,
}

pub mod profile;

/// A REST credential as its owner sees it (never the secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialView {
    pub id: i64,
    /// `webhook` or `token`.
    pub kind: String,
    pub account_name: String,
    pub account_slug: String,
    pub title: String,
    pub scopes: Vec<String>,
    /// The secret's first characters.
    pub hint: String,
    pub created_at: i64,
    /// 0: never.
    pub expires_at: i64,
}

/// The profile page: the user's accounts and REST credentials, and a secret just made
/// (shown once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileView {
    pub user: SessionUser,
    pub accounts: Vec<AccountSummary>,
    pub credentials: Vec<CredentialView>,
    /// The webhook URL or access token created just now.
    pub fresh: Option<String>,
    pub public_url: String,
    /// Every zone the server knows, for the profile's time-zone list.
    #[serde(default)]
    pub time_zones: Vec<String>,
}

pub mod apps;

/// A member who allowed an app to act as them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantView {
    pub user_id: i64,
    pub user_name: String,
    /// When the app last got a token for this member (Unix ms).
    pub last_issued_at: i64,
}

/// An account's OAuth app as its admins see it (never the secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppView {
    pub id: i64,
    pub name: String,
    pub handler_url: String,
    pub scopes: Vec<String>,
    pub client_id: String,
    pub secret_hint: String,
    pub created_at: i64,
    pub grants: Vec<GrantView>,
    /// The events it bound (`event.bind`): (event, handler URL).
    pub bindings: Vec<(String, String)>,
    /// Its newest events and how their delivery went (newest first).
    pub deliveries: Vec<DeliveryView>,
}

/// One event of an app's delivery log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    /// The event's stable id (`event_id`).
    pub id: i64,
    pub event: String,
    pub conversation: i64,
    /// `pending`, `delivered` or `failed` (given up).
    pub status: String,
    pub attempts: i32,
    pub created_at: i64,
    /// The last attempt (0: none yet) and the next one (pending only).
    pub last_at: i64,
    pub next_at: i64,
    /// The handler's last HTTP status, or why there was none.
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
}

/// A just-registered app's credentials, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreshApp {
    pub client_id: String,
    pub client_secret: String,
}

/// The account's apps page (admins).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppsView {
    pub slug: String,
    pub account_name: String,
    pub apps: Vec<AppView>,
    pub fresh: Option<FreshApp>,
    pub public_url: String,
}

/// The consent page: which app asks to act as the signed-in member, in which account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentView {
    pub app_name: String,
    pub account_name: String,
    pub user_name: String,
    pub scopes: Vec<String>,
    pub client_id: String,
    /// Where the answer goes (origin shown to the user).
    pub redirect_uri: String,
    pub redirect_origin: String,
    pub state: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use server_fn::{Decodes, Encodes};

    #[test]
    fn answers_are_json_read_back_from_text() {
        let user = SessionUser {
            id: UserId(4),
            email: "a@b.pl".into(),
            name: "Zażółć \"Ola\"".into(),
            time_zone: None,
        };
        let bytes = <JsonText as Encodes<SessionUser>>::encode(&user).unwrap();
        assert_eq!(&bytes[..], serde_json::to_vec(&user).unwrap().as_slice());
        assert_eq!(<JsonText as Decodes<SessionUser>>::decode(bytes).unwrap(), user);
        // Not UTF-8, not JSON, or not the type: an error, never a panic.
        for bad in [&b"\xff\xfe"[..], b"{", b"[1,2]", b""] {
            let got = <JsonText as Decodes<SessionUser>>::decode(server_fn::Bytes::copy_from_slice(bad));
            assert!(got.is_err(), "{bad:?}");
        }
    }
}
