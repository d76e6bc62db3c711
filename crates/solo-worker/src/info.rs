//! [`ActivityInfo`]: what a running activity knows about its task.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use solo_client::{Details, Priority, RetryPolicy};
use solo_proto::temporal::api::common::v1::Payload;
use solo_proto::temporal::api::workflowservice::v1::PollActivityTaskQueueResponse;
use solo_proto::wkt;

/// Facts about one activity attempt, as the server sent them with the task.
///
/// Standalone activities have an [`activity_run_id`](Self::activity_run_id) and no
/// [`workflow`](Self::workflow); activities scheduled by a workflow have it the other way round.
/// Construct one with [`ActivityInfo::default`] and set fields (for tests).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ActivityInfo {
    /// The activity id (the business id given at start).
    pub activity_id: String,
    /// The run id of a standalone activity; `None` for an activity scheduled by a workflow.
    pub activity_run_id: Option<String>,
    /// The activity type name.
    pub activity_type: String,
    /// The namespace the activity runs in.
    pub namespace: String,
    /// The task queue the task came from.
    pub task_queue: String,
    /// The attempt number, starting at 1.
    pub attempt: u32,
    /// When the activity was first scheduled.
    pub scheduled_time: Option<SystemTime>,
    /// When this attempt was scheduled.
    pub current_attempt_scheduled_time: Option<SystemTime>,
    /// When this attempt started (the server's clock).
    pub started_time: Option<SystemTime>,
    /// The overall limit, across attempts and retries (`None`: unlimited).
    pub schedule_to_close_timeout: Option<Duration>,
    /// The limit for one attempt.
    pub start_to_close_timeout: Option<Duration>,
    /// The longest allowed gap between heartbeats (`None`: heartbeats are not required).
    pub heartbeat_timeout: Option<Duration>,
    /// Details of the last heartbeat recorded by a previous attempt, to resume from. Empty on
    /// the first attempt, or when no attempt heartbeated with details.
    pub heartbeat_details: Details,
    /// The retry policy the server applies to this activity, as it sent it with the task: the
    /// one given at start (or by the scheduling workflow), with the server's defaults filled
    /// in. `None` when the server sent none.
    pub retry_policy: Option<RetryPolicy>,
    /// The activity's dispatch priority and fairness, as the server sent it with the task
    /// (fields the starter left unset are `None`).
    pub priority: Priority,
    /// The workflow that scheduled this activity; `None` for a standalone activity.
    pub workflow: Option<WorkflowInfo>,
    /// The opaque task token that identifies this attempt to the server.
    pub task_token: Bytes,
    /// Headers sent with the activity (for example tracing context), not run through the codec.
    pub header: HashMap<String, Payload>,
}

impl ActivityInfo {
    /// Whether a workflow scheduled this activity (as opposed to a client starting it as a
    /// standalone activity).
    pub fn in_workflow(&self) -> bool {
        self.workflow.is_some()
    }

    /// Builds the info from a poll response. Heartbeat details are taken as they arrived
    /// (before any codec); `task_queue` is the queue that was polled.
    pub(crate) fn from_task(task: &mut PollActivityTaskQueueResponse, task_queue: &str) -> Self {
        // Standalone activities come with an empty `workflow_execution` (or none).
        let execution = task
            .workflow_execution
            .take()
            .filter(|e| !e.workflow_id.is_empty());
        let workflow = execution.map(|execution| WorkflowInfo {
            namespace: task.workflow_namespace.clone(),
            workflow_id: execution.workflow_id,
            run_id: execution.run_id,
            workflow_type: task
                .workflow_type
                .take()
                .map(|t| t.name)
                .unwrap_or_default(),
        });
        ActivityInfo {
            activity_id: std::mem::take(&mut task.activity_id),
            activity_run_id: Some(std::mem::take(&mut task.activity_run_id))
                .filter(|r| !r.is_empty()),
            activity_type: task
                .activity_type
                .take()
                .map(|t| t.name)
                .unwrap_or_default(),
            namespace: std::mem::take(&mut task.workflow_namespace),
            task_queue: task_queue.to_owned(),
            attempt: u32::try_from(task.attempt).unwrap_or(0),
            scheduled_time: task
                .scheduled_time
                .as_ref()
                .and_then(wkt::timestamp_from_proto),
            current_attempt_scheduled_time: task
                .current_attempt_scheduled_time
                .as_ref()
                .and_then(wkt::timestamp_from_proto),
            started_time: task
                .started_time
                .as_ref()
                .and_then(wkt::timestamp_from_proto),
            schedule_to_close_timeout: timeout(task.schedule_to_close_timeout.as_ref()),
            start_to_close_timeout: timeout(task.start_to_close_timeout.as_ref()),
            heartbeat_timeout: timeout(task.heartbeat_timeout.as_ref()),
            heartbeat_details: Details::new(
                task.heartbeat_details
                    .take()
                    .map(|p| p.payloads)
                    .unwrap_or_default(),
            ),
            retry_policy: task.retry_policy.take().map(RetryPolicy::from),
            priority: task.priority.take().map(Priority::from).unwrap_or_default(),
            workflow,
            task_token: std::mem::take(&mut task.task_token),
            header: task.header.take().map(|h| h.fields).unwrap_or_default(),
        }
    }
}

