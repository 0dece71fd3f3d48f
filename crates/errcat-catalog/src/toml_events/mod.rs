//! The fast TOML front-end: `toml_parser`'s lexer and event parser, with the
//! [`Node`] tree built straight from the events.
//!
//! `toml::de::DeTable` builds an insertion-ordered hash map per table, which
//! the loader then copied into its own tree; this builds the tree once. The
//! table rules (implicit tables, dotted keys, `[[array]]` tables, inline
//! tables) follow `toml`'s own `de::parser` so that the tree is the same as
//! the one made from a `DeTable`. Anything that `toml` would report as an
//! error, a syntax error or a key conflict, makes [`parse`] return `None`:
//! the caller then reads the text with `DeTable` again, which gives the
//! diagnostic its exact message and span.

use std::borrow::Cow;
use std::ops::Range;

use toml_parser::decoder::ScalarKind;
use toml_parser::lexer::{Token, TokenKind};
use toml_parser::parser::{Event, EventKind, RecursionGuard, ValidateWhitespace};
use toml_parser::{ParseError, Source};

use crate::node::{Entry, Kind, Node};

/// `toml`'s nesting limit (its `unbounded` feature is off).
const LIMIT: u32 = 80;

/// Tables longer than this are left to `DeTable`, whose keys are hashed:
/// here keys are found by a linear search.
const MAX_LINEAR_TABLE: usize = 1024;

/// A table made by a header or a dotted key rather than written out.
const IMPLICIT: u8 = 1;
/// A table made by a dotted key.
const DOTTED: u8 = 2;
/// An inline table (`{ … }`) or a table inside one.
const INLINE: u8 = 4;
/// An array made by `[[…]]` headers.
const ARRAY_OF_TABLES: u8 = 8;

type Key<'a> = (Cow<'a, str>, Range<usize>);

/// Tokens are parsed in chunks of about this many, cut before a top-level
/// `[header]`, so that the token and event buffers stay small and in cache.
#[cfg(not(test))]
const CHUNK_TOKENS: usize = 4096;
/// Tiny chunks in tests, so that every test document is cut many times.
#[cfg(test)]
const CHUNK_TOKENS: usize = 3;

/// Parses TOML text into a [`Node`] tree; `None` when the text has any error.
///
/// The text is lexed once; the tokens are handed to the event parser in
/// chunks that end with a newline before a `[` at nesting depth 0, which in
/// TOML can only start a table header. A chunk that parses without error is
/// a whole sequence of expressions, so chunk by chunk the parser sees what it
/// would see in one pass, and any error still ends the fast path.
pub(crate) fn parse(text: &str) -> Option<Node<'_>> {
    let source = Source::new(text);
    let mut b = Builder {
        events: Vec::with_capacity(CHUNK_TOKENS + CHUNK_TOKENS / 2),
        pos: 0,
        source,
        error: None,
        root: Table::default(),
        current: Table::default(),
        header: None,
    };
    let mut tokens: Vec<Token> = Vec::with_capacity(CHUNK_TOKENS + CHUNK_TOKENS / 2);
    let mut depth: i64 = 0;
    let mut after_newline = true;
    for token in source.lex() {
        let kind = token.kind();
        match kind {
            TokenKind::LeftSquareBracket | TokenKind::LeftCurlyBracket => {
                if depth == 0 && after_newline && tokens.len() >= CHUNK_TOKENS {
                    b.chunk(&tokens)?;
                    tokens.clear();
                }
                depth += 1;
            }
            TokenKind::RightSquareBracket | TokenKind::RightCurlyBracket => depth -= 1,
            _ => {}
        }
        after_newline = kind == TokenKind::Newline;
        tokens.push(token);
    }
    b.chunk(&tokens)?;
    drop(tokens);
    let header = b.header.take();
    finish_table(&mut b.root, &mut b.current, header)?;
    if b.error.is_some() {
        return None;
    }
    Some(Node::new(0..text.len(), Kind::Table(b.root.entries)))
}

