//! `#[derive(SqliteRow)]`: decoding of a struct from a SQLite row (rusqlite), by column name.
//!
//! The store runs SQLite statements in the calling task (no per-statement thread hop), so rows
//! come from rusqlite instead of sqlx. To keep one definition per record, this derive reads the
//! same `#[sqlx(...)]` field attributes that `sqlx::FromRow` reads for PostgreSQL:
//! `rename = "col"`, `try_from = "T"`, `json`, `json(nullable)` and `flatten`. Any other
//! `sqlx` attribute is a compile error rather than a silent difference between the engines.
//!
//! The generated impl names `::confab_domain::db`, where the trait and its helpers live.

use proc_macro::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, LitStr, parse_macro_input};

/// Implements `confab_domain::db::SqliteRow` for a struct with named fields.
#[proc_macro_derive(SqliteRow, attributes(sqlx))]
pub fn derive_sqlite_row(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

enum Decode {
    Plain,
    TryFrom(Box<syn::Type>),
    Json,
    Flatten,
}

fn expand(input: &DeriveInput) -> syn::Result<proc_macro2::TokenStream> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(input, "SqliteRow: structs only"));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new_spanned(
            input,
            "SqliteRow: structs with named fields only",
        ));
    };
    let mut inits = Vec::new();
    for field in &fields.named {
        let Some(ident) = &field.ident else {
            continue;
        };
        let ty = &field.ty;
        let mut column = ident.to_string();
        let mut decode = Decode::Plain;
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("sqlx")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    column = meta.value()?.parse::<LitStr>()?.value();
                } else if meta.path.is_ident("try_from") {
                    decode = Decode::TryFrom(Box::new(meta.value()?.parse::<LitStr>()?.parse()?));
                } else if meta.path.is_ident("json") {
                    // `json(nullable)`: NULL decodes as JSON null, which the json path does anyway.
                    if meta.input.peek(syn::token::Paren) {
                        meta.parse_nested_meta(|inner| {
                            if inner.path.is_ident("nullable") {
                                Ok(())
                            } else {
                                Err(inner.error("SqliteRow: unsupported json option"))
                            }
                        })?;
                    }
                    decode = Decode::Json;
                } else if meta.path.is_ident("flatten") {
                    decode = Decode::Flatten;
                } else {
                    return Err(meta.error("SqliteRow: unsupported sqlx attribute"));
                }
                Ok(())
            })?;
        }
        let init = match decode {
            Decode::Plain => quote!(__db::column(row, cols, #column)?),
            Decode::TryFrom(from) => {
                quote!(__db::column_try_from::<#from, #ty>(row, cols, #column)?)
            }
            Decode::Json => quote!(__db::column_json(row, cols, #column)?),
            Decode::Flatten => quote!(<#ty as __db::SqliteRow>::from_sqlite_row(row, cols)?),
        };
        inits.push(quote!(#ident: #init));
    }
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_generics ::confab_domain::db::SqliteRow for #name #ty_generics #where_clause {
            fn from_sqlite_row(
                row: &::confab_domain::db::rusqlite::Row<'_>,
                cols: &::confab_domain::db::Columns,
            ) -> ::confab_domain::db::rusqlite::Result<Self> {
                use ::confab_domain::db as __db;
                Ok(Self { #(#inits),* })
            }
        }
    })
}
