//! The quick answers' form endpoints: add, edit, delete.

use super::*;

pub(super) fn quick_answers_page(slug: &str) -> String {
    format!("/a/{slug}/contact-center/quick-answers")
}

#[derive(Deserialize)]
pub struct QuickAnswerForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

impl QuickAnswerForm {
    fn parse(&self) -> Result<(QuickAnswerTitle, MessageBody), AppError> {
        Ok((
            QuickAnswerTitle::parse(&self.title)?,
            MessageBody::parse(&self.body)?,
        ))
    }

    /// The values to re-fill after an error; the text no longer than the form allows.
    fn keep(&self) -> (String, String) {
        let title: String = self
            .title
            .trim()
            .chars()
            .take(QuickAnswerTitle::MAX_LEN + 1)
            .collect();
        let body: String = self.body.chars().take(MessageBody::MAX_LEN + 1).collect();
        (title, body)
    }
}

/// `POST /a/{slug}/contact-center/quick-answers/add`: adds a quick answer (admins).
pub async fn create_quick_answer(
    State(state): State<AppState>,
    Member(actor): Member,
    Form(f): Form<QuickAnswerForm>,
) -> Response {
    let page = quick_answers_page(actor.slug.as_str());
    let result = async {
        let (title, body) = f.parse()?;
        quick_answers::create(&state.db, &actor, &title, &body).await
    }
    .await;
    match result {
        Ok(_) => see_other(&with_query(&page, &[("ok", "quick_answer_created")]), None),
        Err(e) => {
            let (title, body) = f.keep();
            back_with_error(&page, &e, &[("title", &title), ("body", &body)])
        }
    }
}

/// `POST /a/{slug}/contact-center/quick-answers/{id}`: changes a quick answer (admins).
pub async fn update_quick_answer(
    State(state): State<AppState>,
    Member(actor): Member,
    Path((_, id)): Path<(String, i64)>,
    Form(f): Form<QuickAnswerForm>,
) -> Response {
    let page = quick_answers_page(actor.slug.as_str());
    let result = async {
        let (title, body) = f.parse()?;
        quick_answers::update(&state.db, &actor, id, &title, &body).await
    }
    .await;
    match result {
        Ok(()) => see_other(&with_query(&page, &[("ok", "quick_answer_saved")]), None),
        Err(e) => {
            let (title, body) = f.keep();
            back_with_error(
                &with_query(&page, &[("edit", &id.to_string())]),
                &e,
                &[("title", &title), ("body", &body)],
            )
        }
    }
}

/// `POST /a/{slug}/contact-center/quick-answers/{id}/delete` (admins).
pub async fn delete_quick_answer(
    State(state): State<AppState>,
    Member(actor): Member,
    Path((_, id)): Path<(String, i64)>,
) -> Response {
    let page = quick_answers_page(actor.slug.as_str());
    match quick_answers::delete(&state.db, &actor, id).await {
        Ok(()) => see_other(&with_query(&page, &[("ok", "quick_answer_deleted")]), None),
        Err(e) => back_with_error(&page, &e, &[]),
    }
}
