//! The long-poll loop shared by `result()` and `watch()`.
//!
//! The server holds a long poll until something happens or its window (20 s on Server 1.31,
//! 60 s on 1.32, capped by the call's deadline) ends, and then answers with an empty
//! response. Each call therefore gets its own fresh deadline, and both an empty response and
//! a client-side `DEADLINE_EXCEEDED` mean "ask again".

use std::future::Future;

use tonic::Code;

/// Calls `call` until it returns `Some`, treating `Ok(None)` and `DEADLINE_EXCEEDED` as
/// "poll again"; any other error is returned.
pub(crate) async fn long_poll<T, F, Fut>(mut call: F) -> Result<T, tonic::Status>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, tonic::Status>>,
{
    loop {
        match call().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => tracing::trace!("long poll window ended without news; polling again"),
            Err(status) if status.code() == Code::DeadlineExceeded => {
                tracing::trace!("long poll deadline exceeded; polling again")
            }
            Err(status) => return Err(status),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::sync::Mutex;

    fn run(script: Vec<Result<Option<u32>, tonic::Status>>) -> (Result<u32, tonic::Status>, usize) {
        let script = Mutex::new(VecDeque::from(script));
        let calls = Mutex::new(0usize);
        let result = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(long_poll(|| {
                *calls.lock().unwrap() += 1;
                let next = script.lock().unwrap().pop_front().unwrap();
                async move { next }
            }));
        let calls = *calls.lock().unwrap();
        (result, calls)
    }

    #[test]
    fn empty_responses_and_deadlines_mean_poll_again() {
        let (result, calls) = run(vec![
            Ok(None),
            Err(tonic::Status::deadline_exceeded("slow")),
            Ok(None),
            Ok(Some(7)),
        ]);
        assert_eq!(result.unwrap(), 7);
        assert_eq!(calls, 4);
    }

    #[test]
    fn other_errors_end_the_loop() {
        let (result, calls) = run(vec![Ok(None), Err(tonic::Status::not_found("gone"))]);
        assert_eq!(result.unwrap_err().code(), Code::NotFound);
        assert_eq!(calls, 2);
    }
}
