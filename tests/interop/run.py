#!/usr/bin/env python3
"""`make test-interop`: the verifier compatibility matrix, produced by real libraries.

1. corpus.py runs the real `bootstrap` against moto for every algorithm (first rotation,
   scheduled rotations, cleanups) and makes the tokens: what must verify (signed by the
   AWSCURRENT, retired AWSPREVIOUS and NEXT keys) and what must not (expired, tampered
   signature, unknown kid, a removed key, `alg: none`); moto keeps serving each JWKS over HTTP.
2. The provider's own OpenID configuration document for `issuer` (provider/examples/
   openid_document.rs runs the provider binary against the engine stand-in) and ID tokens for it.
3. The verifiers, each run as a relying party runs it (JWKS fetched over HTTP, key selected by
   kid, signature and exp checked against the corpus clock): Node jose and jsonwebtoken +
   jwks-rsa, Python PyJWT and joserfc, Go keyfunc + golang-jwt and jwx, Java nimbus-jose-jwt,
   and go-oidc doing discovery itself.
4. Every library must accept what must verify and refuse what must not. An algorithm a library
   cannot handle at all is recorded as unsupported (listed in UNSUPPORTED below, with the
   reason; its accept cases count as skipped), never as a pass: any other refusal of a valid
   token, and any acceptance of a bad one, fails.

Prints the matrix, writes it to target/interop/matrix.md (results.json and the logs beside it)
and ends with `N passed, M failed, K skipped`; exit code 0 only when M is 0.

Usage: run.py [--zip PATH] [--out DIR] --go-bin PATH --java-dir DIR --provider PATH --openid-example PATH
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import corpus as corpus_mod  # noqa: E402

ALGS = [alg for alg, _ in corpus_mod.ALGORITHMS]

# (library, mode, algorithm) -> why the library cannot verify that algorithm at all. The accept
# cases of these are expected to be refused (counted as skipped); if one verifies, the entry is
# stale and the run fails so that the matrix stays true.
UNSUPPORTED = {
    ("jsonwebtoken + jwks-rsa", "default", "EdDSA"): "jsonwebtoken 9 has no EdDSA: it refuses the Ed25519 key jwks-rsa hands it (`Unknown key type \"ed25519\"`)",
    ("nimbus-jose-jwt", "default", "EdDSA"): "DefaultJWTProcessor's key selector converts no OKP key (\"no matching key(s) found\")",
    # RFC 9864's fully specified `Ed25519`: the same key and signature as EdDSA, under the new name.
    ("jsonwebtoken + jwks-rsa", "default", "Ed25519"): "jsonwebtoken 9 has no EdDSA at all: it refuses the Ed25519 key jwks-rsa hands it (`Unknown key type \"ed25519\"`)",
    ("PyJWT", "default", "Ed25519"): "PyJWT 2.10.1 knows the algorithm only as `EdDSA`: `PyJWKSet` drops every key with `alg: Ed25519` (\"The JWK Set did not contain any usable keys\")",
    ("keyfunc + golang-jwt", "default", "Ed25519"): "golang-jwt v5.3.1 registers no signing method `Ed25519` (its Ed25519 method is named `EdDSA`): \"signing method (alg) is unavailable\"",
    ("nimbus-jose-jwt", "default", "Ed25519"): "DefaultJWTProcessor's key selector converts no OKP key (\"no matching key(s) found\")",
    ("go-oidc", "discovery", "Ed25519"): "go-oidc keeps only the advertised algorithms it knows, and `Ed25519` is not one: with none left it allows RS256 alone (`unexpected signature algorithm \"Ed25519\"; expected [\"RS256\"]`)",
    ("go-oidc", "explicit-algs", "Ed25519"): "with `SupportedSigningAlgs: [Ed25519]` go-jose v4.1.4 finds no verifier for the name (\"failed to verify id token signature\")",
}

# How each library is used, for the matrix (the verifier sources say it in full).
USED_AS = {
    "jose": "`createRemoteJWKSet` + `jwtVerify` (`currentDate`)",
    "jsonwebtoken + jwks-rsa": "`jwksClient().getSigningKey(kid)` as the key callback of `jsonwebtoken.verify` (`clockTimestamp`)",
    "PyJWT": "`PyJWKClient.get_signing_key_from_jwt` + `jwt.decode` (clock: `jwt.api_jwt.datetime` mocked, PyJWT has no clock option)",
    "joserfc": "JWKS fetched with urllib into `KeySet` + `jwt.decode` + `JWTClaimsRegistry(now=...)` (no HTTP client of its own)",
    "keyfunc + golang-jwt": "`keyfunc.NewDefaultCtx` + `jwt.Parse(..., WithValidMethods, WithTimeFunc)`",
    "jwx": "`jwk.Cache` + `jwt.Parse(..., WithKeySet, WithClock)`",
    "nimbus-jose-jwt": "`JWKSourceBuilder` + `DefaultJWTProcessor` + `JWSVerificationKeySelector` (claims verifier's `currentTime()`)",
    "go-oidc": "`oidc.NewProvider(issuer)` (discovery over TLS) + `provider.Verifier(Config{ClientID, Now})`",
}
LANGUAGE = {
    "jose": "Node",
    "jsonwebtoken + jwks-rsa": "Node",
    "PyJWT": "Python",
    "joserfc": "Python",
    "keyfunc + golang-jwt": "Go",
    "jwx": "Go",
    "nimbus-jose-jwt": "Java",
    "go-oidc": "Go, OIDC discovery",
}
# The second way a library is used where the first cannot: how the matrix says it.
ALTERNATIVE = {
    ("nimbus-jose-jwt", "ed25519-verifier"): "`Ed25519Verifier` built from the OKP JWK selected by kid from the same `JWKSource`, Tink 1.23.0 on the class path",
    ("go-oidc", "explicit-algs"): "`Config.SupportedSigningAlgs: [alg]` set by the client",
}
PRIMARY_MODE = {"go-oidc": "discovery"}

# Expectations of the checks that are not tokens of corpus.CASES.
EXTRA_EXPECT = {
    "oidc-discovery": "accept",  # NewProvider(issuer): document fetched, issuer matched
    "oidc-discovery-url": "accept",  # {issuer}/.well-known/openid-configuration = openIdConfigurationUrl
    "oidc-jwks-uri": "accept",  # jwks_uri = the component's jwksUrl
    "oidc-issuer-trailing-slash": "refuse",  # NewProvider(issuer + "/"): issuer mismatch
    "oidc-signing-algs": "accept",  # id_token_signing_alg_values_supported = [the deployment's alg]
    "oidc-required-members": "accept",  # response_types_supported, subject_types_supported present
}


def say(line: str = "") -> None:
    print(line, flush=True)


def run_verifier(name: str, argv: list[str], cwd: Path, log: Path, timeout: int = 300) -> tuple[str, dict | None, float]:
    started = time.monotonic()
    with open(log, "w") as err:
        try:
            proc = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=err, timeout=timeout, text=True)
        except (subprocess.TimeoutExpired, OSError) as error:
            err.write(f"\n{error}\n")
            return name, None, time.monotonic() - started
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        with open(log, "a") as err:
            err.write(f"\nexit code {proc.returncode}\n{proc.stdout}")
        return name, None, elapsed
    try:
        return name, json.loads(proc.stdout.strip().splitlines()[-1]), elapsed
    except (ValueError, IndexError):
        with open(log, "a") as err:
            err.write(f"\nunparsable output:\n{proc.stdout}")
        return name, None, elapsed


def openid_documents(provider: str, example: str, log: Path) -> dict:
    """The provider's openid-configuration for `issuer` = the origin of its own jwksUrl."""
    with open(log, "w") as err:
        out = subprocess.run(
            [example, provider, "@origin", *ALGS], stdout=subprocess.PIPE, stderr=err, text=True, timeout=120
        )
    if out.returncode != 0:
        raise SystemExit(f"openid_document failed (exit {out.returncode}); see {log}")
    docs = json.loads(out.stdout)
    for doc in docs.values():
        content = json.loads(doc["content"])
        if content.get("issuer") != doc["issuer"]:
            raise SystemExit(f"the provider's document names issuer {content.get('issuer')!r}, not {doc['issuer']!r}")
    return docs


