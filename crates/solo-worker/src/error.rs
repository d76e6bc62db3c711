//! [`WorkerError`]: why a worker could not be built or stopped running.

/// Why a worker could not be built, or why [`Worker::run`](crate::Worker::run) ended with an
/// error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkerError {
    /// No activity was registered.
    #[error(
        "no activities are registered on the worker for task queue `{task_queue}`; register at least one with `.activity(...)` (or a `.dynamic_activity(...)`)"
    )]
    NoActivities {
        /// The worker's task queue.
        task_queue: String,
    },

    /// Two activities were registered under one name.
    #[error(
        "activity type `{name}` is registered twice on the worker for task queue `{task_queue}`; register it once, or rename one with #[activity(name = \"...\")]"
    )]
    DuplicateActivity {
        /// The activity type name.
        name: String,
        /// The worker's task queue.
        task_queue: String,
    },

    /// Two dynamic activities were registered.
    #[error(
        "a dynamic activity is registered twice on the worker for task queue `{task_queue}`; a worker has at most one: register one that dispatches on `DynamicInput::activity_type`"
    )]
    DuplicateDynamicActivity {
        /// The worker's task queue.
        task_queue: String,
    },

    /// An option has a value the worker cannot use.
    #[error("invalid worker option `{option}`: {reason}")]
    InvalidOption {
        /// The option, as its builder method is named.
        option: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// [`Worker::run`](crate::Worker::run) was called on a worker that already ran.
    #[error(
        "this worker is already running or has run; build a new worker (Worker::builder) to run again"
    )]
    AlreadyStarted,

    /// The worker's namespace does not exist.
    #[error(
        "namespace `{namespace}` does not exist on this server; create it (for example `temporal operator namespace create --namespace {namespace}`) or point the client at an existing one"
    )]
    NamespaceNotFound {
        /// The namespace.
        namespace: String,
    },

    /// Polling failed with an error that retrying cannot fix (for example a rejected API key,
    /// or a server without Standalone Activities); the worker shut down.
    #[error("polling task queue `{task_queue}` failed and the worker stopped: {reason}")]
    Poll {
        /// The worker's task queue.
        task_queue: String,
        /// The server's error and what to check.
        reason: String,
    },
}

/// [`ActivityContext::client`](crate::ActivityContext::client) was called on a context that
/// has no client: a test environment's context that was given none. An activity on a worker
/// always has one.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "this activity context has no client; on a worker it is the worker's client, and in a test pass one with DetachedContext::with_client (or solo_testing::ActivityEnvironment::with_client)"
)]
#[non_exhaustive]
pub struct ClientUnavailable;
