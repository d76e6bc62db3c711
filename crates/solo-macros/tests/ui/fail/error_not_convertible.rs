/// Not a std::error::Error, so it cannot become an ActivityError.
#[derive(Debug)]
pub struct Oops;

#[solo_macros::activity(crate = "solo_worker")]
async fn fails() -> Result<u8, Oops> {
    Err(Oops)
}

fn main() {}
