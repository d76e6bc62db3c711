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
}