class Tally:
    def __init__(self) -> None:
        self.passed = self.failed = self.skipped = 0
        self.failures: list[str] = []

    def fail(self, line: str) -> None:
        self.failed += 1
        self.failures.append(line)


def expected_unsupported(library: str, mode: str, alg: str, corpus: dict) -> str | None:
    if (library, mode, alg) in UNSUPPORTED:
        return UNSUPPORTED[(library, mode, alg)]
    if library == "go-oidc" and mode == "discovery":
        content = json.loads(corpus["oidc"][alg]["content"])
        advertised = content.get("id_token_signing_alg_values_supported")
        if advertised is None and alg != "RS256":
            return "the provider's document has no `id_token_signing_alg_values_supported`, so go-oidc allows only RS256"
        if advertised is not None and alg not in advertised:
            return f"the document advertises {advertised} only"
        return None
    return UNSUPPORTED.get((library, mode, alg))


def evaluate(libraries: list[dict], corpus: dict, tally: Tally) -> dict:
    """Checks every result; returns {(library, mode, alg): status} with status yes/no/FAIL."""
    expect = {c["id"]: c["expect"] for c in corpus["cases"] + corpus.get("oidc_cases", [])}
    status: dict[tuple[str, str, str], dict] = {}
    for lib in libraries:
        name = lib["name"]
        groups: dict[tuple[str, str], list[dict]] = {}
        for r in lib["results"]:
            alg = r["id"].split("/")[0]
            groups.setdefault((r["mode"], alg), []).append(r)
        for (mode, alg), results in sorted(groups.items()):
            reason = expected_unsupported(name, mode, alg, corpus)
            cell = {"ok": True, "reason": reason, "supported": reason is None}
            for r in results:
                case = r["id"].split("/", 1)[1]
                want = expect.get(r["id"]) or EXTRA_EXPECT.get(case)
                where = f"{name} {lib['version']} [{mode}] {r['id']}"
                if want is None:
                    tally.fail(f"{where}: unknown case")
                    cell["ok"] = False
                elif r["result"] == want:
                    tally.passed += 1
                elif want == "accept" and reason is not None and r["id"] in expect:
                    tally.skipped += 1  # unsupported: recorded, not a failure
                else:
                    tally.fail(f"{where}: expected {want}, got {r['result']} ({r['detail']})")
                    cell["ok"] = False
            # Only tokens count here: go-oidc's discovery step succeeds whatever the algorithm.
            if reason is not None and any(r["result"] == "accept" and expect.get(r["id"]) == "accept" for r in results):
                tally.fail(f"{name} [{mode}] {alg}: listed as unsupported ({reason}) but verified: update run.py and the matrix")
                cell["ok"] = False
            status[(name, mode, alg)] = cell
    return status


