//! Catalog errors that point at the file, line and column, like a compiler's.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError {
    /// `assets/playbooks/x.toml` (embedded) or the user file's path.
    pub file: String,
    /// 1-based line and column, when known.
    pub position: Option<(usize, usize)>,
    pub message: String,
}

impl CatalogError {
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> CatalogError {
        CatalogError {
            file: file.into(),
            position: None,
            message: message.into(),
        }
    }

    /// Points the error at byte `offset` of `source`.
    pub fn at(mut self, source: &str, offset: usize) -> CatalogError {
        self.position = Some(line_column(source, offset));
        self
    }

    /// Points the error at the first occurrence of `needle` in `source`, if any.
    pub fn near(self, source: &str, needle: &str) -> CatalogError {
        match source.find(needle) {
            Some(offset) => self.at(source, offset),
            None => self,
        }
    }
}

/// 1-based line and column (in characters) of byte `offset`.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before
        .get(line_start..)
        .map_or(1, |s| s.chars().count() + 1);
    (line, column)
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// One or more catalog errors; shown one per line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CatalogErrors(pub Vec<CatalogError>);

impl fmt::Display for CatalogErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let src = "a = 1\nbb = 2\n";
        assert_eq!(line_column(src, 0), (1, 1));
        assert_eq!(line_column(src, 6), (2, 1));
        assert_eq!(line_column(src, 9), (2, 4));
    }
}
