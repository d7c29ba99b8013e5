//! Log records from `log-fields.json` ([`tc_spec::log_fields`]): for the data crate, each kind's
//! record type, its fields' reading rules, the name lookup, the line reader and the dataset
//! columns; for the mock, the list of wire names and types its packet writer is checked against.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{doc_attrs, render, EmitError, GeneratedFile, Options};
use tc_spec::log_fields::{Field, FieldType, LogFields, LogKind};

/// `mod.rs` and `records.rs` for the data crate's `src/generated/`, which provides
/// `crate::records::{LogRecord, members}` and `crate::columns` to build on.
pub fn log_record_files(
    fields: &LogFields,
    options: &Options,
) -> Result<Vec<GeneratedFile>, EmitError> {
    let kinds = fields.kinds.iter().map(kind_items);
    let kind_enum = kind_enum(fields);
    let records = quote! {
        //! The record types of each log kind, how their members are read, and their dataset
        //! columns, from the log fields spec.
        use serde_json::{Map, Value};
        use teo_client::models::DateTime;
        use time::OffsetDateTime;

        use crate::columns::{Cell, Column, ColumnType, Table};
        use crate::members::{self, Encodings, Field, Layout, LogRecord, Sentinels};

        #kind_enum

        #( #kinds )*
    };
    let module = quote! {
        pub mod records;
    };
    Ok(vec![
        render("mod.rs", options, module)?,
        render("records.rs", options, records)?,
    ])
}

/// The mock's `src/generated/log_fields.rs`: each kind's wire names and types.
pub fn mock_field_files(
    fields: &LogFields,
    options: &Options,
) -> Result<Vec<GeneratedFile>, EmitError> {
    let lists = fields.kinds.iter().map(|kind| {
        let name = format_ident!("{}_FIELDS", kind.name.to_uppercase());
        let doc = format!(
            "The members of a `{}` record ({}), wire names as sent.",
            kind.name, kind.record
        );
        let entries = kind.fields.iter().map(|field| {
            let wire = &field.wire;
            let kind = match field.kind {
                FieldType::Text { .. } => quote!(FieldType::Text),
                FieldType::Integer { .. } => quote!(FieldType::Integer),
                FieldType::Timestamp { .. } => quote!(FieldType::Timestamp),
            };
            quote!((#wire, #kind))
        });
        quote! {
            #[doc = #doc]
            pub const #name: &[(&str, FieldType)] = &[ #( #entries ),* ];
        }
    });
    let file = quote! {
        //! The members of EdgeOne's log records, from the log fields spec: what the mock's
        //! packets must hold.

        /// What a member holds.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum FieldType {
            /// Text.
            Text,
            /// An integer.
            Integer,
            /// A date-time.
            Timestamp,
        }

        #( #lists )*
    };
    let module = quote! {
        pub mod log_fields;
    };
    Ok(vec![
        render("mod.rs", options, module)?,
        render("log_fields.rs", options, file)?,
    ])
}

/// The `Kind` enum (a variant per kind, in the spec's order) and `with_record!`, which runs
/// generic code with the record type of a `Kind` value: how code over every kind is written
/// once.
fn kind_enum(fields: &LogFields) -> TokenStream {
    let variants: Vec<_> = fields
        .kinds
        .iter()
        .map(|k| format_ident!("{}", camel(&k.name)))
        .collect();
    let names = fields.kinds.iter().map(|k| &k.name);
    let records: Vec<_> = fields
        .kinds
        .iter()
        .map(|k| format_ident!("{}", k.record))
        .collect();
    let docs = fields.kinds.iter().map(|k| {
        let doc = k.doc.trim();
        if doc.is_empty() {
            format!(" `{}` records ({}).", k.name, k.record)
        } else {
            format!(" {doc}")
        }
    });
    let arms = variants.iter().zip(&records).map(|(variant, record)| {
        quote!(crate::Kind::#variant => { type $T = crate::generated::records::#record; $body })
    });
    quote! {
        /// Which records a packet or a push holds: a kind of the log fields spec.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Kind {
            #( #[doc = #docs] #variants, )*
        }

        impl Kind {
            /// Every kind, in the spec's order.
            pub const ALL: &'static [Kind] = &[ #( Kind::#variants ),* ];

            /// Its name, as in the `kind=` partition (`l7`).
            pub fn as_str(self) -> &'static str {
                match self {
                    #( Kind::#variants => #names, )*
                }
            }
        }

        /// `with_record!(kind, T => expr)`: `expr` with `T` the record type of `kind`.
        macro_rules! with_record {
            ($kind:expr, $T:ident => $body:expr) => {
                match $kind {
                    #( #arms )*
                }
            };
        }
        pub(crate) use with_record;
    }
}

