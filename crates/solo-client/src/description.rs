//! What the server knows about an activity: [`ActivityDescription`] and the status enums.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use solo_proto::temporal::api::activity::v1::activity_execution_outcome::Value as OutcomeValue;
use solo_proto::temporal::api::activity::v1::{ActivityExecutionInfo, ActivityExecutionOutcome};
use solo_proto::temporal::api::common::v1::{Payload, Payloads};
use solo_proto::temporal::api::enums::v1 as enums;
use solo_proto::temporal::api::workflowservice::v1::DescribeActivityExecutionResponse;
use solo_proto::wkt;

use crate::activity_failure::ActivityFailure;
use crate::converter::DataConverter;
use crate::details::Details;
use crate::payload::from_payload;
use crate::priority::Priority;
use crate::retry_policy::RetryPolicy;
use crate::search_attributes::{SearchAttributeValue, decode_search_attributes};

/// The status of an activity execution.
///
/// [`as_str`](ActivityStatus::as_str) gives the value list and count queries use
/// (`ExecutionStatus = 'Running'`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ActivityStatus {
    /// Scheduled, running, or waiting for a retry.
    Running,
    /// Completed with a result.
    Completed,
    /// Failed, with no retry left.
    Failed,
    /// Cancelled.
    Canceled,
    /// Terminated.
    Terminated,
    /// Timed out, with no retry left.
    TimedOut,
    /// Paused by an operator.
    Paused,
    /// The server did not say (or sent a status this SDK does not know).
    Unspecified,
}

impl ActivityStatus {
    /// The visibility name (`Running`, `Completed`, `Failed`, `Canceled`, `Terminated`,
    /// `TimedOut`, `Paused`).
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityStatus::Running => "Running",
            ActivityStatus::Completed => "Completed",
            ActivityStatus::Failed => "Failed",
            ActivityStatus::Canceled => "Canceled",
            ActivityStatus::Terminated => "Terminated",
            ActivityStatus::TimedOut => "TimedOut",
            ActivityStatus::Paused => "Paused",
            ActivityStatus::Unspecified => "Unspecified",
        }
    }

    /// Whether the activity has closed (it will not change any more).
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            ActivityStatus::Completed
                | ActivityStatus::Failed
                | ActivityStatus::Canceled
                | ActivityStatus::Terminated
                | ActivityStatus::TimedOut
        )
    }

    pub(crate) fn from_proto(value: i32) -> Self {
        use enums::ActivityExecutionStatus as S;
        match S::try_from(value) {
            Ok(S::Running) => ActivityStatus::Running,
            Ok(S::Completed) => ActivityStatus::Completed,
            Ok(S::Failed) => ActivityStatus::Failed,
            Ok(S::Canceled) => ActivityStatus::Canceled,
            Ok(S::Terminated) => ActivityStatus::Terminated,
            Ok(S::TimedOut) => ActivityStatus::TimedOut,
            Ok(S::Paused) => ActivityStatus::Paused,
            Ok(S::Unspecified) | Err(_) => ActivityStatus::Unspecified,
        }
    }
}

impl fmt::Display for ActivityStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not an activity status name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not an activity status; expected one of Running, Completed, Failed, Canceled, \
     Terminated, TimedOut, Paused"
)]
pub struct UnknownStatus(pub String);

impl FromStr for ActivityStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "Running" => ActivityStatus::Running,
            "Completed" => ActivityStatus::Completed,
            "Failed" => ActivityStatus::Failed,
            "Canceled" => ActivityStatus::Canceled,
            "Terminated" => ActivityStatus::Terminated,
            "TimedOut" => ActivityStatus::TimedOut,
            "Paused" => ActivityStatus::Paused,
            other => return Err(UnknownStatus(other.to_owned())),
        })
    }
}

/// Where a running activity is in its current attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ActivityRunState {
    /// Waiting in the task queue for a worker (or for the next retry).
    Scheduled,
    /// A worker is running an attempt.
    Started,
    /// Cancellation was requested; the worker has not acknowledged it yet.
    CancelRequested,
    /// Paused.
    Paused,
    /// A pause was requested.
    PauseRequested,
}

