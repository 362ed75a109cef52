//! Attachments' bytes: what a file is (decided by its content, never by its name), where
//! its bytes are kept ([`FileStore`]: a folder by content hash by default, behind a small
//! trait so an S3-compatible store can be added), and the pictures made of images (the
//! full picture and a thumbnail, both re-encoded, so no metadata — EXIF, GPS, comments —
//! survives).

use crate::error::{AppError, Code, Field};
use image::{ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};
use std::io::Cursor;
use std::path::PathBuf;

/// The longest side of a thumbnail, in pixels.
pub const THUMB_SIDE: u32 = 320;
/// Largest width and height of an image shown as a picture (larger ones are refused).
pub const MAX_SIDE: u32 = 10_000;
/// Most pixels of a picture (40 megapixels: a large phone photo), checked before
/// decoding, so one upload cannot take seconds of CPU and hundreds of MiB to decode.
pub const MAX_PIXELS: u64 = 40_000_000;

/// Decoding pictures is CPU- and memory-heavy: at most one per CPU at a time, whoever
/// asks (attachments, avatars); the others wait their turn.
pub fn decode_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2))
    })
}

fn refuse(code: Code) -> AppError {
    AppError::Invalid {
        field: Field::Files,
        code,
    }
}

/// The types accepted, each recognised by its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Png,
    Jpeg,
    Pdf,
    /// A ZIP container: `.zip` and the office formats built on it.
    Zip(&'static str),
    /// An OLE container: the older office formats.
    Ole(&'static str),
    /// UTF-8 text without NUL bytes.
    Text,
}

impl Kind {
    pub fn mime(self) -> &'static str {
        match self {
            Kind::Png => "image/png",
            Kind::Jpeg => "image/jpeg",
            Kind::Pdf => "application/pdf",
            Kind::Zip(m) | Kind::Ole(m) => m,
            Kind::Text => "text/plain; charset=utf-8",
        }
    }

    pub fn is_image(self) -> bool {
        matches!(self, Kind::Png | Kind::Jpeg)
    }

    /// The extension that names this type.
    pub fn extension(self) -> &'static str {
        match self {
            Kind::Png => "png",
            Kind::Jpeg => "jpg",
            Kind::Pdf => "pdf",
            Kind::Zip(m) | Kind::Ole(m) => match m {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation" => "pptx",
                "application/vnd.oasis.opendocument.text" => "odt",
                "application/vnd.oasis.opendocument.spreadsheet" => "ods",
                "application/msword" => "doc",
                "application/vnd.ms-excel" => "xls",
                "application/vnd.ms-powerpoint" => "ppt",
                _ => "zip",
            },
            Kind::Text => "txt",
        }
    }
}

/// Extensions a system may run or render when the file is opened: a file never keeps
/// one as its last extension (the type's own is added), so `invoice.bat` downloads as
/// `invoice.bat.txt`.
const RUNNABLE: &[&str] = &[
    "exe",
    "com",
    "bat",
    "cmd",
    "scr",
    "pif",
    "msi",
    "msp",
    "msc",
    "cpl",
    "dll",
    "sys",
    "js",
    "jse",
    "vbs",
    "vbe",
    "wsf",
    "wsh",
    "ws",
    "ps1",
    "psm1",
    "psd1",
    "hta",
    "lnk",
    "url",
    "reg",
    "inf",
    "jar",
    "sh",
    "bash",
    "zsh",
    "command",
    "app",
    "apk",
    "deb",
    "rpm",
    "run",
    "bin",
    "elf",
    "html",
    "htm",
    "xhtml",
    "shtml",
    "svg",
    "svgz",
    "xml",
    "xsl",
    "mht",
    "mhtml",
    "chm",
    "iso",
    "img",
    "vhd",
    "vhdx",
    "appimage",
    "desktop",
    "scf",
    "gadget",
    "application",
    "jnlp",
    "py",
    "pyw",
    "pl",
    "rb",
    "php",
];

/// Characters that change the direction text is drawn in (or mark it invisibly): a name
/// like `invoice<U+202E>txt.bat` would show as `invoicetab.txt`.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The name a file of type `kind` is shown and downloaded under: [`clean_name`], and
/// never a runnable extension at the end.
pub fn safe_name(raw: &str, kind: Kind) -> String {
    let name = clean_name(raw);
    let ext = extension(&name);
    if RUNNABLE.contains(&ext.as_str()) {
        let own = kind.extension();
        let keep = 120usize.saturating_sub(own.len() + 1);
        let stem: String = name.chars().take(keep).collect();
        return format!("{stem}.{own}");
    }
    name
}

