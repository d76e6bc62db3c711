//! [`Slots`]: how many activities a worker may run at once, as owned semaphore permits.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A worker's activity slots. A poller takes a permit before it polls and hands it to the task
/// it receives, which releases it when its report is sent. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Slots {
    permits: Arc<Semaphore>,
    max: usize,
}

impl Slots {
    /// `max` slots, all free.
    pub(crate) fn new(max: usize) -> Self {
        Slots {
            permits: Arc::new(Semaphore::new(max)),
            max,
        }
    }

    /// Waits for a free slot. `None` only if the slots were closed (they never are).
    ///
    /// # Cancel safety
    /// Cancel safe: a cancelled wait takes no slot.
    pub(crate) async fn acquire(&self) -> Option<OwnedSemaphorePermit> {
        self.permits.clone().acquire_owned().await.ok()
    }

    /// How many slots there are.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// How many slots are neither running an activity nor held by a waiting poller.
    pub(crate) fn idle(&self) -> usize {
        self.permits.available_permits()
    }
}
