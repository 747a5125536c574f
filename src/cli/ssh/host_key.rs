//! The SSH door's host key: an ed25519 key made on first start and kept owner-only
//! (0600) in the data directory as `ssh_host_ed25519_key` (OpenSSH's format), so
//! clients that trusted it once keep trusting the same hub; and its SHA-256
//! fingerprint as OpenSSH prints it (`SHA256:…`).

use russh::keys::ssh_key::LineEnding;
use russh::keys::ssh_key::private::{Ed25519Keypair, KeypairData};
use russh::keys::{HashAlg, PrivateKey};
use std::path::Path;

/// The file name, in the data directory.
pub const HOST_KEY_FILE: &str = "ssh_host_ed25519_key";

/// Reads the host key at `path`, or makes one there if there is none.
pub fn load_or_create(path: &Path) -> Result<PrivateKey, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => PrivateKey::from_openssh(text.as_bytes())
            .map_err(|e| format!("{}: not an OpenSSH private key ({e})", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

fn create(path: &Path) -> Result<PrivateKey, String> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no randomness from the OS: {e}"))?;
    let keypair = Ed25519Keypair::from_seed(&seed);
    let key = PrivateKey::new(KeypairData::Ed25519(keypair), "warroom hub")
        .map_err(|e| format!("cannot make an SSH host key: {e}"))?;
    let text = key
        .to_openssh(LineEnding::LF)
        .map_err(|e| format!("cannot encode the SSH host key: {e}"))?;
    if let Some(dir) = path.parent() {
        crate::store::private::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    crate::store::private::write(path, text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(key)
}

/// `SHA256:…`, as `ssh-keygen -lf` and the ssh client print it.
pub fn fingerprint(key: &PrivateKey) -> String {
    key.public_key().fingerprint(HashAlg::Sha256).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_key_is_made_once_owner_only_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(HOST_KEY_FILE);
        let made = load_or_create(&path).unwrap();
        let again = load_or_create(&path).unwrap();
        assert_eq!(fingerprint(&made), fingerprint(&again));
        assert!(fingerprint(&made).starts_with("SHA256:"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "nope").unwrap();
        let err = load_or_create(&path).unwrap_err();
        assert!(err.contains("not an OpenSSH private key"), "{err}");
    }
}
