//! The client crate: one async method per action, each a one-liner over the runtime's `send`,
//! and for each action that pages, the runtime's `Paginated` description of it plus a
//! one-liner over `paginate`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{doc_attrs, ident, parse_path, render, EmitError, GeneratedFile, Options};
use tc_spec::model::{Action, Service};

/// The client crate's files for `service`: one async method per action over the runtime's
/// `send`, a paginator for each action that pages and a method for each waiter.
pub fn client_files(service: &Service, options: &Options) -> Result<Vec<GeneratedFile>, EmitError> {
    let models = parse_path(&options.models_path)?;
    let runtime = parse_path(&options.runtime_path)?;
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
            pub async fn #method(&self, input: #models::#input) -> ::core::result::Result<#models::#output, #runtime::Error> {
                self.send(#name, &input).await
            }
        }
    });
    let operations = quote! {
        impl super::Client {
            #( #methods )*
        }
    };
    let paginators = service
        .actions
        .values()
        .filter(|action| action.paging.is_some())
        .map(|action| paginator_method(action, &models, &runtime));
    let paginators = quote! {
        impl super::Client {
            #( #paginators )*
        }
    };
    let waiters = waiters(service, &models, &runtime);
    let module = quote! {
        #![allow(clippy::doc_lazy_continuation, clippy::module_inception)]
        mod client;
        mod operations;
        mod paginators;
        mod service;
        mod waiters;
        pub use self::client::*;
        pub use self::service::*;
    };
    Ok(vec![
        render("mod.rs", options, module)?,
        render(
            "client.rs",
            options,
            client_type(service, &models, &runtime),
        )?,
        render("operations.rs", options, operations)?,
        render("paginators.rs", options, paginators)?,
        render("service.rs", options, service_table(service, &runtime))?,
        render("waiters.rs", options, waiters)?,
    ])
}

/// `Client::wait_until_<waiter>(…)` for each waiter of `waiters.json`, each a call of the
/// runtime's polling loop with the waiter's facts as data (a `WaiterSpec` constant).
fn waiters(service: &Service, models: &syn::Path, runtime: &syn::Path) -> TokenStream {
    let mut constants = Vec::new();
    let mut methods = Vec::new();
    for waiter in &service.waiters {
        let Some(action) = service.actions.get(&waiter.action) else {
            continue;
        };
        let constant = format_ident!("{}", waiter.method.to_uppercase());
        let method = format_ident!("wait_until_{}", waiter.method);
        let output = format_ident!("{}", action.output);
        let (name, polled, input, list, status) = (
            &waiter.name,
            &waiter.action,
            &waiter.input,
            &waiter.list,
            &waiter.status,
        );
        let (success, failure) = (&waiter.success, &waiter.failure);
        let (delay, max_delay, timeout) = (waiter.delay, waiter.max_delay, waiter.timeout);
        let spec_doc = format!(" The facts of `Client::{method}`: {}", waiter.reason);
        constants.push(quote! {
            #[doc = #spec_doc]
            const #constant: #runtime::waiter::WaiterSpec = #runtime::waiter::WaiterSpec {
                name: #name,
                action: #polled,
                input: #input,
                list: #list,
                status: #status,
                success: &[ #( #success ),* ],
                failure: &[ #( #failure ),* ],
                delay: ::core::time::Duration::from_secs(#delay),
                max_delay: ::core::time::Duration::from_secs(#max_delay),
                timeout: ::core::time::Duration::from_secs(#timeout),
            };
        });
        let args: Vec<_> = waiter
            .params
            .iter()
            .map(|p| super::ident(&tc_spec::naming::field_ident(p)))
            .collect();
        let names = &waiter.params;
        let failure_text = if failure.is_empty() {
            String::new()
        } else {
            format!("; fails early on {}", failure.join(", "))
        };
        let lines = vec![
            format!(
                "Waits until every `{list}` item of `{polled}` has `{status}` {}{failure_text}.",
                success.join(" or ")
            ),
            String::new(),
            waiter.reason.clone(),
            String::new(),
            format!(
                "Polls every {delay} s, backing off to {max_delay} s, for at most {timeout} s (see `options`); returns the last response."
            ),
        ];
        let doc = doc_attrs(&lines);
        methods.push(quote! {
            #doc
            pub async fn #method(
                &self,
                #( #args: impl ::core::convert::Into<::std::string::String>, )*
                options: #runtime::waiter::WaitOptions,
            ) -> ::core::result::Result<#models::#output, #runtime::waiter::WaitError> {
                self.runtime().wait(&#constant, &[ #( (#names, #args.into()) ),* ], options).await
            }
        });
    }
    quote! {
        impl super::Client {
            #( #methods )*
        }
        #( #constants )*
    }
}

/// The service's client: the runtime client bound to this service's descriptor, with the
/// runtime's per-call settings passed through. The action methods are added in `operations.rs`.
fn client_type(service: &Service, models: &syn::Path, runtime: &syn::Path) -> TokenStream {
    let doc = format!(
        " A client of `{}` {}: one async method per action, over the shared runtime.",
        service.name, service.version
    );
    quote! {
        #[doc = #doc]
        ///
        /// Cheap to clone; clones share one connection pool and rate limiter. Build one with
        /// [`Client::builder`] or [`Client::from_env`].
        #[derive(Debug, Clone)]
        pub struct Client {
            runtime: #runtime::Client,
        }

        impl ::core::convert::From<#runtime::Client> for Client {
            fn from(runtime: #runtime::Client) -> Client {
                Client { runtime }
            }
        }

        impl Client {
            /// A builder signing with `credentials`: fixed credentials or any credentials source.
            pub fn builder(credentials: impl #runtime::ProvideCredentials + 'static) -> #runtime::ClientBuilder<Client> {
                #runtime::ClientBuilder::new(&super::SERVICE, credentials)
            }

            /// A builder configured from the environment (credentials from the default chain).
            pub fn from_env() -> #runtime::ClientBuilder<Client> {
                #runtime::ClientBuilder::from_env(&super::SERVICE)
            }

            /// The runtime client underneath.
            pub fn runtime(&self) -> &#runtime::Client {
                &self.runtime
            }

            /// This client with another per-attempt time limit.
            pub fn with_timeout(&self, timeout: ::core::time::Duration) -> Client {
                Client { runtime: self.runtime.with_timeout(timeout) }
            }

            /// This client with another limit on whole calls, retries included.
            pub fn with_total_timeout(&self, timeout: ::core::time::Duration) -> Client {
                Client { runtime: self.runtime.with_total_timeout(timeout) }
            }

            /// This client with another retry policy.
            pub fn with_retry(&self, retry: #runtime::RetryPolicy) -> Client {
                Client { runtime: self.runtime.with_retry(retry) }
            }

            /// Sends `input` as the request of `action` and reads the typed response; every
            /// action method is this call.
            pub async fn send<I: ::serde::Serialize, O: ::serde::de::DeserializeOwned + ::core::marker::Send>(
                &self,
                action: &str,
                input: &I,
            ) -> ::core::result::Result<O, #runtime::Error> {
                self.runtime.send(action, input).await
            }

            /// Calls any action by name with a JSON request, checked against the action's typed
            /// request before sending; returns the JSON inside `Response`.
            pub async fn call(
                &self,
                action: &str,
                input: ::serde_json::Value,
            ) -> ::core::result::Result<::serde_json::Value, #runtime::Error> {
                let info = #models::action(action).ok_or_else(|| #runtime::Error::unknown_action(action))?;
                self.runtime.call(::core::option::Option::Some(info), action, input).await
            }

            /// Pages through the action of `request` (see the runtime's `paginate` module).
            pub fn paginate<R: #runtime::paginate::Paginated>(&self, request: R) -> #runtime::paginate::Paginator<R> {
                self.runtime.paginate(request)
            }
        }
    }
}

