//! `netlines`: the server and its admin CLI. See `netlines --help`.

/// mimalloc: less memory per connection than glibc's allocator, and part of it given
/// back when connections close (docs/benchmarks.md, "Idle memory").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::cli::run().await
}
