//! The namespace of a call: the `temporal-namespace` header and the [`CallNamespace`] request
//! extension that sets it for one call.

use http::HeaderValue;

use crate::error::ConnectError;

/// The header that names the namespace of a call.
pub(crate) const NAMESPACE_HEADER: &str = "temporal-namespace";

/// A request extension naming the namespace of one call, when it is not the connection's.
///
/// The connection's metadata layer sends it as the `temporal-namespace` header (a header the
/// caller set on the request itself still wins). The value is checked and encoded once, so
/// attaching it to each request costs a reference-count increment.
///
/// ```
/// use solo_connect::CallNamespace;
///
/// let namespace = CallNamespace::new("payments")?;
/// let mut request = tonic::Request::new(());
/// request.extensions_mut().insert(namespace);
/// # Ok::<(), solo_connect::ConnectError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallNamespace(HeaderValue);

impl CallNamespace {
    /// The extension for `namespace`.
    ///
    /// # Errors
    /// [`ConnectError::InvalidHeader`] when the namespace is not visible ASCII (gRPC metadata
    /// cannot carry it).
    pub fn new(namespace: &str) -> Result<Self, ConnectError> {
        header_value(namespace).map(Self)
    }

    /// The namespace.
    pub fn as_str(&self) -> &str {
        // Built from a `&str` of visible ASCII, so always valid UTF-8.
        self.0.to_str().unwrap_or_default()
    }

    pub(crate) fn header_value(&self) -> &HeaderValue {
        &self.0
    }
}

/// The header value for `namespace`, or an error that names the problem and the fix.
pub(crate) fn header_value(namespace: &str) -> Result<HeaderValue, ConnectError> {
    let visible_ascii =
        !namespace.is_empty() && namespace.bytes().all(|b| (0x20..0x7f).contains(&b));
    visible_ascii
        .then(|| HeaderValue::from_str(namespace).ok())
        .flatten()
        .ok_or_else(|| ConnectError::InvalidHeader {
            name: NAMESPACE_HEADER.to_owned(),
            reason: format!(
                "the namespace `{}` cannot be sent: a namespace must be non-empty visible ASCII; use the namespace's exact name, e.g. default",
                namespace.escape_default()
            ),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_the_name_once() {
        assert_eq!(CallNamespace::new("payments").unwrap().as_str(), "payments");
        let err = CallNamespace::new("zürich").unwrap_err().to_string();
        assert!(err.contains("visible ASCII"), "{err}");
        assert!(CallNamespace::new("").is_err());
    }
}
