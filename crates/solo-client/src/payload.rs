//! The standard payload converter: Rust values ↔ Temporal payloads, compatible with the
//! other SDKs.
//!
//! The standard converter picks the first encoding that fits, in the order the Go and Python
//! SDKs use:
//!
//! | encoding | used for |
//! |---|---|
//! | `binary/null` | `()`, `None`, unit structs |
//! | `binary/plain` | byte strings (values that serialize as bytes, e.g. [`serde_bytes`]-style
//! | | wrappers or [`bytes::Bytes`]) |
//! | `json/protobuf` | (decode only) protobuf JSON from other SDKs, read as JSON |
//! | `json/plain` | everything else, with `serde_json` |
//!
//! A Rust struct with `#[derive(Serialize, Deserialize)]` round-trips with a Python dataclass
//! whose fields have the same names. A [`PayloadCodec`](crate::PayloadCodec) (encryption,
//! compression) of a [`DataConverter`](crate::DataConverter) transforms whole payloads after
//! this conversion and before it.
//!
//! [`serde_bytes`]: https://docs.rs/serde_bytes

use std::collections::HashMap;
use std::fmt;

use bytes::Bytes;
use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::{Serialize, ser};
use solo_proto::temporal::api::common::v1::Payload;

use crate::data_error::DataError;

/// The metadata key that names a payload's encoding.
pub const METADATA_ENCODING: &str = "encoding";
/// `binary/null`: no value.
pub const ENCODING_NULL: &str = "binary/null";
/// `binary/plain`: raw bytes.
pub const ENCODING_BINARY: &str = "binary/plain";
/// `json/plain`: UTF-8 JSON.
pub const ENCODING_JSON: &str = "json/plain";
/// `json/protobuf`: protobuf messages in their JSON form.
pub const ENCODING_PROTO_JSON: &str = "json/protobuf";
/// `binary/protobuf`: protobuf messages in binary form.
pub const ENCODING_PROTO_BINARY: &str = "binary/protobuf";

/// Decodes "no payload" as `T`: works for `()` and `Option<_>`, errors for anything else.
///
/// # Errors
/// When `T` needs a value.
pub fn from_missing<T: DeserializeOwned>() -> Result<T, DataError> {
    T::deserialize(serde::de::value::UnitDeserializer::<serde::de::value::Error>::new())
        .map_err(|_| DataError::Missing(std::any::type_name::<T>()))
}

/// Whether `T` is `()`, which an activity input encodes as no payload at all.
pub(crate) fn is_unit<T: ?Sized>() -> bool {
    std::any::type_name::<T>() == "()"
}

fn payload(encoding: &'static str, data: Bytes) -> Payload {
    let mut metadata = HashMap::with_capacity(1);
    metadata.insert(
        METADATA_ENCODING.to_owned(),
        Bytes::from_static(encoding.as_bytes()),
    );
    Payload {
        metadata,
        data,
        ..Default::default()
    }
}

/// Encodes a value with the standard converter order (no codec).
///
/// # Errors
/// When serde fails (for example a map with non-string keys).
pub fn to_payload<T: Serialize + ?Sized>(value: &T) -> Result<Payload, DataError> {
    match value.serialize(Probe) {
        Ok(Shape::Null) => return Ok(payload(ENCODING_NULL, Bytes::new())),
        Ok(Shape::Bytes(b)) => return Ok(payload(ENCODING_BINARY, Bytes::from(b))),
        Err(_) => {}
    }
    let data = serde_json::to_vec(value).map_err(|e| DataError::Encode {
        type_name: std::any::type_name::<T>(),
        message: e.to_string(),
    })?;
    Ok(payload(ENCODING_JSON, Bytes::from(data)))
}

/// Writes the `json/plain` data the standard converter makes of `value` into `out` (cleared
/// first) and returns `true`; returns `false`, with `out` untouched, for a value the standard
/// converter encodes otherwise (`binary/null`, `binary/plain`). With [`json_payload`], what
/// [`to_payload`] makes, for a caller that keeps the data before making the payload.
///
/// # Errors
/// As [`to_payload`]; `out` holds no meaningful data then.
pub(crate) fn standard_json_into<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
) -> Result<bool, DataError> {
    if value.serialize(Probe).is_ok() {
        return Ok(false);
    }
    out.clear();
    serde_json::to_writer(&mut *out, value).map_err(|e| DataError::Encode {
        type_name: std::any::type_name::<T>(),
        message: e.to_string(),
    })?;
    Ok(true)
}

