//! Protobuf messages as payloads: [`Proto`] (`binary/protobuf`) and [`ProtoJson`]
//! (`json/protobuf`, proto3 JSON), both with the `messageType` metadata the other SDKs use.

use bytes::Bytes;
use prost::{Message, Name};
use serde::Serialize;
use serde::de::DeserializeOwned;
use solo_proto::temporal::api::common::v1::Payload;

use crate::data_error::DataError;
use crate::payload::{
    ENCODING_JSON, ENCODING_PROTO_BINARY, ENCODING_PROTO_JSON, METADATA_ENCODING, encoding_of,
};
use crate::payload_converter::{DecodeTarget, PayloadConverter, ProtoTarget, ProtoValue, ValueRef};
use crate::value::{DecodePayload, EncodePayload, not_decoded};

/// The metadata key that names a protobuf payload's message type (its full name, for example
/// `temporal.api.common.v1.WorkflowExecution`).
pub const METADATA_MESSAGE_TYPE: &str = "messageType";

/// A protobuf message as an activity input, result or detail, sent as `binary/protobuf` with
/// the `messageType` metadata, as Go's and Python's `BinaryProtoPayloadConverter`.
///
/// `M` is a [`prost`] message that knows its full name ([`prost::Name`]; prost-build generates
/// it with `enable_type_names()`). It decodes from `binary/protobuf`; Python's default
/// converter sends protobuf messages as `json/protobuf`, which needs proto3 JSON support: use
/// [`ProtoJson`] for a message type that has it.
///
/// ```
/// use solo_client::{EncodePayload, DecodePayload, Proto, StandardPayloadConverter, encoding_of};
///
/// let d = Proto(prost_types::Duration { seconds: 3, nanos: 0 });
/// let p = d.encode_payload(&StandardPayloadConverter).unwrap();
/// assert_eq!(encoding_of(&p), "binary/protobuf");
/// assert_eq!(&p.metadata["messageType"][..], b"google.protobuf.Duration");
/// let back = Proto::<prost_types::Duration>::decode_payload(&p, &StandardPayloadConverter).unwrap();
/// assert_eq!(back, d);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Proto<M>(pub M);

/// A protobuf message sent as `json/protobuf` (proto3 JSON) with the `messageType` metadata —
/// what Python's default converter sends and reads for protobuf messages.
///
/// `M` is a [`prost`] message that knows its full name ([`prost::Name`]) and whose serde
/// implementations follow the proto3 JSON mapping (as `pbjson-build` generates them: camelCase
/// field names, 64-bit integers as strings, enums by name). It decodes from `json/protobuf`
/// and from `binary/protobuf`, so it reads what any SDK sends.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use solo_client::{DecodePayload, EncodePayload, ProtoJson, StandardPayloadConverter, encoding_of};
///
/// /// `temporal.api.common.v1.WorkflowExecution`, with its proto3 JSON mapping.
/// #[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
/// #[serde(rename_all = "camelCase", default)]
/// pub struct WorkflowExecution {
///     #[prost(string, tag = "1")]
///     pub workflow_id: String,
///     #[prost(string, tag = "2")]
///     pub run_id: String,
/// }
///
/// impl prost::Name for WorkflowExecution {
///     const NAME: &'static str = "WorkflowExecution";
///     const PACKAGE: &'static str = "temporal.api.common.v1";
/// }
///
/// let we = ProtoJson(WorkflowExecution { workflow_id: "w".into(), run_id: "r".into() });
/// let p = we.encode_payload(&StandardPayloadConverter).unwrap();
/// assert_eq!(encoding_of(&p), "json/protobuf");
/// assert_eq!(&p.data[..], br#"{"workflowId":"w","runId":"r"}"#);
/// let back = ProtoJson::<WorkflowExecution>::decode_payload(&p, &StandardPayloadConverter).unwrap();
/// assert_eq!(back, we);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProtoJson<M>(pub M);

impl<M> From<M> for Proto<M> {
    fn from(message: M) -> Self {
        Proto(message)
    }
}

impl<M> From<M> for ProtoJson<M> {
    fn from(message: M) -> Self {
        ProtoJson(message)
    }
}

