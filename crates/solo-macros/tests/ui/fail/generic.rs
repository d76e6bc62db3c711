#[solo_macros::activity(crate = "solo_worker")]
async fn echo<T: serde::Serialize>(input: T) -> T {
    input
}

fn main() {}
