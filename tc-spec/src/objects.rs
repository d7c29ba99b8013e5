//! The parts of the model ([`crate::model`]): objects, their fields, and the types of values.
//! Apart from the model itself so that the stages it runs ([`crate::paging`]) can read them
//! without depending on it.

use crate::spec::Usage;

/// What an object is for, which decides how strictly it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The input of an action: only ever written by callers, so it is read strictly.
    Request,
    /// The output of an action.
    Response,
    /// A data object nested in requests and/or responses.
    Data(Option<Usage>),
}

impl Role {
    /// Objects that can arrive from the server are read tolerantly: missing fields and `null`
    /// take the default, unknown fields are ignored.
    pub fn is_tolerant(self) -> bool {
        self != Role::Request
    }
}

/// A request, response or data object, with its Rust-ready fields.
#[derive(Debug, Clone)]
pub struct Object {
    /// Wire name, also the Rust type name (`L4OfflineLog`).
    pub name: String,
    /// Request, response or data, and for data which directions it travels in.
    pub role: Role,
    /// The spec's `document` text as Markdown lines (no `///` prefix).
    pub doc: Vec<String>,
    /// In spec order.
    pub fields: Vec<Field>,
}

impl Object {
    /// Members a caller must supply, in spec order: the constructor's parameters.
    pub fn required_inputs(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.constructor_arg)
    }
}

/// One member of an object, with its Rust name, type and presence resolved.
#[derive(Debug, Clone)]
pub struct Field {
    /// `ZoneIds`
    pub wire_name: String,
    /// `zone_ids`, `r#type`
    pub ident: String,
    /// The value type, single or a list.
    pub ty: FieldType,
    /// `false`: the Rust type is `Option<T>` and `None` is omitted on the wire.
    pub always_present: bool,
    /// Part of the constructor (`required` on the input side).
    pub constructor_arg: bool,
    /// A direct (non-list) reference on a cycle of object references: stored as `Box<T>`.
    pub boxed: bool,
    /// The spec marks the member `disabled` (withdrawn): generated as `#[deprecated]`.
    pub deprecated: bool,
    /// Holds a secret (see [`crate::naming::is_sensitive`]): redacted in `Debug` output.
    pub sensitive: bool,
    /// Holds URLs (see [`crate::naming::is_url`]), which may be signed: `Debug` prints them without
    /// their query string.
    pub url: bool,
    /// The spec's `document` text as Markdown lines (no `///` prefix).
    pub doc: Vec<String>,
}

/// A field's shape: one value or a JSON array of values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    /// A single value (`T`).
    One(ValueType),
    /// A JSON array (`Vec<T>`).
    List(ValueType),
}

/// The type of one value, from the spec member's `member` name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueType {
    /// `string`: text (`String`).
    String,
    /// `int64`: a signed 64-bit integer (`i64`).
    Int64,
    /// `uint64`: an unsigned 64-bit integer (`u64`).
    UInt64,
    /// `float`: a 64-bit floating point number (`f64`).
    Float,
    /// `bool`: `true` or `false`.
    Bool,
    /// `datetime_iso`: RFC 3339 (`2022-05-04T03:27:00+08:00`).
    DateTime,
    /// `datetime`: `2022-05-04 03:27:00`, no offset (the service's local time, UTC+8 mainly).
    LocalDateTime,
    /// `date`: `2022-05-04`.
    Date,
    /// `binary`: file content; the official SDKs send it as multipart/form-data.
    Binary,
    /// Any other name: a nested object, by wire name (a key of the service's objects).
    Object(String),
}

impl ValueType {
    /// Whether JSON carries it as a string (text, date-times, binary).
    pub fn is_text(&self) -> bool {
        matches!(
            self,
            ValueType::String
                | ValueType::Binary
                | ValueType::DateTime
                | ValueType::LocalDateTime
                | ValueType::Date
        )
    }
}