/// `l7` → `L7`, `web_attack` → `WebAttack`: a kind's name as a variant.
fn camel(name: &str) -> String {
    name.split(['_', '-'])
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Everything of one kind: the struct, its fields' rules and lookup, the reader, the columns
/// and the table.
fn kind_items(kind: &LogKind) -> TokenStream {
    let record = format_ident!("{}", kind.record);
    let upper = kind.name.to_uppercase();
    let fields_table = format_ident!("{upper}_FIELDS");
    let columns_table = format_ident!("{upper}_COLUMNS");
    let layout = format_ident!("{upper}_LAYOUT");
    let index_fn = format_ident!("{}_index", kind.name);
    let count = proc_macro2::Literal::usize_unsuffixed(kind.fields.len());
    let variant = format_ident!("{}", camel(&kind.name));

    let record_struct = record_struct(kind);
    let specs = kind.fields.iter().map(field_spec);
    let arms = kind.fields.iter().enumerate().map(|(i, field)| {
        let wire = &field.wire;
        let i = proc_macro2::Literal::usize_unsuffixed(i);
        quote!(#wire => Some(#i),)
    });
    let reads = kind.fields.iter().enumerate().map(|(i, field)| {
        let name = format_ident!("{}", field.rust);
        let i = proc_macro2::Literal::usize_unsuffixed(i);
        let read = match field.kind {
            FieldType::Text { .. } => quote!(line.text(#i)?),
            FieldType::Integer { .. } => quote!(line.int(#i)?),
            FieldType::Timestamp { .. } => quote!(line.date_time(#i)?),
        };
        quote!(#name: #read,)
    });
    let columns = kind.fields.iter().map(column);
    let times = kind.partition_time.iter().filter_map(|wire| {
        let field = kind.fields.iter().find(|f| &f.wire == wire)?;
        let name = format_ident!("{}", field.rust);
        Some(quote!(self.#name.as_ref()))
    });
    let time_slots = kind.partition_time.iter().filter_map(|wire| {
        let slot = kind.fields.iter().position(|f| &f.wire == wire)?;
        Some(proc_macro2::Literal::usize_unsuffixed(slot))
    });
    let time_doc = format!(
        "The instant that places the record in a `date=`/`hour=` partition: the first of {} that is present.",
        kind.partition_time
            .iter()
            .map(|w| format!("`{w}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    quote! {
        #record_struct

        static #fields_table: [Field; #count] = [ #( #specs )* ];

        fn #index_fn(name: &str) -> Option<usize> {
            match name {
                #( #arms )*
                _ => None,
            }
        }

        const #layout: Layout = Layout { fields: &#fields_table, index: #index_fn };

        impl LogRecord for #record {
            fn from_members(members: Map<String, Value>) -> Result<Self, String> {
                Self::from_line(&members::members_line(&members)?)
            }

            fn from_line(line: &[u8]) -> Result<Self, String> {
                let line = members::parse(#layout, line, members::Check::AsRead)?;
                <Self as members::FromRaw>::from_raw(&line)
            }
        }

        impl members::FromRaw for #record {
            const LAYOUT: Layout = #layout;
            const PARTITION_TIME: &'static [usize] = &[ #( #time_slots ),* ];

            fn from_raw(line: &members::RawLine<'_>) -> Result<Self, String> {
                Ok(#record {
                    #( #reads )*
                    extra: line.extra()?,
                })
            }
        }

        static #columns_table: [Column<#record>; #count] = [ #( #columns )* ];

        impl Table for #record {
            const KIND: Kind = Kind::#variant;

            fn columns() -> &'static [Column<Self>] {
                &#columns_table
            }

            fn fields() -> &'static [Field] {
                &#fields_table
            }

            fn field_index(name: &str) -> Option<usize> {
                #index_fn(name)
            }

            #[doc = #time_doc]
            fn time(&self) -> Option<OffsetDateTime> {
                [ #( #times ),* ].into_iter().flatten().next()?.instant()
            }

            fn extra(&self) -> &Map<String, Value> {
                &self.extra
            }
        }
    }
}

/// The record type: a member per field, and the members this version does not know.
fn record_struct(kind: &LogKind) -> TokenStream {
    let record = format_ident!("{}", kind.record);
    let mut struct_doc = vec![kind.doc.clone()];
    struct_doc.push(String::new());
    struct_doc.push(format!(
        "`None` is a member the record left out or sent as a sentinel. Checked against: {}.",
        kind.source.trim_end_matches('.')
    ));
    let struct_doc = doc_attrs(&struct_doc);
    let members = kind.fields.iter().map(|field| {
        let name = format_ident!("{}", field.rust);
        let doc = doc_attrs(&field_doc(field));
        let ty = match field.kind {
            FieldType::Text { .. } => quote!(Option<String>),
            FieldType::Integer { .. } => quote!(Option<i64>),
            FieldType::Timestamp { .. } => quote!(Option<DateTime>),
        };
        quote! { #doc pub #name: #ty, }
    });
    quote! {
        #struct_doc
        #[derive(Debug, Clone, Default, PartialEq)]
        #[non_exhaustive]
        pub struct #record {
            #( #members )*
            /// Members this version does not know, as sent.
            pub extra: Map<String, Value>,
        }
    }
}

/// The dataset column of a field: its wire name, type and getter.
fn column(field: &Field) -> TokenStream {
    let wire = &field.wire;
    let name = format_ident!("{}", field.rust);
    let (column_type, get) = match field.kind {
        FieldType::Text { dictionary } => (
            quote!(ColumnType::Text { dictionary: #dictionary }),
            quote!(|r| Cell::Text(r.#name.as_deref())),
        ),
        FieldType::Integer { .. } => (quote!(ColumnType::Int), quote!(|r| Cell::Int(r.#name))),
        FieldType::Timestamp { .. } => (
            quote!(ColumnType::Time),
            quote!(|r| Cell::Time(r.#name.as_ref())),
        ),
    };
    quote!(Column { name: #wire, kind: #column_type, get: #get },)
}

/// A field's doc lines: its wire name when the Rust name does not say it, its doc, its source
/// when its own.
fn field_doc(field: &Field) -> Vec<String> {
    let mut doc = field.doc.trim().to_owned();
    if tc_spec::naming::snake_case(&field.wire) != field.rust {
        doc = format!("`{}` on the wire. {doc}", field.wire);
    }
    let mut lines = vec![doc];
    if let Some(source) = &field.source {
        lines.push(format!(
            "Checked against: {}.",
            source.trim_end_matches('.')
        ));
    }
    lines
}

/// A field's reading rules as a `Field` value.
fn field_spec(field: &Field) -> TokenStream {
    let wire = &field.wire;
    let (kind, number, text, millis) = match field.kind {
        FieldType::Text { dictionary } => (
            quote!(ColumnType::Text { dictionary: #dictionary }),
            false,
            false,
            false,
        ),
        FieldType::Integer { number, text } => (quote!(ColumnType::Int), number, text, false),
        FieldType::Timestamp {
            text,
            unix_seconds,
            unix_millis,
        } => (
            quote!(ColumnType::Time),
            unix_seconds || unix_millis,
            text,
            unix_millis,
        ),
    };
    let s = field.sentinels;
    let (dash, empty, minus_one) = (s.dash, s.empty, s.minus_one);
    quote! {
        Field {
            name: #wire,
            kind: #kind,
            encodings: Encodings { number: #number, text: #text, millis: #millis },
            sentinels: Sentinels { dash: #dash, empty: #empty, minus_one: #minus_one },
        },
    }
}
