//! Every route of the server: the Leptos pages and server functions, the form
//! endpoints, the sockets, files, REST and OAuth, health and metrics, and the layers
//! around them (see `middleware`).

use crate::middleware::{
    attach_user, bounded_in_time, close_if_unread, hardening, same_origin_posts, server_fn_status,
};
use crate::{apps, chat, contact_center, files, forms, health, profile, rest, sockets, stats};
use app::backend::AppState;
use app::{shell, App};
use axum::extract::Request;
use axum::routing::get;
use axum::Router;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::trace::TraceLayer;

/// The app's route list, generated once per process. Generating it sets a process-wide
/// flag in Leptos under which any resource first polled meanwhile — by a page another
/// server of the same process is rendering — waits forever (leptos-rs/leptos#4773):
/// with several servers in one process (the API tests, one per test) a second build
/// would stall someone else's page. Once made, the list is only copied.
fn route_list() -> Vec<AxumRouteListing> {
    static LIST: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| generate_route_list(App)).clone()
}

/// All routes: Leptos pages and server functions, form endpoints, health.
pub fn router(state: AppState) -> Router {
    let routes = route_list();
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
        .merge(apps::routes())
        .merge(forms::routes())
        .merge(contact_center::routes())
        .merge(chat::routes())
        .merge(files::routes(&state))
        .merge(profile::routes())
        .merge(sockets::routes())
        .merge(stats::routes())
        .merge(health::routes())
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
        // Outermost: it sees every request's body as it arrives and every answer.
        .layer(axum::middleware::from_fn(close_if_unread))
        .with_state(state)
}
