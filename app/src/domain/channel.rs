//! Open channels and the Network connector's settings.

use super::{bounded_text, invalid};
use crate::error::{AppError, Code, Field};
use serde::{Deserialize, Serialize};

/// An open channel's or connector's name: 1–64 characters (what customers see).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelName(String);

impl ChannelName {
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        bounded_text(raw, Field::ChannelName, Self::MAX_LEN).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The channel's search identifier for REST methods: 32 lowercase hex characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChannelCode(String);

impl ChannelCode {
    pub const LEN: usize = 32;
    /// The `IM_DIALOG` prefix of the customer link.
    pub const DIALOG_PREFIX: &'static str = "networkLines";

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let s = raw.trim();
        if s.len() != Self::LEN
            || !s
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(invalid(Field::Channel, Code::NotFound));
        }
        Ok(Self(s.to_string()))
    }

    /// Reads the code out of an `IM_DIALOG` value (`networkLines{CODE}`).
    pub fn from_dialog(dialog: &str) -> Result<Self, AppError> {
        let rest = dialog
            .trim()
            .strip_prefix(Self::DIALOG_PREFIX)
            .ok_or(invalid(Field::Channel, Code::NotFound))?;
        Self::parse(&rest.to_ascii_lowercase())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The customer link: `{base}/oauth/select/?preset=im&IM_DIALOG=networkLines{CODE}`.
    pub fn link(&self, public_base: &str) -> String {
        format!(
            "{}/oauth/select/?preset=im&IM_DIALOG={}{}",
            public_base.trim_end_matches('/'),
            Self::DIALOG_PREFIX,
            self.0
        )
    }
}

/// How many simultaneous conversations one customer may have with the channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatLimit(u8);

impl ChatLimit {
    pub const MIN: u8 = 2;
    pub const MAX: u8 = 20;

    pub fn new(n: i64) -> Result<Self, AppError> {
        if (Self::MIN as i64..=Self::MAX as i64).contains(&n) {
            Ok(Self(n as u8))
        } else {
            Err(invalid(Field::ChatLimit, Code::LimitRange))
        }
    }

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(invalid(Field::ChatLimit, Code::Required));
        }
        let n: i64 = s
            .parse()
            .map_err(|_| invalid(Field::ChatLimit, Code::NotANumber))?;
        Self::new(n)
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// How a channel hands new conversations to its operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Distribution {
    /// Every operator of the queue sees it; the first to answer takes it.
    All,
    /// Assigned at once to the least-loaded online operator (round-robin on ties).
    Even,
    /// Assigned to the first operator in the queue's order who is online and has room;
    /// the next one only when those before are full or away.
    Strict,
}

impl Distribution {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Even => "even",
            Self::Strict => "strict",
        }
    }

    /// The stored value; anything unknown is read as `All`.
    pub fn from_stored(s: &str) -> Self {
        match s {
            "even" => Self::Even,
            "strict" => Self::Strict,
            _ => Self::All,
        }
    }

    /// Does the channel hand each new conversation to one operator (not to everyone)?
    pub fn assigns(self) -> bool {
        matches!(self, Self::Even | Self::Strict)
    }

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        match raw.trim() {
            "all" => Ok(Self::All),
            "even" => Ok(Self::Even),
            "strict" => Ok(Self::Strict),
            "" => Err(invalid(Field::Distribution, Code::Required)),
            _ => Err(invalid(Field::Distribution, Code::DistributionUnknown)),
        }
    }
}

/// The most conversations one operator handles at the same time in a channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capacity(u16);

impl Capacity {
    pub const MIN: u16 = 1;
    pub const MAX: u16 = 500;
    pub const DEFAULT: u16 = 20;

    pub fn new(n: i64) -> Result<Self, AppError> {
        if (Self::MIN as i64..=Self::MAX as i64).contains(&n) {
            Ok(Self(n as u16))
        } else {
            Err(invalid(Field::Capacity, Code::CapacityRange))
        }
    }

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(invalid(Field::Capacity, Code::Required));
        }
        let n: i64 = s
            .parse()
            .map_err(|_| invalid(Field::Capacity, Code::NotANumber))?;
        Self::new(n)
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

/// Time to take: how long an assigned conversation may stay unanswered before it passes
/// to the next operator. `0` is off; otherwise 10 seconds to one hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakeTime(u16);

impl TakeTime {
    pub const OFF: TakeTime = TakeTime(0);
    pub const MIN: u16 = 10;
    pub const MAX: u16 = 3600;

