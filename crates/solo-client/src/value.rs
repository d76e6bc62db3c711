//! [`EncodePayload`] and [`DecodePayload`]: one value ↔ one payload through a
//! [`PayloadConverter`], for serde types and protobuf messages alike.

use serde::Serialize;
use serde::de::DeserializeOwned;
use solo_proto::temporal::api::common::v1::Payload;

use crate::data_error::DataError;
use crate::payload::from_missing;
use crate::payload_converter::{DecodeTarget, PayloadConverter, SerdeSlot, ValueRef};

/// A value that becomes one payload: every `Serialize` type, and protobuf messages wrapped in
/// [`Proto`](crate::Proto) or [`ProtoJson`](crate::ProtoJson).
///
/// ```
/// use solo_client::{EncodePayload, StandardPayloadConverter, encoding_of};
///
/// let p = 5u8.encode_payload(&StandardPayloadConverter).unwrap();
/// assert_eq!(encoding_of(&p), "json/plain");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be converted to a payload",
    label = "not `Serialize`",
    note = "derive `serde::Serialize` for it, or wrap a protobuf message in `solo_client::Proto` / `ProtoJson`"
)]
pub trait EncodePayload {
    /// Converts the value with `converter`.
    ///
    /// # Errors
    /// When the converter cannot convert it.
    fn encode_payload(&self, converter: &dyn PayloadConverter) -> Result<Payload, DataError>;
}

/// A value that decodes from one payload: every `DeserializeOwned` type, and protobuf
/// messages wrapped in [`Proto`](crate::Proto) or [`ProtoJson`](crate::ProtoJson).
///
/// ```
/// use solo_client::{DecodePayload, StandardPayloadConverter, to_payload};
///
/// let p = to_payload(&7).unwrap();
/// assert_eq!(u8::decode_payload(&p, &StandardPayloadConverter).unwrap(), 7);
/// assert_eq!(Option::<u8>::decode_missing().unwrap(), None);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be decoded from a payload",
    label = "not `Deserialize`",
    note = "derive `serde::Deserialize` for it, or wrap a protobuf message in `solo_client::Proto` / `ProtoJson`"
)]
pub trait DecodePayload: Sized {
    /// Decodes `payload` with `converter`.
    ///
    /// # Errors
    /// When the payload does not fit the type.
    fn decode_payload(
        payload: &Payload,
        converter: &dyn PayloadConverter,
    ) -> Result<Self, DataError>;

    /// The value of "no payload": `()` and `None` have one, other types an error.
    ///
    /// # Errors
    /// When the type needs a value.
    fn decode_missing() -> Result<Self, DataError>;
}

impl<T: Serialize> EncodePayload for T {
    fn encode_payload(&self, converter: &dyn PayloadConverter) -> Result<Payload, DataError> {
        converter.to_payload(ValueRef::serde(self))
    }
}

impl<T: DeserializeOwned> DecodePayload for T {
    fn decode_payload(
        payload: &Payload,
        converter: &dyn PayloadConverter,
    ) -> Result<Self, DataError> {
        let mut slot = SerdeSlot::<T>(None);
        converter.from_payload(payload, DecodeTarget::Serde(&mut slot))?;
        slot.0.ok_or(DataError::Missing(std::any::type_name::<T>()))
    }

    fn decode_missing() -> Result<Self, DataError> {
        from_missing::<T>()
    }
}

/// The error for a payload converter that returned without decoding a value.
pub(crate) fn not_decoded<T>(payload: &Payload) -> DataError {
    DataError::Decode {
        encoding: crate::payload::encoding_of(payload).to_owned(),
        type_name: std::any::type_name::<T>(),
        message: "the payload converter returned without decoding a value; it must fill the target or return an error".into(),
    }
}
