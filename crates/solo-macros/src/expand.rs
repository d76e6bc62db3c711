//! Turns an `#[activity]` function into a unit struct that implements `Activity` and
//! `ActivityImpl`.
//!
//! (Over 500 lines because of its unit tests: the expansion, read top to bottom, is ~430
//! lines; splitting it would scatter one generated item over several files.)
//!
//! For
//!
//! ```text
//! #[activity]
//! pub async fn compose_greeting(input: ComposeGreetingInput, ctx: ActivityContext) -> String { .. }
//! ```
//!
//! the output is, with `P` = `::solo::__private` (or `<crate>::__private`):
//!
//! ```text
//! #[allow(non_camel_case_types)]
//! #[derive(Clone, Copy, Debug, Default)]
//! pub struct compose_greeting;
//!
//! impl compose_greeting {
//!     pub const NAME: &'static str = "compose_greeting";
//!     pub async fn run(input: ComposeGreetingInput, ctx: ActivityContext) -> String { .. }
//! }
//!
//! impl P::Activity for compose_greeting {
//!     type Input = ComposeGreetingInput;
//!     type Output = String;
//!     fn name(&self) -> &str { Self::NAME }
//! }
//!
//! impl P::ActivityImpl for compose_greeting {
//!     fn execute(&self, ctx: P::ActivityContext, input: Self::Input) -> P::ActivityFuture<Self::Output> {
//!         P::Box::pin(async move { P::Ok(Self::run(input, ctx).await) })
//!     }
//! }
//! ```
//!
//! A plain `fn` goes through `P::run_blocking` instead, which runs it on the worker's bounded
//! blocking pool; a `Result` return converts its error with `P::into_activity_error`. With
//! several inputs, `type Input = P::Args<(A, B, ..)>` and `execute` first takes it apart:
//! `let P::Args((__solo_input_0, __solo_input_1, ..)) = __solo_input;`.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{
    Attribute, FnArg, GenericArgument, ItemFn, Path, PathArguments, ReturnType, Type, TypePath,
};

use crate::attrs::Attrs;

/// How the function receives its `ActivityContext`.
#[derive(Clone, Copy)]
enum ContextArg {
    ByValue,
    ByRef,
}

/// One parameter of the function, in order.
enum Param {
    /// The input parameter at this position among the inputs.
    Input(usize),
    Context(ContextArg),
}

/// What the function returns.
enum Output {
    /// No return type: the output is `()`.
    Unit,
    /// A value that is the output.
    Plain(Type),
    /// `Result<T, E>` (or an alias named `Result`): `T` is the output, `E` converts into an
    /// activity error.
    Result { ok: Type, err_span: Span },
}

