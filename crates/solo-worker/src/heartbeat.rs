//! Throttled heartbeats for one activity attempt, and the worker's sender that delivers them.
//!
//! The first heartbeat goes out at once; later ones are coalesced so that at most one request
//! is sent per throttle interval, always carrying the latest details. A background task does
//! the sending; it is only spawned when the activity heartbeats for the first time, so
//! activities that never heartbeat cost nothing. Responses deliver cancellation: a
//! `cancel_requested` flag cancels the activity with [`CancellationReason::Requested`],
//! `activity_reset` with [`CancellationReason::Reset`], `activity_paused` with
//! [`CancellationReason::Paused`] (in that order when several are set), and a `NOT_FOUND`
//! error (the attempt is over on the server) with [`CancellationReason::NotFound`].

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use solo_proto::temporal::api::common::v1::Payload;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::cancellation::{CancelState, CancellationReason};
use crate::raw::{TaskCompleter, TaskError};

/// The throttle interval when the activity has no heartbeat timeout.
pub(crate) const DEFAULT_THROTTLE: Duration = Duration::from_secs(30);
/// The longest throttle interval, whatever the heartbeat timeout.
pub(crate) const MAX_THROTTLE: Duration = Duration::from_secs(60);

/// How long to wait between heartbeats: 80 % of the heartbeat timeout, capped at
/// [`MAX_THROTTLE`]; [`DEFAULT_THROTTLE`] without a timeout.
pub(crate) fn throttle_interval(heartbeat_timeout: Option<Duration>) -> Duration {
    match heartbeat_timeout {
        Some(t) => t.mul_f64(0.8).min(MAX_THROTTLE),
        None => DEFAULT_THROTTLE,
    }
}

/// What the server said to a heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeartbeatReply {
    /// Recorded; `cancel` says whether (and why) the attempt is to stop: a client asked to
    /// cancel, or an operator paused or reset the activity.
    Recorded { cancel: Option<CancellationReason> },
    /// The attempt is over on the server.
    NotFound,
    /// The heartbeat could not be recorded for another reason (logged; heartbeating goes on).
    Failed(String),
}

/// The future a [`SendHeartbeat`] returns.
pub(crate) type HeartbeatFuture = Pin<Box<dyn Future<Output = HeartbeatReply> + Send>>;

/// Sends one heartbeat (details not yet through the codec) for a task token.
pub(crate) trait SendHeartbeat: Send + Sync + 'static {
    fn send(&self, task_token: Bytes, details: Vec<Payload>) -> HeartbeatFuture;
}

/// Sends heartbeats through the task completer, after the codec: the [`SendHeartbeat`] of a
/// worker.
pub(crate) struct HeartbeatSender {
    pub(crate) completer: TaskCompleter,
    pub(crate) converter: solo_client::DataConverter,
    /// Whether heartbeats are failing now, for the worker as a whole (one WARN per outage).
    pub(crate) outage: Arc<solo_connect::__private::Outage>,
}

impl SendHeartbeat for HeartbeatSender {
    fn send(&self, task_token: Bytes, details: Vec<Payload>) -> HeartbeatFuture {
        let completer = self.completer.clone();
        let converter = self.converter.clone();
        let outage = self.outage.clone();
        Box::pin(async move {
            let details = match converter.encode_payloads(details).await {
                Ok(d) => d,
                Err(e) => return HeartbeatReply::Failed(e.to_string()),
            };
            match completer.heartbeat(task_token, details).await {
                Ok(r) => {
                    if let Some(lasted) = outage.end() {
                        tracing::info!(
                            outage_ms = lasted.as_millis() as u64,
                            "heartbeats are recorded again"
                        );
                    }
                    HeartbeatReply::Recorded {
                        cancel: cancel_reason(
                            r.cancel_requested,
                            r.activity_reset,
                            r.activity_paused,
                        ),
                    }
                }
                Err(TaskError::NotFound { .. }) => HeartbeatReply::NotFound,
                Err(e) => {
                    if outage.begin() {
                        tracing::warn!(error = %e, "heartbeats failed; each running activity sends its latest details again after its throttle interval");
                    }
                    HeartbeatReply::Failed(e.to_string())
                }
            }
        })
    }
}

/// Why a heartbeat response stops the attempt: a cancel request first, then a reset, then a
/// pause.
fn cancel_reason(requested: bool, reset: bool, paused: bool) -> Option<CancellationReason> {
    if requested {
        Some(CancellationReason::Requested)
    } else if reset {
        Some(CancellationReason::Reset)
    } else if paused {
        Some(CancellationReason::Paused)
    } else {
        None
    }
}

