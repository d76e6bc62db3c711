"""Types and JSON helpers shared by the interop worker and client.

The dataclasses mirror the Rust structs in `crates/solo-interop-tests/src/shapes.rs`:
same field names, same nesting, so both SDKs' JSON converters agree on the wire.

Values that JSON cannot carry are written with a marker object when they cross the
command line or stdout:
  {"$bytes": "<base64>"}                  Python `bytes` (a `binary/plain` payload)
  {"$dataclass": "Order", "value": {...}}  a dataclass instance (arguments only)
  {"$proto": "<full name>", "value": {...}}  a protobuf message (its proto3 JSON dict)
"""

from __future__ import annotations

import base64
import dataclasses
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Optional

import google.protobuf.json_format
import google.protobuf.message
import google.protobuf.symbol_database
import temporalio.api.common.v1  # noqa: F401  (registers the messages the tests send)
import temporalio.converter

_symbols = google.protobuf.symbol_database.Default()


@dataclass
class Address:
    street: str
    city: str
    country_code: str


@dataclass
class Customer:
    name: str
    address: Address
    vip: bool
    tags: list[str]


@dataclass
class LineItem:
    sku: str
    quantity: int
    unit_price: float


@dataclass
class Order:
    order_id: int
    customer: Customer
    items: list[LineItem]
    attributes: dict[str, str]
    note: Optional[str] = None
    discount: Optional[float] = None
    gift_wrap: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


DATACLASSES = {cls.__name__: cls for cls in (Address, Customer, LineItem, Order)}

# Python types the client can ask `result()` to decode into (`--result-type`).
RESULT_TYPES: dict[str, Any] = {
    **DATACLASSES,
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "bytes": bytes,
    "list": list,
    "dict": dict,
    "None": type(None),
}


def from_json(value: Any) -> Any:
    """Turns command-line JSON (with markers) into Python values."""
    if isinstance(value, list):
        return [from_json(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"$bytes"}:
            return base64.b64decode(value["$bytes"])
        if set(value) == {"$dataclass", "value"}:
            cls = DATACLASSES[value["$dataclass"]]
            return temporalio.converter.value_to_type(cls, value["value"], [])
        if set(value) == {"$proto", "value"}:
            message = _symbols.GetSymbol(value["$proto"])()
            return google.protobuf.json_format.ParseDict(value["value"], message)
        return {k: from_json(v) for k, v in value.items()}
    return value


def to_json(value: Any) -> Any:
    """Turns a Python value into JSON-safe data (bytes and dataclasses get markers)."""
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, google.protobuf.message.Message):
        return {
            "$proto": value.DESCRIPTOR.full_name,
            "value": google.protobuf.json_format.MessageToDict(value),
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value


def type_name(value: Any) -> str:
    """The Python type of a value, as the tests compare it (`Order`, `int`, `NoneType`...)."""
    return type(value).__name__
