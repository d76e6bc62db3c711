//! [`CallOptions`]: an RPC deadline and gRPC metadata for the calls of one
//! [`Client`](crate::Client) or [`ActivityHandle`](crate::ActivityHandle) value.

use std::fmt;
use std::time::Duration;

use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue, MetadataMap};

/// Settings for individual calls: a deadline and extra gRPC metadata (headers).
///
/// Give them to [`Client::with_call_options`](crate::Client::with_call_options) or
/// [`ActivityHandle::with_call_options`](crate::ActivityHandle::with_call_options); the
/// returned value makes every call with them, the original is unchanged.
///
/// - The timeout is the deadline of each attempt of each call (sent as `grpc-timeout`),
///   replacing the connection's RPC timeout, or its long-poll timeout for the polls of
///   [`result`](crate::ActivityHandle::result) and [`watch`](crate::ActivityHandle::watch).
///   Retries still follow the connection's retry settings.
/// - Each header is sent with the call and wins over a connection header of the same name
///   (an interceptor that sets the same header wins over it).
///
/// A worker built on a client with call options does not use them for its own calls.
///
/// ```
/// use solo_client::CallOptions;
/// use std::time::Duration;
///
/// let options = CallOptions::new()
///     .timeout(Duration::from_secs(5))
///     .header("x-request-source", "billing")?;
/// assert_eq!(options.get_timeout(), Some(Duration::from_secs(5)));
/// assert_eq!(options.get_header("x-request-source"), Some("billing"));
/// # Ok::<(), solo_client::InvalidHeader>(())
/// ```
#[derive(Clone, Default)]
pub struct CallOptions {
    timeout: Option<Duration>,
    metadata: MetadataMap,
}

impl fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self
            .metadata
            .keys()
            .map(|key| match key {
                tonic::metadata::KeyRef::Ascii(k) => k.as_str(),
                tonic::metadata::KeyRef::Binary(k) => k.as_str(),
            })
            .collect();
        f.debug_struct("CallOptions")
            .field("timeout", &self.timeout)
            .field("headers", &names)
            .finish()
    }
}

/// A header given to [`CallOptions::header`] cannot be sent as gRPC metadata.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the call header `{name}` cannot be sent: {reason}")]
pub struct InvalidHeader {
    /// The header name as given.
    pub name: String,
    /// What is wrong, and how to fix it.
    pub reason: String,
}

impl CallOptions {
    /// No timeout of its own (the connection's applies) and no extra headers.
    pub fn new() -> Self {
        CallOptions::default()
    }

    /// Sets the deadline of each attempt of each call.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Adds a text header (replacing an earlier one with the same name).
    ///
    /// # Errors
    /// [`InvalidHeader`] when the name is not a valid lower-case-able header name, is
    /// reserved (`grpc-…`), is a binary (`…-bin`) header, or the value is not visible ASCII.
    pub fn header(
        mut self,
        name: impl AsRef<str>,
        value: impl AsRef<str>,
    ) -> Result<Self, InvalidHeader> {
        let (name, value) = (name.as_ref(), value.as_ref());
        let invalid = |reason: &str| InvalidHeader {
            name: name.to_owned(),
            reason: reason.to_owned(),
        };
        let key = AsciiMetadataKey::from_bytes(name.as_bytes()).map_err(|_| {
            invalid("not a valid header name; use letters, digits and `-`, e.g. x-team")
        })?;
        if key.as_str().starts_with("grpc-") {
            return Err(invalid(
                "names starting with grpc- are reserved by gRPC; use CallOptions::timeout for the deadline",
            ));
        }
        if key.as_str().ends_with("-bin") {
            return Err(invalid(
                "binary (-bin) headers are not supported; send text metadata",
            ));
        }
        let value = AsciiMetadataValue::try_from(value)
            .map_err(|_| invalid("the value must be visible ASCII without line breaks"))?;
        self.metadata.insert(key, value);
        Ok(self)
    }

    /// The deadline of each attempt, when one is set.
    pub fn get_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The value of header `name`, when set.
    pub fn get_header(&self, name: &str) -> Option<&str> {
        self.metadata.get(name).and_then(|v| v.to_str().ok())
    }

    /// Puts the timeout and the headers on `request`; a header the request already carries
    /// (set by an interceptor) is kept.
    pub(crate) fn apply<M>(&self, request: &mut tonic::Request<M>) {
        if let Some(timeout) = self.timeout {
            request.set_timeout(timeout);
        }
        for entry in self.metadata.iter() {
            if let tonic::metadata::KeyAndValueRef::Ascii(key, value) = entry
                && !request.metadata().contains_key(key)
            {
                request.metadata_mut().insert(key.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_headers_are_refused_with_a_reason() {
        for (name, value) in [
            ("bad name", "v"),
            ("grpc-timeout", "1S"),
            ("x-data-bin", "v"),
            ("x-ok", "line\nbreak"),
        ] {
            let err = CallOptions::new().header(name, value).unwrap_err();
            assert_eq!(err.name, name);
            assert!(!err.reason.is_empty());
        }
    }

    #[test]
    fn apply_sets_the_deadline_and_the_headers() {
        let options = CallOptions::new()
            .timeout(Duration::from_millis(1500))
            .header("x-team", "a")
            .unwrap()
            .header("x-team", "b")
            .unwrap();
        let mut request = tonic::Request::new(());
        options.apply(&mut request);
        assert_eq!(request.metadata().get("x-team").unwrap(), "b");
        assert_eq!(request.metadata().get_all("x-team").iter().count(), 1);
        assert_eq!(request.metadata().get("grpc-timeout").unwrap(), "1500000u");
        assert!(format!("{options:?}").contains("x-team"));

        let mut set_by_interceptor = tonic::Request::new(());
        set_by_interceptor
            .metadata_mut()
            .insert("x-team", "interceptor".parse().unwrap());
        options.apply(&mut set_by_interceptor);
        assert_eq!(
            set_by_interceptor.metadata().get("x-team").unwrap(),
            "interceptor"
        );
    }
}
