//! Rust twins of the dataclasses in `tests/interop/interop_types.py`, and sample values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// `Address`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Address {
    /// Street line.
    pub street: String,
    /// City.
    pub city: String,
    /// ISO country code.
    pub country_code: String,
}

/// `Customer`: nests an [`Address`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// Name.
    pub name: String,
    /// Postal address.
    pub address: Address,
    /// A flag.
    pub vip: bool,
    /// Free tags.
    pub tags: Vec<String>,
}

/// `LineItem`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineItem {
    /// Stock keeping unit.
    pub sku: String,
    /// How many.
    pub quantity: i64,
    /// Price per unit.
    pub unit_price: f64,
}

/// `Order`: the struct ↔ dataclass case, with nested structs, lists, maps and optionals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// An id beyond 2^53 (not representable as a double).
    pub order_id: i64,
    /// Nested struct.
    pub customer: Customer,
    /// List of structs.
    pub items: Vec<LineItem>,
    /// Map.
    pub attributes: BTreeMap<String, String>,
    /// Optional (null when absent).
    pub note: Option<String>,
    /// Optional float.
    pub discount: Option<f64>,
    /// Boolean with a Python default.
    pub gift_wrap: bool,
    /// Free-form JSON.
    pub extra: BTreeMap<String, Value>,
}

/// 2^53 + 1: the first integer a double cannot hold.
pub const BEYOND_F64: i64 = 9_007_199_254_740_993;

/// Text that exercises UTF-8 and JSON escaping.
pub const UNICODE_TEXT: &str = "héllo wörld — 日本語 🎉 \"quoted\" \\ tab\t newline\n nul\u{0}";

/// A fully populated order.
pub fn sample_order() -> Order {
    Order {
        order_id: BEYOND_F64,
        customer: Customer {
            name: "Zoë Ångström".into(),
            address: Address {
                street: "1 Rue de l'Église".into(),
                city: "Zürich".into(),
                country_code: "CH".into(),
            },
            vip: true,
            tags: vec!["früh".into(), "🎉".into()],
        },
        items: vec![
            LineItem {
                sku: "A-1".into(),
                quantity: 3,
                unit_price: 9.99,
            },
            LineItem {
                sku: "B-2".into(),
                quantity: -(1 << 53),
                unit_price: 1e-7,
            },
        ],
        attributes: BTreeMap::from([
            ("colour".into(), "bleu".into()),
            ("größe".into(), "XL".into()),
        ]),
        note: Some(UNICODE_TEXT.into()),
        discount: Some(0.25),
        gift_wrap: false,
        extra: BTreeMap::from([
            ("nested".into(), json!({"list": [1, 2.5, null, true, "x"]})),
            ("empty".into(), json!({})),
        ]),
    }
}

/// The scalar and container values sent through `echo`-style activities: (label, value).
/// Floats are chosen to round-trip exactly through both JSON libraries.
pub fn json_values() -> Vec<(&'static str, Value)> {
    vec![
        ("string", json!(UNICODE_TEXT)),
        ("empty string", json!("")),
        ("int 2^53-1", json!(9_007_199_254_740_991_i64)),
        ("int 2^53+1", json!(BEYOND_F64)),
        ("int -2^53-1", json!(-9_007_199_254_740_993_i64)),
        ("int i64::MAX", json!(i64::MAX)),
        ("float", json!(0.1)),
        ("float big", json!(1.7976931348623157e308)),
        ("float tiny", json!(5e-324)),
        ("float negative", json!(-2.5)),
        ("float whole", json!(3.0)),
        ("bool true", json!(true)),
        ("bool false", json!(false)),
        ("list", json!([1, "two", 3.5, false, null, [], {}])),
        (
            "map",
            json!({"a": 1, "ü": [true], "nested": {"k": "v"}, "null": null}),
        ),
        ("empty list", json!([])),
        ("empty map", json!({})),
    ]
}
