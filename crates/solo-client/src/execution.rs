//! What listings and counts return: [`ActivityExecution`], [`ActivityExecutionCount`] and its
//! [`ActivityExecutionCountGroup`]s.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use solo_proto::temporal::api::activity::v1::ActivityExecutionListInfo;
use solo_proto::temporal::api::workflowservice::v1::{
    CountActivityExecutionsResponse, count_activity_executions_response::AggregationGroup,
};
use solo_proto::wkt;

use crate::description::ActivityStatus;
use crate::search_attributes::{SearchAttributeValue, decode_search_attributes};

/// One activity execution, as a listing returns it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ActivityExecution {
    /// The activity id.
    pub activity_id: String,
    /// The run id.
    pub run_id: String,
    /// The activity type name.
    pub activity_type: String,
    /// The status.
    pub status: ActivityStatus,
    /// The task queue.
    pub task_queue: String,
    /// When it was scheduled.
    pub schedule_time: Option<SystemTime>,
    /// When the first attempt became available to workers (Server 1.32+).
    pub execution_time: Option<SystemTime>,
    /// When it closed, if it has.
    pub close_time: Option<SystemTime>,
    /// From schedule to close, once closed.
    pub execution_duration: Option<Duration>,
    /// How many state transitions it went through.
    pub state_transition_count: u64,
    /// Its search attributes.
    pub search_attributes: BTreeMap<String, SearchAttributeValue>,
}

impl ActivityExecution {
    pub(crate) fn from_proto(info: ActivityExecutionListInfo) -> Self {
        let time =
            |t: Option<prost_types::Timestamp>| t.as_ref().and_then(wkt::timestamp_from_proto);
        ActivityExecution {
            activity_id: info.activity_id,
            run_id: info.run_id,
            activity_type: info.activity_type.map(|t| t.name).unwrap_or_default(),
            status: ActivityStatus::from_proto(info.status),
            task_queue: info.task_queue,
            schedule_time: time(info.schedule_time),
            execution_time: time(info.execution_time),
            close_time: time(info.close_time),
            execution_duration: info
                .execution_duration
                .as_ref()
                .and_then(wkt::duration_from_proto),
            state_transition_count: u64::try_from(info.state_transition_count).unwrap_or(0),
            search_attributes: decode_search_attributes(info.search_attributes),
        }
    }
}

/// The result of [`Client::count_activities`](crate::Client::count_activities).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ActivityExecutionCount {
    /// How many executions match (approximate on some visibility stores).
    pub count: u64,
    /// One group per distinct value, when the query ends with `GROUP BY ExecutionStatus`.
    pub groups: Vec<ActivityExecutionCountGroup>,
}

/// One `GROUP BY` group of an [`ActivityExecutionCount`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ActivityExecutionCountGroup {
    /// The values that define the group (for `GROUP BY ExecutionStatus`, one `Keyword` such
    /// as `Running`).
    pub values: Vec<SearchAttributeValue>,
    /// How many executions are in the group.
    pub count: u64,
}

impl ActivityExecutionCountGroup {
    /// The group's status, for `GROUP BY ExecutionStatus` counts.
    pub fn status(&self) -> Option<ActivityStatus> {
        self.values.first()?.as_str()?.parse().ok()
    }

    fn from_proto(group: AggregationGroup) -> Self {
        ActivityExecutionCountGroup {
            values: group
                .group_values
                .iter()
                .map(SearchAttributeValue::from_payload)
                .collect(),
            count: u64::try_from(group.count).unwrap_or(0),
        }
    }
}

impl ActivityExecutionCount {
    pub(crate) fn from_proto(response: CountActivityExecutionsResponse) -> Self {
        ActivityExecutionCount {
            count: u64::try_from(response.count).unwrap_or(0),
            groups: response
                .groups
                .into_iter()
                .map(ActivityExecutionCountGroup::from_proto)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn count_groups_decode_status_values() {
        use solo_proto::temporal::api::common::v1::Payload;
        let group = |status: &str, count| AggregationGroup {
            group_values: vec![{
                let mut p: Payload = crate::payload::to_payload(&status).unwrap();
                p.metadata
                    .insert("type".into(), Bytes::from_static(b"Keyword"));
                p
            }],
            count,
        };
        let c = ActivityExecutionCount::from_proto(CountActivityExecutionsResponse {
            count: 3,
            groups: vec![group("Running", 2), group("Completed", 1)],
        });
        assert_eq!(c.count, 3);
        assert_eq!(c.groups[0].status(), Some(ActivityStatus::Running));
        assert_eq!(c.groups[1].status(), Some(ActivityStatus::Completed));
        assert_eq!(c.groups[1].count, 1);
    }
}
