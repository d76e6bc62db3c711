//! List and count agree across solo, the Python SDK and the CLI for the same queries, over
//! activities started by all three and ending in every status.

use solo_interop_tests::Within;
use std::collections::BTreeMap;
use std::time::Duration;

use futures::TryStreamExt;
use serde_json::{Value, json};
use solo_client::{Activity, ActivityExecution, ActivityOptions, ActivityRunState, Client};
use solo_interop_tests::solo_activities::FailSpec;
use solo_interop_tests::{PyClient, SoloWorker, Start, eventually, solo_client, temporal, unique};

/// `TIMED_OUT` / `ACTIVITY_EXECUTION_STATUS_TIMED_OUT` → `TimedOut` (the visibility name).
fn visibility_name(status: &str) -> String {
    status
        .trim_start_matches("ACTIVITY_EXECUTION_STATUS_")
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_string() + &chars.as_str().to_lowercase(),
                None => String::new(),
            }
        })
        .collect()
}

/// What one SDK reports for the queries: the listings as (id → status) and the counts.
#[derive(Debug, PartialEq)]
struct Observed {
    lists: Vec<BTreeMap<String, String>>,
    counts: Vec<u64>,
    groups: BTreeMap<String, u64>,
}

async fn solo_observes(
    client: &Client,
    queries: &[String],
    grouped: &str,
) -> Result<Observed, String> {
    let mut lists = Vec::new();
    let mut counts = Vec::new();
    for query in queries {
        let listed: Vec<ActivityExecution> = client
            .list_activities(query.clone())
            .try_collect()
            .await
            .map_err(|e| e.to_string())?;
        lists.push(
            listed
                .into_iter()
                .map(|e| (e.activity_id, e.status.to_string()))
                .collect(),
        );
        let count = client
            .count_activities(query.clone())
            .await
            .map_err(|e| e.to_string())?;
        counts.push(count.count);
    }
    let grouped = client
        .count_activities(grouped)
        .await
        .map_err(|e| e.to_string())?;
    let groups = grouped
        .groups
        .iter()
        .map(|g| {
            (
                g.status().map(|s| s.to_string()).unwrap_or_default(),
                g.count,
            )
        })
        .collect();
    Ok(Observed {
        lists,
        counts,
        groups,
    })
}

async fn python_observes(
    py: &PyClient,
    queries: &[String],
    grouped: &str,
) -> Result<Observed, String> {
    let mut commands: Vec<Vec<String>> = Vec::new();
    for query in queries {
        commands.push(vec!["list".into(), "--query".into(), query.clone()]);
        commands.push(vec!["count".into(), "--query".into(), query.clone()]);
    }
    commands.push(vec!["count".into(), "--query".into(), grouped.to_owned()]);
    let answers = py.batch(&commands).await;
    if let Some(failed) = answers.iter().find(|a| a["ok"] != true) {
        return Err(failed.to_string());
    }
    let mut lists = Vec::new();
    let mut counts = Vec::new();
    for pair in answers[..answers.len() - 1].chunks(2) {
        let listed = pair[0]["executions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        lists.push(
            listed
                .iter()
                .map(|e| {
                    (
                        e["activity_id"].as_str().unwrap_or_default().to_owned(),
                        visibility_name(e["status"].as_str().unwrap_or_default()),
                    )
                })
                .collect(),
        );
        counts.push(pair[1]["count"].as_u64().unwrap_or(u64::MAX));
    }
    let groups = answers[answers.len() - 1]["groups"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|g| {
            (
                g["values"][0].as_str().unwrap_or_default().to_owned(),
                g["count"].as_u64().unwrap_or(u64::MAX),
            )
        })
        .collect();
    Ok(Observed {
        lists,
        counts,
        groups,
    })
}

/// The CLI prints int64 counts as JSON strings, and omits a zero count (proto3 JSON).
fn cli_number(value: &Value) -> u64 {
    if value.is_null() {
        return 0;
    }
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| value.as_u64())
        .unwrap_or(u64::MAX)
}

