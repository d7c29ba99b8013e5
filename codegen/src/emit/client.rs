//! The client crate: one async method per action, each a one-liner over the runtime's `send`,
//! and for each action that pages, the runtime's `Paginated` description of it plus a
//! one-liner over `paginate`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{doc_attrs, ident, parse_path, render, EmitError, GeneratedFile, Options};
use tc_spec::model::{Action, Field, Service, ValueType};
use tc_spec::paging::Paging;

pub fn client_files(service: &Service, options: &Options) -> Result<Vec<GeneratedFile>, EmitError> {
    let models = parse_path(&options.models_path)?;
    let methods = service.actions.values().map(|action| {
        let method = ident(&action.method);
        let name = &action.name;
        let input = format_ident!("{}", action.input);
        let output = format_ident!("{}", action.output);
        let mut lines = vec![format!("{}.", action.title.trim_end_matches('.'))];
        if !action.doc.is_empty() {
            lines.push(String::new());
            lines.extend(action.doc.iter().cloned());
        }
        lines.extend([String::new(), format!("Action `{name}`.")]);
        let doc = doc_attrs(&lines);
        quote! {
            #doc
            pub async fn #method(&self, input: #models::#input) -> ::core::result::Result<#models::#output, crate::Error> {
                self.send(#name, &input).await
            }
        }
    });
    let operations = quote! {
        impl crate::Client {
            #( #methods )*
        }
    };
    let paginators = service
        .actions
        .values()
        .filter_map(|action| Some(paginator(action, action.paging.as_ref()?, &models)));
    let paginators = quote! {
        #( #paginators )*
    };
    let module = quote! {
        #![allow(clippy::doc_lazy_continuation)]
        mod operations;
        mod paginators;
        mod service;
        pub use self::service::*;
    };
    Ok(vec![
        render("mod.rs", options, module)?,
        render("operations.rs", options, operations)?,
        render("paginators.rs", options, paginators)?,
        render("service.rs", options, service_table(service, options)?)?,
    ])
}

/// The facts the runtime reads per action, as data: retry safety, sorted by action name for
/// binary search.
fn service_table(service: &Service, options: &Options) -> Result<TokenStream, EmitError> {
    let runtime = parse_path(&options.runtime_path)?;
    let entries = service.actions.values().map(|action| {
        let name = &action.name;
        let safety = format_ident!("{}", action.facts.retry.name());
        quote!((#name, #runtime::retry::RetrySafety::#safety))
    });
    Ok(quote! {
        /// Each action's retry safety, decided by the generator from the spec and its
        /// `retry.json` overrides; sorted by action name.
        pub const RETRY_SAFETY: &[(&str, #runtime::retry::RetrySafety)] = &[ #( #entries ),* ];
    })
}

/// `impl Paginated for <Action>Request` and `Client::<action>_paginator`.
fn paginator(action: &Action, paging: &Paging, models: &syn::Path) -> TokenStream {
    let name = &action.name;
    let input = format_ident!("{}", action.input);
    let output = format_ident!("{}", action.output);
    let item = match &paging.item {
        ValueType::String | ValueType::Binary => quote!(String),
        ValueType::Int64 => quote!(i64),
        ValueType::UInt64 => quote!(u64),
        ValueType::Float => quote!(f64),
        ValueType::Bool => quote!(bool),
        ValueType::DateTime => quote!(::tc_types::DateTime),
        ValueType::LocalDateTime => quote!(::tc_types::LocalDateTime),
        ValueType::Date => quote!(::tc_types::Date),
        ValueType::Object(object) => {
            let object = format_ident!("{}", object);
            quote!(#models::#object)
        }
    };
    let max_page_size = match paging.max_page_size {
        Some(max) => {
            let max = proc_macro2::Literal::u64_unsuffixed(max);
            quote!(Some(#max))
        }
        None => quote!(None),
    };
    let get = |field: &Field, on: TokenStream| {
        let member = ident(&field.ident);
        if field.always_present {
            quote!(crate::paginate::to_u64(#on.#member))
        } else {
            quote!(#on.#member.and_then(crate::paginate::to_u64))
        }
    };
    let set = |field: &Field| {
        let member = ident(&field.ident);
        if field.always_present {
            quote!(self.#member = crate::paginate::from_u64(value);)
        } else {
            quote!(self.#member = Some(crate::paginate::from_u64(value));)
        }
    };
    let (offset, set_offset) = (get(&paging.offset, quote!(self)), set(&paging.offset));
    let (limit, set_limit) = (get(&paging.limit, quote!(self)), set(&paging.limit));
    let total = match &paging.total {
        Some(total) => {
            let value = get(total, quote!(output));
            quote!(fn total(output: &Self::Output) -> Option<u64> { #value })
        }
        None => quote!(
            fn total(_: &Self::Output) -> Option<u64> {
                None
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
    let method = format_ident!("{}_paginator", action.method.trim_start_matches("r#"));
    let doc = format!(
        " Pages through `{name}`: a stream of responses (`pages`) or of `{}` items (`items`).",
        paging.items.wire_name
    );
    quote! {
        impl crate::paginate::Paginated for #models::#input {
            type Output = #models::#output;
            type Item = #item;
            const ACTION: &'static str = #name;
            const MAX_PAGE_SIZE: Option<u64> = #max_page_size;
            fn page_offset(&self) -> Option<u64> { #offset }
            fn set_page_offset(&mut self, value: u64) { #set_offset }
            fn page_limit(&self) -> Option<u64> { #limit }
            fn set_page_limit(&mut self, value: u64) { #set_limit }
            #total
            fn items(output: &Self::Output) -> &[Self::Item] { #items_ref }
            fn into_items(output: Self::Output) -> Vec<Self::Item> { #into_items }
        }
        impl crate::Client {
            #[doc = #doc]
            pub fn #method(&self, input: #models::#input) -> crate::paginate::Paginator<#models::#input> {
                self.paginate(input)
            }
        }
    }
}