fn extension(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

/// What `bytes` are, from their first bytes (the name only tells apart formats that
/// share a container); `None`: not a type Netlines accepts.
pub fn sniff(bytes: &[u8], name: &str) -> Option<Kind> {
    let ext = extension(name);
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(Kind::Png);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(Kind::Jpeg);
    }
    if bytes.starts_with(b"%PDF-") {
        return Some(Kind::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Some(Kind::Zip(match ext.as_str() {
            "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "odt" => "application/vnd.oasis.opendocument.text",
            "ods" => "application/vnd.oasis.opendocument.spreadsheet",
            _ => "application/zip",
        }));
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return match ext.as_str() {
            "doc" => Some(Kind::Ole("application/msword")),
            "xls" => Some(Kind::Ole("application/vnd.ms-excel")),
            "ppt" => Some(Kind::Ole("application/vnd.ms-powerpoint")),
            _ => None,
        };
    }
    if !bytes.is_empty() && !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok() {
        return Some(Kind::Text);
    }
    None
}

/// A file's name as shown and offered for download: the last path part, control
/// characters and quotes dropped, at most 120 characters; never empty.
pub fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| {
            !c.is_control() && !is_bidi_control(*c) && !matches!(c, '"' | '<' | '>' | '*' | '?' | ':' | '|')
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        return "file".into();
    }
    if cleaned.chars().count() <= 120 {
        return cleaned.to_string();
    }
    // Keep the extension when cutting.
    let ext = extension(cleaned);
    let keep = 120 - ext.chars().count().min(20) - 1;
    let stem: String = cleaned.chars().take(keep).collect();
    if ext.is_empty() || ext.chars().count() > 20 {
        cleaned.chars().take(120).collect()
    } else {
        format!("{stem}.{ext}")
    }
}

/// The content key of some bytes (SHA-256, hex).
pub fn key_of(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// An image made ready to show: the full picture and its thumbnail, re-encoded.
#[derive(Debug)]
pub struct Picture {
    pub full: Vec<u8>,
    pub thumb: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// The format both are written in (the upload's own).
    pub kind: Kind,
}

/// Decodes an uploaded image within limits (dimensions before decoding, memory while
/// decoding) and writes it again, with a thumbnail no larger than [`THUMB_SIDE`].
pub fn picture(bytes: &[u8], kind: Kind) -> Result<Picture, AppError> {
    let format = match kind {
        Kind::Png => ImageFormat::Png,
        Kind::Jpeg => ImageFormat::Jpeg,
        _ => return Err(refuse(Code::FileType)),
    };
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| refuse(Code::FileCorrupt))?;
    if w == 0 || h == 0 {
        return Err(refuse(Code::FileCorrupt));
    }
    if w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(refuse(Code::FileDimensions));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => refuse(Code::FileDimensions),
        _ => refuse(Code::FileCorrupt),
    })?;
    let encode = |img: &image::DynamicImage| -> Result<Vec<u8>, AppError> {
        let mut out = Cursor::new(Vec::new());
        match kind {
            Kind::Jpeg => img
                .to_rgb8()
                .write_to(&mut out, ImageFormat::Jpeg)
                .map_err(|_| refuse(Code::FileCorrupt))?,
            _ => img
                .write_to(&mut out, ImageFormat::Png)
                .map_err(|_| refuse(Code::FileCorrupt))?,
        }
        Ok(out.into_inner())
    };
    let thumb = if w <= THUMB_SIDE && h <= THUMB_SIDE {
        img.clone()
    } else {
        img.thumbnail(THUMB_SIDE, THUMB_SIDE)
    };
    Ok(Picture {
        full: encode(&img)?,
        thumb: encode(&thumb)?,
        width: w,
        height: h,
        kind,
    })
}

/// Where attachments' bytes are kept, by content key. Writing the same key twice keeps
/// one copy.
pub trait FileStore: Send + Sync {
    /// Keeps `bytes` under `key`. Writing a key that is already there keeps the one copy
    /// and marks it as fresh (the collector leaves fresh files alone).
    fn put<'a>(&'a self, key: &'a str, bytes: &'a [u8]) -> Pending<'a, ()>;
    fn get<'a>(&'a self, key: &'a str) -> Pending<'a, Option<Vec<u8>>>;
    /// Removes `key`'s bytes (nothing when there are none).
    fn delete<'a>(&'a self, key: &'a str) -> Pending<'a, ()>;
    /// Keys whose bytes were last written more than `age` ago, at most `limit` of them
    /// (the collector's candidates), and leftovers of interrupted writes that old are
    /// removed on the way.
    fn older_than<'a>(&'a self, age: std::time::Duration, limit: usize) -> Pending<'a, Vec<String>>;
}

/// What a store's operation answers, later.
pub type Pending<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = std::io::Result<T>> + Send + 'a>>;

/// A folder: `root/ab/cd/abcd…` (the key's first two pairs of hex digits as folders).
pub struct DirStore {
    root: PathBuf,
}

