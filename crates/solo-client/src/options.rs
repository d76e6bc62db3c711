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
mod tests {
    use super::*;
    use crate::payload::{encoding_of, from_payload};

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn build(options: &ActivityOptions) -> Result<StartActivityExecutionRequest, StartError> {
        block_on(options.to_request(
            "ns",
            "123@host",
            "compose_greeting",
            vec![to_payload(&"hi").unwrap()],
            &DataConverter::default(),
        ))
    }

    #[test]
    fn every_option_reaches_the_request() {
        let options = ActivityOptions::new()
            .id("id-1")
            .task_queue("tq")
            .start_to_close_timeout(Duration::from_secs(10))
            .schedule_to_close_timeout(Duration::from_secs(60))
            .schedule_to_start_timeout(Duration::from_secs(5))
            .heartbeat_timeout(Duration::from_millis(1500))
            .retry_policy(
                RetryPolicy::new()
                    .initial_interval(Duration::from_millis(100))
                    .backoff_coefficient(1.5)
                    .maximum_interval(Duration::from_secs(3))
                    .maximum_attempts(4)
                    .non_retryable_error_type("Fatal"),
            )
            .id_reuse_policy(IdReusePolicy::RejectDuplicate)
            .id_conflict_policy(IdConflictPolicy::UseExisting)
            .search_attribute("CustomKeywordField", "blue")
            .summary("sum")
            .details("longer")
            .priority(Priority::new().priority_key(2).fairness_key("k"))
            .start_delay(Duration::from_secs(3))
            .header("trace", &"abc");
        let r = build(&options).unwrap();
        assert_eq!(r.namespace, "ns");
        assert_eq!(r.identity, "123@host");
        assert_eq!(r.activity_id, "id-1");
        assert_eq!(r.activity_type.unwrap().name, "compose_greeting");
        assert_eq!(r.task_queue.unwrap().name, "tq");
        assert_eq!(r.start_to_close_timeout.unwrap().seconds, 10);
        assert_eq!(r.schedule_to_close_timeout.unwrap().seconds, 60);
        assert_eq!(r.schedule_to_start_timeout.unwrap().seconds, 5);
        let hb = r.heartbeat_timeout.unwrap();
        assert_eq!((hb.seconds, hb.nanos), (1, 500_000_000));
        let rp = r.retry_policy.unwrap();
        assert_eq!(rp.maximum_attempts, 4);
        assert_eq!(rp.backoff_coefficient, 1.5);
        assert_eq!(rp.non_retryable_error_types, vec!["Fatal".to_owned()]);
        assert_eq!(rp.initial_interval.unwrap().nanos, 100_000_000);
        assert_eq!(
            r.id_reuse_policy,
            enums::ActivityIdReusePolicy::RejectDuplicate as i32
        );
        assert_eq!(
            r.id_conflict_policy,
            enums::ActivityIdConflictPolicy::UseExisting as i32
        );
        let sa = &r.search_attributes.unwrap().indexed_fields["CustomKeywordField"];
        assert_eq!(from_payload::<String>(sa).unwrap(), "blue");
        let md = r.user_metadata.unwrap();
        assert_eq!(from_payload::<String>(&md.summary.unwrap()).unwrap(), "sum");
        assert_eq!(
            from_payload::<String>(&md.details.unwrap()).unwrap(),
            "longer"
        );
        let p = r.priority.unwrap();
        assert_eq!((p.priority_key, p.fairness_key.as_str()), (2, "k"));
        assert_eq!(r.start_delay.unwrap().seconds, 3);
        let h = &r.header.unwrap().fields["trace"];
        assert_eq!(encoding_of(h), "json/plain");
        assert_eq!(r.input.unwrap().payloads.len(), 1);
        assert!(uuid::Uuid::parse_str(&r.request_id).is_ok());
    }

    #[test]
    fn defaults_are_allow_duplicate_and_fail_and_nothing_optional_is_sent() {
        let options = ActivityOptions::new()
            .id("id")
            .task_queue("tq")
            .schedule_to_close_timeout(Duration::from_secs(5));
        let r = build(&options).unwrap();
        assert_eq!(
            r.id_reuse_policy,
            enums::ActivityIdReusePolicy::AllowDuplicate as i32
        );
        assert_eq!(
            r.id_conflict_policy,
            enums::ActivityIdConflictPolicy::Fail as i32
        );
        assert!(r.start_to_close_timeout.is_none());
        assert!(r.retry_policy.is_none());
        assert!(r.search_attributes.is_none());
        assert!(r.user_metadata.is_none());
        assert!(r.header.is_none());
        assert!(r.priority.is_none());
        assert!(r.start_delay.is_none());
    }

    #[test]
    fn each_start_gets_a_new_request_id() {
        let options = ActivityOptions::new()
            .id("id")
            .task_queue("tq")
            .start_to_close_timeout(Duration::from_secs(5));
        assert_ne!(
            build(&options).unwrap().request_id,
            build(&options).unwrap().request_id
        );
    }

    #[test]
    fn missing_required_options_name_their_setter() {
        let err = build(&ActivityOptions::new()).unwrap_err().to_string();
        assert!(err.contains("ActivityOptions::id"), "{err}");
        let err = build(&ActivityOptions::new().id("id"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("ActivityOptions::task_queue"), "{err}");
        let err = build(&ActivityOptions::new().id("id").task_queue("tq"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("ActivityOptions::start_to_close_timeout"),
            "{err}"
        );
        let options = ActivityOptions::new()
            .task_queue("tq")
            .id("id")
            .schedule_to_close_timeout(Duration::from_secs(1));
        assert_eq!(options.get_id(), "id");
        assert_eq!(options.get_task_queue(), "tq");
        assert!(build(&options).is_ok());
    }

    #[test]
    fn invalid_options_are_refused_before_sending() {
        let zero = ActivityOptions::new()
            .id("id")
            .task_queue("tq")
            .start_to_close_timeout(Duration::ZERO);
        let err = build(&zero).unwrap_err();
        assert!(matches!(err, StartError::InvalidOptions(_)));
        assert!(err.to_string().contains("timeout"), "{err}");
        let no_id = ActivityOptions::new()
            .id("")
            .task_queue("tq")
            .start_to_close_timeout(Duration::from_secs(1));
        assert!(build(&no_id).unwrap_err().to_string().contains("id"));
        let no_tq = ActivityOptions::new()
            .id("id")
            .task_queue("")
            .start_to_close_timeout(Duration::from_secs(1));
        assert!(
            build(&no_tq)
                .unwrap_err()
                .to_string()
                .contains("task queue")
        );
        let mut map = std::collections::HashMap::new();
        map.insert(vec![1u8], 1);
        let bad_header = ActivityOptions::new()
            .id("id")
            .task_queue("tq")
            .start_to_close_timeout(Duration::from_secs(1))
            .header("h", &map);
        let err = build(&bad_header).unwrap_err();
        assert!(err.to_string().contains("header `h`"), "{err}");
        let big = ActivityOptions::new()
            .id("id")
            .task_queue("tq")
            .start_to_close_timeout(Duration::from_secs(1))
            .priority(Priority::new().priority_key(u32::MAX));
        assert!(matches!(build(&big), Err(StartError::InvalidOptions(_))));
    }
}