def matrix(libraries: list[dict], status: dict) -> str:
    notes: dict[tuple[str, str], list[str]] = {}  # (library, text) -> algorithms, in order

    def note(name: str, alg: str, text: str) -> str:
        notes.setdefault((name, text), []).append(alg)
        return f"<sup>{list(notes).index((name, text)) + 1}</sup>"

    lines = [
        "| library | version | " + " | ".join(ALGS) + " |",
        "|---|---|" + "---|" * len(ALGS),
    ]
    for lib in libraries:
        name = lib["name"]
        primary = PRIMARY_MODE.get(name, "default")
        cells = []
        for alg in ALGS:
            main = status.get((name, primary, alg))
            if main is None:
                cells.append("–")
                continue
            if not main["ok"]:
                cells.append("**FAIL**")
                continue
            if main["supported"]:
                cells.append("yes")
                continue
            alternative = [
                text
                for (lname, mode), text in ALTERNATIVE.items()
                if lname == name
                and (status.get((name, mode, alg)) or {}).get("supported")
                and status[(name, mode, alg)]["ok"]
            ]
            if alternative:
                cells.append("yes, how" + note(name, alg, f"not as used above ({main['reason']}); verifies with {alternative[0]}."))
            else:
                cells.append("no" + note(name, alg, f"{main['reason']}."))
        lines.append(f"| {name} ({LANGUAGE.get(name, '?')}) | {lib['version']} | " + " | ".join(cells) + " |")
    if notes:
        lines.append("")
        for i, ((name, text), algs) in enumerate(notes.items(), 1):
            lines.append(f"<sup>{i}</sup> {name}, {', '.join(algs)}: {text}  ")
    lines.append("")
    lines.append("Used as (each fetches the JWKS over HTTP and selects the key by `kid`; the clock is the corpus's):")
    lines.append("")
    for lib in libraries:
        lines.append(f"* {lib['name']}: {USED_AS.get(lib['name'], '')}")
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zip", default=str(ROOT / "dist/lambda/x86_64/bootstrap.zip"))
    parser.add_argument("--out", default=str(ROOT / "target/interop"))
    parser.add_argument("--go-bin", required=True)
    parser.add_argument("--java-dir", required=True, help="holds classes/ and lib/")
    parser.add_argument("--provider", required=True, help="the provider binary")
    parser.add_argument("--openid-example", required=True, help="provider/examples/openid_document.rs, built")
    args = parser.parse_args()
    for attr in ("zip", "out", "go_bin", "java_dir", "provider", "openid_example"):
        setattr(args, attr, os.path.abspath(getattr(args, attr)))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    logs = out / "logs"
    logs.mkdir(exist_ok=True)
    started = time.monotonic()
    tally = Tally()

    with tempfile.TemporaryDirectory(prefix="jwks-interop-") as tmp:
        gen = corpus_mod.Corpus(Path(tmp), out, Path(args.zip), log=say)
        try:
            corpus = gen.generate()
            say(f"==> OpenID configuration as the provider publishes it ({Path(args.openid_example).name} against the provider binary)")
            docs = openid_documents(args.provider, args.openid_example, logs / "openid_document.log")
            issuer = docs[ALGS[0]]["issuer"]
            corpus["oidc"] = docs
            gen.add_oidc(corpus, issuer)
            say(f"    issuer {issuer}, document {docs[ALGS[0]]['content']}")
            cases_path = out / "cases.json"
            cases_path.write_text(json.dumps(corpus, indent=1))
            say(f"==> {len(corpus['cases'])} tokens, {len(corpus['oidc_cases'])} ID tokens; clock {corpus['clock_iso']}; cases in {cases_path}")
            java_dir = Path(args.java_dir)
            java_cp = f"{java_dir / 'classes'}:{java_dir / 'lib'}/*"
            verifiers = [
                ("node", ["node", str(HERE / "node/verify.mjs"), str(cases_path)], HERE / "node"),
                ("python", [sys.executable, str(HERE / "python/verify.py"), str(cases_path)], HERE),
                ("go", [args.go_bin, "verify", str(cases_path)], HERE),
                ("java", ["java", "-cp", java_cp, "Verify", str(cases_path)], HERE),
                ("go-oidc", [args.go_bin, "oidc", str(cases_path)], HERE),
            ]
            say("==> verifiers: " + ", ".join(v[0] for v in verifiers) + " (in parallel, logs in " + str(logs) + ")")
            with ThreadPoolExecutor(max_workers=len(verifiers)) as pool:
                outputs = list(pool.map(lambda v: run_verifier(v[0], v[1], v[2], logs / f"{v[0]}.log"), verifiers))
        finally:
            gen.close()

    libraries: list[dict] = []
    for name, output, elapsed in outputs:
        if output is None:
            tally.fail(f"verifier {name} produced no results: see {logs / (name + '.log')}")
            say(f"    {name:<8} FAILED after {elapsed:.1f}s (see {logs / (name + '.log')})")
            continue
        say(f"    {name:<8} {elapsed:5.1f}s  " + ", ".join(f"{lib['name']} {lib['version']}" for lib in output["libraries"]))
        libraries.extend(output["libraries"])
    (out / "results.json").write_text(json.dumps(libraries, indent=1))
    status = evaluate(libraries, corpus, tally)
    table = matrix(libraries, status)
    (out / "matrix.md").write_text(table)
    for lib in libraries:
        if lib["name"] == "go-oidc":
            found = lib.get("notes", {})
            advertised = sorted({json.dumps(n.get("id_token_signing_alg_values_supported")) for n in found.values()})
            jwks_uris = sorted({n.get("jwks_uri") for n in found.values()})
            say(f"    go-oidc discovered {len(found)} documents: jwks_uri {', '.join(map(str, jwks_uris))}; "
                f"id_token_signing_alg_values_supported {', '.join(advertised)}")
    say()
    say(table)
    say(f"==> matrix written to {out / 'matrix.md'}; took {time.monotonic() - started:.0f}s")
    for line in tally.failures:
        say(f"FAILED: {line}")
    say(f"{tally.passed} passed, {tally.failed} failed, {tally.skipped} skipped")
    return 0 if tally.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
