//! The one error type that crosses the wire between server and browser.
//!
//! Internal details never travel: the server logs them and sends `Internal`.
//! Every variant maps to a message in the user's language through [`crate::i18n`].

use serde::{Deserialize, Serialize};
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// The form field an error belongs to, so the page can show it next to that field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Email,
    Password,
    Name,
    AccountName,
    Slug,
    Role,
    Member,
    Language,
    ChannelName,
    Description,
    WelcomeMessage,
    Avatar,
    ChatLimit,
    Channel,
    Operators,
    Body,
    ClientId,
    Conversation,
    Account,
    Distribution,
    Capacity,
    Operator,
    Message,
    Scopes,
    Title,
    TakeTime,
    Rating,
    Comment,
    Search,
    Files,
    HandlerUrl,
    TimeZone,
    Schedule,
    HoursMon,
    HoursTue,
    HoursWed,
    HoursThu,
    HoursFri,
    HoursSat,
    HoursSun,
    Holidays,
    OfflineMessage,
    OfflineQueue,
    NoAnswerMinutes,
    NoAnswerMessage,
    AutoCloseMinutes,
    AutoCloseMessage,
    Period,
}

impl Field {
    pub const ALL: [Field; 48] = [
        Field::Email,
        Field::Password,
        Field::Name,
        Field::AccountName,
        Field::Slug,
        Field::Role,
        Field::Member,
        Field::Language,
        Field::ChannelName,
        Field::Description,
        Field::WelcomeMessage,
        Field::Avatar,
        Field::ChatLimit,
        Field::Channel,
        Field::Operators,
        Field::Body,
        Field::ClientId,
        Field::Conversation,
        Field::Account,
        Field::Distribution,
        Field::Capacity,
        Field::Operator,
        Field::Message,
        Field::Scopes,
        Field::Title,
        Field::TakeTime,
        Field::Rating,
        Field::Comment,
        Field::Search,
        Field::Files,
        Field::HandlerUrl,
        Field::TimeZone,
        Field::Schedule,
        Field::HoursMon,
        Field::HoursTue,
        Field::HoursWed,
        Field::HoursThu,
        Field::HoursFri,
        Field::HoursSat,
        Field::HoursSun,
        Field::Holidays,
        Field::OfflineMessage,
        Field::OfflineQueue,
        Field::NoAnswerMinutes,
        Field::NoAnswerMessage,
        Field::AutoCloseMinutes,
        Field::AutoCloseMessage,
        Field::Period,
    ];
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Email => "email",
            Field::Password => "password",
            Field::Name => "name",
            Field::AccountName => "account_name",
            Field::Slug => "slug",
            Field::Role => "role",
            Field::Member => "member",
            Field::Language => "language",
            Field::ChannelName => "channel_name",
            Field::Description => "description",
            Field::WelcomeMessage => "welcome_message",
            Field::Avatar => "avatar",
            Field::ChatLimit => "chat_limit",
            Field::Channel => "channel",
            Field::Operators => "operators",
            Field::Body => "body",
            Field::ClientId => "client_id",
            Field::Conversation => "conversation",
            Field::Account => "account",
            Field::Distribution => "distribution",
            Field::Capacity => "capacity",
            Field::Operator => "operator",
            Field::Message => "message",
            Field::Scopes => "scopes",
            Field::Title => "title",
            Field::TakeTime => "take_time",
            Field::Rating => "rating",
            Field::Comment => "comment",
            Field::Search => "search",
            Field::Files => "files",
            Field::HandlerUrl => "handler_url",
            Field::TimeZone => "time_zone",
            Field::Schedule => "schedule",
            Field::HoursMon => "hours_mon",
            Field::HoursTue => "hours_tue",
            Field::HoursWed => "hours_wed",
            Field::HoursThu => "hours_thu",
            Field::HoursFri => "hours_fri",
            Field::HoursSat => "hours_sat",
            Field::HoursSun => "hours_sun",
            Field::Holidays => "holidays",
            Field::OfflineMessage => "offline_message",
            Field::OfflineQueue => "offline_queue",
            Field::NoAnswerMinutes => "no_answer_minutes",
            Field::NoAnswerMessage => "no_answer_message",
            Field::AutoCloseMinutes => "auto_close_minutes",
            Field::AutoCloseMessage => "auto_close_message",
            Field::Period => "period",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Field::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// Why something was refused. Each code has a sentence in every UI language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    Required,
    TooLong,
    ControlChars,
    EmailFormat,
    EmailTaken,
    PasswordTooShort,
    SlugChars,
    SlugLength,
    SlugTaken,
    RoleUnknown,
    UserUnknown,
    AlreadyMember,
    LastAdmin,
    BadCredentials,
    TooManyAttempts,
    SignInRequired,
    Forbidden,
    NotFound,
    Internal,
    NotANumber,
    LimitRange,
    AvatarTooLarge,
    AvatarFormat,
    AvatarDimensions,
    AvatarCorrupt,
    ChannelUnavailable,
    ChannelTaken,
    InvalidFormat,
    ConversationLimit,
    ConversationClosed,
    OwnAccount,
    DistributionUnknown,
    CapacityRange,
    OperatorFull,
    ConversationTaken,
    NotInQueue,
    NotCustomerMessage,
    ScopeUnknown,
    MessageLimit,
    RateLimited,
    FollowLimit,
    NotOperator,
    TitleTaken,
    QuickAnswerLimit,
    TakeTimeRange,
    NotAssigned,
    NotFinished,
    AlreadyRated,
    RatingOff,
    PinLimit,
    NoteLimit,
    SearchShort,
    FileType,
    FileTooLarge,
    FileCorrupt,
    FileDimensions,
    TooManyFiles,
    UrlFormat,
    AppLimit,
    ChannelLimit,
    ChannelInUse,
    NetworkRequired,
    TimeZoneUnknown,
    TimeFormat,
    SameTimes,
    NoWorkingDays,
    DateFormat,
    TooManyDates,
    MinutesRange,
    PeriodRange,
    InvitationLimit,
    AccountLimit,
    CredentialLimit,
    AccountStorageQuota,
    StorageQuota,
    UploadTooSlow,
    TooManyUploads,
}

