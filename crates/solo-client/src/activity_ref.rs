//! One activity execution as calls address it — the call core, its activity id and run id —
//! and the describe calls that both [`ActivityHandle`](crate::ActivityHandle) and its
//! [`ActivityWatch`](crate::ActivityWatch) make.

use bytes::Bytes;
use solo_proto::temporal::api::workflowservice::v1::{
    DescribeActivityExecutionRequest, DescribeActivityExecutionResponse,
};

use crate::call::{CallCore, CallKind};
use crate::call_error::CallError;
use crate::description::{ActivityDescription, DescribeOptions};
use crate::rpc::DESCRIBE_ACTIVITY_EXECUTION;
use crate::rpc_error::RpcError;
use crate::status::Target;
use crate::telemetry;

/// An activity execution: the latest run with the id when `run_id` is `None`.
#[derive(Clone)]
pub(crate) struct ActivityRef {
    pub(crate) core: CallCore,
    pub(crate) activity_id: String,
    pub(crate) run_id: Option<String>,
}

impl ActivityRef {
    /// What a failed call on this activity was about.
    pub(crate) fn target(&self) -> Target<'_> {
        Target::Activity {
            activity_id: &self.activity_id,
            run_id: self.run_id.as_deref(),
        }
    }

    /// The span a call on this activity runs in.
    pub(crate) fn span(&self, operation: &'static str) -> tracing::Span {
        telemetry::call_span(
            operation,
            self.core.namespace(),
            &self.activity_id,
            self.run_id.as_deref().unwrap_or(""),
        )
    }

    /// Describes the activity now, in its span.
    pub(crate) async fn describe(
        &self,
        options: DescribeOptions,
    ) -> Result<ActivityDescription, CallError> {
        telemetry::traced(self.span(DESCRIBE_ACTIVITY_EXECUTION.name()), async {
            let message = self.describe_request(options, Bytes::new(), self.run_id.clone());
            let response = self
                .core
                .call(
                    DESCRIBE_ACTIVITY_EXECUTION,
                    message,
                    self.target(),
                    CallKind::Unary,
                )
                .await?;
            self.decode_description(response).await
        })
        .await
    }

    /// Long-polls for the first description of run `run_id` that differs from the state in
    /// `token`.
    pub(crate) async fn describe_after(
        &self,
        run_id: String,
        token: Bytes,
    ) -> Result<ActivityDescription, CallError> {
        let message = self.describe_request(DescribeOptions::default(), token, Some(run_id));
        let response = self
            .core
            .long_poll(
                DESCRIBE_ACTIVITY_EXECUTION,
                || message.clone(),
                self.target(),
                |response| response.info.is_some().then_some(response),
            )
            .await?;
        self.decode_description(response).await
    }

    fn describe_request(
        &self,
        options: DescribeOptions,
        long_poll_token: Bytes,
        run_id: Option<String>,
    ) -> DescribeActivityExecutionRequest {
        DescribeActivityExecutionRequest {
            namespace: self.core.namespace().to_owned(),
            activity_id: self.activity_id.clone(),
            run_id: run_id.unwrap_or_default(),
            include_input: options.include_input,
            include_outcome: options.include_outcome,
            long_poll_token,
            include_heartbeat_details: true,
            include_last_failure: true,
        }
    }

    async fn decode_description(
        &self,
        response: DescribeActivityExecutionResponse,
    ) -> Result<ActivityDescription, CallError> {
        ActivityDescription::decode(response, self.core.converter())
            .await
            .ok_or_else(|| {
                CallError::Rejected(RpcError::new(
                    tonic::Code::Internal,
                    "the server described the activity without any information",
                ))
            })
    }
}
