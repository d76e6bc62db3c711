//! Client interceptors: hooks that see (and may change) what the client sends.
//!
//! An interceptor is registered with [`ClientOptions::interceptor`](crate::ClientOptions::interceptor)
//! and runs, in registration order, on every call the client makes. Typical uses are adding
//! gRPC metadata (an auth token from a vault, a tenant id) and propagating context to the
//! worker through activity headers (trace ids).

use std::sync::Arc;

use solo_proto::temporal::api::workflowservice::v1::StartActivityExecutionRequest;
use tonic::metadata::MetadataMap;

/// A hook on the client's outgoing calls. Every method has a default that does nothing.
///
/// ```
/// use solo_client::{ClientInterceptor, ClientOptions};
/// use solo_proto::temporal::api::workflowservice::v1::StartActivityExecutionRequest;
/// use tonic::metadata::MetadataMap;
///
/// /// Sends the tenant with every call and tells the worker about it in a header.
/// struct Tenant(&'static str);
///
/// impl ClientInterceptor for Tenant {
///     fn on_call(&self, _method: &str, metadata: &mut MetadataMap) {
///         metadata.insert("x-tenant", tonic::metadata::MetadataValue::from_static(self.0));
///     }
///
///     fn on_start_activity(&self, request: &mut StartActivityExecutionRequest, _metadata: &mut MetadataMap) {
///         if let Ok(payload) = solo_client::to_payload(self.0) {
///             request.header.get_or_insert_default().fields.insert("tenant".into(), payload);
///         }
///     }
/// }
///
/// let options = ClientOptions::new().interceptor(Tenant("acme"));
/// # let _ = options;
/// ```
pub trait ClientInterceptor: Send + Sync + 'static {
    /// Runs before every call with the gRPC method name (for example
    /// `"StartActivityExecution"`, `"PollActivityExecution"`) and the call's metadata.
    fn on_call(&self, method: &str, metadata: &mut MetadataMap) {
        let _ = (method, metadata);
    }

    /// Runs before a `StartActivityExecution` call (and before [`on_call`](Self::on_call))
    /// with the request, whose `header` reaches the worker with the task.
    fn on_start_activity(
        &self,
        request: &mut StartActivityExecutionRequest,
        metadata: &mut MetadataMap,
    ) {
        let _ = (request, metadata);
    }
}

/// A shared interceptor is an interceptor, so
/// [`ClientOptions::interceptor`](crate::ClientOptions::interceptor) takes an `Arc<I>` or an
/// `Arc<dyn ClientInterceptor>` as well as an owned one.
impl<T: ClientInterceptor + ?Sized> ClientInterceptor for Arc<T> {
    fn on_call(&self, method: &str, metadata: &mut MetadataMap) {
        (**self).on_call(method, metadata);
    }

    fn on_start_activity(
        &self,
        request: &mut StartActivityExecutionRequest,
        metadata: &mut MetadataMap,
    ) {
        (**self).on_start_activity(request, metadata);
    }
}