fn proto_payload(encoding: &'static str, message_type: String, data: Vec<u8>) -> Payload {
    let mut payload = Payload {
        data: Bytes::from(data),
        ..Default::default()
    };
    payload.metadata.insert(
        METADATA_ENCODING.to_owned(),
        Bytes::from_static(encoding.as_bytes()),
    );
    payload
        .metadata
        .insert(METADATA_MESSAGE_TYPE.to_owned(), Bytes::from(message_type));
    payload
}

fn decode_error<M>(encoding: &str, message: String) -> DataError {
    DataError::Decode {
        encoding: encoding.to_owned(),
        type_name: std::any::type_name::<M>(),
        message,
    }
}

/// Checks the payload's `messageType` (when it has one) against the expected message.
fn check_message_type<M>(payload: &Payload, expected: &str) -> Result<(), DataError> {
    match payload
        .metadata
        .get(METADATA_MESSAGE_TYPE)
        .map(|v| String::from_utf8_lossy(v))
    {
        Some(sent) if sent != expected => Err(decode_error::<M>(
            encoding_of(payload),
            format!("the payload holds a `{sent}` message, not a `{expected}`"),
        )),
        _ => Ok(()),
    }
}

fn decode_binary<M: Message + Default>(data: &[u8]) -> Result<M, DataError> {
    M::decode(data).map_err(|e| decode_error::<M>(ENCODING_PROTO_BINARY, e.to_string()))
}

/// Decodes a protobuf payload into `slot`, with `json` for the JSON forms.
fn decode_standard<M: Message + Name + Default>(
    payload: &Payload,
    slot: &mut Option<M>,
    json: impl FnOnce(&[u8]) -> Result<M, DataError>,
) -> Result<(), DataError> {
    match encoding_of(payload) {
        ENCODING_PROTO_BINARY => {
            check_message_type::<M>(payload, &M::full_name())?;
            *slot = Some(decode_binary(&payload.data)?);
        }
        ENCODING_PROTO_JSON => {
            check_message_type::<M>(payload, &M::full_name())?;
            *slot = Some(json(&payload.data)?);
        }
        ENCODING_JSON => *slot = Some(json(&payload.data)?),
        other => {
            return Err(decode_error::<M>(
                other,
                format!(
                    "a protobuf message `{}` is read from `binary/protobuf` or `json/protobuf` payloads",
                    M::full_name()
                ),
            ));
        }
    }
    Ok(())
}

fn no_json<M: Name>(_: &[u8]) -> Result<M, DataError> {
    Err(decode_error::<Proto<M>>(
        ENCODING_PROTO_JSON,
        format!(
            "`{}` is read as binary protobuf only; to read proto3 JSON (what Python sends by default), use ProtoJson with a type that has proto3 JSON serde impls (e.g. generated by pbjson-build), or have the sender use binary/protobuf",
            M::full_name()
        ),
    ))
}

fn from_json<M: DeserializeOwned>(data: &[u8]) -> Result<M, DataError> {
    serde_json::from_slice(data).map_err(|e| decode_error::<M>(ENCODING_PROTO_JSON, e.to_string()))
}

fn no_value<T>() -> DataError {
    DataError::Missing(std::any::type_name::<T>())
}

impl<M: Message + Name + Default> ProtoValue for Proto<M> {
    fn type_name(&self) -> &'static str {
        std::any::type_name::<Self>()
    }
    fn message_type(&self) -> String {
        M::full_name()
    }
    fn encode_binary(&self) -> Vec<u8> {
        self.0.encode_to_vec()
    }
    fn encode_json(&self) -> Option<Result<Vec<u8>, DataError>> {
        None
    }
    fn standard_payload(&self) -> Result<Payload, DataError> {
        Ok(proto_payload(
            ENCODING_PROTO_BINARY,
            M::full_name(),
            self.encode_binary(),
        ))
    }
}

