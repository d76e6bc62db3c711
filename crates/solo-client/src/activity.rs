//! The [`Activity`] trait: what typed client calls and the worker agree on.

use crate::input::ActivityInput;
use crate::value::{DecodePayload, EncodePayload};

/// An activity definition: its type name and its input and output types.
///
/// `#[activity]` implements it for a function, producing a value of the same name that
/// [`Client::execute_activity`](crate::Client::execute_activity) and the worker both accept.
/// Implement it by hand to call an activity that runs elsewhere (for example in Python),
/// or use [`Client::start_activity_by_name`](crate::Client::start_activity_by_name).
///
/// The input maps to payloads as its [`ActivityInput`] implementation says: one payload for a
/// single value, none for `()` (an activity that takes no argument), one per element for
/// [`Args`](crate::Args) (an activity with several parameters). The output is one payload.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use solo_client::Activity;
///
/// #[derive(Serialize, Deserialize)]
/// struct ComposeGreetingInput { greeting: String, name: String }
///
/// /// Implemented in Python; called from Rust by its type name.
/// struct ComposeGreeting;
///
/// impl Activity for ComposeGreeting {
///     type Input = ComposeGreetingInput;
///     type Output = String;
///     fn name(&self) -> &str { "compose_greeting" }
/// }
/// assert_eq!(ComposeGreeting.name(), "compose_greeting");
/// ```
pub trait Activity: Send + Sync + 'static {
    /// The argument type: `()` for none, a single value, or [`Args`](crate::Args) for several.
    type Input: ActivityInput;
    /// The result type (`()` for none): a serde type, or a protobuf message in
    /// [`Proto`](crate::Proto) / [`ProtoJson`](crate::ProtoJson).
    type Output: EncodePayload + DecodePayload + Send + 'static;

    /// The activity type name, as the server and other SDKs see it.
    fn name(&self) -> &str;
}

impl<A: Activity> Activity for &'static A {
    type Input = A::Input;
    type Output = A::Output;

    fn name(&self) -> &str {
        (**self).name()
    }
}
