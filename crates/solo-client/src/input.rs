//! How an activity's input maps to payloads: [`ActivityInput`], implemented for single values
//! (one payload, or none for `()`) and for [`Args`] (one payload per argument), and
//! [`IntoActivityInput`], which lets typed calls pass a plain tuple for an [`Args`] input.

use solo_proto::temporal::api::common::v1::Payload;

use crate::data_error::DataError;
use crate::payload::is_unit;
use crate::payload_converter::{PayloadConverter, StandardPayloadConverter};
use crate::value::{DecodePayload, EncodePayload};

/// The input of an activity, and how it maps to the payloads the server carries (one payload
/// per argument, as Python's `args=[...]`).
///
/// | input type | payloads |
/// |---|---|
/// | `()` | none (a single `null` is accepted too) |
/// | any other `T: Serialize + DeserializeOwned`, or a [`Proto`](crate::Proto) / [`ProtoJson`](crate::ProtoJson) message | one |
/// | [`Args<(A, B, ...)>`](Args), 2 to 8 elements | one per element |
///
/// `#[activity]` picks the form from the function's parameters: no input is `()`, one input
/// is its type, several are an [`Args`] of them in order.
///
/// ```
/// use solo_client::{ActivityInput, Args};
///
/// assert_eq!(().to_payloads().unwrap().len(), 0);
/// assert_eq!("one".to_owned().to_payloads().unwrap().len(), 1);
/// let two = Args(("Hello".to_owned(), 3u32));
/// let payloads = two.to_payloads().unwrap();
/// assert_eq!(payloads.len(), 2);
/// let back = Args::<(String, u32)>::from_payloads("greet", &payloads).unwrap();
/// assert_eq!(back, two);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an activity input",
    label = "not `Serialize + Deserialize`",
    note = "derive `serde::Serialize` and `serde::Deserialize` for it (each input parameter is one payload), or wrap a protobuf message in `solo_client::Proto` / `ProtoJson`"
)]
pub trait ActivityInput: Sized + Send + 'static {
    /// Encodes the input as payloads, one per argument, with `converter`.
    ///
    /// # Errors
    /// When an argument cannot be converted.
    fn to_payloads_with(&self, converter: &dyn PayloadConverter)
    -> Result<Vec<Payload>, DataError>;

    /// Decodes the input of activity `activity_type` from its payloads with `converter`.
    ///
    /// # Errors
    /// When the number of payloads does not fit, or one does not decode.
    fn from_payloads_with(
        activity_type: &str,
        payloads: &[Payload],
        converter: &dyn PayloadConverter,
    ) -> Result<Self, InputError>;

    /// Encodes the input with the [`StandardPayloadConverter`].
    ///
    /// # Errors
    /// When an argument cannot be serialized.
    fn to_payloads(&self) -> Result<Vec<Payload>, DataError> {
        self.to_payloads_with(&StandardPayloadConverter)
    }

    /// Decodes the input with the [`StandardPayloadConverter`].
    ///
    /// # Errors
    /// When the number of payloads does not fit, or one does not decode.
    fn from_payloads(activity_type: &str, payloads: &[Payload]) -> Result<Self, InputError> {
        Self::from_payloads_with(activity_type, payloads, &StandardPayloadConverter)
    }
}

/// Why an activity's input payloads could not be decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The activity takes a different number of arguments than were sent.
    #[error(
        "activity `{activity_type}` takes {} but {} sent; {fix}",
        plural(*.expected, "input"),
        were(*.sent)
    )]
    Count {
        /// The activity type name.
        activity_type: String,
        /// How many arguments it takes.
        expected: usize,
        /// How many payloads were sent.
        sent: usize,
        /// How to fix the call.
        fix: &'static str,
    },
    /// An argument did not decode as its type.
    #[error("the input of activity `{activity_type}`{} could not be decoded: {source}", position(*.index, *.of))]
    Decode {
        /// The activity type name.
        activity_type: String,
        /// The argument's position (from 0).
        index: usize,
        /// How many arguments the activity takes.
        of: usize,
        /// Why it did not decode.
        source: DataError,
    },
}

fn plural(n: usize, what: &str) -> String {
    match n {
        0 => format!("no {what}"),
        1 => format!("one {what}"),
        n => format!("{n} {what}s"),
    }
}

fn were(n: usize) -> String {
    match n {
        0 => "none was".to_owned(),
        1 => "one was".to_owned(),
        n => format!("{n} were"),
    }
}

fn position(index: usize, of: usize) -> String {
    if of > 1 {
        format!(" (argument {} of {of})", index + 1)
    } else {
        String::new()
    }
}

