//! Protobuf messages both SDKs know, for the protobuf payload tests: the Rust twin of a
//! message Python has in `temporalio.api`, with its proto3 JSON mapping.

use serde::{Deserialize, Serialize};

/// `temporal.api.common.v1.WorkflowExecution`: the same fields and numbers as upstream, and
/// the proto3 JSON names (`workflowId`, `runId`).
#[derive(Clone, PartialEq, Eq, prost::Message, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WorkflowExecution {
    /// Field 1.
    #[prost(string, tag = "1")]
    pub workflow_id: String,
    /// Field 2.
    #[prost(string, tag = "2")]
    pub run_id: String,
}

impl prost::Name for WorkflowExecution {
    const NAME: &'static str = "WorkflowExecution";
    const PACKAGE: &'static str = "temporal.api.common.v1";
}
