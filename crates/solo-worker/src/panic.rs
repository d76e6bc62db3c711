//! Turning a panic inside an activity into a failure.

use std::any::Any;

use solo_client::ApplicationError;

/// The application error type of a failure produced by a panic.
pub const PANIC_ERROR_TYPE: &str = "Panic";

/// The message a panic payload carries (`panic!("...")` gives a `&str` or a `String`).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "a panic with a non-string payload"
    }
}

/// The failure reported for an activity that panicked: retryable, type [`PANIC_ERROR_TYPE`].
pub(crate) fn panic_failure(activity_type: &str, payload: &(dyn Any + Send)) -> ApplicationError {
    ApplicationError::new(format!(
        "activity `{activity_type}` panicked: {}",
        panic_message(payload)
    ))
    .error_type(PANIC_ERROR_TYPE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_string_payloads() {
        let caught = std::panic::catch_unwind(|| panic!("bad {}", 42)).unwrap_err();
        assert_eq!(panic_message(caught.as_ref()), "bad 42");
        let caught = std::panic::catch_unwind(|| panic!("static")).unwrap_err();
        assert_eq!(panic_message(caught.as_ref()), "static");
        let caught = std::panic::catch_unwind(|| std::panic::panic_any(7u8)).unwrap_err();
        assert_eq!(
            panic_message(caught.as_ref()),
            "a panic with a non-string payload"
        );
        let failure = panic_failure("charge", caught.as_ref());
        assert_eq!(failure.get_error_type(), "Panic");
        assert!(failure.get_message().contains("`charge` panicked"));
        assert!(!failure.is_non_retryable());
    }
}
