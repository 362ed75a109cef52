//! Attachments in the UI: a message's files (pictures as thumbnails opening the full
//! picture, other files as a named download with their size) and the uploader, a plain
//! multipart form — it works without JavaScript — that the script improves: files
//! dropped on the conversation or pasted into the message box join it, and it is sent
//! in the background with a progress bar and a Cancel button.

use crate::domain::conversation::files_caption;
use crate::error::{AppError, Code};
use crate::i18n::{error_key, K};
use crate::protocol::{human_size, FileView};
use crate::ui::tr;
use leptos::prelude::*;

/// The id of the uploader's file input (drops and pastes put files into it).
pub const INPUT_ID: &str = "attach-files";

/// Whether a message's text is only the names of its files (then the files say it).
pub fn body_is_caption(body: &str, files: &[FileView]) -> bool {
    !files.is_empty() && body == files_caption(&files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>())
}

/// A message's files.
#[component]
pub fn Attachments(files: Vec<FileView>) -> impl IntoView {
    (!files.is_empty()).then(|| {
        view! {
            <ul class="files" aria-label=tr(K::AttachmentsLabel)>
                {files
                    .into_iter()
                    .map(|f| {
                        if f.is_image() {
                            let alt = f.name.clone();
                            view! {
                                <li class="file-image">
                                    <a href=f.url() target="_blank" rel="noopener" title=f.name.clone()>
                                        // Its size is known before it loads: the thread keeps
                                        // its place (and its newest message in view).
                                        <img src=f.thumb_url() alt=alt loading="lazy"
                                            width=f.width.map(|w| w.to_string()) height=f.height.map(|h| h.to_string()) />
                                    </a>
                                </li>
                            }
                            .into_any()
                        } else {
                            let label = format!("{} ({})", f.name, human_size(f.size));
                            view! {
                                <li class="file-doc">
                                    <a href=f.url() download=f.name.clone()>
                                        <span aria-hidden="true">"📄 "</span>
                                        <span dir="auto">{label}</span>
                                    </a>
                                </li>
                            }
                            .into_any()
                        }
                    })
                    .collect_view()}
            </ul>
        }
    })
}

/// The uploader: `action` takes the files of one message for `conversation`
/// (an id, or `new`). `client_id` is the server's id for a plain form; the script makes
/// a new one after each upload it sends.
#[component]
pub fn Uploader(
    action: String,
    conversation: Signal<String>,
    client_id: String,
    /// Called with the conversation the files went into.
    sent: Callback<i64>,
) -> impl IntoView {
    let chosen = RwSignal::new(Vec::<(String, i64)>::new());
    // Percent sent, while an upload is under way.
    let progress = RwSignal::new(None::<u32>);
    let error = RwSignal::new(None::<Code>);
    let cid = RwSignal::new(client_id);
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let busy = client::Busy::default();
    let on_change = move |_| {
        error.set(None);
        chosen.set(client::chosen());
    };
    let busy_submit = busy.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if chosen.with_untracked(|c| c.is_empty()) {
            error.set(Some(Code::Required));
            return;
        }
        if let Some(form) = form_ref.get_untracked() {
            busy_submit.send(&form, progress, error, chosen, cid, sent);
        }
    };
    let busy_cancel = busy.clone();
    view! {
        <form class="uploader" method="post" enctype="multipart/form-data" action=action node_ref=form_ref
            on:submit=on_submit>
            <input type="hidden" name="client_id" value=move || cid.get() />
            <input type="hidden" name="conversation" value=move || conversation.get() />
            <div class="uploader-row">
                <label class="secondary-btn small attach" for=INPUT_ID>
                    <span aria-hidden="true">"📎 "</span> {tr(K::AttachFiles)}
                </label>
                <input id=INPUT_ID class="visually-hidden" type="file" name="files" multiple
                    accept="image/png,image/jpeg,application/pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.odt,.ods,.zip,.txt,.csv,.log,.md"
                    aria-describedby="attach-hint attach-error" on:change=on_change />
                <span class="hint muted small" id="attach-hint">{tr(K::AttachHint)}</span>
            </div>
            {move || (!chosen.with(|c| c.is_empty())).then(|| view! {
                <ul class="chosen small" aria-label=tr(K::ChosenFiles)>
                    {chosen.get().into_iter().map(|(name, size)| view! {
                        <li><span dir="auto">{name}</span> " (" {human_size(size)} ")"</li>
                    }).collect_view()}
                </ul>
            })}
            {move || progress.get().map(|p| {
                let cancel = busy_cancel.clone();
                view! {
                    <div class="upload-progress">
                        <progress max="100" value=p.to_string() aria-label=tr(K::Uploading)></progress>
                        <span class="small" role="status">{format!("{} {p} %", tr(K::Uploading))}</span>
                        <button type="button" class="secondary-btn small" on:click=move |_| cancel.cancel()>{tr(K::CancelUpload)}</button>
                    </div>
                }
            })}
            <p class="error" id="attach-error" role="alert">{move || error.get().map(|c| tr(error_key(c)))}</p>
            <button type="submit" class="small" disabled=move || progress.get().is_some()>{tr(K::SendFiles)}</button>
        </form>
    }
}

