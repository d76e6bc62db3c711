//! [`Connection`]: a cheap-to-clone handle over one gRPC channel and the tower stack that adds
//! metadata, retries and deadlines.

use std::sync::Arc;

use solo_proto::temporal::api::workflowservice::v1::workflow_service_client::WorkflowServiceClient;
use solo_proto::temporal::api::workflowservice::v1::{GetSystemInfoRequest, GetSystemInfoResponse};
use tonic::Code;
use tonic::body::Body;
use tonic::transport::{Channel, Endpoint};
use tower::ServiceBuilder;
use tower::util::BoxCloneSyncService;

use crate::grpc::GrpcService;

use crate::envconfig::ClientConfig;
use crate::error::ConnectError;
use crate::metadata::{CLIENT_NAME, CLIENT_VERSION, Headers, MetadataLayer};
use crate::options::ConnectionOptions;
use crate::retry::RetryLayer;
use crate::status::{code_name, root_cause};
use crate::target::Target;
use crate::{BoxError, tls};

/// A connection to a Temporal frontend.
///
/// Cloning is cheap (a reference count): clones share one HTTP/2 channel, which multiplexes
/// concurrent calls, so there is no need to wrap it in an `Arc` or to pool connections.
///
/// Every call made through [`workflow_service`](Self::workflow_service) passes through, in
/// order: the metadata layer (namespace, client name and version, API key, configured
/// headers), then one call future that retries (backoff on retryable failures, same request
/// bytes each time) and gives each attempt a fresh deadline, then the channel.
///
/// ```no_run
/// use solo_connect::{ClientConfig, Connection};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let connection = Connection::connect_config(&ClientConfig::load()?).await?;
/// println!("server {}", connection.system_info().server_version);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Connection {
    inner: Arc<Inner>,
}

struct Inner {
    options: ConnectionOptions,
    service: GrpcService,
    system_info: GetSystemInfoResponse,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("address", &self.inner.options.get_address())
            .field("namespace", &self.inner.options.get_namespace())
            .field("server_version", &self.inner.system_info.server_version)
            .finish()
    }
}

impl Connection {
    /// Connects and checks that a Temporal server answers (`GetSystemInfo`).
    ///
    /// # Errors
    /// - [`ConnectError::InvalidAddress`], [`ConnectError::InvalidHeader`],
    ///   [`ConnectError::Tls`] when the options cannot be used;
    /// - [`ConnectError::Unreachable`] when nothing answers at the address, the TLS handshake
    ///   fails, or the connection breaks;
    /// - [`ConnectError::NotTemporal`] when the endpoint is not a Temporal frontend;
    /// - [`ConnectError::Rejected`] when the server refuses the call (e.g. a bad API key).
    pub async fn connect(options: ConnectionOptions) -> Result<Self, ConnectError> {
        let target = options
            .target()
            .map_err(|reason| ConnectError::InvalidAddress {
                address: options.get_address().to_owned(),
                reason,
            })?;
        let headers = Headers::new(&options)
            .map_err(|(name, reason)| ConnectError::InvalidHeader { name, reason })?;
        let shown = authority(&target);
        let channel = open_channel(&options, &target, &shown).await?;
        let service = stack(channel, &options, headers);
        let system_info = probe(&service, &options, &target, &shown).await?;
        tracing::debug!(
            address = %shown,
            server_version = %system_info.server_version,
            "connected to Temporal"
        );
        Ok(Self {
            inner: Arc::new(Inner {
                options,
                service,
                system_info,
            }),
        })
    }

    /// Connects with the options of a loaded profile.
    ///
    /// # Errors
    /// [`ConnectError::Config`] when the profile cannot be turned into options (for example a
    /// certificate file that does not exist), then as [`connect`](Self::connect).
    pub async fn connect_config(config: &ClientConfig) -> Result<Self, ConnectError> {
        Self::connect(config.connection_options()?).await
    }

    /// A `WorkflowService` client over this connection (cheap: it clones a handle). Incoming
    /// messages may be as large as
    /// [`max_decoding_message_size`](ConnectionOptions::max_decoding_message_size).
    ///
    /// Calls return plain `tonic::Status` errors, after retries.
    pub fn workflow_service(&self) -> WorkflowServiceClient<GrpcService> {
        WorkflowServiceClient::new(self.inner.service.clone())
            .max_decoding_message_size(self.inner.options.get_max_decoding_message_size())
    }

    /// The namespace sent with every call.
    pub fn namespace(&self) -> &str {
        self.inner.options.get_namespace()
    }

    /// The server's answer to `GetSystemInfo` at connect time: version and capabilities.
    pub fn system_info(&self) -> &GetSystemInfoResponse {
        &self.inner.system_info
    }

    /// The options this connection was made with.
    pub fn options(&self) -> &ConnectionOptions {
        &self.inner.options
    }

