//! [`ClientOptions`]: what a [`Client`](crate::Client) binds a connection to.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::converter::DataConverter;
use crate::interceptor::ClientInterceptor;

/// Settings for [`Client::new`](crate::Client::new): namespace, identity, data converter and interceptors.
///
/// ```
/// use solo_client::{ClientOptions, DataConverter};
///
/// let options = ClientOptions::new()
///     .namespace("orders")
///     .identity("checkout-service")
///     .data_converter(DataConverter::default());
/// # let _ = options;
/// ```
#[derive(Clone, Default)]
pub struct ClientOptions {
    pub(crate) namespace: Option<String>,
    pub(crate) identity: Option<String>,
    pub(crate) data_converter: DataConverter,
    pub(crate) interceptors: Vec<Arc<dyn ClientInterceptor>>,
    pub(crate) long_poll_timeout: Option<Duration>,
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("namespace", &self.namespace)
            .field("identity", &self.identity)
            .field("data_converter", &self.data_converter)
            .field("interceptors", &self.interceptors.len())
            .field("long_poll_timeout", &self.long_poll_timeout)
            .finish()
    }
}

impl ClientOptions {
    /// Options with every default.
    pub fn new() -> Self {
        ClientOptions::default()
    }

    /// Sets the namespace (default: the connection's namespace).
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Sets the identity recorded with the calls that change an activity (default
    /// `<pid>@<hostname>`, as the other SDKs do).
    pub fn identity(mut self, identity: impl Into<String>) -> Self {
        self.identity = Some(identity.into());
        self
    }

    /// Sets the data converter for inputs, results and details (default: the standard
    /// converter without codec).
    pub fn data_converter(mut self, converter: DataConverter) -> Self {
        self.data_converter = converter;
        self
    }

    /// Adds an interceptor: an owned one or a shared one (`Arc<I>`, `Arc<dyn
    /// ClientInterceptor>`). Interceptors run in the order they were added (default none).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use solo_client::{ClientInterceptor, ClientOptions};
    ///
    /// struct Audit;
    /// impl ClientInterceptor for Audit {}
    ///
    /// let shared: Arc<dyn ClientInterceptor> = Arc::new(Audit);
    /// let options = ClientOptions::new().interceptor(Audit).interceptor(shared.clone());
    /// # let _ = options;
    /// ```
    pub fn interceptor(mut self, interceptor: impl ClientInterceptor) -> Self {
        self.interceptors.push(Arc::new(interceptor));
        self
    }

    /// Sets the deadline of each long-poll call made while waiting for a result or watching
    /// an activity (default: the connection's long-poll timeout, 70 s unless configured).
    /// Waiting itself has no limit: every expired long poll is simply sent again.
    pub fn long_poll_timeout(mut self, timeout: Duration) -> Self {
        self.long_poll_timeout = Some(timeout);
        self
    }
}

/// The default identity: `<pid>@<hostname>`.
pub fn default_identity() -> String {
    format!(
        "{}@{}",
        std::process::id(),
        solo_connect::__private::hostname()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_identity_is_pid_at_host() {
        let identity = default_identity();
        let (pid, host) = identity.split_once('@').unwrap();
        assert_eq!(pid, std::process::id().to_string());
        assert!(!host.is_empty());
    }
}
