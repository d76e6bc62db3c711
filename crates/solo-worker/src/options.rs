//! The options of a worker: [`PollerBehavior`], and the settled [`WorkerOptions`] that
//! [`WorkerBuilder`](crate::WorkerBuilder) collects and checks.

use std::time::Duration;

use crate::error::WorkerError;

/// The default for
/// [`WorkerBuilder::max_concurrent_activities`](crate::WorkerBuilder::max_concurrent_activities).
pub const DEFAULT_MAX_CONCURRENT_ACTIVITIES: usize = 100;

/// How many long polls a worker keeps open against its task queue.
///
/// Each poller holds one of the worker's slots while it waits, so pollers never fetch a task
/// the worker has no room for, and there are never more pollers than slots. Too few pollers
/// make the server hand tasks out late under load (tasks wait for a free poll, which shows up
/// as a long tail of schedule-to-start latency); too many make a busy server do work that
/// slows everything else it does (see [`PollerBehavior::default`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollerBehavior {
    /// Exactly this many pollers (at least 1).
    Fixed(usize),
    /// Start with `initial` pollers and follow the server's poller-scaling suggestions
    /// (attached to tasks it hands out) between `minimum` and `maximum`. When the server has
    /// made suggestions, a poll that expires without a task removes a poller; a
    /// `RESOURCE_EXHAUSTED` answer halves them. A server that makes no suggestions leaves the
    /// count at `initial`.
    Autoscaling {
        /// The fewest pollers (at least 1).
        minimum: usize,
        /// The most pollers.
        maximum: usize,
        /// How many pollers to start with.
        initial: usize,
    },
}

impl Default for PollerBehavior {
    /// `Fixed(5)`, the other SDKs' default. Autoscaling is for servers with room to spare: its
    /// suggestions add pollers while a backlog waits, and on a server that is itself the
    /// bottleneck the extra polls slow everything else down (measured on the dev server:
    /// 10,000 activities started and running in 94 s with autoscaling, 59 s with 5 pollers).
    fn default() -> Self {
        PollerBehavior::Fixed(5)
    }
}

/// The settled options of a worker.
#[derive(Debug, Clone)]
pub(crate) struct WorkerOptions {
    pub(crate) max_concurrent_activities: usize,
    pub(crate) pollers: PollerBehavior,
    pub(crate) max_activities_per_second: Option<f64>,
    pub(crate) max_task_queue_activities_per_second: Option<f64>,
    pub(crate) identity: Option<String>,
    pub(crate) graceful_shutdown_timeout: Duration,
    pub(crate) max_blocking_threads: Option<usize>,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            max_concurrent_activities: DEFAULT_MAX_CONCURRENT_ACTIVITIES,
            pollers: PollerBehavior::default(),
            max_activities_per_second: None,
            max_task_queue_activities_per_second: None,
            identity: None,
            graceful_shutdown_timeout: Duration::ZERO,
            max_blocking_threads: None,
        }
    }
}

impl WorkerOptions {
    /// Checks the options and settles the pollers within the concurrent activities.
    ///
    /// # Errors
    /// [`WorkerError::InvalidOption`] for zero concurrent activities, pollers or blocking
    /// threads, `minimum > maximum` pollers, or a rate that is not a positive number.
    pub(crate) fn settle(mut self) -> Result<Self, WorkerError> {
        if self.max_concurrent_activities == 0 {
            return Err(invalid("max_concurrent_activities", "must be at least 1"));
        }
        self.pollers = match self.pollers {
            PollerBehavior::Fixed(0) => return Err(invalid("pollers", "need at least 1 poller")),
            PollerBehavior::Fixed(n) => {
                PollerBehavior::Fixed(n.min(self.max_concurrent_activities))
            }
            PollerBehavior::Autoscaling {
                minimum,
                maximum,
                initial,
            } => {
                if minimum == 0 {
                    return Err(invalid("pollers", "the minimum must be at least 1"));
                }
                if minimum > maximum {
                    return Err(invalid(
                        "pollers",
                        &format!("the minimum ({minimum}) is above the maximum ({maximum})"),
                    ));
                }
                let cap = self.max_concurrent_activities;
                let maximum = maximum.min(cap);
                let minimum = minimum.min(maximum);
                PollerBehavior::Autoscaling {
                    minimum,
                    maximum,
                    initial: initial.clamp(minimum, maximum),
                }
            }
        };
        for (option, rate) in [
            ("max_activities_per_second", self.max_activities_per_second),
            (
                "max_task_queue_activities_per_second",
                self.max_task_queue_activities_per_second,
            ),
        ] {
            if let Some(r) = rate
                && !(r.is_finite() && r > 0.0)
            {
                return Err(invalid(
                    option,
                    &format!("{r} is not a positive number of tasks per second"),
                ));
            }
        }
        if self.max_blocking_threads == Some(0) {
            return Err(invalid("max_blocking_threads", "must be at least 1"));
        }
        Ok(self)
    }
}

pub(crate) fn invalid(option: &'static str, reason: &str) -> WorkerError {
    WorkerError::InvalidOption {
        option,
        reason: reason.to_owned(),
    }
}
