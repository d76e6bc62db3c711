//! gRPC status handling shared by the layers: reading the status of a buffered response and
//! making a status-only response.

use http::HeaderMap;
use tonic::body::Body;
use tonic::{Code, Status};

/// The gRPC outcome of a buffered response, attached to it as an extension by the deadline
/// layer so that outer layers need not parse trailers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CallStatus {
    pub(crate) code: Code,
    pub(crate) message: String,
}

/// The `grpc-status` header's name, made once (a name from a string is parsed at every use).
const GRPC_STATUS: http::HeaderName = http::HeaderName::from_static("grpc-status");

impl CallStatus {
    /// Reads the status from the headers (a trailers-only response) or the trailers.
    /// A response without any `grpc-status` has `Unknown` status, as gRPC clients treat it.
    pub(crate) fn read(headers: &HeaderMap, trailers: Option<&HeaderMap>) -> Self {
        // The common case, OK, is read from the code alone: building a `Status` allocates.
        let code = |map: &HeaderMap| map.get(GRPC_STATUS).map(|v| Code::from_bytes(v.as_bytes()));
        if code(headers).or_else(|| trailers.and_then(code)) == Some(Code::Ok) {
            return Self {
                code: Code::Ok,
                message: String::new(),
            };
        }
        let status =
            Status::from_header_map(headers).or_else(|| trailers.and_then(Status::from_header_map));
        match status {
            Some(s) => Self {
                code: s.code(),
                message: s.message().to_owned(),
            },
            None => Self {
                code: Code::Unknown,
                message: "the response has no grpc-status".to_owned(),
            },
        }
    }
}

/// A trailers-only gRPC response carrying `code` and `message`.
pub(crate) fn response(code: Code, message: impl Into<String>) -> http::Response<Body> {
    let message = message.into();
    let mut response: http::Response<Body> = Status::new(code, message.clone()).into_http();
    response
        .extensions_mut()
        .insert(CallStatus { code, message });
    response
}

/// The upper-case name of a gRPC code, as the gRPC spec and the other Temporal SDKs print it
/// (and as the `status_code` metric attribute carries it).
///
/// ```
/// assert_eq!(solo_connect::__private::code_name(tonic::Code::NotFound), "NOT_FOUND");
/// ```
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// The deepest message of an error's source chain: usually the one that says what happened
/// ("Connection refused"), where the outer ones say where ("transport error").
pub(crate) fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    let text = current.to_string();
    let text = match text.find(" (os error") {
        Some(i) => text[..i].to_owned(),
        None => text,
    };
    text.lines().next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_comes_from_headers_or_trailers() {
        let ok = response(Code::Ok, "");
        assert_eq!(CallStatus::read(ok.headers(), None).code, Code::Ok);

        let mut trailers = HeaderMap::new();
        trailers.insert("grpc-status", "14".parse().unwrap());
        trailers.insert("grpc-message", "try%20again".parse().unwrap());
        let status = CallStatus::read(&HeaderMap::new(), Some(&trailers));
        assert_eq!(status.code, Code::Unavailable);
        assert_eq!(status.message, "try again");

        assert_eq!(
            CallStatus::read(&HeaderMap::new(), None).code,
            Code::Unknown
        );
    }

    #[test]
    fn root_cause_is_the_innermost_message() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("transport error")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        assert_eq!(root_cause(&Outer(io)), "refused");
    }
}
