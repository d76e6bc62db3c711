//! Starts `compose_greeting` without waiting, reads its input back, then waits for the result.

use std::time::Duration;

use hello_standalone_activity::my_activity::{ComposeGreetingInput, compose_greeting};
use hello_standalone_activity::{ACTIVITY_ID, TASK_QUEUE};
use solo::prelude::*;

#[tokio::main]
async fn main() -> hello_standalone_activity::Result {
    let client = Client::connect_default().await?;

    // Start the activity without waiting for the result.
    let activity_handle = client
        .start_activity(
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
    println!("Started activity: {}", activity_handle.id());

    // Describe it with its input, decoded with the client's data converter.
    let description = activity_handle
        .describe_with(DescribeOptions::new().include_input(true))
        .await?;
    let input = description.input.unwrap_or_default();
    let inputs = (0..input.len())
        .map(|i| input.get::<ComposeGreetingInput>(i))
        .collect::<Result<Vec<_>, _>>()?;
    println!("Input was: {inputs:?}");

    // Wait for the result.
    let activity_result = activity_handle.result().await?;
    println!("Activity result: {activity_result}");
    Ok(())
}
