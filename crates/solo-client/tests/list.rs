//! Listing and counting activity executions.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use futures::TryStreamExt;
use solo_client::{
    ActivityHandle, ActivityOptions, ActivityStatus, CallError, Client, ListOptions,
};
use support::{client, eventually, unique, within};

/// Starts `n` activities on `task_queue` (no worker polls it, so they stay running).
async fn start_many(client: &Client, task_queue: &str, n: usize) -> Vec<ActivityHandle<()>> {
    let mut handles = Vec::new();
    for _ in 0..n {
        let options = ActivityOptions::new()
            .id(unique("listed"))
            .task_queue(task_queue)
            .start_to_close_timeout(Duration::from_secs(30));
        handles.push(
            client
                .start_activity_by_name::<()>("listed_type", (), options)
                .await
                .unwrap(),
        );
    }
    handles
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_pages_through_every_match_and_honours_the_limit() {
    let client = client().await;
    let tq = unique("list");
    let handles = start_many(&client, &tq, 5).await;
    let query = format!("TaskQueue = '{tq}'");
    let all = eventually("all five are visible", || async {
        let all: Vec<_> = client
            .list_activities(ListOptions::new(query.clone()).page_size(2))
            .try_collect()
            .await
            .unwrap();
        (all.len() == 5).then_some(all)
    })
    .await;
    let mut ids: Vec<_> = all.iter().map(|a| a.activity_id.clone()).collect();
    ids.sort();
    let mut expected: Vec<_> = handles.iter().map(|h| h.id().to_owned()).collect();
    expected.sort();
    assert_eq!(ids, expected);
    for a in &all {
        assert_eq!(a.activity_type, "listed_type");
        assert_eq!(a.task_queue, tq);
        assert_eq!(a.status, ActivityStatus::Running);
        assert!(a.schedule_time.is_some());
        assert!(a.close_time.is_none());
        assert!(uuid::Uuid::parse_str(&a.run_id).is_ok());
    }

    let limited: Vec<_> = within(
        "a limited list",
        client
            .list_activities(ListOptions::new(query.clone()).page_size(2).limit(3))
            .try_collect::<Vec<_>>(),
    )
    .await
    .unwrap();
    assert_eq!(limited.len(), 3);

    // Closed executions carry their close time and duration.
    handles[0].terminate("listed").await.unwrap();
    let closed_query = format!("{query} AND ExecutionStatus = 'Terminated'");
    let closed = eventually("the termination is visible", || async {
        let found: Vec<_> = client
            .list_activities(closed_query.clone())
            .try_collect()
            .await
            .unwrap();
        found.into_iter().next()
    })
    .await;
    assert_eq!(closed.activity_id, handles[0].id());
    assert_eq!(closed.status, ActivityStatus::Terminated);
    assert!(closed.close_time.is_some());
    assert!(closed.execution_duration.is_some());
    for h in &handles[1..] {
        h.terminate("test done").await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn count_totals_and_groups_by_execution_status() {
    let client = client().await;
    let tq = unique("count");
    let handles = start_many(&client, &tq, 3).await;
    handles[0].terminate("counted").await.unwrap();
    let query = format!("TaskQueue = '{tq}'");
    let grouped = format!("{query} GROUP BY ExecutionStatus");
    let count = eventually("the counts settle", || async {
        let c = client.count_activities(grouped.clone()).await.unwrap();
        let terminated = c
            .groups
            .iter()
            .find(|g| g.status() == Some(ActivityStatus::Terminated))
            .map(|g| g.count);
        (c.count == 3 && terminated == Some(1)).then_some(c)
    })
    .await;
    let running = count
        .groups
        .iter()
        .find(|g| g.status() == Some(ActivityStatus::Running))
        .expect("a Running group");
    assert_eq!(running.count, 2);
    assert_eq!(running.values[0].as_str(), Some("Running"));
    let plain = client.count_activities(query).await.unwrap();
    assert_eq!(plain.count, 3);
    assert!(plain.groups.is_empty());
    for h in &handles[1..] {
        h.terminate("test done").await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_query_is_a_clear_error_with_the_servers_message() {
    let client = client().await;
    // The seed page's query: the field is `ExecutionStatus`, not `Status`.
    let query = "ActivityType = 'MyActivity' AND Status = 'Running'";
    let err = client.count_activities(query).await.unwrap_err();
    let CallError::InvalidQuery { query: q, message } = &err else {
        panic!("expected InvalidQuery, got {err:?}");
    };
    assert_eq!(q, query);
    assert!(!message.is_empty());
    let text = err.to_string();
    assert!(text.contains(message.as_str()), "{text}");
    assert!(text.contains("ExecutionStatus"), "{text}");

    let mut list = client.list_activities(query);
    let err = within("list", list.try_next()).await.unwrap_err();
    assert!(matches!(err, CallError::InvalidQuery { .. }), "{err:?}");
    assert!(within("the end", list.try_next()).await.unwrap().is_none());
}
