#!/usr/bin/env python3
"""Benchmark of the real `bootstrap` against the patched moto under the Runtime API emulator.

Usage: bench_lambda.py --bootstrap PATH [--zip ARCH=PATH ...] [--keygen JSON] [--rotations N]

Prints a markdown table, each figure beside its SPEC target. Measures:
- AWS API calls per step, per full rotation and per cleanup (as the Lambda counts them with
  its SDK interceptor and returns them in each response);
- warm time per step (emulator: event handed out -> answer received), median;
- cold start: process launch -> first GET .../next, and launch -> first answered event
  (createSecret of the first rotation, and separately a cleanup);
- peak RSS (VmHWM) after the first event (cold) and at the end (warm);
- zip sizes; key generation per algorithm (from examples/keygen_bench).
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from runtime_api import RuntimeApi  # noqa: E402

import boto3  # noqa: E402  (installed with moto)

SECRET = "bench/signing"
BUCKET = "bench-jwks"
LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:jwks-rotation"
PLACEHOLDER = '{"jwksRotation":"awaiting-first-rotation"}'
STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "moto_faithful.py"), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)
            return proc, url
        except Exception:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("moto did not start")


def hwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


class Lambda:
    """One bootstrap process under a fresh emulator."""

    def __init__(self, bootstrap, endpoint, log):
        self.api = RuntimeApi()
        env = {
            "PATH": "/usr/bin:/bin",
            "AWS_LAMBDA_RUNTIME_API": self.api.address,
            "AWS_LAMBDA_FUNCTION_NAME": "jwks-rotation",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_EC2_METADATA_DISABLED": "true",
            "JWKS_ROTATION_SECRET_ID": SECRET,
            "JWKS_ROTATION_BUCKET": BUCKET,
            "JWKS_ROTATION_OBJECT_KEY": "keys/jwks.json",
            "JWKS_ROTATION_KEY_ALGORITHM": "ES256",
            "JWKS_ROTATION_MAX_TOKEN_VALIDITY": "1h",
            "JWKS_ROTATION_ROTATION_INTERVAL": "1d",
            # A short grace so that back-to-back rotations promote NEXT (real clock).
            "JWKS_ROTATION_MIN_ACTIVATION_GRACE_PERIOD": "2s",
            "JWKS_ROTATION_CACHE_CONTROL": "public, max-age=1",
        }
        if os.environ.get("RUST_LOG"):
            env["RUST_LOG"] = os.environ["RUST_LOG"]
        self.bootstrap, self.env, self.log = bootstrap, env, log

    def launch(self, first_event):
        """Queues the first event, launches, waits for its answer; returns timings."""
        self.api.events.put(first_event)
        t0 = time.monotonic()
        self.proc = subprocess.Popen([self.bootstrap], env=self.env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while True:
            with self.api.done:
                rid = self.api.order[0] if self.api.order else None
                res = self.api.results.get(rid) if rid else None
                if res and "answered_at" in res:
                    break
                if "init" in self.api.results:
                    raise SystemExit("init error: " + self.api.results["init"]["error"])
                self.api.done.wait(0.5)
            if self.proc.poll() is not None:
                raise SystemExit(f"bootstrap exited with {self.proc.returncode}; see the log")
            if time.monotonic() > deadline:
                raise SystemExit("no answer to the first event")
        return {
            "first_next_ms": (self.api.first_next_at - t0) * 1000,
            "first_answer_ms": (res["answered_at"] - t0) * 1000,
            "result": res,
            "cold_rss_kb": hwm_kb(self.proc.pid),
        }

    def invoke(self, event):
        res = self.api.invoke(event)
        if res.get("kind") != "response":
            raise SystemExit(f"{event} failed: {res.get('body')}")
        return res

    def stop(self):
        rss = hwm_kb(self.proc.pid)
        self.proc.terminate()
        self.proc.wait()
        self.api.close()
        return rss


def calls(res):
    return json.loads(res["body"])["apiCalls"]


def ms(res):
    return (res["answered_at"] - res["sent_at"]) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--zip", action="append", default=[])
    ap.add_argument("--keygen")
    ap.add_argument("--rotations", type=int, default=5)
    args = ap.parse_args()

    moto, endpoint = start_moto()
    log = tempfile.NamedTemporaryFile("w+", prefix="bench-bootstrap-", suffix=".log", delete=False)
    try:
        kw = dict(endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
        sm, s3 = boto3.client("secretsmanager", **kw), boto3.client("s3", **kw)
        sm.create_secret(Name=SECRET, SecretString=PLACEHOLDER)
        s3.create_bucket(Bucket=BUCKET)

        def step_event(step, token):
            return {"Step": step, "SecretId": SECRET, "ClientRequestToken": token}

        # Cold: launch with the first rotation's createSecret queued.
        lam = Lambda(args.bootstrap, endpoint, log)
        token = sm.rotate_secret(SecretId=SECRET, RotationLambdaARN=LAMBDA_ARN)["VersionId"]
        cold = lam.launch(step_event("createSecret", token))
        if cold["result"].get("kind") != "response":
            raise SystemExit("first createSecret failed: " + cold["result"].get("body", ""))
        for step in STEPS[1:]:
            lam.invoke(step_event(step, token))
        per_step = {s: {"calls": [], "ms": []} for s in STEPS + ["cleanup"]}
        full = []
        for _ in range(args.rotations):
            time.sleep(2.2)  # NEXT becomes old enough to be promoted
            token = sm.rotate_secret(SecretId=SECRET, RotationLambdaARN=LAMBDA_ARN)["VersionId"]
            total_calls, total_ms = 0, 0.0
            for step in STEPS:
                res = lam.invoke(step_event(step, token))
                body = json.loads(res["body"])
                if step == "createSecret" and body.get("outcome") != "StagedPromoted":
                    raise SystemExit(f"expected a promotion, got {body}")
                per_step[step]["calls"].append(calls(res))
                per_step[step]["ms"].append(ms(res))
                total_calls += calls(res)
                total_ms += ms(res)
            full.append((total_calls, total_ms))
            res = lam.invoke({"action": "cleanup", "secretArn": SECRET})
            per_step["cleanup"]["calls"].append(calls(res))
            per_step["cleanup"]["ms"].append(ms(res))
        warm_rss = lam.stop()

        # A second cold start whose first event is a cleanup.
        lam2 = Lambda(args.bootstrap, endpoint, log)
        cold2 = lam2.launch({"action": "cleanup", "secretArn": SECRET})
        lam2.stop()
    finally:
        moto.kill()
        moto.wait()

    def fmt_calls(xs):
        lo, hi = min(xs), max(xs)
        return str(lo) if lo == hi else f"{lo}-{hi}"

    rows = []
    ref = {"createSecret": 5, "setSecret": 0, "testSecret": 2, "finishSecret": 5, "cleanup": 4}
    for s in STEPS + ["cleanup"]:
        rows.append((f"AWS API calls, {s}", fmt_calls(per_step[s]["calls"]),
                     f"<= {ref[s]} (construct: {ref[s]})"))
    rows.append(("AWS API calls, full rotation", fmt_calls([c for c, _ in full]), "<= 12 (construct: 12)"))
    for s in STEPS + ["cleanup"]:
        rows.append((f"warm time, {s} (median)", f"{statistics.median(per_step[s]['ms']):.1f} ms", "-"))
    rows.append(("warm time, full rotation (median)", f"{statistics.median([m for _, m in full]):.1f} ms",
                 "construct: ~70 ms"))
    rows.append(("launch to first GET /next", f"{cold['first_next_ms']:.1f} ms", "-"))
    rows.append(("launch to first handled event (createSecret, first key)", f"{cold['first_answer_ms']:.1f} ms",
                 "< 40 ms (construct: 159 ms)"))
    rows.append(("launch to first handled event (cleanup)", f"{cold2['first_answer_ms']:.1f} ms",
                 "< 40 ms (construct: 159 ms)"))
    rows.append(("peak RSS, cold (after the first event)", f"{cold['cold_rss_kb'] / 1024:.1f} MB",
                 "< 16 MB (construct: 67 MB)"))
    rows.append(("peak RSS, warm (after all events)", f"{warm_rss / 1024:.1f} MB",
                 "< 16 MB (construct: 92 MB)"))
    for z in args.zip:
        arch, path = z.split("=", 1)
        if os.path.exists(path):
            rows.append((f"zip size, {arch}", f"{os.path.getsize(path) / 1024 / 1024:.2f} MB", "< 8 MB"))
    if args.keygen:
        for name, v in json.loads(args.keygen).items():
            rows.append((f"key generation, {name}", f"{v['ms']:.2f} ms (mean of {v['n']})", "-"))

    print(f"Measured {args.rotations} promoting rotations (ES256) against moto {endpoint.split(':')[0]} "
          f"loopback; bootstrap log: {log.name}\n")
    print("| figure | measured | target |")
    print("|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")


if __name__ == "__main__":
    main()
