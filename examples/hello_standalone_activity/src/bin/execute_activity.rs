//! Executes `compose_greeting` and prints its result.

use std::time::Duration;

use hello_standalone_activity::my_activity::{ComposeGreetingInput, compose_greeting};
use hello_standalone_activity::{ACTIVITY_ID, TASK_QUEUE};
use solo::prelude::*;

#[tokio::main]
async fn main() -> hello_standalone_activity::Result {
    let client = Client::connect_default().await?;
    let activity_result = client
        .execute_activity(
            compose_greeting,
            ComposeGreetingInput {
                greeting: "Hello".into(),
                name: "World".into(),
            },
            ActivityOptions::new()
                .id(ACTIVITY_ID)
                .task_queue(TASK_QUEUE)
                .start_to_close_timeout(Duration::from_secs(10)),
        )
        .await?;
    println!("Activity result: {activity_result}");
    Ok(())
}
