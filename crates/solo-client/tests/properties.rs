//! Property tests: decoders never panic, whatever arrives — payloads of any encoding and bytes,
//! failures of any shape, search attributes of any type, ids and queries in odd Unicode. Each
//! bad input is a typed error (or, for lenient decoders, a value that says it is unknown).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;

use bytes::Bytes;
use proptest::prelude::*;
use prost::Message;
use solo_client::{
    ActivityFailure, ActivityOptions, DataConverter, Details, SearchAttributeValue, from_payload,
    to_payload,
};
use solo_proto::temporal::api::common::v1::{Payload, Payloads};
use solo_proto::temporal::api::failure::v1::Failure;

/// Encodings that exist, that almost exist, and noise.
fn encoding() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"json/plain".to_vec()),
        Just(b"binary/null".to_vec()),
        Just(b"binary/plain".to_vec()),
        Just(b"json/protobuf".to_vec()),
        Just(b"binary/protobuf".to_vec()),
        Just(b"binary/encrypted".to_vec()),
        Just(b"JSON/PLAIN".to_vec()),
        Just(Vec::new()),
        prop::collection::vec(any::<u8>(), 0..16),
    ]
}

/// Bytes that are often almost JSON.
fn data() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        ".{0,40}".prop_map(String::into_bytes),
        Just(b"null".to_vec()),
        Just(b"{\"greeting\": \"Hello\", \"name\": 42}".to_vec()),
        Just(b"9007199254740993".to_vec()),
        Just(b"1e999".to_vec()),
        Just(b"\"\\ud800\"".to_vec()),
        Just(b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[".to_vec()),
    ]
}

fn payload() -> impl Strategy<Value = Payload> {
    (encoding(), data(), prop::collection::vec(any::<u8>(), 0..8)).prop_map(
        |(encoding, data, extra)| Payload {
            metadata: HashMap::from([
                ("encoding".to_owned(), Bytes::from(encoding)),
                ("messageType".to_owned(), Bytes::from(extra)),
            ]),
            data: Bytes::from(data),
            ..Default::default()
        },
    )
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Greeting {
    greeting: String,
    name: String,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_payloads_decode_or_give_a_data_error(payload in payload()) {
        // Each target type either decodes or names the problem; none panics.
        for outcome in [
            from_payload::<serde_json::Value>(&payload).map(drop),
            from_payload::<String>(&payload).map(drop),
            from_payload::<u64>(&payload).map(drop),
            from_payload::<Option<Greeting>>(&payload).map(drop),
            from_payload::<Vec<u8>>(&payload).map(drop),
            from_payload::<()>(&payload).map(drop),
        ] {
            if let Err(error) = outcome {
                prop_assert!(!error.to_string().is_empty());
            }
        }
        let _ = SearchAttributeValue::from_payload(&payload);
        let details = Details::new(vec![payload.clone()]);
        let _ = details.get::<serde_json::Value>(0);
        let _ = details.get::<String>(3);
    }

    #[test]
    fn decoded_json_round_trips(value in "[a-zA-Z0-9 ü€😀\\\\\"]{0,30}") {
        let payload = to_payload(&value).unwrap();
        prop_assert_eq!(from_payload::<String>(&payload).unwrap(), value);
    }

    #[test]
    fn arbitrary_failure_messages_convert(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        // Any bytes that decode as a `Failure` (with any info, cause chain and payloads) become
        // an `ActivityFailure` without panicking.
        if let Ok(failure) = Failure::decode(bytes.as_slice()) {
            let converter = DataConverter::default();
            let decoded = runtime().block_on(ActivityFailure::decode(failure, &converter));
            let _ = decoded.to_string();
            let _ = decoded.details();
        }
    }

    #[test]
    fn deep_failure_chains_convert(depth in 0usize..200, message in ".{0,20}") {
        let mut failure = Failure { message: message.clone(), ..Default::default() };
        for _ in 0..depth {
            failure = Failure {
                message: message.clone(),
                cause: Some(Box::new(failure)),
                ..Default::default()
            };
        }
        let converter = DataConverter::default();
        let decoded = runtime().block_on(ActivityFailure::decode(failure, &converter));
        prop_assert_eq!(&decoded.message, &message);
    }

    #[test]
    fn arbitrary_payload_lists_decode_as_values(payloads in prop::collection::vec(payload(), 0..4)) {
        let converter = DataConverter::default();
        let result = runtime().block_on(
            converter.decode_value::<serde_json::Value>(Some(Payloads { payloads })),
        );
        if let Err(error) = result {
            prop_assert!(!error.to_string().is_empty());
        }
    }
}

/// Ids and queries in odd Unicode against the real dev server: each start is accepted or
/// refused with a typed error, and each query is answered or refused as an invalid query.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_unicode_ids_and_queries_give_typed_answers() {
    let client = support::client().await;
    let odd = [
        "",
        " ",
        "ü",
        "😀-activity",
        "\u{202E}reversed",
        "zero\u{200B}width",
        "nul\u{0}byte",
        "line\nbreak",
        "'quote",
        "\"double\"",
        "a\\b",
        "%00%ff",
        "ｆｕｌｌｗｉｄｔｈ",
        "é\u{301}",
    ];
    let task_queue = support::unique("odd");
    for text in odd {
        let id = format!("{text}{}", support::unique(""));
        let started = support::within(
            &format!("starting {id:?}"),
            client.start_activity_by_name::<()>(
                "odd",
                (),
                ActivityOptions::new()
                    .id(id.as_str())
                    .task_queue(&task_queue)
                    .start_to_close_timeout(std::time::Duration::from_secs(5)),
            ),
        )
        .await;
        match started {
            Ok(handle) => {
                assert_eq!(handle.id(), id);
                handle.terminate("odd ids test").await.unwrap();
            }
            Err(error) => assert!(!error.to_string().is_empty(), "{text:?}"),
        }
        for query in [
            format!("ActivityId = '{text}'"),
            format!("ActivityType = \"{text}\""),
            text.to_owned(),
        ] {
            let listed: Result<Vec<_>, _> =
                futures::TryStreamExt::try_collect(client.list_activities(query.as_str())).await;
            if let Err(error) = listed {
                assert!(!error.to_string().is_empty(), "{query:?}");
            }
            if let Err(error) = client.count_activities(query.as_str()).await {
                assert!(!error.to_string().is_empty(), "{query:?}");
            }
        }
    }
}
