//! How to start an activity: [`ActivityOptions`], and the start request built from them.
//!
//! Every option is a named, chained setter whose documentation states the default. The
//! activity id, the task queue and one of the two closing timeouts are required: a start
//! without them fails with [`StartError::InvalidOptions`] naming the setter to call, before
//! anything is sent.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use solo_proto::temporal::api::common::v1::{ActivityType, Header, Payload, Payloads};
use solo_proto::temporal::api::enums::v1 as enums;
use solo_proto::temporal::api::sdk::v1::UserMetadata;
use solo_proto::temporal::api::taskqueue::v1::TaskQueue;
use solo_proto::temporal::api::workflowservice::v1::StartActivityExecutionRequest;
use solo_proto::wkt;

use crate::converter::DataConverter;
use crate::id_policy::{IdConflictPolicy, IdReusePolicy};
use crate::payload::to_payload;
use crate::priority::Priority;
use crate::retry_policy::RetryPolicy;
use crate::search_attributes::{SearchAttributeValue, encode_search_attributes};
use crate::start_error::StartError;

/// Options for starting one activity.
///
/// Every start needs an [`id`](Self::id) (unique among the running activities of the
/// namespace), the [`task_queue`](Self::task_queue) the workers poll, and one of the two
/// timeouts that bound the activity ([`start_to_close_timeout`](Self::start_to_close_timeout)
/// or [`schedule_to_close_timeout`](Self::schedule_to_close_timeout)). They are named setters
/// like every other option, so the id and the task queue cannot be swapped by accident; a
/// start without one of them fails with [`StartError::InvalidOptions`] and sends nothing.
///
/// ```
/// use solo_client::{ActivityOptions, IdConflictPolicy, RetryPolicy};
/// use std::time::Duration;
///
/// let options = ActivityOptions::new()
///     .id("my-standalone-activity-id")
///     .task_queue("my-standalone-activity-task-queue")
///     .start_to_close_timeout(Duration::from_secs(10))
///     .heartbeat_timeout(Duration::from_secs(2))
///     .retry_policy(RetryPolicy::new().maximum_attempts(3))
///     .id_conflict_policy(IdConflictPolicy::UseExisting)
///     .summary("greets the world");
/// assert_eq!(options.get_id(), "my-standalone-activity-id");
/// ```
#[derive(Debug, Clone, Default)]
pub struct ActivityOptions {
    id: String,
    task_queue: String,
    schedule_to_close_timeout: Option<Duration>,
    schedule_to_start_timeout: Option<Duration>,
    start_to_close_timeout: Option<Duration>,
    heartbeat_timeout: Option<Duration>,
    retry_policy: Option<RetryPolicy>,
    id_reuse_policy: IdReusePolicy,
    id_conflict_policy: IdConflictPolicy,
    search_attributes: BTreeMap<String, SearchAttributeValue>,
    summary: Option<String>,
    details: Option<String>,
    priority: Option<Priority>,
    start_delay: Option<Duration>,
    headers: BTreeMap<String, Payload>,
    /// How long the start call itself is retried, when not the connection's.
    start_retry: Option<solo_connect::RetryOptions>,
    /// The first problem an infallible setter met, reported when the activity is started.
    invalid: Option<String>,
}

impl ActivityOptions {
    /// Options with nothing set: set at least the id, the task queue and a closing timeout.
    pub fn new() -> Self {
        ActivityOptions::default()
    }

    /// Sets the activity id (required), unique among the running activities of the
    /// namespace; the [id policies](Self::id_reuse_policy) say what happens when it is taken.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// How the start call itself is retried when the server cannot be reached or is
    /// overloaded: the same request (same request id) again, with backoff, within this
    /// budget. Default: the connection's [`RetryOptions`](solo_connect::RetryOptions)
    /// (60 s, long enough to ride out a server restart). A retried start that had reached the
    /// server returns that run, never [`StartError::AlreadyStarted`](crate::StartError).
    pub fn start_retry(mut self, retry: solo_connect::RetryOptions) -> Self {
        self.start_retry = Some(retry);
        self
    }

    /// The start call's own retry settings, when set.
    pub fn get_start_retry(&self) -> Option<&solo_connect::RetryOptions> {
        self.start_retry.as_ref()
    }

    /// Sets the task queue (required): the one the workers that run the activity poll.
    pub fn task_queue(mut self, task_queue: impl Into<String>) -> Self {
        self.task_queue = task_queue.into();
        self
    }

