//! Connecting: from a loaded profile, from the default profile in one call, and the errors
//! when the configuration or the server is wrong.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::process::Command;

use solo_client::{__private::default_identity, CallError, Client, ClientConfig};
use support::{unique, within};

fn env_config(vars: &[(&str, &str)]) -> ClientConfig {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    ClientConfig::loader()
        .disable_file()
        .env(vars)
        .load()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_uses_the_profiles_address_and_namespace() {
    let address = support::address();
    let client = within(
        "connect",
        Client::connect(env_config(&[("TEMPORAL_ADDRESS", &address)])),
    )
    .await
    .unwrap();
    assert_eq!(client.namespace(), "default");
    assert_eq!(client.identity(), default_identity());
    assert!(
        client
            .identity()
            .starts_with(&format!("{}@", std::process::id()))
    );
    client.count_activities("").await.unwrap();
    // Clones share the connection and settings.
    let clone = client.clone();
    assert_eq!(clone.namespace(), client.namespace());
    clone.count_activities("").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_reports_an_unreachable_server() {
    let port = solo_testing::dev_server::free_port().unwrap();
    let address = format!("127.0.0.1:{port}");
    let err = within(
        "connect",
        Client::connect(env_config(&[("TEMPORAL_ADDRESS", &address)])),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, CallError::Connect(_)), "{err:?}");
    assert!(err.to_string().contains(&address), "{err}");
}

/// Runs one of the `#[ignore]`d child tests below in a fresh process with `env`, so that
/// `connect_default` reads a real process environment.
fn run_child(test: &str, env: &[(&str, String)]) -> std::process::Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        test,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    for key in [
        "TEMPORAL_ADDRESS",
        "TEMPORAL_NAMESPACE",
        "TEMPORAL_PROFILE",
        "TEMPORAL_API_KEY",
    ] {
        cmd.env_remove(key);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn assert_child_passed(output: &std::process::Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn connect_default_reads_the_environment() {
    let dir = std::env::temp_dir().join(unique("solo-client-connect"));
    std::fs::create_dir_all(&dir).unwrap();
    let config_file = dir.join("temporal.toml");
    std::fs::write(&config_file, "").unwrap();
    let output = run_child(
        "child_connect_default",
        &[
            ("TEMPORAL_ADDRESS", support::address()),
            ("TEMPORAL_CONFIG_FILE", config_file.display().to_string()),
            ("SOLO_EXPECT", "ok".into()),
        ],
    );
    assert_child_passed(&output);

    std::fs::write(&config_file, "[profile.default\naddress = ").unwrap();
    let output = run_child(
        "child_connect_default",
        &[
            ("TEMPORAL_CONFIG_FILE", config_file.display().to_string()),
            ("SOLO_EXPECT", "config-error".into()),
        ],
    );
    assert_child_passed(&output);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
#[ignore = "run by connect_default_reads_the_environment in a child process"]
async fn child_connect_default() {
    let expect = std::env::var("SOLO_EXPECT").unwrap();
    let result = Client::connect_default().await;
    match expect.as_str() {
        "ok" => {
            let client = result.unwrap();
            assert_eq!(client.namespace(), "default");
            client.count_activities("").await.unwrap();
        }
        "config-error" => {
            let err = result.unwrap_err();
            assert!(matches!(err, CallError::Config(_)), "{err:?}");
            assert!(err.to_string().contains("temporal.toml"), "{err}");
        }
        other => panic!("unknown expectation {other}"),
    }
}
