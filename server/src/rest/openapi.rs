//! `/rest/openapi.json`: an OpenAPI 3 document of the REST methods, built from the same
//! method table the dispatcher uses (so it cannot list a method that does not exist).

use super::methods::METHODS;
use axum::response::IntoResponse;
use serde_json::{json, Map, Value};

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
                "Text (with ATTACH and KEYBOARD at most 4,000 characters)",
            ),
            (
                "ATTACH",
                "object",
                false,
                "Rich block, at most 30 KB; its texts and links are appended",
            ),
            ("KEYBOARD", "array", false, "Link buttons: [{TEXT, LINK}]"),
            ("URL_PREVIEW", "string", false, "Y or N"),
        ],
        "imopenlines.config.get" => vec![("CONFIG_ID", "integer", true, "Open channel id")],
        "imopenlines.config.list.get" => vec![(
            "start",
            "integer",
            false,
            "Offset: 50 a page; the answer's next is the next page's start",
        )],
        "imopenlines.dialog.get" | "imopenlines.operator.finish" | "imopenlines.operator.skip" => vec![
            ("CHAT_ID", "integer", false, "Conversation id"),
            ("DIALOG_ID", "string", false, "chatN (instead of CHAT_ID)"),
        ],
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
    let mut all: Vec<(&str, &str, &str)> = METHODS.to_vec();
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
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Netlines REST API (Bitrix24-compatible)",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Inbound webhooks (/rest/{user_id}/{code}/{method}) or access tokens (/rest/{method}?auth=TOKEN). Rate limit: a leaky bucket per credential, 2 requests/s, burst 50 (HTTP 503 QUERY_LIMIT_EXCEEDED).",
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
