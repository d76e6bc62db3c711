//! The metadata layer: headers added to every call.
//!
//! In order of precedence (a header already on the request is never replaced):
//! 1. headers the caller put on the request (`tonic::Request::metadata_mut`);
//! 2. headers from [`ConnectionOptions::header`](crate::ConnectionOptions::header) (a profile's
//!    `grpc_meta`);
//! 3. `authorization: Bearer <api key>`;
//! 4. `temporal-namespace`: the request's [`CallNamespace`] extension, else the connection's
//!    namespace;
//! 5. `client-name: solo-rust`, `client-version: <crate version>`.
//!
//! This is the one place that writes the namespace header.

use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderName, HeaderValue, Request};
use tower::{Layer, Service};

use crate::namespace::{self, CallNamespace, NAMESPACE_HEADER};

/// The namespace header's name, made once (a name from a string is parsed at every use).
const NAMESPACE: HeaderName = HeaderName::from_static(NAMESPACE_HEADER);
use crate::options::ConnectionOptions;

/// The `client-name` this SDK sends.
pub const CLIENT_NAME: &str = "solo-rust";
/// The `client-version` this SDK sends: the crate version.
pub const CLIENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Checks that a header can be sent as ASCII gRPC metadata; the error is a reason with a fix.
pub(crate) fn check_header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), String> {
    let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
        "not a valid header name; use letters, digits and `-`, e.g. x-team".to_owned()
    })?;
    if header.as_str().starts_with("grpc-") || header.as_str().starts_with(':') {
        return Err(
            "names starting with grpc- are reserved by gRPC; choose another name".to_owned(),
        );
    }
    if header.as_str().ends_with("-bin") {
        return Err("binary (-bin) headers are not supported here; send text metadata".to_owned());
    }
    let value = HeaderValue::from_str(value)
        .map_err(|_| "the value must be visible ASCII without line breaks".to_owned())?;
    Ok((header, value))
}

/// The headers of a connection, in the order they are applied.
#[derive(Debug, Clone)]
pub(crate) struct Headers(Vec<(HeaderName, HeaderValue)>);

impl Headers {
    /// Builds the header list of `options`; the error names the bad header and the reason.
    pub(crate) fn new(options: &ConnectionOptions) -> Result<Self, (String, String)> {
        let mut list = Vec::new();
        for (name, value) in options.get_headers() {
            list.push(check_header(name, value).map_err(|reason| (name.to_owned(), reason))?);
        }
        if let Some(key) = options.api_key_value() {
            let mut value = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
                (
                    "authorization".to_owned(),
                    "the API key must be visible ASCII without line breaks".to_owned(),
                )
            })?;
            value.set_sensitive(true);
            list.push((http::header::AUTHORIZATION, value));
        }
        let namespace = namespace::header_value(options.get_namespace()).map_err(|e| match e {
            crate::ConnectError::InvalidHeader { name, reason } => (name, reason),
            other => (NAMESPACE_HEADER.to_owned(), other.to_string()),
        })?;
        list.push((HeaderName::from_static(NAMESPACE_HEADER), namespace));
        list.push((
            HeaderName::from_static("client-name"),
            HeaderValue::from_static(CLIENT_NAME),
        ));
        list.push((
            HeaderName::from_static("client-version"),
            HeaderValue::from_static(CLIENT_VERSION),
        ));
        Ok(Self(list))
    }
}

/// Adds the connection's headers to every request that does not already carry them.
#[derive(Debug, Clone)]
pub(crate) struct MetadataLayer {
    headers: Arc<Headers>,
}

impl MetadataLayer {
    pub(crate) fn new(headers: Headers) -> Self {
        Self {
            headers: Arc::new(headers),
        }
    }
}

impl<S> Layer<S> for MetadataLayer {
    type Service = Metadata<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Metadata {
            inner,
            headers: self.headers.clone(),
        }
    }
}