impl DirStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        // Keys are ours (hex of a hash); anything else never reaches the file system.
        if key.len() < 8 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(self.root.join(&key[0..2]).join(&key[2..4]).join(key))
    }
}

impl FileStore for DirStore {
    fn put<'a>(&'a self, key: &'a str, bytes: &'a [u8]) -> Pending<'a, ()> {
        Box::pin(self.put_now(key, bytes))
    }

    fn get<'a>(&'a self, key: &'a str) -> Pending<'a, Option<Vec<u8>>> {
        Box::pin(self.get_now(key))
    }

    fn delete<'a>(&'a self, key: &'a str) -> Pending<'a, ()> {
        Box::pin(async move {
            let Some(path) = self.path(key) else {
                return Ok(());
            };
            match tokio::fs::remove_file(&path).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            }
        })
    }

    fn older_than<'a>(&'a self, age: std::time::Duration, limit: usize) -> Pending<'a, Vec<String>> {
        let root = self.root.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || old_keys(&root, age, limit))
                .await
                .map_err(std::io::Error::other)?
        })
    }
}

/// The keys under `root` (`ab/cd/abcd…`) last written more than `age` ago; stray
/// temporary files that old are removed.
fn old_keys(root: &std::path::Path, age: std::time::Duration, limit: usize) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    let Some(cutoff) = std::time::SystemTime::now().checked_sub(age) else {
        return Ok(out);
    };
    let dirs = |p: &std::path::Path| -> std::io::Result<Vec<std::path::PathBuf>> {
        match std::fs::read_dir(p) {
            Ok(rd) => Ok(rd.filter_map(Result::ok).map(|e| e.path()).collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    };
    for first in dirs(root)? {
        if !first.is_dir() {
            continue;
        }
        for second in dirs(&first)? {
            if !second.is_dir() {
                continue;
            }
            for file in dirs(&second)? {
                let Ok(meta) = std::fs::metadata(&file) else {
                    continue;
                };
                if !meta.is_file() || meta.modified().map_or(true, |m| m > cutoff) {
                    continue;
                }
                let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                if name.starts_with('.') && name.ends_with(".tmp") {
                    let _ = std::fs::remove_file(&file);
                } else if name.len() >= 8 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
                    out.push(name.to_string());
                    if out.len() >= limit {
                        return Ok(out);
                    }
                }
            }
        }
    }
    Ok(out)
}

impl DirStore {
    async fn put_now(&self, key: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self
            .path(key)
            .ok_or_else(|| std::io::Error::other("not a content key"))?;
        if tokio::fs::try_exists(&path).await? {
            // Fresh again: the collector leaves it alone while the message that needs it
            // is being written.
            let p = path.clone();
            tokio::task::spawn_blocking(move || {
                std::fs::File::options()
                    .append(true)
                    .open(&p)
                    .and_then(|f| f.set_modified(std::time::SystemTime::now()))
            })
            .await
            .map_err(std::io::Error::other)??;
            return Ok(());
        }
        let dir = path.parent().expect("a key's path has a folder");
        tokio::fs::create_dir_all(dir).await?;
        // Written aside, flushed, then renamed: a reader never sees half a file, and a
        // crash leaves at worst a stray temporary file.
        let tmp = dir.join(format!(".{key}.{}.tmp", std::process::id()));
        let mut f = tokio::fs::File::create(&tmp).await?;
        tokio::io::AsyncWriteExt::write_all(&mut f, bytes).await?;
        f.sync_all().await?;
        drop(f);
        tokio::fs::rename(&tmp, &path).await
    }

