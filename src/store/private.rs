//! The on-disk permission rule: everything warroom writes (incident logs, outbox
//! updates, the hub configuration with its token hashes, the console's own log) is
//! readable by its owner only, whatever the umask: files 0600, directories warroom
//! creates 0700. Directories that already exist are left as their owner set them.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Mode of the files warroom creates.
pub const FILE_MODE: u32 = 0o600;
/// Mode of the directories warroom creates.
pub const DIR_MODE: u32 = 0o700;

/// `OpenOptions` that create a file as [`FILE_MODE`] (before the umask; call
/// [`restrict`] on a file you created to be exact whatever the umask).
pub fn file_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    options
}

/// Sets a file warroom has just created to exactly [`FILE_MODE`]: the mode given at
/// creation is masked by the umask, which might have taken the owner's bits too.
pub fn restrict(file: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// Creates a new file (or truncates an existing one) as [`FILE_MODE`] and writes
/// `bytes` into it. An existing file keeps the mode its owner gave it.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let existed = path.exists();
    let mut file = file_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    if !existed {
        restrict(&file)?;
    }
    io::Write::write_all(&mut file, bytes)
}

/// `create_dir_all` where every directory it creates is [`DIR_MODE`] exactly.
pub fn create_dir_all(path: &Path) -> io::Result<()> {
    if path.as_os_str().is_empty() || path.is_dir() {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        create_dir_all(parent)?;
    }
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    match builder.create(path) {
        Ok(()) => {}
        // Someone else made it meanwhile: theirs, left alone.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => return Ok(()),
        Err(e) => return Err(e),
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(DIR_MODE))?;
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_directories_and_files_are_the_owners_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let deep = dir.path().join("a").join("b");
        create_dir_all(&deep).unwrap();
        assert_eq!(mode(&dir.path().join("a")), DIR_MODE);
        assert_eq!(mode(&deep), DIR_MODE);
        assert_eq!(
            mode(dir.path()),
            0o755,
            "an existing directory is left alone"
        );
        let file = deep.join("f");
        write(&file, b"x").unwrap();
        assert_eq!(mode(&file), FILE_MODE);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        write(&file, b"y").unwrap();
        assert_eq!(
            mode(&file),
            0o640,
            "an existing file keeps its owner's choice"
        );
    }
}
