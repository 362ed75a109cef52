//! Domain types shared by the server and the browser.
//!
//! Every type here is built by a `parse` function that either returns a valid value or
//! an [`AppError::Invalid`] naming the field and the reason ("parse, don't validate").
//! Once a value of one of these types exists it is known to be valid.

pub mod channel;
pub mod conversation;
pub mod hours;
pub mod quick_answer;
pub mod rating;
pub mod rich;
pub mod search;
pub mod stats;

use crate::error::{AppError, Code, Field};
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

typed_id!(
    /// A network user's id.
    UserId
);
typed_id!(
    /// An account's (tenant's) id.
    AccountId
);
typed_id!(
    /// An open channel's id.
    ChannelId
);
typed_id!(
    /// A conversation's id.
    ConversationId
);

pub(crate) fn invalid(field: Field, code: Code) -> AppError {
    AppError::Invalid { field, code }
}

/// A network-wide email address. Compared case-insensitively through [`Email::normalized`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    /// Longest address accepted (RFC 5321 path limit).
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(invalid(Field::Email, Code::Required));
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(invalid(Field::Email, Code::TooLong));
        }
        let mut parts = s.split('@');
        let (local, domain) = match (parts.next(), parts.next(), parts.next()) {
            (Some(l), Some(d), None) => (l, d),
            _ => return Err(invalid(Field::Email, Code::EmailFormat)),
        };
        let domain_ok = !domain.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local.is_empty() || !domain_ok || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid(Field::Email, Code::EmailFormat));
        }
        Ok(Self(s.to_string()))
    }

    /// The address as the user typed it (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key that makes addresses unique regardless of letter case.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A password that satisfies the length policy. Never logged or serialised.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_LEN: usize = 8;
    pub const MAX_LEN: usize = 1024;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let n = raw.chars().count();
        if n == 0 {
            return Err(invalid(Field::Password, Code::Required));
        }
        if n < Self::MIN_LEN {
            return Err(invalid(Field::Password, Code::PasswordTooShort));
        }
        if n > Self::MAX_LEN {
            return Err(invalid(Field::Password, Code::TooLong));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

pub(crate) fn bounded_text(raw: &str, field: Field, max: usize) -> Result<String, AppError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(invalid(field, Code::Required));
    }
    if s.chars().count() > max {
        return Err(invalid(field, Code::TooLong));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(invalid(field, Code::ControlChars));
    }
    Ok(s.to_string())
}

/// A person's display name: 1–80 characters after trimming.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_LEN: usize = 80;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        bounded_text(raw, Field::Name, Self::MAX_LEN).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An account's name: 1–80 characters after trimming.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountName(String);

impl AccountName {
    pub const MAX_LEN: usize = 80;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        bounded_text(raw, Field::AccountName, Self::MAX_LEN).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An account's URL name: 3–40 characters from `a-z`, `0-9` and `-`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Slug(String);

impl Slug {
    pub const MIN_LEN: usize = 3;
    pub const MAX_LEN: usize = 40;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(invalid(Field::Slug, Code::Required));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(invalid(Field::Slug, Code::SlugChars));
        }
        let n = s.len();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&n) {
            return Err(invalid(Field::Slug, Code::SlugLength));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A member's role inside one account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Operator,
    Employee,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Operator, Role::Employee];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Employee => "employee",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "operator" => Ok(Role::Operator),
            "employee" => Ok(Role::Employee),
            "" => Err(invalid(Field::Role, Code::Required)),
            _ => Err(invalid(Field::Role, Code::RoleUnknown)),
        }
    }
}

