//! Builds the Netlines site the way `cargo leptos build --split` does, with plain cargo
//! and the wasm-bindgen and wasm-split libraries linked in, so a fresh machine does not
//! compile cargo-leptos and wasm-bindgen-cli first (README, "First run").
//!
//! Steps:
//! 1. the server binary (`cargo build -p server --bin netlines`);
//! 2. the browser library for wasm32 (`cargo build -p frontend --lib`), with relocations
//!    kept so it can be split;
//! 3. the lazily loaded parts cut out of the wasm (`lazy_page!` in app/src/ui.rs);
//! 4. wasm-bindgen's JS glue for the main part (`--target web`);
//! 5. in release, every wasm part through `wasm-opt -Oz`;
//! 6. the stylesheet and the public assets copied into the site folder;
//! 7. in release, the JS and the stylesheet minified with esbuild.
//!
//! The server (1) and the wasm pipeline (2–5) run at the same time: the server's build
//! ends with long single-threaded steps (the `app` and `server` crates, linking) that
//! leave a core free, and wasm-opt runs on every core.
//!
//! The new `pkg` folder is assembled beside the old one and swapped in at the end, so a
//! server reading the site folder never sees half a build.
//!
//! Usage: `build-site [--release] [--debug-server] [--site-root DIR] [--skip-server]
//! [-- WASM_CARGO_ARGS…]`

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The name the server's hydration scripts load (`LEPTOS_OUTPUT_NAME`).
const OUTPUT_NAME: &str = "netlines";
/// The loader the split parts import; leptos's `HydrationScripts` names it so.
const SPLIT_LOADER: &str = "./__wasm_split.______________________.js";
const SPLIT_MANIFEST: &str = "__wasm_split_manifest.json";

#[derive(Debug, PartialEq)]
struct Options {
    release: bool,
    /// `--debug-server`: with `--release`, the client is a release build but the server
    /// a debug one (what `make run` serves: a few minutes to build, not a quarter hour).
    debug_server: bool,
    site_root: PathBuf,
    skip_server: bool,
    wasm_cargo_args: Vec<String>,
}

fn parse_args(args: impl IntoIterator<Item = String>, default_site: PathBuf) -> Result<Options> {
    let mut options = Options {
        release: false,
        debug_server: false,
        site_root: default_site,
        skip_server: false,
        wasm_cargo_args: Vec::new(),
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--release" => options.release = true,
            "--skip-server" => options.skip_server = true,
            "--debug-server" => options.debug_server = true,
            "--site-root" => {
                options.site_root = args.next().context("--site-root needs a folder")?.into();
            }
            "--" => {
                options.wasm_cargo_args = args.by_ref().collect();
            }
            other => bail!(
                "unknown argument {other:?}; usage: build-site [--release] [--debug-server] \
                 [--site-root DIR] [--skip-server] [-- WASM_CARGO_ARGS…]"
            ),
        }
    }
    Ok(options)
}

