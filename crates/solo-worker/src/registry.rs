//! [`Registry`]: the activities registered on a worker, by activity type.

use std::collections::HashMap;

use crate::activity::ActivityService;

/// The registered activities (already wrapped in the worker's layers), by activity type.
#[derive(Debug)]
pub(crate) struct Registry {
    activities: HashMap<String, ActivityService>,
    /// The registered names, sorted and comma-separated, for error messages.
    names: String,
}

impl Registry {
    /// A registry of `activities`.
    pub(crate) fn new(activities: HashMap<String, ActivityService>) -> Self {
        let mut names: Vec<&str> = activities.keys().map(String::as_str).collect();
        names.sort_unstable();
        let names = names.join(", ");
        Registry { activities, names }
    }

    /// The service of `activity_type`, if it is registered.
    pub(crate) fn get(&self, activity_type: &str) -> Option<ActivityService> {
        self.activities.get(activity_type).cloned()
    }

    /// The registered names, sorted and comma-separated.
    pub(crate) fn names(&self) -> &str {
        &self.names
    }
}
