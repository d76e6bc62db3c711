//! Unit tests of `options.rs`.

use super::*;
use crate::payload::{encoding_of, from_payload};

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

fn build(options: &ActivityOptions) -> Result<StartActivityExecutionRequest, StartError> {
    block_on(options.to_request(
        "ns",
        "123@host",
        "compose_greeting",
        vec![to_payload(&"hi").unwrap()],
        &DataConverter::default(),
    ))
}

#[test]
fn every_option_reaches_the_request() {
    let options = ActivityOptions::new()
        .id("id-1")
        .task_queue("tq")
        .start_to_close_timeout(Duration::from_secs(10))
        .schedule_to_close_timeout(Duration::from_secs(60))
        .schedule_to_start_timeout(Duration::from_secs(5))
        .heartbeat_timeout(Duration::from_millis(1500))
        .retry_policy(
            RetryPolicy::new()
                .initial_interval(Duration::from_millis(100))
                .backoff_coefficient(1.5)
                .maximum_interval(Duration::from_secs(3))
                .maximum_attempts(4)
                .non_retryable_error_type("Fatal"),
        )
        .id_reuse_policy(IdReusePolicy::RejectDuplicate)
        .id_conflict_policy(IdConflictPolicy::UseExisting)
        .search_attribute("CustomKeywordField", "blue")
        .summary("sum")
        .details("longer")
        .priority(Priority::new().priority_key(2).fairness_key("k"))
        .start_delay(Duration::from_secs(3))
        .header("trace", &"abc");
    let r = build(&options).unwrap();
    assert_eq!(r.namespace, "ns");
    assert_eq!(r.identity, "123@host");
    assert_eq!(r.activity_id, "id-1");
    assert_eq!(r.activity_type.unwrap().name, "compose_greeting");
    assert_eq!(r.task_queue.unwrap().name, "tq");
    assert_eq!(r.start_to_close_timeout.unwrap().seconds, 10);
    assert_eq!(r.schedule_to_close_timeout.unwrap().seconds, 60);
    assert_eq!(r.schedule_to_start_timeout.unwrap().seconds, 5);
    let hb = r.heartbeat_timeout.unwrap();
    assert_eq!((hb.seconds, hb.nanos), (1, 500_000_000));
    let rp = r.retry_policy.unwrap();
    assert_eq!(rp.maximum_attempts, 4);
    assert_eq!(rp.backoff_coefficient, 1.5);
    assert_eq!(rp.non_retryable_error_types, vec!["Fatal".to_owned()]);
    assert_eq!(rp.initial_interval.unwrap().nanos, 100_000_000);
    assert_eq!(
        r.id_reuse_policy,
        enums::ActivityIdReusePolicy::RejectDuplicate as i32
    );
    assert_eq!(
        r.id_conflict_policy,
        enums::ActivityIdConflictPolicy::UseExisting as i32
    );
    let sa = &r.search_attributes.unwrap().indexed_fields["CustomKeywordField"];
    assert_eq!(from_payload::<String>(sa).unwrap(), "blue");
    let md = r.user_metadata.unwrap();
    assert_eq!(from_payload::<String>(&md.summary.unwrap()).unwrap(), "sum");
    assert_eq!(
        from_payload::<String>(&md.details.unwrap()).unwrap(),
        "longer"
    );
    let p = r.priority.unwrap();
    assert_eq!((p.priority_key, p.fairness_key.as_str()), (2, "k"));
    assert_eq!(r.start_delay.unwrap().seconds, 3);
    let h = &r.header.unwrap().fields["trace"];
    assert_eq!(encoding_of(h), "json/plain");
    assert_eq!(r.input.unwrap().payloads.len(), 1);
    assert!(uuid::Uuid::parse_str(&r.request_id).is_ok());
}

#[test]
fn defaults_are_allow_duplicate_and_fail_and_nothing_optional_is_sent() {
    let options = ActivityOptions::new()
        .id("id")
        .task_queue("tq")
        .schedule_to_close_timeout(Duration::from_secs(5));
    let r = build(&options).unwrap();
    assert_eq!(
        r.id_reuse_policy,
        enums::ActivityIdReusePolicy::AllowDuplicate as i32
    );
    assert_eq!(
        r.id_conflict_policy,
        enums::ActivityIdConflictPolicy::Fail as i32
    );
    assert!(r.start_to_close_timeout.is_none());
    assert!(r.retry_policy.is_none());
    assert!(r.search_attributes.is_none());
    assert!(r.user_metadata.is_none());
    assert!(r.header.is_none());
    assert!(r.priority.is_none());
    assert!(r.start_delay.is_none());
}

#[test]
fn each_start_gets_a_new_request_id() {
    let options = ActivityOptions::new()
        .id("id")
        .task_queue("tq")
        .start_to_close_timeout(Duration::from_secs(5));
    assert_ne!(
        build(&options).unwrap().request_id,
        build(&options).unwrap().request_id
    );
}

#[test]
fn missing_required_options_name_their_setter() {
    let err = build(&ActivityOptions::new()).unwrap_err().to_string();
    assert!(err.contains("ActivityOptions::id"), "{err}");
    let err = build(&ActivityOptions::new().id("id"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("ActivityOptions::task_queue"), "{err}");
    let err = build(&ActivityOptions::new().id("id").task_queue("tq"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ActivityOptions::start_to_close_timeout"),
        "{err}"
    );
    let options = ActivityOptions::new()
        .task_queue("tq")
        .id("id")
        .schedule_to_close_timeout(Duration::from_secs(1));
    assert_eq!(options.get_id(), "id");
    assert_eq!(options.get_task_queue(), "tq");
    assert!(build(&options).is_ok());
}

#[test]
fn invalid_options_are_refused_before_sending() {
    let zero = ActivityOptions::new()
        .id("id")
        .task_queue("tq")
        .start_to_close_timeout(Duration::ZERO);
    let err = build(&zero).unwrap_err();
    assert!(matches!(err, StartError::InvalidOptions(_)));
    assert!(err.to_string().contains("timeout"), "{err}");
    let no_id = ActivityOptions::new()
        .id("")
        .task_queue("tq")
        .start_to_close_timeout(Duration::from_secs(1));
    assert!(build(&no_id).unwrap_err().to_string().contains("id"));
    let no_tq = ActivityOptions::new()
        .id("id")
        .task_queue("")
        .start_to_close_timeout(Duration::from_secs(1));
    assert!(
        build(&no_tq)
            .unwrap_err()
            .to_string()
            .contains("task queue")
    );
    let mut map = std::collections::HashMap::new();
    map.insert(vec![1u8], 1);
    let bad_header = ActivityOptions::new()
        .id("id")
        .task_queue("tq")
        .start_to_close_timeout(Duration::from_secs(1))
        .header("h", &map);
    let err = build(&bad_header).unwrap_err();
    assert!(err.to_string().contains("header `h`"), "{err}");
    let big = ActivityOptions::new()
        .id("id")
        .task_queue("tq")
        .start_to_close_timeout(Duration::from_secs(1))
        .priority(Priority::new().priority_key(u32::MAX));
    assert!(matches!(build(&big), Err(StartError::InvalidOptions(_))));
}
