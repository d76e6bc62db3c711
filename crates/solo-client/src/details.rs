//! [`Details`]: payloads attached to a failure or a heartbeat, decoded on demand.

use serde::de::DeserializeOwned;
use solo_proto::temporal::api::common::v1::Payload;

use crate::data_error::DataError;
use crate::payload::from_payload;
use crate::payload_converter::PayloadConverter;
use crate::value::DecodePayload;

/// Decoded payloads attached to a failure or a heartbeat, read on demand.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Details(Vec<Payload>);

impl Details {
    /// Wraps payloads that have already been through the codec.
    pub fn new(payloads: Vec<Payload>) -> Self {
        Details(payloads)
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Decodes the value at `index` with the standard converter (see
    /// [`get_with`](Self::get_with) for another).
    ///
    /// # Errors
    /// When there is no such value or it does not decode as `T`.
    pub fn get<T: DeserializeOwned>(&self, index: usize) -> Result<T, DataError> {
        match self.0.get(index) {
            Some(p) => from_payload(p),
            None => Err(DataError::Missing(std::any::type_name::<T>())),
        }
    }

    /// Decodes the first value (`None` when there is none).
    ///
    /// # Errors
    /// When the value does not decode as `T`.
    pub fn first<T: DeserializeOwned>(&self) -> Result<Option<T>, DataError> {
        self.0.first().map(from_payload).transpose()
    }

    /// Decodes the value at `index` with `converter` (for example
    /// [`DataConverter::payload_converter`](crate::DataConverter::payload_converter)); also
    /// reads protobuf messages ([`Proto`](crate::Proto), [`ProtoJson`](crate::ProtoJson)).
    ///
    /// ```
    /// use solo_client::{Details, StandardPayloadConverter, to_payload};
    ///
    /// let details = Details::new(vec![to_payload(&3).unwrap()]);
    /// assert_eq!(details.get_with::<u8>(0, &StandardPayloadConverter).unwrap(), 3);
    /// ```
    ///
    /// # Errors
    /// When there is no such value or it does not decode as `T`.
    pub fn get_with<T: DecodePayload>(
        &self,
        index: usize,
        converter: &dyn PayloadConverter,
    ) -> Result<T, DataError> {
        match self.0.get(index) {
            Some(p) => T::decode_payload(p, converter),
            None => Err(DataError::Missing(std::any::type_name::<T>())),
        }
    }

    /// The raw payloads.
    pub fn payloads(&self) -> &[Payload] {
        &self.0
    }

    /// Takes the raw payloads.
    pub fn into_payloads(self) -> Vec<Payload> {
        self.0
    }
}