/// Where to go after signing in. Only same-origin absolute paths are accepted, so a
/// crafted link cannot send a user to another site (`//evil`, `/\evil`, `https://…`).
pub fn safe_next(raw: Option<&str>) -> String {
    let fallback = "/network".to_string();
    let Some(raw) = raw else { return fallback };
    let ok = raw.starts_with('/')
        && !raw.starts_with("//")
        && !raw.starts_with("/\\")
        && !raw.chars().any(|c| c.is_control() || c == '\\')
        && raw.len() <= 2048;
    if ok {
        raw.to_string()
    } else {
        fallback
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(e: AppError) -> (Field, Code) {
        match e {
            AppError::Invalid { field, code } => (field, code),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn email_is_trimmed_and_normalized_case_insensitively() {
        let e = Email::parse("  Ada.Lovelace@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "Ada.Lovelace@Example.COM");
        assert_eq!(e.normalized(), "ada.lovelace@example.com");
    }

    #[test]
    fn malformed_emails_are_refused_with_the_format_reason() {
        for bad in [
            "ada",
            "ada@",
            "@x.com",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "a@.com",
            "a@b..com",
        ] {
            assert_eq!(
                code(Email::parse(bad).unwrap_err()),
                (Field::Email, Code::EmailFormat),
                "{bad}"
            );
        }
        assert_eq!(
            code(Email::parse("  ").unwrap_err()),
            (Field::Email, Code::Required)
        );
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(
            code(Email::parse(&long).unwrap_err()),
            (Field::Email, Code::TooLong)
        );
    }

    #[test]
    fn password_needs_at_least_eight_characters() {
        assert_eq!(
            code(Password::parse("1234567").unwrap_err()),
            (Field::Password, Code::PasswordTooShort)
        );
        assert_eq!(
            code(Password::parse("").unwrap_err()),
            (Field::Password, Code::Required)
        );
        assert!(Password::parse("12345678").is_ok());
        // Characters, not bytes: eight Polish letters are enough.
        assert!(Password::parse("żółćżółć").is_ok());
        assert_eq!(
            format!("{:?}", Password::parse("secret-password").unwrap()),
            "Password(***)"
        );
    }

    #[test]
    fn slug_allows_lowercase_digits_and_hyphen_from_3_to_40() {
        assert_eq!(Slug::parse("acme-2").unwrap().as_str(), "acme-2");
        assert!(Slug::parse(&"a".repeat(40)).is_ok());
        assert_eq!(
            code(Slug::parse("ab").unwrap_err()),
            (Field::Slug, Code::SlugLength)
        );
        assert_eq!(
            code(Slug::parse(&"a".repeat(41)).unwrap_err()),
            (Field::Slug, Code::SlugLength)
        );
        for bad in ["Acme", "acme_co", "ac me", "żółw", "acme!"] {
            assert_eq!(
                code(Slug::parse(bad).unwrap_err()),
                (Field::Slug, Code::SlugChars),
                "{bad}"
            );
        }
        assert_eq!(code(Slug::parse("").unwrap_err()), (Field::Slug, Code::Required));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Ada ").unwrap().as_str(), "Ada");
        assert_eq!(
            code(DisplayName::parse(" ").unwrap_err()),
            (Field::Name, Code::Required)
        );
        assert_eq!(
            code(DisplayName::parse(&"x".repeat(81)).unwrap_err()),
            (Field::Name, Code::TooLong)
        );
        assert_eq!(
            code(AccountName::parse("a\u{0007}b").unwrap_err()),
            (Field::AccountName, Code::ControlChars)
        );
        assert!(AccountName::parse("Acme Sp. z o.o.").is_ok());
    }

    #[test]
    fn role_parses_known_names_only() {
        assert_eq!(Role::parse("Operator").unwrap(), Role::Operator);
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), r);
        }
        assert_eq!(
            code(Role::parse("owner").unwrap_err()),
            (Field::Role, Code::RoleUnknown)
        );
    }

    #[test]
    fn next_accepts_same_origin_paths_only() {
        assert_eq!(safe_next(Some("/a/acme?x=1")), "/a/acme?x=1");
        for bad in [
            "//evil.com",
            "https://evil.com",
            "/\\evil.com",
            "evil",
            "",
            "/a\nb",
        ] {
            assert_eq!(safe_next(Some(bad)), "/network", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/network");
    }
}
