//! Customer/operator pairs made through the real entry points, as people would make
//! them: registration, a new account, a Network channel with its operator, and a
//! customer with an account of their own.

use anyhow::{anyhow, bail, Context, Result};
use reqwest::cookie::{CookieStore, Jar};
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use std::sync::Arc;

pub const PASSWORD: &str = "load generator password";

/// A signed-in browser: its cookie for WebSocket requests.
#[derive(Clone)]
pub struct Browser {
    pub cookie: String,
}

/// One operator (admin of an account with one Network channel they serve) and one
/// customer (writing from an account of their own).
#[derive(Clone)]
pub struct Pair {
    pub index: usize,
    pub operator: Browser,
    pub operator_slug: String,
    pub customer: Browser,
    pub customer_slug: String,
    pub code: String,
}

struct Http {
    base: String,
    client: Client,
    jar: Arc<Jar>,
}

impl Http {
    fn new(base: &str) -> Result<Self> {
        let jar = Arc::new(Jar::default());
        let client = Client::builder()
            .cookie_provider(jar.clone())
            .redirect(Policy::none())
            .timeout(std::time::Duration::from_secs(60))
            .build()?;
        Ok(Self {
            base: base.to_string(),
            client,
            jar,
        })
    }

    /// Posts a form as a page of this site does; returns the redirect's target.
    async fn form(&self, path: &str, form: &[(&str, &str)]) -> Result<String> {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("origin", &self.base)
            .header("accept", "text/html")
            .form(form)
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        if r.status() != StatusCode::SEE_OTHER {
            bail!("POST {path}: {}", r.status());
        }
        let to = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if to.contains("error") {
            bail!("POST {path} was refused: {to}");
        }
        Ok(to)
    }

    /// Calls a server function; its JSON answer.
    async fn server_fn(&self, name: &str, form: &[(&str, &str)]) -> Result<serde_json::Value> {
        let r = self
            .client
            .post(format!("{}/api/{name}", self.base))
            .header("origin", &self.base)
            .form(form)
            .send()
            .await
            .with_context(|| format!("/api/{name}"))?;
        if !r.status().is_success() {
            bail!("/api/{name}: {}", r.status());
        }
        Ok(r.json().await?)
    }

    fn cookie(&self) -> Result<String> {
        let url = self.base.parse()?;
        let v = self
            .jar
            .cookies(&url)
            .ok_or_else(|| anyhow!("no session cookie"))?;
        Ok(v.to_str()?.to_string())
    }

    async fn register(&self, email: &str, name: &str) -> Result<()> {
        let to = self
            .form(
                "/auth/register",
                &[("email", email), ("name", name), ("password", PASSWORD)],
            )
            .await?;
        if to != "/network" {
            bail!("registration of {email} went to {to}");
        }
        Ok(())
    }

    async fn create_account(&self, name: &str, slug: &str) -> Result<()> {
        let to = self
            .form("/accounts", &[("account_name", name), ("slug", slug)])
            .await?;
        if !to.starts_with(&format!("/a/{slug}")) {
            bail!("account {slug} went to {to}");
        }
        Ok(())
    }
}

/// Makes pair `i` (names carry `run` so several runs can share a database).
pub async fn pair(base: &str, run: &str, i: usize) -> Result<Pair> {
    let op = Http::new(base)?;
    let op_slug = format!("op-{run}-{i}");
    op.register(&format!("op{i}.{run}@bench.test"), &format!("Operator {i}"))
        .await?;
    op.create_account(&format!("Support {i}"), &op_slug).await?;
    let me = op.server_fn("current_user", &[]).await?;
    let my_id = me["id"]
        .as_i64()
        .ok_or_else(|| anyhow!("current_user: {me}"))?
        .to_string();
    let to = op
        .form(
            &format!("/a/{op_slug}/contact-center/network/connect"),
            &[("channel", "new"), ("new_channel_name", "Help desk")],
        )
        .await?;
    // `/a/{slug}/contact-center/network/settings/{id}?ok=connected`
    let channel = to
        .split('?')
        .next()
        .and_then(|p| p.rsplit('/').next())
        .ok_or_else(|| anyhow!("connect went to {to}"))?
        .to_string();
    op.form(
        &format!("/a/{op_slug}/contact-center/channels/{channel}/operators"),
        &[("operator", &my_id)],
    )
    .await?;
    let settings = op
        .server_fn("connector_settings", &[("slug", &op_slug), ("channel", &channel)])
        .await?;
    let code = settings["code"]
        .as_str()
        .ok_or_else(|| anyhow!("connector_settings: {settings}"))?
        .to_string();

    let cu = Http::new(base)?;
    let cu_slug = format!("cu-{run}-{i}");
    cu.register(&format!("cu{i}.{run}@bench.test"), &format!("Customer {i}"))
        .await?;
    cu.create_account(&format!("Client {i}"), &cu_slug).await?;
    Ok(Pair {
        index: i,
        operator: Browser { cookie: op.cookie()? },
        operator_slug: op_slug,
        customer: Browser { cookie: cu.cookie()? },
        customer_slug: cu_slug,
        code,
    })
}

/// Makes `n` pairs, a few at a time (registration hashes passwords, which is slow on
/// purpose).
pub async fn pairs(base: &str, run: &str, n: usize) -> Result<Vec<Pair>> {
    use futures::StreamExt;
    let mut out: Vec<Pair> = futures::stream::iter(0..n)
        .map(|i| pair(base, run, i))
        .buffer_unordered(4)
        .collect::<Vec<Result<Pair>>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;
    out.sort_by_key(|p| p.index);
    Ok(out)
}

/// Another account of `browser`'s user (an idle socket per account: each follows topics
/// of its own, as distinct customers do).
pub async fn extra_account(client: &Client, base: &str, browser: &Browser, slug: &str) -> Result<()> {
    let r = client
        .post(format!("{base}/accounts"))
        .header("cookie", &browser.cookie)
        .header("origin", base)
        .header("accept", "text/html")
        .form(&[("account_name", "Idle client"), ("slug", slug)])
        .send()
        .await?;
    let to = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if r.status() != StatusCode::SEE_OTHER || !to.starts_with(&format!("/a/{slug}")) {
        bail!("account {slug}: {} {to}", r.status());
    }
    Ok(())
}

/// A client without cookies or redirects, for requests that carry their own cookie.
pub fn plain_client() -> Result<Client> {
    Ok(Client::builder()
        .redirect(Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()?)
}
