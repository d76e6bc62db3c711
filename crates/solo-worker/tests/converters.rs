//! Payloads beyond JSON against a dev server: protobuf messages as inputs and results
//! (`binary/protobuf` and `json/protobuf` with `messageType`), and a custom payload converter
//! and failure converter used by both the client and the worker.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use solo_client::{
    ActivityError, ActivityFailure, ActivityHandle, ApplicationError, Client, ClientOptions,
    Connection, ConnectionOptions, DataConverter, DataError, DecodeTarget, DefaultFailureConverter,
    DescribeOptions, EncodePayload, FailureConverter, OutcomeError, PayloadConverter, Proto,
    ProtoJson, ValueRef, encoding_of,
};
use solo_proto::temporal::api::common::v1::Payload;
use solo_proto::temporal::api::failure::v1::Failure;
use solo_worker::Worker;
use support::{Running, client, one_attempt, options, unique, within};

/// `temporal.api.common.v1.WorkflowExecution` with its proto3 JSON mapping.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct WorkflowExecution {
    #[prost(string, tag = "1")]
    workflow_id: String,
    #[prost(string, tag = "2")]
    run_id: String,
}

impl prost::Name for WorkflowExecution {
    const NAME: &'static str = "WorkflowExecution";
    const PACKAGE: &'static str = "temporal.api.common.v1";
}

/// Binary protobuf in and out: doubles a duration.
#[solo_macros::activity(crate = "solo_worker")]
async fn double_duration(d: Proto<prost_types::Duration>) -> Proto<prost_types::Duration> {
    Proto(prost_types::Duration {
        seconds: d.0.seconds * 2,
        nanos: 0,
    })
}