#[derive(Default)]
struct State {
    /// Details recorded and not yet sent.
    pending: Option<Vec<Payload>>,
    /// The details of the last heartbeat sent.
    last_sent: Option<Vec<Payload>>,
    /// Whether the sending task has been spawned.
    running: bool,
    /// Whether the attempt is over (no more heartbeats).
    finished: bool,
}

/// What the handles of one attempt's heartbeater and its sending task share: the details
/// waiting to go out, and how and where to send them.
struct Outbox {
    state: Mutex<State>,
    wake: Notify,
    done: CancellationToken,
    task_token: Bytes,
    throttle: Duration,
    sender: Arc<dyn SendHeartbeat>,
    cancel: Arc<CancelState>,
    runtime: tokio::runtime::Handle,
}

impl Outbox {
    fn state(&self) -> MutexGuard<'_, State> {
        // The lock is only held for field moves, which cannot panic.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The heartbeat sender of one attempt. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Heartbeater {
    outbox: Arc<Outbox>,
}

impl Heartbeater {
    /// A heartbeater for `task_token`. Must be created inside a tokio runtime (the sending task
    /// is spawned there, even when heartbeats come from a blocking thread).
    pub(crate) fn new(
        task_token: Bytes,
        heartbeat_timeout: Option<Duration>,
        sender: Arc<dyn SendHeartbeat>,
        cancel: Arc<CancelState>,
        runtime: tokio::runtime::Handle,
    ) -> Self {
        Heartbeater {
            outbox: Arc::new(Outbox {
                state: Mutex::new(State::default()),
                wake: Notify::new(),
                done: CancellationToken::new(),
                task_token,
                throttle: throttle_interval(heartbeat_timeout),
                sender,
                cancel,
                runtime,
            }),
        }
    }

    /// Records the latest details; they are sent now or at the end of the throttle interval.
    pub(crate) fn record(&self, details: Vec<Payload>) {
        let mut state = self.outbox.state();
        if state.finished {
            return;
        }
        state.pending = Some(details);
        if state.running {
            drop(state);
            self.outbox.wake.notify_one();
        } else {
            state.running = true;
            drop(state);
            let outbox = self.outbox.clone();
            self.outbox.runtime.spawn(send_loop(outbox));
        }
    }

    /// Stops heartbeating and returns the latest details recorded (sent or not), for the
    /// failure report.
    pub(crate) fn finish(&self) -> Option<Vec<Payload>> {
        let mut state = self.outbox.state();
        state.finished = true;
        self.outbox.done.cancel();
        state.pending.take().or_else(|| state.last_sent.take())
    }
}

