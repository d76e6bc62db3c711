//! Counts the activity executions on the sample's task queue and prints the total, then one
//! line per status group, as the Python sample does (`Total activities: 3`, then
//! `Group ['Completed']: 3`).

use hello_standalone_activity::TASK_QUEUE;
use solo::prelude::*;

/// Formats group values as the Python sample prints a list of strings: `['Completed']`.
fn python_list<T: std::fmt::Display>(values: &[T]) -> String {
    let items: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
    format!("[{}]", items.join(", "))
}

#[tokio::main]
async fn main() -> hello_standalone_activity::Result {
    let client = Client::connect_default().await?;

    // `GROUP BY ExecutionStatus` (the only field the server groups by) fills the groups;
    // the total is the same as without it.
    let resp = client
        .count_activities(format!(
            "TaskQueue = '{TASK_QUEUE}' GROUP BY ExecutionStatus"
        ))
        .await?;
    println!("Total activities: {}", resp.count);
    for group in &resp.groups {
        println!("Group {}: {}", python_list(&group.values), group.count);
    }
    Ok(())
}
