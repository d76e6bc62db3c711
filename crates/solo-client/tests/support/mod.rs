//! Shared by the integration tests: a client on the shared dev server, unique names, and a
//! small activity worker written directly on the generated stubs (poll, heartbeat, respond),
//! so these tests depend on nothing but the client and the server.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr
)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use solo_client::{Client, ClientOptions, Connection, ConnectionOptions};
use solo_client::{from_payload, to_payload};
use solo_proto::temporal::api::common::v1::{Payload, Payloads};
use solo_proto::temporal::api::enums::v1::TaskQueueKind;
use solo_proto::temporal::api::failure::v1::Failure;
use solo_proto::temporal::api::taskqueue::v1::TaskQueue;
use solo_proto::temporal::api::workflowservice::v1 as ws;
use solo_proto::temporal::api::workflowservice::v1::workflow_service_client::WorkflowServiceClient;
use tonic::transport::Channel;

/// The namespace of the shared dev server.
pub(crate) const NAMESPACE: &str = "default";

/// How long a test waits for anything before failing.
pub(crate) const PATIENCE: Duration = Duration::from_secs(60);

/// The shared dev server's address.
pub(crate) fn address() -> String {
    solo_testing::DevServer::shared()
        .expect("the dev server starts")
        .address()
}

/// A connection to the shared dev server.
pub(crate) async fn connection() -> Connection {
    Connection::connect(ConnectionOptions::new(address()))
        .await
        .expect("connects to the dev server")
}

/// A client on the shared dev server with default options.
pub(crate) async fn client() -> Client {
    Client::new(connection().await, ClientOptions::new())
}

/// A client on the shared dev server with the given options.
pub(crate) async fn client_with(options: ClientOptions) -> Client {
    Client::new(connection().await, options)
}

/// A name no other test uses.
pub(crate) fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4())
}

/// Fails the test when `future` takes longer than [`PATIENCE`].
pub(crate) async fn within<F: Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(PATIENCE, future).await {
        Ok(output) => output,
        Err(_) => panic!("{what} did not finish within {PATIENCE:?}"),
    }
}

