//! Accounts and their members: creating an account, inviting, roles, removing.

use super::*;

#[derive(Deserialize)]
pub struct NewAccountForm {
    #[serde(default)]
    account_name: String,
    #[serde(default)]
    slug: String,
}

/// `POST /accounts`: creates an account; the creator becomes its admin.
pub async fn create_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<NewAccountForm>,
) -> Response {
    let user = match require_user(&state, &headers, "/accounts/new").await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let keep = [("account_name", f.account_name.trim()), ("slug", f.slug.trim())];
    let (name, slug) = match (AccountName::parse(&f.account_name), Slug::parse(&f.slug)) {
        (Ok(n), Ok(s)) => (n, s),
        (n, s) => {
            let errs: Vec<AppError> = [n.err(), s.err()].into_iter().flatten().collect();
            return back_with_errors("/accounts/new", &errs, &keep);
        }
    };
    let result = accounts::create_capped(
        &state.db,
        user.id,
        &name,
        &slug,
        state.config.max_accounts_per_user,
    )
    .await;
    match result {
        Ok(acc) => {
            tracing::info!(account_id = acc.id, user_id = user.id.0, "account created");
            see_other(
                &with_query(&format!("/a/{}", acc.slug), &[("ok", "account_created")]),
                None,
            )
        }
        Err(e) => back_with_error("/accounts/new", &e, &keep),
    }
}

#[derive(Deserialize)]
pub struct AddMemberForm {
    #[serde(default)]
    member_email: String,
    #[serde(default)]
    member_role: String,
}

/// `POST /a/{slug}/members`: an admin invites someone by email. The person joins only
/// when they accept (on their Network page); the answer is the same whether or not the
/// email has an identity here.
pub async fn add_member(
    State(state): State<AppState>,
    Member(actor): Member,
    Form(f): Form<AddMemberForm>,
) -> Response {
    let home = format!("/a/{}", actor.slug);
    let result = async {
        let role = Role::parse(&f.member_role)?;
        app::backend::services::invitations::invite(&state.db, &actor, &f.member_email, role).await
    }
    .await;
    match result {
        Ok(()) => {
            tracing::info!(account_id = actor.account.0, "invitation made");
            see_other(&with_query(&home, &[("ok", "invited")]), None)
        }
        Err(e) => back_with_error(&home, &e, &[("member_email", f.member_email.trim())]),
    }
}

/// `POST /a/{slug}/invitations/{id}/cancel`: an admin withdraws an invitation.
pub async fn cancel_invitation(
    State(state): State<AppState>,
    Member(actor): Member,
    Path((_, id)): Path<(String, i64)>,
) -> Response {
    let home = format!("/a/{}", actor.slug);
    match app::backend::services::invitations::cancel(&state.db, &actor, id).await {
        Ok(()) => see_other(&with_query(&home, &[("ok", "invitation_cancelled")]), None),
        Err(e) => back_with_error(&home, &e, &[]),
    }
}

/// `POST /invitations/{id}/accept`: the invited person joins the account.
pub async fn accept_invitation(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    let user = match require_user(&state, &headers, "/network").await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let max = state.config.max_accounts_per_user;
    match app::backend::services::invitations::accept(&state.db, user.id, id, max).await {
        Ok(slug) => {
            tracing::info!(user_id = user.id.0, "invitation accepted");
            see_other(&with_query(&format!("/a/{slug}"), &[("ok", "joined")]), None)
        }
        Err(e) => back_with_error("/network", &e, &[]),
    }
}

/// `POST /invitations/{id}/decline`: the invited person says no.
pub async fn decline_invitation(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    let user = match require_user(&state, &headers, "/network").await {
        Ok(u) => u,
        Err(r) => return r,
    };
    match app::backend::services::invitations::decline(&state.db, user.id, id).await {
        Ok(()) => see_other(&with_query("/network", &[("ok", "invitation_declined")]), None),
        Err(e) => back_with_error("/network", &e, &[]),
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

/// `POST /a/{slug}/members/{user_id}/role`: an admin changes a member's role.
pub async fn change_role(
    State(state): State<AppState>,
    Member(actor): Member,
    Path((_, user_id)): Path<(String, i64)>,
    Form(f): Form<RoleForm>,
) -> Response {
    let home = format!("/a/{}", actor.slug);
    let result = async {
        let role = Role::parse(&f.role)?;
        accounts::change_role(&state.db, state.hub.as_ref(), &actor, UserId(user_id), role).await
    }
    .await;
    match result {
        Ok(()) => see_other(&with_query(&home, &[("ok", "role_changed")]), None),
        Err(e) => back_with_error(&home, &e, &[]),
    }
}

/// `POST /a/{slug}/members/{user_id}/remove`: an admin removes a member.
pub async fn remove_member(
    State(state): State<AppState>,
    Member(actor): Member,
    Path((_, user_id)): Path<(String, i64)>,
) -> Response {
    let home = format!("/a/{}", actor.slug);
    match accounts::remove_member(&state.db, state.hub.as_ref(), &actor, UserId(user_id)).await {
        Ok(()) => see_other(&with_query(&home, &[("ok", "member_removed")]), None),
        Err(e) => back_with_error(&home, &e, &[]),
    }
}
