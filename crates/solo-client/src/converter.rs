//! The [`DataConverter`]: a [`PayloadConverter`] (values ↔ payloads), a [`FailureConverter`]
//! (errors ↔ failures) and an optional [`PayloadCodec`] (encryption, compression) over whole
//! payloads.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;
use solo_proto::temporal::api::common::v1::{Payload, Payloads};

use crate::data_error::DataError;
use crate::failure_converter::{DefaultFailureConverter, FailureConverter};
use crate::input::ActivityInput;
use crate::payload::is_unit;
use crate::payload_converter::{PayloadConverter, StandardPayloadConverter};
use crate::value::{DecodePayload, EncodePayload};

/// Transforms whole payloads, for example to encrypt or compress them.
///
/// `encode` runs after values are converted to payloads, `decode` before payloads are converted
/// back. Both must be inverse: `decode(encode(p)) == p`. Codecs apply to inputs, results,
/// failure details and heartbeat details; never to search attributes or headers.
pub trait PayloadCodec: Send + Sync + 'static {
    /// Encodes payloads (same count in, same count out).
    fn encode(&self, payloads: Vec<Payload>) -> CodecFuture<'_>;
    /// Decodes payloads produced by `encode`.
    fn decode(&self, payloads: Vec<Payload>) -> CodecFuture<'_>;
}

/// The future a [`PayloadCodec`] returns.
pub type CodecFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<Payload>, DataError>> + Send + 'a>>;

/// The data converter: a payload converter, a failure converter and an optional codec. Set it
/// on the client with [`ClientOptions::data_converter`](crate::ClientOptions::data_converter);
/// workers built from that client use it too.
///
/// Cheap to clone. The default is the [`StandardPayloadConverter`], the
/// [`DefaultFailureConverter`] and no codec, compatible with the other SDKs' defaults.
///
/// ```
/// use solo_client::{DataConverter, DefaultFailureConverter, StandardPayloadConverter};
///
/// let converter = DataConverter::default()
///     .with_payload_converter(StandardPayloadConverter)
///     .with_failure_converter(DefaultFailureConverter);
/// assert!(!converter.has_codec());
/// assert!(converter.has_standard_payload_converter());
/// ```
#[derive(Clone)]
pub struct DataConverter {
    payloads: Arc<dyn PayloadConverter>,
    failures: Arc<dyn FailureConverter>,
    codec: Option<Arc<dyn PayloadCodec>>,
    /// Whether `payloads` is the [`StandardPayloadConverter`].
    standard_payloads: bool,
}

impl Default for DataConverter {
    fn default() -> Self {
        DataConverter {
            standard_payloads: true,
            payloads: Arc::new(StandardPayloadConverter),
            failures: Arc::new(DefaultFailureConverter),
            codec: None,
        }
    }
}

impl fmt::Debug for DataConverter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataConverter")
            .field("codec", &self.codec.is_some())
            .finish_non_exhaustive()
    }
}

impl DataConverter {
    /// A converter that runs `codec` over every payload it encodes and decodes.
    pub fn from_codec(codec: impl PayloadCodec) -> Self {
        DataConverter::default().with_codec(codec)
    }

    /// Sets the codec.
    pub fn with_codec(mut self, codec: impl PayloadCodec) -> Self {
        self.codec = Some(Arc::new(codec));
        self
    }

    /// Sets the payload converter (default [`StandardPayloadConverter`]).
    pub fn with_payload_converter<C: PayloadConverter>(mut self, converter: C) -> Self {
        self.standard_payloads =
            std::any::TypeId::of::<C>() == std::any::TypeId::of::<StandardPayloadConverter>();
        self.payloads = Arc::new(converter);
        self
    }

    /// Whether the payload converter is the [`StandardPayloadConverter`] (the default), whose
    /// encodings callers may then produce directly.
    pub fn has_standard_payload_converter(&self) -> bool {
        self.standard_payloads
    }

    /// Sets the failure converter (default [`DefaultFailureConverter`]).
    pub fn with_failure_converter(mut self, converter: impl FailureConverter) -> Self {
        self.failures = Arc::new(converter);
        self
    }

    /// The payload converter.
    pub fn payload_converter(&self) -> &dyn PayloadConverter {
        &*self.payloads
    }

    /// The failure converter.
    pub fn failure_converter(&self) -> &dyn FailureConverter {
        &*self.failures
    }

    /// Whether a codec is configured.
    pub fn has_codec(&self) -> bool {
        self.codec.is_some()
    }

    /// Runs the codec's `encode` (if any) over payloads.
    ///
    /// # Errors
    /// When the codec fails.
    pub async fn encode_payloads(&self, payloads: Vec<Payload>) -> Result<Vec<Payload>, DataError> {
        match &self.codec {
            Some(codec) if !payloads.is_empty() => codec.encode(payloads).await,
            _ => Ok(payloads),
        }
    }

    /// Runs the codec's `decode` (if any) over payloads.
    ///
    /// # Errors
    /// When the codec fails.
    pub async fn decode_payloads(&self, payloads: Vec<Payload>) -> Result<Vec<Payload>, DataError> {
        match &self.codec {
            Some(codec) if !payloads.is_empty() => codec.decode(payloads).await,
            _ => Ok(payloads),
        }
    }

    /// Encodes an activity input: `()` becomes no payload, anything else one payload; then the
    /// codec runs.
    ///
    /// # Errors
    /// When serialization or the codec fails.
    pub async fn encode_input<T: Serialize>(&self, value: &T) -> Result<Payloads, DataError> {
        let payloads = if is_unit::<T>() {
            Vec::new()
        } else {
            vec![value.encode_payload(self.payload_converter())?]
        };
        Ok(Payloads {
            payloads: self.encode_payloads(payloads).await?,
        })
    }

