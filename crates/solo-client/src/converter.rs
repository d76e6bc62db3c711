//! The [`DataConverter`]: the standard payload conversion plus an optional [`PayloadCodec`]
//! (encryption, compression) over whole payloads.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use solo_proto::temporal::api::common::v1::{Payload, Payloads};

use crate::data_error::DataError;
use crate::input::ActivityInput;
use crate::payload::{from_missing, from_payload, is_unit, to_payload};

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

/// The data converter: the standard payload conversion plus an optional codec.
///
/// Cheap to clone. The default has no codec.
#[derive(Clone, Default)]
pub struct DataConverter {
    codec: Option<Arc<dyn PayloadCodec>>,
}

impl fmt::Debug for DataConverter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataConverter")
            .field("codec", &self.codec.is_some())
            .finish()
    }
}

impl DataConverter {
    /// A converter that runs `codec` over every payload it encodes and decodes.
    pub fn from_codec(codec: impl PayloadCodec) -> Self {
        DataConverter {
            codec: Some(Arc::new(codec)),
        }
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
            vec![to_payload(value)?]
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
            payloads: self.encode_payloads(input.to_payloads()?).await?,
        })
    }

    /// Encodes one value (a result, a heartbeat detail) as a single payload; then the codec runs.
    ///
    /// # Errors
    /// When serialization or the codec fails.
    pub async fn encode_value<T: Serialize>(&self, value: &T) -> Result<Payloads, DataError> {
        Ok(Payloads {
            payloads: self.encode_payloads(vec![to_payload(value)?]).await?,
        })
    }

    /// Decodes the first payload of `payloads` (after the codec) as `T`. An absent or empty
    /// `Payloads` decodes as JSON `null`, so `()` and `Option<_>` accept it.
    ///
    /// # Errors
    /// When the codec fails or the payload does not decode as `T`.
    pub async fn decode_value<T: DeserializeOwned>(
        &self,
        payloads: Option<Payloads>,
    ) -> Result<T, DataError> {
        let payloads = self
            .decode_payloads(payloads.map(|p| p.payloads).unwrap_or_default())
            .await?;
        match payloads.first() {
            Some(p) => from_payload(p),
            None => from_missing(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::{METADATA_ENCODING, encoding_of};
    use bytes::Bytes;

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