impl<T: EncodePayload + DecodePayload + Send + 'static> ActivityInput for T {
    fn to_payloads_with(
        &self,
        converter: &dyn PayloadConverter,
    ) -> Result<Vec<Payload>, DataError> {
        if is_unit::<T>() {
            Ok(Vec::new())
        } else {
            Ok(vec![self.encode_payload(converter)?])
        }
    }

    /// An activity that takes `()` needs no payload (or one null, as the CLI's
    /// `--input null` or Python's `None` send); any other needs exactly one, except that an
    /// `Option` accepts none (as a Python parameter with a default of `None`).
    fn from_payloads_with(
        activity_type: &str,
        payloads: &[Payload],
        converter: &dyn PayloadConverter,
    ) -> Result<Self, InputError> {
        let takes_nothing = is_unit::<T>();
        let count = |sent: usize, fix: &'static str| InputError::Count {
            activity_type: activity_type.to_owned(),
            expected: usize::from(!takes_nothing),
            sent,
            fix,
        };
        let decode = |source: DataError| InputError::Decode {
            activity_type: activity_type.to_owned(),
            index: 0,
            of: 1,
            source,
        };
        match payloads {
            [] => T::decode_missing().map_err(|_| count(0, "pass the argument when starting it")),
            [one] if takes_nothing => {
                T::decode_payload(one, converter).map_err(|_| InputError::Count {
                    activity_type: activity_type.to_owned(),
                    expected: 0,
                    sent: 1,
                    fix: "start it without arguments (or with null)",
                })
            }
            more if takes_nothing => Err(count(more.len(), "start it without arguments")),
            [one] => T::decode_payload(one, converter).map_err(decode),
            more => Err(count(
                more.len(),
                "send one value (a struct or a list) instead, or give the activity one parameter per argument",
            )),
        }
    }
}

/// Several activity arguments, one payload each, as a tuple: `Args((a, b))`.
///
/// The input type `#[activity]` gives a function with two or more input parameters; typed
/// calls pass the plain tuple (see [`IntoActivityInput`]). Implement
/// [`Activity`](crate::Activity) with an `Args` input to call an activity of another SDK that
/// takes several arguments:
///
/// ```
/// use solo_client::{Activity, Args};
///
/// /// `async def compose(greeting: str, times: int) -> str` in Python.
/// struct Compose;
///
/// impl Activity for Compose {
///     type Input = Args<(String, u32)>;
///     type Output = String;
///     fn name(&self) -> &str { "compose" }
/// }
/// # let _ = Compose;
/// ```
///
/// Fewer payloads than elements are accepted when the missing trailing elements are `Option`s
/// (they decode as `None`), as Python fills parameters that have defaults; more payloads than
/// elements are an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Args<T>(pub T);

impl<T> From<T> for Args<T> {
    fn from(value: T) -> Self {
        Args(value)
    }
}

