//! The `#[activity]` attribute for solo.
//!
//! Most programs use it through the facade, as `solo::activity`. See [`macro@activity`].

use proc_macro::TokenStream;

mod attrs;
mod expand;

/// Turns a plain `fn` or `async fn` into an activity that the client can start and the worker
/// can run.
///
/// The function takes zero or more inputs (up to 8; each any type that implements `Serialize`
/// and `Deserialize`) and, optionally, an `ActivityContext` (by value or `&ActivityContext`),
/// in any position. Each input is one payload, as Python's `args=[a, b]`: one input is the
/// activity's `Input` type, several are `Args<(A, B, ...)>`, which typed calls pass as a plain
/// tuple (`client.execute_activity(add, (1, 2), options)`), and none is `()`. It returns a serializable value, nothing, or a `Result<T, E>` whose error
/// converts into `ActivityError` (every `std::error::Error + Send + Sync + 'static` does, and so
/// do `ApplicationError` and `Cancelled`).
///
/// The attribute replaces the function with a unit struct of the same name that implements
/// `Activity` (its type name, input and output types) and `ActivityImpl` (how the worker runs
/// it), so the name is a value that both `client.execute_activity(compose_greeting, ...)` and
/// `worker.activity(compose_greeting)` accept. The body moves to `compose_greeting::run(...)`,
/// which tests can call directly; `compose_greeting::NAME` is the activity type name.
///
/// An `async fn` runs on the worker's async runtime. A plain `fn` runs on the worker's bounded
/// blocking pool (see `WorkerBuilder::max_blocking_threads`), so it may block.
///
/// # Arguments
///
/// - `name = "..."`: the activity type name the server and other SDKs see (default: the
///   function's name).
/// - `crate = "..."`: the path of the crate to generate code against (default `::solo`); use
///   `"solo_worker"` when depending on `solo-worker` instead of the facade, or the path of a
///   re-export.
///
/// # Example
///
/// ```ignore
/// use serde::{Deserialize, Serialize};
/// use solo::{ActivityContext, activity};
///
/// #[derive(Serialize, Deserialize)]
/// pub struct ComposeGreetingInput { pub greeting: String, pub name: String }
///
/// #[activity]
/// pub async fn compose_greeting(input: ComposeGreetingInput) -> String {
///     format!("{}, {}!", input.greeting, input.name)
/// }
///
/// #[activity(name = "Resize")]
/// fn resize_image(path: String, ctx: ActivityContext) -> Result<u64, std::io::Error> {
///     ctx.heartbeat(&path);
///     Ok(std::fs::metadata(&path)?.len())
/// }
/// ```
#[proc_macro_attribute]
pub fn activity(args: TokenStream, item: TokenStream) -> TokenStream {
    let attrs = match attrs::Attrs::parse(args.into()) {
        Ok(a) => a,
        Err(e) => return e.to_compile_error().into(),
    };
    let item: syn::ItemFn = match syn::parse(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let span = proc_macro2::TokenStream::from(item);
            return syn::Error::new_spanned(span, "`#[activity]` goes on a `fn` or `async fn`")
                .to_compile_error()
                .into();
        }
    };
    match expand::expand(attrs, item) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}
