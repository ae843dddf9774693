//! The `bootstrap` binary refuses a missing or invalid configuration with a clear, structured
//! error and a failing exit status (no panic), before it talks to any service.

use std::process::Command;

#[test]
fn bootstrap_reports_configuration_errors_without_panicking() {
    let run = |vars: &[(&str, &str)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_bootstrap"));
        cmd.env_clear().env("PATH", "/usr/bin:/bin");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run bootstrap");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status, text)
    };
    let (status, text) = run(&[]);
    assert!(!status.success());
    assert!(
        text.contains("JWKS_ROTATION_KEY_ALGORITHM") || text.contains("JWKS_ROTATION_SECRET_ID"),
        "{text}"
    );
    assert!(
        text.contains("\"error_type\":\"InvalidConfiguration\""),
        "{text}"
    );
    assert!(!text.contains("panicked"), "{text}");
    let (status, text) = run(&[
        ("JWKS_ROTATION_SECRET_ID", "s"),
        ("JWKS_ROTATION_BUCKET", "b"),
        ("JWKS_ROTATION_KEY_ALGORITHM", "ES256"),
        ("JWKS_ROTATION_KEY_CURVE", "P-384"),
        ("JWKS_ROTATION_MAX_TOKEN_VALIDITY", "1h"),
    ]);
    assert!(!status.success());
    assert!(text.contains("P-384") && text.contains("ES256"), "{text}");
    assert!(!text.contains("panicked"), "{text}");
}
