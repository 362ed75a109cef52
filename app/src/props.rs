//! Property tests ("fuzzing" that runs in `make test`) for the parsers that take input
//! straight from strangers: the customer link and channel codes, message bodies, and
//! uploaded pictures. Each must answer every input with a value or a clear error —
//! never a panic — and keep its promises on what it accepts. Longer runs:
//! `PROPTEST_CASES=200000 cargo test -p app --features ssr props` (see docs/security.md).

use crate::domain::channel::ChannelCode;
use crate::domain::conversation::{ClientMsgId, MessageBody};
use proptest::prelude::*;

fn cases() -> ProptestConfig {
    ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000),
    )
}

/// A small valid PNG (a gradient), made here.
fn tiny_png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn any_dialog_value_is_a_code_or_refused(s in ".{0,80}") {
        if let Ok(c) = ChannelCode::from_dialog(&s) {
            prop_assert_eq!(c.as_str().len(), 32);
            prop_assert!(c.as_str().bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        }
    }

    #[test]
    fn every_code_survives_its_own_link(code in "[0-9a-f]{32}") {
        let c = ChannelCode::parse(&code).unwrap();
        let link = c.link("https://net.example");
        let dialog = link.split("IM_DIALOG=").nth(1).unwrap();
        prop_assert_eq!(ChannelCode::from_dialog(dialog).unwrap(), c);
    }

    #[test]
    fn message_bodies_are_bounded_and_clean(s in "(?s).{0,4100}") {
        if let Ok(b) = MessageBody::parse(&s) {
            prop_assert!(!b.as_str().trim().is_empty());
            prop_assert!(b.as_str().chars().count() <= MessageBody::MAX_LEN);
            prop_assert!(!b.as_str().chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t'));
        }
    }

    #[test]
    fn client_ids_never_contain_what_server_ids_use(s in ".{0,70}") {
        if let Ok(id) = ClientMsgId::parse(&s) {
            prop_assert!(!id.as_str().contains(':'));
        }
    }

    #[test]
    fn any_bytes_are_a_picture_or_refused(bytes in proptest::collection::vec(any::<u8>(), 0..2048), crop in any::<bool>()) {
        let _ = crate::backend::images::process(&bytes, crop);
    }

    #[test]
    fn damaged_pictures_are_refused_or_read_never_a_panic(
        w in 1u32..40,
        h in 1u32..40,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        cut in any::<usize>(),
    ) {
        let mut png = tiny_png(w, h);
        for (at, v) in flips {
            let i = at % png.len();
            png[i] = v;
        }
        let keep = 8 + cut % png.len().max(9);
        png.truncate(keep.min(png.len()));
        let _ = crate::backend::images::process(&png, true);
    }
}

/// Leptos 0.8's server renderer writes `<textarea>` children raw, and `<script>` /
/// `<style>` are raw text by nature: no view may give any of them children. (Textarea
/// values go through `ui::form::textarea_html`.) Fails the suite if one ever does.
#[test]
fn no_view_writes_text_into_a_raw_text_element() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui"),
        &mut files,
    );
    assert!(files.len() > 5);
    for f in files {
        let src = std::fs::read_to_string(&f).unwrap();
        for (i, _) in src.match_indices("</textarea>") {
            let before = src[..i].trim_end();
            assert!(
                before.ends_with('>'),
                "{}: a <textarea> has children (set its value with textarea_html)",
                f.display()
            );
        }
        for tag in ["<script", "<style"] {
            assert!(!src.contains(tag), "{}: {tag} in a view", f.display());
        }
    }
}
