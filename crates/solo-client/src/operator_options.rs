//! The option values of the operator commands: [`UnpauseOptions`], [`ResetOptions`],
//! [`ActivityOptionsUpdate`] (with its field mask) and [`ActivityExecutionOptions`] (what the
//! server answers).

use std::time::Duration;

use solo_proto::temporal::api::activity::v1 as act;
use solo_proto::temporal::api::taskqueue::v1::TaskQueue;
use solo_proto::wkt::{duration_from_proto, duration_to_proto};

use crate::priority::Priority;
use crate::retry_policy::RetryPolicy;

/// How [`ActivityHandle::unpause`](crate::ActivityHandle::unpause) resumes a paused activity.
///
/// Server 1.32 unpauses with a reason and an optional jitter only. Asking to reset the
/// attempts or the heartbeat details makes solo resume the activity with a reset instead
/// ([`ActivityHandle::reset`](crate::ActivityHandle::reset) without `keep_paused`), which
/// always starts the attempts again from 1 (so `reset_heartbeat` implies `reset_attempts`),
/// resets an activity that was not paused as well, and records no reason.
///
/// ```
/// use solo_client::UnpauseOptions;
/// use std::time::Duration;
///
/// let options = UnpauseOptions::new()
///     .reason("the downstream API is back")
///     .jitter(Duration::from_secs(5))
///     .reset_attempts(true);
/// assert!(options.get_reset_attempts());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnpauseOptions {
    pub(crate) reason: String,
    pub(crate) jitter: Option<Duration>,
    pub(crate) reset_attempts: bool,
    pub(crate) reset_heartbeat: bool,
}

impl UnpauseOptions {
    /// Unpause now, keeping the attempt count and the heartbeat details.
    pub fn new() -> Self {
        UnpauseOptions::default()
    }

    /// Why the activity is unpaused (recorded by the server).
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = reason.into();
        self
    }

    /// Start the next attempt at a random time within `jitter` instead of at once.
    pub fn jitter(mut self, jitter: Duration) -> Self {
        self.jitter = Some(jitter);
        self
    }

    /// Start the attempts again from 1.
    pub fn reset_attempts(mut self, reset: bool) -> Self {
        self.reset_attempts = reset;
        self
    }

    /// Clear the heartbeat details (and start the attempts again from 1).
    pub fn reset_heartbeat(mut self, reset: bool) -> Self {
        self.reset_heartbeat = reset;
        self
    }

    /// Whether the attempts start again from 1 (also when the heartbeat details are reset).
    pub fn get_reset_attempts(&self) -> bool {
        self.reset_attempts || self.reset_heartbeat
    }

    /// Whether the heartbeat details are cleared.
    pub fn get_reset_heartbeat(&self) -> bool {
        self.reset_heartbeat
    }

    /// The jitter, when set.
    pub fn get_jitter(&self) -> Option<Duration> {
        self.jitter
    }

    /// The reason.
    pub fn get_reason(&self) -> &str {
        &self.reason
    }
}

/// How [`ActivityHandle::reset`](crate::ActivityHandle::reset) resets an activity.
///
/// A reset starts the attempts again from 1 and regenerates the activity's timers; an
/// activity waiting for a retry is scheduled at once (within the jitter), and a paused one is
/// unpaused unless `keep_paused` is set. A running attempt learns of the reset when it next
/// heartbeats.
///
/// ```
/// use solo_client::ResetOptions;
///
/// let options = ResetOptions::new().keep_paused(true).reset_heartbeat(true);
/// assert!(options.get_keep_paused());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResetOptions {
    pub(crate) keep_paused: bool,
    pub(crate) jitter: Option<Duration>,
    pub(crate) restore_original_options: bool,
    pub(crate) reset_heartbeat: bool,
}

impl ResetOptions {
    /// Reset, unpausing a paused activity, keeping its options and heartbeat details.
    pub fn new() -> Self {
        ResetOptions::default()
    }

    /// Leave a paused activity paused.
    pub fn keep_paused(mut self, keep: bool) -> Self {
        self.keep_paused = keep;
        self
    }

    /// Schedule the next attempt at a random time within `jitter` instead of at once.
    pub fn jitter(mut self, jitter: Duration) -> Self {
        self.jitter = Some(jitter);
        self
    }

