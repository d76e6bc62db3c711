//! The bounded pool that runs blocking (non-`async`) activities.
//!
//! Blocking activities run on tokio's blocking threads, at most `size` at a time: a semaphore
//! holds the others back until a thread is free. This is the Rust counterpart of Python's
//! `activity_executor=ThreadPoolExecutor(n)`. The pool is shared by every activity of a worker;
//! activities reach it through [`run_blocking`](crate::run_blocking).

use std::sync::Arc;

use tokio::sync::Semaphore;

/// A bounded pool of threads for blocking activities. Cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct BlockingPool {
    permits: Arc<Semaphore>,
}

impl BlockingPool {
    /// A pool that runs at most `size` closures at a time (`size` ≥ 1).
    pub(crate) fn new(size: usize) -> Self {
        BlockingPool {
            permits: Arc::new(Semaphore::new(size.max(1))),
        }
    }

    /// Runs `f` on a blocking thread once the pool has room, inside the current tracing span.
    ///
    /// A panic in `f` resumes on the task that awaits the returned future, so the worker turns
    /// it into a failure exactly as it does for an `async` activity.
    pub(crate) async fn run<T, F>(&self, f: F) -> T
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        // The semaphore is never closed, so acquiring can only succeed.
        let permit = self.permits.clone().acquire_owned().await.ok();
        let span = tracing::Span::current();
        let handle = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            span.in_scope(f)
        });
        match handle.await {
            Ok(value) => value,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // A blocking task cannot be aborted; it only ends this way when the runtime shuts
            // down, and then nobody is left to observe the result.
            Err(_) => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn never_runs_more_than_its_size() {
        let pool = BlockingPool::new(2);
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut joins = Vec::new();
        for _ in 0..6 {
            let pool = pool.clone();
            let running = running.clone();
            let peak = peak.clone();
            joins.push(tokio::spawn(async move {
                pool.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(30));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            }));
        }
        for j in joins {
            j.await.unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn panics_resume_on_the_awaiting_task() {
        let pool = BlockingPool::new(1);
        let join = tokio::spawn(async move { pool.run(|| panic!("boom")).await });
        let err = join.await.unwrap_err();
        assert!(err.is_panic());
    }
}
