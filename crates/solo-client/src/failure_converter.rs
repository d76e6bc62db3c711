//! The pluggable [`FailureConverter`]: how an activity's error becomes a wire failure and how
//! a wire failure becomes an [`ActivityFailure`]. [`DefaultFailureConverter`] is the default.

use solo_proto::temporal::api::common::v1::Payloads;
use solo_proto::temporal::api::failure::v1 as pb;

use crate::activity_error::{ActivityError, default_to_failure};
use crate::activity_failure::{ActivityFailure, default_from_failure};
use crate::converter::DataConverter;
use crate::payload_converter::PayloadConverter;

/// Converts activity errors to wire failures and back. Set one on a
/// [`DataConverter`] with [`with_failure_converter`](DataConverter::with_failure_converter);
/// the worker then uses it for every failure it reports, and the client for every failure it
/// reads (results, descriptions).
///
/// The codec (if any) runs after `to_failure` and before `from_failure`, over the failure's
/// payloads (details, heartbeat details, encoded attributes), down the cause chain.
///
/// This one hides messages, as Python's `encode_common_attributes=True` does: the message
/// moves into an `encoded_attributes` payload (which a codec can encrypt) and the visible
/// message becomes `Encoded failure`:
///
/// ```
/// use solo_client::{
///     ActivityError, ActivityFailure, DataConverter, DefaultFailureConverter, EncodePayload,
///     FailureConverter, PayloadConverter,
/// };
/// use solo_proto::temporal::api::failure::v1::Failure;
///
/// struct HideMessages;
///
/// impl FailureConverter for HideMessages {
///     fn to_failure(&self, error: ActivityError, payloads: &dyn PayloadConverter) -> Failure {
///         let mut failure = DefaultFailureConverter.to_failure(error, payloads);
///         let attributes = serde_json::json!({ "message": failure.message, "stack_trace": "" });
///         failure.encoded_attributes = attributes.encode_payload(payloads).ok();
///         failure.message = "Encoded failure".into();
///         failure
///     }
///     fn from_failure(&self, failure: Failure, payloads: &dyn PayloadConverter) -> ActivityFailure {
///         // The default reads `encoded_attributes` back.
///         DefaultFailureConverter.from_failure(failure, payloads)
///     }
/// }
///
/// let converter = DataConverter::default().with_failure_converter(HideMessages);
/// # let _ = converter;
/// ```
pub trait FailureConverter: Send + Sync + 'static {
    /// Converts an activity's error into a wire failure (payloads not yet through the codec).
    fn to_failure(&self, error: ActivityError, payloads: &dyn PayloadConverter) -> pb::Failure;

    /// Converts a wire failure (payloads already through the codec) into an
    /// [`ActivityFailure`], causes included.
    // Named as in the other SDKs' failure converters.
    #[allow(clippy::wrong_self_convention)]
    fn from_failure(
        &self,
        failure: pb::Failure,
        payloads: &dyn PayloadConverter,
    ) -> ActivityFailure;
}

/// The default [`FailureConverter`], compatible with the other SDKs: an
/// [`ApplicationError`](crate::ApplicationError) becomes an application failure with its
/// type, details and retry settings, [`Cancelled`](crate::Cancelled) a cancelled failure, any
/// other error an application failure named by its Rust type with its `source()` chain as
/// causes; `encoded_attributes` are read back into the message and stack trace.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultFailureConverter;

impl FailureConverter for DefaultFailureConverter {
    fn to_failure(&self, error: ActivityError, _payloads: &dyn PayloadConverter) -> pb::Failure {
        default_to_failure(error)
    }

    fn from_failure(
        &self,
        failure: pb::Failure,
        payloads: &dyn PayloadConverter,
    ) -> ActivityFailure {
        default_from_failure(failure, payloads)
    }
}

/// Runs the codec (encode or decode) over every payload of a failure and its causes. A codec
/// error is logged: encoding drops the payloads (they never leave unencoded), decoding keeps
/// them encoded.
pub(crate) async fn run_codec(failure: &mut pb::Failure, converter: &DataConverter, encode: bool) {
    use pb::failure::FailureInfo;
    if !converter.has_codec() {
        return;
    }
    let mut next = Some(failure);
    while let Some(f) = next {
        if let Some(attributes) = f.encoded_attributes.take() {
            let mut group = Some(Payloads {
                payloads: vec![attributes],
            });
            code(&mut group, converter, encode).await;
            f.encoded_attributes = group.and_then(|mut g| g.payloads.pop());
        }
        match &mut f.failure_info {
            Some(FailureInfo::ApplicationFailureInfo(i)) => {
                code(&mut i.details, converter, encode).await
            }
            Some(FailureInfo::CanceledFailureInfo(i)) => {
                code(&mut i.details, converter, encode).await
            }
            Some(FailureInfo::TimeoutFailureInfo(i)) => {
                code(&mut i.last_heartbeat_details, converter, encode).await
            }
            _ => {}
        }
        next = f.cause.as_deref_mut();
    }
}