macro_rules! tuple_input {
    ($n:expr; $($name:ident $idx:tt),+) => {
        impl<$($name),+> ActivityInput for Args<($($name,)+)>
        where
            $($name: EncodePayload + DecodePayload + Send + 'static),+
        {
            fn to_payloads_with(
                &self,
                converter: &dyn PayloadConverter,
            ) -> Result<Vec<Payload>, DataError> {
                Ok(vec![$((self.0).$idx.encode_payload(converter)?),+])
            }

            fn from_payloads_with(
                activity_type: &str,
                payloads: &[Payload],
                converter: &dyn PayloadConverter,
            ) -> Result<Self, InputError> {
                if payloads.len() > $n {
                    return Err(InputError::Count {
                        activity_type: activity_type.to_owned(),
                        expected: $n,
                        sent: payloads.len(),
                        fix: "send one value per parameter (a tuple from solo, `args=[...]` from Python)",
                    });
                }
                Ok(Args(($(arg::<$name>(activity_type, payloads, $idx, $n, converter)?,)+)))
            }
        }

        impl<$($name),+> IntoActivityInput<Args<($($name,)+)>> for ($($name,)+) {
            fn into_activity_input(self) -> Args<($($name,)+)> {
                Args(self)
            }
        }
    };
}

/// Decodes argument `index` of `of`; a missing one decodes as "no value" (`None`).
fn arg<T: DecodePayload>(
    activity_type: &str,
    payloads: &[Payload],
    index: usize,
    of: usize,
    converter: &dyn PayloadConverter,
) -> Result<T, InputError> {
    match payloads.get(index) {
        Some(p) => T::decode_payload(p, converter).map_err(|source| InputError::Decode {
            activity_type: activity_type.to_owned(),
            index,
            of,
            source,
        }),
        None => T::decode_missing().map_err(|_| InputError::Count {
            activity_type: activity_type.to_owned(),
            expected: of,
            sent: payloads.len(),
            fix: "send one value per parameter (a tuple from solo, `args=[...]` from Python)",
        }),
    }
}

/// A value a typed call accepts as the input `I` of an activity: `I` itself, or, for an
/// [`Args`] input, the plain tuple.
///
/// ```
/// use solo_client::{Args, IntoActivityInput};
///
/// let input: Args<(String, u32)> = ("Hello".to_owned(), 3).into_activity_input();
/// assert_eq!(input, Args(("Hello".to_owned(), 3)));
/// let same: u64 = 7.into_activity_input();
/// assert_eq!(same, 7);
/// ```
pub trait IntoActivityInput<I> {
    /// Converts into the activity's input type.
    fn into_activity_input(self) -> I;
}

impl<I> IntoActivityInput<I> for I {
    fn into_activity_input(self) -> I {
        self
    }
}

tuple_input!(2; A 0, B 1);
tuple_input!(3; A 0, B 1, C 2);
tuple_input!(4; A 0, B 1, C 2, D 3);
tuple_input!(5; A 0, B 1, C 2, D 3, E 4);
tuple_input!(6; A 0, B 1, C 2, D 3, E 4, F 5);
tuple_input!(7; A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_input!(8; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::{encoding_of, to_payload};

    #[test]
    fn single_values_are_one_payload_and_unit_none() {
        assert!(().to_payloads().unwrap().is_empty());
        let p = 5u8.to_payloads().unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(u8::from_payloads("a", &p).unwrap(), 5);
        // A tuple given as one input stays one payload (a JSON list), as before.
        let p = ("a".to_owned(), 1).to_payloads().unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(&p[0].data[..], br#"["a",1]"#);
    }

    #[test]
    fn args_are_one_payload_each() {
        let p = Args(("Hello".to_owned(), 7i32, None::<u8>))
            .to_payloads()
            .unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(encoding_of(&p[2]), "binary/null");
        let back = Args::<(String, i32, Option<u8>)>::from_payloads("a", &p).unwrap();
        assert_eq!(back.0, ("Hello".to_owned(), 7, None));
        // A missing trailing Option is None, as a Python default.
        let back = Args::<(String, i32, Option<u8>)>::from_payloads("a", &p[..2]).unwrap();
        assert_eq!((back.0).2, None);
    }

    #[test]
    fn count_mismatches_name_the_activity_the_counts_and_the_fix() {
        let p = Args(("Hello".to_owned(), 7i32)).to_payloads().unwrap();
        let e = Args::<(String, i32)>::from_payloads("two_args", &p[..1]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "activity `two_args` takes 2 inputs but one was sent; send one value per parameter (a tuple from solo, `args=[...]` from Python)"
        );
        let three = [p.clone(), p[..1].to_vec()].concat();
        let e = Args::<(String, i32)>::from_payloads("two_args", &three).unwrap_err();
        assert!(
            e.to_string().contains("takes 2 inputs but 3 were sent"),
            "{e}"
        );
        let e = String::from_payloads("one", &p).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("activity `one` takes one input but 2 were sent; send one value"),
            "{e}"
        );
        let e = String::from_payloads("one", &[]).unwrap_err();
        assert!(
            e.to_string().contains("takes one input but none was sent"),
            "{e}"
        );
        let e = <()>::from_payloads("none", &p).unwrap_err();
        assert!(
            e.to_string().contains("takes no input but 2 were sent"),
            "{e}"
        );
        let e = Args::<(String, String)>::from_payloads("two_args", &p).unwrap_err();
        assert!(
            e.to_string()
                .contains("`two_args` (argument 2 of 2) could not be decoded"),
            "{e}"
        );
    }

    #[test]
    fn unit_inputs_take_nothing_or_one_null() {
        <()>::from_payloads("a", &[]).unwrap();
        <()>::from_payloads("a", &[to_payload(&serde_json::Value::Null).unwrap()]).unwrap();
        let err =
            <()>::from_payloads("a", &[to_payload(&serde_json::json!({})).unwrap()]).unwrap_err();
        assert!(
            err.to_string()
                .contains("takes no input but one was sent; start it without arguments"),
            "{err}"
        );
        assert_eq!(Option::<u8>::from_payloads("a", &[]).unwrap(), None);
    }
}
