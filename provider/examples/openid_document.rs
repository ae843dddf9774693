//! The OpenID configuration document as the provider publishes it (a command, never a test):
//! launches the provider binary against the engine stand-in of `tests/harness`, constructs a
//! `JwksRotation` with `issuer` set for each algorithm given, and prints, as one JSON object
//! keyed by algorithm, what the provider registered for the `openid-configuration` object
//! (`content`, `contentType`, `cacheControl`, `key`) and its `jwksUrl` and
//! `openIdConfigurationUrl` outputs. Used by the interop test (`tests/interop`, OIDC discovery
//! with go-oidc) so that the document a real OIDC client reads is the provider's own.
//!
//! `openid_document <provider-binary> <issuer> <algorithm>...`; an issuer of `@origin` stands for
//! the origin of the component's own `jwksUrl` (`https://<bucket regional domain>`), where the
//! document is published: `{issuer}/.well-known/openid-configuration` is then the
//! `openIdConfigurationUrl`, as OpenID Connect Discovery requires.

#[path = "../tests/harness/mod.rs"]
mod harness;

use harness::{Harness, of_type, outputs_json, with};
use serde_json::{Map, Value as Json, json};

const OBJECT: &str = "aws:s3/bucketObjectv2:BucketObjectv2";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.len() < 3 {
        eprintln!("usage: openid_document <provider-binary> <issuer> <algorithm>...");
        std::process::exit(2);
    }
    let (binary, issuer, algorithms) = (&argv[0], argv[1].clone(), &argv[2..]);
    let cache = std::env::temp_dir().join(format!("jwks-openid-document-{}", std::process::id()));
    let cache_str = cache.display().to_string();
    let mut h =
        Harness::start_binary(binary, false, &[("XDG_CACHE_HOME", cache_str.as_str())]).await;
    let issuer = if issuer == "@origin" {
        if let Err(status) = h.construct("jwks", with(json!({}))).await {
            eprintln!("construct without issuer failed: {}", status.message());
            std::process::exit(1);
        }
        let jwks_url = outputs_json(&h)["jwksUrl"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let Some(host) = jwks_url
            .strip_prefix("https://")
            .and_then(|rest| rest.split('/').next())
        else {
            eprintln!("jwksUrl {jwks_url:?} is not an https URL");
            std::process::exit(1);
        };
        format!("https://{host}")
    } else {
        issuer
    };
    let mut out = Map::new();
    for algorithm in algorithms {
        h.clear();
        let inputs = with(json!({
            "keySpec": {"algorithm": algorithm},
            "issuer": &issuer,
        }));
        if let Err(status) = h.construct("jwks", inputs).await {
            eprintln!("construct with {algorithm} failed: {}", status.message());
            std::process::exit(1);
        }
        let regs = h.registrations();
        let object = of_type(&regs, OBJECT)
            .into_iter()
            .find(|r| r.input("key") == json!(".well-known/openid-configuration"));
        let Some(object) = object else {
            eprintln!("no openid-configuration object was registered for {algorithm}");
            std::process::exit(1);
        };
        let outputs = outputs_json(&h);
        out.insert(
            algorithm.clone(),
            json!({
                "issuer": &issuer,
                "key": object.input("key"),
                "content": object.input("content"),
                "contentType": object.input("contentType"),
                "cacheControl": object.input("cacheControl"),
                "jwksUrl": outputs["jwksUrl"],
                "openIdConfigurationUrl": outputs["openIdConfigurationUrl"],
            }),
        );
    }
    let _ = h.plugin.kill().await;
    let _ = std::fs::remove_dir_all(&cache);
    println!("{}", Json::Object(out));
}
