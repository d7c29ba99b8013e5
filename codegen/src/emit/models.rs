//! The models crate: one struct per object, the action table, service constants.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{doc_attrs, ident, render, EmitError, GeneratedFile, Options};
use tc_spec::model::{Action, Field, FieldType, Object, Role, Service, ValueType};
use tc_spec::paging::Paging;

/// How generated code names std's prelude items: plainly, or — when the spec has an object that
/// would shadow one (`Result`, `Option`, …) — by full path.
#[derive(Clone, Copy)]
struct Std {
    qualified: bool,
}

impl Std {
    fn for_service(service: &Service) -> Std {
        Std {
            qualified: service.shadows_prelude(),
        }
    }

    fn pick(self, plain: TokenStream, path: TokenStream) -> TokenStream {
        if self.qualified {
            path
        } else {
            plain
        }
    }

    fn option(self) -> TokenStream {
        self.pick(quote!(Option), quote!(::core::option::Option))
    }
    fn some(self) -> TokenStream {
        self.pick(quote!(Some), quote!(::core::option::Option::Some))
    }
    fn vec(self) -> TokenStream {
        self.pick(quote!(Vec), quote!(::std::vec::Vec))
    }
    fn boxed(self) -> TokenStream {
        self.pick(quote!(Box), quote!(::std::boxed::Box))
    }
    fn string(self) -> TokenStream {
        self.pick(quote!(String), quote!(::std::string::String))
    }
    fn default(self) -> TokenStream {
        self.pick(quote!(Default), quote!(::core::default::Default))
    }
    fn into(self) -> TokenStream {
        self.pick(quote!(Into), quote!(::core::convert::Into))
    }
    fn into_iterator(self) -> TokenStream {
        self.pick(quote!(IntoIterator), quote!(::core::iter::IntoIterator))
    }
}

