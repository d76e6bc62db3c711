//! [`RpcError`]: a failed call's gRPC code and the server's message, without `tonic::Status`
//! in the public API.

use std::fmt;

use solo_connect::__private::code_name;
use tonic::Code;

/// A gRPC error returned by the Temporal server: its code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcError {
    code: Code,
    message: String,
}

impl RpcError {
    /// An error with this code and message.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
        }
    }

    /// The gRPC status code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The server's message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        solo_connect::code_policy(self.code).transient
    }

    pub(crate) fn from_status(status: &tonic::Status) -> Self {
        let mut message = status.message().to_owned();
        if let Some(source) = std::error::Error::source(status) {
            let source = source.to_string();
            if !message.contains(&source) {
                if !message.is_empty() {
                    message.push_str(": ");
                }
                message.push_str(&source);
            }
        }
        RpcError {
            code: status.code(),
            message,
        }
    }

    fn hint(&self) -> &'static str {
        match self.code {
            Code::Unimplemented if self.message.contains("tandalone activit") => {
                "; enable Standalone Activities on the server (dynamic config \
                 activity.enableStandalone=true on Temporal Server 1.31) or use a server \
                 that has them on (Temporal CLI 1.9.1 or newer)"
            }
            Code::Unauthenticated | Code::PermissionDenied => {
                "; check the API key or client certificate and the namespace it grants"
            }
            _ => "",
        }
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", code_name(self.code))?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        f.write_str(self.hint())
    }
}

impl std::error::Error for RpcError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_codes_come_from_the_connections_table() {
        assert!(RpcError::new(Code::Unavailable, "down").is_retryable());
        assert!(RpcError::new(Code::ResourceExhausted, "busy").is_retryable());
        assert!(!RpcError::new(Code::InvalidArgument, "bad").is_retryable());
        assert!(!RpcError::new(Code::Internal, "oops").is_retryable());
    }

    #[test]
    fn display_is_code_message_and_hint() {
        let e = RpcError::new(Code::PermissionDenied, "no access");
        assert_eq!(
            e.to_string(),
            "PERMISSION_DENIED: no access; check the API key or client certificate and the namespace it grants"
        );
        assert_eq!(RpcError::new(Code::Aborted, "").to_string(), "ABORTED");
    }
}
