//! The Contact Center: channels, their Network connectors, settings, hours, quick answers, statistics, and the channel card customers see.

use super::{AccountSummary, MemberView};
use crate::domain::{ChannelId, UserId};
use serde::{Deserialize, Serialize};

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
