//! The rotation Lambda zips embedded in the binary, written once to a content-addressed file so
//! the archive the engine hashes is byte-identical on every run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::args::Architecture;
use crate::error::ProviderError;

const ZIP_X86_64: &[u8] = include_bytes!(env!("JWKS_ROTATION_ZIP_X86_64"));
const ZIP_X86_64_SHA256: &str = env!("JWKS_ROTATION_ZIP_X86_64_SHA256");
const ZIP_ARM64: &[u8] = include_bytes!(env!("JWKS_ROTATION_ZIP_ARM64"));
const ZIP_ARM64_SHA256: &str = env!("JWKS_ROTATION_ZIP_ARM64_SHA256");

/// Zips this process has written or checked byte for byte; later calls only check the size,
/// so the hash of a multi-megabyte zip is computed once per process.
static VERIFIED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A Lambda zip on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaZip {
    /// Absolute path of the zip.
    pub path: PathBuf,
    /// SHA-256 (hex) of its bytes, which is also the archive hash Pulumi computes for a zip.
    pub sha256: &'static str,
}

/// The embedded zip for an architecture: its bytes and digest.
pub fn embedded(arch: Architecture) -> (&'static [u8], &'static str) {
    match arch {
        Architecture::X86_64 => (ZIP_X86_64, ZIP_X86_64_SHA256),
        Architecture::Arm64 => (ZIP_ARM64, ZIP_ARM64_SHA256),
    }
}

/// Where the archives live: `$XDG_CACHE_HOME/jwks-rotation`, `$HOME/.cache/jwks-rotation`, or
/// the temporary directory, made absolute.
pub fn cache_root(lookup: impl Fn(&str) -> Option<String>) -> PathBuf {
    let base = lookup("XDG_CACHE_HOME")
        .filter(|v| Path::new(v).is_absolute())
        .map(PathBuf::from)
        .or_else(|| {
            lookup("HOME")
                .filter(|v| Path::new(v).is_absolute())
                .map(|h| Path::new(&h).join(".cache"))
        })
        .unwrap_or_else(std::env::temp_dir);
    let base = if base.is_absolute() {
        base
    } else {
        std::env::current_dir()
            .map(|d| d.join(&base))
            .unwrap_or(base)
    };
    base.join("jwks-rotation")
}

/// Writes the zip for `arch` to `<root>/<sha256>/bootstrap.zip` unless that file already holds
/// exactly these bytes; the write goes through a temporary file and a rename, so a reader never
/// sees a partial zip.
pub fn materialize(root: &Path, arch: Architecture) -> Result<LambdaZip, ProviderError> {
    let (bytes, sha256) = embedded(arch);
    let dir = root.join(sha256);
    let path = dir.join("bootstrap.zip");
    let err = |source: std::io::Error| ProviderError::Archive {
        path: path.display().to_string(),
        source,
    };
    let mut verified = VERIFIED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let up_to_date = (verified.contains(&path)
        && std::fs::metadata(&path).is_ok_and(|m| m.len() == bytes.len() as u64))
        || std::fs::read(&path).is_ok_and(|on_disk| hex::encode(Sha256::digest(on_disk)) == sha256);
    if !up_to_date {
        std::fs::create_dir_all(&dir).map_err(err)?;
        let tmp = dir.join(format!("bootstrap.zip.{}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        if let Err(e) = write() {
            let _ = std::fs::remove_file(&tmp);
            return Err(err(e));
        }
    }
    if !verified.contains(&path) {
        verified.push(path.clone());
    }
    Ok(LambdaZip { path, sha256 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_once_and_repairs_a_truncated_file() {
        let root = std::env::temp_dir().join(format!("jwks-archive-unit-{}", std::process::id()));
        let zip = materialize(&root, Architecture::X86_64).expect("written");
        assert!(zip.path.is_absolute());
        assert!(zip.path.ends_with(format!("{}/bootstrap.zip", zip.sha256)));
        let bytes = std::fs::read(&zip.path).expect("exists");
        assert_eq!(hex::encode(Sha256::digest(&bytes)), zip.sha256);
        // A truncated file (an interrupted copy by someone else) is replaced.
        std::fs::write(&zip.path, &bytes[..bytes.len() / 2]).expect("damage it");
        let again = materialize(&root, Architecture::X86_64).expect("rewritten");
        assert_eq!(again, zip);
        assert_eq!(std::fs::read(&zip.path).expect("exists"), bytes);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn cache_root_prefers_xdg_then_home() {
        let env = |k: &str| match k {
            "XDG_CACHE_HOME" => Some("/xdg".to_string()),
            "HOME" => Some("/home/u".to_string()),
            _ => None,
        };
        assert_eq!(cache_root(env), PathBuf::from("/xdg/jwks-rotation"));
        let home = |k: &str| (k == "HOME").then(|| "/home/u".to_string());
        assert_eq!(
            cache_root(home),
            PathBuf::from("/home/u/.cache/jwks-rotation")
        );
        let relative = |k: &str| (k == "XDG_CACHE_HOME").then(|| "rel".to_string());
        assert!(cache_root(relative).is_absolute());
    }
}
