//! Every route of the server: the Leptos pages and server functions, the form
//! endpoints, the sockets, files, REST and OAuth, health and metrics, and the layers
//! around them (see `middleware`).

use crate::health::{healthz, metrics};
use crate::middleware::{attach_user, bounded_in_time, hardening, same_origin_posts, server_fn_status};
use crate::{apps, chat, contact_center, files, forms, profile, rest, sockets, stats, uploads};
use app::backend::AppState;
use app::{shell, App};
use axum::extract::{DefaultBodyLimit, Request};
use axum::routing::{get, post};
use axum::Router;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::trace::TraceLayer;

/// Largest settings form accepted: the 5 MB picture plus the text fields, with room to
/// spare so a too-large picture gets a clear message rather than a bare 413.
pub(crate) const SETTINGS_BODY_LIMIT: usize = 8 * 1024 * 1024;
/// Forms of a few text fields (working hours: at most ~20 KB of valid input).
pub(crate) const SMALL_FORM_LIMIT: usize = 64 * 1024;

/// All routes: Leptos pages and server functions, form endpoints, health.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    // The customer link is `/oauth/select/?…` (with the slash, as Bitrix24 writes it);
    // Leptos registers `/oauth/select`, so the slashed form gets the same page here.
    let link_page = leptos_axum::render_app_async_with_context(
        {
            let state = state.clone();
            move || leptos::prelude::provide_context(state.clone())
        },
        {
            let options = options.clone();
            move || shell(options.clone())
        },
    );
    let consent_page = link_page.clone();
    Router::new()
        .route("/oauth/select/", get(move |req: Request| link_page(req)))
        .route(
            "/oauth/authorize/",
            get(move |req: Request| consent_page(req)).post(apps::decide),
        )
        .route("/oauth/authorize", post(apps::decide))
        .route("/oauth/token/", get(apps::token).post(apps::token))
        .route("/oauth/token", get(apps::token).post(apps::token))
        .route("/a/{slug}/apps", post(apps::create))
        .route("/a/{slug}/apps/{id}/delete", post(apps::delete))
        .route("/a/{slug}/apps/{id}/grants/{user_id}/revoke", post(apps::revoke))
        .route(
            "/a/{slug}/apps/{id}/events/{event_id}/retry",
            post(apps::retry_event),
        )
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/auth/login", post(forms::login))
        .route("/auth/register", post(forms::register))
        .route("/auth/logout", post(forms::logout))
        .route("/auth/logout-everywhere", post(forms::logout_everywhere))
        .route("/lang", post(forms::set_lang))
        .route("/accounts", post(forms::create_account))
        .route("/a/{slug}/members", post(forms::add_member))
        .route(
            "/a/{slug}/invitations/{id}/cancel",
            post(forms::cancel_invitation),
        )
        .route("/invitations/{id}/accept", post(forms::accept_invitation))
        .route("/invitations/{id}/decline", post(forms::decline_invitation))
        .route("/a/{slug}/members/{user_id}/role", post(forms::change_role))
        .route("/a/{slug}/members/{user_id}/remove", post(forms::remove_member))
        .route(
            "/a/{slug}/contact-center/channels",
            post(contact_center::create_channel),
        )
        .route(
            "/a/{slug}/contact-center/channels/{id}/rename",
            post(contact_center::rename_channel),
        )
        .route(
            "/a/{slug}/contact-center/channels/{id}/active",
            post(contact_center::set_active),
        )
        .route(
            "/a/{slug}/contact-center/channels/{id}/operators",
            post(contact_center::set_operators),
        )
        .route(
            "/a/{slug}/contact-center/channels/{id}/queue",
            post(contact_center::set_queue),
        )
        .route(
            "/a/{slug}/contact-center/network/connect",
            post(contact_center::connect),
        )
        .route(
            "/a/{slug}/contact-center/network/disconnect/{id}",
            post(contact_center::disconnect),
        )
        .route(
            "/a/{slug}/contact-center/network/settings/{id}",
            post(contact_center::save_settings).layer(DefaultBodyLimit::max(SETTINGS_BODY_LIMIT)),
        )
        .route("/a/{slug}/statistics.csv", get(stats::csv))
        .route(
            "/a/{slug}/contact-center/network/hours/{id}",
            post(contact_center::save_hours).layer(DefaultBodyLimit::max(SMALL_FORM_LIMIT)),
        )
        .route(
            "/a/{slug}/contact-center/quick-answers/add",
            post(contact_center::create_quick_answer),
        )
        .route(
            "/a/{slug}/contact-center/quick-answers/{id}",
            post(contact_center::update_quick_answer),
        )
        .route(
            "/a/{slug}/contact-center/quick-answers/{id}/delete",
            post(contact_center::delete_quick_answer),
        )
        .route(
            "/a/{slug}/contact-center/channels/{id}/order",
            post(contact_center::move_operator),
        )
        .route("/avatars/{key}/{file}", get(contact_center::avatar))
        .route("/ws", get(sockets::ws))
        .route("/ws/inbox", get(sockets::inbox_ws))
        .route("/chat/{code}/{slug}/send", post(chat::send))
        .route("/chat/{code}/{slug}/finish", post(chat::finish))
        .route("/chat/{code}/{slug}/rate", post(chat::rate))
        .route(
            "/chat/{code}/{slug}/files",
            post(files::customer_upload)
                .layer(DefaultBodyLimit::max(files::body_limit(&state.config.files)))
                .layer(axum::middleware::from_fn_with_state(
                    state.config.serve,
                    uploads::enforce_min_rate,
                )),
        )
        .route(
            "/a/{slug}/inbox/files",
            post(files::operator_upload)
                .layer(DefaultBodyLimit::max(files::body_limit(&state.config.files)))
                .layer(axum::middleware::from_fn_with_state(
                    state.config.serve,
                    uploads::enforce_min_rate,
                )),
        )
        .route("/files/{id}", get(files::open))
        .route("/files/{id}/thumb", get(files::thumb))
        .route("/profile/webhooks", post(profile::create_webhook))
        .route("/profile/tokens", post(profile::issue_token))
        .route(
            "/profile/time-zone",
            post(profile::set_time_zone).layer(DefaultBodyLimit::max(SMALL_FORM_LIMIT)),
        )
        .route("/profile/credentials/{id}/revoke", post(profile::revoke))
        .merge(rest::routes())
        // The wasm, JS and CSS: pre-compressed copies when the build made them.
        .nest_service(
            &format!("/{}", state.leptos_options.site_pkg_dir),
            tower_http::services::ServeDir::new(format!(
                "{}/{}",
                state.leptos_options.site_root, state.leptos_options.site_pkg_dir
            ))
            .precompressed_br()
            .precompressed_gzip(),
        )
        .leptos_routes(&state, routes, move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(state.clone(), attach_user))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            forms::keep_refills,
        ))
        .layer(axum::middleware::from_fn(hardening))
        .layer(axum::middleware::from_fn(server_fn_status))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            same_origin_posts,
        ))
        // No request may hang forever: a stalled response becomes a 503 the client can
        // retry. (Leptos 0.8 has had rare races where a server-rendered page never
        // finishes; see the README's known issues.) Uploads get longer: their handler
        // reads the whole body, which on a slow link takes minutes.
        .layer(axum::middleware::from_fn(bounded_in_time))
        // Everything else is compressed on the fly (quickly: pages are small), unless it
        // already is (pre-compressed assets, images).
        .layer(
            tower_http::compression::CompressionLayer::new()
                .quality(tower_http::CompressionLevel::Precise(4)),
        )
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