impl<M: Message + Name + Default + Serialize> ProtoValue for ProtoJson<M> {
    fn type_name(&self) -> &'static str {
        std::any::type_name::<Self>()
    }
    fn message_type(&self) -> String {
        M::full_name()
    }
    fn encode_binary(&self) -> Vec<u8> {
        self.0.encode_to_vec()
    }
    fn encode_json(&self) -> Option<Result<Vec<u8>, DataError>> {
        Some(serde_json::to_vec(&self.0).map_err(|e| DataError::Encode {
            type_name: std::any::type_name::<Self>(),
            message: e.to_string(),
        }))
    }
    fn standard_payload(&self) -> Result<Payload, DataError> {
        let json = self.encode_json().unwrap_or_else(|| Ok(Vec::new()))?;
        Ok(proto_payload(ENCODING_PROTO_JSON, M::full_name(), json))
    }
}

/// The decode target of a [`Proto`] / [`ProtoJson`]: holds the decoded message.
struct Slot<M, const JSON: bool>(Option<M>);

impl<M: Message + Name + Default> ProtoTarget for Slot<M, false> {
    fn type_name(&self) -> &'static str {
        std::any::type_name::<Proto<M>>()
    }
    fn message_type(&self) -> String {
        M::full_name()
    }
    fn decode_binary(&mut self, data: &[u8]) -> Result<(), DataError> {
        self.0 = Some(decode_binary(data)?);
        Ok(())
    }
    fn decode_json(&mut self, data: &[u8]) -> Result<(), DataError> {
        self.0 = Some(no_json(data)?);
        Ok(())
    }
    fn decode_standard(&mut self, payload: &Payload) -> Result<(), DataError> {
        decode_standard(payload, &mut self.0, no_json::<M>)
    }
}

impl<M: Message + Name + Default + DeserializeOwned> ProtoTarget for Slot<M, true> {
    fn type_name(&self) -> &'static str {
        std::any::type_name::<ProtoJson<M>>()
    }
    fn message_type(&self) -> String {
        M::full_name()
    }
    fn decode_binary(&mut self, data: &[u8]) -> Result<(), DataError> {
        self.0 = Some(decode_binary(data)?);
        Ok(())
    }
    fn decode_json(&mut self, data: &[u8]) -> Result<(), DataError> {
        self.0 = Some(from_json(data)?);
        Ok(())
    }
    fn decode_standard(&mut self, payload: &Payload) -> Result<(), DataError> {
        decode_standard(payload, &mut self.0, from_json::<M>)
    }
}

impl<M: Message + Name + Default> EncodePayload for Proto<M> {
    fn encode_payload(&self, converter: &dyn PayloadConverter) -> Result<Payload, DataError> {
        converter.to_payload(ValueRef::Proto(self))
    }
}

impl<M: Message + Name + Default> DecodePayload for Proto<M> {
    fn decode_payload(
        payload: &Payload,
        converter: &dyn PayloadConverter,
    ) -> Result<Self, DataError> {
        let mut slot = Slot::<M, false>(None);
        converter.from_payload(payload, DecodeTarget::Proto(&mut slot))?;
        slot.0
            .map(Proto)
            .ok_or_else(|| not_decoded::<Self>(payload))
    }
    fn decode_missing() -> Result<Self, DataError> {
        Err(no_value::<Self>())
    }
}

impl<M: Message + Name + Default + Serialize> EncodePayload for ProtoJson<M> {
    fn encode_payload(&self, converter: &dyn PayloadConverter) -> Result<Payload, DataError> {
        converter.to_payload(ValueRef::Proto(self))
    }
}

