//! The raw baseline: the benchmark loops written directly on the `solo-proto` gRPC stubs with
//! no SDK logic — no data converter, no retries, no interceptors, no compression. This is the
//! ceiling an SDK is measured against.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use serde_json::Value;
use solo_proto::temporal::api::activity::v1::activity_execution_outcome;
use solo_proto::temporal::api::common::v1::{ActivityType, Payload, Payloads};
use solo_proto::temporal::api::enums::v1::TaskQueueKind;
use solo_proto::temporal::api::taskqueue::v1::TaskQueue;
use solo_proto::temporal::api::workflowservice::v1::workflow_service_client::WorkflowServiceClient;
use solo_proto::temporal::api::workflowservice::v1::{
    ListActivityExecutionsRequest, PollActivityExecutionRequest, PollActivityTaskQueueRequest,
    PollActivityTaskQueueResponse, RecordActivityTaskHeartbeatRequest,
    RequestCancelActivityExecutionRequest, RespondActivityTaskCanceledRequest,
    RespondActivityTaskCompletedRequest, StartActivityExecutionRequest,
};
use tonic::transport::Channel;

use crate::args::Args;
use crate::harness::{self, Common, EchoClientOptions, INFLIGHT, ListProgress};

/// The generated client on a plain HTTP/2 channel.
pub(crate) type Stub = WorkflowServiceClient<Channel>;

/// Long polls carry a deadline above the server's own poll window (about a minute), so the
/// server, not the client, ends an empty poll.
const LONG_POLL: Duration = Duration::from_secs(70);

/// The activity type of the echo scenario.
pub(crate) const ECHO: &str = "echo";

/// The activity type of the in-flight scenario.
pub(crate) const HOLD: &str = "hold";

/// Connects one channel to `address` (`host:port`).
pub(crate) async fn connect(address: &str) -> Result<Stub> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))?
        .connect_timeout(Duration::from_secs(5))
        .tcp_nodelay(true)
        .connect()
        .await
        .with_context(|| format!("connecting to {address}"))?;
    Ok(WorkflowServiceClient::new(channel))
}

fn task_queue(name: &str) -> Option<TaskQueue> {
    Some(TaskQueue {
        name: name.to_owned(),
        kind: TaskQueueKind::Normal as i32,
        normal_name: String::new(),
    })
}

fn identity() -> String {
    format!("{}@solo-bench", std::process::id())
}

/// A `json/plain` payload holding a JSON string.
pub(crate) fn json_string_payload(value: &str) -> Payload {
    let mut data = Vec::with_capacity(value.len() + 2);
    data.push(b'"');
    data.extend_from_slice(value.as_bytes());
    data.push(b'"');
    Payload {
        metadata: [("encoding".to_owned(), Bytes::from_static(b"json/plain"))].into(),
        data: data.into(),
        external_payloads: Vec::new(),
    }
}

/// The activity id of the `i`th activity of a run.
pub(crate) fn activity_id(prefix: &str, i: usize) -> String {
    format!("{prefix}-{i}")
}

/// A prefix no earlier run on the same server used.
pub(crate) fn run_prefix(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{what}-{}-{nanos:x}", std::process::id())
}

/// The request that starts one activity. Activities with a heartbeat timeout (`hold`) get a
/// long start-to-close timeout.
pub(crate) fn start_request(
    namespace: &str,
    queue: &str,
    activity_type: &str,
    id: String,
    input: Option<Payload>,
    heartbeat_timeout: Option<Duration>,
) -> StartActivityExecutionRequest {
    let start_to_close = if heartbeat_timeout.is_some() {
        Duration::from_secs(3600)
    } else {
        Duration::from_secs(60)
    };
    let duration = |d: Duration| {
        Some(prost_types::Duration {
            seconds: d.as_secs() as i64,
            nanos: d.subsec_nanos() as i32,
        })
    };
    StartActivityExecutionRequest {
        namespace: namespace.to_owned(),
        identity: identity(),
        request_id: id.clone(),
        activity_id: id,
        activity_type: Some(ActivityType {
            name: activity_type.to_owned(),
        }),
        task_queue: task_queue(queue),
        start_to_close_timeout: duration(start_to_close),
        heartbeat_timeout: heartbeat_timeout.and_then(duration),
        input: input.map(|p| Payloads { payloads: vec![p] }),
        ..Default::default()
    }
}

