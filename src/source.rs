//! Source files and spans: where every user-written value came from.
//!
//! Spans are byte ranges into a file held by a [`SourceMap`]. They travel with the
//! data ([`Spanned`]) so that a later stage can label the exact value it rejects.
//! Spans never take part in equality or ordering: two models that differ only in
//! layout are the same model.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Index of a file in a [`SourceMap`].
pub type FileId = u32;

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// Byte offset of the first byte.
    pub start: u32,
    /// Length in bytes (0 for a point).
    pub len: u32,
}

impl Span {
    /// A span covering `start..start+len` in `file`.
    pub fn new(file: FileId, start: usize, len: usize) -> Span {
        Span {
            file,
            start: u32::try_from(start).unwrap_or(u32::MAX),
            len: u32::try_from(len).unwrap_or(0),
        }
    }

    /// Byte offset one past the end.
    pub fn end(&self) -> usize {
        self.start as usize + self.len as usize
    }
}

/// A value together with the span it was written at.
///
/// Equality, ordering and hashing look at the value only.
#[derive(Clone, Debug, Default)]
pub struct Spanned<T> {
    /// Where the value was written.
    pub span: Span,
    /// The value.
    pub value: T,
}

impl<T> Spanned<T> {
    /// Wraps a value with its span.
    pub fn new(span: Span, value: T) -> Self {
        Spanned { span, value }
    }

    /// Maps the value, keeping the span.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Spanned<U> {
        Spanned {
            span: self.span,
            value: f(self.value),
        }
    }

    /// A reference to the value with the same span.
    pub fn as_ref(&self) -> Spanned<&T> {
        Spanned {
            span: self.span,
            value: &self.value,
        }
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}
impl<T: Eq> Eq for Spanned<T> {}
impl<T: PartialOrd> PartialOrd for Spanned<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.value.partial_cmp(&other.value)
    }
}
impl<T: Ord> Ord for Spanned<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.value.cmp(&other.value)
    }
}
impl<T: Hash> Hash for Spanned<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state)
    }
}
impl<T: fmt::Display> fmt::Display for Spanned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: serde::Serialize> serde::Serialize for Spanned<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

impl<T: schemars::JsonSchema> schemars::JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

/// One source file's text and the names it is shown by.
#[derive(Debug)]
pub struct SourceFile {
    /// The name diagnostics show: the path as the user gave it or relative to the model.
    pub name: String,
    /// The path the file was read from.
    pub path: PathBuf,
    /// The whole text.
    pub text: Arc<str>,
    /// Read from outside the repository root (`--allow-outside-root`): diagnostics name
    /// the file and line but never show its text.
    pub hidden: bool,
    line_starts: Vec<u32>,
}

impl SourceFile {
    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&(offset as u32)) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0) as usize;
        let col = self
            .text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(0);
        (line + 1, col + 1)
    }

    /// Byte offset of a 1-based line and column (in characters), clamped to the text.
    pub fn offset_of(&self, line: usize, column: usize) -> usize {
        let Some(start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let start = *start as usize;
        let rest = self.text.get(start..).unwrap_or("");
        let mut off = start;
        for (i, (b, ch)) in rest.char_indices().enumerate() {
            if i + 1 >= column || ch == '\n' {
                return start + b;
            }
            off = start + b + ch.len_utf8();
        }
        off
    }

    /// The span of a whole line (1-based), without its line break.
    pub fn line_span(&self, id: FileId, line: usize) -> Span {
        let start = self.offset_of(line, 1);
        let rest = self.text.get(start..).unwrap_or("");
        let len = rest.find('\n').unwrap_or(rest.len());
        Span::new(id, start, len)
    }
}

/// All source files a run has read, indexed by [`FileId`].
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file's text and returns its id.
    pub fn add(
        &mut self,
        name: impl Into<String>,
        path: &Path,
        text: impl Into<Arc<str>>,
    ) -> FileId {
        let text: Arc<str> = text.into();
        let mut line_starts = vec![0u32];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
            }
        }
        self.files.push(SourceFile {
            name: name.into(),
            path: path.to_path_buf(),
            text,
            hidden: false,
            line_starts,
        });
        u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX)
    }

    /// Marks a file as hidden: its text is never shown in a diagnostic.
    pub fn hide(&mut self, id: FileId) {
        if let Some(f) = self.files.get_mut(id as usize) {
            f.hidden = true;
        }
    }

    /// The file with this id.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id as usize)
    }

    /// The id of a file already read from `path`, if any.
    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.path == path)
            .and_then(|i| u32::try_from(i).ok())
    }

    /// The text a span covers.
    pub fn snippet(&self, span: Span) -> &str {
        self.get(span.file)
            .and_then(|f| f.text.get(span.start as usize..span.end()))
            .unwrap_or("")
    }

    /// File name, line and column of a span's start.
    pub fn locate(&self, span: Span) -> Option<(&str, usize, usize)> {
        let f = self.get(span.file)?;
        let (l, c) = f.line_col(span.start as usize);
        Some((f.name.as_str(), l, c))
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when no file was read.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}
