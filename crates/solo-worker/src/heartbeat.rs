//! Throttled heartbeats for one activity attempt, and the worker-wide parts that deliver them.
//!
//! The first heartbeat goes out at once; later ones are coalesced so that at most one request
//! is sent per throttle interval, always carrying the latest details, and details recorded
//! during an interval go out when it ends. Recording a heartbeat only stores its details: no
//! task is woken and nothing is sent until a send is due. An attempt owns no task of its own:
//! a send runs in a task that lives as long as its request, and the trailing sends of every
//! attempt wait in one timer queue per worker ([`Heartbeats`]). Activities that never
//! heartbeat cost nothing. Responses deliver cancellation: a `cancel_requested` flag cancels
//! the activity with [`CancellationReason::Requested`], `activity_reset` with
//! [`CancellationReason::Reset`], `activity_paused` with [`CancellationReason::Paused`] (in
//! that order when several are set), and a `NOT_FOUND` error (the attempt is over on the
//! server) with [`CancellationReason::NotFound`].

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Duration;

use bytes::Bytes;
use smallvec::SmallVec;
use solo_client::__private::json_payload;
use solo_proto::temporal::api::common::v1::Payload;
use tokio::sync::mpsc;
use tokio::time::Instant;

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

/// The worker-wide side of heartbeats: how to send one, and the timer queue where every
/// attempt's trailing send waits. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Heartbeats {
    inner: Arc<HeartbeatsInner>,
}

struct HeartbeatsInner {
    sender: Arc<dyn SendHeartbeat>,
    /// Feeds the timer task, which is spawned with the first trailing send.
    timers: OnceLock<mpsc::UnboundedSender<Due>>,
}

/// A trailing send that falls due at `at`.
struct Due {
    at: Instant,
    outbox: Weak<Outbox>,
}

impl PartialEq for Due {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}
impl Eq for Due {}
impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Due {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.at.cmp(&other.at)
    }
}

impl Heartbeats {
    /// Heartbeats sent by `sender`.
    pub(crate) fn new(sender: Arc<dyn SendHeartbeat>) -> Self {
        Heartbeats {
            inner: Arc::new(HeartbeatsInner {
                sender,
                timers: OnceLock::new(),
            }),
        }
    }

    /// Sends one heartbeat now, outside any attempt's throttling.
    pub(crate) fn send(&self, task_token: Bytes, details: Vec<Payload>) -> HeartbeatFuture {
        self.inner.sender.send(task_token, details)
    }

    /// Queues `outbox`'s next send for `at`, starting the timer task on `runtime` if it is
    /// not running yet.
    fn schedule(&self, at: Instant, outbox: &Arc<Outbox>) {
        let timers = self.inner.timers.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            outbox.runtime.spawn(timer_task(rx));
            tx
        });
        // The timer task only ends when every sender is gone, so this cannot fail while
        // `self` exists.
        let _ = timers.send(Due {
            at,
            outbox: Arc::downgrade(outbox),
        });
    }
}

/// Fires queued sends when they fall due. Ends once the worker's [`Heartbeats`] are dropped.
async fn timer_task(mut queue: mpsc::UnboundedReceiver<Due>) {
    let mut waiting: BinaryHeap<Reverse<Due>> = BinaryHeap::new();
    loop {
        let next = waiting.peek().map(|Reverse(d)| d.at);
        tokio::select! {
            due = queue.recv() => match due {
                Some(due) => waiting.push(Reverse(due)),
                None => return,
            },
            _ = sleep_until_some(next) => {
                let now = Instant::now();
                while waiting.peek().is_some_and(|Reverse(d)| d.at <= now) {
                    if let Some(Reverse(due)) = waiting.pop()
                        && let Some(outbox) = due.outbox.upgrade()
                    {
                        Outbox::fire(&outbox);
                    }
                }
            }
        }
    }
}

async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// How many bytes of JSON details an attempt keeps without a heap allocation of their own.
const INLINE_JSON: usize = 48;

