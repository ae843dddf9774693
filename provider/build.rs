//! Embeds the rotation Lambda zips (built by `make lambda`) and their SHA-256 digests, and
//! exports the release settings of the workspace Cargo.toml (`[workspace.metadata.release]`):
//! `JWKS_ROTATION_AWS_VERSION` (the pulumi-aws version of the children) and
//! `JWKS_ROTATION_PLUGIN_DOWNLOAD_URL`.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

const ARCHITECTURES: [(&str, &str); 2] = [("x86_64", "X86_64"), ("arm64", "ARM64")];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest
        .parent()
        .expect("provider/ sits in the workspace root")
        .to_path_buf();
    println!("cargo:rerun-if-changed=build.rs");
    println!(
        "cargo:rerun-if-changed={}",
        root.join("schema.json").display()
    );
    release_settings(&root);
    for (arch, var) in ARCHITECTURES {
        let zip = root
            .join("dist")
            .join("lambda")
            .join(arch)
            .join("bootstrap.zip");
        println!("cargo:rerun-if-changed={}", zip.display());
        let bytes = match std::fs::read(&zip) {
            Ok(bytes) => bytes,
            Err(err) => {
                eprintln!(
                    "error: the rotation Lambda zip {} is missing ({err}).\n\
                     Run `make lambda` (scripts/build-lambda.sh all) before building the provider.",
                    zip.display()
                );
                std::process::exit(1);
            }
        };
        let digest = hex::encode(Sha256::digest(&bytes));
        println!("cargo:rustc-env=JWKS_ROTATION_ZIP_{var}={}", zip.display());
        println!("cargo:rustc-env=JWKS_ROTATION_ZIP_{var}_SHA256={digest}");
    }
}

/// Reads `[workspace.metadata.release]` of the workspace Cargo.toml into rustc environment
/// variables; a missing or mistyped setting stops the build with a message naming it.
fn release_settings(root: &std::path::Path) {
    let manifest = root.join("Cargo.toml");
    println!("cargo:rerun-if-changed={}", manifest.display());
    let fail = |what: &str| -> ! {
        eprintln!("error: {}: {what}", manifest.display());
        std::process::exit(1);
    };
    let text = std::fs::read_to_string(&manifest).unwrap_or_else(|e| fail(&e.to_string()));
    let table: toml::Table = text.parse().unwrap_or_else(|e| fail(&format!("{e}")));
    let release = table
        .get("workspace")
        .and_then(|w| w.get("metadata"))
        .and_then(|m| m.get("release"));
    for (key, var) in [
        ("pulumi-aws", "JWKS_ROTATION_AWS_VERSION"),
        ("plugin-download-url", "JWKS_ROTATION_PLUGIN_DOWNLOAD_URL"),
    ] {
        match release.and_then(|r| r.get(key)).and_then(|v| v.as_str()) {
            Some(value) => println!("cargo:rustc-env={var}={value}"),
            None => fail(&format!(
                "[workspace.metadata.release] {key} is missing or not a string"
            )),
        }
    }
}