/// A `json/plain` payload with `data`.
pub(crate) fn json_payload(data: Bytes) -> Payload {
    payload(ENCODING_JSON, data)
}

/// The encoding named in a payload's metadata (empty when absent).
pub fn encoding_of(payload: &Payload) -> &str {
    payload
        .metadata
        .get(METADATA_ENCODING)
        .and_then(|v| std::str::from_utf8(v).ok())
        .unwrap_or("")
}

/// Decodes a payload with the standard converter (no codec).
///
/// # Errors
/// When the encoding is unknown or the data does not fit `T`.
pub fn from_payload<T: DeserializeOwned>(payload: &Payload) -> Result<T, DataError> {
    let encoding = encoding_of(payload);
    let decode_err = |message: String| DataError::Decode {
        encoding: encoding.to_owned(),
        type_name: std::any::type_name::<T>(),
        message,
    };
    match encoding {
        ENCODING_JSON | ENCODING_PROTO_JSON => {
            serde_json::from_slice(&payload.data).map_err(|e| decode_err(e.to_string()))
        }
        ENCODING_NULL => from_missing::<T>().map_err(|_| {
            decode_err("the payload is null (None) but the type needs a value".into())
        }),
        ENCODING_BINARY => T::deserialize(BytesDeserializer(&payload.data))
            .map_err(|e: serde::de::value::Error| decode_err(e.to_string())),
        ENCODING_PROTO_BINARY => Err(decode_err(
            "binary protobuf payloads carry no JSON; decode the value as solo_client::Proto<M> (or read Payload::data with prost)".into(),
        )),
        other => Err(DataError::UnknownEncoding(other.to_owned())),
    }
}

/// What a value looks like to the converter, found without serializing it.
enum Shape {
    Null,
    Bytes(Vec<u8>),
}

#[derive(Debug)]
struct NotSpecial;

impl fmt::Display for NotSpecial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not null or bytes")
    }
}

impl std::error::Error for NotSpecial {}

impl ser::Error for NotSpecial {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        NotSpecial
    }
}

/// A serializer that only recognises null and byte strings and stops at anything else.
struct Probe;

macro_rules! not_special {
    ($($name:ident: $ty:ty),* $(,)?) => {
        $(fn $name(self, _v: $ty) -> Result<Shape, NotSpecial> { Err(NotSpecial) })*
    };
}

impl ser::Serializer for Probe {
    type Ok = Shape;
    type Error = NotSpecial;
    type SerializeSeq = ser::Impossible<Shape, NotSpecial>;
    type SerializeTuple = ser::Impossible<Shape, NotSpecial>;
    type SerializeTupleStruct = ser::Impossible<Shape, NotSpecial>;
    type SerializeTupleVariant = ser::Impossible<Shape, NotSpecial>;
    type SerializeMap = ser::Impossible<Shape, NotSpecial>;
    type SerializeStruct = ser::Impossible<Shape, NotSpecial>;
    type SerializeStructVariant = ser::Impossible<Shape, NotSpecial>;

    not_special!(
        serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_f32: f32, serialize_f64: f64, serialize_char: char,
        serialize_str: &str,
    );

