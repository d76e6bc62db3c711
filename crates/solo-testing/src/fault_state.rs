//! The fault switches and counters a [`crate::FaultProxy`] shares with its connection tasks.
//!
//! A leaf module: the proxy handle writes the switches, the connection tasks read them and
//! bump the counters, and neither imports the other through here.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// Counts of what a [`crate::FaultProxy`] did, for assertions. Read with
/// [`crate::FaultProxy::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FaultStats {
    /// Connections the proxy's listener accepted, refused ones included.
    pub accepted: u64,
    /// Accepted connections reset at once because refusing was on.
    pub refused: u64,
    /// Forwarded connections closed with an RST by [`crate::FaultProxy::reset_all`] (directly,
    /// through [`crate::FaultProxy::outage`] or through [`crate::FaultProxy::reset_every`]).
    pub reset: u64,
    /// Connections reset because the target could not be reached (the server was down).
    pub upstream_failures: u64,
    /// Connections being forwarded right now.
    pub open: u64,
}

/// The switches and counters, shared behind an `Arc`.
#[derive(Debug)]
pub(crate) struct FaultState {
    blackhole: AtomicBool,
    refuse: AtomicBool,
    refuse_until: Mutex<Option<Instant>>,
    latency_nanos: AtomicU64,
    /// Bumped by every `reset_all`; each connection resets when it sees it change.
    resets: watch::Sender<u64>,
    accepted: AtomicU64,
    refused: AtomicU64,
    reset: AtomicU64,
    upstream_failures: AtomicU64,
    open: AtomicU64,
}

/// The counters [`FaultState`] keeps.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Counter {
    Accepted,
    Refused,
    Reset,
    UpstreamFailure,
}

impl FaultState {
    pub(crate) fn new() -> Self {
        FaultState {
            blackhole: AtomicBool::new(false),
            refuse: AtomicBool::new(false),
            refuse_until: Mutex::new(None),
            latency_nanos: AtomicU64::new(0),
            resets: watch::Sender::new(0),
            accepted: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            reset: AtomicU64::new(0),
            upstream_failures: AtomicU64::new(0),
            open: AtomicU64::new(0),
        }
    }

    pub(crate) fn set_blackhole(&self, on: bool) {
        self.blackhole.store(on, Ordering::SeqCst);
    }

    pub(crate) fn blackholed(&self) -> bool {
        self.blackhole.load(Ordering::SeqCst)
    }

    pub(crate) fn set_refuse(&self, on: bool) {
        self.refuse.store(on, Ordering::SeqCst);
        *self.refuse_until_slot() = None;
    }

    pub(crate) fn refuse_for(&self, duration: Duration) {
        // A duration too long to add to now means "for ever".
        match Instant::now().checked_add(duration) {
            Some(until) => *self.refuse_until_slot() = Some(until),
            None => self.refuse.store(true, Ordering::SeqCst),
        }
    }

    pub(crate) fn refusing(&self) -> bool {
        self.refuse.load(Ordering::SeqCst)
            || self
                .refuse_until_slot()
                .is_some_and(|until| Instant::now() < until)
    }

    fn refuse_until_slot(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        // The guarded value is a plain `Option<Instant>`: a panic elsewhere cannot leave it
        // half-written, so a poisoned lock is still good to use.
        self.refuse_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn set_latency(&self, latency: Duration) {
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        self.latency_nanos.store(nanos, Ordering::SeqCst);
    }

    pub(crate) fn latency(&self) -> Duration {
        Duration::from_nanos(self.latency_nanos.load(Ordering::SeqCst))
    }

    pub(crate) fn reset_all(&self) {
        self.resets
            .send_modify(|generation| *generation = generation.wrapping_add(1));
    }

    /// A receiver that sees every `reset_all` made after this call.
    pub(crate) fn subscribe_resets(&self) -> watch::Receiver<u64> {
        self.resets.subscribe()
    }

    pub(crate) fn count(&self, counter: Counter) {
        let cell = match counter {
            Counter::Accepted => &self.accepted,
            Counter::Refused => &self.refused,
            Counter::Reset => &self.reset,
            Counter::UpstreamFailure => &self.upstream_failures,
        };
        cell.fetch_add(1, Ordering::SeqCst);
    }

    /// Counts a connection as open until the returned guard is dropped.
    pub(crate) fn open_connection(&self) -> OpenConnection<'_> {
        self.open.fetch_add(1, Ordering::SeqCst);
        OpenConnection(self)
    }

    pub(crate) fn stats(&self) -> FaultStats {
        FaultStats {
            accepted: self.accepted.load(Ordering::SeqCst),
            refused: self.refused.load(Ordering::SeqCst),
            reset: self.reset.load(Ordering::SeqCst),
            upstream_failures: self.upstream_failures.load(Ordering::SeqCst),
            open: self.open.load(Ordering::SeqCst),
        }
    }
}

/// Keeps [`FaultStats::open`] counting one connection while alive.
#[derive(Debug)]
pub(crate) struct OpenConnection<'a>(&'a FaultState);

impl Drop for OpenConnection<'_> {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}
