//! From a failed call's gRPC status to the most specific error for what the call was about:
//! the one place a `tonic::Status` becomes a client error.

use prost::Message;
use solo_proto::google::rpc::Status as RpcStatus;
use solo_proto::temporal::api::errordetails::v1::{
    ActivityExecutionAlreadyStartedFailure, NamespaceNotFoundFailure,
};
use tonic::Code;

use crate::async_completion_error::AsyncCompletionError;
use crate::call_error::CallError;
use crate::rpc_error::RpcError;
use crate::start_error::StartError;

/// What a failed call was about (besides its namespace), so its status can become the most
/// specific [`CallError`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target<'a> {
    /// A namespace-level call (describe namespace).
    Namespace,
    /// A call about one activity.
    Activity {
        activity_id: &'a str,
        run_id: Option<&'a str>,
    },
    /// A list or count query.
    Query { query: &'a str },
}

const ALREADY_STARTED_TYPE: &str =
    "temporal.api.errordetails.v1.ActivityExecutionAlreadyStartedFailure";
const NAMESPACE_NOT_FOUND_TYPE: &str = "temporal.api.errordetails.v1.NamespaceNotFoundFailure";

/// The typed detail messages of a status (`grpc-status-details-bin`), when they decode.
fn status_details(status: &tonic::Status) -> Vec<prost_types::Any> {
    if status.details().is_empty() {
        return Vec::new();
    }
    match RpcStatus::decode(status.details()) {
        Ok(s) => s.details,
        Err(e) => {
            tracing::debug!(error = %e, "undecodable grpc-status-details-bin");
            Vec::new()
        }
    }
}

fn find_detail<M: Message + Default>(details: &[prost_types::Any], type_name: &str) -> Option<M> {
    details
        .iter()
        .find(|any| {
            any.type_url
                .rsplit('/')
                .next()
                .is_some_and(|name| name == type_name)
        })
        .and_then(|any| M::decode(any.value.as_slice()).ok())
}

/// Turns a failed call's status into the most specific [`CallError`] for what it was about.
pub(crate) fn call_error(status: tonic::Status, namespace: &str, target: Target<'_>) -> CallError {
    match (status.code(), target) {
        (Code::NotFound, _) => {
            let missing_ns: Option<NamespaceNotFoundFailure> =
                find_detail(&status_details(&status), NAMESPACE_NOT_FOUND_TYPE);
            if let Some(missing) = missing_ns {
                let namespace = if missing.namespace.is_empty() {
                    namespace.to_owned()
                } else {
                    missing.namespace
                };
                return CallError::NamespaceNotFound { namespace };
            }
            match target {
                Target::Activity {
                    activity_id,
                    run_id,
                } => {
                    return CallError::NotFound {
                        namespace: namespace.to_owned(),
                        activity_id: activity_id.to_owned(),
                        run_id: run_id.map(str::to_owned),
                        message: status.message().to_owned(),
                    };
                }
                Target::Namespace => {
                    return CallError::NamespaceNotFound {
                        namespace: namespace.to_owned(),
                    };
                }
                Target::Query { .. } => {}
            }
        }
        (Code::InvalidArgument, Target::Query { query }) => {
            return CallError::InvalidQuery {
                query: query.to_owned(),
                message: status.message().to_owned(),
            };
        }
        _ => {}
    }
    let rpc = RpcError::from_status(&status);
    if solo_connect::is_incomplete(&status) {
        CallError::Transport(rpc)
    } else {
        CallError::Rejected(rpc)
    }
}

/// The run a start with `request_id` created, when `status` refuses a start because that very
/// request already started it (a retry whose first attempt reached the server).
pub(crate) fn started_by(status: &tonic::Status, request_id: &str) -> Option<String> {
    if status.code() != Code::AlreadyExists || request_id.is_empty() {
        return None;
    }
    let existing: ActivityExecutionAlreadyStartedFailure =
        find_detail(&status_details(status), ALREADY_STARTED_TYPE)?;
    (existing.start_request_id == request_id && !existing.run_id.is_empty())
        .then_some(existing.run_id)
}

/// Turns a failed start's status into a [`StartError`]: the id is taken, or the call failed.
pub(crate) fn start_error(status: tonic::Status, namespace: &str, activity_id: &str) -> StartError {
    if status.code() == Code::AlreadyExists {
        let existing: Option<ActivityExecutionAlreadyStartedFailure> =
            find_detail(&status_details(&status), ALREADY_STARTED_TYPE);
        if let Some(existing) = existing {
            return StartError::AlreadyStarted {
                activity_id: activity_id.to_owned(),
                run_id: Some(existing.run_id).filter(|r| !r.is_empty()),
            };
        }
    }
    let target = Target::Activity {
        activity_id,
        run_id: None,
    };
    StartError::Call(call_error(status, namespace, target))
}

