//! The pluggable [`PayloadConverter`]: how values become payloads and back, for activity
//! inputs (typed and by name), results, heartbeat details and the failure converter's
//! payloads. [`StandardPayloadConverter`] is the default.

use serde::Serialize;
use serde::de::DeserializeOwned;
use solo_proto::temporal::api::common::v1::Payload;

use crate::data_error::DataError;
use crate::payload::{from_payload, to_payload};

/// Converts values to payloads and back. Set one on a
/// [`DataConverter`](crate::DataConverter) with
/// [`with_payload_converter`](crate::DataConverter::with_payload_converter); the client and
/// the worker then use it for activity inputs (typed and by name), results and heartbeat
/// details. (`ApplicationError::detail` and `Cancelled::detail` encode with the standard
/// converter when the error is built; `detail_with` takes the converter.)
///
/// A converter sees each value as a [`ValueRef`] (a serde value, or a protobuf message wrapped in
/// [`Proto`](crate::Proto) / [`ProtoJson`](crate::ProtoJson)) and decodes into a [`DecodeTarget`].
/// Both offer the standard conversion (`standard_payload`, `decode_standard`), so a converter
/// can handle some values itself and leave the rest as they are. Errors should name the type
/// ([`ValueRef::type_name`], [`DecodeTarget::type_name`]).
///
/// This one adds a metadata entry to every payload and otherwise converts as standard:
///
/// ```
/// use solo_client::{DataConverter, DataError, PayloadConverter, DecodeTarget, ValueRef};
/// use solo_proto::temporal::api::common::v1::Payload;
///
/// struct Tagged;
///
/// impl PayloadConverter for Tagged {
///     fn to_payload(&self, value: ValueRef<'_>) -> Result<Payload, DataError> {
///         let mut payload = value.standard_payload()?;
///         payload.metadata.insert("producer".into(), "billing".into());
///         Ok(payload)
///     }
///     fn from_payload(&self, payload: &Payload, target: DecodeTarget<'_>) -> Result<(), DataError> {
///         target.decode_standard(payload)
///     }
/// }
///
/// let converter = DataConverter::default().with_payload_converter(Tagged);
/// let p = converter.payload_converter().to_payload(ValueRef::serde(&"hi")).unwrap();
/// assert_eq!(&p.metadata["producer"][..], b"billing");
/// ```
pub trait PayloadConverter: Send + Sync + 'static {
    /// Converts one value into one payload.
    ///
    /// # Errors
    /// When the value cannot be converted.
    fn to_payload(&self, value: ValueRef<'_>) -> Result<Payload, DataError>;

    /// Converts one payload into the target.
    ///
    /// # Errors
    /// When the payload does not fit the target.
    // Named as in the other SDKs' payload converters.
    #[allow(clippy::wrong_self_convention)]
    fn from_payload(&self, payload: &Payload, target: DecodeTarget<'_>) -> Result<(), DataError>;
}

/// The default [`PayloadConverter`]: the encodings of [`to_payload`] and [`from_payload`]
/// (`binary/null`, `binary/plain`, `json/plain`, with `json/protobuf` read as JSON) for serde
/// values, and `binary/protobuf` / `json/protobuf` with the `messageType` metadata for
/// protobuf messages, as the other SDKs' default converters.
#[derive(Debug, Clone, Copy, Default)]
pub struct StandardPayloadConverter;

impl PayloadConverter for StandardPayloadConverter {
    fn to_payload(&self, value: ValueRef<'_>) -> Result<Payload, DataError> {
        value.standard_payload()
    }

    fn from_payload(&self, payload: &Payload, target: DecodeTarget<'_>) -> Result<(), DataError> {
        target.decode_standard(payload)
    }
}

/// A value on its way to a payload, as a [`PayloadConverter`] sees it.
#[non_exhaustive]
pub enum ValueRef<'a> {
    /// A value with a serde `Serialize` implementation.
    Serde(&'a dyn SerdeValue),
    /// A protobuf message ([`Proto`](crate::Proto) or [`ProtoJson`](crate::ProtoJson)).
    Proto(&'a dyn ProtoValue),
}

impl<'a> ValueRef<'a> {
    /// A serde value.
    pub fn serde<T: Serialize>(value: &'a T) -> ValueRef<'a> {
        ValueRef::Serde(value)
    }

    /// The Rust type of the value, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            ValueRef::Serde(v) => v.type_name(),
            ValueRef::Proto(v) => v.type_name(),
        }
    }

    /// The payload the standard converter makes of it.
    ///
    /// # Errors
    /// When serialization fails.
    pub fn standard_payload(&self) -> Result<Payload, DataError> {
        match self {
            ValueRef::Serde(v) => v.standard_payload(),
            ValueRef::Proto(v) => v.standard_payload(),
        }
    }
}

/// A serde value behind a [`ValueRef::Serde`] (every `Serialize` type is one).
pub trait SerdeValue {
    /// The value's Rust type.
    fn type_name(&self) -> &'static str;
    /// The value as an object-safe `Serialize`, for any serde format:
    /// `solo_client::erased_serde::serialize(value.as_serialize(), &mut serializer)`.
    fn as_serialize(&self) -> &dyn erased_serde::Serialize;
    /// The payload the standard converter makes of it.
    ///
    /// # Errors
    /// When serialization fails.
    fn standard_payload(&self) -> Result<Payload, DataError>;
}

/// A protobuf message behind a [`ValueRef::Proto`].
pub trait ProtoValue {
    /// The wrapper's Rust type.
    fn type_name(&self) -> &'static str;
    /// The message's full protobuf name (for example `temporal.api.common.v1.WorkflowExecution`),
    /// sent as the `messageType` metadata.
    fn message_type(&self) -> String;
    /// The message in binary protobuf form.
    fn encode_binary(&self) -> Vec<u8>;
    /// The message in proto3 JSON form, when its type supports it ([`ProtoJson`](crate::ProtoJson)).
    fn encode_json(&self) -> Option<Result<Vec<u8>, DataError>>;
    /// The payload the standard converter makes of it (`binary/protobuf` for
    /// [`Proto`](crate::Proto), `json/protobuf` for [`ProtoJson`](crate::ProtoJson)).
    ///
    /// # Errors
    /// When proto3 JSON serialization fails.
    fn standard_payload(&self) -> Result<Payload, DataError>;
}

/// Where a payload decodes to, as a [`PayloadConverter`] sees it.
#[non_exhaustive]
pub enum DecodeTarget<'a> {
    /// A type with a serde `Deserialize` implementation.
    Serde(&'a mut dyn SerdeTarget),
    /// A protobuf message ([`Proto`](crate::Proto) or [`ProtoJson`](crate::ProtoJson)).
    Proto(&'a mut dyn ProtoTarget),
}

impl DecodeTarget<'_> {
    /// The Rust type being decoded, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            DecodeTarget::Serde(t) => t.type_name(),
            DecodeTarget::Proto(t) => t.type_name(),
        }
    }

    /// Decodes `payload` with the standard converter.
    ///
    /// # Errors
    /// When the encoding is unknown or the data does not fit.
    pub fn decode_standard(self, payload: &Payload) -> Result<(), DataError> {
        match self {
            DecodeTarget::Serde(t) => t.decode_standard(payload),
            DecodeTarget::Proto(t) => t.decode_standard(payload),
        }
    }
}