    pub fn new(n: i64) -> Result<Self, AppError> {
        if n == 0 || (Self::MIN as i64..=Self::MAX as i64).contains(&n) {
            Ok(Self(n as u16))
        } else {
            Err(invalid(Field::TakeTime, Code::TakeTimeRange))
        }
    }

    /// An empty field is "off".
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let s = raw.trim();
        if s.is_empty() {
            return Ok(Self::OFF);
        }
        let n: i64 = s
            .parse()
            .map_err(|_| invalid(Field::TakeTime, Code::NotANumber))?;
        Self::new(n)
    }

    /// Seconds; `0` when off.
    pub fn secs(self) -> u16 {
        self.0
    }
}

/// Optional free text with a maximum length (description, welcome message).
fn optional_text(raw: &str, field: Field, max: usize) -> Result<String, AppError> {
    let s = raw.trim();
    if s.chars().count() > max {
        return Err(invalid(field, Code::TooLong));
    }
    if s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(invalid(field, Code::ControlChars));
    }
    Ok(s.replace("\r\n", "\n"))
}

pub const DESCRIPTION_MAX: usize = 255;
pub const WELCOME_MAX: usize = 1000;

/// A welcome message on its own (as REST sets it): at most [`WELCOME_MAX`] characters.
pub fn welcome_message(raw: &str) -> Result<String, AppError> {
    optional_text(raw, Field::WelcomeMessage, WELCOME_MAX)
}

/// The connector's settings as submitted by the form, before any parsing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawSettings {
    pub name: String,
    pub description: String,
    pub welcome_message: String,
    pub multi_chat: bool,
    pub chat_limit: String,
    /// Ask the customer to rate a finished conversation.
    pub ask_rating: bool,
    /// Refuse messages other accounts' apps send from the channel through REST
    /// (`None`: the form did not show the switch; the stored choice stays).
    #[serde(default)]
    pub rest_messages_off: Option<bool>,
}

/// Valid connector settings. With `multi_chat` off there is no limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub name: ChannelName,
    pub description: String,
    pub welcome_message: String,
    pub chat_limit: Option<ChatLimit>,
    pub ask_rating: bool,
    pub rest_messages_off: Option<bool>,
}