    /// The activity id (empty until set).
    pub fn get_id(&self) -> &str {
        &self.id
    }

    /// The task queue (empty until set).
    pub fn get_task_queue(&self) -> &str {
        &self.task_queue
    }

    /// Sets the per-attempt timeout: each attempt must finish within `timeout` of starting on
    /// a worker (default: the schedule-to-close timeout; one of the two is required).
    pub fn start_to_close_timeout(mut self, timeout: Duration) -> Self {
        self.start_to_close_timeout = Some(timeout);
        self
    }

    /// Sets the overall timeout: the activity, retries included, must finish within `timeout`
    /// of being scheduled (default: unlimited; it or the start-to-close timeout is required).
    pub fn schedule_to_close_timeout(mut self, timeout: Duration) -> Self {
        self.schedule_to_close_timeout = Some(timeout);
        self
    }

    /// Sets how long a task may wait in the queue for a worker (default: the
    /// schedule-to-close timeout). This timeout is not retried.
    pub fn schedule_to_start_timeout(mut self, timeout: Duration) -> Self {
        self.schedule_to_start_timeout = Some(timeout);
        self
    }

    /// Sets the longest gap allowed between heartbeats (default: none). Needed for an
    /// activity to learn of a cancellation promptly.
    pub fn heartbeat_timeout(mut self, timeout: Duration) -> Self {
        self.heartbeat_timeout = Some(timeout);
        self
    }

