//! [`Priority`]: dispatch priority and fairness for an activity's tasks.

use solo_proto::temporal::api::common::v1 as common;

/// Dispatch priority and fairness for an activity's tasks.
///
/// ```
/// use solo_client::Priority;
///
/// let p = Priority::new().priority_key(1).fairness_key("tenant-a").fairness_weight(2.0);
/// assert_eq!(p.priority_key, Some(1));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Priority {
    /// Lower numbers are dispatched first; `None` is the server's default level.
    pub priority_key: Option<u32>,
    /// Tasks with the same fairness key share dispatch capacity fairly with other keys.
    pub fairness_key: Option<String>,
    /// The relative weight of the fairness key.
    pub fairness_weight: Option<f32>,
}

impl Priority {
    /// The default priority.
    pub fn new() -> Self {
        Priority::default()
    }

    /// Sets the priority key (default: the server's default level).
    pub fn priority_key(mut self, key: u32) -> Self {
        self.priority_key = Some(key);
        self
    }

    /// Sets the fairness key (default none).
    pub fn fairness_key(mut self, key: impl Into<String>) -> Self {
        self.fairness_key = Some(key.into());
        self
    }

    /// Sets the fairness weight (default 1.0 on the server).
    pub fn fairness_weight(mut self, weight: f32) -> Self {
        self.fairness_weight = Some(weight);
        self
    }

    /// The wire form; the error says what is out of range and the fix.
    pub(crate) fn to_proto(&self) -> Result<common::Priority, String> {
        let priority_key = match self.priority_key {
            Some(k) => i32::try_from(k).map_err(|_| {
                format!(
                    "priority key {k} is too large; use a value up to {}",
                    i32::MAX
                )
            })?,
            None => 0,
        };
        Ok(common::Priority {
            priority_key,
            fairness_key: self.fairness_key.clone().unwrap_or_default(),
            fairness_weight: self.fairness_weight.unwrap_or(0.0),
        })
    }

    pub(crate) fn from_proto(p: common::Priority) -> Self {
        Priority {
            priority_key: u32::try_from(p.priority_key).ok().filter(|k| *k > 0),
            fairness_key: Some(p.fairness_key).filter(|k| !k.is_empty()),
            fairness_weight: Some(p.fairness_weight).filter(|w| *w != 0.0),
        }
    }
}

/// The priority the server sent (for example with an activity task): zero and empty fields
/// become `None`, meaning the server's default (or, for an activity scheduled by a workflow,
/// the workflow's value).
impl From<common::Priority> for Priority {
    fn from(p: common::Priority) -> Self {
        Priority::from_proto(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_round_trips_and_zero_is_unset() {
        let p = Priority::new()
            .priority_key(2)
            .fairness_key("tenant")
            .fairness_weight(1.5);
        assert_eq!(Priority::from(p.to_proto().unwrap()), p);
        assert_eq!(Priority::from(common::Priority::default()), Priority::new());
    }
}
