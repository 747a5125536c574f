//! Where catalog files come from: the copy embedded in the binary, or a user directory.

use super::error::{CatalogError, CatalogErrors};
use include_dir::{Dir, include_dir};
use std::path::Path;

static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/assets");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Embedded,
    User,
}

/// One TOML file: where it is (for error messages), its path inside the catalog
/// (`playbooks/x.toml`), and its text.
#[derive(Debug, Clone)]
pub struct CatalogFile {
    pub origin: Origin,
    pub display: String,
    pub relative: String,
    pub text: String,
}

/// The catalog's sections: top-level files and the directories of one-item files.
pub const TOP_FILES: [&str; 3] = ["severity.toml", "roles.toml", "clocks.toml"];
pub const DIRS: [&str; 3] = ["checklists", "playbooks", "templates"];

pub fn embedded() -> Vec<CatalogFile> {
    let mut files = Vec::new();
    for name in TOP_FILES {
        if let Some(file) = EMBEDDED.get_file(name) {
            files.push(embedded_file(
                name,
                file.contents_utf8().unwrap_or_default(),
            ));
        }
    }
    for dir_name in DIRS {
        let Some(dir) = EMBEDDED.get_dir(dir_name) else {
            continue;
        };
        let mut entries: Vec<_> = dir
            .files()
            .filter(|f| f.path().extension().is_some_and(|e| e == "toml"))
            .collect();
        entries.sort_by_key(|f| f.path());
        for file in entries {
            let relative = file.path().to_string_lossy().replace('\\', "/");
            files.push(embedded_file(
                &relative,
                file.contents_utf8().unwrap_or_default(),
            ));
        }
    }
    files
}

fn embedded_file(relative: &str, text: &str) -> CatalogFile {
    CatalogFile {
        origin: Origin::Embedded,
        display: format!("assets/{relative}"),
        relative: relative.to_string(),
        text: text.to_string(),
    }
}

/// Reads the catalog files under `dir`. Files the catalog does not know are ignored
/// (a README beside them is fine); unreadable ones are errors.
pub fn read_dir(dir: &Path) -> Result<Vec<CatalogFile>, CatalogErrors> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut read = |path: &Path, relative: String| match std::fs::read_to_string(path) {
        Ok(text) => files.push(CatalogFile {
            origin: Origin::User,
            display: path.display().to_string(),
            relative,
            text,
        }),
        Err(e) => errors.push(CatalogError::new(
            path.display().to_string(),
            format!("cannot read: {e}"),
        )),
    };
    for name in TOP_FILES {
        let path = dir.join(name);
        if path.is_file() {
            read(&path, name.to_string());
        }
    }
    for dir_name in DIRS {
        let sub = dir.join(dir_name);
        let Ok(entries) = std::fs::read_dir(&sub) else {
            continue;
        };
        let mut paths: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            read(&path, format!("{dir_name}/{name}"));
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(CatalogErrors(errors))
    }
}