/// Retries `check` until it returns `Some` (visibility is eventually consistent).
pub(crate) async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    within(what, async {
        loop {
            if let Some(value) = check().await {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
}

/// What the test worker answers for a task.
pub(crate) enum Reply {
    /// `RespondActivityTaskCompleted` with these result payloads.
    Complete(Vec<Payload>),
    /// `RespondActivityTaskFailed` with this failure.
    Fail(Box<Failure>),
    /// `RespondActivityTaskCanceled` with these details.
    Cancel(Vec<Payload>),
    /// Answer nothing (the attempt times out, or was terminated).
    Nothing,
}

impl Reply {
    /// Completes with one JSON-encoded value.
    pub(crate) fn value<T: serde::Serialize>(value: &T) -> Reply {
        Reply::Complete(vec![to_payload(value).unwrap()])
    }

    /// Fails with this failure.
    pub(crate) fn fail(failure: Failure) -> Reply {
        Reply::Fail(Box::new(failure))
    }
}

/// One task handed to a test activity.
#[derive(Clone)]
pub(crate) struct Task {
    /// The task as polled.
    pub(crate) task: Arc<ws::PollActivityTaskQueueResponse>,
    service: WorkflowServiceClient<Channel>,
}

impl Task {
    /// The activity type name.
    pub(crate) fn activity_type(&self) -> &str {
        self.task
            .activity_type
            .as_ref()
            .map(|t| t.name.as_str())
            .unwrap_or("")
    }

    /// The input payloads.
    pub(crate) fn input(&self) -> Vec<Payload> {
        self.task
            .input
            .clone()
            .map(|p| p.payloads)
            .unwrap_or_default()
    }

    /// Decodes input argument `index`.
    pub(crate) fn arg<T: DeserializeOwned>(&self, index: usize) -> T {
        from_payload(&self.input()[index]).unwrap()
    }

    /// The header payload called `name`, if sent.
    pub(crate) fn header(&self, name: &str) -> Option<Payload> {
        self.task.header.as_ref()?.fields.get(name).cloned()
    }

    /// Records a heartbeat; returns whether cancellation was requested, or the error (for
    /// example NOT_FOUND after termination).
    pub(crate) async fn heartbeat<T: serde::Serialize>(
        &self,
        details: &T,
    ) -> Result<bool, tonic::Status> {
        let mut service = self.service.clone();
        let response = service
            .record_activity_task_heartbeat(ws::RecordActivityTaskHeartbeatRequest {
                task_token: self.task.task_token.clone(),
                details: Some(Payloads {
                    payloads: vec![to_payload(details).unwrap()],
                }),
                identity: "solo-client-tests".into(),
                namespace: NAMESPACE.into(),
                ..Default::default()
            })
            .await?;
        Ok(response.into_inner().cancel_requested)
    }

    /// Records a heartbeat with already encoded details; panics when refused.
    pub(crate) async fn heartbeat_raw(&self, details: Payloads) -> bool {
        let mut service = self.service.clone();
        service
            .record_activity_task_heartbeat(ws::RecordActivityTaskHeartbeatRequest {
                task_token: self.task.task_token.clone(),
                details: Some(details),
                identity: "solo-client-tests".into(),
                namespace: NAMESPACE.into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .cancel_requested
    }

    /// Heartbeats every 200 ms with `details` until cancellation is requested (then `true`)
    /// or the heartbeat is refused (then `false`).
    pub(crate) async fn heartbeat_until_cancelled<T: serde::Serialize>(&self, details: &T) -> bool {
        loop {
            match self.heartbeat(details).await {
                Ok(true) => return true,
                Ok(false) => tokio::time::sleep(Duration::from_millis(200)).await,
                Err(_) => return false,
            }
        }
    }
}

type BoxFuture = Pin<Box<dyn Future<Output = Reply> + Send>>;

/// A test worker polling one task queue; stops when dropped.
pub(crate) struct TestWorker {
    poller: tokio::task::JoinHandle<()>,
}

impl Drop for TestWorker {
    fn drop(&mut self) {
        self.poller.abort();
    }
}

/// Starts a worker on `task_queue` that runs `handler` for every task, each on its own task.
pub(crate) async fn start_worker<F, Fut>(task_queue: &str, handler: F) -> TestWorker
where
    F: Fn(Task) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Reply> + Send + 'static,
{
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", address()))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let service = WorkflowServiceClient::new(channel);
    let handler: Arc<dyn Fn(Task) -> BoxFuture + Send + Sync> =
        Arc::new(move |task| Box::pin(handler(task)));
    let task_queue = task_queue.to_owned();
    let poller = tokio::spawn(async move {
        loop {
            let mut poll = service.clone();
            let mut request = tonic::Request::new(ws::PollActivityTaskQueueRequest {
                namespace: NAMESPACE.into(),
                task_queue: Some(TaskQueue {
                    name: task_queue.clone(),
                    kind: TaskQueueKind::Normal as i32,
                    ..Default::default()
                }),
                identity: "solo-client-tests".into(),
                ..Default::default()
            });
            request.set_timeout(Duration::from_secs(70));
            let task = match poll.poll_activity_task_queue(request).await {
                Ok(r) => r.into_inner(),
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            if task.task_token.is_empty() {
                continue;
            }
            let task = Task {
                task: Arc::new(task),
                service: service.clone(),
            };
            let handler = handler.clone();
            tokio::spawn(async move {
                let token = task.task.task_token.clone();
                let mut service = task.service.clone();
                let reply = handler(task).await;
                let result = match reply {
                    Reply::Complete(payloads) => service
                        .respond_activity_task_completed(ws::RespondActivityTaskCompletedRequest {
                            task_token: token,
                            result: Some(Payloads { payloads }),
                            identity: "solo-client-tests".into(),
                            namespace: NAMESPACE.into(),
                            ..Default::default()
                        })
                        .await
                        .map(drop),
                    Reply::Fail(failure) => service
                        .respond_activity_task_failed(ws::RespondActivityTaskFailedRequest {
                            task_token: token,
                            failure: Some(*failure),
                            identity: "solo-client-tests".into(),
                            namespace: NAMESPACE.into(),
                            ..Default::default()
                        })
                        .await
                        .map(drop),
                    Reply::Cancel(details) => service
                        .respond_activity_task_canceled(ws::RespondActivityTaskCanceledRequest {
                            task_token: token,
                            details: Some(Payloads { payloads: details }),
                            identity: "solo-client-tests".into(),
                            namespace: NAMESPACE.into(),
                            ..Default::default()
                        })
                        .await
                        .map(drop),
                    Reply::Nothing => Ok(()),
                };
                if let Err(e) = result {
                    eprintln!("test worker: respond failed: {e}");
                }
            });
        }
    });
    TestWorker { poller }
}

/// A retryable-or-not application failure, as an SDK would report it.
pub(crate) fn application_failure(
    message: &str,
    error_type: &str,
    non_retryable: bool,
    details: Vec<Payload>,
) -> Failure {
    use solo_proto::temporal::api::failure::v1 as pb;
    Failure {
        message: message.into(),
        source: "TestSDK".into(),
        failure_info: Some(pb::failure::FailureInfo::ApplicationFailureInfo(
            pb::ApplicationFailureInfo {
                r#type: error_type.into(),
                non_retryable,
                details: (!details.is_empty()).then_some(Payloads { payloads: details }),
                ..Default::default()
            },
        )),
        ..Default::default()
    }
}

/// A dev server of the test's own, stopped when the returned guard is dropped.
pub(crate) struct PrivateServer {
    /// Its address.
    pub(crate) address: String,
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PrivateServer {
    /// Starts a dev server with `options` (from a thread that outlives it, as the server is
    /// tied to the thread that started it).
    pub(crate) fn start(options: solo_testing::DevServerOptions) -> PrivateServer {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let server =
                solo_testing::DevServer::start_with(options).expect("a private dev server");
            addr_tx.send(server.address()).unwrap();
            let _ = stop_rx.recv();
            drop(server);
        });
        let address = addr_rx.recv().expect("the private dev server started");
        PrivateServer {
            address,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Stops the server and waits until it is gone.
    pub(crate) fn stop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        self.stop();
    }
}
