//! Form building blocks: labelled fields with their error next to them, and reading the
//! outcome of a form post from the query string (`?error=…&field=…`, `?ok=…`).

use crate::error::{Code, Field};
use crate::i18n::{error_key, K};
use crate::ui::tr;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// An error reported by a form endpoint through the redirect's query string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormError {
    pub field: Option<Field>,
    pub code: Code,
}

impl FormError {
    /// The translated message for the field `f`, if the error belongs to it.
    pub fn for_field(this: Option<FormError>, f: Field) -> Option<&'static str> {
        this.filter(|e| e.field == Some(f)).map(|e| tr(error_key(e.code)))
    }
}

/// Reads `error` and `field` from the page's query string.
pub fn query_error() -> Option<FormError> {
    let q = use_query_map().get_untracked();
    let code = Code::parse(&q.get("error")?)?;
    let field = q.get("field").and_then(|f| Field::parse(&f));
    Some(FormError { field, code })
}

/// The refill of the form refused on this page, if any: only on a page showing an error
/// (`?error=` / `?errors=`) at the path the form was sent back to.
fn current_refill() -> Option<crate::ui::RequestRefill> {
    let q = use_query_map().get_untracked();
    if q.get("error").is_none() && q.get("errors").is_none() {
        return None;
    }
    let path = leptos_router::hooks::use_location().pathname.get_untracked();
    crate::ui::page_refill().filter(|r| r.path == path)
}

/// What the refused form had typed into field `key` (empty when nothing was kept). The
/// server keeps these values, never the URL: a `?key=` in the address fills nothing.
pub fn refill_value(key: &str) -> String {
    current_refill()
        .and_then(|mut r| r.values.remove(key))
        .unwrap_or_default()
}

/// Is this page showing a refused form with its typed values?
pub fn has_refill() -> bool {
    current_refill().is_some()
}

/// Reads a plain value from the query string (navigation state such as `?ok=`, never
/// typed text: that comes back through [`refill_value`]).
pub fn query_value(key: &str) -> String {
    use_query_map().get_untracked().get(key).unwrap_or_default()
}

/// A labelled input with an optional hint and an error shown next to it.
#[component]
pub fn TextField(
    id: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional, into)] value: String,
    #[prop(default = None)] hint: Option<&'static str>,
    #[prop(default = None)] error: Option<&'static str>,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] maxlength: Option<usize>,
    /// Optional fields (an empty one means "off") are not marked required.
    #[prop(default = true)]
    required: bool,
    #[prop(optional)] placeholder: Option<&'static str>,
    #[prop(optional)] inputmode: Option<&'static str>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = [hint.map(|_| hint_id.clone()), error.map(|_| error_id.clone())]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    view! {
        <div class="field" class:has-error=error.is_some()>
            <label for=id>{label}</label>
            <input
                id=id
                name=id
                type=kind
                value=value
                required=required
                placeholder=placeholder
                inputmode=inputmode
                autocomplete=autocomplete
                maxlength=maxlength.map(|m| m.to_string())
                aria-invalid=if error.is_some() { "true" } else { "false" }
                aria-describedby=(!described.is_empty()).then_some(described)
            />
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            {error.map(|e| view! { <p class="error" id=error_id>{e}</p> })}
        </div>
    }
}

/// A form-level message: an error (`role=alert`) or a confirmation (`role=status`).
#[component]
pub fn Notice(
    #[prop(default = None)] error: Option<&'static str>,
    #[prop(default = None)] ok: Option<&'static str>,
) -> impl IntoView {
    view! {
        {error.map(|e| view! { <p class="notice notice-error" role="alert">{e}</p> })}
        {ok.map(|m| view! { <p class="notice notice-ok" role="status">{m}</p> })}
    }
}

/// The message for an error that belongs to no field shown on the form.
pub fn general_error(err: Option<FormError>, shown_fields: &[Field]) -> Option<&'static str> {
    let e = err?;
    match e.field {
        Some(f) if shown_fields.contains(&f) => Some(tr(K::FormHasErrors)),
        _ => Some(tr(error_key(e.code))),
    }
}

/// Reads every error of a multi-field form: `?errors=field.code,field.code` (plus the
/// single `error`/`field` pair).
pub fn query_errors() -> Vec<FormError> {
    let q = use_query_map().get_untracked();
    let mut out: Vec<FormError> = q
        .get("errors")
        .unwrap_or_default()
        .split(',')
        .filter_map(|pair| {
            let (f, c) = pair.split_once('.')?;
            Some(FormError {
                field: Field::parse(f),
                code: Code::parse(c)?,
            })
        })
        .collect();
    out.extend(query_error());
    out
}

/// The translated message for field `f` among several errors.
pub fn error_for(errors: &[FormError], f: Field) -> Option<&'static str> {
    errors
        .iter()
        .find(|e| e.field == Some(f))
        .map(|e| tr(error_key(e.code)))
}

/// A labelled multi-line text input with its hint and error.
#[component]
pub fn TextArea(
    id: &'static str,
    label: &'static str,
    #[prop(optional, into)] value: String,
    #[prop(default = None)] hint: Option<&'static str>,
    #[prop(default = None)] error: Option<&'static str>,
    #[prop(optional)] maxlength: Option<usize>,
    #[prop(default = 3)] rows: u32,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = [hint.map(|_| hint_id.clone()), error.map(|_| error_id.clone())]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    view! {
        <div class="field" class:has-error=error.is_some()>
            <label for=id>{label}</label>
            <textarea
                id=id
                name=id
                rows=rows
                maxlength=maxlength.map(|m| m.to_string())
                aria-invalid=if error.is_some() { "true" } else { "false" }
                aria-describedby=(!described.is_empty()).then_some(described)
                inner_html=textarea_html(&value)
            ></textarea>
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            {error.map(|e| view! { <p class="error" id=error_id>{e}</p> })}
        </div>
    }
}

/// The markup for a `<textarea>`'s initial value. Never pass user text as a textarea's
/// child: Leptos 0.8's server renderer writes textarea children raw (unescaped), so
/// a closing textarea tag followed by a script element would run. The value is escaped here and set as inner HTML,
/// which the browser decodes back to exactly the same text.
pub fn textarea_html(value: &str) -> String {
    crate::util::escape_html(value)
}