impl<M: Message + Name + Default + DeserializeOwned> DecodePayload for ProtoJson<M> {
    fn decode_payload(
        payload: &Payload,
        converter: &dyn PayloadConverter,
    ) -> Result<Self, DataError> {
        let mut slot = Slot::<M, true>(None);
        converter.from_payload(payload, DecodeTarget::Proto(&mut slot))?;
        slot.0
            .map(ProtoJson)
            .ok_or_else(|| not_decoded::<Self>(payload))
    }
    fn decode_missing() -> Result<Self, DataError> {
        Err(no_value::<Self>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::to_payload;
    use crate::payload_converter::StandardPayloadConverter;

    #[derive(Clone, PartialEq, prost::Message, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "camelCase", default)]
    struct WorkflowExecution {
        #[prost(string, tag = "1")]
        workflow_id: String,
        #[prost(string, tag = "2")]
        run_id: String,
    }

    impl Name for WorkflowExecution {
        const NAME: &'static str = "WorkflowExecution";
        const PACKAGE: &'static str = "temporal.api.common.v1";
    }

    fn we() -> WorkflowExecution {
        WorkflowExecution {
            workflow_id: "wf-ü".into(),
            run_id: "run".into(),
        }
    }

    const STD: &StandardPayloadConverter = &StandardPayloadConverter;

    #[test]
    fn binary_protobuf_has_the_message_type_and_round_trips() {
        let p = Proto(we()).encode_payload(STD).unwrap();
        assert_eq!(encoding_of(&p), "binary/protobuf");
        assert_eq!(
            &p.metadata[METADATA_MESSAGE_TYPE][..],
            b"temporal.api.common.v1.WorkflowExecution"
        );
        assert_eq!(p.metadata.len(), 2);
        assert_eq!(&p.data[..], &we().encode_to_vec()[..]);
        assert_eq!(
            Proto::<WorkflowExecution>::decode_payload(&p, STD)
                .unwrap()
                .0,
            we()
        );
        // ProtoJson reads binary too.
        assert_eq!(
            ProtoJson::<WorkflowExecution>::decode_payload(&p, STD)
                .unwrap()
                .0,
            we()
        );
    }

    #[test]
    fn json_protobuf_is_proto3_json_and_round_trips() {
        let p = ProtoJson(we()).encode_payload(STD).unwrap();
        assert_eq!(encoding_of(&p), "json/protobuf");
        assert_eq!(
            &p.metadata[METADATA_MESSAGE_TYPE][..],
            b"temporal.api.common.v1.WorkflowExecution"
        );
        assert_eq!(
            &p.data[..],
            r#"{"workflowId":"wf-ü","runId":"run"}"#.as_bytes()
        );
        assert_eq!(
            ProtoJson::<WorkflowExecution>::decode_payload(&p, STD)
                .unwrap()
                .0,
            we()
        );
        // Python's form: sorted keys, no spaces; and a plain serde struct still reads it as JSON.
        let mut py = p.clone();
        py.data = Bytes::from_static(br#"{"runId":"r","workflowId":"w"}"#);
        let back = ProtoJson::<WorkflowExecution>::decode_payload(&py, STD)
            .unwrap()
            .0;
        assert_eq!(
            (back.workflow_id.as_str(), back.run_id.as_str()),
            ("w", "r")
        );
    }

    #[test]
    fn solo_proto_messages_know_their_names() {
        use solo_proto::temporal::api::common::v1 as common;
        let p = Proto(common::WorkflowExecution {
            workflow_id: "w".into(),
            run_id: "r".into(),
        })
        .encode_payload(STD)
        .unwrap();
        assert_eq!(
            &p.metadata[METADATA_MESSAGE_TYPE][..],
            b"temporal.api.common.v1.WorkflowExecution"
        );
        // The same wire form as a hand-written twin.
        let twin = ProtoJson::<WorkflowExecution>::decode_payload(&p, STD)
            .unwrap()
            .0;
        assert_eq!(
            (twin.workflow_id.as_str(), twin.run_id.as_str()),
            ("w", "r")
        );
    }

    #[test]
    fn mismatches_are_clear_errors() {
        let p = ProtoJson(we()).encode_payload(STD).unwrap();
        let e = Proto::<WorkflowExecution>::decode_payload(&p, STD).unwrap_err();
        assert!(e.to_string().contains("use ProtoJson"), "{e}");
        let d = Proto(prost_types::Duration {
            seconds: 1,
            nanos: 0,
        })
        .encode_payload(STD)
        .unwrap();
        let e = Proto::<WorkflowExecution>::decode_payload(&d, STD).unwrap_err();
        assert!(
            e.to_string().contains("holds a `google.protobuf.Duration` message, not a `temporal.api.common.v1.WorkflowExecution`"),
            "{e}"
        );
        let e =
            Proto::<WorkflowExecution>::decode_payload(&to_payload(&b"x".to_vec()).unwrap(), STD)
                .unwrap_err();
        assert!(e.to_string().contains("binary/protobuf"), "{e}");
        assert!(Proto::<WorkflowExecution>::decode_missing().is_err());
    }
}
