//! What solo does with each gRPC status code: one table, read by the connection's retry
//! layer, the client's error predicates and the worker's pollers.

use tonic::Code;

/// How solo treats one gRPC status code (see [`code_policy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CodePolicy {
    /// The connection's retry layer sends the call again after a backoff (within the retry
    /// budget). `RESOURCE_EXHAUSTED` for a message that is too large is the one exception,
    /// decided from the message.
    pub retried: bool,
    /// The same call may succeed if tried again later: what the client errors'
    /// `is_retryable()` answer.
    pub transient: bool,
    /// The call did not complete: the server may never have seen it (a transport failure
    /// surfaces as one of these codes, or as `UNKNOWN` with a transport cause).
    pub incomplete: bool,
    /// A long poll that fails with it cannot succeed by waiting (credentials, configuration,
    /// a server without the feature): a worker stops instead of polling again.
    pub fatal_for_polls: bool,
}

/// The policy for `code`.
///
/// | code | retried | transient | incomplete | fatal for polls |
/// |---|---|---|---|---|
/// | `UNAVAILABLE` | yes | yes | yes | |
/// | `RESOURCE_EXHAUSTED` | yes (longer backoff) | yes | | |
/// | `ABORTED` | yes | yes | | |
/// | `INTERNAL`, `UNKNOWN`, `DATA_LOSS`, `OUT_OF_RANGE` | yes | | | |
/// | `DEADLINE_EXCEEDED`, `CANCELLED` | | yes | yes | |
/// | `UNAUTHENTICATED`, `PERMISSION_DENIED`, `INVALID_ARGUMENT`, `UNIMPLEMENTED`, `NOT_FOUND` | | | | yes |
/// | every other code | | | | |
///
/// ```
/// use solo_connect::code_policy;
/// use tonic::Code;
///
/// assert!(code_policy(Code::Unavailable).retried);
/// assert!(!code_policy(Code::InvalidArgument).retried);
/// assert!(code_policy(Code::PermissionDenied).fatal_for_polls);
/// ```
pub const fn code_policy(code: Code) -> CodePolicy {
    const fn policy(
        retried: bool,
        transient: bool,
        incomplete: bool,
        fatal_for_polls: bool,
    ) -> CodePolicy {
        CodePolicy {
            retried,
            transient,
            incomplete,
            fatal_for_polls,
        }
    }
    match code {
        Code::Unavailable => policy(true, true, true, false),
        Code::ResourceExhausted | Code::Aborted => policy(true, true, false, false),
        Code::Internal | Code::Unknown | Code::DataLoss | Code::OutOfRange => {
            policy(true, false, false, false)
        }
        Code::DeadlineExceeded | Code::Cancelled => policy(false, true, true, false),
        Code::Unauthenticated
        | Code::PermissionDenied
        | Code::InvalidArgument
        | Code::Unimplemented
        | Code::NotFound => policy(false, false, false, true),
        Code::Ok | Code::AlreadyExists | Code::FailedPrecondition => {
            policy(false, false, false, false)
        }
    }
}

/// Whether a failed call did not complete: its code says so, or it is `UNKNOWN` with a
/// transport error as its cause (how tonic reports a broken connection).
pub fn is_incomplete(status: &tonic::Status) -> bool {
    code_policy(status.code()).incomplete
        || (status.code() == Code::Unknown && std::error::Error::source(status).is_some())
}

/// Messages of `RESOURCE_EXHAUSTED` errors that mean "too large", which retrying cannot fix.
const TOO_LARGE: &[&str] = &[
    "grpc: received message larger than max",
    "grpc: message after decompression larger than max",
    "grpc: received message after decompression larger than max",
];

/// Whether the retry layer sends a call that ended with `code` and `message` again.
pub(crate) fn is_retried(code: Code, message: &str) -> bool {
    code_policy(code).retried
        && !(code == Code::ResourceExhausted && TOO_LARGE.iter().any(|m| message.starts_with(m)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Code; 17] = [
        Code::Ok,
        Code::Cancelled,
        Code::Unknown,
        Code::InvalidArgument,
        Code::DeadlineExceeded,
        Code::NotFound,
        Code::AlreadyExists,
        Code::PermissionDenied,
        Code::ResourceExhausted,
        Code::FailedPrecondition,
        Code::Aborted,
        Code::OutOfRange,
        Code::Unimplemented,
        Code::Internal,
        Code::Unavailable,
        Code::DataLoss,
        Code::Unauthenticated,
    ];

    fn codes(pick: impl Fn(CodePolicy) -> bool) -> Vec<Code> {
        ALL.into_iter().filter(|c| pick(code_policy(*c))).collect()
    }

    #[test]
    fn each_column_lists_its_codes() {
        use Code::*;
        assert_eq!(
            codes(|p| p.retried),
            [
                Unknown,
                ResourceExhausted,
                Aborted,
                OutOfRange,
                Internal,
                Unavailable,
                DataLoss
            ]
        );
        assert_eq!(
            codes(|p| p.transient),
            [
                Cancelled,
                DeadlineExceeded,
                ResourceExhausted,
                Aborted,
                Unavailable
            ]
        );
        assert_eq!(
            codes(|p| p.incomplete),
            [Cancelled, DeadlineExceeded, Unavailable]
        );
        assert_eq!(
            codes(|p| p.fatal_for_polls),
            [
                InvalidArgument,
                NotFound,
                PermissionDenied,
                Unimplemented,
                Unauthenticated
            ]
        );
    }

    #[test]
    fn too_large_is_not_retried() {
        assert!(is_retried(Code::ResourceExhausted, "namespace rps limit"));
        assert!(!is_retried(
            Code::ResourceExhausted,
            "grpc: received message larger than max (5 vs. 4)"
        ));
        assert!(!is_retried(Code::NotFound, ""));
    }

    #[test]
    fn unknown_with_a_transport_cause_is_incomplete() {
        assert!(is_incomplete(&tonic::Status::unavailable("down")));
        assert!(!is_incomplete(&tonic::Status::unknown("odd")));
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        let broken = tonic::Status::from_error(Box::new(io));
        assert_eq!(broken.code(), Code::Unknown);
        assert!(is_incomplete(&broken));
    }
}