    /// Also restore the options the activity was started with (undoing
    /// [`ActivityHandle::update_options`](crate::ActivityHandle::update_options)).
    pub fn restore_original_options(mut self, restore: bool) -> Self {
        self.restore_original_options = restore;
        self
    }

    /// Also clear the heartbeat details.
    pub fn reset_heartbeat(mut self, reset: bool) -> Self {
        self.reset_heartbeat = reset;
        self
    }

    /// Whether a paused activity stays paused.
    pub fn get_keep_paused(&self) -> bool {
        self.keep_paused
    }

    /// The jitter, when set.
    pub fn get_jitter(&self) -> Option<Duration> {
        self.jitter
    }

    /// Whether the original options are restored.
    pub fn get_restore_original_options(&self) -> bool {
        self.restore_original_options
    }

    /// Whether the heartbeat details are cleared.
    pub fn get_reset_heartbeat(&self) -> bool {
        self.reset_heartbeat
    }
}

/// The options to change with [`ActivityHandle::update_options`](crate::ActivityHandle::update_options): only the ones set here are
/// sent (the request's field mask names exactly those), the others keep their values.
///
/// ```
/// use solo_client::{ActivityOptionsUpdate, RetryPolicy};
/// use std::time::Duration;
///
/// let update = ActivityOptionsUpdate::new()
///     .heartbeat_timeout(Duration::from_secs(30))
///     .retry_policy(RetryPolicy::new().maximum_attempts(10));
/// assert_eq!(update.paths(), ["heartbeat_timeout", "retry_policy"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityOptionsUpdate {
    task_queue: Option<String>,
    schedule_to_close_timeout: Option<Duration>,
    schedule_to_start_timeout: Option<Duration>,
    start_to_close_timeout: Option<Duration>,
    heartbeat_timeout: Option<Duration>,
    retry_policy: Option<RetryPolicy>,
    priority: Option<Priority>,
    start_delay: Option<Duration>,
}

impl ActivityOptionsUpdate {
    /// Changes nothing yet.
    pub fn new() -> Self {
        ActivityOptionsUpdate::default()
    }

    /// Moves the activity to another task queue.
    pub fn task_queue(mut self, name: impl Into<String>) -> Self {
        self.task_queue = Some(name.into());
        self
    }

    /// Sets the schedule-to-close timeout.
    pub fn schedule_to_close_timeout(mut self, timeout: Duration) -> Self {
        self.schedule_to_close_timeout = Some(timeout);
        self
    }

    /// Sets the schedule-to-start timeout.
    pub fn schedule_to_start_timeout(mut self, timeout: Duration) -> Self {
        self.schedule_to_start_timeout = Some(timeout);
        self
    }

    /// Sets the start-to-close timeout (of each attempt).
    pub fn start_to_close_timeout(mut self, timeout: Duration) -> Self {
        self.start_to_close_timeout = Some(timeout);
        self
    }

    /// Sets the heartbeat timeout.
    pub fn heartbeat_timeout(mut self, timeout: Duration) -> Self {
        self.heartbeat_timeout = Some(timeout);
        self
    }

    /// Replaces the retry policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = Some(policy);
        self
    }

    /// Replaces the priority.
    pub fn priority(mut self, priority: Priority) -> Self {
        self.priority = Some(priority);
        self
    }

    /// Changes when the first task is dispatched, measured from the original schedule time
    /// (only before the first attempt).
    pub fn start_delay(mut self, delay: Duration) -> Self {
        self.start_delay = Some(delay);
        self
    }

    /// The field-mask paths of the options set, in the order of `ActivityOptions`' fields.
    pub fn paths(&self) -> Vec<&'static str> {
        let set = [
            (self.task_queue.is_some(), "task_queue.name"),
            (
                self.schedule_to_close_timeout.is_some(),
                "schedule_to_close_timeout",
            ),
            (
                self.schedule_to_start_timeout.is_some(),
                "schedule_to_start_timeout",
            ),
            (
                self.start_to_close_timeout.is_some(),
                "start_to_close_timeout",
            ),
            (self.heartbeat_timeout.is_some(), "heartbeat_timeout"),
            (self.retry_policy.is_some(), "retry_policy"),
            (self.priority.is_some(), "priority"),
            (self.start_delay.is_some(), "start_delay"),
        ];
        set.into_iter()
            .filter_map(|(is_set, path)| is_set.then_some(path))
            .collect()
    }

    /// The options message and its field mask.
    pub(crate) fn to_proto(
        &self,
    ) -> Result<(act::ActivityOptions, prost_types::FieldMask), String> {
        let priority = match &self.priority {
            Some(p) => Some(p.to_proto()?),
            None => None,
        };
        let options = act::ActivityOptions {
            task_queue: self.task_queue.as_ref().map(|name| TaskQueue {
                name: name.clone(),
                ..Default::default()
            }),
            schedule_to_close_timeout: self.schedule_to_close_timeout.map(duration_to_proto),
            schedule_to_start_timeout: self.schedule_to_start_timeout.map(duration_to_proto),
            start_to_close_timeout: self.start_to_close_timeout.map(duration_to_proto),
            heartbeat_timeout: self.heartbeat_timeout.map(duration_to_proto),
            retry_policy: self.retry_policy.as_ref().map(RetryPolicy::to_proto),
            priority,
            start_delay: self.start_delay.map(duration_to_proto),
        };
        let mask = prost_types::FieldMask {
            paths: self.paths().into_iter().map(str::to_owned).collect(),
        };
        Ok((options, mask))
    }
}

