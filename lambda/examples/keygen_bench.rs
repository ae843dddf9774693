//! Key generation time per algorithm, for `scripts/bench-lambda.sh`: prints one JSON object
//! `{"RS256": {"ms": ..., "n": ...}, ...}` (mean milliseconds per key over n keys).

use std::time::Instant;

use jwks_rotation_core::{KeySpec, KeySpecInput, KidStrategy};
use jwks_rotation_lambda::keygen;

fn main() {
    let mut out = serde_json::Map::new();
    for (name, alg, bits, n) in [
        ("RS256 (2048)", "RS256", None, 10u32),
        ("PS256 (2048)", "PS256", None, 10),
        ("RS512 (4096)", "RS512", Some(4096), 3),
        ("ES256", "ES256", None, 50),
        ("ES384", "ES384", None, 50),
        ("ES512", "ES512", None, 50),
        ("EdDSA", "EdDSA", None, 50),
    ] {
        let Ok(spec) = KeySpec::from_input(&KeySpecInput {
            algorithm: alg.into(),
            crv: None,
            modulus_length: bits,
        }) else {
            eprintln!("bad spec {name}");
            std::process::exit(1);
        };
        let start = Instant::now();
        for _ in 0..n {
            if let Err(e) = keygen::generate(spec, KidStrategy::Random, chrono::Utc::now()) {
                eprintln!("{name}: {e}");
                std::process::exit(1);
            }
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(n);
        out.insert(name.into(), serde_json::json!({"ms": ms, "n": n}));
    }
    println!("{}", serde_json::Value::Object(out));
}