    async fn get_now(&self, key: &str) -> std::io::Result<Option<Vec<u8>>> {
        let Some(path) = self.path(key) else {
            return Ok(None);
        };
        match tokio::fs::read(&path).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_decides_the_type_and_the_name_only_tells_containers_apart() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n....", "x.pdf"), Some(Kind::Png));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0], "photo.png"), Some(Kind::Jpeg));
        assert_eq!(sniff(b"%PDF-1.7", "a.txt"), Some(Kind::Pdf));
        assert_eq!(
            sniff(b"PK\x03\x04rest", "report.DOCX").map(Kind::mime),
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        );
        assert_eq!(
            sniff(b"PK\x03\x04rest", "x.exe").map(Kind::mime),
            Some("application/zip")
        );
        assert_eq!(
            sniff(b"Hello, \xc5\xbc\xc3\xb3\xc5\x82w\n", "notes.txt"),
            Some(Kind::Text)
        );
        // An executable, HTML with a harmless name, binary noise, nothing at all.
        assert_eq!(sniff(b"MZ\x90\x00\x03", "invoice.pdf"), None);
        assert_eq!(sniff(b"\x00\x01\x02", "a.txt"), None);
        assert_eq!(sniff(b"", "a.txt"), None);
        assert_eq!(
            sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1], "a.msi"),
            None
        );
        // Text is served as text/plain with nosniff, so markup in it never runs.
        assert_eq!(sniff(b"<script>alert(1)</script>", "x.html"), Some(Kind::Text));
    }

    #[test]
    fn names_lose_paths_and_control_characters_and_keep_their_extension_when_cut() {
        assert_eq!(clean_name("C:\\Users\\ola\\faktura.pdf"), "faktura.pdf");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\"b\r\nc.txt"), "abc.txt");
        assert_eq!(clean_name(".."), "file");
        assert_eq!(clean_name(""), "file");
        let long = format!("{}.pdf", "ż".repeat(300));
        let c = clean_name(&long);
        assert!(c.ends_with(".pdf") && c.chars().count() <= 120, "{c}");
    }

    #[test]
    fn pictures_are_written_again_without_metadata_and_with_a_small_thumbnail() {
        let mut img = image::RgbImage::new(800, 400);
        for (x, _, p) in img.enumerate_pixels_mut() {
            *p = image::Rgb([(x % 256) as u8, 80, 200]);
        }
        let mut jpeg = Cursor::new(Vec::new());
        img.write_to(&mut jpeg, ImageFormat::Jpeg).unwrap();
        // An EXIF segment with a GPS-looking marker, right after the start of image.
        let mut bytes = vec![0xFF, 0xD8];
        let exif = b"Exif\0\0GPSLatitude=52.2297";
        bytes.extend_from_slice(&[0xFF, 0xE1, 0, (exif.len() + 2) as u8]);
        bytes.extend_from_slice(exif);
        bytes.extend_from_slice(&jpeg.into_inner()[2..]);
        let kind = sniff(&bytes, "photo.jpg").unwrap();
        let p = picture(&bytes, kind).unwrap();
        assert_eq!((p.width, p.height), (800, 400));
        let hay = |b: &[u8]| b.windows(11).any(|w| w == b"GPSLatitude");
        assert!(hay(&bytes) && !hay(&p.full) && !hay(&p.thumb));
        let t = image::load_from_memory(&p.thumb).unwrap();
        assert_eq!((t.width(), t.height()), (320, 160));
        assert_eq!(
            picture(b"\x89PNG\r\n\x1a\nbroken", Kind::Png).unwrap_err().code(),
            Code::FileCorrupt
        );
    }

    #[test]
    fn names_lose_direction_controls_and_runnable_extensions() {
        // Shown as "invoicetab.txt" were the override kept.
        assert_eq!(
            safe_name("invoice\u{202E}txt.bat", Kind::Text),
            "invoicetxt.bat.txt"
        );
        assert_eq!(
            safe_name("setup.EXE", Kind::Zip("application/zip")),
            "setup.EXE.zip"
        );
        assert_eq!(safe_name("page.html", Kind::Text), "page.html.txt");
        assert_eq!(safe_name("a\u{2066}b\u{2069}.pdf", Kind::Pdf), "ab.pdf");
        assert_eq!(safe_name("raport.pdf", Kind::Pdf), "raport.pdf");
        assert_eq!(safe_name("zdjęcie.jpg", Kind::Jpeg), "zdjęcie.jpg");
        let long = format!("{}.js", "a".repeat(200));
        let n = safe_name(&long, Kind::Text);
        assert!(n.ends_with(".txt") && n.chars().count() <= 120, "{n}");
    }

    #[test]
    fn a_picture_of_too_many_pixels_is_refused_before_it_is_decoded() {
        // 8,000 × 6,000 = 48 megapixels, each side under the 10,000 limit.
        let img = image::GrayImage::new(8_000, 6_000);
        let mut png = Cursor::new(Vec::new());
        img.write_to(&mut png, ImageFormat::Png).unwrap();
        assert_eq!(
            picture(&png.into_inner(), Kind::Png).unwrap_err().code(),
            Code::FileDimensions
        );
    }

    #[tokio::test]
    async fn the_folder_store_keeps_one_copy_per_key_and_refuses_other_keys() {
        let dir = std::env::temp_dir().join(format!("netlines-files-{}", std::process::id()));
        let store = DirStore::new(&dir);
        let key = key_of(b"hello");
        store.put(&key, b"hello").await.unwrap();
        store.put(&key, b"hello").await.unwrap();
        assert_eq!(store.get(&key).await.unwrap().as_deref(), Some(&b"hello"[..]));
        assert_eq!(store.get(&key_of(b"other")).await.unwrap(), None);
        assert_eq!(store.get("../../etc/passwd").await.unwrap(), None);
        assert!(store.put("../x", b"x").await.is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
