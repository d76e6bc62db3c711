//! Counts the activity executions on the sample's task queue, then groups them by status.

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

    let resp = client
        .count_activities(format!("TaskQueue = '{TASK_QUEUE}'"))
        .await?;
    println!("Total activities: {}", resp.count);
    for group in &resp.groups {
        println!("Group {}: {}", python_list(&group.values), group.count);
    }

    // Grouping needs `GROUP BY ExecutionStatus` (the only field the server groups by).
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
