//! The i18n layer: every UI string goes through [`t`] with a [`K`] key.
//!
//! Keys are an enum, so a missing translation is a compile error, not a blank on the
//! page. The language comes from the `lang` cookie (set by the switcher), else from
//! the browser's `Accept-Language`, else English.

use crate::domain::Role;
use crate::error::Code;
use serde::{Deserialize, Serialize};

/// A UI language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    En,
    Pl,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Pl];
    /// Name of the cookie that remembers the switcher's choice.
    pub const COOKIE: &'static str = "netlines_lang";

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Pl => "pl",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "pl" => Some(Lang::Pl),
            _ => None,
        }
    }

    /// The language's own name, as shown in the switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Pl => "Polski",
        }
    }

    /// Picks the best supported language from an `Accept-Language` header, honouring
    /// q-values; English when nothing matches.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.parse::<f32>().ok()))
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            if let Some(lang) = Lang::from_code(primary) {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }

    /// Cookie value first, then `Accept-Language`, then English.
    pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
        cookie
            .and_then(Lang::from_code)
            .or_else(|| accept_language.map(Lang::from_accept_language))
            .unwrap_or_default()
    }
}

macro_rules! messages {
    ($($key:ident => $en:expr, $pl:expr;)*) => {
        /// A UI message key.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum K { $($key),* }

        impl K {
            pub const ALL: &'static [K] = &[$(K::$key),*];
        }

        /// The message for `key` in `lang`.
        pub fn t(lang: Lang, key: K) -> &'static str {
            match lang {
                Lang::En => match key { $(K::$key => $en),* },
                Lang::Pl => match key { $(K::$key => $pl),* },
            }
        }
    };
}

messages! {
    AppName => "Netlines", "Netlines";
    Tagline => "Contact centers that talk to each other: your customers write to you from their own accounts.",
               "Centra kontaktowe, które rozmawiają ze sobą: klienci piszą do Ciebie ze swoich własnych kont.";
    NavNetwork => "Network", "Sieć";
    NavNewAccount => "New account", "Nowe konto";
    NavSignIn => "Sign in", "Zaloguj się";
    NavRegister => "Register", "Zarejestruj się";
    NavSignOut => "Sign out", "Wyloguj się";
    SignedInAs => "Signed in as", "Zalogowano jako";
    Language => "Language", "Język";
    MainNav => "Main", "Główna nawigacja";
    SkipToContent => "Skip to content", "Przejdź do treści";
    ChooseLanguage => "Choose language", "Wybierz język";
    SignInFirst => "Sign in to continue.", "Zaloguj się, aby kontynuować.";
    FormHasErrors => "Please correct the marked fields.", "Popraw zaznaczone pola.";
    HomeGetStarted => "Sign in to see the accounts in which you work, or create a network identity.",
                      "Zaloguj się, aby zobaczyć konta, w których pracujesz, albo utwórz tożsamość w sieci.";
    HomeSignedIn => "Go to the Network page to see your accounts.", "Przejdź do strony Sieć, aby zobaczyć swoje konta.";
    RegisterTitle => "Create your network identity", "Utwórz swoją tożsamość w sieci";
    RegisterSubmit => "Register", "Zarejestruj się";
    HaveIdentity => "Already registered?", "Masz już konto?";
    LoginTitle => "Sign in", "Logowanie";
    LoginSubmit => "Sign in", "Zaloguj się";
    NoIdentity => "No network identity yet?", "Nie masz jeszcze tożsamości w sieci?";
    LabelEmail => "Email", "E-mail";
    LabelName => "Name", "Imię i nazwisko";
    LabelPassword => "Password", "Hasło";
    PasswordHint => "At least 8 characters.", "Co najmniej 8 znaków.";
    NetworkTitle => "Network", "Sieć";
    NetworkIntro => "All accounts in which you work.", "Wszystkie konta, w których pracujesz.";
    NetworkEmpty => "You do not work in any account yet.", "Nie pracujesz jeszcze w żadnym koncie.";
    ColAccount => "Account", "Konto";
    ColYourRole => "Your role", "Twoja rola";
    ColName => "Name", "Imię i nazwisko";
    ColEmail => "Email", "E-mail";
    ColRole => "Role", "Rola";
    ColActions => "Actions", "Działania";
    RoleAdmin => "Admin", "Administrator";
    RoleOperator => "Operator", "Operator";
    RoleEmployee => "Employee", "Pracownik";
    NewAccountTitle => "Create an account", "Utwórz konto";
    NewAccountIntro => "An account is your organisation in the network. You become its admin.",
                       "Konto to Twoja organizacja w sieci. Zostaniesz jego administratorem.";
    LabelAccountName => "Account name", "Nazwa konta";
    LabelSlug => "Slug (used in addresses)", "Identyfikator (używany w adresach)";
    SlugHint => "3–40 characters: a–z, 0–9 and -.", "3–40 znaków: a–z, 0–9 i -.";
    CreateAccountSubmit => "Create account", "Utwórz konto";
    AccountCreated => "Account created. You are its admin.", "Konto zostało utworzone. Jesteś jego administratorem.";
    YourRole => "Your role", "Twoja rola";
    MembersTitle => "Members", "Członkowie";
    AddMemberTitle => "Add a member", "Dodaj członka";
    AddMemberHint => "The person must already have a network identity.", "Osoba musi mieć już tożsamość w sieci.";
    LabelMemberEmail => "Email of the member", "E-mail członka";
    LabelRole => "Role", "Rola";
    AddMemberSubmit => "Add member", "Dodaj członka";
    SaveRole => "Save role", "Zapisz rolę";
    RemoveMember => "Remove", "Usuń";
    RoleFor => "Role of", "Rola:";
    RemoveFor => "Remove", "Usuń";
    MemberAdded => "Member added.", "Dodano członka.";
    RoleChanged => "Role changed.", "Zmieniono rolę.";
    MemberRemoved => "Member removed.", "Usunięto członka.";
    You => "you", "Ty";
    NotFoundTitle => "Page not found", "Nie znaleziono strony";
    NotFoundText => "There is nothing at this address, or you may not see it.",
                    "Pod tym adresem nic nie ma albo nie masz do tego dostępu.";
    BackToNetwork => "Back to the Network page", "Wróć do strony Sieć";
    Loading => "Loading…", "Ładowanie…";
    ErrorTitle => "Something went wrong", "Coś poszło nie tak";
    ErrRequired => "This field is required.", "To pole jest wymagane.";
    ErrTooLong => "This value is too long.", "Ta wartość jest za długa.";
    ErrControlChars => "This value contains characters that are not allowed.", "Ta wartość zawiera niedozwolone znaki.";
    ErrEmailFormat => "Enter an email address like name@example.com.", "Podaj adres e-mail w postaci nazwa@example.com.";
    ErrEmailTaken => "An identity with this email already exists.", "Tożsamość z tym adresem e-mail już istnieje.";
    ErrPasswordTooShort => "The password must have at least 8 characters.", "Hasło musi mieć co najmniej 8 znaków.";
    ErrSlugChars => "Use only lowercase letters a–z, digits 0–9 and hyphens.", "Używaj tylko małych liter a–z, cyfr 0–9 i łączników.";
    ErrSlugLength => "The slug must have 3 to 40 characters.", "Identyfikator musi mieć od 3 do 40 znaków.";
    ErrSlugTaken => "This slug is already used by another account.", "Ten identyfikator jest już używany przez inne konto.";
    ErrRoleUnknown => "Choose admin, operator or employee.", "Wybierz: administrator, operator lub pracownik.";
    ErrUserUnknown => "No network identity uses this email.", "Żadna tożsamość w sieci nie używa tego adresu e-mail.";
    ErrAlreadyMember => "This person is already a member of the account.", "Ta osoba jest już członkiem konta.";
    ErrLastAdmin => "The account must keep at least one admin.", "Konto musi mieć co najmniej jednego administratora.";
    ErrBadCredentials => "Wrong email or password.", "Nieprawidłowy e-mail lub hasło.";
    ErrTooManyAttempts => "Too many failed sign-in attempts. Try again in a few minutes.",
                          "Zbyt wiele nieudanych prób logowania. Spróbuj ponownie za kilka minut.";
    ErrSignInRequired => "Please sign in first.", "Najpierw się zaloguj.";
    ErrForbidden => "You are not allowed to do this.", "Nie masz uprawnień do tej operacji.";
    ErrNotFound => "Not found, or you may not see it.", "Nie znaleziono albo nie masz do tego dostępu.";
    ErrInternal => "Something went wrong on our side. Please try again.", "Coś poszło nie tak po naszej stronie. Spróbuj ponownie.";
}