impl Code {
    pub const ALL: [Code; 77] = [
        Code::Required,
        Code::TooLong,
        Code::ControlChars,
        Code::EmailFormat,
        Code::EmailTaken,
        Code::PasswordTooShort,
        Code::SlugChars,
        Code::SlugLength,
        Code::SlugTaken,
        Code::RoleUnknown,
        Code::UserUnknown,
        Code::AlreadyMember,
        Code::LastAdmin,
        Code::BadCredentials,
        Code::TooManyAttempts,
        Code::SignInRequired,
        Code::Forbidden,
        Code::NotFound,
        Code::Internal,
        Code::NotANumber,
        Code::LimitRange,
        Code::AvatarTooLarge,
        Code::AvatarFormat,
        Code::AvatarDimensions,
        Code::AvatarCorrupt,
        Code::ChannelUnavailable,
        Code::ChannelTaken,
        Code::InvalidFormat,
        Code::ConversationLimit,
        Code::ConversationClosed,
        Code::OwnAccount,
        Code::DistributionUnknown,
        Code::CapacityRange,
        Code::OperatorFull,
        Code::ConversationTaken,
        Code::NotInQueue,
        Code::NotCustomerMessage,
        Code::ScopeUnknown,
        Code::MessageLimit,
        Code::RateLimited,
        Code::FollowLimit,
        Code::NotOperator,
        Code::TitleTaken,
        Code::QuickAnswerLimit,
        Code::TakeTimeRange,
        Code::NotAssigned,
        Code::NotFinished,
        Code::AlreadyRated,
        Code::RatingOff,
        Code::PinLimit,
        Code::NoteLimit,
        Code::SearchShort,
        Code::FileType,
        Code::FileTooLarge,
        Code::FileCorrupt,
        Code::FileDimensions,
        Code::TooManyFiles,
        Code::UrlFormat,
        Code::AppLimit,
        Code::ChannelLimit,
        Code::ChannelInUse,
        Code::NetworkRequired,
        Code::TimeZoneUnknown,
        Code::TimeFormat,
        Code::SameTimes,
        Code::NoWorkingDays,
        Code::DateFormat,
        Code::TooManyDates,
        Code::MinutesRange,
        Code::PeriodRange,
        Code::InvitationLimit,
        Code::AccountLimit,
        Code::CredentialLimit,
        Code::AccountStorageQuota,
        Code::StorageQuota,
        Code::UploadTooSlow,
        Code::TooManyUploads,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::Required => "required",
            Code::TooLong => "too_long",
            Code::ControlChars => "control_chars",
            Code::EmailFormat => "email_format",
            Code::EmailTaken => "email_taken",
            Code::PasswordTooShort => "password_too_short",
            Code::SlugChars => "slug_chars",
            Code::SlugLength => "slug_length",
            Code::SlugTaken => "slug_taken",
            Code::RoleUnknown => "role_unknown",
            Code::UserUnknown => "user_unknown",
            Code::AlreadyMember => "already_member",
            Code::LastAdmin => "last_admin",
            Code::BadCredentials => "bad_credentials",
            Code::TooManyAttempts => "too_many_attempts",
            Code::SignInRequired => "sign_in_required",
            Code::Forbidden => "forbidden",
            Code::NotFound => "not_found",
            Code::Internal => "internal",
            Code::NotANumber => "not_a_number",
            Code::LimitRange => "limit_range",
            Code::AvatarTooLarge => "avatar_too_large",
            Code::AvatarFormat => "avatar_format",
            Code::AvatarDimensions => "avatar_dimensions",
            Code::AvatarCorrupt => "avatar_corrupt",
            Code::ChannelUnavailable => "channel_unavailable",
            Code::ChannelTaken => "channel_taken",
            Code::InvalidFormat => "invalid_format",
            Code::ConversationLimit => "conversation_limit",
            Code::ConversationClosed => "conversation_closed",
            Code::OwnAccount => "own_account",
            Code::DistributionUnknown => "distribution_unknown",
            Code::CapacityRange => "capacity_range",
            Code::OperatorFull => "operator_full",
            Code::ConversationTaken => "conversation_taken",
            Code::NotInQueue => "not_in_queue",
            Code::NotCustomerMessage => "not_customer_message",
            Code::ScopeUnknown => "scope_unknown",
            Code::MessageLimit => "message_limit",
            Code::RateLimited => "rate_limited",
            Code::FollowLimit => "follow_limit",
            Code::NotOperator => "not_operator",
            Code::TitleTaken => "title_taken",
            Code::QuickAnswerLimit => "quick_answer_limit",
            Code::TakeTimeRange => "take_time_range",
            Code::NotAssigned => "not_assigned",
            Code::NotFinished => "not_finished",
            Code::AlreadyRated => "already_rated",
            Code::RatingOff => "rating_off",
            Code::PinLimit => "pin_limit",
            Code::NoteLimit => "note_limit",
            Code::SearchShort => "search_short",
            Code::FileType => "file_type",
            Code::FileTooLarge => "file_too_large",
            Code::FileCorrupt => "file_corrupt",
            Code::FileDimensions => "file_dimensions",
            Code::TooManyFiles => "too_many_files",
            Code::UrlFormat => "url_format",
            Code::AppLimit => "app_limit",
            Code::ChannelLimit => "channel_limit",
            Code::ChannelInUse => "channel_in_use",
            Code::NetworkRequired => "network_required",
            Code::TimeZoneUnknown => "time_zone_unknown",
            Code::TimeFormat => "time_format",
            Code::SameTimes => "same_times",
            Code::NoWorkingDays => "no_working_days",
            Code::DateFormat => "date_format",
            Code::TooManyDates => "too_many_dates",
            Code::MinutesRange => "minutes_range",
            Code::PeriodRange => "period_range",
            Code::InvitationLimit => "invitation_limit",
            Code::AccountLimit => "account_limit",
            Code::CredentialLimit => "credential_limit",
            Code::AccountStorageQuota => "account_storage_quota",
            Code::StorageQuota => "storage_quota",
            Code::UploadTooSlow => "upload_too_slow",
            Code::TooManyUploads => "too_many_uploads",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Code::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Errors of every service, server function and form endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// No valid session: the user must sign in.
    #[error("sign-in required")]
    Unauthorized,
    /// Signed in, but the actor's role does not allow this.
    #[error("forbidden")]
    Forbidden,
    /// The thing does not exist, or the actor may not know that it exists.
    #[error("not found")]
    NotFound,
    /// A field's value breaks a rule; nothing was written.
    #[error("invalid {field:?}: {code:?}")]
    Invalid { field: Field, code: Code },
    /// The value collides with existing data (e.g. a unique email or slug).
    #[error("conflict on {field:?}: {code:?}")]
    Conflict { field: Field, code: Code },
    /// A rate or capacity limit was hit; retry after the given number of seconds.
    #[error("limit: {code:?}, retry after {retry_after_secs}s")]
    Limit { code: Code, retry_after_secs: u64 },
    /// Something broke on the server; the details are in the server log only.
    #[error("internal error")]
    Internal,
    /// The server function transport failed (network, serialisation).
    #[error("transport: {0}")]
    Transport(String),
}

impl AppError {
    /// The field the error belongs to, if any.
    pub fn field(&self) -> Option<Field> {
        match self {
            AppError::Invalid { field, .. } | AppError::Conflict { field, .. } => Some(*field),
            _ => None,
        }
    }

