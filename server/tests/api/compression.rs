//! Responses are compressed for browsers that accept it (brotli, gzip), and left alone
//! for those that do not.

use crate::harness::*;

#[tokio::test]
async fn pages_are_compressed_when_the_browser_accepts_it() {
    let app = spawn(&Backend::Sqlite).await;
    let c = browser();
    for (accept, expected) in [("br", Some("br")), ("gzip", Some("gzip")), ("identity", None)] {
        let r = c
            .get(app.url("/login"))
            .header("accept", "text/html")
            .header("accept-encoding", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let encoding = r
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_string());
        assert_eq!(encoding.as_deref(), expected, "accept-encoding: {accept}");
        let body = r.bytes().await.unwrap();
        if expected.is_none() {
            assert!(String::from_utf8_lossy(&body).contains("<html"));
        } else {
            assert!(!body.starts_with(b"<!DOCTYPE"), "{accept}: the body is encoded");
        }
    }
}
