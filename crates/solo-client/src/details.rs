//! [`Details`]: payloads attached to a failure or a heartbeat, decoded on demand.

use serde::de::DeserializeOwned;
use solo_proto::temporal::api::common::v1::Payload;

use crate::data_error::DataError;
use crate::payload::from_payload;

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

    /// Decodes the value at `index`.
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

    /// The raw payloads.
    pub fn payloads(&self) -> &[Payload] {
        &self.0
    }

    /// Takes the raw payloads.
    pub fn into_payloads(self) -> Vec<Payload> {
        self.0
    }
}
