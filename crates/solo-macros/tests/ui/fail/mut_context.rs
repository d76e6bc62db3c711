#[solo_macros::activity(crate = "solo_worker")]
async fn tweak(ctx: &mut solo_worker::ActivityContext) {}

fn main() {}
