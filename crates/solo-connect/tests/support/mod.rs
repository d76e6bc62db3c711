//! Test doubles shared by the integration tests: a scripted `WorkflowService` served on
//! loopback (plain text or TLS, optionally requiring client certificates), and a small PKI made
//! with rcgen.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use solo_proto::temporal::api::workflowservice::v1 as ws;
use solo_proto::temporal::api::workflowservice::v1::workflow_service_server::{
    WorkflowService, WorkflowServiceServer,
};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::server::Server;
use tonic::transport::{Certificate, Identity, ServerTlsConfig};
use tonic::{Code, Request, Response, Status};

/// One call the fake server received.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) method: &'static str,
    pub(crate) headers: http::HeaderMap,
    /// `request_id` of requests that have one.
    pub(crate) request_id: Option<String>,
}

#[derive(Default)]
struct State {
    calls: Vec<Call>,
    start_failures: VecDeque<Code>,
    poll_delay: Duration,
}

/// A `WorkflowService` that records calls and answers from a script.
#[derive(Clone, Default)]
pub(crate) struct FakeTemporal {
    state: Arc<Mutex<State>>,
}

impl FakeTemporal {
    /// `StartActivityExecution` fails with these codes, in order, then succeeds.
    pub(crate) fn fail_start_with(&self, codes: &[Code]) {
        self.state.lock().unwrap().start_failures = codes.iter().copied().collect();
    }

    /// `PollActivityExecution` waits this long before answering (empty).
    pub(crate) fn poll_delay(&self, delay: Duration) {
        self.state.lock().unwrap().poll_delay = delay;
    }

    /// Every call received so far.
    pub(crate) fn calls(&self) -> Vec<Call> {
        self.state.lock().unwrap().calls.clone()
    }

    /// The calls of one method.
    pub(crate) fn calls_of(&self, method: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method)
            .collect()
    }

    fn record<T>(&self, method: &'static str, request: &Request<T>, request_id: Option<String>) {
        self.state.lock().unwrap().calls.push(Call {
            method,
            headers: request.metadata().clone().into_headers(),
            request_id,
        });
    }
}

/// Implements `WorkflowService` with the given methods plus `UNIMPLEMENTED` answers for the
/// listed ones (async_trait must see every method, so the whole impl comes from the macro).
macro_rules! workflow_service {
    (
        scripted { $($scripted:item)* }
        unimplemented { $($name:ident($req:ident) -> $res:ident;)* }
    ) => {
        #[tonic::async_trait]
        impl WorkflowService for FakeTemporal {
            $($scripted)*
            $(
                async fn $name(
                    &self,
                    request: Request<ws::$req>,
                ) -> Result<Response<ws::$res>, Status> {
                    self.record(stringify!($name), &request, None);
                    Err(Status::unimplemented("not scripted"))
                }
            )*
        }
    };
}

workflow_service! {
scripted {
    async fn get_system_info(
        &self,
        request: Request<ws::GetSystemInfoRequest>,
    ) -> Result<Response<ws::GetSystemInfoResponse>, Status> {
        self.record("get_system_info", &request, None);
        Ok(Response::new(ws::GetSystemInfoResponse {
            server_version: "fake-1.0".to_owned(),
            ..Default::default()
        }))
    }

    async fn start_activity_execution(
        &self,
        request: Request<ws::StartActivityExecutionRequest>,
    ) -> Result<Response<ws::StartActivityExecutionResponse>, Status> {
        let id = request.get_ref().request_id.clone();
        self.record("start_activity_execution", &request, Some(id));
        let failure = self.state.lock().unwrap().start_failures.pop_front();
        match failure {
            Some(code) => Err(Status::new(code, "scripted failure")),
            None => Ok(Response::new(ws::StartActivityExecutionResponse {
                run_id: "run-1".to_owned(),
                started: true,
                ..Default::default()
            })),
        }
    }

    async fn poll_activity_execution(
        &self,
        request: Request<ws::PollActivityExecutionRequest>,
    ) -> Result<Response<ws::PollActivityExecutionResponse>, Status> {
        self.record("poll_activity_execution", &request, None);
        let delay = self.state.lock().unwrap().poll_delay;
        tokio::time::sleep(delay).await;
        Ok(Response::new(ws::PollActivityExecutionResponse::default()))
    }

    async fn describe_activity_execution(
        &self,
        request: Request<ws::DescribeActivityExecutionRequest>,
    ) -> Result<Response<ws::DescribeActivityExecutionResponse>, Status> {
        self.record("describe_activity_execution", &request, None);
        Ok(Response::new(ws::DescribeActivityExecutionResponse::default()))
    }

}
    unimplemented {
        describe_namespace(DescribeNamespaceRequest) -> DescribeNamespaceResponse;
        request_cancel_activity_execution(RequestCancelActivityExecutionRequest) -> RequestCancelActivityExecutionResponse;
        terminate_activity_execution(TerminateActivityExecutionRequest) -> TerminateActivityExecutionResponse;
        delete_activity_execution(DeleteActivityExecutionRequest) -> DeleteActivityExecutionResponse;
        list_activity_executions(ListActivityExecutionsRequest) -> ListActivityExecutionsResponse;
        count_activity_executions(CountActivityExecutionsRequest) -> CountActivityExecutionsResponse;
        poll_activity_task_queue(PollActivityTaskQueueRequest) -> PollActivityTaskQueueResponse;
        record_activity_task_heartbeat(RecordActivityTaskHeartbeatRequest) -> RecordActivityTaskHeartbeatResponse;
        record_activity_task_heartbeat_by_id(RecordActivityTaskHeartbeatByIdRequest) -> RecordActivityTaskHeartbeatByIdResponse;
        respond_activity_task_completed(RespondActivityTaskCompletedRequest) -> RespondActivityTaskCompletedResponse;
        respond_activity_task_completed_by_id(RespondActivityTaskCompletedByIdRequest) -> RespondActivityTaskCompletedByIdResponse;
        respond_activity_task_failed(RespondActivityTaskFailedRequest) -> RespondActivityTaskFailedResponse;
        respond_activity_task_failed_by_id(RespondActivityTaskFailedByIdRequest) -> RespondActivityTaskFailedByIdResponse;
        respond_activity_task_canceled(RespondActivityTaskCanceledRequest) -> RespondActivityTaskCanceledResponse;
        respond_activity_task_canceled_by_id(RespondActivityTaskCanceledByIdRequest) -> RespondActivityTaskCanceledByIdResponse;
        shutdown_worker(ShutdownWorkerRequest) -> ShutdownWorkerResponse;
        pause_activity_execution(PauseActivityExecutionRequest) -> PauseActivityExecutionResponse;
        unpause_activity_execution(UnpauseActivityExecutionRequest) -> UnpauseActivityExecutionResponse;
        reset_activity_execution(ResetActivityExecutionRequest) -> ResetActivityExecutionResponse;
        update_activity_execution_options(UpdateActivityExecutionOptionsRequest) -> UpdateActivityExecutionOptionsResponse;
    }
}

