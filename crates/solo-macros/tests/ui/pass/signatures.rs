use serde::{Deserialize, Serialize};
use solo_client::{Activity, ActivityError, ApplicationError};
use solo_macros::activity;
use solo_worker::{ActivityContext, ActivityImpl};

#[derive(Serialize, Deserialize)]
pub struct Order {
    pub id: u64,
}

/// No input, no output.
#[activity(crate = "solo_worker")]
async fn nothing() {}

/// Input and a plain output.
#[activity(crate = "solo_worker")]
pub async fn with_input(order: Order) -> u64 {
    order.id
}

/// The context first, by value, and a std error.
#[activity(crate = "solo_worker")]
async fn context_first(ctx: ActivityContext, order: Order) -> Result<String, std::io::Error> {
    ctx.heartbeat(&order.id);
    Ok(ctx.info().activity_id.clone())
}

/// A blocking function with the context by reference and an ApplicationError.
#[activity(crate = "solo_worker", name = "Blocking")]
fn blocking(order: Order, ctx: &ActivityContext) -> Result<(), ApplicationError> {
    let _ = (order, ctx.is_cancelled());
    Ok(())
}

/// ActivityError itself, and a std Result alias with one argument.
#[activity(crate = "solo_worker")]
async fn activity_error() -> Result<Vec<u8>, ActivityError> {
    Ok(Vec::new())
}

#[activity(crate = "solo_worker")]
fn io_alias(path: String) -> std::io::Result<u64> {
    Ok(path.len() as u64)
}

/// Two inputs around the context: one payload each.
#[activity(crate = "solo_worker")]
async fn two_inputs(greeting: String, ctx: ActivityContext, times: u32) -> String {
    let _ = ctx.info();
    greeting.repeat(times as usize)
}

/// Three inputs, blocking, one of them optional.
#[activity(crate = "solo_worker")]
fn three_inputs(a: i64, b: Order, c: Option<bool>) -> i64 {
    a + b.id as i64 + i64::from(c.unwrap_or(false))
}

fn input_of<A: Activity>(_: &A) -> &'static str {
    std::any::type_name::<A::Input>()
}

fn registers<A: ActivityImpl>(a: A) -> String {
    a.name().to_owned()
}

fn main() {
    assert_eq!(registers(nothing), "nothing");
    assert_eq!(registers(with_input), "with_input");
    assert_eq!(registers(context_first), "context_first");
    assert_eq!(registers(blocking), "Blocking");
    assert_eq!(blocking::NAME, "Blocking");
    assert_eq!(registers(activity_error), "activity_error");
    assert_eq!(registers(io_alias), "io_alias");
    let _: fn(Order) -> _ = with_input::run;
    assert_eq!(io_alias::run("abc".into()).unwrap(), 3);
    assert_eq!(registers(two_inputs), "two_inputs");
    assert_eq!(
        input_of(&two_inputs),
        "solo_client::input::Args<(alloc::string::String, u32)>"
    );
    assert!(input_of(&with_input).ends_with("::Order"));
    assert_eq!(three_inputs::run(1, Order { id: 2 }, Some(true)), 4);
    let _: solo_client::Args<(i64, Order, Option<bool>)> = solo_client::Args((1, Order { id: 2 }, None));
}
