#[solo_macros::activity(crate = "solo_worker")]
async fn twice(a: solo_worker::ActivityContext, b: &solo_worker::ActivityContext) {}

fn main() {}
