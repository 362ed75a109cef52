//! `#[both_databases]` for the API tests: an `async fn name(b: Backend)` becomes a module
//! `name` with two tests, `name::sqlite` and `name::postgres`, that run it on each
//! database — in parallel with everything else, and a PostgreSQL failure carries the
//! PostgreSQL test's name. The harness supplies `on_sqlite()` and `on_postgres()`.

use proc_macro::TokenStream;
use quote::quote;
use syn::{parse_macro_input, ItemFn};

#[proc_macro_attribute]
pub fn both_databases(args: TokenStream, item: TokenStream) -> TokenStream {
    if !args.is_empty() {
        return syn::Error::new(
            proc_macro2::Span::call_site(),
            "#[both_databases] takes no arguments",
        )
        .to_compile_error()
        .into();
    }
    let f = parse_macro_input!(item as ItemFn);
    if f.sig.asyncness.is_none() || f.sig.inputs.len() != 1 {
        return syn::Error::new_spanned(&f.sig, "#[both_databases] wants `async fn name(b: Backend)`")
            .to_compile_error()
            .into();
    }
    let name = &f.sig.ident;
    let attrs = &f.attrs;
    let inputs = &f.sig.inputs;
    let body = &f.block;
    quote! {
        #[allow(non_snake_case)]
        mod #name {
            #[allow(unused_imports)]
            use super::*;

            #(#attrs)*
            async fn run(#inputs) #body

            #[tokio::test]
            async fn sqlite() {
                run(crate::harness::on_sqlite()).await
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(b) = crate::harness::on_postgres() {
                    run(b).await
                }
            }
        }
    }
    .into()
}