async fn send_loop(outbox: Arc<Outbox>) {
    loop {
        let details = outbox.state().pending.take();
        let Some(details) = details else {
            tokio::select! {
                _ = outbox.wake.notified() => continue,
                _ = outbox.done.cancelled() => return,
            }
        };
        let reply = tokio::select! {
            reply = outbox.sender.send(outbox.task_token.clone(), details.clone()) => reply,
            _ = outbox.done.cancelled() => return,
        };
        match reply {
            HeartbeatReply::Recorded { cancel } => {
                if let Some(reason) = cancel {
                    tracing::debug!(%reason, "the server asked the attempt to stop");
                    outbox.cancel.cancel(reason);
                }
            }
            HeartbeatReply::NotFound => {
                tracing::info!(
                    "the server no longer knows this attempt (timed out, terminated or superseded); cancelling it"
                );
                outbox.cancel.cancel(CancellationReason::NotFound);
                return;
            }
            HeartbeatReply::Failed(message) => {
                tracing::debug!(error = %message, "heartbeat failed; sending the latest details again after the throttle interval");
                // Send these details again unless newer ones arrived meanwhile.
                outbox.state().pending.get_or_insert(details);
                tokio::select! {
                    _ = tokio::time::sleep(outbox.throttle) => {}
                    _ = outbox.done.cancelled() => return,
                }
                continue;
            }
        }
        {
            let mut state = outbox.state();
            if state.pending.is_none() {
                // Keep what was sent for the failure report, unless newer details exist.
                state.last_sent = Some(details);
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(outbox.throttle) => {}
            _ = outbox.done.cancelled() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use solo_client::{from_payload, to_payload};
    use std::collections::VecDeque;

    #[derive(Default)]
    struct Recorder {
        sent: Mutex<Vec<Vec<Payload>>>,
        replies: Mutex<VecDeque<HeartbeatReply>>,
        notify: Notify,
    }

    impl SendHeartbeat for Arc<Recorder> {
        fn send(&self, _token: Bytes, details: Vec<Payload>) -> HeartbeatFuture {
            let me = self.clone();
            Box::pin(async move {
                me.sent.lock().unwrap().push(details);
                me.notify.notify_one();
                me.replies
                    .lock()
                    .unwrap()
                    .pop_front()
                    .unwrap_or(HeartbeatReply::Recorded { cancel: None })
            })
        }
    }

    fn heartbeater(recorder: &Arc<Recorder>, cancel: &Arc<CancelState>) -> Heartbeater {
        Heartbeater::new(
            Bytes::from_static(b"t"),
            Some(Duration::from_secs(10)),
            Arc::new(recorder.clone()),
            cancel.clone(),
            tokio::runtime::Handle::current(),
        )
    }

    fn values(recorder: &Recorder) -> Vec<i32> {
        recorder
            .sent
            .lock()
            .unwrap()
            .iter()
            .map(|d| from_payload(&d[0]).unwrap())
            .collect()
    }

    #[test]
    fn throttle_is_80_percent_of_the_timeout_within_bounds() {
        assert_eq!(
            throttle_interval(Some(Duration::from_secs(10))),
            Duration::from_secs(8)
        );
        assert_eq!(throttle_interval(None), DEFAULT_THROTTLE);
        assert_eq!(
            throttle_interval(Some(Duration::from_secs(600))),
            MAX_THROTTLE
        );
    }

    #[tokio::test(start_paused = true)]
    async fn sends_the_first_at_once_and_then_only_the_latest() {
        let recorder = Arc::new(Recorder::default());
        let cancel = Arc::new(CancelState::default());
        let hb = heartbeater(&recorder, &cancel);
        hb.record(vec![to_payload(&1).unwrap()]);
        recorder.notify.notified().await;
        for i in 2..=5 {
            hb.record(vec![to_payload(&i).unwrap()]);
        }
        assert_eq!(values(&recorder), vec![1]);
        recorder.notify.notified().await; // after the 8 s throttle (virtual time)
        assert_eq!(values(&recorder), vec![1, 5]);
        let last = hb.finish().unwrap();
        assert_eq!(from_payload::<i32>(&last[0]).unwrap(), 5);
        hb.record(vec![to_payload(&6).unwrap()]);
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(values(&recorder), vec![1, 5], "no heartbeats after finish");
    }

    #[tokio::test(start_paused = true)]
    async fn failed_details_are_sent_again() {
        let recorder = Arc::new(Recorder::default());
        recorder
            .replies
            .lock()
            .unwrap()
            .push_back(HeartbeatReply::Failed("unavailable".into()));
        let cancel = Arc::new(CancelState::default());
        let hb = heartbeater(&recorder, &cancel);
        hb.record(vec![to_payload(&7).unwrap()]);
        recorder.notify.notified().await;
        recorder.notify.notified().await; // after the throttle, without a new record()
        assert_eq!(values(&recorder), vec![7, 7]);
        // Newer details replace failed ones.
        recorder
            .replies
            .lock()
            .unwrap()
            .push_back(HeartbeatReply::Failed("unavailable".into()));
        hb.record(vec![to_payload(&8).unwrap()]);
        recorder.notify.notified().await;
        hb.record(vec![to_payload(&9).unwrap()]);
        recorder.notify.notified().await;
        assert_eq!(values(&recorder), vec![7, 7, 8, 9]);
        assert_eq!(from_payload::<i32>(&hb.finish().unwrap()[0]).unwrap(), 9);
    }

    #[test]
    fn a_cancel_request_wins_over_a_reset_which_wins_over_a_pause() {
        use CancellationReason::*;
        assert_eq!(cancel_reason(false, false, false), None);
        assert_eq!(cancel_reason(true, true, true), Some(Requested));
        assert_eq!(cancel_reason(false, true, true), Some(Reset));
        assert_eq!(cancel_reason(false, false, true), Some(Paused));
    }

    #[tokio::test(start_paused = true)]
    async fn cancel_requests_and_not_found_cancel_the_attempt() {
        let recorder = Arc::new(Recorder::default());
        recorder
            .replies
            .lock()
            .unwrap()
            .push_back(HeartbeatReply::Recorded {
                cancel: Some(CancellationReason::Requested),
            });
        let cancel = Arc::new(CancelState::default());
        let hb = heartbeater(&recorder, &cancel);
        hb.record(Vec::new());
        recorder.notify.notified().await;
        tokio::task::yield_now().await;
        assert_eq!(cancel.reason(), Some(CancellationReason::Requested));

        let recorder = Arc::new(Recorder::default());
        recorder
            .replies
            .lock()
            .unwrap()
            .push_back(HeartbeatReply::NotFound);
        let cancel = Arc::new(CancelState::default());
        let hb = heartbeater(&recorder, &cancel);
        hb.record(Vec::new());
        recorder.notify.notified().await;
        tokio::task::yield_now().await;
        assert_eq!(cancel.reason(), Some(CancellationReason::NotFound));
        hb.record(Vec::new());
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(recorder.sent.lock().unwrap().len(), 1);
    }
}
