//! Runs a worker with `compose_greeting` registered (Ctrl-C stops it gracefully).

use std::io::Write;

use hello_standalone_activity::my_activity::compose_greeting;
use hello_standalone_activity::{TASK_QUEUE, init_logging};
use solo::prelude::*;

#[tokio::main]
async fn main() -> hello_standalone_activity::Result {
    init_logging();
    let client = Client::connect_default().await?;
    let worker = Worker::builder(client, TASK_QUEUE)
        .activity(compose_greeting)
        .max_blocking_threads(5)
        .build()?;
    print!("worker running...");
    std::io::stdout().flush()?;
    worker.run_until_ctrl_c().await?;
    Ok(())
}
