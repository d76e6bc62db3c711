//! Lists the activity executions on the sample's task queue.

use hello_standalone_activity::TASK_QUEUE;
use solo::prelude::*;

#[tokio::main]
async fn main() -> hello_standalone_activity::Result {
    let client = Client::connect_default().await?;
    let mut activities = client.list_activities(format!("TaskQueue = '{TASK_QUEUE}'"));
    while let Some(info) = activities.try_next().await? {
        println!(
            "ActivityID: {}, Type: {}, Status: {}",
            info.activity_id, info.activity_type, info.status
        );
    }
    Ok(())
}
