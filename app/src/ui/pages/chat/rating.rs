//! Rating a finished conversation, on the customer's chat.

use super::*;

/// The rating of a finished conversation: the form (a plain POST, so it works without
/// JavaScript) until the customer has rated it, then what they said.
#[component]
pub(super) fn RateConversation(
    c: crate::protocol::ConversationView,
    action: String,
    err: Option<FormError>,
) -> impl IntoView {
    use crate::domain::rating::Rating;
    let label = |r: Rating| match r {
        Rating::Like => tr(K::RateLike),
        Rating::Dislike => tr(K::RateDislike),
    };
    let thanks = (query_value("ok") == "rated")
        .then(|| view! { <p class="notice notice-ok" role="status">{tr(K::RatedThanks)}</p> });
    match c.rating {
        Some(r) => view! {
            <section class="rating" aria-label=tr(K::RatingLabel)>
                {thanks}
                <p>{tr(K::RatedYou)} " " <strong>{label(r)}</strong></p>
                {(!c.rating_comment.is_empty()).then(|| view! { <p class="msg-body muted" dir="auto">{c.rating_comment.clone()}</p> })}
            </section>
        }
        .into_any(),
        None => {
            let rating_err = FormError::for_field(err, Field::Rating);
            let comment_err = FormError::for_field(err, Field::Comment);
            view! {
                <form method="post" action=action class="rating" novalidate=true>
                    <input type="hidden" name="current" value=c.id.to_string() />
                    <fieldset aria-describedby="rating-error">
                        <legend>{tr(K::RateTitle)}</legend>
                        {[Rating::Like, Rating::Dislike].map(|r| view! {
                            <label class="check rate-choice">
                                <input type="radio" name="rating" value=r.as_str() required=true />
                                {label(r)}
                            </label>
                        })}
                        <p class="error" id="rating-error">{rating_err}</p>
                    </fieldset>
                    <div class="field" class:has-error=comment_err.is_some()>
                        <label for="rating-comment">{tr(K::RateComment)}</label>
                        <textarea id="rating-comment" name="comment" rows="2"
                            maxlength=crate::domain::rating::RatingComment::MAX_LEN.to_string()
                            aria-describedby="rating-comment-error"
                            inner_html=crate::ui::form::textarea_html(&refill_value("comment"))></textarea>
                        <p class="error" id="rating-comment-error">{comment_err}</p>
                    </div>
                    <button type="submit" class="secondary-btn">{tr(K::RateSend)}</button>
                </form>
            }
            .into_any()
        }
    }
}
