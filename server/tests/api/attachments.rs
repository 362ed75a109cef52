//! Attachments (real database, SQLite and PostgreSQL): uploads from both sides through
//! the real endpoints, what is accepted (by content), limits, idempotent retries, and who
//! may open a file (everyone else: 404).

use crate::harness::*;
use app::backend::principal::Actor;
use app::backend::principal::Viewer;
use app::backend::services::accounts;
use app::backend::services::conversations as conv;
use app::domain::{ConversationId, Role};
use reqwest::multipart::{Form, Part};
use reqwest::Client;
use serde_json::Value;

/// A real PNG (w×h, two colours) with a text chunk standing in for metadata.
fn png(w: u32, h: u32) -> Vec<u8> {
    let mut img = image::RgbaImage::new(w, h);
    for (x, _, p) in img.enumerate_pixels_mut() {
        *p = if x < w / 2 {
            image::Rgba([41, 82, 204, 255])
        } else {
            image::Rgba([240, 140, 40, 255])
        };
    }
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    let mut bytes = out.into_inner();
    // A tEXt chunk before IEND: "Comment\0secret place".
    let data = b"Comment\0secret place";
    let mut chunk = Vec::new();
    chunk.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut td = b"tEXt".to_vec();
    td.extend_from_slice(data);
    chunk.extend_from_slice(&td);
    chunk.extend_from_slice(&crc32(&td).to_be_bytes());
    let iend = bytes.len() - 12;
    bytes.splice(iend..iend, chunk);
    bytes
}

fn crc32(buf: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in buf {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xedb8_8320
            } else {
                c >> 1
            };
        }
    }
    c ^ 0xffff_ffff
}

struct World {
    app: TestApp,
    code: String,
    cleo: Client,
    olek: Client,
    ida: Client,
    emil: Client,
    bart: Client,
    zed: Client,
    anna: Actor,
    cleo_user: app::api::SessionUser,
}

/// Acme: Anna (admin), Olek (operator of Support), Ida (operator of Sales), Emil
/// (employee). Cleo writes from Borealis, where Bart works too. Zed runs Zeta.
async fn world(b: &Backend, opts: Options) -> World {
    let app = spawn_with(b, opts).await;
    let db = &app.state.db;
    let anna = app.user("anna@acme.test", "Anna").await;
    let cleo = app.user("cleo@borealis.test", "Cleo").await;
    let zed = app.user("zed@zeta.test", "Zed").await;
    let mut ids = Vec::new();
    for (email, name) in [
        ("olek@acme.test", "Olek"),
        ("ida@acme.test", "Ida"),
        ("emil@acme.test", "Emil"),
        ("bart@borealis.test", "Bart"),
    ] {
        ids.push(app.user(email, name).await.id);
    }
    new_account(db, &anna, "Acme", "acme").await;
    new_account(db, &cleo, "Borealis", "borealis").await;
    new_account(db, &zed, "Zeta", "zeta").await;
    let admin = accounts::actor(db, anna.id, "acme").await.unwrap();
    for (email, role) in [
        ("olek@acme.test", Role::Operator),
        ("ida@acme.test", Role::Operator),
        ("emil@acme.test", Role::Employee),
    ] {
        accounts::add_member(db, &admin, email, role).await.unwrap();
    }
    let borealis = accounts::actor(db, cleo.id, "borealis").await.unwrap();
    accounts::add_member(db, &borealis, "bart@borealis.test", Role::Employee)
        .await
        .unwrap();
    let (_, code) = network_channel(db, &admin, "Support", &[ids[0]], Some("5")).await;
    network_channel(db, &admin, "Sales", &[ids[1]], None).await;
    let clients: Vec<Client> = (0..6).map(|_| browser()).collect();
    for (c, email) in clients.iter().zip([
        "cleo@borealis.test",
        "olek@acme.test",
        "ida@acme.test",
        "emil@acme.test",
        "bart@borealis.test",
        "zed@zeta.test",
    ]) {
        app.sign_in_cookie(c, email).await;
    }
    let [cleo_c, olek, ida, emil, bart, zed_c]: [Client; 6] = clients.try_into().unwrap();
    World {
        app,
        code: code.as_str().to_string(),
        cleo: cleo_c,
        olek,
        ida,
        emil,
        bart,
        zed: zed_c,
        anna: admin,
        cleo_user: cleo,
    }
}