    /// Sets the retry policy (default: the server's, with unlimited attempts).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = Some(policy);
        self
    }

    /// Sets what happens when the id belongs to a closed activity (default
    /// [`IdReusePolicy::AllowDuplicate`]).
    pub fn id_reuse_policy(mut self, policy: IdReusePolicy) -> Self {
        self.id_reuse_policy = policy;
        self
    }

    /// Sets what happens when the id belongs to a running activity (default
    /// [`IdConflictPolicy::Fail`]).
    pub fn id_conflict_policy(mut self, policy: IdConflictPolicy) -> Self {
        self.id_conflict_policy = policy;
        self
    }

    /// Sets a custom search attribute (default none). The attribute must be registered on
    /// the namespace with a matching type.
    pub fn search_attribute(
        mut self,
        name: impl Into<String>,
        value: impl Into<SearchAttributeValue>,
    ) -> Self {
        self.search_attributes.insert(name.into(), value.into());
        self
    }

    /// Sets a one-line summary shown by the Web UI and the CLI (default none).
    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.summary = Some(summary.into());
        self
    }

    /// Sets longer details shown by the Web UI (default none).
    pub fn details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    /// Sets the dispatch priority (default: the server's default).
    pub fn priority(mut self, priority: Priority) -> Self {
        self.priority = Some(priority);
        self
    }

    /// Delays the first attempt by `delay` (default none; retries are not delayed).
    ///
    /// Needs a namespace with the `standalone_activity_start_delay` capability (Temporal
    /// Server 1.32+); elsewhere the start fails with [`StartError::StartDelayUnsupported`](crate::StartError::StartDelayUnsupported) rather
    /// than silently running at once.
    pub fn start_delay(mut self, delay: Duration) -> Self {
        self.start_delay = Some(delay);
        self
    }

    /// Sets a header, encoded as JSON (or as the standard converter chooses), that the
    /// worker receives with the task (default none). Headers carry context such as trace ids;
    /// they are not run through the payload codec. An encoding problem is reported when the
    /// activity is started.
    pub fn header<T: Serialize + ?Sized>(mut self, name: impl Into<String>, value: &T) -> Self {
        let name = name.into();
        match to_payload(value) {
            Ok(p) => {
                self.headers.insert(name, p);
            }
            Err(e) => {
                if self.invalid.is_none() {
                    self.invalid = Some(format!("header `{name}`: {e}"));
                }
            }
        }
        self
    }

    /// Sets a header from an already encoded payload (default none).
    pub fn header_payload(mut self, name: impl Into<String>, payload: Payload) -> Self {
        self.headers.insert(name.into(), payload);
        self
    }

    /// The requested start delay, when a non-zero one is set.
    pub(crate) fn requested_start_delay(&self) -> Option<Duration> {
        self.start_delay.filter(|d| !d.is_zero())
    }

    /// Checks what can be checked without the server.
    pub(crate) fn validate(&self, activity_type: &str) -> Result<(), StartError> {
        if let Some(problem) = &self.invalid {
            return Err(StartError::InvalidOptions(problem.clone()));
        }
        if self.id.is_empty() {
            return Err(StartError::InvalidOptions(
                "the activity id is not set; call ActivityOptions::id with an id unique among \
                 the running activities of the namespace"
                    .into(),
            ));
        }
        if self.task_queue.is_empty() {
            return Err(StartError::InvalidOptions(
                "the task queue is not set; call ActivityOptions::task_queue with the task \
                 queue your workers poll"
                    .into(),
            ));
        }
        if activity_type.is_empty() {
            return Err(StartError::InvalidOptions(
                "the activity type name is empty; use the name the worker registered".into(),
            ));
        }
        let positive = |d: Option<Duration>| d.is_some_and(|d| !d.is_zero());
        if !positive(self.start_to_close_timeout) && !positive(self.schedule_to_close_timeout) {
            return Err(StartError::InvalidOptions(
                "no closing timeout is set (or it is zero); call \
                 ActivityOptions::start_to_close_timeout (a bound per attempt) or \
                 ActivityOptions::schedule_to_close_timeout (a bound for the whole activity) \
                 with a positive duration"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Builds the start request: validates, encodes metadata through the converter, and sets
    /// a fresh request id that the connection reuses on every retry of this start.
    pub(crate) async fn to_request(
        &self,
        namespace: &str,
        identity: &str,
        activity_type: &str,
        input: Vec<Payload>,
        converter: &DataConverter,
    ) -> Result<StartActivityExecutionRequest, StartError> {
        self.validate(activity_type)?;
        let duration = |d: Option<Duration>| d.filter(|d| !d.is_zero()).map(wkt::duration_to_proto);
        let user_metadata = self.user_metadata(converter).await?;
        let search_attributes = if self.search_attributes.is_empty() {
            None
        } else {
            Some(encode_search_attributes(&self.search_attributes)?)
        };
        Ok(StartActivityExecutionRequest {
            namespace: namespace.to_owned(),
            identity: identity.to_owned(),
            request_id: solo_connect::__private::random_uuid(),
            activity_id: self.id.clone(),
            activity_type: Some(ActivityType {
                name: activity_type.to_owned(),
            }),
            task_queue: Some(TaskQueue {
                name: self.task_queue.clone(),
                kind: enums::TaskQueueKind::Normal as i32,
                ..Default::default()
            }),
            schedule_to_close_timeout: duration(self.schedule_to_close_timeout),
            schedule_to_start_timeout: duration(self.schedule_to_start_timeout),
            start_to_close_timeout: duration(self.start_to_close_timeout),
            heartbeat_timeout: duration(self.heartbeat_timeout),
            retry_policy: self.retry_policy.as_ref().map(RetryPolicy::to_proto),
            input: if input.is_empty() {
                None
            } else {
                Some(Payloads { payloads: input })
            },
            id_reuse_policy: self.id_reuse_policy.to_proto() as i32,
            id_conflict_policy: self.id_conflict_policy.to_proto() as i32,
            search_attributes,
            header: if self.headers.is_empty() {
                None
            } else {
                Some(Header {
                    fields: self
                        .headers
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                })
            },
            user_metadata,
            priority: self
                .priority
                .as_ref()
                .map(Priority::to_proto)
                .transpose()
                .map_err(StartError::InvalidOptions)?,
            start_delay: duration(self.requested_start_delay()),
            ..Default::default()
        })
    }

    async fn user_metadata(
        &self,
        converter: &DataConverter,
    ) -> Result<Option<UserMetadata>, StartError> {
        if self.summary.is_none() && self.details.is_none() {
            return Ok(None);
        }
        let encode = |text: &Option<String>| -> Result<Option<Payload>, StartError> {
            text.as_deref()
                .map(to_payload)
                .transpose()
                .map_err(StartError::from)
        };
        let mut metadata = UserMetadata {
            summary: encode(&self.summary)?,
            details: encode(&self.details)?,
        };
        if converter.has_codec() {
            if let Some(p) = metadata.summary.take() {
                metadata.summary = converter.encode_payloads(vec![p]).await?.pop();
            }
            if let Some(p) = metadata.details.take() {
                metadata.details = converter.encode_payloads(vec![p]).await?.pop();
            }
        }
        Ok(Some(metadata))
    }
}

#[cfg(test)]
mod tests;
