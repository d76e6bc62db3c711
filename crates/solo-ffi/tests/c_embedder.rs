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

/// The leak check at CI size: round trips through the ABI (start, poll, complete, result)
/// with the C program's resident size sampled every tenth; after the first fifth (warm-up:
/// connection buffers, allocator arenas) it stays flat. `cargo xtask bench` runs 10,000.
#[test]
fn round_trips_through_the_c_abi_keep_the_resident_size_flat() {
    let server = DevServer::shared().expect("dev server");
    let (program, _dir) = common::compile_c("greeting.c");
    let rounds = 300;
    let output = solo_testing::output_within(
        Command::new(&program).args([
            server.address().as_str(),
            common::unique("c-leak").as_str(),
            common::unique("c-leak").as_str(),
            &rounds.to_string(),
        ]),
        Duration::from_secs(120),
    )
    .expect("the C program ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the C program failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let samples: Vec<(u64, u64)> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("rss_kb "))
        .filter_map(|l| {
            let (round, kb) = l.split_once(' ')?;
            Some((round.parse().ok()?, kb.parse().ok()?))
        })
        .collect();
    assert!(samples.len() >= 10, "too few samples:\n{stdout}");
    assert_eq!(samples.last().map(|s| s.0), Some(rounds), "{stdout}");
    assert!(stdout.contains(&format!("served {rounds}\n")), "{stdout}");
    let after_warmup = samples
        .iter()
        .find(|(round, _)| *round > rounds / 5)
        .map(|s| s.1)
        .expect("a sample after the first fifth");
    let end = samples.last().map(|s| s.1).unwrap_or_default();
    let growth_kb = end.saturating_sub(after_warmup);
    eprintln!("resident KiB by round trip: {samples:?}");
    // A leak of 4 KiB per round trip would show as about 1 MB here (measured: flat within 50 KiB).
    assert!(
        growth_kb < 768,
        "the resident size grew by {growth_kb} KiB over {} round trips: {samples:?}",
        rounds - rounds / 5
    );
}

/// The C examples of the crate's README and of the workspace README compile against the
/// header and link.
#[test]
fn the_readme_examples_compile() {
    let crate_dir = common::crate_dir();
    for readme in [
        crate_dir.join("README.md"),
        crate_dir.join("../../README.md"),
    ] {
        let text = std::fs::read_to_string(&readme).expect("README");
        let start = text
            .find("```c\n")
            .unwrap_or_else(|| panic!("no C block in {}", readme.display()))
            + "```c\n".len();
        let end = start + text[start..].find("```").expect("its end");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let source = dir.path().join("readme_example.c");
        std::fs::write(&source, &text[start..end]).expect("write the example");
        common::compile_c_file(&source);
    }
}
