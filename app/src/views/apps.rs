//! OAuth apps, their grants, deliveries and the consent page.

use serde::{Deserialize, Serialize};

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