/// Turns a failed async-completion call's status into an [`AsyncCompletionError`]: the
/// attempt is not running, the task token is unreadable, a cancellation was reported without
/// a cancel request, or the call failed. `activity` names the activity for the error message;
/// `rpc` is the method called.
pub(crate) fn async_completion_error(
    status: tonic::Status,
    namespace: &str,
    activity: &str,
    rpc: &str,
    by_token: bool,
) -> AsyncCompletionError {
    let not_running = || AsyncCompletionError::NotRunning {
        activity: activity.to_owned(),
        namespace: namespace.to_owned(),
        message: status.message().to_owned(),
    };
    match status.code() {
        Code::NotFound => {
            let missing_ns: Option<NamespaceNotFoundFailure> =
                find_detail(&status_details(&status), NAMESPACE_NOT_FOUND_TYPE);
            if missing_ns.is_none() {
                return not_running();
            }
        }
        // Completing a closed standalone activity by id (Server 1.32).
        Code::FailedPrecondition if status.message().starts_with("invalid transition from") => {
            return not_running();
        }
        Code::InvalidArgument
            if rpc.starts_with("RespondActivityTaskCanceled")
                && status.message().contains("request canceled") =>
        {
            return AsyncCompletionError::CancelNotRequested {
                message: status.message().to_owned(),
            };
        }
        Code::InvalidArgument
            if by_token && status.message().to_ascii_lowercase().contains("token") =>
        {
            return AsyncCompletionError::InvalidTaskToken {
                message: status.message().to_owned(),
            };
        }
        _ => {}
    }
    AsyncCompletionError::Call(call_error(status, namespace, Target::Namespace))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any<M: Message>(type_name: &str, m: &M) -> prost_types::Any {
        prost_types::Any {
            type_url: format!("type.googleapis.com/{type_name}"),
            value: m.encode_to_vec(),
        }
    }

    fn status_with(code: Code, message: &str, details: Vec<prost_types::Any>) -> tonic::Status {
        let rpc = RpcStatus {
            code: code as i32,
            message: message.into(),
            details,
        };
        tonic::Status::with_details(code, message, rpc.encode_to_vec().into())
    }

    const NS: &str = "default";

    #[test]
    fn a_start_refused_for_its_own_request_id_is_its_run() {
        let detail = |request_id: &str| {
            any(
                ALREADY_STARTED_TYPE,
                &ActivityExecutionAlreadyStartedFailure {
                    start_request_id: request_id.into(),
                    run_id: "run-1".into(),
                },
            )
        };
        let mine = status_with(Code::AlreadyExists, "started", vec![detail("req-1")]);
        assert_eq!(started_by(&mine, "req-1").as_deref(), Some("run-1"));
        let theirs = status_with(Code::AlreadyExists, "started", vec![detail("req-2")]);
        assert_eq!(started_by(&theirs, "req-1"), None);
        assert!(matches!(
            start_error(theirs, NS, "a"),
            StartError::AlreadyStarted { .. }
        ));
        assert_eq!(started_by(&mine, ""), None);
        let other = status_with(Code::Unavailable, "down", vec![detail("req-1")]);
        assert_eq!(started_by(&other, "req-1"), None);
    }

    const ACT: Target<'static> = Target::Activity {
        activity_id: "a-1",
        run_id: None,
    };

    #[test]
    fn already_exists_carries_the_existing_run_id() {
        let detail = ActivityExecutionAlreadyStartedFailure {
            start_request_id: "req".into(),
            run_id: "run-9".into(),
        };
        let status = status_with(
            Code::AlreadyExists,
            "activity execution already started",
            vec![any(ALREADY_STARTED_TYPE, &detail)],
        );
        let err = start_error(status, NS, "a-1");
        match &err {
            StartError::AlreadyStarted {
                activity_id,
                run_id,
            } => {
                assert_eq!(activity_id, "a-1");
                assert_eq!(run_id.as_deref(), Some("run-9"));
            }
            other => panic!("{other:?}"),
        }
        assert!(err.is_already_started());
        let text = err.to_string();
        assert!(text.contains("a-1") && text.contains("run-9"), "{text}");
        assert!(text.contains("UseExisting"), "{text}");
    }

    #[test]
    fn already_exists_without_detail_is_a_rejection() {
        let err = start_error(tonic::Status::already_exists("exists"), NS, "a-1");
        assert!(
            matches!(&err, StartError::Call(CallError::Rejected(e)) if e.code() == Code::AlreadyExists)
        );
    }

    #[test]
    fn not_found_names_activity_or_namespace() {
        let err = call_error(
            tonic::Status::not_found("activity not found for ID: a-1"),
            NS,
            ACT,
        );
        assert!(matches!(err, CallError::NotFound { ref activity_id, .. } if activity_id == "a-1"));
        assert!(err.is_not_found());
        assert!(
            err.to_string().contains("activity not found for ID"),
            "{err}"
        );

        let detail = NamespaceNotFoundFailure {
            namespace: "nope".into(),
        };
        let status = status_with(
            Code::NotFound,
            "Namespace nope is not found.",
            vec![any(NAMESPACE_NOT_FOUND_TYPE, &detail)],
        );
        let err = call_error(status, NS, ACT);
        assert!(
            matches!(err, CallError::NamespaceNotFound { ref namespace } if namespace == "nope")
        );
    }

    #[test]
    fn invalid_queries_keep_the_server_message_and_hint_at_execution_status() {
        let target = Target::Query {
            query: "Status = 'Running'",
        };
        let err = call_error(
            tonic::Status::invalid_argument("invalid query: unknown field Status"),
            NS,
            target,
        );
        let text = err.to_string();
        assert!(matches!(err, CallError::InvalidQuery { .. }));
        assert!(text.contains("unknown field Status"), "{text}");
        assert!(text.contains("ExecutionStatus"), "{text}");
        let ok = Target::Query {
            query: "ExecutionStatus = 'Bogus'",
        };
        let text = call_error(tonic::Status::invalid_argument("bad value"), NS, ok).to_string();
        assert!(!text.contains("not `Status`"), "{text}");
    }

    #[test]
    fn transport_and_rejections_are_told_apart_without_status_debug_text() {
        let err = call_error(tonic::Status::unavailable("connection refused"), NS, ACT);
        assert!(matches!(err, CallError::Transport(_)));
        assert!(err.is_retryable());
        let err = call_error(
            tonic::Status::unimplemented("Standalone activity is disabled"),
            NS,
            ACT,
        );
        let text = err.to_string();
        assert!(matches!(err, CallError::Rejected(ref e) if e.code() == Code::Unimplemented));
        assert!(text.contains("UNIMPLEMENTED"), "{text}");
        assert!(text.contains("activity.enableStandalone"), "{text}");
        assert!(!text.contains("Status {"), "{text}");
        assert!(!err.is_retryable());
    }

    #[test]
    fn async_completion_errors_name_the_attempt_or_the_token() {
        const HB: &str = "RecordActivityTaskHeartbeatById";
        let err = async_completion_error(
            tonic::Status::not_found("activity not found"),
            NS,
            "activity `a-1`",
            HB,
            false,
        );
        assert!(
            matches!(&err, AsyncCompletionError::NotRunning { activity, .. } if activity == "activity `a-1`")
        );
        assert!(err.is_not_running());
        let text = err.to_string();
        assert!(
            text.contains("activity `a-1`") && text.contains("activity not found"),
            "{text}"
        );
        let closed = async_completion_error(
            tonic::Status::failed_precondition("invalid transition from Completed"),
            NS,
            "a",
            "RespondActivityTaskCompletedById",
            false,
        );
        assert!(closed.is_not_running(), "{closed:?}");

        let detail = NamespaceNotFoundFailure {
            namespace: "nope".into(),
        };
        let status = status_with(
            Code::NotFound,
            "Namespace nope is not found.",
            vec![any(NAMESPACE_NOT_FOUND_TYPE, &detail)],
        );
        let err = async_completion_error(status, NS, "activity `a-1`", HB, false);
        assert!(matches!(
            err,
            AsyncCompletionError::Call(CallError::NamespaceNotFound { .. })
        ));

        let bad_token = tonic::Status::invalid_argument("Error deserializing task token");
        assert!(matches!(
            async_completion_error(
                bad_token.clone(),
                NS,
                "t",
                "RecordActivityTaskHeartbeat",
                true
            ),
            AsyncCompletionError::InvalidTaskToken { .. }
        ));
        assert!(matches!(
            async_completion_error(bad_token, NS, "a", HB, false),
            AsyncCompletionError::Call(CallError::Rejected(_))
        ));
        let early = tonic::Status::invalid_argument(
            "unable to mark activity as canceled without activity being request canceled first",
        );
        assert!(matches!(
            async_completion_error(early, NS, "a", "RespondActivityTaskCanceled", true),
            AsyncCompletionError::CancelNotRequested { .. }
        ));
        let down = async_completion_error(tonic::Status::unavailable("down"), NS, "a", HB, false);
        assert!(matches!(
            down,
            AsyncCompletionError::Call(CallError::Transport(_))
        ));
        assert!(down.is_retryable());
    }

    #[test]
    fn garbage_details_are_ignored() {
        let status = tonic::Status::with_details(
            Code::AlreadyExists,
            "exists",
            bytes::Bytes::from_static(b"\xff\xff\xff"),
        );
        assert!(matches!(
            start_error(status, NS, "a-1"),
            StartError::Call(CallError::Rejected(_))
        ));
    }
}