/// A server running on a loopback port until dropped.
pub(crate) struct Running {
    pub(crate) addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Running {
    /// `127.0.0.1:<port>`.
    pub(crate) fn address(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Serves `fake` on a free loopback port, with TLS when `tls` is given.
pub(crate) async fn serve(fake: FakeTemporal, tls: Option<ServerTlsConfig>) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut builder = Server::builder();
    if let Some(tls) = tls {
        builder = builder.tls_config(tls).unwrap();
    }
    let (tx, rx) = oneshot::channel::<()>();
    let router = builder.add_service(WorkflowServiceServer::new(fake));
    tokio::spawn(async move {
        let _ = router
            .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async {
                let _ = rx.await;
            })
            .await;
    });
    Running {
        addr,
        shutdown: Some(tx),
    }
}

/// Certificates for one test: a CA, a server certificate it signed, a client certificate it
/// signed, and an unrelated CA.
pub(crate) struct Pki {
    pub(crate) ca_pem: String,
    pub(crate) server_cert_pem: String,
    pub(crate) server_key_pem: String,
    pub(crate) client_cert_pem: String,
    pub(crate) client_key_pem: String,
    pub(crate) other_ca_pem: String,
}

fn ca(name: &str) -> (rcgen::CertificateParams, rcgen::KeyPair, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let pem = params.self_signed(&key).unwrap().pem();
    (params, key, pem)
}

/// A fresh PKI; the server certificate is valid for `server_names` (DNS names or IPs).
pub(crate) fn pki(server_names: &[&str]) -> Pki {
    let (ca_params, ca_key, ca_pem) = ca("solo test CA");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);

    let server_key = rcgen::KeyPair::generate().unwrap();
    let server_names: Vec<String> = server_names.iter().map(|s| (*s).to_owned()).collect();
    let mut server = rcgen::CertificateParams::new(server_names).unwrap();
    server
        .extended_key_usages
        .push(rcgen::ExtendedKeyUsagePurpose::ServerAuth);
    let server_cert = server.signed_by(&server_key, &issuer).unwrap();

    let client_key = rcgen::KeyPair::generate().unwrap();
    let mut client = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    client
        .distinguished_name
        .push(rcgen::DnType::CommonName, "solo test client");
    client
        .extended_key_usages
        .push(rcgen::ExtendedKeyUsagePurpose::ClientAuth);
    let client_cert = client.signed_by(&client_key, &issuer).unwrap();

    let (_, _, other_ca_pem) = ca("some other CA");
    Pki {
        ca_pem,
        server_cert_pem: server_cert.pem(),
        server_key_pem: server_key.serialize_pem(),
        client_cert_pem: client_cert.pem(),
        client_key_pem: client_key.serialize_pem(),
        other_ca_pem,
    }
}

impl Pki {
    /// Server TLS without client authentication.
    pub(crate) fn server_tls(&self) -> ServerTlsConfig {
        ServerTlsConfig::new().identity(Identity::from_pem(
            &self.server_cert_pem,
            &self.server_key_pem,
        ))
    }

    /// Server TLS that requires a client certificate signed by the CA.
    pub(crate) fn server_mtls(&self) -> ServerTlsConfig {
        self.server_tls()
            .client_ca_root(Certificate::from_pem(&self.ca_pem))
    }
}

/// Asserts that `message` is one line containing every fragment.
pub(crate) fn assert_message(message: &str, fragments: &[&str]) {
    assert!(!message.contains('\n'), "not one line: {message}");
    for fragment in fragments {
        assert!(
            message.contains(fragment),
            "{fragment:?} missing from: {message}"
        );
    }
}
