#![recursion_limit = "512"]
//! The browser entry point: hydrates the server-rendered pages.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy: pages other than the customer's chat are parts of the wasm of their own
    // (`cargo leptos build --split`), loaded before a page that needs one is hydrated,
    // so hydration finishes asynchronously.
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::prelude::document().body().expect("the page has a body");
        let owner = leptos::mount::hydrate_from_async(body.clone(), app::App).await;
        owner.forget();
        // Marks the page once the WebAssembly client has taken over all of it, the
        // page's own part included (the browser tests wait for it; it also proves that
        // hydration did not panic).
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