/// A table being built, with its flags.
#[derive(Default)]
struct Table<'a> {
    entries: Vec<Entry<'a>>,
    flags: u8,
}

struct Header<'a> {
    path: Vec<Key<'a>>,
    key: Option<Key<'a>>,
    span: Range<usize>,
    is_array: bool,
}

struct Builder<'a> {
    /// The events of the current chunk.
    events: Vec<Event>,
    pos: usize,
    source: Source<'a>,
    error: Option<ParseError>,
    root: Table<'a>,
    /// The table of the last header (or the root's own keys before any).
    current: Table<'a>,
    header: Option<Header<'a>>,
}

fn span(e: &Event) -> Range<usize> {
    let s = e.span();
    s.start()..s.end()
}

fn find(entries: &[Entry<'_>], key: &str) -> Option<usize> {
    entries.iter().position(|e| e.key == key)
}

/// Adds an entry; `None` when the table has grown too long for linear search.
fn push<'t, 'a>(
    entries: &'t mut Vec<Entry<'a>>,
    key: Key<'a>,
    value: Node<'a>,
) -> Option<&'t mut Node<'a>> {
    if entries.len() >= MAX_LINEAR_TABLE {
        return None;
    }
    entries.push(Entry {
        key: key.0,
        key_span: key.1,
        value,
    });
    entries.last_mut().map(|e| &mut e.value)
}

/// The entries and flags of a table node.
fn table_of<'t, 'a>(node: &'t mut Node<'a>) -> Option<(&'t mut Vec<Entry<'a>>, &'t mut u8)> {
    match &mut node.kind {
        Kind::Table(entries) => Some((entries, &mut node.flags)),
        _ => None,
    }
}

/// `toml`'s `document::descend_path`: the table at `path` below `entries`,
/// making implicit tables on the way.
fn descend<'t, 'a>(
    mut entries: &'t mut Vec<Entry<'a>>,
    mut flags: &'t mut u8,
    path: &[Key<'a>],
    dotted: bool,
) -> Option<(&'t mut Vec<Entry<'a>>, &'t mut u8)> {
    for key in path {
        let node = match find(entries, &key.0) {
            None => {
                let mut f = IMPLICIT;
                if dotted {
                    f |= DOTTED;
                }
                let mut table = Node::new(key.1.clone(), Kind::Table(Vec::new()));
                table.flags = f;
                push(entries, key.clone(), table)?
            }
            Some(i) => {
                let node = &mut entries[i].value;
                match &node.kind {
                    Kind::Array(_) => {
                        if node.flags & ARRAY_OF_TABLES == 0 {
                            return None;
                        }
                        let Kind::Array(items) = &mut node.kind else {
                            return None;
                        };
                        let last = items.last_mut()?;
                        if !matches!(last.kind, Kind::Table(_)) {
                            return None;
                        }
                        last
                    }
                    Kind::Table(_) => {
                        if node.flags & INLINE != 0 {
                            return None;
                        }
                        if dotted && node.flags & IMPLICIT != 0 {
                            node.flags |= DOTTED;
                        }
                        if dotted && node.flags & IMPLICIT == 0 {
                            return None;
                        }
                        node
                    }
                    _ => return None,
                }
            }
        };
        (entries, flags) = table_of(node)?;
    }
    Some((entries, flags))
}

/// `toml`'s `inline_table::descend_path`.
fn descend_inline<'t, 'a>(
    mut entries: &'t mut Vec<Entry<'a>>,
    mut flags: &'t mut u8,
    path: &[Key<'a>],
) -> Option<(&'t mut Vec<Entry<'a>>, &'t mut u8)> {
    for key in path {
        let node = match find(entries, &key.0) {
            None => {
                let mut table = Node::new(key.1.clone(), Kind::Table(Vec::new()));
                table.flags = IMPLICIT | DOTTED | INLINE;
                push(entries, key.clone(), table)?
            }
            Some(i) => {
                let node = &mut entries[i].value;
                if !matches!(node.kind, Kind::Table(_)) || node.flags & IMPLICIT == 0 {
                    return None;
                }
                node
            }
        };
        (entries, flags) = table_of(node)?;
    }
    Some((entries, flags))
}

impl<'a> Builder<'a> {
    fn next(&mut self) -> Option<Event> {
        let e = self.events.get(self.pos).copied();
        if e.is_some() {
            self.pos += 1;
        }
        e
    }

    fn peek_kind(&self, ahead: usize) -> Option<EventKind> {
        self.events.get(self.pos + ahead).map(Event::kind)
    }

    /// Parses one chunk of tokens into events and files them.
    fn chunk(&mut self, tokens: &[Token]) -> Option<()> {
        self.events.clear();
        self.pos = 0;
        let mut error: Option<ParseError> = None;
        {
            let mut receiver = ValidateWhitespace::new(&mut self.events, self.source);
            let mut receiver = RecursionGuard::new(&mut receiver, LIMIT);
            toml_parser::parser::parse_document(tokens, &mut receiver, &mut error);
        }
        if error.is_some() {
            return None;
        }
        self.document()?;
        if self.error.is_some() {
            return None;
        }
        Some(())
    }

    /// `toml`'s `document::document`, over the events of one chunk.
    fn document(&mut self) -> Option<()> {
        while let Some(event) = self.next() {
            match event.kind() {
                EventKind::StdTableOpen | EventKind::ArrayTableOpen => {
                    let header = self.header.take();
                    finish_table(&mut self.root, &mut self.current, header)?;
                    let h = self.on_table(&event);
                    start_table(&mut self.root, &mut self.current, &h)?;
                    self.header = Some(h);
                }
                EventKind::SimpleKey => {
                    let (path, key) = self.on_key(&event)?;
                    let key = key?;
                    let mut sep = self.next()?;
                    if sep.kind() == EventKind::Whitespace {
                        sep = self.next()?;
                    }
                    if sep.kind() != EventKind::KeyValSep {
                        return None;
                    }
                    if self.peek_kind(0) == Some(EventKind::Whitespace) {
                        self.pos += 1;
                    }
                    let value = self.value()?;
                    let dotted = !path.is_empty();
                    let current = &mut self.current;
                    let (entries, flags) =
                        descend(&mut current.entries, &mut current.flags, &path, dotted)?;
                    if dotted && *flags & IMPLICIT == 0 {
                        return None;
                    }
                    if find(entries, &key.0).is_some() {
                        return None;
                    }
                    push(entries, key, value)?;
                }
                _ => {}
            }
        }
        Some(())
    }

    /// `toml`'s `document::on_table`: a `[a.b]` or `[[a.b]]` header.
    fn on_table(&mut self, open: &Event) -> Header<'a> {
        let is_array = open.kind() == EventKind::ArrayTableOpen;
        let mut path = Vec::new();
        let mut key = None;
        let mut sp = span(open);
        while let Some(event) = self.next() {
            match event.kind() {
                EventKind::ArrayTableClose | EventKind::StdTableClose => {
                    sp.end = event.span().end();
                    break;
                }
                EventKind::SimpleKey => {
                    if let Some((p, k)) = self.on_key(&event) {
                        path = p;
                        key = k;
                    }
                }
                _ => {}
            }
        }
        Header {
            path,
            key,
            span: sp,
            is_array,
        }
    }

    /// `toml`'s `key::on_key`: a simple or dotted key, as the path and the
    /// last key.
    #[allow(clippy::type_complexity)]
    fn on_key(&mut self, first: &Event) -> Option<(Vec<Key<'a>>, Option<Key<'a>>)> {
        let mut path = Vec::new();
        let mut key: Option<Key<'a>> = None;
        let mut current = Some(*first);
        if self.more_key() {
            while let Some(event) = self.next() {
                match event.kind() {
                    EventKind::SimpleKey => {
                        current = Some(event);
                        if !self.more_key() {
                            break;
                        }
                    }
                    EventKind::KeySep => self.close_key(&mut current, &mut path, &mut key),
                    _ => {}
                }
            }
        }
        self.close_key(&mut current, &mut path, &mut key);
        if LIMIT as usize <= path.len() {
            return None;
        }
        Some((path, key))
    }

    fn more_key(&self) -> bool {
        match self.peek_kind(0) {
            Some(EventKind::KeySep) => true,
            Some(EventKind::Whitespace) => self.peek_kind(1) == Some(EventKind::KeySep),
            _ => false,
        }
    }

    fn close_key(
        &mut self,
        current: &mut Option<Event>,
        path: &mut Vec<Key<'a>>,
        key: &mut Option<Key<'a>>,
    ) {
        let Some(event) = current.take() else {
            return;
        };
        let Some(raw) = self.source.get(event) else {
            self.error = Some(ParseError::new("key out of range"));
            return;
        };
        let mut decoded = Cow::Borrowed("");
        raw.decode_key(&mut decoded, &mut self.error);
        if let Some(last) = key.replace((decoded, span(&event))) {
            path.push(last);
        }
    }

    /// `toml`'s `value::value`.
    fn value(&mut self) -> Option<Node<'a>> {
        let event = self.next()?;
        match event.kind() {
            EventKind::InlineTableOpen => self.on_inline_table(&event),
            EventKind::ArrayOpen => self.on_array(&event),
            EventKind::Scalar => self.on_scalar(&event),
            _ => None,
        }
    }

    /// `toml`'s `value::on_scalar`, then the conversion to a [`Kind`].
    fn on_scalar(&mut self, event: &Event) -> Option<Node<'a>> {
        let raw = self.source.get(event)?;
        let mut decoded = Cow::Borrowed("");
        let kind = raw.decode_scalar(&mut decoded, &mut self.error);
        let kind = match kind {
            ScalarKind::String => Kind::Str(decoded),
            ScalarKind::Boolean(b) => Kind::Bool(b),
            ScalarKind::DateTime => match decoded.parse::<toml_datetime::Datetime>() {
                Ok(d) => Kind::Datetime(d.to_string()),
                Err(_) => return None,
            },
            ScalarKind::Float => crate::node::float_kind(&decoded),
            ScalarKind::Integer(radix) => crate::node::integer_kind(decoded, radix.value()),
        };
        Some(Node::new(span(event), kind))
    }

    /// `toml`'s `inline_table::on_inline_table`.
    fn on_inline_table(&mut self, open: &Event) -> Option<Node<'a>> {
        let mut entries: Vec<Entry<'a>> = Vec::new();
        let mut flags = INLINE;
        let mut close_end = open.span().end();
        let mut current_key: Option<(Vec<Key<'a>>, Key<'a>)> = None;
        let mut current_value: Option<Node<'a>> = None;
        while let Some(event) = self.next() {
            close_end = event.span().end();
            match event.kind() {
                EventKind::StdTableOpen
                | EventKind::ArrayTableOpen
                | EventKind::StdTableClose
                | EventKind::ArrayClose
                | EventKind::ArrayTableClose
                | EventKind::KeySep => break,
                EventKind::SimpleKey => {
                    let (path, key) = self.on_key(&event)?;
                    if let Some(key) = key {
                        current_key = Some((path, key));
                    }
                }
                EventKind::InlineTableOpen => current_value = Some(self.on_inline_table(&event)?),
                EventKind::ArrayOpen => current_value = Some(self.on_array(&event)?),
                EventKind::Scalar => current_value = Some(self.on_scalar(&event)?),
                EventKind::ValueSep | EventKind::InlineTableClose => {
                    if let (Some((path, key)), Some(value)) =
                        (current_key.take(), current_value.take())
                    {
                        let (table, table_flags) = descend_inline(&mut entries, &mut flags, &path)?;
                        if (*table_flags & DOTTED != 0) == path.is_empty() {
                            return None;
                        }
                        if find(table, &key.0).is_some() {
                            return None;
                        }
                        push(table, key, value)?;
                    }
                    if event.kind() == EventKind::InlineTableClose {
                        break;
                    }
                }
                _ => {}
            }
        }
        let mut node = Node::new(open.span().start()..close_end, Kind::Table(entries));
        node.flags = flags;
        Some(node)
    }

    /// `toml`'s `array::on_array`.
    fn on_array(&mut self, open: &Event) -> Option<Node<'a>> {
        let mut items = Vec::new();
        let mut close_end = open.span().end();
        let mut current: Option<Node<'a>> = None;
        while let Some(event) = self.next() {
            close_end = event.span().end();
            match event.kind() {
                EventKind::StdTableOpen
                | EventKind::ArrayTableOpen
                | EventKind::InlineTableClose
                | EventKind::SimpleKey
                | EventKind::KeySep
                | EventKind::KeyValSep
                | EventKind::StdTableClose
                | EventKind::ArrayTableClose => break,
                EventKind::InlineTableOpen => current = Some(self.on_inline_table(&event)?),
                EventKind::ArrayOpen => current = Some(self.on_array(&event)?),
                EventKind::Scalar => current = Some(self.on_scalar(&event)?),
                EventKind::ValueSep | EventKind::ArrayClose => {
                    items.extend(current.take());
                    if event.kind() == EventKind::ArrayClose {
                        break;
                    }
                }
                _ => {}
            }
        }
        Some(Node::new(
            open.span().start()..close_end,
            Kind::Array(items),
        ))
    }
}

