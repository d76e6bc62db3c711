//! [`Reachability`]: whether a connection's server answers, as its calls last saw it, so that
//! an outage is logged once when it starts and once when it ends — not once per retry.

use crate::outage::Outage;

/// The reachability of one server address, shared by every call of a connection.
#[derive(Debug)]
pub(crate) struct Reachability {
    address: String,
    outage: Outage,
}

impl Reachability {
    pub(crate) fn new(address: impl Into<String>) -> Self {
        Self {
            address: address.into(),
            outage: Outage::default(),
        }
    }

    /// A call could not reach the server (a transport failure or `UNAVAILABLE`): logs one
    /// WARN if no outage was recorded yet. Returns whether this call began the outage.
    pub(crate) fn unreachable(&self, error: &dyn std::fmt::Display) -> bool {
        let began = self.outage.begin();
        if began {
            tracing::warn!(
                address = %self.address,
                error = %error,
                "the Temporal server is unreachable; calls are retried with backoff until it answers (within each call's retry budget; waiting calls until their caller stops waiting)"
            );
        }
        began
    }

    /// A call got an answer from the server: logs one INFO if an outage was recorded.
    pub(crate) fn answered(&self) {
        if let Some(lasted) = self.outage.end() {
            tracing::info!(
                address = %self.address,
                outage_ms = lasted.as_millis() as u64,
                "the Temporal server answers again"
            );
        }
    }

    /// Whether an outage is recorded now.
    #[cfg(test)]
    pub(crate) fn is_down(&self) -> bool {
        self.outage.is_down()
    }
}
