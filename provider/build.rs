//! Embeds the rotation Lambda zips (built by `make lambda`) and their SHA-256 digests.

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
