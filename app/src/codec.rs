//! How server functions' answers travel: JSON, read back from text. Below both the
//! backend and the server functions (the one typed error uses it too).

use serde::Serialize;

/// JSON answers of the server functions, read back with `serde_json::from_str`.
///
/// server_fn's own `Json` reads answers with `from_slice`, while the resources a page
/// hydrates from read the same types with `from_str`: every answer type was compiled
/// into the browser's wasm twice, once per serde_json reader (about 4 KB of the customer
/// chat page on the wire). With this encoding both go through the one reader. The bytes
/// on the wire are the same as `Json`'s.
pub struct JsonText;

impl server_fn::ContentType for JsonText {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl server_fn::FormatType for JsonText {
    const FORMAT_TYPE: server_fn::Format = server_fn::Format::Text;
}

impl<T: Serialize> server_fn::Encodes<T> for JsonText {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<server_fn::Bytes, Self::Error> {
        serde_json::to_vec(output).map(server_fn::Bytes::from)
    }
}

impl<T: serde::de::DeserializeOwned> server_fn::Decodes<T> for JsonText {
    type Error = serde_json::Error;

    fn decode(bytes: server_fn::Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(serde::de::Error::custom)?;
        serde_json::from_str(text)
    }
}

/// What every server function answers with (`output = Answer`): a POST whose answer is
/// [`JsonText`].
pub type Answer = server_fn::codec::Post<JsonText>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserId;
    use crate::views::SessionUser;
    use server_fn::{Decodes, Encodes};

    #[test]
    fn answers_are_json_read_back_from_text() {
        let user = SessionUser {
            id: UserId(4),
            email: "a@b.pl".into(),
            name: "Zażółć \"Ola\"".into(),
            time_zone: None,
        };
        let bytes = <JsonText as Encodes<SessionUser>>::encode(&user).unwrap();
        assert_eq!(&bytes[..], serde_json::to_vec(&user).unwrap().as_slice());
        assert_eq!(<JsonText as Decodes<SessionUser>>::decode(bytes).unwrap(), user);
        // Not UTF-8, not JSON, or not the type: an error, never a panic.
        for bad in [&b"\xff\xfe"[..], b"{", b"[1,2]", b""] {
            let got = <JsonText as Decodes<SessionUser>>::decode(server_fn::Bytes::copy_from_slice(bad));
            assert!(got.is_err(), "{bad:?}");
        }
    }
}
