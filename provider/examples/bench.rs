//! Provider benchmark (a command, never a test): time from launch to the port line, and
//! `Construct` time against the engine stand-in, which answers every registration at once.
//! Prints a markdown table with each figure beside its target.
//!
//! `bench <provider-binary> [iterations]` (see `scripts/bench-provider.sh`).

#[path = "../tests/harness/mod.rs"]
mod harness;

use std::time::{Duration, Instant};

use harness::{Harness, launch_binary, minimal, start_engine, with};
use serde_json::json;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Stats {
    min: f64,
    median: f64,
    p95: f64,
}

fn stats(mut samples: Vec<f64>) -> Stats {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples.get(i).copied().unwrap_or(f64::NAN)
    };
    Stats {
        min: samples.first().copied().unwrap_or(f64::NAN),
        median: at(0.5),
        p95: at(0.95),
    }
}

fn row(what: &str, s: &Stats, target: &str) {
    println!(
        "| {what} | {:.2} | {:.2} | {:.2} | {target} |",
        s.median, s.p95, s.min
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut argv = std::env::args().skip(1);
    let Some(binary) = argv.next() else {
        eprintln!("usage: bench <provider-binary> [iterations]");
        std::process::exit(2);
    };
    let iterations: usize = argv.next().and_then(|n| n.parse().ok()).unwrap_or(50);
    let cache = std::env::temp_dir().join(format!("jwks-provider-bench-{}", std::process::id()));
    let cache_str = cache.display().to_string();
    let env = [("XDG_CACHE_HOME", cache_str.as_str())];

    // Launch to port line.
    let (_engine, address) = start_engine(false).await;
    let mut launches = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let (mut child, _line, elapsed) = launch_binary(&binary, &[&address], &env).await;
        launches.push(ms(elapsed));
        let _ = child.kill().await;
    }

    // First Construct of a fresh process with an empty archive cache (writes the zip).
    let mut cold = Vec::with_capacity(iterations.min(10));
    for i in 0..iterations.min(10) {
        let fresh = cache.join(format!("cold-{i}"));
        let fresh_str = fresh.display().to_string();
        let mut h =
            Harness::start_binary(&binary, false, &[("XDG_CACHE_HOME", fresh_str.as_str())]).await;
        let started = Instant::now();
        h.construct("jwks", minimal()).await.expect("construct");
        cold.push(ms(started.elapsed()));
    }

    // Warm Construct: defaults, all optional features, and preview.
    let full = with(json!({
        "cloudFront": {},
        "issuer": "https://issuer.example.com",
        "kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "alarm": {"snsTopicArns": ["arn:aws:sns:us-east-1:123456789012:ops"]},
        "tags": {"team": "identity"},
    }));
    let mut figures = Vec::new();
    for (label, preview, inputs) in [
        ("`Construct`, defaults (17 registrations)", false, minimal()),
        (
            "`Construct`, every option (22 registrations)",
            false,
            full.clone(),
        ),
        ("`Construct`, preview, every option", true, full),
    ] {
        let mut h = Harness::start_binary(&binary, preview, &env).await;
        h.construct("warmup", inputs.clone())
            .await
            .expect("construct");
        let mut samples = Vec::with_capacity(iterations);
        for i in 0..iterations {
            h.clear();
            let started = Instant::now();
            h.construct(&format!("jwks{i}"), inputs.clone())
                .await
                .expect("construct");
            samples.push(ms(started.elapsed()));
        }
        figures.push((label, stats(samples)));
    }
    let _ = std::fs::remove_dir_all(&cache);

    println!("| figure (ms) | median | p95 | min | target |");
    println!("|---|---:|---:|---:|---|");
    let launch = stats(launches);
    let verdict = if launch.median < 20.0 {
        "met"
    } else {
        "missed"
    };
    row(
        "launch to port line",
        &launch,
        &format!("< 20 ms ({verdict})"),
    );
    row(
        "first `Construct` of a process, empty archive cache",
        &stats(cold),
        "reported (instant monitor)",
    );
    for (label, s) in &figures {
        row(label, s, "reported (instant monitor)");
    }
    println!();
    let name = std::path::Path::new(&binary)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| binary.clone());
    println!(
        "{iterations} iterations per figure; provider `{name}`; engine stand-in on loopback answering at once."
    );
}
