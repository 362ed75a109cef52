//! `/rest/openapi.json`: an OpenAPI 3 document of the REST methods, built from the same
//! method table the dispatcher uses (so it cannot list a method that does not exist).

use super::methods::METHODS;
use axum::response::IntoResponse;
use serde_json::{json, Map, Value};

/// What `PARAMS` of `imopenlines.config.add / update` may hold.
const CONFIG_PARAMS: &str = "LINE_NAME (1-64 characters), ACTIVE (Y/N), QUEUE ([{ENTITY_TYPE: user, ENTITY_ID}] in order), \
QUEUE_TYPE (evenly|strictly|all), MAX_CHAT (1-500 per operator; 0 = 500), QUEUE_TIME (seconds to take: 0 or 10-3600), \
WELCOME_MESSAGE (Y/N), WELCOME_MESSAGE_TEXT (at most 1,000 characters; needs the Network channel), \
NETWORK (Y/N: connect the Network channel; a Netlines addition). Other Bitrix24 keys are ignored.";

/// The parameters of each method: (name, type, required, description).
fn params_of(method: &str) -> Vec<(&'static str, &'static str, bool, &'static str)> {
    match method {
        "imopenlines.network.join" => vec![("CODE", "string", true, "The channel's 32-character code")],
        "imopenlines.network.message.add" => vec![
            ("CODE", "string", true, "The channel's 32-character code"),
            (
                "USER_ID",
                "integer",
                true,
                "The user of the caller's account who receives it",
            ),
            (
                "MESSAGE",
                "string",
                true,
                "Text, at most 4,000 characters",
            ),
            (
                "ATTACH",
                "object",
                false,
                "Rich blocks (MESSAGE, LINK, DELIMITER, GRID, IMAGE, FILE, USER, BLOCKS), at most 30 KB and 50 blocks; links http(s) only",
            ),
            ("KEYBOARD", "array", false, "Link buttons: [{TEXT, LINK}], at most 20; LINK http(s)"),
            ("URL_PREVIEW", "string", false, "Y or N"),
        ],
        "imopenlines.config.get" | "imopenlines.config.delete" => {
            vec![("CONFIG_ID", "integer", true, "Open channel id")]
        }
        "imopenlines.config.add" => vec![("PARAMS", "object", false, CONFIG_PARAMS)],
        "imopenlines.config.update" => vec![
            ("CONFIG_ID", "integer", true, "Open channel id"),
            ("PARAMS", "object", true, CONFIG_PARAMS),
        ],
        "imopenlines.config.list.get" => vec![(
            "start",
            "integer",
            false,
            "Offset: 50 a page; the answer's next is the next page's start",
        )],
        "imopenlines.dialog.get"
        | "imopenlines.operator.finish"
        | "imopenlines.operator.skip"
        | "imopenlines.operator.answer" => vec![
            ("CHAT_ID", "integer", false, "Conversation id"),
            ("DIALOG_ID", "string", false, "chatN (instead of CHAT_ID)"),
        ],
        "imopenlines.operator.transfer" => vec![
            ("CHAT_ID", "integer", false, "Conversation id"),
            ("DIALOG_ID", "string", false, "chatN (instead of CHAT_ID)"),
            (
                "TRANSFER_ID",
                "integer",
                true,
                "User id of an operator of the conversation's channel",
            ),
        ],
        "imopenlines.session.open" => vec![(
            "USER_CODE",
            "string",
            true,
            "network|LINE_ID|CUSTOMER_ACCOUNT_ID|CUSTOMER_USER_ID (imopenlines.dialog.get's user_code)",
        )],
        "imopenlines.message.session.start" => vec![
            ("CHAT_ID", "integer", true, "Conversation id"),
            (
                "MESSAGE_ID",
                "integer",
                true,
                "A customer message of that conversation",
            ),
        ],
        "im.dialog.messages.get" => vec![
            ("DIALOG_ID", "string", true, "chatN"),
            ("LAST_ID", "integer", false, "Messages before this id"),
            ("FIRST_ID", "integer", false, "Messages after this id"),
            ("LIMIT", "integer", false, "At most 50 (default 20)"),
        ],
        "im.message.add" => vec![
            ("DIALOG_ID", "string", true, "chatN"),
            ("MESSAGE", "string", true, "Text, at most 4,000 characters"),
        ],
        "im.dialog.read" => vec![
            ("DIALOG_ID", "string", true, "chatN"),
            ("MESSAGE_ID", "integer", false, "Read up to this message; everything when absent"),
        ],
        "im.dialog.writing" => vec![("DIALOG_ID", "string", true, "chatN")],
        "im.disk.folder.get" => vec![
            ("CHAT_ID", "integer", false, "Conversation id"),
            ("DIALOG_ID", "string", false, "chatN (instead of CHAT_ID)"),
        ],
        "disk.folder.uploadfile" => vec![
            ("id", "integer", true, "The folder's ID from im.disk.folder.get"),
            (
                "fileContent",
                "array",
                true,
                "[file name, base64 content]; at most the server's file size (25 MB by default); PNG, JPEG, GIF, WebP, PDF, ZIP, office documents or text, recognised by content; answers ID (the UPLOAD_ID)",
            ),
            ("data", "object", false, "{NAME}: the file's name instead of fileContent's"),
        ],
        "im.disk.file.commit" => vec![
            ("CHAT_ID", "integer", false, "Conversation id"),
            ("DIALOG_ID", "string", false, "chatN (instead of CHAT_ID)"),
            (
                "UPLOAD_ID",
                "array",
                true,
                "IDs from disk.folder.uploadfile (one or a list, at most 10); DISK_ID is read the same way",
            ),
            ("MESSAGE", "string", false, "Caption; the files' names when empty"),
        ],
        "event.bind" => vec![
            (
                "event",
                "string",
                true,
                "ONOPENLINEMESSAGEADD, ONSESSIONSTART or ONSESSIONFINISH (any case)",
            ),
            (
                "handler",
                "string",
                false,
                "http(s) URL posted to (default: the app's handler URL); public addresses only unless NETLINES_EVENTS_ALLOW_PRIVATE",
            ),
        ],
        "event.unbind" => vec![
            ("event", "string", true, "The event"),
            ("handler", "string", false, "Only this handler's binding (default: all of the event)"),
        ],
        _ => Vec::new(),
    }
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

/// Builds the document.
pub fn document() -> Value {
    let mut paths = Map::new();
    let mut all: Vec<(&str, &str, &str)> = METHODS.iter().map(|m| (m.name, m.scope, m.summary)).collect();
    all.push((
        "batch",
        "-",
        "Up to 50 commands run in the order sent: cmd[key]=method?params (params may use $result[key][FIELD], $result_total[key], $result_next[key] of earlier commands), halt",
    ));
    for (method, scope, summary) in all {
        let mut props = Map::new();
        let mut required = Vec::new();
        for (name, ty, req, desc) in params_of(method) {
            props.insert(name.into(), json!({"type": ty, "description": desc}));
            if req {
                required.push(name);
            }
        }
        if method == "batch" {
            props.insert(
                "cmd".into(),
                json!({"type": "object", "additionalProperties": {"type": "string"}}),
            );
            props.insert(
                "halt".into(),
                json!({"description": "0|1|Y|true, or JSON true/false", "oneOf": [{"type": "integer", "enum": [0, 1]}, {"type": "boolean"}, {"type": "string"}]}),
            );
            required.push("cmd");
        }
        let body_schema = json!({"type": "object", "properties": props, "required": required});
        let op = json!({
            "operationId": method,
            "summary": summary,
            "description": format!("Scope: {scope}. Parameters may also come as a query string, a form (PHP-style brackets) or multipart; names are case-insensitive."),
            "security": [{"webhook": []}, {"token": []}],
            "requestBody": {"content": {
                "application/json": {"schema": body_schema},
                "application/x-www-form-urlencoded": {"schema": body_schema},
            }},
            "responses": {
                "200": {"description": "Success", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Result"}}}},
                "400": error_response("Invalid parameters (method-specific error code)"),
                "401": error_response("NO_AUTH_FOUND, invalid_token or expired_token"),
                "403": error_response("insufficient_scope, ACCESS_DENIED or WRONG_AUTH_TYPE"),
                "404": error_response("ERROR_METHOD_NOT_FOUND or NOT_FOUND"),
                "429": error_response("OPERATION_TIME_LIMIT"),
                "503": error_response("QUERY_LIMIT_EXCEEDED"),
            }
        });
        paths.insert(
            format!("/rest/{{user_id}}/{{webhook_code}}/{method}"),
            json!({
                "parameters": [
                    {"name": "user_id", "in": "path", "required": true, "schema": {"type": "integer"}},
                    {"name": "webhook_code", "in": "path", "required": true, "schema": {"type": "string"}},
                ],
                "post": op.clone(),
                "get": op,
            }),
        );
    }
    let file_response = json!({
        "200": {"description": "The file's bytes, with Content-Disposition and X-Content-Type-Options: nosniff"},
        "401": error_response("NO_AUTH_FOUND, invalid_token or expired_token"),
        "403": error_response("insufficient_scope (scope im)"),
        "404": error_response("NOT_FOUND: no such file, or not in a conversation the caller may read"),
        "503": error_response("QUERY_LIMIT_EXCEEDED"),
    });
    let thumb = json!({"name": "thumb", "in": "query", "required": false, "schema": {"type": "string", "enum": ["1", "Y"]}, "description": "An image's thumbnail instead"});
    let file_id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}, "description": "A file id (files[].id of im.dialog.messages.get)"});
    paths.insert(
        "/rest/download/{id}".into(),
        json!({"get": {
            "operationId": "download",
            "summary": "An attached file of a conversation the caller may read (auth=TOKEN or Authorization: Bearer)",
            "security": [{"token": []}],
            "parameters": [file_id, thumb],
            "responses": file_response,
        }}),
    );
    paths.insert(
        "/rest/{user_id}/{webhook_code}/download/{id}".into(),
        json!({"get": {
            "operationId": "download.webhook",
            "summary": "The same with an inbound webhook",
            "security": [{"webhook": []}],
            "parameters": [
                {"name": "user_id", "in": "path", "required": true, "schema": {"type": "integer"}},
                {"name": "webhook_code", "in": "path", "required": true, "schema": {"type": "string"}},
                file_id, thumb,
            ],
            "responses": file_response,
        }}),
    );
    let oauth_param = |name: &str, required: bool, description: &str| json!({"name": name, "in": "query", "required": required, "schema": {"type": "string"}, "description": description});
    paths.insert(
        "/oauth/authorize/".into(),
        json!({"get": {
            "operationId": "oauth.authorize",
            "summary": "The consent page of an OAuth app (a signed-in member of the app's account allows or denies); redirects to redirect_uri with code, state, domain, member_id, scope, server_domain — or error=access_denied",
            "parameters": [
                oauth_param("client_id", true, "The app's client_id (local.…)"),
                oauth_param("response_type", false, "code"),
                oauth_param("redirect_uri", false, "On the same site as the app's handler URL; the handler URL when absent"),
                oauth_param("state", false, "Returned unchanged (at most 1,000 characters)"),
            ],
            "responses": {"200": {"description": "The consent page (HTML)"}},
        }}),
    );
    let token_ok = json!({"description": "Tokens", "content": {"application/json": {"schema": {"type": "object", "properties": {
        "access_token": {"type": "string"}, "refresh_token": {"type": "string"}, "expires": {"type": "integer"},
        "expires_in": {"type": "integer"}, "scope": {"type": "string"}, "domain": {"type": "string"},
        "server_endpoint": {"type": "string"}, "client_endpoint": {"type": "string"}, "status": {"type": "string"},
        "member_id": {"type": "string"}, "user_id": {"type": "integer"}}}}}});
    let token_op = json!({
        "operationId": "oauth.token",
        "summary": "Trades an authorization code (grant_type=authorization_code, code) or a refresh token (grant_type=refresh_token, refresh_token; used once, both rotate) for an access token (1 hour) and a refresh token (28 days); client_id and client_secret always; query string or form body",
        "parameters": [
            oauth_param("grant_type", true, "authorization_code | refresh_token"),
            oauth_param("client_id", true, ""),
            oauth_param("client_secret", true, ""),
            oauth_param("code", false, "grant_type=authorization_code: valid one minute, once"),
            oauth_param("redirect_uri", false, "When given, the one the code was sent to"),
            oauth_param("refresh_token", false, "grant_type=refresh_token"),
        ],
        "responses": {
            "200": token_ok,
            "400": error_response("invalid_request, unsupported_grant_type, invalid_grant (unknown, used, expired or another app's code or refresh token), expired_token"),
            "401": error_response("invalid_client"),
            "429": error_response("slow_down: too many failed requests from this address"),
        },
    });
    let mut token_post = token_op.clone();
    token_post["operationId"] = json!("oauth.token.post");
    paths.insert(
        "/oauth/token/".into(),
        json!({"get": token_op, "post": token_post}),
    );
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Netlines REST API (Bitrix24-compatible)",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Inbound webhooks (/rest/{user_id}/{code}/{method}) or access tokens (/rest/{method}?auth=TOKEN): issued on the profile page, or to OAuth 2.0 apps through /oauth/authorize/ and /oauth/token/. Rate limit: a leaky bucket per credential, 2 requests/s, burst 50 (HTTP 503 QUERY_LIMIT_EXCEEDED).",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "webhook": {"type": "apiKey", "in": "header", "name": "X-Webhook-In-Path", "description": "The webhook code is part of the path"},
                "token": {"type": "apiKey", "in": "query", "name": "auth"},
            },
            "schemas": {
                "Result": {"type": "object", "properties": {
                    "result": {}, "total": {"type": "integer"}, "next": {"type": "integer"},
                    "time": {"type": "object", "properties": {
                        "start": {"type": "number"}, "finish": {"type": "number"}, "duration": {"type": "number"},
                        "processing": {"type": "number"}, "date_start": {"type": "string"}, "date_finish": {"type": "string"},
                        "operating_reset_at": {"type": "integer"}, "operating": {"type": "number"}}}},
                    "required": ["result", "time"]},
                "Error": {"type": "object", "properties": {
                    "error": {"type": "string"}, "error_description": {"type": "string"}},
                    "required": ["error", "error_description"]},
            }
        }
    })
}

/// `GET /rest/openapi.json`.
pub async fn openapi() -> impl IntoResponse {
    axum::Json(document())
}
