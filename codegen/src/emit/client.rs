//! The client crate: one async method per action, each a one-liner over the runtime's `send`.

use quote::{format_ident, quote};

use super::{doc_attrs, ident, parse_path, render, EmitError, GeneratedFile, Options};
use crate::model::Service;

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
    let module = quote! {
        #![allow(clippy::doc_lazy_continuation)]
        mod operations;
    };
    Ok(vec![
        render("mod.rs", options, module)?,
        render("operations.rs", options, operations)?,
    ])
}
