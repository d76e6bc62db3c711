//! Search attribute values: what an activity is indexed by for listing and counting.
//!
//! On the wire each value is a `json/plain` payload whose metadata `type` names the indexed
//! type (`Keyword`, `Text`, `Int`, `Double`, `Bool`, `Datetime`, `KeywordList`), as in the
//! other SDKs. Datetimes travel as RFC 3339 text.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::SystemTime;

use bytes::Bytes;
use solo_proto::temporal::api::common::v1::{Payload, SearchAttributes};

use crate::data_error::DataError;
use crate::payload::{ENCODING_JSON, METADATA_ENCODING, encoding_of};
use crate::rfc3339::{format_rfc3339, parse_rfc3339};

/// The payload metadata key that names a search attribute's indexed type.
const METADATA_TYPE: &str = "type";

/// One search attribute value.
///
/// ```
/// use solo_client::SearchAttributeValue;
///
/// let v: SearchAttributeValue = "blue".into();
/// assert_eq!(v, SearchAttributeValue::Keyword("blue".into()));
/// assert_eq!(v.as_str(), Some("blue"));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SearchAttributeValue {
    /// An exact-match string (`Keyword`).
    Keyword(String),
    /// A full-text string (`Text`).
    Text(String),
    /// An integer (`Int`).
    Int(i64),
    /// A floating-point number (`Double`).
    Double(f64),
    /// A boolean (`Bool`).
    Bool(bool),
    /// A point in time (`Datetime`).
    Datetime(SystemTime),
    /// A list of exact-match strings (`KeywordList`).
    KeywordList(Vec<String>),
    /// A value this SDK could not interpret; the raw payload is kept.
    Raw(Payload),
}

impl SearchAttributeValue {
    /// The indexed type name the server uses for this value.
    pub fn type_name(&self) -> &'static str {
        match self {
            SearchAttributeValue::Keyword(_) => "Keyword",
            SearchAttributeValue::Text(_) => "Text",
            SearchAttributeValue::Int(_) => "Int",
            SearchAttributeValue::Double(_) => "Double",
            SearchAttributeValue::Bool(_) => "Bool",
            SearchAttributeValue::Datetime(_) => "Datetime",
            SearchAttributeValue::KeywordList(_) => "KeywordList",
            SearchAttributeValue::Raw(_) => "",
        }
    }

    /// The string, for `Keyword` and `Text` values.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            SearchAttributeValue::Keyword(s) | SearchAttributeValue::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, for `Int` values.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            SearchAttributeValue::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// Encodes the value as a search attribute payload.
    ///
    /// # Errors
    /// When the value cannot be represented (a non-finite double).
    pub fn to_payload(&self) -> Result<Payload, DataError> {
        let json = match self {
            SearchAttributeValue::Keyword(s) | SearchAttributeValue::Text(s) => {
                serde_json::Value::from(s.as_str())
            }
            SearchAttributeValue::Int(i) => serde_json::Value::from(*i),
            SearchAttributeValue::Double(d) => serde_json::Number::from_f64(*d)
                .map(serde_json::Value::Number)
                .ok_or_else(|| DataError::Encode {
                    type_name: "f64",
                    message: format!("{d} is not a finite number; search attributes need one"),
                })?,
            SearchAttributeValue::Bool(b) => serde_json::Value::from(*b),
            SearchAttributeValue::Datetime(t) => serde_json::Value::from(format_rfc3339(*t)),
            SearchAttributeValue::KeywordList(l) => serde_json::Value::from(l.clone()),
            SearchAttributeValue::Raw(p) => return Ok(p.clone()),
        };
        let mut metadata = HashMap::with_capacity(2);
        metadata.insert(
            METADATA_ENCODING.to_owned(),
            Bytes::from_static(ENCODING_JSON.as_bytes()),
        );
        metadata.insert(
            METADATA_TYPE.to_owned(),
            Bytes::from_static(self.type_name().as_bytes()),
        );
        Ok(Payload {
            metadata,
            data: Bytes::from(json.to_string()),
            ..Default::default()
        })
    }

    /// Decodes a search attribute payload. Values without a `type` are typed by their JSON
    /// shape (string → `Keyword`, integer → `Int`, ...); anything else is kept as `Raw`.
    pub fn from_payload(payload: &Payload) -> Self {
        let raw = || SearchAttributeValue::Raw(payload.clone());
        if encoding_of(payload) != ENCODING_JSON {
            return raw();
        }
        let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&payload.data) else {
            return raw();
        };
        let type_name = payload
            .metadata
            .get(METADATA_TYPE)
            .and_then(|t| std::str::from_utf8(t).ok())
            .unwrap_or("");
        // The server may wrap a single value in a list.
        if type_name != "KeywordList"
            && let serde_json::Value::Array(items) = &mut json
            && items.len() == 1
            && let Some(item) = items.pop()
        {
            json = item;
        }
        use serde_json::Value as J;
        match (type_name, json) {
            ("Text", J::String(s)) => SearchAttributeValue::Text(s),
            ("Keyword" | "", J::String(s)) => SearchAttributeValue::Keyword(s),
            ("Datetime", J::String(s)) => match parse_rfc3339(&s) {
                Some(t) => SearchAttributeValue::Datetime(t),
                None => raw(),
            },
            ("Int" | "", J::Number(n)) if n.is_i64() => match n.as_i64() {
                Some(i) => SearchAttributeValue::Int(i),
                None => raw(),
            },
            ("Double" | "", J::Number(n)) => match n.as_f64() {
                Some(d) => SearchAttributeValue::Double(d),
                None => raw(),
            },
            ("Bool" | "", J::Bool(b)) => SearchAttributeValue::Bool(b),
            ("KeywordList" | "", J::Array(items)) => {
                let strings: Option<Vec<String>> = items
                    .into_iter()
                    .map(|i| match i {
                        J::String(s) => Some(s),
                        _ => None,
                    })
                    .collect();
                match strings {
                    Some(s) => SearchAttributeValue::KeywordList(s),
                    None => raw(),
                }
            }
            _ => raw(),
        }
    }
}

