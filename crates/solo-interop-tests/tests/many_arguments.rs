//! Activities with several arguments across SDKs: one payload per argument, as Python's
//! `args=[a, b]`, both ways.

use std::time::Duration;

use serde_json::json;
use solo_client::{Activity, ActivityOptions, Args};
use solo_interop_tests::shapes::{Order, sample_order};
use solo_interop_tests::{
    PyClient, PyWorker, SoloWorker, Start, Within, dataclass_marker, py_error, py_result,
    solo_client, unique,
};

/// `greet_two(greeting: str, order: Order) -> str` in `py_worker.py`, typed on the Rust side.
struct GreetTwo;

impl Activity for GreetTwo {
    type Input = Args<(String, Order)>;
    type Output = String;

    fn name(&self) -> &str {
        "greet_two"
    }
}

fn expected(greeting: &str, order: &Order) -> String {
    format!(
        "{greeting}, {}: {} items",
        order.customer.name,
        order.items.len()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_solo_client_calls_a_two_argument_python_activity_with_a_tuple() {
    let client = solo_client().await;
    let order = sample_order();
    let out = client
        .execute_activity(
            GreetTwo,
            ("Hello".to_owned(), order.clone()),
            ActivityOptions::new()
                .id(unique("solo2py-two"))
                .task_queue(PyWorker::shared().task_queue())
                .start_to_close_timeout(Duration::from_secs(10)),
        )
        .within("execute_activity")
        .await
        .unwrap_or_else(|e| panic!("greet_two: {e}"));
    assert_eq!(out, expected("Hello", &order));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_python_client_calls_a_two_argument_solo_activity_with_args() {
    let order = sample_order();
    let order_json = serde_json::to_value(&order).unwrap_or_default();
    let tq = SoloWorker::shared().task_queue();
    let py = PyClient::new();
    let two = Start::new("greet_two", &unique("py2solo-two"), tq)
        .args(vec![json!("Hi"), dataclass_marker("Order", order_json)]);
    let one = Start::new("greet_two", &unique("py2solo-two-short"), tq)
        .args(vec![json!("Hi")])
        .max_attempts(1);
    let answers = py
        .batch(&[two.command("execute"), one.command("execute")])
        .await;
    assert_eq!(py_result(&answers[0]), &json!(expected("Hi", &order)));
    // One argument short: the solo worker names the counts and the fix.
    let error = py_error(&answers[1]);
    let cause = &error["cause"];
    assert_eq!(cause["type"], json!("InputDecodeError"), "{error}");
    assert!(
        cause["message"]
            .as_str()
            .unwrap_or_default()
            .contains("activity `greet_two` takes 2 inputs but one was sent"),
        "{error}"
    );
}