/// Expands `#[activity]` on `item` (already parsed) with the given arguments.
pub(crate) fn expand(attrs: Attrs, item: ItemFn) -> syn::Result<TokenStream> {
    check_signature(&item)?;
    let (params, inputs) = params(&item)?;
    let output = output(&item.sig.output)?;

    let krate = &attrs.crate_path;
    let p = quote!(#krate::__private);
    let ident = &item.sig.ident;
    let vis = &item.vis;
    let type_name = attrs
        .name
        .as_ref()
        .map(|l| l.value())
        .unwrap_or_else(|| ident.to_string());

    let docs: Vec<&Attribute> = item
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .collect();
    let cfgs: Vec<&Attribute> = item
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .collect();
    let fn_attrs: Vec<&Attribute> = item
        .attrs
        .iter()
        .filter(|a| !a.path().is_ident("cfg"))
        .collect();

    let sig = &item.sig;
    let block = &item.block;

    let input_assoc = match inputs.as_slice() {
        [] => quote!(()),
        [ty] => ty.to_token_stream(),
        many => quote!(#p::Args<(#(#many,)*)>),
    };
    let input_names: Vec<syn::Ident> = (0..inputs.len())
        .map(|i| quote::format_ident!("__solo_input_{}", i))
        .collect();
    // Several inputs arrive as `Args((a, b, ...))`; take them apart before the call.
    let unpack =
        (inputs.len() > 1).then(|| quote!(let #p::Args((#(#input_names,)*)) = __solo_input;));
    let output_assoc = match &output {
        Output::Unit => quote!(()),
        Output::Plain(ty) | Output::Result { ok: ty, .. } => ty.to_token_stream(),
    };

    let call_args: Vec<TokenStream> = params
        .iter()
        .map(|param| match param {
            Param::Input(i) if inputs.len() > 1 => input_names[*i].to_token_stream(),
            Param::Input(_) => quote!(__solo_input),
            Param::Context(ContextArg::ByValue) => quote!(__solo_ctx),
            Param::Context(ContextArg::ByRef) => quote!(&__solo_ctx),
        })
        .collect();
    let uses_input = !inputs.is_empty();
    let uses_ctx = params.iter().any(|p| matches!(p, Param::Context(_)));
    let ignore_input = (!uses_input).then(|| quote!(let _ = __solo_input;));
    let ignore_ctx = (!uses_ctx).then(|| quote!(let _ = &__solo_ctx;));

    let convert = match &output {
        Output::Unit | Output::Plain(_) => quote!(#p::Ok(__solo_output)),
        Output::Result { err_span, .. } => {
            // Spanned at the error type, so a type that does not convert is reported there.
            let into = quote_spanned!(*err_span=> #p::into_activity_error(__solo_error));
            quote! {
                match __solo_output {
                    #p::Ok(__solo_value) => #p::Ok(__solo_value),
                    #p::Err(__solo_error) => #p::Err(#into),
                }
            }
        }
    };

    let body = if sig.asyncness.is_some() {
        quote! {
            #ignore_input
            #unpack
            #p::Box::pin(async move {
                #ignore_ctx
                let __solo_output = Self::run(#(#call_args),*).await;
                #convert
            })
        }
    } else {
        quote! {
            #ignore_input
            #unpack
            #p::run_blocking(__solo_ctx, move |__solo_ctx| {
                #ignore_ctx
                let __solo_output = Self::run(#(#call_args),*);
                #convert
            })
        }
    };

    let run_sig = {
        let mut s = sig.clone();
        s.ident = syn::Ident::new("run", ident.span());
        s
    };
    let name_doc = format!("The activity type name: `{type_name}`.");
    let run_doc =
        "Runs the activity's body directly (for example in a unit test), without a worker.";

    Ok(quote! {
        #(#docs)*
        #(#cfgs)*
        #[allow(non_camel_case_types)]
        #[derive(
            ::core::clone::Clone,
            ::core::marker::Copy,
            ::core::fmt::Debug,
            ::core::default::Default
        )]
        #vis struct #ident;

        #(#cfgs)*
        impl #ident {
            #[doc = #name_doc]
            #vis const NAME: &'static str = #type_name;

            #[doc = #run_doc]
            #[doc = ""]
            #(#fn_attrs)*
            #vis #run_sig #block
        }

        #(#cfgs)*
        impl #p::Activity for #ident {
            type Input = #input_assoc;
            type Output = #output_assoc;

            fn name(&self) -> &str {
                Self::NAME
            }
        }

        #(#cfgs)*
        impl #p::ActivityImpl for #ident {
            fn execute(
                &self,
                __solo_ctx: #p::ActivityContext,
                __solo_input: <Self as #p::Activity>::Input,
            ) -> #p::ActivityFuture<<Self as #p::Activity>::Output> {
                #body
            }
        }
    })
}

/// Rejects the function shapes `#[activity]` cannot turn into an activity.
fn check_signature(item: &ItemFn) -> syn::Result<()> {
    let sig = &item.sig;
    if let Some(c) = &sig.constness {
        return Err(syn::Error::new(
            c.span(),
            "`#[activity]` cannot be used on a `const fn`; remove `const`",
        ));
    }
    if let Some(u) = &sig.unsafety {
        return Err(syn::Error::new(
            u.span(),
            "`#[activity]` cannot be used on an `unsafe fn`; make the function safe and use `unsafe` blocks inside it",
        ));
    }
    if let Some(abi) = &sig.abi {
        return Err(syn::Error::new(
            abi.span(),
            "`#[activity]` cannot be used on an `extern` function; remove the ABI",
        ));
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new(
            sig.generics.params.span(),
            "`#[activity]` functions cannot be generic: the worker must know the input and output types; use concrete types",
        ));
    }
    if let Some(w) = &sig.generics.where_clause {
        return Err(syn::Error::new(
            w.span(),
            "`#[activity]` functions cannot have a `where` clause; use concrete types",
        ));
    }
    if let Some(v) = &sig.variadic {
        return Err(syn::Error::new(
            v.span(),
            "`#[activity]` functions cannot be variadic",
        ));
    }
    Ok(())
}

/// The most input parameters an activity function takes (the tuple sizes `Args` covers).
const MAX_INPUTS: usize = 8;

