//! Unit tests of `client.rs`.

use super::*;

#[test]
fn client_and_handles_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<Client>();
    assert_send_sync::<ActivityHandle<String>>();
    assert_send_sync::<ClientOptions>();
    assert_send_sync::<ActivityOptions>();
    fn assert_send<T: Send>() {}
    assert_send::<ActivityList>();
    assert_send::<crate::ActivityWatch>();
    assert_send::<CallError>();
    assert_send::<StartError>();
    assert_send::<OutcomeError>();
}

struct Greet;

impl Activity for Greet {
    type Input = String;
    type Output = String;
    fn name(&self) -> &str {
        "greet"
    }
}

/// Type-checked, never run: every future the client hands out can be spawned.
#[allow(dead_code)]
fn futures_are_send(client: Client, handle: ActivityHandle<String>, options: ActivityOptions) {
    fn spawnable<T: Send + 'static>(_: T) {}
    let c = client.clone();
    let o = options.clone();
    spawnable(async move { c.execute_activity(Greet, String::from("x"), o).await });
    let c = client.clone();
    let o = options.clone();
    spawnable(async move {
        c.execute_activity_by_name::<String>("greet", ("x",), o)
            .await
    });
    let c = client.clone();
    spawnable(async move { c.count_activities("").await });
    let h = handle.clone();
    spawnable(async move { h.result().await });
    let h = handle.clone();
    spawnable(async move { h.describe().await });
    let h = handle.clone();
    spawnable(async move { h.cancel("x").await });
    let h = handle.clone();
    spawnable(async move { h.terminate("x").await });
    let h = handle.clone();
    spawnable(async move { h.delete().await });
    spawnable(client.list_activities(""));
    spawnable(handle.watch());
}
