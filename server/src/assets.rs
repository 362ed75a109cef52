//! Static assets: served pre-compressed when `netlines precompress` has written
//! `FILE.br` / `FILE.gz` next to them (the release build does), compressed on the fly
//! otherwise (see the compression layer in [`crate::router`]).

use std::io::Write;
use std::path::{Path, PathBuf};

/// File kinds worth compressing ahead of time.
const EXTENSIONS: &[&str] = &["wasm", "js", "css", "svg", "html", "json"];

/// What one file became.
#[derive(Debug)]
pub struct Compressed {
    pub path: PathBuf,
    pub bytes: u64,
    pub brotli: u64,
    pub gzip: u64,
}

/// Writes `FILE.br` (brotli, best) and `FILE.gz` (gzip, best) for every asset under
/// `dir` whose compressed copies are missing or older than it.
pub fn precompress(dir: &Path) -> std::io::Result<Vec<Compressed>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let wanted = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| EXTENSIONS.contains(&e));
            if wanted {
                out.push(compress_file(&path)?);
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Removes compressed copies older than their file (a later build replaced it), so an
/// old copy is never served for a new file. Called when the server starts.
pub fn drop_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            drop_stale(&path);
            continue;
        }
        let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
            continue;
        };
        if ext != "br" && ext != "gz" {
            continue;
        }
        let source = path.with_extension("");
        let stale = match std::fs::metadata(&source) {
            Ok(m) => !fresh(&path, &m),
            Err(_) => true,
        };
        if stale {
            let _ = std::fs::remove_file(&path);
        }
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn fresh(copy: &Path, source: &std::fs::Metadata) -> bool {
    match (
        std::fs::metadata(copy).and_then(|m| m.modified()),
        source.modified(),
    ) {
        (Ok(c), Ok(s)) => c >= s,
        _ => false,
    }
}

fn compress_file(path: &Path) -> std::io::Result<Compressed> {
    let meta = std::fs::metadata(path)?;
    let (br, gz) = (with_suffix(path, ".br"), with_suffix(path, ".gz"));
    if !(fresh(&br, &meta) && fresh(&gz, &meta)) {
        let data = std::fs::read(path)?;
        let mut b = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut b, 64 * 1024, 11, 22);
            w.write_all(&data)?;
        }
        write_atomically(&br, &b)?;
        let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        g.write_all(&data)?;
        write_atomically(&gz, &g.finish()?)?;
    }
    Ok(Compressed {
        path: path.to_path_buf(),
        bytes: meta.len(),
        brotli: std::fs::metadata(&br)?.len(),
        gzip: std::fs::metadata(&gz)?.len(),
    })
}

/// A reader never sees half a file.
fn write_atomically(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let tmp = with_suffix(path, ".tmp");
    std::fs::write(&tmp, data)?;
    std::fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn assets_get_brotli_and_gzip_copies_that_decode_to_the_original() {
        let dir = tempfile::tempdir().unwrap();
        let wasm = dir.path().join("app.wasm");
        let data: Vec<u8> = (0..50_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        std::fs::write(&wasm, &data).unwrap();
        std::fs::write(dir.path().join("logo.png"), b"not compressed").unwrap();
        let out = precompress(dir.path()).unwrap();
        assert_eq!(out.len(), 1, "only the kinds worth it");
        assert!(out[0].brotli < out[0].bytes && out[0].gzip < out[0].bytes);
        let mut back = Vec::new();
        brotli::Decompressor::new(std::fs::File::open(with_suffix(&wasm, ".br")).unwrap(), 4096)
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(with_suffix(&wasm, ".gz")).unwrap())
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data);
        assert!(!dir.path().join("logo.png.br").exists());
        // Fresh copies are kept.
        let t = std::fs::metadata(with_suffix(&wasm, ".br"))
            .unwrap()
            .modified()
            .unwrap();
        precompress(dir.path()).unwrap();
        assert_eq!(
            std::fs::metadata(with_suffix(&wasm, ".br"))
                .unwrap()
                .modified()
                .unwrap(),
            t
        );
        drop_stale(dir.path());
        assert!(with_suffix(&wasm, ".br").exists());
        // A new build of the file: its old copies go.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&wasm, b"rebuilt").unwrap();
        drop_stale(dir.path());
        assert!(!with_suffix(&wasm, ".br").exists() && !with_suffix(&wasm, ".gz").exists());
    }
}
