//! The runbook catalog: severity matrix, roles, clocks, checklists, playbooks and comms
//! templates, loaded from TOML. The defaults are embedded in the binary from `assets/`;
//! a user directory can replace a file (same `id`) or add new ones. Every problem is
//! reported with file, line and column, and what to do about it.

mod error;
mod source;
mod validate;

pub use error::{CatalogError, CatalogErrors, line_column};
pub use source::{CatalogFile, Origin};

use crate::incident::Runbooks;
use std::path::{Path, PathBuf};

/// Where user overrides live when no directory is named: `$WARROOM_CATALOG`, else
/// `<config dir>/warroom/catalog`.
pub fn default_user_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("WARROOM_CATALOG") {
        return Some(PathBuf::from(dir));
    }
    dirs::config_dir().map(|d| d.join("warroom").join("catalog"))
}

/// The embedded catalog, with the files of `user_dir` (if it exists) laid over it.
pub fn load(user_dir: Option<&Path>) -> Result<Runbooks, CatalogErrors> {
    let mut files = source::embedded();
    if let Some(dir) = user_dir.filter(|d| d.exists()) {
        files.extend(source::read_dir(dir)?);
    }
    validate::build(&files)
}

/// The embedded catalog alone (tests, demos, and a fallback that cannot fail to find
/// files).
pub fn embedded() -> Result<Runbooks, CatalogErrors> {
    validate::build(&source::embedded())
}

/// What `warroom check` reports for a directory that passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckSummary {
    pub files: usize,
    pub checklists: usize,
    pub playbooks: usize,
    pub templates: usize,
    pub regulations: usize,
}

/// Validates `dir` laid over the embedded catalog (so a partial override is checked in
/// context). Fails if `dir` does not exist.
pub fn check(dir: &Path) -> Result<CheckSummary, CatalogErrors> {
    if !dir.is_dir() {
        return Err(CatalogErrors(vec![CatalogError::new(
            dir.display().to_string(),
            "is not a directory: name a catalog directory (with severity.toml, playbooks/, …)",
        )]));
    }
    let user = source::read_dir(dir)?;
    let files = user.len();
    let mut all = source::embedded();
    all.extend(user);
    let runbooks = validate::build(&all)?;
    Ok(CheckSummary {
        files,
        checklists: runbooks.checklists.len(),
        playbooks: runbooks.playbooks.len(),
        templates: runbooks.templates.len(),
        regulations: runbooks.clocks.regulation.len(),
    })
}
