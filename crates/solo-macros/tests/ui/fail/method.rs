struct Service;

impl Service {
    #[solo_macros::activity(crate = "solo_worker")]
    async fn handle(&self, input: String) -> String {
        input
    }
}

fn main() {}
