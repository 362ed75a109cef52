//! The account's quick answers: list, add, edit, delete.

use super::*;

#[component]
pub fn QuickAnswersPage() -> impl IntoView {
    let slug = slug_param();
    let page = Resource::new(move || slug.get(), quick_answers_page);
    view! {
        <Title text=tr(K::QaTitle) />
        <PageLoad page=page ok=|v| view! { <QuickAnswers v=v /> }.into_any() />
    }
}

/// The title and text fields of one quick answer form; `key` keeps the ids unique.
#[component]
pub(super) fn QaFields(key: String, title: String, body: String, err: Option<FormError>) -> impl IntoView {
    let title_id = format!("qa-title-{key}");
    let body_id = format!("qa-body-{key}");
    let title_err = FormError::for_field(err, Field::Title);
    let body_err = FormError::for_field(err, Field::Body);
    let title_err_id = format!("{title_id}-error");
    let body_err_id = format!("{body_id}-error");
    view! {
        <div class="field" class:has-error=title_err.is_some()>
            <label for=title_id.clone()>{tr(K::QaLabelTitle)}</label>
            <input id=title_id name="title" value=title required=true maxlength=QuickAnswerTitle::MAX_LEN.to_string()
                aria-invalid=title_err.is_some().to_string()
                aria-describedby=title_err.map(|_| title_err_id.clone()) />
            {title_err.map(|e| view! { <p class="error" id=title_err_id.clone()>{e}</p> })}
        </div>
        <div class="field" class:has-error=body_err.is_some()>
            <label for=body_id.clone()>{tr(K::QaLabelText)}</label>
            <textarea id=body_id name="body" rows="4" required=true maxlength=MessageBody::MAX_LEN.to_string()
                aria-invalid=body_err.is_some().to_string()
                aria-describedby=body_err.map(|_| body_err_id.clone())
                inner_html=textarea_html(&body)></textarea>
            {body_err.map(|e| view! { <p class="error" id=body_err_id.clone()>{e}</p> })}
        </div>
    }
}

#[component]
pub(super) fn QuickAnswers(v: QuickAnswersView) -> impl IntoView {
    let err = query_error();
    let ok = ok_message(&query_value("ok"));
    let slug = v.account.slug.clone();
    let manage = v.can_manage;
    // An error of an edit form comes back with `edit=ID`; of the new-answer form without.
    let editing: Option<i64> = query_value("edit").parse().ok();
    let new_err = if editing.is_none() { err } else { None };
    let shown = if manage {
        &[Field::Title, Field::Body][..]
    } else {
        &[][..]
    };
    let base = format!("/a/{slug}/contact-center/quick-answers");
    let items = v.items.clone();
    view! {
        <section class="card">
            <CcNav slug=slug.clone() account=v.account.name.clone() />
            <h1>{tr(K::QaTitle)}</h1>
            <p class="lead">{tr(K::QaIntro)}</p>
            <p class="muted small">
                {tr(K::QaPlaceholders)} " "
                {PLACEHOLDERS.iter().map(|p| view! { <code>{*p}</code> " " }).collect_view()}
            </p>
            <Notice ok=ok error=general_error(err, shown) />
            {(!manage).then(|| view! { <p class="muted">{tr(K::QaReadOnly)}</p> })}
            {items.is_empty().then(|| view! { <p class="muted">{tr(K::QaNone)}</p> })}
            <ul class="quick-answers">
                {items
                    .into_iter()
                    .map(|q| {
                        let err = if editing == Some(q.id) { err } else { None };
                        view! { <QaItem q=q base=base.clone() manage=manage err=err /> }
                    })
                    .collect_view()}
            </ul>
            {manage.then(|| {
                let (title, body) = if new_err.is_some() {
                    (refill_value("title"), refill_value("body"))
                } else {
                    (String::new(), String::new())
                };
                view! {
                    <h2>{tr(K::QaNew)}</h2>
                    <form method="post" action=format!("{base}/add") class="qa-form" novalidate=true>
                        <QaFields key="new".to_string() title=title body=body err=new_err />
                        <button type="submit">{tr(K::QaAdd)}</button>
                    </form>
                }
            })}
        </section>
    }
}

#[component]
pub(super) fn QaItem(
    q: QuickAnswerView,
    base: String,
    manage: bool,
    err: Option<FormError>,
) -> impl IntoView {
    let action = format!("{base}/{}", q.id);
    let edit_label = format!("{} {}", tr(K::QaEdit), q.title);
    let delete_label = format!("{} {}", tr(K::QaDelete), q.title);
    // After a refused edit the form opens again with what was typed.
    let (title, body) = if err.is_some() {
        (refill_value("title"), refill_value("body"))
    } else {
        (q.title.clone(), q.body.clone())
    };
    view! {
        <li class="quick-answer">
            <h3 dir="auto">{q.title.clone()}</h3>
            <p class="qa-text" dir="auto">{q.body.clone()}</p>
            {manage.then(|| view! {
                <details class="qa-edit" open=err.is_some()>
                    <summary aria-label=edit_label>{tr(K::QaEdit)}</summary>
                    <form method="post" action=action.clone() class="qa-form" novalidate=true>
                        <QaFields key=q.id.to_string() title=title body=body err=err />
                        <button type="submit" class="small">{tr(K::QaSave)}</button>
                    </form>
                </details>
                <form method="post" action=format!("{action}/delete") class="inline">
                    <button type="submit" class="small secondary-btn" aria-label=delete_label>{tr(K::QaDelete)}</button>
                </form>
            })}
        </li>
    }
}