fn main() -> Result<()> {
    let root = workspace_root()?;
    std::env::set_current_dir(&root)?;
    let default_site = std::env::var_os("LEPTOS_SITE_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/site"));
    let options = parse_args(std::env::args().skip(1), default_site)?;
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let started = Instant::now();

    let site = options.site_root.clone();
    let staging = site.join("pkg.building");
    std::thread::scope(|scope| -> Result<()> {
        let server =
            (!options.skip_server).then(|| scope.spawn(|| step("server", || build_server(&options))));
        let front = front(&options, &target_dir, &staging);
        if let Some(server) = server {
            server
                .join()
                .map_err(|_| anyhow::anyhow!("the server build thread panicked"))??;
        }
        front
    })?;
    swap_in(&site, &staging)?;
    copy_dir("public".as_ref(), &site).context("copying public/")?;
    println!(
        "build-site: {} site in {} ({:.1}s)",
        if options.release { "release" } else { "debug" },
        site.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Steps 2–6 into `staging`: the wasm built, split, bound, optimised, and the stylesheet.
fn front(options: &Options, target_dir: &Path, staging: &Path) -> Result<()> {
    let wasm = step("wasm", || build_wasm(options, target_dir))?;
    if staging.exists() {
        std::fs::remove_dir_all(staging)?;
    }
    std::fs::create_dir_all(staging)?;
    let mut parts = step("split", || split(&wasm, staging))?;
    let main_wasm = step("wasm-bindgen", || bindgen(&wasm, staging))?;
    parts.push(main_wasm);
    std::fs::copy("style/main.css", staging.join(format!("{OUTPUT_NAME}.css")))
        .context("copying style/main.css")?;
    if options.release {
        step("wasm-opt", || optimise(&parts))?;
        step("minify", || minify(staging))?;
    }
    Ok(())
}

fn step<T>(name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let started = Instant::now();
    println!("build-site: {name}…");
    let out = f().with_context(|| format!("step {name}"))?;
    println!(
        "build-site: {name} done ({:.1}s)",
        started.elapsed().as_secs_f64()
    );
    Ok(out)
}

/// The checkout to build: the workspace around the current directory — not the one this
/// builder was compiled in, since two checkouts share one build folder and so one
/// builder binary — else (run from elsewhere) the one it was compiled in.
fn workspace_root() -> Result<PathBuf> {
    if let Some(root) = std::env::current_dir().ok().and_then(|d| workspace_root_from(&d)) {
        return Ok(root);
    }
    // scripts/build-site → the workspace root.
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = manifest
        .parent()
        .and_then(Path::parent)
        .context("the builder lives in scripts/build-site")?;
    Ok(root.to_path_buf())
}

/// The nearest directory at or above `dir` that is a Netlines workspace (a `Cargo.toml`
/// with `[workspace]` beside `scripts/build-site`).
fn workspace_root_from(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| {
            d.join("scripts/build-site/Cargo.toml").is_file()
                && std::fs::read_to_string(d.join("Cargo.toml"))
                    .map(|t| t.contains("[workspace]"))
                    .unwrap_or(false)
        })
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod checkout_tests {
    use super::*;

    #[test]
    fn the_checkout_is_found_from_the_current_directory_not_from_where_the_builder_was_built() {
        let tmp = std::env::temp_dir().join(format!("build-site-checkout-{}", std::process::id()));
        let nested = tmp.join("app/src/ui");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::create_dir_all(tmp.join("scripts/build-site")).unwrap();
        std::fs::write(tmp.join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
        std::fs::write(tmp.join("scripts/build-site/Cargo.toml"), "[package]\n").unwrap();
        assert_eq!(workspace_root_from(&nested), Some(tmp.clone()));
        assert_eq!(workspace_root_from(&tmp), Some(tmp.clone()));
        // A directory outside any checkout: none.
        assert_eq!(workspace_root_from(Path::new("/")), None);
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // Read by leptos with option_env! at compile time; the same value as scripts/env.sh,
    // so `cargo test` and this build share their artifacts.
    command.env("LEPTOS_OUTPUT_NAME", OUTPUT_NAME);
    command
}

fn run(mut command: Command) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("starting {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    Ok(())
}

/// The same command and features as `cargo test`'s build of the binary (scripts/test.sh),
/// so in debug the tests and the browser tests use one build.
fn build_server(options: &Options) -> Result<()> {
    let mut command = cargo();
    command.args([
        "build",
        "-p",
        "server",
        "--features",
        "app/ssr",
        "--bin",
        "netlines",
    ]);
    if options.release && !options.debug_server {
        command.arg("--release");
    }
    run(command)
}

/// Builds `frontend` for wasm32 into its own target folder (as cargo-leptos does, so
/// `cargo leptos watch` finds it) and returns the path of the wasm file.
fn build_wasm(options: &Options, target_dir: &Path) -> Result<PathBuf> {
    let front_dir = target_dir.join("front");
    let profile = if options.release { "wasm-release" } else { "debug" };
    let mut command = cargo();
    command.args([
        "build",
        "-p",
        "frontend",
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
    ]);
    command.arg("--target-dir").arg(&front_dir);
    if options.release {
        command.args(["--profile", "wasm-release"]);
    }
    command.args(&options.wasm_cargo_args);
    // Relocations let the splitter move functions into parts. With --target this flag
    // reaches only the wasm crates, not build scripts or proc macros. (No
    // `--cfg erase_components` in debug, unlike cargo-leptos: the server is built without
    // it, shared with `cargo test`, and both sides must render the same markers.)
    let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
    flags.push_str(" -Clink-args=--emit-relocs");
    command.env("RUSTFLAGS", flags.trim());
    run(command)?;
    let wasm = front_dir
        .join("wasm32-unknown-unknown")
        .join(profile)
        .join("frontend.wasm");
    if !wasm.is_file() {
        bail!("cargo did not produce {}", wasm.display());
    }
    Ok(wasm)
}

fn split_main_path(wasm: &Path) -> PathBuf {
    wasm.with_file_name("frontend_split.wasm")
}

/// Cuts the lazily loaded parts out into `out_dir` (with their loader and the manifest the
/// server reads for prefetching); the main part goes beside the input for wasm-bindgen.
fn split(wasm: &Path, out_dir: &Path) -> Result<Vec<PathBuf>> {
    let input = std::fs::read(wasm).with_context(|| format!("reading {}", wasm.display()))?;
    let main_out = split_main_path(wasm);
    let main_module = format!("./{OUTPUT_NAME}.js");
    let mut opts = wasm_split_cli_support::Options::new(&input);
    opts.output_dir = out_dir;
    opts.main_out_path = &main_out;
    opts.main_module = &main_module;
    opts.link_name = SPLIT_LOADER;
    let split = wasm_split_cli_support::transform(opts)
        .map_err(|e| anyhow::anyhow!("{e:?}"))
        .context("splitting the wasm")?;
    std::fs::write(
        out_dir.join(SPLIT_MANIFEST),
        serde_json::to_string_pretty(&split.prefetch_map)?,
    )?;
    Ok(split.split_modules)
}

/// `wasm-bindgen --target web --keep-lld-exports --no-demangle --out-name netlines`, then
/// `netlines_bg.wasm` renamed to `netlines.wasm` (the name leptos's scripts load).
fn bindgen(wasm: &Path, out_dir: &Path) -> Result<PathBuf> {
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen
        .input_path(split_main_path(wasm))
        .web(true)?
        .keep_lld_exports(true)
        .demangle(false)
        .typescript(false)
        .omit_default_module_path(false)
        .out_name(OUTPUT_NAME);
    bindgen.generate(out_dir)?;
    let bound = out_dir.join(format!("{OUTPUT_NAME}_bg.wasm"));
    let main = out_dir.join(format!("{OUTPUT_NAME}.wasm"));
    std::fs::rename(&bound, &main).with_context(|| format!("renaming {}", bound.display()))?;
    Ok(main)
}

/// `wasm-opt -Oz` on every part, through binaryen's JS API (`scripts/wasm-opt-all.mjs`):
/// one node process per core, each loading binaryen once for its share of the parts.
/// (binaryen from npm is itself WebAssembly; one `wasm-opt` process per part spent about
/// two seconds starting each, for a hundred-odd parts.)
fn optimise(parts: &[PathBuf]) -> Result<()> {
    let binaryen = binaryen_js()?;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let sized = parts
        .iter()
        .map(|p| Ok((p.clone(), std::fs::metadata(p)?.len())))
        .collect::<Result<Vec<_>>>()?;
    let children = deal(sized, workers)
        .into_iter()
        .filter(|share| !share.is_empty())
        .map(|share| {
            let mut command = Command::new("node");
            command
                .arg("scripts/wasm-opt-all.mjs")
                .arg(&binaryen)
                .args(&share);
            let shown = format!("{command:?}");
            command
                .spawn()
                .map(|c| (c, shown))
                .context("starting node (scripts/setup.sh installs it)")
        })
        .collect::<Result<Vec<_>>>()?;
    for (mut child, shown) in children {
        let status = child.wait()?;
        if !status.success() {
            bail!("`{shown}` failed with {status}");
        }
    }
    Ok(())
}

/// The JS glue, the split loader and the stylesheet minified in place with esbuild
/// (from npm, installed by scripts/setup.sh): names of exports and properties are kept,
/// only whitespace, comments and local names go.
fn minify(staging: &Path) -> Result<()> {
    for entry in std::fs::read_dir(staging)? {
        let path = entry?.path();
        let kind = path.extension().and_then(|e| e.to_str());
        if !matches!(kind, Some("js" | "css")) {
            continue;
        }
        let mut command = Command::new("esbuild");
        command
            .arg(&path)
            .args(["--minify", "--allow-overwrite", "--log-level=warning"])
            // wasm-bindgen writes the split loader's import once per part, under one key.
            .arg("--log-override:duplicate-object-key=silent")
            .arg(format!("--outfile={}", path.display()));
        if kind == Some("js") {
            command.arg("--format=esm");
        }
        run(command)?;
    }
    Ok(())
}

/// Deals the parts out to `n` shares, biggest first, each to the share with the fewest
/// bytes so far: the optimiser's time grows with size, so the shares end together.
fn deal(mut parts: Vec<(PathBuf, u64)>, n: usize) -> Vec<Vec<PathBuf>> {
    parts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut shares: Vec<(u64, Vec<PathBuf>)> = vec![(0, Vec::new()); n.max(1)];
    for (path, size) in parts {
        let lightest = shares
            .iter_mut()
            .min_by_key(|(bytes, _)| *bytes)
            .expect("at least one share");
        lightest.0 += size;
        lightest.1.push(path);
    }
    shares.into_iter().map(|(_, paths)| paths).collect()
}

/// binaryen's JS API: `index.js` of the npm package whose `bin/wasm-opt` is on `PATH`.
fn binaryen_js() -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let wasm_opt = std::env::split_paths(&path)
        .map(|dir| dir.join("wasm-opt"))
        .find(|p| p.is_file())
        .context("wasm-opt is not on PATH (scripts/setup.sh installs binaryen from npm)")?;
    let real = std::fs::canonicalize(&wasm_opt)?;
    let index = real
        .parent()
        .and_then(Path::parent)
        .map(|package| package.join("index.js"))
        .filter(|index| index.is_file())
        .with_context(|| {
            format!(
                "{} is not binaryen from npm (no index.js beside its bin/); run scripts/setup.sh",
                real.display()
            )
        })?;
    Ok(index)
}

/// Replaces `site/pkg` with the finished `staging` folder.
fn swap_in(site: &Path, staging: &Path) -> Result<()> {
    let pkg = site.join("pkg");
    let old = site.join("pkg.old");
    if old.exists() {
        std::fs::remove_dir_all(&old)?;
    }
    if pkg.exists() {
        std::fs::rename(&pkg, &old)?;
    }
    std::fs::rename(staging, &pkg)?;
    if old.exists() {
        std::fs::remove_dir_all(&old)?;
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_dealt_biggest_first_to_the_lightest_share() {
        let parts = [("a", 100), ("b", 60), ("c", 50), ("d", 10), ("e", 5)]
            .map(|(p, n)| (PathBuf::from(p), n))
            .to_vec();
        let shares = deal(parts.clone(), 2);
        let names = |s: &Vec<PathBuf>| s.iter().map(|p| p.display().to_string()).collect::<Vec<_>>();
        // a (100) | b (60); c to the lighter: b + c = 110; d to a: 110; e to the first of
        // two equal shares.
        assert_eq!(names(&shares[0]), ["a", "d", "e"]);
        assert_eq!(names(&shares[1]), ["b", "c"]);
        // More workers than parts: the extra shares stay empty; none is lost.
        let shares = deal(parts.clone(), 8);
        assert_eq!(shares.iter().map(Vec::len).sum::<usize>(), 5);
        assert_eq!(deal(parts, 0).len(), 1);
    }

    fn args(list: &[&str]) -> Result<Options> {
        parse_args(list.iter().map(|s| s.to_string()), "target/site".into())
    }

    #[test]
    fn defaults_to_a_debug_build_of_everything() {
        let options = args(&[]).unwrap();
        assert!(!options.release && !options.skip_server);
        assert_eq!(options.site_root, PathBuf::from("target/site"));
        assert!(options.wasm_cargo_args.is_empty());
    }

    #[test]
    fn reads_release_site_root_and_the_wasm_cargo_arguments() {
        let options = args(&[
            "--release",
            "--site-root",
            "target/site-debug",
            "--",
            "-Zbuild-std=std,panic_abort",
        ])
        .unwrap();
        assert!(options.release && !options.debug_server);
        assert_eq!(options.site_root, PathBuf::from("target/site-debug"));
        assert_eq!(options.wasm_cargo_args, ["-Zbuild-std=std,panic_abort"]);
    }

    #[test]
    fn a_release_client_can_go_with_a_debug_server() {
        let options = args(&["--release", "--debug-server"]).unwrap();
        assert!(options.release && options.debug_server);
    }

    #[test]
    fn refuses_unknown_arguments_and_a_missing_folder() {
        assert!(args(&["--split"]).is_err());
        assert!(args(&["--site-root"]).is_err());
    }

    #[test]
    fn swaps_the_new_pkg_folder_in_whole() {
        let dir = std::env::temp_dir().join(format!("build-site-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        std::fs::write(dir.join("pkg/stale_chunk.wasm"), b"old").unwrap();
        std::fs::create_dir_all(dir.join("pkg.building")).unwrap();
        std::fs::write(dir.join("pkg.building/netlines.wasm"), b"new").unwrap();
        swap_in(&dir, &dir.join("pkg.building")).unwrap();
        assert!(dir.join("pkg/netlines.wasm").is_file());
        assert!(!dir.join("pkg/stale_chunk.wasm").exists());
        assert!(!dir.join("pkg.building").exists() && !dir.join("pkg.old").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
