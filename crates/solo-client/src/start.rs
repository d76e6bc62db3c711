//! Starting an activity: the start span, the checks made before anything is sent (the
//! options; whether the namespace honours a start delay), the request and the call.

use std::sync::Arc;

use solo_proto::temporal::api::common::v1::Payload;
use solo_proto::temporal::api::workflowservice::v1::DescribeNamespaceRequest;
use tokio::sync::OnceCell;
use tracing::Instrument;

use crate::call::{CallCore, CallKind};
use crate::call_error::CallError;
use crate::options::ActivityOptions;
use crate::rpc::DESCRIBE_NAMESPACE;
use crate::start_error::StartError;
use crate::status::Target;
use crate::telemetry;

/// Whether the namespace honours `start_delay`: asked once, on the first start that needs
/// it, and shared by a client's clones.
#[derive(Clone, Default)]
pub(crate) struct StartDelaySupport(Arc<OnceCell<bool>>);

impl StartDelaySupport {
    async fn get(&self, core: &CallCore) -> Result<bool, CallError> {
        let supported = self
            .0
            .get_or_try_init(|| async {
                let message = DescribeNamespaceRequest {
                    namespace: core.namespace().to_owned(),
                    ..Default::default()
                };
                let response = core
                    .call(
                        DESCRIBE_NAMESPACE,
                        message,
                        Target::Namespace,
                        CallKind::Unary,
                    )
                    .await?;
                let supported = response
                    .namespace_info
                    .and_then(|info| info.capabilities)
                    .is_some_and(|c| c.standalone_activity_start_delay);
                Ok::<bool, CallError>(supported)
            })
            .await?;
        Ok(*supported)
    }
}

/// The activity a start created (or attached to).
pub(crate) struct Started {
    pub(crate) activity_id: String,
    pub(crate) run_id: Option<String>,
}

/// Starts an activity from its encoded input, in the start span.
pub(crate) async fn start(
    core: &CallCore,
    start_delay: &StartDelaySupport,
    activity_type: &str,
    input: Vec<Payload>,
    options: &ActivityOptions,
) -> Result<Started, StartError> {
    let span = telemetry::start_span(
        core.namespace(),
        options.get_task_queue(),
        options.get_id(),
        activity_type,
    );
    let call = start_in_span(core, start_delay, activity_type, input, options);
    if span.is_disabled() {
        return call.await;
    }
    let result = call.instrument(span.clone()).await;
    if let Ok(started) = &result {
        span.record("run_id", started.run_id.as_deref().unwrap_or(""));
    }
    telemetry::record_result(&span, &result);
    result
}

/// Starts the activity; runs inside the start span, so that interceptors can read it.
async fn start_in_span(
    core: &CallCore,
    start_delay: &StartDelaySupport,
    activity_type: &str,
    input: Vec<Payload>,
    options: &ActivityOptions,
) -> Result<Started, StartError> {
    options.validate(activity_type)?;
    if options.requested_start_delay().is_some() && !start_delay.get(core).await? {
        return Err(StartError::StartDelayUnsupported {
            namespace: core.namespace().to_owned(),
        });
    }
    let message = options
        .to_request(
            core.namespace(),
            core.identity(),
            activity_type,
            input,
            core.converter(),
        )
        .await?;
    // Logged from the options, not the message: a message borrowed here would be kept in
    // this future for the whole call (the call frames it and does not keep it).
    tracing::debug!(
        activity_id = options.get_id(),
        activity_type,
        task_queue = options.get_task_queue(),
        "starting activity"
    );
    let (response, activity_id) = core.start(message, options.get_start_retry()).await?;
    if !response.started {
        tracing::debug!(activity_id = %activity_id, run_id = %response.run_id, "attached to an existing run");
    }
    Ok(Started {
        activity_id,
        run_id: Some(response.run_id).filter(|r| !r.is_empty()),
    })
}
