//! [`RetryPolicy`]: how the server retries a failed attempt.

use std::time::Duration;

use solo_proto::temporal::api::common::v1 as common;
use solo_proto::wkt;

/// How the server retries a failed attempt.
///
/// Unset fields take the server's defaults: 1 s initial interval, backoff coefficient 2.0,
/// maximum interval 100 × the initial interval, and **unlimited attempts** — an activity that
/// keeps failing with only a start-to-close timeout is retried until its schedule-to-close
/// timeout (infinite by default). Set [`RetryPolicy::maximum_attempts`] to bound it.
///
/// ```
/// use solo_client::RetryPolicy;
/// use std::time::Duration;
///
/// let policy = RetryPolicy::new()
///     .initial_interval(Duration::from_millis(200))
///     .maximum_attempts(5)
///     .non_retryable_error_type("PaymentDeclined");
/// assert_eq!(policy.maximum_attempts, Some(5));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Delay before the first retry.
    pub initial_interval: Option<Duration>,
    /// Factor by which the delay grows after each retry.
    pub backoff_coefficient: Option<f64>,
    /// Upper bound for the delay between retries.
    pub maximum_interval: Option<Duration>,
    /// Total number of attempts, the first included (`1` means no retries); `None` is
    /// unlimited.
    pub maximum_attempts: Option<u32>,
    /// Application error types that are never retried.
    pub non_retryable_error_types: Vec<String>,
}

impl RetryPolicy {
    /// A policy with every field at the server's default.
    pub fn new() -> Self {
        RetryPolicy::default()
    }

    /// A policy that allows a single attempt.
    pub fn no_retries() -> Self {
        RetryPolicy::new().maximum_attempts(1)
    }

    /// Sets the delay before the first retry (server default 1 s).
    pub fn initial_interval(mut self, interval: Duration) -> Self {
        self.initial_interval = Some(interval);
        self
    }

    /// Sets the growth factor of the delay (server default 2.0; must be at least 1).
    pub fn backoff_coefficient(mut self, coefficient: f64) -> Self {
        self.backoff_coefficient = Some(coefficient);
        self
    }

    /// Sets the maximum delay between retries (server default 100 × the initial interval).
    pub fn maximum_interval(mut self, interval: Duration) -> Self {
        self.maximum_interval = Some(interval);
        self
    }

    /// Sets the total number of attempts (default unlimited).
    pub fn maximum_attempts(mut self, attempts: u32) -> Self {
        self.maximum_attempts = Some(attempts);
        self
    }

    /// Adds an application error type that must not be retried (default none).
    pub fn non_retryable_error_type(mut self, error_type: impl Into<String>) -> Self {
        self.non_retryable_error_types.push(error_type.into());
        self
    }

    pub(crate) fn to_proto(&self) -> common::RetryPolicy {
        common::RetryPolicy {
            initial_interval: self.initial_interval.map(wkt::duration_to_proto),
            backoff_coefficient: self.backoff_coefficient.unwrap_or(0.0),
            maximum_interval: self.maximum_interval.map(wkt::duration_to_proto),
            maximum_attempts: self
                .maximum_attempts
                .map(|n| i32::try_from(n).unwrap_or(i32::MAX))
                .unwrap_or(0),
            non_retryable_error_types: self.non_retryable_error_types.clone(),
        }
    }

    pub(crate) fn from_proto(p: common::RetryPolicy) -> Self {
        RetryPolicy {
            initial_interval: p
                .initial_interval
                .as_ref()
                .and_then(wkt::duration_from_proto),
            backoff_coefficient: Some(p.backoff_coefficient).filter(|c| *c != 0.0),
            maximum_interval: p
                .maximum_interval
                .as_ref()
                .and_then(wkt::duration_from_proto),
            maximum_attempts: u32::try_from(p.maximum_attempts).ok().filter(|n| *n > 0),
            non_retryable_error_types: p.non_retryable_error_types,
        }
    }
}

/// The policy the server sent (for example with an activity task): zero and absent fields
/// become `None`, meaning the server's default.
impl From<common::RetryPolicy> for RetryPolicy {
    fn from(p: common::RetryPolicy) -> Self {
        RetryPolicy::from_proto(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_policy_round_trips() {
        let p = RetryPolicy::new()
            .initial_interval(Duration::from_secs(1))
            .backoff_coefficient(2.0)
            .maximum_interval(Duration::from_secs(9))
            .maximum_attempts(3)
            .non_retryable_error_type("X");
        assert_eq!(RetryPolicy::from_proto(p.to_proto()), p);
        assert_eq!(
            RetryPolicy::from_proto(RetryPolicy::new().to_proto()),
            RetryPolicy::new()
        );
        assert_eq!(RetryPolicy::no_retries().to_proto().maximum_attempts, 1);
        assert_eq!(RetryPolicy::from(p.to_proto()), p);
    }
}
