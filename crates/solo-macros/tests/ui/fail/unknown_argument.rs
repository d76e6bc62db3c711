#[solo_macros::activity(crate = "solo_worker", nmae = "Greet")]
async fn greet() {}

fn main() {}
