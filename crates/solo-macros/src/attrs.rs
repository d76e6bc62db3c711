//! The arguments of `#[activity(...)]`: `name = "..."` and `crate = "..."`.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{LitStr, Path};

/// What `#[activity(...)]` was given.
pub(crate) struct Attrs {
    /// The activity type name, when `name = "..."` overrides the function's name.
    pub(crate) name: Option<LitStr>,
    /// The path of the crate that holds `__private` (default `::solo`).
    pub(crate) crate_path: Path,
}

impl Attrs {
    /// Parses the tokens between the parentheses of `#[activity(...)]`.
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Attrs> {
        let mut name: Option<LitStr> = None;
        let mut crate_path: Option<Path> = None;
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident("name") {
                if name.is_some() {
                    return Err(meta.error("`name` is given twice; keep one"));
                }
                let lit: LitStr = meta.value()?.parse().map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        "`name` takes a string: #[activity(name = \"ComposeGreeting\")]",
                    )
                })?;
                if lit.value().trim().is_empty() {
                    return Err(syn::Error::new(
                        lit.span(),
                        "the activity name must not be empty; remove `name` to use the function's name",
                    ));
                }
                name = Some(lit);
                Ok(())
            } else if meta.path.is_ident("crate") {
                if crate_path.is_some() {
                    return Err(meta.error("`crate` is given twice; keep one"));
                }
                let lit: LitStr = meta.value()?.parse().map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        "`crate` takes a string with a path: #[activity(crate = \"solo_worker\")]",
                    )
                })?;
                let path: Path = lit.parse().map_err(|_| {
                    syn::Error::new(
                        lit.span(),
                        format!("`{}` is not a crate path; write e.g. \"solo\" or \"::my_reexport::solo\"", lit.value()),
                    )
                })?;
                crate_path = Some(path);
                Ok(())
            } else {
                let shown = meta
                    .path
                    .get_ident()
                    .map(ToString::to_string)
                    .unwrap_or_else(|| "this argument".to_owned());
                Err(syn::Error::new(
                    meta.path.span(),
                    format!(
                        "unknown `#[activity]` argument `{shown}`; the arguments are `name = \"...\"` and `crate = \"...\"`"
                    ),
                ))
            }
        });
        parser.parse2(tokens)?;
        Ok(Attrs {
            name,
            crate_path: crate_path.unwrap_or_else(|| syn::parse_quote!(::solo)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn defaults_to_the_facade() {
        let attrs = Attrs::parse(TokenStream::new()).unwrap();
        assert!(attrs.name.is_none());
        let path = &attrs.crate_path;
        assert_eq!(quote!(#path).to_string(), ":: solo");
    }

    #[test]
    fn reads_name_and_crate() {
        let attrs = Attrs::parse(quote!(name = "Greet", crate = "solo_worker")).unwrap();
        assert_eq!(attrs.name.unwrap().value(), "Greet");
        let path = &attrs.crate_path;
        assert_eq!(quote!(#path).to_string(), "solo_worker");
    }

    #[test]
    fn rejects_unknown_and_repeated_arguments() {
        let err = Attrs::parse(quote!(nme = "x")).err().unwrap();
        assert!(
            err.to_string()
                .contains("unknown `#[activity]` argument `nme`")
        );
        let err = Attrs::parse(quote!(name = "a", name = "b")).err().unwrap();
        assert!(err.to_string().contains("twice"));
        let err = Attrs::parse(quote!(name = 5)).err().unwrap();
        assert!(err.to_string().contains("takes a string"));
        let err = Attrs::parse(quote!(name = "")).err().unwrap();
        assert!(err.to_string().contains("must not be empty"));
        let err = Attrs::parse(quote!(crate = "not a path")).err().unwrap();
        assert!(err.to_string().contains("not a crate path"));
    }
}