    /// The raw service, for callers that build their own gRPC clients on this connection.
    pub fn grpc_service(&self) -> GrpcService {
        self.inner.service.clone()
    }
}

/// `host:port` of the target, for messages.
fn authority(target: &Target) -> String {
    target
        .uri
        .authority()
        .map_or_else(|| target.uri.to_string(), |a| a.to_string())
}

/// Opens the channel: TCP, then TLS when on, then the HTTP/2 handshake.
async fn open_channel(
    options: &ConnectionOptions,
    target: &Target,
    shown: &str,
) -> Result<Channel, ConnectError> {
    let mut endpoint = Endpoint::from(target.uri.clone())
        .connect_timeout(options.get_connect_timeout())
        .tcp_nodelay(true)
        .user_agent(format!("{CLIENT_NAME}/{CLIENT_VERSION}"))
        .map_err(|e| ConnectError::InvalidAddress {
            address: options.get_address().to_owned(),
            reason: e.to_string(),
        })?;
    if let Some((interval, timeout)) = options.get_keep_alive() {
        endpoint = endpoint
            .http2_keep_alive_interval(interval)
            .keep_alive_timeout(timeout)
            .keep_alive_while_idle(true);
    }
    if let Some(tls_options) = &target.tls {
        let tls_error = |reason: String| ConnectError::Tls {
            address: shown.to_owned(),
            reason,
        };
        let config = tls::client_config(tls_options, &target.host).map_err(tls_error)?;
        endpoint = endpoint.tls_config(config).map_err(|e| {
            let reason = root_cause(&e);
            tls_error(if reason.contains("native") {
                "no system root certificates were found; install the OS CA bundle or set tls.server_ca_cert_path / TEMPORAL_TLS_SERVER_CA_CERT_PATH".to_owned()
            } else {
                reason
            })
        })?;
    }
    endpoint.connect().await.map_err(|e| {
        let reason = root_cause(&e);
        ConnectError::Unreachable {
            hint: transport_hint(&reason, target.tls.is_some(), false),
            address: shown.to_owned(),
            reason,
        }
    })
}

/// What to check, given the lowest-level cause of a connection failure. `opened` says whether
/// the TCP (and TLS client) side had already succeeded.
fn transport_hint(reason: &str, tls: bool, opened: bool) -> &'static str {
    let reason = reason.to_ascii_lowercase();
    if reason.contains("refused") {
        "check the address (TEMPORAL_ADDRESS or the profile's address) and that the server is running, e.g. `temporal server start-dev`"
    } else if reason.contains("lookup")
        || reason.contains("resolve")
        || reason.contains("name or service")
    {
        "check the host name in the address"
    } else if reason.contains("timed out") || reason.contains("elapsed") {
        "check the host and port, and any firewall in between; raise ConnectionOptions::connect_timeout for slow networks"
    } else if reason.contains("certificaterequired") {
        "the server requires a client certificate (mutual TLS): set tls.client_cert_path and tls.client_key_path, or TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH"
    } else if reason.contains("badcertificate")
        || reason.contains("unknownca")
        || reason.contains("decrypterror")
        || reason.contains("certificateunknown")
    {
        "the server did not accept the client certificate: check that it is signed by a CA the server trusts and that the key matches it"
    } else if tls
        && (reason.contains("certificate")
            || reason.contains("unknownissuer")
            || reason.contains("notvalidforname"))
    {
        "the server's certificate was not accepted: check tls.server_ca_cert_path / TEMPORAL_TLS_SERVER_CA_CERT_PATH and tls.server_name / TEMPORAL_TLS_SERVER_NAME"
    } else if tls
        && (reason.contains("corrupt message")
            || reason.contains("invalidcontenttype")
            || reason.contains("unexpected eof"))
    {
        "the server does not seem to speak TLS; turn TLS off (TEMPORAL_TLS=false) or check the port"
    } else if tls {
        "check the TLS settings (CA, client certificate, server name), that the server expects TLS, and that this is its gRPC port (7233 by default)"
    } else if opened {
        "the connection opened but gRPC failed: if the server uses TLS, turn it on (TEMPORAL_TLS=true or a [profile.<name>.tls] table); check that this is the gRPC port (7233 by default, not the Web UI's 8233)"
    } else {
        "check the address and that a Temporal server is listening there"
    }
}