/// The service of [`MetadataLayer`].
#[derive(Debug, Clone)]
pub(crate) struct Metadata<S> {
    inner: S,
    headers: Arc<Headers>,
}

impl<S, B> Service<Request<B>> for Metadata<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let call_namespace = request
            .extensions()
            .get::<CallNamespace>()
            .map(|ns| ns.header_value().clone());
        let headers = request.headers_mut();
        if let Some(value) = call_namespace {
            headers.entry(NAMESPACE).or_insert(value);
        }
        // One lookup per header; the name and value are cloned only when they go in.
        for (name, value) in &self.headers.0 {
            headers.entry(name).or_insert_with(|| value.clone());
        }
        self.inner.call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    async fn sent_headers(options: ConnectionOptions, request: Request<()>) -> http::HeaderMap {
        let layer = MetadataLayer::new(Headers::new(&options).unwrap());
        let service = layer.layer(tower::service_fn(|req: Request<()>| async move {
            Ok::<_, std::convert::Infallible>(req.headers().clone())
        }));
        service.oneshot(request).await.unwrap()
    }

    #[tokio::test]
    async fn every_call_carries_namespace_client_and_api_key() {
        let headers = sent_headers(
            ConnectionOptions::new("x:1")
                .namespace("payments")
                .api_key("k1")
                .header("x-team", "a"),
            Request::new(()),
        )
        .await;
        assert_eq!(headers["temporal-namespace"], "payments");
        assert_eq!(headers["client-name"], "solo-rust");
        assert_eq!(headers["client-version"], CLIENT_VERSION);
        assert_eq!(headers["authorization"], "Bearer k1");
        assert!(headers["authorization"].is_sensitive());
        assert_eq!(headers["x-team"], "a");
    }

    #[tokio::test]
    async fn user_headers_are_never_overwritten() {
        // A configured authorization header beats the API key ...
        let headers = sent_headers(
            ConnectionOptions::new("x:1")
                .api_key("k1")
                .header("authorization", "Custom xyz"),
            Request::new(()),
        )
        .await;
        assert_eq!(headers["authorization"], "Custom xyz");
        assert_eq!(headers.get_all("authorization").iter().count(), 1);

        // ... and a header on the request beats everything.
        let mut request = Request::new(());
        request
            .headers_mut()
            .insert("authorization", "Bearer per-call".parse().unwrap());
        request
            .headers_mut()
            .insert("temporal-namespace", "other".parse().unwrap());
        let headers = sent_headers(
            ConnectionOptions::new("x:1")
                .api_key("k1")
                .header("authorization", "Custom xyz"),
            request,
        )
        .await;
        assert_eq!(headers["authorization"], "Bearer per-call");
        assert_eq!(headers["temporal-namespace"], "other");
    }

    #[tokio::test]
    async fn a_call_namespace_replaces_the_connections() {
        let mut request = Request::new(());
        request
            .extensions_mut()
            .insert(CallNamespace::new("payments").unwrap());
        let headers = sent_headers(ConnectionOptions::new("x:1"), request).await;
        assert_eq!(headers["temporal-namespace"], "payments");
        assert_eq!(headers.get_all("temporal-namespace").iter().count(), 1);
    }

    #[tokio::test]
    async fn no_api_key_no_authorization() {
        let headers = sent_headers(ConnectionOptions::new("x:1"), Request::new(())).await;
        assert!(!headers.contains_key("authorization"));
        assert_eq!(headers["temporal-namespace"], "default");
    }

    #[test]
    fn bad_headers_are_named() {
        for (name, value, fragment) in [
            ("bad header", "v", "not a valid header name"),
            ("grpc-timeout", "1S", "reserved by gRPC"),
            ("x-data-bin", "v", "binary"),
            ("x-ok", "line\nbreak", "visible ASCII"),
        ] {
            let reason = check_header(name, value).unwrap_err();
            assert!(reason.contains(fragment), "{name}: {reason}");
        }
        assert!(check_header("x-ok", "fine value").is_ok());
    }
}
