//! RSA key generation time per modulus length, with the Lambda's own code path
//! (`keygen::generate`: josekit on the vendored OpenSSL), for `scripts/bench-rsa-keygen.sh`.
//!
//! `rsa_keygen_bench [BITS:SAMPLES ...]` (default `2048:200 3072:100 4096:60`) prints one JSON
//! object per line, `{"bits":..,"samples":..,"min_ms":..,"median_ms":..,"mean_ms":..,
//! "p99_ms":..,"max_ms":..,"cpu_median_ms":..,"cpu_p99_ms":..,"cpu_max_ms":..}`: wall-clock
//! times, and the CPU time the generating thread got (Linux `/proc/thread-self/schedstat`), which
//! is what a key costs on one core when other processes compete for the machine. Percentiles are
//! nearest-rank. One warm-up key per size is not counted. RSA generation searches random primes,
//! so its time varies widely from key to key: the tail (p99, max) is what sizes the function.

use std::process::ExitCode;
use std::time::Instant;

use jwks_rotation_core::{KeySpec, KeySpecInput, KidStrategy};
use jwks_rotation_lambda::keygen;

const DEFAULT_RUNS: [(i64, usize); 3] = [(2048, 200), (3072, 100), (4096, 60)];

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// CPU time of the calling thread so far, in nanoseconds (None where the kernel does not say).
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// (median, p99, max) of sorted samples.
fn summary(sorted: &[f64]) -> (f64, f64, f64) {
    (
        percentile(sorted, 50.0),
        percentile(sorted, 99.0),
        sorted.last().copied().unwrap_or(0.0),
    )
}

fn parse_runs(args: &[String]) -> Result<Vec<(i64, usize)>, String> {
    if args.is_empty() {
        return Ok(DEFAULT_RUNS.to_vec());
    }
    args.iter()
        .map(|a| {
            let (bits, samples) = a
                .split_once(':')
                .ok_or_else(|| format!("`{a}`: expected BITS:SAMPLES"))?;
            let bits = bits
                .parse::<i64>()
                .map_err(|_| format!("`{a}`: BITS is not a number"))?;
            let samples = samples
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("`{a}`: SAMPLES must be a positive number"))?;
            Ok((bits, samples))
        })
        .collect()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs = match parse_runs(&args) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    for (bits, samples) in runs {
        let spec = match KeySpec::from_input(&KeySpecInput {
            algorithm: "RS256".into(),
            crv: None,
            modulus_length: Some(bits),
        }) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{bits} bits: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut times = Vec::with_capacity(samples);
        let mut cpu = Vec::with_capacity(samples);
        for i in 0..=samples {
            let cpu_start = thread_cpu_ns();
            let start = Instant::now();
            if let Err(e) = keygen::generate(spec, KidStrategy::Random, chrono::Utc::now()) {
                eprintln!("{bits} bits: {e}");
                return ExitCode::FAILURE;
            }
            let wall = start.elapsed().as_secs_f64() * 1000.0;
            if i > 0 {
                times.push(wall);
                if let (Some(a), Some(b)) = (cpu_start, thread_cpu_ns()) {
                    cpu.push(b.saturating_sub(a) as f64 / 1e6);
                }
            }
        }
        times.sort_by(f64::total_cmp);
        cpu.sort_by(f64::total_cmp);
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        let (median, p99, max) = summary(&times);
        let (cpu_median, cpu_p99, cpu_max) = summary(&cpu);
        println!(
            "{}",
            serde_json::json!({
                "bits": bits,
                "samples": samples,
                "min_ms": times.first().copied().unwrap_or(0.0),
                "median_ms": median,
                "mean_ms": mean,
                "p99_ms": p99,
                "max_ms": max,
                "cpu_median_ms": cpu_median,
                "cpu_p99_ms": cpu_p99,
                "cpu_max_ms": cpu_max,
            })
        );
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank() {
        let s: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&s, 50.0), 50.0);
        assert_eq!(percentile(&s, 99.0), 99.0);
        assert_eq!(percentile(&s[..20], 99.0), 20.0);
    }
}
