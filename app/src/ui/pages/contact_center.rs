//! Contact Center: open channels, the Network connector list, connecting, the settings
//! form and disconnecting. Every form is a plain HTML form (works without JavaScript);
//! the settings form adds a live avatar preview and a Copy button once hydrated.

use crate::api::channels::{connector_settings, contact_center, quick_answers_page};
use crate::api::{
    ChannelView, ConnectorSettingsView, ConnectorSummary, ContactCenterView, MemberView, QuickAnswerView,
    QuickAnswersView,
};
use crate::domain::channel::{ChannelName, ChatLimit, Distribution, DESCRIPTION_MAX, WELCOME_MAX};
use crate::domain::conversation::MessageBody;
use crate::domain::quick_answer::{QuickAnswerTitle, PLACEHOLDERS};
use crate::error::Field;
use crate::i18n::{error_key, K};
use crate::ui::form::{
    error_for, general_error, has_refill, query_error, query_errors, query_value, refill_value,
    textarea_html, FormError, Notice, TextArea, TextField,
};
use crate::ui::pages::{Forbidden, PageLoad};
use crate::ui::tr;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

mod channels;
mod hours;
mod network;
mod quick_answers;
mod settings;

pub use channels::ContactCenterPage;
pub use hours::HoursPage;
pub(crate) use hours::DAY_NAMES;
pub use network::{ConnectPage, NetworkChannelsPage};
pub use quick_answers::QuickAnswersPage;
pub use settings::{DisconnectPage, SettingsPage};

fn ok_message(code: &str) -> Option<&'static str> {
    Some(tr(match code {
        "channel_created" => K::ChannelCreated,
        "channel_renamed" => K::ChannelRenamed,
        "channel_activated" => K::ChannelActivated,
        "channel_deactivated" => K::ChannelDeactivated,
        "operators_saved" => K::OperatorsSaved,
        "queue_saved" => K::QueueSaved,
        "order_saved" => K::OrderSaved,
        "connected" => K::ConnectedOk,
        "settings_saved" => K::SettingsSaved,
        "hours_saved" => K::HoursSaved,
        "disconnected" => K::DisconnectedOk,
        "quick_answer_created" => K::QaCreated,
        "quick_answer_saved" => K::QaSaved,
        "quick_answer_deleted" => K::QaDeleted,
        _ => return None,
    }))
}

fn slug_param() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("slug").unwrap_or_default())
}

fn id_param() -> Memo<i64> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("id").and_then(|s| s.parse().ok()).unwrap_or(0))
}

/// The Contact Center's sub-navigation.
#[component]
fn CcNav(slug: String, account: String) -> impl IntoView {
    view! {
        <p class="crumbs">
            <a href=format!("/a/{slug}")>{account}</a>
            " › "
            <a href=format!("/a/{slug}/contact-center")>{tr(K::CcTitle)}</a>
            " · "
            <a href=format!("/a/{slug}/contact-center/network")>{tr(K::NetTitle)}</a>
            " · "
            <a href=format!("/a/{slug}/contact-center/quick-answers")>{tr(K::QaTitle)}</a>
        </p>
    }
}
