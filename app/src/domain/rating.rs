//! The customer's rating of a finished conversation: like or dislike, with an optional
//! comment; given once.

use super::invalid;
use crate::error::{AppError, Code, Field};
use serde::{Deserialize, Serialize};

/// Like or dislike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    Like,
    Dislike,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Like => "like",
            Self::Dislike => "dislike",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        match raw.trim() {
            "like" => Ok(Self::Like),
            "dislike" => Ok(Self::Dislike),
            "" => Err(invalid(Field::Rating, Code::Required)),
            _ => Err(invalid(Field::Rating, Code::InvalidFormat)),
        }
    }

    /// The stored value; `None` for anything else (not rated).
    pub fn from_stored(s: Option<&str>) -> Option<Self> {
        Self::parse(s?).ok()
    }
}

/// The optional comment of a rating: at most 1,000 characters, trimmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingComment(String);

impl RatingComment {
    pub const MAX_LEN: usize = 1000;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let s = raw.trim();
        if s.chars().count() > Self::MAX_LEN {
            return Err(invalid(Field::Comment, Code::TooLong));
        }
        if s.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(invalid(Field::Comment, Code::ControlChars));
        }
        Ok(Self(s.replace("\r\n", "\n")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_like_or_dislike() {
        assert_eq!(Rating::parse(" like ").unwrap(), Rating::Like);
        assert_eq!(Rating::parse("dislike").unwrap(), Rating::Dislike);
        let e = Rating::parse("").unwrap_err();
        assert_eq!((e.field(), e.code()), (Some(Field::Rating), Code::Required));
        assert_eq!(Rating::parse("5").unwrap_err().code(), Code::InvalidFormat);
        assert_eq!(Rating::from_stored(Some("like")), Some(Rating::Like));
        assert_eq!(Rating::from_stored(Some("?")), None);
        assert_eq!(Rating::from_stored(None), None);
    }

    #[test]
    fn comments_are_optional_and_bounded() {
        assert_eq!(RatingComment::parse("  ").unwrap().as_str(), "");
        assert_eq!(
            RatingComment::parse(" Thanks!\r\nBye ").unwrap().as_str(),
            "Thanks!\nBye"
        );
        assert!(RatingComment::parse(&"ż".repeat(1000)).is_ok());
        let e = RatingComment::parse(&"ż".repeat(1001)).unwrap_err();
        assert_eq!((e.field(), e.code()), (Some(Field::Comment), Code::TooLong));
        assert_eq!(
            RatingComment::parse("a\u{1b}b").unwrap_err().code(),
            Code::ControlChars
        );
    }
}
