//! Command line: `serve` (default) and the admin commands.

use crate::{leptos_options_from_env, shutdown_signal, Application};
use app::backend::db::connect_and_migrate;
use app::backend::services::{accounts, users};
use app::backend::Config;
use app::domain::{AccountName, DisplayName, Email, Password, Role, Slug};
use app::error::AppError;
use app::i18n::{error_key, t, Lang};
use clap::{Parser, Subcommand};
use sea_orm::DatabaseConnection;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "netlines",
    version,
    about = "Netlines: contact centers that talk to each other"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the web app (the default).
    Serve,
    /// Manage network identities.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage accounts.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Manage account members.
    Member {
        #[command(subcommand)]
        command: MemberCommand,
    },
    /// Manage REST webhooks.
    Webhook {
        #[command(subcommand)]
        command: WebhookCommand,
    },
    /// Write brotli and gzip copies of the site's static assets (the release build runs
    /// it), so they are served compressed at no cost per request.
    Precompress {
        /// The folder (default: `$LEPTOS_SITE_ROOT/pkg`, i.e. `target/site/pkg`).
        dir: Option<std::path::PathBuf>,
    },
    /// Seed two demo accounts with an admin, two operators and an employee each, and
    /// print their credentials. Safe to run again.
    Demo,
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Create a user.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        password: String,
    },
}

#[derive(Subcommand, Debug)]
enum AccountCommand {
    /// Create an account with an existing user as its admin.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        slug: String,
        /// Email of the existing user who becomes the admin.
        #[arg(long)]
        admin: String,
    },
}

#[derive(Subcommand, Debug)]
enum WebhookCommand {
    /// Create an inbound webhook for a member and print its URL.
    Create {
        /// The account's slug.
        #[arg(long)]
        account: String,
        /// The member's email.
        #[arg(long)]
        email: String,
        /// Comma-separated: imopenlines, im.
        #[arg(long, default_value = "imopenlines,im")]
        scopes: String,
        #[arg(long, default_value = "")]
        title: String,
    },
}

#[derive(Subcommand, Debug)]
enum MemberCommand {
    /// Add an existing user to an account.
    Add {
        /// The account's slug.
        #[arg(long)]
        account: String,
        #[arg(long)]
        email: String,
        /// admin, operator or employee.
        #[arg(long)]
        role: String,
    },
}

