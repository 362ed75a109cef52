//! The i18n layer: every UI string goes through [`t`] with a [`K`] key.
//!
//! Keys are an enum, so a missing translation is a compile error, not a blank on the
//! page. The language comes from the `lang` cookie (set by the switcher), else from
//! the browser's `Accept-Language`, else English.
//!
//! Longer than most files on purpose: it is one table, every key beside its English and
//! Polish words, so that a translator reads and checks it in one place.

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
    NavNetwork => "My accounts", "Moje konta";
    NavNewAccount => "New account", "Nowe konto";
    NavSignIn => "Sign in", "Zaloguj się";
    NavRegister => "Register", "Zarejestruj się";
    NavSignOut => "Sign out", "Wyloguj się";
    SessionsTitle => "Signed-in devices", "Zalogowane urządzenia";
    SessionsIntro => "Lost a phone or signed in on a shared computer? End every session of your identity, this one included.", "Zgubiony telefon albo logowanie na wspólnym komputerze? Zakończ wszystkie sesje swojego profilu, również tę.";
    SignOutEverywhere => "Sign out everywhere", "Wyloguj się wszędzie";
    SignedInAs => "Signed in as", "Zalogowano jako";
    Language => "Language", "Język";
    MainNav => "Main", "Główna nawigacja";
    AccountNav => "Account", "Konto";
    SkipToContent => "Skip to content", "Przejdź do treści";
    ChooseLanguage => "Choose language", "Wybierz język";
    SignInFirst => "Sign in to continue.", "Zaloguj się, aby kontynuować.";
    FormHasErrors => "Please correct the marked fields.", "Popraw zaznaczone pola.";
    HomeGetStarted => "Sign in to see the accounts in which you work, or create a network identity.",
                      "Zaloguj się, aby zobaczyć konta, na których pracujesz, albo utwórz swój profil w sieci.";
    HomeSignedIn => "Go to My accounts to see the accounts in which you work.", "Przejdź do strony Moje konta, aby zobaczyć konta, na których pracujesz.";
    RegisterTitle => "Create your network identity", "Utwórz swój profil w sieci";
    RegisterSubmit => "Register", "Zarejestruj się";
    HaveIdentity => "Already registered?", "Masz już profil?";
    LoginTitle => "Sign in", "Logowanie";
    LoginSubmit => "Sign in", "Zaloguj się";
    NoIdentity => "No network identity yet?", "Nie masz jeszcze profilu w sieci?";
    LabelEmail => "Email", "E-mail";
    LabelName => "Name", "Imię i nazwisko";
    LabelPassword => "Password", "Hasło";
    PasswordHint => "At least 8 characters.", "Co najmniej 8 znaków.";
    NetworkTitle => "My accounts", "Moje konta";
    NetworkIntro => "All accounts in which you work.", "Wszystkie konta, na których pracujesz.";
    NetworkEmpty => "You do not work in any account yet.", "Nie pracujesz jeszcze na żadnym koncie.";
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
    AddMemberTitle => "Invite a member", "Zaproś członka";
    AddMemberHint => "They join when they accept the invitation, with this email's network identity.", "Dołączy, gdy przyjmie zaproszenie, tożsamością w sieci z tym adresem e-mail.";
    LabelMemberEmail => "Email of the member", "E-mail członka";
    LabelRole => "Role", "Rola";
    AddMemberSubmit => "Invite", "Zaproś";
    SaveRole => "Save role", "Zapisz rolę";
    RemoveMember => "Remove", "Usuń";
    RoleFor => "Role of", "Rola:";
    RemoveFor => "Remove", "Usuń";
    MemberAdded => "Member added.", "Dodano członka.";
    Invited => "Invitation made. The person joins when they accept it on their Network page (after signing in or registering with this email).", "Zaproszenie utworzone. Osoba dołączy, gdy je przyjmie na swojej stronie Sieci (po zalogowaniu lub rejestracji z tym adresem e-mail).";
    InvitationCancelled => "Invitation withdrawn.", "Zaproszenie wycofane.";
    InvitationDeclined => "Invitation declined.", "Zaproszenie odrzucone.";
    Joined => "You joined the account.", "Dołączono do konta.";
    InvitationsTitle => "Invitations waiting", "Oczekujące zaproszenia";
    CancelInvitation => "Withdraw", "Wycofaj";
    CancelInvitationFor => "Withdraw the invitation of", "Wycofaj zaproszenie dla";
    YourInvitations => "Invitations", "Zaproszenia";
    InvitesYouAs => "invites you to join as", "zaprasza Cię do dołączenia jako";
    InvitedBy => "invited by", "zaprasza";
    AcceptInvitation => "Accept", "Przyjmij";
    DeclineInvitation => "Decline", "Odrzuć";
    RoleChanged => "Role changed.", "Zmieniono rolę.";
    MemberRemoved => "Member removed.", "Usunięto członka.";
    You => "you", "Ty";
    NotFoundTitle => "Page not found", "Nie znaleziono strony";
    NotFoundText => "There is nothing at this address, or you may not see it.",
                    "Pod tym adresem nic nie ma albo nie masz do tego dostępu.";
    BackToNetwork => "Back to My accounts", "Wróć do strony Moje konta";
    BackToAccount => "Back to the account", "Wróć do strony konta";
    Loading => "Loading…", "Ładowanie…";
    LoadingConversation => "Opening the conversation…", "Otwieranie rozmowy…";
    ErrorTitle => "Something went wrong", "Coś poszło nie tak";
    NavContactCenter => "Contact Center", "Centrum Kontaktowe";
    CcTitle => "Contact Center", "Centrum Kontaktowe";
    CcIntro => "Open channels are your account's inbound chat lines; the operators in a channel's queue answer its conversations.",
               "Otwarte kanały to linie czatu Twojego konta; odpowiadają w nich operatorzy z kolejki kanału.";
    CcOperatorIntro => "The open channels whose queue you are in. Only admins can change them.",
                       "Otwarte kanały, w których kolejce jesteś. Zmieniać je mogą tylko administratorzy.";
    OpenChannels => "Open channels", "Otwarte kanały";
    NoChannels => "No open channels yet.", "Brak otwartych kanałów.";
    NewChannel => "New open channel", "Nowy otwarty kanał";
    LabelChannelName => "Channel name", "Nazwa kanału";
    CreateChannel => "Create channel", "Utwórz kanał";
    RenameTo => "New name of", "Nowa nazwa kanału";
    Rename => "Rename", "Zmień nazwę";
    StatusActive => "Active", "Aktywny";
    StatusInactive => "Inactive", "Nieaktywny";
    Activate => "Activate", "Aktywuj";
    Deactivate => "Deactivate", "Dezaktywuj";
    OperatorsOf => "Operators of", "Operatorzy kanału";
    OperatorsTitle => "Operators", "Operatorzy";
    SaveOperators => "Save operators", "Zapisz operatorów";
    NoOperators => "No operators yet.", "Brak operatorów.";
    NetworkLabel => "Network", "Sieć";
    NotConnected => "Not connected", "Niepodłączony";
    StatusConnected => "Connected", "Podłączony";
    StatusDisconnected => "Disconnected", "Odłączony";
    NetTitle => "Network channel", "Kanał Sieci";
    NetIntro => "Connect an open channel to the Network so that people working in other accounts can write to you from their own accounts.",
                "Podłącz otwarty kanał do Sieci, aby osoby pracujące na innych kontach mogły pisać do Ciebie ze swoich kont.";
    NoConnections => "No open channel is connected to the Network yet.", "Żaden otwarty kanał nie jest jeszcze podłączony do Sieci.";
    Connect => "Connect", "Połącz";
    ConnectTitle => "Connect an open channel", "Podłącz otwarty kanał";
    ConnectIntro => "Choose an open channel or create one, then click Connect.", "Wybierz lub utwórz otwarty kanał, a następnie kliknij Połącz.";
    ChooseChannel => "Open channel", "Otwarty kanał";
    CreateNewChannel => "Create a new open channel", "Utwórz nowy otwarty kanał";
    NewChannelName => "Name of the new channel", "Nazwa nowego kanału";
    ColChannel => "Channel", "Kanał";
    ColStatus => "Status", "Status";
    ColCode => "Code", "Kod";
    SettingsLink => "Settings", "Ustawienia";
    SettingsTitle => "Network channel settings", "Ustawienia kanału Sieci";
    LabelDisplayName => "Name", "Nazwa";
    DisplayNameHint => "What customers see in the chat header.", "Tę nazwę klienci zobaczą na czacie.";
    LabelCode => "Code", "Kod";
    CodeHint => "The channel's search identifier, used only by REST API methods.", "Identyfikator wyszukiwania kanału, używany tylko w metodach REST API.";
    LabelLink => "Link", "Link";
    LinkHint => "Send this link to customers so they can write to you.", "Wyślij ten link klientom, aby mogli do Ciebie napisać.";
    Copy => "Copy", "Kopiuj";
    Copied => "Copied", "Skopiowano";
    LabelDescription => "Short description", "Krótki opis";
    LabelWelcome => "Welcome message", "Wiadomość powitalna";
    WelcomeHint => "Sent to the customer as the first message of every new conversation.", "Wysyłana klientowi jako pierwsza wiadomość każdej nowej rozmowy.";
    LabelAvatar => "Avatar", "Avatar";
    AvatarHint => "JPEG or PNG, at most 5 MB and 4096 × 4096 pixels. Use a square picture so it is not stretched.",
                  "JPEG lub PNG, najwyżej 5 MB i 4096 × 4096 pikseli. Użyj kwadratowego obrazu, aby nie był rozciągnięty.";
    AvatarPreview => "Avatar preview", "Podgląd avatara";
    AvatarNotSquare => "This picture is not square. Crop it to its centre square, or it will be fitted into a square with empty margins.",
                       "Ten obraz nie jest kwadratowy. Przytnij go do środkowego kwadratu albo zostanie wpasowany w kwadrat z pustymi marginesami.";
    CropToSquare => "Crop to the centre square", "Przytnij do środkowego kwadratu";
    RemoveAvatar => "Remove the avatar", "Usuń avatar";
    LabelMultiChat => "Allow multiple simultaneous chats with the same customer", "Zezwalaj na wiele jednoczesnych rozmów z tym samym klientem";
    MultiChatHint => "When off, starting a new conversation closes the current one.", "Gdy wyłączone, rozpoczęcie nowej rozmowy zamyka bieżącą.";
    LabelLimit => "Limit", "Limit";
    LimitHint => "Simultaneous conversations with one customer: 2–20. At the limit, a new one opens only after an earlier one is finished.",
                 "Jednoczesne rozmowy z jednym klientem: 2–20. Po osiągnięciu limitu nowa rozmowa otworzy się dopiero po zakończeniu wcześniejszej.";
    Save => "Save", "Zapisz";
    SettingsSaved => "Settings saved.", "Zapisano ustawienia.";
    HoursTitle => "Working hours and automatic messages", "Godziny pracy i wiadomości automatyczne";
    HoursLink => "Hours", "Godziny";
    TimeZoneTitle => "Time zone", "Strefa czasowa";
    TimeZoneAutomatic => "Automatic (the browser's)", "Automatycznie (z przeglądarki)";
    TimeZoneProfileHint => "Times are shown in your browser's zone; this one is used where the browser's is unknown (pages before they load, downloads).", "Godziny są pokazywane w strefie przeglądarki; ta jest używana, gdy strefa przeglądarki jest nieznana (strony przed załadowaniem, pobrania).";
    TimeZoneSaved => "Time zone saved.", "Zapisano strefę czasową.";
    StatsTitle => "Statistics", "Statystyki";
    StatsReset => "Show the last 7 days", "Pokaż ostatnie 7 dni";
    StatsPerDay => "Conversations per day", "Rozmowy dziennie";
    StatsStarted => "Started", "Rozpoczęte";
    StatsAnswered => "Answered", "Odpowiedziane";
    StatsMissed => "Missed", "Nieodebrane";
    StatsWaiting => "Waiting", "Oczekujące";
    StatsDate => "Date", "Data";
    StatsTotal => "Total", "Razem";
    StatsBusiestHours => "Busiest hours", "Godziny największego ruchu";
    StatsHour => "Hour", "Godzina";
    StatsPerOperator => "Load per operator", "Obciążenie operatorów";
    StatsOperator => "Operator", "Operator";
    StatsConversations => "Conversations", "Rozmowy";
    StatsClosed => "Closed", "Zamknięte";
    StatsMedianFirst => "First response (median)", "Pierwsza odpowiedź (mediana)";
    StatsMedianClose => "Time to close (median)", "Czas do zamknięcia (mediana)";
    StatsTimes => "Response and closing times", "Czasy odpowiedzi i zamknięcia";
    StatsFirstResponse => "First response", "Pierwsza odpowiedź";
    StatsTimeToClose => "Time to close", "Czas do zamknięcia";
    StatsMedianMin => "Median (min)", "Mediana (min)";
    StatsP90Min => "90th percentile (min)", "90. percentyl (min)";
    StatsMedianSec => "Median (s)", "Mediana (s)";
    StatsTableLabel => "table", "tabela";
    StatsP90Sec => "90th percentile (s)", "90. percentyl (s)";
    StatsMedian => "Median", "Mediana";
    StatsP90 => "90th percentile", "90. percentyl";
    StatsMeasure => "Measure", "Miara";
    StatsRatings => "Ratings", "Oceny";
    StatsLikes => "Liked", "Pozytywne";
    StatsDislikes => "Disliked", "Negatywne";
    StatsLikeShare => "Share liked", "Odsetek pozytywnych";
    StatsScopeAll => "All conversations of the account", "Wszystkie rozmowy konta";
    StatsScopeMine => "Your conversations", "Twoje rozmowy";
    StatsFrom => "From", "Od";
    StatsTo => "To", "Do";
    StatsAllChannels => "All channels", "Wszystkie kanały";
    TimeZoneLabelShort => "Time zone", "Strefa czasowa";
    StatsShow => "Show", "Pokaż";
    StatsCsv => "Download CSV", "Pobierz CSV";
    ClosedDay => "closed", "nieczynne";
    ChannelOffline => "Offline now: you can still write, operators answer when the channel opens.", "Teraz poza godzinami pracy: możesz pisać, operatorzy odpowiedzą po otwarciu kanału.";
    OpensAt => "Opens:", "Otwarcie:";
    WorkingHoursSummary => "Working hours", "Godziny pracy";
    HoursSaved => "Working hours and automatic messages saved.", "Zapisano godziny pracy i wiadomości automatyczne.";
    DayMon => "Monday", "Poniedziałek";
    DayTue => "Tuesday", "Wtorek";
    DayWed => "Wednesday", "Środa";
    DayThu => "Thursday", "Czwartek";
    DayFri => "Friday", "Piątek";
    DaySat => "Saturday", "Sobota";
    DaySun => "Sunday", "Niedziela";
    HoursFrom => "Opens", "Otwarcie";
    HoursTo => "Closes", "Zamknięcie";
    OpenNow => "Open now", "Teraz otwarte";
    OfflineNow => "Offline now", "Teraz poza godzinami pracy";
    HoursLegend => "Working hours", "Godziny pracy";
    HoursOnLabel => "Use working hours", "Używaj godzin pracy";
    HoursOnHint => "Outside them customers see that the channel is offline and get the offline message when they write.", "Poza nimi klienci widzą, że kanał nie pracuje, a gdy napiszą, dostają wiadomość poza godzinami pracy.";
    TimeZoneLabel => "Time zone of the schedule", "Strefa czasowa harmonogramu";
    TimeZoneHint => "Opening times are in this zone; customers see them in their own.", "Godziny otwarcia są w tej strefie; klienci widzą je w swojej.";
    WeekCaption => "Weekly schedule", "Harmonogram tygodniowy";
    WeekDay => "Day", "Dzień";
    WeekHint => "Times as HH:MM. A closing time at or before the opening time ends the next morning (22:00–06:00); 00:00–24:00 is the whole day.", "Godziny jako GG:MM. Zamknięcie o tej samej lub wcześniejszej godzinie niż otwarcie kończy się następnego ranka (22:00–06:00); 00:00–24:00 to cały dzień.";
    HolidaysLabel => "Holidays (closed)", "Dni wolne (zamknięte)";
    HolidaysHint => "One date per line: YYYY-MM-DD or DD.MM.YYYY. A holiday closes the hours that start on it.", "Jedna data w wierszu: RRRR-MM-DD lub DD.MM.RRRR. Dzień wolny zamyka godziny, które się w nim zaczynają.";
    OfflineMessageLabel => "Offline message", "Wiadomość poza godzinami pracy";
    OfflineMessageHint => "Sent when a customer writes outside working hours, once until the channel opens again. Empty: none.", "Wysyłana, gdy klient napisze poza godzinami pracy, raz do ponownego otwarcia kanału. Puste: brak.";
    OfflineQueueLegend => "Conversations started outside working hours", "Rozmowy rozpoczęte poza godzinami pracy";
    OfflineQueueWait => "Wait in the queue until the channel opens (nobody is assigned before)", "Czekają w kolejce do otwarcia kanału (nikt nie jest wcześniej przydzielany)";
    OfflineQueueAccept => "Are handed to operators at once, as during working hours", "Trafiają od razu do operatorów, jak w godzinach pracy";
    AutoLegend => "Automatic messages", "Wiadomości automatyczne";
    NoAnswerMinutesLabel => "No answer after (minutes)", "Brak odpowiedzi po (minutach)";
    MinutesHint => "Empty or 0: off. At most 10080 (7 days).", "Puste lub 0: wyłączone. Najwyżej 10080 (7 dni).";
    NoAnswerMessageLabel => "No-answer message", "Wiadomość o braku odpowiedzi";
    NoAnswerMessageHint => "Sent once when no operator has answered in time (working hours only).", "Wysyłana raz, gdy żaden operator nie odpowie na czas (tylko w godzinach pracy).";
    AutoCloseMinutesLabel => "Close after customer silence (minutes)", "Zamknij po ciszy klienta (minuty)";
    AutoCloseMessageLabel => "Closing message", "Wiadomość przy zamknięciu";
    AutoCloseMessageHint => "Sent when an answered conversation closes because the customer has not written back. Empty: closes silently.", "Wysyłana, gdy odpowiedziana rozmowa zamyka się, bo klient nie odpisał. Puste: zamyka bez wiadomości.";
    StateOn => "on", "włączone";
    StateOff => "off", "wyłączone";
    ChangeInSettings => "change it in the channel settings", "zmień w ustawieniach kanału";
    ConnectedOk => "The channel is connected to the Network. Set it up below.", "Kanał jest podłączony do Sieci. Skonfiguruj go poniżej.";
    Disconnect => "Disconnect", "Odłącz";
    DisconnectTitle => "Disconnect from the Network?", "Odłączyć od Sieci?";
    DisconnectText => "The link and the REST methods stop working and customers see that the channel is unavailable. The code, the settings and all history are kept; connecting again restores the same code.",
                      "Link i metody REST przestaną działać, a klienci zobaczą, że kanał jest niedostępny. Kod, ustawienia i cała historia zostaną zachowane; ponowne podłączenie przywróci ten sam kod.";
    DisconnectConfirm => "Yes, disconnect", "Tak, odłącz";
    Cancel => "Cancel", "Anuluj";
    DisconnectedOk => "The channel is disconnected from the Network.", "Kanał został odłączony od Sieci.";
    ChannelCreated => "Open channel created.", "Utworzono otwarty kanał.";
    ChannelRenamed => "Channel renamed.", "Zmieniono nazwę kanału.";
    ChannelActivated => "Channel activated.", "Kanał został aktywowany.";
    ChannelDeactivated => "Channel deactivated.", "Kanał został dezaktywowany.";
    OperatorsSaved => "Operators saved.", "Zapisano operatorów.";
    ForbiddenTitle => "Access denied", "Brak dostępu";
    ForbiddenText => "Your role in this account does not allow you to open this page.", "Twoja rola na tym koncie nie pozwala otworzyć tej strony.";
    UnavailableTitle => "This channel is unavailable", "Ten kanał jest niedostępny";
    UnavailableText => "The channel was disconnected or switched off by its account. Try again later.", "Kanał został odłączony lub wyłączony przez jego konto. Spróbuj ponownie później.";
    NoSuchChannelTitle => "No such channel", "Nie ma takiego kanału";
    NoSuchChannelText => "The link is wrong or incomplete. Ask for the link again.", "Link jest błędny lub niepełny. Poproś o link ponownie.";
    ChannelAvailable => "Available", "Dostępny";
    BackToContactCenter => "Back to the Contact Center", "Wróć do Centrum Kontaktowego";
    PickerTitle => "Write from which account?", "Z którego konta chcesz pisać?";
    PickerIntro => "Choose the account you write from. The channel sees your name and that account.",
                   "Wybierz konto, z którego piszesz. Kanał zobaczy Twoje imię i to konto.";
    PickerNoAccounts => "You do not work in any account yet. Create one to write to this channel.",
                        "Nie pracujesz jeszcze na żadnym koncie. Utwórz konto, aby napisać do tego kanału.";
    WriteFrom => "Write from", "Pisz z konta";
    SignInToWrite => "Sign in to write to this channel: you then choose which of your organisations you write from.",
                     "Zaloguj się, aby napisać do tego kanału: potem wybierzesz, z której organizacji piszesz.";
    SignInToWriteButton => "Sign in to write", "Zaloguj się, aby napisać";
    RegisterToWrite => "Register to write", "Zarejestruj się, aby napisać";
    PreviousConversations => "Previous conversations", "Poprzednie rozmowy";
    OpenConversations => "Open conversations", "Otwarte rozmowy";
    WritingFrom => "Writing from", "Piszesz z konta";
    Conversations => "Conversations", "Rozmowy";
    ConversationN => "Conversation", "Rozmowa";
    StatusNew => "Waiting for an operator", "Czeka na operatora";
    StatusOpen => "Open", "Otwarta";
    StatusClosed => "Closed", "Zamknięta";
    LoadOlder => "Load older messages", "Wczytaj starsze wiadomości";
    MessagesLabel => "Messages", "Wiadomości";
    LabelMessage => "Message", "Wiadomość";
    MessageHint => "Enter sends, Shift+Enter starts a new line. At most 4,000 characters.",
                   "Enter wysyła, Shift+Enter zaczyna nowy wiersz. Najwyżej 4000 znaków.";
    Send => "Send", "Wyślij";
    NewConversation => "Start a new conversation", "Rozpocznij nową rozmowę";
    ClosedNotice => "This conversation is closed. Writing again starts a new conversation.", "Ta rozmowa jest zamknięta. Nowa wiadomość rozpocznie nową rozmowę.";
    FinishMine => "Finish this conversation", "Zakończ tę rozmowę";
    FinishMineHint => "Closes it for you and the operator; writing again starts a new one.", "Zamyka ją dla Ciebie i operatora; nowa wiadomość rozpocznie nową rozmowę.";
    LimitNote => "Simultaneous conversations allowed:", "Dozwolone jednoczesne rozmowy:";
    Pending => "Sending…", "Wysyłanie…";
    Sent => "Sent", "Wysłano";
    Failed => "Not sent", "Nie wysłano";
    Retry => "Retry", "Ponów";
    Offline => "Connection lost: reconnecting…", "Utracono połączenie: ponowne łączenie…";
    NoNetwork => "You are offline. What you write is kept and sent when you are back online.", "Jesteś offline. To, co napiszesz, zostanie zachowane i wysłane po powrocie sieci.";
    Discard => "Discard", "Odrzuć";
    NewMessagesBelow => "New messages ↓", "Nowe wiadomości ↓";
    WriteMessage => "Write a message…", "Napisz wiadomość…";
    AtLimit => "The limit of simultaneous conversations is reached: finish one to start another.", "Osiągnięto limit jednoczesnych rozmów: zakończ jedną, aby zacząć kolejną.";
    You2 => "You", "Ty";
    Read => "Read", "Przeczytano";
    IsTyping => "is typing…", "pisze…";
    InboxTitle => "Inbox", "Skrzynka";
    InboxLink => "Open the inbox", "Otwórz skrzynkę";
    AccessDenied => "Access denied", "Brak dostępu";
    SoundNew => "Sound for new conversations", "Dźwięk przy nowych rozmowach";
    Filters => "Filters", "Filtry";
    FilterAll => "All", "Wszystkie";
    FilterMine => "Mine", "Moje";
    FilterWaiting => "Waiting", "Oczekujące";
    FilterOpen => "Open", "Otwarte";
    FilterClosed => "Closed", "Zamknięte";
    InboxEmpty => "No conversations here.", "Brak rozmów.";
    BackToList => "All conversations", "Wszystkie rozmowy";
    NotificationsTurnOn => "Turn on desktop notifications", "Włącz powiadomienia na pulpicie";
    NotificationsOn => "Desktop notifications are on for new conversations.", "Powiadomienia o nowych rozmowach są włączone.";
    NotificationsBlocked => "Notifications are blocked in this browser's site settings.", "Powiadomienia są zablokowane w ustawieniach witryny w przeglądarce.";
    NewConversationNote => "New conversation", "Nowa rozmowa";
    DetailsTitle => "Details", "Szczegóły";
    DetailCustomer => "Customer", "Klient";
    DetailOrganisation => "Writes from", "Pisze z organizacji";
    DetailChannel => "Channel", "Kanał";
    DetailStatus => "Status", "Status";
    DetailAssignee => "Operator", "Operator";
    DetailStarted => "Started", "Rozpoczęta";
    DetailHistory => "Conversations with this channel", "Rozmowy z tym kanałem";
    Nobody => "Nobody yet", "Jeszcze nikt";
    LoadMore => "Load more", "Wczytaj więcej";
    AssignedToYou => "Yours", "Twoja";
    AssignedTo => "Assigned to", "Operator:";
    InQueue => "In the queue", "W kolejce";
    UnreadLabel => "unread", "nieprzeczytane";
    ConversationLabel => "Conversation", "Rozmowa";
    PickConversation => "Choose a conversation on the left (↑/↓ in the list, Alt+↑/↓ anywhere).", "Wybierz rozmowę po lewej (↑/↓ na liście, Alt+↑/↓ w dowolnym miejscu).";
    Finish => "Finish", "Zakończ";
    TransferTo => "Transfer to", "Przekaż do";
    Transfer => "Transfer", "Przekaż";
    Reply => "Reply", "Odpowiedź";
    MessageActions => "Message actions", "Akcje wiadomości";
    StartNewConversation => "Start new conversation", "Rozpocznij nową rozmowę";
    SplitParallel => "Opens a new conversation beside this one, starting with this message.", "Otwiera nową rozmowę obok tej, zaczynając od tej wiadomości.";
    SplitCloses => "This conversation will be closed and a new one opened, starting with this message.", "Ta rozmowa zostanie zamknięta i otwarta nowa, zaczynając od tej wiadomości.";
    ErrConversationLimitOperator => "Not available: the customer has reached the channel's limit of simultaneous conversations.", "Niedostępne: klient osiągnął limit jednoczesnych rozmów z kanałem.";
    ErrScopeUnknown => "Choose imopenlines and/or im.", "Wybierz imopenlines i/lub im.";
    ErrMessageLimit => "This user has already received the most messages allowed from this channel for now.", "Ten użytkownik otrzymał już maksymalną dozwoloną na razie liczbę wiadomości z tego kanału.";
    NavProfile => "Profile", "Profil";
    ProfileTitle => "Profile", "Profil";
    RestApiTitle => "REST API", "REST API";
    RestApiIntro => "Webhooks and access tokens let your tools call Netlines' Bitrix24-compatible REST methods as you, in one account.", "Webhooki i tokeny dostępu pozwalają Twoim narzędziom wywoływać zgodne z Bitrix24 metody REST Netlines w Twoim imieniu, w jednym koncie.";
    NoAccountsForRest => "You work in no account yet.", "Nie pracujesz jeszcze na żadnym koncie.";
    NewWebhook => "New inbound webhook", "Nowy webhook przychodzący";
    NewToken => "Access token (one hour)", "Token dostępu (jedna godzina)";
    LabelAccount => "Account", "Konto";
    LabelScopes => "Scopes", "Zakresy";
    LabelTitle => "Title", "Nazwa";
    CreateWebhook => "Create webhook", "Utwórz webhook";
    IssueToken => "Issue access token", "Wydaj token dostępu";
    WebhookCreated => "Webhook created.", "Utworzono webhook.";
    TokenIssued => "Access token issued.", "Wydano token dostępu.";
    CredentialRevoked => "Revoked.", "Unieważniono.";
    FreshWebhook => "Your new webhook URL", "Adres nowego webhooka";
    FreshToken => "Your new access token", "Nowy token dostępu";
    ShownOnce => "Copy it now: it is shown only once.", "Skopiuj go teraz: jest pokazywany tylko raz.";
    YourCredentials => "Your webhooks and tokens", "Twoje webhooki i tokeny";
    NoCredentials => "None yet.", "Jeszcze brak.";
    ColKind => "Kind", "Rodzaj";
    ColSecret => "Secret", "Sekret";
    ColCreated => "Created", "Utworzono";
    Revoke => "Revoke", "Unieważnij";
    KindToken => "access token", "token dostępu";
    KindWebhook => "webhook", "webhook";
    QueueSaved => "Queue settings saved.", "Zapisano ustawienia kolejki.";
    QueueOf => "Queue of", "Kolejka kanału";
    DistributionLabel => "Distribution", "Rozdzielanie";
    DistributionAll => "To everyone (the first to answer takes it)", "Do wszystkich (bierze ten, kto pierwszy odpowie)";
    DistributionEven => "Evenly (to the least-loaded online operator)", "Równomiernie (do najmniej obciążonego operatora online)";
    CapacityLabel => "Max simultaneous conversations per operator", "Maks. jednoczesnych rozmów na operatora";
    SaveQueue => "Save queue", "Zapisz kolejkę";
    ErrDistributionUnknown => "Choose “to everyone”, “evenly” or “strictly in order”.", "Wybierz „do wszystkich”, „równomiernie” lub „ściśle według kolejności”.";
    ErrCapacityRange => "Enter a number from 1 to 500.", "Podaj liczbę od 1 do 500.";
    ErrOperatorFull => "This operator already has the most conversations allowed at a time.", "Ten operator ma już maksymalną dozwoloną liczbę jednoczesnych rozmów.";
    ErrConversationTaken => "Another operator has taken this conversation.", "Tę rozmowę przejął już inny operator.";
    ErrNotInQueue => "This person is not an operator of the channel.", "Ta osoba nie jest operatorem tego kanału.";
    ErrNotCustomerMessage => "Choose a message of the customer or of an operator.", "Wybierz wiadomość klienta lub operatora.";
    ErrRateLimited => "Too many requests at once. Wait a moment and try again.", "Zbyt wiele żądań naraz. Odczekaj chwilę i spróbuj ponownie.";
    ErrFollowLimit => "Too many conversations are open in this window. Close some and try again.", "W tym oknie otwarto zbyt wiele rozmów. Zamknij część i spróbuj ponownie.";
    ErrNotOperator => "Only operators and admins can be in a channel's queue; change this person's role first.", "W kolejce kanału mogą być tylko operatorzy i administratorzy; najpierw zmień rolę tej osoby.";
    ErrTitleTaken => "A quick answer with this title already exists.", "Szybka odpowiedź o tym tytule już istnieje.";
    ErrQuickAnswerLimit => "An account can keep at most 200 quick answers; delete some first.", "Konto może mieć najwyżej 200 szybkich odpowiedzi; najpierw usuń niektóre.";
    QaTitle => "Quick answers", "Szybkie odpowiedzi";
    QaIntro => "Saved replies for the inbox: type / at the start of a reply to pick one.", "Zapisane odpowiedzi do skrzynki: wpisz / na początku odpowiedzi, aby wybrać jedną.";
    QaPlaceholders => "Placeholders filled in when used:", "Pola wypełniane przy użyciu:";
    QaNone => "No quick answers yet.", "Nie ma jeszcze szybkich odpowiedzi.";
    QaNew => "New quick answer", "Nowa szybka odpowiedź";
    QaLabelTitle => "Title", "Tytuł";
    QaLabelText => "Text", "Treść";
    QaAdd => "Add quick answer", "Dodaj szybką odpowiedź";
    QaSave => "Save", "Zapisz";
    QaDelete => "Delete", "Usuń";
    QaEdit => "Edit", "Edytuj";
    QaCreated => "Quick answer added.", "Dodano szybką odpowiedź.";
    QaSaved => "Quick answer saved.", "Zapisano szybką odpowiedź.";
    QaDeleted => "Quick answer deleted.", "Usunięto szybką odpowiedź.";
    QaReadOnly => "Only admins can change this list.", "Tylko administratorzy mogą zmieniać tę listę.";
    QaNoMatch => "No quick answer matches.", "Żadna szybka odpowiedź nie pasuje.";
    QaHint => "↑/↓ to choose, Enter to insert, Esc to close", "↑/↓ wybór, Enter wstawia, Esc zamyka";
    QaComposerHint => "Type / for quick answers.", "Wpisz /, aby wybrać szybką odpowiedź.";
    QaLoading => "Loading quick answers…", "Wczytywanie szybkich odpowiedzi…";
    ErrTakeTimeRange => "Enter 0 (off) or a number of seconds from 10 to 3600.", "Podaj 0 (wyłączone) lub liczbę sekund od 10 do 3600.";
    ErrNotAssigned => "Only the operator who has this conversation can skip it.", "Pominąć rozmowę może tylko operator, który ją prowadzi.";
    DistributionStrict => "Strictly in order (the first operator in the queue who is online and has room)", "Ściśle według kolejności (pierwszy operator z kolejki, który jest online i ma miejsce)";
    TakeTimeLabel => "Time to take (seconds; 0 = off)", "Czas na podjęcie (sekundy; 0 = wyłączone)";
    TakeTimeHint => "An assigned conversation nobody has answered passes to the next operator after this time.", "Przydzielona rozmowa bez odpowiedzi przechodzi po tym czasie do następnego operatora.";
    TakeTimeOff => "off", "wyłączony";
    QueueOrder => "Queue order", "Kolejność w kolejce";
    QueueOrderHint => "“Strictly in order” gives new conversations to the first operator who is online and has room.", "„Ściśle według kolejności” daje nowe rozmowy pierwszemu operatorowi, który jest dostępny i ma miejsce.";
    MoveUp => "Move up", "Przesuń w górę";
    MoveDown => "Move down", "Przesuń w dół";
    OrderSaved => "Queue order saved.", "Zapisano kolejność.";
    Skip => "Skip", "Pomiń";
    SkipHint => "Give this conversation back to the queue; it goes to the next operator.", "Oddaj tę rozmowę do kolejki; trafi do następnego operatora.";
    ErrNotFinished => "A conversation can be rated once it is finished.", "Rozmowę można ocenić, gdy zostanie zakończona.";
    ErrAlreadyRated => "This conversation has already been rated.", "Ta rozmowa została już oceniona.";
    ErrRatingOff => "This channel does not ask for ratings.", "Ten kanał nie prosi o oceny.";
    RateTitle => "How was this conversation?", "Jak oceniasz tę rozmowę?";
    RateLike => "👍 Good", "👍 Dobrze";
    RateDislike => "👎 Bad", "👎 Źle";
    RateComment => "Comment (optional)", "Komentarz (opcjonalnie)";
    RateSend => "Send rating", "Wyślij ocenę";
    RatedThanks => "Thank you for your rating.", "Dziękujemy za ocenę.";
    RatedYou => "You rated this conversation:", "Twoja ocena tej rozmowy:";
    RatingLabel => "Rating", "Ocena";
    RatedLike => "Rated good", "Oceniona dobrze";
    RatedDislike => "Rated bad", "Oceniona źle";
    AskRatingLabel => "Ask the customer to rate a finished conversation", "Proś klienta o ocenę zakończonej rozmowy";
    RestMessagesLabel => "Let other accounts' apps send messages from this channel", "Pozwól aplikacjom innych kont wysyłać wiadomości z tego kanału";
    RestMessagesHint => "The REST method imopenlines.network.message.add. Customers see such a message marked with the account whose app sent it.", "Metoda REST imopenlines.network.message.add. Klienci widzą taką wiadomość oznaczoną kontem, którego aplikacja ją wysłała.";
    StorageTitle => "Storage for files", "Miejsce na pliki";
    StorageUsed => "Files sent from this account", "Pliki wysłane z tego konta";
    StorageHint => "Files members send from this account count here, and each person has a limit of their own. At the limit new files are refused with the reason; nothing already sent is removed.", "Liczą się tu pliki, które członkowie wysyłają z tego konta; każda osoba ma też własny limit. Po jego osiągnięciu nowe pliki są odrzucane z podaniem powodu; nic już wysłanego nie jest usuwane.";
    SentByAppOf => "Sent by an app of", "Wysłane przez aplikację konta";
    AskRatingHint => "Like or dislike with an optional comment, once; operators see it in the inbox.", "Kciuk w górę lub w dół z opcjonalnym komentarzem, raz; operatorzy widzą ją w skrzynce.";
    ErrPinLimit => "You can pin at most 50 conversations; unpin some first.", "Możesz przypiąć najwyżej 50 rozmów; najpierw odepnij niektóre.";
    ErrFileType => "This type of file cannot be sent. Send pictures (PNG, JPEG), PDF, office documents, ZIP or text files.", "Tego rodzaju pliku nie można wysłać. Wyślij obraz (PNG, JPEG), PDF, dokument biurowy, ZIP lub plik tekstowy.";
    ErrFileTooLarge => "A file is larger than the limit.", "Plik jest większy niż pozwala limit.";
    ErrFileCorrupt => "A picture could not be read; it may be damaged.", "Nie udało się odczytać obrazu; może być uszkodzony.";
    ErrFileDimensions => "A picture is too large (at most 10,000 × 10,000 pixels).", "Obraz jest za duży (najwyżej 10 000 × 10 000 pikseli).";
    ErrTooManyFiles => "At most 10 files can be sent in one message.", "W jednej wiadomości można wysłać najwyżej 10 plików.";
    ErrSearchShort => "Type at least one word of two or more letters or digits.", "Wpisz co najmniej jedno słowo z dwóch lub więcej liter albo cyfr.";
    ErrNoteLimit => "A conversation can keep at most 200 internal notes.", "Rozmowa może mieć najwyżej 200 notatek wewnętrznych.";
    FilterPinned => "Pinned", "Przypięte";
    Pin => "Pin", "Przypnij";
    SearchLabel => "Search conversations", "Szukaj w rozmowach";
    SearchHint => "Customer name or words from messages", "Imię klienta lub słowa z wiadomości";
    SearchButton => "Search", "Szukaj";
    SearchResultsFor => "Results for", "Wyniki dla";
    SearchNone => "No conversation matches", "Żadna rozmowa nie pasuje do";
    ClearSearch => "Clear search", "Wyczyść wyszukiwanie";
    SearchResults => "Search results", "Wyniki wyszukiwania";
    NameMatches => "The customer's name matches", "Pasuje imię klienta";
    AttachmentsLabel => "Attachments", "Załączniki";
    MessageButtons => "Message buttons", "Przyciski wiadomości";
    AttachFiles => "Attach files", "Dołącz pliki";
    AttachHint => "or drop them here, or paste a picture", "albo upuść je tutaj lub wklej obraz";
    ChosenFiles => "Files to send", "Pliki do wysłania";
    Uploading => "Uploading", "Wysyłanie";
    CancelUpload => "Cancel upload", "Anuluj wysyłanie";
    SendFiles => "Send files", "Wyślij pliki";
    ComposerMode => "Write", "Pisz";
    ModeReply => "Message to the customer", "Wiadomość do klienta";
    ModeNote => "Internal note", "Notatka wewnętrzna";
    NoteLabel => "Internal note (only operators see it)", "Notatka wewnętrzna (widzą ją tylko operatorzy)";
    AddNote => "Add note", "Dodaj notatkę";
    NoteTag => "Internal note", "Notatka wewnętrzna";
    PinHint => "Keep this conversation under “Pinned” (only for you).", "Zachowaj tę rozmowę w „Przypiętych” (tylko dla Ciebie).";
    PinnedMark => "Pinned", "Przypięta";
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
    ErrNotANumber => "Enter a whole number.", "Podaj liczbę całkowitą.";
    ErrLimitRange => "Enter a number from 2 to 20.", "Podaj liczbę od 2 do 20.";
    ErrAvatarTooLarge => "The picture is larger than 5 MB.", "Obraz jest większy niż 5 MB.";
    ErrAvatarFormat => "Upload a JPEG or PNG picture.", "Prześlij obraz w formacie JPEG lub PNG.";
    ErrAvatarDimensions => "The picture is larger than 4096 × 4096 pixels.", "Obraz jest większy niż 4096 × 4096 pikseli.";
    ErrAvatarCorrupt => "The picture file is damaged or incomplete.", "Plik obrazu jest uszkodzony lub niekompletny.";
    ErrChannelUnavailable => "This channel is unavailable.", "Ten kanał jest niedostępny.";
    ErrInvalidFormat => "This value has the wrong format.", "Ta wartość ma niewłaściwy format.";
    ErrConversationLimit => "You have reached the limit of simultaneous conversations with this channel. Finish an earlier one first.",
                            "Osiągnięto limit jednoczesnych rozmów z tym kanałem. Najpierw zakończ wcześniejszą rozmowę.";
    ErrConversationClosed => "This conversation is closed. Start a new one to write again.", "Ta rozmowa jest zamknięta. Rozpocznij nową, aby znowu napisać.";
    ErrOwnAccount => "This is the channel's own account: write from another account.", "To jest konto tego kanału: napisz z innego konta.";
    AppsTitle => "Apps", "Aplikacje";
    AppsLinkIntro => "Bitrix24 apps act for the members who allow them, through OAuth 2.0.", "Aplikacje Bitrix24 działają w imieniu członków, którzy na to pozwolą, przez OAuth 2.0.";
    ManageApps => "Manage apps", "Zarządzaj aplikacjami";
    AppsIntro => "Apps use Bitrix24's OAuth 2.0: register one here, give its developer the client_id and client_secret, and each member who opens the app's authorization address decides whether it may act on their behalf.", "Aplikacje korzystają z OAuth 2.0 Bitrix24: zarejestruj aplikację tutaj, przekaż jej twórcy client_id i client_secret, a każdy członek, który otworzy adres autoryzacji aplikacji, sam zdecyduje, czy może ona działać w jego imieniu.";
    AppCreated => "The app is registered.", "Aplikacja została zarejestrowana.";
    AppDeleted => "The app is deleted; its tokens no longer work.", "Aplikacja została usunięta; jej tokeny już nie działają.";
    AppAccessRevoked => "Access revoked; the app's tokens for this member no longer work.", "Dostęp cofnięty; tokeny aplikacji dla tego członka już nie działają.";
    AppRegistered => "Copy the client secret now: it is not shown again.", "Skopiuj teraz sekret klienta: nie zostanie pokazany ponownie.";
    NewApp => "Register an app", "Zarejestruj aplikację";
    LabelAppName => "App name", "Nazwa aplikacji";
    LabelHandlerUrl => "Handler URL", "Adres obsługi (handler URL)";
    HandlerUrlHint => "Where the app lives: members are sent back there after they decide, and events are posted there.", "Gdzie działa aplikacja: tam wracają członkowie po decyzji i tam trafiają zdarzenia.";
    RegisterApp => "Register app", "Zarejestruj aplikację";
    YourApps => "Registered apps", "Zarejestrowane aplikacje";
    NoApps => "No apps yet.", "Nie ma jeszcze aplikacji.";
    DeleteApp => "Delete app", "Usuń aplikację";
    AuthorizeAddress => "Authorization address", "Adres autoryzacji";
    AppGrants => "Members who allowed it", "Członkowie, którzy udzielili dostępu";
    NoGrants => "No member has allowed it yet.", "Żaden członek jeszcze nie udzielił dostępu.";
    AppEvents => "Events it receives", "Zdarzenia, które otrzymuje";
    NoEventBindings => "None: the app binds events with event.bind.", "Brak: aplikacja wiąże zdarzenia metodą event.bind.";
    DeliveryLog => "Delivery log", "Dziennik dostarczania";
    NoDeliveries => "No event sent yet.", "Nie wysłano jeszcze żadnego zdarzenia.";
    ColEvent => "Event", "Zdarzenie";
    ColConversation => "Conversation", "Rozmowa";
    ColDelivery => "Delivery", "Dostarczenie";
    ColAttempts => "Attempts", "Próby";
    ColLastAnswer => "Last answer", "Ostatnia odpowiedź";
    DeliveryDelivered => "Delivered", "Dostarczone";
    DeliveryPending => "Waiting; next try", "Oczekuje; kolejna próba";
    DeliveryQueued => "Queued", "W kolejce";
    DeliveryFailed => "Given up", "Porzucone";
    RetryNow => "Retry now", "Ponów teraz";
    EventRetried => "The event is being sent again now.", "Zdarzenie jest właśnie wysyłane ponownie.";
    RevokeAccessOf => "Revoke the access of", "Cofnij dostęp:";
    LastToken => "last token", "ostatni token";
    ConsentTitle => "Allow an app", "Udziel dostępu aplikacji";
    ConsentAsks => "asks to act on your behalf in the account", "prosi o możliwość działania w Twoim imieniu na koncie";
    ConsentItMay => "It will be able to", "Będzie mogła";
    ScopeImopenlines => "manage open channels and the Network (imopenlines)", "zarządzać otwartymi kanałami i Siecią (imopenlines)";
    ScopeIm => "read and send messages in the conversations you may see (im)", "czytać i wysyłać wiadomości w rozmowach, które widzisz (im)";
    ConsentReturnsTo => "After you decide, you return to", "Po decyzji wrócisz do";
    ConsentAllow => "Allow", "Zezwól";
    ConsentDeny => "Deny", "Odmów";
    ConsentUnknownApp => "This app is not known here. Check the address you were given.", "Ta aplikacja nie jest tu znana. Sprawdź otrzymany adres.";
    ConsentNotMember => "This app belongs to an account you are not a member of.", "Ta aplikacja należy do konta, którego nie jesteś członkiem.";
    ConsentBadRedirect => "The app asked to send you to an address outside its registered site, so the request was stopped.", "Aplikacja chciała przekierować Cię pod adres spoza swojej zarejestrowanej witryny, więc żądanie zostało zatrzymane.";
    ConsentBadRequest => "The authorization request is not valid (response_type must be code).", "Żądanie autoryzacji jest nieprawidłowe (response_type musi mieć wartość code).";
    ErrUrlFormat => "Enter a full web address starting with https:// or http://, without a user name or #fragment.", "Wpisz pełny adres zaczynający się od https:// lub http://, bez nazwy użytkownika i #fragmentu.";
    ErrAppLimit => "An account can register at most 50 apps; delete one first.", "Konto może zarejestrować najwyżej 50 aplikacji; najpierw usuń którąś.";
    ErrChannelLimit => "An account can have at most 200 open channels.", "Konto może mieć najwyżej 200 otwartych kanałów.";
    ErrNetworkRequired => "The welcome message belongs to the Network channel: connect it first.", "Powitanie należy do kanału Network: najpierw go podłącz.";
    ErrChannelInUse => "This channel already has conversations or customers who joined it; switch it off instead of deleting it.", "Ten kanał ma już rozmowy lub klientów, którzy do niego dołączyli; wyłącz go zamiast usuwać.";
    ErrChannelTaken => "This open channel is already connected to the Network.", "Ten otwarty kanał jest już podłączony do Sieci.";
    ErrTimeZoneUnknown => "Choose a time zone from the list (e.g. Europe/Warsaw).", "Wybierz strefę czasową z listy (np. Europe/Warsaw).";
    ErrTimeFormat => "Enter the opening and closing times as HH:MM (00:00–24:00).", "Podaj godziny otwarcia i zamknięcia jako GG:MM (00:00–24:00).";
    ErrSameTimes => "The opening and closing times are the same; for the whole day use 00:00–24:00.", "Godziny otwarcia i zamknięcia są takie same; na cały dzień wpisz 00:00–24:00.";
    ErrNoWorkingDays => "Choose at least one working day, or switch working hours off.", "Wybierz co najmniej jeden dzień pracy albo wyłącz godziny pracy.";
    ErrDateFormat => "Enter each date as YYYY-MM-DD or DD.MM.YYYY, one per line; the date must exist.", "Podaj każdą datę jako RRRR-MM-DD lub DD.MM.RRRR, jedną w wierszu; data musi istnieć.";
    ErrTooManyDates => "At most 200 dates.", "Najwyżej 200 dat.";
    ErrMinutesRange => "Enter 0 (off) or a number of minutes from 1 to 10080 (7 days).", "Podaj 0 (wyłączone) lub liczbę minut od 1 do 10080 (7 dni).";
    ErrPeriodRange => "Choose a period of at most 366 days whose start is not after its end.", "Wybierz okres najwyżej 366 dni, którego początek nie jest po końcu.";
    ErrInvitationLimit => "An account can have at most 100 invitations waiting; withdraw some first.", "Konto może mieć najwyżej 100 oczekujących zaproszeń; najpierw wycofaj niektóre.";
    ErrAccountLimit => "You already work in as many accounts as one person may.", "Pracujesz już w tylu kontach, ile może mieć jedna osoba.";
    ErrCredentialLimit => "You can keep at most 20 webhooks and 20 access tokens in one account; revoke one first.", "W jednym koncie możesz mieć najwyżej 20 webhooków i 20 tokenów dostępu; najpierw unieważnij któryś.";
    ErrAccountStorageQuota => "The account you write from has used up its storage for files; its admin can see the usage on the account page.", "Konto, z którego piszesz, wykorzystało miejsce na pliki; jego administrator widzi zużycie na stronie konta.";
    ErrStorageQuota => "You have used up your storage for files; ask an admin to delete old conversations' files or raise the limit.", "Wykorzystano Twoje miejsce na pliki; poproś administratora o usunięcie plików starych rozmów lub zwiększenie limitu.";
    ErrUploadTooSlow => "The file arrived too slowly and was stopped; try again on a better connection.", "Plik docierał zbyt wolno i wysyłanie przerwano; spróbuj ponownie przy lepszym połączeniu.";
    ErrTooManyUploads => "You are already sending files; wait until they are sent, then try again.", "Wysyłasz już pliki; poczekaj, aż zostaną wysłane, i spróbuj ponownie.";
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
        Code::NotANumber => K::ErrNotANumber,
        Code::LimitRange => K::ErrLimitRange,
        Code::AvatarTooLarge => K::ErrAvatarTooLarge,
        Code::AvatarFormat => K::ErrAvatarFormat,
        Code::AvatarDimensions => K::ErrAvatarDimensions,
        Code::AvatarCorrupt => K::ErrAvatarCorrupt,
        Code::ChannelUnavailable => K::ErrChannelUnavailable,
        Code::ChannelTaken => K::ErrChannelTaken,
        Code::InvalidFormat => K::ErrInvalidFormat,
        Code::ConversationLimit => K::ErrConversationLimit,
        Code::ConversationClosed => K::ErrConversationClosed,
        Code::OwnAccount => K::ErrOwnAccount,
        Code::DistributionUnknown => K::ErrDistributionUnknown,
        Code::CapacityRange => K::ErrCapacityRange,
        Code::OperatorFull => K::ErrOperatorFull,
        Code::ConversationTaken => K::ErrConversationTaken,
        Code::NotInQueue => K::ErrNotInQueue,
        Code::NotCustomerMessage => K::ErrNotCustomerMessage,
        Code::ScopeUnknown => K::ErrScopeUnknown,
        Code::MessageLimit => K::ErrMessageLimit,
        Code::RateLimited => K::ErrRateLimited,
        Code::FollowLimit => K::ErrFollowLimit,
        Code::NotOperator => K::ErrNotOperator,
        Code::TitleTaken => K::ErrTitleTaken,
        Code::QuickAnswerLimit => K::ErrQuickAnswerLimit,
        Code::TakeTimeRange => K::ErrTakeTimeRange,
        Code::NotAssigned => K::ErrNotAssigned,
        Code::NotFinished => K::ErrNotFinished,
        Code::AlreadyRated => K::ErrAlreadyRated,
        Code::RatingOff => K::ErrRatingOff,
        Code::PinLimit => K::ErrPinLimit,
        Code::NoteLimit => K::ErrNoteLimit,
        Code::SearchShort => K::ErrSearchShort,
        Code::FileType => K::ErrFileType,
        Code::FileTooLarge => K::ErrFileTooLarge,
        Code::FileCorrupt => K::ErrFileCorrupt,
        Code::FileDimensions => K::ErrFileDimensions,
        Code::TooManyFiles => K::ErrTooManyFiles,
        Code::UrlFormat => K::ErrUrlFormat,
        Code::AppLimit => K::ErrAppLimit,
        Code::ChannelLimit => K::ErrChannelLimit,
        Code::ChannelInUse => K::ErrChannelInUse,
        Code::NetworkRequired => K::ErrNetworkRequired,
        Code::TimeZoneUnknown => K::ErrTimeZoneUnknown,
        Code::TimeFormat => K::ErrTimeFormat,
        Code::SameTimes => K::ErrSameTimes,
        Code::NoWorkingDays => K::ErrNoWorkingDays,
        Code::DateFormat => K::ErrDateFormat,
        Code::TooManyDates => K::ErrTooManyDates,
        Code::MinutesRange => K::ErrMinutesRange,
        Code::PeriodRange => K::ErrPeriodRange,
        Code::InvitationLimit => K::ErrInvitationLimit,
        Code::AccountLimit => K::ErrAccountLimit,
        Code::CredentialLimit => K::ErrCredentialLimit,
        Code::AccountStorageQuota => K::ErrAccountStorageQuota,
        Code::StorageQuota => K::ErrStorageQuota,
        Code::UploadTooSlow => K::ErrUploadTooSlow,
        Code::TooManyUploads => K::ErrTooManyUploads,
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