/// A zero or absent timeout means "not set".
fn timeout(d: Option<&prost_types::Duration>) -> Option<Duration> {
    d.and_then(wkt::duration_from_proto)
        .filter(|d| !d.is_zero())
}

/// The workflow that scheduled an activity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkflowInfo {
    /// The workflow's namespace.
    pub namespace: String,
    /// The workflow id.
    pub workflow_id: String,
    /// The workflow run id.
    pub run_id: String,
    /// The workflow type name.
    pub workflow_type: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use solo_proto::temporal::api::common::v1::{
        self as common, ActivityType, Payloads, WorkflowExecution, WorkflowType,
    };

    #[test]
    fn standalone_tasks_have_a_run_id_and_no_workflow() {
        let mut task = PollActivityTaskQueueResponse {
            task_token: Bytes::from_static(b"tok"),
            workflow_namespace: "default".into(),
            activity_type: Some(ActivityType {
                name: "greet".into(),
            }),
            activity_id: "a-1".into(),
            activity_run_id: "run-1".into(),
            attempt: 2,
            heartbeat_timeout: Some(prost_types::Duration {
                seconds: 0,
                nanos: 0,
            }),
            start_to_close_timeout: Some(prost_types::Duration {
                seconds: 10,
                nanos: 0,
            }),
            heartbeat_details: Some(Payloads {
                payloads: vec![solo_client::to_payload(&7).unwrap()],
            }),
            ..Default::default()
        };
        task.workflow_execution = Some(WorkflowExecution::default());
        let info = ActivityInfo::from_task(&mut task, "q");
        assert_eq!(info.activity_id, "a-1");
        assert_eq!(info.activity_run_id.as_deref(), Some("run-1"));
        assert_eq!(info.activity_type, "greet");
        assert_eq!(info.namespace, "default");
        assert_eq!(info.task_queue, "q");
        assert_eq!(info.attempt, 2);
        assert_eq!(info.heartbeat_timeout, None);
        assert_eq!(info.start_to_close_timeout, Some(Duration::from_secs(10)));
        assert_eq!(info.heartbeat_details.get::<i32>(0).unwrap(), 7);
        assert_eq!(&info.task_token[..], b"tok");
        assert!(!info.in_workflow());
        assert_eq!(info.retry_policy, None);
        assert_eq!(info.priority, Priority::new());
    }

    #[test]
    fn the_retry_policy_and_priority_come_from_the_task() {
        let mut task = PollActivityTaskQueueResponse {
            retry_policy: Some(common::RetryPolicy {
                initial_interval: Some(prost_types::Duration {
                    seconds: 2,
                    nanos: 0,
                }),
                backoff_coefficient: 1.5,
                maximum_interval: Some(prost_types::Duration {
                    seconds: 30,
                    nanos: 0,
                }),
                maximum_attempts: 4,
                non_retryable_error_types: vec!["Fatal".into()],
            }),
            priority: Some(common::Priority {
                priority_key: 2,
                fairness_key: "tenant-a".into(),
                fairness_weight: 0.0,
            }),
            ..Default::default()
        };
        let info = ActivityInfo::from_task(&mut task, "q");
        assert_eq!(
            info.retry_policy,
            Some(
                RetryPolicy::new()
                    .initial_interval(Duration::from_secs(2))
                    .backoff_coefficient(1.5)
                    .maximum_interval(Duration::from_secs(30))
                    .maximum_attempts(4)
                    .non_retryable_error_type("Fatal")
            )
        );
        assert_eq!(
            info.priority,
            Priority::new().priority_key(2).fairness_key("tenant-a")
        );
    }

    #[test]
    fn workflow_tasks_carry_their_workflow() {
        let mut task = PollActivityTaskQueueResponse {
            workflow_namespace: "ns".into(),
            workflow_type: Some(WorkflowType {
                name: "Order".into(),
            }),
            workflow_execution: Some(WorkflowExecution {
                workflow_id: "wf".into(),
                run_id: "r".into(),
            }),
            ..Default::default()
        };
        let info = ActivityInfo::from_task(&mut task, "q");
        assert!(info.in_workflow());
        assert_eq!(info.activity_run_id, None);
        let wf = info.workflow.unwrap();
        assert_eq!(
            (
                wf.namespace.as_str(),
                wf.workflow_id.as_str(),
                wf.workflow_type.as_str()
            ),
            ("ns", "wf", "Order")
        );
    }
}
