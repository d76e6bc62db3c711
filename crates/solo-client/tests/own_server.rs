//! Behaviour that needs a dev server of its own: a namespace without start delays or operator
//! commands, custom search attributes, and a server that goes away.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures::TryStreamExt;
use solo_client::{
    ActivityOptions, CallError, Client, ClientInterceptor, ClientOptions, Connection,
    ConnectionOptions, RetryOptions, SearchAttributeValue, StartError,
};
use solo_testing::DevServerOptions;
use support::{PrivateServer, eventually, unique, within};
use tonic::metadata::MetadataMap;

/// Records the methods called.
#[derive(Clone, Default)]
struct Methods(Arc<Mutex<Vec<String>>>);

impl ClientInterceptor for Methods {
    fn on_call(&self, method: &str, _metadata: &mut MetadataMap) {
        self.0.lock().unwrap().push(method.to_owned());
    }
}

async fn client_on(address: &str, options: ClientOptions) -> Client {
    let connection = Connection::connect(ConnectionOptions::new(address))
        .await
        .unwrap();
    Client::new(connection, options)
}

fn options(task_queue: &str) -> ActivityOptions {
    ActivityOptions::new()
        .id(unique("act"))
        .task_queue(task_queue)
        .start_to_close_timeout(Duration::from_secs(30))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_delay_is_refused_where_the_namespace_lacks_it_and_search_attributes_round_trip() {
    let server = tokio::task::spawn_blocking(|| {
        PrivateServer::start(DevServerOptions {
            dynamic_config: vec![
                "activity.startDelayEnabled=false".into(),
                format!("{}=false", solo_testing::OPERATOR_COMMANDS_KEY),
            ],
            search_attributes: vec![
                "CustomKeywordField=Keyword".into(),
                "CustomIntField=Int".into(),
                "CustomDatetimeField=Datetime".into(),
                "CustomBoolField=Bool".into(),
            ],
            ..Default::default()
        })
    })
    .await
    .unwrap();
    let methods = Methods::default();
    let client = client_on(
        &server.address,
        ClientOptions::new().interceptor(methods.clone()),
    )
    .await;
    let tq = unique("no-worker");

    // The capability is asked once and remembered.
    for _ in 0..2 {
        let err = client
            .start_activity_by_name::<()>(
                "delayed",
                (),
                options(&tq).start_delay(Duration::from_secs(5)),
            )
            .await
            .unwrap_err();
        match &err {
            StartError::StartDelayUnsupported { namespace } => assert_eq!(namespace, "default"),
            other => panic!("expected StartDelayUnsupported, got {other:?}"),
        }
        assert!(err.to_string().contains("start_delay"), "{err}");
    }
    let describes = methods
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|m| *m == "DescribeNamespace")
        .count();
    assert_eq!(describes, 1);
    assert!(
        !methods
            .0
            .lock()
            .unwrap()
            .iter()
            .any(|m| m == "StartActivityExecution")
    );

    // Without a delay the same namespace starts activities, with search attributes.
    let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let handle = client
        .start_activity_by_name::<()>(
            "indexed",
            (),
            options(&tq)
                .search_attribute("CustomKeywordField", "blue")
                .search_attribute("CustomIntField", 42)
                .search_attribute("CustomDatetimeField", when)
                .search_attribute("CustomBoolField", true),
        )
        .await
        .unwrap();
    let d = within("describe", handle.describe()).await.unwrap();
    let sa = &d.search_attributes;
    assert_eq!(
        sa.get("CustomKeywordField"),
        Some(&SearchAttributeValue::Keyword("blue".into()))
    );
    assert_eq!(
        sa.get("CustomIntField"),
        Some(&SearchAttributeValue::Int(42))
    );
    assert_eq!(
        sa.get("CustomDatetimeField"),
        Some(&SearchAttributeValue::Datetime(when))
    );
    assert_eq!(
        sa.get("CustomBoolField"),
        Some(&SearchAttributeValue::Bool(true))
    );

    let found = eventually("the activity is indexed", || async {
        let found: Vec<_> = client
            .list_activities("CustomKeywordField = 'blue' AND CustomIntField = 42")
            .try_collect()
            .await
            .unwrap();
        found.into_iter().next()
    })
    .await;
    assert_eq!(found.activity_id, handle.id());
    assert_eq!(
        found.search_attributes.get("CustomIntField"),
        Some(&SearchAttributeValue::Int(42))
    );

    // Operator commands are off here: a clear error naming the switch.
    let err = handle.pause("maintenance").await.unwrap_err();
    let CallError::OperatorCommandsUnsupported { operation, .. } = &err else {
        panic!("expected OperatorCommandsUnsupported, got {err:?}");
    };
    assert_eq!(*operation, "PauseActivityExecution");
    assert!(
        err.to_string()
            .contains("history.enableStandaloneActivityOperatorCommands=true"),
        "{err}"
    );
    let err = handle
        .update_options(
            solo_client::ActivityOptionsUpdate::new().heartbeat_timeout(Duration::from_secs(3)),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, CallError::OperatorCommandsUnsupported { .. }),
        "{err:?}"
    );
    handle.terminate("test done").await.unwrap();
    drop(client);
    tokio::task::spawn_blocking(move || drop(server))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_went_away_is_a_transport_error_once_the_retry_budget_is_spent() {
    let mut server =
        tokio::task::spawn_blocking(|| PrivateServer::start(DevServerOptions::default()))
            .await
            .unwrap();
    // An ordinary call gives up after its retry budget (60 s by default; 2 s here).
    let connection = Connection::connect(
        ConnectionOptions::new(&server.address)
            .retry(RetryOptions::default().max_elapsed(Duration::from_secs(2))),
    )
    .await
    .unwrap();
    let client = Client::new(connection, ClientOptions::new());
    client.count_activities("").await.unwrap();
    let handle = client.get_activity_handle::<()>("solo-client-gone", None);
    let server = tokio::task::spawn_blocking(move || {
        server.stop();
        server
    })
    .await
    .unwrap();
    let err = within("describe", handle.describe()).await.unwrap_err();
    assert!(matches!(err, CallError::Transport(_)), "{err:?}");
    assert!(err.is_retryable());
    let text = err.to_string();
    assert!(text.contains("reachable"), "{text}");

    // A call that waits anyway (a count, a result) keeps waiting while the server is away:
    // it is still pending when its caller gives up.
    let waiting = tokio::time::timeout(Duration::from_secs(4), client.count_activities("")).await;
    assert!(
        waiting.is_err(),
        "the count waits for the server: {waiting:?}"
    );
    drop(server);
}