/// The latest details recorded.
enum Latest {
    /// Payloads, as recorded.
    Payloads(Vec<Payload>),
    /// The data of one `json/plain` payload (the standard converter's encoding of most
    /// values), kept as bytes until it is sent: recording details again only overwrites
    /// them, and nothing is built for details that a later heartbeat replaces.
    Json(SmallVec<[u8; INLINE_JSON]>),
}

impl Latest {
    /// The details as payloads, for a send.
    fn payloads(&self) -> Vec<Payload> {
        match self {
            Latest::Payloads(payloads) => payloads.clone(),
            Latest::Json(data) => vec![json_payload(Bytes::copy_from_slice(data))],
        }
    }

    /// The details as payloads, for the report.
    fn into_payloads(self) -> Vec<Payload> {
        match self {
            Latest::Payloads(payloads) => payloads,
            json => json.payloads(),
        }
    }
}

#[derive(Default)]
struct State {
    /// The latest details recorded (sent or not): what the failure report carries.
    latest: Option<Latest>,
    /// Whether `latest` still has to be sent.
    unsent: bool,
    /// A send is running now.
    sending: bool,
    /// A trailing send is queued in the timer task.
    queued: bool,
    /// No send may start before this (the throttle interval after the last one).
    next_send: Option<Instant>,
    /// Whether the attempt is over (no more heartbeats).
    finished: bool,
}

/// What one attempt's heartbeater handles share: the details waiting to go out, and how and
/// where to send them.
struct Outbox {
    state: Mutex<State>,
    task_token: Bytes,
    throttle: Duration,
    heartbeats: Heartbeats,
    cancel: Arc<CancelState>,
    runtime: tokio::runtime::Handle,
}

/// What to do after the state changed, decided under the lock and done after it.
enum Next {
    Nothing,
    Send(Vec<Payload>),
    Queue(Instant),
}

impl Outbox {
    fn state(&self) -> MutexGuard<'_, State> {
        // The lock is only held for field moves, which cannot panic.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// With the lock held: starts a send if one is due and allowed, or queues one for when it
    /// is allowed.
    fn next(state: &mut State, throttle: Duration) -> Next {
        if state.finished || !state.unsent || state.sending || state.queued {
            return Next::Nothing;
        }
        let now = Instant::now();
        match state.next_send {
            Some(at) if at > now => {
                state.queued = true;
                Next::Queue(at)
            }
            _ => match state.latest.as_ref().map(Latest::payloads) {
                Some(details) => {
                    state.unsent = false;
                    state.sending = true;
                    state.next_send = Some(now + throttle);
                    Next::Send(details)
                }
                None => Next::Nothing,
            },
        }
    }

    fn act(this: &Arc<Outbox>, next: Next) {
        match next {
            Next::Nothing => {}
            Next::Queue(at) => this.heartbeats.schedule(at, this),
            Next::Send(details) => {
                let outbox = this.clone();
                this.runtime.spawn(send(outbox, details));
            }
        }
    }

    /// A queued send fell due.
    fn fire(this: &Arc<Outbox>) {
        let next = {
            let mut state = this.state();
            state.queued = false;
            Outbox::next(&mut state, this.throttle)
        };
        Outbox::act(this, next);
    }
}

/// Sends one heartbeat and acts on the reply.
async fn send(outbox: Arc<Outbox>, details: Vec<Payload>) {
    // An attempt that ended before this task ran sends nothing more: its report (or the
    // hand-over of an activity completing asynchronously) carries the latest details, and an
    // older heartbeat must not arrive after them.
    if outbox.state().finished {
        return;
    }
    let reply = outbox
        .heartbeats
        .inner
        .sender
        .send(outbox.task_token.clone(), details)
        .await;
    // What the reply leaves to do: stop heartbeating (NOT_FOUND), or send the latest details
    // again after the interval (a failure).
    let (stop, again) = match reply {
        HeartbeatReply::Recorded { cancel } => {
            if let Some(reason) = cancel {
                tracing::debug!(%reason, "the server asked the attempt to stop");
                outbox.cancel.cancel(reason);
            }
            (false, false)
        }
        HeartbeatReply::NotFound => {
            tracing::info!(
                "the server no longer knows this attempt (timed out, terminated or superseded); cancelling it"
            );
            outbox.cancel.cancel(CancellationReason::NotFound);
            (true, false)
        }
        HeartbeatReply::Failed(message) => {
            tracing::debug!(error = %message, "heartbeat failed; sending the latest details again after the throttle interval");
            (false, true)
        }
    };
    let next = {
        let mut state = outbox.state();
        state.sending = false;
        state.finished |= stop;
        // The latest details (these, or newer ones) go out again after the interval.
        state.unsent |= again;
        Outbox::next(&mut state, outbox.throttle)
    };
    Outbox::act(&outbox, next);
}

