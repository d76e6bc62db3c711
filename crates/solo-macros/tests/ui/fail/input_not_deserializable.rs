/// Has no Serialize/Deserialize.
pub struct Plain {
    pub n: u8,
}

#[solo_macros::activity(crate = "solo_worker")]
async fn takes_plain(input: Plain) -> u8 {
    input.n
}

fn main() {}
