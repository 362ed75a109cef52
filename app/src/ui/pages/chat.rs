//! The customer's chat page: `/chat/{code}/{account}`.
//!
//! Server-rendered and complete without JavaScript (the composer posts a form and the
//! page reloads). Once hydrated, the page talks over one WebSocket: messages are sent
//! with a client id and shown as pending → sent (or failed, with Retry); the socket
//! reconnects by itself with exponential backoff and jitter and resumes each
//! conversation from the last sequence number it has.

use crate::api::chat::{chat_page, older_messages};
use crate::api::ChatView;
use crate::domain::conversation::{Author, ConversationStatus, MessageBody};
use crate::domain::ConversationId;
use crate::error::{AppError, Code, Field};
use crate::i18n::{error_key, K};
use crate::protocol::ConversationView;
use crate::ui::form::{query_error, query_value, refill_value, FormError};
use crate::ui::pages::link::{ChannelCardView, WelcomeBubble};
use crate::ui::pages::{NotFound, SignInRedirect};
use crate::ui::time::MessageTime;
use crate::ui::tr;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

pub mod live;
mod rating;

use rating::RateConversation;

#[component]
pub fn ChatPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        let p = params.read();
        let q = query.read();
        (
            p.get("code").unwrap_or_default(),
            p.get("slug").unwrap_or_default(),
            q.get("c").and_then(|c| c.parse::<i64>().ok()),
            q.get("before").and_then(|c| c.parse::<i64>().ok()),
        )
    };
    let page = Resource::new(key, |(code, slug, c, before)| chat_page(code, slug, c, before));
    view! {
        <Suspense fallback=|| view! { <p>{tr(K::Loading)}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(v) => view! { <Chat v=v /> }.into_any(),
                    Err(AppError::Unauthorized) => view! { <SignInRedirect /> }.into_any(),
                    Err(AppError::NotFound) => view! { <NotFound /> }.into_any(),
                    Err(e) => view! {
                        <section class="card narrow">
                            <p class="notice notice-error" role="alert">{tr(error_key(e.code()))}</p>
                        </section>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

pub use crate::ui::live::{last_seq, merge, Delivery, UiMsg};

/// Conversations newest first, each with its number (the oldest is 1).
fn numbered(cs: &[ConversationView]) -> Vec<(usize, ConversationView)> {
    let n = cs.len();
    cs.iter().enumerate().map(|(i, c)| (n - i, c.clone())).collect()
}

pub(crate) fn status_text(s: ConversationStatus) -> &'static str {
    match s {
        ConversationStatus::New => tr(K::StatusNew),
        ConversationStatus::Open => tr(K::StatusOpen),
        ConversationStatus::Closed => tr(K::StatusClosed),
    }
}

#[component]
fn Chat(v: ChatView) -> impl IntoView {
    let code = v.card.code.clone();
    let slug = v.account_slug.clone();
    let base = format!("/chat/{code}/{slug}");
    let base_finish = base.clone();
    let upload_action = format!("{base}/files");
    let rate_action = format!("{base}/rate");
    let ask_rating = v.ask_rating;
    let err: Option<FormError> = query_error();
    let typed = refill_value("body");
    let conversations = RwSignal::new(v.conversations.clone());
    let selected = RwSignal::new(v.selected);
    let messages = RwSignal::new(v.messages.iter().map(UiMsg::stored).collect::<Vec<_>>());
    let has_older = RwSignal::new(v.has_older);
    let link = RwSignal::new(crate::ui::socket::Link::Online);
    let draft = RwSignal::new(typed);
    let composer_error = RwSignal::new(
        err.filter(|e| {
            e.field == Some(Field::Body) || e.field.is_none() || e.code == Code::ConversationLimit
        })
        .map(|e| e.code),
    );
    let typing = RwSignal::new(None::<String>);
    let live = live::connect(
        code.clone(),
        slug.clone(),
        v.user.0,
        live::Signals {
            selected,
            messages,
            conversations,
            link,
            typing,
        },
    );
    // The operators have read the selected conversation up to this seq.
    let operator_read = move || {
        let sel = selected.get();
        conversations.with(|cs| {
            sel.and_then(|id| cs.iter().find(|c| c.id == id))
                .map(|c| c.operator_read_seq)
                .unwrap_or(0)
        })
    };
    let is_closed = move || {
        let sel = selected.get();
        conversations
            .with(|cs| {
                sel.and_then(|id| cs.iter().find(|c| c.id == id))
                    .map(|c| c.status == ConversationStatus::Closed)
            })
            .unwrap_or(false)
    };
    // The channel's limit of simultaneous conversations, counted as the server counts it
    // (this account's open ones live, the person's other accounts' as loaded): at the
    // limit, starting another is refused here, before anything is sent.
    let limit_of = v.limit;
    let open_elsewhere = v.open_elsewhere;
    let at_limit = move || {
        limit_of.is_some_and(|l| {
            let here = conversations.with(|cs| {
                cs.iter()
                    .filter(|c| c.status != ConversationStatus::Closed)
                    .count() as i64
            });
            here + open_elsewhere >= l
        })
    };
    // Whether what is written now would start a new conversation.
    let starts_new = move || {
        let sel = selected.get_untracked();
        sel.is_none()
            || conversations.with_untracked(|cs| {
                sel.and_then(|id| cs.iter().find(|c| c.id == id))
                    .is_some_and(|c| c.status == ConversationStatus::Closed)
            })
    };
    // Writing in a closed conversation starts a new one (within the channel's rules).
    let target = move || {
        if starts_new() {
            selected.set(None);
            None
        } else {
            selected.get_untracked()
        }
    };
    // The draft is kept on the device while it is written (and restored after a reload).
    let draft_key = format!("{}{}.{code}.{slug}", crate::ui::live::DRAFT_PREFIX, v.user.0);
    #[cfg(feature = "hydrate")]
    {
        let key = draft_key.clone();
        Effect::new(move |first: Option<()>| {
            if first.is_none() && draft.get_untracked().is_empty() {
                if let Some(kept) = crate::ui::live::client::load(&key) {
                    draft.set(kept);
                }
            }
        });
    }
    let keep_draft = move |text: &str| {
        #[cfg(feature = "hydrate")]
        crate::ui::live::client::store(&draft_key, (!text.is_empty()).then_some(text));
        #[cfg(not(feature = "hydrate"))]
        let _ = (text, &draft_key);
    };
    // Once the page is live every message goes through the outbox, connected or not:
    // shown at once, kept on the device, sent when it can be. The form posts only
    // where the script never ran.
    let send_live = live.clone();
    let keep = keep_draft.clone();
    let submit_draft = move || {
        let text = draft.get_untracked();
        if starts_new() && at_limit() {
            composer_error.set(Some(Code::ConversationLimit));
            return;
        }
        match MessageBody::parse(&text) {
            Ok(b) => {
                composer_error.set(None);
                send_live.send(b.as_str().to_string(), target());
                draft.set(String::new());
                keep("");
            }
            Err(e) => composer_error.set(Some(e.code())),
        }
    };
    let submit = submit_draft.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submit();
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            submit_draft();
        }
    };
    let retry_live = live.clone();
    let show_live = live.clone();
    let typing_live = live.clone();
    let older_code = code.clone();
    let older_slug = slug.clone();
    let loading = RwSignal::new(false);
    let fetch_older = move || {
        let Some(id) = selected.get_untracked() else {
            return;
        };
        if loading.get_untracked() || !has_older.get_untracked() {
            return;
        }
        loading.set(true);
        let first = messages
            .with_untracked(|ms| ms.iter().filter_map(|m| m.seq).min())
            .unwrap_or(1);
        let (code, slug) = (older_code.clone(), older_slug.clone());
        leptos::task::spawn_local(async move {
            if let Ok(older) = older_messages(code, slug, id.0, first).await {
                has_older.set(older.first().map(|m| m.seq > 1).unwrap_or(false));
                messages.update(|ms| {
                    for m in &older {
                        merge(ms, m);
                    }
                });
            }
            loading.set(false);
        });
    };
    let click_older = fetch_older.clone();
    let load_older = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        click_older();
    };
    // Older messages load by themselves when the list is scrolled to its top.
    let list_ref = NodeRef::<leptos::html::Ol>::new();
    // New messages below what the customer is reading.
    let unseen = RwSignal::new(false);
    let on_scroll = move |ev: leptos::ev::Event| {
        let _ = &ev;
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Some(el) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                if el.scroll_top() <= 4 {
                    fetch_older();
                }
                if el.scroll_height() - el.scroll_top() - el.client_height() < 48 {
                    unseen.set(false);
                }
            }
        }
    };
    // The thread opens at its newest message and follows new ones while the customer is
    // at the bottom (or wrote the new one); scrolled up to read, a "new messages" pill
    // appears instead. Older messages loading above change nothing.
    let to_bottom = move || {
        if let Some(el) = list_ref.get_untracked() {
            el.set_scroll_top(el.scroll_height());
        }
        unseen.set(false);
    };
    Effect::new(move |prev: Option<Option<(Option<i64>, Option<String>)>>| {
        let (newest, mine) = messages.with(|ms| {
            (
                ms.last().map(|m| (m.seq, m.client_id.clone())),
                ms.last().is_some_and(|m| m.author == Author::Customer),
            )
        });
        if prev.as_ref() != Some(&newest) {
            // Measured before the new message is drawn.
            let at_bottom = list_ref
                .get_untracked()
                .is_none_or(|el| el.scroll_height() - el.scroll_top() - el.client_height() < 48);
            if prev.is_none() || at_bottom || mine {
                // After the new message is drawn.
                request_animation_frame(to_bottom);
            } else {
                unseen.set(true);
            }
        }
        newest
    });
    let older_href = move || {
        let first = messages
            .with(|ms| ms.iter().filter_map(|m| m.seq).min())
            .unwrap_or(1);
        selected
            .get()
            .map(|id| format!("?c={id}&before={first}"))
            .unwrap_or_default()
    };
    let title = v.card.name.clone();
    let limit = v.limit;
    let welcome_card = v.card.clone();
    // Opened on load when the conversation shown is a finished one.
    let previous_open = v.selected.is_some_and(|id| {
        v.conversations
            .iter()
            .any(|c| c.id == id && c.status == ConversationStatus::Closed)
    });
    view! {
        <Title text=title />
        <section class="chat" on:drop=crate::ui::files::on_drop on:dragover=crate::ui::files::on_dragover>
            <header class="chat-head">
                <ChannelCardView card=v.card.clone() />
                <p class="muted small">{tr(K::WritingFrom)} " " <strong>{v.account_name.clone()}</strong> " · " {v.user_name.clone()}</p>
            </header>
            // Open conversations as tabs; finished ones folded under "Previous
            // conversations" (a <details>, so it works without JavaScript too; it stays put
            // while its list changes, keeping whether the customer opened it).
            <nav class="conversations" aria-label=tr(K::Conversations)>
                <div class="tabs" role="tablist" aria-label=tr(K::OpenConversations)
                    hidden=move || conversations.with(|cs| !cs.iter().any(|c| c.status != ConversationStatus::Closed))>
                    {move || {
                        numbered(&conversations.get())
                            .into_iter()
                            .filter(|(_, c)| c.status != ConversationStatus::Closed)
                            .map(|(k, c)| {
                                let current = selected.get() == Some(c.id);
                                view! {
                                    <a href=format!("?c={}", c.id) class="tab" role="tab" aria-controls="thread"
                                        aria-selected=current.to_string()
                                        aria-current=if current { "page" } else { "false" }>
                                        {tr(K::ConversationN)} " " {k} " · " {status_text(c.shown_status())}
                                    </a>
                                }
                            })
                            .collect_view()
                    }}
                </div>
                <details class="previous" open=previous_open
                    hidden=move || conversations.with(|cs| !cs.iter().any(|c| c.status == ConversationStatus::Closed))>
                    <summary>
                        {tr(K::PreviousConversations)} " ("
                        {move || conversations.with(|cs| cs.iter().filter(|c| c.status == ConversationStatus::Closed).count())}
                        ")"
                    </summary>
                    <ul class="previous-list">
                        {move || {
                            numbered(&conversations.get())
                                .into_iter()
                                .filter(|(_, c)| c.status == ConversationStatus::Closed)
                                .map(|(k, c)| {
                                    let current = selected.get() == Some(c.id);
                                    view! {
                                        <li>
                                            <a href=format!("?c={}", c.id) class="tab closed"
                                                aria-current=if current { "page" } else { "false" }>
                                                {tr(K::ConversationN)} " " {k} " · " {status_text(c.shown_status())}
                                            </a>
                                        </li>
                                    }
                                })
                                .collect_view()
                        }}
                    </ul>
                </details>
            </nav>
            // The customer may finish their conversation themselves (a plain form: it works
            // without JavaScript; the page comes back showing it closed).
            {move || {
                let finish_action = format!("{base_finish}/finish");
                selected.get().filter(|_| !is_closed()).map(|id| view! {
                    <form method="post" action=finish_action class="finish-own">
                        <input type="hidden" name="current" value=id.to_string() />
                        <button type="submit" class="secondary-btn small" aria-describedby="finish-own-hint">{tr(K::FinishMine)}</button>
                        <p class="hint muted small" id="finish-own-hint">{tr(K::FinishMineHint)}</p>
                    </form>
                })
            }}
            {move || {
                // A finished conversation asks for a rating once (when the channel does),
                // where the open one offers Finish.
                let c = selected
                    .get()
                    .and_then(|id| conversations.with(|cs| cs.iter().find(|c| c.id == id).cloned()))
                    .filter(|c| ask_rating && c.status == ConversationStatus::Closed)?;
                Some(view! { <RateConversation c=c action=rate_action.clone() err=err /> })
            }}
            <crate::ui::layout::ConnectionNotice link=link />
            {move || has_older.get().then(|| view! {
                <p class="older"><a href=older_href on:click=load_older.clone()>{tr(K::LoadOlder)}</a></p>
            })}
            // Before the first message: the channel's welcome, as the chat will begin.
            {move || conversations.with(|cs| cs.is_empty()).then(|| view! { <WelcomeBubble card=welcome_card.clone() /> })}
            <ol class="messages" id="thread" tabindex="0" aria-label=tr(K::MessagesLabel) aria-live="polite" node_ref=list_ref on:scroll=on_scroll>
                {move || {
                    let retry_live = retry_live.clone();
                    messages
                        .get()
                        .into_iter()
                        .map(|m| {
                            let mine = m.author == Author::Customer;
                            let who = if mine { tr(K::You2).to_string() } else { m.author_name.clone() };
                            let read = m.seq.is_some_and(|q| q <= operator_read());
                            let state = match m.state {
                                Delivery::Stored if mine && read => Some(tr(K::Read)),
                                Delivery::Stored if mine => Some(tr(K::Sent)),
                                Delivery::Stored => None,
                                Delivery::Pending => Some(tr(K::Pending)),
                                Delivery::Failed(_) => Some(tr(K::Failed)),
                            };
                            let failed = matches!(m.state, Delivery::Failed(_));
                            let reason = match m.state {
                                Delivery::Failed(c) => Some(tr(error_key(c))),
                                _ => None,
                            };
                            let retry = retry_live.clone();
                            let discard = retry_live.clone();
                            let cid = m.client_id.clone().unwrap_or_default();
                            let discard_id = cid.clone();
                            view! {
                                <li class="msg" class:mine=mine class:channel=m.author == Author::Channel class:failed=failed>
                                    <p class="msg-meta"><span class="msg-author" dir="auto">{who}</span> " " <MessageTime at=m.at /></p>
                                    {(!crate::ui::files::body_is_caption(&m.body, &m.files)).then(|| view! {
                                        <p class="msg-body" dir="auto"><crate::ui::links::Linked text=m.body.clone() /></p>
                                    })}
                                    <crate::ui::rich::RichContent rich=m.rich.clone() />
            <crate::ui::files::Attachments files=m.files.clone() />
                                    {state.map(|s| view! { <p class="msg-state">{s} {reason.map(|r| format!(": {r}"))}</p> })}
                                    {failed.then(|| view! {
                                        <button type="button" class="small" on:click=move |_| retry.retry(&cid)>{tr(K::Retry)}</button>
                                        " "
                                        <button type="button" class="small secondary-btn" on:click=move |_| discard.discard(&discard_id)>{tr(K::Discard)}</button>
                                    })}
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ol>
            {move || unseen.get().then(|| view! {
                <button type="button" class="new-pill small" on:click=move |_| to_bottom()>{tr(K::NewMessagesBelow)}</button>
            })}
            <p class="typing muted small" role="status" aria-live="polite">
                {move || typing.get().map(|n| format!("{n} {}", tr(K::IsTyping)))}
            </p>
            <form id="composer" method="post" action=format!("{base}/send") class="composer" on:submit=on_submit>
                <input type="hidden" name="client_id" value=v.form_client_id.clone() />
                <input type="hidden" name="current" value=move || {
                    if is_closed() { "new".to_string() } else { selected.get().map(|c| c.to_string()).unwrap_or_else(|| "new".into()) }
                } />
                {move || is_closed().then(|| view! { <p class="notice">{tr(K::ClosedNotice)}</p> })}
                <div class="field" class:has-error=move || composer_error.get().is_some()>
                    <label for="body">{tr(K::LabelMessage)}</label>
                    <textarea id="body" name="body" rows="1" maxlength=MessageBody::MAX_LEN.to_string() placeholder=tr(K::WriteMessage)
                        aria-describedby="body-hint body-error"
                        prop:value=move || draft.get()
                        on:input=move |ev| {
                            let text = event_target_value(&ev);
                            keep_draft(&text);
                            draft.set(text);
                            typing_live.typing();
                        }
                        on:keydown=on_key
                        on:paste=crate::ui::files::on_paste
                        inner_html=crate::ui::form::textarea_html(&draft.get_untracked())
                    ></textarea>
                    <p class="hint" id="body-hint">{tr(K::MessageHint)}</p>
                    <p class="error" id="body-error" role="alert">{move || composer_error.get().map(|c| tr(error_key(c)))}</p>
                </div>
                <div class="form-actions">
                    <button type="submit">{tr(K::Send)}</button>
                    <button type="submit" name="new_conversation" value="1" class="secondary-btn"
                        disabled=at_limit
                        aria-describedby="limit-note"
                        on:click=move |_| { selected.set(None); }>
                        {tr(K::NewConversation)}
                    </button>
                    {limit.map(|l| view! {
                        <span class="muted small" id="limit-note">
                            {move || if at_limit() { tr(K::AtLimit).to_string() } else { format!("{} {l}", tr(K::LimitNote)) }}
                        </span>
                    })}
                </div>
            </form>
            <crate::ui::files::Uploader action=upload_action
                conversation=Signal::derive(move || {
                    if is_closed() { "new".to_string() } else { selected.get().map(|c| c.to_string()).unwrap_or_else(|| "new".into()) }
                })
                client_id=format!("{}-f", v.form_client_id)
                sent=Callback::new(move |c: i64| show_live.show(ConversationId(c))) />
        </section>
    }
}