impl ActivityRunState {
    pub(crate) fn from_proto(value: i32) -> Option<Self> {
        use enums::PendingActivityState as S;
        match S::try_from(value).ok()? {
            S::Scheduled => Some(ActivityRunState::Scheduled),
            S::Started => Some(ActivityRunState::Started),
            S::CancelRequested => Some(ActivityRunState::CancelRequested),
            S::Paused => Some(ActivityRunState::Paused),
            S::PauseRequested => Some(ActivityRunState::PauseRequested),
            S::Unspecified => None,
        }
    }
}

/// How a closed activity ended, as [`ActivityHandle::describe_with`] reports it when asked
/// to include the outcome.
///
/// [`ActivityHandle::describe_with`]: crate::ActivityHandle::describe_with
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ActivityOutcome {
    /// The result; decode it with [`Details::first`] (no payload means no value).
    Completed(Details),
    /// The failure it closed with.
    Failed(Box<ActivityFailure>),
}

impl ActivityOutcome {
    pub(crate) async fn decode(
        outcome: ActivityExecutionOutcome,
        converter: &DataConverter,
    ) -> Option<Self> {
        match outcome.value? {
            OutcomeValue::Result(payloads) => Some(ActivityOutcome::Completed(
                decode_payloads(Some(payloads), converter).await,
            )),
            OutcomeValue::Failure(failure) => Some(ActivityOutcome::Failed(Box::new(
                ActivityFailure::decode(failure, converter).await,
            ))),
        }
    }
}

/// A snapshot of one activity execution, from [`ActivityHandle::describe`].
///
/// Payloads (heartbeat details, input, result) have been through the client's codec and are
/// decoded into your types on demand, for example
/// `description.heartbeat_details.first::<Progress>()`.
///
/// [`ActivityHandle::describe`]: crate::ActivityHandle::describe
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ActivityDescription {
    /// The activity id.
    pub activity_id: String,
    /// The run id.
    pub run_id: String,
    /// The activity type name.
    pub activity_type: String,
    /// The status.
    pub status: ActivityStatus,
    /// Where the current attempt is, while the activity is running.
    pub run_state: Option<ActivityRunState>,
    /// The task queue.
    pub task_queue: String,
    /// The current (or last) attempt, starting at 1.
    pub attempt: u32,
    /// When the activity was scheduled.
    pub schedule_time: Option<SystemTime>,
    /// When the first attempt became available to workers (schedule time plus start delay).
    pub execution_time: Option<SystemTime>,
    /// When the current (or last) attempt started on a worker.
    pub last_started_time: Option<SystemTime>,
    /// When the last heartbeat was recorded.
    pub last_heartbeat_time: Option<SystemTime>,
    /// When the last attempt ended.
    pub last_attempt_complete_time: Option<SystemTime>,
    /// When the next attempt is scheduled, while waiting for a retry.
    pub next_attempt_schedule_time: Option<SystemTime>,
    /// When the schedule-to-close timeout expires.
    pub expiration_time: Option<SystemTime>,
    /// When the activity closed.
    pub close_time: Option<SystemTime>,
    /// From schedule to close, once closed.
    pub execution_duration: Option<Duration>,
    /// The schedule-to-close timeout in force.
    pub schedule_to_close_timeout: Option<Duration>,
    /// The schedule-to-start timeout in force.
    pub schedule_to_start_timeout: Option<Duration>,
    /// The start-to-close timeout in force.
    pub start_to_close_timeout: Option<Duration>,
    /// The heartbeat timeout in force.
    pub heartbeat_timeout: Option<Duration>,
    /// The delay before the first attempt, when one was requested.
    pub start_delay: Option<Duration>,
    /// The delay before the next retry, while waiting for one.
    pub current_retry_interval: Option<Duration>,
    /// The retry policy in force (with the server's defaults filled in).
    pub retry_policy: Option<RetryPolicy>,
    /// The failure of the last failed attempt, if any (also while still retrying).
    pub last_failure: Option<ActivityFailure>,
    /// The details of the last heartbeat (empty when none was recorded).
    pub heartbeat_details: Details,
    /// How many heartbeats were recorded over all attempts (Server 1.32+).
    pub total_heartbeat_count: u64,
    /// The identity of the last worker that ran an attempt.
    pub last_worker_identity: String,
    /// The reason given when cancellation was requested.
    pub canceled_reason: Option<String>,
    /// The dispatch priority.
    pub priority: Option<Priority>,
    /// The search attributes.
    pub search_attributes: BTreeMap<String, SearchAttributeValue>,
    /// The summary given at start.
    pub summary: Option<String>,
    /// The details text given at start.
    pub details: Option<String>,
    /// How many state transitions the execution went through.
    pub state_transition_count: u64,
    /// The input arguments, one payload each, when the describe call asked for them.
    pub input: Option<Details>,
    /// How the activity ended, when the describe call asked for it and the activity is closed.
    pub outcome: Option<ActivityOutcome>,
    pub(crate) long_poll_token: Bytes,
}

