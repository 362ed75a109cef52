//! Conversations between a customer (user + the account they write from) and a channel.

use super::invalid;
use crate::error::{AppError, Code, Field};
use serde::{Deserialize, Serialize};

/// A message text: not blank, at most 4,000 characters; line breaks allowed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageBody(String);

impl MessageBody {
    pub const MAX_LEN: usize = 4000;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let s = raw.trim_end().trim_start_matches(['\n', '\r']);
        if s.trim().is_empty() {
            return Err(invalid(Field::Body, Code::Required));
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(invalid(Field::Body, Code::TooLong));
        }
        if s.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(invalid(Field::Body, Code::ControlChars));
        }
        Ok(Self(s.replace("\r\n", "\n")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The id the sending client gives a message, so a resend is recognised and stored once:
/// 8–64 characters from `A-Z a-z 0-9 - _`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClientMsgId(String);

impl ClientMsgId {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let ok = (8..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(raw.to_string()))
        } else {
            Err(invalid(Field::ClientId, Code::InvalidFormat))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The text of a message that carries files and no caption: "📎 " and their names.
pub fn files_caption(names: &[&str]) -> String {
    let mut s = format!("📎 {}", names.join(", "));
    if s.chars().count() > MessageBody::MAX_LEN {
        s = s.chars().take(MessageBody::MAX_LEN - 1).collect();
        s.push('…');
    }
    s
}

/// new → open (answered by an operator) → closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConversationStatus {
    New,
    Open,
    Closed,
}

impl ConversationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "open" => Self::Open,
            "closed" => Self::Closed,
            _ => Self::New,
        }
    }
}

/// The first characters of a message on one line, for the inbox list.
pub fn preview_of(body: &str) -> String {
    const MAX: usize = 140;
    let one_line: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX {
        one_line
    } else {
        let mut p: String = one_line.chars().take(MAX - 1).collect();
        p.push('…');
        p
    }
}

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Author {
    Customer,
    Operator,
    /// The channel itself (welcome message).
    Channel,
}

impl Author {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Operator => "operator",
            Self::Channel => "channel",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "customer" => Self::Customer,
            "operator" => Self::Operator,
            _ => Self::Channel,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_are_one_line_and_short() {
        assert_eq!(preview_of("  hello\n\n world  "), "hello world");
        let long = "x".repeat(500);
        let p = preview_of(&long);
        assert_eq!(p.chars().count(), 140);
        assert!(p.ends_with('…'));
    }

    #[test]
    fn bodies_are_not_blank_and_at_most_4000_characters() {
        assert_eq!(MessageBody::parse("  \n ").unwrap_err().code(), Code::Required);
        assert_eq!(
            MessageBody::parse(&"ż".repeat(4001)).unwrap_err().code(),
            Code::TooLong
        );
        assert!(MessageBody::parse(&"ż".repeat(4000)).is_ok());
        assert_eq!(
            MessageBody::parse("line 1\r\nline 2\n").unwrap().as_str(),
            "line 1\nline 2"
        );
        assert_eq!(MessageBody::parse("  indented").unwrap().as_str(), "  indented");
        assert_eq!(
            MessageBody::parse("bell\u{7}").unwrap_err().code(),
            Code::ControlChars
        );
    }

    #[test]
    fn client_ids_are_short_safe_tokens() {
        assert!(ClientMsgId::parse("c-1a2b3c4d").is_ok());
        assert!(ClientMsgId::parse("short").is_err());
        assert!(ClientMsgId::parse(&"x".repeat(65)).is_err());
        assert!(ClientMsgId::parse("with space!").is_err());
    }
}