/// The facts the runtime reads per action, as data: retry safety, sorted by action name for
/// binary search.
fn service_table(service: &Service, runtime: &syn::Path) -> TokenStream {
    let entries = service.actions.values().map(|action| {
        let name = &action.name;
        let safety = format_ident!("{}", action.facts.retry.name());
        quote!((#name, #runtime::RetrySafety::#safety))
    });
    let (name, version) = (&service.name, &service.version);
    let endpoint = format!("https://{name}.intl.tencentcloudapi.com");
    let mainland = format!("https://{name}.tencentcloudapi.com");
    quote! {
        /// The service as the runtime knows it: names, endpoints, and each action's facts.
        pub static SERVICE: #runtime::Service = #runtime::Service {
            name: #name,
            version: #version,
            endpoint: #endpoint,
            mainland_endpoint: #mainland,
            retry_safety: RETRY_SAFETY,
        };
        /// Each action's retry safety, decided by the generator from the spec and its
        /// `retry.json` overrides; sorted by action name.
        pub const RETRY_SAFETY: &[(&str, #runtime::RetrySafety)] = &[ #( #entries ),* ];
    }
}

/// `Client::<action>_paginator`, over the `Paginated` impl in the models.
fn paginator_method(action: &Action, models: &syn::Path, runtime: &syn::Path) -> TokenStream {
    let input = format_ident!("{}", action.input);
    let items = action
        .paging
        .as_ref()
        .map_or("", |paging| paging.items.wire_name.as_str());
    let method = format_ident!("{}_paginator", action.method.trim_start_matches("r#"));
    let doc = format!(
        " Pages through `{}`: a stream of responses (`pages`) or of `{items}` items (`items`).",
        action.name
    );
    quote! {
        #[doc = #doc]
        pub fn #method(&self, input: #models::#input) -> #runtime::paginate::Paginator<#models::#input> {
            self.paginate(input)
        }
    }
}