impl Settings {
    /// Checks every field and reports every error at once (so the form can show each
    /// next to its field).
    pub fn parse(raw: &RawSettings) -> Result<Self, Vec<AppError>> {
        let name = ChannelName::parse(&raw.name);
        let description = optional_text(&raw.description, Field::Description, DESCRIPTION_MAX);
        let welcome = optional_text(&raw.welcome_message, Field::WelcomeMessage, WELCOME_MAX);
        let limit = if raw.multi_chat {
            ChatLimit::parse(&raw.chat_limit).map(Some)
        } else {
            Ok(None)
        };
        match (name, description, welcome, limit) {
            (Ok(name), Ok(description), Ok(welcome_message), Ok(chat_limit)) => Ok(Settings {
                name,
                description,
                welcome_message,
                chat_limit,
                ask_rating: raw.ask_rating,
                rest_messages_off: raw.rest_messages_off,
            }),
            (n, d, w, l) => Err([n.err(), d.err(), w.err(), l.err()]
                .into_iter()
                .flatten()
                .collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distributions_parse_store_and_say_whether_they_assign() {
        for d in [Distribution::All, Distribution::Even, Distribution::Strict] {
            assert_eq!(Distribution::parse(d.as_str()).unwrap(), d);
            assert_eq!(Distribution::from_stored(d.as_str()), d);
        }
        assert_eq!(Distribution::from_stored("?"), Distribution::All);
        assert_eq!(Distribution::parse("").unwrap_err().code(), Code::Required);
        assert_eq!(
            Distribution::parse("random").unwrap_err().code(),
            Code::DistributionUnknown
        );
        assert!(!Distribution::All.assigns());
        assert!(Distribution::Even.assigns() && Distribution::Strict.assigns());
    }

    #[test]
    fn time_to_take_is_off_or_ten_seconds_to_an_hour() {
        assert_eq!(TakeTime::parse("").unwrap(), TakeTime::OFF);
        assert_eq!(TakeTime::parse(" 0 ").unwrap().secs(), 0);
        assert_eq!(TakeTime::parse("10").unwrap().secs(), 10);
        assert_eq!(TakeTime::parse("3600").unwrap().secs(), 3600);
        for bad in ["9", "3601", "-5", "99999999999"] {
            let e = TakeTime::parse(bad).unwrap_err();
            assert_eq!(
                (e.field(), e.code()),
                (Some(Field::TakeTime), Code::TakeTimeRange),
                "{bad}"
            );
        }
        assert_eq!(TakeTime::parse("1.5").unwrap_err().code(), Code::NotANumber);
        assert_eq!(TakeTime::parse("soon").unwrap_err().code(), Code::NotANumber);
    }

    fn raw(name: &str, multi: bool, limit: &str) -> RawSettings {
        RawSettings {
            name: name.into(),
            multi_chat: multi,
            chat_limit: limit.into(),
            ..Default::default()
        }
    }

    fn fields(errs: Vec<AppError>) -> Vec<(Field, Code)> {
        errs.into_iter().map(|e| (e.field().unwrap(), e.code())).collect()
    }

    #[test]
    fn name_is_required_and_at_most_64_characters() {
        assert!(ChannelName::parse(&"ż".repeat(64)).is_ok());
        assert_eq!(
            ChannelName::parse(&"a".repeat(65)).unwrap_err().code(),
            Code::TooLong
        );
        assert_eq!(ChannelName::parse("  ").unwrap_err().code(), Code::Required);
    }

    #[test]
    fn limit_is_a_whole_number_from_2_to_20_only_while_multiple_chats_are_on() {
        assert_eq!(
            Settings::parse(&raw("S", true, "2")).unwrap().chat_limit,
            Some(ChatLimit::new(2).unwrap())
        );
        assert_eq!(
            Settings::parse(&raw("S", true, " 20 "))
                .unwrap()
                .chat_limit
                .unwrap()
                .get(),
            20
        );
        assert_eq!(
            fields(Settings::parse(&raw("S", true, "1")).unwrap_err()),
            [(Field::ChatLimit, Code::LimitRange)]
        );
        assert_eq!(
            fields(Settings::parse(&raw("S", true, "21")).unwrap_err()),
            [(Field::ChatLimit, Code::LimitRange)]
        );
        assert_eq!(
            fields(Settings::parse(&raw("S", true, "2.5")).unwrap_err()),
            [(Field::ChatLimit, Code::NotANumber)]
        );
        assert_eq!(
            fields(Settings::parse(&raw("S", true, "")).unwrap_err()),
            [(Field::ChatLimit, Code::Required)]
        );
        assert_eq!(
            Settings::parse(&raw("S", false, "nonsense")).unwrap().chat_limit,
            None
        );
    }

    #[test]
    fn every_invalid_field_is_reported_at_once() {
        let r = RawSettings {
            name: "".into(),
            description: "d".repeat(256),
            welcome_message: "w".repeat(1001),
            multi_chat: true,
            chat_limit: "99".into(),
            ask_rating: true,
            rest_messages_off: Some(true),
        };
        assert_eq!(
            fields(Settings::parse(&r).unwrap_err()),
            [
                (Field::ChannelName, Code::Required),
                (Field::Description, Code::TooLong),
                (Field::WelcomeMessage, Code::TooLong),
                (Field::ChatLimit, Code::LimitRange)
            ]
        );
        let ok = RawSettings {
            name: "N".into(),
            description: "d".repeat(255),
            welcome_message: "Dzień dobry!\r\nJak możemy pomóc?".into(),
            ..Default::default()
        };
        assert_eq!(
            Settings::parse(&ok).unwrap().welcome_message,
            "Dzień dobry!\nJak możemy pomóc?"
        );
    }

    #[test]
    fn code_is_32_lowercase_hex_and_the_link_carries_it() {
        let c = ChannelCode::parse("0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!(
            c.link("https://net.example/"),
            "https://net.example/oauth/select/?preset=im&IM_DIALOG=networkLines0123456789abcdef0123456789abcdef"
        );
        assert!(ChannelCode::parse("0123456789ABCDEF0123456789ABCDEF").is_err());
        assert!(ChannelCode::parse("abc").is_err());
        assert!(ChannelCode::parse("g123456789abcdef0123456789abcdef").is_err());
        assert_eq!(
            ChannelCode::from_dialog("networkLines0123456789abcdef0123456789abcdef").unwrap(),
            c
        );
        assert!(ChannelCode::from_dialog("chat0123456789abcdef0123456789abcdef").is_err());
    }
}