/// Builds the tower stack. Outermost first:
/// status (errors become `tonic::Status`) → metadata (headers on every call) → the call
/// layer, one future per call: retries (the same bytes again, backoff), and for each attempt
/// the observers, when any, and a fresh deadline over the whole exchange (response buffered)
/// → the tonic channel.
pub(crate) fn stack<S>(channel: S, options: &ConnectionOptions, headers: Headers) -> GrpcService
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    let service = ServiceBuilder::new()
        .map_err(tonic::Status::from_error)
        .layer(MetadataLayer::new(headers))
        .layer(
            RetryLayer::new(options.get_retry().clone())
                .address(options.get_address())
                .deadlines(options.get_rpc_timeout(), options.get_long_poll_timeout())
                .observers(options.observers())
                .channel_enforces_deadline(),
        )
        .map_err(Into::<BoxError>::into)
        .service(channel);
    options.apply_layers(BoxCloneSyncService::new(service))
}

/// Calls `GetSystemInfo` and turns failures into connect errors that say what is wrong. The
/// probe retries at most three times, so a wrong endpoint fails quickly.
async fn probe(
    service: &GrpcService,
    options: &ConnectionOptions,
    target: &Target,
    shown: &str,
) -> Result<GetSystemInfoResponse, ConnectError> {
    let mut client = WorkflowServiceClient::new(service.clone())
        .max_decoding_message_size(options.get_max_decoding_message_size());
    let mut request = tonic::Request::new(GetSystemInfoRequest {});
    let retry = options.get_retry();
    request
        .extensions_mut()
        .insert(retry.clone().max_attempts(retry.max_attempts.min(3)));
    match client.get_system_info(request).await {
        Ok(response) => Ok(response.into_inner()),
        Err(status) => Err(probe_error(&status, target.tls.is_some(), shown)),
    }
}

fn probe_error(status: &tonic::Status, tls: bool, shown: &str) -> ConnectError {
    let address = shown.to_owned();
    let message = status.message().to_owned();
    // A transport failure after the connection opened: usually a TLS/plain-text mismatch, or
    // an HTTP/1 server (such as the Temporal Web UI port) on that port.
    if let Some(source) = std::error::Error::source(status) {
        let reason = root_cause(source);
        return ConnectError::Unreachable {
            hint: transport_hint(&reason, tls, true),
            address,
            reason,
        };
    }
    match status.code() {
        Code::Unimplemented | Code::Unknown | Code::Internal => ConnectError::NotTemporal {
            address,
            reason: format!(
                "GetSystemInfo failed with {}: {message}",
                code_name(status.code())
            ),
        },
        Code::Unauthenticated | Code::PermissionDenied => ConnectError::Rejected {
            address,
            code: code_name(status.code()),
            message,
            hint: "check the API key (TEMPORAL_API_KEY / api_key) or the client certificate, and that it grants access to the namespace",
        },
        Code::DeadlineExceeded => ConnectError::Unreachable {
            address,
            reason: message,
            hint: "the server did not answer in time; check that this is a Temporal server and that it is healthy",
        },
        Code::Unavailable => ConnectError::Unreachable {
            address,
            reason: message,
            hint: "the server is not ready or a proxy in between cannot reach it; try again shortly",
        },
        code => ConnectError::Rejected {
            address,
            code: code_name(code),
            message,
            hint: "check the server's logs",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_match_the_cause() {
        let cases = [
            (
                "Connection refused",
                false,
                false,
                "temporal server start-dev",
            ),
            (
                "failed to lookup address information",
                false,
                false,
                "host name",
            ),
            (
                "received fatal alert: CertificateRequired",
                true,
                true,
                "requires a client certificate",
            ),
            (
                "received fatal alert: UnknownCA",
                true,
                true,
                "did not accept the client certificate",
            ),
            (
                "invalid peer certificate: UnknownIssuer",
                true,
                false,
                "tls.server_ca_cert_path",
            ),
            (
                "received corrupt message of type InvalidContentType",
                true,
                false,
                "TEMPORAL_TLS=false",
            ),
            (
                "stream closed because of a broken pipe",
                false,
                true,
                "TEMPORAL_TLS=true",
            ),
            (
                "stream closed because of a broken pipe",
                false,
                false,
                "is listening there",
            ),
        ];
        for (reason, tls, opened, fragment) in cases {
            let hint = transport_hint(reason, tls, opened);
            assert!(hint.contains(fragment), "{reason}: {hint}");
        }
    }

    #[test]
    fn probe_statuses_map_to_errors() {
        let shown = "h:1";
        let not_temporal = probe_error(
            &tonic::Status::unimplemented("unknown service"),
            false,
            shown,
        );
        assert!(matches!(not_temporal, ConnectError::NotTemporal { .. }));
        let rejected = probe_error(&tonic::Status::unauthenticated("bad key"), true, shown);
        assert!(matches!(
            rejected,
            ConnectError::Rejected {
                code: "UNAUTHENTICATED",
                ..
            }
        ));
        assert!(rejected.to_string().contains("TEMPORAL_API_KEY"));
        let busy = probe_error(&tonic::Status::unavailable("starting"), false, shown);
        assert!(matches!(busy, ConnectError::Unreachable { .. }));
    }
}