/// Classifies the parameters: inputs (up to [`MAX_INPUTS`]) and at most one `ActivityContext`.
fn params(item: &ItemFn) -> syn::Result<(Vec<Param>, Vec<Type>)> {
    let mut params = Vec::new();
    let mut inputs: Vec<Type> = Vec::new();
    let mut has_ctx = false;
    for arg in &item.sig.inputs {
        let typed = match arg {
            FnArg::Receiver(r) => {
                return Err(syn::Error::new(
                    r.span(),
                    "`#[activity]` goes on a free function, not a method; move it out of the `impl` block (keep shared state in a `static` or implement `Activity` and `ActivityImpl` by hand)",
                ));
            }
            FnArg::Typed(t) => t,
        };
        if let Some(kind) = context_arg(&typed.ty)? {
            if has_ctx {
                return Err(syn::Error::new(
                    typed.span(),
                    "`#[activity]` takes one `ActivityContext` parameter; remove the second",
                ));
            }
            has_ctx = true;
            params.push(Param::Context(kind));
            continue;
        }
        if inputs.len() == MAX_INPUTS {
            return Err(syn::Error::new(
                typed.span(),
                format!(
                    "`#[activity]` functions take at most {MAX_INPUTS} inputs (plus an optional `ActivityContext`); put some of the values in one struct"
                ),
            ));
        }
        check_owned(&typed.ty, "input")?;
        params.push(Param::Input(inputs.len()));
        inputs.push((*typed.ty).clone());
    }
    Ok((params, inputs))
}

/// Whether `ty` is `ActivityContext` (by value) or `&ActivityContext`, matched by its last
/// path segment.
fn context_arg(ty: &Type) -> syn::Result<Option<ContextArg>> {
    match ty {
        Type::Reference(r) if is_context_path(&r.elem) => {
            if let Some(m) = &r.mutability {
                return Err(syn::Error::new(
                    m.span(),
                    "take the `ActivityContext` by value or by shared reference (`&ActivityContext`), not `&mut`",
                ));
            }
            Ok(Some(ContextArg::ByRef))
        }
        _ if is_context_path(ty) => Ok(Some(ContextArg::ByValue)),
        _ => Ok(None),
    }
}

fn is_context_path(ty: &Type) -> bool {
    match ty {
        Type::Path(TypePath { qself: None, path }) => path
            .segments
            .last()
            .is_some_and(|s| s.ident == "ActivityContext" && s.arguments.is_empty()),
        Type::Paren(p) => is_context_path(&p.elem),
        Type::Group(g) => is_context_path(&g.elem),
        _ => false,
    }
}