fn time(t: Option<prost_types::Timestamp>) -> Option<SystemTime> {
    t.as_ref().and_then(wkt::timestamp_from_proto)
}

fn duration(d: Option<prost_types::Duration>) -> Option<Duration> {
    d.as_ref().and_then(wkt::duration_from_proto)
}

async fn decode_payloads(payloads: Option<Payloads>, converter: &DataConverter) -> Details {
    let raw = payloads.map(|p| p.payloads).unwrap_or_default();
    match converter.decode_payloads(raw.clone()).await {
        Ok(p) => Details::new(p),
        Err(e) => {
            tracing::warn!(error = %e, "payloads could not be decoded by the codec; keeping them encoded");
            Details::new(raw)
        }
    }
}

async fn decode_text(payload: Option<Payload>, converter: &DataConverter) -> Option<String> {
    let payload = payload?;
    let decoded = match converter.decode_payloads(vec![payload]).await {
        Ok(mut p) => p.pop()?,
        Err(e) => {
            tracing::warn!(error = %e, "user metadata could not be decoded by the codec");
            return None;
        }
    };
    from_payload::<String>(&decoded).ok()
}

impl ActivityDescription {
    /// Decodes a describe response. `None` when the response carries no info (an expired
    /// long poll).
    pub(crate) async fn decode(
        response: DescribeActivityExecutionResponse,
        converter: &DataConverter,
    ) -> Option<Self> {
        let info: ActivityExecutionInfo = response.info?;
        let last_failure = match info.last_failure {
            Some(f) => Some(ActivityFailure::decode(f, converter).await),
            None => None,
        };
        let (summary, details) = match info.user_metadata {
            Some(m) => (
                decode_text(m.summary, converter).await,
                decode_text(m.details, converter).await,
            ),
            None => (None, None),
        };
        let input = match response.input {
            Some(p) => Some(decode_payloads(Some(p), converter).await),
            None => None,
        };
        let outcome = match response.outcome {
            Some(o) => ActivityOutcome::decode(o, converter).await,
            None => None,
        };
        let run_id = if info.run_id.is_empty() {
            response.run_id
        } else {
            info.run_id
        };
        Some(ActivityDescription {
            activity_id: info.activity_id,
            run_id,
            activity_type: info.activity_type.map(|t| t.name).unwrap_or_default(),
            status: ActivityStatus::from_proto(info.status),
            run_state: ActivityRunState::from_proto(info.run_state),
            task_queue: info.task_queue,
            attempt: u32::try_from(info.attempt).unwrap_or(0),
            schedule_time: time(info.schedule_time),
            execution_time: time(info.execution_time),
            last_started_time: time(info.last_started_time),
            last_heartbeat_time: time(info.last_heartbeat_time),
            last_attempt_complete_time: time(info.last_attempt_complete_time),
            next_attempt_schedule_time: time(info.next_attempt_schedule_time),
            expiration_time: time(info.expiration_time),
            close_time: time(info.close_time),
            execution_duration: duration(info.execution_duration),
            schedule_to_close_timeout: duration(info.schedule_to_close_timeout),
            schedule_to_start_timeout: duration(info.schedule_to_start_timeout),
            start_to_close_timeout: duration(info.start_to_close_timeout),
            heartbeat_timeout: duration(info.heartbeat_timeout),
            start_delay: duration(info.start_delay),
            current_retry_interval: duration(info.current_retry_interval),
            retry_policy: info.retry_policy.map(RetryPolicy::from_proto),
            last_failure,
            heartbeat_details: decode_payloads(info.heartbeat_details, converter).await,
            total_heartbeat_count: u64::try_from(info.total_heartbeat_count).unwrap_or(0),
            last_worker_identity: info.last_worker_identity,
            canceled_reason: Some(info.canceled_reason).filter(|r| !r.is_empty()),
            priority: info.priority.map(Priority::from_proto),
            search_attributes: decode_search_attributes(info.search_attributes),
            summary,
            details,
            state_transition_count: u64::try_from(info.state_transition_count).unwrap_or(0),
            input,
            outcome,
            long_poll_token: response.long_poll_token,
        })
    }
}