fn form(client_id: &str, conversation: &str, body: &str, files: Vec<(&str, Vec<u8>)>) -> Form {
    let mut f = Form::new()
        .text("client_id", client_id.to_string())
        .text("conversation", conversation.to_string())
        .text("body", body.to_string());
    for (name, bytes) in files {
        f = f.part("files", Part::bytes(bytes).file_name(name.to_string()));
    }
    f
}

impl World {
    async fn upload(&self, c: &Client, path: &str, f: Form) -> (u16, Value) {
        let r = c
            .post(self.app.url(path))
            .header("accept", "application/json")
            .multipart(f)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn customer_upload(&self, f: Form) -> (u16, Value) {
        self.upload(&self.cleo, &format!("/chat/{}/borealis/files", self.code), f)
            .await
    }

    async fn get(&self, c: &Client, path: &str) -> reqwest::Response {
        c.get(self.app.url(path)).send().await.unwrap()
    }

    async fn messages(&self) -> i64 {
        self.app.count("messages").await
    }
}

#[both_databases]
async fn files_go_both_ways_and_only_those_who_may_read_the_conversation_open_them(b: Backend) {
    let w = world(&b, Options::default()).await;
    let db = &w.app.state.db;
    // Cleo starts a conversation with a picture and a caption.
    let picture = png(1200, 600);
    let (status, ack) = w
        .customer_upload(form(
            "file-00000001",
            "new",
            "My broken screen",
            vec![("screen.png", picture.clone())],
        ))
        .await;
    assert_eq!(status, 200, "{b:?}: {ack}");
    let c = ConversationId(ack["conversation"].as_i64().unwrap());
    let seq = ack["seq"].as_i64().unwrap();
    // The same upload again (a retry): the same message, stored once.
    let before = (w.messages().await, w.app.count("attachments").await);
    let (_, again) = w
        .customer_upload(form(
            "file-00000001",
            "new",
            "My broken screen",
            vec![("screen.png", picture.clone())],
        ))
        .await;
    assert_eq!(again, ack);
    assert_eq!((w.messages().await, w.app.count("attachments").await), before);

    // The message carries the file, for the customer's history and the inbox alike.
    let customer = conv::customer(db, &w.cleo_user, "borealis").await.unwrap();
    let history = conv::messages_since(db, &Viewer::Customer(&customer), c, 0, 50)
        .await
        .unwrap();
    let m = history.iter().find(|m| m.seq == seq).unwrap();
    assert_eq!(m.body, "My broken screen");
    let f = &m.files[0];
    assert_eq!(
        (f.name.as_str(), f.mime.as_str(), f.width, f.height),
        ("screen.png", "image/png", Some(1200), Some(600)),
        "{b:?}"
    );
    // The picture was written again: the metadata is gone; the thumbnail is small.
    let r = w.get(&w.cleo, &f.url()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("inline;"));
    let full = r.bytes().await.unwrap();
    assert!(picture.windows(12).any(|x| x == b"secret place"));
    assert!(!full.windows(12).any(|x| x == b"secret place"));
    let thumb = w.get(&w.cleo, &f.thumb_url()).await.bytes().await.unwrap();
    let t = image::load_from_memory(&thumb).unwrap();
    assert_eq!((t.width(), t.height()), (320, 160));

    // Olek (the channel's operator) opens it and answers with a PDF and a text file.
    assert_eq!(w.get(&w.olek, &f.url()).await.status(), 200);
    let cs = c.0.to_string();
    let (status, ack2) = w
        .upload(
            &w.olek,
            "/a/acme/inbox/files",
            form(
                "file-00000002",
                &cs,
                "",
                vec![
                    ("instrukcja \"naprawy\".pdf", b"%PDF-1.7\n1 0 obj\n".to_vec()),
                    ("notes.html", b"<script>alert(1)</script>".to_vec()),
                ],
            ),
        )
        .await;
    assert_eq!(status, 200, "{b:?}: {ack2}");
    let history = conv::messages_since(db, &Viewer::Customer(&customer), c, seq, 50)
        .await
        .unwrap();
    let reply = history.last().unwrap();
    // A name that a system would run or render gets its type's own extension.
    assert_eq!(reply.body, "📎 instrukcja naprawy.pdf, notes.html.txt");
    assert_eq!(reply.files.len(), 2);
    let pdf = w.get(&w.cleo, &reply.files[0].url()).await;
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let cd = pdf.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(
        cd.starts_with("attachment;") && cd.contains("filename*=UTF-8''instrukcja%20naprawy.pdf"),
        "{cd}"
    );
    // Markup in a text file is only ever a download of plain text.
    let html = w.get(&w.cleo, &reply.files[1].url()).await;
    assert_eq!(html.headers()["content-type"], "text/plain; charset=utf-8");
    assert!(html.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));