/// Parses the command line and runs it; errors go to stderr with a non-zero exit.
pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    match execute(cli.command.unwrap_or(Command::Serve)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let json = std::env::var("NETLINES_LOG_FORMAT")
        .map(|v| v == "json")
        .unwrap_or(false);
    let writer = NodeTagged {
        node: app::backend::cluster::node_id(),
        json,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Log lines on stderr, each tagged with this node's id: `node=ID ` before a text line,
/// a `"node":"ID"` field first in a JSON line. (The formatter writes each line whole.)
#[derive(Clone, Copy)]
struct NodeTagged {
    node: &'static str,
    json: bool,
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for NodeTagged {
    type Writer = NodeLine;

    fn make_writer(&'a self) -> NodeLine {
        NodeLine(*self)
    }
}

struct NodeLine(NodeTagged);

impl std::io::Write for NodeLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let NodeTagged { node, json } = self.0;
        let mut line = Vec::with_capacity(buf.len() + node.len() + 12);
        match buf.strip_prefix(b"{") {
            Some(rest) if json => {
                line.extend_from_slice(b"{\"node\":");
                line.extend_from_slice(serde_json::to_string(node).unwrap_or_default().as_bytes());
                line.push(b',');
                line.extend_from_slice(rest);
            }
            _ => {
                line.extend_from_slice(b"node=");
                line.extend_from_slice(node.as_bytes());
                line.push(b' ');
                line.extend_from_slice(buf);
            }
        }
        std::io::stderr().lock().write_all(&line)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// An error as one English sentence for the terminal.
fn describe(e: &AppError) -> String {
    let reason = t(Lang::En, error_key(e.code()));
    match e.field() {
        Some(f) => format!("{}: {reason}", f.as_str()),
        None => reason.to_string(),
    }
}

fn config() -> Result<(leptos::config::LeptosOptions, Config), String> {
    let opts = leptos_options_from_env().map_err(|e| e.to_string())?;
    let config = Config::from_env(opts.site_addr)?;
    Ok((opts, config))
}

async fn database() -> Result<DatabaseConnection, String> {
    let (_, config) = config()?;
    connect_and_migrate(&config.database_url)
        .await
        .map_err(|e| format!("database: {e}"))
}

async fn execute(cmd: Command) -> Result<(), String> {
    match cmd {
        Command::Serve => serve().await,
        Command::Precompress { dir } => {
            let dir = dir.unwrap_or_else(|| {
                let root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
                std::path::Path::new(&root).join("pkg")
            });
            let files = crate::assets::precompress(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            for f in files {
                println!(
                    "{}: {} bytes, brotli {}, gzip {}",
                    f.path.display(),
                    f.bytes,
                    f.brotli,
                    f.gzip
                );
            }
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    name,
                    password,
                },
        } => {
            let db = database().await?;
            let u = create_user(&db, &email, &name, &password).await?;
            println!("created user {} <{}> (id {})", u.name, u.email, u.id);
            Ok(())
        }
        Command::Account {
            command: AccountCommand::Create { name, slug, admin },
        } => {
            let db = database().await?;
            let acc = create_account(&db, &name, &slug, &admin).await?;
            println!(
                "created account {} (/a/{}) with admin {admin}",
                acc.name, acc.slug
            );
            Ok(())
        }
        Command::Member {
            command: MemberCommand::Add { account, email, role },
        } => {
            let db = database().await?;
            add_member(&db, &account, &email, &role).await?;
            println!("added {email} to {account} as {role}");
            Ok(())
        }
        Command::Webhook {
            command:
                WebhookCommand::Create {
                    account,
                    email,
                    scopes,
                    title,
                },
        } => {
            let (_, config) = config()?;
            let db = database().await?;
            let email = Email::parse(&email).map_err(|e| format!("--email: {}", describe(&e)))?;
            let user = users::find_by_email(&db, &email)
                .await
                .map_err(|e| describe(&e))?
                .ok_or_else(|| format!("no user with email {}", email.as_str()))?;
            let (_, code) = app::backend::services::credentials::create_webhook(
                &db,
                app::domain::UserId(user.id),
                &account,
                &title,
                &[scopes],
            )
            .await
            .map_err(|e| match e {
                AppError::NotFound => format!("{} is not a member of {account}", email.as_str()),
                e => describe(&e),
            })?;
            println!(
                "{}",
                crate::profile::webhook_url(&config.public_url, user.id, &code)
            );
            Ok(())
        }
        Command::Demo => demo().await,
    }
}

async fn serve() -> Result<(), String> {
    let (opts, config) = config()?;
    let public_url = config.public_url.clone();
    let app = Application::build(opts, config)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(port = app.port(), %public_url, "Netlines is listening");
    println!("Netlines is listening on {public_url}");
    app.run_until_stopped(shutdown_signal())
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!("stopped");
    Ok(())
}

async fn create_user(
    db: &DatabaseConnection,
    email: &str,
    name: &str,
    password: &str,
) -> Result<app::backend::entities::user::Model, String> {
    let run = async {
        let email = Email::parse(email)?;
        let name = DisplayName::parse(name)?;
        let password = Password::parse(password)?;
        users::register(db, &email, &name, &password).await
    };
    run.await.map_err(|e| match e {
        AppError::Conflict { .. } => format!("a user with email {email} already exists"),
        e => describe(&e),
    })
}

async fn create_account(
    db: &DatabaseConnection,
    name: &str,
    slug: &str,
    admin: &str,
) -> Result<app::backend::entities::account::Model, String> {
    let name = AccountName::parse(name).map_err(|e| describe(&e))?;
    let slug = Slug::parse(slug).map_err(|e| describe(&e))?;
    let email = Email::parse(admin).map_err(|e| format!("--admin: {}", describe(&e)))?;
    let user = users::find_by_email(db, &email)
        .await
        .map_err(|e| describe(&e))?
        .ok_or_else(|| format!("no user with email {admin}; create it first with `netlines user create`"))?;
    accounts::create(db, app::domain::UserId(user.id), &name, &slug)
        .await
        .map_err(|e| match e {
            AppError::Conflict { .. } => format!("an account with slug {slug} already exists"),
            e => describe(&e),
        })
}

async fn add_member(db: &DatabaseConnection, account: &str, email: &str, role: &str) -> Result<(), String> {
    let role = Role::parse(role).map_err(|e| describe(&e))?;
    let actor = accounts::system_actor(db, account).await.map_err(|e| match e {
        AppError::NotFound => format!("no account with slug {account}"),
        e => describe(&e),
    })?;
    accounts::add_member(db, &actor, email, role)
        .await
        .map_err(|e| match e {
            AppError::Invalid {
                code: app::error::Code::UserUnknown,
                ..
            } => format!("no user with email {email}"),
            AppError::Conflict { .. } => format!("{email} is already a member of {account}"),
            e => describe(&e),
        })?;
    Ok(())
}

/// The password every demo user gets. Demo data is for trying Netlines out locally.
pub const DEMO_PASSWORD: &str = "netlines-demo";

/// One demo account: name, slug and its people (email, name, role); the first is the admin.
type DemoAccount = (
    &'static str,
    &'static str,
    [(&'static str, &'static str, Role); 4],
);

async fn demo() -> Result<(), String> {
    let db = database().await?;
    let (_, config) = config()?;
    let plan: [DemoAccount; 2] = [
        (
            "Acme Logistics",
            "acme",
            [
                ("anna.admin@acme.test", "Anna Nowak", Role::Admin),
                ("olek.operator@acme.test", "Olek Kowalski", Role::Operator),
                ("ola.operator@acme.test", "Ola Wiśniewska", Role::Operator),
                ("emil.employee@acme.test", "Emil Zieliński", Role::Employee),
            ],
        ),
        (
            "Borealis Studio",
            "borealis",
            [
                ("bruno.admin@borealis.test", "Bruno Admin", Role::Admin),
                ("bea.operator@borealis.test", "Bea Operator", Role::Operator),
                ("ben.operator@borealis.test", "Ben Operator", Role::Operator),
                ("cleo.customer@borealis.test", "Cleo Customer", Role::Employee),
            ],
        ),
    ];
    println!("Demo data (for trying Netlines locally; do not use on a public server)");
    println!(
        "Sign in at {}/login — every demo password is: {DEMO_PASSWORD}",
        config.public_url
    );
    for (acc_name, slug, people) in plan {
        for (email, name, _) in &people {
            let e = Email::parse(email).map_err(|e| describe(&e))?;
            if users::find_by_email(&db, &e)
                .await
                .map_err(|e| describe(&e))?
                .is_none()
            {
                create_user(&db, email, name, DEMO_PASSWORD).await?;
            }
        }
        let (admin_email, _, _) = people[0];
        match create_account(&db, acc_name, slug, admin_email).await {
            Ok(_) => {}
            Err(e) if e.contains("already exists") => {}
            Err(e) => return Err(e),
        }
        let actor = accounts::system_actor(&db, slug)
            .await
            .map_err(|e| describe(&e))?;
        for (email, _, role) in people.iter().skip(1) {
            match accounts::add_member(&db, &actor, email, *role).await {
                Ok(_) | Err(AppError::Conflict { .. }) => {}
                Err(e) => return Err(describe(&e)),
            }
        }
        println!();
        println!("{acc_name}  ({}/a/{slug})", config.public_url);
        for (email, name, role) in &people {
            println!("  {:<9} {:<16} {email}", role.as_str(), name);
        }
    }
    // Cleo works in Borealis and is also an employee of Acme: her Network page shows
    // two accounts, as a person working with several organisations would see it.
    let acme = accounts::system_actor(&db, "acme")
        .await
        .map_err(|e| describe(&e))?;
    match accounts::add_member(&db, &acme, "cleo.customer@borealis.test", Role::Employee).await {
        Ok(_) | Err(AppError::Conflict { .. }) => {}
        Err(e) => return Err(describe(&e)),
    }
    println!();
    println!("cleo.customer@borealis.test also works in Acme Logistics (employee).");
    demo_channel(&db, &config).await
}

/// Cleo (from Borealis) has written to Acme Support once, so the inbox has something in
/// it. Stored once: the message has a fixed client id.
async fn demo_conversation(db: &DatabaseConnection, code: &str) -> Result<(), String> {
    use app::backend::messaging::{self, Append, Target};
    use app::backend::principal::Party;
    use app::backend::services::conversations as conv;
    use app::domain::channel::ChannelCode;
    use app::domain::conversation::{ClientMsgId, MessageBody};
    let email = Email::parse("cleo.customer@borealis.test").map_err(|e| describe(&e))?;
    let Some(u) = users::find_by_email(db, &email).await.map_err(|e| describe(&e))? else {
        return Ok(());
    };
    let user = app::api::SessionUser {
        id: app::domain::UserId(u.id),
        email: u.email,
        name: u.name,
        time_zone: None,
    };
    let customer = conv::customer(db, &user, "borealis")
        .await
        .map_err(|e| describe(&e))?;
    let code = ChannelCode::parse(code).map_err(|e| describe(&e))?;
    if !conv::customer_conversations(db, &customer, &code)
        .await
        .map_err(|e| describe(&e))?
        .is_empty()
    {
        return Ok(());
    }
    let hub = app::backend::hub::LocalHub::default();
    let append = Append {
        party: Party::Customer { customer, code },
        target: Target::New,
        client_id: ClientMsgId::parse("demo-first-message").map_err(|e| describe(&e))?,
        body: MessageBody::parse(
            "Dzień dobry! My parcel AC-1042 has not arrived yet. Can you check where it is?",
        )
        .map_err(|e| describe(&e))?,
    };
    messaging::send(db, &hub, &append, &[])
        .await
        .map_err(|e| describe(&e))?;
    Ok(())
}

/// Acme's open channel "Acme Support" (Olek and Ola in its queue), connected to the
/// Network with its settings filled in.
async fn demo_channel(db: &DatabaseConnection, config: &Config) -> Result<(), String> {
    use app::backend::services::channels::{self, AvatarChange, ConnectTarget};
    use app::domain::channel::{ChannelName, RawSettings, Settings};
    let acme = accounts::system_actor(db, "acme")
        .await
        .map_err(|e| describe(&e))?;
    let cc = channels::contact_center(db, &acme)
        .await
        .map_err(|e| describe(&e))?;
    let existing = cc.channels.iter().find(|c| c.name == "Acme Support");
    let channel = match existing {
        Some(c) => c.id,
        None => {
            let name = ChannelName::parse("Acme Support").map_err(|e| describe(&e))?;
            channels::create_channel(db, &acme, &name)
                .await
                .map_err(|e| describe(&e))?;
            let cc = channels::contact_center(db, &acme)
                .await
                .map_err(|e| describe(&e))?;
            cc.channels
                .iter()
                .find(|c| c.name == "Acme Support")
                .map(|c| c.id)
                .ok_or("demo channel missing")?
        }
    };
    let operators: Vec<_> = cc
        .members
        .iter()
        .filter(|m| m.role == Role::Operator)
        .map(|m| m.user_id)
        .collect();
    channels::set_operators(
        db,
        &app::backend::hub::LocalHub::default(),
        &acme,
        channel,
        &operators,
    )
    .await
    .map_err(|e| describe(&e))?;
    let connected = channels::contact_center(db, &acme)
        .await
        .map_err(|e| describe(&e))?
        .channels
        .iter()
        .any(|c| c.id == channel && c.network.as_ref().is_some_and(|n| n.connected));
    if !connected {
        channels::connect(db, &acme, ConnectTarget::Existing(channel))
            .await
            .map_err(|e| describe(&e))?;
        let settings = Settings::parse(&RawSettings {
            name: "Acme Support".into(),
            description: "Shipping, invoices and anything else about your Acme deliveries.".into(),
            welcome_message: "Dzień dobry! Hello! Tell us how we can help; an operator will answer shortly."
                .into(),
            multi_chat: true,
            chat_limit: "3".into(),
            ask_rating: true,
            rest_messages_off: None,
        })
        .map_err(|errs| errs.iter().map(describe).collect::<Vec<_>>().join("; "))?;
        channels::save_settings(db, &acme, channel, &settings, AvatarChange::Keep)
            .await
            .map_err(|e| describe(&e))?;
    }
    let view = channels::settings(db, &acme, channel, &config.public_url)
        .await
        .map_err(|e| describe(&e))?;
    demo_conversation(db, &view.code).await?;
    println!();
    println!(
        "Open channel \"{}\" of Acme Logistics is connected to the Network:",
        view.name
    );
    println!("  code: {}", view.code);
    println!("  link: {}", view.link);
    Ok(())
}
