//! Arguments for activities called by type name: [`ActivityArgs`].
//!
//! An activity receives one payload per argument, as Python's `args=[...]` sends them. A
//! typed [`Activity`](crate::Activity) says how many through its
//! [`ActivityInput`](crate::ActivityInput) (one, none for `()`, or several with
//! [`Args`](crate::Args)); calls by name accept any [`ActivityArgs`]: `()` for none, a tuple
//! for values of different types, or a `Vec`, slice or array for values of one type.

use solo_proto::temporal::api::common::v1::{Payload, Payloads};

use crate::data_error::DataError;
use crate::payload_converter::{PayloadConverter, StandardPayloadConverter};
use crate::value::EncodePayload;

/// Zero or more activity arguments, each becoming one payload.
///
/// | value | arguments sent |
/// |---|---|
/// | `()` | none |
/// | `(a,)`, `(a, b)`, … up to 8 | one per element, each with its own type (serde values or [`Proto`](crate::Proto) / [`ProtoJson`](crate::ProtoJson) messages) |
/// | `Vec<T>`, `[T; N]`, `&[T]` | one per element |
/// | [`Payloads`] | the payloads as given (already converted, not yet through the codec) |
///
/// A single value is a one-element tuple: `(input,)`. A `Vec<u8>` is a list of byte
/// arguments, not one byte-string argument; wrap it in a tuple to send it as one.
///
/// ```
/// use solo_client::ActivityArgs;
///
/// assert_eq!(().into_payloads().unwrap().len(), 0);
/// assert_eq!(("Hello", 3).into_payloads().unwrap().len(), 2);
/// assert_eq!(vec![serde_json::json!({"a": 1}), serde_json::json!(2)].into_payloads().unwrap().len(), 2);
/// ```
pub trait ActivityArgs {
    /// Converts the arguments into payloads, one per argument, with `converter` (the client's
    /// payload converter when the client sends them).
    ///
    /// # Errors
    /// When an argument cannot be converted.
    fn into_payloads_with(
        self,
        converter: &dyn PayloadConverter,
    ) -> Result<Vec<Payload>, DataError>;

    /// Converts the arguments into payloads with the [`StandardPayloadConverter`].
    ///
    /// # Errors
    /// When an argument cannot be serialized.
    fn into_payloads(self) -> Result<Vec<Payload>, DataError>
    where
        Self: Sized,
    {
        self.into_payloads_with(&StandardPayloadConverter)
    }
}

impl ActivityArgs for () {
    fn into_payloads_with(self, _: &dyn PayloadConverter) -> Result<Vec<Payload>, DataError> {
        Ok(Vec::new())
    }
}

impl ActivityArgs for Payloads {
    fn into_payloads_with(self, _: &dyn PayloadConverter) -> Result<Vec<Payload>, DataError> {
        Ok(self.payloads)
    }
}

impl<T: EncodePayload> ActivityArgs for Vec<T> {
    fn into_payloads_with(self, c: &dyn PayloadConverter) -> Result<Vec<Payload>, DataError> {
        self.iter().map(|v| v.encode_payload(c)).collect()
    }
}

impl<T: EncodePayload> ActivityArgs for &[T] {
    fn into_payloads_with(self, c: &dyn PayloadConverter) -> Result<Vec<Payload>, DataError> {
        self.iter().map(|v| v.encode_payload(c)).collect()
    }
}

impl<T: EncodePayload, const N: usize> ActivityArgs for [T; N] {
    fn into_payloads_with(self, c: &dyn PayloadConverter) -> Result<Vec<Payload>, DataError> {
        self.iter().map(|v| v.encode_payload(c)).collect()
    }
}

macro_rules! tuple_args {
    ($($name:ident),+) => {
        impl<$($name: EncodePayload),+> ActivityArgs for ($($name,)+) {
            #[allow(non_snake_case)]
            fn into_payloads_with(
                self,
                c: &dyn PayloadConverter,
            ) -> Result<Vec<Payload>, DataError> {
                let ($($name,)+) = self;
                Ok(vec![$($name.encode_payload(c)?),+])
            }
        }
    };
}

tuple_args!(A);
tuple_args!(A, B);
tuple_args!(A, B, C);
tuple_args!(A, B, C, D);
tuple_args!(A, B, C, D, E);
tuple_args!(A, B, C, D, E, F);
tuple_args!(A, B, C, D, E, F, G);
tuple_args!(A, B, C, D, E, F, G, H);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::{encoding_of, from_payload};

    #[test]
    fn each_argument_is_one_payload() {
        let p = ("Hello", 7, Some(true), ()).into_payloads().unwrap();
        assert_eq!(p.len(), 4);
        assert_eq!(from_payload::<String>(&p[0]).unwrap(), "Hello");
        assert_eq!(from_payload::<i32>(&p[1]).unwrap(), 7);
        assert_eq!(encoding_of(&p[3]), "binary/null");
        assert_eq!([1, 2, 3].into_payloads().unwrap().len(), 3);
        assert_eq!((&["a", "b"][..]).into_payloads().unwrap().len(), 2);
        let raw = Payloads {
            payloads: p.clone(),
        };
        assert_eq!(raw.into_payloads().unwrap(), p);
    }
}