/// Puts files dropped on the conversation into the uploader (hydrated pages only).
pub fn on_drop(_ev: leptos::ev::DragEvent) {
    #[cfg(feature = "hydrate")]
    if let Some(files) = _ev.data_transfer().and_then(|d| d.files()) {
        if files.length() > 0 {
            _ev.prevent_default();
            client::take(&files);
        }
    }
}

/// Lets files be dropped on the conversation.
pub fn on_dragover(ev: leptos::ev::DragEvent) {
    ev.prevent_default();
}

/// Puts a pasted picture (or files) into the uploader instead of the text box.
pub fn on_paste(_ev: leptos::ev::ClipboardEvent) {
    #[cfg(feature = "hydrate")]
    if let Some(files) = _ev.clipboard_data().and_then(|d| d.files()) {
        if files.length() > 0 {
            _ev.prevent_default();
            client::take(&files);
        }
    }
}

/// The answer of an upload: the error code to show, if any.
pub fn upload_error(status: u16, body: &str) -> Option<Code> {
    if (200..300).contains(&status) {
        return None;
    }
    Some(
        serde_json::from_str::<AppError>(body)
            .map(|e| e.code())
            .unwrap_or(match status {
                413 => Code::FileTooLarge,
                401 => Code::SignInRequired,
                _ => Code::Internal,
            }),
    )
}

#[cfg(not(feature = "hydrate"))]
mod client {
    use super::*;

    #[derive(Clone, Default)]
    pub struct Busy(());

    impl Busy {
        pub fn send<F>(
            &self,
            _form: &F,
            _progress: RwSignal<Option<u32>>,
            _error: RwSignal<Option<Code>>,
            _chosen: RwSignal<Vec<(String, i64)>>,
            _cid: RwSignal<String>,
            _sent: Callback<i64>,
        ) {
        }

        pub fn cancel(&self) {}
    }

    pub fn chosen() -> Vec<(String, i64)> {
        Vec::new()
    }
}

#[cfg(feature = "hydrate")]
mod client {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    fn input() -> Option<web_sys::HtmlInputElement> {
        web_sys::window()?
            .document()?
            .get_element_by_id(INPUT_ID)?
            .dyn_into::<web_sys::HtmlInputElement>()
            .ok()
    }

    /// The files in the uploader: names and sizes.
    pub fn chosen() -> Vec<(String, i64)> {
        let Some(list) = input().and_then(|i| i.files()) else {
            return Vec::new();
        };
        (0..list.length())
            .filter_map(|i| list.get(i))
            .map(|f| (f.name(), f.size() as i64))
            .collect()
    }

