#[solo_macros::activity(crate = "solo_worker")]
async fn opaque() -> impl serde::Serialize {
    1
}

fn main() {}