/// The message that explains an error code.
pub fn error_key(code: Code) -> K {
    match code {
        Code::Required => K::ErrRequired,
        Code::TooLong => K::ErrTooLong,
        Code::ControlChars => K::ErrControlChars,
        Code::EmailFormat => K::ErrEmailFormat,
        Code::EmailTaken => K::ErrEmailTaken,
        Code::PasswordTooShort => K::ErrPasswordTooShort,
        Code::SlugChars => K::ErrSlugChars,
        Code::SlugLength => K::ErrSlugLength,
        Code::SlugTaken => K::ErrSlugTaken,
        Code::RoleUnknown => K::ErrRoleUnknown,
        Code::UserUnknown => K::ErrUserUnknown,
        Code::AlreadyMember => K::ErrAlreadyMember,
        Code::LastAdmin => K::ErrLastAdmin,
        Code::BadCredentials => K::ErrBadCredentials,
        Code::TooManyAttempts => K::ErrTooManyAttempts,
        Code::SignInRequired => K::ErrSignInRequired,
        Code::Forbidden => K::ErrForbidden,
        Code::NotFound => K::ErrNotFound,
        Code::Internal => K::ErrInternal,
    }
}

/// The translated name of a role.
pub fn role_key(role: Role) -> K {
    match role {
        Role::Admin => K::RoleAdmin,
        Role::Operator => K::RoleOperator,
        Role::Employee => K::RoleEmployee,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_a_non_empty_text_in_every_language() {
        for &k in K::ALL {
            for lang in Lang::ALL {
                assert!(!t(lang, k).trim().is_empty(), "{k:?} in {lang:?}");
            }
        }
    }

    #[test]
    fn error_messages_differ_between_languages() {
        for code in Code::ALL {
            let k = error_key(code);
            assert_ne!(t(Lang::En, k), t(Lang::Pl, k), "{code:?}");
        }
    }

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(Lang::from_accept_language("pl-PL,pl;q=0.9,en;q=0.8"), Lang::Pl);
        assert_eq!(Lang::from_accept_language("de-DE,en;q=0.5,pl;q=0.7"), Lang::Pl);
        assert_eq!(Lang::from_accept_language("de-DE"), Lang::En);
        assert_eq!(Lang::from_accept_language("pl;q=0"), Lang::En);
        assert_eq!(Lang::from_accept_language(""), Lang::En);
    }

    #[test]
    fn cookie_choice_wins_over_the_browser() {
        assert_eq!(Lang::negotiate(Some("pl"), Some("en")), Lang::Pl);
        assert_eq!(Lang::negotiate(Some("xx"), Some("pl")), Lang::Pl);
        assert_eq!(Lang::negotiate(None, None), Lang::En);
    }
}
