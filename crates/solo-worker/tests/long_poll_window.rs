//! An activity that outlives the server's outcome long-poll window (60 s on Server 1.32): the
//! handle's result loop must keep polling with a fresh deadline and still return the result.
//!
//! Not part of the default run (it takes over a minute); run it with
//! `cargo test -p solo-worker --test long_poll_window -- --ignored --nocapture`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use solo_worker::Worker;
use support::{Running, client, unique};

#[solo_macros::activity(crate = "solo_worker")]
async fn sleep_then_answer(seconds: u64) -> String {
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    format!("slept {seconds} s")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "takes 75 s; run with --ignored"]
async fn result_survives_a_run_longer_than_the_long_poll_window() {
    let client = client().await;
    let queue = unique("long-poll");
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(sleep_then_answer)
            .build()
            .unwrap(),
    );
    let started = Instant::now();
    let result = client
        .execute_activity(
            sleep_then_answer,
            75,
            solo_client::ActivityOptions::new()
                .id(unique("long"))
                .task_queue(&queue)
                .start_to_close_timeout(Duration::from_secs(120)),
        )
        .await
        .unwrap();
    let waited = started.elapsed();
    println!("result after {waited:?}: {result}");
    assert_eq!(result, "slept 75 s");
    assert!(
        waited >= Duration::from_secs(75),
        "returned early: {waited:?}"
    );
    running.stop().await.unwrap();
}
