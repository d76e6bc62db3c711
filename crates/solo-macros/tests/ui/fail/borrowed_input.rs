#[solo_macros::activity(crate = "solo_worker")]
async fn shout(text: &str) -> String {
    text.to_uppercase()
}

fn main() {}