/// proto3 JSON in and out, next to a plain argument.
#[solo_macros::activity(crate = "solo_worker")]
async fn rerun(
    execution: ProtoJson<WorkflowExecution>,
    suffix: String,
) -> ProtoJson<WorkflowExecution> {
    ProtoJson(WorkflowExecution {
        workflow_id: execution.0.workflow_id,
        run_id: format!("{}{suffix}", execution.0.run_id),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protobuf_messages_are_inputs_and_results_with_their_message_type() {
    let client = client().await;
    let queue = unique("proto");
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(double_duration)
            .activity(rerun)
            .build()
            .unwrap(),
    );
    let handle = client
        .start_activity(
            double_duration,
            Proto(prost_types::Duration {
                seconds: 21,
                nanos: 0,
            }),
            options(&unique("dur"), &queue),
        )
        .await
        .unwrap();
    assert_eq!(
        within("double", handle.result()).await.unwrap().0.seconds,
        42
    );
    let described = handle
        .describe_with(DescribeOptions::new().include_input(true))
        .await
        .unwrap();
    let input = described.input.unwrap();
    let p = &input.payloads()[0];
    assert_eq!(encoding_of(p), "binary/protobuf");
    assert_eq!(&p.metadata["messageType"][..], b"google.protobuf.Duration");

    let handle = client
        .start_activity(
            rerun,
            (
                ProtoJson(WorkflowExecution {
                    workflow_id: "wf".into(),
                    run_id: "r".into(),
                }),
                "-2".to_owned(),
            ),
            options(&unique("rerun"), &queue),
        )
        .await
        .unwrap();
    let out = within("rerun", handle.result()).await.unwrap().0;
    assert_eq!(
        (out.workflow_id.as_str(), out.run_id.as_str()),
        ("wf", "r-2")
    );
    let input = handle
        .describe_with(DescribeOptions::new().include_input(true))
        .await
        .unwrap()
        .input
        .unwrap();
    let p = &input.payloads()[0];
    assert_eq!(encoding_of(p), "json/protobuf");
    assert_eq!(&p.data[..], br#"{"workflowId":"wf","runId":"r"}"#);
    assert_eq!(
        &p.metadata["messageType"][..],
        b"temporal.api.common.v1.WorkflowExecution"
    );
    running.stop().await.unwrap();
}

const CUSTOM: &str = "json/custom";

/// Serde values as JSON under its own encoding name, through serde's erased interfaces (so
/// any serde format would do); protobuf messages as standard.
struct CustomJson;

impl PayloadConverter for CustomJson {
    fn to_payload(&self, value: ValueRef<'_>) -> Result<Payload, DataError> {
        let ValueRef::Serde(v) = value else {
            return value.standard_payload();
        };
        let mut data = Vec::new();
        let mut ser = serde_json::Serializer::new(&mut data);
        solo_client::erased_serde::serialize(v.as_serialize(), &mut ser).map_err(|e| {
            DataError::Encode {
                type_name: v.type_name(),
                message: e.to_string(),
            }
        })?;
        let mut p = Payload {
            data: Bytes::from(data),
            ..Default::default()
        };
        p.metadata
            .insert("encoding".into(), Bytes::from_static(CUSTOM.as_bytes()));
        Ok(p)
    }

    fn from_payload(&self, payload: &Payload, target: DecodeTarget<'_>) -> Result<(), DataError> {
        match target {
            DecodeTarget::Serde(t) if encoding_of(payload) == CUSTOM => {
                let mut de = serde_json::Deserializer::from_slice(&payload.data);
                t.deserialize(&mut <dyn solo_client::erased_serde::Deserializer>::erase(
                    &mut de,
                ))
                .map_err(|e| DataError::Decode {
                    encoding: CUSTOM.into(),
                    type_name: t.type_name(),
                    message: e.to_string(),
                })
            }
            other => other.decode_standard(payload),
        }
    }
}

/// Moves the message into encoded attributes, as Python's `encode_common_attributes`.
struct HideMessages;

impl FailureConverter for HideMessages {
    fn to_failure(&self, error: ActivityError, payloads: &dyn PayloadConverter) -> Failure {
        let mut failure = DefaultFailureConverter.to_failure(error, payloads);
        let attributes = serde_json::json!({ "message": failure.message, "stack_trace": "" });
        failure.encoded_attributes = attributes.encode_payload(payloads).ok();
        failure.message = "Encoded failure".into();
        failure
    }

    fn from_failure(&self, failure: Failure, payloads: &dyn PayloadConverter) -> ActivityFailure {
        DefaultFailureConverter.from_failure(failure, payloads)
    }
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Pair {
    left: String,
    right: u32,
}

#[solo_macros::activity(crate = "solo_worker")]
async fn swap(pair: Pair, ctx: solo_worker::ActivityContext) -> Result<Pair, ApplicationError> {
    if pair.right == 0 {
        return Err(ApplicationError::new("secret reason")
            .error_type("Zero")
            .detail_with(&pair.left, ctx.data_converter().payload_converter())
            .non_retryable());
    }
    ctx.heartbeat(&pair.right);
    Ok(Pair {
        left: pair.right.to_string(),
        right: pair.left.len() as u32,
    })
}

async fn custom_client() -> Client {
    let address = solo_testing::DevServer::shared().unwrap().address();
    let connection = Connection::connect(ConnectionOptions::new(address))
        .await
        .unwrap();
    let converter = DataConverter::default()
        .with_payload_converter(CustomJson)
        .with_failure_converter(HideMessages);
    Client::new(connection, ClientOptions::new().data_converter(converter))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_payload_converter_and_failure_converter_are_used_by_client_and_worker() {
    let client = custom_client().await;
    let plain = support::client().await;
    let queue = unique("custom");
    let running = Running::start(
        Worker::builder(client.clone(), &queue)
            .activity(swap)
            .build()
            .unwrap(),
    );
    let pair = Pair {
        left: "abc".into(),
        right: 7,
    };
    let handle = client
        .start_activity(swap, pair, options(&unique("swap"), &queue))
        .await
        .unwrap();
    let out = within("swap", handle.result()).await.unwrap();
    assert_eq!(
        out,
        Pair {
            left: "7".into(),
            right: 3
        }
    );

    // The server holds the custom encoding, for the input and the result.
    let described = handle
        .describe_with(
            DescribeOptions::new()
                .include_input(true)
                .include_outcome(true),
        )
        .await
        .unwrap();
    assert_eq!(encoding_of(&described.input.unwrap().payloads()[0]), CUSTOM);
    // A client with the default converter cannot read it, and says why.
    let same: ActivityHandle<Pair> =
        plain.get_activity_handle(handle.id(), handle.run_id().map(str::to_owned));
    let err = within("plain result", same.result()).await.unwrap_err();
    assert!(err.to_string().contains("json/custom"), "{err}");

    // Calls by name convert their arguments with it too.
    let by_name: ActivityHandle<Pair> = client
        .start_activity_by_name(
            "swap",
            (serde_json::json!({"left": "ab", "right": 1}),),
            options(&unique("swap"), &queue),
        )
        .await
        .unwrap();
    let out = within("by name", by_name.result()).await.unwrap();
    assert_eq!(
        out,
        Pair {
            left: "1".into(),
            right: 2
        }
    );
    let input = by_name
        .describe_with(DescribeOptions::new().include_input(true))
        .await
        .unwrap()
        .input
        .unwrap();
    assert_eq!(encoding_of(&input.payloads()[0]), CUSTOM);

    // Failures go through the failure converter: the message travels encoded.
    let handle = client
        .start_activity(
            swap,
            Pair {
                left: "x".into(),
                right: 0,
            },
            one_attempt(&unique("fail"), &queue),
        )
        .await
        .unwrap();
    let err = within("fail", handle.result()).await.unwrap_err();
    let OutcomeError::Failed { failure, .. } = &err else {
        panic!("expected a failure, got {err}");
    };
    assert_eq!(failure.message, "secret reason");
    assert_eq!(failure.error_type(), Some("Zero"));
    // The detail went through the worker's payload converter too.
    let details = failure.details();
    assert_eq!(encoding_of(&details.payloads()[0]), CUSTOM);
    assert_eq!(details.get_with::<String>(0, &CustomJson).unwrap(), "x");
    let same: ActivityHandle<Pair> =
        plain.get_activity_handle(handle.id(), handle.run_id().map(str::to_owned));
    let err = within("plain fail", same.result()).await.unwrap_err();
    let failure = err.failure().expect("a failure");
    // The plain client has no custom encoding, so the attributes stay unread.
    assert_eq!(failure.message, "Encoded failure");
    running.stop().await.unwrap();
}