    /// Puts `files` into the uploader's input, as if chosen there.
    pub fn take(files: &web_sys::FileList) {
        if let Some(i) = input() {
            i.set_files(Some(files));
            if let Ok(ev) = web_sys::Event::new("change") {
                let _ = i.dispatch_event(&ev);
            }
        }
    }

    /// The upload under way, to cancel it. (The page's one thread owns it; Leptos asks
    /// event handlers to be `Send`.)
    #[derive(Clone)]
    pub struct Busy(send_wrapper::SendWrapper<Rc<RefCell<Option<web_sys::XmlHttpRequest>>>>);

    impl Default for Busy {
        fn default() -> Self {
            Self(send_wrapper::SendWrapper::new(Rc::default()))
        }
    }

    impl Busy {
        pub fn send(
            &self,
            form: &web_sys::HtmlFormElement,
            progress: RwSignal<Option<u32>>,
            error: RwSignal<Option<Code>>,
            chosen: RwSignal<Vec<(String, i64)>>,
            cid: RwSignal<String>,
            sent: Callback<i64>,
        ) {
            let Ok(data) = web_sys::FormData::new_with_form(form) else {
                return;
            };
            let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
                return;
            };
            if xhr.open("POST", &form.action()).is_err() {
                return;
            }
            let _ = xhr.set_request_header("Accept", "application/json");
            let on_progress =
                Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
                    if e.length_computable() && e.total() > 0.0 {
                        progress.try_set(Some((e.loaded() * 100.0 / e.total()) as u32));
                    }
                });
            if let Ok(up) = xhr.upload() {
                up.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
            }
            on_progress.forget();
            let done_xhr = xhr.clone();
            let slot: Rc<RefCell<Option<web_sys::XmlHttpRequest>>> = (*self.0).clone();
            let form = form.clone();
            let on_done = Closure::<dyn FnMut()>::new(move || {
                slot.borrow_mut().take();
                progress.try_set(None);
                let status = done_xhr.status().unwrap_or(0);
                let body = done_xhr.response_text().ok().flatten().unwrap_or_default();
                match upload_error(status, &body) {
                    None => {
                        form.reset();
                        chosen.try_set(Vec::new());
                        error.try_set(None);
                        cid.try_set(crate::ui::socket::new_client_id());
                        // Only the field needed (a generic JSON value would add its reader
                        // to every page's wasm).
                        #[derive(serde::Deserialize)]
                        struct Sent {
                            conversation: i64,
                        }
                        if let Ok(a) = serde_json::from_str::<Sent>(&body) {
                            sent.try_run(a.conversation);
                        }
                    }
                    Some(code) => {
                        error.try_set(Some(code));
                    }
                }
            });
            xhr.set_onload(Some(on_done.as_ref().unchecked_ref()));
            on_done.forget();
            let slot: Rc<RefCell<Option<web_sys::XmlHttpRequest>>> = (*self.0).clone();
            let on_fail = Closure::<dyn FnMut()>::new(move || {
                slot.borrow_mut().take();
                progress.try_set(None);
                error.try_set(Some(Code::Internal));
            });
            xhr.set_onerror(Some(on_fail.as_ref().unchecked_ref()));
            on_fail.forget();
            let slot: Rc<RefCell<Option<web_sys::XmlHttpRequest>>> = (*self.0).clone();
            let on_abort = Closure::<dyn FnMut()>::new(move || {
                slot.borrow_mut().take();
                progress.try_set(None);
            });
            xhr.set_onabort(Some(on_abort.as_ref().unchecked_ref()));
            on_abort.forget();
            progress.try_set(Some(0));
            error.try_set(None);
            if xhr.send_with_opt_form_data(Some(&data)).is_ok() {
                *self.0.borrow_mut() = Some(xhr);
            } else {
                progress.try_set(None);
            }
        }

        pub fn cancel(&self) {
            // Taken out first: aborting calls `onabort` at once, which looks at the slot.
            let under_way = self.0.borrow_mut().take();
            if let Some(x) = under_way {
                let _ = x.abort();
            }
        }
    }
}