    fn serialize_bytes(self, v: &[u8]) -> Result<Shape, NotSpecial> {
        Ok(Shape::Bytes(v.to_vec()))
    }
    fn serialize_none(self) -> Result<Shape, NotSpecial> {
        Ok(Shape::Null)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Shape, NotSpecial> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Shape, NotSpecial> {
        Ok(Shape::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Shape, NotSpecial> {
        Ok(Shape::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
    ) -> Result<Shape, NotSpecial> {
        Err(NotSpecial)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Shape, NotSpecial> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<Shape, NotSpecial> {
        Err(NotSpecial)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, NotSpecial> {
        Err(NotSpecial)
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, NotSpecial> {
        Err(NotSpecial)
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, NotSpecial> {
        Err(NotSpecial)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, NotSpecial> {
        Err(NotSpecial)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, NotSpecial> {
        Err(NotSpecial)
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, NotSpecial> {
        Err(NotSpecial)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, NotSpecial> {
        Err(NotSpecial)
    }
}

/// Feeds a `binary/plain` payload to a type: as bytes, or as a sequence of `u8` for `Vec<u8>`.
struct BytesDeserializer<'a>(&'a [u8]);

impl<'de> serde::Deserializer<'de> for BytesDeserializer<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_bytes(self.0)
    }

    fn deserialize_seq<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_seq(serde::de::value::SeqDeserializer::new(
            self.0
                .iter()
                .copied()
                .map(IntoDeserializer::into_deserializer),
        ))
    }

    fn deserialize_option<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[test]
    fn json_data_then_a_payload_is_what_to_payload_makes() {
        let mut out = b"old".to_vec();
        assert!(standard_json_into(&vec![1, 2], &mut out).unwrap());
        assert_eq!(
            json_payload(Bytes::copy_from_slice(&out)),
            to_payload(&vec![1, 2]).unwrap()
        );
        let mut out = b"kept".to_vec();
        assert!(!standard_json_into(&(), &mut out).unwrap());
        assert!(!standard_json_into(&Some(()), &mut out).unwrap());
        assert_eq!(out, b"kept");
        let refused: HashMap<(u8, u8), u8> = [((1, 2), 3)].into();
        assert!(standard_json_into(&refused, &mut out).is_err());
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct ComposeGreetingInput {
        greeting: String,
        name: String,
    }

    struct RawBytes(Vec<u8>);

    impl Serialize for RawBytes {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(&self.0)
        }
    }

    #[test]
    fn structs_are_json_with_field_names() {
        let input = ComposeGreetingInput {
            greeting: "Hello".into(),
            name: "World".into(),
        };
        let p = to_payload(&input).unwrap();
        assert_eq!(encoding_of(&p), "json/plain");
        assert_eq!(&p.data[..], br#"{"greeting":"Hello","name":"World"}"#);
        let back: ComposeGreetingInput = from_payload(&p).unwrap();
        assert_eq!(back, input);
    }

    #[test]
    fn unit_and_none_are_binary_null() {
        assert_eq!(encoding_of(&to_payload(&()).unwrap()), "binary/null");
        assert_eq!(
            encoding_of(&to_payload(&None::<u8>).unwrap()),
            "binary/null"
        );
        let p = to_payload(&()).unwrap();
        from_payload::<()>(&p).unwrap();
        assert_eq!(from_payload::<Option<String>>(&p).unwrap(), None);
        let err = from_payload::<String>(&p).unwrap_err();
        assert!(err.to_string().contains("null"), "{err}");
    }

    #[test]
    fn byte_strings_are_binary_plain() {
        let p = to_payload(&RawBytes(vec![0, 159, 255])).unwrap();
        assert_eq!(encoding_of(&p), "binary/plain");
        assert_eq!(&p.data[..], &[0, 159, 255]);
        let v: Vec<u8> = from_payload(&p).unwrap();
        assert_eq!(v, vec![0, 159, 255]);
        let b: Bytes = from_payload(&p).unwrap();
        assert_eq!(&b[..], &[0, 159, 255]);
        // A plain Vec<u8> is a JSON list, as a Python list of ints would be.
        assert_eq!(
            encoding_of(&to_payload(&vec![1u8, 2]).unwrap()),
            "json/plain"
        );
    }

    #[test]
    fn scalars_strings_and_options_are_json() {
        let p = to_payload(&Some("héllo")).unwrap();
        assert_eq!(encoding_of(&p), "json/plain");
        assert_eq!(&p.data[..], "\"héllo\"".as_bytes());
        assert_eq!(
            from_payload::<i64>(&to_payload(&(1i64 << 53)).unwrap()).unwrap(),
            1 << 53
        );
    }

    #[test]
    fn unknown_encodings_and_bad_data_are_clear_errors() {
        let mut p = to_payload(&1).unwrap();
        p.metadata.insert(
            METADATA_ENCODING.into(),
            Bytes::from_static(b"binary/encrypted"),
        );
        let e = from_payload::<i32>(&p).unwrap_err();
        assert!(e.to_string().contains("binary/encrypted"), "{e}");
        assert!(e.to_string().contains("PayloadCodec"), "{e}");
        let p = to_payload(&"text").unwrap();
        let e = from_payload::<ComposeGreetingInput>(&p).unwrap_err();
        assert!(e.to_string().contains("ComposeGreetingInput"), "{e}");
    }
}