/// Rejects borrowed and opaque types, which cannot be decoded from or encoded into a payload.
fn check_owned(ty: &Type, what: &str) -> syn::Result<()> {
    match ty {
        Type::Reference(r) => Err(syn::Error::new(
            r.and_token.span(),
            format!(
                "an activity {what} must be an owned type (it is decoded from a payload); use e.g. `String` instead of `&str`"
            ),
        )),
        Type::ImplTrait(t) => Err(syn::Error::new(
            t.span(),
            format!(
                "an activity {what} cannot be `impl Trait`: name a concrete type that implements `Serialize` and `Deserialize`"
            ),
        )),
        Type::Infer(t) => Err(syn::Error::new(
            t.span(),
            format!("an activity {what} needs a concrete type"),
        )),
        Type::Paren(p) => check_owned(&p.elem, what),
        Type::Group(g) => check_owned(&g.elem, what),
        Type::Tuple(t) => t.elems.iter().try_for_each(|e| check_owned(e, what)),
        Type::Array(a) => check_owned(&a.elem, what),
        Type::Slice(s) => check_owned(&s.elem, what),
        Type::Path(p) => {
            for segment in &p.path.segments {
                if let PathArguments::AngleBracketed(args) = &segment.arguments {
                    for arg in &args.args {
                        match arg {
                            GenericArgument::Type(t) => check_owned(t, what)?,
                            GenericArgument::Lifetime(l) => {
                                return Err(syn::Error::new(
                                    l.span(),
                                    format!(
                                        "an activity {what} must be an owned type without lifetimes (it is decoded from a payload)"
                                    ),
                                ));
                            }
                            _ => {}
                        }
                    }
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Reads the return type: nothing, a plain value, or a `Result`.
fn output(ret: &ReturnType) -> syn::Result<Output> {
    let ty = match ret {
        ReturnType::Default => return Ok(Output::Unit),
        ReturnType::Type(_, ty) => ty,
    };
    if let Some((ok, err)) = result_args(ty) {
        check_owned(&ok, "output")?;
        let err_span = err.map(|e| e.span()).unwrap_or_else(|| ty.span());
        return Ok(Output::Result { ok, err_span });
    }
    check_owned(ty, "output")?;
    Ok(Output::Plain((**ty).clone()))
}

/// For a type whose last path segment is `Result<T>` or `Result<T, E>`, returns `T` and `E`.
fn result_args(ty: &Type) -> Option<(Type, Option<Type>)> {
    let path: &Path = match ty {
        Type::Path(TypePath { qself: None, path }) => path,
        _ => return None,
    };
    let last = path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|a| match a {
        GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    });
    let ok = types.next()?;
    Some((ok, types.next()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(attrs: TokenStream, item: TokenStream) -> Result<String, String> {
        let attrs = Attrs::parse(attrs).map_err(|e| e.to_string())?;
        let item: ItemFn = syn::parse2(item).map_err(|e| e.to_string())?;
        expand(attrs, item)
            .map(|t| t.to_string())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn async_fn_with_input_and_context() {
        let out = run(
            quote!(),
            quote! {
                /// Greets.
                pub async fn compose_greeting(input: Input, ctx: ActivityContext) -> String { todo!() }
            },
        )
        .unwrap();
        assert!(out.contains("pub struct compose_greeting"), "{out}");
        assert!(out.contains("impl :: solo :: __private :: Activity for compose_greeting"));
        assert!(out.contains("type Input = Input"));
        assert!(out.contains("type Output = String"));
        assert!(out.contains("pub const NAME : & 'static str = \"compose_greeting\""));
        assert!(out.contains("Self :: run (__solo_input , __solo_ctx) . await"));
        assert!(out.contains("Box :: pin (async move"));
    }

    #[test]
    fn sync_fn_runs_on_the_blocking_pool() {
        let out = run(
            quote!(name = "Greet", crate = "solo_worker"),
            quote!(
                fn greet(ctx: &ActivityContext) {}
            ),
        )
        .unwrap();
        assert!(
            out.contains("solo_worker :: __private :: run_blocking"),
            "{out}"
        );
        assert!(out.contains("\"Greet\""));
        assert!(out.contains("type Input = ()"));
        assert!(out.contains("type Output = ()"));
        assert!(out.contains("Self :: run (& __solo_ctx)"));
    }

    #[test]
    fn several_inputs_are_args_taken_apart_in_order() {
        let out = run(
            quote!(),
            quote!(
                async fn two(ctx: ActivityContext, greeting: String, times: u32) -> String {}
            ),
        )
        .unwrap();
        assert!(
            out.contains("type Input = :: solo :: __private :: Args < (String , u32 ,) >"),
            "{out}"
        );
        assert!(
            out.contains("let :: solo :: __private :: Args ((__solo_input_0 , __solo_input_1 ,)) = __solo_input ;"),
            "{out}"
        );
        assert!(
            out.contains("Self :: run (__solo_ctx , __solo_input_0 , __solo_input_1) . await"),
            "{out}"
        );
    }

    #[test]
    fn result_outputs_convert_their_error() {
        let out = run(
            quote!(),
            quote!(
                async fn charge(amount: u64) -> Result<Receipt, PaymentError> {}
            ),
        )
        .unwrap();
        assert!(out.contains("type Output = Receipt"), "{out}");
        assert!(out.contains("into_activity_error"));
        let out = run(
            quote!(),
            quote!(
                async fn f() -> io::Result<u8> {}
            ),
        )
        .unwrap();
        assert!(out.contains("type Output = u8"), "{out}");
    }

    #[test]
    fn unsupported_signatures_are_errors() {
        let cases = [
            (
                quote!(
                    async fn f(a: A, b: B, c: C, d: D, e: E, f: F, g: G, h: H, i: I) {}
                ),
                "at most 8 inputs",
            ),
            (
                quote!(
                    async fn f(a: ActivityContext, b: ActivityContext) {}
                ),
                "remove the second",
            ),
            (
                quote!(
                    async fn f(&self) {}
                ),
                "not a method",
            ),
            (
                quote!(
                    async fn f<T>(t: T) {}
                ),
                "cannot be generic",
            ),
            (
                quote!(
                    async fn f(s: &str) {}
                ),
                "owned type",
            ),
            (
                quote!(
                    async fn f(s: Vec<&'a str>) {}
                ),
                "owned type",
            ),
            (
                quote!(
                    async fn f() -> &'static str {}
                ),
                "owned type",
            ),
            (
                quote!(
                    async fn f() -> impl Serialize {}
                ),
                "impl Trait",
            ),
            (
                quote!(
                    const fn f() {}
                ),
                "const fn",
            ),
            (
                quote!(
                    unsafe fn f() {}
                ),
                "unsafe fn",
            ),
            (
                quote!(
                    async fn f(c: &mut ActivityContext) {}
                ),
                "not `&mut`",
            ),
        ];
        for (item, expected) in cases {
            let err = run(quote!(), item.clone()).unwrap_err();
            assert!(err.contains(expected), "{item}: {err}");
        }
    }
}