/// Starts an activity for a driver of the suite (not a measured loop): retried while the
/// server is busy.
pub(crate) async fn start_retrying(
    stub: &Stub,
    request: StartActivityExecutionRequest,
) -> Result<()> {
    retry_busy(|| {
        let mut stub = stub.clone();
        let request = request.clone();
        async move { stub.start_activity_execution(request).await }
    })
    .await?;
    Ok(())
}

/// Retries a call the server refused because it is busy (`RESOURCE_EXHAUSTED`,
/// `UNAVAILABLE`, or `DEADLINE_EXCEEDED` from a server too loaded to answer in time), with
/// backoff — the bench's drivers push the dev server to its limits. Every call retried here
/// reads only or carries a request id, so retrying one that did take effect changes nothing.
/// Used by the suite's drivers only, never inside a measured raw loop.
pub(crate) async fn retry_busy<T, F, Fut>(mut call: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, tonic::Status>>,
{
    let mut backoff = Duration::from_millis(50);
    let mut attempts = 0;
    loop {
        match call().await {
            Ok(value) => return Ok(value),
            Err(status)
                if attempts < 20
                    && matches!(
                        status.code(),
                        tonic::Code::ResourceExhausted
                            | tonic::Code::Unavailable
                            | tonic::Code::DeadlineExceeded
                    ) =>
            {
                attempts += 1;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
            Err(status) => return Err(status.into()),
        }
    }
}

/// Long-polls until the activity closes; returns its result payloads.
pub(crate) async fn await_result(
    stub: &mut Stub,
    namespace: &str,
    id: String,
    run_id: String,
) -> Result<Payloads> {
    loop {
        let mut request = tonic::Request::new(PollActivityExecutionRequest {
            namespace: namespace.to_owned(),
            activity_id: id.clone(),
            run_id: run_id.clone(),
        });
        request.set_timeout(LONG_POLL);
        let response = stub.poll_activity_execution(request).await?.into_inner();
        match response.outcome.and_then(|o| o.value) {
            None => continue,
            Some(activity_execution_outcome::Value::Result(payloads)) => return Ok(payloads),
            Some(activity_execution_outcome::Value::Failure(failure)) => {
                bail!("activity {id} failed: {}", failure.message)
            }
        }
    }
}

/// `--mode raw-client`: the echo loop on the stubs.
pub(crate) async fn client(mut args: Args) -> Result<Value> {
    let options = EchoClientOptions::parse(&mut args)?;
    args.finish()?;
    let stub = connect(&options.common.address).await?;
    let prefix = run_prefix("raw");
    let namespace: Arc<str> = options.common.namespace.as_str().into();
    let queue: Arc<str> = options.task_queue.as_str().into();
    harness::echo_client("raw", &options, move |i| {
        let mut stub = stub.clone();
        let namespace = Arc::clone(&namespace);
        let queue = Arc::clone(&queue);
        let id = activity_id(&prefix, i);
        async move {
            let input = json_string_payload(&id);
            let request = start_request(
                &namespace,
                &queue,
                ECHO,
                id.clone(),
                Some(input.clone()),
                None,
            );
            let run_id = stub
                .start_activity_execution(request)
                .await?
                .into_inner()
                .run_id;
            let result = await_result(&mut stub, &namespace, id, run_id).await?;
            if result.payloads.first().map(|p| &p.data) != Some(&input.data) {
                bail!("echo returned {result:?}");
            }
            Ok(())
        }
    })
    .await
}

/// Options of the raw workers.
struct WorkerOptions {
    common: Common,
    task_queue: String,
    pollers: usize,
    /// Stop after this many completed tasks.
    n: Option<usize>,
}

impl WorkerOptions {
    fn parse(args: &mut Args, default_queue: &str) -> Result<Self> {
        Ok(WorkerOptions {
            common: Common::parse(args)?,
            task_queue: args
                .value("--task-queue")?
                .unwrap_or_else(|| default_queue.to_owned()),
            pollers: args.parse_or("--pollers", 5usize)?.max(1),
            n: args.parse_opt("--n")?,
        })
    }
}

/// One poll of the activity task queue; `None` when the poll window ended empty.
async fn poll_task(
    stub: &mut Stub,
    namespace: &str,
    queue: &str,
    identity: &str,
) -> Result<Option<PollActivityTaskQueueResponse>> {
    let mut request = tonic::Request::new(PollActivityTaskQueueRequest {
        namespace: namespace.to_owned(),
        task_queue: task_queue(queue),
        identity: identity.to_owned(),
        ..Default::default()
    });
    request.set_timeout(LONG_POLL);
    let task = stub.poll_activity_task_queue(request).await?.into_inner();
    Ok((!task.task_token.is_empty()).then_some(task))
}

/// `--mode raw-worker`: `--pollers` loops of poll → respond completed with the input.
pub(crate) async fn worker(mut args: Args) -> Result<Value> {
    let options = WorkerOptions::parse(&mut args, "solo-bench")?;
    args.finish()?;
    let stub = connect(&options.common.address).await?;
    let completed = Arc::new(AtomicUsize::new(0));
    let limit = options.n.unwrap_or(usize::MAX);
    let identity: Arc<str> = identity().into();
    let namespace: Arc<str> = options.common.namespace.as_str().into();
    let queue: Arc<str> = options.task_queue.as_str().into();
    let mut pollers = tokio::task::JoinSet::new();
    for _ in 0..options.pollers {
        let mut stub = stub.clone();
        let completed = Arc::clone(&completed);
        let (identity, namespace, queue) = (
            Arc::clone(&identity),
            Arc::clone(&namespace),
            Arc::clone(&queue),
        );
        pollers.spawn(async move {
            while completed.load(Ordering::Relaxed) < limit {
                let task = match poll_task(&mut stub, &namespace, &queue, &identity).await {
                    Ok(Some(task)) => task,
                    Ok(None) => continue,
                    Err(e) => {
                        tracing::warn!("poll failed: {e:#}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let response = RespondActivityTaskCompletedRequest {
                    task_token: task.task_token,
                    result: task.input,
                    identity: identity.to_string(),
                    namespace: namespace.to_string(),
                    ..Default::default()
                };
                match stub.respond_activity_task_completed(response).await {
                    Ok(_) => {
                        completed.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => tracing::warn!("respond failed: {e}"),
                }
            }
        });
    }
    let marked = Arc::clone(&completed);
    harness::mark_on_signal(move || marked.load(Ordering::Relaxed));
    harness::announce_ready("raw-worker");
    tokio::select! {
        _ = harness::stop_signal() => {}
        _ = async { while pollers.join_next().await.is_some() {} } => {}
    }
    let line = harness::worker_report("echo-worker", "raw", completed.load(Ordering::Relaxed));
    harness::emit(&line);
    Ok(line)
}

/// `--mode raw-inflight-worker`: holds every `hold` task, counts a heartbeat each second and
/// sends it to the server at once the first time and then at most every 0.8 × the heartbeat
/// timeout (as SDKs throttle), and reports the task canceled once the server says cancellation
/// was requested.
pub(crate) async fn inflight_worker(mut args: Args) -> Result<Value> {
    let (n, window) = harness::inflight_options(&mut args)?;
    let options = WorkerOptions::parse(&mut args, "solo-bench-inflight")?;
    args.finish()?;
    let stub = connect(&options.common.address).await?;
    let identity: Arc<str> = identity().into();
    let namespace: Arc<str> = options.common.namespace.as_str().into();
    let queue: Arc<str> = options.task_queue.as_str().into();
    for _ in 0..options.pollers {
        let mut stub = stub.clone();
        let (identity, namespace, queue) = (
            Arc::clone(&identity),
            Arc::clone(&namespace),
            Arc::clone(&queue),
        );
        tokio::spawn(async move {
            loop {
                let task = match poll_task(&mut stub, &namespace, &queue, &identity).await {
                    Ok(Some(task)) => task,
                    Ok(None) => continue,
                    Err(e) => {
                        tracing::warn!("poll failed: {e:#}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                INFLIGHT.running.fetch_add(1, Ordering::Relaxed);
                let fut = hold(
                    stub.clone(),
                    task,
                    Arc::clone(&identity),
                    Arc::clone(&namespace),
                );
                tracing::trace!(bytes = std::mem::size_of_val(&fut), "hold task future");
                tokio::spawn(fut);
            }
        });
    }
    harness::announce_ready("raw-inflight-worker");
    let line = tokio::select! {
        line = harness::inflight_monitor("raw", n, window) => line,
        _ = harness::stop_signal() => serde_json::Value::Null,
    };
    Ok(line)
}

async fn hold(
    mut stub: Stub,
    task: PollActivityTaskQueueResponse,
    identity: Arc<str>,
    namespace: Arc<str>,
) {
    let throttle = task
        .heartbeat_timeout
        .map(|d| Duration::from_secs(d.seconds.max(0) as u64).mul_f64(0.8))
        .unwrap_or(Duration::from_secs(30))
        .min(Duration::from_secs(60));
    // The first heartbeat goes out at the first tick, as the SDKs send theirs (sdk-core's
    // heartbeat manager, so the Python SDK; solo), then one per throttle interval.
    let mut last_sent: Option<Instant> = None;
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.tick().await;
    loop {
        ticker.tick().await;
        INFLIGHT.heartbeats.fetch_add(1, Ordering::Relaxed);
        if last_sent.is_some_and(|at| at.elapsed() < throttle) {
            continue;
        }
        last_sent = Some(Instant::now());
        let request = RecordActivityTaskHeartbeatRequest {
            task_token: task.task_token.clone(),
            identity: identity.to_string(),
            namespace: namespace.to_string(),
            ..Default::default()
        };
        // Boxed so the RPC's large state machine is allocated only while it runs, not for the
        // whole life of every held activity.
        match Box::pin(stub.record_activity_task_heartbeat(request)).await {
            Ok(response) if response.get_ref().cancel_requested => break,
            Ok(_) => {}
            Err(e) if e.code() == tonic::Code::NotFound => break,
            Err(e) => tracing::warn!("heartbeat failed: {e}"),
        }
    }
    let request = RespondActivityTaskCanceledRequest {
        task_token: task.task_token,
        identity: identity.to_string(),
        namespace: namespace.to_string(),
        ..Default::default()
    };
    if let Err(e) = Box::pin(stub.respond_activity_task_canceled(request)).await {
        tracing::debug!("respond canceled: {e}");
    }
    INFLIGHT.running.fetch_sub(1, Ordering::Relaxed);
    INFLIGHT.finished.fetch_add(1, Ordering::Relaxed);
}

/// `--mode raw-list`: pages through `ListActivityExecutions`.
pub(crate) async fn list(mut args: Args) -> Result<Value> {
    let common = Common::parse(&mut args)?;
    let query = args.value("--query")?.unwrap_or_default();
    let page_size: i32 = args.parse_or("--page-size", 1000)?;
    args.finish()?;
    let stub = connect(&common.address).await?;
    let mut progress = ListProgress::start("raw");
    let mut token = Bytes::new();
    loop {
        let request = ListActivityExecutionsRequest {
            namespace: common.namespace.clone(),
            page_size,
            next_page_token: token,
            query: query.clone(),
        };
        // The dev server's persistence rate limit answers RESOURCE_EXHAUSTED to big pages.
        let response = retry_busy(|| {
            let mut stub = stub.clone();
            let request = request.clone();
            async move { stub.list_activity_executions(request).await }
        })
        .await?
        .into_inner();
        progress.add(response.executions.len());
        if response.next_page_token.is_empty() {
            break;
        }
        token = response.next_page_token;
    }
    Ok(progress.finish())
}

/// Requests cancellation of one activity.
pub(crate) async fn cancel(stub: &Stub, namespace: &str, id: String) -> Result<()> {
    let request = RequestCancelActivityExecutionRequest {
        namespace: namespace.to_owned(),
        request_id: format!("cancel-{id}"),
        activity_id: id,
        identity: identity(),
        reason: "solo-bench: done measuring".to_owned(),
        ..Default::default()
    };
    retry_busy(|| {
        let mut stub = stub.clone();
        let request = request.clone();
        async move { stub.request_cancel_activity_execution(request).await }
    })
    .await?;
    Ok(())
}