/// An activity's options as the server holds them after
/// [`ActivityHandle::update_options`](crate::ActivityHandle::update_options) or [`ActivityHandle::restore_original_options`](crate::ActivityHandle::restore_original_options).
/// Timeouts the activity does not have are `None`.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ActivityExecutionOptions {
    /// The task queue.
    pub task_queue: String,
    /// The schedule-to-close timeout.
    pub schedule_to_close_timeout: Option<Duration>,
    /// The schedule-to-start timeout.
    pub schedule_to_start_timeout: Option<Duration>,
    /// The start-to-close timeout.
    pub start_to_close_timeout: Option<Duration>,
    /// The heartbeat timeout.
    pub heartbeat_timeout: Option<Duration>,
    /// The retry policy.
    pub retry_policy: Option<RetryPolicy>,
    /// The priority.
    pub priority: Option<Priority>,
    /// The start delay.
    pub start_delay: Option<Duration>,
}

impl ActivityExecutionOptions {
    pub(crate) fn from_proto(p: act::ActivityOptions) -> Self {
        let duration = |d: Option<prost_types::Duration>| {
            d.as_ref()
                .and_then(duration_from_proto)
                .filter(|d| !d.is_zero())
        };
        ActivityExecutionOptions {
            task_queue: p.task_queue.map(|t| t.name).unwrap_or_default(),
            schedule_to_close_timeout: duration(p.schedule_to_close_timeout),
            schedule_to_start_timeout: duration(p.schedule_to_start_timeout),
            start_to_close_timeout: duration(p.start_to_close_timeout),
            heartbeat_timeout: duration(p.heartbeat_timeout),
            retry_policy: p.retry_policy.map(RetryPolicy::from_proto),
            priority: p.priority.map(Priority::from_proto),
            start_delay: duration(p.start_delay),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mask_names_exactly_what_was_set() {
        assert!(ActivityOptionsUpdate::new().paths().is_empty());
        let update = ActivityOptionsUpdate::new()
            .start_delay(Duration::from_secs(1))
            .task_queue("other")
            .priority(Priority::new().priority_key(2));
        assert_eq!(
            update.paths(),
            ["task_queue.name", "priority", "start_delay"]
        );
        let (options, mask) = update.to_proto().unwrap();
        assert_eq!(mask.paths, ["task_queue.name", "priority", "start_delay"]);
        assert_eq!(options.task_queue.unwrap().name, "other");
        assert_eq!(options.priority.unwrap().priority_key, 2);
        assert!(options.heartbeat_timeout.is_none());
    }

    #[test]
    fn unset_durations_read_back_as_none() {
        let options = ActivityExecutionOptions::from_proto(act::ActivityOptions {
            heartbeat_timeout: Some(prost_types::Duration::default()),
            start_to_close_timeout: Some(duration_to_proto(Duration::from_secs(3))),
            ..Default::default()
        });
        assert_eq!(options.heartbeat_timeout, None);
        assert_eq!(options.start_to_close_timeout, Some(Duration::from_secs(3)));
    }

    #[test]
    fn resetting_the_heartbeat_implies_resetting_the_attempts() {
        assert!(!UnpauseOptions::new().get_reset_attempts());
        assert!(
            UnpauseOptions::new()
                .reset_heartbeat(true)
                .get_reset_attempts()
        );
    }
}