impl fmt::Display for SearchAttributeValue {
    /// Strings as they are, numbers and booleans as usual, datetimes in RFC 3339, keyword
    /// lists as `[a, b]`, and raw payloads by their encoding.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SearchAttributeValue::Keyword(s) | SearchAttributeValue::Text(s) => f.write_str(s),
            SearchAttributeValue::Int(i) => write!(f, "{i}"),
            SearchAttributeValue::Double(d) => write!(f, "{d}"),
            SearchAttributeValue::Bool(b) => write!(f, "{b}"),
            SearchAttributeValue::Datetime(t) => f.write_str(&format_rfc3339(*t)),
            SearchAttributeValue::KeywordList(l) => write!(f, "[{}]", l.join(", ")),
            SearchAttributeValue::Raw(p) => write!(f, "<{} payload>", encoding_of(p)),
        }
    }
}

impl From<&str> for SearchAttributeValue {
    fn from(s: &str) -> Self {
        SearchAttributeValue::Keyword(s.to_owned())
    }
}

impl From<String> for SearchAttributeValue {
    fn from(s: String) -> Self {
        SearchAttributeValue::Keyword(s)
    }
}

impl From<i64> for SearchAttributeValue {
    fn from(i: i64) -> Self {
        SearchAttributeValue::Int(i)
    }
}

impl From<i32> for SearchAttributeValue {
    fn from(i: i32) -> Self {
        SearchAttributeValue::Int(i64::from(i))
    }
}

impl From<f64> for SearchAttributeValue {
    fn from(d: f64) -> Self {
        SearchAttributeValue::Double(d)
    }
}

impl From<bool> for SearchAttributeValue {
    fn from(b: bool) -> Self {
        SearchAttributeValue::Bool(b)
    }
}

impl From<SystemTime> for SearchAttributeValue {
    fn from(t: SystemTime) -> Self {
        SearchAttributeValue::Datetime(t)
    }
}

impl From<Vec<String>> for SearchAttributeValue {
    fn from(l: Vec<String>) -> Self {
        SearchAttributeValue::KeywordList(l)
    }
}

/// Encodes a set of search attributes.
pub(crate) fn encode_search_attributes(
    values: &BTreeMap<String, SearchAttributeValue>,
) -> Result<SearchAttributes, DataError> {
    let mut indexed_fields = HashMap::with_capacity(values.len());
    for (name, value) in values {
        indexed_fields.insert(name.clone(), value.to_payload()?);
    }
    Ok(SearchAttributes { indexed_fields })
}

/// Decodes a set of search attributes (absent means none).
pub(crate) fn decode_search_attributes(
    attributes: Option<SearchAttributes>,
) -> BTreeMap<String, SearchAttributeValue> {
    attributes
        .map(|a| {
            a.indexed_fields
                .iter()
                .map(|(k, v)| (k.clone(), SearchAttributeValue::from_payload(v)))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn values_round_trip_with_their_type() {
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_250);
        for v in [
            SearchAttributeValue::Keyword("k".into()),
            SearchAttributeValue::Text("some text".into()),
            SearchAttributeValue::Int(-5),
            SearchAttributeValue::Double(2.5),
            SearchAttributeValue::Bool(true),
            SearchAttributeValue::Datetime(t),
            SearchAttributeValue::KeywordList(vec!["a".into(), "b".into()]),
        ] {
            let p = v.to_payload().unwrap();
            assert_eq!(&p.metadata[METADATA_TYPE][..], v.type_name().as_bytes());
            assert_eq!(SearchAttributeValue::from_payload(&p), v);
        }
        assert!(SearchAttributeValue::Double(f64::NAN).to_payload().is_err());
        assert_eq!(
            SearchAttributeValue::Keyword("Running".into()).to_string(),
            "Running"
        );
        assert_eq!(
            SearchAttributeValue::KeywordList(vec!["a".into(), "b".into()]).to_string(),
            "[a, b]"
        );
        assert_eq!(
            SearchAttributeValue::Datetime(UNIX_EPOCH).to_string(),
            "1970-01-01T00:00:00Z"
        );
    }

    #[test]
    fn untyped_and_wrapped_values_are_read_by_shape() {
        let p = crate::payload::to_payload(&"Running").unwrap();
        assert_eq!(
            SearchAttributeValue::from_payload(&p),
            SearchAttributeValue::Keyword("Running".into())
        );
        let mut p = crate::payload::to_payload(&vec![7]).unwrap();
        p.metadata
            .insert(METADATA_TYPE.into(), Bytes::from_static(b"Int"));
        assert_eq!(
            SearchAttributeValue::from_payload(&p),
            SearchAttributeValue::Int(7)
        );
        let p = crate::payload::to_payload(&serde_json::json!({"x": 1})).unwrap();
        assert!(matches!(
            SearchAttributeValue::from_payload(&p),
            SearchAttributeValue::Raw(_)
        ));
    }
}
