#[solo_macros::activity(crate = "solo_worker")]
struct Greet;

fn main() {}
