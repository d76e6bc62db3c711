//! The client's data converter with a payload codec: inputs, results, heartbeat details,
//! failure details and the summary travel encoded and come back decoded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use prost::Message;
use solo_client::{
    ActivityOptions, ApplicationError, AsyncActivityId, ClientOptions, DataConverter, OutcomeError,
    PayloadCodec, RetryPolicy,
};
use solo_client::{CodecFuture, encoding_of, from_payload, to_payload};
use solo_proto::temporal::api::common::v1::{Payload, Payloads};
use support::{Reply, application_failure, client_with, eventually, start_worker, unique, within};

const ENCODING: &str = "binary/test-xor";

/// Serializes the whole payload and scrambles it (a stand-in for encryption).
struct Xor;

fn seal(p: &Payload) -> Payload {
    let data: Vec<u8> = p.encode_to_vec().into_iter().map(|b| b ^ 0x5a).collect();
    Payload {
        metadata: HashMap::from([(
            "encoding".to_owned(),
            Bytes::from_static(ENCODING.as_bytes()),
        )]),
        data: Bytes::from(data),
        ..Default::default()
    }
}

fn open(p: &Payload) -> Payload {
    assert_eq!(encoding_of(p), ENCODING, "a payload that skipped the codec");
    let data: Vec<u8> = p.data.iter().map(|b| b ^ 0x5a).collect();
    Payload::decode(&data[..]).unwrap()
}

impl PayloadCodec for Xor {
    fn encode(&self, payloads: Vec<Payload>) -> CodecFuture<'_> {
        Box::pin(async move { Ok(payloads.iter().map(seal).collect()) })
    }

    fn decode(&self, payloads: Vec<Payload>) -> CodecFuture<'_> {
        Box::pin(async move { Ok(payloads.iter().map(open).collect()) })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_the_codec_covers_travels_encoded() {
    let client =
        client_with(ClientOptions::new().data_converter(DataConverter::from_codec(Xor))).await;
    assert!(client.data_converter().has_codec());
    let tq = unique("tq");
    let (release_tx, release_rx) = tokio::sync::watch::channel(false);
    let _worker = start_worker(&tq, move |task| {
        let mut release = release_rx.clone();
        async move {
            let input = task.input();
            assert_eq!(input.len(), 2);
            let a: String = from_payload(&open(&input[0])).unwrap();
            let b: i64 = from_payload(&open(&input[1])).unwrap();
            task.heartbeat_raw(Payloads {
                payloads: vec![seal(&to_payload(&"half").unwrap())],
            })
            .await;
            release.wait_for(|go| *go).await.unwrap();
            if a == "fail" {
                Reply::fail(application_failure(
                    "nope",
                    "Refused",
                    true,
                    vec![seal(&to_payload(&"secret detail").unwrap())],
                ))
            } else {
                Reply::Complete(vec![seal(&to_payload(&format!("{a}{b}")).unwrap())])
            }
        }
    })
    .await;

    let options = ActivityOptions::new()
        .id(unique("codec"))
        .task_queue(&tq)
        .start_to_close_timeout(Duration::from_secs(30))
        .summary("sealed summary")
        .retry_policy(RetryPolicy::no_retries());
    let handle = client
        .start_activity_by_name::<String>("concat", ("x", 7), options)
        .await
        .unwrap();
    let d = eventually("the heartbeat is recorded", || async {
        let d = handle.describe().await.unwrap();
        (!d.heartbeat_details.is_empty()).then_some(d)
    })
    .await;
    assert_eq!(
        d.heartbeat_details.first::<String>().unwrap().as_deref(),
        Some("half")
    );
    assert_eq!(d.summary.as_deref(), Some("sealed summary"));
    release_tx.send(true).unwrap();
    assert_eq!(within("result", handle.result()).await.unwrap(), "x7");

    // The same handle read through a client without the codec cannot decode the result.
    let plain = support::client().await;
    let err = plain
        .get_activity_handle::<String>(handle.id(), None)
        .result()
        .await
        .unwrap_err();
    assert!(matches!(err, OutcomeError::Data(_)), "{err:?}");
    assert!(err.to_string().contains("PayloadCodec"), "{err}");

    // Failure details go through the codec too; `into_output` re-types a handle.
    let options = ActivityOptions::new()
        .id(unique("codec"))
        .task_queue(&tq)
        .start_to_close_timeout(Duration::from_secs(30))
        .retry_policy(RetryPolicy::no_retries());
    let failing = client
        .start_activity_by_name::<String>("concat", ("fail", 0), options)
        .await
        .unwrap()
        .into_output::<serde_json::Value>();
    let err = within("result", failing.result()).await.unwrap_err();
    let failure = err.failure().expect("a failure");
    assert_eq!(failure.details().get::<String>(0).unwrap(), "secret detail");
    assert_eq!(client.connection().namespace(), "default");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_completion_travels_through_the_codec() {
    let client =
        client_with(ClientOptions::new().data_converter(DataConverter::from_codec(Xor))).await;
    let tq = unique("tq");
    let (tokens_tx, mut tokens) = tokio::sync::mpsc::unbounded_channel();
    // The activity answers nothing: it completes asynchronously.
    let _worker = start_worker(&tq, move |task| {
        let tokens = tokens_tx.clone();
        async move {
            tokens.send(task.task.task_token.clone()).unwrap();
            Reply::Nothing
        }
    })
    .await;
    let options = |id: &str| {
        ActivityOptions::new()
            .id(id)
            .task_queue(&tq)
            .start_to_close_timeout(Duration::from_secs(30))
            .retry_policy(RetryPolicy::no_retries())
    };

    let handle = client
        .start_activity_by_name::<String>("approve", (), options(&unique("codec-async")))
        .await
        .unwrap();
    let token = within("the attempt", tokens.recv()).await.unwrap();
    let by_token = client.get_async_activity_handle(AsyncActivityId::task_token(token));
    let reply = by_token.heartbeat(&"sealed beat").await.unwrap();
    assert!(!reply.stop_requested());
    let d = handle.describe().await.unwrap();
    assert_eq!(d.heartbeat_details.get::<String>(0).unwrap(), "sealed beat");
    assert_eq!(
        encoding_of(&d.heartbeat_details.payloads()[0]),
        "json/plain"
    );
    by_token.complete(&"sealed result").await.unwrap();
    assert_eq!(
        within("result", handle.result()).await.unwrap(),
        "sealed result"
    );
    // A client without the codec sees the result encoded.
    let plain = support::client().await;
    let err = plain
        .get_activity_handle::<String>(handle.id(), None)
        .result()
        .await
        .unwrap_err();
    assert!(matches!(err, OutcomeError::Data(_)), "{err:?}");

    let failing = client
        .start_activity_by_name::<String>("approve", (), options(&unique("codec-async")))
        .await
        .unwrap();
    within("the attempt", tokens.recv()).await.unwrap();
    client
        .get_async_activity_handle(AsyncActivityId::by_id(failing.id(), None))
        .fail(ApplicationError::new("declined").detail(&"secret detail"))
        .await
        .unwrap();
    let err = within("result", failing.result()).await.unwrap_err();
    let failure = err.failure().expect("a failure");
    assert_eq!(failure.details().get::<String>(0).unwrap(), "secret detail");
}
