//! The activity: compose a greeting.

use serde::{Deserialize, Serialize};
use solo::activity;

/// The activity's input; a Python client sends the same fields as a dataclass.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ComposeGreetingInput {
    /// The greeting, e.g. "Hello".
    pub greeting: String,
    /// Who to greet, e.g. "World".
    pub name: String,
}

/// Composes `"{greeting}, {name}!"`.
///
/// A plain (non-async) function: the worker runs it on its bounded blocking pool, like the
/// Python sample's `ThreadPoolExecutor(5)`.
#[activity]
pub fn compose_greeting(input: ComposeGreetingInput) -> String {
    tracing::info!("Running activity with parameter {input:?}");
    format!("{}, {}!", input.greeting, input.name)
}
