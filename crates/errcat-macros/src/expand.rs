//! parse → validate → expand, on `proc_macro2` tokens.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use errcat_catalog::{Catalog, ErrorDef, ParamType, Severity};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};

/// Expands `catalog!("path")`. A relative path is looked up under each of
/// `bases` in turn (the crate's manifest directory, then the invoking file's).
pub(crate) fn catalog(input: TokenStream, bases: &[PathBuf]) -> TokenStream {
    let source = match parse(input, bases) {
        Ok(source) => source,
        Err(stop) => return stop,
    };
    match validate(&source) {
        Ok(checked) => expand(&source, &checked),
        Err(stop) => stop,
    }
}

/// The invocation: which catalog file, and how the user named it.
struct Source {
    /// The file found under the bases.
    path: PathBuf,
    /// The path as written, for messages.
    name: String,
    /// The literal's span, where compile errors point.
    span: Span,
}

/// A catalog that can be expanded (valid, or read as far as it could be),
/// with the compile errors to emit beside its items.
struct Checked {
    /// `errcat: file:line:column: message` lines, each a `compile_error!`.
    errors: Vec<String>,
    /// One constructor function a code with a status.
    ctors: Vec<TokenStream>,
    /// The `Code` enum's variants, in catalog order.
    variants: Vec<Variant>,
}

/// A variant of the generated `Code` enum.
struct Variant {
    ident: syn::Ident,
    code: String,
    numeric: Option<i64>,
}

/// Parse: the macro's one argument, a string literal, resolved to a file.
fn parse(input: TokenStream, bases: &[PathBuf]) -> Result<Source, TokenStream> {
    let Ok(lit) = syn::parse2::<syn::LitStr>(input) else {
        return Err(quote! {
            ::core::compile_error!("errcat::catalog! takes the catalog's path, e.g. `errcat::catalog!(\"errors.toml\")`");
        });
    };
    let rel = Path::new(&lit.value()).to_path_buf();
    let path = bases
        .iter()
        .map(|b| b.join(&rel))
        .find(|p| p.exists())
        .unwrap_or_else(|| bases.first().map_or_else(|| rel.clone(), |b| b.join(&rel)));
    Ok(Source {
        path,
        name: lit.value(),
        span: lit.span(),
    })
}

