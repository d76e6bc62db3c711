//! Gets a handle to an existing activity by id, describes it and waits for its result.

use hello_standalone_activity::ACTIVITY_ID;
use solo::prelude::*;

#[tokio::main]
async fn main() -> hello_standalone_activity::Result {
    let client = Client::connect_default().await?;
    // Without a run id the handle follows the latest run with this activity id.
    let activity_handle = client.get_activity_handle::<String>(ACTIVITY_ID, None);
    let description = activity_handle.describe().await?;
    println!(
        "ActivityID: {}, RunID: {}, Type: {}, Status: {}, Attempt: {}",
        description.activity_id,
        description.run_id,
        description.activity_type,
        description.status,
        description.attempt,
    );
    let activity_result = activity_handle.result().await?;
    println!("Activity result: {activity_result}");
    Ok(())
}
