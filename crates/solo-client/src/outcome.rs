//! A closed activity's outcome as the handle's result: its decoded value, or the
//! [`OutcomeError`] for the way it ended.

use solo_proto::temporal::api::activity::v1::ActivityExecutionOutcome;
use solo_proto::temporal::api::activity::v1::activity_execution_outcome::Value as OutcomeValue;
use solo_proto::temporal::api::enums::v1::RetryState;
use solo_proto::temporal::api::failure::v1::Failure;

use crate::activity_failure::{ActivityFailure, FailureKind};
use crate::call_error::CallError;
use crate::converter::DataConverter;
use crate::outcome_error::OutcomeError;
use crate::rpc_error::RpcError;
use crate::value::DecodePayload;

/// Turns a closed activity's outcome into its result or the matching outcome error.
pub(crate) async fn outcome_to_result<O: DecodePayload>(
    outcome: &ActivityExecutionOutcome,
    converter: &DataConverter,
) -> Result<O, OutcomeError> {
    let retry_state = RetryState::try_from(outcome.retry_state).unwrap_or_default();
    match &outcome.value {
        Some(OutcomeValue::Result(payloads)) => {
            Ok(converter.decode_value_ref::<O>(payloads).await?)
        }
        Some(OutcomeValue::Failure(failure)) => {
            Err(failure_to_error(failure.clone(), retry_state, converter).await)
        }
        None => Err(OutcomeError::Call(CallError::Rejected(RpcError::new(
            tonic::Code::Internal,
            "the server reported an outcome with neither a result nor a failure",
        )))),
    }
}

/// Maps a terminal failure to the outcome error for its kind.
async fn failure_to_error(
    failure: Failure,
    retry_state: RetryState,
    converter: &DataConverter,
) -> OutcomeError {
    let failure = ActivityFailure::decode(failure, converter).await;
    match &failure.kind {
        FailureKind::Cancelled { details, .. } => OutcomeError::Cancelled {
            details: details.clone(),
            failure: Box::new(failure),
        },
        FailureKind::Terminated { identity } => OutcomeError::Terminated {
            reason: failure.message.clone(),
            identity: identity.clone(),
        },
        FailureKind::Timeout {
            timeout_type,
            last_heartbeat_details,
        } => OutcomeError::TimedOut {
            timeout_type: *timeout_type,
            last_heartbeat_details: last_heartbeat_details.clone(),
            failure: Box::new(failure),
        },
        _ => OutcomeError::Failed {
            failure: Box::new(failure),
            retry_state,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::to_payload;
    use solo_proto::temporal::api::common::v1::Payloads;
    use solo_proto::temporal::api::enums::v1::TimeoutType;
    use solo_proto::temporal::api::failure::v1 as pb;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn failed<O: DecodePayload + std::fmt::Debug>(info: pb::failure::FailureInfo) -> OutcomeError {
        let outcome = ActivityExecutionOutcome {
            retry_state: RetryState::NonRetryableFailure as i32,
            value: Some(OutcomeValue::Failure(Failure {
                message: "msg".into(),
                failure_info: Some(info),
                ..Default::default()
            })),
        };
        block_on(outcome_to_result::<O>(&outcome, &DataConverter::default())).unwrap_err()
    }

    #[test]
    fn results_decode_including_empty_and_null() {
        let dc = DataConverter::default();
        let ok = |payloads: Vec<_>| ActivityExecutionOutcome {
            retry_state: 0,
            value: Some(OutcomeValue::Result(Payloads { payloads })),
        };
        let s: String =
            block_on(outcome_to_result(&ok(vec![to_payload("hi").unwrap()]), &dc)).unwrap();
        assert_eq!(s, "hi");
        block_on(outcome_to_result::<()>(&ok(vec![]), &dc)).unwrap();
        let none: Option<u8> =
            block_on(outcome_to_result(&ok(vec![to_payload(&()).unwrap()]), &dc)).unwrap();
        assert_eq!(none, None);
        let err = block_on(outcome_to_result::<u8>(
            &ok(vec![to_payload("x").unwrap()]),
            &dc,
        ))
        .unwrap_err();
        assert!(matches!(err, OutcomeError::Data(_)));
    }

    #[test]
    fn failures_map_to_outcome_errors() {
        let err = failed::<String>(pb::failure::FailureInfo::ApplicationFailureInfo(
            pb::ApplicationFailureInfo {
                r#type: "Boom".into(),
                non_retryable: true,
                ..Default::default()
            },
        ));
        match &err {
            OutcomeError::Failed {
                failure,
                retry_state,
            } => {
                assert_eq!(failure.error_type(), Some("Boom"));
                assert_eq!(*retry_state, RetryState::NonRetryableFailure);
            }
            other => panic!("{other:?}"),
        }
        assert!(err.is_activity_outcome());
        assert!(err.to_string().contains("Boom: msg"), "{err}");

        let err = failed::<String>(pb::failure::FailureInfo::TimeoutFailureInfo(
            pb::TimeoutFailureInfo {
                timeout_type: TimeoutType::Heartbeat as i32,
                last_heartbeat_details: Some(Payloads {
                    payloads: vec![to_payload(&5).unwrap()],
                }),
            },
        ));
        match &err {
            OutcomeError::TimedOut {
                timeout_type,
                last_heartbeat_details,
                ..
            } => {
                assert_eq!(*timeout_type, TimeoutType::Heartbeat);
                assert_eq!(last_heartbeat_details.first::<i32>().unwrap(), Some(5));
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("Heartbeat"), "{err}");

        let err = failed::<String>(pb::failure::FailureInfo::CanceledFailureInfo(
            pb::CanceledFailureInfo {
                details: Some(Payloads {
                    payloads: vec![to_payload("why").unwrap()],
                }),
                identity: "me".into(),
            },
        ));
        assert!(
            matches!(&err, OutcomeError::Cancelled { details, .. } if details.first::<String>().unwrap().as_deref() == Some("why"))
        );

        let err = failed::<String>(pb::failure::FailureInfo::TerminatedFailureInfo(
            pb::TerminatedFailureInfo {
                identity: "ops".into(),
            },
        ));
        assert!(
            matches!(&err, OutcomeError::Terminated { reason, identity } if reason == "msg" && identity == "ops")
        );
        assert!(err.to_string().contains("terminated: msg"), "{err}");
    }
}