    // Everyone else: 404, whoever they are.
    for (who, label) in [
        (&w.ida, "another channel's operator"),
        (&w.emil, "an employee"),
        (&w.bart, "the customer's colleague"),
        (&w.zed, "another account's admin"),
    ] {
        for path in [f.url(), f.thumb_url(), reply.files[0].url()] {
            assert_eq!(w.get(who, &path).await.status(), 404, "{b:?}: {label} {path}");
        }
    }
    assert_eq!(w.get(&browser(), &f.url()).await.status(), 404, "signed out");
    assert_eq!(w.get(&w.cleo, "/files/999999").await.status(), 404);
    assert_eq!(w.get(&w.cleo, "/files/abc").await.status(), 404);
    // Nor may they write files into it.
    let (status, _) = w
        .upload(
            &w.ida,
            "/a/acme/inbox/files",
            form("file-00000003", &cs, "", vec![("a.txt", b"hi".to_vec())]),
        )
        .await;
    assert!(matches!(status, 403 | 404), "{status}");
    let (status, _) = w
        .upload(
            &w.emil,
            "/a/acme/inbox/files",
            form("file-00000004", &cs, "", vec![("a.txt", b"hi".to_vec())]),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = w
        .upload(
            &w.zed,
            "/a/acme/inbox/files",
            form("file-00000005", &cs, "", vec![("a.txt", b"hi".to_vec())]),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = w
        .upload(
            &w.bart,
            &format!("/chat/{}/borealis/files", w.code),
            form("file-00000006", &cs, "", vec![("a.txt", b"hi".to_vec())]),
        )
        .await;
    assert_eq!(status, 404, "Bart cannot write into Cleo's conversation");
    // Taken out of the queue, Olek can no longer open it; the admin always can.
    let channel = app::backend::services::inbox::detail(db, &w.anna, c)
        .await
        .unwrap()
        .conversation
        .channel;
    app::backend::services::channels::set_operators(db, w.app.state.hub.as_ref(), &w.anna, channel, &[])
        .await
        .unwrap();
    assert_eq!(w.get(&w.olek, &f.url()).await.status(), 404, "{b:?}");
}

#[both_databases]
async fn bad_files_get_a_clear_error_and_change_nothing(b: Backend) {
    let opts = Options {
        max_file_bytes: Some(64 * 1024),
        ..Default::default()
    };
    let w = world(&b, opts).await;
    let (status, ack) = w
        .customer_upload(form(
            "file-00000010",
            "new",
            "hello",
            vec![("a.txt", b"first".to_vec())],
        ))
        .await;
    assert_eq!(status, 200);
    let cs = ack["conversation"].to_string();
    let before = (w.messages().await, w.app.count("attachments").await);
    let exe = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
    let many: Vec<(&str, Vec<u8>)> = (0..11).map(|_| ("a.txt", b"x".to_vec())).collect();
    for (files, code) in [
        (vec![("invoice.pdf", exe)], "file_type"),
        (vec![("big.txt", vec![b'a'; 64 * 1024 + 1])], "file_too_large"),
        (many, "too_many_files"),
        (vec![], "required"),
        (
            vec![("broken.png", b"\x89PNG\r\n\x1a\nnot really".to_vec())],
            "file_corrupt",
        ),
    ] {
        let (status, e) = w.customer_upload(form("file-00000011", &cs, "", files)).await;
        assert!(
            status == 422 && e.to_string().contains(code) && e.to_string().contains("files"),
            "{b:?}: {status} {e}"
        );
    }
    // A picture larger than 10,000 pixels a side is refused before it is decoded.
    let (status, e) = w
        .customer_upload(form("file-00000012", &cs, "", vec![("huge.png", png(10_001, 1))]))
        .await;
    assert!(
        status == 422 && e.to_string().contains("file_dimensions"),
        "{status} {e}"
    );
    let (status, e) = w
        .customer_upload(form("bad id!", &cs, "", vec![("a.txt", b"x".to_vec())]))
        .await;
    assert!(
        status == 422 && e.to_string().contains("client_id"),
        "{status} {e}"
    );
    assert_eq!(
        (w.messages().await, w.app.count("attachments").await),
        before,
        "{b:?}"
    );
    // Without JavaScript: a plain form, answered with a redirect back to the page.
    let r = w
        .cleo
        .post(w.app.url(&format!("/chat/{}/borealis/files", w.code)))
        .multipart(form("file-00000013", &cs, "", vec![("a.txt", b"plain".to_vec())]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        location(&r),
        format!("/chat/{}/borealis?c={}#composer", w.code, cs)
    );
    let r = w
        .cleo
        .post(w.app.url(&format!("/chat/{}/borealis/files", w.code)))
        .multipart(form(
            "file-00000014",
            &cs,
            "",
            vec![("x.exe", b"MZ\x90\x00".to_vec())],
        ))
        .send()
        .await
        .unwrap();
    assert!(location(&r).contains("error=file_type"), "{}", location(&r));
    // Signed out: to sign in (a form) or 401 (a script).
    let r = browser()
        .post(w.app.url(&format!("/chat/{}/borealis/files", w.code)))
        .multipart(form("file-00000015", &cs, "", vec![("a.txt", b"x".to_vec())]))
        .send()
        .await
        .unwrap();
    assert!(location(&r).starts_with("/login?next="), "{}", location(&r));
    let (status, _) = w
        .upload(
            &browser(),
            "/a/acme/inbox/files",
            form("file-00000016", &cs, "", vec![("a.txt", b"x".to_vec())]),
        )
        .await;
    assert_eq!(status, 401);
    // Another site's page cannot post one.
    let r = w
        .cleo
        .post(w.app.url(&format!("/chat/{}/borealis/files", w.code)))
        .header("origin", "http://evil.test")
        .multipart(form("file-00000017", &cs, "", vec![("a.txt", b"x".to_vec())]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

/// Every file in the server's attachment store.
fn stored_files(w: &World) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&w.app.files_dir, &mut out);
    out
}

#[both_databases]
async fn refused_uploads_keep_no_bytes_and_quotas_hold_for_users_and_accounts(b: Backend) {
    let opts = Options {
        quotas: Some(app::backend::services::storage::StorageQuotas {
            per_user_bytes: 150_000,
            per_account_bytes: 180_000,
        }),
        ..Default::default()
    };
    let w = world(&b, opts).await;
    let (status, ack) = w
        .customer_upload(form(
            "quota-00000001",
            "new",
            "hi",
            vec![("a.txt", vec![b'a'; 100_000])],
        ))
        .await;
    assert_eq!(status, 200, "{b:?}: {ack}");
    let cs = ack["conversation"].to_string();
    let kept = stored_files(&w);
    assert_eq!(kept.len(), 1, "{b:?}: {kept:?}");
    let before = (w.messages().await, w.app.count("attachments").await);
    // Into someone else's conversation (Bart writes from Borealis too): 404, and not a
    // byte of it kept.
    let (status, _) = w
        .upload(
            &w.bart,
            &format!("/chat/{}/borealis/files", w.code),
            form("quota-00000002", &cs, "", vec![("b.txt", b"not yours".to_vec())]),
        )
        .await;
    assert_eq!(status, 404, "{b:?}");
    // A caption that is too long, a conversation that does not exist: refused, and
    // nothing kept either.
    let (status, e) = w
        .customer_upload(form(
            "quota-00000003",
            &cs,
            &"x".repeat(5000),
            vec![("c.txt", b"caption too long".to_vec())],
        ))
        .await;
    assert!(
        status == 422 && e.to_string().contains("too_long"),
        "{status} {e}"
    );
    let (status, _) = w
        .customer_upload(form(
            "quota-00000004",
            "999999",
            "",
            vec![("d.txt", b"nowhere".to_vec())],
        ))
        .await;
    assert_eq!(status, 404);
    // Over Cleo's own quota (100,000 used of 150,000): refused with the reason.
    let (status, e) = w
        .customer_upload(form(
            "quota-00000005",
            &cs,
            "",
            vec![("e.txt", vec![b'e'; 60_000])],
        ))
        .await;
    assert!(
        status == 422 && e.to_string().contains("\"storage_quota\""),
        "{b:?}: {status} {e}"
    );
    assert_eq!(stored_files(&w), kept, "{b:?}: refused uploads kept bytes");
    assert_eq!((w.messages().await, w.app.count("attachments").await), before);
    // Bart has room of his own (150,000), but Borealis (the account both write from)
    // has 180,000: Cleo's 100,000 and his 60,000 fit, his next 60,000 does not.
    let (status, ack2) = w
        .upload(
            &w.bart,
            &format!("/chat/{}/borealis/files", w.code),
            form("quota-00000006", "new", "", vec![("f.txt", vec![b'f'; 60_000])]),
        )
        .await;
    assert_eq!(status, 200, "{b:?}: {ack2}");
    let bs = ack2["conversation"].to_string();
    let (status, e) = w
        .upload(
            &w.bart,
            &format!("/chat/{}/borealis/files", w.code),
            form("quota-00000007", &bs, "", vec![("g.txt", vec![b'g'; 60_000])]),
        )
        .await;
    assert!(
        status == 422 && e.to_string().contains("account_storage_quota"),
        "{b:?}: {status} {e}"
    );
    assert_eq!(stored_files(&w).len(), 2, "{b:?}");
    // The usage as admins see it.
    let borealis = accounts::actor(&w.app.state.db, w.cleo_user.id, "borealis")
        .await
        .unwrap();
    assert_eq!(
        app::backend::services::storage::used_by_account(&w.app.state.db, borealis.account)
            .await
            .unwrap(),
        160_000
    );
}

#[both_databases]
async fn files_nothing_refers_to_are_collected_and_unsent_rest_uploads_purged(b: Backend) {
    use app::backend::services::storage;
    use sea_orm::ConnectionTrait;
    let w = world(&b, Options::default()).await;
    let db = &w.app.state.db;
    let (status, _) = w
        .customer_upload(form(
            "sweep-00000001",
            "new",
            "",
            vec![("kept.txt", b"kept".to_vec())],
        ))
        .await;
    assert_eq!(status, 200);
    // A file left by a crash between writing its bytes and its message, an hour and
    // more ago; and one just written (a message may still be on its way).
    let old_key = app::backend::files::key_of(b"orphan");
    w.app.state.files.put(&old_key, b"orphan").await.unwrap();
    let fresh_key = app::backend::files::key_of(b"fresh orphan");
    w.app.state.files.put(&fresh_key, b"fresh orphan").await.unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 3600);
    for f in stored_files(&w) {
        if f.file_name().unwrap().to_str().unwrap() != fresh_key {
            std::fs::File::options()
                .append(true)
                .open(&f)
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
    }
    assert_eq!(
        storage::collect(db, w.app.state.files.as_ref()).await.unwrap(),
        1,
        "{b:?}"
    );
    let names: Vec<String> = stored_files(&w)
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    assert!(
        !names.contains(&old_key) && names.contains(&fresh_key),
        "{names:?}"
    );
    assert_eq!(names.len(), 2, "the sent file stays: {names:?}");
    // An unsent REST upload older than a day is purged (its bytes go next).
    db.execute_unprepared(&format!(
        "INSERT INTO rest_uploads (conversation_id, user_id, account_id, key, name, mime, size, created_at) \
         VALUES (1, {0}, 1, '{1}', 'x.txt', 'text/plain', 5, 1), (1, {0}, 1, '{1}', 'y.txt', 'text/plain', 5, {2})",
        w.cleo_user.id.0,
        fresh_key,
        app::backend::now_ms()
    ))
    .await
    .unwrap();
    assert_eq!(
        storage::purge_unsent(db, app::backend::now_ms()).await.unwrap(),
        1
    );
    assert_eq!(w.app.count("rest_uploads").await, 1);
}

/// Starts a multipart upload on a raw connection and sends only `sent` bytes of its
/// body (of a declared `total`): a client that trickles, or stalls.
async fn start_slow_upload(
    w: &World,
    path: &str,
    cookie: &str,
    total: usize,
    sent: usize,
) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let addr = w.app.base.trim_start_matches("http://").to_string();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let boundary = "XSLOWBOUNDARY";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\nslow-0000000001\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"conversation\"\r\n\r\nnew\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.txt\"\r\n\r\n"
    );
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nAccept: application/json\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n{head}",
        head.len() + total
    );
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(&vec![b'a'; sent]).await.unwrap();
    s
}

/// The status line a raw connection gets (empty when it is closed without one).
async fn status_line(s: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; 4096];
    let mut got = Vec::new();
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(15), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => {
                got.extend_from_slice(&buf[..n]);
                if got.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
        }
    }
    String::from_utf8_lossy(&got)
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn slow_uploads_hold_only_their_users_slots_and_are_cut_off_below_the_minimum_rate() {
    let b = Backend::Sqlite;
    let opts = Options {
        serve: Some(app::backend::config::ServeLimits {
            upload_min_bytes: 64 * 1024,
            upload_window: std::time::Duration::from_secs(2),
            ..Default::default()
        }),
        ..Default::default()
    };
    let w = world(&b, opts).await;
    let cleo_cookie = w.app.sign_in_cookie(&browser(), "cleo@borealis.test").await;
    let path = format!("/chat/{}/borealis/files", w.code);
    // Cleo starts two uploads that stall after a few bytes: her two slots.
    let mut a = start_slow_upload(&w, &path, &cleo_cookie, 1_000_000, 100).await;
    let mut c = start_slow_upload(&w, &path, &cleo_cookie, 1_000_000, 100).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // A third of hers is refused at once, before its body is read…
    let (status, e) = w
        .customer_upload(form(
            "slow-0000000002",
            "new",
            "",
            vec![("x.txt", b"third".to_vec())],
        ))
        .await;
    assert!(
        status == 422 && e.to_string().contains("too_many_uploads"),
        "{status} {e}"
    );
    // …while everyone else uploads as usual: there is no server-wide pool to fill.
    for n in 0..3 {
        let (status, ack) = w
            .upload(
                &w.bart,
                &path,
                form(
                    &format!("slow-100000000{n}"),
                    "new",
                    "",
                    vec![("ok.txt", b"bart".to_vec())],
                ),
            )
            .await;
        assert_eq!(status, 200, "{ack}");
        let (status, ack) = w
            .upload(
                &w.olek,
                "/a/acme/inbox/files",
                form(
                    &format!("slow-200000000{n}"),
                    &ack["conversation"].to_string(),
                    "",
                    vec![("ok.txt", b"olek".to_vec())],
                ),
            )
            .await;
        assert_eq!(status, 200, "{ack}");
    }
    // Below 64 KiB in 2 s, the stalled uploads are cut off with the reason, and Cleo's
    // slots are free again.
    let started = std::time::Instant::now();
    let line = status_line(&mut a).await;
    assert!(line.contains("422"), "{line:?}");
    let _ = status_line(&mut c).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (status, ack) = w
        .customer_upload(form(
            "slow-0000000003",
            "new",
            "",
            vec![("x.txt", b"now".to_vec())],
        ))
        .await;
    assert_eq!(status, 200, "{ack}");
    assert!(stored_files(&w)
        .iter()
        .all(|p| std::fs::metadata(p).unwrap().len() < 1000));
}