/// A serde type behind a [`DecodeTarget::Serde`].
pub trait SerdeTarget {
    /// The Rust type being decoded.
    fn type_name(&self) -> &'static str;
    /// Decodes from any serde format's deserializer:
    /// `target.deserialize(&mut <dyn erased_serde::Deserializer>::erase(&mut de))` (with
    /// `solo_client::erased_serde`).
    ///
    /// # Errors
    /// What the deserializer or the type reports.
    fn deserialize(
        &mut self,
        deserializer: &mut dyn erased_serde::Deserializer<'_>,
    ) -> Result<(), erased_serde::Error>;
    /// Decodes `payload` with the standard converter.
    ///
    /// # Errors
    /// When the encoding is unknown or the data does not fit.
    fn decode_standard(&mut self, payload: &Payload) -> Result<(), DataError>;
}

/// A protobuf message behind a [`DecodeTarget::Proto`].
pub trait ProtoTarget {
    /// The wrapper's Rust type.
    fn type_name(&self) -> &'static str;
    /// The message's full protobuf name.
    fn message_type(&self) -> String;
    /// Decodes the binary protobuf form.
    ///
    /// # Errors
    /// When the bytes are not a valid message.
    fn decode_binary(&mut self, data: &[u8]) -> Result<(), DataError>;
    /// Decodes the proto3 JSON form.
    ///
    /// # Errors
    /// When the JSON does not fit, or the type has no proto3 JSON support.
    fn decode_json(&mut self, data: &[u8]) -> Result<(), DataError>;
    /// Decodes `payload` with the standard converter.
    ///
    /// # Errors
    /// When the encoding is not a protobuf one or the data does not fit.
    fn decode_standard(&mut self, payload: &Payload) -> Result<(), DataError>;
}

impl<T: Serialize> SerdeValue for T {
    fn type_name(&self) -> &'static str {
        std::any::type_name::<T>()
    }

    fn as_serialize(&self) -> &dyn erased_serde::Serialize {
        self
    }

    fn standard_payload(&self) -> Result<Payload, DataError> {
        to_payload(self)
    }
}

/// A decode target for a serde type `T`: holds the decoded value.
pub(crate) struct SerdeSlot<T>(pub(crate) Option<T>);

impl<T: DeserializeOwned> SerdeTarget for SerdeSlot<T> {
    fn type_name(&self) -> &'static str {
        std::any::type_name::<T>()
    }

    fn deserialize(
        &mut self,
        deserializer: &mut dyn erased_serde::Deserializer<'_>,
    ) -> Result<(), erased_serde::Error> {
        self.0 = Some(erased_serde::deserialize::<T>(deserializer)?);
        Ok(())
    }

    fn decode_standard(&mut self, payload: &Payload) -> Result<(), DataError> {
        self.0 = Some(from_payload::<T>(payload)?);
        Ok(())
    }
}
