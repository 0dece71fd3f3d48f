//! One query text and its bound values for both backends: SQLite (through
//! rusqlite) and PostgreSQL (through sqlx) differ only in how a placeholder
//! is written and how a row's columns are read, so each query of
//! [`crate::Store`] is written once, and read back by column position.

use crate::store::StoreError;

/// How the backend writes its `n`th placeholder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placeholder {
    /// SQLite: `?1`, `?2`, …
    #[cfg(feature = "sqlite")]
    Question,
    /// PostgreSQL: `$1`, `$2`, …
    #[cfg(feature = "postgres")]
    Dollar,
}

/// A bound value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
}

impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Text(v.to_owned())
    }
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}

/// A query being written: its text (with placeholders) and its values.
/// Owned, so it can move to the thread that runs it.
#[derive(Clone, Debug)]
pub(crate) struct Sql {
    pub(crate) text: String,
    pub(crate) params: Vec<Param>,
    style: Placeholder,
}

impl Sql {
    pub(crate) fn new(style: Placeholder, text: impl Into<String>) -> Self {
        Sql {
            text: text.into(),
            params: Vec::new(),
            style,
        }
    }

    /// Appends query text.
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder and binds `value` to it.
    pub(crate) fn bind(&mut self, value: impl Into<Param>) -> &mut Self {
        use std::fmt::Write as _;
        self.params.push(value.into());
        let sigil = match self.style {
            #[cfg(feature = "sqlite")]
            Placeholder::Question => '?',
            #[cfg(feature = "postgres")]
            Placeholder::Dollar => '$',
        };
        let _ = write!(self.text, "{sigil}{}", self.params.len());
        self
    }
}

/// A result row, read by column position (the order of the `SELECT`).
pub(crate) trait Columns {
    fn text(&self, i: usize) -> Result<String, StoreError>;
    fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError>;
    fn int(&self, i: usize) -> Result<i64, StoreError>;
}

#[cfg(feature = "sqlite")]
impl Columns for rusqlite::Row<'_> {
    fn text(&self, i: usize) -> Result<String, StoreError> {
        self.get(i).map_err(crate::sqlite::sqlite_err)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        self.get(i).map_err(crate::sqlite::sqlite_err)
    }
    fn int(&self, i: usize) -> Result<i64, StoreError> {
        self.get(i).map_err(crate::sqlite::sqlite_err)
    }
}

#[cfg(feature = "postgres")]
impl Columns for sqlx::postgres::PgRow {
    fn text(&self, i: usize) -> Result<String, StoreError> {
        sqlx::Row::try_get(self, i).map_err(crate::store::query_err)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        sqlx::Row::try_get(self, i).map_err(crate::store::query_err)
    }
    fn int(&self, i: usize) -> Result<i64, StoreError> {
        sqlx::Row::try_get(self, i).map_err(crate::store::query_err)
    }
}

/// Reads one row into a value.
pub(crate) type Decode<T> = fn(&dyn Columns) -> Result<T, StoreError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "sqlite")]
    #[test]
    fn sqlite_placeholders_are_numbered_in_order() {
        let mut q = Sql::new(Placeholder::Question, "SELECT 1 WHERE a = ");
        q.bind("x").push(" AND b = ").bind(7);
        assert_eq!(q.text, "SELECT 1 WHERE a = ?1 AND b = ?2");
        assert_eq!(q.params, vec![Param::Text("x".into()), Param::Int(7)]);
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn postgres_placeholders_are_numbered_in_order() {
        let mut q = Sql::new(Placeholder::Dollar, "DELETE FROM t WHERE a < ");
        q.bind(1).push(" OR b = ").bind("y");
        assert_eq!(q.text, "DELETE FROM t WHERE a < $1 OR b = $2");
    }
}
