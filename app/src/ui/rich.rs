//! A message's rich content (REST `ATTACH` blocks and `KEYBOARD` link buttons): text,
//! links, delimiters and name/value grids, then the buttons, as links opening in a new
//! tab. Every address is checked again here, so nothing but http(s) reaches an `href`.

use crate::domain::rich::{is_web_link, Block, Rich};
use crate::i18n::K;
use crate::ui::tr;
use leptos::prelude::*;

#[component]
pub fn RichContent(rich: Option<Rich>) -> impl IntoView {
    let rich = rich.filter(|r| !r.is_empty())?;
    let blocks = rich
        .blocks
        .into_iter()
        .map(|b| match b {
            Block::Text { text } => view! { <p class="rich-text" dir="auto">{text}</p> }.into_any(),
            Block::Link { name, desc, url } => {
                if is_web_link(&url) {
                    view! {
                        <p class="rich-link">
                            <a href=url target="_blank" rel="noopener noreferrer nofollow" dir="auto">{name}</a>
                            {(!desc.is_empty()).then(|| view! { <span class="muted small" dir="auto">{desc}</span> })}
                        </p>
                    }
                    .into_any()
                } else {
                    view! { <p class="rich-text" dir="auto">{name}</p> }.into_any()
                }
            }
            Block::Delimiter => view! { <hr class="rich-delimiter" /> }.into_any(),
            Block::Grid { rows } => view! {
                <dl class="rich-grid">
                    {rows
                        .into_iter()
                        .map(|r| view! { <dt dir="auto">{r.name}</dt> <dd dir="auto">{r.value}</dd> })
                        .collect_view()}
                </dl>
            }
            .into_any(),
        })
        .collect_view();
    let buttons = rich
        .buttons
        .into_iter()
        .filter(|b| is_web_link(&b.url))
        .map(|b| {
            view! {
                <a class="button secondary small" href=b.url target="_blank" rel="noopener noreferrer nofollow" dir="auto">{b.text}</a>
            }
        })
        .collect::<Vec<_>>();
    let via = rich.via.map(|account| {
        view! { <p class="rich-via small" dir="auto">{tr(K::SentByAppOf)} " " <strong>{account}</strong></p> }
    });
    Some(view! {
        <div class="rich">
            {via}
            {blocks}
            {(!buttons.is_empty()).then(|| view! {
                <div class="rich-buttons" role="group" aria-label=tr(K::MessageButtons)>{buttons}</div>
            })}
        </div>
    })
}