async fn code(group: &mut Option<Payloads>, converter: &DataConverter, encode: bool) {
    let Some(payloads) = group.take() else {
        return;
    };
    if payloads.payloads.is_empty() {
        *group = Some(payloads);
        return;
    }
    let raw = payloads.payloads;
    let coded = if encode {
        converter.encode_payloads(raw.clone()).await
    } else {
        converter.decode_payloads(raw.clone()).await
    };
    *group = match coded {
        Ok(payloads) => Some(Payloads { payloads }),
        Err(e) if encode => {
            tracing::warn!(error = %e, "failure details could not be encoded by the codec; they are left out");
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "failure details could not be decoded by the codec; keeping them encoded");
            Some(Payloads { payloads: raw })
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity_error::ApplicationError;
    use crate::converter::{CodecFuture, PayloadCodec};
    use crate::payload::{METADATA_ENCODING, encoding_of};
    use crate::value::EncodePayload;
    use bytes::Bytes;
    use solo_proto::temporal::api::common::v1::Payload;

    /// Marks payloads as encoded, keeping the inner encoding aside.
    struct Tag;

    fn retag(payloads: Vec<Payload>, from: &str, to: &'static str) -> Vec<Payload> {
        payloads
            .into_iter()
            .map(|mut p| {
                let inner = p.metadata.remove(from).unwrap_or_default();
                let outer = p.metadata.remove(METADATA_ENCODING).unwrap_or_default();
                p.metadata.insert(METADATA_ENCODING.into(), inner);
                p.metadata.insert(to.into(), outer);
                p
            })
            .collect()
    }

    impl PayloadCodec for Tag {
        fn encode(&self, payloads: Vec<Payload>) -> CodecFuture<'_> {
            let mut out = retag(payloads, "none", "inner");
            for p in &mut out {
                p.metadata.insert(
                    METADATA_ENCODING.into(),
                    Bytes::from_static(b"binary/tagged"),
                );
            }
            Box::pin(async move { Ok(out) })
        }
        fn decode(&self, payloads: Vec<Payload>) -> CodecFuture<'_> {
            Box::pin(async move { Ok(retag(payloads, "inner", "none")) })
        }
    }

    struct HideMessages;

    impl FailureConverter for HideMessages {
        fn to_failure(&self, error: ActivityError, payloads: &dyn PayloadConverter) -> pb::Failure {
            let mut failure = DefaultFailureConverter.to_failure(error, payloads);
            let attributes = serde_json::json!({ "message": failure.message, "stack_trace": "" });
            failure.encoded_attributes = attributes.encode_payload(payloads).ok();
            failure.message = "Encoded failure".into();
            failure
        }
        fn from_failure(
            &self,
            failure: pb::Failure,
            payloads: &dyn PayloadConverter,
        ) -> ActivityFailure {
            DefaultFailureConverter.from_failure(failure, payloads)
        }
    }

    #[test]
    fn the_codec_runs_after_the_failure_converter_and_before_reading() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let dc = DataConverter::from_codec(Tag).with_failure_converter(HideMessages);
        rt.block_on(async {
            let error: ActivityError = ApplicationError::new("card declined")
                .error_type("Declined")
                .detail(&42)
                .into();
            let failure = error.into_failure(&dc).await;
            assert_eq!(failure.message, "Encoded failure");
            assert_eq!(
                encoding_of(failure.encoded_attributes.as_ref().unwrap()),
                "binary/tagged"
            );
            let Some(pb::failure::FailureInfo::ApplicationFailureInfo(info)) =
                &failure.failure_info
            else {
                panic!("an application failure: {failure:?}");
            };
            let details = info.details.as_ref().unwrap();
            assert_eq!(encoding_of(&details.payloads[0]), "binary/tagged");

            let read = ActivityFailure::decode(failure.clone(), &dc).await;
            assert_eq!(read.message, "card declined");
            assert_eq!(read.error_type(), Some("Declined"));
            assert_eq!(read.details().get::<i32>(0).unwrap(), 42);

            // Without the codec the attributes stay unread and the details encoded.
            let plain = ActivityFailure::decode(failure, &DataConverter::default()).await;
            assert_eq!(plain.message, "Encoded failure");
            assert!(plain.details().get::<i32>(0).is_err());
        });
    }
}
