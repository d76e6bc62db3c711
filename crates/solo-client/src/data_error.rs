//! [`DataError`]: a value that could not be converted to or from a payload.

/// A payload could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The value could not be serialized.
    #[error("cannot encode {type_name} as a payload: {message}")]
    Encode {
        /// The Rust type being encoded.
        type_name: &'static str,
        /// What serde said.
        message: String,
    },
    /// The payload could not be deserialized into the requested type.
    #[error(
        "cannot decode a `{encoding}` payload as {type_name}: {message}; check that both sides use the same field names and types"
    )]
    Decode {
        /// The payload's encoding.
        encoding: String,
        /// The Rust type requested.
        type_name: &'static str,
        /// What serde said.
        message: String,
    },
    /// The payload's encoding is not one this converter knows.
    #[error(
        "unknown payload encoding `{0}`; if the sender used a codec (encryption, compression), configure the same PayloadCodec on this client or worker"
    )]
    UnknownEncoding(String),
    /// A value was expected but no payload was given.
    #[error("expected a payload for {0} but none was sent")]
    Missing(&'static str),
    /// The codec failed.
    #[error("payload codec failed: {0}")]
    Codec(String),
}