    /// The reason code used to pick the translated message.
    pub fn code(&self) -> Code {
        match self {
            AppError::Unauthorized => Code::SignInRequired,
            AppError::Forbidden => Code::Forbidden,
            AppError::NotFound => Code::NotFound,
            AppError::Invalid { code, .. }
            | AppError::Conflict { code, .. }
            | AppError::Limit { code, .. } => *code,
            AppError::Internal | AppError::Transport(_) => Code::Internal,
        }
    }

    /// The HTTP status that fits the error.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthorized => 401,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::Invalid { .. } => 422,
            AppError::Conflict { .. } => 409,
            AppError::Limit { .. } => 429,
            AppError::Internal => 500,
            // On the server: a request whose arguments could not be read.
            AppError::Transport(_) => 400,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = crate::codec::JsonText;

    /// On the server, arguments that cannot be read are the client's fault: a plain
    /// "malformed request" (HTTP 400), never the parser's words; a failure to write the
    /// answer is ours (`Internal`). In the browser, the error as it happened.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        if cfg!(feature = "ssr") {
            return match value {
                ServerFnErrorErr::Args(_)
                | ServerFnErrorErr::MissingArg(_)
                | ServerFnErrorErr::Deserialization(_)
                | ServerFnErrorErr::UnsupportedRequestMethod(_)
                | ServerFnErrorErr::Request(_) => AppError::Transport("malformed request".into()),
                _ => AppError::Internal,
            };
        }
        AppError::Transport(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_fields_round_trip_through_their_names() {
        for c in Code::ALL {
            assert_eq!(Code::parse(c.as_str()), Some(c));
        }
        for f in Field::ALL {
            assert_eq!(Field::parse(f.as_str()), Some(f));
        }
        assert_eq!(Code::parse("nope"), None);
    }

    #[test]
    fn codes_and_fields_are_written_as_their_names() {
        for c in Code::ALL {
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(serde_json::from_str::<Code>(&json).unwrap(), c);
        }
        for f in Field::ALL {
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(json, format!("\"{}\"", f.as_str()));
            assert_eq!(serde_json::from_str::<Field>(&json).unwrap(), f);
        }
        let e = AppError::Invalid {
            field: Field::Slug,
            code: Code::SlugChars,
        };
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, r#"{"Invalid":{"field":"slug","code":"slug_chars"}}"#);
        assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), e);
    }

    #[test]
    fn errors_map_to_http_statuses() {
        assert_eq!(AppError::Unauthorized.status(), 401);
        assert_eq!(
            AppError::Invalid {
                field: Field::Slug,
                code: Code::SlugChars
            }
            .status(),
            422
        );
        assert_eq!(
            AppError::Conflict {
                field: Field::Email,
                code: Code::EmailTaken
            }
            .status(),
            409
        );
        assert_eq!(
            AppError::Limit {
                code: Code::TooManyAttempts,
                retry_after_secs: 5
            }
            .status(),
            429
        );
    }
}
