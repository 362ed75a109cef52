//! `netlines`: the server and its admin CLI. See `netlines --help`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::cli::run().await
}