/// `mod.rs`, `actions.rs` (requests, responses, the action table) and `objects.rs` (data objects).
pub fn model_files(service: &Service, options: &Options) -> Result<Vec<GeneratedFile>, EmitError> {
    let service_name = &service.name;
    let version = &service.version;
    // `#[inline]` keeps the table's typed readers out of this crate's own build (see `ACTIONS`),
    // unless the crate's table feature asks for them here (see `Options::action_table_feature`).
    let inline = match &options.action_table_feature {
        Some(feature) => quote!(#[cfg_attr(not(feature = #feature), inline)]),
        None => quote!(#[inline]),
    };
    let module = quote! {
        #![allow(deprecated, clippy::too_many_arguments, clippy::large_enum_variant)]
        mod actions;
        mod objects;
        mod paging;
        pub use self::actions::*;
        pub use self::objects::*;
        /// Short name of the service: the signing scope and the first label of its endpoint host.
        pub const SERVICE: &str = #service_name;
        /// The API version every request is sent with (`X-TC-Version`).
        pub const API_VERSION: &str = #version;
        /// The action called `name` (`DownloadL4Logs`), if the service has it.
        #inline
        pub fn action(name: &str) -> ::core::option::Option<&'static ::tc_types::ActionInfo> {
            ACTIONS
                .binary_search_by(|a| a.name().cmp(name))
                .ok()
                .and_then(|i| ACTIONS.get(i))
        }
    };

    let std = Std::for_service(service);
    // The two large files (~45k lines each) are emitted and formatted on two threads: token
    // streams cannot cross threads, so each is built where it is rendered. Regeneration runs
    // after every spec change; on two cores this takes a third off its time.
    let (actions, objects) = std::thread::scope(|scope| {
        let objects = scope.spawn(|| render("objects.rs", options, objects_tokens(service, std)));
        let actions = render("actions.rs", options, actions_tokens(service, std));
        let objects = objects
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (actions, objects)
    });

    let paging: Vec<TokenStream> = service
        .actions
        .values()
        .filter_map(|action| Some(paginated(action, action.paging.as_ref()?)))
        .collect();
    let import = (!paging.is_empty()).then(|| {
        quote!(
            use super::*;
        )
    });
    let paging = quote! {
        #import
        #( #paging )*
    };

    Ok(vec![
        render("mod.rs", options, module)?,
        actions?,
        objects?,
        render("paging.rs", options, paging)?,
    ])
}

/// `actions.rs`: each action's request and response types, and the table of actions.
fn actions_tokens(service: &Service, std: Std) -> TokenStream {
    let mut action_items = Vec::new();
    let mut table = Vec::new();
    for action in service.actions.values() {
        for name in [&action.input, &action.output] {
            if let Some(object) = service.objects.get(name) {
                action_items.push(object_tokens(object, std));
            }
        }
        let name = &action.name;
        let title = &action.title;
        let input = format_ident!("{}", action.input);
        let output = format_ident!("{}", action.output);
        table.push(quote! {
            ::tc_types::ActionInfo::new(
                #name,
                #title,
                ::tc_types::normalize_request::<#input>,
                ::tc_types::read_response::<#output>,
            )
        });
    }
    quote! {
        use super::*;
        #( #action_items )*
        /// Every action of the service, sorted by name.
        // A `const`, not a `static`: the readers and writers it points at are then compiled only
        // into programs that use the table, not into every build of this crate.
        pub const ACTIONS: &[::tc_types::ActionInfo] = &[ #( #table ),* ];
    }
}

/// `objects.rs`: the data types that requests and responses hold.
fn objects_tokens(service: &Service, std: Std) -> TokenStream {
    let data_items = service
        .objects
        .values()
        .filter(|o| matches!(o.role, Role::Data(_)))
        .map(|o| object_tokens(o, std));
    quote! {
        #( #data_items )*
    }
}

/// The formatted code of one object (struct and impls), for reviews and snapshots.
pub fn object_source(
    service: &Service,
    name: &str,
    options: &Options,
) -> Option<Result<String, EmitError>> {
    let object = service.objects.get(name)?;
    let tokens = object_tokens(object, Std::for_service(service));
    Some(render(name, options, tokens).map(|file| file.contents))
}

fn object_tokens(object: &Object, std: Std) -> TokenStream {
    let name = format_ident!("{}", object.name);
    let doc = doc_or_placeholder(&object.doc, &object.name);
    let has_required = object.required_inputs().next().is_some();
    let mut derives = vec![quote!(Clone), quote!(PartialEq)];
    let redacts = object.fields.iter().any(|f| f.sensitive || f.url);
    if !redacts {
        derives.push(quote!(Debug));
    }
    // Requests with required members have no meaningful default; everything else has one.
    if !(object.role == Role::Request && has_required) {
        derives.push(quote!(Default));
    }
    let fields = object.fields.iter().map(|f| field_tokens(f, std));
    let reader = reader(object, std);
    let writer = writer(object);
    let debug = redacts.then(|| redacted_debug(object));
    let constructor = constructor(object, std);
    let setters = object.fields.iter().map(|f| setter(f, std));
    quote! {
        #doc
        #[derive(#(#derives,)*)]
        #[non_exhaustive]
        pub struct #name { #( #fields )* }

        impl #name {
            #constructor
            #( #setters )*
        }
        #reader
        #writer
        #debug
    }
}

/// `Serialize` through `::tc_types::write_members` instead of `#[derive(Serialize)]`: one call
/// per member (unset optional members are skipped by `optional`), where the derive spends two
/// branches per optional member and a field count; it halves the models crate's serde share of
/// type- and borrow-checking.
fn writer(object: &Object) -> TokenStream {
    let name = format_ident!("{}", object.name);
    let members = object.fields.iter().map(|f| {
        let wire = &f.wire_name;
        let ident = ident(&f.ident);
        if f.always_present {
            quote!(out.member(#wire, &self.#ident)?;)
        } else {
            quote!(out.optional(#wire, &self.#ident)?;)
        }
    });
    let out = if object.fields.is_empty() {
        quote!(let out = ::tc_types::write_members(serializer)?;)
    } else {
        quote!(let mut out = ::tc_types::write_members(serializer)?;)
    };
    quote! {
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                #out
                #( #members )*
                out.end()
            }
        }
    }
}

/// The spec's description, or where it has none a line saying so: every public item of the
/// models crate is documented (it warns on `missing_docs`), and the wire name is the one fact
/// left to give.
fn doc_or_placeholder(doc: &[String], wire_name: &str) -> TokenStream {
    if doc.iter().all(|line| line.trim().is_empty()) {
        doc_attrs(&[format!("`{wire_name}`: the API spec gives no description.")])
    } else {
        doc_attrs(doc)
    }
}

fn field_tokens(field: &Field, std: Std) -> TokenStream {
    let doc = doc_or_placeholder(&field.doc, &field.wire_name);
    let ident = ident(&field.ident);
    let ty = rust_type(field, std);
    let deprecated = field
        .deprecated
        .then(|| quote!(#[deprecated(note = "disabled in the API spec")]));
    quote! { #doc #deprecated pub #ident: #ty, }
}

/// `Deserialize` through the hand-written `::tc_types::ReadMembers` reader instead of
/// `#[derive(Deserialize)]`: one `match` per struct rather than serde's field enum, visitors and
/// sequence support, which keeps the models crate several times faster to compile.
///
/// Requests are read strictly (required members, no unknown members, RFC 3339 date-times);
/// everything else tolerantly (a promised member that is missing or `null` takes its default,
/// unknown members are skipped).
fn reader(object: &Object, std: Std) -> TokenStream {
    let name = format_ident!("{}", object.name);
    let label = &object.name;
    let strict = !object.role.is_tolerant();
    let members = object.fields.iter().map(|f| &f.wire_name);
    let required = object
        .fields
        .iter()
        .filter(|f| strict && f.always_present)
        .map(|f| &f.wire_name);
    let default = std.default();
    let empty = object.fields.iter().map(|f| {
        let ident = ident(&f.ident);
        quote!(#ident: #default::default())
    });
    let arms = object.fields.iter().map(|f| {
        let wire = &f.wire_name;
        let ident = ident(&f.ident);
        let date_time = matches!(
            f.ty,
            FieldType::One(ValueType::DateTime | ValueType::LocalDateTime | ValueType::Date)
        );
        // Scalars of tolerant objects accept the JSON types live backends drift to
        // (`tc_types::coerce`); requests read them exactly.
        let scalar = matches!(
            &f.ty,
            FieldType::One(v) | FieldType::List(v) if is_scalar(v)
        );
        let read = match (strict, date_time, f.always_present) {
            (true, true, true) => quote!(read_strict),
            (true, true, false) => quote!(read_optional_strict),
            (false, _, true) if scalar => quote!(read_coerced_or_default),
            (false, _, false) if scalar => quote!(read_coerced),
            (true, false, _) | (false, _, false) => quote!(read_value),
            (false, _, true) => quote!(read_or_default),
        };
        quote!(#wire => ::tc_types::#read(map, &mut self.#ident)?)
    });
    let body = if object.fields.is_empty() {
        quote! {
            let _ = (name, map);
            Ok(false)
        }
    } else {
        quote! {
            match name {
                #( #arms, )*
                _ => return Ok(false),
            }
            Ok(true)
        }
    };
    quote! {
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                ::tc_types::read_struct(deserializer)
            }
        }
        impl ::tc_types::ReadMembers for #name {
            const NAME: &'static str = #label;
            const MEMBERS: &'static [&'static str] = &[#( #members ),*];
            const STRICT: bool = #strict;
            const REQUIRED: &'static [&'static str] = &[#( #required ),*];
            fn empty() -> Self {
                Self { #( #empty ),* }
            }
            fn read_member<'de, A: ::serde::de::MapAccess<'de>>(&mut self, name: &str, map: &mut A) -> ::core::result::Result<bool, A::Error> {
                #body
            }
        }
    }
}

/// Types read through `tc_types::coerce` in responses.
fn is_scalar(value: &ValueType) -> bool {
    matches!(
        value,
        ValueType::String
            | ValueType::Binary
            | ValueType::Int64
            | ValueType::UInt64
            | ValueType::Float
            | ValueType::Bool
    )
}

/// The stored type: `T`, `Vec<T>`, `Box<T>`, or those wrapped in `Option`.
fn rust_type(field: &Field, std: Std) -> TokenStream {
    let inner = match &field.ty {
        FieldType::One(value) if field.boxed => {
            let (boxed, value) = (std.boxed(), value_type(value, std));
            quote!(#boxed<#value>)
        }
        FieldType::One(value) => value_type(value, std),
        FieldType::List(value) => {
            let (vec, value) = (std.vec(), value_type(value, std));
            quote!(#vec<#value>)
        }
    };
    if field.always_present {
        inner
    } else {
        let option = std.option();
        quote!(#option<#inner>)
    }
}

fn value_type(value: &ValueType, std: Std) -> TokenStream {
    match value {
        // `binary` travels as text in JSON (base64 where the service documents it).
        ValueType::String | ValueType::Binary => std.string(),
        ValueType::Int64 => quote!(i64),
        ValueType::UInt64 => quote!(u64),
        ValueType::Float => quote!(f64),
        ValueType::Bool => quote!(bool),
        ValueType::DateTime => quote!(::tc_types::DateTime),
        ValueType::LocalDateTime => quote!(::tc_types::LocalDateTime),
        ValueType::Date => quote!(::tc_types::Date),
        ValueType::Object(name) => {
            let name = format_ident!("{}", name);
            quote!(#name)
        }
    }
}

/// Parameter type accepted by constructors and setters, and the expression that turns the
/// argument `value` into the stored (unwrapped) type.
fn argument(field: &Field, value: &TokenStream, std: Std) -> (TokenStream, TokenStream) {
    let convertible = |v: &ValueType| {
        matches!(
            v,
            ValueType::String
                | ValueType::Binary
                | ValueType::DateTime
                | ValueType::LocalDateTime
                | ValueType::Date
        )
    };
    let (into, into_iterator, boxed) = (std.into(), std.into_iterator(), std.boxed());
    match &field.ty {
        FieldType::One(v) if convertible(v) => {
            let ty = value_type(v, std);
            (quote!(impl #into<#ty>), quote!(#value.into()))
        }
        FieldType::One(v) if field.boxed => (value_type(v, std), quote!(#boxed::new(#value))),
        FieldType::One(v) => (value_type(v, std), quote!(#value)),
        FieldType::List(v) if convertible(v) => {
            let ty = value_type(v, std);
            (
                quote!(impl #into_iterator<Item = impl #into<#ty>>),
                quote!(#value.into_iter().map(#into::into).collect()),
            )
        }
        FieldType::List(v) => {
            let ty = value_type(v, std);
            (
                quote!(impl #into_iterator<Item = #ty>),
                quote!(#value.into_iter().collect()),
            )
        }
    }
}

fn constructor(object: &Object, std: Std) -> TokenStream {
    let params = object.required_inputs().map(|f| {
        let name = ident(&f.ident);
        let (ty, _) = argument(f, &quote!(#name), std);
        quote!(#name: #ty)
    });
    let (some, default) = (std.some(), std.default());
    let inits = object.fields.iter().map(|f| {
        let name = ident(&f.ident);
        if f.constructor_arg {
            let (_, convert) = argument(f, &quote!(#name), std);
            match f.always_present {
                true if name == convert.to_string() => quote!(#name),
                true => quote!(#name: #convert),
                false => quote!(#name: #some(#convert)),
            }
        } else {
            quote!(#name: #default::default())
        }
    });
    let doc = if object.required_inputs().next().is_some() {
        " Creates it from its required members; set the others with the chainable setters."
    } else {
        " Creates it with every member unset; set them with the chainable setters."
    };
    quote! {
        #[doc = #doc]
        pub fn new(#( #params ),*) -> Self {
            Self { #( #inits ),* }
        }
    }
}

fn setter(field: &Field, std: Std) -> TokenStream {
    let name = ident(&field.ident);
    let (ty, convert) = argument(field, &quote!(value), std);
    let stored = if field.always_present {
        convert
    } else {
        let some = std.some();
        quote!(#some(#convert))
    };
    let doc = format!(" Sets `{}`.", field.wire_name);
    let deprecated = field
        .deprecated
        .then(|| quote!(#[deprecated(note = "disabled in the API spec")]));
    quote! {
        #[doc = #doc]
        #deprecated
        pub fn #name(mut self, value: #ty) -> Self {
            self.#name = #stored;
            self
        }
    }
}

/// `Debug` that prints secret-bearing members as `<redacted>` and URLs without their query.
fn redacted_debug(object: &Object) -> TokenStream {
    let name = format_ident!("{}", object.name);
    let label = &object.name;
    let entries = object.fields.iter().map(|f| {
        let ident = ident(&f.ident);
        let label = f.ident.trim_start_matches("r#");
        if f.sensitive {
            quote!(.field(#label, &::tc_types::Redacted))
        } else if f.url {
            quote!(.field(#label, &::tc_types::UrlWithoutQuery(&self.#ident)))
        } else {
            quote!(.field(#label, &self.#ident))
        }
    });
    quote! {
        impl ::core::fmt::Debug for #name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(#label) #( #entries )* .finish()
            }
        }
    }
}

/// `impl Paginated for <Action>Request`: where the request's `Offset`/`Limit` and the response's
/// items and total are, as data the runtime's paginator reads.
fn paginated(action: &Action, paging: &Paging) -> TokenStream {
    let name = &action.name;
    let input = format_ident!("{}", action.input);
    let output = format_ident!("{}", action.output);
    let item = value_type(&paging.item, Std { qualified: true });
    let max_page_size = match paging.max_page_size {
        Some(max) => {
            let max = proc_macro2::Literal::u64_unsuffixed(max);
            quote!(::core::option::Option::Some(#max))
        }
        None => quote!(::core::option::Option::None),
    };
    let get = |field: &Field, on: TokenStream| {
        let member = ident(&field.ident);
        if field.always_present {
            quote!(::tc_types::paging::to_u64(#on.#member))
        } else {
            quote!(#on.#member.and_then(::tc_types::paging::to_u64))
        }
    };
    let set = |field: &Field| {
        let member = ident(&field.ident);
        if field.always_present {
            quote!(self.#member = ::tc_types::paging::from_u64(value);)
        } else {
            quote!(self.#member = ::core::option::Option::Some(::tc_types::paging::from_u64(value));)
        }
    };
    let (offset, set_offset) = (get(&paging.offset, quote!(self)), set(&paging.offset));
    let (limit, set_limit) = (get(&paging.limit, quote!(self)), set(&paging.limit));
    let total = match &paging.total {
        Some(total) => {
            let value = get(total, quote!(output));
            quote!(fn total(output: &Self::Output) -> ::core::option::Option<u64> { #value })
        }
        None => quote!(
            fn total(_: &Self::Output) -> ::core::option::Option<u64> {
                ::core::option::Option::None
            }
        ),
    };
    let items = ident(&paging.items.ident);
    let (items_ref, into_items) = if paging.items.always_present {
        (quote!(&output.#items), quote!(output.#items))
    } else {
        (
            quote!(output.#items.as_deref().unwrap_or_default()),
            quote!(output.#items.unwrap_or_default()),
        )
    };
    quote! {
        impl ::tc_types::paging::Paginated for #input {
            type Output = #output;
            type Item = #item;
            const ACTION: &'static str = #name;
            const MAX_PAGE_SIZE: ::core::option::Option<u64> = #max_page_size;
            fn page_offset(&self) -> ::core::option::Option<u64> { #offset }
            fn set_page_offset(&mut self, value: u64) { #set_offset }
            fn page_limit(&self) -> ::core::option::Option<u64> { #limit }
            fn set_page_limit(&mut self, value: u64) { #set_limit }
            #total
            fn items(output: &Self::Output) -> &[Self::Item] { #items_ref }
            fn into_items(output: Self::Output) -> ::std::vec::Vec<Self::Item> { #into_items }
        }
    }
}