/// The heartbeat sender of one attempt. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Heartbeater {
    outbox: Arc<Outbox>,
}

impl Heartbeater {
    /// A heartbeater for `task_token`. Sends run on `runtime` (also when heartbeats come from
    /// a blocking thread).
    pub(crate) fn new(
        task_token: Bytes,
        heartbeat_timeout: Option<Duration>,
        heartbeats: Heartbeats,
        cancel: Arc<CancelState>,
        runtime: tokio::runtime::Handle,
    ) -> Self {
        Heartbeater {
            outbox: Arc::new(Outbox {
                state: Mutex::new(State::default()),
                task_token,
                throttle: throttle_interval(heartbeat_timeout),
                heartbeats,
                cancel,
                runtime,
            }),
        }
    }

    /// Records the latest details; they are sent now or at the end of the throttle interval.
    pub(crate) fn record(&self, details: Vec<Payload>) {
        let next = {
            let mut state = self.outbox.state();
            if state.finished {
                return;
            }
            state.latest = Some(Latest::Payloads(details));
            state.unsent = true;
            Outbox::next(&mut state, self.outbox.throttle)
        };
        Outbox::act(&self.outbox, next);
    }

    /// Records the latest details as the data of one `json/plain` payload; like
    /// [`record`](Self::record) otherwise.
    pub(crate) fn record_json(&self, data: &[u8]) {
        let next = {
            let mut state = self.outbox.state();
            if state.finished {
                return;
            }
            match &mut state.latest {
                Some(Latest::Json(kept)) => {
                    kept.clear();
                    kept.extend_from_slice(data);
                }
                latest => *latest = Some(Latest::Json(SmallVec::from_slice(data))),
            }
            state.unsent = true;
            Outbox::next(&mut state, self.outbox.throttle)
        };
        Outbox::act(&self.outbox, next);
    }

    /// Stops heartbeating and returns the latest details recorded (sent or not), for the
    /// failure report.
    pub(crate) fn finish(&self) -> Option<Vec<Payload>> {
        let mut state = self.outbox.state();
        state.finished = true;
        state.latest.take().map(Latest::into_payloads)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use solo_client::{from_payload, to_payload};
    use std::collections::VecDeque;
    use tokio::sync::Notify;

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
            Heartbeats::new(Arc::new(recorder.clone())),
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
    async fn json_details_are_kept_as_bytes_and_sent_as_payloads() {
        let recorder = Arc::new(Recorder::default());
        let cancel = Arc::new(CancelState::default());
        let hb = heartbeater(&recorder, &cancel);
        hb.record_json(b"1");
        recorder.notify.notified().await;
        hb.record_json(b"2");
        hb.record(vec![to_payload(&3).unwrap()]);
        let long = "9".repeat(100); // longer than the inline buffer
        hb.record_json(long.as_bytes());
        hb.record_json(b"4");
        recorder.notify.notified().await; // after the throttle
        assert_eq!(values(&recorder), vec![1, 4]);
        assert_eq!(recorder.sent.lock().unwrap()[1][0], to_payload(&4).unwrap());
        hb.record_json(long.as_bytes());
        let last = hb.finish().unwrap();
        assert_eq!(last, vec![json_payload(Bytes::from(long))]);
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