/// Validate: the catalog's own diagnostics, then the Rust names its codes
/// make (reserved or colliding ones are errors). Stops with the errors
/// alone when not even a best-effort catalog could be read.
fn validate(source: &Source) -> Result<Checked, TokenStream> {
    let Source { name, span, .. } = source;
    let analysis = match Catalog::analyze_path(&source.path) {
        Ok(a) => a,
        Err(e) => {
            let msg = format!("errcat: {e}");
            return Err(quote::quote_spanned! {*span=> ::core::compile_error!(#msg); });
        }
    };
    let at = |s: &std::ops::Range<usize>| {
        let (l, c) = analysis.report.source.line_col(s.start);
        format!("{name}:{l}:{c}")
    };
    let mut errors: Vec<String> = analysis
        .report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            let at = d.span.as_ref().map_or_else(|| name.clone(), at);
            let help = d
                .help
                .as_ref()
                .map(|h| format!("\n  help: {h}"))
                .unwrap_or_default();
            format!("errcat: {at}: {}{help}", d.message)
        })
        .collect();
    let Some(catalog) = analysis.catalog.as_ref().or(analysis.best_effort.as_ref()) else {
        return Err(only_errors(source, &errors));
    };
    let locate = |e: &ErrorDef| {
        e.spans
            .code
            .as_ref()
            .map_or_else(|| format!("{name} (standard catalog)"), at)
    };
    let (variants, ctors) = names(catalog, &locate, &mut errors);
    Ok(Checked {
        errors,
        ctors,
        variants,
    })
}

/// The `Code` variant and constructor of each error, skipping (with an
/// error) a code whose name is reserved or taken by an earlier code.
fn names(
    catalog: &Catalog,
    locate: &dyn Fn(&ErrorDef) -> String,
    errors: &mut Vec<String>,
) -> (Vec<Variant>, Vec<TokenStream>) {
    let mut fn_names: HashMap<String, &ErrorDef> = HashMap::new();
    let mut taken: HashMap<String, &ErrorDef> = HashMap::new();
    let mut variants = Vec::new();
    let mut ctors = Vec::new();
    for e in &catalog.errors {
        let words = words(&e.code);
        let variant = pascal(&words);
        if variant == "Unknown" {
            errors.push(format!("errcat: {}: code `{}` would make the variant `Code::Unknown`, which is reserved for codes a newer server sends", locate(e), e.code));
            continue;
        }
        if let Some(first) = taken.insert(variant.clone(), e) {
            errors.push(format!(
                "errcat: {}: codes `{}` and `{}` both make `Code::{variant}`; rename one",
                locate(e),
                first.code,
                e.code
            ));
            continue;
        }
        variants.push(Variant {
            ident: format_ident!("{}", variant),
            code: e.code.clone(),
            numeric: e.numeric_code,
        });
        if e.status.is_none() {
            continue;
        }
        let fname = snake(&words);
        if let Some(first) = fn_names.insert(fname.clone(), e) {
            errors.push(format!(
                "errcat: {}: codes `{}` and `{}` both make the constructor `{fname}`; rename one",
                locate(e),
                first.code,
                e.code
            ));
            continue;
        }
        ctors.push(constructor(e, &fname));
    }
    (variants, ctors)
}

/// The compile errors alone, with the catalog still included so that
/// editing it rebuilds.
fn only_errors(source: &Source, errors: &[String]) -> TokenStream {
    let path_str = source.path.display().to_string();
    let errs = compile_errors(source.span, errors);
    quote! {
        const _: &str = ::core::include_str!(#path_str);
        #errs
    }
}

/// One `compile_error!` a message, pointing at the macro's argument.
fn compile_errors(span: Span, errors: &[String]) -> TokenStream {
    errors
        .iter()
        .map(|m| quote::quote_spanned! {span=> ::core::compile_error!(#m); })
        .collect()
}

/// Expand: the statics, the constructors, `Code` and its impls, beside the
/// compile errors of validation.
fn expand(source: &Source, checked: &Checked) -> TokenStream {
    let path_str = source.path.display().to_string();
    let name = &source.name;
    let errs = compile_errors(source.span, &checked.errors);
    let ctors = &checked.ctors;
    let code = code_enum(&checked.variants);
    quote! {
        const _: &str = ::core::include_str!(#path_str);

        #errs

        /// The catalog, read once from the text embedded at compile time.
        pub static CATALOG: ::std::sync::LazyLock<::errcat::Catalog> =
            ::std::sync::LazyLock::new(|| ::errcat::__private::load_embedded(::core::include_str!(#path_str), #name));

        /// A renderer for the catalog.
        pub static RENDERER: ::std::sync::LazyLock<::errcat::Renderer> =
            ::std::sync::LazyLock::new(|| ::errcat::Renderer::new(::core::clone::Clone::clone(&*CATALOG)));

        #(#ctors)*

        #code
    }
}

/// `Code`, every code of the catalog as a variant, and its conversions.
fn code_enum(variants: &[Variant]) -> TokenStream {
    let variant_idents: Vec<_> = variants.iter().map(|v| &v.ident).collect();
    let variant_codes: Vec<_> = variants.iter().map(|v| &v.code).collect();
    let numeric_arms = variants.iter().filter_map(|v| {
        let (n, vident) = (v.numeric?, &v.ident);
        Some(quote! { #n => ::core::option::Option::Some(Code::#vident), })
    });
    quote! {
        /// Every code of the catalog; `Unknown` keeps codes this build does not know.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum Code {
            #(
                #[doc = #variant_codes]
                #variant_idents,
            )*
            /// A code this build of the catalog does not know.
            Unknown(::std::string::String),
        }

        impl Code {
            /// The code as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Code::#variant_idents => #variant_codes,)*
                    Code::Unknown(s) => s.as_str(),
                }
            }

            /// The code for a wire string; unknown strings are kept in `Unknown`.
            pub fn parse(code: &str) -> Self {
                match code {
                    #(#variant_codes => Code::#variant_idents,)*
                    other => Code::Unknown(::std::string::ToString::to_string(other)),
                }
            }

            /// The code with a numeric code, if the catalog has one.
            #[allow(clippy::match_single_binding)]
            pub fn from_numeric(numeric: i64) -> ::core::option::Option<Self> {
                match numeric {
                    #(#numeric_arms)*
                    _ => ::core::option::Option::None,
                }
            }
        }

        impl ::core::fmt::Display for Code {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::core::str::FromStr for Code {
            type Err = ::core::convert::Infallible;
            fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                ::core::result::Result::Ok(Code::parse(s))
            }
        }
    }
}

fn constructor(e: &ErrorDef, fname: &str) -> TokenStream {
    let fn_ident = ident(fname);
    let code = &e.code;
    let status = e.status.unwrap_or(500);
    let mut doc = vec![
        format!(" `{code}` ({status}): {}", e.title),
        String::new(),
        format!(" Message: {}", e.message.raw),
    ];
    if let Some(d) = &e.description {
        doc.push(String::new());
        doc.extend(d.trim().lines().map(|l| format!(" {l}")));
    }
    let mut args = Vec::new();
    let mut sets = Vec::new();
    for p in &e.params {
        let pid = ident(&p.name);
        let pname = &p.name;
        let ty = match p.ty {
            ParamType::String => {
                quote! { impl ::core::convert::Into<::std::borrow::Cow<'static, str>> }
            }
            ParamType::Integer => quote! { i64 },
            ParamType::Number => quote! { f64 },
            ParamType::Boolean => quote! { bool },
        };
        args.push(quote! { #pid: #ty });
        sets.push(match p.ty {
            ParamType::String => {
                quote! { .with_param(#pname, ::errcat::ParamValue::Str(#pid.into())) }
            }
            _ => quote! { .with_param(#pname, #pid) },
        });
    }
    let deprecated = e.deprecated.as_ref().map(|_| {
        let note = e.replaced_by.as_ref().map_or_else(
            || format!("`{code}` is deprecated"),
            |r| format!("`{code}` is deprecated; use `{r}`"),
        );
        quote! { #[deprecated(note = #note)] }
    });
    quote! {
        #(#[doc = #doc])*
        #deprecated
        #[must_use]
        pub fn #fn_ident(#(#args),*) -> ::errcat::Error {
            ::errcat::Error::new(#code)#(#sets)*
        }
    }
}

/// Words of a code: `AUTH-401` → `auth`, `401`; `templateNotFound` → `template`, `not`, `found`.
fn words(code: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in code.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    if words.is_empty() {
        words.push("error".to_owned());
    }
    words
}

fn snake(words: &[String]) -> String {
    let s = words.join("_");
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("e_{s}")
    } else {
        s
    }
}

fn pascal(words: &[String]) -> String {
    let s: String = words
        .iter()
        .map(|w| {
            let mut c = w.chars();
            c.next().map_or_else(String::new, |f| {
                f.to_ascii_uppercase().to_string() + c.as_str()
            })
        })
        .collect();
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("E{s}")
    } else {
        s
    }
}

/// An identifier, raw when it is a keyword.
fn ident(name: &str) -> syn::Ident {
    const KEYWORDS: &[&str] = &[
        "as", "break", "const", "continue", "else", "enum", "extern", "false", "fn", "for", "if",
        "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
        "static", "struct", "trait", "true", "type", "unsafe", "use", "where", "while", "async",
        "await", "dyn", "abstract", "become", "box", "do", "final", "macro", "override", "priv",
        "typeof", "unsized", "virtual", "yield", "try", "gen",
    ];
    match name {
        "self" | "super" | "crate" | "Self" | "_" => {
            syn::Ident::new(&format!("{name}_"), Span::call_site())
        }
        n if KEYWORDS.contains(&n) => syn::Ident::new_raw(n, Span::call_site()),
        n => syn::Ident::new(n, Span::call_site()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_codes() {
        let cases = [
            (
                "TEMPLATE_NOT_FOUND",
                "template_not_found",
                "TemplateNotFound",
            ),
            ("invalid_json", "invalid_json", "InvalidJson"),
            ("AUTH-401", "auth_401", "Auth401"),
            ("templateNotFound", "template_not_found", "TemplateNotFound"),
            ("404", "e_404", "E404"),
            ("a..b", "a_b", "AB"),
        ];
        for (code, f, v) in cases {
            let w = words(code);
            assert_eq!((snake(&w).as_str(), pascal(&w).as_str()), (f, v), "{code}");
        }
    }

    #[test]
    fn keywords_become_raw_identifiers() {
        assert_eq!(ident("type").to_string(), "r#type");
        assert_eq!(ident("self").to_string(), "self_");
        assert_eq!(ident("template_id").to_string(), "template_id");
    }

    #[test]
    fn invalid_catalogs_become_compile_errors_with_locations() {
        let dir = std::env::temp_dir().join(format!("errcat-macro-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("errors.toml"),
            "[api]\nname = \"x\"\n[[errors]]\ncode = \"A\"\nstauts = 404\nmessage = \"m\"\n",
        )
        .unwrap();
        let out = catalog(quote! { "errors.toml" }, std::slice::from_ref(&dir)).to_string();
        assert!(out.contains("errcat: errors.toml:5:1: unknown key `stauts` in an error entry\\n  help: did you mean `status`?"), "{out}");
        let missing = catalog(quote! { "nope.toml" }, std::slice::from_ref(&dir)).to_string();
        assert!(missing.contains("compile_error"), "{missing}");
        assert!(missing.contains("cannot read"), "{missing}");
        let not_a_string = catalog(quote! { errors }, std::slice::from_ref(&dir)).to_string();
        assert!(
            not_a_string.contains("takes the catalog's path"),
            "{not_a_string}"
        );
    }

    #[test]
    fn colliding_names_are_reported() {
        let dir = std::env::temp_dir().join(format!("errcat-macro-collide-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("errors.toml"),
            "[api]\nname = \"x\"\n[[errors]]\ncode = \"A-B\"\nstatus = 400\nmessage = \"m\"\n[[errors]]\ncode = \"A_B\"\nstatus = 400\nmessage = \"m\"\n",
        )
        .unwrap();
        let out = catalog(quote! { "errors.toml" }, std::slice::from_ref(&dir)).to_string();
        assert!(
            out.contains(
                "errcat: errors.toml:8:8: codes `A-B` and `A_B` both make `Code::AB`; rename one"
            ),
            "{out}"
        );
    }
}