/// `toml`'s `State::finish_table`: files the table read since the last
/// header under that header's key.
fn finish_table<'a>(
    root: &mut Table<'a>,
    current: &mut Table<'a>,
    header: Option<Header<'a>>,
) -> Option<()> {
    // The next table likely has as many keys as this one (`[[errors]]`).
    let capacity = current.entries.len();
    let prev = std::mem::replace(
        current,
        Table {
            entries: Vec::with_capacity(capacity),
            flags: 0,
        },
    );
    let Some(header) = header else {
        *root = prev;
        return Some(());
    };
    let key = header.key?;
    let mut table = Node::new(header.span.clone(), Kind::Table(prev.entries));
    table.flags = prev.flags;
    let (parent, _) = descend(&mut root.entries, &mut root.flags, &header.path, false)?;
    match find(parent, &key.0) {
        None if header.is_array => {
            let mut array = Node::new(header.span, Kind::Array(vec![table]));
            array.flags = ARRAY_OF_TABLES;
            push(parent, key, array)?;
        }
        None => {
            push(parent, key, table)?;
        }
        Some(i) if header.is_array => {
            let node = &mut parent[i].value;
            match &mut node.kind {
                Kind::Array(items) if node.flags & ARRAY_OF_TABLES != 0 => items.push(table),
                _ => return None,
            }
        }
        // `start_table` took the key out; an `insert` would replace the value.
        Some(i) => parent[i].value = table,
    }
    Some(())
}

/// `toml`'s `State::start_table`: a `[table]` header takes over the implicit
/// table of the same name, if any.
fn start_table<'a>(
    root: &mut Table<'a>,
    current: &mut Table<'a>,
    header: &Header<'a>,
) -> Option<()> {
    if !header.is_array {
        let (parent, _) = descend(&mut root.entries, &mut root.flags, &header.path, false)?;
        if let Some(key) = &header.key
            && let Some(i) = find(parent, &key.0)
        {
            let old = parent.remove(i).value;
            match old.kind {
                Kind::Table(entries) if old.flags & IMPLICIT != 0 && old.flags & DOTTED == 0 => {
                    *current = Table {
                        entries,
                        flags: old.flags,
                    };
                }
                _ => return None,
            }
        }
    }
    current.flags &= !(IMPLICIT | DOTTED);
    Some(())
}

#[cfg(test)]
mod tests;
