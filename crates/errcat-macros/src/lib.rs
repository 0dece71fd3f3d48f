//! The `catalog!` macro of errcat. Use it through the `errcat` crate:
//! `errcat::catalog!("errors.toml")`.
//!
//! This crate is a thin shell over [`expand`], which works on
//! `proc_macro2` tokens so that it can be unit-tested.

mod expand;

/// Reads an errcat catalog at compile time and generates, in the module where
/// it is invoked:
///
/// - one constructor per error that has an HTTP status, named after its code
///   in snake case, taking its parameters typed (`string` →
///   `impl Into<Cow<'static, str>>`, `integer` → `i64`, `number` → `f64`,
///   `boolean` → `bool`) and returning `errcat::Error`;
/// - `Code`, an enum of every code with an `Unknown(String)` arm;
/// - `CATALOG` and `RENDERER`, statics holding the catalog and its renderer.
///
/// The path is relative to the crate's `Cargo.toml` or, when no file is
/// there, to the invoking source file (like `include_str!`). An invalid
/// catalog is a compile error naming file:line:column; editing the catalog
/// rebuilds.
#[proc_macro]
pub fn catalog(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_owned());
    let file_dir = proc_macro::Span::call_site()
        .local_file()
        .and_then(|f| f.parent().map(std::path::Path::to_path_buf));
    let mut bases = vec![std::path::PathBuf::from(manifest_dir)];
    bases.extend(file_dir);
    expand::catalog(input.into(), &bases).into()
}