    /// Encodes an activity input as its [`ActivityInput`] implementation says (one payload per
    /// argument); then the codec runs.
    ///
    /// # Errors
    /// When serialization or the codec fails.
    pub async fn encode_activity_input<I: ActivityInput>(
        &self,
        input: &I,
    ) -> Result<Payloads, DataError> {
        Ok(Payloads {
            payloads: self
                .encode_payloads(input.to_payloads_with(self.payload_converter())?)
                .await?,
        })
    }

    /// Encodes one value (a result, a heartbeat detail) as a single payload with the payload
    /// converter; then the codec runs.
    ///
    /// # Errors
    /// When serialization or the codec fails.
    pub async fn encode_value<T: EncodePayload>(&self, value: &T) -> Result<Payloads, DataError> {
        let payload = value.encode_payload(self.payload_converter())?;
        Ok(Payloads {
            payloads: self.encode_payloads(vec![payload]).await?,
        })
    }

    /// As [`decode_value`](Self::decode_value), from borrowed payloads: copied only when a
    /// codec must transform them.
    pub(crate) async fn decode_value_ref<T: DecodePayload>(
        &self,
        payloads: &Payloads,
    ) -> Result<T, DataError> {
        if self.codec.is_some() {
            return self.decode_value(Some(payloads.clone())).await;
        }
        match payloads.payloads.first() {
            Some(p) => T::decode_payload(p, self.payload_converter()),
            None => T::decode_missing(),
        }
    }

    /// Decodes the first payload of `payloads` (after the codec) as `T` with the payload
    /// converter. An absent or empty `Payloads` decodes as "no value", which `()` and
    /// `Option<_>` accept.
    ///
    /// # Errors
    /// When the codec fails or the payload does not decode as `T`.
    pub async fn decode_value<T: DecodePayload>(
        &self,
        payloads: Option<Payloads>,
    ) -> Result<T, DataError> {
        let payloads = self
            .decode_payloads(payloads.map(|p| p.payloads).unwrap_or_default())
            .await?;
        match payloads.first() {
            Some(p) => T::decode_payload(p, self.payload_converter()),
            None => T::decode_missing(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::{METADATA_ENCODING, encoding_of};
    use bytes::Bytes;

    #[test]
    fn a_custom_payload_converter_is_not_the_standard_one() {
        struct Custom;
        impl PayloadConverter for Custom {
            fn to_payload(&self, value: crate::ValueRef<'_>) -> Result<Payload, DataError> {
                value.standard_payload()
            }
            fn from_payload(
                &self,
                payload: &Payload,
                target: crate::DecodeTarget<'_>,
            ) -> Result<(), DataError> {
                target.decode_standard(payload)
            }
        }
        let dc = DataConverter::default().with_payload_converter(Custom);
        assert!(!dc.has_standard_payload_converter());
        let dc = dc.with_payload_converter(StandardPayloadConverter);
        assert!(dc.has_standard_payload_converter());
    }

    #[test]
    fn missing_payloads_mean_no_value() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let dc = DataConverter::default();
        rt.block_on(async {
            dc.decode_value::<()>(None).await.unwrap();
            dc.decode_value::<()>(Some(Payloads::default()))
                .await
                .unwrap();
            assert_eq!(dc.decode_value::<Option<u8>>(None).await.unwrap(), None);
            assert!(dc.decode_value::<String>(None).await.is_err());
            assert!(dc.encode_input(&()).await.unwrap().payloads.is_empty());
            assert_eq!(dc.encode_input(&5).await.unwrap().payloads.len(), 1);
        });
    }

    struct Reverse;

    impl PayloadCodec for Reverse {
        fn encode(&self, payloads: Vec<Payload>) -> CodecFuture<'_> {
            Box::pin(async move {
                Ok(payloads
                    .into_iter()
                    .map(|p| {
                        let mut d = p.data.to_vec();
                        d.reverse();
                        let mut q = Payload {
                            data: Bytes::from(d),
                            ..Default::default()
                        };
                        q.metadata.insert(
                            METADATA_ENCODING.into(),
                            Bytes::from_static(b"binary/reversed"),
                        );
                        q.metadata.insert(
                            "inner".into(),
                            p.metadata
                                .get(METADATA_ENCODING)
                                .cloned()
                                .unwrap_or_default(),
                        );
                        q
                    })
                    .collect())
            })
        }
        fn decode(&self, payloads: Vec<Payload>) -> CodecFuture<'_> {
            Box::pin(async move {
                Ok(payloads
                    .into_iter()
                    .map(|p| {
                        let mut d = p.data.to_vec();
                        d.reverse();
                        let mut q = Payload {
                            data: Bytes::from(d),
                            ..Default::default()
                        };
                        q.metadata.insert(
                            METADATA_ENCODING.into(),
                            p.metadata.get("inner").cloned().unwrap_or_default(),
                        );
                        q
                    })
                    .collect())
            })
        }
    }

    #[test]
    fn codecs_wrap_whole_payloads() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let dc = DataConverter::from_codec(Reverse);
        rt.block_on(async {
            let p = dc.encode_value(&"abc").await.unwrap();
            assert_eq!(encoding_of(&p.payloads[0]), "binary/reversed");
            assert_eq!(&p.payloads[0].data[..], b"\"cba\"");
            let back: String = dc.decode_value(Some(p.clone())).await.unwrap();
            assert_eq!(back, "abc");
            let plain = DataConverter::default();
            assert!(plain.decode_value::<String>(Some(p)).await.is_err());
        });
    }
}