async fn cli_observes(queries: &[String], grouped: &str) -> Result<Observed, String> {
    let mut lists = Vec::new();
    let mut counts = Vec::new();
    for query in queries {
        let list = temporal(&["activity", "list", "--query", query, "-o", "json"]).await;
        let count = temporal(&["activity", "count", "--query", query, "-o", "json"]).await;
        if !list.success || !count.success {
            return Err(format!("{list:?} {count:?}"));
        }
        // An empty listing prints nothing.
        let listed = if list.stdout.trim().is_empty() {
            Vec::new()
        } else {
            list.json().as_array().cloned().unwrap_or_default()
        };
        lists.push(
            listed
                .iter()
                .map(|e| {
                    (
                        e["activityId"].as_str().unwrap_or_default().to_owned(),
                        visibility_name(e["status"].as_str().unwrap_or_default()),
                    )
                })
                .collect(),
        );
        counts.push(cli_number(&count.json()["count"]));
    }
    let grouped = temporal(&["activity", "count", "--query", grouped, "-o", "json"]).await;
    let groups = grouped.json()["groups"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|g| {
            (
                g["groupValues"][0].as_str().unwrap_or_default().to_owned(),
                cli_number(&g["count"]),
            )
        })
        .collect();
    Ok(Observed {
        lists,
        counts,
        groups,
    })
}

fn heartbeating(id: &str, tq: &str) -> ActivityOptions {
    ActivityOptions::new()
        .id(id)
        .task_queue(tq)
        .start_to_close_timeout(Duration::from_secs(120))
        .heartbeat_timeout(Duration::from_secs(2))
}