/// What [`ActivityHandle::describe_with`](crate::ActivityHandle::describe_with) includes besides the always-present fields.
///
/// ```
/// use solo_client::DescribeOptions;
///
/// let options = DescribeOptions::new().include_input(true).include_outcome(true);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DescribeOptions {
    /// Include the input arguments (default false).
    pub include_input: bool,
    /// Include the outcome once the activity has closed (default false).
    pub include_outcome: bool,
}

impl DescribeOptions {
    /// Nothing extra.
    pub fn new() -> Self {
        DescribeOptions::default()
    }

    /// Sets whether to include the input arguments (default false).
    pub fn include_input(mut self, include: bool) -> Self {
        self.include_input = include;
        self
    }

    /// Sets whether to include the outcome of a closed activity (default false).
    pub fn include_outcome(mut self, include: bool) -> Self {
        self.include_outcome = include;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::to_payload;
    use solo_proto::temporal::api::common::v1::ActivityType;
    use solo_proto::temporal::api::sdk::v1::UserMetadata;

    #[test]
    fn statuses_use_visibility_names() {
        for s in [
            ActivityStatus::Running,
            ActivityStatus::Completed,
            ActivityStatus::Failed,
            ActivityStatus::Canceled,
            ActivityStatus::Terminated,
            ActivityStatus::TimedOut,
            ActivityStatus::Paused,
        ] {
            assert_eq!(s.as_str().parse::<ActivityStatus>().unwrap(), s);
        }
        assert!("Status".parse::<ActivityStatus>().is_err());
        assert_eq!(ActivityStatus::from_proto(99), ActivityStatus::Unspecified);
        assert!(ActivityStatus::TimedOut.is_closed());
        assert!(!ActivityStatus::Running.is_closed());
    }

    #[test]
    fn describe_responses_decode_into_typed_fields() {
        let response = DescribeActivityExecutionResponse {
            run_id: "run".into(),
            info: Some(ActivityExecutionInfo {
                activity_id: "a".into(),
                activity_type: Some(ActivityType { name: "t".into() }),
                status: enums::ActivityExecutionStatus::Running as i32,
                run_state: enums::PendingActivityState::Started as i32,
                task_queue: "tq".into(),
                attempt: 2,
                heartbeat_details: Some(Payloads {
                    payloads: vec![to_payload(&41).unwrap()],
                }),
                start_to_close_timeout: Some(wkt::duration_to_proto(Duration::from_secs(5))),
                user_metadata: Some(UserMetadata {
                    summary: Some(to_payload(&"sum").unwrap()),
                    details: None,
                }),
                ..Default::default()
            }),
            long_poll_token: Bytes::from_static(b"tok"),
            ..Default::default()
        };
        let dc = DataConverter::default();
        let d = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(ActivityDescription::decode(response, &dc))
            .unwrap();
        assert_eq!(d.run_id, "run");
        assert_eq!(d.activity_type, "t");
        assert_eq!(d.status, ActivityStatus::Running);
        assert_eq!(d.run_state, Some(ActivityRunState::Started));
        assert_eq!(d.attempt, 2);
        assert_eq!(d.heartbeat_details.first::<i32>().unwrap(), Some(41));
        assert_eq!(d.start_to_close_timeout, Some(Duration::from_secs(5)));
        assert_eq!(d.summary.as_deref(), Some("sum"));
        assert_eq!(d.details, None);
        assert_eq!(d.input, None);
        assert_eq!(&d.long_poll_token[..], b"tok");
    }
}
