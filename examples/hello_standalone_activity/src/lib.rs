//! The Temporal `hello_standalone_activity` sample, in Rust with solo.
//!
//! One activity ([`my_activity::compose_greeting`]) and the programs of the Python sample, as
//! binaries of the same names:
//!
//! | binary | what it does |
//! |---|---|
//! | `worker` | runs a worker for `my-standalone-activity-task-queue` |
//! | `execute_activity` | starts the activity and waits for its result |
//! | `start_activity` | starts it, reads its input back with describe, then waits |
//! | `get_activity_handle` | gets a handle by activity id, describes it, waits for the result |
//! | `list_activities` | lists the task queue's activity executions |
//! | `count_activities` | counts them, and groups them by status |
//! | `heartbeat_progress` | a long activity that heartbeats progress, watched and then cancelled |
//!
//! Each program reads its connection from `TEMPORAL_*` variables and the `temporal.toml`
//! profile, as the Python sample's `ClientConfig.load_client_connect_config()` does, and falls
//! back to `localhost:7233`.

pub mod my_activity;

/// The task queue every program uses.
pub const TASK_QUEUE: &str = "my-standalone-activity-task-queue";

/// The activity id the seed's programs use.
pub const ACTIVITY_ID: &str = "my-standalone-activity-id";

/// Sends `tracing` output (the activity's log line) to stderr, at the level `RUST_LOG` names
/// (`error` … `trace`, default `info`).
pub fn init_logging() {
    let level = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse::<tracing::level_filters::LevelFilter>().ok())
        .unwrap_or(tracing::level_filters::LevelFilter::INFO);
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .try_init();
}

/// What the sample programs' `main` returns: on error, Rust prints the `Debug` form of the
/// error, so [`Failure`] makes that the error's message and its causes, one per line.
pub type Result<T = ()> = std::result::Result<T, Failure>;

/// Any error, shown as its message (and causes) when `main` returns it.
pub struct Failure(Box<dyn std::error::Error + Send + Sync>);

impl<E: Into<Box<dyn std::error::Error + Send + Sync>>> From<E> for Failure {
    fn from(error: E) -> Self {
        Failure(error.into())
    }
}

impl std::fmt::Debug for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, "\n  caused by: {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}
