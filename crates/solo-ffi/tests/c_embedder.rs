//! A C program embeds solo through the C ABI: a worker serving `compose_greeting` (driven by
//! callbacks) and a client executing it (through the blocking waiter), against a dev server.

mod common;

use std::process::Command;
use std::time::Duration;

use solo_testing::DevServer;

#[test]
fn a_c_program_serves_and_executes_compose_greeting() {
    let server = DevServer::shared().expect("dev server");
    let (program, _dir) = common::compile_c("greeting.c");
    let task_queue = common::unique("c-embedder");
    let output = solo_testing::output_within(
        Command::new(&program).args([
            server.address().as_str(),
            task_queue.as_str(),
            common::unique("c-greet").as_str(),
        ]),
        Duration::from_secs(60),
    )
    .expect("the C program ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the C program failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("result: \"Hello, World!\""),
        "unexpected output:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("served 1\n"),
        "unexpected output:\n{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with("done"),
        "no clean shutdown:\n{stdout}"
    );
}