#[tokio::test(flavor = "multi_thread")]
async fn list_and_count_agree_across_solo_python_and_the_cli() {
    let tq = unique("vis-tq");
    SoloWorker::start(&tq).unwrap_or_else(|e| panic!("{e}"));
    let client = solo_client().await;
    let py = PyClient::new();
    let mut expected: BTreeMap<String, &str> = BTreeMap::new();
    let by_name = |name: &str| Remote(name.to_owned());

    // Started by solo.
    for _ in 0..2 {
        let id = unique("vis-solo-echo");
        client
            .execute_activity(
                by_name("echo"),
                json!(1),
                ActivityOptions::new()
                    .id(&id)
                    .task_queue(&tq)
                    .start_to_close_timeout(Duration::from_secs(10)),
            )
            .within("execute_activity")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        expected.insert(id, "Completed");
    }
    let id = unique("vis-solo-fail");
    let failed = client
        .execute_activity_by_name::<()>(
            "fail_application",
            (FailSpec {
                message: "no".into(),
                non_retryable: true,
                ..FailSpec::default()
            },),
            ActivityOptions::new()
                .id(&id)
                .task_queue(&tq)
                .start_to_close_timeout(Duration::from_secs(10)),
        )
        .await;
    assert!(failed.is_err());
    expected.insert(id, "Failed");
    let cancelled_id = unique("vis-solo-cancel");
    let cancelled = client
        .start_activity(
            by_name("heartbeat_until_cancelled"),
            json!("x"),
            heartbeating(&cancelled_id, &tq),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let running_id = unique("vis-solo-running");
    let running = client
        .start_activity(
            by_name("heartbeat_until_cancelled"),
            json!("y"),
            heartbeating(&running_id, &tq),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    expected.insert(running_id.clone(), "Running");

    // Started by Python.
    let py_echo = Start::new("echo", &unique("vis-py-echo"), &tq).arg(json!("a"));
    let py_fail = Start::new("fail_application", &unique("vis-py-fail"), &tq)
        .arg(json!({"message": "no", "non_retryable": true}));
    let py_timeout = Start::new("sleep", &unique("vis-py-timeout"), &tq)
        .arg(json!(30))
        .start_to_close(1.0)
        .max_attempts(1);
    let py_term = Start::new("heartbeat_until_cancelled", &unique("vis-py-term"), &tq)
        .arg(json!("z"))
        .start_to_close(120.0)
        .heartbeat_timeout(2.0);
    let answers = py
        .batch(&[
            py_echo.command("execute"),
            py_fail.command("execute"),
            py_timeout.command("execute"),
            py_term.command("start"),
        ])
        .await;
    assert_eq!(answers[3]["ok"], true, "{answers:?}");
    expected.insert(py_echo.id().to_owned(), "Completed");
    expected.insert(py_fail.id().to_owned(), "Failed");
    expected.insert(py_timeout.id().to_owned(), "TimedOut");

    // Started by the CLI.
    let cli_id = unique("vis-cli-echo");
    let out = temporal(&[
        "activity",
        "execute",
        "--type",
        "echo",
        "--activity-id",
        &cli_id,
        "--task-queue",
        &tq,
        "--start-to-close-timeout",
        "10s",
        "--input",
        "true",
    ])
    .await;
    assert!(out.success, "{out:?}");
    expected.insert(cli_id, "Completed");

    // Cancel one from solo, terminate one from Python, once they run.
    for id in [cancelled_id.as_str(), py_term.id()] {
        eventually("the attempt started", Duration::from_secs(20), || async {
            let d = client
                .get_activity_handle::<Value>(id, None)
                .describe()
                .await
                .map_err(|e| e.to_string())?;
            if d.run_state == Some(ActivityRunState::Started) {
                Ok(())
            } else {
                Err(format!("{d:?}"))
            }
        })
        .await;
    }
    cancelled
        .cancel("enough")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(cancelled.result().within("result").await.is_err());
    expected.insert(cancelled_id, "Canceled");
    assert_eq!(py.terminate(py_term.id(), "bye").await["ok"], true);
    expected.insert(py_term.id().to_owned(), "Terminated");

    let queries = vec![
        format!("TaskQueue = '{tq}'"),
        format!("TaskQueue = '{tq}' AND ExecutionStatus = 'Completed'"),
        format!("TaskQueue = '{tq}' AND ActivityType = 'heartbeat_until_cancelled'"),
        format!("TaskQueue = '{tq}' AND ExecutionStatus != 'Running' AND ActivityType != 'echo'"),
        format!("TaskQueue = '{tq}' AND ActivityType = 'no_such_type'"),
    ];
    let grouped = format!("TaskQueue = '{tq}' GROUP BY ExecutionStatus");
    let want_lists: Vec<BTreeMap<String, String>> = vec![
        select(&expected, |_, _| true),
        select(&expected, |_, status| status == "Completed"),
        select(&expected, |id, _| {
            id.contains("cancel") || id.contains("running") || id.contains("term")
        }),
        select(&expected, |id, status| {
            status != "Running" && !id.contains("echo")
        }),
        BTreeMap::new(),
    ];
    let want = Observed {
        counts: want_lists.iter().map(|l| l.len() as u64).collect(),
        groups: expected
            .values()
            .fold(BTreeMap::new(), |mut groups, status| {
                *groups.entry((*status).to_owned()).or_insert(0) += 1;
                groups
            }),
        lists: want_lists,
    };

    eventually(
        "solo, Python and the CLI report the same executions",
        Duration::from_secs(15),
        || async {
            let solo = solo_observes(&client, &queries, &grouped).await?;
            let python = python_observes(&py, &queries, &grouped).await?;
            let cli = cli_observes(&queries, &grouped).await?;
            if solo == want && python == want && cli == want {
                Ok(())
            } else {
                Err(format!(
                    "want {want:?}\nsolo {solo:?}\npython {python:?}\ncli {cli:?}"
                ))
            }
        },
    )
    .await;

    running
        .terminate("test over")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

fn select(
    expected: &BTreeMap<String, &str>,
    keep: impl Fn(&str, &str) -> bool,
) -> BTreeMap<String, String> {
    expected
        .iter()
        .filter(|(id, status)| keep(id, status))
        .map(|(id, status)| (id.clone(), (*status).to_owned()))
        .collect()
}

/// Any activity by type name, JSON in and out.
struct Remote(String);

impl Activity for Remote {
    type Input = Value;
    type Output = Value;

    fn name(&self) -> &str {
        &self.0
    }
}
