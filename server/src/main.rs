//! `netlines`: the server and its admin CLI. See `netlines --help`.

/// mimalloc gives memory back to the system when connections close; glibc's allocator
/// keeps most of it in its arenas.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::cli::run().await
}
