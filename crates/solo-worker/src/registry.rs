//! [`Registry`]: the activities registered on a worker, by activity type, and the dynamic
//! activity that runs any other type.

use std::collections::HashMap;

use crate::activity::ActivityService;

/// The registered activities (already wrapped in the worker's layers), by activity type.
#[derive(Debug)]
pub(crate) struct Registry {
    activities: HashMap<String, ActivityService>,
    /// The dynamic activity, for types not in `activities`.
    dynamic: Option<ActivityService>,
    /// The registered names, sorted and comma-separated, for error messages.
    names: String,
}

impl Registry {
    /// A registry of `activities` and, optionally, a dynamic activity.
    pub(crate) fn new(
        activities: HashMap<String, ActivityService>,
        dynamic: Option<ActivityService>,
    ) -> Self {
        let mut names: Vec<&str> = activities.keys().map(String::as_str).collect();
        names.sort_unstable();
        let mut names = names.join(", ");
        if dynamic.is_some() {
            if !names.is_empty() {
                names.push_str(", ");
            }
            names.push_str("(dynamic)");
        }
        Registry {
            activities,
            dynamic,
            names,
        }
    }

    /// The service of `activity_type`: its registered activity, else the dynamic activity, if
    /// any.
    pub(crate) fn get(&self, activity_type: &str) -> Option<ActivityService> {
        self.activities
            .get(activity_type)
            .or(self.dynamic.as_ref())
            .cloned()
    }

    /// The registered names, sorted and comma-separated (`(dynamic)` last when there is one).
    pub(crate) fn names(&self) -> &str {
        &self.names
    }
}
