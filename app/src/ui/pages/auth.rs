//! Register and sign-in pages. Plain HTML forms posting to `/auth/*`, so they work
//! with JavaScript disabled; errors come back in the query string.

use crate::domain::safe_next;
use crate::error::Field;
use crate::i18n::K;
use crate::ui::form::{
    error_for, general_error, query_error, query_errors, query_value, refill_value, FormError, Notice,
    TextField,
};
use crate::ui::tr;
use crate::util::with_query;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn RegisterPage() -> impl IntoView {
    let errs = query_errors();
    let err = errs.first().copied();
    let next = safe_next(Some(&query_value("next")));
    let login_href = with_query("/login", &[("next", &next)]);
    view! {
        <Title text=tr(K::RegisterTitle) />
        <section class="card narrow">
            <h1>{tr(K::RegisterTitle)}</h1>
            <Notice error=general_error(err, &[Field::Email, Field::Name, Field::Password]) />
            <form method="post" action="/auth/register" novalidate=true>
                <input type="hidden" name="next" value=next />
                <TextField id="email" label=tr(K::LabelEmail) kind="email" autocomplete="email"
                    value=refill_value("email") error=error_for(&errs, Field::Email) />
                <TextField id="name" label=tr(K::LabelName) autocomplete="name" maxlength=80
                    value=refill_value("name") error=error_for(&errs, Field::Name) />
                <TextField id="password" label=tr(K::LabelPassword) kind="password" autocomplete="new-password"
                    hint=Some(tr(K::PasswordHint)) error=error_for(&errs, Field::Password) />
                <button type="submit">{tr(K::RegisterSubmit)}</button>
            </form>
            <p class="aside">{tr(K::HaveIdentity)} " " <a href=login_href>{tr(K::NavSignIn)}</a></p>
        </section>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let err = query_error();
    let raw_next = query_value("next");
    let next = safe_next(Some(&raw_next));
    let register_href = with_query("/register", &[("next", &next)]);
    // Credential errors belong to the form as a whole: saying which field was wrong
    // would tell an attacker whether the email exists.
    let general = general_error(err, &[Field::Email]);
    let info = (err.is_none() && !raw_next.is_empty()).then(|| tr(K::SignInFirst));
    view! {
        <Title text=tr(K::LoginTitle) />
        <section class="card narrow">
            <h1>{tr(K::LoginTitle)}</h1>
            {info.map(|m| view! { <p class="notice">{m}</p> })}
            <Notice error=general />
            <form method="post" action="/auth/login" novalidate=true>
                <input type="hidden" name="next" value=next />
                <TextField id="email" label=tr(K::LabelEmail) kind="email" autocomplete="username"
                    value=refill_value("email") error=FormError::for_field(err, Field::Email) />
                <TextField id="password" label=tr(K::LabelPassword) kind="password" autocomplete="current-password" />
                <button type="submit">{tr(K::LoginSubmit)}</button>
            </form>
            <p class="aside">{tr(K::NoIdentity)} " " <a href=register_href>{tr(K::NavRegister)}</a></p>
        </section>
    }
}
